"""The machine-readable report."""

from __future__ import annotations

import json
from pathlib import Path

from ..redaction import redact
from ..results import RunResult


def as_dict(result: RunResult) -> dict:
    return {
        "base_url": result.base_url, "contract": result.contract, "consumer": result.consumer or None, "profile": result.profile, "seed": result.seed,
        "duration": round(result.duration, 3), "exit_code": result.exit_code, "counts": result.counts(),
        "unsupported_areas": result.unsupported_areas, "interrupted": result.interrupted, "crash": result.crash,
        "left_on_deployment": result.leftovers,
        "requirements": [item.as_dict() for item in result.results],
    }


def write(result: RunResult, path: str) -> None:
    text = json.dumps(as_dict(result), indent=2, ensure_ascii=False)
    Path(path).write_text(redact(text), encoding="utf-8")
