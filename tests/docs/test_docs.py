"""Docs as tests: every shell block of README.md and docs/*.md runs as written.

The conventions (which blocks run, how transcripts are compared, how addresses are mapped to
the server this test starts, and the `<!-- docs-test: skip REASON -->` marker for the few
blocks that cannot run here) are in tests/docs/blocks.py. A new document or block is picked up
without changing this file.
"""

from __future__ import annotations

import os
import secrets
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .blocks import ROOT, SERVER_COMMAND, Block, blocks, content_problem, documents, shape_problem

# The blocks that cannot run here; each names its reason. Keep this small.
MAX_SKIPPED = 4
LOCAL = re.compile(r"(?:127\.0\.0\.1|localhost):(8000|8765|8766)\b")
BIN = str(Path(sys.executable).parent)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(port: int, process: subprocess.Popen | None = None, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_API_", "PYTEST_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", SCHEMATHESIS_TELEMETRY="false",
               XDG_CACHE_HOME=str(tmp_path / "cache"),
               # docs/mock-controls.md asks the reader to export one for the server and the shell
               CHAT_CONTRACT_MOCK_TOKEN=secrets.token_urlsafe(24))
    return env


def _rewrite(command: str, ports: dict[str, int]) -> tuple[str, int | None]:
    """Map the docs' local addresses; a server command also returns the port to wait for."""
    text = LOCAL.sub(lambda m: f"127.0.0.1:{ports[m[1]]}", command)
    if not SERVER_COMMAND.match(text):
        return text, None
    if text.startswith("chat-contract serve"):
        port = _free_port()  # a server of its own, never the one the other blocks talk to
        text = re.sub(r"\s--port\s+\d+", "", text).replace("chat-contract serve", f"chat-contract serve --port {port}", 1)
        return text, port
    found = re.search(r"--port\s+(\d+)", text)
    port = ports.get(found[1], int(found[1])) if found else 8000
    return re.sub(r"(--port\s+)\d+", rf"\g<1>{port}", text), port


def _script(runnable: list[Block], ports: dict[str, int], out: Path):
    lines = ["set -u", f"cd {out.parent}"]
    commands = []
    for block in runnable:
        for command in block.commands():
            n = len(commands)
            text, server_port = _rewrite(command.text, ports)
            commands.append((block, command, text))
            lines.append(f"# {block.where} command {n}")
            if server_port is None:
                lines += ["{ " + text, f"}} > {out}/out_{n} 2>&1; echo $? > {out}/rc_{n}"]
            else:  # a server: in the background, done when its port answers
                lines += ["( " + text, f") > {out}/out_{n} 2>&1 &",
                          f"for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/{server_port}) 2>/dev/null && break; "
                          "sleep 0.2; done",
                          f"(exec 3<>/dev/tcp/127.0.0.1/{server_port}) 2>/dev/null; echo $? > {out}/rc_{n}"]
    return "\n".join(lines) + "\n", commands


def _documents_with_runnable_blocks() -> list[Path]:
    return [doc for doc in documents() if any(b.runs for b in blocks(doc))]


def run_document(doc: Path, tmp_path: Path) -> list[str]:
    """Run the document's blocks against a fresh reference server; return what went wrong."""
    if shutil.which("curl") is None:  # .ci/run installs it, as it installs wrk and Chromium
        pytest.skip("the docs' commands use curl, which is not installed")
    env = _environment(tmp_path)
    port = _free_port()
    ports = {"8000": port, "8765": port, "8766": _free_port()}
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([f"{BIN}/chat-contract", "serve", "--port", str(port), "--token-delay", "0.02"],
                              stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    out = tmp_path / "docs-run"
    out.mkdir()
    try:
        assert _wait(port, server), "the reference server did not start"
        script, commands = _script([b for b in blocks(doc) if b.runs], ports, out)
        (out / "script.sh").write_text(script)
        shell = subprocess.Popen(["bash", str(out / "script.sh")], env=env, cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 start_new_session=True)
        try:
            shell_output, _ = shell.communicate(timeout=300)
        finally:
            try:  # the servers a block started in the background, with the shell's group
                os.killpg(shell.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    problems = []
    for n, (block, command, text) in enumerate(commands):
        rc_file, out_file = out / f"rc_{n}", out / f"out_{n}"
        output = out_file.read_text() if out_file.exists() else ""
        if not rc_file.exists():
            problems.append(f"{block.where}: `{text}` did not finish (the shell stopped: {output[-300:]!r}"
                            f" {shell_output[-300:]!r})")
            break
        rc = int(rc_file.read_text())
        if rc != 0:
            problems.append(f"{block.where}: `{text}` exited {rc}: {output[-500:]!r}")
            continue
        why = shape_problem(command.expected, output) or content_problem(command.expected, output)
        if why:
            problems.append(f"{block.where}: `{text}`: {why}, got {output[:300]!r}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("doc", _documents_with_runnable_blocks(), ids=lambda p: p.name)
def test_shell_blocks_run_as_written(doc: Path, tmp_path: Path) -> None:
    problems = run_document(doc, tmp_path)
    assert not problems, "\n".join(problems)


BROKEN = """# A doc with the two faults the issue found

```sh
TOKEN=$(curl -s http://127.0.0.1:8000/api/v1/auth/token -d username=alice -d password=alice-dev-password)
```

The token is the whole JSON body, so this answers 401, not the documented object:

```console
$ curl -s http://127.0.0.1:8000/api/v1/conversations/0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70 -H "Authorization: Bearer $TOKEN"
{"id":"0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70","title":"Trip to Lisbon",...}
$ curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:8000/api/v1/users/me -H "Authorization: Bearer $TOKEN"
200
$ curl -s http://127.0.0.1:8000/api/v1/messages/$MID -H "Authorization: Bearer $TOKEN"
{"id": "..."}
$ echo never reached
```
"""


def test_the_runner_catches_a_wrong_token_and_an_unset_variable(tmp_path: Path) -> None:
    doc = tmp_path / "broken.md"
    doc.write_text(BROKEN)
    problems = run_document(doc, tmp_path)
    assert len(problems) == 3, problems
    assert 'expected a JSON object starting with "id"' in problems[0]
    assert "expected 200" in problems[1]
    assert "did not finish" in problems[2] and "MID: unbound variable" in problems[2]


def test_skipped_blocks_are_few_and_explained() -> None:
    skipped = [b for doc in documents() for b in blocks(doc) if b.skip is not None]
    assert all(b.skip.strip() for b in skipped), [b.where for b in skipped if not b.skip.strip()]
    assert len(skipped) <= MAX_SKIPPED, [f"{b.where}: {b.skip}" for b in skipped]


def test_every_shell_block_is_tagged_for_what_it_is() -> None:
    """A synopsis with [optional] arguments cannot run: it is `text`, not a shell block."""
    wrong = [b.where for doc in documents() for b in blocks(doc)
             if b.runs and re.search(r"\s\[--[\w-]+", b.body)]
    assert not wrong


def test_quick_start_test_command_is_what_ci_runs() -> None:
    """The quick start's two commands are skipped above (one installs the kit, one runs this
    suite); CI runs the second as written, and the first's server is the one started here."""
    (quick,) = [b for b in blocks(ROOT / "README.md") if "python3 -m tox" in b.body]
    first, second = (line.split("#")[0].strip() for line in quick.body.strip().splitlines())
    ci = [line.replace(" --quiet", "") for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert second in ci
    assert first == "python3 -m pip install . && chat-contract serve"


def test_json_listings_are_compared_by_content_not_only_shape() -> None:
    """A stale listing (the server now documents one more status) is caught, not only a wrong shape."""
    stale = ['{"detail": "Prefer code=418 is not documented for createConversation; documented: 201, 401"}']
    sent = '{"detail": "Prefer code=418 is not documented for createConversation; documented: 201, 400, 401"}'
    assert shape_problem(stale, sent) is None
    assert "detail: shown" in content_problem(stale, sent)
    # Elisions, prefixes, run-to-run values and curl's -w text after the JSON.
    listing = ['{"items": [{"seq": 2, ..., "method": "POST", "checked": true, "time": "2026-11-23T14:46:30.822Z", '
               '"path": "/api/v1/conv...", ...}]} 200']
    sent = ('{"items": [{"seq": 2, "time": "2026-12-06T17:06:26.761Z", "method": "POST", "path": "/api/v1/conversations", '
            '"checked": true, "violations": []}]} 200')
    assert content_problem(listing, sent) is None
    two_items = sent.replace("[]}]}", "[]}, {}]}")
    assert "items: 1 items shown, 2 sent" in content_problem(listing, two_items)
    assert "items.0.checked: shown True, sent False" in content_problem(listing, sent.replace('"checked": true', '"checked": false'))
    assert "not shown: extra" in content_problem(['{"a": 1}'], '{"a": 1, "extra": 2}')
    assert "after the JSON" in content_problem(listing, sent.replace("} 200", "} 500"))
