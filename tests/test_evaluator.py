"""The evaluator's semantics on small rule sets: exactness, no-conclusion
propagation, Kleene logic, hit policies, rounding and errors."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl.checker import check
from dsl.loader import load_ruleset_from_text
from engine.compiler import compile_rules
from engine.errors import EvalError
from engine.evaluator import evaluate
from engine.numbers import json_number, round_half_up
from engine.values import Missing


def plan_of(text: str):
    checked = check(load_ruleset_from_text(text))
    assert not checked.errors, [d.message for d in checked.errors]
    return compile_rules(checked)


def results(text: str, **values):
    return evaluate(plan_of(text), values).results


def test_parameters_may_refer_to_later_parameters():
    assert results('param b "b" § "1" = a * 2\nparam a "a" § "1" = 1.5\nresult r "r" § "1" = b + 1\n')["r"] == 4


def test_arithmetic_is_exact():
    text = 'input x "x" : number\nresult r "r" § "1" = x * 3 / 10\n'
    assert results(text, x=F("0.1"))["r"] == F(3, 100)
    assert results(text, x=0.1)["r"] == F(3, 100)  # a float at the boundary is read through its repr


@pytest.mark.parametrize("value, places, expected", [
    ("1.035", 2, "1.04"), ("2.07", 1, "2.1"), ("-3153.5", 0, "-3154"), ("1.5049999", 2, "1.5"),
    ("0.125", 2, "0.13"), ("-0.125", 2, "-0.13"), ("2.5", 0, "3"),
])
def test_round_is_half_away_from_zero(value, places, expected):
    assert round_half_up(F(value), places) == F(expected)
    text = f'input x "x" : number\nresult r "r" § "1" = round(x, {places})\n'
    assert results(text, x=F(value))["r"] == F(expected)


@given(st.integers(min_value=-10**9, max_value=10**9), st.integers(min_value=0, max_value=4))
def test_round_half_up_agrees_with_decimal(n, places):
    from decimal import ROUND_HALF_UP, Decimal
    value = F(n, 1000)
    expected = Decimal(n) / 1000
    assert round_half_up(value, places) == F(expected.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@given(st.integers(min_value=-10**40, max_value=10**40), st.integers(min_value=0, max_value=80),
       st.integers(min_value=0, max_value=80))
def test_a_terminating_number_is_written_exactly(n, twos, fives):
    """JSON and table cells keep every digit of a terminating decimal, however long
    (7441894832273784995/2^18 once came out rounded to 28 digits)."""
    from decimal import Decimal
    value = F(n, 2 ** twos * 5 ** fives)
    assert F(Decimal(json_number(value))) == value


KLEENE = 'input a "a" : bool\ninput b "b" : bool\nresult both "both" § "1" = a and b\nresult either "e" § "1" = a or b\n'


def test_kleene_logic_decides_when_one_side_suffices():
    assert results(KLEENE, a=False)["both"] is False
    assert results(KLEENE, a=True)["either"] is True
    assert isinstance(results(KLEENE, a=True)["both"], Missing)
    assert results(KLEENE, a=True)["both"].inputs == {"b"}


def test_missing_input_propagates_and_is_named():
    r = results('input x "x" : number\ninput y "y" : number\nresult s "s" § "1" = x + y * 2\n', x=F(1))
    assert isinstance(r["s"], Missing) and r["s"].inputs == {"y"}


def test_defaults_fill_absent_optional_inputs():
    text = 'input km "km" : number [km] optional default 12000\nresult r "r" § "1" = km / 1000\n'
    assert results(text)["r"] == 12


TABLES = '''input x "x" : number range [0, 10]
table first_hit "f" § "1" {
  hit first
  | x | => points |
  | ≥ 5 | 2 |
  | ≥ 3 | 1 |
  | - | 0 |
}
table summed "s" § "1" {
  hit sum
  | x | => points |
  | ≥ 2 | 1 |
  | ≥ 4 | 2 |
}
result a "a" § "1" = first_hit.points
result b "b" § "1" = summed.points
'''


@pytest.mark.parametrize("x, first, summed", [(0, 0, 0), (3, 1, 1), (5, 2, 3), (F("4.999"), 1, 3)])
def test_hit_policies(x, first, summed):
    r = results(TABLES, x=F(x))
    assert (r["a"], r["b"]) == (first, summed)


def test_aggregates_over_lists_and_ranges():
    text = '''input xs "xs" : list of number
result total "t" § "1" = sum(for x in xs: x)
result average "m" § "1" = mean(for x in xs where x > 0: x)
result pairs "p" § "1" = sum(for i in 1 .. len(xs) - 1: xs[i] - xs[i - 1])
'''
    r = results(text, xs=(F(1), F(-2), F(4)))
    assert (r["total"], r["average"], r["pairs"]) == (3, F(5, 2), 3)
    r = results(text, xs=())
    assert r["total"] == 0 and isinstance(r["average"], Missing) and r["pairs"] == 0


def test_division_by_zero_is_an_evaluation_error_at_its_span():
    plan = plan_of('input x "x" : number\nresult r "r" § "1" = 1 / x\n')
    with pytest.raises(EvalError, match="division by zero") as info:
        evaluate(plan, {"x": F(0)})
    assert info.value.span.start.line == 2


def test_undetermined_carries_its_reason():
    r = results('input x "x" : number\nresult r "r" § "1" = if x > 0 then x else undetermined("没有数据")\n', x=F(-1))
    assert r["r"].reasons == ("没有数据",)


def test_power_needs_a_whole_exponent():
    assert results('input n "n" : count\nresult r "r" § "1" = (1 - 6%) ^ n\n', n=F(2))["r"] == F("0.8836")


def test_present_asks_whether_a_record_field_was_given():
    text = '''input vs "vs" : list of record {
  sfc "SFC" : number optional
  mass "G" : number
}
result r "r" § "1" = sum(for v in vs: if present(v.sfc) then v.sfc else v.mass * 2)
'''
    assert results(text, vs=({"sfc": F(3), "mass": F(1)}, {"mass": F(5)}))["r"] == 13


DERIVE = '''input models "车型" : list of record {
  model "车型" : text
  fuel_type "燃料类型" : enum(bev, phev, gasoline)
  range_km "续驶里程" : number [km] optional
  volume "产量" : count
}
derive models "车型积分" § "附件2" for m where m.fuel_type in (bev, phev) key model {
  let standard_credit "标准车型积分" § "附件2" = if m.fuel_type = bev then min(2.3, 0.0034 * m.range_km + 0.2) else 1.6
  result model_credit "车型积分" § "附件2" = round(standard_credit * 0.5, 2)
}
result credits "积分" § "第十四条" = round(sum(for m in models where m.fuel_type in (bev, phev): m.model_credit * m.volume), 0)
'''


def test_derive_computes_per_record_values_read_as_fields():
    models = ({"model": "A", "fuel_type": "bev", "range_km": F(400), "volume": F(1000)},
              {"model": "B", "fuel_type": "gasoline", "volume": F(5)},
              {"model": "C", "fuel_type": "phev", "volume": F(10)})
    outcome = evaluate(plan_of(DERIVE), {"models": models})
    # A: min(2.3, 0.0034 × 400 + 0.2) = 1.56 → × 0.5 = 0.78; C: 1.6 × 0.5 = 0.8
    assert outcome.results["models"] == (
        {"__path__": "models[0]", "model": "A", "model_credit": F("0.78")},
        {"__path__": "models[2]", "model": "C", "model_credit": F("0.8")})
    assert outcome.results["credits"] == 788  # 780 + 8
    assert outcome.trace.find("models[0].standard_credit").value == F("1.56")


def test_derived_value_missing_a_field_is_named_by_path():
    models = ({"model": "A", "fuel_type": "bev", "volume": F(3)},)
    outcome = evaluate(plan_of(DERIVE), {"models": models})
    assert outcome.results["models"][0]["model_credit"].inputs == {"models[0].range_km"}
    assert outcome.affected_by()["models[0].range_km"] == ["credits", "models[0].model_credit"]


def test_a_version_is_its_base_plus_overrides(tmp_path):
    from dsl.loader import load_ruleset
    (tmp_path / "base.rules").write_text('input year "年度" § "1" : count\n'
                                         'param ratio "比例" § "第十六条" = {\n  2022: 16%\n}\n'
                                         'result required "要求" § "第十六条" = ratio[year] * 100\n', encoding="utf-8")
    (tmp_path / "v2.rules").write_text('import "base.rules"\n'
                                       'override param ratio "比例" § "通知" = {\n  2022: 16%\n  2024: 28%\n}\n',
                                       encoding="utf-8")
    (tmp_path / "bad.rules").write_text('import "base.rules"\noverride let ratio "比例" § "通知" = 1\n',
                                        encoding="utf-8")
    checked = check(load_ruleset(tmp_path / "v2.rules"))
    assert not checked.diagnostics
    assert evaluate(compile_rules(checked), {"year": F(2024)}).results["required"] == 28
    base = check(load_ruleset(tmp_path / "base.rules"))
    with pytest.raises(EvalError, match="no entry `2024`"):  # the base version has no 2024 ratio
        evaluate(compile_rules(base), {"year": F(2024)})
    codes = [d.code for d in check(load_ruleset(tmp_path / "bad.rules")).diagnostics]
    assert codes[0] == "override_kind_mismatch"  # then `ratio[year]` no longer indexes a map
    assert set(codes) == {"override_kind_mismatch", "type_mismatch"}
