"""Prefer presets on PostgreSQL (`mock_presets`): one row per session, its presets as JSON,
read by every host (mock/shared_presets.py)."""

from __future__ import annotations

import json
import zlib
from typing import Any

from .base import Repository

__all__ = ["PresetTable"]

PRESETS_KEY = zlib.crc32(b"chat-contract:mock-presets")


class PresetTable(Repository):
    def put(self, session: str, presets: dict[str, str], max_sessions: int) -> bool:
        """Replace `session`'s presets (none: its row goes); False, and nothing written, when
        it would be one session more than `max_sessions` (checked under one lock: every host)."""
        with self.db.transaction(PRESETS_KEY):
            if not presets:
                self.db.run("DELETE FROM mock_presets WHERE session = ?", session)
                return True
            if not self.db.one("SELECT 1 AS x FROM mock_presets WHERE session = ?", session) \
                    and self.db.one("SELECT count(*) AS n FROM mock_presets")["n"] >= max_sessions:
                return False
            self.db.run("INSERT INTO mock_presets (session, presets) VALUES (?, ?) "
                        "ON CONFLICT (session) DO UPDATE SET presets = excluded.presets",
                        session, json.dumps(presets))
            return True

    def every(self) -> dict[str, dict[str, str]]:
        return {r["session"]: json.loads(r["presets"])
                for r in self.db.all("SELECT session, presets FROM mock_presets")}

    def of(self, session: str) -> dict[str, Any]:
        row = self.db.one("SELECT presets FROM mock_presets WHERE session = ?", session)
        return {} if row is None else json.loads(row["presets"])

    def forget(self, session: str) -> None:
        self.db.run("DELETE FROM mock_presets WHERE session = ?", session)
