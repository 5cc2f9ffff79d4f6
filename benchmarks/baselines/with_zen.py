"""The enterprise scoring as a GoRules JDM decision graph, evaluated record by record with zen-engine.

The graph is what a GoRules user would draw in the editor: an expression node
deriving the counts and ratios (ZEN expressions handle the list inputs with
`map`/`sum`/`avg`), a decision table per band table of the standard (table 7's
25 rows as written, first hit), an expression node applying the SME bonus and
7.4.2's not-evaluated rules, the total, and a decision table for table 28. It
is built here as the JSON document the editor saves (`GRAPH`).

zen-engine evaluates one JSON context at a time, so every row becomes a Python
dict (`Table.to_pylist`) and goes through `ZenEngine.evaluate`. ZEN numbers
are decimals (rust_decimal, 28 digits), so it is far closer to exact than the
float baselines; it is also far slower, which is why benchmarks/batch.py runs
it on at most 10⁵ rows and extrapolates the time (enterprise_baselines.py).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import zen

from .table_c4 import ENVIRONMENTAL, POINTS, SME_BONUS

DERIVED = {
    "ip_count": "invention_patents + 0.2 * utility_models + 0.2 * ic_layout_designs + 0.1 * software_copyrights"
                " + 0.1 * design_patents",
    # 注4: every drafting unit of an international, national or industry standard counts as a lead.
    "standards_count": "sum(map(standards, (#.level == 'international' ? 1.2 : #.level == 'local' ? 0.5"
                       " : #.level == 'group' ? 0.2 : 1) * (#.kind == 'revision' ? 0.8 : 1)"
                       " * (#.level in ['local', 'group'] and #.role == 'participant' ? 0.5 : 1)))",
    "team_bonus": "0.5 * max([0, senior_or_phd_staff - 1]) + 4 * talents_outstanding + 3 * talents_national"
                  " + 2 * talents_local + talents_reserve + 0.5 * floor(max([0, nev_background_share - 20]) / 5)",
    "size_class": "revenue_last_year > 80000 ? 'A' : revenue_last_year > 20000 ? 'B' : 'C'",
    "rd_ratio": "green_business_revenue > 0 ? rd_expense / green_business_revenue : 0",
    "average_growth": "avg(map([1..len(main_revenue_by_year) - 1], (main_revenue_by_year[#]"
                      " - main_revenue_by_year[# - 1]) / main_revenue_by_year[# - 1]))",
    "intensity": "carbon_intensity_by_year ?? []",
    "ghg_decline": "len($.intensity) >= 2 ? 1 - ($.intensity[len($.intensity) - 1] / $.intensity[0])"
                   " ^ (1 / (len($.intensity) - 1)) : null",
    "energy_met": "(renewable_share >= 10 ? 1 : 0) + (nonconventional_water_share >= 30 ? 1 : 0)"
                  " + (waste_utilization_rate >= 92 ? 1 : 0)",
    "energy_practised": "(renewable_share > 0 ? 1 : 0) + (nonconventional_water_share > 0 ? 1 : 0)"
                        " + (waste_utilization_rate > 0 ? 1 : 0)",
    "vetoed": "not ((green_business_share >= 50 or green_business_revenue >= 10000 or locally_recognized)"
              " and (green_service or technical_compliance))",
}

_RD_BARS = [(8, {"A": (0.04, 3200), "B": (0.04, 2000), "C": (0.05, 1000)}),
            (6, {"A": (0.03, 2400), "B": (0.03, 1500), "C": (0.04, 800)}),
            (4, {"A": (0.02, 1600), "B": (0.02, 1000), "C": (0.03, 600)}),
            (2, {"A": (0.01, 800), "B": (0.01, 500), "C": (0.02, 400)})]

# (name, input fields, output fields, rows of input cells then output cells), as in the standard's tables.
TABLES = [
    ("team_row", ["team_covers_specialties", "senior_or_phd_staff"], ["team_base", "team_cap"],
     [("true", ">= 1", "4", "8"), ("", "", "0", "4")]),
    ("rd_band", ["size_class", "rd_ratio", "rd_expense"], ["rd_points"],
     [row for points, bars in _RD_BARS for size, (ratio, amount) in bars.items()
      for row in ((f"'{size}'", f">= {ratio}", "", str(points)), (f"'{size}'", "", f">= {amount}", str(points)))]
     + [("", "", "", "0")]),
    ("growth_band", ["average_growth"], ["growth_points"],
     [(">= 0.15", "4"), ("[0.05..0.15)", "3"), ("[0..0.05)", "2"), ("< 0", "0")]),
    ("supply_years_band", ["supply_years"], ["supply_points"],
     [("> 10", "3"), ("(5..10]", "2"), ("(2..5]", "1"), ("", "0")]),
    ("honors_base", ["honors_national", "honors_provincial", "honors_city", "honors_district"],
     ["honors_points", "provincial_used", "city_used", "district_used"],
     [(">= 1", "", "", "", "5", "0", "0", "0"), ("", ">= 1", "", "", "4", "1", "0", "0"),
      ("", "", ">= 1", "", "3", "0", "1", "0"), ("", "", "", ">= 1", "2", "0", "0", "1"),
      ("", "", "", "", "0", "0", "0", "0")]),
    ("ghg_band", ["ghg_accounting", "ghg_decline"], ["ghg_points"],
     [("true", ">= 0.06", "4"), ("true", ">= 0.04", "2"), ("true", "", "1"), ("", "", "0")]),
    ("process_base", ["process_level"], ["process_points"], [("'clean'", "3"), ("'partial'", "1"), ("", "0")]),
    ("energy_band", ["energy_met", "energy_practised"], ["energy_points"],
     [(">= 2", "", "4"), ("", ">= 2", "3"), ("", ">= 1", "2"), ("", "", "0")]),
    ("pollutant_band", ["pollutant_level"], ["pollutant_points"],
     [("'better'", "3"), ("'compliant'", "2"), ("", "0")]),
    ("internal_action_items", ["green_action", "esg_disclosure", "lowcarbon_trainings_per_year"], ["points"],
     [("true", "", "", "3"), ("", "true", "", "2"), ("", "", ">= 2", "1")]),
]

RAW_SCORES = {
    "ip_score": "min([6, 0.3 * ip_count])",
    "standards_score": "min([4, 0.5 * standards_count])",
    "key_tech_score": "key_tech_expert_score",
    "env_benefit_score": "env_benefit_expert_score",
    "team_score": "min([team_cap, team_base + team_bonus])",
    "rd_score": "rd_points",
    "growth_score": "growth_points",
    "market_score": "market_share_expert_score + supply_points",
    "influence_score": "influence_expert_score",
    "honors_score": "min([5, honors_points + (honors_provincial - provincial_used)"
                    " + 0.5 * (honors_city - city_used) + 0.2 * (honors_district - district_used)])",
    "ghg_score": "ghg_points",
    "process_score": "min([3, process_points + recommended_catalog_items])",
    "energy_score": "energy_points",
    "pollutant_score": "pollutant_points",
    "internal_action_score": "sum(map(internal_action_items, #.points))",
    "social_score": "(public_welfare ? 1 : 0) + (green_management ? 1 : 0)",
}


def _scores() -> dict[str, str]:
    """Each indicator with the SME bonus, and null when it is not evaluated (7.4.2 notes 1 and 2)."""
    scores = {}
    for name, expression in RAW_SCORES.items():
        if name in SME_BONUS:
            expression = f"quality_sme ? min([{POINTS[name]}, ({expression}) * 1.15]) : {expression}"
        skipped = f"'{name}' in not_applicable" + (" or green_service" if name in ENVIRONMENTAL else "")
        scores[name] = f"{skipped} ? null : {expression}"
    return scores


TOTAL = {
    "obtained": " + ".join(f"({name} ?? 0)" for name in POINTS),
    "evaluated_points": " + ".join(f"({name} == null ? 0 : {points})" for name, points in POINTS.items()),
    "total_score": "$.evaluated_points < 100 ? $.obtained / $.evaluated_points * 100 : $.obtained",
}
GRADE_TABLE = ("grade", ["vetoed", "total_score"], ["grade"],
               [("true", "", "'不予认定'"), ("", "< 60", "'未达等级'"), ("", "[60..70)", "'浅绿'"),
                ("", "[70..85)", "'中绿'"), ("", "", "'深绿'")])


def _node(kind: str, name: str, content: dict | None = None) -> dict:
    node = {"id": name, "type": kind, "name": name, "position": {"x": 0, "y": 0}}
    return node | ({"content": content} if content is not None else {})


def _expression_node(name: str, expressions: dict[str, str]) -> dict:
    return _node("expressionNode", name, {"passThrough": True, "inputField": None, "outputPath": None,
                                          "executionMode": "single",
                                          "expressions": [{"id": k, "key": k, "value": v}
                                                          for k, v in expressions.items()]})


def _table_node(name: str, inputs: list[str], outputs: list[str], rows: list[tuple]) -> dict:
    """A decision table; `internal_action_items` collects (表16 adds every row met), the others take the first hit."""
    columns = [f"in_{field}" for field in inputs] + [f"out_{field}" for field in outputs]
    return _node("decisionTableNode", name, {
        "hitPolicy": "collect" if name == "internal_action_items" else "first",
        "passThrough": True, "inputField": None, "executionMode": "single",
        "outputPath": name if name == "internal_action_items" else None,
        "inputs": [{"id": f"in_{field}", "name": field, "field": field} for field in inputs],
        "outputs": [{"id": f"out_{field}", "name": field, "field": field} for field in outputs],
        "rules": [{"_id": f"{name}_{i}", **dict(zip(columns, row))} for i, row in enumerate(rows)]})


def graph() -> dict:
    """The JDM document: input → derived values → band tables → scores → total → grade → output."""
    nodes = [_node("inputNode", "request"), _expression_node("derived", DERIVED)]
    nodes += [_table_node(*table) for table in TABLES]
    nodes += [_expression_node("scores", _scores()), _expression_node("total", TOTAL), _table_node(*GRADE_TABLE),
              _node("outputNode", "response")]
    edges = [{"id": f"e{i}", "sourceId": a["id"], "targetId": b["id"], "type": "edge"}
             for i, (a, b) in enumerate(zip(nodes, nodes[1:]))]
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


GRAPH = json.dumps(graph(), ensure_ascii=False)


def score(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(total_score, grade) per row of an Arrow table of applicants, one `evaluate` per row."""
    engine = zen.ZenEngine({"loader": lambda key: GRAPH})
    totals, grades = [], []
    for record in table.to_pylist():
        result = engine.evaluate("enterprise.json", record)["result"]
        totals.append(result["total_score"])
        grades.append(result["grade"])
    return np.asarray(totals, float), np.asarray(grades)


def score_file(path) -> tuple[np.ndarray, np.ndarray]:
    return score(pq.read_table(path))
