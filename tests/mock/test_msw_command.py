"""`chat-contract msw` writes one module with a handler's answers for every operation."""

from __future__ import annotations

import json
import subprocess
import sys

from reference_impl.contract import load_contract
from reference_impl.mock.msw import _route_order, operations


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
