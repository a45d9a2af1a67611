"""Tag `messages`."""

from ..services import messages as svc
from ._http import json_response, lang_of, no_content, parts


async def list_messages(context_):
    store, user, call = parts(context_)
    q = call.query
    page = svc.list_page(store, user, call.path["conversation_id"], q["limit"], q.get("cursor"),
                         q.get("before"), q.get("parent_id"))
    return json_response(page, 200, {"Content-Language": lang_of(call)})


async def create_message(context_):
    store, user, call = parts(context_)
    return json_response(svc.create(store, user, call.path["conversation_id"], call.body), 201)


async def get_message(context_):
    store, user, call = parts(context_)
    return json_response(svc.get(store, user, call.path["message_id"]))


async def update_message(context_):
    store, user, call = parts(context_)
    return json_response(svc.update(store, user, call.path["message_id"], call.body))


async def delete_message(context_):
    store, user, call = parts(context_)
    svc.delete(store, user, call.path["message_id"])
    return no_content()
