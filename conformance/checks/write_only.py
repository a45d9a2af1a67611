"""Write-only values (API keys, passwords) are never echoed, valid or not, in any part of a response.

The fields come from the contract: every request-body property marked `writeOnly` or
`format: password`, and the token endpoint's `password`. Each is sent valid, too long, with
characters its schema refuses, of the wrong type and beside a missing or unknown field, since
a framework's 422 (pydantic's `input`, a validator's message) is where an invalid secret leaks.
A form-encoded secret is also sent where it becomes a form key: JSON labelled
`application/x-www-form-urlencoded` (what a generated client sends by default) and
`username=bob&<password>` (the `password=` forgotten), since a 422's `loc` may name the key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlencode
from typing import Any

from ..client import Client, Response
from ..errors import RequirementFailure
from ..traceability import resolve
from .base import Context, requirement

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def secret_fields(spec: dict) -> Iterator[tuple[str, str, str, str, dict]]:
    """(operationId, method, path template, media type, field name, field schema) of each write-only field."""
    for template, item in spec["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            body = resolve((operation or {}).get("requestBody"), spec)
            for media, content in ((body or {}).get("content") or {}).items():
                schema = resolve(content.get("schema"), spec) or {}
                for name, prop in (schema.get("properties") or {}).items():
                    prop = resolve(prop, spec)
                    if prop.get("writeOnly") or prop.get("format") == "password" or name == "password":
                        yield operation["operationId"], method.upper(), template, media, name, prop


def _values(schema: dict, marker: str, media: str) -> list[tuple[str, Any]]:
    """(what, value) pairs, each carrying `marker`; all but the first break the field's schema."""
    base = f"sk-{marker}"
    values: list[tuple[str, Any]] = [("a well-formed value", f"{base}-0000")]
    if isinstance(schema.get("maxLength"), int):
        values.append(("a value one character too long", (base + "x" * schema["maxLength"])[:schema["maxLength"] + 1]))
    values.append(("a value with spaces and non-ASCII characters", f"{base} \u00e9 \u00fc!"))
    if media == "application/json":
        values.append(("a value of the wrong type", [base]))
    return values


def _leak(response: Response, marker: str) -> str | None:
    """Where in the response (body, a header) the marker appears, if anywhere."""
    if marker in response.raw.text:
        return "the body"
    for name, value in response.headers.items():
        if marker in value:
            return f"the {name} header"
    return None


def _config_id(ctx: Context) -> str | None:
    """An existing provider configuration to PATCH; None when the area is not offered."""
    if "createProviderConfig" in ctx.excluded_operations:
        return None
    from .providers import _new_provider

    provider = _new_provider(ctx, "secrets")
    response = ctx.user1.post("/api/v1/provider-configs",
                              json={"provider_id": provider["id"], "api_key": f"sk-setup-{ctx.unique}-0000"})
    return response.json().get("id") if response.status == 201 else None


def _cases(ctx: Context, operation_id: str, media: str, name: str, schema: dict,
           others: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(what, body, marker): the field sent valid and invalid, alone and beside an unknown field."""
    cases = []
    for n in range(len(_values(schema, "", media))):
        marker = f"{ctx.unique}c{n}S3CRET"
        what, value = _values(schema, marker, media)[n]
        cases.append((what, {**others, name: value}, marker))
    # Beside a missing field (pydantic echoes the whole body as `input`) and beside an unknown one.
    cases.append(("alone, its sibling fields missing", {name: f"sk-{ctx.unique}lone-S3CRET"}, f"{ctx.unique}lone-S3CRET"))
    cases.append(("beside an unknown field", {**others, name: f"sk-{ctx.unique}extra-S3CRET", "no_such_field": 1},
                  f"{ctx.unique}extra-S3CRET"))
    return cases


def _form_key_cases(ctx: Context, name: str, others: dict[str, Any]) -> list[tuple[str, bytes, str]]:
    """(what, raw form body, marker): the secret where a form parser makes it a key."""
    cases = []
    marker = f"{ctx.unique}json-S3CRET"
    cases.append(("in a JSON body labelled form-urlencoded (the whole text is one form key)",
                  json.dumps({**others, name: f"sk-{marker}"}).encode(), marker))
    marker = f"{ctx.unique}bare-S3CRET"
    cases.append((f"as a form key without `{name}=`",
                  (urlencode(others) + f"&sk-{marker}").lstrip("&").encode(), marker))
    return cases


@requirement("SEC-006")
def secrets_are_never_echoed(ctx: Context) -> None:
    others = {"createToken": {"grant_type": "password", "username": ctx.username or "nobody"},
              "createProviderConfig": {"provider_id": str(uuid.uuid4())}, "updateProviderConfig": {}}
    config_id = None
    for operation_id, method, template, media, name, schema in secret_fields(ctx.spec):
        if operation_id in ctx.excluded_operations or operation_id not in others:
            continue
        path = template
        if "{config_id}" in template:
            config_id = config_id or _config_id(ctx)
            if config_id is None:
                continue
            path = template.replace("{config_id}", config_id)
        client: Client = ctx.anonymous if operation_id == "createToken" else ctx.user1
        for what, body, marker in _cases(ctx, operation_id, media, name, schema, others[operation_id]):
            kwargs = {"json": body} if media == "application/json" else {"data": body}
            response = client.request(method, path, **kwargs)
            _judge(response, marker, operation_id, name, what)
        if media != "application/x-www-form-urlencoded":
            continue
        for what, raw, marker in _form_key_cases(ctx, name, others[operation_id]):
            response = client.request(method, path, content=raw, headers={"Content-Type": media})
            _judge(response, marker, operation_id, name, what)


def _judge(response: Response, marker: str, operation_id: str, name: str, what: str) -> None:
    where = _leak(response, marker)
    if where is not None:
        raise RequirementFailure(
            summary=f"{operation_id} echoes the {name} it was sent ({what}) in {where}",
            received=f"{response.status}; the value (redacted here) appears in {where}",
            documented=f"{name} is write-only: no response carries it, valid or not",
            exchange=response.exchange)
