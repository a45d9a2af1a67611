"""docs/frontend.md shows the code the tests run: each `file=` listing equals that file."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "frontend.md").read_text(encoding="utf-8")
LISTING = re.compile(r"^```\w+ file=(\S+)\n(.*?)^```$", re.M | re.S)


def test_every_listing_is_the_file_the_tests_run():
    listings = LISTING.findall(DOC)
    assert {path for path, _ in listings} == {
        "tests/clients/flow_openapi_fetch.ts", "tests/clients/flow_hey_api.ts",
        "tests/clients/flow_python.py", "tests/browser/event_source_page.html"}
    for path, text in listings:
        assert text == (ROOT / path).read_text(encoding="utf-8"), f"{path} differs from docs/frontend.md"


def test_the_documented_generator_flags_are_the_tested_ones():
    from tests.clients.test_generated_clients import TSCONFIG
    assert "--default-non-nullable=false" in DOC and TSCONFIG["compilerOptions"]["strict"] is True
    tested = (ROOT / "tests" / "clients" / "test_generated_clients.py").read_text(encoding="utf-8")
    for flag in ("--default-non-nullable=false", "@hey-api/client-fetch", '"--meta", "none"'):
        assert flag in tested
