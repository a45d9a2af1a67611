"""Tag `auth`."""

import asyncio

from ..auth import check_password, new_token
from ._http import json_response, parts


async def create_token(context_):
    store, _, call = parts(context_)
    body = call.body
    # The attempt is counted before PBKDF2 (throttle.py); both on a thread: the hash takes
    # milliseconds of CPU, and the count may wait on another worker's write.
    user_id = await asyncio.to_thread(
        context_["state"].throttle.attempt, body["username"],
        lambda: check_password(store, body["username"], body["password"]))
    # Only now may a mock session that was only read so far get its own copy (mock/sessions.py).
    token = new_token(context_["writable_state"]().store, user_id)
    return json_response(token, 200, {"Cache-Control": "no-store"})


async def get_current_user(context_):
    return json_response(context_["user"])
