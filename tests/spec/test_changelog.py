"""The release rule: spec/openapi.yaml differs from its last release only with the version step
and the changelog entry the diff says the changes need (docs/contract-versions.md)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from chat_contract.releases import Changelog, latest_release, release_problems, slug
from chat_contract.resources import spec_dir
from tests.diff.edits import apply_edit, load_edits

EDITS = {e["id"]: e for e in load_edits()}


def test_the_contract_agrees_with_its_last_release_and_the_changelog():
    problems = release_problems(spec_dir())
    assert problems == [], "\n".join(problems)


@pytest.fixture
def spec_copy(tmp_path):
    """A copy of spec/ (contract, changelog, decision log, releases) a test may change."""
    folder = tmp_path / "spec"
    folder.mkdir()
    for name in ("openapi.yaml", "CHANGELOG.md", "RECONCILIATION.md"):
        shutil.copy(spec_dir() / name, folder / name)
    shutil.copytree(spec_dir() / "releases", folder / "releases")
    # Start from a contract just released: main may carry an unreleased version in progress,
    # whose changes would otherwise mix with the edit a test plants.
    version = yaml.safe_load((folder / "openapi.yaml").read_text(encoding="utf-8"))["info"]["version"]
    release = folder / "releases" / version
    if not release.exists():
        release.mkdir()
        shutil.copy(folder / "openapi.yaml", release / "openapi.yaml")
    return folder


def _edit(folder, edit_id: str, version: str | None = None) -> None:
    contract = yaml.safe_load((folder / "openapi.yaml").read_text(encoding="utf-8"))
    contract = apply_edit(contract, EDITS[edit_id]["patch"])
    if version:
        contract["info"]["version"] = version
    (folder / "openapi.yaml").write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")


def _changelog(folder, version: str, group: str) -> None:
    with (folder / "CHANGELOG.md").open("a", encoding="utf-8") as f:
        f.write(f"\n## {version}\n\n### {group}\n- A planted change ([Roles](RECONCILIATION.md#roles)).\n")


def _release_of(folder) -> str:
    return latest_release(folder)[0]


def test_a_breaking_change_without_a_major_step_is_refused_with_the_way_out(spec_copy):
    _edit(spec_copy, "operation-removed")
    [problem] = release_problems(spec_copy)
    major = f"{int(_release_of(spec_copy).split('.')[0]) + 1}.0.0"
    assert "need a major version step" in problem
    assert f"Set info.version in spec/openapi.yaml to {major}" in problem and f"'## {major}'" in problem
    assert "docs/contract-versions.md" in problem


def test_a_breaking_change_needs_its_changelog_section_under_breaking(spec_copy):
    major = f"{int(_release_of(spec_copy).split('.')[0]) + 1}.0.0"
    _edit(spec_copy, "operation-removed", version=major)
    [problem] = release_problems(spec_copy)
    assert f"no '## {major}' section" in problem
    _changelog(spec_copy, major, "New")
    assert any("Breaking group has 0" in p for p in release_problems(spec_copy))


def test_a_breaking_change_with_a_major_step_and_its_entry_passes(spec_copy):
    major = f"{int(_release_of(spec_copy).split('.')[0]) + 1}.0.0"
    _edit(spec_copy, "operation-removed", version=major)
    _changelog(spec_copy, major, "Breaking")
    assert release_problems(spec_copy) == []


def test_a_compatible_addition_needs_a_minor_step_not_a_major_one(spec_copy):
    released = [int(p) for p in _release_of(spec_copy).split(".")]
    major = f"{released[0] + 1}.0.0"
    _edit(spec_copy, "response-optional-field-added", version=major)
    _changelog(spec_copy, major, "New")
    [problem] = release_problems(spec_copy)
    assert "need a minor version step" in problem and "is a major step" in problem
    minor = f"{released[0]}.{released[1] + 1}.0"
    _edit(spec_copy, "prose-only", version=minor)  # on top: still a minor step in all
    _changelog(spec_copy, minor, "New")
    assert release_problems(spec_copy) == []


def test_an_entry_must_name_a_decision_that_exists(spec_copy):
    with (spec_copy / "CHANGELOG.md").open("a", encoding="utf-8") as f:
        f.write("\n### Fixed\n- Something ([Gone](RECONCILIATION.md#no-such-decision)).\n- Nothing named.\n")
    problems = release_problems(spec_copy)
    assert any("no heading #no-such-decision" in p for p in problems)
    assert any("names no decision-log entry" in p for p in problems)


def test_the_changelog_parser_and_anchors():
    log = Changelog.parse("## 2.0.0\n\n### Breaking\n- one\n  continued\n### Fixed\n- two\n")
    assert log.versions == {"2.0.0": {"Breaking": ["one continued"], "Fixed": ["two"]}}
    assert slug("Versions and the changelog (issue 21)") == "versions-and-the-changelog-issue-21"
    assert slug("The mock admin contract (`spec/admin-openapi.yaml`)") == "the-mock-admin-contract-specadmin-openapiyaml"
