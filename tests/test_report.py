"""`rulecheck report`: the evaluation tables of Appendix C (enterprises) and D (projects).

The HTML is parsed back with the standard library's html.parser and the tables
are compared with what the examples give by hand (the worked numbers are in
enterprise.rules and project.rules); for every applicant that is not
normalised, the 评价得分 cells of 表C.4/表D.4 must add up to the 总得分 row.
Markdown tables must keep one column count per table. Exit codes are the CLI's.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction as F
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ROOT / "standards" / "tsgipa-nev" / "2025-draft"
ENTERPRISE = DRAFT / "enterprise.rules"
PROJECT = DRAFT / "project.rules"
EXAMPLES = DRAFT / "examples"

# (rule set, data, total, grade, normalised)
APPLICANTS = [
    (ENTERPRISE, "carmaker.yaml", F("93.15"), "深绿", False),
    (ENTERPRISE, "battery-maker.json", F("71.1825"), "中绿", False),
    (ENTERPRISE, "green-service.csv", F(60), "浅绿", True),
    (PROJECT, "project-battery-line.yaml", F(89), "深绿", False),
    (PROJECT, "project-charging-service.json", F("72.5"), "中绿", True),
    (PROJECT, "project-at-80.csv", F(80), "深绿", False),
    (PROJECT, "project-outside-catalog.yaml", F(81), "不予认定", False),
    (PROJECT, "project-low-score.yaml", F(12), "浅绿", False),
]


class Tables(HTMLParser):
    """Every <table> of a page: its caption, header cells and body rows (cell texts)."""

    def __init__(self):
        super().__init__()
        self.tables, self.paragraphs, self.title = [], [], ""
        self._table, self._row, self._text = None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = {"caption": "", "header": [], "rows": [], "class": dict(attrs).get("class")}
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th", "caption", "title", "p"):
            self._text = []

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        text = "".join(self._text or ())
        if tag in ("td", "th") and self._row is not None:
            self._row.append(text)
        elif tag == "caption":
            self._table["caption"] = text
        elif tag == "title":
            self.title = text
        elif tag == "p":
            self.paragraphs.append(text)
        elif tag == "tr" and self._table is not None:
            if not self._table["header"] and self._table["class"] != "meta":  # the <thead> row
                self._table["header"] = self._row
            else:
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self.tables.append(self._table)
            self._table = None
        if tag in ("td", "th", "caption", "title", "p"):
            self._text = None


def rulecheck(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def html_tables(capsys, rules, data) -> Tables:
    code, out, _ = rulecheck(capsys, "report", rules, EXAMPLES / data, "--format", "html")
    assert code == 0
    parser = Tables()
    parser.feed(out)
    return parser


def by_caption(parser: Tables, prefix: str) -> dict:
    return next(t for t in parser.tables if t["caption"].startswith(prefix))


def number(text: str) -> F:
    """A score or total cell: `93.15`, `71.18 (exact 71.1825)`."""
    exact = re.search(r"exact ([0-9.]+)", text)
    return F(Decimal(exact.group(1) if exact else text))


# ---- HTML -----------------------------------------------------------------------------

@pytest.mark.parametrize("rules, data, total, grade, normalised", APPLICANTS)
def test_html_scores_add_up_to_the_total(capsys, rules, data, total, grade, normalised):
    parser = html_tables(capsys, rules, data)
    letter = "C" if rules == ENTERPRISE else "D"
    scores = by_caption(parser, f"表 {letter}.4 综合评价")
    header = scores["header"]
    score_column = header.index("评价得分（分）")
    points_column = header.index("分值（分）")
    *rows, total_row = scores["rows"]
    assert total_row[0] == "总得分"
    assert number(total_row[score_column]) == total
    assert total_row[points_column] == "100"
    assert sum(F(r[points_column]) for r in rows) == 100
    if not normalised:
        assert sum(number(r[score_column]) for r in rows) == total
    assert f"认定评价等级：{grade}" in parser.paragraphs[0]


def test_html_is_one_standalone_page(capsys):
    code, out, _ = rulecheck(capsys, "report", ENTERPRISE, EXAMPLES / "carmaker.yaml", "--format", "html")
    assert code == 0
    assert out.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in out and '<meta charset="utf-8">' in out
    assert "<style>" in out and "Noto Sans CJK SC" in out
    for external in ("<link", "<script", "src=", "url(", "@import", "http://", "https://"):
        assert external not in out


def test_enterprise_c4_follows_the_group_nesting(capsys):
    """An indicator two groups deep is a 三级 row; one directly in a 一级 group a 二级 row."""
    scores = by_caption(html_tables(capsys, ENTERPRISE, "carmaker.yaml"), "表 C.4")
    assert scores["header"] == ["一级指标", "二级指标", "三级指标", "分值（分）", "评价得分（分）", "条款", "说明"]
    rows = [r[:5] for r in scores["rows"]]
    assert rows[0] == ["技术表现", "先进性", "有效知识产权", "6", "6"]
    assert rows[1] == ["", "", "制修订标准", "4", "1.15"]
    assert rows[3] == ["", "环境效益", "", "20", "18"]
    assert rows[4] == ["业务表现", "发展能力", "团队技术实力", "8", "8"]
    assert rows[10] == ["环境表现", "温室气体排放水平", "", "4", "4"]
    assert rows[14] == ["社会表现", "内部行动", "", "6", "6"]
    assert len(rows) == 17  # 16 indicators and 总得分
    assert scores["rows"][2][6] == "关键技术处于行业领先水平，具有显著技术引领作用"


def test_project_d4_has_no_third_level_and_the_bands_wording(capsys):
    parser = html_tables(capsys, PROJECT, "project-battery-line.yaml")
    scores = by_caption(parser, "表 D.4 综合评价")
    assert scores["header"] == ["一级指标", "二级指标", "分值（分）", "评价得分（分）", "条款", "说明"]
    assert [r[:4] for r in scores["rows"]] == [
        ["技术表现", "有效知识产权", "15", "14"],
        ["", "关键技术先进性", "25", "23"],
        ["", "环境效益", "20", "18"],
        ["环境表现", "绿色低碳运营", "20", "17"],
        ["", "工艺设备材料", "10", "9"],
        ["", "污染物排放水平", "10", "8"],
        ["总得分", "", "100", "89.00"],
    ]
    assert scores["rows"][3][4:] == ["6.2.2.1 表21", "绿色低碳运营水平较高，达到业内领先水平"]
    compliance = by_caption(parser, "表 D.3 符合性评价")
    assert compliance["header"] == ["序号", "指标", "符合性评价内容", "评价结果", "说明"]
    assert [r[:4] for r in compliance["rows"]] == [["1", "目录符合", "目录符合（§ 6.1.1）", "是"],
                                                 ["2", "技术符合", "技术符合（§ 5.1.2, 6.1.2）", "是"]]
    assert any("表 D.5 关键技术先进性指标评分：未提供附录A" in p for p in parser.paragraphs)


def test_failed_veto_is_no_with_its_reason(capsys):
    compliance = by_caption(html_tables(capsys, PROJECT, "project-outside-catalog.yaml"), "表 D.3")
    assert compliance["rows"][0][3] == "否"
    assert "一票否决" in compliance["rows"][0][4]
    assert compliance["rows"][1][3] == "是"


def test_green_service_rows_say_why_and_the_arithmetic_is_shown(capsys):
    """7.4.2 注1: 11.5 + 17 + 15 = 43.5 of 60 points; S = 43.5 / 60 × 100 = 72.5."""
    parser = html_tables(capsys, PROJECT, "project-charging-service.json")
    scores = by_caption(parser, "表 D.4")
    environment = scores["rows"][3:6]
    assert [r[3] for r in environment] == ["不参评"] * 3
    assert all("§ 7.4.2 注1" in r[5] for r in environment)
    assert any("S = 43.5 / 60 × 100 = 72.50" in p for p in parser.paragraphs)
    compliance = by_caption(parser, "表 D.3")
    assert compliance["rows"][1][3] == "不参评"


def test_enterprise_green_service_normalisation_arithmetic(capsys):
    """enterprise.rules' worked example: 51.6 of 86 points → 60."""
    parser = html_tables(capsys, ENTERPRISE, "green-service.csv")
    assert any("S = 51.6 / 86 × 100 = 60.00" in p for p in parser.paragraphs)


def test_missing_data_is_listed_and_rows_say_no_conclusion(capsys):
    code, out, _ = rulecheck(capsys, "report", ENTERPRISE, EXAMPLES / "missing-data.yaml", "--format", "html")
    assert code == 0
    parser = Tables()
    parser.feed(out)
    scores = by_caption(parser, "表 C.4")
    rd = next(r for r in scores["rows"] if r[2] == "研发投入")
    assert rd[4] == "无法给出结论" and "rd_expense" in rd[6]
    assert scores["rows"][-1][4] == "无法给出结论"
    assert '<ul class="missing"><li>rd_expense（' in out


def test_key_tech_table_from_a_result_and_escaping(capsys, tmp_path):
    rules = tmp_path / "kt.rules"
    rules.write_text(KEY_TECH_RULES, encoding="utf-8")
    data = tmp_path / "kt.yaml"
    data.write_text(KEY_TECH_DATA, encoding="utf-8")
    code, out, _ = rulecheck(capsys, "report", rules, data, "--format", "html")
    assert code == 0
    assert "<script>" not in out and "&lt;script&gt;" in out
    parser = Tables()
    parser.feed(out)
    assert parser.title.startswith("A&B <script>")
    key_tech = by_caption(parser, "表 D.5 关键技术先进性指标评分")
    assert key_tech["header"] == ["所属行业", "评价环节", "评价对象", "核心评价指标", "参考标准",
                                  "标准参考值/要求", "自评值/要求", "是否满足"]
    assert key_tech["rows"] == [
        ["新能源汽车", "生产", "动力电池", "能量密度", "GB/T 1", "≥ 160 Wh/kg", "180 Wh/kg", "是"],
        ["新能源汽车", "生产", "电机", "效率", "GB/T 2", "≥ 90%", "88%", "否"],
    ]
    scores = by_caption(parser, "表 D.4")
    assert scores["rows"][0][:4] == ["技术表现", "甲 | <b>乙</b>", "10", "7"]
    code, out, _ = rulecheck(capsys, "report", rules, data)
    assert code == 0
    assert "甲 \\| \\<b\\>乙\\</b\\>" in out


KEY_TECH_RULES = """\
standard kt "关键技术测试" {
  report "D"
}
input products "附录A产品" § "A" : list of record {
  industry "所属行业" : text
  stage "评价环节" : text
  object "评价对象" : text
  core_indicator "核心评价指标" : text
  reference_standard "参考标准" : text
  reference_value "标准参考值/要求" : text
  self_assessed "自评值/要求" : text
  satisfied "是否满足" : bool
}
result key_tech_requirements "关键技术先进性指标" § "A" = products
input s "评分" § "1" : number [分] range [0, 10]
group g "技术表现" § "1" {
  indicator a "甲 | <b>乙</b>" § "1" {
    points 10
    score s
  }
}
total total_score "综合值" § "2" {
  points 10
}
"""

KEY_TECH_DATA = """\
name: "A&B <script>alert(1)</script> | x"
s: 7
products:
  - {industry: 新能源汽车, stage: 生产, object: 动力电池, core_indicator: 能量密度, reference_standard: "GB/T 1",
     reference_value: "≥ 160 Wh/kg", self_assessed: "180 Wh/kg", satisfied: true}
  - {industry: 新能源汽车, stage: 生产, object: 电机, core_indicator: 效率, reference_standard: "GB/T 2",
     reference_value: "≥ 90%", self_assessed: "88%", satisfied: false}
"""


# ---- Markdown ---------------------------------------------------------------------------

def md_cells(line: str) -> list[str]:
    """The cells of a Markdown table row, splitting on unescaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


@pytest.mark.parametrize("rules, data, total, grade, normalised", APPLICANTS)
def test_markdown_tables_have_consistent_columns(capsys, rules, data, total, grade, normalised):
    code, out, _ = rulecheck(capsys, "report", rules, EXAMPLES / data)
    assert code == 0
    tables, current = [], None
    for line in out.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            current.append(len(md_cells(line)))
        else:
            current = None
    # header block, 符合性评价, 综合评价, and 关键技术 when the data lists Appendix A products
    assert len(tables) == (4 if data == "carmaker.yaml" else 3)
    for counts in tables:
        assert len(set(counts)) == 1, counts
    assert f"**认定评价等级：{grade}**" in out
    score_rows = [md_cells(line) for line in out.splitlines() if line.startswith("| 总得分")]
    assert number(score_rows[0][-3]) == total  # 评价得分, then 条款 and 说明


# ---- the command -----------------------------------------------------------------------

def test_output_option_writes_the_file(capsys, tmp_path):
    target = tmp_path / "report.html"
    code, out, _ = rulecheck(capsys, "report", PROJECT, EXAMPLES / "project-at-80.csv",
                             "--format", "html", "-o", target)
    assert code == 0 and out == ""
    text = target.read_text(encoding="utf-8")
    assert "综合值 S = 80.00" in text and "深绿" in text
    md = tmp_path / "report.md"
    assert rulecheck(capsys, "report", PROJECT, EXAMPLES / "project-at-80.csv", "-o", md)[0] == 0
    assert md.read_text(encoding="utf-8").startswith("# 示例电驱动系统项目")


def test_bad_data_gives_the_data_exit_code(capsys, tmp_path):
    data = tmp_path / "bad.yaml"
    data.write_text("name: x\ngreen_service: false\ncatalog_compliance: true\ntechnical_compliance: true\n"
                    "ip_expert_score: 16\nkey_tech_expert_score: 5\nenv_benefit_expert_score: 5\n"
                    "green_ops_expert_score: 5\nprocess_expert_score: 5\npolutant_expert_score: 5\n",
                    encoding="utf-8")
    code, out, err = rulecheck(capsys, "report", PROJECT, data, "--format", "html")
    assert code == 4
    assert out == ""
    assert "ip_expert_score" in err and "did you mean" in err


@pytest.mark.parametrize("args, code", [
    (("report", PROJECT, "no-such.yaml"), 2),
    (("report", PROJECT, EXAMPLES / "project-at-80.csv", "--format", "pdf"), 2),
    (("report", PROJECT, EXAMPLES / "project-at-80.csv", "-o", "/no/such/folder/r.md"), 2),
])
def test_usage_errors(capsys, args, code):
    try:
        result = rulecheck(capsys, *args)[0]
    except SystemExit as exc:  # argparse refuses a bad choice itself
        result = exc.code
    assert result == code


def test_a_rule_set_without_a_report_layout_is_refused(capsys, tmp_path):
    rules = tmp_path / "plain.rules"
    rules.write_text(KEY_TECH_RULES.replace('  report "D"\n', ""), encoding="utf-8")
    data = tmp_path / "kt.yaml"
    data.write_text(KEY_TECH_DATA, encoding="utf-8")
    code, _, err = rulecheck(capsys, "report", rules, data)
    assert code == 2
    assert 'report "C"' in err
