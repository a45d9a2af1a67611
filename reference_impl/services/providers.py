"""The shared provider catalogue and each user's provider configurations (write-only keys)."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, NotFound
from ..store import Store
from .common import decode_cursor, new_id, now, page_of

__all__ = ["create_provider", "list_providers", "get_provider", "create_config",
           "list_configs", "get_config", "update_config", "delete_config", "key_hint"]


def _provider_out(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "name", "api_endpoint", "models", "created_at")}


def create_provider(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    row = {"id": new_id(), "name": body["name"], "name_key": body["name"].casefold(),
           "api_endpoint": body["api_endpoint"], "models": body.get("models", []),
           "created_at": now()}
    with store.transaction():
        if store.providers.name_taken(row["name_key"]):
            raise Conflict("A provider with this name already exists")
        store.providers.add(row)
    return _provider_out(row)


def list_providers(store: Store, limit: int, cursor: str | None) -> dict[str, Any]:
    rows = store.providers.page(decode_cursor(cursor), limit)
    return page_of(rows, limit, _provider_out)


def get_provider(store: Store, provider_id: str) -> dict[str, Any]:
    row = store.providers.by_id(provider_id)
    if row is None:
        raise NotFound("Provider not found")
    return _provider_out(row)


def key_hint(api_key: str) -> str:
    """The only trace of a key a response may carry: an ellipsis and its last four characters.

    Keys are printable ASCII (the contract validates them), so the hint always fits its
    pattern ^…[!-~]{4}$."""
    return "…" + api_key[-4:]


def _config_out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "provider_id": row["provider_id"],
            "api_key_hint": key_hint(row["api_key"]), "default_model": row["default_model"],
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def _owned_config(store: Store, user_id: str, config_id: str) -> dict[str, Any]:
    row = store.providers.config(user_id, config_id)
    if row is None:
        raise NotFound("Provider configuration not found")
    return row


def create_config(store: Store, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
    stamp = now()
    row = {"id": new_id(), "user_id": user_id, "provider_id": body["provider_id"],
           "api_key": body["api_key"], "default_model": body.get("default_model"),
           "created_at": stamp, "updated_at": stamp}
    with store.transaction():
        # A body naming a missing provider: 409 (the contract's Conflict), not 404.
        if not store.providers.by_id(body["provider_id"]):
            raise Conflict("Unknown provider")
        if store.providers.has_config(user_id, body["provider_id"]):
            raise Conflict("You already have a configuration for this provider")
        store.providers.add_config(row)
    return _config_out(row)


def list_configs(store: Store, user_id: str, limit: int, cursor: str | None,
                 provider_id: str | None) -> dict[str, Any]:
    rows = store.providers.configs(user_id, decode_cursor(cursor), limit, provider_id)
    return page_of(rows, limit, _config_out)


def get_config(store: Store, user_id: str, config_id: str) -> dict[str, Any]:
    return _config_out(_owned_config(store, user_id, config_id))


def update_config(store: Store, user_id: str, config_id: str, body: dict[str, Any]
                  ) -> dict[str, Any]:
    with store.transaction():
        _owned_config(store, user_id, config_id)
        changes = {k: body[k] for k in ("api_key", "default_model") if k in body}
        changes["updated_at"] = now()
        store.providers.change_config(config_id, changes)
    return get_config(store, user_id, config_id)


def delete_config(store: Store, user_id: str, config_id: str) -> None:
    with store.transaction():
        _owned_config(store, user_id, config_id)
        store.providers.delete_config(config_id)
