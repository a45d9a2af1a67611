"""Two contracts compared operation by operation: parameters, bodies and their media types,
responses and their headers, security, and the events of an SSE stream."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from .changes import Change, Effect, Position
from .schemas import SchemaChange, SchemaDiff

__all__ = ["Document", "compare_operations"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Where an SSE body's per-event schema lives: OpenAPI 3.2's itemSchema, or this contract's
# 3.1 spelling of it.
ITEM_SCHEMA_KEYS = ("itemSchema", "x-item-schema")
_DOCS = ("summary", "description")


class Document:
    """An OpenAPI document with its local `$ref`s followed on demand."""

    def __init__(self, data: dict):
        self.data = data

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        node: Any = self.data
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def deref(self, node: Any) -> Any:
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            if node["$ref"] in seen:
                raise ValueError(f"reference cycle at {node['$ref']}")
            seen.add(node["$ref"])
            node = self.resolve(node["$ref"])
        return node

    def operations(self) -> dict[tuple[str, str], tuple[str, dict, list, str]]:
        """(method, path template without parameter names) -> (label, operation, path's
        parameters, path)."""
        out = {}
        for path, item in (self.data.get("paths") or {}).items():
            item = self.deref(item)
            for method in METHODS:
                if method in item:
                    op = item[method]
                    label = op.get("operationId") or f"{method.upper()} {path}"
                    out[(method, re.sub(r"\{[^}]*\}", "{}", path))] = (label, op, item.get("parameters") or [], path)
        return out


def compare_operations(old: Document, new: Document) -> list[Change]:
    schemas = SchemaDiff(old.resolve, new.resolve)
    before, after = old.operations(), new.operations()
    out: list[Change] = []
    for key in sorted(before.keys() - after.keys()):
        label, path = before[key][0], before[key][3]
        out.append(Change("operation-removed", label, "operation", (), Effect.NARROWER, Position.OPERATION,
                          f"operation {key[0].upper()} {path} removed"))
    for key in sorted(after.keys() - before.keys()):
        label, path = after[key][0], after[key][3]
        out.append(Change("operation-added", label, "operation", (), Effect.WIDER, Position.OPERATION,
                          f"operation {key[0].upper()} {path} added"))
    for key in sorted(before.keys() & after.keys()):
        out += _OperationDiff(old, new, schemas, before[key], after[key]).changes()
    return out


def _without_events(doc: Document, schema: Any, items: Any) -> Any:
    """A stream body's schema without its per-event branch (`anyOf: [text, <the item schema>]`,
    for tools that read a stream's schema per event): the events are compared on their own
    (`... events`), so a change to an event counts once, and adding that reading of the same
    bytes is not a change of the body."""
    if schema is None or items is None:
        return schema
    body, event = doc.deref(schema), doc.deref(items)
    for key in ("anyOf", "oneOf"):
        branches = body.get(key) if isinstance(body, dict) else None
        if not branches:
            continue
        rest = [b for b in branches if doc.deref(b) is not event and doc.deref(b) != event]
        if len(rest) == 1:
            return rest[0]  # the text reading alone, however it is spelled
        if len(rest) < len(branches):
            return {**{k: v for k, v in body.items() if k != key}, key: rest}
    return schema


class _OperationDiff:
    def __init__(self, old: Document, new: Document, schemas: SchemaDiff, before: tuple, after: tuple):
        self.old, self.new, self.schemas = old, new, schemas
        # Changes carry the name clients know the operation by (a renamed one's old name).
        self.label = before[0]
        self.new_label = after[0]
        self.before, self.after = before, after

    def changes(self) -> list[Change]:
        (_, old_op, old_path_params, _), (_, new_op, new_path_params, _) = self.before, self.after
        out: list[Change] = []
        if self.new_label != self.label:
            out.append(self._change("operationId-changed", "operation", (), Effect.NARROWER, Position.OPERATION,
                                    f"operationId {self.label} -> {self.new_label} (generated clients rename it)"))
        for key in _DOCS:
            if old_op.get(key) != new_op.get(key):
                out.append(self._change(f"operation-{key}-changed", "operation", (), Effect.DOCS,
                                        Position.OPERATION, f"{key} changed"))
        if bool(old_op.get("deprecated")) != bool(new_op.get("deprecated")):
            out.append(self._change("operation-deprecated-changed", "operation", (), Effect.DOCS, Position.OPERATION,
                                    f"deprecated -> {bool(new_op.get('deprecated'))}"))
        out += self._parameters(old_path_params + (old_op.get("parameters") or []),
                                new_path_params + (new_op.get("parameters") or []))
        out += self._request_body(old_op.get("requestBody"), new_op.get("requestBody"))
        out += self._responses(old_op.get("responses") or {}, new_op.get("responses") or {})
        out += self._security(old_op, new_op)
        return out

    def _change(self, kind, where, path, effect, position, message, origin="") -> Change:
        return Change(kind, self.label, where, tuple(path), effect, position, message, origin)

    def _schema(self, old_schema, new_schema, where: str, position: Position) -> Iterator[Change]:
        for c in self.schemas.compare(old_schema, new_schema):
            yield self._from_schema(c, where, position)

    def _from_schema(self, c: SchemaChange, where: str, position: Position) -> Change:
        return Change(c.kind, self.label, where, tuple(s for s in c.path if s), c.effect, position, c.message, c.origin)

    # -- parameters ---------------------------------------------------------------------
    def _params(self, doc: Document, params: list) -> dict[tuple[str, str], dict]:
        out = {}
        for param in params:
            param = doc.deref(param)
            name = param["name"].lower() if param["in"] == "header" else param["name"]
            out[(param["in"], name)] = param  # an operation's own parameter overrides its path's
        return out

    def _presence(self, before: dict, after: dict, kind: str, label, position: Position) -> list[Change]:
        """Items (parameters, headers) removed, added, or made required or optional;
        `label(key)` names one in messages and in `where`."""
        out = []
        for key in sorted(before.keys() - after.keys()):
            out.append(self._change(f"{kind}-removed", label(key), (), Effect.REMOVED_FIELD, position,
                                    f"{label(key)} removed"))
        for key in sorted(after.keys() - before.keys()):
            required = bool(after[key].get("required"))
            out.append(self._change(f"required-{kind}-added" if required else f"{kind}-added", label(key), (),
                                    Effect.NEW_REQUIRED_FIELD if required else Effect.NEW_FIELD, position,
                                    f"{'required' if required else 'optional'} {label(key)} added"))
        for key in sorted(before.keys() & after.keys()):
            required = bool(after[key].get("required"))
            if bool(before[key].get("required")) != required:
                state = "required" if required else "optional"
                out.append(self._change(f"{kind}-became-{state}", label(key), (),
                                        Effect.NARROWER if required else Effect.WIDER, position,
                                        f"{label(key)} became {state}"))
        return out

    def _parameters(self, old_params: list, new_params: list) -> list[Change]:
        before, after = self._params(self.old, old_params), self._params(self.new, new_params)
        out = self._presence(before, after, "parameter", lambda key: f"{key[0]} parameter {key[1]}", Position.REQUEST)
        for key in sorted(before.keys() & after.keys()):
            old_p, new_p, where = before[key], after[key], f"{key[0]} parameter {key[1]}"
            for attr in ("style", "explode", "allowReserved"):
                if old_p.get(attr) != new_p.get(attr):
                    out.append(self._change(f"parameter-{attr}-changed", where, (), Effect.CHANGED, Position.REQUEST,
                                            f"{attr} {old_p.get(attr)!r} -> {new_p.get(attr)!r}"))
            if old_p.get("description") != new_p.get("description"):
                out.append(self._change("parameter-description-changed", where, (), Effect.DOCS, Position.REQUEST,
                                        "description changed"))
            out += self._schema(old_p.get("schema"), new_p.get("schema"), where, Position.REQUEST)
        return out

    # -- bodies ---------------------------------------------------------------------------
    def _request_body(self, old_body, new_body) -> list[Change]:
        if old_body is None and new_body is None:
            return []
        if new_body is None:
            return [self._change("request-body-removed", "request body", (), Effect.REMOVED_FIELD, Position.REQUEST,
                                 "request body removed")]
        new_body = self.new.deref(new_body)
        if old_body is None:
            required = bool(new_body.get("required"))
            return [self._change("request-body-added", "request body", (),
                                 Effect.NEW_REQUIRED_FIELD if required else Effect.NEW_FIELD, Position.REQUEST,
                                 f"{'required' if required else 'optional'} request body added")]
        old_body = self.old.deref(old_body)
        out = []
        if bool(old_body.get("required")) != bool(new_body.get("required")):
            required = bool(new_body.get("required"))
            out.append(self._change("request-body-became-required" if required else "request-body-became-optional",
                                    "request body", (), Effect.NARROWER if required else Effect.WIDER,
                                    Position.REQUEST, f"request body became {'required' if required else 'optional'}"))
        out += self._content(old_body.get("content") or {}, new_body.get("content") or {}, "request body",
                             Position.REQUEST)
        return out

    def _content(self, before: dict, after: dict, where: str, position: Position) -> list[Change]:
        out = []
        for media in sorted(before.keys() - after.keys()):
            # A client can no longer send it; a response in it must no longer be sent, and a
            # client that read it gets another type.
            effect = Effect.NARROWER if position is Position.REQUEST else Effect.CHANGED
            out.append(self._change("media-type-removed", f"{where} {media}", (), effect, position,
                                    f"media type {media} removed"))
        for media in sorted(after.keys() - before.keys()):
            out.append(self._change("media-type-added", f"{where} {media}", (), Effect.WIDER, position,
                                    f"media type {media} added"))
        for media in sorted(before.keys() & after.keys()):
            old_m, new_m = before[media] or {}, after[media] or {}
            old_items = next((old_m[k] for k in ITEM_SCHEMA_KEYS if k in old_m), None)
            new_items = next((new_m[k] for k in ITEM_SCHEMA_KEYS if k in new_m), None)
            out += self._schema(_without_events(self.old, old_m.get("schema"), old_items),
                                _without_events(self.new, new_m.get("schema"), new_items), f"{where} {media}", position)
            if old_items is not None or new_items is not None:
                out += self._schema(old_items, new_items, f"{where} {media} events", position)
            if json.dumps(old_m.get("examples"), sort_keys=True) != json.dumps(new_m.get("examples"), sort_keys=True):
                out.append(self._change("examples-changed", f"{where} {media}", (), Effect.DOCS, position,
                                        "examples changed"))
        return out

    # -- responses ------------------------------------------------------------------------
    def _responses(self, before: dict, after: dict) -> list[Change]:
        out = []
        before, after = {str(k): v for k, v in before.items()}, {str(k): v for k, v in after.items()}
        for status in sorted(before.keys() - after.keys()):
            out.append(self._change("response-status-removed", f"response {status}", (), Effect.NARROWER,
                                    Position.RESPONSE, f"status {status} removed"))
        for status in sorted(after.keys() - before.keys()):
            out.append(self._change("response-status-added", f"response {status}", (), Effect.WIDER,
                                    Position.RESPONSE, f"status {status} added"))
        for status in sorted(before.keys() & after.keys()):
            old_r, new_r = self.old.deref(before[status]), self.new.deref(after[status])
            where = f"response {status}"
            if old_r.get("description") != new_r.get("description"):
                out.append(self._change("response-description-changed", where, (), Effect.DOCS, Position.RESPONSE,
                                        "description changed"))
            out += self._headers(old_r.get("headers") or {}, new_r.get("headers") or {}, where)
            out += self._content(old_r.get("content") or {}, new_r.get("content") or {}, where, Position.RESPONSE)
        return out

    def _headers(self, before: dict, after: dict, where: str) -> list[Change]:
        before = {k.lower(): self.old.deref(v) for k, v in before.items()}
        after = {k.lower(): self.new.deref(v) for k, v in after.items()}
        out = self._presence(before, after, "response-header", lambda name: f"{where} header {name}",
                             Position.RESPONSE)
        for name in sorted(before.keys() & after.keys()):
            out += self._schema(before[name].get("schema"), after[name].get("schema"), f"{where} header {name}",
                                Position.RESPONSE)
        return out

    # -- security -------------------------------------------------------------------------
    def _security(self, old_op: dict, new_op: dict) -> list[Change]:
        before = _alternatives(old_op.get("security", self.old.data.get("security")))
        after = _alternatives(new_op.get("security", self.new.data.get("security")))
        out = []
        for alt in sorted(before.keys() - after.keys()):
            out.append(self._change("security-requirement-removed", "security", (), Effect.NARROWER, Position.REQUEST,
                                    f"a client can no longer authenticate with {_show_alt(before[alt])}"))
        for alt in sorted(after.keys() - before.keys()):
            out.append(self._change("security-requirement-added", "security", (), Effect.WIDER, Position.REQUEST,
                                    f"a client may now authenticate with {_show_alt(after[alt])}"))
        old_schemes = (self.old.data.get("components") or {}).get("securitySchemes") or {}
        new_schemes = (self.new.data.get("components") or {}).get("securitySchemes") or {}
        used = {name for alt in before.keys() & after.keys() for name in before[alt]}
        for name in sorted(used):
            old_s, new_s = _scheme(self.old.deref(old_schemes.get(name, {}))), _scheme(self.new.deref(new_schemes.get(name, {})))
            if old_s != new_s:
                out.append(self._change("security-scheme-changed", "security", (), Effect.CHANGED, Position.REQUEST,
                                        f"security scheme {name} changed"))
        return out


def _alternatives(requirements: list | None) -> dict[str, dict]:
    # No requirement, or an empty one among them, lets an anonymous client in.
    alternatives = requirements if requirements else [{}]
    return {json.dumps({k: sorted(v) for k, v in alt.items()}, sort_keys=True): alt for alt in alternatives}


def _show_alt(alt: dict) -> str:
    if not alt:
        return "no credentials"
    return " + ".join(f"{name}{' ' + str(sorted(scopes)) if scopes else ''}" for name, scopes in alt.items())


def _scheme(scheme: dict) -> str:
    """A scheme without its prose: what a client must send."""
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "description"}
        return node
    return json.dumps(strip(scheme), sort_keys=True)
