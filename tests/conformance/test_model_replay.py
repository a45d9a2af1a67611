"""A model failure's shrunk sequence and its replay script, as a backend engineer gets them."""

import os
import re
import subprocess
import sys

import pytest

from .conftest import CREDENTIALS, model_run
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
        item = model_run(fake.url, tmp_path)["MODEL-001"]  # the CLI, as a backend engineer runs it
        assert item["findings"], f"{item['outcome']}: {item['reason']}"
        message = item["findings"][0]["message"]
        steps = int(re.search(r"Shrunk sequence \((\d+) steps\)", message)[1])
        assert steps <= 6, message
        assert "Contract:" in message and "deletes a message" in message
        script = tmp_path / "replays" / "test_replay_model_001.py"  # written by --replay-dir
        against_fake = _replay(script, fake.url, CREDENTIALS)
    assert against_fake.returncode == 1, against_fake.stdout
    assert "AssertionError" in against_fake.stdout
    reference = {"username": "alice", "password": _fixture_password("alice"), "username_2": "bob",
                 "password_2": _fixture_password("bob")}
    against_reference = _replay(script, reference_server, reference)
    assert against_reference.returncode == 0, against_reference.stdout + against_reference.stderr
