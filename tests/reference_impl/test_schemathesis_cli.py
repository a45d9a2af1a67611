"""The upstream Schemathesis CLI, every check, against a real `chat-contract serve`."""

import os
import subprocess
import sys

import pytest

from chat_contract.resources import spec_path

from .live import command

SEED = 1
MAX_EXAMPLES = 20
BUDGET = 240  # seconds; a run takes about 25 s here


@pytest.mark.slow
def test_schemathesis_cli_finds_no_failures(live_server, tmp_path):
    server = live_server("--token-delay", "0")
    # The per-event view (docs/reference-server.md): Schemathesis checks streams event by event.
    view = tmp_path / "per-event.yaml"
    view.write_text(subprocess.run([sys.executable, "-m", "conformance.sse", str(spec_path())],
                                   capture_output=True, text=True, check=True).stdout)
    cmd = [*command("st", "schemathesis.cli"), "run", str(view),
           "--url", server.base_url, "-H", f"Authorization: Bearer {server.token}",
           "--checks", "all", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
           "--no-color", "--request-timeout", "10"]
    env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false"}
    run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=BUDGET)
    tail = "\n".join((run.stdout + run.stderr).splitlines()[-80:])
    assert run.returncode == 0, f"st run exited {run.returncode}:\n{tail}"
    assert "generated" in run.stdout and " passed" in run.stdout, tail
    assert "Traceback" not in server.log(), server.log()[-3000:]
