import pytest

from conformance.config import resolve
from conformance.runner import run

from .fake_server import ServerThread, build_app

CREDENTIALS = {"username": "alice", "password": "alice-pass", "username_2": "bob", "password_2": "bob-pass"}


@pytest.fixture
def run_against_fake():
    """Run the suite against the fake with the given defects planted; return the RunResult."""

    def _run(defects=frozenset(), profile="smoke", **flags):
        with ServerThread(build_app(frozenset(defects))) as server:
            config = resolve({"base_url": server.url, "profile": profile, **CREDENTIALS, **flags}, {})
            return run(config)

    return _run


SEEDS = (1, 2, 3)  # a model run is a search: a planted defect must be found within these three


def model_catch(server_url_for, folder) -> dict:  # noqa: ANN001
    """MODEL-001's item from the first of SEEDS whose `ci` run fails, or from the last run.

    Whether one seed's 60 sequences reach a given defect is a matter of search, not of the
    contract: a defect counts as caught by the model layer when three seeds' sequences (180 in
    all, each seed a fresh server) find it at least once."""
    item: dict = {}
    for seed in SEEDS:
        with server_url_for() as url:
            item = model_run(url, folder / f"seed{seed}", seed=seed)["MODEL-001"]
        if item["outcome"] == "fail":
            return item
    return item


def model_run(base_url: str, folder, profile: str = "ci", seed: int | None = None) -> dict:  # noqa: ANN001
    """MODEL-001's verdict from `chat-contract check --only model` in a process of its own, as a
    user runs it (JSON report, and each failure's replay files in `folder`). In the test session's
    own process, after a hundred runs of the suite, the model found some planted defects less
    often than a fresh process does with the same seed."""
    import json
    import os
    import subprocess
    import sys

    folder.mkdir(parents=True, exist_ok=True)
    report = folder / "model.json"
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in CREDENTIALS.items()]
    completed = subprocess.run(
        [sys.executable, "-m", "chat_contract.cli", "check", "--base-url", base_url, "--profile", profile,
         "--only", "model", "--json", str(report), "--replay-dir", str(folder / "replays"), *flags,
         *(["--seed", str(seed)] if seed is not None else [])],
        capture_output=True, text=True, timeout=900, env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"})
    assert completed.returncode in (0, 1), completed.stdout[-3000:] + completed.stderr[-3000:]
    items = json.loads(report.read_text(encoding="utf-8"))["requirements"]
    return {item["id"]: item for item in items}
