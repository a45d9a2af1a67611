"""Every report names the contract it judged against (title, version, SHA-256), and `--spec`
takes a released version or a git revision as well as a file."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from chat_contract.contract_source import releases
from conformance.cli import main

from .fake_server import ServerThread, build_app
from .test_cli import FLAGS

ROOT = Path(__file__).resolve().parents[2]


def _check(tmp_path: Path, spec: str, capsys) -> tuple[str, dict[str, str]]:  # noqa: ANN001
    with ServerThread(build_app(frozenset())) as server:
        code = main(["--base-url", server.url, *FLAGS, "--profile", "smoke", "--only", "providers", "--spec", spec,
                     "--junit-xml", str(tmp_path / "r.xml"), "--html", str(tmp_path / "r.html"),
                     "--json", str(tmp_path / "r.json")])
    assert code == 0
    out = capsys.readouterr().out
    return out, {"json": (tmp_path / "r.json").read_text(), "xml": (tmp_path / "r.xml").read_text(),
                 "html": (tmp_path / "r.html").read_text()}


def test_every_report_names_a_released_contract_by_title_version_and_hash(tmp_path, capsys):
    version, path = max(releases().items())
    text = path.read_bytes()
    sha = hashlib.sha256(text).hexdigest()
    title = yaml.safe_load(text)["info"]["title"]
    out, reports = _check(tmp_path, version, capsys)
    assert f"judged against contract: {title} {version} (SHA-256 {sha}" in out
    contract = json.loads(reports["json"])["contract"]
    assert (contract["title"], contract["version"], contract["sha256"]) == (title, version, sha)
    props = {p.get("name"): p.get("value") for p in ET.fromstring(reports["xml"]).find("properties")}
    assert (props["contract_title"], props["contract_version"], props["contract_sha256"]) == (title, version, sha)
    assert f"{title} {version} (SHA-256 {sha}" in reports["html"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_spec_takes_a_git_revision(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    shown = subprocess.run(["git", "show", "HEAD:spec/openapi.yaml"], capture_output=True, check=False)
    if shown.returncode != 0:
        pytest.skip("not a git checkout")
    out, reports = _check(tmp_path, "HEAD:spec/openapi.yaml", capsys)
    contract = json.loads(reports["json"])["contract"]
    assert contract["sha256"] == hashlib.sha256(shown.stdout).hexdigest()
    assert contract["source"] == "git HEAD:spec/openapi.yaml"
    assert "git HEAD:spec/openapi.yaml" in out


def test_spec_that_names_nothing_is_a_configuration_error(capsys):
    with ServerThread(build_app(frozenset())) as server:
        code = main(["--base-url", server.url, *FLAGS, "--profile", "smoke", "--only", "providers",
                     "--spec", "9.9.9"])
    assert code == 2
    assert "no released contract 9.9.9" in capsys.readouterr().err
