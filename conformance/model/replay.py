"""A model failure as a backend engineer reads it: numbered steps, curl lines, a pytest file.

Bound values appear as their symbols (`c1`, `m2`, `t1`, `WORD`): the replay binds them again
from its own run, so it reproduces the sequence against the same deployment, not the ids of
the run that found it. No credential is written: the scripts sign in from CHAT_API_*
variables, and stream tickets and API keys are shown as symbols or redacted.
"""

from __future__ import annotations

import inspect
import json
import re
import shlex
from typing import Any

from ..exchange import redact_text
from . import accessors
from .steps import NOTHING, Divergence, Step, Symbols

__all__ = ["describe", "curl_script", "pytest_file"]

CLIENTS = {"alice": "alice", "bob": "bob", "anonymous": "anonymous"}


def _py(value: Any, symbols: Symbols) -> str:
    """A Python expression for `value`, with bound values as their symbols."""
    if isinstance(value, str):
        name = symbols.lookup(value)
        if name is not None:
            return name
        for text, expr in symbols.substitutions():
            if text in value:
                return _fstring(value, symbols)
        return repr(value)
    if isinstance(value, bytes):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_py(v, symbols) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(_py(v, symbols) + ", " for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k, symbols)}: {_py(v, symbols)}" for k, v in value.items()) + "}"
    return repr(value)


def _fstring(value: str, symbols: Symbols) -> str:
    out = value.replace("{", "{{").replace("}", "}}")
    for text, expr in symbols.substitutions():
        out = out.replace(text, "{" + expr + "}")
    return "f" + repr(out)


def _symbolic(text: str, symbols: Symbols) -> str:
    """Text for people: bound values as {symbol}, secrets redacted."""
    for value in symbols.secret:
        text = text.replace(value, "[REDACTED]")
    for value, expr in symbols.substitutions():
        if expr != "WORD":
            text = text.replace(value, "{" + expr + "}")
    return redact_text(text)


def describe(failure: Divergence, steps: list[Step], symbols: Symbols) -> str:
    """The numbered steps, each with its request and answer, and the divergence."""
    lines = [f"The model of the contract and the server disagree at step {failure.step.number}: {failure.what}.",
             f"  Expected:   {_symbolic(repr(failure.expected), symbols)}"
             + ("" if failure.op == "==" else f" ({failure.op})"),
             f"  Received:   {_symbolic(repr(failure.received), symbols)}",
             f"  Contract:   \"{failure.sentence}\" ({failure.where})",
             f"Shrunk sequence ({len(steps)} steps):"]
    for step in steps:
        binds = f"  -> {', '.join(name for name, _ in step.binds)}" if step.binds else ""
        lines.append(f"  {step.number}. {step.label}: {_symbolic(step.request_line(), symbols)}")
        lines.append(f"     answered {_symbolic(step.answer_line(), symbols)}{binds}")
    return "\n".join(lines)


# -- curl --------------------------------------------------------------------------------------
_PICK_PY = ("import json,sys; t=sys.stdin.read(); "
            "ev=[json.loads(l[5:].strip()) for l in t.splitlines() if l.startswith('data:')]; "
            "v=json.loads(t) if not t.lstrip().startswith(('event','id',':','data')) else ev; "
            "[v := (v[int(k)] if isinstance(v, list) else v[k]) for k in sys.argv[1:]]; print(v)")


def _shell(value: Any, symbols: Symbols) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    parts = re.split("(" + "|".join(re.escape(t) for t, _ in symbols.substitutions()) + ")", text) \
        if symbols.names else [text]
    lookup = dict(symbols.substitutions())
    out = []
    for part in parts:
        if part in lookup:
            expr = lookup[part]
            out.append(f'"${{{expr[:-8]}^^}}"' if expr.endswith(".upper()") else f'"${expr}"')
        elif part:
            out.append(shlex.quote(part))
    return "".join(out) or "''"


def curl_script(steps: list[Step], symbols: Symbols) -> str:
    lines = ["# Replays the shrunk sequence with curl (bash, python3 for reading ids out of answers).",
             "# BASE, and the two users' credentials, as for chat-contract check:",
             ': "${CHAT_API_BASE_URL:?}" "${CHAT_API_USERNAME:?}" "${CHAT_API_PASSWORD:?}" '
             '"${CHAT_API_USERNAME_2:?}" "${CHAT_API_PASSWORD_2:?}"',
             "token() { curl -sS \"$CHAT_API_BASE_URL/api/v1/auth/token\" --data-urlencode grant_type=password "
             "--data-urlencode \"username=$1\" --data-urlencode \"password=$2\" | python3 -c "
             "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'; }",
             'alice="Authorization: Bearer $(token "$CHAT_API_USERNAME" "$CHAT_API_PASSWORD")"',
             'bob="Authorization: Bearer $(token "$CHAT_API_USERNAME_2" "$CHAT_API_PASSWORD_2")"',
             "anonymous='X-Anonymous: 1'",
             "WORD=mdl$(python3 -c 'import secrets; print(secrets.token_hex(4))')",
             f"PICK={shlex.quote(_PICK_PY)}"]
    for step in steps:
        url = _shell(step.path, symbols)
        if step.params:
            url += "'?'" + "'&'".join(f"{shlex.quote(k)}={_shell(v, symbols)}" for k, v in step.params)
        parts = [f"curl -sS -X {step.method} \"$CHAT_API_BASE_URL\"{url}", f'-H "${step.user}"']
        for name, value in step.headers.items():
            parts.append(f"-H {shlex.quote(name + ': ')}{_shell(value, symbols)}")
        if step.json is not NOTHING:
            parts += ["-H 'Content-Type: application/json'", f"--data-binary {_shell(step.json, symbols)}"]
        elif step.form is not None:
            parts += [f"--data-urlencode {shlex.quote(k + '=')}{_shell(v, symbols)}" for k, v in step.form.items()]
        elif step.files is not None:
            parts += [f"-F 'file=@-;filename={f[0]};type={f[2]}'" for f in step.files.values()]
        command = " ".join(parts)
        if step.files is not None:
            command = f"printf %s {shlex.quote(next(iter(step.files.values()))[1].decode('latin-1'))} | " + command
        lines.append(f"# {step.number}. {step.label} (expected {step.expected_status or 'see below'})")
        if step.binds:
            lines.append(f"R{step.number}=$({command})")
            for name, selector in step.binds:
                keys = " ".join(shlex.quote(str(k)) for k in selector[1:])
                lines.append(f'{name}=$(printf %s "$R{step.number}" | python3 -c "$PICK" {keys})')
        else:
            lines.append(command)
    return "\n".join(lines) + "\n"


# -- pytest ------------------------------------------------------------------------------------
def pytest_file(failure: Divergence, steps: list[Step], symbols: Symbols) -> str:
    helpers = inspect.getsource(accessors)
    body = ["def test_replay():",
            "    alice = httpx.Client(base_url=BASE, headers=_auth(os.environ['CHAT_API_USERNAME'], "
            "os.environ['CHAT_API_PASSWORD']), timeout=30)",
            "    bob = httpx.Client(base_url=BASE, headers=_auth(os.environ['CHAT_API_USERNAME_2'], "
            "os.environ['CHAT_API_PASSWORD_2']), timeout=30)",
            "    anonymous = httpx.Client(base_url=BASE, timeout=30)",
            "    WORD = 'mdl' + secrets.token_hex(4)"]
    for step in steps:
        args = [repr(step.method), _py(step.path, symbols)]
        if step.params:
            args.append(f"params={_py(step.params, symbols)}")
        headers = dict(step.headers)
        if step.user == "anonymous" and step.response is not None and \
                step.response.request.headers.get("authorization"):
            token = step.response.request.headers["authorization"].partition(" ")[2]
            headers["Authorization"] = "Bearer " + token
        if headers:
            args.append(f"headers={_py(headers, symbols)}")
        if step.json is not NOTHING:
            args.append(f"json={_py(step.json, symbols)}")
        elif step.form is not None:
            args.append(f"data={_py(step.form, symbols)}")
        elif step.files is not None:
            args.append(f"files={_py(step.files, symbols)}")
        body.append(f"    # {step.number}. {step.label}")
        body.append(f"    r{step.number} = {CLIENTS[step.user]}.request({', '.join(args)})")
        if step is failure.step:
            break
        if step.expected_status is not None:
            body.append(f"    assert r{step.number}.status_code == {step.expected_status}, r{step.number}.text")
        for name, selector in step.binds:
            body.append(f"    {name} = pick(r{step.number}, {_py(selector, symbols)})")
    received = f"pick(r{failure.step.number}, {_py(failure.selector, symbols)})"
    expected = _py(failure.expected, symbols)
    if failure.op == ">=":
        check = f"instant({received}) >= instant({expected})"
    elif failure.op == "!=":
        check = f"{received} != {expected}"
    else:
        check = f"{received} == {expected}"
    body.append(f"    # The contract ({failure.where}): {failure.sentence}")
    body.append(f"    assert {check}, {failure.what!r}")
    return "\n".join([
        f'"""Replays a chat-contract model failure: {failure.what} (step {failure.step.number}).',
        "",
        "CHAT_API_BASE_URL=https://... CHAT_API_USERNAME=... CHAT_API_PASSWORD=... \\",
        "CHAT_API_USERNAME_2=... CHAT_API_PASSWORD_2=... python -m pytest this_file.py",
        "",
        "Needs only httpx and pytest. The helpers below are conformance/model/accessors.py, verbatim.",
        '"""',
        "import os",
        "import secrets",
        "",
        "import httpx",
        "",
        helpers.split('"""', 2)[2].strip(),
        "",
        "BASE = os.environ['CHAT_API_BASE_URL'].rstrip('/')",
        "",
        "",
        "def _auth(username, password):",
        "    answer = httpx.post(BASE + '/api/v1/auth/token', timeout=30,",
        "                        data={'grant_type': 'password', 'username': username, 'password': password})",
        "    answer.raise_for_status()",
        "    return {'Authorization': 'Bearer ' + answer.json()['access_token']}",
        "",
        "",
        *body,
        "",
    ])
