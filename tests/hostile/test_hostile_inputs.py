"""Hostile input on every operation and the admin API: never a 5xx, never a wrong error shape.

Each input is followed by a health check (the server still answers a signed-in read). The
inputs are built from the contract, so an operation added later gets them too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reference_impl.app import load_contract

from .conftest import check_contract

CONTRACT = load_contract()
METHODS = ("get", "put", "post", "delete", "patch")
LOCS = {"body", "query", "path", "header", "cookie"}
SURROGATE_BYTES = "%ED%A0%80"  # a lone surrogate, UTF-8-encoded, percent-escaped

PATH_VALUES = ["not-a-uuid", SURROGATE_BYTES, "%00", "a" * 5000, "%C0%AF", "%3Cscript%3E",
               "00000000-0000-4000-8000-000000000000", "%E2%80%AE"]
QUERY_VALUES = ["²", "9" * 5000, "-" + "1" * 40, SURROGATE_BYTES, "%00", "x" * 5000, "NaN", ""]
JSON_BODIES: list[bytes] = [
    b'{"x": "\\ud800"}', b'"\\udfff"', b"[" * 5000 + b"]" * 5000, b'{"a": ' + b"9" * 5000 + b"}",
    b'{"a": NaN}', b'{"a": 1e999}', b"\xff\xfe\x00", b"\xed\xa0\x80", b"", b"null", b"[]", b"0",
    b'{"title": "' + b"x" * (1024 * 1024 - 20) + b'"}',  # just within the size limit
    b"{" + b'"k": 1,' * 150_000 + b'"z": 1}',
    json.dumps({"models": ["a"] * 200_000}).encode(),
    json.dumps({k: "\ud800" for k in ("title", "content", "name", "metadata", "reactions")},
               ensure_ascii=True).encode(),
]
# Every query parameter of every operation gets these (issue 18 #10, #11: NUL, C0, C1).
CONTROL_QUERY_VALUES = ["%00", "a%00b", "%01", "%1B%5B31m", "%C2%85", "%C2%9B", "%7F"]
# Session names: invalid ones answer 400 and leave nothing; valid ones create nothing unless an
# authenticated, valid write comes (issue 18 #2, #8).
SESSION_NAMES = [b"a" * 65, b"x" * 4000, b"\xc2\x85", b"a b", b"%00", b"..", b"default",
                 b"hostile-" + b"z" * 56, b"hostile-2"]
HEADERS = [{"Accept-Language": "x" * 8000}, {"Last-Event-ID": "9" * 5000},
           {"Prefer": "code=" + "9" * 5000}, {"Prefer": "example=\x7f"},
           {"X-Mock-Session": "../../etc"}, {"Authorization": "Bearer " + "\x01" * 10}]
ADMIN = [("GET", "/__mock/journal?limit=²"), ("GET", "/__mock/journal?limit=" + "9" * 5000),
         ("GET", "/__mock/journal?violations=maybe"), ("GET", "/__mock/journal?session=" + "%00"),
         ("GET", "/__mock/sessions/" + "a" * 5000), ("POST", "/__mock/sessions/..%2F..%2Fx/reset"),
         ("PUT", "/__mock/sessions/qa/snapshots/" + SURROGATE_BYTES),
         ("POST", "/__mock/sessions/qa/snapshots/nope/restore"), ("DELETE", "/__mock/sessions/default"),
         ("DELETE", "/__mock/journal?session=" + "x" * 5000), ("PATCH", "/__mock/journal"),
         ("GET", "/__mock/" + "a" * 5000), ("GET", "/__mock/journal/" + "9" * 5000),
         ("GET", "/__mock/journal/-1"), ("PUT", "/__mock/sessions/qa/presets"),
         ("GET", "/__mock/sessions/" + "a" * 5000 + "/presets")]


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), path, op) for path, item in CONTRACT["paths"].items()
            for m, op in item.items() if m in METHODS]


def _inputs(ids: dict[str, str], covered: set[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, httpx kwargs): several hostile inputs per operation."""
    out = []
    for method, template, op in _operations():
        covered.add(op["operationId"])
        valid = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), ids["conversation_id"]), template)
        for value in PATH_VALUES[:4] if "{" in template else []:
            out.append((method, re.sub(r"\{\w+\}", value, template), {}))
        for value in QUERY_VALUES[:3]:
            out.append((method, f"{valid}?limit={value}&cursor={value}&max_length={value}", {}))
        if "requestBody" in op:
            media = next(iter(op["requestBody"]["content"]))
            for body in JSON_BODIES:
                out.append((method, valid, {"content": body, "headers": {"content-type": "application/json"}}))
            out.append((method, valid, {"content": b"\x00" * 1000, "headers": {"content-type": media}}))
            out.append((method, valid, {"content": b"--x\r\n\r\n", "headers": {
                "content-type": "multipart/form-data; boundary=x"}}))
        for headers in HEADERS[:2]:
            out.append((method, valid, {"headers": headers}))
        for name in _query_names(op):
            for value in CONTROL_QUERY_VALUES:
                out.append((method, f"{valid}?{name}={value}", {}))
        if "requestBody" in op and "multipart/form-data" in op["requestBody"]["content"]:
            for filename in ("a\u0085b.txt", "a\u009bb.txt", "a\u202eb.txt"):
                out.append((method, valid, {"content": _upload(filename), "headers": {
                    "content-type": "multipart/form-data; boundary=XX"}}))
    for value in PATH_VALUES[4:]:
        out.append(("GET", f"/api/v1/conversations/{value}", {}))
    for value in QUERY_VALUES[3:]:
        out.append(("GET", f"/api/v1/conversations?q={value}&limit={value}", {}))
    for headers in HEADERS[2:]:
        out.append(("GET", "/api/v1/conversations", {"headers": headers}))
    for name in SESSION_NAMES:
        for method, body in (("GET", None), ("POST", b'{"title": 5}'), ("POST", b"\xff")):
            out.append((method, "/api/v1/conversations", {
                "headers": {"X-Mock-Session": name, "content-type": "application/json"},
                **({"content": body} if body is not None else {})}))
    return out


def _query_names(op: dict[str, Any]) -> list[str]:
    names = []
    for param in op.get("parameters", []):
        if "$ref" in param:
            param = CONTRACT["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        if param.get("in") == "query":
            names.append(param["name"])
    return names


def _upload(filename: str) -> bytes:
    return (b'--XX\r\nContent-Disposition: form-data; name="file"; filename="'
            + filename.encode() + b'"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XX--\r\n')


def _shape_problems(response) -> list[str]:
    if response.status_code < 400:
        return []
    try:
        body = response.json()
    except ValueError:
        return [f"{response.status_code} body is not JSON: {response.text[:100]!r}"]
    detail = body.get("detail") if isinstance(body, dict) else None
    if response.status_code == 422:
        if not isinstance(detail, list) or not detail:
            return ["422 detail is not a non-empty list"]
        return [f"422 item {item}" for item in detail
                if set(item) != {"loc", "msg", "type"} or not item["loc"] or item["loc"][0] not in LOCS]
    return [] if isinstance(detail, str) and detail else [f"{response.status_code} detail {detail!r}"]


def test_hostile_inputs_never_break_the_server(make_api, run):
    async def go():
        api = await (await make_api()).login()
        token = api.state.settings.mock_token
        conv = (await api.call("POST", "/api/v1/conversations", json={"title": "hostile"})).json()
        msg = (await api.call("POST", f"/api/v1/conversations/{conv['id']}/messages",
                              json={"content": "hi"})).json()
        ids = {"conversation_id": conv["id"], "message_id": msg["id"],
               "attachment_id": "00000000-0000-4000-8000-000000000001",
               "provider_id": "00000000-0000-4000-8000-000000000002",
               "config_id": "00000000-0000-4000-8000-000000000003", "share_id": "x" * 22}
        covered: set[str] = set()
        inputs = _inputs(ids, covered) + [(m, u, {"headers": {"X-Mock-Token": token}}) for m, u in ADMIN]
        assert len(inputs) >= 200, len(inputs)
        assert covered == {op["operationId"] for _, _, op in _operations()} and len(covered) >= 30
        problems = []
        for method, url, kwargs in inputs:
            headers = {"Authorization": f"Bearer {api.token}", **kwargs.pop("headers", {})}
            response = await api.client.request(method, url, headers=headers, **kwargs)
            where = f"{method} {url[:80]} {str(kwargs.get('content', b''))[:40]}"
            if response.status_code >= 500 and response.status_code != 503:
                problems.append(f"{where}: {response.status_code} {response.text[:200]}")
            problems += [f"{where}: {p}" for p in _shape_problems(response)]
            # Mock controls (Prefer, X-Mock-Session) answer their own documented 400s.
            mock_control = {"Prefer", "X-Mock-Session"} & set(headers)
            if not url.startswith("/__mock/") and response.status_code != 503 and not mock_control:
                try:
                    check_contract(response)
                except Exception as exc:  # noqa: BLE001  (collected, reported together)
                    problems.append(f"{where}: breaks the contract: {str(exc)[:200]}")
            health = await api.client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {api.token}"})
            if health.status_code != 200:
                problems.append(f"after {where}: health check {health.status_code}")
        assert problems == [], "\n".join(problems[:40])
        # No hostile input made a mock session (none was an authenticated, valid write), and
        # none refused for its name was journalled.
        assert [s.name for s in api.state.sessions.sessions()] == ["default"]
        sessions = {e["session"] for e in api.state.journal.read(limit=1000)}
        assert sessions <= {"default", "..", "hostile-" + "z" * 56, "hostile-2"}, sessions  # valid names
    run(go(), timeout=600)


def test_parallel_sign_in_guesses_are_held_to_the_throttle(make_api, run):
    """40 guesses at once for one username: at most 10 get an answer from the password check."""
    import asyncio

    from reference_impl.throttle import FAILURES

    async def go():
        api = await make_api()
        answers = await asyncio.gather(*(api.client.post(
            "/api/v1/auth/token", data={"username": "bob", "password": f"guess-{i}"},
            headers={"X-Mock-Session": f"guess-{i % 3}"}) for i in range(40)))
        for r in answers:
            check_contract(r)
            assert not _shape_problems(r), r.text
        statuses = [r.status_code for r in answers]
        assert statuses.count(401) <= FAILURES and statuses.count(429) >= 40 - FAILURES
        assert [s.name for s in api.state.sessions.sessions()] == ["default"]
    run(go())
