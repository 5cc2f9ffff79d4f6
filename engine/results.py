"""The machine-readable result of an evaluation (data contract §5).

`results` maps every result identifier to its value: numbers exact (a
terminating decimal is printed in full, anything else to 17 significant
digits), booleans, strings; `null` for no conclusion; `"not_evaluated"` for a
rule that does not apply to this subject. `missing` lists the absent inputs;
`missing_affects` says which results each one left without a conclusion. The
receipt (rule-set content hash, engine version, input hash) is enough to
reproduce the run. JSON is written by hand here because the standard library
would turn exact numbers into binary floats.
"""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction

from engine.numbers import json_number
from engine.values import NOT_EVALUATED, Missing


def engine_version() -> str:
    import engine
    return engine.__version__


def plain_value(value):
    """A result value as JSON-ready data (numbers stay Fractions for `to_json`)."""
    if isinstance(value, Missing):
        return None
    if value is NOT_EVALUATED:
        return "not_evaluated"
    if isinstance(value, tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items() if not k.startswith("__")}
    return value


def to_json(data, indent: int = 2, _level: int = 0) -> str:
    """JSON text with exact numbers; keys keep their order."""
    pad, inner = " " * (indent * _level), " " * (indent * (_level + 1))
    if isinstance(data, bool) or data is None or isinstance(data, str):
        return json.dumps(data, ensure_ascii=False)
    if isinstance(data, Fraction):
        return json_number(data)
    if isinstance(data, int):
        return str(data)
    if isinstance(data, dict):
        if not data:
            return "{}"
        body = ",\n".join(f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {to_json(v, indent, _level + 1)}"
                          for k, v in data.items())
        return "{\n" + body + "\n" + pad + "}"
    if isinstance(data, (list, tuple)):
        if not data:
            return "[]"
        if all(not isinstance(v, (dict, list, tuple)) for v in data):
            return "[" + ", ".join(to_json(v, indent, _level + 1) for v in data) + "]"
        return "[\n" + ",\n".join(inner + to_json(v, indent, _level + 1) for v in data) + "\n" + pad + "]"
    raise TypeError(f"cannot write {type(data).__name__} as JSON")


def input_hash(values) -> str:
    """sha256 of the validated applicant data in a canonical form."""
    canonical = to_json({k: plain_value(values[k]) for k in sorted(values)}, indent=0)
    return hashlib.sha256(canonical.encode()).hexdigest()


def result_document(plan, outcome, applicant) -> dict:
    """The result object of one evaluation."""
    ruleset = plan.ruleset
    header = ruleset.header
    identity = {"name": header.name if header else None, "title": header.label if header else None}
    if header:
        for key in ("document", "version", "status"):
            identity[key] = header.field(key)
    identity["path"] = ruleset.root.path
    identity["content_hash"] = ruleset.content_hash
    affects = outcome.affected_by()
    return {
        "ruleset": identity,
        "subject": {"source": applicant.source, "row": applicant.row, "key": applicant.key},
        "results": {name: plain_value(value) for name, value in outcome.results.items()},
        "levels": {name: plain_value(value) for name, value in outcome.levels.items()},
        "missing": list(affects),
        "missing_affects": affects,
        "receipt": {
            "engine": f"rulecheck {engine_version()}",
            "ruleset_sha256": ruleset.content_hash,
            "input_sha256": input_hash(applicant.values),
        },
    }
