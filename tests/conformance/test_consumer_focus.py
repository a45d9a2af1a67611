"""`chat-contract check --consumer PROFILE`: the suite judges only the requirements covering the
operations that consumer uses, and every report names them."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import yaml

from conformance.cli import main
from conformance.requirements import load

from .fake_server import ServerThread, build_app
from .test_cli import FLAGS


def _profile(tmp_path, operations):
    path = tmp_path / "catalogue-ui.yaml"
    path.write_text(yaml.safe_dump({"consumer": "catalogue-ui", "identified_by": "header X-Consumer",
                                    "operations": {op: {"statuses": ["200"]} for op in operations}}))
    return path


def test_check_focuses_on_the_consumers_operations(tmp_path, capsys):
    profile = _profile(tmp_path, ["listProviders", "getProvider"])
    with ServerThread(build_app(frozenset())) as server:
        code = main(["--base-url", server.url, *FLAGS, "--profile", "smoke", "--consumer", str(profile),
                     "--skip", "model,stateful", "--json", str(tmp_path / "r.json"),
                     "--junit-xml", str(tmp_path / "r.xml"), "--html", str(tmp_path / "r.html")])
    out = capsys.readouterr().out
    assert code == 0, out
    _, requirements = load()
    covering = [r.id for r in requirements
                if "*" in r.operations or {"listProviders", "getProvider"} & set(r.operations)]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["consumer"] == {"name": "catalogue-ui", "operations": ["getProvider", "listProviders"],
                                  "requirements": covering}
    outcomes = {r["id"]: (r["outcome"], r["reason"]) for r in report["requirements"]}
    assert any(rid.startswith("PROV-") and outcomes[rid][0] == "pass" for rid in covering)
    assert outcomes["CONV-001"] == ("skip", "not selected")  # a conversation requirement: not this consumer's
    assert "focused on consumer catalogue-ui" in out
    props = {p.get("name"): p.get("value") for p in ET.parse(tmp_path / "r.xml").getroot().find("properties")}
    assert props["consumer"] == "catalogue-ui" and props["consumer_requirements"] == ",".join(covering)
    assert "focused on consumer catalogue-ui" in (tmp_path / "r.html").read_text()


def test_a_profile_naming_no_operation_of_the_contract_is_refused(tmp_path, capsys):
    profile = _profile(tmp_path, ["listWidgets"])
    with ServerThread(build_app(frozenset())) as server:
        code = main(["--base-url", server.url, *FLAGS, "--profile", "smoke", "--consumer", str(profile)])
    assert code == 2
    assert "names no operation of the contract" in capsys.readouterr().err
