"""Random operation sequences of two users, each answer compared with the model's prediction.

A Hypothesis rule-based state machine: every rule sends one operation (valid or not) as one of
the two users, predicts its answer from the World, judges the answer and updates the World.
`read_back` reads every list, filter and detail back and compares the whole state. Hypothesis
shrinks a failing sequence to a few steps; the Driver keeps the steps for the report.
"""

from __future__ import annotations

import secrets
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from .accessors import dig, instant, pick
from .driver import Driver
from .steps import Step
from .world import USERS, Attachment, Config, Conversation, Message, Reply, Share, World

__all__ = ["ModelMachine", "Setup"]

API = "/api/v1"
WORDS = ("hello there", "the tram to Belem", "pastel de nata", "a quiet table by the river", "fado tonight",
         "x" * 230)
MEDIA = ("text/plain", "image/png", "application/pdf")
INDEX = st.integers(min_value=0, max_value=1000)
EVERY = 10  # the whole state is read back after every EVERY steps, and at the end of each sequence
USER = st.sampled_from(USERS)
FINAL = ("reply.completed", "reply.failed")


class Setup:
    """What one model run shares between its sequences: clients, areas, the providers it made."""

    def __init__(self, *, clients: dict[str, Any], sentences: Any, areas: frozenset[str],
                 providers: list[str]) -> None:
        self.clients, self.sentences, self.areas, self.providers = clients, sentences, areas, providers
        self.last: Driver | None = None  # the latest sequence's steps, for the failure report
        self.failures: list = []  # every divergence seen, with the steps that led to it


def _nth(items: list, n: int) -> Any:
    return items[n % len(items)]


class ModelMachine(RuleBasedStateMachine):
    setup: Setup  # set on a subclass per run (conformance/model/run.py)

    def __init__(self) -> None:
        super().__init__()
        self.d = Driver(self.setup.clients, self.setup.sentences, self.setup.failures)
        self.setup.last = self.d
        self.w = World()
        # Every title holds this sequence's own word, so `q` finds exactly what it created.
        self.word = "mdl" + secrets.token_hex(4)
        self.d.symbols.names[self.word] = "WORD"
        self.done = 0  # steps taken
        self.configured = False  # whether this sequence configured a provider (teardown cleans up)

    @invariant()
    def every_few_steps(self) -> None:
        self.done += 1
        if self.done % EVERY == 0:
            self.read_back_all()

    def read_back_all(self) -> None:
        """The whole state, both users' (a user who never created anything has nothing to read)."""
        for user in USERS:
            if any(c.owner == user for c in self.w.conversations.values()) or self.w.gone:
                self.read_back(user, 100)

    # -- helpers ---------------------------------------------------------------------------
    def has(self, area: str) -> bool:
        return area in self.setup.areas

    @staticmethod
    def idtext(value: str, upper: bool) -> str:
        """An id as sent: ids are matched case-insensitively, so capitals name the same resource."""
        return value.upper() if upper else value

    def title(self, n: int) -> str:
        return f"{self.word} {WORDS[n % len(WORDS)][:40]}"

    def conversations(self, user: str | None = None) -> list[Conversation]:
        return [c for c in self.w.conversations.values() if user is None or c.owner == user]

    def check_created(self, step: Step, kind: str, selector: tuple = ("json", "created_at")) -> str:
        """A creation's time never moves backwards from the previous creation's."""
        self.d.not_before(step, f"the new {kind}'s created_at", selector, self.w.last_created_at.get("any"), "info",
                          "Times")
        value = self.d.bind(step, "at", selector)
        self.w.last_created_at["any"] = value
        return value

    def judge_conversation(self, step: Step, c: Conversation, base: tuple = ("json",)) -> None:
        expected = self.w.conversation_view(c)
        phrases = {"title": "Changes the fields", "status": "Changes the fields", "metadata": "replaces the stored",
                   "chatbot_id": "Changes the fields", "id": "Changes the fields"}
        derived = {"last_message_preview": ("Conversation.last_message_preview", "first 200 characters"),
                   "last_message_at": ("Conversation.last_message_preview", "newest message"),
                   "unread_count": ("Conversation.unread_count", "newer than")}
        for key, value in expected.items():
            where_, phrase = derived.get(key, ("updateConversation", phrases.get(key, "Changes the fields")))
            self.d.equal(step, f"the conversation's {key}", base + (key,), value, where_, phrase)

    def judge_message(self, step: Step, m: Message, base: tuple = ("json",)) -> None:
        for key, value in self.w.message_view(m).items():
            if key == "attachments":
                self.d.equal(step, "the message's attachments", base + ("attachments", "*", "id"), value,
                             "listMessages", "each with its attachments")
            elif key == "parent_id":
                self.d.equal(step, "the message's parent_id", base + (key,), value, "deleteMessage", "re-attached")
            elif key == "created_at":
                self.d.equal(step, "the message's created_at (as first read)", base + (key,), value, "info",
                             "immutable key")
            elif key == "status":
                self.d.equal(step, "the message's status", base + (key,), value, "MessageStatus", "`sent` for")
            else:
                self.d.equal(step, f"the message's {key}", base + (key,), value, "updateMessage", "merge patch")

    # -- conversations ---------------------------------------------------------------------
    @rule(user=USER, n=INDEX, archived=st.booleans(), chatbot=st.booleans(), posts=st.integers(0, 3))
    def create_conversation(self, user: str, n: int, archived: bool, chatbot: bool, posts: int = 0) -> None:
        body: dict[str, Any] = {"title": self.title(n)}
        if chatbot:
            body["chatbot_id"] = f"bot-{self.word}"
        if n % 3 == 0:
            body["metadata"] = {"k": str(n)}
        step = self.d.call(f"{user} creates a conversation", user, "POST", f"{API}/conversations", json_body=body)
        self.d.status(step, 201, "createConversation", "Creates a conversation")
        cid = self.d.bind(step, "c", ("json", "id"))
        created = self.check_created(step, "conversation")
        c = Conversation(id=cid, owner=user, title=body["title"], order=self.w.tick(), created_at=created,
                         updated_at=pick(step.response, ("json", "updated_at")), chatbot_id=body.get("chatbot_id"),
                         metadata=body.get("metadata", {}))
        self.w.conversations[cid] = c
        self.judge_conversation(step, c)
        if archived:
            self.update_conversation(self.conversations().index(c), False, "status", archived)
        for k in range(posts):  # most conversations the sequences work on hold a few messages
            self.create_message(self.conversations().index(c), n + k, "newest" if k % 2 else "none", "user",
                                k == 1, False)

    @precondition(lambda self: self.w.conversations)
    @rule(n=INDEX, upper=st.booleans(), other=st.booleans())
    def get_conversation(self, n: int, upper: bool, other: bool) -> None:
        c = _nth(self.conversations(), n)
        user = [u for u in USERS if u != c.owner][0] if other else c.owner
        step = self.d.call(f"{user} reads {'the other user' + chr(39) + 's' if other else 'their own'} conversation", user, "GET",
                           f"{API}/conversations/{self.idtext(c.id, upper)}")
        if other:
            self.d.status(step, 404, "info", "belongs to another user answers `404`")
            return
        self.d.status(step, 200, "info", "matched case-insensitively")
        self.judge_conversation(step, c)

    @precondition(lambda self: self.w.conversations)
    @rule(n=INDEX, upper=st.booleans(), field=st.sampled_from(["title", "status", "metadata", "title+status"]),
          flag=st.booleans())
    def update_conversation(self, n: int, upper: bool, field: str, flag: bool) -> None:
        c = _nth(self.conversations(), n)
        body: dict[str, Any] = {}
        if "title" in field:
            body["title"] = self.title(n + 1)
        if "status" in field:
            body["status"] = "archived" if flag else "active"
        if field == "metadata":
            body["metadata"] = {"edited": str(n)} if flag else {}
        step = self.d.call(f"{c.owner} edits a conversation ({', '.join(body)})", c.owner, "PATCH",
                           f"{API}/conversations/{self.idtext(c.id, upper)}", json_body=body)
        self.d.status(step, 200, "updateConversation", "Changes the fields")
        c.title = body.get("title", c.title)
        c.status = body.get("status", c.status)
        c.metadata = body.get("metadata", c.metadata)
        self.judge_conversation(step, c)
        self.d.not_before(step, "updated_at after an edit", ("json", "updated_at"), c.updated_at, "info", "Times")
        c.updated_at = pick(step.response, ("json", "updated_at"))

    @precondition(lambda self: self.w.conversations)
    @rule(n=INDEX, upper=st.booleans())
    def delete_conversation(self, n: int, upper: bool) -> None:
        c = _nth(self.conversations(), n)
        step = self.d.call(f"{c.owner} deletes a conversation", c.owner, "DELETE",
                           f"{API}/conversations/{self.idtext(c.id, upper)}")
        self.d.status(step, 204, "deleteConversation", "Deletes the conversation")
        self.w.delete_conversation(c.id)

    @precondition(lambda self: self.w.conversations)
    @rule(user=USER, picks=st.lists(INDEX, min_size=1, max_size=3), repeat=st.booleans(), upper=st.booleans(),
          chatbot=st.booleans())
    def delete_conversations(self, user: str, picks: list[int], repeat: bool, upper: bool, chatbot: bool) -> None:
        everyone = self.conversations()
        chosen = [_nth(everyone, n).id for n in picks]
        gone = [g for g in self.w.gone if self.d.symbols.is_bound(g, "c")]
        if gone and picks[0] % 2:
            chosen.append(sorted(gone)[picks[0] % len(gone)])
        sent = [self.idtext(i, upper and n % 2 == 0) for n, i in enumerate(chosen)]
        if repeat:
            sent += [sent[0].upper(), sent[0]]
        params = [("conversation_id", i) for i in sent]
        bot = f"bot-{self.word}"
        if chatbot:
            params.append(("chatbot_id", bot))
        unique = list(dict.fromkeys(i.lower() for i in sent))
        deleted = [i for i in unique if i in self.w.conversations and self.w.conversations[i].owner == user
                   and (not chatbot or self.w.conversations[i].chatbot_id == bot)]
        missing = [i for i in unique if i not in deleted]
        step = self.d.call(f"{user} deletes conversations in bulk", user, "DELETE", f"{API}/conversations",
                           params=params)
        self.d.status(step, 200, "deleteConversations", "Deletes the signed-in user's conversations")
        # Capitals name the same conversation; the answer writes ids lowercase, each once.
        where, phrase = ("info", "matched case-insensitively") if any(i != i.lower() for i in sent) else (
            "deleteConversations", "each id is reported once")
        for key, want in (("deleted_ids", deleted), ("not_found_ids", missing)):
            self.d.equal(step, f"{key}: how often each id is reported (lowercase)", ("tally", "json", key),
                         {i: 1 for i in want}, where, phrase)
        for i in deleted:
            self.w.delete_conversation(i)

    # -- messages --------------------------------------------------------------------------
    @precondition(lambda self: self.w.conversations)
    @rule(n=INDEX, word=INDEX, parent=st.sampled_from(["none", "newest", "first", "elsewhere"]),
          role=st.sampled_from(["user", "assistant"]), mention=st.booleans(), upper=st.booleans())
    def create_message(self, n: int, word: int, parent: str, role: str, mention: bool, upper: bool) -> None:
        c = _nth(self.conversations(), n)
        content = WORDS[word % len(WORDS)] + (f" about {self.word}" if mention else "")
        body: dict[str, Any] = {"content": content, "role": role}
        mine = self.w.visible(c.id)
        elsewhere = [m for m in self.w.messages.values() if m.conversation_id != c.id]
        parent_id = None
        if parent == "newest" and mine:
            parent_id = mine[-1].id
        elif parent == "first" and mine:
            parent_id = mine[0].id
        elif parent == "elsewhere" and elsewhere:
            parent_id = _nth(elsewhere, word).id
        if parent_id is not None:
            body["parent_id"] = self.idtext(parent_id, upper)
        step = self.d.call(f"{c.owner} posts a message", c.owner, "POST",
                           f"{API}/conversations/{self.idtext(c.id, upper)}/messages", json_body=body)
        if parent_id is not None and self.w.messages[parent_id].conversation_id != c.id:
            self.d.status(step, 409, "createMessage", "must name a message of the same conversation")
            return
        self.d.status(step, 201, "createMessage", "Stores a message")
        mid = self.d.bind(step, "m", ("json", "id"))
        m = Message(id=mid, conversation_id=c.id, parent_id=parent_id, role=role, content=content,
                    order=self.w.tick(), created_at=self.check_created(step, "message"))
        self.w.add_message(m)
        self.judge_message(step, m)

    def messages(self, owner: str | None = None) -> list[Message]:
        return [m for m in self.w.messages.values() if owner is None or self.w.owner_of_message(m.id) == owner]

    @precondition(lambda self: self.w.messages)
    @rule(n=INDEX, upper=st.booleans(), field=st.sampled_from(["content", "reactions", "feedback", "clear feedback",
                                                                 "status", "metadata"]), word=INDEX)
    def update_message(self, n: int, upper: bool, field: str, word: int) -> None:
        self.edit(_nth(self.messages(), n), upper, field, word)

    def edit(self, m: Message, upper: bool, field: str, word: int) -> None:
        owner = self.w.owner_of_message(m.id)
        body: dict[str, Any] = {
            "content": {"content": WORDS[word % len(WORDS)] + (f" {self.word}" if word % 3 else "")},
            "reactions": {"reactions": ["thumbs_up"] if word % 2 else []},
            "feedback": {"feedback": {"rating": "up" if word % 2 else "down", "comment": None}},
            "clear feedback": {"feedback": None},
            "status": {"status": "sent"},
            "metadata": {"metadata": {"n": str(word)}},
        }[field]
        step = self.d.call(f"{owner} edits a message ({field})", owner, "PATCH",
                           f"{API}/messages/{self.idtext(m.id, upper)}", json_body=body)
        self.d.status(step, 200, "updateMessage", "Changes the content")
        for key, value in body.items():
            setattr(m, key, value)
        self.judge_message(step, m)

    @precondition(lambda self: self.w.messages)
    @rule(n=INDEX, upper=st.booleans())
    def delete_message(self, n: int, upper: bool) -> None:
        self.delete(_nth(self.messages()[::-1], n), upper)  # newest first: what changes most when it goes

    def delete(self, m: Message, upper: bool) -> None:
        owner = self.w.owner_of_message(m.id)
        step = self.d.call(f"{owner} deletes a message", owner, "DELETE", f"{API}/messages/{self.idtext(m.id, upper)}")
        self.d.status(step, 204, "deleteMessage", "Deletes the message")
        self.w.delete_message(m.id)

    @precondition(lambda self: self.w.messages or self.w.gone)
    @rule(n=INDEX, other=st.booleans(), upper=st.booleans())
    def get_message(self, n: int, other: bool, upper: bool) -> None:
        gone = sorted(g for g in self.w.gone if self.d.symbols.is_bound(g, "m"))
        if self.w.messages and (n % 4 or not gone):
            m = _nth(self.messages(), n)
            owner = self.w.owner_of_message(m.id)
            user = [u for u in USERS if u != owner][0] if other else owner
            step = self.d.call(f"{user} reads a message", user, "GET", f"{API}/messages/{self.idtext(m.id, upper)}")
            if other:
                self.d.status(step, 404, "info", "belongs to another user answers `404`")
                return
            self.d.status(step, 200, "getMessage", "One message")
            self.judge_message(step, m)
        elif gone:
            step = self.d.call("alice reads a deleted message", "alice", "GET", f"{API}/messages/{_nth(gone, n)}")
            self.d.status(step, 404, "info", "belongs to another user answers `404`")

    @precondition(lambda self: self.w.conversations)
    @rule(n=INDEX, program=st.lists(st.sampled_from(["post", "post mention", "delete newest", "delete first",
                                                     "edit first", "edit newest", "mark read", "reply"]),
                                    min_size=2, max_size=6), word=INDEX)
    def burst(self, n: int, program: list[str], word: int) -> None:
        """A few message operations on one conversation, then the conversation read back."""
        c = _nth(self.conversations(), n)
        for k, op in enumerate(program):
            mine = self.w.visible(c.id)
            if op.startswith("post"):
                self.create_message(self.conversations().index(c), word + k, "newest", "user", op == "post mention",
                                    False)
            elif op == "reply":
                self.create_reply(self.conversations().index(c), word + k, k % 2 == 1, False)
            elif op == "mark read":
                self.mark_read(self.conversations().index(c), "none", False)
            elif mine and op.startswith("delete"):
                self.delete(mine[-1] if op.endswith("newest") else mine[0], False)
            elif mine and op.startswith("edit"):
                self.edit(mine[0] if op.endswith("first") else mine[-1], False, "content", word + k + 1)
        step = self.d.call(f"{c.owner} reads the conversation", c.owner, "GET", f"{API}/conversations/{c.id}")
        self.d.status(step, 200, "getConversation", "One of the signed-in user's conversations")
        self.judge_conversation(step, c)

    # -- read markers ----------------------------------------------------------------------
    @precondition(lambda self: self.w.conversations)
    @rule(n=INDEX, which=st.sampled_from(["none", "newest", "first", "middle", "elsewhere"]), upper=st.booleans())
    def mark_read(self, n: int, which: str, upper: bool) -> None:
        c = _nth(self.conversations(), n)
        mine = self.w.visible(c.id)
        elsewhere = [m for m in self.w.messages.values() if m.conversation_id != c.id]
        chosen = {"newest": mine[-1] if mine else None, "first": mine[0] if mine else None,
                  "middle": mine[len(mine) // 2] if mine else None,
                  "elsewhere": _nth(elsewhere, n) if elsewhere else None}.get(which)
        body = {"message_id": self.idtext(chosen.id, upper)} if chosen is not None else None
        step = self.d.call(f"{c.owner} marks a conversation read ({which})", c.owner, "POST",
                           f"{API}/conversations/{self.idtext(c.id, upper)}/read",
                           **({"json_body": body} if body is not None else {}))
        if chosen is not None and chosen.conversation_id != c.id:
            self.d.status(step, 409, "markConversationRead", "answers `409`")
            return
        self.d.status(step, 200, "markConversationRead", "Moves the signed-in user's read marker")
        target_message = chosen if chosen is not None else (mine[-1] if mine else None)
        if target_message is not None and target_message.order > c.marker_order:  # never backwards
            c.marker_order, c.marker_id = target_message.order, target_message.id
        if c.marker_id is None or c.marker_id in self.w.messages:  # a deleted message's marker: the server's choice
            self.d.equal(step, "last_read_message_id", ("json", "last_read_message_id"), c.marker_id,
                         "markConversationRead", "never moves backwards")
        self.d.equal(step, "unread_count", ("json", "unread_count"), self.w.conversation_view(c)["unread_count"],
                     "Conversation.unread_count", "newer than")

    # -- replies and their streams -----------------------------------------------------------
    @precondition(lambda self: self.w.conversations)
    @rule(n=INDEX, word=INDEX, stream=st.booleans(), web=st.booleans())
    def create_reply(self, n: int, word: int, stream: bool, web: bool) -> None:
        c = _nth(self.conversations(), n)
        content = WORDS[word % len(WORDS)]
        newest = self.w.newest_message(c.id)
        step = self.d.call(f"{c.owner} asks for a {'streamed' if stream else 'JSON'} reply", c.owner, "POST",
                           f"{API}/conversations/{c.id}/replies", json_body={"content": content, "stream": stream, "web_search": web})
        self.d.status(step, 201, "createReply", "Stores the user's message")
        if not stream:
            self.d.equal(step, "the user message's content", ("json", "user_message", "content"), content,
                         "createReply", "Stores the user's message")
            self.d.equal(step, "the user message's parent (by default the newest message)",
                         ("json", "user_message", "parent_id"), newest.id if newest else None,
                         "ReplyRequest.parent_id", "by default the newest message")
            user_id = self.d.bind(step, "m", ("json", "user_message", "id"))
            self.d.equal(step, "the assistant message's parent", ("json", "assistant_message", "parent_id"), user_id,
                         "createReply", "as a child of the user's message")
            self.d.equal(step, "total_tokens - input_tokens - output_tokens", ("usage gap", "json", "usage"), 0,
                         "createReply", "token usage")
            answer_id = self.d.bind(step, "m", ("json", "assistant_message", "id"))
            answer = pick(step.response, ("json", "assistant_message"))
            events = None
        else:
            events = self.judge_stream(step, c, web)
            user_id = self.d.bind(step, "m", ("data", 0, "user_message_id"))
            answer_id = self.d.bind(step, "m", ("data", 0, "message_id"))
            answer = dig(events, [-1, "data", "message"])
        if not isinstance(answer, dict):  # reply.failed names no message: read the stored one
            step = self.d.call(f"{c.owner} reads the stored reply", c.owner, "GET", f"{API}/messages/{answer_id}")
            self.d.status(step, 200, "createReply", "the assistant message is stored")
            answer = step.response.json()
        if stream:  # the stream names the user message; its time is read back
            step = self.d.call(f"{c.owner} reads the stored user message", c.owner, "GET", f"{API}/messages/{user_id}")
            self.d.status(step, 200, "createReply", "Stores the user's message")
            created = self.check_created(step, "user message")
        else:
            created = self.check_created(step, "user message", ("json", "user_message", "created_at"))
        self.w.add_message(Message(id=user_id, conversation_id=c.id, parent_id=newest.id if newest else None,
                                   role="user", content=content, order=self.w.tick(), created_at=created))
        self.d.symbols.bind("text", answer["content"])
        self.d.symbols.bind("at", answer["created_at"])
        self.w.add_message(Message(id=answer_id, conversation_id=c.id, parent_id=user_id, role="assistant",
                                   content=answer["content"], order=self.w.tick(), created_at=answer["created_at"],
                                   status=answer["status"], metadata=answer["metadata"]))
        self.w.replies[answer_id] = Reply(message_id=answer_id, owner=c.owner, events=events)

    def judge_stream(self, step: Step, c: Conversation, web_search: bool) -> list[dict]:
        """The documented event grammar of a reply stream; returns the events, data parsed."""
        where = "createReply"
        media = (step.response.headers.get("content-type") or "").split(";")[0].strip()
        if media != "text/event-stream":
            self.d.fail(step, "the content type", ("header", "content-type"), "text/event-stream", media, where,
                        "the answer is `text/event-stream`")
        events = pick(step.response, ("events",))
        names = [e["event"] for e in events]
        self.d.equal(step, "event ids (positions from 0)", ("events", "*", "id"), [str(i) for i in range(len(events))],
                     where, "Every event carries an `id`")
        for n, e in enumerate(events):
            if e["data_lines"] != 1:
                self.d.fail(step, f"event {n}'s data lines", ("events", n, "data_lines"), 1, e["data_lines"],
                            "ReplyEvent", "one line of JSON")
        self.d.holds(step, "the order of events (reply.started, reply.delta..., one final event)", ("grammar", web_search),
                     where, "only when `web_search` is true" if "reply.sources" in names else "exactly one final event")
        data = pick(step.response, ("data",))
        self.d.equal(step, "reply.started's conversation_id", ("data", 0, "conversation_id"), c.id, where,
                     "the ids of both messages")
        self.d.equal(step, "deltas without a piece of text", ("empty deltas",), 0, where, "the next piece of text")
        parsed = [{"event": e["event"], "id": e["id"], "data": d} for e, d in zip(events, data)]
        if names[-1] == "reply.completed":
            self.d.holds(step, "the deltas, concatenated, are the completed message's text", ("deltas match",),
                         where, "the next piece of text, in order")
            self.d.equal(step, "reply.completed's message id", ("data", -1, "message", "id"), data[0]["message_id"],
                         where, "the ids of both messages")
            self.d.equal(step, "the assistant message's parent", ("data", -1, "message", "parent_id"),
                         data[0]["user_message_id"], where, "as a child of the user's message")
            self.d.equal(step, "total_tokens - input_tokens - output_tokens in the stream",
                         ("usage gap", "data", -1, "usage"), 0, where, "token usage")
        return parsed

    def replies(self) -> list[Reply]:
        return [r for r in self.w.replies.values() if r.events is not None and r.message_id in self.w.messages]

    @precondition(lambda self: self.replies())
    @rule(n=INDEX, position=st.sampled_from(["none", "start", "middle", "final", "past"]), upper=st.booleans())
    def replay_events(self, n: int, position: str, upper: bool) -> None:
        reply = _nth(self.replies(), n)
        log = reply.events or []
        last = len(log) - 1
        at = {"none": None, "start": 0, "middle": last // 2, "final": last, "past": last + 5}[position]
        headers = {"Last-Event-ID": str(at)} if at is not None else {}
        step = self.d.call(f"{reply.owner} replays a reply from {position}", reply.owner, "GET",
                           f"{API}/messages/{self.idtext(reply.message_id, upper)}/events", headers=headers)
        if at is not None and at >= last:
            self.d.status(step, 204, "streamReplyEvents", "at or past the final event answers `204`")
            return
        self.d.status(step, 200, "streamReplyEvents", "The events of an assistant message's reply")
        self.judge_replay(step, log[(at + 1 if at is not None else 0):])

    def judge_replay(self, step: Step, expected: list[dict]) -> None:
        where, phrase = "streamReplyEvents", "only the events after that id are sent"
        self.d.equal(step, "the replayed events", ("events", "*", "event"), [e["event"] for e in expected], where,
                     phrase)
        self.d.equal(step, "the replayed ids", ("events", "*", "id"), [e["id"] for e in expected], where, phrase)
        self.d.equal(step, "the replayed deltas", ("data", "*", "text"),
                     [dig(e["data"], ["text"]) for e in expected], where, phrase)

    @precondition(lambda self: self.replies())
    @rule(n=INDEX, use=st.sampled_from(["stream", "message", "as bearer", "other reply"]))
    def stream_ticket(self, n: int, use: str) -> None:
        reply = _nth(self.replies(), n)
        step = self.d.call(f"{reply.owner} asks for a stream ticket", reply.owner, "POST",
                           f"{API}/messages/{reply.message_id}/stream-tickets")
        self.d.status(step, 201, "createStreamTicket", "A short-lived ticket")
        ticket = self.d.bind(step, "t", ("json", "ticket"))
        others = [r for r in self.replies() if r.message_id != reply.message_id]
        if use == "stream":
            step = self.d.call("anonymous reads the events with the ticket", "anonymous", "GET",
                               f"{API}/messages/{reply.message_id}/events", params=[("ticket", ticket)])
            self.d.status(step, 200, "streamReplyEvents", "Either credential is accepted")
            self.judge_replay(step, reply.events or [])
        elif use == "message":
            step = self.d.call("anonymous reads the message with the ticket", "anonymous", "GET",
                               f"{API}/messages/{reply.message_id}", params=[("ticket", ticket)])
            self.d.status(step, 401, "createStreamTicket", "it is accepted by no other operation")
        elif use == "as bearer":
            step = self.d.call("the ticket sent as a bearer token", "anonymous", "GET",
                               f"{API}/messages/{reply.message_id}/events", token=ticket)
            self.d.status(step, 401, "createStreamTicket", "in place of the bearer token")
        elif others:
            step = self.d.call("anonymous reads another reply's events with the ticket", "anonymous", "GET",
                               f"{API}/messages/{_nth(others, n).message_id}/events", params=[("ticket", ticket)])
            self.d.status(step, 401, "createStreamTicket", "It reads the events of this one assistant message")

    # -- share links ------------------------------------------------------------------------
    @precondition(lambda self: self.has("shares") and self.w.conversations)
    @rule(n=INDEX, days=st.sampled_from([None, 1, 30]))
    def upsert_share(self, n: int, days: int | None) -> None:
        c = _nth(self.conversations(), n)
        existing = self.w.live_share(c.id)
        body = {"expiry_days": days} if days else {}
        step = self.d.call(f"{c.owner} shares a conversation", c.owner, "PUT", f"{API}/conversations/{c.id}/share",
                           json_body=body)
        where = "upsertConversationShare"
        if existing is None:
            self.d.status(step, 201, where, "the first call creates it")
            sid = self.d.bind(step, "s", ("json", "id"))
            share = Share(id=sid, owner=c.owner, conversation_id=c.id, title=c.title, snapshot=[],
                          order=self.w.tick(), expiry_days=days)
            self.w.shares[sid] = share
        else:
            self.d.status(step, 200, where, "later calls keep its id")
            self.d.equal(step, "the share id", ("json", "id"), existing.id, where, "later calls keep its id")
            share = existing
        share.title, share.snapshot, share.expiry_days = c.title, self.w.snapshot(c.id), days
        self.d.equal(step, "the share's title", ("json", "title"), c.title, "Share.title", "when the snapshot")
        self.d.equal(step, "the share's conversation", ("json", "conversation_id"), c.id, where, "Shares a snapshot")
        if days is None:
            self.d.equal(step, "expires_at", ("json", "expires_at"), None, where, "means no expiry")
        else:
            received = pick(step.response, ("days after", "snapshot_at", "expires_at"))
            if received is None or abs(received - days) > 0.01:
                self.d.fail(step, "days from snapshot_at to expires_at", ("days after", "snapshot_at", "expires_at"),
                            float(days), received, "ShareUpsert.expiry_days", "Days until the link expires")

    def shares(self, live: bool = True) -> list[Share]:
        return [s for s in self.w.shares.values() if not live or not s.revoked]

    @precondition(lambda self: self.has("shares") and self.w.shares)
    @rule(n=INDEX)
    def read_public_share(self, n: int) -> None:
        share = _nth(list(self.w.shares.values()), n)
        self.judge_public(share)

    def judge_public(self, share: Share) -> None:
        step = self.d.call("anonymous reads the public share", "anonymous", "GET", f"{API}/public/shares/{share.id}")
        where = "getPublicShare"
        if share.revoked:
            self.d.status(step, 404, where, "revoked or expired share answers `404`")
            return
        self.d.status(step, 200, where, "The public view of a share link")
        self.d.equal(step, "the shared title", ("json", "title"), share.title, where, "the snapshot's title")
        self.judge_snapshot(step, ("json", "messages"), share.snapshot, where, "the snapshot's title, messages")

    def judge_snapshot(self, step: Step, base: tuple, snapshot: list[dict], where: str, phrase: str) -> None:
        """Roles and texts in order, and the same threading (each parent named by its position)."""
        self.d.equal(step, "the messages' roles", base + ("*", "role"), [m["role"] for m in snapshot], where, phrase)
        self.d.equal(step, "the messages' texts", base + ("*", "content"), [m["content"] for m in snapshot], where,
                     phrase)
        expected_ids = [m["id"] for m in snapshot]
        want = [expected_ids.index(m["parent_id"]) if m["parent_id"] in expected_ids else None for m in snapshot]
        self.d.equal(step, "the threading (each parent's position)", ("threading",) + base[1:], want, where,
                     "with their threading" if where == "cloneShare" else phrase)

    @precondition(lambda self: self.has("shares") and self.shares())
    @rule(n=INDEX)
    def delete_share(self, n: int) -> None:
        share = _nth(self.shares(), n)
        step = self.d.call(f"{share.owner} revokes a share", share.owner, "DELETE", f"{API}/shares/{share.id}")
        self.d.status(step, 204, "deleteShare", "Revokes one of the signed-in user's share links")
        share.revoked = True
        self.judge_public(share)

    @precondition(lambda self: self.has("shares") and self.w.shares)
    @rule(n=INDEX, user=USER)
    def clone_share(self, n: int, user: str) -> None:
        share = _nth(list(self.w.shares.values()), n)
        step = self.d.call(f"{user} clones a share", user, "POST", f"{API}/shares/{share.id}/clone")
        where = "cloneShare"
        if share.revoked:
            self.d.status(step, 404, where, "An expired or revoked share answers `404`")
            return
        self.d.status(step, 201, where, "Copies the shared snapshot")
        cid = self.d.bind(step, "c", ("json", "id"))
        c = Conversation(id=cid, owner=user, title=share.title, order=self.w.tick(),
                         created_at=self.check_created(step, "conversation"),
                         updated_at=pick(step.response, ("json", "updated_at")))
        self.w.conversations[cid] = c
        self.d.equal(step, "the copy's title", ("json", "title"), share.title, where, "title, messages")
        listing = self.d.call(f"{user} lists the copy's messages", user, "GET", f"{API}/conversations/{cid}/messages",
                              params=[("limit", "100")])
        self.d.status(listing, 200, "listMessages", "Messages oldest first")
        self.judge_snapshot(listing, ("json", "items"), share.snapshot, where, "messages with their threading")
        items = pick(listing.response, ("json", "items"))
        for n_, item in enumerate(items):
            self.d.bind(listing, "m", ("json", "items", n_, "id"))
            self.w.add_message(Message(id=item["id"], conversation_id=cid, parent_id=item["parent_id"],
                                       role=item["role"], content=item["content"], order=self.w.tick(),
                                       created_at=item["created_at"], status=item["status"],
                                       reactions=item["reactions"], feedback=item["feedback"],
                                       metadata=item["metadata"]))
            for a in item.get("attachments") or []:
                self.w.attachments[a["id"]] = Attachment(id=a["id"], message_id=item["id"], filename=a["filename"],
                                                         content_type=a["content_type"], data=b"")
                self.w.messages[item["id"]].attachments.append(a["id"])
                self.d.symbols.bind("a", a["id"])
        self.judge_conversation(step, c)

    # -- provider configurations --------------------------------------------------------------
    @precondition(lambda self: self.has("provider-configs") and self.setup.providers)
    @rule(user=USER, n=INDEX, key=INDEX)
    def create_config(self, user: str, n: int, key: int) -> None:
        provider = _nth(self.setup.providers, n)
        api_key = f"sk-{self.word}-{key:04d}"
        self.configured = True
        step = self.d.call(f"{user} configures a provider", user, "POST", f"{API}/provider-configs",
                           json_body={"provider_id": provider, "api_key": api_key})
        self.no_key(step, api_key)
        exists = any(c.owner == user and c.provider_id == provider for c in self.w.configs.values())
        where = "createProviderConfig"
        if exists:
            self.d.status(step, 409, where, "a second answers `409`")
            return
        self.d.status(step, 201, where, "Stores the signed-in user's API key")
        kid = self.d.bind(step, "k", ("json", "id"))
        self.w.configs[kid] = Config(id=kid, owner=user, provider_id=provider, api_key=api_key, default_model=None)
        self.d.equal(step, "api_key_hint", ("json", "api_key_hint"), "…" + api_key[-4:], where, "its last four")

    def no_key(self, step: Step, api_key: str) -> None:
        self.d.equal(step, "the API key anywhere in the answer", ("mentions", api_key), False,
                     "createProviderConfig", "The key is write-only")

    @precondition(lambda self: self.has("provider-configs") and self.w.configs)
    @rule(n=INDEX, key=INDEX, action=st.sampled_from(["rotate", "delete"]))
    def change_config(self, n: int, key: int, action: str) -> None:
        config = _nth(list(self.w.configs.values()), n)
        if action == "delete":
            step = self.d.call(f"{config.owner} deletes a provider configuration", config.owner, "DELETE",
                               f"{API}/provider-configs/{config.id}")
            self.d.status(step, 204, "deleteProviderConfig", "Deletes the configuration")
            del self.w.configs[config.id]
            self.w.gone.add(config.id)
            step = self.d.call(f"{config.owner} reads it again", config.owner, "GET",
                               f"{API}/provider-configs/{config.id}")
            self.d.status(step, 404, "deleteProviderConfig", "and its stored key")
            return
        config.api_key = f"sk-{self.word}-rot-{key:04d}"
        step = self.d.call(f"{config.owner} rotates a key", config.owner, "PATCH", f"{API}/provider-configs/{config.id}",
                           json_body={"api_key": config.api_key})
        self.no_key(step, config.api_key)
        self.d.status(step, 200, "updateProviderConfig", "Replaces the API key")
        self.d.equal(step, "api_key_hint", ("json", "api_key_hint"), "…" + config.api_key[-4:],
                     "createProviderConfig", "its last four")

    # -- attachments -------------------------------------------------------------------------
    @precondition(lambda self: self.has("attachments") and self.w.messages)
    @rule(n=INDEX, size=st.integers(0, 300), media=st.sampled_from(MEDIA))
    def upload(self, n: int, size: int, media: str) -> None:
        m = _nth(self.messages(), n)
        owner = self.w.owner_of_message(m.id)
        data = bytes((i * 7 + n) % 256 for i in range(size)) + b"\r\n"
        name = f"note-{n}.bin"
        step = self.d.call(f"{owner} uploads a file", owner, "POST", f"{API}/messages/{m.id}/attachments",
                           files={"file": (name, data, media)})
        where = "createAttachment"
        self.d.status(step, 201, where, "Stores an uploaded file")
        aid = self.d.bind(step, "a", ("json", "id"))
        a = Attachment(id=aid, message_id=m.id, filename=name, content_type=media, data=data)
        self.w.attachments[aid] = a
        m.attachments.append(aid)
        self.d.equal(step, "the stored media type", ("json", "content_type"), media, where, "its media type")
        self.d.equal(step, "size_bytes", ("json", "size_bytes"), len(data), where, "kept as sent")
        self.d.equal(step, "sha256", ("json", "sha256"), a.sha256, where, "kept as sent")

    @precondition(lambda self: self.has("attachments") and (self.w.attachments or self.w.gone))
    @rule(n=INDEX, action=st.sampled_from(["download", "delete", "details"]))
    def attachment(self, n: int, action: str) -> None:
        live = [a for a in self.w.attachments.values() if a.data]
        gone = sorted(g for g in self.w.gone if self.d.symbols.is_bound(g, "a"))
        if gone and (n % 3 == 0 or not live):
            step = self.d.call("alice downloads a deleted attachment", "alice", "GET", f"{API}/attachments/{_nth(gone, n)}/content")
            self.d.status(step, 404, "deleteAttachment", "Deletes the attachment and its stored bytes")
            return
        if not live:
            return
        a = _nth(live, n)
        owner = self.w.owner_of_message(a.message_id)
        if action == "delete":
            step = self.d.call(f"{owner} deletes an attachment", owner, "DELETE", f"{API}/attachments/{a.id}")
            self.d.status(step, 204, "deleteAttachment", "Deletes the attachment")
            del self.w.attachments[a.id]
            self.w.messages[a.message_id].attachments.remove(a.id)
            self.w.gone.add(a.id)
            return
        if action == "details":
            step = self.d.call(f"{owner} reads an attachment's details", owner, "GET", f"{API}/attachments/{a.id}")
            self.d.status(step, 200, "getAttachment", "The stored details")
            self.d.equal(step, "sha256", ("json", "sha256"), a.sha256, "createAttachment", "kept as sent")
            return
        step = self.d.call(f"{owner} downloads an attachment", owner, "GET", f"{API}/attachments/{a.id}/content")
        self.d.status(step, 200, "downloadAttachment", "exactly as uploaded")
        self.d.equal(step, "the downloaded bytes' sha256", ("sha256",), a.sha256, "downloadAttachment",
                     "exactly as uploaded")

    # -- requests the contract refuses ----------------------------------------------------------
    @precondition(lambda self: self.w.conversations)
    @rule(n=INDEX, kind=st.sampled_from(["long title", "huge limit", "empty content"]))
    def invalid_request(self, n: int, kind: str) -> None:
        c = _nth(self.conversations(), n)
        if kind == "long title":
            step = self.d.call(f"{c.owner} sends a title over 200 characters", c.owner, "PATCH",
                               f"{API}/conversations/{c.id}", json_body={"title": self.word + "t" * 200})
            loc, kind_ = ["body", "title"], None
        elif kind == "huge limit":
            step = self.d.call(f"{c.owner} sends a 19-digit limit", c.owner, "GET", f"{API}/conversations",
                               params=[("limit", "1" + "0" * 18)])
            loc, kind_ = ["query", "limit"], "int_parsing_size"
        else:
            step = self.d.call(f"{c.owner} posts an empty message", c.owner, "POST",
                               f"{API}/conversations/{c.id}/messages", json_body={"content": ""})
            loc, kind_ = ["body", "content"], None
        self.d.status(step, 422, "info", "A request that fails validation")
        self.d.equal(step, "the error's loc", ("json", "detail", 0, "loc"), loc, "info", "then names the offending")
        if kind_:
            self.d.equal(step, "the error's type", ("json", "detail", 0, "type"), kind_, "info",
                         "a query integer of more than 18 digits")

    # -- reading the whole state back ----------------------------------------------------------
    @rule(user=USER, limit=st.sampled_from([2, 100]))
    def read_back(self, user: str, limit: int) -> None:
        """Every list with every filter, every detail, every preview and count, compared."""
        mine = self.w.owned(user)
        self.judge_list(user, [("q", self.word)], mine, limit)
        self.judge_list(user, [("q", self.word), ("status", "archived")], [c for c in mine if c.status == "archived"],
                        100)
        self.judge_list(user, [("q", self.word), ("chatbot_id", f"bot-{self.word}")],
                        [c for c in mine if c.chatbot_id == f"bot-{self.word}"], 100)
        for c in mine[:3]:
            step = self.d.call(f"{user} reads a conversation's messages", user, "GET",
                               f"{API}/conversations/{c.id}/messages", params=[("limit", "100")])
            self.d.status(step, 200, "listMessages", "Messages oldest first")
            expected = self.w.visible(c.id)
            self.d.equal(step, "the messages, oldest first", ("json", "items", "*", "id"), [m.id for m in expected],
                         "listMessages", "Messages oldest first")
            for n, m in enumerate(expected):
                self.judge_message(step, m, ("json", "items", n))
            if expected and c is mine[0]:  # the filters, on the newest conversation
                first = expected[0]
                step = self.d.call(f"{user} lists the replies to the first message", user, "GET",
                                   f"{API}/conversations/{c.id}/messages", params=[("parent_id", first.id.upper())])
                self.d.status(step, 200, "listMessages", "direct replies")
                self.d.equal(step, "the direct replies", ("json", "items", "*", "id"),
                             [m.id for m in expected if m.parent_id == first.id][:20], "listMessages",
                             "keeps only the direct replies")
                cut = expected[-1].created_at
                step = self.d.call(f"{user} lists the messages before the newest one's time", user, "GET",
                                   f"{API}/conversations/{c.id}/messages", params=[("before", cut), ("limit", "100")])
                self.d.status(step, 200, "listMessages", "strictly before")
                self.d.equal(step, "the messages strictly before", ("json", "items", "*", "id"),
                             [m.id for m in expected if instant(m.created_at) < instant(cut)], "listMessages",
                             "strictly before that instant")
        if self.has("shares"):
            shares = sorted((s for s in self.w.shares.values() if s.owner == user and not s.revoked),
                            key=lambda s: -s.order)
            step = self.d.call(f"{user} lists their shares", user, "GET", f"{API}/shares",
                               params=[("q", self.word), ("limit", "100")])
            self.d.status(step, 200, "listShares", "newest first")
            self.d.equal(step, "the share links, newest first", ("json", "items", "*", "id"), [s.id for s in shares],
                         "listShares", "newest first")
            for s in shares[:1]:
                self.judge_public(s)
        if self.has("provider-configs") and any(k.owner == user for k in self.w.configs.values()):
            for provider in {k.provider_id for k in self.w.configs.values() if k.owner == user}:
                step = self.d.call(f"{user} lists their configuration of a provider", user, "GET",
                                   f"{API}/provider-configs", params=[("provider_id", provider)])
                self.d.status(step, 200, "listProviderConfigs", "oldest first")
                self.d.equal(step, "the configurations of that provider", ("json", "items", "*", "id"),
                             [k.id for k in self.w.configs.values() if k.owner == user and k.provider_id == provider],
                             "listProviderConfigs", "oldest first")

    def judge_list(self, user: str, params: list[tuple[str, str]], expected: list[Conversation], limit: int) -> None:
        """Page through a conversation list; the pages joined must be the prediction, in order."""
        want = [c.id for c in expected]
        seen = 0
        cursor = None
        while True:
            query = params + [("limit", str(limit))] + ([("cursor", cursor)] if cursor else [])
            step = self.d.call(f"{user} lists conversations ({', '.join(f'{k}={v}' for k, v in params)})", user, "GET",
                               f"{API}/conversations", params=query)
            self.d.status(step, 200, "listConversations", "newest first")
            page = want[seen:seen + limit]
            self.d.equal(step, "this page of conversations, newest first", ("json", "items", "*", "id"), page,
                         "listConversations", "newest first")
            for n, c in enumerate(self.w.conversations[i] for i in page):
                self.judge_conversation(step, c, ("json", "items", n))
                if ("q", self.word) in params:
                    self.d.equal(step, "the first matching message", ("json", "items", n, "match", "message_id"),
                                 self.w.first_match(c, self.word), "SearchMatch", "The first message (oldest)")
            seen += len(page)
            cursor = pick(step.response, ("json", "next_cursor"))
            if seen >= len(want):
                return
            if not cursor:
                self.d.fail(step, "next_cursor while items remain", ("json", "next_cursor"), None, cursor,
                            "info", "neither lost nor repeated", op="!=")

    def teardown(self) -> None:
        try:
            self.read_back_all()
        finally:
            self.remove_configs()

    def remove_configs(self) -> None:
        """Provider configurations outlive a sequence (one per user and provider): every one of the
        run's providers is left unconfigured, even by a configuration the server should have refused,
        so that the next sequence starts from the same state."""
        if not self.configured:
            return
        for user in USERS:
            for provider in self.setup.providers:
                found = self.setup.clients[user].request("GET", f"{API}/provider-configs",
                                                         params={"provider_id": provider, "limit": 100})
                items = found.json().get("items") if found.status == 200 and found.content_type == "application/json" \
                    else None
                for config in items if isinstance(items, list) else []:
                    if isinstance(config, dict) and isinstance(config.get("id"), str):
                        self.setup.clients[user].request("DELETE", f"{API}/provider-configs/{config['id']}")
