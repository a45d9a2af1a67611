"""Every row of edits.yaml: `chat-contract diff` classifies the edit of the current contract as
the table says, for clients and for servers."""

from __future__ import annotations

import json

import pytest
import yaml

from chat_contract.diff import compare
from chat_contract.diff.cli import main as diff_main
from chat_contract.resources import spec_path

from .edits import apply_edit, load_edits

EDITS = load_edits()


@pytest.fixture(scope="module")
def contract() -> dict:
    return yaml.safe_load(spec_path().read_text(encoding="utf-8"))


def test_the_table_has_at_least_thirty_edits():
    assert len(EDITS) >= 30
    assert len({e["id"] for e in EDITS}) == len(EDITS)


@pytest.mark.parametrize("edit", EDITS, ids=[e["id"] for e in EDITS])
def test_edit_is_classified_as_the_table_says(contract, edit):
    changed = apply_edit(contract, edit["patch"])
    result = compare(contract, changed)
    kinds = {c.kind for c in result.changes}
    listing = "\n".join(f"  {c.operation} {c.where} {c.field}: {c.kind} ({c.effect.value})" for c in result.changes)
    assert ("breaking" if result.breaking_for_clients else "compatible") == edit["clients"], listing
    assert ("breaking" if result.breaking_for_servers else "compatible") == edit["servers"], listing
    if "changes" in edit:
        assert len(result.changes) == edit["changes"], listing
    else:
        assert result.changes, "the edit was not seen"
    assert set(edit.get("kinds", ())) <= kinds, listing
    if "step" in edit:
        assert result.required_bump == edit["step"]


def test_the_command_agrees_with_every_row(contract, tmp_path, capsys):
    """The same verdicts through `chat-contract diff --format json`, from files."""
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    for edit in EDITS:
        new = tmp_path / f"{edit['id']}.yaml"
        new.write_text(yaml.safe_dump(apply_edit(contract, edit["patch"]), sort_keys=False), encoding="utf-8")
        code = diff_main([str(old), str(new), "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        clients = "breaking" if report["summary"]["breaking_for_clients"] else "compatible"
        servers = "breaking" if report["summary"]["breaking_for_servers"] else "compatible"
        assert (clients, servers) == (edit["clients"], edit["servers"]), edit["id"]
        # the version did not move: a change that breaks clients fails the command
        assert code == (1 if clients == "breaking" else 0), edit["id"]
