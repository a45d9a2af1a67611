"""Drive a URL with wrk and read its figures."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LoadResult", "Request", "WrkMissing", "run_wrk"]


class WrkMissing(RuntimeError):
    """wrk is not installed."""


@dataclass(frozen=True, kw_only=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None = None


@dataclass(frozen=True, kw_only=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.M)


def _lua(request: Request) -> str:
    # wrk takes the method, body and headers of a request from a Lua script.
    lines = [f"wrk.method = {_lua_string(request.method)}"]
    if request.body is not None:
        lines.append(f"wrk.body = {_lua_string(request.body)}")
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items()]
    return "\n".join(lines) + "\n"


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def parse_wrk(output: str) -> LoadResult:
    """Read the figures from wrk's `--latency` output."""
    latencies = {pct: float(value) * _UNITS_MS[unit] for pct, value, unit in _LATENCY.findall(output)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if not (rps and total and {"50", "99"} <= latencies.keys()):
        raise ValueError(f"unexpected wrk output:\n{output}")
    return LoadResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=latencies["50"],
        p99_ms=latencies["99"],
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def run_wrk(request: Request, *, connections: int, seconds: float, threads: int = 1) -> LoadResult:
    """Load `request` for `seconds` with `connections` open connections."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkMissing("wrk is not installed: `apt-get install wrk` (Debian) or `brew install wrk`")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "request.lua"
        script.write_text(_lua(request), encoding="utf-8")
        completed = subprocess.run(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
             "-s", str(script), request.url],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        )
    return parse_wrk(completed.stdout)
