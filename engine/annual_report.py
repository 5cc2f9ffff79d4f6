"""The annual report of the dual-credit regulation (附件3), as Markdown.

附件3 prescribes what an enterprise files each year: one paragraph stating its
volumes, its CAFC 达标值 and 实际值 with the margin between them and the CAFC
credit, its NEV 达标值, 实际值 and credit, then two 附表 listing the parameters
of every model (the CAFC sheet and the NEV sheet). This module fills that text
and those tables from one evaluation: every number comes from a result of the
rule set (`report_total_volume`, `cafc_margin_percent`, … in
standards/dual-credit/2023-revision/dual-credit.rules) or from the model
records as the data gave them; nothing is computed here. A result without a
conclusion is written as such, never as 0.

A rule set opts in with the header field `report "annex3"`.
"""

from __future__ import annotations

from engine.numbers import describe, to_decimal
from engine.report import Table, _md_table, md_escape
from engine.results import result_document
from engine.values import Missing

LAYOUT = "annex3"

NEV_FUELS = ("phev", "bev", "fcv")

# (record field, column of 附表); `None` is the 序号 column.
CAFC_SHEET = ((None, "序号"), ("model", "产品型号"), ("fuel_type", "燃料种类"), ("curb_mass_kg", "整备质量"),
              ("seat_rows", "座椅排数"), ("range_km", "纯电续驶里程(工况法)"),
              ("target_fuel_consumption", "车型燃料消耗量目标值"), ("fuel_consumption", "车型燃料消耗量(综合)"),
              ("volume", "实际生产量/进口量"))
NEV_SHEET = ((None, "序号"), ("model", "产品型号"), ("fuel_type", "燃料种类"), ("curb_mass_kg", "整备质量"),
             ("range_km", "纯电续驶里程(工况法)"), ("electricity_consumption", "工况条件下百公里耗电量"),
             ("cd_electricity_consumption", "电量消耗模式电能消耗量"),
             ("cs_fuel_consumption", "电量保持模式燃料消耗量"), ("fc_rated_power_kw", "燃料电池系统额定功率"),
             ("motor_rated_power_kw", "驱动电机额定功率"), ("volume", "实际生产量/进口量"))


def wants_annual_report(plan) -> bool:
    header = plan.ruleset.header
    return header is not None and header.field("report") == LAYOUT


def _figure(results, name: str) -> str:
    value = results.get(name)
    if isinstance(value, Missing):
        return f"（无法给出结论：{value.describe()}）"
    if value is None:
        return "（未核算）"
    return describe(value)


def _fixed(results, name: str, places: int) -> str:
    """A figure at the places the template states (达标值 "保留两位小数": 6.20)."""
    value = results.get(name)
    if isinstance(value, Missing) or value is None:
        return _figure(results, name)
    return format(to_decimal(value), f".{places}f")


def _magnitude(results, name: str) -> tuple[str, str]:
    """(正/负 or 优于/劣于 word index, |value|) of a signed result."""
    value = results.get(name)
    if isinstance(value, Missing) or value is None:
        return "", _figure(results, name)
    return ("+" if value >= 0 else "-"), describe(abs(value))


def _margin(results) -> tuple[str, str]:
    sign, _ = _magnitude(results, "cafc_margin_percent")
    value = results.get("cafc_margin_percent")
    return sign, (format(to_decimal(abs(value)), ".1f") if sign else _figure(results, "cafc_margin_percent"))


def paragraph(results) -> str:
    """附件3's 执行情况年度报告 text, with the enterprise's figures."""
    year = _figure(results, "year")
    margin_sign, margin = _margin(results)
    cafc_sign, cafc = _magnitude(results, "cafc_credit")
    nev_sign, nev = _magnitude(results, "nev_credit")
    better = {"+": "优于", "-": "劣于"}.get(margin_sign, "优于/劣于")
    cafc_kind = {"+": "正", "-": "负"}.get(cafc_sign, "正/负")
    nev_kind = {"+": "正", "-": "负"}.get(nev_sign, "正/负")
    return (f"本企业{year}年度内生产/进口乘用车产品{_figure(results, 'report_total_volume')}辆，其中传统能源乘用车"
            f"{_figure(results, 'report_conventional_volume')}辆，新能源乘用车{_figure(results, 'report_nev_volume')}辆。"
            f"该年度企业平均燃料消耗量达标值为{_fixed(results, 'cafc_target', 2)}升/100公里（按四舍五入原则保留两位小数，下同），"
            f"平均燃料消耗量实际值为{_fixed(results, 'cafc_actual', 2)}升/100公里，实际值{better}企业平均燃料消耗量达标值"
            f"{margin}%（按四舍五入原则保留一位小数），产生平均燃料消耗量{cafc_kind}积分{cafc}分（按四舍五入原则保留整数）。"
            f"该年度新能源汽车积分达标值为{_figure(results, 'nev_credit_required')}（按四舍五入原则保留整数，下同），"
            f"新能源汽车积分实际值为{_figure(results, 'nev_credit_actual')}，产生新能源汽车{nev_kind}积分{nev}分。"
            f"乘用车企业平均燃料消耗量与新能源汽车积分核算参数见附表。")


def _sheet(caption: str, columns, records, fuel_labels, credits) -> Table:
    rows = []
    for number, record in enumerate(records, start=1):
        cells = []
        for field, _ in columns:
            if field is None:
                cells.append(str(number))
            elif field == "fuel_type":
                cells.append(fuel_labels.get(record.get(field), str(record.get(field, ""))))
            else:
                cells.append(describe(record[field]) if field in record else "—")
        credit = credits.get(record.get("__path__"))
        cells.append("" if credit is None else f"车型积分 {describe(credit)}")
        rows.append(tuple(cells))
    return Table(caption, tuple(c for _, c in columns) + ("备注",), tuple(rows))


def render_annual_report(plan, evaluated) -> str:
    """Markdown: for each enterprise, the paragraph and the two 附表 of 附件3."""
    decl = plan.symbols.inputs["models"]
    fuel_field = next(f for f in decl.type.element.fields if f.name == "fuel_type")
    fuel_labels = {v.name: v.label or v.name for v in fuel_field.type.values}
    parts = []
    for applicant, outcome in evaluated:
        document = result_document(plan, outcome, applicant)
        results = dict(outcome.results, year=outcome.values.get("year"))
        records = outcome.values.get("models", ())
        records = records if isinstance(records, tuple) else ()
        credits = {row.get("__path__"): row.get("model_credit")
                   for row in outcome.results.get("models", ()) if isinstance(row, dict)}
        year = _figure(results, "year")
        name = applicant.key or applicant.source
        lines = [f"# {md_escape(name)} — 乘用车企业平均燃料消耗量与新能源汽车积分执行情况年度报告（{year}年度）", "",
                 md_escape(paragraph(results)), "",
                 f"规则集：{md_escape(document['ruleset']['title'] or '')} {md_escape(document['ruleset'].get('version') or '')}；"
                 f"回执 ruleset sha256 `{document['receipt']['ruleset_sha256'][:16]}…`，"
                 f"input sha256 `{document['receipt']['input_sha256'][:16]}…`，{document['receipt']['engine']}", ""]
        lines.extend(_md_table(_sheet(f"附表 {year}年度平均燃料消耗量核算参数", CAFC_SHEET, records, fuel_labels,
                                      credits)))
        nev_records = [r for r in records if r.get("fuel_type") in NEV_FUELS]
        lines.extend(_md_table(_sheet(f"附表 {year}年度新能源汽车积分核算参数", NEV_SHEET, nev_records, fuel_labels,
                                      credits)))
        missing = outcome.affected_by()
        if missing:
            lines.append("缺失数据：" + "；".join(f"{md_escape(k)}（影响 {md_escape(', '.join(v) or '无')}）"
                                               for k, v in missing.items()))
            lines.append("")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
