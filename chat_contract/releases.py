"""The release rule: the contract differs from its last release only with the version step and
the changelog entry that `chat-contract diff` says the changes need.

- `spec/releases/<version>/openapi.yaml`: each released contract, kept for the diff;
- `spec/CHANGELOG.md`: one `## <version>` section per version, its entries under `### Breaking`
  (clients break: a major step), `### New` (servers must change, or something was added: at
  least a minor step) and `### Fixed` (no side must change: a patch step), each naming the
  decision-log entry (`spec/RECONCILIATION.md#...`) behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chat_contract.contract_source import load_contract, releases
from chat_contract.diff import DiffResult, Effect, compare
from chat_contract.diff.versions import next_version, parse

__all__ = ["GROUPS", "Changelog", "latest_release", "release_problems", "slug"]

GROUPS = ("Breaking", "New", "Fixed")
_ENTRY_LINK = re.compile(r"\(RECONCILIATION\.md#([a-z0-9_-]+)\)")
RELEASE_DOC = "docs/contract-versions.md"


@dataclass(frozen=True)
class Changelog:
    """spec/CHANGELOG.md parsed: version -> group -> entries (one line each)."""

    versions: dict[str, dict[str, list[str]]]

    @classmethod
    def parse(cls, text: str) -> "Changelog":
        versions: dict[str, dict[str, list[str]]] = {}
        version = group = None
        for line in text.splitlines():
            if line.startswith("## "):
                version = line[3:].split()[0]
                versions[version] = {}
                group = None
            elif line.startswith("### ") and version:
                group = line[4:].strip()
                versions[version].setdefault(group, [])
            elif line.startswith("- ") and version and group:
                versions[version][group].append(line[2:].strip())
            elif line.startswith("  ") and version and group and versions[version][group]:
                versions[version][group][-1] += " " + line.strip()
        return cls(versions)


def slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def latest_release(spec_dir: Path | None = None) -> tuple[str, Path] | None:
    known = releases(spec_dir)
    if not known:
        return None
    version = max(known, key=parse)
    return version, known[version]


def _decision_anchors(spec_dir: Path) -> set[str]:
    text = (spec_dir / "RECONCILIATION.md").read_text(encoding="utf-8")
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def release_problems(spec_dir: Path) -> list[str]:
    """Every way the contract, its version, its changelog and its releases disagree; empty when
    they agree."""
    problems: list[str] = []
    current = load_contract(spec_dir / "openapi.yaml")
    try:
        parse(current.version)
    except ValueError as exc:
        return [str(exc)]
    changelog = Changelog.parse((spec_dir / "CHANGELOG.md").read_text(encoding="utf-8"))
    anchors = _decision_anchors(spec_dir)
    for version, groups in changelog.versions.items():
        for group, entries in groups.items():
            if group not in GROUPS:
                problems.append(f"CHANGELOG.md {version}: unknown group {group!r} (use {', '.join(GROUPS)})")
            for entry in entries:
                links = _ENTRY_LINK.findall(entry)
                if not links:
                    problems.append(f"CHANGELOG.md {version} {group}: {entry!r} names no decision-log entry "
                                    f"(a link to RECONCILIATION.md#<heading>)")
                problems += [f"CHANGELOG.md {version} {group}: RECONCILIATION.md has no heading #{a}"
                             for a in links if a not in anchors]
    for version in releases(spec_dir):
        if version not in changelog.versions:
            problems.append(f"spec/releases/{version} is released but CHANGELOG.md has no '## {version}' section")
    last = latest_release(spec_dir)
    if last is None:
        return problems + ["spec/releases/ holds no released contract to compare with"]
    version, path = last
    released = load_contract(path)
    result = compare(released.data, current.data, released.identity(), current.identity())
    return problems + _version_problems(result, changelog, version)


def _version_problems(result: DiffResult, changelog: Changelog, released: str) -> list[str]:
    current = result.new["version"]
    target = next_version(released, result.required_bump)
    how = (f"Set info.version in spec/openapi.yaml to {target} (the {result.required_bump} step from release "
           f"{released}) and list the changes in spec/CHANGELOG.md under '## {target}' ({', '.join(GROUPS)}, "
           f"each naming its RECONCILIATION.md entry); `chat-contract diff {released} spec/openapi.yaml` "
           f"lists them. See {RELEASE_DOC}.")
    if not result.changes:
        if current != released:
            return [f"spec/openapi.yaml does not differ from release {released}, yet info.version is {current}"]
        return []
    if not result.version_agrees:
        return [f"spec/openapi.yaml differs from release {released} by {len(result.changes)} change(s) "
                f"({len(result.breaking_for_clients)} breaking for clients, {len(result.breaking_for_servers)} "
                f"for servers), which need a {result.required_bump} version step; info.version {current} is "
                f"a {result.actual_bump} step. {how}"]
    groups = changelog.versions.get(current)
    if groups is None:
        return [f"CHANGELOG.md has no '## {current}' section for the changes since {released}. {how}"]
    problems = []
    breaking = bool(result.breaking_for_clients)
    if breaking != bool(groups.get("Breaking")):
        problems.append(f"CHANGELOG.md {current}: the diff finds {len(result.breaking_for_clients)} change(s) "
                        f"breaking clients, the changelog's Breaking group has {len(groups.get('Breaking', []))}")
    new = result.required_bump in ("minor", "major") and any(
        c.breaks_servers or c.effect is Effect.NEW_FIELD for c in result.changes if not c.breaks_clients)
    if new and not groups.get("New"):
        problems.append(f"CHANGELOG.md {current}: the diff finds changes servers must make or new fields; "
                        f"list them under New")
    if not any(groups.get(g) for g in GROUPS):
        problems.append(f"CHANGELOG.md {current}: no entries")
    return problems
