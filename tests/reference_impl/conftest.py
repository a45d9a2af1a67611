"""Factory fixtures: an in-process app, logged-in clients, and contract checks on responses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.schemas import oas31_schema_validators_factory
from jsonschema_path import SchemaPath
from werkzeug.datastructures import Headers, ImmutableMultiDict

from chat_contract.resources import spec_path
from reference_impl.app import Settings, create_app, load_contract
from reference_impl.bridge import to_openapi30

CONTRACT = load_contract()
OPENAPI = OpenAPI.from_file_path(str(spec_path()))
# The 3.0 view served at /openapi.json (Swagger UI, 3.0-only tools): every response must
# validate against it too, with openapi-core's OpenAPI 3.0 (OAS30) validators.
OPENAPI30 = OpenAPI.from_dict(to_openapi30(CONTRACT))
_EVENT_SCHEMA = SchemaPath.from_dict(CONTRACT)


class _Req:
    def __init__(self, request: httpx.Request) -> None:
        # openapi-core finds operations under the contract's server URL; live servers run on
        # other ports, and which host answered does not change what the contract requires.
        self.host_url = CONTRACT["servers"][0]["url"]
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.read()
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)), cookie=ImmutableMultiDict(), path={})


class _Resp:
    def __init__(self, response: httpx.Response) -> None:
        # openapi-core checks `type: string` on str only; binary downloads are compared as text.
        self.data = response.content
        if response.headers.get("content-type", "").startswith("application/octet-stream"):
            self.data = response.content.decode("latin-1")
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "").split(";")[0]
        self.headers = Headers(dict(response.headers))


def parse_sse(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if fields:
            events.append(fields)
    return events


def _event_validator(name: str):
    return oas31_schema_validators_factory.create(
        _EVENT_SCHEMA, _EVENT_SCHEMA / "components" / "schemas" / name).validator


_EVENT_DATA = {"reply.started": "ReplyStarted", "reply.sources": "ReplySources",
               "reply.delta": "ReplyDelta", "reply.completed": "ReplyCompleted",
               "reply.failed": "ReplyFailed"}


def check_contract(response: httpx.Response) -> None:
    """Fail when the response breaks the contract: openapi-core, plus per-event SSE checks."""
    # 503 (with Retry-After) is the only server error the contract documents.
    assert response.status_code < 500 or response.status_code == 503, response.text
    ctype = response.headers.get("content-type", "")
    if ctype.startswith("text/event-stream"):
        events = parse_sse(response.text)
        assert events and events[0]["event"] in _EVENT_DATA
        envelope = _event_validator("ReplyEvent")
        for e in events:
            errors = list(envelope.iter_errors(e))
            assert not errors, errors
            data_errors = list(_event_validator(_EVENT_DATA[e["event"]]).iter_errors(
                json.loads(e["data"])))
            assert not data_errors, (e, data_errors)
        return
    OPENAPI.validate_response(_Req(response.request), _Resp(response))
    OPENAPI30.validate_response(_Req(response.request), _Resp(response))
    if response.status_code >= 400:
        body = response.json()
        assert "detail" in body
        if response.status_code == 422:
            assert isinstance(body["detail"], list) and body["detail"]


@dataclass
class Api:
    """A client bound to one app; every response is checked against the contract."""

    client: httpx.AsyncClient
    state: Any
    token: str | None = None

    async def call(self, method: str, url: str, *, token: str | None = "self",
                   **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        use = self.token if token == "self" else token
        if use:
            headers["Authorization"] = f"Bearer {use}"
        response = await self.client.request(method, url, headers=headers, **kwargs)
        check_contract(response)
        return response

    async def login(self, username: str = "alice") -> "Api":
        r = await self.client.post("/api/v1/auth/token",
                                   data={"username": username,
                                         "password": f"{username}-dev-password"})
        check_contract(r)
        assert r.status_code == 200, r.text
        return Api(self.client, self.state, r.json()["access_token"])


def contract_middleware(state):
    """The app's ContractMiddleware (its validator, its Offload), found through the gc."""
    import gc

    from reference_impl.app import ContractMiddleware
    found = [o for o in gc.get_objects() if isinstance(o, ContractMiddleware) and o.state is state]
    assert len(found) == 1
    return found[0]


@pytest.fixture
def make_api(tmp_path) -> Callable[..., Any]:
    """Factory: `await make_api(**settings)` -> an anonymous Api on a fresh in-memory app."""
    async def factory(**settings: Any) -> Api:
        settings.setdefault("data_dir", tmp_path / "data")
        settings.setdefault("token_delay", 0.0)
        app, state = create_app(Settings(**settings))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://127.0.0.1:8000", timeout=10)
        return Api(client, state)

    return factory


@pytest.fixture
def run():
    """Run a coroutine to completion with a timeout (tests stay plain functions). The timeout
    is a guard against a hang, not a speed bound: 4,000 in-process requests took over a
    minute while other work loaded both cores."""
    import asyncio

    def runner(coro, timeout: float = 600):
        return asyncio.run(asyncio.wait_for(coro, timeout))
    return runner


@pytest.fixture
def live_server(tmp_path):
    """Factory: `live_server(*serve_args)` -> a running `chat-contract serve`, stopped at teardown."""
    import contextlib

    from .live import serve

    with contextlib.ExitStack() as stack:
        yield lambda *args: stack.enter_context(serve(tmp_path, *args))
