"""Properties of the enterprise evaluation over generated applicants.

- every indicator stays within [0, its points] (or is not evaluated / no conclusion);
- the total stays within [0, 100];
- indicators that the text makes rise with an input never fall when it rises.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluator import evaluate
from engine.values import NOT_EVALUATED, Missing
from tests.applicant_strategies import applicants
from tests.standards.enterprise_helpers import enterprise_plan

PLAN = enterprise_plan()
# Appendix A's product list is optional and scores nothing: its own tests cover it.
APPLICANTS = applicants(PLAN, omit=("key_tech_requirements",))


def _evaluate(values):
    return evaluate(PLAN, values, trace=False)


@settings(max_examples=150, deadline=None)
@given(APPLICANTS)
def test_every_indicator_stays_within_its_points(values):
    outcome = _evaluate(values)
    for name, compiled in PLAN.indicators.items():
        value = outcome.results[name]
        if value is NOT_EVALUATED or isinstance(value, Missing):
            continue
        assert 0 <= value <= compiled.points, (name, value)
    total = outcome.results["total_score"]
    if not isinstance(total, Missing):
        assert 0 <= total <= 100


# (indicator, input that must not lower it when raised, step)
MONOTONE = [
    ("ip_score", "invention_patents", 1), ("ip_score", "utility_models", 1),
    ("ip_score", "software_copyrights", 3),
    ("team_score", "senior_or_phd_staff", 1), ("team_score", "talents_local", 1),
    ("team_score", "nev_background_share", Fraction(1, 20)),
    ("rd_score", "rd_expense", 100),
    ("market_score", "supply_years", Fraction(1, 2)),
    ("honors_score", "honors_national", 1), ("honors_score", "honors_provincial", 1),
    ("honors_score", "honors_city", 1), ("honors_score", "honors_district", 1),
    ("energy_score", "renewable_share", Fraction(1, 50)),
    ("energy_score", "waste_utilization_rate", Fraction(1, 50)),
    ("process_score", "recommended_catalog_items", 1),
    ("internal_action_score", "lowcarbon_trainings_per_year", 1),
    ("total_score", "invention_patents", 1),
    ("total_score", "key_tech_expert_score", Fraction(1, 2)),
]


@settings(max_examples=150, deadline=None)
@given(APPLICANTS, st.sampled_from(MONOTONE))
def test_indicators_never_fall_when_their_input_rises(values, case):
    indicator, name, step = case
    decl = PLAN.symbols.inputs[name]
    raised = values[name] + step
    upper = decl.range.upper.value if decl.range is not None and decl.range.upper is not None else None
    if upper is not None and raised > upper:
        raised = upper
    before = _evaluate(values).results[indicator]
    after = _evaluate({**values, name: raised}).results[indicator]
    if isinstance(before, Missing) or isinstance(after, Missing) or NOT_EVALUATED in (before, after):
        return
    assert after >= before, (indicator, name, values[name], raised, before, after)
