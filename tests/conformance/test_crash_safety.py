"""Nothing a server answers, and no bug in a check or in Schemathesis, ends a run with a traceback.

A malformed value fails the requirement that read it (the planted `naive_datetime` and
`invalid_uri` defects are in test_defects.py); these tests plant the exceptions themselves.
"""

import json

from conformance.checks import REGISTRY
from conformance.cli import main
from conformance.results import Outcome

from .fake_server import ServerThread, build_app
from .test_cli import FLAGS


def test_an_exception_inside_a_check_fails_that_requirement_with_its_data(run_against_fake, monkeypatch):
    def choke(ctx):  # noqa: ANN001 - reads a field the answer does not have, as a check of a broken server would
        return ctx.user1.get("/api/v1/users/me").json()["no_such_field"]

    monkeypatch.setitem(REGISTRY, "CONV-001", choke)
    result = run_against_fake(only="conversations")
    verdicts = result.by_id()
    assert verdicts["CONV-001"].outcome is Outcome.FAIL
    finding = verdicts["CONV-001"].findings[0]
    assert "KeyError" in finding.message and "no_such_field" in finding.message
    assert finding.exchange is not None and finding.exchange.url.endswith("/api/v1/users/me")
    assert '"username"' in finding.exchange.response_body  # the data the check choked on
    # The run went on: the next requirements were judged.
    assert verdicts["CONV-002"].outcome is Outcome.PASS
    assert result.exit_code == 1


def test_an_engine_crash_exits_2_with_one_line_and_every_report(tmp_path, capsys, monkeypatch):
    from schemathesis.engine.context import EngineContext

    calls = []
    original = EngineContext.record_observations

    def crash_on_the_fifth_scenario(self, recorder):  # noqa: ANN001
        calls.append(recorder)
        if len(calls) == 5:
            raise ValueError("Invalid IPv6 URL")
        return original(self, recorder)

    monkeypatch.setattr(EngineContext, "record_observations", crash_on_the_fifth_scenario)
    reports = {"--json": tmp_path / "r.json", "--junit-xml": tmp_path / "r.xml", "--html": tmp_path / "r.html"}
    with ServerThread(build_app(frozenset({"missing_field"}))) as server:
        code = main(["--base-url", server.url, *FLAGS, "--profile", "smoke", "--only", "auth,schema",
                     *[part for flag, path in reports.items() for part in (flag, str(path))]])
    assert code == 2
    err = capsys.readouterr().err  # the fake's uvicorn also logs here, on lines of its own
    ours = [line for line in err.splitlines() if line.startswith("chat-contract check:")]
    assert len(ours) == 1 and "Invalid IPv6 URL" in ours[0] and "Traceback" not in err
    assert all(path.exists() for path in reports.values())
    outcomes = {r["id"]: r["outcome"] for r in json.loads(reports["--json"].read_text())["requirements"]}
    # Hand-written verdicts reached before the engine ran are kept; the engine's unjudged
    # requirements are skipped, never reported as passing.
    assert outcomes["AUTH-001"] == "pass"
    assert "pass" not in {outcomes[f"SCHEMA-00{n}"] for n in range(1, 10)}
    assert json.loads(reports["--json"].read_text())["exit_code"] == 2


def test_a_dropped_connection_fails_that_requirement_while_the_server_still_answers(run_against_fake, monkeypatch):
    from conformance.errors import ConnectionProblem

    def dropped(ctx):  # noqa: ANN001 - as a server that resets the connection on one hostile body
        ctx.user1.get("/api/v1/users/me")
        raise ConnectionProblem("POST /api/v1/conversations failed: ReadError: Connection reset by peer")

    monkeypatch.setitem(REGISTRY, "CONV-001", dropped)
    result = run_against_fake(only="conversations")
    verdicts = result.by_id()
    assert verdicts["CONV-001"].outcome is Outcome.FAIL
    assert "Connection reset by peer" in verdicts["CONV-001"].findings[0].message
    assert verdicts["CONV-002"].outcome is Outcome.PASS  # the run went on


def test_a_deployment_that_stops_answering_mid_run_exits_2_with_the_reports_so_far(tmp_path, capsys, monkeypatch):
    from conformance.errors import ConnectionProblem

    def server_gone(ctx):  # noqa: ANN001 - the deployment dies while this requirement runs
        raise ConnectionProblem("POST /api/v1/conversations failed: ConnectError: Connection refused",
                                "Check that --base-url points at a running deployment.")

    monkeypatch.setitem(REGISTRY, "CONV-002", server_gone)
    monkeypatch.setattr("conformance.runner._still_answers", lambda ctx: False)
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    with ServerThread(build_app(frozenset())) as server:
        code = main(["--base-url", server.url, *FLAGS, "--profile", "smoke", "--only", "conversations",
                     "--json", str(report), "--html", str(page)])
    assert code == 2
    assert "Connection refused" in capsys.readouterr().err
    data = json.loads(report.read_text())
    outcomes = {r["id"]: r["outcome"] for r in data["requirements"]}
    assert outcomes["CONV-001"] == "pass"  # judged before the deployment went away
    assert outcomes["CONV-002"] == "skip"
    # The cause is said once, without the advice to check --base-url (it was right); each
    # row it left unjudged says so in one short line.
    assert data["crash"].startswith("the deployment stopped answering during the run: POST")
    html = page.read_text()
    assert html.count("Connection refused") == 1 and "--base-url points" not in html
    reasons = {r["reason"] for r in data["requirements"] if r["outcome"] == "skip" and r["id"] != "CONV-001"}
    assert "not judged: the deployment stopped answering" in reasons
    assert all("Connection refused" not in reason for reason in reasons)
