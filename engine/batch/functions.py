"""Function calls and aggregates over columns (engine/compiler.py `_FUNCTIONS`, `_AGGREGATES`).

An aggregate runs its body in a child frame with one row per list element;
the elements of one applicant are consecutive, so a per-applicant sum is a
difference of running sums at the segment bounds, exact on integers.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from dsl import ast
from engine.batch import columns as C
from engine.batch.columns import gate, Bool, ListCol, Num, Record, flags, m_and, m_or
from engine.batch.evaluate import Frame, NotVectorised, _element_positions, _length


def _full(mask, n: int, default: bool):
    return np.array(C.as_bool_array(mask, n, default), dtype=bool)


# ---- segments -------------------------------------------------------------------------

@attrs.frozen
class Segments:
    owner: object  # element → its row in the parent frame
    offsets: object  # parent row i owns elements offsets[i]:offsets[i+1]

    def total(self, values):
        """Per-row sums of an integer array over the elements."""
        values = np.asarray(values)
        if values.dtype != object and C._max_abs(values) * max(len(values), 1) > 2 ** 62:
            values = values.astype(object)
        running = np.concatenate((np.zeros(1, dtype=values.dtype), np.cumsum(values)))
        return C.narrow(running[self.offsets[1:]] - running[self.offsets[:-1]])

    def any(self, mask):
        if mask is None:
            return None
        return self.total(_full(mask, len(self.owner), False).astype(np.int64)) > 0


def _child_frame(frame: Frame, lengths, var: str, item) -> tuple[Frame, Segments]:
    owner = np.repeat(np.arange(frame.n), lengths)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    env = {name: col.take(owner) for name, col in frame.env.items()}
    env[var] = item
    top = owner if frame.top is None else frame.top[owner]
    return Frame(len(owner), env, top, frame.block), Segments(owner, offsets)


def _source(ev, node: ast.Aggregate, frame: Frame):
    """(lengths per row, element column, known, err) of the aggregate's source."""
    if isinstance(node.source, ast.RangeSource):
        low, high = ev.expr(node.source.low, frame), ev.expr(node.source.high, frame)
        known = m_and(flags(low)[0], flags(high)[0])
        first, last = C.ceil(low), C.floor(high)
        first_n, last_n = C.broadcast(first.num, frame.n), C.broadcast(last.num, frame.n)
        lengths = np.where(_full(known, frame.n, True), np.maximum(0, last_n - first_n + 1), 0).astype(np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        owner = np.repeat(np.arange(frame.n), lengths)
        values = first_n[owner] + (np.arange(len(owner)) - offsets[owner])
        return lengths, Num(C.narrow(np.asarray(values)), 1), known, m_or(flags(low)[1], flags(high)[1])
    listed = ev.expr(node.source, frame)
    if not isinstance(listed, ListCol):
        raise NotVectorised("an aggregate over something other than a list")
    known, err = flags(listed)
    lengths = np.where(_full(known, frame.n, True), C.broadcast(listed.lengths, frame.n), 0).astype(np.int64)
    if int(lengths.sum()) == 0:
        return lengths, _empty_like(listed.item), known, err
    item = listed.item.take(_element_positions(C.broadcast(listed.starts, frame.n), lengths))
    return lengths, item, known, err


def _empty_like(item):
    return item.take(np.zeros(0, dtype=np.int64))


def _common_den(num: Num):
    """(integer numerators, one denominator) of a number column."""
    if not isinstance(num.den, np.ndarray):
        return num.num, num.den
    distinct, position = np.unique(num.den, return_inverse=True)
    common = math.lcm(*(int(d) for d in distinct)) if len(distinct) else 1
    factors = np.array([common // int(d) for d in distinct], dtype=object)[position]
    return C.narrow(C.i_mul(C.narrow(factors), num.num)), common


def aggregate(ev, node: ast.Aggregate, frame: Frame):
    lengths, item, known, err = _source(ev, node, frame)
    child, segments = _child_frame(frame, lengths, node.var, item)
    n, m = frame.n, child.n
    kept = np.ones(m, dtype=bool)
    if node.where is not None:
        where = ev.expr(node.where, child)
        w_known, w_err = flags(where)
        w_known = _full(w_known, m, True)
        known = m_and(known, ~segments.any(~w_known)) if m else known
        err = m_or(err, segments.any(w_err))
        kept = w_known & _full(where.value, m, False)
    body = ev.expr(node.body, child)
    b_known, b_err = flags(body)
    err = m_or(err, segments.any(gate(kept, b_err)))
    body_missing = kept & ~_full(b_known, m, True)
    count = segments.total(kept.astype(np.int64))
    func = node.func
    if func in ("all", "any"):
        decisive = func == "any"
        value = _full(body.value, m, False)
        settled = segments.any(kept & _full(b_known, m, True) & (value if decisive else ~value))
        unknown = segments.any(body_missing)
        result = settled if decisive else ~settled
        return Bool(result, m_and(known, settled | ~unknown), err)
    known = m_and(known, ~segments.any(body_missing))
    if func == "count":
        hits = segments.total((kept & _full(body.value, m, False)).astype(np.int64))
        return Num(hits, 1, known, err)
    if not isinstance(body, Num):
        raise NotVectorised(f"{func} over values that are not numbers")
    if func == "sum" and isinstance(body.den, np.ndarray):
        return attrs.evolve(_rational_totals(body, kept, segments, n), known=known, err=err)
    nums, den = (None, None) if func == "mean" and isinstance(body.den, np.ndarray) else _common_den(body)
    nums = C.broadcast(nums, m) if nums is not None else None
    if func == "sum":
        return Num(segments.total(np.where(kept, nums, 0)), den, known, err)
    empty = count == 0
    known = m_and(known, ~empty)
    if func == "mean":
        total = _rational_totals(body, kept, segments, n) if isinstance(body.den, np.ndarray) \
            else Num(segments.total(np.where(kept, nums, 0)), den)
        return attrs.evolve(C.div(total, Num(np.maximum(count, 1))), known=known, err=err)
    if func in ("min", "max"):
        return Num(_extreme(nums, kept, segments, count, func == "min"), den, known, err)
    raise NotVectorised(f"the aggregate {func}")


def _rational_totals(body: Num, kept, segments: Segments, n: int) -> Num:
    """Per-row sums of elements with a denominator each (growth rates (Rₜ − Rₜ₋₁)/Rₜ₋₁):
    added position by position within the lists, which are short, reducing as it goes,
    rather than over one denominator for the whole column, which can grow without bound."""
    offsets = segments.offsets
    lengths = offsets[1:] - offsets[:-1]
    total = Num(np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64))
    nums, dens = C.broadcast(body.num, len(kept)), body.den
    for j in range(int(lengths.max(initial=0))):
        at = np.minimum(offsets[:-1] + j, max(len(kept) - 1, 0))
        use = (lengths > j) & kept[at] if len(kept) else np.zeros(n, dtype=bool)
        element = Num(np.where(use, nums[at], 0), np.where(use, dens[at], 1))
        total = C.reduced(C.add(total, element))
    return total


def _extreme(nums, kept, segments: Segments, count, smallest: bool):
    compact = nums[kept]
    starts = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
    out = np.zeros(len(count), dtype=compact.dtype if len(compact) else np.int64)
    filled = count > 0
    if filled.any():
        reduce = np.minimum if smallest else np.maximum
        out[filled] = reduce.reduceat(compact, starts[filled])
    return out


# ---- calls --------------------------------------------------------------------------------

def call(ev, node: ast.Call, frame: Frame):
    func = node.func
    if func == "present":
        return _present(ev, node.args[0], frame)
    args = [ev.expr(a, frame) for a in node.args]
    if func in ("min", "max") and len(args) == 1:
        return _list_extreme(args[0], frame, func == "min")
    if func in ("min", "max"):
        result = args[0]
        for other in args[1:]:
            result = C.extreme(result, other, smallest=func == "min")
        return result
    if func == "abs":
        return C.absolute(args[0])
    if func == "floor":
        return C.floor(args[0])
    if func == "ceil":
        return C.ceil(args[0])
    if func == "round":
        places = 0 if len(args) == 1 else args[1].value_at(0) if isinstance(args[1].num, np.ndarray) \
            else args[1].num // args[1].den
        if len(args) > 1 and (isinstance(args[1].num, np.ndarray) or args[1].den != 1):
            raise NotVectorised("rounding to places that vary by row")
        return C.round_half_up(args[0], int(places))
    if func == "len":
        listed = args[0]
        known, err = flags(listed)
        return Num(C.broadcast(listed.lengths, frame.n), 1, known, err)
    if func in ("first", "last"):
        return _end(args[0], frame, func == "first")
    if func == "count_true":
        total, known, err = Num(0), None, None
        for arg in args:
            k, e = flags(arg)
            known, err = m_and(known, k), m_or(err, e)
            total = C.add(total, Num(np.asarray(arg.value, dtype=np.int64) if isinstance(arg.value, np.ndarray)
                                     else int(arg.value)))
        return Num(total.num, total.den, known, err)
    raise NotVectorised(f"the function {func}")


def _present(ev, target, frame: Frame) -> Bool:
    if isinstance(target, ast.Field):
        record = ev.expr(target.obj, frame)
        if not isinstance(record, Record):
            raise NotVectorised("present() of a field of something other than a record")
        field = record.fields.get(target.name)
        given = False if field is None else _full(field.known, frame.n, True)
        return Bool(given, record.known, record.err)
    return Bool(ev.given[target.id] if frame.top is None else ev.given[target.id][frame.top])


def _end(listed: ListCol, frame: Frame, first: bool):
    known, err = flags(listed)
    lengths = C.broadcast(listed.lengths, frame.n)
    empty = lengths == 0
    position = C.broadcast(listed.starts, frame.n) + (0 if first else np.maximum(lengths - 1, 0))
    if _length(listed.item) == 0:
        return Num(0, 1, False, m_and(known, empty))
    item = listed.item.take(np.where(empty, 0, position))
    k_i, e_i = flags(item)
    return attrs.evolve(item, known=m_and(m_and(known, ~empty), k_i),
                        err=m_or(m_or(err, m_and(known, empty)), gate(~empty, e_i)))


def _list_extreme(listed: ListCol, frame: Frame, smallest: bool):
    """min(list) / max(list): an empty list is an error, as in the scalar `min(())`."""
    known, err = flags(listed)
    lengths = C.broadcast(listed.lengths, frame.n)
    if _length(listed.item) == 0:
        return Num(0, 1, False, m_and(known, lengths == 0))
    item = listed.item.take(_element_positions(C.broadcast(listed.starts, frame.n), lengths))
    child_known, child_err = flags(item)
    segments = Segments(np.repeat(np.arange(frame.n), lengths),
                        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64))
    nums, den = _common_den(item)
    kept = np.ones(len(segments.owner), dtype=bool)
    values = _extreme(C.broadcast(nums, len(kept)), kept, segments, lengths, smallest)
    missing = segments.any(m_not_full(child_known, len(kept)))
    return Num(values, den, m_and(m_and(known, lengths > 0), ~missing if missing is not None else None),
               m_or(m_or(err, m_and(known, lengths == 0)), segments.any(child_err)))


def m_not_full(mask, n):
    return None if mask is None else ~_full(mask, n, True)
