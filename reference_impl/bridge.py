"""The 3.1-to-3.0 bridge: Connexion 3.3 only loads OpenAPI 3.0, the contract is 3.1.

The 3.1 YAML stays the only source. At start-up this module derives a 3.0 *view* of it for
Connexion's routing and for Swagger UI. Request validation never uses the view: it runs on the
3.1 document itself (see validation.py), so keywords dropped here still constrain requests.

Every schema keyword is sorted into one of three groups below; a keyword in none of them (a 3.1
feature with no 3.0 equivalent, e.g. `if`/`then`, `unevaluatedProperties`, `$defs`) raises
`BridgeError` at start-up instead of being silently lost.
"""

from __future__ import annotations

import json
from typing import Any

from .routing import specificity

__all__ = ["BridgeError", "to_openapi30"]


class BridgeError(ValueError):
    """The 3.1 contract uses something the 3.0 view cannot express."""


# Keywords that mean the same in 3.0 (JSON Schema draft 4 subset) and are copied as they are.
_SAME = frozenset({
    "type", "format", "title", "description", "default", "enum", "multipleOf", "maximum",
    "minimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
    "maxProperties", "minProperties", "required", "properties", "additionalProperties", "items",
    "allOf", "oneOf", "anyOf", "not", "readOnly", "writeOnly", "deprecated", "example",
    "discriminator", "externalDocs", "xml", "$ref",
})
# 3.1 keywords that only narrow validation or annotate content. The 3.0 meta-schema rejects
# them and 3.0 has no spelling for them; they are dropped from the view only, because
# validation.py enforces them from the 3.1 document.
_VALIDATED_FROM_31_ONLY = frozenset({
    "propertyNames", "prefixItems", "contentMediaType", "contentSchema", "contentEncoding",
})
# Rewritten into their 3.0 spelling by _schema().
_REWRITTEN = frozenset({"const", "examples", "exclusiveMinimum", "exclusiveMaximum"})


def to_openapi30(spec31: dict[str, Any]) -> dict[str, Any]:
    """A 3.0.3 document equivalent to `spec31` for routing and documentation."""
    if not str(spec31.get("openapi", "")).startswith("3.1"):
        raise BridgeError(f"expected an OpenAPI 3.1 document, got {spec31.get('openapi')!r}")
    for key in ("webhooks", "jsonSchemaDialect"):
        if key in spec31:
            raise BridgeError(f"{key!r} has no OpenAPI 3.0 equivalent")
    spec = json.loads(json.dumps(spec31))  # a deep copy: the contract is JSON (served as JSON)
    spec["openapi"] = "3.0.3"
    # Connexion's router takes the first route matching path and method; listing concrete
    # paths before templated ones gives OpenAPI's precedence for methods both declare
    # (routing.MethodGuard handles the methods only one of them declares).
    spec["paths"] = {p: spec["paths"][p] for p in sorted(spec.get("paths", {}), key=specificity)}
    info = spec.get("info", {})
    info.pop("summary", None)  # 3.1-only; the description carries the same text
    info.get("license", {}).pop("identifier", None)  # 3.1-only SPDX id; the name stays
    components = spec.get("components", {})
    if "pathItems" in components:
        raise BridgeError("components.pathItems has no OpenAPI 3.0 equivalent")
    for name, schema in components.get("schemas", {}).items():
        components["schemas"][name] = _schema(schema, f"#/components/schemas/{name}")
    for section in ("parameters", "headers"):
        for name, obj in components.get(section, {}).items():
            _convert_holder(obj, f"#/components/{section}/{name}")
    for name, response in components.get("responses", {}).items():
        _convert_response(response, f"#/components/responses/{name}")
    for path, item in spec.get("paths", {}).items():
        for key, value in item.items():
            where = f"#/paths/{path}/{key}"
            if key == "parameters":
                for param in value:
                    _convert_holder(param, where)
            elif isinstance(value, dict):
                for param in value.get("parameters", []):
                    _convert_holder(param, where)
                body = value.get("requestBody")
                if body:
                    _convert_content(body.get("content", {}), where)
                for status, response in value.get("responses", {}).items():
                    _convert_response(response, f"{where}/{status}")
    return spec


def _convert_response(response: dict, where: str) -> None:
    _convert_content(response.get("content", {}), where)
    for header in response.get("headers", {}).values():
        _convert_holder(header, where)


def _convert_content(content: dict, where: str) -> None:
    for media in content.values():
        _convert_holder(media, where)


def _convert_holder(obj: dict, where: str) -> None:
    """Parameters, headers and media types: convert the schema they hold."""
    if "schema" in obj:
        obj["schema"] = _schema(obj["schema"], where)
    if "content" in obj:
        _convert_content(obj["content"], where)


def _schema(schema: Any, where: str) -> Any:
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-"):
            out[key] = value
        elif key in _VALIDATED_FROM_31_ONLY:
            continue
        elif key in _REWRITTEN:
            _rewrite(key, value, schema, out, where)
        elif key not in _SAME:
            raise BridgeError(f"{where}: keyword {key!r} has no OpenAPI 3.0 equivalent")
        elif key in ("properties",):
            out[key] = {k: _schema(v, f"{where}/{k}") for k, v in value.items()}
        elif key in ("allOf", "oneOf", "anyOf"):
            out[key] = [_schema(v, where) for v in value]
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _schema(value, where)
        elif key == "type":
            _type(value, out, where)
        else:
            out[key] = value
    _fold_null_member(out, where)
    if "$ref" in out and len([k for k in out if not k.startswith("x-")]) > 1:
        # 3.0 ignores siblings of $ref; keep them by wrapping the reference.
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _type(value: Any, out: dict, where: str) -> None:
    if isinstance(value, str):
        if value == "null":
            out["nullable"] = True
            out["enum"] = [None]
        else:
            out["type"] = value
        return
    types = [t for t in value if t != "null"]
    if len(types) != 1:
        raise BridgeError(f"{where}: type list {value!r} has no OpenAPI 3.0 equivalent")
    out["type"] = types[0]
    if len(types) != len(value):
        out["nullable"] = True


def _fold_null_member(out: dict, where: str) -> None:
    """`oneOf`/`anyOf` of one schema and `{type: 'null'}`: the schema, nullable."""
    for key in ("oneOf", "anyOf"):
        members = out.get(key)
        if not members:
            continue
        nulls = [m for m in members if m == {"nullable": True, "enum": [None]}]
        if not nulls:
            continue
        rest = [m for m in members if m not in nulls]
        if len(rest) != 1:
            raise BridgeError(f"{where}: {key} with null and several schemas has no 3.0 form")
        del out[key]
        member = rest[0]
        if "type" in member and "$ref" not in member and not out:
            out.update(member, nullable=True)  # an inline typed schema: 3.0's own spelling
        else:
            # 3.0's `nullable` only admits null beside a `type` in the same schema, so an
            # `allOf` of a reference plus `nullable` still rejects null (OAS 3.0.3). The null
            # member is kept as an alternative; `nullable` tells readers that skim it.
            out["anyOf"] = [member, *nulls[:1]]
            out["nullable"] = True


def _rewrite(key: str, value: Any, schema: dict, out: dict, where: str) -> None:
    if key == "const":
        out["enum"] = [value]
    elif key == "examples":
        if not isinstance(value, list) or not value:
            raise BridgeError(f"{where}: schema examples must be a non-empty list")
        out.setdefault("example", value[0])
    elif isinstance(value, bool):
        raise BridgeError(f"{where}: boolean {key} is 3.0 syntax inside a 3.1 document")
    else:  # numeric exclusive bound: draft 4 spells it as a bound plus a flag
        bound = "minimum" if key == "exclusiveMinimum" else "maximum"
        if bound in schema:
            raise BridgeError(f"{where}: both {bound} and {key} given")
        out[bound] = value
        out[key] = True
