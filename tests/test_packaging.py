"""The package list in pyproject.toml names every Python package, so installs carry them all."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_directory_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("chat_contract", "reference_impl", "conformance")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert sorted(found - listed) == []


def test_the_contract_and_fixtures_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["package-dir"] == {
        "chat_contract.spec": "spec",
        "chat_contract.fixtures": "fixtures",
    }


def test_the_servers_own_data_files_are_package_data():
    """The console's page (reference_impl/mock/console.html) ships with an installed server."""
    import fnmatch

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    files = [f for f in (ROOT / "reference_impl").rglob("*")
             if f.is_file() and f.suffix not in (".py", ".pyc") and "__pycache__" not in f.parts]
    assert files
    for file in files:
        package = ".".join(file.parent.relative_to(ROOT).parts)
        assert any(fnmatch.fnmatch(file.name, pattern) for pattern in data.get(package, [])), file
