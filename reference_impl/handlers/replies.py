"""Tag `replies`: JSON or Server-Sent Events over the same stored reply events."""

from starlette.responses import StreamingResponse

from .. import auth
from ..errors import NotFound, ServiceUnavailable
from ..services import messages, replies as svc
from ._http import json_response, no_content, parts

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def create_reply(context_):
    store, user, call = parts(context_)
    runner = context_["state"].runner
    reply = svc.start(store, user, call.path["conversation_id"], call.body)
    if call.body.get("stream"):
        runner.start(reply)  # runs to completion even if this client goes away
        return StreamingResponse(runner.events(reply.message_id), 201, headers=SSE_HEADERS,
                                 media_type="text/event-stream")
    outcome = await runner.run(reply, delay=0)
    if outcome["event"] == "reply.failed":
        # A reply that failed is transient from the client's side: the contract's 503 with
        # Retry-After (no 5xx other than 503 is documented). The failed message stays stored.
        raise ServiceUnavailable(outcome["data"]["detail"])
    final = outcome["data"]
    user_message = messages.get(store, user, reply.user_message_id)
    return json_response({"conversation_id": reply.conversation_id, "user_message": user_message,
                          "assistant_message": final["message"], "usage": final["usage"],
                          "cost_estimate": final["cost_estimate"], "sources": final["sources"]},
                         201)


def _assistant_message(store, user, message_id):
    row = messages.owned(store, user, message_id)
    if row["role"] != "assistant":
        raise NotFound("This message is not an assistant reply")
    return row


async def create_stream_ticket(context_):
    store, user, call = parts(context_)
    row = _assistant_message(store, user, call.path["message_id"])
    return json_response(auth.issue_stream_ticket(store, context_["user"], row["id"]), 201,
                         {"Cache-Control": "no-store"})  # a credential, like the token


async def stream_reply_events(context_):
    store, user, call = parts(context_)
    runner = context_["state"].runner
    row = _assistant_message(store, user, call.path["message_id"])
    after = int(call.headers.get("Last-Event-ID", -1))
    synthesized = None
    if not store.replies.has_events(row["id"]) and row["status"] != "streaming":
        synthesized = svc.synthesize_events(store, row)
    final = runner.final_position(row["id"]) if synthesized is None else len(synthesized) - 1
    if final is not None and after >= final:
        # The client has the final event: 204 is what stops an EventSource reconnecting.
        return no_content()
    return StreamingResponse(runner.events(row["id"], after, synthesized), 200,
                             headers=SSE_HEADERS, media_type="text/event-stream")
