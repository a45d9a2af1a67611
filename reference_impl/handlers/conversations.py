"""Tag `conversations`."""

from ..services import conversations as svc
from ._http import json_response, lang_of, no_content, parts


async def list_conversations(context_):
    store, user, call = parts(context_)
    q = call.query
    return json_response(svc.list_page(store, user, q["limit"], q.get("cursor"),
                                       q.get("status"), q.get("chatbot_id"), q.get("q")))


async def create_conversation(context_):
    store, user, call = parts(context_)
    return json_response(svc.create(store, user, call.body), 201)


async def delete_conversations(context_):
    store, user, call = parts(context_)
    q = call.query
    return json_response(await svc.delete_many(store, user, q["conversation_id"],
                                               q.get("chatbot_id")))


async def get_conversation(context_):
    store, user, call = parts(context_)
    return json_response(svc.get(store, user, call.path["conversation_id"]))


async def update_conversation(context_):
    store, user, call = parts(context_)
    return json_response(svc.update(store, user, call.path["conversation_id"], call.body))


async def delete_conversation(context_):
    store, user, call = parts(context_)
    await svc.delete(store, user, call.path["conversation_id"])
    return no_content()


async def generate_conversation_title(context_):
    store, user, call = parts(context_)
    lang = lang_of(call)
    result = await svc.generate_title(store, user, call.path["conversation_id"], call.body, lang)
    return json_response(result, 200, {"Content-Language": lang})


async def get_conversation_summary(context_):
    store, user, call = parts(context_)
    lang = lang_of(call)
    result = await svc.summary(store, user, call.path["conversation_id"], call.query["max_length"],
                         lang)
    return json_response(result, 200, {"Content-Language": lang})


async def mark_conversation_read(context_):
    store, user, call = parts(context_)
    message_id = (call.body or {}).get("message_id")
    return json_response(svc.mark_read(store, user, call.path["conversation_id"], message_id))
