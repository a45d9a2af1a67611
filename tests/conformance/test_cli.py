"""`chat-contract check` end to end: selection, exit codes and the report files."""

import json
import subprocess
import sys
from xml.etree import ElementTree as ET

from conformance.cli import main

from .conftest import CREDENTIALS
from .fake_server import ServerThread, build_app

FLAGS = ["--username", "alice", "--password", "alice-pass", "--username-2", "bob", "--password-2", "bob-pass"]


def test_reports_carry_ids_and_redact_secrets(tmp_path, capsys):
    with ServerThread(build_app(frozenset({"echo_api_key"}))) as server:
        code = main(["--base-url", server.url, *FLAGS, "--profile", "smoke", "--only", "provider-configs,providers",
                     "--junit-xml", str(tmp_path / "r.xml"), "--html", str(tmp_path / "r.html"),
                     "--json", str(tmp_path / "r.json")])
    assert code == 1
    out = capsys.readouterr().out
    assert "FAIL SEC-004" in out  # the failure section of the terminal table
    report = json.loads((tmp_path / "r.json").read_text())
    outcomes = {r["id"]: r["outcome"] for r in report["requirements"]}
    assert (outcomes["SEC-004"], outcomes["PROV-001"], outcomes["CONV-001"]) == ("fail", "pass", "skip")
    suite = ET.parse(tmp_path / "r.xml").getroot()
    ids = {p.get("value") for p in suite.iter("property") if p.get("name") == "requirement"}
    assert "SEC-004" in ids
    html = (tmp_path / "r.html").read_text()
    assert "SEC-004" in html and "curl" in html and "seed" in html
    for text in (html, (tmp_path / "r.json").read_text(), (tmp_path / "r.xml").read_text()):
        assert "SECRETKEY" not in text  # the planted API key
        assert "alice-pass" not in text


def test_skip_leaves_an_area_out(capsys):
    with ServerThread(build_app(frozenset({"share_readable_after_revoke"}))) as server:
        code = main(["--base-url", server.url, *FLAGS, "--profile", "smoke", "--skip", "shares,schema,stateful,model"])  # the model reads shares too
    assert code == 0
    assert "skip        SHARE-003" in capsys.readouterr().out  # the progress line


def test_wrong_credentials_exit_2(capsys):
    with ServerThread(build_app()) as server:
        code = main(["--base-url", server.url, "--username", "alice", "--password", "nope",
                     "--username-2", "bob", "--password-2", "bob-pass"])
    assert code == 2
    assert "could not sign in" in capsys.readouterr().err


def test_unknown_area_exits_2(capsys):
    with ServerThread(build_app()) as server:
        assert main(["--base-url", server.url, *FLAGS, "--only", "chats"]) == 2
    assert "unknown areas chats" in capsys.readouterr().err


def test_console_script_and_pytest_plugin_agree(tmp_path):
    with ServerThread(build_app(frozenset({"mark_read_noop"}))) as server:
        cli = subprocess.run([sys.executable, "-m", "chat_contract.cli", "check", "--base-url", server.url, *FLAGS,
                              "--profile", "smoke", "--only", "conversations", "--json", str(tmp_path / "cli.json")],
                             capture_output=True, text=True, timeout=120)
        # Autoload off and the plugin named explicitly: the same result whether or not the
        # installed metadata already carries the pytest11 entry point.
        plugin = subprocess.run([sys.executable, "-m", "pytest", "-p", "conformance.pytest_plugin",
                                 "-p", "no:cacheprovider", "-q", "--chat-api-check",
                                 f"--chat-api-base-url={server.url}", "--chat-api-profile=smoke",
                                 "--chat-api-only=conversations", f"--junit-xml={tmp_path / 'plugin.xml'}",
                                 "-o", "testpaths=", str(tmp_path)],
                                capture_output=True, text=True, timeout=120,
                                env={"PATH": "", "CHAT_API_USERNAME": CREDENTIALS["username"],
                                     "CHAT_API_PASSWORD": CREDENTIALS["password"],
                                     "CHAT_API_USERNAME_2": CREDENTIALS["username_2"],
                                     "CHAT_API_PASSWORD_2": CREDENTIALS["password_2"],
                                     "SCHEMATHESIS_TELEMETRY": "false", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert cli.returncode == 1, cli.stderr
    assert plugin.returncode == 1, plugin.stdout + plugin.stderr
    by_cli = {r["id"]: r["outcome"] for r in json.loads((tmp_path / "cli.json").read_text())["requirements"]}
    by_plugin = {}
    for case in ET.parse(tmp_path / "plugin.xml").getroot().iter("testcase"):
        name = case.get("name").removeprefix("test_")
        by_plugin[name] = "fail" if case.find("failure") is not None else (
            "skip" if case.find("skipped") is not None else "pass")
    assert {k for k, v in by_cli.items() if v == "fail"} == {k for k, v in by_plugin.items() if v == "fail"} \
        == {"CONV-007"}
    assert {k for k, v in by_cli.items() if v == "pass"} == {k for k, v in by_plugin.items() if v == "pass"}
