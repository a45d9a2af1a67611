"""`chat-contract bench --quick` runs end to end and produces figures (not a timed test)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")


def test_quick_bench_produces_every_figure(tmp_path):
    out, chart = tmp_path / "bench.json", tmp_path / "bench.png"
    completed = subprocess.run(
        [sys.executable, "-m", "chat_contract.cli", "bench", "--quick", "--seconds", "1",
         "--out", str(out), "--chart", str(chart)],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = json.loads(out.read_text())
    for server in ("reference", "reference-no-access-log", "prism", "starlette"):
        for endpoint in ("list", "get", "create"):
            measured = figures["servers"][server][endpoint]
            assert measured["rps"] > 0 and 0 < measured["p50_ms"] <= measured["p99_ms"]
    for endpoint in ("list", "get", "create"):
        assert set(figures["ratios"][endpoint]) == {"ratio_vs_prism", "ratio_vs_starlette"}
    # What the defaults cost: the access log (a share of throughput) and validation (µs).
    assert set(figures["access_log_cost"]) == set(figures["validation_us"]) == {"list", "get", "create"}
    assert all(0 < us < 10_000 for us in figures["validation_us"].values())
    assert figures["startup_s"] > 0
    assert figures["conformance"]["smoke"]["seconds"] > 0
    assert set(figures["list_latency"]["conversations"]) == {"100", "100000"}
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert "ratio" in completed.stdout


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_a_baseline_revision_is_measured_beside_this_one(tmp_path):
    """--baseline REV: the reference server of another revision, in the same turns (HEAD here:
    the one revision every clone has)."""
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "-m", "chat_contract.cli", "bench", "--quick", "--seconds", "1", "--skip", "prism",
         "--skip", "conformance", "--skip", "scale", "--skip", "abuse", "--skip", "costs",
         "--baseline", "HEAD", "--out", str(out)],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["baseline"]["revision"] == "HEAD" and len(figures["baseline"]["commit"]) == 40
    assert set(figures["baseline"]["ratio"]) == {"list", "get", "create"}
    assert all(r > 0 for r in figures["baseline"]["ratio"].values())
    assert all(figures["servers"]["reference-baseline"][e]["rps"] > 0 for e in ("list", "get", "create"))


def test_an_unknown_baseline_revision_is_a_clear_error():
    completed = subprocess.run(
        [sys.executable, "-m", "chat_contract.cli", "bench", "--quick", "--skip", "prism", "--skip", "conformance",
         "--skip", "scale", "--skip", "abuse", "--skip", "costs", "--baseline", "no-such-revision"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert completed.returncode == 2
    assert "--baseline no-such-revision: not a revision" in completed.stderr
