"""The MSW handlers `chat-contract msw` writes answer every operation as the contract says.

A small page (msw_page.html) runs in Debian's Chromium with the handlers in MSW's service
worker: it signs in, lists and creates conversations, streams a reply, shows a 422; then it
calls every operation with each documented status (`Prefer: code=`), its default answer and,
where a body flag asks for one, its stream. Every answer is validated here against the
contract (Schemathesis' response checks, event by event for streams): no 501, no status or
body the contract does not document.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from chat_contract.bench.servers import free_port
from chat_contract.resources import spec_path

from .test_cross_origin_stream import CHROMIUM, page_result

HERE = Path(__file__).parent
MSW = HERE.parents[1] / "node_modules" / "msw" / "lib"
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not MSW.exists(), reason="`npm ci` is needed for MSW"),
]


@pytest.fixture
def site(tmp_path) -> Iterator[str]:
    """The page, MSW's browser build and service worker, and the handlers the command wrote."""
    subprocess.run([sys.executable, "-m", "chat_contract.cli", "msw", "--out", str(tmp_path / "handlers.js")],
                   check=True, capture_output=True)
    shutil.copy(HERE / "msw_page.html", tmp_path / "index.html")
    shutil.copy(HERE / "msw_shim.js", tmp_path / "msw_shim.js")
    shutil.copy(MSW / "iife" / "index.js", tmp_path / "msw.js")
    shutil.copy(MSW / "mockServiceWorker.js", tmp_path / "mockServiceWorker.js")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _response(answer: dict) -> httpx.Response:
    url = "http://api.test" + answer["path"]
    response = httpx.Response(answer["status"], headers=answer["headers"], content=answer["body"].encode(),
                              request=httpx.Request(answer["method"].upper(), url))
    response.elapsed = timedelta(0)  # as a response that was sent has
    return response


def test_the_page_runs_on_the_msw_handlers_and_every_answer_meets_the_contract(site):
    shown = json.loads(page_result(f"{site}/index.html"))
    page = shown["page"]
    assert page["conversations"] and page["events"] == ["reply.started", "reply.delta", "reply.completed"]
    assert page["streamType"] == "text/event-stream" and page["text"]
    assert (page["invalid"], page["unauthenticated"]) == (422, 401)

    contract = schemathesis.openapi.from_path(spec_path())
    answers = shown["answers"]
    labels = {op.definition.raw["operationId"]: op for op in
              (result.ok() for result in contract.get_all_operations())}
    assert shown["handlers"] == len(labels) == len({a["operationId"] for a in answers})
    problems = []
    for answer in answers:
        operation = labels[answer["operationId"]]
        statuses = set(operation.definition.raw["responses"])
        where = f"{answer['operationId']} {answer['variant']} -> {answer['status']}"
        if str(answer["status"]) not in statuses:
            problems.append(f"{where}: not a documented status")
            continue
        if "prefer" in answer["variant"] and answer["variant"]["prefer"] != f"code={answer['status']}":
            problems.append(f"{where}: not the status asked for")
        try:
            operation.validate_response(_response(answer))
        except FailureGroup as exc:
            problems.append(f"{where}: {[str(failure) for failure in exc.exceptions]}")
    assert problems == []
    assert len(answers) > 300  # every documented status of 38 operations, and more
    # The control: the same check refuses a body the contract does not allow.
    created = next(a for a in answers if a["operationId"] == "createConversation" and a["status"] == 201)
    with pytest.raises(FailureGroup):
        labels["createConversation"].validate_response(_response({**created, "body": '{"id": 5}'}))
    # Streams are answered as streams, whole: the documented events from first to final.
    streams = [a for a in answers if a["headers"].get("content-type") == "text/event-stream"]
    assert {a["operationId"] for a in streams} == {"createReply", "streamReplyEvents"}
