"""Tag `shares`."""

from starlette.responses import StreamingResponse

from ..services import shares as svc
from ._http import json_response, lang_of, no_content, parts


async def upsert_conversation_share(context_):
    store, user, call = parts(context_)
    share, created = await svc.upsert(store, user, call.path["conversation_id"], call.body)
    return json_response(share, 201 if created else 200)


async def list_shares(context_):
    store, user, call = parts(context_)
    q = call.query
    return json_response(svc.list_page(store, user, q["limit"], q.get("cursor"), q.get("q"),
                                       q.get("conversation_id")))


async def get_share(context_):
    store, user, call = parts(context_)
    return json_response(svc.get(store, user, call.path["share_id"]))


async def delete_share(context_):
    store, user, call = parts(context_)
    await svc.delete(store, user, call.path["share_id"])
    return no_content()


async def clone_share(context_):
    store, user, call = parts(context_)
    return json_response(await svc.clone(store, user, call.path["share_id"]), 201)


async def get_public_share(context_):
    store, _, call = parts(context_)
    pieces = await svc.public(store, call.path["share_id"])

    async def body():
        for piece in pieces:  # a page of messages each: uvicorn sends them as the client reads
            yield piece
    return StreamingResponse(body(), 200, media_type="application/json", headers={
        "Content-Language": lang_of(call), "Content-Length": str(sum(map(len, pieces)))})
