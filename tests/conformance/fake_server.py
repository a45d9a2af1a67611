"""A compact, correct-by-default fake of the contract, with defects planted one at a time.

It exists to prove the suite: the clean fake must pass every requirement it implements, each
defect must be caught under the right requirement id. It validates requests from the contract
itself (jsonschema), keeps state in memory, and leaves summary and title unimplemented (501)
so that the unsupported path is exercised too.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlparse

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from chat_contract.resources import spec_path

USERS = {"alice": "alice-pass", "bob": "bob-pass"}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
DEFECTS = frozenset({
    "problem_json_422", "loc_elsewhere", "missing_field", "wrong_type", "auth_ignored", "no_www_authenticate",
    "cross_user_leak", "page_loses_item", "sse_wrong_content_type", "sse_no_final", "replay_ignores_last_event_id",
    "sse_final_resent", "ticket_opens_any_message",
    "echo_api_key", "message_readable_after_delete", "share_readable_after_revoke", "share_expiry_ignored",
    "attachment_bytes_changed", "search_ignores_messages", "mark_read_noop", "body_reference_404",
    # Malformed values the suite must judge without a traceback.
    "naive_datetime", "invalid_uri",
    "loc_without_part", "echo_input_in_422", "echo_password_in_msg",
    # Promises of the contract's descriptions (conformance/traces.yaml), one requirement each.
    "conversations_oldest_first", "other_lists_reversed", "share_survives_conversation_delete",
    "patch_resets_unnamed", "read_marker_moves_back", "search_matches_deleted", "anonymisation_ignored",
    "public_share_deanonymised", "before_inclusive", "message_patch_resets_unnamed", "reply_left_dangling",
    "content_truncated", "media_type_dropped", "mapping_unbounded",
    # Defects only the model layer's sequences (conformance/model/) are built to catch.
    "ids_case_sensitive", "query_int_wrong_type", "reply_parent_ignored", "stale_derived_fields",
    "clone_unthreaded", "bulk_delete_repeats", "share_refresh_stale", "second_config_accepted",
    "search_match_newest", "ticket_as_bearer", "sse_multiline_data", "stream_usage_gap", "edit_after_delete_stale",
})
# The model layer's defects (MODEL-001), and why each needs a sequence of operations to show.
MODEL_DEFECTS = {
    "ids_case_sensitive": "a conversation exists, then an operation names it in capitals",
    "query_int_wrong_type": "",
    "reply_parent_ignored": "a message exists, then a reply is asked for",
    "stale_derived_fields": "a message is posted, deleted, then the conversation is read",
    "clone_unthreaded": "a reply is stored (a thread), shared, then the share cloned",
    "bulk_delete_repeats": "a conversation exists, then a bulk delete names it twice",
    "share_refresh_stale": "a share, an edit, then a second share of the same conversation",
    "second_config_accepted": "a provider is configured, then configured again",
    "search_match_newest": "two matching messages are posted, then the list is searched",
    "ticket_as_bearer": "a reply is stored, a ticket issued, then sent as a bearer token",
    "sse_multiline_data": "",
    "stream_usage_gap": "",
    "edit_after_delete_stale": "a message is deleted, another edited, then the conversation read",
}
# Violations planted to prove a traced statement (conformance/traces.yaml `proof:`), one each.
DEFECTS = DEFECTS | frozenset({
    "me_ignores_token", "token_cacheable", "bulk_delete_keeps_shares", "metadata_merged", "messages_newest_first",
    "message_delete_keeps_attachments", "sse_started_twice", "sources_without_web_search", "event_ids_from_one",
    "attachment_content_after_delete", "config_readable_after_delete", "foreign_cursor_422",
    "validation_item_without_msg", "ticket_cacheable",
})
# Personal data an anonymised conversation replaces (the contract: e-mail addresses, phone numbers).
_PERSONAL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d[\d ()-]{6,}\d")

# Robustness defects (issue 10): planted in _robust(), at the end of this file.
ROBUSTNESS_DEFECTS = frozenset({
    "rob_surrogate_stored", "rob_deep_nesting_500", "rob_huge_number_500", "rob_query_int_500",
    "rob_unbounded_validation", "rob_uri_unchecked", "rob_echo_rejected_value", "rob_no_nosniff",
    "rob_control_char_upload", "rob_no_throttle",
    # Issue 18 #15: an encoded surrogate, and nesting past the parser's limit, answered with a
    # type the contract does not give them.
    "rob_encoded_surrogate_json_invalid", "rob_deep_json_invalid",
})
DEFECTS = DEFECTS | ROBUSTNESS_DEFECTS

_checker = FormatChecker()


@_checker.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value, re.I):
            return False
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


@_checker.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlparse(value).scheme and (urlparse(value).netloc or urlparse(value).path))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _resolve(node, root):  # noqa: ANN001
    if isinstance(node, dict):
        if "$ref" in node:
            target = root
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            return _resolve(target, root)
        return {k: _resolve(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, root) for v in node]
    return node


def _load_operations() -> list[dict]:
    raw = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    spec = _resolve(raw, raw)
    operations = []
    for template, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
            body = op.get("requestBody")
            operations.append({
                "id": op["operationId"], "method": method.upper(), "template": template, "regex": re.compile(pattern),
                "public": op.get("security") == [], "params": shared + op.get("parameters", []),
                "body": body, "tags": op.get("tags", []),
            })
    return operations


OPERATIONS = _load_operations()


class HTTPError(Exception):
    def __init__(self, status: int, detail, headers: dict | None = None) -> None:  # noqa: ANN001
        self.status, self.detail, self.headers = status, detail, headers or {}


class Invalid(Exception):
    def __init__(self, errors: list[dict]) -> None:
        self.errors = errors


def _coerce(value: str, schema: dict):  # noqa: ANN001, ANN202
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


def _schema_errors(schema: dict, instance, prefix: list, cap: int | None = 100, *,  # noqa: ANN001
                   quote: bool = False, with_input: bool = False, hide_keys: bool = False) -> list[dict]:
    """422 items; `quote` puts the offending value in msg and `with_input` adds pydantic's `input`
    (both defects: a write-only value sent invalid would be echoed)."""
    errors = []
    for error in itertools.islice(Draft202012Validator(schema, format_checker=_checker).iter_errors(instance), cap):
        loc = prefix + list(error.absolute_path)
        if error.validator == "required":
            missing = re.search(r"'([^']+)' is a required property", error.message)
            loc.append(missing.group(1) if missing else "")
            errors.append({"loc": loc, "msg": "Field required", "type": "missing"})
        elif error.validator == "additionalProperties" and hide_keys:
            # A form's unknown key may be a secret (`username=bob&<password>`): never named.
            errors.append({"loc": loc, "msg": "Extra inputs are not permitted", "type": "extra_forbidden"})
        elif error.validator == "additionalProperties":
            extra = re.findall(r"'([^']+)'", error.message)
            for name in extra or [""]:
                errors.append({"loc": loc + [name], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"})
        else:
            said = (error.message if quote and not error.schema.get("writeOnly")
                    else f"Value fails {error.validator} {json.dumps(error.validator_value)}")
            errors.append({"loc": loc, "msg": said[:900], "type": str(error.validator)})
        if with_input:
            errors[-1]["input"] = error.instance
    return errors


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = {name: str(uuid.uuid4()) for name in USERS}
        self.tokens: dict[str, str] = {}
        self.tickets: dict[str, tuple[str, str]] = {}  # stream ticket -> (user, message id)
        self.conversations: dict[str, dict] = {}
        self.messages: dict[str, dict] = {}
        # Each conversation's messages, deleted ones too, in seq order: the model's runs grow this
        # server to thousands of messages, and a scan of them all per conversation per list made
        # every search quadratic.
        self.threads: dict[str, list[dict]] = {}
        self.events: dict[str, list[tuple[str, dict]]] = {}
        self.attachments: dict[str, dict] = {}
        self.blobs: dict[str, bytes] = {}
        self.deleted_attachments: dict[str, dict] = {}  # only under attachment_content_after_delete
        self.providers: dict[str, dict] = {}
        self.configs: dict[str, dict] = {}
        self.shares: dict[str, dict] = {}
        self.read_markers: dict[str, str | None] = {}
        self.seq = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


def build_app(defects: frozenset[str] = frozenset()) -> Starlette:
    unknown = set(defects) - DEFECTS
    if unknown:
        raise ValueError(f"unknown defects {unknown}")
    D = defects
    S = Store()

    # ---- shapes -------------------------------------------------------------------------
    def conversation_view(c: dict, match=None) -> dict:  # noqa: ANN001
        msgs = visible_messages(c["id"]) if "stale_derived_fields" not in D else S.threads.get(c["id"], [])
        marker = S.read_markers.get(c["id"])
        marker_seq = S.messages[marker]["seq"] if marker in S.messages else 0
        view = {k: c[k] for k in ("id", "title", "status", "chatbot_id", "model", "metadata", "is_anonymized",
                                  "created_at", "updated_at")}
        view.update(deanonymization_mapping=dict(c.get("mapping", {})), last_message_at=msgs[-1]["created_at"] if msgs else None,
                    last_message_preview=c.get("preview_cache") or (msgs[-1]["content"][:200] if msgs else None),
                    unread_count=sum(1 for m in msgs if m["seq"] > marker_seq), match=match)
        if "missing_field" in D:
            del view["updated_at"]
        return view

    def message_view(m: dict) -> dict:
        view = {k: m[k] for k in ("id", "conversation_id", "parent_id", "role", "content", "status", "model",
                                  "reactions", "feedback", "metadata", "created_at", "updated_at")}
        view.update(deanonymized_content=m.get("original"), input_tokens=len(m["content"].split()),
                    output_tokens=0 if m["role"] == "user" else len(m["content"].split()),
                    attachments=[attachment_view(a) for a in S.attachments.values() if a["message_id"] == m["id"]])
        if "wrong_type" in D:
            view["input_tokens"] = str(view["input_tokens"])
        return view

    def attachment_view(a: dict) -> dict:
        return {k: a[k] for k in ("id", "message_id", "filename", "content_type", "size_bytes", "sha256", "created_at")}

    def hint(key: str) -> str:
        # The contract's hint pattern is ^….{4}$ and "." matches no line terminator.
        return "…" + "".join("*" if ch in "\n\r\u2028\u2029" else ch for ch in key[-4:])

    def config_view(c: dict) -> dict:
        view = {"id": c["id"], "provider_id": c["provider_id"], "api_key_hint": hint(c["api_key"]),
                "default_model": c["default_model"], "created_at": c["created_at"], "updated_at": c["updated_at"]}
        if "echo_api_key" in D:
            view["api_key"] = c["api_key"]
        return view

    def share_view(s: dict) -> dict:
        return {k: s[k] for k in ("id", "conversation_id", "title", "public_path", "created_at", "snapshot_at",
                                  "expires_at")}

    def page(items: list, request: Request, view, reversible: bool = True) -> dict:  # noqa: ANN001
        if reversible and "other_lists_reversed" in D:
            items = items[::-1]
        limit = int(request.query_params.get("limit", 20))
        start = 0
        cursor = request.query_params.get("cursor")
        if cursor:
            # The cursor names the last item's immutable sequence number, so inserts never shift pages.
            # A cursor this server never issued reads as "past the end": an empty last page.
            if "foreign_cursor_422" in D and not re.fullmatch(r"c\d+", cursor):
                raise Invalid([{"loc": ["query", "cursor"], "msg": "Unknown cursor", "type": "value_error"}])
            after = int(cursor[1:]) if re.fullmatch(r"c\d+", cursor) else None
            start = next((n for n, item in enumerate(items) if item["_key"] == after), len(items) - 1) + 1
            if "page_loses_item" in D:
                start += 1
        chunk = items[start:start + limit]
        more = start + limit < len(items)
        return {"items": [view(i) for i in chunk], "next_cursor": f"c{chunk[-1]['_key']}" if more and chunk else None}

    # ---- ownership ------------------------------------------------------------------------
    def body_reference_status() -> int:
        """A body naming a missing or foreign resource: 409 (the defect: 404, as the contract once said)."""
        return 404 if "body_reference_404" in D else 409

    def own_conversation(user: str, cid: str) -> dict:
        c = S.conversations.get(cid)
        if c is None or (c["owner"] != user and "cross_user_leak" not in D):
            raise HTTPError(404, "Conversation not found")
        return c

    def own_message(user: str, mid: str) -> dict:
        m = S.messages.get(mid)
        if m is None or S.conversations[m["conversation_id"]]["owner"] != user:
            raise HTTPError(404, "Message not found")
        if m.get("deleted") and "message_readable_after_delete" not in D:
            raise HTTPError(404, "Message not found")
        return m

    def own_attachment(user: str, aid: str) -> dict:
        a = S.attachments.get(aid)
        if a is None or a["message_id"] not in S.messages:
            raise HTTPError(404, "Attachment not found")
        if S.conversations[S.messages[a["message_id"]]["conversation_id"]]["owner"] != user:
            raise HTTPError(404, "Attachment not found")
        return a

    def own_config(user: str, cid: str) -> dict:
        c = S.configs.get(cid)
        if c is None or c["owner"] != user:
            raise HTTPError(404, "Configuration not found")
        return c

    def live_share(sid: str) -> dict:
        s = S.shares.get(sid)
        if s is None or (s.get("revoked") and "share_readable_after_revoke" not in D):
            raise HTTPError(404, "Share not found")
        if s["expires_at"] and datetime.fromisoformat(s["expires_at"].replace("Z", "+00:00")) < datetime.now(timezone.utc):
            raise HTTPError(404, "Share not found")
        return s

    def store_message(cid: str, content: str, role: str, parent_id=None, metadata=None, status="sent", model=None):  # noqa: ANN001, ANN202
        now = _now()
        seq = S.next_seq()
        m = {"id": str(uuid.uuid4()), "conversation_id": cid, "parent_id": parent_id, "role": role,
             **anonymised(cid, content), "status": status, "model": model, "reactions": [], "feedback": None,
             "metadata": metadata or {}, "created_at": now, "updated_at": now, "seq": seq, "_key": seq}
        S.messages[m["id"]] = m
        S.threads.setdefault(cid, []).append(m)  # seq grows: the thread stays in seq order
        S.conversations.get(cid, {}).pop("preview_cache", None)
        return m

    def anonymised(cid: str, content: str) -> dict:
        """The stored content (and original) of a message; personal data replaced in an anonymised conversation."""
        if "content_truncated" in D:
            content = content[:1000]
        c = S.conversations.get(cid) or {}
        if not c.get("is_anonymized") or "anonymisation_ignored" in D:
            return {"content": content, "original": None}
        mapping = c.setdefault("mapping", {})
        reverse = {v: k for k, v in mapping.items()}

        def placeholder(match: re.Match) -> str:
            if match.group(0) not in reverse:
                if len(mapping) >= 100 and "mapping_unbounded" not in D:  # the contract's maxProperties
                    return "<PII>"
                reverse[match.group(0)] = f"<PII_{len(mapping) + 1}>"
                mapping[reverse[match.group(0)]] = match.group(0)
            return reverse[match.group(0)]

        return {"content": _PERSONAL.sub(placeholder, content), "original": content}

    def visible_messages(cid: str) -> list[dict]:
        return [m for m in S.threads.get(cid, []) if not m.get("deleted")]

    # ---- handlers, named after operations -----------------------------------------------------
    def createToken(user, p, body):  # noqa: ANN001, ANN202
        if USERS.get(body.get("username")) != body.get("password"):
            raise HTTPError(401, "Incorrect username or password", {"WWW-Authenticate": "Bearer"})
        token = secrets.token_urlsafe(32)
        S.tokens[token] = body["username"]
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 86400},
                            headers={} if "token_cacheable" in D else {"Cache-Control": "no-store"})

    def getCurrentUser(user, p, body):  # noqa: ANN001, ANN202
        if "me_ignores_token" in D:
            user = "alice"
        return {"id": S.users[user], "username": user, "display_name": user.title()}

    def listConversations(user, p, body, request):  # noqa: ANN001, ANN202
        q = (request.query_params.get("q") or "").lower()
        status, chatbot = request.query_params.get("status"), request.query_params.get("chatbot_id")
        found = []
        for c in sorted(S.conversations.values(), key=lambda c: -c["_key"]):
            if c["owner"] != user or (status and c["status"] != status) or (chatbot and c["chatbot_id"] != chatbot):
                continue
            match = None
            if q:
                candidates = visible_messages(c["id"]) if "search_matches_deleted" not in D else S.threads.get(c["id"], [])
                candidates = candidates[::-1] if "search_match_newest" in D else candidates
                hit = None if "search_ignores_messages" in D else next(
                    (m for m in candidates if q in m["content"].lower()), None)
                if hit is not None:
                    match = {"message_id": hit["id"], "excerpt": hit["content"][:200]}
                elif q not in (c["title"] or "").lower():
                    continue
            found.append({**c, "_match": match})
        # Newest first: keys descend, so the cursor compares in the other direction.
        if "conversations_oldest_first" in D:
            found.reverse()
        return page(found, request, lambda c: conversation_view(c, c["_match"]), reversible=False)

    def createConversation(user, p, body):  # noqa: ANN001, ANN202
        now, seq = _now(), S.next_seq()
        c = {"id": str(uuid.uuid4()), "owner": user, "title": body.get("title"), "status": "active",
             "chatbot_id": body.get("chatbot_id"), "model": body.get("model"), "metadata": body.get("metadata", {}),
             "is_anonymized": body.get("is_anonymized", False), "created_at": now, "updated_at": now, "_key": seq}
        S.conversations[c["id"]] = c
        return JSONResponse(conversation_view(c), status_code=201)

    def delete_conversation_data(cid: str, bulk: bool = False) -> None:
        S.conversations.pop(cid, None)
        for mid in [m["id"] for m in S.threads.pop(cid, [])]:
            S.messages.pop(mid)
            for aid in [a for a, v in S.attachments.items() if v["message_id"] == mid]:
                S.attachments.pop(aid)
        for sid in [s for s, v in S.shares.items() if v["conversation_id"] == cid]:
            if "share_survives_conversation_delete" not in D and not (bulk and "bulk_delete_keeps_shares" in D):
                S.shares.pop(sid)

    def deleteConversations(user, p, body):  # noqa: ANN001, ANN202
        chatbot = p.get("chatbot_id")
        deleted, missing = [], []
        for cid in (p["conversation_id"] if "bulk_delete_repeats" in D else dict.fromkeys(p["conversation_id"])):
            c = S.conversations.get(cid)
            if c is None or c["owner"] != user or (chatbot and c["chatbot_id"] != chatbot):
                missing.append(cid)
                continue
            delete_conversation_data(cid, bulk=True)
            deleted.append(cid)
        return {"deleted_ids": deleted, "not_found_ids": missing}

    def getConversation(user, p, body):  # noqa: ANN001, ANN202
        return conversation_view(own_conversation(user, p["conversation_id"]))

    def updateConversation(user, p, body):  # noqa: ANN001, ANN202
        c = own_conversation(user, p["conversation_id"])
        if "patch_resets_unnamed" in D:  # a PUT in disguise: what the body does not name goes back to defaults
            c.update(title=None, status="active", metadata={})
        if "metadata_merged" in D and "metadata" in body:
            body = {**body, "metadata": {**c["metadata"], **body["metadata"]}}
        c.update({k: v for k, v in body.items() if k in ("title", "status", "metadata")}, updated_at=_now())
        return conversation_view(c)

    def deleteConversation(user, p, body):  # noqa: ANN001, ANN202
        own_conversation(user, p["conversation_id"])
        delete_conversation_data(p["conversation_id"])
        return Response(status_code=204)

    def markConversationRead(user, p, body):  # noqa: ANN001, ANN202
        c = own_conversation(user, p["conversation_id"])
        msgs = visible_messages(c["id"])
        target = (body or {}).get("message_id") or (msgs[-1]["id"] if msgs else None)
        if target is not None and target not in {m["id"] for m in msgs}:
            raise HTTPError(body_reference_status(), "Message not found in this conversation")
        current = S.read_markers.get(c["id"])
        forward = current not in S.messages or (target in S.messages and S.messages[target]["seq"] > S.messages[current]["seq"])
        if "mark_read_noop" not in D and (forward or "read_marker_moves_back" in D):
            S.read_markers[c["id"]] = target
        marker = S.read_markers.get(c["id"])
        view = conversation_view(c)
        return {"conversation_id": c["id"], "last_read_message_id": marker,
                "last_read_at": _now() if marker else None, "unread_count": view["unread_count"]}

    def listMessages(user, p, body, request):  # noqa: ANN001, ANN202
        c = own_conversation(user, p["conversation_id"])
        msgs = visible_messages(c["id"])
        if p.get("parent_id"):
            msgs = [m for m in msgs if m["parent_id"] == p["parent_id"]]
        if p.get("before"):
            cut = datetime.fromisoformat(p["before"].upper().replace("Z", "+00:00"))
            earlier = (lambda t: t <= cut) if "before_inclusive" in D else (lambda t: t < cut)
            msgs = [m for m in msgs if earlier(datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")))]
        return page(msgs[::-1] if "messages_newest_first" in D else msgs, request, message_view, reversible=False)

    def check_parent(cid: str, parent_id) -> None:  # noqa: ANN001
        parent = S.messages.get(parent_id) if parent_id is not None else None
        if parent_id is not None and (parent is None or parent.get("deleted") or parent["conversation_id"] != cid):
            raise HTTPError(body_reference_status(), "Parent message not found in this conversation")

    def createMessage(user, p, body):  # noqa: ANN001, ANN202
        c = own_conversation(user, p["conversation_id"])
        check_parent(c["id"], body.get("parent_id"))
        m = store_message(c["id"], body["content"], body.get("role", "user"), body.get("parent_id"), body.get("metadata"))
        return JSONResponse(message_view(m), status_code=201)

    def getMessage(user, p, body):  # noqa: ANN001, ANN202
        return message_view(own_message(user, p["message_id"]))

    def updateMessage(user, p, body):  # noqa: ANN001, ANN202
        m = own_message(user, p["message_id"])
        if "message_patch_resets_unnamed" in D:
            m.update(reactions=[], metadata={}, feedback=None)
        if "content" in body:
            body = {**body, **anonymised(m["conversation_id"], body["content"])}
        m.update({k: v for k, v in body.items()}, updated_at=_now())
        if "edit_after_delete_stale" in D:  # an edit re-caches the preview from every message, deleted ones too
            everything = S.threads[m["conversation_id"]]
            S.conversations[m["conversation_id"]]["preview_cache"] = everything[-1]["content"][:200]
        return message_view(m)

    def deleteMessage(user, p, body):  # noqa: ANN001, ANN202
        m = own_message(user, p["message_id"])
        m["deleted"] = True
        S.conversations[m["conversation_id"]].pop("preview_cache", None)
        if "reply_left_dangling" not in D:  # a thread never points at a deleted message
            for reply in S.messages.values():
                if reply["parent_id"] == m["id"]:
                    reply["parent_id"] = m["parent_id"]
        for aid in [a for a, v in S.attachments.items() if v["message_id"] == m["id"]]:
            if "message_delete_keeps_attachments" not in D:
                S.attachments.pop(aid)
        return Response(status_code=204)

    def createReply(user, p, body):  # noqa: ANN001, ANN202
        c = own_conversation(user, p["conversation_id"])
        check_parent(c["id"], body.get("parent_id"))
        earlier = visible_messages(c["id"])  # by default the user's message answers the newest
        parent = body.get("parent_id") or (earlier[-1]["id"] if earlier and "reply_parent_ignored" not in D else None)
        question = store_message(c["id"], body["content"], "user", parent)
        words = ["You", " asked:", " " + body["content"][:50].strip() or " something"]
        answer = store_message(c["id"], "".join(words), "assistant", question["id"], status="completed",
                               model="fake/echo-1")
        usage = {"input_tokens": len(body["content"].split()), "output_tokens": len("".join(words).split())}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        cost = {"amount": usage["total_tokens"] * 0.000001, "currency": "USD"}
        events = [("reply.started", {"conversation_id": c["id"], "user_message_id": question["id"],
                                     "message_id": answer["id"], "model": "fake/echo-1"})]
        if "sse_started_twice" in D:
            events.append(events[0])
        if "sources_without_web_search" in D or body.get("web_search"):
            events.append(("reply.sources", {"sources": [{"title": "A source", "url": "https://example.com/a", "snippet": "A snippet."}]}))
        events += [("reply.delta", {"text": w}) for w in words if w]
        if "sse_no_final" not in D:
            # With stream_usage_gap the JSON reply's usage adds up and the stream's does not.
            streamed = {**usage, "total_tokens": usage["total_tokens"] + ("stream_usage_gap" in D)}
            events.append(("reply.completed", {"message": message_view(answer), "usage": streamed,
                                               "cost_estimate": cost, "sources": []}))
        S.events[answer["id"]] = events
        if body.get("stream"):
            return sse_response(events, 0)
        return JSONResponse({"conversation_id": c["id"], "user_message": message_view(question),
                             "assistant_message": message_view(answer), "usage": usage, "cost_estimate": cost,
                             "sources": []}, status_code=201)

    def sse_response(events: list, start: int, status: int = 201) -> Response:
        def chunks():  # noqa: ANN202
            yield ": keep-alive\n\n"
            for n, (name, data) in enumerate(events):
                if n >= start:
                    text = json.dumps(data, indent=1 if "sse_multiline_data" in D else None)
                    number = n + 1 if "event_ids_from_one" in D else n
                    yield f"event: {name}\nid: {number}\n" + "".join(f"data: {line}\n" for line in text.split("\n")) + "\n"
        media = "text/plain" if "sse_wrong_content_type" in D else "text/event-stream"
        return StreamingResponse(chunks(), status_code=status, media_type=media)

    def streamReplyEvents(user, p, body, request):  # noqa: ANN001, ANN202
        m = own_message(user, p["message_id"])
        if m["id"] not in S.events:
            raise HTTPError(404, "Not an assistant reply")
        last = request.headers.get("last-event-id")
        start = 0 if last is None or "replay_ignores_last_event_id" in D else int(last) + 1
        events = S.events[m["id"]]
        if start >= len(events) and events[-1][0] in ("reply.completed", "reply.failed"):
            if "sse_final_resent" not in D:
                return Response(status_code=204)
            start = len(events) - 1
        return sse_response(events, start, status=200)

    def createStreamTicket(user, p, body):  # noqa: ANN001, ANN202
        m = own_message(user, p["message_id"])
        if m["id"] not in S.events:
            raise HTTPError(404, "Not an assistant reply")
        ticket = secrets.token_urlsafe(24)
        S.tickets[ticket] = (user, m["id"])
        return JSONResponse({"ticket": ticket, "expires_in": 300}, status_code=201,
                            headers={} if "ticket_cacheable" in D else {"Cache-Control": "no-store"})

    def listAttachments(user, p, body, request):  # noqa: ANN001, ANN202
        m = own_message(user, p["message_id"])
        return page([a for a in S.attachments.values() if a["message_id"] == m["id"]], request, attachment_view)

    def createAttachment(user, p, body):  # noqa: ANN001, ANN202
        m = own_message(user, p["message_id"])
        data, filename, media = body["file"]
        seq = S.next_seq()
        a = {"id": str(uuid.uuid4()), "message_id": m["id"], "filename": filename or "file",
             "content_type": "application/octet-stream" if "media_type_dropped" in D else media or "application/octet-stream",
             "size_bytes": len(data),
             "sha256": hashlib.sha256(data).hexdigest(), "created_at": _now(), "_key": seq}
        S.attachments[a["id"]] = a
        S.blobs[a["id"]] = data
        return JSONResponse(attachment_view(a), status_code=201)

    def getAttachment(user, p, body):  # noqa: ANN001, ANN202
        return attachment_view(own_attachment(user, p["attachment_id"]))

    def deleteAttachment(user, p, body):  # noqa: ANN001, ANN202
        own_attachment(user, p["attachment_id"])
        gone = S.attachments.pop(p["attachment_id"])
        if "attachment_content_after_delete" in D:  # the details go, the bytes stay downloadable
            S.deleted_attachments[gone["id"]] = gone
        return Response(status_code=204)

    def downloadAttachment(user, p, body):  # noqa: ANN001, ANN202
        a = S.deleted_attachments.get(p["attachment_id"]) or own_attachment(user, p["attachment_id"])
        data = S.blobs[a["id"]]
        if "attachment_bytes_changed" in D:
            data = data.replace(b"\r\n", b"\n")
        # The contract documents one media type for downloads.
        return Response(data, media_type="application/octet-stream")

    def listProviders(user, p, body, request):  # noqa: ANN001, ANN202
        return page(sorted(S.providers.values(), key=lambda x: x["_key"]), request,
                    lambda x: {k: x[k] for k in ("id", "name", "api_endpoint", "models", "created_at")})

    def createProvider(user, p, body):  # noqa: ANN001, ANN202
        if any(x["name"] == body["name"] for x in S.providers.values()):
            raise HTTPError(409, "A provider with this name already exists")
        x = {"id": str(uuid.uuid4()), "name": body["name"], "api_endpoint": body["api_endpoint"],
             "models": body.get("models", []), "created_at": _now(), "_key": S.next_seq()}
        S.providers[x["id"]] = x
        return JSONResponse({k: x[k] for k in ("id", "name", "api_endpoint", "models", "created_at")}, status_code=201)

    def getProvider(user, p, body):  # noqa: ANN001, ANN202
        x = S.providers.get(p["provider_id"])
        if x is None:
            raise HTTPError(404, "Provider not found")
        return {k: x[k] for k in ("id", "name", "api_endpoint", "models", "created_at")}

    def listProviderConfigs(user, p, body, request):  # noqa: ANN001, ANN202
        pid = request.query_params.get("provider_id")
        mine = [c for c in S.configs.values() if c["owner"] == user and (pid is None or c["provider_id"] == pid)]
        return page(sorted(mine, key=lambda c: c["_key"]), request, config_view)

    def createProviderConfig(user, p, body):  # noqa: ANN001, ANN202
        if body["provider_id"] not in S.providers:
            raise HTTPError(body_reference_status(), "Unknown provider")
        if "second_config_accepted" not in D and any(
                c["owner"] == user and c["provider_id"] == body["provider_id"] for c in S.configs.values()):
            raise HTTPError(409, "This provider is already configured")
        now = _now()
        c = {"id": str(uuid.uuid4()), "owner": user, "provider_id": body["provider_id"], "api_key": body["api_key"],
             "default_model": body.get("default_model"), "created_at": now, "updated_at": now, "_key": S.next_seq()}
        S.configs[c["id"]] = c
        return JSONResponse(config_view(c), status_code=201)

    def getProviderConfig(user, p, body):  # noqa: ANN001, ANN202
        return config_view(own_config(user, p["config_id"]))

    def updateProviderConfig(user, p, body):  # noqa: ANN001, ANN202
        c = own_config(user, p["config_id"])
        c.update(body, updated_at=_now())
        return config_view(c)

    def deleteProviderConfig(user, p, body):  # noqa: ANN001, ANN202
        own_config(user, p["config_id"])
        if "config_readable_after_delete" not in D:
            S.configs.pop(p["config_id"])
        return Response(status_code=204)

    def getShare(user, p, body):  # noqa: ANN001, ANN202
        s = S.shares.get(p["share_id"])
        if s is None or s["owner"] != user or s.get("revoked"):
            raise HTTPError(404, "Share not found")
        return share_view(s)

    def upsertConversationShare(user, p, body):  # noqa: ANN001, ANN202
        c = own_conversation(user, p["conversation_id"])
        days = (body or {}).get("expiry_days")
        now = datetime.now(timezone.utc)
        expires = None if days is None or "share_expiry_ignored" in D else (
            (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        snapshot = [dict(m) for m in visible_messages(c["id"])]
        existing = next((s for s in S.shares.values() if s["conversation_id"] == c["id"] and not s.get("revoked")), None)
        if existing is not None:
            if "share_refresh_stale" in D:  # the expiry is reset, the snapshot is not
                snapshot, title = existing["messages"], existing["title"]
            else:
                title = c["title"]
            existing.update(expires_at=expires, snapshot_at=_now(), messages=snapshot, title=title)
            return share_view(existing)
        sid = secrets.token_urlsafe(16)
        s = {"id": sid, "owner": user, "conversation_id": c["id"], "title": c["title"],
             "public_path": f"/api/v1/public/shares/{sid}", "created_at": _now(), "snapshot_at": _now(),
             "expires_at": expires, "messages": snapshot, "_key": S.next_seq()}
        S.shares[sid] = s
        return JSONResponse(share_view(s), status_code=201)

    def listShares(user, p, body, request):  # noqa: ANN001, ANN202
        q = (request.query_params.get("q") or "").lower()
        cid = request.query_params.get("conversation_id")
        mine = [s for s in S.shares.values() if s["owner"] == user and not s.get("revoked")
                and (not q or q in (s["title"] or "").lower()) and (cid is None or s["conversation_id"] == cid)]
        return page(sorted(mine, key=lambda s: -s["_key"]), request, share_view)

    def deleteShare(user, p, body):  # noqa: ANN001, ANN202
        s = S.shares.get(p["share_id"])
        if s is None or s["owner"] != user or s.get("revoked"):
            raise HTTPError(404, "Share not found")
        s["revoked"] = True
        return Response(status_code=204)

    def cloneShare(user, p, body):  # noqa: ANN001, ANN202
        s = live_share(p["share_id"])
        now, seq = _now(), S.next_seq()
        c = {"id": str(uuid.uuid4()), "owner": user, "title": s["title"], "status": "active", "chatbot_id": None,
             "model": None, "metadata": {}, "is_anonymized": False, "created_at": now, "updated_at": now, "_key": seq}
        S.conversations[c["id"]] = c
        copies: dict[str, str] = {}  # the snapshot's ids -> the copies', so the threading is kept
        for m in s["messages"]:
            parent = copies.get(m["parent_id"]) if "clone_unthreaded" not in D else None
            copies[m["id"]] = store_message(c["id"], m["content"], m["role"], parent)["id"]
        return JSONResponse(conversation_view(c), status_code=201)

    def getPublicShare(user, p, body):  # noqa: ANN001, ANN202
        s = live_share(p["share_id"])
        return JSONResponse({
            "id": s["id"], "title": s["title"], "snapshot_at": s["snapshot_at"], "expires_at": s["expires_at"],
            "messages": [{"id": m["id"], "parent_id": m["parent_id"], "role": m["role"],
                          "content": (m.get("original") or m["content"]) if "public_share_deanonymised" in D
                          else m["content"],
                          "created_at": m["created_at"], "attachments": []} for m in s["messages"]],
        }, headers={"Content-Language": "en"})

    handlers = {name: fn for name, fn in locals().items() if name[:1].islower() and name in {o["id"] for o in OPERATIONS}}

    # ---- the HTTP edge ----------------------------------------------------------------------
    def error_response(exc: HTTPError) -> Response:
        if exc.status == 422 and isinstance(exc.detail, list):
            detail = exc.detail
            if "loc_elsewhere" in D:
                detail = [{**item, "loc": [item["loc"][0], "somewhere_else"]} for item in detail]
            if "loc_without_part" in D:  # ["title"] where the contract says ["body", "title"]
                detail = [{**item, "loc": item["loc"][1:] or ["?"]} for item in detail]
            if "problem_json_422" in D:
                return JSONResponse({"type": "about:blank", "title": "Unprocessable", "status": 422,
                                     "detail": "; ".join(item["msg"] for item in detail)},
                                    status_code=422, media_type="application/problem+json")
            return JSONResponse({"detail": detail}, status_code=422)
        headers = dict(exc.headers)
        if exc.status == 401 and "no_www_authenticate" in D:
            headers.pop("WWW-Authenticate", None)
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status, headers=headers)

    def tamper(response: Response) -> Response:
        """Defects that garble values on the way out, whatever handler produced them."""
        if not isinstance(response, JSONResponse) or not D & {"naive_datetime", "invalid_uri"}:
            return response
        body = response.body.decode()
        if "naive_datetime" in D:  # local time without an offset, as a naive datetime prints
            body = re.sub(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z"', r'"\1"', body)
        if "invalid_uri" in D:  # a stored URI that no URL parser accepts
            body = re.sub(r'"api_endpoint": ?"[^"]*"', '"api_endpoint": "http://[::1/v1"', body)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(body, status_code=response.status_code, headers=headers, media_type="application/json")

    def authenticate(request: Request, op: dict, path_params: dict) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        user = S.tokens.get(token) if scheme.lower() == "bearer" else None
        if user is None and "ticket_as_bearer" in D and token in S.tickets:
            user = S.tickets[token][0]
        ticket = S.tickets.get(request.query_params.get("ticket", ""))
        if user is None and ticket is not None and op["id"] == "streamReplyEvents" and (
                ticket[1] == (path_params.get("message_id") or "").lower() or "ticket_opens_any_message" in D):
            user = ticket[0]
        if user is None and "auth_ignored" in D:
            return "alice"
        if user is None:
            raise HTTPError(401, "Not authenticated", {"WWW-Authenticate": "Bearer"})
        return user

    async def read_body(request: Request, op: dict):  # noqa: ANN202
        spec = op["body"]
        raw = await request.body()
        if len(raw) > (5 if "attachments" in op["tags"] else 1) * 1024 * 1024:
            raise HTTPError(413, "Request body too large")
        if not raw and not request.headers.get("content-type", "").startswith("multipart/"):
            if spec.get("required"):
                raise Invalid([{"loc": ["body"], "msg": "Field required", "type": "missing"}])
            return None
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in spec["content"]:
            raise HTTPError(415, f"Unsupported media type {media or '(none)'}; expected {', '.join(spec['content'])}")
        schema = spec["content"][media]["schema"]
        if media == "application/json":
            try:
                body = json.loads(raw)
            except UnicodeDecodeError as exc:
                raise HTTPError(400, "There was an error parsing the body") from exc
            except ValueError as exc:
                pos = getattr(exc, "pos", 0)
                raise Invalid([{"loc": ["body", pos], "msg": "JSON decode error", "type": "json_invalid"}]) from exc
        elif media == "application/x-www-form-urlencoded":
            try:
                body = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
            except UnicodeDecodeError as exc:
                raise Invalid([{"loc": ["body"], "msg": "Invalid form", "type": "value_error"}]) from exc
        else:
            try:
                form = await request.form()
            except Exception as exc:  # python-multipart raises several unrelated types on garbage
                raise HTTPError(400, "Invalid multipart data.") from exc
            try:
                upload = form.get("file")
                extra = [k for k in form.keys() if k != "file"]
                if upload is None or isinstance(upload, str):
                    raise Invalid([{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}])
                if extra:
                    raise Invalid([{"loc": ["body", extra[0]], "msg": "Extra inputs are not permitted",
                                    "type": "extra_forbidden"}])
                data = await upload.read()
                return {"file": (data, upload.filename, upload.content_type)}
            finally:
                await form.close()  # uploads are spooled to temporary files
        if body is None and not spec.get("required"):
            return None  # `null` as an optional body means no body
        errors = _schema_errors(schema, body, ["body"],
                                quote=("echo_password_in_msg" in D and media != "application/json")
                                or ("rob_echo_rejected_value" in D and media == "application/json"),
                                with_input="echo_input_in_422" in D and media == "application/json",
                                hide_keys=media == "application/x-www-form-urlencoded")
        if errors:
            raise Invalid(errors)
        if isinstance(body, dict):
            props = schema.get("properties") or next((b.get("properties") for b in schema.get("anyOf", [])
                                                      if isinstance(b, dict) and b.get("properties")), {})
            body = {k: _canonical_ids(v, props.get(k) or {}) for k, v in body.items()}
        return body

    def _canonical_ids(value, schema: dict):  # noqa: ANN001, ANN202
        """Ids are matched case-insensitively (the contract's "Identifiers"): stored lowercase."""
        if "ids_case_sensitive" in D:
            return value
        if schema.get("format") == "uuid" and isinstance(value, str):
            return value.lower()
        if (schema.get("items") or {}).get("format") == "uuid" and isinstance(value, list):
            return [v.lower() if isinstance(v, str) else v for v in value]
        return value

    def read_params(request: Request, op: dict, path_params: dict) -> dict:
        errors, values = [], {}
        for param in op["params"]:
            where, name, schema = param["in"], param["name"], param["schema"]
            if where == "path":
                raw = path_params.get(name)
            elif where == "query":
                found = request.query_params.getlist(name)
                if schema.get("type") == "array":
                    raw = found or None
                elif len(found) > 1:
                    errors.append({"loc": ["query", name], "msg": "Expected one value", "type": "value_error"})
                    continue
                else:
                    raw = found[0] if found else None
            else:
                raw = request.headers.get(name)
            if raw is None:
                if param.get("required"):
                    errors.append({"loc": [where, name], "msg": "Field required", "type": "missing"})
                continue
            value = raw if isinstance(raw, list) else _coerce(raw, schema)
            found_errors = _schema_errors(schema, value, [where, name])
            errors += found_errors
            values[name] = _canonical_ids(value, schema)
        if errors:
            raise Invalid(errors)
        return values

    async def app(scope, receive, send):  # noqa: ANN001, ANN202
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path, method = request.url.path, request.method
        matches = [(op, op["regex"].match(path)) for op in OPERATIONS]
        matches = [(op, m) for op, m in matches if m]
        if matches:
            # A concrete path wins over a template that also matches (bulk-delete vs {conversation_id}).
            fewest = min(op["template"].count("{") for op, _ in matches)
            matches = [(op, m) for op, m in matches if op["template"].count("{") == fewest]
        try:
            if not matches:
                raise HTTPError(404, "Not Found")
            chosen = next(((op, m) for op, m in matches if op["method"] == method), None)
            if chosen is None:
                allow = ", ".join(sorted({op["method"] for op, _ in matches}))
                raise HTTPError(405, "Method Not Allowed", {"Allow": allow})
            op, m = chosen
            if op["id"] in ("getConversationSummary", "generateConversationTitle"):
                raise HTTPError(501, "Not implemented by this fake")
            user = None if op["public"] else authenticate(request, op, m.groupdict())
            with S.lock:
                params = read_params(request, op, m.groupdict())
            body = await read_body(request, op) if op["body"] else None
            with S.lock:
                handler = handlers[op["id"]]
                args = (user, params, body)
                if handler.__code__.co_argcount == 4:
                    args += (request,)
                result = handler(*args)
            response = tamper(result if isinstance(result, Response) else JSONResponse(result))
        except Invalid as exc:
            response = error_response(HTTPError(422, exc.errors))
        except HTTPError as exc:
            response = error_response(exc)
        await response(scope, receive, send)

    return _robust(app, D)  # type: ignore[return-value]


class ServerThread:
    """Run an app with uvicorn on 127.0.0.1 in a daemon thread, bounded in start-up time."""

    def __init__(self, app) -> None:  # noqa: ANN001
        import socket

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake server did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _robust(app, D):  # noqa: ANN001, ANN202, C901
    """The contract's "Limits" (ROB-*), in front of the fake: each one off under its rob_* defect."""
    failures: dict[str, list[float]] = {}
    surrogate = re.compile("[\ud800-\udfff]")
    integers = {p["name"] for op in OPERATIONS for p in op["params"] if "integer" in str(p["schema"].get("type"))}

    def bad_json(body: bytes):  # noqa: ANN202, C901
        """(loc, type) of the first thing the contract's "Limits" refuse, or None."""
        def walk(value, loc, depth):  # noqa: ANN001, ANN202
            if isinstance(value, str) and surrogate.search(value) and "rob_surrogate_stored" not in D:
                return loc, "string_unicode"
            if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
                return loc, "number_out_of_range"
            if isinstance(value, (dict, list)) and depth >= 32:  # the body is level 1 of 32
                return loc, "too_deep"
            items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
            return next((found for k, v in items if (found := walk(v, loc + [k], depth + 1))), None)
        try:
            value = json.loads(body, parse_int=lambda t: float("inf") if len(t.lstrip("-")) > 18 else int(t))
        except RecursionError:
            if "rob_deep_nesting_500" in D:
                raise
            return ["body"], "json_invalid" if "rob_deep_json_invalid" in D else "too_deep"
        except ValueError:
            return None  # the fake's own 422
        try:
            return walk(value, ["body"], 0)
        except RecursionError:
            return ["body"], "too_deep"

    async def robust(scope, receive, send):  # noqa: ANN001, ANN202
        if scope["type"] != "http":
            return await app(scope, receive, send)
        request = Request(scope, receive)
        body = await request.body()
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        invalid = None
        if "rob_query_int_500" not in D:
            invalid = next((["query", k] for k, v in request.query_params.multi_items()
                            if k in integers and re.fullmatch(r"-?\d{19,}", v)), None)
        kind = None
        undecodable = False
        if invalid is None and media == "application/json" and body:
            if "rob_huge_number_500" in D and re.search(rb"\d{4400}", body):
                raise ValueError("Exceeds the limit for integer string conversion")
            try:
                body.decode("utf-8")  # strict: a lone surrogate's bytes (ED A0 80) are not UTF-8
                found = bad_json(body)
            except UnicodeDecodeError:  # the contract: that 400, or the Limits' 422 string_unicode
                undecodable = "rob_encoded_surrogate_json_invalid" not in D
                found = None if undecodable else (["body", 0], "json_invalid")
            invalid, kind = found if found else (None, None)
            if invalid is None and scope["path"] == "/api/v1/providers" and "rob_uri_unchecked" not in D:
                endpoint = json.loads(body).get("api_endpoint") if body.startswith(b"{") else None
                invalid = ["body", "api_endpoint"] if isinstance(endpoint, str) and re.search(r"\s", endpoint) else None
        if invalid is None and media == "multipart/form-data" and "rob_control_char_upload" not in D:
            head = body.split(b"\r\n\r\n", 1)[0]
            if re.search(rb'filename="[^"]*[\x00-\x1f\x7f]|Content-Type: [^\r]*[\x00-\x08\x0b-\x1f\x7f]', head):
                invalid = ["body", "file"]
        if "rob_unbounded_validation" in D and len(body) > 512 * 1024:
            await asyncio.sleep(20)  # validating every item of 200,000 (18 s, measured): past ROB-005's hang bound
        response = None
        if undecodable:
            response = JSONResponse({"detail": "There was an error parsing the body"}, 400)
        elif invalid is not None:
            # The contract names the types of the "Limits"; a uri's or an upload's are the fake's own.
            if invalid[0] == "query":
                kind = "int_parsing_size" if "query_int_wrong_type" not in D else "value_error"
            response = JSONResponse({"detail": [{"loc": invalid, "msg": "Invalid value",
                                                 "type": kind or "value_error"}]}, 422)
        elif scope["path"] == "/api/v1/auth/token" and "rob_no_throttle" not in D:
            username = dict(parse_qsl(body.decode("utf-8", "replace"))).get("username", "")
            recent = [t for t in failures.get(username, []) if t > time.monotonic() - 60]
            failures[username] = recent
            if len(recent) >= 10:
                response = JSONResponse({"detail": "Too many requests"}, 429,
                                        headers={"Retry-After": str(int(recent[0] + 61 - time.monotonic()))})
        sent = iter([{"type": "http.request", "body": body, "more_body": False}])

        async def replay():  # noqa: ANN202
            return next(sent, None) or await receive()

        async def send_robust(message):  # noqa: ANN001, ANN202
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if "rob_no_nosniff" not in D:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if message["status"] == 401 and scope["path"] == "/api/v1/auth/token":
                    failures.setdefault(dict(parse_qsl(body.decode("utf-8", "replace"))).get("username", ""),
                                        []).append(time.monotonic())
                message = {**message, "headers": headers}
                state["status"] = message["status"]
                # Left alone where a defect of its own echoes a value: the rewrite would hide it.
                if message["status"] == 422 and not D & {"rob_echo_rejected_value", "echo_password_in_msg",
                                                         "echo_input_in_422"}:
                    state["hold"] = message  # rewritten below: msgs that name no value
                    return
            elif state.get("hold") is not None:
                detail = json.loads(message.get("body", b"{}")).get("detail")
                if isinstance(detail, list):
                    detail = [{**item, "msg": f"Invalid input ({item.get('type')})"} for item in detail]
                    if "validation_item_without_msg" in D:  # loc, msg and type must always be present
                        detail = [{k: v for k, v in item.items() if k != "msg"} for item in detail]
                out = json.dumps({"detail": detail}).encode()
                start = {**state["hold"], "headers": [(k, v) for k, v in state["hold"]["headers"]
                                                      if k.lower() != b"content-length"]
                         + [(b"content-length", str(len(out)).encode())]}
                await send(start)
                await send({"type": "http.response.body", "body": out})
                return
            await send(message)

        state: dict = {}
        await (response or app)(scope, replay, send_robust)

    return robust
