"""Tag `auth`."""

from ..auth import issue_token
from ._http import json_response, parts


async def create_token(context_):
    store, _, call = parts(context_)
    body = call.body
    token = issue_token(store, body["username"], body["password"])
    return json_response(token, 200, {"Cache-Control": "no-store"})


async def get_current_user(context_):
    return json_response(context_["user"])
