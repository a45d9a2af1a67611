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
        "tests/clients/flow_python.py", "tests/browser/event_source_page.html",
        "tests/clients/sse_events.ts", "tests/clients/flow_orval.ts", "tests/clients/kubb.config.ts",
        "tests/clients/kubb_client.ts", "tests/clients/flow_kubb.ts", "tests/clients/flow_zodios.ts"}
    for path, text in listings:
        assert text == (ROOT / path).read_text(encoding="utf-8"), f"{path} differs from docs/frontend.md"


def test_the_documented_generator_flags_are_the_tested_ones():
    from tests.clients.test_generated_clients import TSCONFIG
    assert "--default-non-nullable=false" in DOC and TSCONFIG["compilerOptions"]["strict"] is True
    tested = (ROOT / "tests" / "clients" / "test_generated_clients.py").read_text(encoding="utf-8")
    for flag in ("--default-non-nullable=false", "@hey-api/client-fetch", '"--meta", "none"',
                 '"--client", "fetch"', '"--export-schemas"'):
        assert flag in tested


def test_the_documented_versions_are_the_pinned_ones():
    import json
    pinned = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    for package, shown in (("orval", "orval {}"), ("@kubb/cli", "Kubb {}"),
                           ("openapi-zod-client", "openapi-zod-client {}")):
        assert shown.format(pinned[package]) in DOC, package
