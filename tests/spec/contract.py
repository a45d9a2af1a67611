"""Helpers the contract tests share: loading the contract strictly and walking it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from chat_contract.resources import spec_dir, spec_path

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys, which PyYAML would silently overwrite."""


def _construct_mapping(loader: UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def load_contract() -> dict:
    return load_yaml(spec_path())


def load_spec_file(name: str) -> Any:
    return load_yaml(spec_dir() / name)


def resolve(document: dict, node: Any, pointer: str) -> tuple[Any, str]:
    """Follow local `$ref`s; return the target and its JSON pointer."""
    while isinstance(node, dict) and "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = document
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, pointer


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def operations(document: dict) -> Iterator[tuple[str, str, dict, str]]:
    """Every operation as (path, method, operation, JSON pointer)."""
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method], f"/paths/{escape(path)}/{method}"


def parameters(document: dict, path: str, operation: dict) -> list[dict]:
    """The resolved parameters of an operation, path-level ones included."""
    declared = document["paths"][path].get("parameters", []) + operation.get("parameters", [])
    return [resolve(document, p, "")[0] for p in declared]
