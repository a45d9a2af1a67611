"""`Prefer: dynamic=true[, seed=N]`: data generated from a response schema.

Neither hypothesis-jsonschema (not a dependency) nor Schemathesis' generator (internal API that
needs a Hypothesis test to draw from) can be called per request with a seed, so this is a small
generator of our own over `random.Random(seed)`. It covers what the contract uses: $ref, type
lists, const/enum, oneOf/anyOf/allOf, formats (uuid, date-time, uri, email, int32),
prefixItems, patterns (through the standard library's regex parser), lengths, bounds, required
and optional properties, arrays, and `contentSchema` (the JSON inside an SSE event's `data`).
Every value is checked against the schema before it is sent; a failing one is drawn again
(bounded).
"""

from __future__ import annotations

import json
import random
import string
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

try:
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse  # type: ignore[no-redef]

from jsonschema_path import SchemaPath
from openapi_core.validation.schemas import oas31_schema_validators_factory

from .prefer import PreferError

__all__ = ["generate", "Generator"]

ATTEMPTS = 20
_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
_WORDS = ("alpha", "bravo", "lisbon", "tram", "coffee", "river", "map", "note", "plan", "query")
_TEXT = string.ascii_letters + string.digits + " "


class Generator:
    """Values for one contract; `value(schema)` draws from `self.rng`."""

    def __init__(self, contract: dict[str, Any], rng: random.Random) -> None:
        self.contract = contract
        self.rng = rng

    def deref(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            node: Any = self.contract
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**node, **rest} if rest else node
        return schema

    def value(self, schema: Any, depth: int = 0) -> Any:
        schema = self.deref(schema)
        if schema is True or schema == {}:
            return self.rng.choice(_WORDS)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.deref(part)
                for key, val in part.items():
                    if key in ("properties",):
                        merged[key] = {**merged.get(key, {}), **val}
                    elif key == "required":
                        merged[key] = [*merged.get(key, []), *val]
                    else:
                        merged.setdefault(key, val)
            return self.value(merged, depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = schema[key]
                if depth > 6:  # deep: prefer a null branch, when there is one, to stop recursion
                    nulls = [o for o in options if self.deref(o).get("type") == "null"]
                    options = nulls or options
                rest = {k: v for k, v in schema.items() if k != key}
                chosen = self.deref(self.rng.choice(options))
                return self.value({**rest, **chosen} if rest else chosen, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            # null now and then, so nullable fields show up both ways
            kind = "null" if "null" in kind and self.rng.random() < 0.25 else self.rng.choice(kinds)
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        return getattr(self, "_" + kind)(schema, depth)

    # -- one method per JSON type ---------------------------------------------------------

    def _null(self, schema: dict, depth: int) -> None:
        return None

    def _boolean(self, schema: dict, depth: int) -> bool:
        return self.rng.random() < 0.5

    def _integer(self, schema: dict, depth: int) -> int:
        low = schema.get("minimum", 0 if schema.get("format") != "int32" else 0)
        high = schema.get("maximum", low + 1000)
        if "exclusiveMinimum" in schema:
            low = max(low, int(schema["exclusiveMinimum"]) + 1)
        if "exclusiveMaximum" in schema:
            high = min(high, int(schema["exclusiveMaximum"]) - 1)
        return self.rng.randint(int(low), int(max(low, high)))

    def _number(self, schema: dict, depth: int) -> float:
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100))
        return round(self.rng.uniform(low, high), 6)

    def _string(self, schema: dict, depth: int) -> str:
        if "contentSchema" in schema:  # e.g. an SSE event's `data`: JSON text of that schema
            return json.dumps(self.value(schema["contentSchema"], depth + 1),
                              separators=(",", ":"), ensure_ascii=False)
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if fmt == "date-time":
            moment = _EPOCH + timedelta(seconds=self.rng.randint(0, 365 * 86400))
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if fmt == "date":
            return (_EPOCH + timedelta(days=self.rng.randint(0, 365))).strftime("%Y-%m-%d")
        if fmt == "email":
            return f"{self.rng.choice(_WORDS)}@example.com"
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if "pattern" in schema:
            text = self._from_pattern(schema["pattern"])
        elif fmt in ("uri", "url"):
            text = f"https://example.com/{self.rng.choice(_WORDS)}"
        else:
            n = self.rng.randint(max(low, 1), max(low, 1) + 24)
            words = []
            while sum(len(w) + 1 for w in words) < n:
                words.append(self.rng.choice(_WORDS))
            text = " ".join(words)[:n].strip() or "x"
        if len(text) < low:
            text += "".join(self.rng.choice(string.ascii_letters) for _ in range(low - len(text)))
        if high is not None:
            text = text[:high]
        return text

    def _array(self, schema: dict, depth: int) -> list:
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", low + 3)
        high = min(high, low + (3 if depth < 4 else 0))
        items = schema.get("items", {})
        prefix = schema.get("prefixItems", [])  # 2020-12 tuples, e.g. a 422's `loc`
        low = max(low, min(len(prefix), high))
        count = self.rng.randint(low, max(low, high))
        out = [self.value(prefix[i] if i < len(prefix) else items, depth + 1)
               for i in range(count)]
        if schema.get("uniqueItems"):
            unique = []
            for item in out:
                if item not in unique:
                    unique.append(item)
            out = unique
        return out

    def _object(self, schema: dict, depth: int) -> dict:
        required = set(schema.get("required", []))
        out = {}
        for name, sub in (schema.get("properties") or {}).items():
            if name in required or (depth < 4 and self.rng.random() < 0.7):
                out[name] = self.value(sub, depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not schema.get("properties") and depth < 4:
            for _ in range(self.rng.randint(0, 2)):
                out[self.rng.choice(_WORDS)] = self.value(extra, depth + 1)
        return out

    # -- patterns ---------------------------------------------------------------------------

    def _from_pattern(self, pattern: str) -> str:
        """A string matching `pattern` (searched, as JSON Schema does)."""
        return "".join(self._emit(sre_parse.parse(pattern)))

    def _emit(self, parsed: Any) -> list[str]:
        out: list[str] = []
        for op, arg in parsed:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "ANY":
                out.append(self.rng.choice(string.ascii_letters))
            elif name == "IN":
                out.append(self._char_in(arg))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, sub = arg
                high = min(high, low + 8) if high != sre_parse.MAXREPEAT else low + 8
                for _ in range(self.rng.randint(low, max(low, high))):
                    out += self._emit(sub)
            elif name == "SUBPATTERN":
                out += self._emit(arg[-1])
            elif name == "BRANCH":
                out += self._emit(self.rng.choice(arg[1]))
            elif name == "AT":
                continue  # anchors emit nothing
            else:
                raise ValueError(f"unsupported pattern element {name}")
        return out

    def _char_in(self, items: list) -> str:
        choices: list[str] = []
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                choices.append(chr(arg))
            elif name == "RANGE":
                low, high = arg
                choices += [chr(c) for c in range(low, min(high, low + 200) + 1)]
            elif name == "CATEGORY":
                choices += list({"CATEGORY_DIGIT": string.digits,
                                 "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
                                 "CATEGORY_SPACE": " "}.get(str(arg), "x"))
            elif name == "NEGATE":
                raise ValueError("negated character classes are not generated")
        return self.rng.choice(choices)


_VALIDATORS: dict[int, Any] = {}  # id of a response schema in the loaded contract -> validator


def _validator(contract: dict[str, Any], schema: dict[str, Any]) -> Any:
    found = _VALIDATORS.get(id(schema))
    if found is None:
        spec = SchemaPath.from_dict({**contract, "x-mock-dynamic": schema})
        found = oas31_schema_validators_factory.create(spec, spec / "x-mock-dynamic").validator
        _VALIDATORS[id(schema)] = found  # bounded: one per response schema of the contract
    return found


def generate(contract: dict[str, Any], schema: dict[str, Any], seed: int | None,
             as_stream: bool = False) -> Any:
    """A value valid against `schema`; the same seed gives the same value.

    For an event stream the schema describes one event; three are generated, numbered.
    """
    rng = random.Random(seed if seed is not None else random.SystemRandom().getrandbits(32))
    gen = Generator(contract, rng)
    validator = _validator(contract, schema)
    count = 3 if as_stream else 1
    values = []
    for position in range(count):
        for _ in range(ATTEMPTS):
            try:
                value = gen.value(schema)
            except (ValueError, RecursionError, KeyError):
                continue
            if as_stream and isinstance(value, dict) and "id" in value:
                value["id"] = str(position)
            if not any(True for _ in validator.iter_errors(value)):
                values.append(value)
                break
        else:
            raise PreferError("Prefer dynamic=true: no valid value could be generated for "
                              "this response schema; use example= instead")
    return values if as_stream else values[0]
