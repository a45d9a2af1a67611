"""Tag `auth`."""

import asyncio

from ..auth import issue_token
from ._http import json_response, parts


async def create_token(context_):
    store, _, call = parts(context_)
    body = call.body
    # The attempt is counted before PBKDF2 (throttle.py); both on a thread: the hash takes
    # milliseconds of CPU, and the count may wait on another worker's write.
    token = await asyncio.to_thread(context_["state"].throttle.attempt, body["username"],
                                    lambda: issue_token(store, body["username"], body["password"]))
    return json_response(token, 200, {"Cache-Control": "no-store"})


async def get_current_user(context_):
    return json_response(context_["user"])
