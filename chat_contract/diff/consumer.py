"""Does a change reach one consumer? Judged against its profile (chat_contract/consumer_profile.py).

A change breaks a consumer when it breaks clients and touches something the profile shows the
consumer used: an operation it called; a parameter or request field it sent (or, for a newly
required one, did not send); a status it saw; a response field it received; an event it
consumed. A new event type in a stream it reads is not one it consumed, so it does not break it.
"""

from __future__ import annotations

import re

from chat_contract.consumer_profile import ConsumerProfile, OperationUse

from .changes import Change, Position

__all__ = ["affects", "breaks_consumer"]

# The consumer must now send something it did not send before.
_NOW_REQUIRED = {"required-property-added", "property-became-required", "required-parameter-added",
                 "parameter-became-required", "request-body-became-required", "request-body-added"}
_WHERE = re.compile(r"^(?:response (?P<status>\S+)|(?P<param>\w+) parameter (?P<name>\S+)|request body)")


def breaks_consumer(change: Change, profile: ConsumerProfile) -> bool:
    return change.breaks_clients and affects(change, profile)


def affects(change: Change, profile: ConsumerProfile) -> bool:
    use = profile.operations.get(change.operation)
    if use is None:
        return False  # an operation this consumer never called (a new one included)
    if change.position is Position.OPERATION or change.where == "security":
        return True
    where = _WHERE.match(change.where)
    if where is None:
        return True  # a place this module does not know: assume the consumer is reached
    if where["param"]:
        sent = f"{where['param']} {where['name']}" in use.parameters
        return not sent if change.kind in _NOW_REQUIRED else sent
    if where["status"]:
        return _response(change, use, where["status"])
    return _request(change, use)


def _request(change: Change, use: OperationUse) -> bool:
    target = _reader_path(change.path)
    if change.kind in _NOW_REQUIRED:
        return not _reaches(target, use.request_fields) if target else True
    return not target or _reaches(target, use.request_fields)


def _response(change: Change, use: OperationUse, status: str) -> bool:
    if change.kind == "response-status-added":
        return True  # a status it may now receive on an operation it calls
    if status not in use.statuses and not _status_range_seen(status, use.statuses):
        return False
    if change.where.endswith(" events"):
        return _event(change, use)
    if " header " in change.where:
        return True
    target = _reader_path(change.path)
    return not target or _reaches(target, use.response_fields.get(status, set()))


def _event(change: Change, use: OperationUse) -> bool:
    branch = next((s[1:] for s in change.path if s.startswith("|")), None)
    if branch is None:
        return bool(use.events)
    name = branch.split("=", 1)[1] if branch.startswith("event=") else branch
    if name not in use.events or change.kind.endswith("-branch-added"):
        return False
    rest = change.path[change.path.index(f"|{branch}") + 1:]
    if rest[:1] == ("data",):
        rest = rest[1:]
    target = _reader_path(rest)
    return not target or _reaches(target, use.events[name])


def _status_range_seen(status: str, seen: set[str]) -> bool:
    """`4XX` or `default` in the contract covers the statuses of that range the consumer saw."""
    if status == "default":
        return bool(seen)
    return len(status) == 3 and status.upper().endswith("XX") and any(s.startswith(status[0]) for s in seen)


def _reader_path(path: tuple[str, ...]) -> str:
    """A diff path as a profile writes fields: branches dropped, `{}` any key (`*`)."""
    text = ""
    for segment in path:
        if segment.startswith("|") or not segment:
            continue
        if segment == "[]":
            text += "[]"
        elif segment == "{}":
            text += ".*" if text else "*"
        else:
            text += f".{segment}" if text else segment
    return text


def _reaches(target: str, fields: set[str]) -> bool:
    """The change's field, or a field inside it, was used."""
    pattern = re.escape(target).replace(r"\*", r"[^.\[]+")
    pattern = re.compile(rf"^{pattern}(?:$|\.|\[\])")
    return any(pattern.match(f) for f in fields)
