"""`rulecheck diff`: the semantic diff of two rule-set versions and its impact on a population.

The diff compares checked rule sets (spans, comments and layout never count),
so the tests write small rule texts, change one thing, and check that exactly
that change is reported, under its right name, and that reading the diff the
other way round gives the inverse. The impact report is checked against
separate evaluations of the shipped population under the shipped example
revision (standards/tsgipa-nev/2026-revision-example).
"""

from __future__ import annotations

import csv
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from dsl.checker import check
from dsl.formatter import format_text
from dsl.loader import load_ruleset, load_ruleset_from_text
from engine.cli import main
from engine.compiler import compile_rules
from engine.data import load_applicants
from engine.diff import ADDED, CHANGED, REMOVED, RuleDiff, diff_pair
from engine.diff_render import change_line, clause_key, foreword, foreword_line
from engine.evaluator import evaluate
from engine.impact import NO_CONCLUSION, evaluate_impact, grade_text, load_population
from engine.values import Missing

ROOT = Path(__file__).resolve().parents[1]
NEV = ROOT / "standards" / "tsgipa-nev"
DRAFT = NEV / "2025-draft"
REVISION = NEV / "2026-revision-example" / "enterprise.rules"
POPULATION = NEV / "populations" / "enterprises.csv"
DUAL_CREDIT = ROOT / "standards" / "dual-credit"

BASE = """standard demo "示例标准" {
  version "1"
}

input size "规模" § "1.1" : number [万元] range [0, inf)
input growth "增长率" § "1.2" : number [%] range [-100%, inf)
input sme "中小企业" § "1.3" : bool
input honours "荣誉" § "1.4" : count [项]
input service "服务类" § "1.5" : bool
input compliant "合规" § "1.6" : bool
input spare "备用" § "1.7" : text optional
input models "车型" § "1.8" : list of record {
  kind "类型" : enum(bev "纯电", phev "插混")
  range_km "续驶里程" : number [km] range [0, inf)
  volume "数量" : count
}

param per_honour "每项荣誉得分" § "2.1 表1" = 0.3
param factors "系数" § "2.2" = {
  small: 1
  large: 0.5
}

let honour_points "荣誉得分" § "2.1 公式（1）" = per_honour * honours * factors.small

bonus sme_bonus "中小企业加分" § "2.3" when sme multiply 115% cap points

table growth_band "增长评分规则" § "2.4 表8" {
  hit first
  | growth    | => points |
  | ≥ 15%     | 4         |
  | [5%, 15%) | 3         |
  | [0%, 5%)  | 2         |
  | -         | 0         |
}

veto compliance "合规" § "3.1" {
  require compliant
}

validate size_known "规模非负" § "3.2" {
  require size ≥ 0
}

group business "业务表现" § "4" {
  indicator honour_score "荣誉" § "4.1 表1" {
    points 5
    bonus sme_bonus
    score min(5, honour_points)
  }

  group growth_group "增长" § "4.2" {
    applies when not service § "4.2 注"

    indicator growth_score "增长" § "4.2 表8" {
      points 4
      score growth_band.points
    }
  }
}

derive models "车型积分" § "5" for m where m.kind = bev key kind {
  let standard_credit "标准积分" § "5.1" = min(2.3, 0.0034 * m.range_km + 0.2)

  result model_credit "车型积分" § "5.2" = round(standard_credit, 2)
}

result fleet_credit "积分合计" § "5.3" = \
    sum(for m in models where m.kind = bev: m.model_credit * m.volume)

total total_score "综合值" § "6" {
  points 9
}

grade grade "等级" § "7 表28" {
  vetoed "不予认定" § "7"
  | total_score | => grade   |
  | < 6         | "未达等级" |
  | [6, 8)      | "达标"     |
  | ≥ 8         | "优秀"     |
}
"""


def checked(text: str, path: str = "<string>"):
    rules = check(load_ruleset_from_text(text, path))
    assert not rules.errors, [str(d) for d in rules.errors]
    return rules


def diff_texts(old: str, new: str):
    return diff_pair("demo.rules", checked(old, "old.rules"), checked(new, "new.rules")).changes


def edit(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def summary(change):
    return (change.kind, change.name, change.aspect, change.action, change.part)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


# ---- no change ---------------------------------------------------------------------------

def test_a_rule_set_compared_with_itself_has_no_change():
    assert diff_texts(BASE, BASE) == ()
    for path in (DRAFT / "enterprise.rules", DRAFT / "project.rules", DRAFT / "carbon.rules", REVISION):
        rules = check(load_ruleset(path))
        assert diff_pair(path.name, rules, rules).changes == ()


def _with_comments(text: str) -> str:
    """A comment at the start of every block and after every declaration line."""
    out = []
    for line in text.splitlines():
        out.append(line)
        if line.rstrip().endswith("{"):
            out.append("# 新增的注释，不影响规则")
    return "# 文件头注释\n" + "\n".join(out) + "\n# 结尾注释\n"


def test_reformatting_and_comments_are_no_change():
    narrow = format_text(_with_comments(BASE), width=40)
    assert narrow != BASE and "# 新增的注释" in narrow
    assert diff_texts(BASE, narrow) == ()
    assert diff_texts(BASE, format_text(BASE, width=None)) == ()
    # numbers compare by value: 0.30 is 0.3, 15.0% is 15%
    assert diff_texts(BASE, edit(BASE, ("= 0.3", "= 0.30"), ("| ≥ 15%  ", "| ≥ 15.0%"))) == ()


def test_a_reformatted_commented_copy_of_the_shipped_standard_is_no_change(tmp_path, capsys):
    copy = tmp_path / "2025-draft"
    shutil.copytree(DRAFT, copy)
    for path in copy.glob("*.rules"):
        path.write_text(format_text(_with_comments(path.read_text(encoding="utf-8")), width=60), encoding="utf-8")
    code = main(["diff", str(DRAFT), str(copy), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["change_count"] == 0
    assert {f["path"] for f in document["files"]} == {p.name for p in DRAFT.glob("*.rules")}


# ---- every kind of change, named once --------------------------------------------------------

CASES = {
    "input added": ((("input spare ", 'input extra "额外" § "1.9" : bool\ninput spare '),),
                    {("input", "extra", "declaration", ADDED, None)}),
    "input removed": ((('input spare "备用" § "1.7" : text optional\n', ""),),
                      {("input", "spare", "declaration", REMOVED, None)}),
    "input unit": (((": number [万元]", ": number [元]"),), {("input", "size", "unit", CHANGED, None)}),
    "input type": (((": text optional", ": count optional"),), {("input", "spare", "type", CHANGED, None)}),
    "input range": ((("range [0, inf)\ninput growth", "range (0, inf)\ninput growth"),),
                    {("input", "size", "range", CHANGED, None)}),
    "input optional": (((": text optional", ": text"),), {("input", "spare", "optional", CHANGED, None)}),
    "input default": (((": text optional", ': text optional default "无"'),),
                      {("input", "spare", "default", ADDED, None)}),
    "record field added": ((("  volume \"数量\" : count\n",
                             "  volume \"数量\" : count\n  seats \"座位\" : count optional\n"),),
                           {("input", "models", "field", ADDED, "seats")}),
    "record field retyped": ((('range_km "续驶里程" : number [km]', 'range_km "续驶里程" : number [mi]'),),
                             {("input", "models", "unit", CHANGED, "range_km")}),
    "param value": ((("= 0.3", "= 0.4"),), {("param", "per_honour", "value", CHANGED, None)}),
    "map entry changed": ((("  small: 1\n", "  small: 2\n"),), {("param", "factors", "entry", CHANGED, "small")}),
    "map entry added": ((("  large: 0.5\n", "  large: 0.5\n  medium: 0.8\n"),),
                        {("param", "factors", "entry", ADDED, "medium")}),
    "map entry removed": ((("  large: 0.5\n", ""),), {("param", "factors", "entry", REMOVED, "large")}),
    "table row inserted": ((("  | ≥ 15%     | 4         |\n",
                             "  | ≥ 25%     | 4         |\n  | ≥ 15%     | 4         |\n"),),
                           {("table", "growth_band", "row", ADDED, None)}),
    "table row removed": ((("  | [0%, 5%)  | 2         |\n", ""),), {("table", "growth_band", "row", REMOVED, None)}),
    "table cell": ((("[5%, 15%)", "[6%, 15%)"),), {("table", "growth_band", "cell", CHANGED, "growth")}),
    "table output cell": ((("| [0%, 5%)  | 2 ", "| [0%, 5%)  | 1 "),),
                          {("table", "growth_band", "cell", CHANGED, "points")}),
    "indicator points": ((("    points 5\n", "    points 6\n"), ("  points 9\n", "  points 10\n")),
                         {("indicator", "honour_score", "points", CHANGED, None),
                          ("total", "total_score", "points", CHANGED, None)}),
    "score (cap)": ((("min(5, honour_points)", "min(4, honour_points)"),),
                    {("indicator", "honour_score", "score", CHANGED, None)}),
    "indicator bonus removed": ((("    bonus sme_bonus\n", ""),),
                                {("indicator", "honour_score", "bonus", REMOVED, "sme_bonus")}),
    "bonus factor": ((("multiply 115%", "multiply 110%"),), {("bonus", "sme_bonus", "factor", CHANGED, None)}),
    "bonus condition": ((("when sme multiply", "when sme and not service multiply"),),
                        {("bonus", "sme_bonus", "when", CHANGED, None)}),
    "group applicability": ((("applies when not service §", "applies when not service and compliant §"),),
                            {("group", "growth_group", "applies", CHANGED, None)}),
    "indicator applicability added": ((("    points 5\n", "    points 5\n    applies when not service\n"),),
                                      {("indicator", "honour_score", "applies", ADDED, None)}),
    "veto": ((("require compliant", "require compliant and size > 0"),),
             {("veto", "compliance", "require", CHANGED, None)}),
    "validation": ((("require size ≥ 0", "require size ≥ 1"),), {("validate", "size_known", "require", CHANGED, None)}),
    "grade boundary": ((("| [6, 8)      |", "| [6, 7)      |"), ("| ≥ 8         |", "| ≥ 7         |")),
                       {("grade", "grade", "cell", CHANGED, "total_score")}),
    "veto grade": ((('vetoed "不予认定"', 'vetoed "不通过"'),), {("grade", "grade", "vetoed", CHANGED, None)}),
    "clause renumbered": ((('§ "2.1 表1" = 0.3', '§ "2.1.1 表1" = 0.3'),),
                          {("param", "per_honour", "clause", CHANGED, None)}),
    "label reworded": ((('"每项荣誉得分"', '"每项荣誉加分"'),), {("param", "per_honour", "label", CHANGED, None)}),
    "formula": ((("per_honour * honours * factors.small", "per_honour * honours * factors.large"),),
                {("let", "honour_points", "formula", CHANGED, None)}),
    "let becomes result": ((('let honour_points', 'result honour_points'),),
                           {("result", "honour_points", "exported", CHANGED, None)}),
    "result with a new formula": ((('let honour_points', 'result honour_points'),
                                   ("honours * factors.small", "honours * factors.large")),
                                  {("result", "honour_points", "exported", CHANGED, None),
                                   ("result", "honour_points", "formula", CHANGED, None)}),
    "declaration kind": ((('param per_honour "每项荣誉得分" § "2.1 表1" = 0.3',
                           'let per_honour "每项荣誉得分" § "2.1 表1" = 0.3'),),
                         {("let", "per_honour", "kind", CHANGED, None)}),
    "indicator moved": ((("""    applies when not service § "4.2 注"

    indicator growth_score "增长" § "4.2 表8" {
      points 4
      score growth_band.points
    }
""", """    applies when not service § "4.2 注"
"""), ("""  group growth_group""", """  indicator growth_score "增长" § "4.2 表8" {
    points 4
    score growth_band.points
  }

  group growth_group""")),
                        {("indicator", "growth_score", "group", CHANGED, None)}),
    "indicator renamed": ((("    indicator growth_score", "    indicator growth_score_moved"),),
                        {("indicator", "growth_score", "declaration", REMOVED, None),
                         ("indicator", "growth_score_moved", "declaration", ADDED, None)}),
    "derive formula": ((("0.0034 * m.range_km", "0.0035 * m.range_km"),),
                       {("let", "models.standard_credit", "formula", CHANGED, None)}),
    "derive result added": ((("  result model_credit",
                              '  result self_use "仅限自用" § "5.4" = false\n  result model_credit'),),
                            {("result", "models.self_use", "declaration", ADDED, None)}),
    "derive where": ((("for m where m.kind = bev key", "for m where m.kind in (bev, phev) key"),),
                     {("derive", "models", "where", CHANGED, None)}),
    "header": ((('version "1"', 'version "2"'),), {("header", "standard", "header", CHANGED, "version")}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_kind_of_change_is_named_exactly_once(case):
    replacements, expected = CASES[case]
    changes = diff_texts(BASE, edit(BASE, *replacements))
    found = [summary(c) for c in changes]
    if case == "grade boundary":  # two cells of the grade table, each once
        assert sorted(c.rows for c in changes) == [(2, 2), (3, 3)]
        assert set(found) == expected and len(found) == 2
        return
    assert sorted(found, key=str) == sorted(expected, key=str), [change_line(c) for c in changes]


@pytest.mark.parametrize("case", list(CASES))
def test_the_diff_read_backwards_is_the_inverse(case):
    replacements, _ = CASES[case]
    new = edit(BASE, *replacements)
    forward, backward = diff_texts(BASE, new), diff_texts(new, BASE)
    assert len(forward) == len(backward)
    assert set(backward) == {c.inverted() for c in forward}


def test_a_table_cell_names_its_row_and_column_and_which_way_it_moved():
    (cell,) = diff_texts(BASE, edit(BASE, ("[5%, 15%)", "[6%, 15%)")))
    assert change_line(cell) == "row 2 of 表8 (growth_band): growth [5%, 15%) → [6%, 15%)"
    assert cell.direction == "up" and cell.rows == (2, 2)
    assert foreword_line(cell) == "——提高了增长评分规则第2行 growth：[5%, 15%) → [6%, 15%)（见 2.4 表8）"
    (row,) = diff_texts(BASE, edit(BASE, ("  | ≥ 15%     | 4         |\n",
                                          "  | ≥ 25%     | 4         |\n  | ≥ 15%     | 4         |\n")))
    assert (row.action, row.rows, row.new) == (ADDED, (None, 1), "growth ≥ 25%, points 4")


def test_added_and_removed_swap_with_old_and_new():
    new = edit(BASE, ("input spare ", 'input extra "额外" § "1.9" : bool\ninput spare '), ("= 0.3", "= 0.4"))
    forward = {c.name: c for c in diff_texts(BASE, new)}
    backward = {c.name: c for c in diff_texts(new, BASE)}
    assert (forward["extra"].action, forward["extra"].old, forward["extra"].new) == (ADDED, None, "bool")
    assert (backward["extra"].action, backward["extra"].old, backward["extra"].new) == (REMOVED, "bool", None)
    assert (forward["per_honour"].old, forward["per_honour"].new, forward["per_honour"].direction) == \
        ("0.3", "0.4", "up")
    assert (backward["per_honour"].old, backward["per_honour"].new, backward["per_honour"].direction) == \
        ("0.4", "0.3", "down")


def test_a_unitless_parameter_shows_the_unit_of_what_it_is_compared_with():
    with_param = edit(BASE, ("require size ≥ 0", "require size ≥ min_size"),
                      ("param per_honour ", 'param min_size "规模下限" § "3.2" = 0\nparam per_honour '))
    (change,) = diff_texts(with_param, edit(with_param, ('§ "3.2" = 0', '§ "3.2" = 10')))
    assert (change.unit, change_line(change)) == ("万元", "param min_size (规模下限) value: 0 万元 → 10 万元")


def test_numeric_changes_read_as_raised_or_lowered_in_the_foreword():
    lines = {c.name: foreword_line(c) for c in diff_texts(BASE, edit(BASE, ("= 0.3", "= 0.4"),
                                                                         ("multiply 115%", "multiply 110%")))}
    assert lines["per_honour"] == "——提高了每项荣誉得分：0.3 → 0.4（见 2.1 表1）"
    assert lines["sme_bonus"] == "——降低了中小企业加分倍数：115% → 110%（见 2.3）"
    (added,) = diff_texts(BASE, edit(BASE, ("input spare ", 'input extra "额外" § "1.9" : bool\ninput spare ')))
    assert foreword_line(added) == "——增加了输入数据“额外”：bool（见 1.9）"


def test_clauses_sort_naturally():
    clauses = ["5.2.1.1.10", "5.2.1.1.2 表2", "5.10", "5.2", None, "第十二条第一款", "第二条", "7.4.2 注1"]
    assert sorted(clauses, key=clause_key) == ["5.2", "5.2.1.1.2 表2", "5.2.1.1.10", "5.10", "7.4.2 注1",
                                               "第二条", "第十二条第一款", None]


# ---- the shipped example revision ----------------------------------------------------------

def _revision_diff():
    old, new = check(load_ruleset(DRAFT / "enterprise.rules")), check(load_ruleset(REVISION))
    return old, new, diff_pair("enterprise.rules", old, new)


def test_the_example_revision_lists_its_three_changes():
    _, _, file_diff = _revision_diff()
    rules = [c for c in file_diff.changes if c.kind != "header"]
    assert [change_line(c) for c in rules] == [
        "bonus sme_bonus (优质中小企业加分) factor: 115% → 110%",
        "row 1 of 表8 (growth_band): average_growth ≥ 15% → ≥ 12%",
        "row 2 of 表8 (growth_band): average_growth [5%, 15%) → [5%, 12%)",
        "param honor_extra_points (每多获得一项荣誉加分) entry district: 0.2 → 0.3",
    ]
    text = foreword(RuleDiff("old", "new", (file_diff,)))
    assert "——降低了优质中小企业加分倍数：115% → 110%（见 5.2.1.1.1）" in text
    assert "——提高了每多获得一项荣誉加分（district）：0.2 → 0.3（见 5.2.2.2.3 表11 加分规则）" in text
    assert text.index("5.2.1.1.1") < text.index("5.2.2.1.3 表8") < text.index("5.2.2.2.3")
    old, new, _ = _revision_diff()
    backward = diff_pair("enterprise.rules", new, old)
    assert set(backward.changes) == {c.inverted() for c in file_diff.changes}
    assert file_diff.inverted().inverted() == file_diff


# ---- impact on a population -----------------------------------------------------------------

@pytest.fixture(scope="module")
def revision_impact():
    old_rules, new_rules, _ = _revision_diff()
    old, new = compile_rules(old_rules), compile_rules(new_rules)
    impact = evaluate_impact("enterprise.rules", old, new, load_population([POPULATION], old, new))
    return old, new, impact


def test_the_population_is_varied_enough_to_show_transitions():
    with POPULATION.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) >= 20
    assert sum(r["quality_sme"] == "true" for r in rows) >= 3
    assert sum(r["green_service"] == "true" for r in rows) >= 2
    assert any(r["rd_expense"] == "" for r in rows)


def test_per_applicant_numbers_equal_two_separate_evaluations(revision_impact):
    old, new, impact = revision_impact
    for plan, side in ((old, "old"), (new, "new")):
        applicants = load_applicants(POPULATION, plan.symbols.inputs, [d.name for d in plan.symbols.indicators])
        assert len(applicants) == impact.size
        for applicant, found in zip(applicants, impact.applicants):
            outcome = evaluate(plan, applicant.values, trace=False)
            result = getattr(found, side)
            assert found.key == applicant.key
            assert result.total == outcome.results["total_score"]
            assert result.grade == outcome.results["grade"]
            for indicator in plan.symbols.indicators:
                assert result.values[indicator.name] == outcome.results[indicator.name]
    for applicant in impact.applicants:
        moved = {m.name for m in applicant.moved}
        assert moved == {n for n in applicant.old.values if applicant.old.values[n] != applicant.new.values[n]}


def test_the_transition_matrix_adds_up_to_the_population(revision_impact):
    _, _, impact = revision_impact
    matrix = impact.matrix()
    assert sum(matrix.values()) == impact.size
    for grade in impact.grades:
        assert sum(matrix[(grade, new)] for new in impact.grades) == \
            sum(grade_text(a.old) == grade for a in impact.applicants)
    assert impact.grades[:5] == ("不予认定", "未达等级", "浅绿", "中绿", "深绿")
    summary = impact.summary()
    assert summary["grade_up"] + summary["grade_down"] + summary["grade_same"] + summary["grade_undetermined"] \
        == impact.size
    assert summary["grade_up"] > 0 and summary["grade_down"] > 0


def test_the_revision_moves_who_it_should(revision_impact):
    _, _, impact = revision_impact
    by_name = {a.key: a for a in impact.applicants}
    growth = by_name["己整车控制器有限公司"]  # 13% growth: 表8 now gives 4
    assert (growth.old.grade, growth.new.grade, growth.delta) == ("中绿", "深绿", 1)
    assert [(m.name, m.old, m.new) for m in growth.moved] == [("growth_score", 3, 4)]
    sme = by_name["癸动力电池有限公司（优质中小企业）"]
    assert (sme.old.grade, sme.new.grade) == ("中绿", "浅绿") and sme.delta < 0
    district = by_name["辰线束科技有限公司"]
    assert [(m.name, m.delta) for m in district.moved] == [("honors_score", Fraction("0.3"))]
    missing = by_name["天元电池材料有限公司（资料不全）"]
    assert grade_text(missing.old) == grade_text(missing.new) == NO_CONCLUSION
    assert isinstance(missing.new.total, Missing) and missing.delta is None
    assert impact.largest_movers()[0].key == "申电池回收服务有限公司"


RESULTS_OLD = """
standard credits "积分" {
  version "1"
}

input volume "数量" § "1" : count
input ratio_year "年度" § "2" : count

param ratio "比例" § "3" = 10%

result required "达标值" § "4" = round(volume * ratio, 0)
result credit "积分" § "5" = 100 - required
"""


def test_result_sets_report_each_result_and_market_totals(tmp_path):
    new_text = edit(RESULTS_OLD, ("= 10%", "= 20%"), ('input ratio_year "年度" § "2" : count\n',
                                                     'input ratio_year "年度" § "2" : count\n'
                                                     'input bonus "奖励" § "2.1" : count optional default 0\n'),
                    ("= 100 - required", "= 100 - required + bonus"))
    old, new = compile_rules(checked(RESULTS_OLD)), compile_rules(checked(new_text))
    data = tmp_path / "market.csv"
    data.write_text("name,volume,ratio_year,bonus\nA,100,2024,5\nB,250,2024,0\nC,,2024,0\n", encoding="utf-8")
    impact = evaluate_impact("credits", old, new, load_population([data], old, new))
    assert impact.total is None and impact.grade is None and impact.matrix() == {}
    a, b, c = impact.applicants
    assert [(m.name, m.old, m.new) for m in a.results] == [("required", 10, 20), ("credit", 90, 85)]
    assert [(m.name, m.delta) for m in b.results] == [("required", 25), ("credit", -25)]
    assert c.results == ()  # no volume: no conclusion on either side
    totals = {t.name: t for t in impact.market_totals()}
    assert (totals["credit"].old, totals["credit"].new, totals["credit"].delta) == (165, 135, -30)
    assert (totals["required"].old_concluded, totals["required"].new_concluded) == (2, 2)


# ---- the command ------------------------------------------------------------------------------

def rulecheck(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_cli_text_md_and_json(capsys):
    code, out, _ = rulecheck(capsys, "diff", DRAFT / "enterprise.rules", REVISION)
    assert code == 0
    assert "row 1 of 表8 (growth_band): average_growth ≥ 15% → ≥ 12%" in out
    code, out, _ = rulecheck(capsys, "diff", DRAFT / "enterprise.rules", REVISION, "--format", "md")
    assert code == 0
    assert out.startswith("本文件与《绿色低碳产业认定行业技术规范 新能源汽车产品制造 — 企业评价》（2025-draft）相比")
    assert "——降低了运营效益水平评分规则第1行 average_growth：≥ 15% → ≥ 12%（见 5.2.2.1.3 表8）" in out
    code, out, _ = rulecheck(capsys, "diff", DRAFT / "enterprise.rules", REVISION, "--format", "json",
                             "--data", POPULATION)
    assert code == 0
    document = json.loads(out)
    assert document["impact"]["population"] == 25
    assert sum(map(sum, document["impact"]["transitions"]["matrix"])) == 25
    assert {c["aspect"] for c in document["files"][0]["changes"]} >= {"factor", "cell", "entry"}


def test_cli_impact_and_explain(capsys):
    code, out, _ = rulecheck(capsys, "diff", DRAFT / "enterprise.rules", REVISION, "--data", POPULATION.parent,
                             "--explain", "己整车控制器有限公司")
    assert code == 0
    assert "grade transitions" in out and "largest movers" in out
    assert "growth_score 3 → 4 (+1)" in out
    assert "✗ row 1: average_growth ≥ 15%" in out and "✓ row 1: average_growth ≥ 12%" in out


def test_cli_exit_codes(capsys, tmp_path):
    broken = tmp_path / "broken.rules"
    broken.write_text(edit(BASE, ("score min(5, honour_points)", "score min(5, honour_pionts)")), encoding="utf-8")
    good = tmp_path / "good.rules"
    good.write_text(BASE, encoding="utf-8")
    assert rulecheck(capsys, "diff", good, good)[0] == 0
    assert rulecheck(capsys, "diff", good, broken)[0] == 3
    assert rulecheck(capsys, "diff", broken, good)[0] == 3
    syntax = tmp_path / "syntax.rules"
    syntax.write_text("input x : \n", encoding="utf-8")
    assert rulecheck(capsys, "diff", syntax, good)[0] == 3
    code, _, err = rulecheck(capsys, "diff", good, tmp_path / "nowhere.rules")
    assert code == 2 and "no such file or folder" in err
    assert rulecheck(capsys, "diff", good, tmp_path)[0] == 2  # a file and a folder
    assert rulecheck(capsys, "diff", good, good, "--explain", "A")[0] == 2  # --explain needs --data
    assert rulecheck(capsys, "diff", good, good, "--data", tmp_path / "none.csv")[0] == 2
    code, _, err = rulecheck(capsys, "diff", DRAFT / "enterprise.rules", REVISION, "--data", POPULATION,
                             "--explain", "no such firm")
    assert code == 2 and "no applicant" in err


def test_folders_pair_files_by_relative_path(capsys, tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "demo.rules").write_text(BASE, encoding="utf-8")
    (new / "sub" / "demo.rules").write_text(edit(BASE, ("= 0.3", "= 0.4")), encoding="utf-8")
    (old / "gone.rules").write_text(BASE, encoding="utf-8")
    (old / "kept.rules").write_text(BASE, encoding="utf-8")
    (new / "kept.rules").write_text(BASE, encoding="utf-8")
    code, out, _ = rulecheck(capsys, "diff", old, new, "--format", "json")
    assert code == 0
    files = {f["path"]: f for f in json.loads(out)["files"]}
    assert [c["action"] for c in files["gone.rules"]["changes"]] == ["removed"]
    assert files["kept.rules"]["changes"] == []
    assert [c["text"] for c in files["sub/demo.rules"]["changes"]] == \
        ["param per_honour (每项荣誉得分) value: 0.3 → 0.4"]
    code, _, err = rulecheck(capsys, "diff", old, new, "--data", POPULATION)
    assert code == 2 and "pair 2 rule files" in err  # which pair would the data be for?


def test_inputs_only_one_version_knows_are_accepted_in_the_data(tmp_path):
    new_text = edit(BASE, ("input spare ", 'input extra "额外" § "1.9" : count optional default 0\ninput spare '))
    old, new = compile_rules(checked(BASE)), compile_rules(checked(new_text))
    data = tmp_path / "a.json"
    data.write_text(json.dumps({"name": "A", "size": 10, "growth": 12, "sme": True, "honours": 3, "service": False,
                                "compliant": True, "models": [], "extra": 2}), encoding="utf-8")
    ((old_applicant, new_applicant),) = load_population([data], old, new)
    assert "extra" not in old_applicant.values and new_applicant.values["extra"] == 2


@pytest.mark.skipif(not (DUAL_CREDIT / "2024-notice-378" / "dual-credit.rules").is_file(),
                    reason="the dual-credit rule sets are not there")
def test_the_dual_credit_notice_diffs_against_its_base(capsys):
    code, out, _ = rulecheck(capsys, "diff", DUAL_CREDIT / "2023-revision", DUAL_CREDIT / "2024-notice-378",
                             "--format", "json")
    assert code == 0
    changes = json.loads(out)["files"][0]["changes"]
    # the notice's changes: what it adds or replaces cites it
    assert any("378" in (c["clause"] or "") and c["action"] == "added" for c in changes)
    assert any("378" in (c["clause"] or "") and c["aspect"] == "formula" for c in changes)


def test_population_folder_includes_parquet_tables(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from engine.impact import data_files
    pq.write_table(pa.table({"name": ["a"]}), tmp_path / "applicants.parquet")
    (tmp_path / "notes.txt").write_text("not data", encoding="utf-8")
    assert [p.name for p in data_files(tmp_path)] == ["applicants.parquet"]
