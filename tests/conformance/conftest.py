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
