"""The project evaluation (T/SGIPA clause 6, 表28 project row, 7.4.2) at the edges the text draws.

Every expected number is worked by hand from the clause cited in the test; the
readings of ambiguous clauses are those written as comments in project.rules.
All six indicators are expert-assessed, so the score is the expert's input and
the band gives the wording; the interesting edges are the band limits (open or
closed), the range of each input (the union of its bands), the grade limits
60 and 80 (exact), the green-service normalisation and the vetoes.
"""

from __future__ import annotations

from fractions import Fraction as F
from functools import lru_cache
from pathlib import Path

import pytest

from dsl.checker import check
from dsl.loader import load_ruleset
from engine.compiler import compile_rules
from engine.data import validate
from engine.evaluator import evaluate
from engine.values import NOT_EVALUATED, Missing

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "standards" / "tsgipa-nev" / "2025-draft" / "project.rules"

# Compliant, not green service, every expert score 0: S = 0, 浅绿.
MINIMAL = {
    "green_service": False, "catalog_compliance": True, "technical_compliance": True,
    "ip_expert_score": F(0), "key_tech_expert_score": F(0), "env_benefit_expert_score": F(0),
    "green_ops_expert_score": F(0), "process_expert_score": F(0), "pollutant_expert_score": F(0),
}


@lru_cache(maxsize=1)
def project_plan():
    checked = check(load_ruleset(PROJECT))
    assert not checked.errors, checked.errors
    return compile_rules(checked)


def run(drop: tuple[str, ...] = (), **changes):
    values = {**MINIMAL, **changes}
    for name in drop:
        values.pop(name)
    return evaluate(project_plan(), values, trace=False)


def problems(**raw):
    """The data problems `validate` finds in raw applicant values."""
    plan = project_plan()
    _, found = validate(raw, plan.symbols.inputs, [d.name for d in plan.symbols.indicators], "t.yaml", None)
    return found


def test_minimal_project_passes_compliance_and_is_light_green():
    outcome = run()
    assert outcome.results["catalog_compliant"] is True
    assert outcome.results["technically_compliant"] is True
    assert outcome.results["total_score"] == 0
    assert outcome.results["grade"] == "浅绿"  # 表28: 浅绿 = 满足符合性评价要求


def test_points_are_those_of_table_d4():
    points = {n: c.points for n, c in project_plan().indicators.items()}
    assert points == {"ip_score": 15, "key_tech_score": 25, "env_benefit_score": 20,
                      "green_ops_score": 20, "process_score": 10, "pollutant_score": 10}


# ---- the band tables 18–23, at every edge ------------------------------------------

IP = ("有效知识产权应用数量处于行业领先水平", "有效知识产权应用数量处于行业良好水平",
      "有效知识产权应用数量处于行业一般水平")
KEY = ("关键技术处于行业领先水平，具有显著技术引领作用", "关键技术处于行业较好水平，具有一定技术推动作用",
       "关键技术处于行业平均水平", "未满足上述任何一项")
ENV = ("有产生实际环境效益，涉及环境效益种类及贡献量优秀", "有产生实际环境效益，涉及环境效益种类及贡献量良好",
       "有产生实际环境效益，涉及环境效益种类及贡献量一般")
OPS = ("绿色低碳运营水平较高，达到业内领先水平", "绿色低碳运营水平良好，达到业内较好水平",
       "绿色低碳运营水平一般，达到业内平均水平", "绿色低碳运营水平较差，低于业内平均水平")
PROC = ("工艺设备材料绿色化程度较高", "工艺设备材料绿色化程度中等", "工艺设备材料绿色化程度一般")
POLL = ("不排放污染物，或根据排污许可相关管理条例实行排污登记管理，或需控制的污染物有80%的种类优于排污许可证限值20%，"
        "或优于排放源所在地同类行业污染物排放限值20%", "需控制的污染物依据排污许可证限值达标排放", "未满足上述任何一项")

EDGES = [
    # 表18: (10, 15] / (5, 10] / [0, 5]
    ("ip", "15", IP[0]), ("ip", "10.01", IP[0]), ("ip", "10", IP[1]), ("ip", "5.01", IP[1]),
    ("ip", "5", IP[2]), ("ip", "0", IP[2]),
    # 表19: (20, 25] / (10, 20] / (0, 10] / 0
    ("key_tech", "25", KEY[0]), ("key_tech", "20.5", KEY[0]), ("key_tech", "20", KEY[1]),
    ("key_tech", "10.5", KEY[1]), ("key_tech", "10", KEY[2]), ("key_tech", "0.1", KEY[2]),
    ("key_tech", "0", KEY[3]),
    # 表20: (15, 20] / (10, 15] / [0, 10] — no zero row: 0 is 一般 (reading in project.rules)
    ("env_benefit", "20", ENV[0]), ("env_benefit", "15.5", ENV[0]), ("env_benefit", "15", ENV[1]),
    ("env_benefit", "10.5", ENV[1]), ("env_benefit", "10", ENV[2]), ("env_benefit", "0", ENV[2]),
    # 表21: (15, 20] / (10, 15] / (5, 10] / [0, 5]
    ("green_ops", "20", OPS[0]), ("green_ops", "15.5", OPS[0]), ("green_ops", "15", OPS[1]),
    ("green_ops", "10.5", OPS[1]), ("green_ops", "10", OPS[2]), ("green_ops", "5.5", OPS[2]),
    ("green_ops", "5", OPS[3]), ("green_ops", "0", OPS[3]),
    # 表22: (7, 10] / (4, 7] / [0, 4]
    ("process", "10", PROC[0]), ("process", "7.5", PROC[0]), ("process", "7", PROC[1]),
    ("process", "4.5", PROC[1]), ("process", "4", PROC[2]), ("process", "0", PROC[2]),
    # 表23: (6, 10] / (0, 6] / 0
    ("pollutant", "10", POLL[0]), ("pollutant", "6.5", POLL[0]), ("pollutant", "6", POLL[1]),
    ("pollutant", "0.5", POLL[1]), ("pollutant", "0", POLL[2]),
]


@pytest.mark.parametrize("indicator, score, wording", EDGES)
def test_band_edges_give_the_wording_and_the_expert_score(indicator, score, wording):
    outcome = run(**{f"{indicator}_expert_score": F(score)})
    assert outcome.results[f"{indicator}_score"] == F(score)
    assert outcome.levels[f"{indicator}_score"] == wording
    assert outcome.results["total_score"] == F(score)


@pytest.mark.parametrize("indicator, above", [
    ("ip", "15.01"), ("key_tech", "25.01"), ("env_benefit", "20.01"),
    ("green_ops", "20.01"), ("process", "10.01"), ("pollutant", "10.01"),
])
def test_scores_outside_every_band_are_invalid_data(indicator, above):
    name = f"{indicator}_expert_score"
    for bad in (above, "-0.01"):
        found = problems(**{name: bad})
        assert [p.code for p in found] == ["out_of_range"]
        assert name in str(found[0])
    assert problems(**{name: above.split(".")[0]}) == []  # the top of the band itself is valid


# ---- 表28 project row: the grade limits, compared exactly ---------------------------------

def scores_summing_to(total: F) -> dict:
    """Expert scores whose sum is `total` (≤ 100): filled in table order."""
    values, left = {}, total
    for name, cap in (("ip", 15), ("key_tech", 25), ("env_benefit", 20), ("green_ops", 20),
                      ("process", 10), ("pollutant", 10)):
        values[f"{name}_expert_score"] = min(F(cap), left)
        left -= values[f"{name}_expert_score"]
    return values


@pytest.mark.parametrize("total, grade", [
    (F(0), "浅绿"), (F("59.99"), "浅绿"), (F(60) - F(1, 10**9), "浅绿"),
    (F(60), "中绿"), (F("79.99"), "中绿"), (F(80) - F(1, 10**9), "中绿"),
    (F(80), "深绿"), (F(100), "深绿"),
])
def test_grade_limits_60_and_80_are_exact(total, grade):
    outcome = run(**scores_summing_to(total))
    assert outcome.results["total_score"] == total
    assert outcome.results["grade"] == grade


# ---- 7.4.2 注1 / 注2: normalisation ---------------------------------------------------

GREEN_SERVICE = dict(green_service=True, drop=("technical_compliance", "green_ops_expert_score",
                                               "process_expert_score", "pollutant_expert_score"))


def test_green_service_skips_environment_and_technical_compliance():
    """43.5 of the 60 points of 技术表现: S = 43.5 / 60 × 100 = 72.5 (中绿)."""
    outcome = run(**GREEN_SERVICE, ip_expert_score=F("11.5"), key_tech_expert_score=F(17),
                  env_benefit_expert_score=F(15))
    for name in ("technically_compliant", "green_ops_score", "process_score", "pollutant_score"):
        assert outcome.results[name] is NOT_EVALUATED
    assert outcome.results["total_score"] == F("72.5")
    assert outcome.results["grade"] == "中绿"
    assert outcome.missing_inputs == ("technical_compliance", "green_ops_expert_score",
                                      "process_expert_score", "pollutant_expert_score")
    assert all(results == [] for results in outcome.affected_by().values())  # none was needed


@pytest.mark.parametrize("obtained, total, grade", [
    (F(48), F(80), "深绿"),              # 48 / 60 × 100 = 80 exactly
    (F(36), F(60), "中绿"),              # 36 / 60 × 100 = 60 exactly
    (F("35.99"), F(3599, 60), "浅绿"),   # 35.99 / 60 × 100 = 59.98333… < 60
    (F(40), F(200, 3), "中绿"),          # 66.666…, kept exact
])
def test_green_service_normalisation_at_the_grade_limits(obtained, total, grade):
    outcome = run(**GREEN_SERVICE, **{k: v for k, v in scores_summing_to(obtained).items()
                                      if k in ("ip_expert_score", "key_tech_expert_score",
                                               "env_benefit_expert_score")})
    assert outcome.results["total_score"] == total
    assert outcome.results["grade"] == grade


def test_green_service_with_failed_technical_compliance_is_not_vetoed():
    outcome = run(green_service=True, technical_compliance=False)
    assert outcome.results["technically_compliant"] is NOT_EVALUATED
    assert outcome.results["grade"] == "浅绿"


def test_not_applicable_indicators_are_left_out():
    """7.4.2 注2: key_tech (25) judged not applicable; 12 + 16 + 16 + 8 + 8 = 60 of 75 → 80 (深绿)."""
    outcome = run(not_applicable=("key_tech_score",), ip_expert_score=F(12), key_tech_expert_score=F(25),
                  env_benefit_expert_score=F(16), green_ops_expert_score=F(16), process_expert_score=F(8),
                  pollutant_expert_score=F(8))
    assert outcome.results["key_tech_score"] is NOT_EVALUATED
    assert outcome.results["total_score"] == 80
    assert outcome.results["grade"] == "深绿"


def test_not_applicable_is_optional_and_checked():
    assert problems(not_applicable=["key_tech_score"]) == []
    assert [p.code for p in problems(not_applicable=["team_score"])] == ["unknown_value"]


# ---- 6.1 vetoes (一票否决) ---------------------------------------------------------------

FULL = scores_summing_to(F(100))


@pytest.mark.parametrize("changes, failed", [
    ({"catalog_compliance": False}, "catalog_compliant"),
    ({"technical_compliance": False}, "technically_compliant"),
])
def test_failed_compliance_gives_no_recognition_but_the_total_is_computed(changes, failed):
    outcome = run(**FULL, **changes)
    assert outcome.results[failed] is False
    assert outcome.results["total_score"] == 100
    assert outcome.results["grade"] == "不予认定"


def test_missing_compliance_finding_is_no_conclusion():
    outcome = run(**FULL, drop=("catalog_compliance",))
    assert isinstance(outcome.results["catalog_compliant"], Missing)
    assert outcome.results["total_score"] == 100
    assert isinstance(outcome.results["grade"], Missing)


def test_missing_expert_score_is_no_conclusion_not_zero():
    outcome = run(drop=("process_expert_score",))
    assert isinstance(outcome.results["process_score"], Missing)
    assert isinstance(outcome.results["total_score"], Missing)
    assert isinstance(outcome.results["grade"], Missing)
    assert outcome.affected_by()["process_expert_score"] == ["process_score", "total_score", "grade"]
