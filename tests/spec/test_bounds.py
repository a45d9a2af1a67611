"""Everything a client sends is bounded: strings, arrays, numbers, objects."""

from __future__ import annotations

from tests.spec.contract import load_contract, operations, parameters, resolve

DOCUMENT = load_contract()


def _unbounded(schema: dict, where: str, seen: set[str]) -> list[str]:
    """Paths inside a request schema that lack a bound."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        target, _ = resolve(DOCUMENT, schema, "")
        return _unbounded(target, where, seen | {schema["$ref"]})
    problems: list[str] = []
    for key in ("oneOf", "anyOf", "allOf"):
        for i, branch in enumerate(schema.get(key, [])):
            problems += _unbounded(branch, f"{where}/{key}/{i}", seen)
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "string" in types and schema.get("format") == "binary":
        if "x-max-bytes" not in schema:  # octets, not characters: the upload's 413 limit
            problems.append(f"{where}: binary string without x-max-bytes")
    elif "string" in types and not ({"maxLength", "enum", "const"} & schema.keys()):
        problems.append(f"{where}: string without maxLength")
    if {"integer", "number"} & set(types) and not ({"minimum", "maximum"} <= schema.keys() or "enum" in schema):
        problems.append(f"{where}: number without minimum and maximum")
    if "array" in types:
        if "maxItems" not in schema:
            problems.append(f"{where}: array without maxItems")
        problems += _unbounded(schema.get("items", {}), f"{where}/items", seen)
    if "object" in types:
        if "additionalProperties" not in schema:
            problems.append(f"{where}: object without an additionalProperties decision")
        elif isinstance(schema["additionalProperties"], dict):
            if "maxProperties" not in schema:
                problems.append(f"{where}: open object without maxProperties")
            problems += _unbounded(schema["additionalProperties"], f"{where}/*", seen)
        for name, prop in schema.get("properties", {}).items():
            problems += _unbounded(prop, f"{where}/{name}", seen)
    return problems


def _request_schemas():
    for path, _, op, _ in operations(DOCUMENT):
        for parameter in parameters(DOCUMENT, path, op):
            yield f"{op['operationId']} {parameter['in']} {parameter['name']}", parameter["schema"]
        if "requestBody" in op:
            body, _ = resolve(DOCUMENT, op["requestBody"], "")
            for media_type, media in body["content"].items():
                yield f"{op['operationId']} body {media_type}", media["schema"]


def test_every_request_value_is_bounded():
    problems = [p for where, schema in _request_schemas() for p in _unbounded(schema, where, set())]
    assert problems == []


def test_the_bounds_check_finds_a_missing_bound():
    assert _unbounded({"type": "object", "properties": {"a": {"type": "string"}}}, "x", set()) == [
        "x: object without an additionalProperties decision",
        "x/a: string without maxLength",
    ]
    assert _unbounded({"type": "string", "format": "binary", "maxLength": 5}, "f", set()) == [
        "f: binary string without x-max-bytes"]
