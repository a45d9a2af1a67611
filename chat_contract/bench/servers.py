"""Start and stop the servers under test: each a subprocess on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

__all__ = ["Server", "free_port", "prism_command", "reference_command", "starlette_command"]

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A server process, ready once `probe` answers True."""

    def __init__(self, name: str, command: list[str], port: int, probe: Callable[[str], bool], *,
                 start_timeout: float = 60.0, cwd: Path | None = None) -> None:
        self.name, self.command, self.port, self.probe = name, command, port, probe
        self.cwd = cwd  # run from another source tree (a baseline revision's)
        self.start_timeout = start_timeout
        self.base_url = f"http://{HOST}:{port}"
        self.process: subprocess.Popen | None = None
        self.ready_after_s: float | None = None
        self._stderr = None

    def start(self) -> "Server":
        timeout = self.start_timeout
        started = time.perf_counter()
        # A file, not a pipe: a pipe nobody drains fills up and stalls a chatty server.
        self._stderr = tempfile.TemporaryFile()
        env = None
        if self.cwd is not None:  # that tree's packages before the installed ones
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(self.cwd), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=self._stderr, start_new_session=True,
            cwd=self.cwd, env=env,
        )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                self._stderr.seek(0)
                raise RuntimeError(f"{self.name} exited: {self._stderr.read().decode(errors='replace')[-2000:]}")
            if self.probe(self.base_url):
                self.ready_after_s = time.perf_counter() - started
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> "Server":
        try:
            return self.start()
        except BaseException:
            self.stop()  # a start interrupted half-way (SIGTERM, Ctrl-C) leaves no process behind
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def answers(path: str, *, statuses: set[int]) -> Callable[[str], bool]:
    """A probe: true once `path` answers one of `statuses`."""

    def probe(base_url: str) -> bool:
        try:
            return httpx.get(base_url + path, timeout=1.0).status_code in statuses
        except httpx.TransportError:
            return False

    return probe


def reference_command(port: int, db: Path | str, workers: int = 1, *extra: str) -> list[str]:
    return [sys.executable, "-m", "chat_contract.cli", "serve", "--host", HOST, "--port", str(port),
            "--db", str(db), "--workers", str(workers), *extra]


def prism_command(port: int, spec: Path) -> list[str]:
    prism = _node_tool("prism")
    return [prism, "mock", str(spec), "--host", HOST, "--port", str(port), "-v", "silent"]


def starlette_command(port: int, bodies: Path, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "chat_contract.bench.starlette_peer", str(port), str(bodies),
            str(workers)]


def _node_tool(name: str) -> str:
    # The project pins Prism in package.json; `npm ci` in the checkout puts it here.
    for candidate in (Path.cwd() / "node_modules" / ".bin" / name, Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} is not installed: run `npm ci` in the project checkout")
