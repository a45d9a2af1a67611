"""Run configuration. Precedence: command-line flags, then CHAT_API_* variables, then a config file."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigurationError

__all__ = ["Config", "resolve", "FIELDS"]

# field name -> environment variable; flags use the field name with dashes.
FIELDS = {
    "base_url": "CHAT_API_BASE_URL",
    "username": "CHAT_API_USERNAME",
    "password": "CHAT_API_PASSWORD",
    "username_2": "CHAT_API_USERNAME_2",
    "password_2": "CHAT_API_PASSWORD_2",
    "token": "CHAT_API_TOKEN",
    "token_2": "CHAT_API_TOKEN_2",
    "profile": "CHAT_API_PROFILE",
    "only": "CHAT_API_ONLY",
    "skip": "CHAT_API_SKIP",
    "seed": "CHAT_API_SEED",
    "junit_xml": "CHAT_API_JUNIT_XML",
    "html": "CHAT_API_HTML",
    "json": "CHAT_API_JSON",
    "spec": "CHAT_API_SPEC",
}


@dataclass(frozen=True, kw_only=True)
class Config:
    base_url: str
    username: str | None = None
    password: str | None = None
    username_2: str | None = None
    password_2: str | None = None
    token: str | None = None
    token_2: str | None = None
    profile: str = "ci"
    only: frozenset[str] = field(default_factory=frozenset)
    skip: frozenset[str] = field(default_factory=frozenset)
    seed: int | None = None
    junit_xml: str | None = None
    html: str | None = None
    json: str | None = None
    spec: str | None = None


def _read_file(path: str) -> dict[str, Any]:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text) if file.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"config file {path} is not valid: {exc}") from exc
    data = data or {}
    # A pyproject-style table is accepted as well as a flat file.
    data = data.get("tool", {}).get("chat-contract", data) if isinstance(data, dict) else data
    if not isinstance(data, dict):
        raise ConfigurationError(f"config file {path} must hold a mapping of settings")
    unknown = set(k.replace("-", "_") for k in data) - set(FIELDS)
    if unknown:
        raise ConfigurationError(f"config file {path}: unknown settings {', '.join(sorted(unknown))}")
    return {k.replace("-", "_"): v for k, v in data.items()}


def _areas(value: Any) -> frozenset[str]:
    if not value:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else list(value)
    return frozenset(str(item).strip() for item in items if str(item).strip())


def resolve(
    flags: Mapping[str, Any], environ: Mapping[str, str] | None = None, config_file: str | None = None
) -> Config:
    """Merge the three sources; the first that sets a value wins."""
    environ = os.environ if environ is None else environ
    from_file = _read_file(config_file) if config_file else {}
    merged: dict[str, Any] = {}
    for name, variable in FIELDS.items():
        for source in (flags.get(name), environ.get(variable), from_file.get(name)):
            if source not in (None, "", ()):
                merged[name] = source
                break
    if not merged.get("base_url"):
        raise ConfigurationError(
            "no base URL: pass --base-url URL, set CHAT_API_BASE_URL or base_url in the config file"
        )
    if not str(merged["base_url"]).startswith(("http://", "https://")):
        raise ConfigurationError(f"base URL {merged['base_url']!r} must start with http:// or https://")
    for n in ("", "_2"):
        if not merged.get(f"token{n}") and not (merged.get(f"username{n}") and merged.get(f"password{n}")):
            which = "first" if not n else "second"
            raise ConfigurationError(
                f"no credentials for the {which} test user: pass --username{n.replace('_', '-')} and "
                f"--password{n.replace('_', '-')} (CHAT_API_USERNAME{n.upper()}/CHAT_API_PASSWORD{n.upper()}) "
                f"or --token{n.replace('_', '-')} (CHAT_API_TOKEN{n.upper()})"
            )
    if "seed" in merged:
        try:
            merged["seed"] = int(merged["seed"])
        except ValueError as exc:
            raise ConfigurationError(f"seed must be an integer, got {merged['seed']!r}") from exc
    merged["only"] = _areas(merged.get("only"))
    merged["skip"] = _areas(merged.get("skip"))
    merged["base_url"] = str(merged["base_url"]).rstrip("/")
    return Config(**merged)
