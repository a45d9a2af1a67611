"""Each model failure's replay as files: <ID>.py (pytest, httpx only) and <ID>.sh (curl), redacted
as every report (the scripts take the credentials from the environment)."""

from __future__ import annotations

from pathlib import Path

from ..redaction import redact
from ..results import RunResult


def write(result: RunResult, folder: str) -> list[Path]:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in result.failed:
        for n, finding in enumerate(f for f in item.findings if f.replay):
            stem = item.requirement.id + (f"-{n + 1}" if n else "")
            for suffix, text in ((".py", finding.replay["pytest"]), (".sh", finding.replay["curl"])):
                path = out / f"test_replay_{stem.replace('-', '_').lower()}{suffix}"
                path.write_text(redact(text), encoding="utf-8")
                written.append(path)
    return written
