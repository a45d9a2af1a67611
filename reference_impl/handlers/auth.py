"""Tag `auth`."""

import asyncio

from ..auth import issue_token
from ..errors import Unauthorized
from ._http import json_response, parts


async def create_token(context_):
    store, _, call = parts(context_)
    body = call.body
    throttle = context_["state"].throttle
    throttle.check(body["username"])
    try:
        # PBKDF2 takes milliseconds of CPU: on a thread, so other requests keep being served.
        token = await asyncio.to_thread(issue_token, store, body["username"], body["password"])
    except Unauthorized:
        throttle.failed(body["username"])
        raise
    throttle.succeeded(body["username"])
    return json_response(token, 200, {"Cache-Control": "no-store"})


async def get_current_user(context_):
    return json_response(context_["user"])
