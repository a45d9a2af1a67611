"""A recording (`chat-contract proxy --record FILE`) as seed data: what the users last saw.

`chat-contract serve --fixtures FILE` reads it as it reads fixtures/seed.yaml. Every successful
exchange of the recording is replayed onto a picture of the state, in order: an object a
response returns (a conversation, a message, a share, a provider) is kept as it was last seen,
a DELETE that succeeded removes it, and each conversation, message and share belongs to the
user who made the request. The result is the seed's own structure (seed.py), so the server
loads it the same way.

Users are the recording's: each gets the development password `<username>-dev-password`
(secrets were never recorded), the ids and display names their `getCurrentUser` answers
showed, and a user the recording only knew by a token (`user-N`) takes the name its
`getCurrentUser` answer gave. Not recorded, so not seeded: attachments' bytes (attachments
are left out), provider configurations (their API keys were redacted), read markers.
Prices come from the bundled fixtures. Objects the contract's required fields do not
describe (a backend not keeping the contract) are skipped.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Iterator

from chat_contract.resources import fixtures_dir

__all__ = ["seed_from_recording", "NotARecording"]

_NAMESPACE = uuid.UUID("5f0c2a8e-6b1d-4c3e-9a7f-2d4e6f8a0b1c")  # ids for users never shown
_CONVERSATION = {"createConversation", "getConversation", "updateConversation",
                 "generateConversationTitle", "cloneShare"}
_MESSAGE = {"createMessage", "getMessage", "updateMessage"}
_SHARE = {"upsertConversationShare", "getShare"}
_PROVIDER = {"createProvider", "getProvider"}
_LISTS = {"listConversations": "conversation", "listMessages": "message", "listShares": "share",
          "listProviders": "provider"}


class NotARecording(ValueError):
    """The file given to --fixtures is not a recording; the message names the line."""


def _lines(source: Path) -> Iterator[dict[str, Any]]:
    with open(source, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                found = json.loads(line)
            except ValueError as exc:
                raise NotARecording(f"{source}:{number}: not a recorded exchange (JSON): "
                                    f"{exc}") from None
            if not isinstance(found, dict) or found.get("format") != 1:
                raise NotARecording(f"{source}:{number}: not a recorded exchange of format 1 "
                                 "(written by `chat-contract proxy --record`)")
            yield found


def _events(text: str) -> list[tuple[str, Any]]:
    """(event, parsed data) of an SSE body; data that is not JSON is skipped."""
    found = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        try:
            found.append((fields.get("event", ""), json.loads(fields.get("data", ""))))
        except ValueError:
            continue
    return found


class _State:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {
            "conversation": {}, "message": {}, "share": {}, "provider": {}}
        self.owners: dict[str, str] = {}        # object id -> user label
        self.users: dict[str, dict[str, str]] = {}
        self.aliases: dict[str, str] = {}       # user-N -> the username it turned out to be

    def keep(self, kind: str, value: Any, user: str | None) -> None:
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            self.objects[kind][value["id"]] = value
            if user and kind != "provider":
                self.owners.setdefault(value["id"], user)

    def drop(self, kind: str, object_id: str) -> None:
        self.objects[kind].pop(object_id, None)

    def user(self, label: str | None, shown: dict[str, Any] | None = None) -> None:
        if not label:
            return
        if shown and isinstance(shown.get("username"), str):
            if shown["username"] != label:
                self.aliases[label] = shown["username"]
                label = shown["username"]
            self.users[label] = {k: str(shown[k]) for k in ("id", "username", "display_name")
                                 if k in shown}
        self.users.setdefault(label, {})

    def exchange(self, line: dict[str, Any]) -> None:
        status, operation, user = line.get("status", 0), line.get("operation"), line.get("user")
        if not 200 <= status < 300:
            return
        self.user(user)
        body = (line.get("response") or {}).get("body")
        path_id = line.get("path", "").rstrip("/").split("/")
        if operation == "getCurrentUser" and isinstance(body, dict):
            self.user(user, body)
        elif operation in _CONVERSATION:
            self.keep("conversation", body, user)
        elif operation in _MESSAGE:
            self.keep("message", body, user)
        elif operation in _SHARE:
            self.keep("share", body, user)
        elif operation in _PROVIDER:
            self.keep("provider", body, user)
        elif operation in _LISTS and isinstance(body, dict):
            for item in body.get("items") or []:
                self.keep(_LISTS[operation], item, user)
        elif operation == "createReply":
            self._reply(line, body, user)
        elif operation == "streamReplyEvents" and isinstance(body, str):
            for event, data in _events(body):
                if event == "reply.completed" and isinstance(data, dict):
                    self.keep("message", data.get("message"), user)
        elif operation == "deleteConversation":
            self.drop("conversation", path_id[-1])
        elif operation == "deleteConversations" and isinstance(body, dict):
            for deleted in body.get("deleted_ids") or []:
                self.drop("conversation", deleted)
        elif operation == "deleteMessage":
            self.drop("message", path_id[-1])
        elif operation == "deleteShare":
            self.drop("share", path_id[-1])

    def _reply(self, line: dict[str, Any], body: Any, user: str | None) -> None:
        if isinstance(body, dict):  # the reply as JSON: both messages
            self.keep("message", body.get("user_message"), user)
            self.keep("message", body.get("assistant_message"), user)
            return
        if not isinstance(body, str):
            return
        started: dict[str, Any] = {}
        for event, data in _events(body):  # streamed: the user's message is the request's
            if event == "reply.started" and isinstance(data, dict):
                started = data
            elif event == "reply.completed" and isinstance(data, dict) and started:
                assistant = data.get("message")
                sent = (line.get("request") or {}).get("body")
                if isinstance(assistant, dict) and isinstance(sent, dict):
                    self.keep("message", {
                        "id": started.get("user_message_id"),
                        "conversation_id": started.get("conversation_id"), "role": "user",
                        "content": sent.get("content", ""), "parent_id": sent.get("parent_id"),
                        "created_at": assistant.get("created_at")}, user)
                self.keep("message", assistant, user)


def _owner(state: _State, object_id: str) -> str | None:
    label = state.owners.get(object_id)
    return state.aliases.get(label, label) if label else None


def seed_from_recording(source: Path) -> dict[str, Any]:
    """The seed data (seed.yaml's structure) a recording leaves."""
    state = _State()
    for line in _lines(source):
        state.exchange(line)
    users = {state.aliases.get(label, label) for label in state.users}
    seed: dict[str, Any] = {"users": [], "conversations": [], "shares": [], "providers": []}
    for name in sorted(users):
        shown = state.users.get(name, {})
        seed["users"].append({
            "id": shown.get("id") or str(uuid.uuid5(_NAMESPACE, name)), "username": name,
            "display_name": shown.get("display_name") or name,
            "password": f"{name}-dev-password"})
    messages: dict[str, list[dict[str, Any]]] = {}
    for message in state.objects["message"].values():
        try:
            messages.setdefault(message["conversation_id"], []).append({
                "id": message["id"], "parent": message.get("parent_id"),
                "role": message["role"], "content": message["content"],
                "model": message.get("model"), "created_at": message["created_at"]})
        except (KeyError, TypeError):
            continue
    for conversation in state.objects["conversation"].values():
        owner = _owner(state, conversation["id"])
        try:
            seed["conversations"].append({
                "id": conversation["id"], "owner": owner, "title": conversation["title"],
                "status": conversation["status"], "chatbot_id": conversation.get("chatbot_id"),
                "model": conversation.get("model"), "metadata": conversation.get("metadata") or {},
                "created_at": conversation["created_at"],
                "messages": sorted(messages.get(conversation["id"], []),
                                   key=lambda m: str(m["created_at"]))})
        except (KeyError, TypeError):
            continue
        if owner is None:
            seed["conversations"].pop()
    kept = {c["id"] for c in seed["conversations"]}
    for share in state.objects["share"].values():
        if share.get("conversation_id") in kept and isinstance(share.get("created_at"), str):
            seed["shares"].append({"id": share["id"], "conversation": share["conversation_id"],
                                   "created_at": share["created_at"],
                                   "expires_at": share.get("expires_at")})
    for provider in state.objects["provider"].values():
        if {"name", "api_endpoint", "models", "created_at"} <= set(provider):
            seed["providers"].append({k: provider[k] for k in
                                      ("id", "name", "api_endpoint", "models", "created_at")})
    from .seed import read_seed  # the bundled fixtures' prices: configuration, not traffic
    seed["prices"] = read_seed(fixtures_dir()).get("prices", [])
    return seed
