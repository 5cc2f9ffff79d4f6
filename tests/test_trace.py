"""Explanation traces: golden files and the structure a reader relies on.

The goldens hold the plain-text trace of the shipped example applicants
(`tests/golden/trace/<example>.trace.txt`); regenerate with
`python -m pytest --update-goldens` and review the diff.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from rich.console import Console

from engine.data import load_applicants
from engine.evaluator import evaluate
from engine.render import trace_text, trace_tree
from engine.trace import StepKind
from tests.standards.enterprise_helpers import ENTERPRISE, enterprise_plan, run

GOLDEN = Path(__file__).parent / "golden" / "trace"
EXAMPLES = ENTERPRISE.parent / "examples"


def example_outcome(file_name: str):
    plan = enterprise_plan()
    applicant = load_applicants(EXAMPLES / file_name, plan.symbols.inputs,
                                [d.name for d in plan.symbols.indicators])[0]
    return evaluate(plan, applicant.values, trace=True)


@pytest.mark.parametrize("file_name", ["carmaker.yaml", "green-service.csv", "missing-data.yaml"])
def test_golden_trace(file_name, update_goldens):
    text = trace_text(example_outcome(file_name).trace) + "\n"
    golden = GOLDEN / (Path(file_name).stem + ".trace.txt")
    if update_goldens or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_every_indicator_is_explained_once_with_its_clause():
    trace = example_outcome("carmaker.yaml").trace
    kinds = []

    def visit(node):
        kinds.append((node.kind, node.name))
        for child in node.children:
            visit(child)
    visit(trace)
    indicators = [name for kind, name in kinds if kind is StepKind.INDICATOR]
    assert indicators == list(enterprise_plan().indicators)
    assert trace.find("rd_score").clause == "5.2.2.1.2 表7"


def test_rejected_rows_say_which_comparison_failed():
    outcome = run(trace=True, revenue_last_year=50000, green_business_revenue=10000, rd_expense=250)  # ints: made exact
    table = outcome.trace.find("rd_band")
    rows = {child.name: child for child in table.children}
    assert rows["row 3"].kind is StepKind.ROW_REJECTED
    assert rows["row 3"].detail == "rd_ratio ≥ 4%"
    assert [r.value for r in rows["row 3"].reads] == [outcome.values["rd_ratio"]]
    matched = [c for c in table.children if c.kind is StepKind.ROW_MATCHED]
    assert [m.name for m in matched] == ["row 15"]  # B, ratio 2.5% ≥ 2% → 4 points
    assert outcome.values["rd_ratio"] == Fraction(1, 40)


def test_bonus_and_normalisation_steps_show_their_arithmetic():
    outcome = run(trace=True, quality_sme=True, invention_patents=18, green_service=True)
    bonus = outcome.trace.find("ip_score").find("sme_bonus")
    assert bonus.detail == "5.4 × 1.15 = 6.21, capped at 6"
    text = trace_text(outcome.trace)
    assert "S = " in text and "/ 86 × 100" in text


def test_rich_tree_renders_deterministically():
    trace = example_outcome("carmaker.yaml").trace
    def render():
        console = Console(width=100, color_system=None, record=True)
        console.print(trace_tree(trace))
        return console.export_text()
    first = render()
    assert first == render()
    assert "indicator rd_score 研发投入 § 5.2.2.1.2 表7 = 8" in first
