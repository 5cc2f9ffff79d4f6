"""`rulecheck report`: the evaluation table in the standard's own layout.

The T/SGIPA standard prescribes how an evaluation is written up: Appendix C
for enterprises, Appendix D for projects, each with a compliance table
(表C.3/表D.3 符合性评价), the scored indicators in their hierarchy (表C.4/表D.4
综合评价) and the key-technology sheet (表C.5/表D.5 关键技术先进性指标评分).
Reviewers compare a report with that template line by line, so this module
produces exactly those tables, filled from one evaluation, plus what the
template leaves to the writer: the grade and total on top, who was evaluated
against which rule set (with the receipt of `rulecheck run --format json`, so
the report can be reproduced), the clause and a short note on every row (the
band wording, or why there is no conclusion or no evaluation), the
normalisation arithmetic when indicators were not evaluated, and the missing
data.

A rule set opts in with the header field `report "C"` or `report "D"`.
The 一级/二级/三级 columns come from the group nesting: an indicator directly
inside a 一级 group is a 二级 row with an empty 三级 cell; when no indicator is
nested two groups deep (表D.4) the 三级 column is left out.

表C.5/表D.5 is filled from a result named `key_tech_requirements`: a list of
records with the fields `industry` 所属行业, `stage` 评价环节, `object` 评价对象,
`core_indicator` 核心评价指标, `reference_standard` 参考标准, `reference_value`
标准参考值/要求, `self_assessed` 自评值/要求 and `satisfied` 是否满足 (Appendix
A will provide it). Without it the report says that no Appendix A products
were given.

The report is built once as data (`Report`), then written as GitHub Markdown
or as one standalone HTML file (inline CSS, no external resources); every text
from the rules or the data is escaped for the format it goes into.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import attrs

from dsl import ast
from engine.numbers import describe
from engine.render import score_text, total_text
from engine.results import result_document
from engine.trace import StepKind
from engine.values import NOT_EVALUATED, Missing

KEY_TECH_RESULT = "key_tech_requirements"
KEY_TECH_FIELDS = (  # (record field, column of 表C.5/表D.5)
    ("industry", "所属行业"), ("stage", "评价环节"), ("object", "评价对象"),
    ("core_indicator", "核心评价指标"), ("reference_standard", "参考标准"),
    ("reference_value", "标准参考值/要求"), ("self_assessed", "自评值/要求"), ("satisfied", "是否满足"),
)


@attrs.frozen
class Layout:
    appendix: str  # "C" or "D"
    title: str
    subject: str  # 企业 / 项目


LAYOUTS = {
    "C": Layout("C", "新能源汽车产品制造领域绿色低碳产业企业认定评价报告", "企业"),
    "D": Layout("D", "新能源汽车产品制造领域绿色低碳产业项目认定评价报告", "项目"),
}


class NoLayout(Exception):
    """The rule set declares no report layout this module knows."""


@attrs.frozen
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


@attrs.frozen
class Report:
    """One applicant's report, as data; `render_markdown` / `render_html` write it."""

    title: str
    applicant: str
    grade: str
    total: str
    header: tuple[tuple[str, str], ...]  # (label, value)
    compliance: Table
    scores: Table
    key_tech: Table | None
    key_tech_note: str | None
    missing: tuple[str, ...]


def layout_of(plan) -> Layout:
    """The layout the rule set's header asks for, or NoLayout."""
    header = plan.ruleset.header
    letter = header.field("report") if header else None
    if letter is None:
        raise NoLayout(f"{plan.ruleset.root.path} declares no report layout "
                       f"(add `report \"C\"` or `report \"D\"` to its standard header)")
    if letter not in LAYOUTS:
        raise NoLayout(f"{plan.ruleset.root.path}: unknown report layout \"{letter}\" "
                       f"(known: {', '.join(sorted(LAYOUTS))})")
    return LAYOUTS[letter]


# ---- building the report ----------------------------------------------------------

def build_report(plan, outcome, applicant) -> Report:
    """The report of one evaluation (`outcome` should carry its trace, for the reasons)."""
    layout = layout_of(plan)
    document = result_document(plan, outcome, applicant)
    identity, receipt = document["ruleset"], document["receipt"]
    where = _position(applicant)
    name = applicant.key or (Path(applicant.source).name + where)
    total_decl = next(iter(plan.symbols.of_kind(ast.Total)), None)
    grade_decl = next(iter(plan.symbols.of_kind(ast.Grade)), None)
    total = outcome.results[total_decl.name] if total_decl else None
    grade = outcome.results[grade_decl.name] if grade_decl else None
    header = (
        (f"{layout.subject}名称", name),
        ("数据文件", applicant.source + where),
        ("规则集", identity.get("title") or identity.get("name") or identity["path"]),
        ("标准", " ".join(v for v in (identity.get("document"), identity.get("status")) if v)),
        ("版本", identity.get("version") or ""),
        ("规则集 sha256", receipt["ruleset_sha256"]),
        ("引擎", receipt["engine"]),
        ("输入数据 sha256", receipt["input_sha256"]),
    )
    key_tech, key_tech_note = _key_tech_table(plan, outcome, layout)
    return Report(
        title=layout.title, applicant=name,
        grade=score_text(grade) if grade_decl else "—",
        total=total_text(total) if total_decl else "—",
        header=header,
        compliance=_compliance_table(plan, outcome, layout),
        scores=_score_table(plan, outcome, layout, total_decl, total),
        key_tech=key_tech, key_tech_note=key_tech_note,
        missing=_missing_lines(plan, outcome),
    )


def _position(applicant) -> str:
    """Where in its file an applicant is: a spreadsheet row, or a place in a JSON/YAML list."""
    if not applicant.row:
        return ""
    if Path(applicant.source).suffix.lower() in (".csv", ".xlsx", ".xlsm"):
        return f"（第 {applicant.row} 行）"
    return f"（第 {applicant.row} 个申请对象）"


def _input_label(plan, name: str) -> str:
    decl = plan.symbols.decls.get(name.split(".")[0].split("[")[0])
    return f"{name}（{decl.label}）" if decl is not None and getattr(decl, "label", None) else name


def _result_label(plan, name: str) -> str:
    decl = plan.symbols.decls.get(name)
    return getattr(decl, "label", None) or name


def _no_conclusion(plan, value: Missing) -> str:
    parts = []
    if value.inputs:
        parts.append("缺少 " + "、".join(_input_label(plan, n) for n in sorted(value.inputs)))
    parts.extend(value.reasons)
    return "无法给出结论：" + ("；".join(parts) or "数据不足")


def _not_evaluated(plan, outcome, name: str) -> str:
    """Why a rule was not evaluated, from the NOT_EVALUATED step of its trace."""
    node = outcome.trace.find(name) if outcome.trace is not None else None
    leaf = next((c for c in node.children if c.kind is StepKind.NOT_EVALUATED), None) if node else None
    if leaf is None:
        return "不参评"
    if leaf.detail.startswith("judged not applicable"):
        clause = next((t.excluding.clause for t in plan.symbols.of_kind(ast.Total)
                       if t.excluding is not None and t.excluding.clause), None)
        return "不参评：经专家评估审定不适用" + (f"（§ {clause}）" if clause else "")
    owner = _result_label(plan, leaf.name)
    condition = leaf.detail.removeprefix("applies when ")
    return "不参评" + (f"（§ {leaf.clause}）" if leaf.clause else "") + f"：{owner}的参评条件“{condition}”不成立"


def _note(plan, outcome, name: str, value) -> str:
    if value is NOT_EVALUATED:
        return _not_evaluated(plan, outcome, name)
    if isinstance(value, Missing):
        return _no_conclusion(plan, value)
    level = outcome.levels.get(name)
    if isinstance(level, Missing):
        return _no_conclusion(plan, level)
    return describe(level) if level is not None else ""


def _verdict(value) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    return score_text(value) if (value is NOT_EVALUATED or isinstance(value, Missing)) else describe(value)


def _ordered_vetoes(plan) -> list:
    """The rule set's own vetoes first, then those it imports (目录符合 before
    技术符合, as 表C.3/表D.3 number them), each in declaration order."""
    own = {d.name for d in ast.declarations(plan.ruleset.root.items) if isinstance(d, ast.Veto)}
    return sorted(plan.vetoes.values(), key=lambda c: 0 if c.decl.name in own else 1)


def _compliance_table(plan, outcome, layout: Layout) -> Table:
    rows = []
    for number, check in enumerate(_ordered_vetoes(plan), start=1):
        decl = check.decl
        value = outcome.results[decl.name]
        content = (decl.label or decl.name) + (f"（§ {decl.clause}）" if decl.clause else "")
        if value is False:
            node = outcome.trace.find(decl.name) if outcome.trace is not None else None
            failed = node.detail.removeprefix("not satisfied: ") if node is not None else ""
            if failed in plan.symbols.inputs:  # a bare yes/no input: say what it asks
                failed = _input_label(plan, failed)
            note = "不满足" + (f"：{failed}" if failed else "") + "（一票否决）"
        else:
            note = _note(plan, outcome, decl.name, value) if value is not True else ""
        rows.append((str(number), decl.label or decl.name, content, _verdict(value), note))
    return Table(f"表 {layout.appendix}.3 符合性评价", ("序号", "指标", "符合性评价内容", "评价结果", "说明"),
                 tuple(rows))


def _score_table(plan, outcome, layout: Layout, total_decl, total) -> Table:
    entries = []
    for name, compiled in plan.indicators.items():
        decl = compiled.decl
        path = [g.label or g.name for g in plan.symbols.groups_of[name]] + [decl.label or name]
        first = path[0]
        second = path[1] if len(path) > 1 else ""
        third = " / ".join(path[2:])
        value = outcome.results[name]
        entries.append([first, second, third, describe(compiled.points), score_text(value),
                        decl.clause or "", _note(plan, outcome, name, value)])
    with_third = any(e[2] for e in entries)
    previous = (None, None)
    for entry in entries:  # the standard prints a heading once, on its first row
        first, second = entry[0], entry[1]
        entry[0] = first if first != previous[0] else ""
        if with_third and (first, second) == previous:
            entry[1] = ""  # a 二级 group heading over several 三级 rows
        previous = (first, second)
    columns = ["一级指标", "二级指标"] + (["三级指标"] if with_third else []) + \
        ["分值（分）", "评价得分（分）", "条款", "说明"]
    rows = [tuple(e if with_third else e[:2] + e[3:]) for e in entries]
    points = total_decl.points if total_decl is not None and total_decl.points is not None else \
        sum((c.points for c in plan.indicators.values()), 0)
    total_row = ["总得分", ""] + ([""] if with_third else []) + \
        [describe(points), total_text(total) if total_decl else "—",
         (total_decl.clause or "") if total_decl else "", _total_note(plan, outcome, total)]
    notes = _normalisation(plan, outcome, total_decl, total)
    return Table(f"表 {layout.appendix}.4 综合评价", tuple(columns), tuple(rows) + (tuple(total_row),), notes)


def _total_note(plan, outcome, total) -> str:
    if isinstance(total, Missing):
        return _no_conclusion(plan, total)
    if any(outcome.results[n] is NOT_EVALUATED for n in plan.indicators):
        return "已折算（见表下）"
    return ""


def _normalisation(plan, outcome, total_decl, total) -> tuple[str, ...]:
    """The arithmetic of 7.4.2 注1/注2, when some indicators were not evaluated."""
    if total_decl is None or isinstance(total, Missing) or total is NOT_EVALUATED or total is None:
        return ()
    skipped = [n for n in plan.indicators if outcome.results[n] is NOT_EVALUATED]
    if not skipped:
        return ()
    obtained = sum((outcome.results[n] for n in plan.indicators if n not in skipped), 0)
    evaluated = sum((c.points for n, c in plan.indicators.items() if n not in skipped), 0)
    scale = total_decl.points if total_decl.points is not None else \
        sum((c.points for c in plan.indicators.values()), 0)
    labels = "、".join(_result_label(plan, n) for n in skipped)
    return (f"折算：{labels}不参评，综合值按参评项得分与参评项总分之比乘以 {describe(scale)} 计："
            f"S = {describe(obtained)} / {describe(evaluated)} × {describe(scale)} = {total_text(total)}。",)


def _key_tech_table(plan, outcome, layout: Layout) -> tuple[Table | None, str | None]:
    caption = f"表 {layout.appendix}.5 关键技术先进性指标评分"
    none_given = f"{caption}：未提供附录A所列产品的关键技术先进性指标。"
    if KEY_TECH_RESULT not in outcome.results:
        return None, none_given
    value = outcome.results[KEY_TECH_RESULT]
    if isinstance(value, Missing):
        return None, f"{caption}：{_no_conclusion(plan, value)}"
    if not isinstance(value, tuple) or not value or not all(isinstance(r, dict) for r in value):
        return None, none_given
    rows = []
    for record in value:
        cells = []
        for field, _ in KEY_TECH_FIELDS:
            cell = record.get(field)
            if field == "satisfied":
                cells.append(_verdict(cell) if cell is not None else "无法给出结论")
            elif cell is None or isinstance(cell, Missing):
                cells.append("—")
            else:
                cells.append(describe(cell))
        rows.append(tuple(cells))
    return Table(caption, tuple(c for _, c in KEY_TECH_FIELDS), tuple(rows)), None


def _missing_lines(plan, outcome) -> tuple[str, ...]:
    lines = []
    for name, results in outcome.affected_by().items():
        left = "、".join(_result_label(plan, r) for r in results)
        lines.append(f"{_input_label(plan, name)}：" + (f"以下结果无法给出结论：{left}" if results
                                                        else "未用于任何结果"))
    return tuple(lines)


# ---- Markdown -----------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&])")


def md_escape(text: str) -> str:
    """Text safe inside a GitHub Markdown table cell or paragraph."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _md_table(table: Table) -> list[str]:
    lines = [f"### {md_escape(table.caption)}", ""]
    lines.append("| " + " | ".join(md_escape(c) for c in table.columns) + " |")
    lines.append("|" + "|".join("---" for _ in table.columns) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(md_escape(c) for c in row) + " |")
    for note in table.notes:
        lines.extend(["", md_escape(note)])
    lines.append("")
    return lines


def render_markdown(reports: list[Report]) -> str:
    parts = []
    for report in reports:
        lines = [f"# {md_escape(report.applicant)} — {md_escape(report.title)}", "",
                 f"**认定评价等级：{md_escape(report.grade)}**　**综合值 S = {md_escape(report.total)}**", ""]
        lines.extend(["| 项目 | 内容 |", "|---|---|"])
        lines.extend(f"| {md_escape(k)} | {md_escape(v)} |" for k, v in report.header)
        lines.append("")
        lines.extend(_md_table(report.compliance))
        lines.extend(_md_table(report.scores))
        if report.key_tech is not None:
            lines.extend(_md_table(report.key_tech))
        else:
            lines.extend([md_escape(report.key_tech_note), ""])
        lines.extend(["### 缺失数据", ""])
        lines.extend(f"- {md_escape(m)}" for m in report.missing)
        if not report.missing:
            lines.append("无。")
        parts.append("\n".join(lines).rstrip() + "\n")
    return "\n---\n\n".join(parts)


# ---- HTML -----------------------------------------------------------------------------

_CSS = """
body { font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", "Heiti SC", SimSun, sans-serif;
  margin: 2em auto; max-width: 72em; padding: 0 1em; color: #111; line-height: 1.5; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.verdict { font-size: 1.2em; font-weight: bold; }
table { border-collapse: collapse; margin: 0.6em 0 1em; width: 100%; }
caption { font-weight: bold; text-align: center; padding: 0.3em; }
th, td { border: 1px solid #444; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
tr.total td { font-weight: bold; }
table.meta th { width: 10em; } table.meta td { word-break: break-all; }
p.note { font-size: 0.95em; }
section + section { border-top: 2px solid #888; margin-top: 3em; }
@media print { section + section { page-break-before: always; border: none; } }
"""

_NUMERIC_COLUMNS = frozenset({"分值（分）", "评价得分（分）", "序号"})


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _html_table(table: Table, css_class: str) -> list[str]:
    out = [f'<table class="{css_class}">', f"<caption>{_esc(table.caption)}</caption>",
           "<thead><tr>" + "".join(f"<th>{_esc(c)}</th>" for c in table.columns) + "</tr></thead>", "<tbody>"]
    for row in table.rows:
        row_class = ' class="total"' if row and row[0] == "总得分" else ""
        cells = "".join(f'<td class="num">{_esc(v)}</td>' if c in _NUMERIC_COLUMNS else f"<td>{_esc(v)}</td>"
                        for c, v in zip(table.columns, row))
        out.append(f"<tr{row_class}>{cells}</tr>")
    out.append("</tbody></table>")
    out.extend(f'<p class="note">{_esc(n)}</p>' for n in table.notes)
    return out


def render_html(reports: list[Report]) -> str:
    title = reports[0].title if len(reports) != 1 else f"{reports[0].applicant} — {reports[0].title}"
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_esc(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>"]
    for report in reports:
        out.append("<section>")
        out.append(f"<h1>{_esc(report.applicant)} — {_esc(report.title)}</h1>")
        out.append(f'<p class="verdict">认定评价等级：{_esc(report.grade)}　综合值 S = {_esc(report.total)}</p>')
        out.append('<table class="meta"><caption>基本信息</caption><tbody>')
        out.extend(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in report.header)
        out.append("</tbody></table>")
        out.extend(_html_table(report.compliance, "compliance"))
        out.extend(_html_table(report.scores, "scores"))
        if report.key_tech is not None:
            out.extend(_html_table(report.key_tech, "key-tech"))
        else:
            out.append(f'<p class="key-tech-none">{_esc(report.key_tech_note)}</p>')
        out.append("<h2>缺失数据</h2>")
        if report.missing:
            out.append('<ul class="missing">' + "".join(f"<li>{_esc(m)}</li>" for m in report.missing) + "</ul>")
        else:
            out.append("<p>无。</p>")
        out.append("</section>")
    out.extend(["</body>", "</html>"])
    return "\n".join(out) + "\n"
