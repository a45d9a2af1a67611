"""JSON Schema 2020-12 (as OpenAPI 3.1 uses it) compared: what a change does to valid values.

`SchemaDiff.compare(old, new)` returns `SchemaChange`s whose paths are relative to the schemas
compared. `$ref`s are followed on both sides; a pair of components is compared once and its
result reused (recursive schemas end there). Branches of `oneOf`/`anyOf`/`allOf` are matched by
the component they reference, their `title`, or the constant their properties hold (an SSE
event's `event`), and only then by position.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Callable

from .changes import Effect

__all__ = ["SchemaChange", "SchemaDiff"]

DOC_KEYS = ("description", "title", "examples", "example", "$comment")
# A larger value of these keys rejects more; of the maximum keys, accepts more.
_MIN_KEYS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_MAX_KEYS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
# Added: narrower; removed: wider; changed: both ways.
_CONSTRAINT_KEYS = ("pattern", "format", "multipleOf", "contentMediaType", "contentEncoding")


@dataclass(frozen=True)
class SchemaChange:
    kind: str
    effect: Effect
    path: tuple[str, ...]
    message: str
    origin: str = ""

    def under(self, *segments: str) -> "SchemaChange":
        return replace(self, path=tuple(segments) + self.path)


def _effect(wider: bool, narrower: bool) -> Effect:
    if wider and narrower:
        return Effect.CHANGED
    return Effect.WIDER if wider else Effect.NARROWER


def _types(schema: dict) -> set[str] | None:
    value = schema.get("type")
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def _values(schema: dict) -> list | None:
    if "const" in schema:
        return [schema["const"]]
    return schema.get("enum")


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class SchemaDiff:
    """Compares schemas of two documents; `resolve_old`/`resolve_new` follow a `$ref`."""

    def __init__(self, resolve_old: Callable[[str], Any], resolve_new: Callable[[str], Any]):
        self._resolve = (resolve_old, resolve_new)
        self._done: dict[tuple[str, str], list[SchemaChange]] = {}

    def compare(self, old: Any, new: Any) -> list[SchemaChange]:
        old, new = _normalise(old), _normalise(new)
        old_ref, new_ref = old.get("$ref"), new.get("$ref")
        if old_ref and new_ref:
            return self._compare_refs(old_ref, new_ref)
        if old_ref:
            return self.compare(self._resolve[0](old_ref), new)
        if new_ref:
            return self.compare(old, self._resolve[1](new_ref))
        return self._compare_inline(_flatten_all_of(old, self._resolve[0]), _flatten_all_of(new, self._resolve[1]))

    def _compare_refs(self, old_ref: str, new_ref: str) -> list[SchemaChange]:
        key = (old_ref, new_ref)
        if key in self._done:
            return self._done[key]
        self._done[key] = []  # a recursive schema meets itself here: nothing more to add
        found = self.compare(self._resolve[0](old_ref), self._resolve[1](new_ref))
        origin = new_ref if new_ref == old_ref else f"{old_ref} -> {new_ref}"
        found = [c if c.origin else replace(c, origin="/".join((origin,) + c.path)) for c in found]
        self._done[key] = found
        return found

    def _compare_inline(self, old: dict, new: dict) -> list[SchemaChange]:
        out: list[SchemaChange] = []
        out += self._type(old, new)
        out += self._enum(old, new)
        out += self._bounds(old, new)
        out += self._annotations(old, new)
        out += self._object(old, new)
        for key, segment in (("items", "[]"), ("contentSchema", ""), ("not", "")):
            out += self._child(old, new, key, segment)
        for key in ("oneOf", "anyOf", "allOf"):
            out += self._composition(old, new, key)
        return out

    def _child(self, old: dict, new: dict, key: str, segment: str) -> list[SchemaChange]:
        if key not in old and key not in new:
            return []
        if key == "not":
            if _canon(old.get(key)) == _canon(new.get(key)):
                return []
            return [SchemaChange("not-changed", Effect.CHANGED, (), "`not` changed")]
        if key not in new:
            return [SchemaChange(f"{key}-removed", Effect.WIDER, (), f"`{key}` removed")]
        if key not in old:
            return [SchemaChange(f"{key}-added", Effect.NARROWER, (), f"`{key}` added")]
        found = self.compare(old[key], new[key])
        return [c.under(segment) for c in found] if segment else found

    def _type(self, old: dict, new: dict) -> list[SchemaChange]:
        before, after = _types(old), _types(new)
        if before == after:
            return []
        if before is None:
            return [SchemaChange("type-added", Effect.NARROWER, (), f"type restricted to {sorted(after)}")]
        if after is None:
            return [SchemaChange("type-removed", Effect.WIDER, (), f"type {sorted(before)} no longer restricted")]
        gained, lost = after - before, before - after
        # integer is a subset of number: integer -> number widens, number -> integer narrows
        if "number" in gained and "integer" in lost:
            lost.discard("integer")
        if "number" in lost and "integer" in gained:
            gained.discard("integer")
            lost.add("number (non-integer)")
            lost.discard("number")
        kind = "type-widened" if not lost else "type-narrowed" if not gained else "type-changed"
        return [SchemaChange(kind, _effect(bool(gained), bool(lost)), (),
                             f"type {sorted(before)} -> {sorted(after)}")]

    def _enum(self, old: dict, new: dict) -> list[SchemaChange]:
        before, after = _values(old), _values(new)
        if before is None and after is None:
            return []
        if before is None:
            return [SchemaChange("enum-added", Effect.NARROWER, (), f"values restricted to {_show(after)}")]
        if after is None:
            return [SchemaChange("enum-removed", Effect.WIDER, (), f"values {_show(before)} no longer restricted")]
        old_set, new_set = {_canon(v) for v in before}, {_canon(v) for v in after}
        out = []
        gained = [v for v in after if _canon(v) not in old_set]
        lost = [v for v in before if _canon(v) not in new_set]
        if gained:
            out.append(SchemaChange("enum-value-added", Effect.WIDER, (), f"value(s) added: {_show(gained)}"))
        if lost:
            out.append(SchemaChange("enum-value-removed", Effect.NARROWER, (), f"value(s) removed: {_show(lost)}"))
        return out

    def _bounds(self, old: dict, new: dict) -> list[SchemaChange]:
        out = []
        for key in _MIN_KEYS + _MAX_KEYS:
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            if before is None:
                wider = False
            elif after is None:
                wider = True
            else:
                wider = after < before if key in _MIN_KEYS else after > before
            effect = Effect.WIDER if wider else Effect.NARROWER
            out.append(SchemaChange(f"{key}-{'relaxed' if wider else 'tightened'}", effect, (),
                                    f"{key} {_show(before)} -> {_show(after)}"))
        for key in _CONSTRAINT_KEYS:
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            effect = _effect(before is not None, after is not None)
            out.append(SchemaChange(f"{key}-changed", effect, (), f"{key} {_show(before)} -> {_show(after)}"))
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            effect = Effect.NARROWER if new.get("uniqueItems") else Effect.WIDER
            out.append(SchemaChange("uniqueItems-changed", effect, (), f"uniqueItems -> {bool(new.get('uniqueItems'))}"))
        return out

    def _annotations(self, old: dict, new: dict) -> list[SchemaChange]:
        out = []
        if _canon(old.get("default")) != _canon(new.get("default")):
            out.append(SchemaChange("default-changed", Effect.BEHAVIOUR, (),
                                    f"default {_show(old.get('default'))} -> {_show(new.get('default'))}"))
        for key in ("readOnly", "writeOnly"):
            if bool(old.get(key)) != bool(new.get(key)):
                out.append(SchemaChange(f"{key}-changed", Effect.CHANGED, (), f"{key} -> {bool(new.get(key))}"))
        if bool(old.get("deprecated")) != bool(new.get("deprecated")):
            out.append(SchemaChange("deprecated-changed", Effect.DOCS, (), f"deprecated -> {bool(new.get('deprecated'))}"))
        for key in DOC_KEYS:
            if _canon(old.get(key)) != _canon(new.get(key)):
                out.append(SchemaChange(f"{key.lstrip('$')}-changed", Effect.DOCS, (), f"{key} changed"))
        return out

    def _object(self, old: dict, new: dict) -> list[SchemaChange]:
        out: list[SchemaChange] = []
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        old_req, new_req = set(old.get("required") or ()), set(new.get("required") or ())
        closed = new.get("additionalProperties", True) is False
        for name in old_props.keys() - new_props.keys():
            out.append(SchemaChange("property-removed", Effect.REMOVED_FIELD_CLOSED if closed else Effect.REMOVED_FIELD,
                                    (name,), f"field `{name}` removed"))
        for name in new_props.keys() - old_props.keys():
            if name in new_req:
                out.append(SchemaChange("required-property-added", Effect.NEW_REQUIRED_FIELD, (name,),
                                        f"required field `{name}` added"))
            else:
                out.append(SchemaChange("property-added", Effect.NEW_FIELD, (name,), f"optional field `{name}` added"))
        for name in old_props.keys() & new_props.keys():
            out += [c.under(name) for c in self.compare(old_props[name], new_props[name])]
        for name in sorted((new_req - old_req) - (new_props.keys() - old_props.keys())):
            out.append(SchemaChange("property-became-required", Effect.NARROWER, (name,), f"field `{name}` became required"))
        for name in sorted((old_req - new_req) & new_props.keys()):
            out.append(SchemaChange("property-became-optional", Effect.WIDER, (name,), f"field `{name}` became optional"))
        out += self._additional(old, new)
        return out

    def _additional(self, old: dict, new: dict) -> list[SchemaChange]:
        before, after = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if isinstance(before, dict) and isinstance(after, dict):
            return [c.under("{}") for c in self.compare(before, after)]
        if _canon(before) == _canon(after):
            return []
        if after is True or (before is False):
            effect, what = Effect.WIDER, "allowed"
        else:
            effect, what = Effect.NARROWER, "restricted"
        return [SchemaChange("additionalProperties-changed", effect, (), f"undeclared fields {what}")]

    def _composition(self, old: dict, new: dict, key: str) -> list[SchemaChange]:
        before, after = old.get(key), new.get(key)
        if before is None and after is None:
            return []
        # allOf: every branch constrains, so a branch added narrows; oneOf/anyOf: the reverse.
        adds, drops = (Effect.NARROWER, Effect.WIDER) if key == "allOf" else (Effect.WIDER, Effect.NARROWER)
        if before is None:
            return [SchemaChange(f"{key}-added", Effect.NARROWER, (), f"`{key}` added")]
        if after is None:
            return [SchemaChange(f"{key}-removed", Effect.WIDER, (), f"`{key}` removed")]
        old_keys, new_keys = _branch_keys(before), _branch_keys(after)
        out = []
        for label, branch in new_keys.items():
            if label not in old_keys:
                out.append(SchemaChange(f"{key}-branch-added", adds, (f"|{label}",), f"{key} branch `{label}` added"))
                continue
            found = self.compare(old_keys[label], branch)
            out += found if key == "allOf" else [c.under(f"|{label}") for c in found]
        for label in old_keys.keys() - new_keys.keys():
            out.append(SchemaChange(f"{key}-branch-removed", drops, (f"|{label}",), f"{key} branch `{label}` removed"))
        return out


def _normalise(schema: Any) -> dict:
    if schema is True or schema is None:
        return {}
    if schema is False:
        return {"not": {}}
    return schema


def _flatten_all_of(schema: dict, resolve: Callable[[str], Any], depth: int = 0) -> dict:
    """`allOf` folded into its schema when its members merge without conflict (properties and
    `required` united, other keywords set once), so that wrapping a schema in `allOf` is no
    change; otherwise the schema as it is, and its branches are compared one by one."""
    if "allOf" not in schema or depth > 16:
        return schema
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for member in schema["allOf"]:
        member = _normalise(member)
        while "$ref" in member:
            member = _normalise(resolve(member["$ref"]))
        member = _flatten_all_of(member, resolve, depth + 1)
        for key, value in member.items():
            if key in DOC_KEYS:
                merged.setdefault(key, value)
            elif key == "properties":
                props = dict(merged.get("properties") or {})
                if any(_canon(props[n]) != _canon(v) for n, v in value.items() if n in props):
                    return schema
                merged["properties"] = {**props, **value}
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required") or ()) | set(value))
            elif key in merged and _canon(merged[key]) != _canon(value):
                return schema
            else:
                merged[key] = value
    return merged


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _branch_keys(branches: list) -> dict[str, Any]:
    """Each branch under a stable label: its component, the constants it holds, or its title."""
    out: dict[str, Any] = {}
    for index, branch in enumerate(branches):
        branch = _normalise(branch)
        label = None
        consts = [f"{k}={v['const']}" for k, v in (branch.get("properties") or {}).items()
                  if isinstance(v, dict) and "const" in v]
        if "$ref" in branch:
            label = branch["$ref"].rsplit("/", 1)[-1]
        elif consts:  # an SSE event's name: what a consumer profile knows it by
            label = ",".join(sorted(consts))
        elif branch.get("title"):
            label = branch["title"]
        elif "type" in branch and not isinstance(branch["type"], list) and set(branch) <= {"type", "description"}:
            label = f"type={branch['type']}"
        label = label or f"#{index}"
        while label in out:
            label += "'"
        out[label] = branch
    return out
