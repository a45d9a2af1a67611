"""`chat-contract msw` writes one module with a handler's answers for every operation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reference_impl.contract import load_contract
from reference_impl.mock.msw import _route_order, operations

ROOT = Path(__file__).resolve().parents[2]


def test_every_operation_answers_a_documented_success_with_an_example():
    contract = load_contract()
    table = operations(contract)
    documented = {op["operationId"] for item in contract["paths"].values() for op in item.values()
                  if isinstance(op, dict) and "operationId" in op}
    assert {op["operationId"] for op in table} == documented
    for op in table:
        success = [status for status in op["responses"] if status.startswith("2")]
        assert success, op["operationId"]
        for response in op["responses"].values():
            assert all(examples for examples in response["media"].values()), op["operationId"]
    # MSW takes the first handler that matches: concrete segments come before templated ones.
    assert sorted(["/a/{id}/b", "/a/me/b", "/a/{id}"], key=_route_order) == ["/a/me/b", "/a/{id}", "/a/{id}/b"]
    reply = next(op for op in table if op["operationId"] == "createReply")
    assert reply["streamFlag"] == "stream"
    assert list(reply["responses"]["201"]["media"]["text/event-stream"]) == ["started", "delta", "completed"]
    events = next(op for op in table if op["operationId"] == "streamReplyEvents")
    assert events["queryCredentials"] == ["ticket"]


def test_the_command_writes_the_module(tmp_path):
    out = tmp_path / "mocks" / "handlers.js"
    done = subprocess.run([sys.executable, "-m", "chat_contract.cli", "msw", "--out", str(out)],
                          capture_output=True, text=True, check=True)
    module = out.read_text(encoding="utf-8")
    assert module.startswith("// MSW 2 request handlers") and "/* OPERATIONS */" not in module
    assert 'import { http, HttpResponse } from "msw";' in module
    table = module.split("export const operations = ", 1)[1].split(";\n", 1)[0]
    assert len(json.loads(table)) == len(operations(load_contract()))
    assert f"wrote {out}" in done.stderr


NODE_SCRIPT = """
import { setupServer } from "msw/node";
import { handlers } from "./handlers.mjs";
setupServer(...handlers).listen({ onUnhandledRequest: "error" });
const api = "http://api.example", auth = { Authorization: "Bearer t", "Content-Type": "application/json" };
const reply = await fetch(`${api}/api/v1/conversations/c1/replies`,
  { method: "POST", headers: auth, body: JSON.stringify({ content: "x", stream: true }) });
const text = await reply.text();
const last = await fetch(`${api}/api/v1/messages/m1/events`, { headers: { ...auth, "Last-Event-ID": "4" } });
const wrong = await fetch(`${api}/api/v1/users/me`, { headers: { ...auth, Prefer: "code=418" } });
console.log(JSON.stringify({ status: reply.status, type: reply.headers.get("content-type"),
  events: [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1]), last: last.status,
  wrong: [wrong.status, (await wrong.json()).detail] }));
"""


@pytest.mark.skipif(shutil.which("node") is None or not (ROOT / "node_modules" / "msw").exists(),
                    reason="node and `npm ci` are needed for MSW")
def test_the_handlers_in_node(tmp_path):
    """The documented Node use (`setupServer`): a whole stream, 204 after the last event, 400."""
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    subprocess.run([sys.executable, "-m", "chat_contract.cli", "msw", "--out", str(tmp_path / "handlers.mjs")],
                   check=True, capture_output=True)
    (tmp_path / "run.mjs").write_text(NODE_SCRIPT, encoding="utf-8")
    done = subprocess.run(["node", "run.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], result["type"]) == (201, "text/event-stream")
    assert result["events"] == ["reply.started", "reply.delta", "reply.completed"]
    assert result["last"] == 204  # Last-Event-ID at the final event: nothing more, as on the server
    me = next(op for op in operations(load_contract()) if op["operationId"] == "getCurrentUser")
    assert result["wrong"] == [400, "Prefer code=418 is not documented for getCurrentUser; "
                                    f"documented: {', '.join(me['responses'])}"]
