"""What a run created on the deployment, and deleting it at the end (best effort).

The suite creates conversations, messages, shares and provider configurations through its own
checks, and Schemathesis creates more with generated bodies it does not report back. Rather
than intercept every request, the tracker lists each user's collections before the run and
again after it: what is new was created by the run (the test users are the suite's own) and is
deleted, children going with their conversation. What cannot be deleted is said in the report.
Every name the hand-written checks choose starts with PREFIX, so leftovers are recognisable.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import Client
from .errors import SuiteError

__all__ = ["PREFIX", "Collection", "COLLECTIONS", "Tracker"]

# Titles and names the checks create start with this (see checks.base.Context.unique).
PREFIX = "chat-contract-conformance"
# A snapshot reads at most this many pages of 100: a test user with more is not the suite's own.
MAX_PAGES = 50


@dataclass(frozen=True)
class Collection:
    path: str
    kind: str
    # The catalogue of providers is shared and the contract has no DELETE for it.
    deletable: bool = True
    per_user: bool = True


COLLECTIONS = (
    Collection("/api/v1/conversations", "conversation"),
    Collection("/api/v1/provider-configs", "provider configuration"),
    Collection("/api/v1/providers", "provider", deletable=False, per_user=False),
)


def _ids(client: Client, path: str) -> set[str] | None:
    """Every id in a paginated collection, or None when it cannot be listed."""
    ids: set[str] = set()
    params: dict[str, str | int] = {"limit": 100}
    for _ in range(MAX_PAGES):
        try:
            response = client.get(path, params=params)
            body = response.raw.json() if response.status == 200 else None
        except (SuiteError, ValueError):
            return None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            return None
        ids |= {str(item["id"]) for item in body["items"] if isinstance(item, dict) and "id" in item}
        if not body.get("next_cursor"):
            return ids
        params = {"limit": 100, "cursor": str(body["next_cursor"])}
    return None


class Tracker:
    """Snapshot the users' collections now; `finish` deletes what appeared since."""

    def __init__(self, users: list[Client]) -> None:
        self.before: dict[tuple[int, Collection], set[str] | None] = {}
        self.users = users
        for n, client in enumerate(users):
            for collection in COLLECTIONS:
                if collection.per_user or n == 0:
                    self.before[(n, collection)] = _ids(client, collection.path)

    def finish(self, keep: bool = False) -> list[str]:
        """Delete what the run created unless `keep`; return one line per thing left behind."""
        left: list[str] = []
        for (n, collection), before in self.before.items():
            client = self.users[n]
            after = _ids(client, collection.path) if before is not None else None
            if before is None or after is None:
                left.append(f"{collection.path}: could not be listed, so what the run created there is unknown")
                continue
            created = sorted(after - before)
            if not created:
                continue
            if keep:
                left.append(f"kept {len(created)} {collection.kind}(s) in {collection.path} (--keep-data)")
                continue
            if not collection.deletable:
                left.append(f"{len(created)} {collection.kind}(s) in {collection.path} "
                            "(the contract has no DELETE for them)")
                continue
            failed = [rid for rid in created if not _delete(client, f"{collection.path}/{rid}")]
            if failed:
                left.append(f"{len(failed)} {collection.kind}(s) in {collection.path} could not be deleted: "
                            + ", ".join(failed[:10]) + (" ..." if len(failed) > 10 else ""))
        return left


def _delete(client: Client, path: str) -> bool:
    try:
        return client.delete(path).status in (200, 204, 404)
    except SuiteError:
        return False
