"""The state a correct server holds for the two test users, and what the contract derives from it.

Plain Python, one class per resource, written to be read beside spec/openapi.yaml. Values the
contract leaves to the server (ids, timestamps, the assistant's text, token counts) are bound
when first seen; everything else here is what the contract determines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["World", "Conversation", "Message", "Share", "Config", "Attachment", "Reply", "PREVIEW"]

PREVIEW = 200  # Conversation.last_message_preview: "The first 200 characters of the newest message."
USERS = ("alice", "bob")


@dataclass(kw_only=True)
class Message:
    id: str
    conversation_id: str
    parent_id: str | None
    role: str
    content: str
    order: int  # creation order within the whole world (the contract's immutable key)
    created_at: str
    status: str = "sent"
    reactions: list[str] = field(default_factory=list)
    feedback: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    attachments: list[str] = field(default_factory=list)  # attachment ids, oldest first


@dataclass(kw_only=True)
class Conversation:
    id: str
    owner: str
    title: str | None
    order: int
    created_at: str
    updated_at: str
    status: str = "active"
    chatbot_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)  # message ids, oldest first
    marker_order: int = 0  # the read marker: the order of the last message read (0: none)
    marker_id: str | None = None


@dataclass(kw_only=True)
class Attachment:
    id: str
    message_id: str
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(kw_only=True)
class Share:
    id: str
    owner: str
    conversation_id: str
    title: str | None  # the conversation's title when the snapshot was taken
    snapshot: list[dict[str, Any]]  # [{id, parent_id, role, content}] oldest first
    order: int
    expiry_days: int | None
    revoked: bool = False


@dataclass(kw_only=True)
class Config:
    id: str
    owner: str
    provider_id: str
    api_key: str
    default_model: str | None


@dataclass(kw_only=True)
class Reply:
    """An assistant message's event log, bound from the first stream that showed it."""

    message_id: str
    owner: str
    events: list[dict[str, Any]] | None = None  # [{"event", "id", "data"}] as first streamed


class World:
    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[str, Message] = {}
        self.attachments: dict[str, Attachment] = {}
        self.shares: dict[str, Share] = {}
        self.configs: dict[str, Config] = {}
        self.replies: dict[str, Reply] = {}
        self.tickets: dict[str, tuple[str, str]] = {}  # ticket -> (owner, assistant message id)
        self.gone: set[str] = set()  # ids of deleted resources: they answer 404 from then on
        self.clock = 0
        self.last_created_at: dict[str, str] = {}  # the latest creation time seen, per kind

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    # -- reading the state ------------------------------------------------------------------
    def visible(self, conversation_id: str) -> list[Message]:
        return [self.messages[m] for m in self.conversations[conversation_id].messages]

    def owned(self, user: str) -> list[Conversation]:
        """The user's conversations, newest first (by creation)."""
        mine = [c for c in self.conversations.values() if c.owner == user]
        return sorted(mine, key=lambda c: -c.order)

    def owner_of_message(self, message_id: str) -> str:
        return self.conversations[self.messages[message_id].conversation_id].owner

    def conversation_view(self, c: Conversation) -> dict[str, Any]:
        """The fields of a Conversation the contract determines from the state."""
        messages = self.visible(c.id)
        newest = messages[-1] if messages else None
        return {
            "id": c.id, "title": c.title, "status": c.status, "chatbot_id": c.chatbot_id, "metadata": c.metadata,
            "last_message_preview": newest.content[:PREVIEW] if newest else None,
            "last_message_at": newest.created_at if newest else None,
            "unread_count": sum(1 for m in messages if m.order > c.marker_order),
        }

    def message_view(self, m: Message) -> dict[str, Any]:
        return {"id": m.id, "conversation_id": m.conversation_id, "parent_id": m.parent_id, "role": m.role,
                "content": m.content, "status": m.status, "reactions": m.reactions, "feedback": m.feedback,
                "metadata": m.metadata, "created_at": m.created_at,
                "attachments": [self.attachments[a].id for a in m.attachments]}

    def first_match(self, c: Conversation, q: str) -> str | None:
        """The first (oldest) visible message whose text holds q, case-insensitively."""
        return next((m.id for m in self.visible(c.id) if q.lower() in m.content.lower()), None)

    def newest_message(self, conversation_id: str) -> Message | None:
        messages = self.visible(conversation_id)
        return messages[-1] if messages else None

    def live_share(self, conversation_id: str) -> Share | None:
        return next((s for s in self.shares.values() if s.conversation_id == conversation_id and not s.revoked), None)

    # -- changing the state -----------------------------------------------------------------
    def add_message(self, m: Message) -> None:
        self.messages[m.id] = m
        self.conversations[m.conversation_id].messages.append(m.id)

    def delete_message(self, message_id: str) -> None:
        """The message and its attachments go; its direct replies move up to its parent."""
        m = self.messages.pop(message_id)
        self.conversations[m.conversation_id].messages.remove(message_id)
        for other in self.messages.values():
            if other.parent_id == message_id:
                other.parent_id = m.parent_id
        for a in m.attachments:
            self.attachments.pop(a, None)
            self.gone.add(a)
        self.replies.pop(message_id, None)
        self.gone.add(message_id)

    def delete_conversation(self, conversation_id: str) -> None:
        """With its messages, attachments and share links."""
        c = self.conversations[conversation_id]
        for m in list(c.messages):
            self.delete_message(m)
        for s in [s for s in self.shares.values() if s.conversation_id == conversation_id]:
            del self.shares[s.id]
            self.gone.add(s.id)
        del self.conversations[conversation_id]
        self.gone.add(conversation_id)

    def snapshot(self, conversation_id: str) -> list[dict[str, Any]]:
        return [{"id": m.id, "parent_id": m.parent_id, "role": m.role, "content": m.content,
                 "attachments": [self.attachments[a].sha256 for a in m.attachments]}
                for m in self.visible(conversation_id)]
