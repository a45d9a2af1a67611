"""No credential the run handles reaches a report or the terminal (issue 18, #4).

A leaky server (the fake, wrapped) echoes every secret it has seen or issued so far, in clear,
in every JSON answer and in a response header: the passwords it was sent, the tokens it issued,
the API keys it was sent, the stream tickets it issued. The extra field breaks the contract's
closed schemas, so the run fails requirements whose exchanges and messages hold those values.
Every report (terminal, JSON, JUnit XML, HTML) and everything printed is then searched for each
value, as is and as a report would write it out (JSON-, URL- or HTML-escaped).
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from urllib.parse import parse_qsl, quote, quote_plus

from conformance.cli import write_reports
from conformance.config import resolve
from conformance.redaction import MIN_LENGTH
from conformance.reports import terminal
from conformance.runner import run

from .conftest import CREDENTIALS
from .fake_server import ServerThread, build_app

# Areas whose checks sign in, send API keys and open streams with tickets; `schema` runs
# Schemathesis, whose failures quote the answers it got.
AREAS = "auth,security,provider-configs,replies,errors,model"


class Leaky:
    """The fake, echoing every secret it has handled so far in each JSON answer."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.secrets: dict[str, set[str]] = {"password": set(), "token": set(), "api_key": set(),
                                             "ticket": set()}

    def _learn(self, kind: str, value: object) -> None:
        # The fuzzer also signs in with one-character passwords: a value that short is redacted
        # by shape only ("password": ...), not wherever its character appears.
        if isinstance(value, str) and len(value) >= MIN_LENGTH:
            self.secrets[kind].add(value)

    def _from_request(self, scope, body: bytes) -> None:  # noqa: ANN001
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.startswith("Bearer "):
            self._learn("token", auth[7:])
        for key, value in parse_qsl(scope["query_string"].decode("latin-1")):
            if key == "ticket":
                self._learn("ticket", value)
        text = body.decode("utf-8", "replace")
        if headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded"):
            self._learn("password", dict(parse_qsl(text)).get("password"))
        try:
            data = json.loads(text)
        except ValueError:
            return
        if isinstance(data, dict):
            self._learn("api_key", data.get("api_key"))
            self._learn("password", data.get("password"))

    def _from_response(self, data: object) -> None:
        if isinstance(data, dict):
            self._learn("token", data.get("access_token"))
            self._learn("ticket", data.get("ticket"))

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []

        async def recording_receive():  # noqa: ANN202
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                self._from_request(scope, b"".join(chunks))
            return message

        start: dict = {}
        body: list[bytes] = []

        async def leaking_send(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"application/json"):
                    start["pass"] = True
                    await send(message)
                    return
                start.update(message)
                return
            if start.get("pass"):
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            data = json.loads(b"".join(body) or b"null")
            self._from_response(data)
            echo = sorted(v for values in self.secrets.values() for v in values)
            if isinstance(data, dict):
                data["echo"] = echo
            out = json.dumps(data).encode()
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            headers += [(b"content-length", str(len(out)).encode()),
                        (b"x-echo", " ".join(echo).encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": out})

        await self.app(scope, recording_receive, leaking_send)


def _written_forms(value: str) -> set[str]:
    forms = {value, json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value)}
    return forms | {html.escape(f) for f in forms}


def test_no_report_shows_a_credential(tmp_path, capsys):
    leaky = Leaky(build_app(frozenset({"echo_api_key"})))
    reports = {"junit_xml": tmp_path / "report.xml", "html": tmp_path / "report.html",
               "json": tmp_path / "report.json"}
    with ServerThread(leaky) as server:
        config = resolve({"base_url": server.url, "profile": "smoke", "only": AREAS,
                          **CREDENTIALS, **{k: str(v) for k, v in reports.items()},
                          "replay_dir": str(tmp_path / "replays")}, {})
        result = run(config, progress=terminal.Progress())
    print(terminal.render(result))
    write_reports(config, result)
    printed = capsys.readouterr()

    # The run handled each kind, and failed on exchanges holding them.
    assert all(leaky.secrets.values()), {k: len(v) for k, v in leaky.secrets.items()}
    assert CREDENTIALS["password"] in leaky.secrets["password"]
    assert result.failed
    texts = {name: path.read_text(encoding="utf-8") for name, path in reports.items()}
    texts.update(terminal=printed.out, stderr=printed.err)
    # The model's failure comes with replay scripts, written as files too.
    assert any(f.replay for item in result.failed for f in item.findings)
    texts.update({p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "replays").iterdir()})
    assert "echo" in texts["json"]  # the leaking answers are in the report
    leaks = [f"{kind} {value!r} in {name}"
             for kind, values in leaky.secrets.items() for value in values
             for name, text in texts.items()
             if any(form in text for form in _written_forms(value))]
    assert leaks == []


def test_the_pytest_plugin_shows_no_credential(tmp_path):
    leaky = Leaky(build_app(frozenset({"echo_api_key"})))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_API_", "PYTEST_"))}
    env.update(SCHEMATHESIS_TELEMETRY="false", XDG_CACHE_HOME=str(tmp_path / "cache"))
    with ServerThread(leaky) as server:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--chat-api-check",
             f"--chat-api-base-url={server.url}", "--chat-api-profile=smoke",
             f"--chat-api-only={AREAS}", *(f"--chat-api-{k.replace('_', '-')}={v}"
                                         for k, v in CREDENTIALS.items()),
             f"--chat-api-json={tmp_path / 'plugin.json'}", "--junit-xml=pytest.xml", "-rA"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]  # failures
    assert all(leaky.secrets.values()), {k: len(v) for k, v in leaky.secrets.items()}
    texts = {"stdout": result.stdout, "stderr": result.stderr,
             "pytest.xml": (tmp_path / "pytest.xml").read_text(encoding="utf-8"),
             "plugin.json": (tmp_path / "plugin.json").read_text(encoding="utf-8")}
    assert "echo" in texts["stdout"]  # the leaking answers are in the failure text
    leaks = [f"{kind} {value!r} in {name}"
             for kind, values in leaky.secrets.items() for value in values
             for name, text in texts.items()
             if any(form in text for form in _written_forms(value))]
    assert leaks == []


def test_each_run_starts_with_no_secret_of_an_earlier_one():
    """The remembered secrets are one run's: a test session running the suite a hundred times
    would otherwise rebuild a pattern over all of them after every new one (quadratic)."""
    from conformance import redaction
    redaction.remember("earlier-run-token-123")
    assert redaction.redact("earlier-run-token-123") == "[REDACTED]"
    with ServerThread(build_app(frozenset())) as server:
        run(resolve({"base_url": server.url, "profile": "smoke", "only": "auth", **CREDENTIALS}, {}))
    assert redaction.redact("earlier-run-token-123") == "earlier-run-token-123"
    assert redaction.redact(CREDENTIALS["password"]) == "[REDACTED]"  # this run's own
