"""Per-record results of a derive block (`models`, `key_tech_requirements`) as the
compact JSON text that engine/table_io.py writes in their cell."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.columns import gate, as_bool_array, flags, m_or
from engine.batch.output import texts


def listed(ev, name: str):
    """(cells, err): each applicant's records as JSON text in a pyarrow string array,
    null where the list has no conclusion."""
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
        fields.append((decl.key, texts(key_col, m, as_json=True) if key_col is not None else "null"))
    for let in decl.lets:
        if let.exported:
            col = ev.derived(listed_col.item, let.name)
            err = m_or(err, gate(keep, col.err))
            fields.append((let.name, texts(col, m, as_json=True)))
    parts = []  # {"k1": v1, "k2": v2}: the text before each value, then the value
    for i, (key, cells) in enumerate(fields):  # at least one exported value: an array
        parts += [("{" if i == 0 else ", ") + json.dumps(key, ensure_ascii=False) + ": ", cells]
    objects = pc.binary_join_element_wise(*parts, "}", "")
    owner = frame.top
    per_row = np.bincount(owner[keep], minlength=ev.n)
    offsets = np.concatenate(([0], np.cumsum(per_row))).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), objects.filter(pa.array(keep)))
    out = pc.binary_join_element_wise("[", pc.binary_join(lists, ", "), "]", "")
    known_list = np.array(as_bool_array(flags(listed_col)[0], ev.n, True), dtype=bool)
    if not known_list.all():
        out = pc.if_else(pa.array(known_list), out, pa.scalar(None, pa.string()))
    row_err = None
    if err is not None:
        bounds = np.searchsorted(owner, np.arange(ev.n + 1))
        dense = np.array(as_bool_array(err, m, False), dtype=bool)
        counts = np.concatenate(([0], np.cumsum(dense)))
        row_err = (counts[bounds[1:]] - counts[bounds[:-1]]) > 0
    return out, row_err
