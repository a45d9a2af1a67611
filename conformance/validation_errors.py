"""The strict FastAPI 422 shape, judged in one place for the probes and the Schemathesis layer.

The body is validated against the contract's own `ValidationError` response schema, so the
judge follows whatever the contract admits in an item (pydantic's `input`, `ctx`, `url`, ...).
One rule the schema leaves to prose is checked here in code: `loc` starts with the request
part (`body`, `query`, `path`, `header` or `cookie`), the contract's info description says so.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["shape_problems", "LOCATIONS", "response_schema"]

LOCATIONS = ("body", "query", "path", "header", "cookie")
MAX_PROBLEMS = 5
# Where the contract keeps the 422 body's schema; the item schema is reached through it.
RESPONSE_POINTER = "#/components/responses/ValidationError/content/application~1json/schema"


def response_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema for the contract's 422 body, its references resolved against the contract."""
    return {"$ref": RESPONSE_POINTER, "components": spec["components"]}


@cache
def _bundled_validator() -> Draft202012Validator:
    import yaml

    from chat_contract.resources import spec_path

    return Draft202012Validator(response_schema(yaml.safe_load(spec_path().read_text(encoding="utf-8"))))


_validators: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def _validator(spec: dict[str, Any]) -> Draft202012Validator:
    """One validator per contract document (the Schemathesis layer asks once per 422)."""
    if id(spec) not in _validators:
        _validators[id(spec)] = (spec, Draft202012Validator(response_schema(spec)))  # keeps `spec` alive
    return _validators[id(spec)][1]


def _where(path: Any) -> str:
    return "/".join(str(part) for part in path) or "the body"


def _describe(error: Any) -> str:
    # The offending value is left out: a 422 may echo what the request sent, secrets included.
    if error.validator in ("required", "additionalProperties"):
        said = error.message[:120]
    elif error.validator == "type":
        said = f"not of type {error.validator_value}"
    else:
        said = f"breaks {error.validator} {json.dumps(error.validator_value, default=str)[:80]}"
    return f"{_where(error.absolute_path)}: {said}"


def shape_problems(status: int, content_type: str, content: bytes, spec: dict[str, Any] | None = None) -> list[str]:
    """Every way a response falls short of the contract's 422; empty when it conforms.

    `spec` is the contract judged against (default: the bundled contract).
    """
    if status != 422:
        return [f"status {status}, not 422"]
    problems = []
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json":
        problems.append(f"content type {media or '(none)'}, not application/json")
    try:
        body = json.loads(content)
    except ValueError:
        return problems + ["the body is not JSON"]
    validator = _bundled_validator() if spec is None else _validator(spec)
    errors = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
    problems += [_describe(error) for error in errors[:MAX_PROBLEMS]]
    detail = body.get("detail") if isinstance(body, dict) else None
    for index, item in enumerate(detail if isinstance(detail, list) else []):
        loc = item.get("loc") if isinstance(item, dict) else None
        if isinstance(loc, list) and (not loc or loc[0] not in LOCATIONS):
            problems.append(f"detail/{index}/loc does not start with the request part "
                            f"({'/'.join(LOCATIONS)}): {json.dumps(loc)[:120]}")
    return problems
