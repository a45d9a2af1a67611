"""Files uploaded for a message (multipart), their details and their bytes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Response, UploadFile

from .. import views
from ..addons import accepts, safe_upload
from ..deps import AttachmentId, MessageId, StateDep, UserDep, own_attachment, own_message
from ..store import new_id, now, page, sha256
from .conversations import Cursor, Limit

router = APIRouter(prefix="/api/v1", tags=["attachments"])


@router.get("/messages/{message_id}/attachments", operation_id="listAttachments")
def list_attachments(state: StateDep, user: UserDep, message_id: MessageId, limit: Limit = 20,
                     cursor: Cursor = None) -> dict:
    m = own_message(state, user, message_id)
    found = [a for a in state.attachments.values() if a["message_id"] == m["id"]]
    return page(found, limit, cursor, views.attachment)


@router.post("/messages/{message_id}/attachments", operation_id="createAttachment", status_code=201,
             dependencies=[Depends(accepts("multipart/form-data"))])
async def create_attachment(state: StateDep, user: UserDep, message_id: MessageId,
                            file: Annotated[UploadFile, File()]) -> dict:
    m = own_message(state, user, message_id)
    file = safe_upload(file)
    data = await file.read()
    a = {"id": new_id(), "message_id": m["id"], "seq": state.next_seq(),
         "filename": (file.filename or "file")[:255],
         "content_type": (file.content_type or "application/octet-stream")[:255],
         "size_bytes": len(data), "sha256": sha256(data), "created_at": now()}
    state.attachments[a["id"]] = a
    state.blobs[a["id"]] = data
    return views.attachment(a)


@router.get("/attachments/{attachment_id}", operation_id="getAttachment")
def get_attachment(state: StateDep, user: UserDep, attachment_id: AttachmentId) -> dict:
    return views.attachment(own_attachment(state, user, attachment_id))


@router.delete("/attachments/{attachment_id}", operation_id="deleteAttachment", status_code=204)
def delete_attachment(state: StateDep, user: UserDep, attachment_id: AttachmentId) -> Response:
    a = own_attachment(state, user, attachment_id)
    del state.attachments[a["id"]]
    state.blobs.pop(a["id"], None)
    return Response(status_code=204)


@router.get("/attachments/{attachment_id}/content", operation_id="downloadAttachment",
            response_class=Response)
def download_attachment(state: StateDep, user: UserDep, attachment_id: AttachmentId) -> Response:
    a = own_attachment(state, user, attachment_id)
    # The contract documents application/octet-stream; the stored type travels beside it.
    return Response(state.blobs[a["id"]], media_type="application/octet-stream",
                    headers={"X-Content-Type": a["content_type"].encode("ascii", "replace").decode()})
