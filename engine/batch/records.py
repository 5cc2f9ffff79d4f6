"""Per-record results of a derive block (`models`, `key_tech_requirements`) as the
compact JSON text that engine/table_io.py writes in their cell."""

from __future__ import annotations

import json

import numpy as np

from engine.batch.columns import gate, Bool, Num, Text, as_bool_array, flags, m_and, m_or
from engine.batch.output import texts


def _json_cells(col, n: int) -> list:
    cells = texts(col, n)
    if isinstance(col, Num):
        return ["null" if c is None else (json.dumps(c) if c == "not_evaluated" else c) for c in cells]
    if isinstance(col, (Text, Bool)):
        return ["null" if c is None else (c if isinstance(col, Bool) and c in ("true", "false")
                                          else json.dumps(c, ensure_ascii=False)) for c in cells]
    raise TypeError(f"no JSON for {type(col).__name__}")


def listed(ev, name: str):
    """(cells, err): each applicant's records as JSON text, None where the list has no conclusion."""
    block = ev.plan.derives[name]
    decl = block.decl
    listed_col = ev.named(name, ev.top)
    frame = ev.record_frame(name, decl.var)
    m = frame.n
    keep = np.ones(m, dtype=bool)
    err = None
    if decl.where is not None:
        holds = ev.expr(decl.where, frame)
        known, w_err = flags(holds)
        keep = ~(np.array(as_bool_array(known, m, True)) & ~np.array(as_bool_array(holds.value, m, False)))
        err = m_or(err, w_err)
    fields = []
    if decl.key:
        key_col = listed_col.item.fields.get(decl.key)
        fields.append((decl.key, _json_cells(key_col, m) if key_col is not None else ["null"] * m))
    for let in decl.lets:
        if let.exported:
            col = ev.derived(listed_col.item, let.name)
            err = m_or(err, gate(keep, col.err))
            fields.append((let.name, _json_cells(col, m)))
    objects = ["{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {cells[i]}" for k, cells in fields) + "}"
               for i in range(m)]
    known_list = np.array(as_bool_array(flags(listed_col)[0], ev.n, True), dtype=bool)
    out = []
    owner = frame.top
    bounds = np.searchsorted(owner, np.arange(ev.n + 1))
    for row in range(ev.n):
        if not known_list[row]:
            out.append(None)
            continue
        items = [objects[i] for i in range(bounds[row], bounds[row + 1]) if keep[i]]
        out.append("[" + ", ".join(items) + "]")
    row_err = None
    if err is not None:
        dense = np.array(as_bool_array(err, m, False), dtype=bool)
        counts = np.concatenate(([0], np.cumsum(dense)))
        row_err = (counts[bounds[1:]] - counts[bounds[:-1]]) > 0
    return out, row_err
