"""`chat-contract check` explains itself: version, help, configuration mistakes, progress,
Ctrl-C, wrapped statements, and the clean-up of what a run created."""

import io
import json
import os
import signal
import subprocess
import sys

import httpx
import pytest
from rich.console import Console

from chat_contract.cli import main as top_main
from conformance.cleanup import PREFIX
from conformance.cli import main
from conformance.config import resolve
from conformance.reports import terminal
from conformance.requirements import load
from conformance.runner import run

from .conftest import CREDENTIALS
from .fake_server import ServerThread, build_app

FLAGS = ["--username", "alice", "--password", "alice-pass", "--username-2", "bob", "--password-2", "bob-pass"]


def test_version(capsys):
    assert top_main(["--version"]) == 0
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first == second and first.startswith("chat-contract ") and first != "chat-contract unknown"


def test_help_lists_areas_profiles_and_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    areas, _ = load()
    assert all(f"  {area}" in out for area in areas)
    assert all(f"  {profile}" in out for profile in ("smoke", "ci", "deep"))
    assert all(f"  {code}" in out for code in ("0 ", "1 ", "2 ", "130"))
    assert "without /api/v1" in out


def test_same_account_twice_is_a_configuration_error(capsys):
    code = main(["--base-url", "http://127.0.0.1:9", "--username", "alice", "--password", "a",
                 "--username-2", "alice", "--password-2", "a"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--username and --username-2 name one account (both 'alice')" in err
    assert "--username-2" in err.split("pass a second account")[1]


def test_same_token_twice_is_a_configuration_error(capsys):
    assert main(["--base-url", "http://127.0.0.1:9", "--token", "t", "--token-2", "t"]) == 2
    assert "--token and --token-2 name one account" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/api/v1", "http://127.0.0.1:9/api/v1/"])
def test_base_url_with_the_api_prefix_names_the_root(url, capsys):
    assert main(["--base-url", url, *FLAGS]) == 2
    err = capsys.readouterr().err
    assert repr(url) in err and "pass the server root, --base-url http://127.0.0.1:9" in err


def test_wrong_second_password_names_the_second_users_flags(capsys):
    with ServerThread(build_app()) as server:
        code = main(["--base-url", server.url, "--username", "alice", "--password", "alice-pass",
                     "--username-2", "bob", "--password-2", "nope"])
    assert code == 2
    err = capsys.readouterr().err
    assert "user 'bob' could not sign in" in err and "--username-2/--password-2" in err
    assert "CHAT_API_PASSWORD_2" in err


def test_statements_wrap_instead_of_being_cut(run_against_fake):
    result = run_against_fake(only="shares", skip="schema,stateful")
    table = terminal.render(result, width=80)
    longest = max(result.results, key=lambda r: len(r.requirement.statement)).requirement.statement
    assert len(longest) > 80 - 43
    ids = tuple(r.requirement.id for r in result.results)
    rows = [line for line in table.splitlines() if line.startswith(ids + (" " * 43,))]
    assert len(rows) > len(ids) and all(len(line) <= 80 for line in rows)
    words = " ".join(line.strip() for line in rows)
    assert longest in words  # every word, in order, none cut


def test_schemathesis_phase_shows_progress_from_its_events():
    buffer = io.StringIO()
    progress = terminal.Progress(out=io.StringIO(),
                                 console=Console(file=buffer, force_terminal=True, width=200))
    with ServerThread(build_app()) as server:
        config = resolve({"base_url": server.url, "profile": "smoke", "only": "schema", **CREDENTIALS}, {})
        run(config, progress=progress)
    shown = buffer.getvalue()
    assert "schemathesis fuzzing" in shown and " operations" in shown
    assert "/api/v1/" in shown  # the operation under test


def _listed(url: str, username: str, path: str) -> list[dict]:
    token = httpx.post(f"{url}/api/v1/auth/token", data={"grant_type": "password", "username": username,
                                                         "password": CREDENTIALS["password" if username == "alice"
                                                                                 else "password_2"]}).json()
    response = httpx.get(f"{url}{path}", params={"limit": 100},
                         headers={"Authorization": f"Bearer {token['access_token']}"})
    return response.json()["items"]


@pytest.mark.parametrize("keep", [False, True])
def test_the_run_deletes_what_it_created_unless_kept(keep):
    with ServerThread(build_app()) as server:
        before = {u: len(_listed(server.url, u, "/api/v1/conversations")) for u in ("alice", "bob")}
        config = resolve({"base_url": server.url, "profile": "smoke", "skip": "schema,stateful",
                          "keep_data": "true" if keep else None, **CREDENTIALS}, {})
        result = run(config)
        after = {u: _listed(server.url, u, "/api/v1/conversations") for u in ("alice", "bob")}
        configs = _listed(server.url, "alice", "/api/v1/provider-configs")
    if keep:
        assert len(after["alice"]) > before["alice"]
        assert any(PREFIX in (c["title"] or "") for c in after["alice"])  # recognisable leftovers
        assert any(line.startswith("kept ") and "conversation" in line for line in result.leftovers)
    else:
        assert {u: len(items) for u, items in after.items()} == before
        assert configs == []
        assert not any("conversation" in line for line in result.leftovers)
    # The catalogue of providers has no DELETE in the contract: said, not hidden.
    assert any("provider(s) in /api/v1/providers" in line for line in result.leftovers)
    assert "Left on the deployment:" in terminal.render(result)


def test_ctrl_c_writes_the_reports_so_far_and_exits_130(tmp_path):
    env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with ServerThread(build_app()) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "chat_contract.cli", "check", "--base-url", server.url, *FLAGS,
             "--profile", "smoke", "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
        assert process.stdout is not None
        for line in process.stdout:  # interrupt once the Schemathesis engine is under way
            if "schemathesis fuzzing" in line:
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] is True
    assert report["counts"]["pass"] > 0  # what was judged before Ctrl-C
    assert any(r["reason"] == "interrupted" for r in report["requirements"])
    assert (tmp_path / "r.html").exists()


def test_hypothesis_files_go_to_the_users_cache_folder(tmp_path):
    env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with ServerThread(build_app()) as server:
        done = subprocess.run([sys.executable, "-m", "chat_contract.cli", "check", "--base-url", server.url, *FLAGS,
                               "--profile", "smoke", "--only", "schema"],
                              capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / ".hypothesis").exists()
    assert (tmp_path / "cache" / "chat-contract" / "hypothesis").is_dir()


def test_html_failing_rows_link_to_their_detail(tmp_path):
    from conformance.reports import html

    with ServerThread(build_app(frozenset({"mark_read_noop"}))) as server:
        config = resolve({"base_url": server.url, "profile": "smoke", "only": "conversations", **CREDENTIALS}, {})
        result = run(config)
    page = html.render(result)
    failed = [r.requirement.id for r in result.failed]
    assert failed == ["CONV-007"]
    assert "<td class='id'><a href='#CONV-007'>CONV-007</a></td>" in page and "<section id='CONV-007'>" in page
    passed = next(r.requirement.id for r in result.results if r.outcome.value == "pass")
    assert f"href='#{passed}'" not in page
    assert "Left on the deployment" in page


def test_two_tokens_of_one_account_are_a_configuration_error(capsys):
    with ServerThread(build_app()) as server:
        def token():
            return httpx.post(f"{server.url}/api/v1/auth/token",
                              data={"grant_type": "password", "username": "alice",
                                    "password": CREDENTIALS["password"]}).json()["access_token"]

        first, second = token(), token()
        assert first != second
        # --token=VALUE: a token may begin with "-", which argparse would read as an option.
        code = main(["--base-url", server.url, f"--token={first}", f"--token-2={second}"])
    assert code == 2
    assert "both test users are the same account" in capsys.readouterr().err
