"""The static checker, driven by data.

- tests/check/<concern>.rules: chunks separated by `---` lines, each a rule set
  of its own, with `# expect-error: code` / `# expect-warning: code` on every
  line a diagnostic must point at. A chunk gets exactly the diagnostics it
  announces, no more; chunks without comments must check clean.
- The shipped standards check clean, and copies of enterprise.rules with one
  deliberate mistake each get exactly the right diagnostic at the right line.
- tests/golden/diagnostics/<case>.rules + <case>.txt pin the rendered text
  (position, source line, caret, notes, hint); `pytest --update-goldens`
  rewrites the .txt files.
- The checker never raises, whatever tree it is given (hypothesis).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from dsl.checker import CHECKS, check
from dsl.diagnostics import render_plain
from dsl.functions import AGGREGATES, FUNCTIONS
from dsl.loader import RuleSet, load_ruleset, load_ruleset_from_text
from dsl.parser import parse
from tests.strategies import rule_files

ROOT = Path(__file__).resolve().parent.parent
CHECK_DIR = Path(__file__).with_name("check")
GOLDEN_DIR = Path(__file__).with_name("golden") / "diagnostics"
STANDARD_DIR = ROOT / "standards" / "tsgipa-nev" / "2025-draft"
EXPECT = re.compile(r"expect-(error|warning):\s*([a-z_]+(?:\s*,\s*[a-z_]+)*)")


# ---- fixture chunks ------------------------------------------------------------

def _chunks():
    """(id, text padded so its lines keep their numbers in the file, expected set)."""
    for path in sorted(CHECK_DIR.glob("*.rules")):
        lines = path.read_text(encoding="utf-8").splitlines()
        start = 0
        for end in [i for i, line in enumerate(lines) if line.strip() == "---"] + [len(lines)]:
            body = lines[start:end]
            expected = {(start + n + 1, severity, code.strip())
                        for n, line in enumerate(body)
                        for severity, codes in EXPECT.findall(line) for code in codes.split(",")}
            text = "\n" * start + "\n".join(body) + "\n"
            yield pytest.param(path.name, text, expected, id=f"{path.name}:{start + 1}")
            start = end + 1


@pytest.mark.parametrize("name, text, expected", list(_chunks()))
def test_chunk(name, text, expected):
    checked = check(load_ruleset_from_text(text, name))
    found = {(d.span.start.line, d.severity.value, d.code) for d in checked.diagnostics}
    shown = "\n".join(render_plain(d, text) for d in checked.diagnostics)
    assert found == expected, shown


def test_every_check_has_a_fixture_file_with_chunks():
    for sub_check in CHECKS:
        path = CHECK_DIR / f"{sub_check.__name__.removeprefix('check_')}.rules"
        assert path.is_file(), f"{sub_check.__name__} has no fixture file {path.name}"
        assert sub_check.__doc__, f"{sub_check.__name__} has no docstring"


def test_diagnostics_are_sorted_by_position_and_errors_filtered():
    text = (CHECK_DIR / "types.rules").read_text(encoding="utf-8").split("\n---\n")[0]
    checked = check(load_ruleset_from_text(text, "types.rules"))
    offsets = [d.span.start.offset for d in checked.diagnostics]
    assert offsets == sorted(offsets) and len(offsets) > 1
    assert checked.errors == tuple(d for d in checked.diagnostics if d.is_error)


# ---- the shipped standards ------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(STANDARD_DIR.glob("*.rules")), ids=lambda p: p.name)
def test_shipped_standards_check_clean(path):
    checked = check(load_ruleset(path))
    assert checked.diagnostics == (), "\n".join(render_plain(d, None) for d in checked.diagnostics)


def test_enterprise_types_and_domains_are_inferred():
    checked = check(load_ruleset(STANDARD_DIR / "enterprise.rules"))
    types = checked.types
    assert types["size_class"].values == {"A", "B", "C"}
    assert types["rd_ratio"].percent and types["rd_ratio"].unit.is_dimensionless
    assert str(types["revenue_last_year"].unit) == "万元"
    assert types["energy_thresholds_met"].integer
    assert dict(types["honors_base"].columns).keys() == {"points", "provincial_used", "city_used", "district_used"}
    assert types["grade"].values == {"未达等级", "浅绿", "中绿", "深绿", "不予认定"}


def _unpadded(text: str) -> str:
    """The text with table cells' alignment padding removed, so edits and
    searches can be written as `| [5%, 15%) | 3 |` whatever the layout."""
    return "\n".join(re.sub(r" *\| *", " | ", line).strip() if line.lstrip().startswith("|") else line
                     for line in text.split("\n"))


def _enterprise_with(old: str, new: str):
    """enterprise.rules with one edit, checked in memory; returns (checked, edited text)."""
    text = _unpadded((STANDARD_DIR / "enterprise.rules").read_text(encoding="utf-8"))
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    imported = {name: (STANDARD_DIR / name).read_text(encoding="utf-8")
                for name in ("common.rules", "key-technology.rules")}
    files = tuple(parse(source, name) for name, source in imported.items()) + (parse(text, "enterprise.rules"),)
    ruleset = RuleSet(files[-1], files, {**imported, "enterprise.rules": text})
    return check(ruleset), text


def _line_of(text: str, needle: str) -> int:
    assert text.count(needle) == 1, needle
    return text[:text.index(needle)].count("\n") + 1


def _found(checked):
    return {(d.span.start.line, d.code) for d in checked.diagnostics}


def test_moved_band_bound_opens_a_gap():
    checked, text = _enterprise_with("| [5%, 15%) | 3 |", "| [6%, 15%) | 3 |")
    assert _found(checked) == {(_line_of(text, "table growth_band"), "table_gap")}
    assert checked.diagnostics[0].message == "no row matches average_growth in [5%, 6%)"
    # the notes point at the edited row and the one below the gap
    assert [span.start.line for _, span in checked.diagnostics[0].notes] == [
        _line_of(text, "| [6%, 15%) | 3 |"), _line_of(text, "| [0%, 5%) | 2 |")]


def test_moved_band_bound_makes_an_overlap():
    checked, text = _enterprise_with("| (6, 8] | \"关键技术处于行业较好水平", "| (6, 8.5] | \"关键技术处于行业较好水平")
    assert _found(checked) == {(_line_of(text, "| (6, 8.5] |"), "table_overlap")}
    overlap = checked.diagnostics[0]
    assert overlap.message == "rows 1 and 2 both match key_tech_expert_score in (8, 8.5]"
    assert overlap.notes[0][1].start.line == _line_of(text, "| (8, 10] | \"关键技术处于行业领先")


def test_changed_indicator_points_break_the_total():
    # social_score's band still gives up to 2, so lowering its points to 1 is
    # also a score that can exceed its points.
    old = "    points 2\n    score social_items.points"
    checked, text = _enterprise_with(old, old.replace("points 2", "points 1"))
    assert _found(checked) == {(_line_of(text, "  points 100"), "points_do_not_add_up"),
                               (_line_of(text, "score social_items.points"), "score_exceeds_points")}
    total = next(d for d in checked.diagnostics if d.code == "points_do_not_add_up")
    assert "add up to 99" in total.message and total.hint.endswith("= 99")


def test_grade_band_gap_is_named():
    checked, text = _enterprise_with('| [70, 85) | "中绿" |', '| [72, 85) | "中绿" |')
    assert _found(checked) == {(_line_of(text, 'grade grade "认定评价等级"'), "table_gap")}
    assert checked.diagnostics[0].message == "no row matches total_score in [70, 72)"


def test_shadowed_row_of_a_first_table_is_unreachable():
    checked, text = _enterprise_with('| "A" | ≥ 3% | - | 6 |', '| "A" | ≥ 4.5% | - | 6 |')
    assert _found(checked) == {(_line_of(text, '| "A" | ≥ 4.5% |'), "unreachable_row")}
    assert checked.diagnostics[0].notes[0][1].start.line == _line_of(text, '| "A" | ≥ 4% | - | 8 |')


def test_honours_score_is_proved_non_negative_by_splitting_on_rows():
    # Without the split, honors_provincial - honors_base.provincial_used could be -1.
    checked, _ = _enterprise_with("score min(5, honors_base.points + honors_extra)",
                                  "score min(5, honors_base.points + honors_extra - 1)")
    [diagnostic] = checked.diagnostics
    assert diagnostic.code == "score_exceeds_points"
    assert diagnostic.message == "the score of `honors_score` can go down to -1, below 0"


# ---- golden renderings -----------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(GOLDEN_DIR.glob("*.rules")), ids=lambda p: p.stem)
def test_golden_diagnostics(case, update_goldens):
    text = case.read_text(encoding="utf-8")
    checked = check(load_ruleset_from_text(text, case.name))
    rendered = "\n".join(render_plain(d, text) for d in checked.diagnostics) + "\n"
    expected_path = case.with_suffix(".txt")
    if update_goldens:
        expected_path.write_text(rendered, encoding="utf-8")
    assert checked.diagnostics, "a golden case should show at least one diagnostic"
    assert rendered == expected_path.read_text(encoding="utf-8")


# ---- robustness ------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_files)
def test_checker_never_raises(tree):
    checked = check(RuleSet(tree, (tree,), {tree.path: ""}))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", d.code) for d in checked.diagnostics)
    positions = [(d.span.path, d.span.start.offset) for d in checked.diagnostics]
    assert positions == sorted(positions)
    assert set(checked.types) <= set(checked.symbols.decls)


# ---- contract with the evaluator ------------------------------------------------------------

def test_builtins_are_the_ones_the_evaluator_implements():
    # engine/compiler.py looks functions up without checking: the checker vouches for them
    from engine.compiler import AGGREGATE_NAMES, FUNCTION_NAMES
    assert set(FUNCTIONS) == FUNCTION_NAMES
    assert set(AGGREGATES) == AGGREGATE_NAMES


def test_duplicate_record_fields_do_not_crash_the_checker():
    text = 'input r "r" § "1" : record {\n  f "f" : bool\n  f "g" : record {\n  }\n}\n'
    codes = [d.code for d in check(load_ruleset_from_text(text)).diagnostics]
    assert "duplicate_name" in codes
