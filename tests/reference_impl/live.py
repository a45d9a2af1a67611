"""A real `chat-contract serve` in a subprocess on a free 127.0.0.1 port, for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

__all__ = ["LiveServer", "serve", "command", "login"]

START_TIMEOUT = 180.0  # seconds; a guard against a server that never starts (a start under heavy load took over 30 s)


def command(name: str, module: str) -> list[str]:
    """The console script installed beside this interpreter, else `python -m module`."""
    script = shutil.which(name, path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", module]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def login(base_url: str, username: str = "alice", timeout: float = 5.0) -> str:
    r = httpx.post(f"{base_url}/api/v1/auth/token", timeout=timeout,
                   data={"username": username, "password": f"{username}-dev-password"})
    r.raise_for_status()
    return r.json()["access_token"]


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen
    log_path: Path
    token: str  # alice's

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.base_url, headers=headers,
                            timeout=kwargs.pop("timeout", 10), **kwargs)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and the workers it started (its own process group), always."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # leftover workers, if any
    if process.poll() is None:
        process.wait(5)


def _workers(args: tuple[str, ...]) -> int:
    return int(args[args.index("--workers") + 1]) if "--workers" in args else 1


def _wait_for_workers(process: subprocess.Popen, log_path: Path, workers: int,
                      started: float) -> None:
    """Wait until every worker has started, not only the one that answered the first login.

    On a loaded machine the second worker can start seconds after the first has served
    requests; a test about several workers would then see only one.
    """
    while log_path.read_text(errors="replace").count("Application startup complete") < workers:
        if process.poll() is not None or time.perf_counter() - started > START_TIMEOUT:
            raise RuntimeError(f"{workers} workers not started in {START_TIMEOUT} s:\n"
                               + log_path.read_text(errors="replace"))
        time.sleep(0.05)


@contextlib.contextmanager
def serve(tmp_path: Path, *args: str) -> Iterator[LiveServer]:
    """Start `chat-contract serve ARGS` and wait until alice can log in; stop it afterwards."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / f"server-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command("chat-contract", "chat_contract.cli"), "serve", "--host", "127.0.0.1",
             "--port", str(port), *args],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        token = None
        while time.perf_counter() - started < START_TIMEOUT:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n"
                                   + log_path.read_text(errors="replace"))
            try:
                token = login(base_url, timeout=2)
                break
            except (httpx.TransportError, httpx.HTTPStatusError):
                time.sleep(0.02)
        if token is None:
            raise RuntimeError(f"server not ready in {START_TIMEOUT} s:\n"
                               + log_path.read_text(errors="replace"))
        _wait_for_workers(process, log_path, _workers(args), started)
        yield LiveServer(base_url, process, log_path, token)
    finally:
        _stop(process)
