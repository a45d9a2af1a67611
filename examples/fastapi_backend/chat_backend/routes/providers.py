"""The shared provider catalogue and each user's provider configurations (API keys write-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from .. import views
from ..addons import accepts
from ..deps import ConfigId, ProviderId, StateDep, UserDep, not_found
from ..models import ProviderConfigCreate, ProviderConfigUpdate, ProviderCreate
from ..scalars import UUIDStr
from ..store import State, new_id, now, page
from .conversations import Cursor, Limit

router = APIRouter(prefix="/api/v1")
JSON = [Depends(accepts("application/json"))]


@router.get("/providers", operation_id="listProviders", tags=["providers"])
def list_providers(state: StateDep, user: UserDep, limit: Limit = 20, cursor: Cursor = None) -> dict:
    return page(list(state.providers.values()), limit, cursor, views.provider)


@router.post("/providers", operation_id="createProvider", status_code=201, tags=["providers"],
             dependencies=JSON)
def create_provider(state: StateDep, user: UserDep, body: ProviderCreate) -> dict:
    if any(p["name"].lower() == body.name.lower() for p in state.providers.values()):
        raise HTTPException(409, "A provider with this name already exists")
    p = {"id": new_id(), "seq": state.next_seq(), "name": body.name, "api_endpoint": body.api_endpoint,
         "models": body.models, "created_at": now()}
    state.providers[p["id"]] = p
    return views.provider(p)


@router.get("/providers/{provider_id}", operation_id="getProvider", tags=["providers"])
def get_provider(state: StateDep, user: UserDep, provider_id: ProviderId) -> dict:
    p = state.providers.get(provider_id)
    if p is None:
        raise not_found("Provider")
    return views.provider(p)


def _own_config(state: State, user: dict, config_id: str) -> dict:
    c = state.configs.get(config_id)
    if c is None or c["owner"] != user["id"]:
        raise not_found("Provider configuration")
    return c


@router.get("/provider-configs", operation_id="listProviderConfigs", tags=["provider-configs"])
def list_provider_configs(state: StateDep, user: UserDep, limit: Limit = 20, cursor: Cursor = None,
                          provider_id: Annotated[UUIDStr | None, Query()] = None) -> dict:
    found = [c for c in state.configs.values() if c["owner"] == user["id"]
             and (provider_id is None or c["provider_id"] == provider_id)]
    return page(found, limit, cursor, views.provider_config)


@router.post("/provider-configs", operation_id="createProviderConfig", status_code=201,
             tags=["provider-configs"], dependencies=JSON)
def create_provider_config(state: StateDep, user: UserDep, body: ProviderConfigCreate) -> dict:
    if body.provider_id not in state.providers:
        raise HTTPException(409, "Unknown provider")
    if any(c["owner"] == user["id"] and c["provider_id"] == body.provider_id
           for c in state.configs.values()):
        raise HTTPException(409, "A configuration for this provider already exists")
    stamp = now()
    c = {"id": new_id(), "owner": user["id"], "seq": state.next_seq(), "provider_id": body.provider_id,
         "api_key": body.api_key.get_secret_value(), "default_model": body.default_model, "created_at": stamp,
         "updated_at": stamp}
    state.configs[c["id"]] = c
    return views.provider_config(c)


@router.get("/provider-configs/{config_id}", operation_id="getProviderConfig", tags=["provider-configs"])
def get_provider_config(state: StateDep, user: UserDep, config_id: ConfigId) -> dict:
    return views.provider_config(_own_config(state, user, config_id))


@router.patch("/provider-configs/{config_id}", operation_id="updateProviderConfig",
              tags=["provider-configs"], dependencies=JSON)
def update_provider_config(state: StateDep, user: UserDep, config_id: ConfigId,
                           body: ProviderConfigUpdate) -> dict:
    c = _own_config(state, user, config_id)
    changes = body.model_dump(include=body.model_fields_set)  # merge patch: only what was sent
    if "api_key" in changes:
        changes["api_key"] = body.api_key.get_secret_value()
    c.update(changes, updated_at=now())
    return views.provider_config(c)


@router.delete("/provider-configs/{config_id}", operation_id="deleteProviderConfig", status_code=204,
               tags=["provider-configs"])
def delete_provider_config(state: StateDep, user: UserDep, config_id: ConfigId) -> Response:
    del state.configs[_own_config(state, user, config_id)["id"]]
    return Response(status_code=204)
