"""What `chat-contract diff` (and `check --spec`) accept as a contract, and how the diff is written."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from chat_contract.contract_source import SourceError, load_contract, releases
from chat_contract.diff.cli import main as diff_main
from chat_contract.resources import spec_path

from .edits import apply_edit, load_edits

ROOT = Path(__file__).resolve().parents[2]


def test_a_file_current_a_version_and_released():
    current = load_contract("current")
    assert current.file == spec_path() and current.sha256 == hashlib.sha256(spec_path().read_bytes()).hexdigest()
    assert load_contract(str(spec_path())).sha256 == current.sha256
    newest = max(releases(), key=lambda v: tuple(map(int, v.split("."))))
    assert load_contract("released").version == load_contract(newest).version == newest


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_git_revision(monkeypatch):
    monkeypatch.chdir(ROOT)
    shown = subprocess.run(["git", "show", "HEAD:spec/openapi.yaml"], capture_output=True, check=False)
    if shown.returncode != 0:
        pytest.skip("not a git checkout")
    for name in ("HEAD:spec/openapi.yaml", "HEAD"):
        source = load_contract(name)
        assert source.sha256 == hashlib.sha256(shown.stdout).hexdigest() and source.file is None


def test_what_names_nothing_says_what_was_tried(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError, match="no released contract 9.9.9"):
        load_contract("9.9.9")
    with pytest.raises(SourceError, match="not a file, a released version or a git revision"):
        load_contract("no-such-thing")
    (tmp_path / "x.yaml").write_text("just: yaml\n")
    with pytest.raises(SourceError, match="not an OpenAPI document"):
        load_contract(str(tmp_path / "x.yaml"))
    assert diff_main(["released", "no-such-thing"]) == 2
    assert "chat-contract diff:" in capsys.readouterr().err


def test_table_markdown_and_json_name_both_contracts_and_each_verdict(tmp_path, capsys):
    contract = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    edit = next(e for e in load_edits() if e["id"] == "operation-removed")
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(apply_edit(contract, edit["patch"]), sort_keys=False), encoding="utf-8")
    old = load_contract("current")
    assert diff_main(["current", str(new)]) == 1
    table = capsys.readouterr().out
    assert old.sha256[:12] in table and "BREAKING" in table and "deleteConversations" in table
    assert "FAIL: a change breaks clients" in table
    assert diff_main(["current", str(new), "--format", "markdown", "-o", str(tmp_path / "pr.md")]) == 1
    markdown = (tmp_path / "pr.md").read_text()
    assert markdown.startswith("### Contract change:") and f"`{old.sha256}`" in markdown
    assert "| BREAKING | ok | deleteConversations | operation |" in markdown
    assert diff_main(["current", str(new), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["old"]["sha256"] == old.sha256 and report["required_step"] == "major"
    assert report["changes"] == [{"kind": "operation-removed", "operation": "deleteConversations", "where": "operation",
                                  "field": "", "origin": "", "effect": "narrower",
                                  "message": "operation DELETE /api/v1/conversations removed",
                                  "clients": "breaking", "servers": "compatible"}]
