"""Share links: expiry, public view, revocation, clone, listing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..client import Response
from ..errors import RequirementFailure
from .base import Context, expect, expect_status, requirement, support_probe, unsupported_if
from .conversations import anonymised_message
from .times import parse_time

PUBLIC_FIELDS = {"id", "title", "snapshot_at", "expires_at", "messages"}
PUBLIC_MESSAGE_FIELDS = {"id", "parent_id", "role", "content", "created_at", "attachments"}


@support_probe("shares")
def shares_probe(ctx: Context) -> Response:
    return ctx.user1.get("/api/v1/shares")


def _shared(ctx: Context, expiry_days: int | None = 7) -> tuple[dict, dict, str]:
    private = f"owner-private-{ctx.unique}"
    conversation = ctx.new_conversation(title=f"Shared {ctx.unique}", metadata={"note": private})
    response = ctx.user1.post(f"/api/v1/conversations/{conversation['id']}/messages",
                              json={"content": f"shared text {ctx.unique}", "metadata": {"note": private}})
    expect_status(response, 201, "Creating a message to share")
    response = ctx.user1.put(f"/api/v1/conversations/{conversation['id']}/share", json={"expiry_days": expiry_days})
    unsupported_if(response, "PUT share")
    expect_status(response, 201, "Creating a share link")
    return conversation, ctx.fresh("share link", response.json(), response), private


@requirement("SHARE-001")
def share_expiry_and_refresh(ctx: Context) -> None:
    conversation, share, _ = _shared(ctx, expiry_days=3)
    expected = datetime.now(timezone.utc) + timedelta(days=3)
    expires = share.get("expires_at")
    expect(expires is not None and abs((parse_time(expires, "expires_at") - expected).total_seconds()) < 600,
           summary="expires_at is not expiry_days ahead", received=expires, documented=expected.isoformat())
    response = ctx.user1.put(f"/api/v1/conversations/{conversation['id']}/share", json={})
    expect_status(response, 200, "Refreshing a share link")
    body = response.json()
    expect(body.get("id") == share["id"] and body.get("expires_at") is None,
           summary="A refresh does not keep the id or reset the expiry", received=body,
           documented={"id": share["id"], "expires_at": None}, response=response)
    response = ctx.user1.get(f"/api/v1/shares/{share['id']}")
    expect_status(response, 200, "Reading a share link by id")
    expect(response.json().get("id") == share["id"], summary="The conversation names another share",
           received=response.json().get("id"), documented=share["id"], response=response)


@requirement("SHARE-002")
def public_view_hides_owner_private_fields(ctx: Context) -> None:
    _, share, private = _shared(ctx)
    me = ctx.user1.get("/api/v1/users/me").json()
    response = ctx.anonymous.get(f"/api/v1/public/shares/{share['id']}", token=None)
    expect_status(response, 200, "Reading a share's public view without a token")
    body = response.json()
    leaks = sorted(set(body) - PUBLIC_FIELDS)
    for message in body.get("messages", []):
        leaks += sorted(set(message) - PUBLIC_MESSAGE_FIELDS)
    text = response.raw.text
    if private in text:
        leaks.append("metadata values")
    if me.get("id") and me["id"] in text:
        leaks.append("the owner's user id")
    if leaks:
        raise RequirementFailure(summary="The public view exposes owner-private data", received=leaks,
                                 documented=f"only {sorted(PUBLIC_FIELDS)}", exchange=response.exchange)
    expect(any(f"shared text {ctx.unique}" == m.get("content") for m in body.get("messages", [])),
           summary="The public view lacks the shared messages", received=body.get("messages"),
           documented="the snapshot's messages", response=response)
    # An anonymised conversation's public view shows the placeholders, never the originals.
    cid, _, _, personal = anonymised_message(ctx)
    response = ctx.user1.put(f"/api/v1/conversations/{cid}/share", json={})
    expect_status(response, 201, "Sharing an anonymised conversation")
    response = ctx.anonymous.get(f"/api/v1/public/shares/{response.json()['id']}", token=None)
    expect_status(response, 200, "Reading an anonymised conversation's public view")
    expect(response.json().get("messages") and not any(p in response.raw.text for p in personal),
           summary="The public view of an anonymised conversation shows the original personal data",
           received=[m.get("content") for m in response.json().get("messages") or []],
           documented="the anonymised text only", response=response)


@requirement("SHARE-003")
def revoked_share_answers_404(ctx: Context) -> None:
    _, share, _ = _shared(ctx)
    expect_status(ctx.user1.delete(f"/api/v1/shares/{share['id']}"), 204, "Revoking a share link")
    expect_status(ctx.anonymous.get(f"/api/v1/public/shares/{share['id']}", token=None), 404,
                  "Reading a revoked share's public view")
    expect_status(ctx.user2.post(f"/api/v1/shares/{share['id']}/clone"), 404, "Cloning a revoked share")


@requirement("SHARE-004")
def clone_creates_callers_conversation(ctx: Context) -> None:
    conversation, share, _ = _shared(ctx)
    response = ctx.user2.post(f"/api/v1/shares/{share['id']}/clone")
    expect_status(response, 201, "Cloning a share as another user")
    clone = ctx.fresh("conversation", response.json(), response)
    expect(clone.get("id") != conversation["id"], summary="The clone is the original conversation",
           received=clone.get("id"), documented="a new id", response=response)
    expect_status(ctx.user2.get(f"/api/v1/conversations/{clone['id']}"), 200, "The caller reading the clone")
    expect_status(ctx.user1.get(f"/api/v1/conversations/{clone['id']}"), 404, "The sharer reading the clone")
    response = ctx.user2.get(f"/api/v1/conversations/{clone['id']}/messages")
    expect_status(response, 200, "Listing the clone's messages")
    contents = [m.get("content") for m in response.json().get("items", [])]
    expect(f"shared text {ctx.unique}" in contents, summary="The clone lacks the shared messages",
           received=contents, documented=[f"shared text {ctx.unique}"], response=response)


@requirement("SHARE-005")
def shares_are_listed_and_searchable(ctx: Context) -> None:
    _, older, _ = _shared(ctx)
    _, share, _ = _shared(ctx)
    response = ctx.user1.get("/api/v1/shares", params={"q": f"shared {ctx.unique}"})
    expect_status(response, 200, "Listing my share links")
    ids = [item["id"] for item in response.json().get("items", []) if item["id"] in (share["id"], older["id"])]
    expect(ids == [share["id"], older["id"]], summary="Share links are not listed newest first", received=ids,
           documented=[share["id"], older["id"]], response=response)
    response = ctx.user1.get("/api/v1/shares", params={"q": f"shared {ctx.unique}".upper()})
    expect_status(response, 200, "Searching my share links")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(share["id"] in ids, summary="The share is not found by its title", received=ids,
           documented=[share["id"]], response=response)
    response = ctx.user1.get("/api/v1/shares", params={"conversation_id": share["conversation_id"]})
    expect_status(response, 200, "Finding a conversation's share link")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == [share["id"]], summary="conversation_id does not find exactly the conversation's share",
           received=ids, documented=[share["id"]], response=response)
    response = ctx.user2.get("/api/v1/shares", params={"q": f"shared {ctx.unique}"})
    expect_status(response, 200, "Another user listing share links")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(share["id"] not in ids, summary="Another user's list holds the owner's share", received=ids,
           documented=[], response=response)
