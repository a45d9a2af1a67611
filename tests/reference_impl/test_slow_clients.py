"""Slow and idle clients are timed out; open connections are capped (issue 18, #9).

Behaviour, not wall-clock races: the deadlines are set short here, the clients are far slower
than any deadline (they never finish), and each test asserts that the server does close the
connection, within a bound (30 s) that only a server that never closes it can miss.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import time

import pytest

from reference_impl import connection_guard
from reference_impl.connection_guard import GuardedH11Protocol, GuardedHttpToolsProtocol

from tests.loopback import serving

BOUND = 30.0  # seconds: generous; a server that never closes the connection misses it


async def app(scope, receive, send):  # noqa: ANN001
    """Reads the whole body, then answers 200 with its size."""
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = json.dumps({"size": size}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(params=[GuardedH11Protocol, GuardedHttpToolsProtocol], ids=["h11", "httptools"])
def server(request):
    """Serve `app` with short deadlines: (port, configure) to change the limits."""
    before = connection_guard.limits()
    connection_guard.configure(header_timeout=0.5, body_timeout=0.5, max_connections=0)
    try:
        with serving(app, http=request.param, timeout_keep_alive=0.5) as port:
            yield port
    finally:
        connection_guard.configure(**before.__dict__)


def _until_closed(sock: socket.socket, trickle: bytes = b"") -> bytes | None:
    """Keep the connection busy (a byte of `trickle` every 0.1 s) until the server closes it;
    what it sent, or None if it is still open after BOUND."""
    received, deadline = b"", time.monotonic() + BOUND
    sock.settimeout(0.1)
    drip = itertools.cycle(trickle)
    while time.monotonic() < deadline:
        if trickle:
            try:
                sock.sendall(bytes([next(drip)]))
            except OSError:
                return received
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return received
        if not chunk:
            return received
        received += chunk
    return None


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def _detail(raw: bytes) -> str:
    return json.loads(raw.partition(b"\r\n\r\n")[2])["detail"]


def test_a_connection_that_sends_nothing_is_closed(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        raw = _until_closed(sock)
    assert raw is not None, "the idle connection was never closed"
    assert _status(raw) == 408 and "headers" in _detail(raw)


def test_trickled_headers_are_cut_off(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        raw = _until_closed(sock, trickle=b"X-Slow: yes\r\n")
    assert raw is not None, "a slowloris connection was kept open"
    assert _status(raw) == 408


def test_a_trickled_body_is_cut_off(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab")
        raw = _until_closed(sock, trickle=b"x")
    assert raw is not None, "a trickled body kept its connection"
    assert _status(raw) == 408 and "body" in _detail(raw)


def test_an_idle_kept_alive_connection_is_closed(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
        raw = _until_closed(sock)
    assert raw is not None, "an idle kept-alive connection was never closed"
    assert _status(raw) == 200 and raw.endswith(b'{"size": 2}')


def test_requests_within_the_deadlines_are_served(server):
    connection_guard.configure(header_timeout=BOUND, body_timeout=BOUND)
    with socket.create_connection(("127.0.0.1", server), timeout=BOUND) as sock:
        for _ in range(3):  # one kept-alive connection, three requests
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            raw = b""
            while not raw.endswith(b"}"):
                raw += sock.recv(65536)
            assert _status(raw) == 200 and raw.endswith(b'{"size": 5}')


def test_connections_beyond_the_cap_are_refused_at_once(server):
    connection_guard.configure(header_timeout=BOUND, max_connections=3)
    with contextlib.ExitStack() as stack:
        held = [stack.enter_context(socket.create_connection(("127.0.0.1", server)))
                for _ in range(3)]
        for sock in held:  # each one is open and served
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _status(sock.recv(65536)) == 200
        with socket.create_connection(("127.0.0.1", server)) as extra:
            raw = _until_closed(extra)
        assert raw is not None and _status(raw) == 503 and _detail(raw)
    # Once they are closed, new connections are served again.
    deadline = time.monotonic() + BOUND
    while True:
        with socket.create_connection(("127.0.0.1", server), timeout=BOUND) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            raw = _until_closed(sock)
        if raw is not None and _status(raw) == 200:
            break
        assert _status(raw) == 503 and time.monotonic() < deadline


def test_a_request_the_parser_refuses_gets_the_contracts_shape(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        raw = _until_closed(sock)
    assert raw is not None and _status(raw) == 400
    assert b"application/json" in raw and _detail(raw)


def test_chat_contract_serve_times_out_slow_clients(live_server):
    server = live_server("--header-timeout", "1", "--body-timeout", "1",
                         "--keep-alive-timeout", "1")
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /api/v1/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        raw = _until_closed(sock, trickle=b"X-Slow: yes\r\n")
    assert raw is not None and _status(raw) == 408
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n"
                     b"Authorization: Bearer " + server.token.encode() + b"\r\n\r\n{")
        raw = _until_closed(sock, trickle=b" ")
    assert raw is not None, "a trickled body kept its connection"
    with server.client() as client:  # everyone else is still served
        assert client.get("/api/v1/users/me").status_code == 200


def test_each_worker_process_times_out_slow_clients(live_server, tmp_path):
    # Workers build their app (and read the limits) from the same flags, in their own process.
    server = live_server("--workers", "2", "--db", str(tmp_path / "state.db"),
                         "--header-timeout", "1")
    port = int(server.base_url.rsplit(":", 1)[1])
    for _ in range(4):  # whichever worker accepts it
        with socket.create_connection(("127.0.0.1", port)) as sock:
            raw = _until_closed(sock)
        assert raw is not None and _status(raw) == 408


def test_the_default_cap_stays_below_the_open_files_limit(monkeypatch):
    import resource

    monkeypatch.setattr(resource, "getrlimit", lambda _: (256, 4096))
    assert connection_guard.default_max_connections() == 256 - 64
    monkeypatch.setattr(resource, "getrlimit", lambda _: (65536, 65536))
    assert connection_guard.default_max_connections() == 1000
