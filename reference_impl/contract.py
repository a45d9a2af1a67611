"""The contract as the server reads it: parsed once per process, from a JSON copy when one fits."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import yaml

from chat_contract.resources import spec_path

__all__ = ["load_contract"]


def load_contract() -> dict[str, Any]:
    """The contract, parsed; from a JSON copy in the user's cache when one matches its bytes.

    Parsing the YAML takes about 0.1 s of every start-up even with libyaml (its constructor is
    Python); the same document as JSON loads in a millisecond. The copy is named by the YAML's
    SHA-256, so an edited contract is never read from a stale copy, and it is written only when
    the JSON reads back equal to what the YAML gave (no dates, no non-string keys).
    """
    raw = spec_path().read_bytes()
    cached = _cache_dir() / f"openapi-{hashlib.sha256(raw).hexdigest()}.json"
    try:
        return json.loads(cached.read_bytes())
    except (OSError, ValueError):
        pass
    # libyaml's parser when present: the pure-Python one costs ~0.4 s of start-up.
    contract = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        text = json.dumps(contract)
        if json.loads(text) == contract:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(text, encoding="utf-8")
            partial.replace(cached)  # atomic: a concurrent reader sees all of it or nothing
    except (OSError, TypeError, ValueError):
        pass  # no cache then: the next start parses the YAML again
    return contract


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chat-contract"
