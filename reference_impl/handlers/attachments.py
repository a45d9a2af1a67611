"""Tag `attachments`."""

from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.responses import Response

from ..errors import RequestValidationError, field_error
from ..validation import MEDIA_TYPE
from ..services import attachments as svc
from ._http import json_response, no_content, parts


async def list_attachments(context_):
    store, user, call = parts(context_)
    q = call.query
    return json_response(svc.list_page(store, user, call.path["message_id"], q["limit"],
                                       q.get("cursor")))


async def create_attachment(context_):
    store, user, call = parts(context_)
    file = call.body.get("file")
    if not isinstance(file, UploadFile):
        raise RequestValidationError([field_error(["body", "file"], "Expected an uploaded file",
                                                  "value_error")])
    data = await file.read()
    content_type = file.content_type or "application/octet-stream"
    result = svc.create(store, user, call.path["message_id"], file.filename or "file",
                        content_type, data)
    return json_response(result, 201)


async def get_attachment(context_):
    store, user, call = parts(context_)
    return json_response(svc.get(store, user, call.path["attachment_id"]))


async def delete_attachment(context_):
    store, user, call = parts(context_)
    svc.delete(store, user, call.path["attachment_id"])
    return no_content()


async def download_attachment(context_):
    store, user, call = parts(context_)
    data, content_type, filename = svc.content(store, user, call.path["attachment_id"])
    # The contract documents application/octet-stream for this response; the stored media
    # type travels in X-Content-Type so clients can still render the file.
    if not MEDIA_TYPE.fullmatch(content_type):
        content_type = "application/octet-stream"  # stored before uploads were checked
    return Response(data, 200, media_type="application/octet-stream",
                    headers={"Content-Disposition": content_disposition(filename),
                             "X-Content-Type": content_type})


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients, `filename*` in UTF-8 for the real name."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
