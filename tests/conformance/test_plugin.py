"""The pytest plugin: configuration errors end the session with exit 2, the requirements are
counted at collection, JUnit carries areas and each requirement's own time, and the project's
own tests are not collected alongside."""

import os
import subprocess
import sys
from xml.etree import ElementTree as ET

from conformance.requirements import load

from .conftest import CREDENTIALS
from .fake_server import ServerThread, build_app

USERS = {"CHAT_API_USERNAME": CREDENTIALS["username"], "CHAT_API_PASSWORD": CREDENTIALS["password"],
         "CHAT_API_USERNAME_2": CREDENTIALS["username_2"], "CHAT_API_PASSWORD_2": CREDENTIALS["password_2"]}


def _pytest(cwd, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_API_", "PYTEST_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--chat-api-check", *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**base, "SCHEMATHESIS_TELEMETRY": "false", "XDG_CACHE_HOME": str(cwd / "cache"),
                               **(env or {})})


def test_missing_base_url_is_one_message_and_exit_2(tmp_path):
    result = _pytest(tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "no base URL: pass --chat-api-base-url URL" in output
    assert "Traceback" not in output and len(output.splitlines()) < 10


def test_wrong_password_is_one_message_and_exit_2(tmp_path):
    with ServerThread(build_app()) as server:
        result = _pytest(tmp_path, f"--chat-api-base-url={server.url}",
                         env={**USERS, "CHAT_API_PASSWORD_2": "nope"})
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "user 'bob' could not sign in (401): check --chat-api-username-2/--chat-api-password-2" in output
    assert "Traceback" not in output and len(output.splitlines()) < 15


def test_counts_requirements_and_junit_has_areas_and_own_times(tmp_path):
    (tmp_path / "test_project.py").write_text("def test_project_own():\n    assert False\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = .\n")
    with ServerThread(build_app()) as server:
        result = _pytest(tmp_path, f"--chat-api-base-url={server.url}", "--chat-api-profile=smoke",
                         "--chat-api-skip=schema,stateful", "--junit-xml=plugin.xml", env=USERS)
    _, requirements = load()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"collected {len(requirements)} items" in result.stdout
    assert "test_project_own" not in result.stdout  # the project's own tests stay out
    cases = list(ET.parse(tmp_path / "plugin.xml").getroot().iter("testcase"))
    by_name = {case.get("name").removeprefix("test_"): case for case in cases}
    area = {r.id: r.area for r in requirements}
    assert {name: case.get("classname") for name, case in by_name.items()} == \
        {rid: f"conformance.{area[rid]}" for rid in area}
    times = [float(case.get("time")) for case in cases]
    # Each requirement has its own time; none carries the whole run.
    assert len(set(times)) > 10 and max(times) < sum(times) / 2
