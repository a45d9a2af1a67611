"""Request validation against the 3.1 contract itself, with openapi-core's 3.1 schema validators.

Validators for every operation are compiled once at start-up (`ContractValidator`); a request
costs one dict lookup plus the jsonschema passes over its own parts. Every error is collected
and reported with a FastAPI-style `loc` (see errors.RequestValidationError).

openapi-core's request validator is not used as a whole because it re-finds the path on each
request and wraps schema errors in a way that loses some locations; its schema validators
(`oas31_schema_validators_factory`) are the part doing the JSON Schema work here.

Each schema is checked twice over, cheaply: jsonschema-rs (compiled from the same 3.1 document,
with openapi-core's own format checks plugged in) answers whether a value is valid in about a
microsecond; only a value it refuses goes through openapi-core's validator, whose errors make
the 422. jsonschema-rs never decides alone that a value is wrong, so a difference between the
two engines can only cost time (tests/reference_impl/test_validation_engines.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
from jsonschema_path import SchemaPath
from openapi_core.validation.schemas import oas31_schema_validators_factory

from .errors import (PayloadTooLarge, RequestValidationError, UndecodableBody,
                     UnsupportedMediaType, field_error)
from .json_input import MAX_ERRORS, decode_json, inspect

__all__ = ["ContractValidator", "OperationSpec", "ParsedRequest", "JSON_LIMIT", "UPLOAD_LIMIT",
           "describe", "MEDIA_TYPE"]

JSON_LIMIT = 1024 * 1024
UPLOAD_LIMIT = 5 * 1024 * 1024
# A multipart upload carries a file of up to UPLOAD_LIMIT plus its part headers and boundaries.
MULTIPART_OVERHEAD = 64 * 1024

_NATIVE_FORMATS = {"uuid"}  # checked by jsonschema-rs itself (see ContractValidator)
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_INT = re.compile(r"-?[0-9]+")
_INT_DIGITS = 18  # any longer is beyond every integer bound the contract sets
_REQUIRED = re.compile(r"^'(.*)' is a required property$", re.S)

# jsonschema keyword -> FastAPI/pydantic error type, so clients can branch on `type`.
_TYPES = {
    "maxLength": "string_too_long", "minLength": "string_too_short",
    "pattern": "string_pattern_mismatch", "enum": "enum", "const": "literal_error",
    "maximum": "less_than_equal", "minimum": "greater_than_equal",
    "maxItems": "too_long", "minItems": "too_short", "format": "value_error",
    "uniqueItems": "value_error", "maxProperties": "too_long", "minProperties": "too_short",
}


@dataclass(frozen=True)
class SchemaCheck:
    """One schema, two engines: `fast` says whether a value is valid, `full` says why not."""

    full: Any
    fast: Any = None

    def errors(self, value: Any, loc: list) -> list[dict[str, Any]]:
        if self.fast is not None:
            try:
                if self.fast.is_valid(value):
                    return []
            except (ValueError, TypeError, OverflowError):
                pass  # a value jsonschema-rs cannot take in: openapi-core judges it
        return _schema_errors(self.full, value, loc)


@dataclass
class Param:
    name: str
    location: str
    required: bool
    integer: bool
    check: SchemaCheck
    array: bool = False
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
    body_validators: dict[str, SchemaCheck] = field(default_factory=dict)
    body_schemas: dict[str, dict] = field(default_factory=dict)  # dereferenced, for bounds
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
        formats = oas31_schema_validators_factory.format_checker
        # Every subschema of the document compiled at once (~40 ms), keyed by JSON pointer.
        # Formats are openapi-core's own checks called back from Rust, so both engines read a
        # format the same way; except `uuid`, on every id in a path, whose native check costs
        # a twentieth and accepts a subset of what openapi-core accepts (36 characters, dashes
        # at 8, 13, 18 and 23, hexadecimal digits elsewhere).
        self._fast = jsonschema_rs.validator_map_for(
            spec, validate_formats=True, ignore_unknown_formats=False,
            formats={name: (lambda value, name=name: formats.conforms(value, name))
                     for name in formats.checkers if name not in _NATIVE_FORMATS})
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
                        spec_op.body_schemas[media] = body["content"][media]["schema"]
                    json_body = self._deref(body["content"].get("application/json", {})
                                            .get("schema", {}))
                    # An optional body is `anyOf: [object, null]`: its object's fields count too.
                    objects = [json_body, *(self._deref(member) for member in json_body.get("anyOf", []))]
                    spec_op.body_uuids = frozenset(
                        name for schema in objects for name, prop in schema.get("properties", {}).items()
                        if _is_uuid(self._deref(prop)) or _is_uuid(self._deref(
                            self._deref(prop).get("items", {}))))
                self.operations[spec_op.operation_id] = spec_op

    def _bounds(self, schema: dict, value: Any, loc: list) -> list[dict[str, Any]]:
        """maxItems/maxProperties along properties and items, before any item is validated."""
        schema = self._deref(schema)
        if isinstance(value, list):
            most = schema.get("maxItems")
            if most is not None and len(value) > most:
                return [field_error(loc, f"List should have at most {most} items after "
                                    f"validation, not {len(value)}", "too_long")]
            items = schema.get("items")
            if isinstance(items, dict):
                for i, item in enumerate(value):
                    if errors := self._bounds(items, item, loc + [i]):
                        return errors
        elif isinstance(value, dict):
            most = schema.get("maxProperties")
            if most is not None and len(value) > most:
                return [field_error(loc, f"Object should have at most {most} properties, "
                                    f"not {len(value)}", "too_long")]
            if schema.get("additionalProperties") is False and len(value) > MAX_ERRORS:
                # More unknown keys than a 422 can list: jsonschema would first describe all
                # of them in one message (80,000 keys: a quarter of a second).
                known = schema.get("properties", {})
                extras = list(islice((k for k in value if k not in known), MAX_ERRORS))
                if len(extras) == MAX_ERRORS:
                    return [field_error(loc + [k], "Extra inputs are not permitted",
                                        "extra_forbidden") for k in extras]
            for name, sub in schema.get("properties", {}).items():
                if name in value and (errors := self._bounds(sub, value[name], loc + [name])):
                    return errors
        return []

    def _target(self, ref: str) -> Any:
        """The node a local `$ref` names (one hop)."""
        node: Any = self._raw
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def _deref(self, obj: dict) -> dict:
        while "$ref" in obj:
            obj = self._target(obj["$ref"])
        return obj

    def _compile(self, schema: SchemaPath) -> SchemaCheck:
        return SchemaCheck(full=oas31_schema_validators_factory.create(self._path, schema).validator,
                           fast=self._fast.get(self._pointer(schema.parts)))

    def _pointer(self, parts: tuple) -> str:
        """The JSON pointer of the node at `parts`, following any `$ref` on the way."""
        node: Any = self._raw
        at: list[str] = []
        for part in parts:
            while isinstance(node, dict) and "$ref" in node:  # one hop at a time
                at = node["$ref"].lstrip("#/").split("/")
                node = self._target(node["$ref"])
            node = node[part]
            at.append(str(part).replace("~", "~0").replace("/", "~1"))
        return "#/" + "/".join(at)

    def _param(self, where: SchemaPath, raw: dict) -> Param:
        raw = self._deref(raw)
        schema = self._deref(raw.get("schema", {}))
        return Param(
            name=raw["name"], location=raw["in"], required=bool(raw.get("required")),
            integer=schema.get("type") == "integer", check=self._compile(where / "schema"),
            default=schema.get("default"), array=schema.get("type") == "array",
            uuid=_is_uuid(schema) or _is_uuid(self._deref(schema.get("items", {}))),
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
            value: Any = values if p.array else values[0] if len(values) == 1 else values
            if p.integer and isinstance(value, str):
                if not _INT.fullmatch(value):
                    errors.append(field_error(
                        [p.location, p.name],
                        "Input should be a valid integer, unable to parse string as an integer",
                        "int_parsing"))
                    continue
                if len(value.lstrip("-")) > _INT_DIGITS:
                    errors.append(field_error(
                        [p.location, p.name],
                        "Unable to parse input string as an integer, exceeded maximum size",
                        "int_parsing_size"))
                    continue
                value = int(value)
            errors += p.check.errors(value, [p.location, p.name])
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
                value, errors, suspect = decode_json(body)
            except UnicodeDecodeError as exc:
                # Bytes that are not text at all: FastAPI's 400, documented by the contract.
                raise UndecodableBody("There was an error parsing the body") from exc
            if not errors and value is None and not op.body_required:
                return None, []  # the contract: `null` as an optional body means no body
            # Cheap checks first, so that a huge body costs one pass: bounds on arrays and
            # objects before their items, then text and numbers, then the schema.
            errors = (errors or self._bounds(op.body_schemas[media_type], value, ["body"])
                      or (inspect(value) if suspect else []))
            if errors:
                return None, errors
        elif media_type == "application/x-www-form-urlencoded":
            value = {}
            for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                value.setdefault(k, v)
            return self._form(op.body_schemas[media_type], value, validator)
        else:  # multipart: the parsed form; files are checked for presence and size here
            value = form or {}
            errors = []
            for name, part in value.items():
                size = getattr(part, "size", None)
                if size is not None and size > UPLOAD_LIMIT:
                    raise PayloadTooLarge(f"File exceeds {UPLOAD_LIMIT} bytes")
                errors += _part_errors(name, part)
            checked = {k: ("" if hasattr(v, "read") else v) for k, v in value.items()}
            return value, errors + validator.errors(checked, ["body"])
        return value, validator.errors(value, ["body"])


    def _form(self, schema: dict, value: dict[str, str], validator: Any
              ) -> tuple[Any, list[dict[str, Any]]]:
        """A form's known fields validated; its unknown keys reported without their names.

        A form key can hold a secret: JSON sent with the form media type parses as one key
        (the whole text, password included), and so does `username=bob&<password>`. The
        contract never echoes a password, not even in `loc`.
        """
        known = self._deref(schema).get("properties", {})
        fields = {k: v for k, v in value.items() if k in known}
        errors = []
        if len(fields) < len(value):
            errors.append(field_error(["body"], FORM_EXTRA, "extra_forbidden"))
        return value, errors + validator.errors(fields, ["body"])


FORM_EXTRA = ("Extra inputs are not permitted: the form has fields this operation does not "
              "define (not named here: a form key may hold a secret)")


def _schema_errors(validator: Any, value: Any, loc: list) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # The contract caps a 422 at MAX_ERRORS entries: stop there instead of building them all.
    for error in islice(validator.iter_errors(value), MAX_ERRORS):
        where = loc + list(error.absolute_path)
        kind = error.validator
        if kind == "required":
            match = _REQUIRED.match(error.message)
            name = match.group(1) if match else "?"
            out.append(field_error(where + [name], "Field required", "missing"))
        elif kind == "additionalProperties" and isinstance(error.instance, dict):
            known = set(error.schema.get("properties", {}))
            for extra in islice((k for k in error.instance if k not in known), MAX_ERRORS):
                out.append(field_error(where + [extra], "Extra inputs are not permitted",
                                       "extra_forbidden"))
        elif kind == "type":
            expected = error.validator_value
            name = expected if isinstance(expected, str) else "_or_".join(expected)
            out.append(field_error(where, f"Input should be a valid {name}", f"{name}_type"))
        else:
            out.append(field_error(where, _message(kind, error.validator_value),
                                   _TYPES.get(kind, str(kind))))
    return out[:MAX_ERRORS]


# A filename is stored and sent back in Content-Disposition: a control character (a NUL, a
# line break) once made every download of it drop the connection.
_UNSAFE_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # C0, DEL, C1
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[^\x00-\x1f\x7f]*)?")


def _part_errors(name: str, part: Any) -> list[dict[str, Any]]:
    """An uploaded part's filename and content type, which are stored and sent back."""
    errors = []
    filename = getattr(part, "filename", None)
    if filename is not None and _UNSAFE_NAME.search(filename):
        errors.append(field_error(["body", name], "Filename should not contain control "
                                  "characters", "value_error"))
    content_type = getattr(part, "content_type", None)
    if content_type is not None and not MEDIA_TYPE.fullmatch(content_type):
        errors.append(field_error(["body", name], "Part content type should be a media type "
                                  "(type/subtype, RFC 6838)", "value_error"))
    return errors


def describe(error: Any) -> str:
    """A jsonschema error in words that never repeat the value (the proxy's findings)."""
    if error.validator in ("required", "additionalProperties"):
        return error.message  # names properties, not values
    if error.validator == "type":
        expected = error.validator_value
        return f"Input should be a valid {expected if isinstance(expected, str) else ' or '.join(expected)}"
    return _message(error.validator, error.validator_value)


def _message(kind: str, expected: Any) -> str:
    """pydantic's wording, which names what was expected and never the value received.

    jsonschema's own messages start with the value (`'sk-live-...' does not match ...`): a
    rejected API key or password would come back in the 422, the proxy's headers and the
    journal.
    """
    if kind in ("maxLength", "minLength"):
        most = "most" if kind == "maxLength" else "least"
        return f"String should have at {most} {expected} character{'s' * (expected != 1)}"
    if kind in ("maxItems", "minItems"):
        most = "most" if kind == "maxItems" else "least"
        return f"List should have at {most} {expected} item{'s' * (expected != 1)}"
    if kind in ("maxProperties", "minProperties"):
        most = "most" if kind == "maxProperties" else "least"
        return f"Object should have at {most} {expected} propert{'ies' if expected != 1 else 'y'}"
    if kind == "pattern":
        return f"String should match pattern '{expected}'"
    if kind == "enum":
        names = [repr(v) for v in expected]
        return "Input should be " + (" or ".join(names) if len(names) < 3
                                     else ", ".join(names[:-1]) + " or " + names[-1])
    if kind == "const":
        return f"Input should be {expected!r}"
    if kind in _COMPARISONS:
        return f"Input should be {_COMPARISONS[kind]} {expected}"
    if kind == "format":
        return f"Input should be a valid {expected}"
    if kind == "uniqueItems":
        return "List should have unique items"
    return f"Input does not satisfy the contract's `{kind}` rule"


_COMPARISONS = {"maximum": "less than or equal to", "minimum": "greater than or equal to",
                "exclusiveMaximum": "less than", "exclusiveMinimum": "greater than"}


def _is_uuid(schema: dict) -> bool:
    return schema.get("format") == "uuid"


def _lower(value: Any) -> Any:
    """A UUID (or a list of them) in its stored, lowercase form."""
    if isinstance(value, list):
        return [_lower(v) for v in value]
    return value.lower() if isinstance(value, str) else value
