"""JUnit XML: one test case per requirement, its id in the name and as a property."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from ..redaction import redact
from ..results import Outcome, RunResult


def build(result: RunResult) -> ET.Element:
    counts = result.counts()
    suite = ET.Element("testsuite", name="chat-contract conformance", tests=str(len(result.results)),
                      failures=str(counts["fail"]), skipped=str(counts["skip"] + counts["unsupported"]),
                      errors="0", time=f"{result.duration:.3f}")
    props = ET.SubElement(suite, "properties")
    contract = [(f"contract_{key}", result.contract.get(key, "")) for key in ("title", "version", "sha256", "source")]
    if result.consumer:
        contract += [("consumer", result.consumer["name"]),
                     ("consumer_requirements", ",".join(result.consumer["requirements"]))]
    for name, value in [("base_url", result.base_url), ("profile", result.profile), ("seed", str(result.seed)),
                        *contract]:
        ET.SubElement(props, "property", name=name, value=value)
    for item in result.results:
        req = item.requirement
        case = ET.SubElement(suite, "testcase", classname=f"conformance.{req.area}",
                             name=f"{req.id} {req.statement}", time=f"{item.duration:.3f}")
        case_props = ET.SubElement(case, "properties")
        for name, value in (("requirement", req.id), ("area", req.area), ("mandatory", str(req.mandatory).lower()),
                            ("outcome", item.outcome.value)):
            ET.SubElement(case_props, "property", name=name, value=value)
        if item.outcome is Outcome.FAIL:
            failure = ET.SubElement(case, "failure", message=f"{req.id}: {req.statement}")
            failure.text = "\n\n".join(f.message + (f"\nreplay: {f.curl}" if f.curl else "")
                                       + (f"\n\nreplay (pytest):\n{f.replay['pytest']}" if f.replay else "")
                                       for f in item.findings)
        elif item.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED):
            ET.SubElement(case, "skipped", message=f"{item.outcome.value}: {item.reason}")
    return suite


def write(result: RunResult, path: str) -> None:
    tree = ET.ElementTree(build(result))
    ET.indent(tree)
    text = ET.tostring(tree.getroot(), encoding="unicode")
    Path(path).write_text("<?xml version='1.0' encoding='utf-8'?>\n" + redact(text) + "\n",
                          encoding="utf-8")
