"""Security: authentication on every protected operation and ownership."""

from __future__ import annotations

import uuid
from typing import Any

from ..client import Client
from ..errors import RequirementFailure
from .base import Context, expect, expect_status, requirement

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def protected_operations(ctx: Context) -> list[tuple[str, str, str]]:
    """(operationId, method, concrete path) for every operation that needs a token."""
    default = ctx.spec.get("security", [])
    found = []
    for template, item in ctx.spec["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None or operation.get("security", default) == []:
                continue
            if operation["operationId"] in ctx.excluded_operations:
                continue
            path = template
            for segment in [p for p in template.split("/") if p.startswith("{")]:
                value = "x" * 22 if segment == "{share_id}" else str(uuid.uuid4())
                path = path.replace(segment, value)
            found.append((operation["operationId"], method.upper(), path))
    return found


def _expect_401_everywhere(ctx: Context, token: str | None, what: str) -> None:
    problems: list[str] = []
    first: Any = None
    for operation_id, method, path in protected_operations(ctx):
        response = ctx.anonymous.request(method, path, token=token)
        challenge = response.headers.get("www-authenticate", "")
        if response.status != 401 or not challenge.lower().startswith("bearer"):
            problems.append(f"{operation_id}: {response.status} WWW-Authenticate={challenge!r}")
            first = first or response
    if problems:
        raise RequirementFailure(
            summary=f"Protected operations do not answer 401 with a Bearer challenge {what}",
            received="; ".join(problems[:10]) + (f" (+{len(problems) - 10} more)" if len(problems) > 10 else ""),
            documented="401 with WWW-Authenticate: Bearer",
            exchange=first.exchange,
        )


@requirement("SEC-001")
def no_token_answers_401(ctx: Context) -> None:
    _expect_401_everywhere(ctx, None, "without a token")


@requirement("SEC-002")
def unknown_token_answers_401(ctx: Context) -> None:
    _expect_401_everywhere(ctx, f"not-a-valid-token-{ctx.unique}", "with an unknown token")


@requirement("SEC-003")
def other_users_resources_answer_404(ctx: Context) -> None:
    secret = f"private-{ctx.unique}"
    conversation = ctx.new_conversation(title=secret)
    message = ctx.new_message(conversation["id"], f"{secret} message")
    cid, mid = conversation["id"], message["id"]
    intruder: Client = ctx.user2
    probes = [
        ("GET", f"/api/v1/conversations/{cid}", None),
        ("PATCH", f"/api/v1/conversations/{cid}", {"title": "taken"}),
        ("GET", f"/api/v1/conversations/{cid}/messages", None),
        ("POST", f"/api/v1/conversations/{cid}/messages", {"content": "intrusion"}),
        ("POST", f"/api/v1/conversations/{cid}/replies", {"content": "intrusion"}),
        ("POST", f"/api/v1/conversations/{cid}/read", {}),
        ("GET", f"/api/v1/messages/{mid}", None),
        ("PATCH", f"/api/v1/messages/{mid}", {"content": "taken"}),
        ("DELETE", f"/api/v1/messages/{mid}", None),
        ("DELETE", f"/api/v1/conversations/{cid}", None),
    ]
    for method, path, body in probes:
        response = intruder.request(method, path, json=body) if body is not None else intruder.request(method, path)
        if response.status != 404 or secret in response.raw.text:
            raise RequirementFailure(
                summary=f"{method} {path} as another user reveals or changes the owner's resource",
                received=f"{response.status} {response.raw.text[:200]}",
                documented="404, exactly as if it did not exist",
                exchange=response.exchange,
            )
    # The owner still sees it unchanged: the intruder's writes had no effect.
    response = ctx.user1.get(f"/api/v1/conversations/{cid}")
    expect_status(response, 200, "The owner reading the conversation after another user's attempts")
    expect(response.json().get("title") == secret, summary="Another user changed the owner's conversation",
           received=response.json().get("title"), documented=secret, response=response)
