"""How `rulecheck diff` shows a diff and its impact: text, JSON and a foreword.

- `change_line(change)`: one change as a plain line, the form of the text output
  (`row 2 of 表8 (growth_band): average_growth [5%, 15%) → [6%, 15%)`).
- `foreword(diff)`: the Markdown change list a standard's foreword gives
  (前言: "本文件与……相比，主要技术变化如下"), one line per change with its clause,
  `——提高了加权后有效知识产权每项得分：0.3 → 0.4（见 5.2.1.1.1 表1）`, sorted by
  clause in natural order (5.2.1.1.2 before 5.2.1.1.10; 第十二条 as 12). The
  document's identity (title, version) goes in the opening sentence, not in
  the list.
- `print_diff` / `print_impact`: the terminal view (rich tables), deterministic.
- `diff_document`: the JSON document, numbers exact (engine/results.py `to_json`).
"""

from __future__ import annotations

import re

from engine.diff import ADDED, REMOVED, Change, RuleDiff, table_ref_of
from engine.numbers import describe
from engine.results import plain_value

_SIGN = {ADDED: "+", REMOVED: "-", "changed": "~"}
_ARROW = {"up": " ↑", "down": " ↓", None: ""}

KIND_CN = {"input": "输入数据", "param": "参数", "let": "计算值", "result": "结果", "table": "评分规则表",
           "grade": "等级划分", "group": "指标分组", "indicator": "指标", "bonus": "加分规则",
           "veto": "符合性要求", "validate": "数据校验", "total": "综合值", "derive": "逐条计算",
           "file": "规则文件"}
ASPECT_CN = {"points": "分值", "score": "得分计算", "level": "水平描述", "formula": "计算公式", "applies": "适用条件",
             "require": "要求", "clause": "条款编号", "label": "名称", "type": "类型", "unit": "单位",
             "range": "取值范围", "optional": "是否必填", "default": "默认值", "length": "长度", "field": "字段",
             "field label": "字段名称", "hit": "命中规则", "columns": "表头", "vetoed": "否决等级",
             "excluding": "不参评指标", "when": "适用条件", "factor": "倍数", "bonus": "加分项",
             "group": "所属分组", "kind": "声明类型", "exported": "是否列为结果", "where": "适用记录",
             "var": "记录变量", "key": "记录标识", "alias": "别名"}


# ---- one change ---------------------------------------------------------------------

def _value(text: str | None, unit: str | None) -> str:
    if text is None:
        return "(none)"
    return f"{text} {unit}" if unit else text


def _old_new(change: Change) -> str:
    return f"{_value(change.old, change.unit)} → {_value(change.new, change.unit)}"


def _subject(change: Change) -> str:
    """What changed, in identifiers: `param ip_factor (知识产权类别折算系数 Tᵢ)`."""
    if change.kind == "header":
        return f"header {change.part}"
    if change.kind == "file":
        return f"file {change.name}"
    label = f" ({change.label})" if change.label else ""
    return f"{change.kind} {change.name}{label}"


def change_line(change: Change) -> str:
    """One change as plain text: what, and old → new."""
    if change.aspect in ("cell", "row"):
        where = f"row {change.row} of {table_ref_of(change)} ({change.name})"
        if change.aspect == "cell":
            return f"{where}: {change.part} {_old_new(change)}"
        return f"{where} {change.action}: {change.new if change.action == ADDED else change.old}"
    subject = _subject(change)
    if change.aspect == "declaration" or (change.kind == "header" and change.action != "changed"):
        shown = change.new if change.action == ADDED else change.old
        return f"{subject} {change.action}" + (f": {_value(shown, change.unit)}" if shown else "")
    if change.kind == "header":
        return f"{subject}: {_old_new(change)}"
    part = f" {change.part}" if change.part else ""
    if change.action != "changed":
        shown = change.new if change.action == ADDED else change.old
        return f"{subject} {change.aspect}{part} {change.action}: {_value(shown, change.unit)}"
    return f"{subject} {change.aspect}{part}: {_old_new(change)}"


def foreword_line(change: Change) -> str:
    """`——提高了…：old → new（见 clause）`."""
    verb = {ADDED: "增加了", REMOVED: "删除了"}.get(change.action) or \
        {"up": "提高了", "down": "降低了"}.get(change.direction, "更新了")
    label = "文件标识" if change.kind == "header" else change.label or change.name
    see = f"（见 {change.clause}）" if change.clause and change.aspect != "clause" else ""
    shown = change.new if change.action == ADDED else change.old
    if change.aspect == "declaration":
        what = f"{KIND_CN.get(change.kind, change.kind)}“{label}”"
        detail = f"：{_value(shown, change.unit)}" if shown and change.kind not in ("table", "grade", "group") else ""
        return f"——{verb}{what}{detail}{see}"
    if change.aspect in ("cell", "row"):
        where = f"{label}第{change.row}行"
        if change.aspect == "row":
            return f"——{verb}{where}：{shown}{see}"
        return f"——{verb}{where} {change.part}：{change.old} → {change.new}{see}"
    if change.aspect == "label":
        return f"——{verb}{KIND_CN.get(change.kind, change.kind)}名称：“{change.old}” → “{change.new}”{see}"
    noun = ASPECT_CN.get(change.aspect, "")
    part = f"（{change.part}）" if change.part else ""
    if change.action != "changed":
        return f"——{verb}{label}{noun}{part}：{_value(shown, change.unit)}{see}"
    return f"——{verb}{label}{noun}{part}：{_old_new(change)}{see}"


# ---- clause order -------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十百]+")


def _cn_number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十三 → 23, 一百零五 → 105."""
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


def clause_key(clause: str | None) -> tuple:
    """Natural order of clause references: numbers as numbers, Chinese numerals too;
    a change without a clause sorts last."""
    if not clause:
        return ((2, ""),)
    text = _CN_NUMBER.sub(lambda m: str(_cn_number(m.group(0))), clause)
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


# ---- Markdown ---------------------------------------------------------------------------------

def _identity(header: dict) -> str:
    title = header.get("title") or header.get("name") or "?"
    version = header.get("version")
    return f"《{title}》" + (f"（{version}）" if version else "")


def foreword(diff: RuleDiff) -> str:
    """The Markdown change list, file by file, sorted by clause."""
    out = []
    several = len(diff.files) > 1
    for file_diff in diff.files:
        if several:
            out += [f"## {file_diff.path}", ""]
        listed = [c for c in file_diff.changes if c.kind != "header"]
        if file_diff.old_path is None or file_diff.new_path is None:
            out += [foreword_line(file_diff.changes[0]), ""]
            continue
        if not listed:
            out += ["本文件与" + _identity(file_diff.old_header) + "相比，规则无变化。", ""]
            continue
        out += [f"本文件与{_identity(file_diff.old_header)}相比，主要技术变化如下：", ""]
        for change in sorted(listed, key=lambda c: clause_key(c.clause)):
            out += [foreword_line(change), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def impact_markdown(impact) -> str:
    """The impact summary as Markdown tables: counts, transition matrix, movers, totals."""
    from engine.render import score_text
    out = [f"## 对评价结果的影响（{impact.size} 个申报主体）", ""]
    if impact.grade:
        summary = impact.summary()
        out += [f"等级提高 {summary['grade_up']}，降低 {summary['grade_down']}，不变 {summary['grade_same']}，"
                f"无法比较 {summary['grade_undetermined']}。", ""]
        grades = _shown_grades(impact)
        cells = impact.matrix()
        out += ["| 原等级 \\ 新等级 | " + " | ".join(grades) + " | 合计 |",
                "|---|" + "---:|" * (len(grades) + 1)]
        for old in grades:
            row = [cells.get((old, new), 0) for new in grades]
            out.append(f"| {old} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |")
        out.append("")
    movers = impact.largest_movers()
    if movers and impact.total:
        out += ["| 申报主体 | 原综合值 | 原等级 | 新综合值 | 新等级 | 变化 |", "|---|---:|---|---:|---|---:|"]
        for a in movers:
            out.append(f"| {a.label} | {score_text(a.old.total)} | {a.old.grade_shown} | {score_text(a.new.total)} | "
                       f"{a.new.grade_shown} | {_signed(a.delta)} |")
        out.append("")
    totals = impact.market_totals()
    if totals:
        out += ["| 结果 | 原合计 | 新合计 | 变化 |", "|---|---:|---:|---:|"]
        for t in totals:
            unit = impact.units.get(t.name)
            out.append(f"| {t.label or t.name} | {describe(t.old, unit)} | {describe(t.new, unit)} | "
                       f"{_signed(t.delta, unit)} |")
        out.append("")
    return "\n".join(out)


def _shown_grades(impact) -> list[str]:
    """Every grade of the table; no conclusion and errors only when someone has them."""
    from engine.impact import ERROR, NO_CONCLUSION
    cells = impact.matrix()
    used = {g for (a, b), n in cells.items() if n for g in (a, b)}
    return [g for g in impact.grades if g not in (NO_CONCLUSION, ERROR) or g in used]


def _signed(value, unit: str | None = None) -> str:
    if value is None:
        return "—"
    text = describe(value, unit)
    if value <= 0:
        return text
    return "≈+" + text[1:] if text.startswith("≈") else "+" + text


# ---- the terminal ---------------------------------------------------------------------------

def print_diff(console, diff: RuleDiff) -> None:
    from rich.text import Text
    console.print(Text(f"rulecheck diff {diff.old} → {diff.new}", style="bold"), soft_wrap=True)
    styles = {ADDED: "green", REMOVED: "red", "changed": "yellow"}
    for file_diff in diff.files:
        old, new = file_diff.old_header, file_diff.new_header
        versions = f" ({old.get('version') or '?'} → {new.get('version') or '?'})" if old and new else ""
        count = len(file_diff.changes)
        console.print(Text(f"{file_diff.path}{versions}: {count} change{'s' if count != 1 else ''}", style="bold"),
                      soft_wrap=True)
        for change in file_diff.changes:
            clause = f"§ {change.clause}  " if change.clause else ""
            line = Text(f"  {_SIGN[change.action]} ", style=styles[change.action])
            line.append(clause, style="dim")
            line.append(change_line(change) + _ARROW[change.direction])
            console.print(line, soft_wrap=True)


def print_impact(console, impact) -> None:
    from rich.table import Table
    from rich.text import Text
    from engine.render import score_text
    console.print(Text(f"\nImpact on {impact.size} applicant(s) — {impact.rule_file}", style="bold"))
    table = Table(title="per applicant", show_lines=False)
    for column in ("#", "applicant"):
        table.add_column(column)
    if impact.total:
        for column in ("old total", "old grade", "new total", "new grade", "Δ total"):
            table.add_column(column, justify="right" if "total" in column else "left")
        table.add_column("moved", overflow="fold")
    if impact.result_names:
        table.add_column("results: old → new (Δ)", overflow="fold")
    for a in impact.applicants:
        cells = [str(a.position), a.label]
        if impact.total:
            cells += [score_text(a.old.total), a.old.grade_shown, score_text(a.new.total), a.new.grade_shown,
                      _signed(a.delta), "; ".join(_moved_text(m, impact) for m in a.moved) or _error_text(a)]
        if impact.result_names:
            cells.append("; ".join(_moved_text(m, impact) for m in a.results) or _error_text(a) or "no change")
        table.add_row(*cells)
    console.print(table)
    summary = impact.summary()
    if impact.grade:
        console.print(f"grades: {summary['grade_up']} up, {summary['grade_down']} down, {summary['grade_same']} "
                      f"unchanged, {summary['grade_undetermined']} without a conclusion on one side")
    if impact.total:
        console.print(f"totals: {summary['total_up']} up, {summary['total_down']} down, {summary['total_same']} "
                      f"unchanged, {summary['total_undetermined']} without a conclusion; "
                      f"{summary['indicators_moved']} applicant(s) with indicators that moved")
    if summary["errors"]:
        console.print(Text(f"{summary['errors']} applicant(s) could not be evaluated on one side", style="bold red"))
    if impact.grade:
        grades = _shown_grades(impact)
        cells = impact.matrix()
        matrix = Table(title="grade transitions (rows: old grade, columns: new grade)")
        matrix.add_column("old \\ new")
        for grade in grades + ["total"]:
            matrix.add_column(grade, justify="right")
        for old in grades:
            row = [cells.get((old, new), 0) for new in grades]
            matrix.add_row(old, *(str(n) if n else "·" for n in row), str(sum(row)))
        console.print(matrix)
    movers = impact.largest_movers()
    if movers:
        table = Table(title="largest movers")
        for column in ("applicant", "old total", "new total", "Δ total", "old grade", "new grade"):
            table.add_column(column, justify="right" if "total" in column else "left")
        for a in movers:
            table.add_row(a.label, score_text(a.old.total), score_text(a.new.total), _signed(a.delta),
                          a.old.grade_shown, a.new.grade_shown)
        console.print(table)
    totals = impact.market_totals()
    if totals:
        table = Table(title="market totals (sum over the applicants each version concludes on)")
        for column in ("result", "old", "new", "Δ", "concluded old/new"):
            table.add_column(column, justify="left" if column == "result" else "right")
        for t in totals:
            unit = impact.units.get(t.name)
            table.add_row(f"{t.name} {t.label or ''}".strip(), describe(t.old, unit), describe(t.new, unit),
                          _signed(t.delta, unit),
                          f"{t.old_concluded}/{t.new_concluded} of {impact.size}")
        console.print(table)


def _moved_text(moved, impact) -> str:
    from engine.impact import NO_CONCLUSION, NOT_EVALUATED_TEXT
    from engine.values import NOT_EVALUATED, Missing
    unit = impact.units.get(moved.name)

    def shown(value):
        if isinstance(value, Missing):
            return NO_CONCLUSION
        return NOT_EVALUATED_TEXT if value is NOT_EVALUATED else describe(value, unit)
    delta = f" ({_signed(moved.delta, unit)})" if moved.delta is not None else ""
    return f"{moved.name} {shown(moved.old)} → {shown(moved.new)}{delta}"


def _error_text(applicant) -> str:
    errors = [f"{side}: {s.error}" for side, s in (("old", applicant.old), ("new", applicant.new)) if s.error]
    return "; ".join(errors)


def print_explanation(console, applicant, explained) -> None:
    """The traces of what moved for one applicant, old and new side by side."""
    from rich.table import Table
    from rich.text import Text
    console.print(Text(f"\nWhy {applicant.label} moved", style="bold"))
    if not explained:
        console.print("nothing moved for this applicant")
    for name, old, new in explained:
        table = Table(title=name, show_lines=False, expand=True)
        table.add_column("old", overflow="fold", ratio=1)
        table.add_column("new", overflow="fold", ratio=1)
        table.add_row(Text(old), Text(new))
        console.print(table)


# ---- JSON -------------------------------------------------------------------------------------

def change_data(change: Change) -> dict:
    return {"file": change.file, "kind": change.kind, "name": change.name, "label": change.label,
            "clause": change.clause, "aspect": change.aspect, "part": change.part, "action": change.action,
            "old": change.old, "new": change.new, "unit": change.unit, "direction": change.direction,
            "row": {"old": change.rows[0], "new": change.rows[1]} if change.aspect in ("row", "cell") else None,
            "text": change_line(change), "foreword": foreword_line(change)}


def diff_document(diff: RuleDiff, impact=None) -> dict:
    document = {
        "old": diff.old,
        "new": diff.new,
        "files": [{"path": f.path, "old": f.old_path, "new": f.new_path, "old_header": f.old_header,
                   "new_header": f.new_header, "changes": [change_data(c) for c in f.changes]}
                  for f in diff.files],
        "change_count": len(diff.changes),
    }
    if impact is not None:
        document["impact"] = impact_data(impact)
    return document


def _side_data(side) -> dict:
    return {"total": plain_value(side.total), "grade": plain_value(side.grade), "error": side.error}


def _moved_data(moved) -> dict:
    return {"name": moved.name, "label": moved.label, "old": plain_value(moved.old), "new": plain_value(moved.new),
            "delta": moved.delta}


def impact_data(impact) -> dict:
    cells = impact.matrix()
    return {
        "rule_file": impact.rule_file,
        "population": impact.size,
        "total": impact.total,
        "grade": impact.grade,
        "applicants": [{"position": a.position, "applicant": a.label, "source": a.source, "row": a.row,
                        "key": a.key, "old": _side_data(a.old), "new": _side_data(a.new), "delta": a.delta,
                        "moved": [_moved_data(m) for m in a.moved],
                        "results": [_moved_data(m) for m in a.results]} for a in impact.applicants],
        "summary": impact.summary(),
        "transitions": {"grades": list(impact.grades),
                        "matrix": [[cells.get((a, b), 0) for b in impact.grades] for a in impact.grades]},
        "largest_movers": [{"applicant": a.label, "delta": a.delta} for a in impact.largest_movers()],
        "market_totals": [{"name": t.name, "label": t.label, "old": t.old, "new": t.new, "delta": t.delta,
                           "old_concluded": t.old_concluded, "new_concluded": t.new_concluded}
                          for t in impact.market_totals()],
    }


def explanation_markdown(applicant, explained) -> str:
    out = [f"## {applicant.label}：变化的指标", ""]
    for name, old, new in explained:
        out += [f"### {name}", "", "原版本：", "", "```", old, "```", "", "新版本：", "", "```", new, "```", ""]
    return "\n".join(out)
