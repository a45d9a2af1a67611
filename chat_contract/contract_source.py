"""A contract named on the command line: a file, a released version, or a git revision.

- a file: `spec/openapi.yaml`, `/tmp/proposed.yaml`;
- `current`: the contract this kit carries (`spec/openapi.yaml` of the checkout or the
  installed copy);
- a released version: `1.0.0` reads `spec/releases/1.0.0/openapi.yaml`; `released` is the
  newest of them;
- a git revision: `HEAD~3:spec/openapi.yaml`, or a bare revision (`v1.0.0`, `HEAD~3`,
  `main`) meaning its `spec/openapi.yaml`; read with `git show` in the current directory's
  repository.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from chat_contract.resources import spec_dir

__all__ = ["ContractSource", "SourceError", "load_contract", "releases"]

CONTRACT_IN_REPO = "spec/openapi.yaml"
LATEST = "released"  # the newest released contract
CURRENT = "current"  # the contract this kit carries
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed: 10x faster
_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


class SourceError(Exception):
    """The contract named cannot be read; the message says what was tried."""


@dataclass(frozen=True)
class ContractSource:
    name: str  # what the user wrote
    origin: str  # where it was read: a path, or "git REV:PATH"
    text: bytes
    data: dict
    file: Path | None = None  # the file it was read from; None for a git revision

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text).hexdigest()

    @property
    def title(self) -> str:
        return str((self.data.get("info") or {}).get("title", ""))

    @property
    def version(self) -> str:
        return str((self.data.get("info") or {}).get("version", ""))

    def identity(self) -> dict:
        """What a report names: the contract's title, version and SHA-256, and where it was read."""
        return {"title": self.title, "version": self.version, "sha256": self.sha256, "source": self.origin}


def releases(folder: Path | None = None) -> dict[str, Path]:
    """Released contracts kept beside the contract (`spec/releases/`), by version."""
    root = (folder or spec_dir()) / "releases"
    if not root.is_dir():
        return {}
    return {p.parent.name: p for p in sorted(root.glob("*/openapi.yaml"))}


def load_contract(name: str | Path) -> ContractSource:
    name = str(name)
    path = Path(name)
    if path.is_file():
        return _parse(name, str(path), path.read_bytes(), path)
    if name == CURRENT:
        path = spec_dir() / "openapi.yaml"
        return _parse(name, str(path), path.read_bytes(), path)
    if name == LATEST:
        known = releases()
        if not known:
            raise SourceError("spec/releases/ holds no released contract")
        name = max(known, key=lambda v: tuple(int(n) for n in v.split("-")[0].split(".")))
    if _VERSION.match(name):
        known = releases()
        if name in known:
            return _parse(name, str(known[name]), known[name].read_bytes(), known[name])
        raise SourceError(f"no released contract {name}: spec/releases/ holds {', '.join(known) or 'none'}")
    revision, _, inside = name.partition(":")
    inside = inside or CONTRACT_IN_REPO
    if not revision:
        raise SourceError(f"{name!r} is not a file, a released version or a git revision")
    text = _git_show(revision, inside, name)
    return _parse(name, f"git {revision}:{inside}", text)


def _git_show(revision: str, inside: str, name: str) -> bytes:
    try:
        done = subprocess.run(["git", "show", f"{revision}:{inside}"], capture_output=True, check=False)
    except FileNotFoundError:
        raise SourceError(f"{name!r} is not a file, and git is not installed to read it as a revision") from None
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        raise SourceError(f"{name!r} is not a file, a released version or a git revision "
                          f"(git show {revision}:{inside}: {why[-1] if why else 'failed'})")
    return done.stdout


def _parse(name: str, origin: str, text: bytes, file: Path | None = None) -> ContractSource:
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise SourceError(f"{origin} is not YAML: {exc}") from exc
    if not isinstance(data, dict) or "openapi" not in data:
        raise SourceError(f"{origin} is not an OpenAPI document (no `openapi` key)")
    return ContractSource(name, origin, text, data, file)
