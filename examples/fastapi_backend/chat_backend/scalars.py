"""Scalar types the contract needs that pydantic's defaults do not give (add-on: strict scalars).

pydantic's lax mode takes `"5"` for an int, `1` for a bool, a UUID without hyphens and a Unix
timestamp for a date-time; the contract's schemas accept none of these, and the suite sends
them as invalid data. Body models are `strict=True`; these types cover what strictness cannot.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, SecretStr, Strict, StringConstraints
from pydantic_core import PydanticCustomError

# `format: uuid` as JSON Schema means it: 8-4-4-4-12 hex digits, hyphens required. Lowercased
# (the contract's "Identifiers": ids in capitals name the same resource), as they are stored.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
UUIDStr = Annotated[str, StringConstraints(pattern=UUID_PATTERN, max_length=36, to_lower=True)]

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    # The contract's `maxLength: 64` is checked here: pydantic cannot bound a datetime's text.
    if isinstance(value, str) and (len(value) > 64 or not _RFC3339.match(value)):
        raise ValueError("Input should be an RFC 3339 date-time with an offset, at most 64 characters")
    return value


DateTime = Annotated[datetime, BeforeValidator(_rfc3339)]


def _json_integer(value: object) -> object:
    # JSON Schema's `integer` is any number with a zero fractional part: 201.0 is one. Strict
    # pydantic refuses it; lax pydantic also takes "201" and true, which the contract does not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(_json_integer), Strict()]


def _query_digits(value: object) -> object:
    # The contract's "Limits": a query integer of more than 18 digits answers 422 with type
    # `int_parsing_size`. pydantic says so only past 4,300 digits (and `less_than_equal` below).
    if isinstance(value, str) and len(value.lstrip("+-")) > 18 and value.lstrip("+-").isdigit():
        raise PydanticCustomError("int_parsing_size",
                                  "Unable to parse input string as an integer, exceeded maximum size")
    return value


QueryInt = Annotated[int, BeforeValidator(_query_digits)]


def _unique(items: list) -> list:
    if len(set(items)) != len(items):
        raise ValueError("List items should be unique")
    return items


def unique(item_type):  # noqa: ANN001, ANN201
    """A list type with JSON Schema's `uniqueItems: true` (add-on: pydantic has no such rule)."""
    return Annotated[list[item_type], AfterValidator(_unique)]


def secret(min_length: int, max_length: int, pattern: str | None = None):  # noqa: ANN201
    """A `writeOnly` string (add-on: secrets never echoed).

    FastAPI answers a 422 with pydantic's `errors()`, whose `input` is the rejected value;
    `hide_input_in_errors` only hides it from `str(error)`. So the value arrives here already
    wrapped in `SecretStr` (see models.SecretBody), every error's `input` is that wrapper, which
    FastAPI serialises as `**********`, and the messages below name the rule, not the value.
    """
    compiled = re.compile(pattern) if pattern else None

    def check(value: object) -> SecretStr:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            raise PydanticCustomError("string_type", "Input should be a valid string")
        if len(raw) < min_length:
            raise PydanticCustomError("string_too_short", "String should have at least {min_length} characters",
                                      {"min_length": min_length})
        if len(raw) > max_length:
            raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                                      {"max_length": max_length})
        if compiled is not None and not compiled.search(raw):
            raise PydanticCustomError("string_pattern_mismatch", "String should match pattern '{pattern}'",
                                      {"pattern": pattern})
        return SecretStr(raw)

    return Annotated[SecretStr, BeforeValidator(check)]
