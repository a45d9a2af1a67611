"""Attachments: upload, download identical bytes, list, delete."""

from __future__ import annotations

import hashlib

from ..client import Response
from .base import Context, expect, expect_status, requirement, support_probe, unsupported_if

PAYLOAD = bytes(range(256)) * 8 + b"conformance\r\n\x00end"
# Not the default (application/octet-stream): the contract keeps the part's own Content-Type.
PART_TYPE = "application/x-conformance-sample"


@support_probe("attachments")
def attachments_probe(ctx: Context) -> Response:
    cid = ctx.new_conversation()["id"]
    return ctx.user1.get(f"/api/v1/messages/{ctx.new_message(cid, 'probe')['id']}/attachments")


def _upload(ctx: Context, mid: str | None = None) -> tuple[str, dict]:
    if mid is None:
        cid = ctx.new_conversation()["id"]
        mid = ctx.new_message(cid, f"with a file {ctx.unique}")["id"]
    response = ctx.user1.post(f"/api/v1/messages/{mid}/attachments",
                              files={"file": ("data.bin", PAYLOAD, PART_TYPE)})
    unsupported_if(response, "POST attachments")
    expect_status(response, 201, "Uploading an attachment")
    return mid, ctx.fresh("attachment", response.json(), response)


@requirement("ATT-001")
def download_returns_identical_bytes(ctx: Context) -> None:
    _, attachment = _upload(ctx)
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    expect((attachment.get("size_bytes"), attachment.get("sha256")) == (len(PAYLOAD), digest),
           summary="The stored size or digest differs from the uploaded bytes",
           received=(attachment.get("size_bytes"), attachment.get("sha256")), documented=(len(PAYLOAD), digest))
    expect(attachment.get("content_type") == PART_TYPE, summary="The stored media type is not the part's Content-Type",
           received=attachment.get("content_type"), documented=PART_TYPE)
    response = ctx.user1.get(f"/api/v1/attachments/{attachment['id']}")
    expect_status(response, 200, "Reading an attachment's details")
    response = ctx.user1.get(f"/api/v1/attachments/{attachment['id']}/content")
    expect_status(response, 200, "Downloading an attachment")
    expect(response.content == PAYLOAD, summary="The downloaded bytes differ from the uploaded bytes",
           received=f"{len(response.content)} bytes sha256 {hashlib.sha256(response.content).hexdigest()}",
           documented=f"{len(PAYLOAD)} bytes sha256 {digest}", response=response)


@requirement("ATT-002")
def upload_is_listed(ctx: Context) -> None:
    mid, first = _upload(ctx)
    _, second = _upload(ctx, mid)
    response = ctx.user1.get(f"/api/v1/messages/{mid}/attachments")
    expect_status(response, 200, "Listing a message's attachments")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == [first["id"], second["id"]],
           summary="The message does not list exactly its attachments, oldest first",
           received=ids, documented=[first["id"], second["id"]], response=response)


@requirement("ATT-003")
def deleted_attachment_answers_404(ctx: Context) -> None:
    _, attachment = _upload(ctx)
    path = f"/api/v1/attachments/{attachment['id']}"
    expect_status(ctx.user1.delete(path), 204, "Deleting an attachment")
    expect_status(ctx.user1.get(path), 404, "Reading a deleted attachment's details")
    expect_status(ctx.user1.get(f"{path}/content"), 404, "Downloading a deleted attachment")
