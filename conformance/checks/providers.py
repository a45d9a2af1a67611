"""Providers and per-user provider configurations; API keys are write-only."""

from __future__ import annotations

import uuid

from ..cleanup import PREFIX
from ..client import Response
from ..errors import RequirementFailure
from .base import Context, expect, expect_status, requirement, support_probe, unsupported_if
from .conversations import page_through
from .errors import expect_409


@support_probe("providers")
def providers_probe(ctx: Context) -> Response:
    return ctx.user1.get("/api/v1/providers")


@support_probe("provider-configs")
def provider_configs_probe(ctx: Context) -> Response:
    return ctx.user1.get("/api/v1/provider-configs")


def _new_provider(ctx: Context, suffix: str) -> dict:
    name = f"{PREFIX} {suffix} {uuid.uuid4().hex[:8]}"
    response = ctx.user1.post("/api/v1/providers", json={
        "name": name, "api_endpoint": "https://llm.example.com/v1", "models": ["m-large"]})
    unsupported_if(response, "POST providers")
    expect_status(response, 201, "Creating a provider")
    body = response.json()
    expect(body.get("name") == name, summary="The created provider is not the one requested",
           received=body.get("name"), documented=name, response=response)
    return ctx.fresh("provider", body, response)


@requirement("PROV-001")
def created_provider_is_readable_and_listed(ctx: Context) -> None:
    provider = _new_provider(ctx, "catalogue")
    newer = _new_provider(ctx, "catalogue")
    response = ctx.user1.get(f"/api/v1/providers/{provider['id']}")
    expect_status(response, 200, "Reading a created provider")
    expect(response.json().get("name") == provider["name"], summary="The provider differs from what was created",
           received=response.json().get("name"), documented=provider["name"], response=response)
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        response = ctx.user1.get("/api/v1/providers", params={"limit": 100, **({"cursor": cursor} if cursor else {})})
        expect_status(response, 200, "Listing providers")
        seen += [item["id"] for item in response.json().get("items", [])]
        cursor = response.json().get("next_cursor")
        if not cursor:
            break
    expect(provider["id"] in seen, summary="A created provider is not listed", received=len(seen),
           documented=f"a list holding {provider['id']}", response=response)
    mine = [i for i in seen if i in (provider["id"], newer["id"])]
    expect(mine == [provider["id"], newer["id"]], summary="The catalogue is not listed oldest first",
           received=mine, documented=[provider["id"], newer["id"]], response=response)


def _config(ctx: Context) -> tuple[dict, str, list[Response]]:
    provider = _new_provider(ctx, "keys")
    key = f"sk-conformance-{ctx.unique}-SECRETKEY"
    response = ctx.user1.post("/api/v1/provider-configs", json={"provider_id": provider["id"], "api_key": key})
    unsupported_if(response, "POST provider-configs")
    expect_status(response, 201, "Creating a provider configuration")
    return ctx.fresh("provider configuration", response.json(), response), key, [response]


@requirement("PCFG-001")
def provider_config_lifecycle(ctx: Context) -> None:
    config, _, _ = _config(ctx)
    path = f"/api/v1/provider-configs/{config['id']}"
    expect_status(ctx.user1.get(path), 200, "Reading a provider configuration")
    response = ctx.user1.get("/api/v1/provider-configs", params={"provider_id": config["provider_id"]})
    expect_status(response, 200, "Listing provider configurations")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == [config["id"]], summary="The configuration is not listed for its provider",
           received=ids, documented=[config["id"]], response=response)
    newer, _, _ = _config(ctx)
    seen, response = page_through(ctx, "/api/v1/provider-configs", limit=100)
    mine = [i for i in seen if i in (config["id"], newer["id"])]
    expect(mine == [config["id"], newer["id"]], summary="Provider configurations are not listed oldest first",
           received=mine, documented=[config["id"], newer["id"]], response=response)
    response = ctx.user1.patch(path, json={"default_model": "m-large"})
    expect_status(response, 200, "Updating a provider configuration")
    expect(response.json().get("default_model") == "m-large", summary="The update is not applied",
           received=response.json().get("default_model"), documented="m-large", response=response)
    expect_status(ctx.user1.request("GET", path, token=ctx.user2.token), 404,
                  "Reading another user's provider configuration")
    expect_status(ctx.user1.delete(path), 204, "Deleting a provider configuration")
    expect_status(ctx.user1.get(path), 404, "Reading a deleted provider configuration")


@requirement("PCFG-002")
def unknown_provider_answers_409(ctx: Context) -> None:
    # The area's probe already found provider configurations, so a 404 here is a failure,
    # never a sign that the area is unsupported.
    missing = str(uuid.uuid4())
    expect_409(ctx.user1.post("/api/v1/provider-configs", json={"provider_id": missing,
                                                                "api_key": f"sk-conformance-{ctx.unique}"}),
               "createProviderConfig naming an unknown provider")
    response = ctx.user1.get("/api/v1/provider-configs", params={"provider_id": missing})
    expect_status(response, 200, "Listing provider configurations for the unknown provider")
    items = response.json().get("items", [])
    expect(items == [], summary="A configuration answered 409 was stored anyway", received=items,
           documented=[], response=response)


@requirement("SEC-004")
def api_key_is_never_echoed(ctx: Context) -> None:
    config, key, responses = _config(ctx)
    path = f"/api/v1/provider-configs/{config['id']}"
    rotated = f"sk-rotated-{ctx.unique}-SECRETKEY"
    responses += [ctx.user1.get(path), ctx.user1.get("/api/v1/provider-configs"),
                  ctx.user1.patch(path, json={"api_key": rotated}), ctx.user1.get(path)]
    for response in responses:
        text = response.raw.text + " ".join(f"{k}: {v}" for k, v in response.headers.items())
        for secret in (key, rotated):
            if secret in text or secret[:-4] in text:
                raise RequirementFailure(
                    summary=f"{response.raw.request.method} {response.raw.request.url.path} echoes the API key",
                    received="the key (redacted here) appears in the response",
                    documented="only api_key_hint, e.g. '…1234'", exchange=response.exchange)
    hint = responses[-1].json().get("api_key_hint")
    expect(hint == "…" + rotated[-4:], summary="The key hint is not the masked last four characters",
           received=hint, documented="…" + rotated[-4:], response=responses[-1])
