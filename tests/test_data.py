"""Applicant data files: every format gives the same exact values, and bad data
is reported completely, located, and in the user's terms (engine/data.py)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import ast
from dsl.loader import load_ruleset
from dsl.parser import parse
from dsl.symbols import build_symbols
from engine.data import Applicant, load_applicants, validate
from engine.errors import DataError

RULES = """
input patents "发明专利" : count [项]
input share "绿色业务占比" : number [%] range [0%, 100%]
input expert "专家评分" : number [分] range [0, 10]
input revenue "主营业务收入" : list of number [万元] length 1..4
input sme "优质中小企业" : bool
input pollutant "污染物排放水平" : enum(better "优于限值", compliant "达标排放", none "未满足")
input note "备注" : text
input skipped "不适用指标" : list of indicator optional default []
input intensity "碳排放强度" : list of number range (0, inf) optional default []
input amount "金额" : number [万元] range [-5, inf)
input standards "制修订标准" : list of record {
  level "标准类别" : enum(international "国际标准", national "国家标准")
  kind "形式" : enum(new "制定", revision "修订")
}
"""

INPUTS = {d.name: d for d in ast.declarations(parse(RULES).items) if isinstance(d, ast.Input)}
INDICATORS = {"ip_score", "rd_score"}

ENTERPRISE = Path(__file__).resolve().parents[1] / "standards/tsgipa-nev/2025-draft/enterprise.rules"

# One applicant, written with a mix of identifiers and labels.
RECORD = {
    "name": "示例企业",
    "patents": 3,
    "绿色业务占比": 4.5,  # json.dumps writes these floats as the decimals they equal
    "expert": 7.5,
    "revenue": [100.5, 120, 130],
    "sme": True,
    "pollutant": "达标排放",
    "note": "好",
    "skipped": ["ip_score"],
    "amount": -1.25,
    "制修订标准": [{"level": "national", "形式": "修订"}],
}
EXPECTED = {
    "patents": Fraction(3),
    "share": Fraction(9, 200),
    "expert": Fraction(15, 2),
    "revenue": (Fraction(201, 2), Fraction(120), Fraction(130)),
    "sme": True,
    "pollutant": "compliant",
    "note": "好",
    "skipped": ("ip_score",),
    "amount": Fraction(-5, 4),
    "standards": ({"level": "national", "kind": "revision"},),
}
# The same applicant as table cells (CSV text).
CELLS = {
    "name": "示例企业",
    "patents": "3",
    "绿色业务占比": "4.5",
    "expert": "7.5",
    "revenue": "100.5; 120; 130",
    "sme": "是",
    "pollutant": "达标排放",
    "note": "好",
    "skipped": "ip_score",
    "amount": "-1.25",
    "制修订标准": '[{"level": "national", "形式": "修订"}]',
}


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    header = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(k, "") for k in header])
    return path


def write_xlsx(path: Path, rows: list[dict], formats: dict[str, str] | None = None) -> Path:
    header = list(dict.fromkeys(k for row in rows for k in row))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(k) for k in header])
    for column, number_format in (formats or {}).items():
        col = header.index(column) + 1
        for r in range(2, len(rows) + 2):
            sheet.cell(r, col).number_format = number_format
    workbook.save(path)
    return path


def load(path, inputs=INPUTS):
    return load_applicants(path, inputs, INDICATORS)


def problems_of(path, inputs=INPUTS):
    with pytest.raises(DataError) as info:
        load(path, inputs)
    return info.value.problems


def check(raw, row=None, inputs=INPUTS):
    return validate(raw, inputs, INDICATORS, "test", row)


# ---- every format gives the same applicant -----------------------------------

YAML_TEXT = """\
name: 示例企业
patents: 3
绿色业务占比: 4.5
expert: 7.5
revenue: [100.5, 120, 130]
sme: true
pollutant: 达标排放
note: 好
skipped: [ip_score]
amount: -1.25
制修订标准:
  - level: national
    形式: 修订
"""


def test_every_format_loads_the_same_applicant(tmp_path):
    xlsx_row = dict(CELLS, patents=3, 绿色业务占比=4.5, expert=7.5, sme=True, amount=-1.25)
    files = [
        write_json(tmp_path / "a.json", RECORD),
        write_yaml(tmp_path / "a.yaml", YAML_TEXT),
        write_csv(tmp_path / "a.csv", [CELLS]),
        write_xlsx(tmp_path / "a.xlsx", [xlsx_row]),
    ]
    for path in files:
        [applicant] = load(path)
        assert applicant.values == EXPECTED, path.suffix
        assert all(type(applicant.values[k]) is Fraction for k in ("patents", "share", "expert", "amount"))
        assert all(type(x) is Fraction for x in applicant.values["revenue"])
        assert applicant.key == "示例企业"
        assert applicant.source == str(path)
    assert [load(p)[0].row for p in files] == [None, None, 2, 2]


def test_json_shapes_single_list_and_wrapped(tmp_path):
    one = {"name": "A", "patents": 1}
    two = {"id": 17, "patents": 2}
    single = load(write_json(tmp_path / "one.json", one))
    listed = load(write_json(tmp_path / "list.json", [one, two]))
    wrapped = load(write_json(tmp_path / "wrapped.json", {"applicants": [one, two]}))
    assert single == [Applicant({"patents": Fraction(1)}, str(tmp_path / "one.json"), None, "A")]
    assert [(a.row, a.key, a.values) for a in listed] == [(1, "A", {"patents": 1}), (2, "17", {"patents": 2})]
    assert [a.values for a in wrapped] == [a.values for a in listed]
    yaml_list = write_yaml(tmp_path / "a.yml", "- name: A\n  patents: 1\n- 名称: B\n  patents: 2\n")
    assert [(a.row, a.key, a.values) for a in load(yaml_list)] == [(1, "A", {"patents": 1}), (2, "B", {"patents": 2})]


def test_wrapped_list_locations_include_the_list_path(tmp_path):
    path = write_json(tmp_path / "w.json", {"applicants": [{"patents": 1}, {"patents": -1}]})
    [problem] = problems_of(path)
    assert problem.location == "applicants[1].patents"


def test_csv_rows_are_spreadsheet_rows_and_blank_rows_are_skipped(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,patents\nA,1\n,\nB,2\n", encoding="utf-8")
    assert [(a.row, a.key) for a in load(path)] == [(2, "A"), (4, "B")]


def test_enterprise_rule_set_inputs(tmp_path):
    ruleset = load_ruleset(ENTERPRISE)
    symbols = build_symbols(ruleset.files)
    indicators = [i.name for i in symbols.indicators]
    path = write_yaml(tmp_path / "e.yaml", """\
名称: 整车厂
green_service: false
新能源汽车产品制造领域绿色业务占比: 62.5
invention_patents: 12
key_tech_expert_score: 8.5
process_level: 涉及且部分积极开展技术改造
standards:
  - {标准类别: 国家标准, kind: new, role: lead}
main_revenue_by_year: [52000, 61000.5]
not_applicable: [ghg_score]
""")
    [applicant] = load_applicants(path, symbols.inputs, indicators)
    assert applicant.key == "整车厂"
    assert applicant.values == {
        "green_service": False,
        "green_business_share": Fraction(5, 8),
        "invention_patents": 12,
        "key_tech_expert_score": Fraction(17, 2),
        "process_level": "partial",
        "standards": ({"level": "national", "kind": "new", "role": "lead"},),
        "main_revenue_by_year": (Fraction(52000), Fraction(122001, 2)),
        "not_applicable": ("ghg_score",),
    }


def test_out_of_range_expert_score_in_enterprise_rules(tmp_path):
    symbols = build_symbols(load_ruleset(ENTERPRISE).files)
    path = write_json(tmp_path / "e.json", {"关键技术先进性专家评分": 10.5})
    [problem] = problems_of(path, symbols.inputs)
    assert problem.message == "key_tech_expert_score = 10.5 is outside [0, 10]"
    assert problem.location == "关键技术先进性专家评分"
    assert problem.code == "out_of_range"


# ---- exact numbers ---------------------------------------------------------------

def test_decimals_are_exact_in_every_format(tmp_path):
    (tmp_path / "a.json").write_text('{"expert": 0.1, "amount": 0.30000000000000000000001}', encoding="utf-8")
    write_yaml(tmp_path / "a.yaml", "expert: 0.1\namount: 0.30000000000000000000001\n")
    write_csv(tmp_path / "a.csv", [{"expert": "0.1", "amount": "0.30000000000000000000001"}])
    for name in ("a.json", "a.yaml", "a.csv"):
        values = load(tmp_path / name)[0].values
        assert values == {"expert": Fraction(1, 10), "amount": Fraction(3, 10) + Fraction(1, 10**23)}, name


def test_xlsx_float_is_taken_as_displayed(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [{"expert": 0.1, "amount": 1234.5678}, {"amount": 1e-7}])
    assert [a.values for a in load(path)] == [
        {"expert": Fraction(1, 10), "amount": Fraction(12345678, 10000)},
        {"amount": Fraction(1, 10**7)},
    ]


def test_special_floats_are_problems_not_floats(tmp_path):
    path = write_yaml(tmp_path / "a.yaml", "expert: .inf\n")
    [problem] = problems_of(path)
    assert problem.location == "expert"
    assert "expected a number" in problem.message
    assert load(write_yaml(tmp_path / "b.yaml", "amount: 1_000.5\n"))[0].values == {"amount": Fraction(2001, 2)}
    (tmp_path / "a.json").write_text('{"expert": NaN}', encoding="utf-8")
    [problem] = problems_of(tmp_path / "a.json")
    assert problem.message == "expert: expected a number, got NaN"


decimal_texts = st.decimals(min_value=-10**12, max_value=10**12, allow_nan=False, allow_infinity=False).map(str)


@settings(max_examples=60, deadline=None)
@given(text=decimal_texts)
def test_any_decimal_round_trips_through_csv_json_and_yaml(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("rt")
    expected = Fraction(Decimal(text))
    (folder / "a.json").write_text(f'{{"amount": {text}}}', encoding="utf-8")
    (folder / "a.csv").write_text(f"amount\n{text}\n", encoding="utf-8")
    (folder / "a.yaml").write_text(f"amount: {text}\n", encoding="utf-8")
    for name in ("a.json", "a.csv", "a.yaml"):
        assert load_applicants(folder / name, {"amount": _plain_number()}, ())[0].values == {"amount": expected}


@settings(max_examples=200)
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_xlsx_floats_convert_through_their_shortest_repr(value):
    values, problems = validate({"amount": value}, {"amount": _plain_number()}, (), "t.xlsx", 2)
    assert problems == []
    assert values["amount"] == Fraction(Decimal(repr(value)))
    assert float(values["amount"]) == value


def _plain_number() -> ast.Input:
    return ast.Input("amount", None, None, ast.NumberType(integer=False, unit=None))


# ---- percentages -------------------------------------------------------------------

@pytest.mark.parametrize("raw", [Decimal("4.5"), "4.5", "4.5%", " 4.5 % ", "4.5％"])
def test_percent_forms_mean_the_same(raw):
    assert check({"share": raw}) == ({"share": Fraction(9, 200)}, [])


def test_percent_is_never_reinterpreted():
    assert check({"share": Decimal("0.045")})[0] == {"share": Fraction(45, 100000)}
    assert check({"share": "0.045"}, row=2)[0] == {"share": Fraction(45, 100000)}


@settings(max_examples=100)
@given(number=st.decimals(min_value=0, max_value=100, allow_nan=False, places=4))
def test_percent_with_or_without_sign(number):
    expected = Fraction(number) / 100
    assert check({"share": number})[0] == {"share": expected}
    assert check({"share": f"{number}%"}, row=2)[0] == {"share": expected}


def test_percent_formatted_xlsx_cell_means_what_it_shows(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [{"share": 0.045, "expert": 5}], {"share": "0.0%"})
    assert load(path)[0].values == {"share": Fraction(9, 200), "expert": 5}


def test_percent_sign_on_a_non_percent_input_is_a_problem():
    _, [problem] = check({"amount": "5%"})
    assert problem.message == 'amount: "5%" is a percentage, but amount is in [万元]'


def test_percent_range_is_checked_on_the_ratio():
    _, [problem] = check({"share": 150})
    assert problem.message == "share = 150% is outside [0%, 100%]"
    assert check({"share": 100})[1] == []


# ---- keys, labels, enums ---------------------------------------------------------------

def test_labels_as_keys_for_inputs_and_record_fields():
    values, problems = check({"发明专利": 2, "制修订标准": [{"标准类别": "国际标准", "kind": "制定"}]})
    assert problems == []
    assert values == {"patents": 2, "standards": ({"level": "international", "kind": "new"},)}


def test_enum_by_name_or_label():
    assert check({"pollutant": "better"})[0] == {"pollutant": "better"}
    assert check({"pollutant": "优于限值"})[0] == {"pollutant": "better"}
    _, [problem] = check({"pollutant": "compliantt"})
    assert problem.code == "unknown_value"
    assert problem.message.startswith("pollutant: expected one of better, compliant, none")
    assert problem.hint == "did you mean `compliant`?"


def test_unknown_key_suggests_the_closest_identifier_or_label():
    _, [problem] = check({"patent": 1})
    assert (problem.location, problem.code) == ("patent", "unknown_key")
    assert problem.hint == "did you mean `patents` (发明专利)?"
    _, [problem] = check({"发明专": 1})
    assert problem.hint == "did you mean `patents` (发明专利)?"
    _, [problem] = check({"zzz": 1})
    assert problem.hint is None


def test_identification_keys_are_not_unknown():
    for key in ("name", "id", "applicant", "名称", "Name"):
        assert check({key: "x", "patents": 1}) == ({"patents": 1}, [])


def test_unknown_record_field_and_unknown_indicator():
    _, problems = check({"standards": [{"levl": "national"}], "skipped": ["ip_scor"]})
    assert [(p.location, p.hint) for p in problems] == [
        ("standards[0].levl", "did you mean `level` (标准类别)?"),
        ("skipped[0]", "did you mean `ip_score`?"),
    ]


def test_input_given_by_identifier_and_label_is_a_problem():
    _, [problem] = check({"patents": 1, "发明专利": 1})
    assert problem.code == "duplicate_key"


def test_duplicate_json_key_is_reported(tmp_path):
    (tmp_path / "a.json").write_text('{"patents": 1, "patents": 2}', encoding="utf-8")
    [problem] = problems_of(tmp_path / "a.json")
    assert (problem.location, problem.code) == ("patents", "duplicate_key")


def test_unknown_csv_column_is_reported_once_at_the_header(tmp_path):
    path = write_csv(tmp_path / "a.csv", [{"patents": "1", "bogus": "x"}, {"patents": "2", "bogus": "y"}])
    [problem] = problems_of(path)
    assert (problem.location, problem.code) == ("row 1, column bogus", "unknown_key")


# ---- types ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, shown", [("many", '"many"'), (Decimal("2.5"), "2.5"), (-1, "-1"), (True, "true")])
def test_count_must_be_a_whole_number(raw, shown):
    _, [problem] = check({"patents": raw})
    assert problem.message == f"patents: expected a whole number ≥ 0, got {shown}"
    assert problem.code == "wrong_type"


def test_whole_valued_decimal_is_a_count():
    assert check({"patents": Decimal("3.0")})[0] == {"patents": 3}
    assert check({"patents": "3.0"}, row=2)[0] == {"patents": 3}


@pytest.mark.parametrize("raw, expected", [("true", True), ("FALSE", False), ("Yes", True), ("no", False),
                                           ("是", True), ("否", False), ("1", True), ("0", False)])
def test_bool_words_in_cells(raw, expected):
    assert check({"sme": raw}, row=2)[0] == {"sme": expected}


def test_bool_numbers_only_in_spreadsheet_cells(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [{"sme": 1}, {"sme": 0}, {"sme": False}])
    assert [a.values for a in load(path)] == [{"sme": True}, {"sme": False}, {"sme": False}]
    _, [problem] = check({"sme": 1})  # JSON: a number is not a boolean
    assert problem.message == "sme: expected true or false (also yes/no, 是/否), got 1"


def test_wrong_types_name_the_input_and_the_expectation():
    _, problems = check({"sme": "maybe", "note": 5, "revenue": "100", "standards": "x", "expert": [1]})
    assert [p.message for p in problems] == [
        'sme: expected true or false (also yes/no, 是/否), got "maybe"',
        "note: expected text, got 5",
        'revenue: expected a list, got "100"',
        'standards: expected a list, got "x"',
        "expert: expected a number, got a list",
    ]


def test_thousands_separator_gets_a_hint():
    _, [problem] = check({"amount": "1,000"}, row=2)
    assert problem.hint == "write numbers without thousands separators"


# ---- lists and ranges ------------------------------------------------------------------

def test_list_length():
    _, [problem] = check({"revenue": [1, 2, 3, 4, 5]})
    assert problem.message == "revenue has 5 elements; its length must be 1..4"
    assert problem.code == "wrong_length"
    _, [problem] = check({"revenue": []})
    assert problem.message == "revenue has 0 elements; its length must be 1..4"


def test_range_applies_to_each_list_element_and_bounds_are_exact():
    _, [problem] = check({"intensity": [Decimal("1.5"), 0]})
    assert (problem.location, problem.message) == ("intensity[1]", "intensity[1] = 0 is outside (0, inf)")
    assert check({"amount": -5})[1] == []
    _, [problem] = check({"amount": Decimal("-5.01")})
    assert problem.message == "amount = -5.01 is outside [-5, inf)"


@pytest.mark.parametrize("cell", ["1; 2; 3", "1;2;3;", "1, 2, 3", "1；2；3", "[1, 2, 3]"])
def test_list_cells(cell):
    assert check({"revenue": cell}, row=2) == ({"revenue": (1, 2, 3)}, [])


def test_list_cell_problems_are_located_at_the_cell():
    _, problems = check({"revenue": "1;;x", "standards": "national"}, row=4)
    assert [(p.location, p.message) for p in problems] == [
        ("row 4, column revenue", "revenue[1]: a list element is empty"),
        ("row 4, column revenue", 'revenue[2]: expected a number, got "x"'),
        ("row 4, column standards", 'standards: expected a list of records written as JSON text, '
                                    'such as [{"field": value}, ...], got "national"'),
    ]


def test_bad_json_in_a_cell():
    _, [problem] = check({"standards": '[{"level": }]'}, row=3)
    assert problem.location == "row 3, column standards"
    assert problem.message.startswith("standards: the cell's list is not valid JSON (line 1, column 12")


# ---- absent is not zero --------------------------------------------------------------------

def test_missing_values_are_absent_not_zero(tmp_path):
    write_csv(tmp_path / "a.csv", [{"patents": "", "expert": "  ", "sme": "no"}])
    assert load(tmp_path / "a.csv")[0].values == {"sme": False}
    assert check({"patents": None, "standards": [{"level": "national"}]})[0] == {
        "standards": ({"level": "national"},)}  # no kind: left absent for the evaluator
    write_yaml(tmp_path / "a.yaml", "patents:\nsme: false\n")
    assert load(tmp_path / "a.yaml")[0].values == {"sme": False}


def test_no_defaults_are_applied():
    assert check({}) == ({}, [])  # `skipped` has `default []`: not filled in here


def test_empty_json_string_is_not_absent():
    _, [problem] = check({"patents": ""})
    assert problem.message == 'patents: expected a whole number ≥ 0, got ""'


# ---- every problem at once ---------------------------------------------------------------

def test_all_problems_of_all_rows_are_reported(tmp_path):
    path = write_csv(tmp_path / "a.csv", [
        {"name": "A", "patents": "many", "expert": "10.5", "bogus": "1", "sme": "yes"},
        {"name": "B", "patents": "2", "expert": "3", "sme": "maybe"},
        {"name": "C", "patents": "-1", "expert": "11", "sme": "no"},
    ])
    problems = problems_of(path)
    assert [(p.location, p.code) for p in problems] == [
        ("row 1, column bogus", "unknown_key"),
        ("row 2, column patents", "wrong_type"),
        ("row 2, column expert", "out_of_range"),
        ("row 3, column sme", "wrong_type"),
        ("row 4, column patents", "wrong_type"),
        ("row 4, column expert", "out_of_range"),
    ]
    assert problems[2].message == "expert = 10.5 is outside [0, 10]"
    assert all(p.source == str(path) for p in problems)


def test_json_problems_use_the_key_path_as_written(tmp_path):
    path = write_json(tmp_path / "a.json", [
        {"patents": 1},
        {"制修订标准": [{"level": "national"}, {"标准类别": "国标", "kind": "new"}], "sme": "maybe"},
    ])
    problems = problems_of(path)
    assert [(p.location, p.message.split(":")[0]) for p in problems] == [
        ("[1].制修订标准[1].标准类别", "standards[1].level"),
        ("[1].sme", "sme"),
    ]


# ---- unreadable files ------------------------------------------------------------------

def test_malformed_json_gives_the_line(tmp_path):
    (tmp_path / "a.json").write_text('{\n  "patents": 1,\n  "sme": \n}', encoding="utf-8")
    [problem] = problems_of(tmp_path / "a.json")
    assert (problem.location, problem.code) == ("line 4, column 1", "malformed_file")
    assert problem.message.startswith("invalid JSON")


def test_malformed_yaml_gives_the_line(tmp_path):
    write_yaml(tmp_path / "a.yaml", "patents: 1\nsme: [true\n")
    [problem] = problems_of(tmp_path / "a.yaml")
    assert problem.location.startswith("line ")
    assert problem.message.startswith("invalid YAML")


@pytest.mark.parametrize("name, content, message", [
    ("missing.json", None, "no such file"),
    ("a.txt", "x", "unsupported data format `.txt`"),
    ("a.json", "[]", "the list of applicants is empty"),
    ("a.json", "42", "expected an object, a list of objects"),
    ("a.yaml", "", "the YAML document is empty"),
    ("a.csv", "patents\n", "no applicants"),
    ("a.xlsx", "not a zip", "not a readable XLSX workbook"),
])
def test_unreadable_files_are_data_errors(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    [problem] = problems_of(tmp_path / name)
    assert message in problem.message


def test_csv_in_gb18030_is_read(tmp_path):
    write_csv(tmp_path / "a.csv", [{"名称": "甲", "发明专利": "2"}], encoding="gb18030")
    [applicant] = load(tmp_path / "a.csv")
    assert (applicant.key, applicant.values) == ("甲", {"patents": 2})


def test_xlsx_error_cells_and_uncomputed_formulas(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["patents", "expert"])
    sheet.append(["=1+1", "#DIV/0!"])
    workbook.save(tmp_path / "a.xlsx")
    problems = problems_of(tmp_path / "a.xlsx")
    assert [p.location for p in problems] == ["row 2, column A", "row 2, column B"]
    assert "no computed value" in problems[0].message
    assert "#DIV/0!" in problems[1].message


def test_xlsx_uses_the_first_sheet_and_text_ids(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "note"])
    workbook.active.append([1001, 42])
    workbook.create_sheet("other").append(["bogus"])
    workbook.active = 1
    workbook.save(tmp_path / "a.xlsx")
    [applicant] = load(tmp_path / "a.xlsx")
    assert (applicant.key, applicant.values) == ("1001", {"note": "42"})


def test_unknown_column_is_reported_even_when_empty(tmp_path):
    (tmp_path / "a.csv").write_text("patents,patnets\n1,\n", encoding="utf-8")
    [problem] = problems_of(tmp_path / "a.csv")
    assert (problem.location, problem.hint) == ("row 1, column patnets", "did you mean `patents` (发明专利)?")


def test_duplicate_and_headerless_columns(tmp_path):
    (tmp_path / "a.csv").write_text("patents,expert,patents\n1,2,3,4\n", encoding="utf-8")
    problems = problems_of(tmp_path / "a.csv")
    assert [(p.location, p.code) for p in problems] == [
        ("row 1, column C", "duplicate_key"),
        ("row 2, column D", "unknown_key"),
    ]


def test_absurd_numbers_are_problems_not_hangs(tmp_path):
    (tmp_path / "a.json").write_text('{"amount": 1e999999999, "expert": 1.5}', encoding="utf-8")
    [problem] = problems_of(tmp_path / "a.json")
    assert problem.message == "amount: expected a number, got 1E+999999999"
    _, [problem] = check({"amount": "1e-999999999"}, row=2)
    assert problem.location == "row 2, column amount"
    (tmp_path / "b.json").write_text('{"amount": ' + "9" * 5000 + "}", encoding="utf-8")
    [problem] = problems_of(tmp_path / "b.json")
    assert problem.code == "malformed_file"


def test_alias_is_a_key_the_data_may_use():
    from dsl.parser import parse
    rule_file = parse('input cafc_actual_given "实际值（企业公布值）" § "第十条" : number optional alias cafc_actual\n')
    inputs = {i.name: i for i in rule_file.items}
    values, problems = validate({"cafc_actual": 4.1}, inputs, [], "a.json", None)
    assert problems == [] and values == {"cafc_actual_given": Fraction("4.1")}
