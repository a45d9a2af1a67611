"""The upstream Schemathesis CLI, every check, against a real `chat-contract serve`.

It runs on the contract as published (`spec/openapi.yaml`), the first thing a team runs.
Schemathesis reads an OpenAPI 3.1 `text/event-stream` schema per event, Prism per body: the
stream schema (`ReplyEventStream`) accepts both readings, and the per-event reading still
refuses a wrong event (spec/RECONCILIATION.md, "One stream schema, two readings").
"""

import json
import os
import subprocess
from datetime import timedelta
from xml.etree import ElementTree

import httpx
import pytest
import schemathesis

from chat_contract.resources import spec_path

from .live import command

SEED = 1
MAX_EXAMPLES = 20
BUDGET = 240  # seconds; a run takes about 25 s here
EVENTS = "GET /api/v1/messages/{message_id}/events"
STARTED = {"conversation_id": "0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70",
           "user_message_id": "9a7f3c2d-1b4e-4c6a-8d2f-3e4a5b6c7d80",
           "message_id": "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "model": "builtin/echo-1"}


def _stream(*events: tuple[str, object]) -> str:
    return "".join(f"id: {n}\nevent: {name}\ndata: {json.dumps(data)}\n\n"
                   for n, (name, data) in enumerate(events))


def _stream_response(body: str) -> httpx.Response:
    url = f"http://api.test/api/v1/messages/{STARTED['message_id']}/events"
    response = httpx.Response(200, text=body, headers={"Content-Type": "text/event-stream"},
                              request=httpx.Request("GET", url))
    response.elapsed = timedelta(0)  # as a response that was sent has
    return response


def test_per_event_reading_accepts_good_events_and_refuses_wrong_ones():
    operation = schemathesis.openapi.from_path(spec_path()).find_operation_by_label(EVENTS)
    good = _stream(("reply.started", STARTED), ("reply.delta", {"text": "Start"}))
    assert operation.is_valid_response(_stream_response(good))
    for wrong in (_stream(("reply.started", STARTED), ("reply.delta", {"text": 5})),  # data's schema
                  _stream(("reply.begun", STARTED)),  # an event name the contract does not have
                  'id: x\nevent: reply.delta\ndata: {"text": "a"}\n\n'):  # an id that is no position
        assert not operation.is_valid_response(_stream_response(wrong)), wrong


@pytest.mark.slow
def test_schemathesis_cli_finds_no_failures(live_server, tmp_path):
    server = live_server("--token-delay", "0")
    junit = tmp_path / "junit.xml"
    cmd = [*command("st", "schemathesis.cli"), "run", str(spec_path()),
           "--url", server.base_url, "-H", f"Authorization: Bearer {server.token}",
           "--checks", "all", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
           "--no-color", "--request-timeout", "10", "--report", "junit", "--report-junit-path", str(junit)]
    env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false"}
    run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=BUDGET)
    tail = "\n".join((run.stdout + run.stderr).splitlines()[-80:])
    assert run.returncode == 0, f"st run exited {run.returncode}:\n{tail}"
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0"), tail
    operations = len(list(schemathesis.openapi.from_path(spec_path()).get_all_operations()))
    assert f"Tested: {operations}" in run.stdout, tail  # every operation, the two streams included
    assert "Traceback" not in server.log(), server.log()[-3000:]
