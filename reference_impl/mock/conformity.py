"""Does a response keep the contract? openapi-core over the 3.1 document, compiled once.

Used by the journal (sampled on the server, every response in the proxy). Event streams are
checked event by event: the envelope against `ReplyEvent`, the JSON in `data` against the
`contentSchema` its event names (read from the contract, not restated here).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.schemas import oas31_schema_validators_factory
from werkzeug.datastructures import Headers, ImmutableMultiDict

from ..validation import describe

__all__ = ["ResponseChecker", "parse_events"]

SSE = "text/event-stream"
MAX_REPORTED = 20


class _Request:
    def __init__(self, host_url: str, method: str, path: str, query: str,
                 headers: dict[str, str]) -> None:
        self.host_url = host_url
        self.path = path
        self.method = method.lower()
        self.body = b""
        self.content_type = headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(query, keep_blank_values=True)),
            header=Headers(headers), cookie=ImmutableMultiDict(), path={})


class _Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code = status
        self.content_type = headers.get("content-type", "").split(";")[0].strip()
        self.headers = Headers(headers)
        # openapi-core checks `type: string` on str only: binary downloads are compared as text.
        self.data = body.decode("latin-1") if self.content_type == "application/octet-stream" \
            else body


def parse_events(text: str) -> list[dict[str, str]]:
    """SSE text -> events as field dicts (multi-line data joined with newlines)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            fields[name] = fields[name] + "\n" + value if name in fields else value
        if fields:
            events.append(fields)
    return events


def _describe(error: Exception) -> list[str]:
    schema_errors = getattr(error.__cause__, "schema_errors", None) or \
        getattr(error, "schema_errors", None)
    if not schema_errors:
        return [str(error)[:300]]
    head = type(error).__name__
    out = []
    for e in schema_errors:
        where = "/".join(str(p) for p in e.absolute_path)
        out.append(f"{head}: {where + ': ' if where else ''}{describe(e)}"[:300])
    return out


class ResponseChecker:
    """Compile once; `check(...)` lists every way one response breaks the contract."""

    def __init__(self, contract: dict[str, Any]) -> None:
        self.contract = contract
        self.openapi = OpenAPI.from_dict(contract)
        # openapi-core finds operations under a server URL; which host answered does not
        # change what the contract requires, so every request is checked as if sent there.
        self.host_url = contract.get("servers", [{}])[0].get("url", "http://localhost")
        root = SchemaPath.from_dict(contract)
        self._envelope = None
        self._data: dict[str, Any] = {}
        envelope = contract.get("components", {}).get("schemas", {}).get("ReplyEvent")
        if envelope:
            where = root / "components" / "schemas" / "ReplyEvent"
            self._envelope = oas31_schema_validators_factory.create(root, where).validator
            for i, branch in enumerate(envelope.get("oneOf", [])):
                name = branch.get("properties", {}).get("event", {}).get("const")
                if name and "contentSchema" in branch["properties"].get("data", {}):
                    target = where / "oneOf" / i / "properties" / "data" / "contentSchema"
                    self._data[name] = oas31_schema_validators_factory.create(
                        root, target).validator

    def check(self, method: str, path: str, query: str, request_headers: dict[str, str],
              status: int, headers: dict[str, str], body: bytes, part: str = "all"
              ) -> list[str]:
        """`part`: "all"; "head" (status and headers of a stream still being relayed);
        "events" (its events, once relayed)."""
        request = _Request(self.host_url, method, path, query, request_headers)
        lowered = {k.lower(): v for k, v in headers.items()}
        is_stream = lowered.get("content-type", "").startswith(SSE)
        if part == "events":
            return self._events(body)[:MAX_REPORTED] if 200 <= status < 300 else []
        # For a stream, status and headers go through openapi-core with an empty body; the
        # events are checked one by one below.
        response = _Response(status, lowered, b"" if is_stream else body)
        errors: list[str] = []
        for error in self.openapi.iter_response_errors(request, response):
            if is_stream and "data" in type(error).__name__.lower():
                continue  # the body of a stream: checked per event
            errors += _describe(error)
        if is_stream and 200 <= status < 300 and part == "all":
            errors += self._events(body)
        if status >= 400 and not is_stream and not errors:
            try:
                if "detail" not in json.loads(body):
                    errors.append("error body has no `detail`")
            except (ValueError, TypeError):
                errors.append("error body is not JSON")
        return errors[:MAX_REPORTED]

    def _events(self, body: bytes) -> list[str]:
        if self._envelope is None:
            return []
        errors = []
        events = parse_events(body.decode("utf-8", "replace"))
        if not events:
            return ["event stream: no events"]
        for position, event in enumerate(events):
            label = f"event {position} ({event.get('event', '?')})"
            envelope_errors = [describe(e) for e in self._envelope.iter_errors(event)]
            if envelope_errors:
                errors.append(f"{label}: {envelope_errors[0]}"[:300])
                continue
            validator = self._data.get(event["event"])
            if validator is None:
                continue
            try:
                data = json.loads(event["data"])
            except ValueError:
                errors.append(f"{label}: data is not JSON")
                continue
            for e in validator.iter_errors(data):
                where = "/".join(str(p) for p in e.absolute_path)
                errors.append(f"{label}: {where + ': ' if where else ''}{describe(e)}"[:300])
        return errors
