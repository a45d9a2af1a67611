"""The shared provider catalogue and each user's provider configurations."""

from __future__ import annotations

from typing import Any

from .base import Repository

__all__ = ["Providers"]


class Providers(Repository):
    def by_id(self, provider_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM providers WHERE id = ?", provider_id)

    def name_taken(self, name_key: str) -> bool:
        return bool(self.db.one("SELECT 1 AS x FROM providers WHERE name_key = ?", name_key))

    def add(self, row: dict[str, Any], ignore: bool = False) -> None:
        self.db.insert("providers", row, ignore=ignore)

    def page(self, after: int | None, limit: int) -> list[dict[str, Any]]:
        return self.db.page("SELECT * FROM providers WHERE 1 = 1", [], after, limit)

    # -- configurations -------------------------------------------------------------------------

    def config(self, user_id: str, config_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM provider_configs WHERE id = ? AND user_id = ?",
                           config_id, user_id)

    def has_config(self, user_id: str, provider_id: str) -> bool:
        return bool(self.db.one("SELECT 1 AS x FROM provider_configs WHERE user_id = ? AND "
                                "provider_id = ?", user_id, provider_id))

    def add_config(self, row: dict[str, Any], ignore: bool = False) -> None:
        self.db.insert("provider_configs", row, ignore=ignore)

    def configs(self, user_id: str, after: int | None, limit: int, provider_id: str | None
                ) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM provider_configs WHERE user_id = ?", [user_id]
        if provider_id is not None:
            sql, args = sql + " AND provider_id = ?", [*args, provider_id]
        return self.db.page(sql, args, after, limit)

    def change_config(self, config_id: str, changes: dict[str, Any]) -> None:
        self.db.update("provider_configs", config_id, changes)

    def delete_config(self, config_id: str) -> None:
        self.db.run("DELETE FROM provider_configs WHERE id = ?", config_id)
