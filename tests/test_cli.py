"""End to end: the `rulecheck` command as a user runs it, exit codes included.

Exit codes (README): 0 ok, 1 tests failed / fmt --check found changes, 2 usage,
3 rule-file errors, 4 data errors. No command may print a Python traceback.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ROOT / "standards" / "tsgipa-nev" / "2025-draft"
ENTERPRISE = DRAFT / "enterprise.rules"
CARMAKER = DRAFT / "examples" / "carmaker.yaml"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich folds narrow tables; keep assertions about text stable


def rulecheck(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_run_prints_total_grade_and_indicator_table(capsys):
    code, out, _ = rulecheck(capsys, "run", ENTERPRISE, CARMAKER)
    assert code == 0
    assert "综合值 S = 93.15" in out
    assert "认定评价等级 = 深绿" in out
    assert "研发投入水平优秀" in out


def test_run_json_follows_the_data_contract(capsys):
    code, out, _ = rulecheck(capsys, "run", ENTERPRISE, CARMAKER, "--format", "json")
    assert code == 0
    document = json.loads(out)
    results = document["results"]
    assert results["total_score"] == 93.15
    assert results["grade"] == "深绿"
    assert results["standards_score"] == 1.15
    assert results["catalog_compliant"] is True
    assert document["missing"] == []
    receipt = document["receipt"]
    assert len(receipt["ruleset_sha256"]) == 64 and len(receipt["input_sha256"]) == 64
    assert document["ruleset"]["document"] == "T/SGIPA XXX—XXXX"


def test_run_trace_shows_rows_tested_and_clauses(capsys):
    code, out, _ = rulecheck(capsys, "run", ENTERPRISE, CARMAKER, "--trace")
    assert code == 0
    assert "§ 5.2.2.1.2 表7" in out
    assert "✓ row 1: size_class = \"A\" and rd_ratio ≥ 4%" in out
    assert "✗ row 2: key_tech_expert_score in (6, 8]" in out


def test_missing_input_is_no_conclusion_not_zero(capsys, tmp_path):
    data = tmp_path / "a.yaml"
    data.write_text(CARMAKER.read_text(encoding="utf-8").replace("rd_expense: 60000\n", ""), encoding="utf-8")
    code, out, _ = rulecheck(capsys, "run", ENTERPRISE, data, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["results"]["rd_score"] is None
    assert document["results"]["total_score"] is None
    assert document["results"]["ip_score"] == 6
    assert document["missing"] == ["rd_expense"]
    assert document["missing_affects"]["rd_expense"] == ["rd_score", "total_score", "grade"]


@pytest.mark.parametrize("edit, message", [
    (("supply_years: 12", "suply_years: 12"), "did you mean"),
    (("invention_patents: 15", "invention_patents: many"), "invention_patents"),
    (("key_tech_expert_score: 9", "key_tech_expert_score: 10.5"), "key_tech_expert_score"),
])
def test_bad_data_exits_4_naming_the_input(capsys, tmp_path, edit, message):
    data = tmp_path / "a.yaml"
    data.write_text(CARMAKER.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data)
    assert code == 4
    assert message in err
    assert str(data) in err


def test_all_data_problems_are_reported_at_once(capsys, tmp_path):
    data = tmp_path / "a.yaml"
    text = CARMAKER.read_text(encoding="utf-8")
    for old, new in [("supply_years: 12", "suply_years: 12"), ("invention_patents: 15", "invention_patents: -1"),
                     ("influence_expert_score: 4.5", "influence_expert_score: 7")]:
        text = text.replace(old, new)
    data.write_text(text, encoding="utf-8")
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data)
    assert code == 4
    assert err.count("error[") == 3


def test_syntax_error_exits_3_with_position_and_caret(capsys, tmp_path):
    broken = tmp_path / "broken.rules"
    broken.write_text('input x "标签" : number\nlet y = x +\n', encoding="utf-8")
    code, _, err = rulecheck(capsys, "check", broken)
    assert code == 3
    assert "broken.rules:2:" in err
    assert "^" in err


def test_missing_path_is_a_usage_error(capsys):
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, "no-such-file.yaml")
    assert code == 2
    assert "no-such-file.yaml" in err


def test_check_standards_is_clean(capsys):
    code, out, _ = rulecheck(capsys, "check", ROOT / "standards")
    assert code == 0
    assert "0 error(s)" in out


def test_examples_beside_the_rules_pass(capsys):
    code, out, _ = rulecheck(capsys, "test", ROOT / "standards")
    assert code == 0, out
    assert out.rstrip().endswith(" passed, 0 failed")
    for example in ("carmaker", "battery_maker", "green_service_firm", "missing_data"):
        assert f"PASS standards/tsgipa-nev/2025-draft/enterprise.rules::{example}" in out


def test_a_wrong_expectation_fails_with_exit_1(capsys, tmp_path):
    copy = tmp_path / "draft"
    shutil.copytree(DRAFT, copy)
    rules = copy / "enterprise.rules"
    rules.write_text(rules.read_text(encoding="utf-8").replace("expect total_score = 93.15",
                                                               "expect total_score = 93.16"), encoding="utf-8")
    code, out, _ = rulecheck(capsys, "test", rules)
    assert code == 1
    assert "total_score: expected 93.16, got 93.15" in out


def test_fmt_check_reports_and_fmt_rewrites(capsys, tmp_path):
    messy = tmp_path / "messy.rules"
    messy.write_text('input  x "标签"§"1" : number\nlet   y "y"§"2"=x*2   # why\n', encoding="utf-8")
    code, out, _ = rulecheck(capsys, "fmt", "--check", messy)
    assert code == 1 and "would reformat" in out
    code, _, _ = rulecheck(capsys, "fmt", messy)
    assert code == 0
    assert "# why" in messy.read_text(encoding="utf-8")
    code, _, _ = rulecheck(capsys, "fmt", "--check", messy)
    assert code == 0


def test_shipped_rules_are_formatted(capsys):
    code, out, _ = rulecheck(capsys, "fmt", "--check", ROOT / "standards")
    assert code == 0, out


def test_run_groups_one_row_per_vehicle(capsys, tmp_path):
    rules = tmp_path / "v.rules"
    rules.write_text('input models "车型" § "附件1" : list of record {\n  model "车型" : text\n  volume "产量" : count\n}\n'
                     'result vehicles "车辆数" § "1" = sum(for m in models: m.volume)\n', encoding="utf-8")
    data = tmp_path / "v.csv"
    data.write_text("enterprise,model\nE1,A\nE1,A\nE1,B\nE2,C\n", encoding="utf-8")
    code, out, _ = rulecheck(capsys, "run", rules, data, "--records", "models", "--count", "volume",
                             "--by", "enterprise", "--format", "json")
    assert code == 0
    assert sorted(d["results"]["vehicles"] for d in json.loads(out)) == [1, 3]
    code, _, err = rulecheck(capsys, "run", rules, data, "--records", "models")
    assert code == 2 and "--count" in err


def test_unwritable_output_is_a_usage_error(capsys, tmp_path):
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, CARMAKER, "--format", "json",
                             "-o", tmp_path / "no-such-dir" / "out.json")
    assert code == 2 and "cannot write" in err


def test_expectation_past_the_end_of_a_list_fails_cleanly(capsys, tmp_path):
    copy = tmp_path / "draft"
    shutil.copytree(DRAFT, copy)
    rules = copy / "enterprise.rules"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "expect key_tech_requirements[1].satisfied = true", "expect key_tech_requirements[5].satisfied = true"),
        encoding="utf-8")
    code, out, _ = rulecheck(capsys, "test", rules)
    assert code == 1
    assert "key_tech_requirements[5].satisfied: expected true, got no conclusion (there are only 2 entries)" in out
