"""Hostile request targets and header bytes through the validating proxy (`chat-contract proxy`).

The proxy runs in front of a small upstream on 127.0.0.1; a decoy ("attacker") listens on
another loopback port. Requests are written on a raw socket, as an attacker would send them,
to the proxy served by each of uvicorn's HTTP parsers. The proxy must only ever reach its
upstream (the decoy gets no connection at all), and must answer every request without a 5xx
and, for its own errors, in the contract's shape {"detail": "..."}.
"""

from __future__ import annotations

import json

import pytest

from reference_impl.connection_guard import GuardedH11Protocol, GuardedHttpToolsProtocol
from reference_impl.contract import load_contract
from reference_impl.edge import Edge
from reference_impl.proxy import Proxy

from tests.loopback import Decoy, raw_request, serving



class Upstream:
    """Records what reached it; answers 404 {"detail": "Not Found"} (the contract's shape)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes, bytes]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        self.seen.append((scope["method"], scope["raw_path"], scope["query_string"]))
        body = json.dumps({"detail": "Not Found"}).encode()
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"x-upstream-note", "→ é".encode())]})  # UTF-8 bytes
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def contract():
    return load_contract()


# uvicorn's two HTTP parsers, as `chat-contract proxy` serves them (connection_guard.py); an
# upstream at its root, and one under a path prefix (kept in front of every forwarded path).
@pytest.fixture(scope="module", params=[(GuardedH11Protocol, ""), (GuardedHttpToolsProtocol, ""),
                                        (GuardedHttpToolsProtocol, "/base")],
                ids=["h11", "httptools", "httptools-prefix"])
def setup(request, contract):
    http, prefix = request.param
    upstream = Upstream()
    with Decoy() as decoy, serving(upstream, http="h11") as upstream_port:
        proxy = Proxy(f"http://127.0.0.1:{upstream_port}{prefix}", contract,
                      mock_token="hostile-proxy-token")
        with serving(Edge(proxy, nosniff=False), http=http) as proxy_port:
            yield proxy_port, upstream, decoy, prefix


def _targets(a: int) -> list[str]:
    """Request targets aimed at the decoy on port `a` (or merely malformed)."""
    return [
        f"*@127.0.0.1:{a}/x", f"*@127.0.0.1:{a}", "*", "*x", f"*:{a}", f"*.127.0.0.1:{a}/x",
        f"@127.0.0.1:{a}/x", f":{a}/x", f"127.0.0.1:{a}", f"127.0.0.1:{a}/x",
        f"http://127.0.0.1:{a}/x", f"http://u@127.0.0.1:{a}/x", f"https://127.0.0.1:{a}/x",
        f"//127.0.0.1:{a}/x", f"///127.0.0.1:{a}/x", f"/@127.0.0.1:{a}/x",
        f"/x@127.0.0.1:{a}/", f"/%2F%2F127.0.0.1:{a}/x", f"/%40127.0.0.1:{a}",
        f"\\\\127.0.0.1:{a}\\x", f"/api/v1/conversations?x=@127.0.0.1:{a}",
        f"/api/v1/conversations#@127.0.0.1:{a}", f"?@127.0.0.1:{a}", "/..%2F..%2F",
        "/api/v1/%00", "/api/v1/conversations/%ff%fe", f"/api/v1/%0d%0aHost:127.0.0.1:{a}",
    ]


def _headers(a: int) -> list[bytes]:
    return [
        b"X-T: \xff\xfe", b"Authorization: Bearer \xff\xfe", b"Cookie: \xff=\xfe; a\"b=c",
        b"Cookie: session=\x80\x81", b"Content-Type: \xff/\xfe", b"X-Mock-Session: \xff",
        b"Accept: \xe2\x80\xae", f"Forwarded: host=127.0.0.1:{a}".encode(),
        f"X-Forwarded-Host: 127.0.0.1:{a}".encode(), b"Prefer: code=\xff",
        b"If-None-Match: \x80",
    ]


def _problems(where: str, response) -> list[str]:
    if response.status >= 500:
        return [f"{where}: {response.status} {response.body[:200]!r}"]
    if response.status < 400:
        return []
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return [f"{where}: {response.status} body is not a JSON object: {response.body[:100]!r}"]
    return [] if detail else [f"{where}: {response.status} without a detail"]


def _request(method: str, target: str | bytes, host: bytes, extra: bytes = b"") -> bytes:
    """A request as written: `extra` holds more header lines (or replaces Host, when it
    starts with one)."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    if not extra.startswith(b"Host:"):
        extra = b"Host: " + host + b"\r\n" + extra
    return method.encode() + b" " + target + b" HTTP/1.1\r\n" + extra + b"Connection: close\r\n\r\n"


def test_hostile_targets_never_leave_the_upstream(setup):
    proxy_port, upstream, decoy, prefix = setup
    host = f"127.0.0.1:{proxy_port}".encode()
    problems, answered = [], 0
    requests = [("GET", t, b"") for t in _targets(decoy.port)]
    requests += [("OPTIONS", "*", b""), ("CONNECT", f"127.0.0.1:{decoy.port}", b""),
                 ("POST", f"*@127.0.0.1:{decoy.port}/x",
                  b"Content-Type: application/json\r\nContent-Length: 0\r\n")]
    requests += [("GET", "/api/v1/conversations", h + b"\r\n") for h in _headers(decoy.port)]
    requests += [("GET", "/api/v1/conversations", b"Host: 127.0.0.1:%d\r\n" % decoy.port)]
    for method, target, extra in requests:
        upstream.seen.clear()
        response = raw_request(proxy_port, _request(method, target, host, extra))
        where = f"{method} {target!r} {extra[:40]!r}"
        problems += _problems(where, response)
        answered += 1
        problems += [f"{where}: upstream got {path!r}" for _, path, _ in upstream.seen
                     if not path.startswith(prefix.encode() + b"/")]
    assert decoy.connections == 0, f"the proxy connected to the decoy {decoy.connections} time(s)"
    assert problems == [], "\n".join(problems)
    assert answered == len(requests) >= 40


def test_malformed_targets_answer_400_in_the_contracts_shape(setup):
    proxy_port, upstream, decoy, _ = setup
    host = f"127.0.0.1:{proxy_port}".encode()
    for target in [f"*@127.0.0.1:{decoy.port}/x", "*", "*x", f"http://127.0.0.1:{decoy.port}/x",
                   f"https://u@127.0.0.1:{decoy.port}/x", f"127.0.0.1:{decoy.port}"]:
        upstream.seen.clear()
        response = raw_request(proxy_port, _request("GET", target, host))
        assert response.status == 400, (target, response)
        assert response.headers["content-type"] == "application/json"
        assert isinstance(response.json()["detail"], str)
        assert upstream.seen == []
    assert decoy.connections == 0


def test_the_upstream_gets_the_path_and_query_as_sent(setup):
    proxy_port, upstream, _, prefix = setup
    host = f"127.0.0.1:{proxy_port}".encode()
    upstream.seen.clear()
    response = raw_request(proxy_port, _request(
        "GET", "/api/v1/conversations/a%2Fb%40c?limit=2&q=%40x", host, b"X-T: \xff\xfe\r\n"))
    assert response.status == 404 and response.json() == {"detail": "Not Found"}
    assert upstream.seen == [("GET", prefix.encode() + b"/api/v1/conversations/a%2Fb%40c",
                              b"limit=2&q=%40x")]
