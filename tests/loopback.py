"""Servers on 127.0.0.1 in a background thread, and raw HTTP/1.1 over a socket.

- `serving(app)`: uvicorn serving an ASGI app (its own event loop, in a thread);
- `Decoy`: a listener that only counts the connections it gets (the "attacker" a request
  must never reach);
- `raw_request(port, bytes)`: one request as written, the answer as `RawResponse`, for request
  targets and header bytes no HTTP client would send.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator

import uvicorn

__all__ = ["serving", "Decoy", "raw_request", "RawResponse"]

START_TIMEOUT = 180.0  # seconds; a guard against a server that never starts (a start under heavy load took over 30 s)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(app: Any, **config: Any) -> Iterator[int]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port (yielded) until the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)


class Decoy:
    """Listens on a free 127.0.0.1 port and counts connections; answers each with a 200."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            self.connections += 1
            with conn:
                with contextlib.suppress(OSError):
                    conn.settimeout(2)
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                 b"content-length: 17\r\nconnection: close\r\n\r\n"
                                 b'{"stolen": true}\n')

    def __enter__(self) -> "Decoy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(port: int, data: bytes, timeout: float = 60.0) -> RawResponse:
    """Write `data` to 127.0.0.1:port as is and read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), raw[:200]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return RawResponse(int(lines[0].split()[1]), headers, body)


def _dechunk(data: bytes) -> bytes:
    out = []
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(data[:size])
        data = data[size + 2:]
    return b"".join(out)
