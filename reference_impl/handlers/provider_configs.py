"""Tag `provider-configs`: API keys go in, only `api_key_hint` comes out."""

from ..services import providers as svc
from ._http import json_response, no_content, parts


async def list_provider_configs(context_):
    store, user, call = parts(context_)
    q = call.query
    return json_response(svc.list_configs(store, user, q["limit"], q.get("cursor"),
                                          q.get("provider_id")))


async def create_provider_config(context_):
    store, user, call = parts(context_)
    return json_response(svc.create_config(store, user, call.body), 201)


async def get_provider_config(context_):
    store, user, call = parts(context_)
    return json_response(svc.get_config(store, user, call.path["config_id"]))


async def update_provider_config(context_):
    store, user, call = parts(context_)
    return json_response(svc.update_config(store, user, call.path["config_id"], call.body))


async def delete_provider_config(context_):
    store, user, call = parts(context_)
    svc.delete_config(store, user, call.path["config_id"])
    return no_content()
