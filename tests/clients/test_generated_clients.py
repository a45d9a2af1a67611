"""Clients generated from spec/openapi.yaml run the frontend flow against the reference server.

Six generators, as frontend teams use them: openapi-typescript + openapi-fetch,
@hey-api/openapi-ts, orval, Kubb, openapi-zod-client, openapi-python-client. Each generates into a temporary directory with no
warning; the TypeScript flows type-check with `--strict` (tsconfig below) against the generated
types only; each flow signs in, creates a conversation, posts a message, streams a reply to its
final event, reads it back and parses a 422 into its typed shape.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
SPEC = ROOT / "spec" / "openapi.yaml"
BIN = ROOT / "node_modules" / ".bin"
NODE = shutil.which("node")
TSCONFIG = {"compilerOptions": {
    "strict": True, "noEmitOnError": True, "target": "es2022", "module": "commonjs",
    "moduleResolution": "node10", "lib": ["es2022", "dom", "dom.iterable"], "types": ["node"],
    "outDir": "out"}, "files": ["flow.ts"]}

needs_node = pytest.mark.skipif(NODE is None or not (BIN / "tsc").exists(),
                                reason="node and `npm ci` are needed for the TypeScript clients")


def _run(command: list[str], cwd: Path, **env: str) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1", **env})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def _no_warnings(output: str) -> None:
    lines = [line for line in output.splitlines()
             if "warn" in line.lower() and "unknown user config" not in line.lower()]  # npm's own
    assert not lines, output


def _check_result(output: str) -> None:
    result = json.loads(output.strip().splitlines()[-1])
    assert result["first"] == "assistant" and result["text"]
    assert result["loc"] == ["body", "title"]  # loc[0] the request part, loc[1] the field


def _node_modules(work: Path) -> None:
    if not (work / "node_modules").exists():
        (work / "node_modules").symlink_to(ROOT / "node_modules")


def _typescript_flow(work: Path, flow: str, server: str) -> None:
    shutil.copy(HERE / flow, work / "flow.ts")
    shutil.copy(HERE / "sse_events.ts", work / "sse_events.ts")
    _node_modules(work)
    (work / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    _run([str(BIN / "tsc"), "-p", "."], work)
    _check_result(_run([NODE, "out/flow.js", server], work))


# Each TypeScript generator: its command (run in the test's folder), the files of ours that
# generation needs, and the flow (docs/frontend.md shows each).
TYPESCRIPT = {
    "openapi-typescript": (["openapi-typescript", SPEC, "-o", "schema.d.ts", "--default-non-nullable=false"],
                           (), "flow_openapi_fetch.ts"),
    "hey-api": (["openapi-ts", "-i", SPEC, "-o", "client", "-c", "@hey-api/client-fetch", "--no-log-file"],
                (), "flow_hey_api.ts"),
    "orval": (["orval", "--input", SPEC, "--output", "api.ts", "--client", "fetch"], (), "flow_orval.ts"),
    "kubb": (["kubb", "generate"], ("kubb.config.ts", "kubb_client.ts"), "flow_kubb.ts"),
    "openapi-zod-client": (["openapi-zod-client", SPEC, "-o", "client.ts", "--export-schemas"],
                           (), "flow_zodios.ts"),
}


@needs_node
@pytest.mark.parametrize("generator", TYPESCRIPT)
def test_typescript_client(generator, tmp_path, server):
    (tool, *arguments), ours, flow = TYPESCRIPT[generator]
    for name in ours:
        shutil.copy(HERE / name, tmp_path / name)
    _node_modules(tmp_path)  # Kubb's configuration imports its plugins
    out = _run([str(BIN / tool), *map(str, arguments)], tmp_path, INPUT=str(SPEC))  # INPUT: Kubb's
    _no_warnings(out)
    _typescript_flow(tmp_path, flow, server)


def test_openapi_python_client(tmp_path, server):
    generator = Path(sys.executable).parent / "openapi-python-client"
    out = _run([str(generator), "generate", "--path", str(SPEC), "--output-path",
                str(tmp_path / "chat_api"), "--meta", "none"], tmp_path,
               PATH=f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}")  # its ruff
    _no_warnings(out)
    _check_result(_run([sys.executable, str(HERE / "flow_python.py"), server], tmp_path,
                       PYTHONPATH=str(tmp_path)))
