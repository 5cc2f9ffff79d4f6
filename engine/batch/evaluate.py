"""The rules over columns: every rule of a plan, for every applicant of a batch at once.

This mirrors engine/evaluator.py (its semantics are the reference) rule for
rule, with a column (engine/batch/columns.py) where the scalar evaluator has
one value. Expressions are evaluated in a *frame*: the applicants themselves,
or the elements of their lists inside an aggregate or a derive block; a frame
knows which applicant each of its rows belongs to, so a value of the applicant
(an input, a parameter, a total) is read into it by a gather.

Both branches of an `if`, every row of a table and every output cell are
computed for all rows and then chosen per row; the choice also picks which
errors count (an error in a branch not taken is no error), as the scalar
evaluator, which computes only what it needs, would.
"""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
import numpy as np

from dsl import ast
from engine.batch import columns as C
from engine.batch.columns import gate, k_or, Bool, ListCol, Num, Record, TableHit, Text, flags, m_and, m_not, m_or, m_where
from engine.values import NOT_EVALUATED


class NotVectorised(Exception):
    """The rules use something the batch evaluator does not do; the scalar one will."""


@attrs.frozen
class Frame:
    n: int
    env: dict  # loop and record variables → their columns in this frame
    top: object = None  # frame row → applicant row (None: the frame is the applicants)
    block: object = None  # the derive block whose values are being computed, if any


_ARITHMETIC = {"+": C.add, "-": C.sub, "*": C.mul, "/": C.div}


class BatchEvaluation:
    """The columns of one batch of applicants, computed on first need and kept."""

    def __init__(self, plan, inputs: dict, given: dict, n: int):
        self.plan = plan
        self.symbols = plan.symbols
        self.inputs = inputs  # input name → column (defaults applied)
        self.given = given  # input name → bool array: the data has the input
        self.n = n
        self.top = Frame(n, {})
        self.memo: dict = {}
        self.block_lets = {block.name: {let.name for let in block.lets} for block in self.symbols.derives.values()}
        self.derived_memo: dict = {}

    # ---- constants ---------------------------------------------------------------------
    def constant(self, value):
        if isinstance(value, bool):
            return Bool(value)
        if isinstance(value, Fraction):
            return Num.const(value)
        if isinstance(value, str):
            return Text.const(value)
        if value is NOT_EVALUATED:
            raise NotVectorised("a constant that is not evaluated")
        raise NotVectorised(f"a constant of type {type(value).__name__}")

    def unknown(self, frame: Frame):
        return Num(0, 1, np.zeros(frame.n, dtype=bool))

    # ---- named values ---------------------------------------------------------------
    def named(self, name: str, frame: Frame):
        col = self.memo.get(name)
        if col is None:
            col = self.memo[name] = self.compute(name)
        return col if frame.top is None else col.take(frame.top)

    def compute(self, name: str):
        decl = self.symbols.decls.get(name)
        if isinstance(decl, ast.Input):
            return self.inputs[name]
        if isinstance(decl, ast.Param):
            return self.constant(self.plan.params[name])
        if isinstance(decl, ast.Let):
            return self.expr(decl.expr, self.top)
        from engine.batch import rules
        return rules.compute(self, name, decl)

    def derived(self, record: Record, field: str):
        """A value of a derive block, for the records of `record` (see Evaluation.derived)."""
        block = self.plan.derives[record.list_name]
        full = self.derived_memo.get((record.list_name, field))
        if full is None:
            full = self.derived_memo[(record.list_name, field)] = self._derive_all(block, field)
        return full if record.positions is None else full.take(record.positions)

    def _derive_all(self, block, field: str):
        frame = self.record_frame(block.decl.name, block.decl.var)
        let = next(let for let in block.decl.lets if let.name == field)
        value = self.expr(let.expr, frame)
        if block.decl.where is None:
            return value
        holds = self.expr(block.decl.where, frame)
        known_w, err_w = flags(holds)
        decided = m_and(known_w, holds.value)
        known_v, err_v = flags(value)
        return attrs.evolve(value, known=m_and(known_v, decided), err=m_or(err_w, gate(decided, err_v)),
                            **({"ne": None} if hasattr(value, "ne") else {}))

    def record_frame(self, list_name: str, var: str) -> Frame:
        """The frame of every record of a top-level input list, one row per record.
        The loader lays the records out list after list (engine/batch/load.py)."""
        listed = self.named(list_name, self.top)
        lengths = C.broadcast(listed.lengths, self.n)
        owner = np.repeat(np.arange(self.n), lengths)
        if len(owner) != _length(listed.item):
            raise NotVectorised(f"the records of `{list_name}` are not laid out list after list")
        return Frame(len(owner), {var: listed.item}, owner, self.symbols.derives[list_name])

    # ---- expressions --------------------------------------------------------------------
    def expr(self, node, frame: Frame):
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise NotVectorised(f"`{type(node).__name__}` expressions")
        return method(node, frame)

    def expr_Number(self, node, frame):
        return Num.const(node.value)

    def expr_String(self, node, frame):
        return Text.const(node.value)

    def expr_Bool(self, node, frame):
        return Bool(node.value)

    def expr_Undetermined(self, node, frame):
        return Num(0, 1, False)

    def expr_EmptyList(self, node, frame):
        return ListCol(np.zeros(frame.n, dtype=np.int64), np.zeros(frame.n, dtype=np.int64), Num(0))

    def expr_Name(self, node, frame):
        name = node.id
        if name in frame.env:
            return frame.env[name]
        block = frame.block
        if block is not None and name in self.block_lets.get(block.name, ()):
            return self.derived(frame.env[block.var], name)
        decl = self.symbols.decls.get(name)
        if decl is not None:
            return self.named(name, frame)
        return Text.const(name)  # an enum value

    def expr_Field(self, node, frame):
        if isinstance(node.obj, ast.Name) and node.obj.id not in frame.env \
                and isinstance(self.symbols.decls.get(node.obj.id), ast.Param):
            return self.constant(self.plan.params[node.obj.id][node.name])
        obj = self.expr(node.obj, frame)
        if isinstance(obj, TableHit):
            return obj.outputs[node.name]
        if isinstance(obj, Record):
            if node.name in obj.fields:
                field = obj.fields[node.name]
                known_r, err_r = obj.known, obj.err
                return attrs.evolve(field, known=m_and(field.known, known_r), err=m_or(field.err, err_r))
            if obj.list_name is not None and (obj.list_name, node.name) in self._derivable:
                return self.derived(obj, node.name)
            return Num(0, 1, False)
        raise NotVectorised(f"a field of {type(obj).__name__}")

    @property
    def _derivable(self):
        return {(block.decl.name, let.name) for block in self.plan.derives.values() for let in block.decl.lets}

    def expr_Index(self, node, frame):
        if isinstance(node.obj, ast.Name) and isinstance(self.symbols.decls.get(node.obj.id), ast.Param) \
                and node.obj.id not in frame.env:
            return self._lookup(self.plan.params[node.obj.id], self.expr(node.key, frame), frame)
        listed, key = self.expr(node.obj, frame), self.expr(node.key, frame)
        if not isinstance(listed, ListCol) or not isinstance(key, Num):
            raise NotVectorised("indexing other than a list by a number")
        known_l, err_l = flags(listed)
        known_k, err_k = flags(key)
        known = m_and(known_l, known_k)
        num = C.broadcast(key.num, frame.n)
        if isinstance(key.den, int) and key.den == 1 and num.dtype == np.int64:  # a whole number already
            index = num
        else:
            index = np.where(num % key.den == 0, num // key.den, -1).astype(np.int64)
        lengths = C.broadcast(listed.lengths, frame.n)
        inside = (index >= 0) & (index < lengths)
        bad = m_and(known, ~inside)
        position = np.where(inside, C.broadcast(listed.starts, frame.n) + index, 0)
        if _length(listed.item) == 0:
            item = self.unknown(frame)
        else:
            item = listed.item.take(position)
        known_i, err_i = flags(item)
        return attrs.evolve(item, known=m_and(m_and(known, inside), known_i),
                            err=m_or(m_or(m_or(err_l, err_k), bad), gate(inside, err_i)))

    def _lookup(self, table: dict, key, frame):
        """A parameter map read with a column of keys."""
        if isinstance(key, Num):
            return self._lookup_by_number(table, key, frame)
        if not isinstance(key, Text):
            raise NotVectorised("a lookup keyed by something other than an enum or a number")
        values = [table.get(c) for c in key.categories]
        present = np.array([v is not None for v in values] + [False])
        codes = C.broadcast(key.codes, frame.n) if isinstance(key.codes, np.ndarray) or frame.n else key.codes
        found = present[codes]
        sample = next((v for v in values if v is not None), None)
        known_k, err_k = flags(key)
        err = m_or(err_k, m_and(known_k, ~found))
        if isinstance(sample, Fraction) or sample is None:
            fractions = [v if isinstance(v, Fraction) else Fraction(0) for v in values]
            den = 1
            for f in fractions:
                den = den * f.denominator // np.gcd(den, f.denominator)
            nums = C.narrow(np.array([int(f * den) for f in fractions] + [0], dtype=object))
            col = Num(nums[codes], int(den))
        elif isinstance(sample, bool):
            col = Bool(np.array([bool(v) for v in values] + [False])[codes])
        elif isinstance(sample, str):
            cats = tuple(dict.fromkeys(v for v in values if isinstance(v, str)))
            mapping = np.array([cats.index(v) if isinstance(v, str) else -1 for v in values] + [-1])
            col = Text(mapping[codes], cats)
        else:
            raise NotVectorised("a lookup of non-scalar values")
        return attrs.evolve(col, known=m_and(known_k, found), err=err)

    def _lookup_by_number(self, table: dict, key: Num, frame):
        """A map keyed by numbers (a year → its ratio); a key not in the map is an error."""
        entries = [(k, v) for k, v in table.items() if isinstance(k, Fraction)]
        if not entries:
            raise NotVectorised("a lookup keyed by a number in a map without number keys")
        hits = [np.array(C.as_bool_array(compare(key, Num.const(k), "=").value, frame.n, False), dtype=bool)
                for k, _ in entries]
        found = np.logical_or.reduce(hits)
        known_k, err_k = flags(key)
        choices = [self.constant(v) for _, v in entries]
        return select(hits, choices, choices[-1], m_and(known_k, found), m_or(err_k, m_and(known_k, ~found)),
                      frame.n)

    def expr_Unary(self, node, frame):
        operand = self.expr(node.operand, frame)
        known, err = flags(operand)
        if node.op == "not":
            return Bool(~operand.value if isinstance(operand.value, np.ndarray) else not operand.value, known, err)
        return C.neg(operand)

    def expr_Binary(self, node, frame):
        op = node.op
        left = self.expr(node.left, frame)
        right = self.expr(node.right, frame)
        if op in ("and", "or"):
            return _kleene(left, right, decisive=op == "or")
        if op in C.COMPARISONS:
            return compare(left, right, op)
        if op in _ARITHMETIC:
            return _ARITHMETIC[op](left, right)
        if op == "^" or op == "**":
            return self._power(left, right, frame)
        raise NotVectorised(f"the operator {op}")

    def _power(self, base: Num, exponent: Num, frame):
        if isinstance(exponent.num, np.ndarray) or isinstance(exponent.den, np.ndarray):
            result = Num(0, 1)  # the rows where the exponent has no conclusion
            for value in _distinct_values(exponent, frame.n):
                if value.denominator != 1:
                    return attrs.evolve(base, err=True)
                part = C.power(base, int(value))
                hit = C.compare(exponent, Num.const(value), "=").value
                result = C.choose(hit, part, result)
            known_b, err_b = flags(base)
            known_e, err_e = flags(exponent)
            return Num(result.num, result.den, m_and(known_b, known_e), m_or(err_b, err_e))
        value = Fraction(int(exponent.num), int(exponent.den))
        if value.denominator != 1:
            return attrs.evolve(base, err=True)
        result = C.power(base, int(value))
        if value < 0:
            known_b, _ = flags(base)
            zero = base.num == 0
            result = attrs.evolve(result, err=m_or(result.err, m_and(known_b, zero)))
        return result

    def expr_Member(self, node, frame):
        operand = self.expr(node.operand, frame)
        result = None
        for option in node.options:
            test = compare(operand, self.expr(option, frame), "=")
            result = test if result is None else _kleene(result, test, decisive=True, lazy=False)
        return result

    def expr_If(self, node, frame):
        cond = self.expr(node.cond, frame)
        then, otherwise = self.expr(node.then, frame), self.expr(node.otherwise, frame)
        known_c, err_c = flags(cond)
        picked = C.as_bool_array(cond.value, frame.n, False) if isinstance(cond.value, np.ndarray) \
            else np.full(frame.n, bool(cond.value))
        return select([picked], [then], otherwise, known_c, err_c, frame.n)

    def expr_Call(self, node, frame):
        from engine.batch.functions import call
        return call(self, node, frame)

    def expr_Aggregate(self, node, frame):
        from engine.batch.functions import aggregate
        return aggregate(self, node, frame)


# ---- helpers shared with the rules and functions modules ------------------------------------

def _length(col) -> int:
    for part in ("num", "value", "codes", "starts"):
        value = getattr(col, part, None)
        if isinstance(value, np.ndarray):
            return len(value)
    if isinstance(col, Record):
        return C._length_of(col) if col.fields else 0
    return 0


def _element_positions(starts, lengths):
    """For each element of the lists, its position in the item column, list after list."""
    total = int(lengths.sum())
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _kleene(a: Bool, b: Bool, decisive: bool, lazy: bool = True) -> Bool:
    """`a or b` (decisive True) / `a and b` (decisive False) in three-valued logic."""
    known_a, err_a = flags(a)
    known_b, err_b = flags(b)
    va, vb = a.value, b.value
    settles_a = m_and(known_a, va if decisive else _not(va))
    settles_b = m_and(known_b, vb if decisive else _not(vb))
    value = (va | vb) if decisive else (va & vb)
    known = k_or(k_or(m_and(known_a, known_b), settles_a), settles_b)
    err = m_or(err_a, gate(m_not(settles_a), err_b)) if lazy else m_or(err_a, err_b)
    return Bool(value, known, err)


def _distinct_values(col: Num, n: int) -> list:
    """The values a number column takes on its known rows, as Fractions."""
    known = C.as_bool_array(flags(col)[0], n, True)
    num = C.broadcast(col.num, n)[known]
    if isinstance(col.den, np.ndarray):
        pairs = np.stack([num, col.den[known]])
        return sorted({Fraction(int(a), int(b)) for a, b in np.unique(pairs, axis=1).T})
    return [Fraction(int(v), col.den) for v in _distinct_ints(num)]


def _distinct_ints(x):
    if x.dtype != object and len(x) and int(x.max()) - int(x.min()) < 1 << 16:
        low = int(x.min())
        return np.flatnonzero(np.bincount(x - low)) + low  # no sort: counts over a short range
    return np.unique(x)


def _not(value):
    return ~value if isinstance(value, np.ndarray) else not value


def compare(a, b, op: str) -> Bool:
    if isinstance(a, Num) and isinstance(b, Num):
        return C.compare(a, b, op)
    known_a, err_a = flags(a)
    known_b, err_b = flags(b)
    if isinstance(a, Text) and isinstance(b, Text) and op in ("=", "!="):
        equal = a.codes == b.recoded(a.categories) if isinstance(b.codes, np.ndarray) \
            else a.codes == a.code_of(b.categories[b.codes])
        return Bool(equal if op == "=" else _not(equal), m_and(known_a, known_b), m_or(err_a, err_b))
    if isinstance(a, Bool) and isinstance(b, Bool) and op in ("=", "!="):
        equal = a.value == b.value
        return Bool(equal if op == "=" else _not(equal), m_and(known_a, known_b), m_or(err_a, err_b))
    raise NotVectorised(f"comparing {type(a).__name__} with {type(b).__name__}")


def select(conditions, choices, otherwise, known, err, n: int):
    """Row-wise: the first choice whose condition holds, else `otherwise`; `known`/`err`
    are those of the decision itself (a row whose decision has no conclusion has none)."""
    picked_index = np.select(conditions, list(range(len(choices))), len(choices)) if conditions else \
        np.zeros(n, dtype=np.int64)
    return select_by_index(picked_index, choices, otherwise, known, err, n)


def select_by_index(picked_index, choices, otherwise, known, err, n: int):
    """`select` with the choice made: row i takes choices[picked_index[i]], or `otherwise`
    where the index is len(choices)."""
    cols = [*choices, otherwise]
    result = _pick(cols, picked_index, n)
    known_v = _gather_mask([flags(c)[0] for c in cols], picked_index, True, n)
    err_v = _gather_mask([flags(c)[1] for c in cols], picked_index, False, n)
    return attrs.evolve(result, known=m_and(known, known_v), err=m_or(err, gate(known, err_v)),
                        **({"ne": None} if hasattr(result, "ne") else {}))


def _gather_mask(masks, index, neutral: bool, n: int):
    if all(m is None for m in masks):
        return None
    return choose_rows(index, [neutral if m is None else m for m in masks])


_CHOOSE_LIMIT = 32  # np.choose takes at most 32 arrays in NumPy 1.x


def choose_rows(index, parts):
    """Row i of parts[index[i]] (parts: arrays or constants, broadcast)."""
    if len(parts) <= _CHOOSE_LIMIT:
        return np.choose(index, parts)
    result = np.broadcast_to(parts[0], np.shape(index))
    for i in range(1, len(parts)):
        result = np.where(index == i, parts[i], result)
    return result


def _pick(cols, index, n: int):
    """The value part of cols[index[i]] for each row i (masks are set by the caller)."""
    kinds = {type(c) for c in cols}
    if kinds <= {Num}:
        if any(isinstance(c.den, np.ndarray) for c in cols):  # a fraction per row: pick both parts
            return Num(C.narrow(choose_rows(index, [c.num for c in cols])), choose_rows(index, [c.den for c in cols]))
        den = math.lcm(*(c.den for c in cols))
        return Num(C.narrow(choose_rows(index, [C.i_mul(c.num, den // c.den) for c in cols])), den)
    if kinds <= {Bool}:
        return Bool(choose_rows(index, [c.value for c in cols]))
    if kinds <= {Text}:
        categories = tuple(dict.fromkeys(cat for c in cols for cat in c.categories))
        return Text(choose_rows(index, [c.recoded(categories) for c in cols]), categories)
    if kinds <= {Num, Text, Bool}:
        # a branch that is `undetermined(...)` (an unknown number) beside text or booleans
        sample = next(c for c in cols if not isinstance(c, Num))
        cols = [c if not isinstance(c, Num) else attrs.evolve(sample, known=False) for c in cols]
        return _pick(cols, index, n)
    raise NotVectorised(f"choosing between {', '.join(sorted(k.__name__ for k in kinds))}")
