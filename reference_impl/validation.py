"""Request validation against the 3.1 contract itself, with openapi-core's 3.1 schema validators.

Validators for every operation are compiled once at start-up (`ContractValidator`); a request
costs one dict lookup plus the jsonschema passes over its own parts. Every error is collected
and reported with a FastAPI-style `loc` (see errors.RequestValidationError).

openapi-core's request validator is not used as a whole because it re-finds the path on each
request and wraps schema errors in a way that loses some locations; its schema validators
(`oas31_schema_validators_factory`) are the part doing the JSON Schema work here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from jsonschema_path import SchemaPath
from openapi_core.validation.schemas import oas31_schema_validators_factory

from .errors import (PayloadTooLarge, RequestValidationError, UnsupportedMediaType,
                     field_error)

__all__ = ["ContractValidator", "OperationSpec", "ParsedRequest", "JSON_LIMIT", "UPLOAD_LIMIT"]

JSON_LIMIT = 1024 * 1024
UPLOAD_LIMIT = 5 * 1024 * 1024
# A multipart upload carries a file of up to UPLOAD_LIMIT plus its part headers and boundaries.
MULTIPART_OVERHEAD = 64 * 1024

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_INT = re.compile(r"^-?[0-9]+$")
_REQUIRED = re.compile(r"^'(.*)' is a required property$", re.S)

# jsonschema keyword -> FastAPI/pydantic error type, so clients can branch on `type`.
_TYPES = {
    "maxLength": "string_too_long", "minLength": "string_too_short",
    "pattern": "string_pattern_mismatch", "enum": "enum", "const": "literal_error",
    "maximum": "less_than_equal", "minimum": "greater_than_equal",
    "maxItems": "too_long", "minItems": "too_short", "format": "value_error",
    "uniqueItems": "value_error", "maxProperties": "too_long", "minProperties": "too_short",
}


@dataclass
class Param:
    name: str
    location: str
    required: bool
    integer: bool
    validator: Any
    default: Any = None
    uuid: bool = False  # format: uuid, matched case-insensitively (stored lowercase)


@dataclass
class OperationSpec:
    """What the server needs to know about one operation, read from the 3.1 contract."""

    operation_id: str
    tag: str
    secured: bool
    params: list[Param] = field(default_factory=list)
    body_required: bool = False
    body_validators: dict[str, Any] = field(default_factory=dict)
    body_uuids: frozenset[str] = frozenset()  # top-level JSON body fields holding UUIDs

    @property
    def body_limit(self) -> int:
        if "multipart/form-data" in self.body_validators:
            return UPLOAD_LIMIT + MULTIPART_OVERHEAD
        return JSON_LIMIT


@dataclass
class ParsedRequest:
    """A validated request: parameters cast to their types, defaults applied."""

    path: dict[str, Any]
    query: dict[str, Any]
    headers: dict[str, Any]
    body: Any
    media_type: str | None
    raw_body: bytes


class ContractValidator:
    """Compiled validators for every operation of a 3.1 document."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._raw = spec
        self._path = SchemaPath.from_dict(spec)
        self.operations: dict[str, OperationSpec] = {}
        global_secured = bool(spec.get("security"))
        for path, item in spec["paths"].items():
            shared = item.get("parameters", [])
            for method in _METHODS:
                op = item.get(method)
                if op is None:
                    continue
                where = self._path / "paths" / path
                secured = bool(op["security"]) if "security" in op else global_secured
                spec_op = OperationSpec(op["operationId"], op["tags"][0], secured)
                params: dict[tuple[str, str], Param] = {}
                for i, _ in enumerate(shared):
                    p = self._param(where / "parameters" / i, shared[i])
                    params[(p.name, p.location)] = p
                for i, raw in enumerate(op.get("parameters", [])):
                    p = self._param(where / method / "parameters" / i, raw)
                    params[(p.name, p.location)] = p
                spec_op.params = list(params.values())
                body = op.get("requestBody")
                if body:
                    body = self._deref(body)
                    spec_op.body_required = bool(body.get("required"))
                    content_path = where / method / "requestBody" / "content"
                    for media in body["content"]:
                        spec_op.body_validators[media] = self._compile(
                            content_path / media / "schema")
                    json_body = self._deref(body["content"].get("application/json", {})
                                            .get("schema", {}))
                    spec_op.body_uuids = frozenset(
                        name for name, prop in json_body.get("properties", {}).items()
                        if _is_uuid(self._deref(prop)) or _is_uuid(self._deref(
                            self._deref(prop).get("items", {}))))
                self.operations[spec_op.operation_id] = spec_op

    def _deref(self, obj: dict) -> dict:
        while "$ref" in obj:
            node: Any = self._raw
            for part in obj["$ref"].lstrip("#/").split("/"):
                node = node[part]
            obj = node
        return obj

    def _compile(self, schema: SchemaPath) -> Any:
        return oas31_schema_validators_factory.create(self._path, schema).validator

    def _param(self, where: SchemaPath, raw: dict) -> Param:
        raw = self._deref(raw)
        schema = self._deref(raw.get("schema", {}))
        return Param(
            name=raw["name"], location=raw["in"], required=bool(raw.get("required")),
            integer=schema.get("type") == "integer", validator=self._compile(where / "schema"),
            default=schema.get("default"), uuid=_is_uuid(schema),
        )

    # -- per request ------------------------------------------------------------------------

    def validate(self, op: OperationSpec, path_params: dict[str, str], query_string: bytes,
                 headers: dict[str, str], cookies: dict[str, str], media_type: str | None,
                 body: bytes, form: dict[str, Any] | None = None) -> ParsedRequest:
        """Check one request; raise RequestValidationError listing every error."""
        errors: list[dict[str, Any]] = []
        query_pairs: dict[str, list[str]] = {}
        for k, v in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            query_pairs.setdefault(k, []).append(v)
        sources = {"path": {k: [v] for k, v in path_params.items()}, "query": query_pairs,
                   "header": {k: [v] for k, v in headers.items()},
                   "cookie": {k: [v] for k, v in cookies.items()}}
        parsed: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "cookie": {}}
        for p in op.params:
            key = p.name.lower() if p.location == "header" else p.name
            values = sources[p.location].get(key)
            if values is None:
                if p.required:
                    errors.append(field_error([p.location, p.name], "Field required", "missing"))
                elif p.default is not None:
                    parsed[p.location][p.name] = p.default
                continue
            value: Any = values[0] if len(values) == 1 else values
            if p.integer and isinstance(value, str):
                if not _INT.match(value):
                    errors.append(field_error(
                        [p.location, p.name],
                        "Input should be a valid integer, unable to parse string as an integer",
                        "int_parsing"))
                    continue
                value = int(value)
            errors += _schema_errors(p.validator, value, [p.location, p.name])
            parsed[p.location][p.name] = _lower(value) if p.uuid else value
        value, body_errors = self._body(op, media_type, body, form)
        errors += body_errors
        if op.body_uuids and isinstance(value, dict) and not errors:
            value = {k: _lower(v) if k in op.body_uuids else v for k, v in value.items()}
        if errors:
            raise RequestValidationError(errors)
        return ParsedRequest(parsed["path"], parsed["query"], parsed["header"], value,
                             media_type, body)

    def _body(self, op: OperationSpec, media_type: str | None, body: bytes,
              form: dict[str, Any] | None) -> tuple[Any, list[dict[str, Any]]]:
        if not op.body_validators:
            return None, []
        if not body and form is None:
            if op.body_required:
                return None, [field_error(["body"], "Field required", "missing")]
            return None, []
        validator = op.body_validators.get(media_type or "")
        if validator is None:
            accepted = ", ".join(op.body_validators)
            raise UnsupportedMediaType(
                f"Unsupported media type {media_type or 'none'}; expected {accepted}")
        if media_type == "application/json":
            try:
                value = json.loads(body)
            except UnicodeDecodeError:
                return None, [field_error(["body", 0], "Invalid UTF-8 in JSON body",
                                          "json_invalid")]
            except json.JSONDecodeError as exc:
                return None, [field_error(["body", exc.pos], f"JSON decode error: {exc.msg}",
                                          "json_invalid")]
        elif media_type == "application/x-www-form-urlencoded":
            value = {}
            for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                value.setdefault(k, v)
        else:  # multipart: the parsed form; files are checked for presence and size here
            value = form or {}
            for name, part in value.items():
                size = getattr(part, "size", None)
                if size is not None and size > UPLOAD_LIMIT:
                    raise PayloadTooLarge(f"File exceeds {UPLOAD_LIMIT} bytes")
            checked = {k: ("" if hasattr(v, "read") else v) for k, v in value.items()}
            return value, _schema_errors(validator, checked, ["body"])
        return value, _schema_errors(validator, value, ["body"])


def _schema_errors(validator: Any, value: Any, loc: list) -> list[dict[str, Any]]:
    out = []
    for error in validator.iter_errors(value):
        where = loc + list(error.absolute_path)
        kind = error.validator
        if kind == "required":
            match = _REQUIRED.match(error.message)
            name = match.group(1) if match else "?"
            out.append(field_error(where + [name], "Field required", "missing"))
        elif kind == "additionalProperties" and isinstance(error.instance, dict):
            known = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - known):
                out.append(field_error(where + [extra], "Extra inputs are not permitted",
                                       "extra_forbidden"))
        elif kind == "type":
            expected = error.validator_value
            name = expected if isinstance(expected, str) else "_or_".join(expected)
            out.append(field_error(where, f"Input should be a valid {name}", f"{name}_type"))
        else:
            out.append(field_error(where, error.message, _TYPES.get(kind, str(kind))))
    return out


def _is_uuid(schema: dict) -> bool:
    return schema.get("format") == "uuid"


def _lower(value: Any) -> Any:
    """A UUID (or a list of them) in its stored, lowercase form."""
    if isinstance(value, list):
        return [_lower(v) for v in value]
    return value.lower() if isinstance(value, str) else value
