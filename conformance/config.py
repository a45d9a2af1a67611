"""Run configuration. Precedence: command-line flags, then CHAT_API_* variables, then a config file."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chat_contract.contract_source import ContractSource, SourceError, load_contract
from chat_contract.resources import spec_path

from .errors import ConfigurationError

__all__ = ["Config", "resolve", "FIELDS", "load_spec"]

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
    "replay_dir": "CHAT_API_REPLAY_DIR",
    "json": "CHAT_API_JSON",
    "spec": "CHAT_API_SPEC",
    "keep_data": "CHAT_API_KEEP_DATA",
    "consumer": "CHAT_API_CONSUMER",
}

# The contract's paths carry this prefix, so --base-url is the server root without it.
API_PREFIX = "/api/v1"


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
    replay_dir: str | None = None
    json: str | None = None
    spec: str | None = None
    # Leave what the run created on the deployment (by default it is deleted at the end).
    keep_data: bool = False
    # A consumer profile (consumer_focus.py): judge only what that frontend uses.
    consumer: str | None = None


def cache_dir() -> Path:
    """The user's cache folder for the suite (XDG_CACHE_HOME, else ~/.cache): Hypothesis'
    example database goes there, not into whatever folder the suite was started from."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chat-contract"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_accounts(merged: dict[str, Any]) -> None:
    """Two distinct users are needed: ownership requirements compare what each may see."""
    for kind in ("username", "token"):
        first, second = merged.get(kind), merged.get(f"{kind}_2")
        if first and second and first == second:
            given = f"both {first!r}" if kind == "username" else "both the same token"
            raise ConfigurationError(
                f"{_flag(kind)} and {_flag(kind + '_2')} name one account ({given}): "
                "the suite needs two different test users, because ownership requirements check that "
                f"one user cannot read the other's data; pass a second account with {_flag('username_2')} "
                f"and {_flag('password_2')} (or {_flag('token_2')})")


def _check_base_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"base URL {url!r} must start with http:// or https://")
    if url.rstrip("/").endswith(API_PREFIX):
        root = url.rstrip("/")[: -len(API_PREFIX)]
        raise ConfigurationError(
            f"base URL {url!r} ends with {API_PREFIX}, but the contract's paths already start with it "
            f"(requests would go to {url.rstrip('/')}{API_PREFIX}/...): pass the server root, "
            f"--base-url {root}")


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
    _check_base_url(str(merged["base_url"]))
    for n in ("", "_2"):
        if not merged.get(f"token{n}") and not (merged.get(f"username{n}") and merged.get(f"password{n}")):
            which = "first" if not n else "second"
            raise ConfigurationError(
                f"no credentials for the {which} test user: pass --username{n.replace('_', '-')} and "
                f"--password{n.replace('_', '-')} (CHAT_API_USERNAME{n.upper()}/CHAT_API_PASSWORD{n.upper()}) "
                f"or --token{n.replace('_', '-')} (CHAT_API_TOKEN{n.upper()})"
            )
    _check_accounts(merged)
    merged["keep_data"] = str(merged.get("keep_data", False)).lower() in ("1", "true", "yes")
    if "seed" in merged:
        try:
            merged["seed"] = int(merged["seed"])
        except ValueError as exc:
            raise ConfigurationError(f"seed must be an integer, got {merged['seed']!r}") from exc
    merged["only"] = _areas(merged.get("only"))
    merged["skip"] = _areas(merged.get("skip"))
    merged["base_url"] = str(merged["base_url"]).rstrip("/")
    return Config(**merged)


def load_spec(config: Config) -> ContractSource:
    """The contract `--spec` names: a file, a released version or a git revision (the bundled
    one by default)."""
    try:
        return load_contract(config.spec or spec_path())
    except SourceError as exc:
        raise ConfigurationError(f"--spec: {exc}") from exc
