"""Tag `providers`."""

from ..services import providers as svc
from ._http import json_response, parts


async def list_providers(context_):
    store, _, call = parts(context_)
    return json_response(svc.list_providers(store, call.query["limit"], call.query.get("cursor")))


async def create_provider(context_):
    store, _, call = parts(context_)
    return json_response(svc.create_provider(store, call.body), 201)


async def get_provider(context_):
    store, _, call = parts(context_)
    return json_response(svc.get_provider(store, call.path["provider_id"]))
