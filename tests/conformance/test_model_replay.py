"""A model failure's shrunk sequence and its replay script, as a backend engineer gets them."""

import os
import re
import subprocess
import sys

import pytest

from conformance.config import resolve
from conformance.reports import replays
from conformance.runner import run

from .conftest import CREDENTIALS
from .fake_server import ServerThread, build_app
from .test_reference_server import _fixture_password, reference_server  # noqa: F401 - the fixture


def _replay(script, base_url: str, credentials: dict) -> subprocess.CompletedProcess:  # noqa: ANN001
    env = {**os.environ, "CHAT_API_BASE_URL": base_url, "CHAT_API_USERNAME": credentials["username"],
           "CHAT_API_PASSWORD": credentials["password"], "CHAT_API_USERNAME_2": credentials["username_2"],
           "CHAT_API_PASSWORD_2": credentials["password_2"]}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)],
                          env=env, capture_output=True, text=True, timeout=120, cwd=script.parent)


@pytest.mark.slow
def test_an_edit_after_a_delete_shrinks_and_replays(tmp_path, reference_server):  # noqa: F811
    with ServerThread(build_app(frozenset({"edit_after_delete_stale"}))) as fake:
        result = run(resolve({"base_url": fake.url, "profile": "ci", "only": ["model"], **CREDENTIALS}, {}))
        item = result.by_id()["MODEL-001"]
        assert item.findings, f"{item.outcome}: {item.reason}"
        finding = item.findings[0]
        steps = int(re.search(r"Shrunk sequence \((\d+) steps\)", finding.message)[1])
        assert steps <= 6, finding.message
        assert "Contract:" in finding.message and "deletes a message" in finding.message
        written = replays.write(result, str(tmp_path))
        script = next(p for p in written if p.suffix == ".py")
        against_fake = _replay(script, fake.url, CREDENTIALS)
    assert against_fake.returncode == 1, against_fake.stdout
    assert "AssertionError" in against_fake.stdout
    reference = {"username": "alice", "password": _fixture_password("alice"), "username_2": "bob",
                 "password_2": _fixture_password("bob")}
    against_reference = _replay(script, reference_server, reference)
    assert against_reference.returncode == 0, against_reference.stdout + against_reference.stderr
