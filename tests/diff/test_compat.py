"""`tox -e compat`: its commands, run as tox runs them (from the project root, on the checkout's
spec/openapi.yaml), fail on a planted breaking edit and pass on a compatible one."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chat_contract.contract_source import load_contract

from .edits import apply_edit, load_edits

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EDITS = {e["id"]: e for e in load_edits()}


def _compat_commands() -> list[list[str]]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tox.ini")
    lines = [line.strip() for line in config["testenv:compat"]["commands"].splitlines() if line.strip()]
    assert lines, "tox.ini's compat environment runs nothing"
    return [shlex.split(line) for line in lines]


def _run_compat(project: Path) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return [subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
            for command in _compat_commands()]


def _project_with(tmp_path: Path, edit_id: str | None) -> Path:
    """A project folder whose spec/openapi.yaml is the last release with one edit planted."""
    contract = load_contract("released").data
    if edit_id:
        contract = apply_edit(contract, EDITS[edit_id]["patch"])
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "openapi.yaml").write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    return tmp_path


def test_compat_runs_the_diff_against_the_last_release():
    assert any(command[:2] == ["chat-contract", "diff"] and "released" in command for command in _compat_commands())


@pytest.mark.parametrize("edit_id", ["operation-removed", "response-field-removed", "sse-event-added"])
def test_compat_fails_on_a_planted_breaking_edit(tmp_path, edit_id):
    results = _run_compat(_project_with(tmp_path, edit_id))
    assert any(r.returncode == 1 for r in results), [r.stdout + r.stderr for r in results]
    assert "breaks clients" in "".join(r.stdout for r in results)


@pytest.mark.parametrize("edit_id", [None, "request-optional-field-added", "response-optional-field-added", "prose-only"])
def test_compat_passes_on_a_compatible_edit(tmp_path, edit_id):
    results = _run_compat(_project_with(tmp_path, edit_id))
    assert all(r.returncode == 0 for r in results), [r.stdout + r.stderr for r in results]


def test_the_current_contract_passes_compat():
    results = _run_compat(ROOT)
    assert all(r.returncode == 0 for r in results), [r.stdout + r.stderr for r in results]
