"""junit.xml: one test case per input (`<input> :: process`) and per gate (`<input> :: gate <name>`).

Jenkins, GitLab and GitHub read this format natively, so a failing gate shows up as a failed test
in the pipeline page. The file follows the Jenkins/Ant JUnit format (see tests/data/junit/): a bad
input is an <error>, a failed gate a <failure>, a gate not evaluated because its input failed is
<skipped>. Times are written only with timings (they would break byte-identical reruns).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gosupr.batch.runner import BatchResult

SUITE = "gosupr"
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def junit_bytes(result: BatchResult) -> bytes:
    """The JUnit XML document, UTF-8, stable byte for byte across reruns."""
    from lxml import etree

    from gosupr._pm4py import version
    from gosupr._version import __version__
    from gosupr.batch.gates import applicable

    timed = result.seconds is not None
    cases: list[etree._Element] = []
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for r in result.inputs:
        case = _case(r["input"], "process", r["kind"], r.get("seconds") if timed else None)
        if r["status"] == "failed":
            _outcome(case, "error", "input" if not str(r["reason"]).startswith("internal error") else "internal", r["reason"])
            counts["errors"] += 1
        cases.append(case)
        if r["status"] == "failed":
            for name in applicable(result.config.gates, r["kind"]) if r["kind"] != "missing" else result.config.gates.names():
                skip = _case(r["input"], f"gate {name}", r["kind"], 0.0 if timed else None)
                _outcome(skip, "skipped", None, "not evaluated: the input could not be processed")
                counts["skipped"] += 1
                cases.append(skip)
        for g in r.get("gates") or []:
            gc = _case(r["input"], f"gate {g['name']}", r["kind"], 0.0 if timed else None)
            if not g["passed"]:
                _outcome(gc, "failure", "gate", g["message"], _details(r["input"], g))
                counts["failures"] += 1
            cases.append(gc)
    counts["tests"] = len(cases)

    root = etree.Element("testsuites", name=f"{SUITE} batch", **{k: str(counts[k]) for k in ("tests", "failures", "errors")})
    suite = etree.SubElement(root, "testsuite", name=SUITE, **{k: str(v) for k, v in counts.items()})
    if timed:
        root.set("time", _secs(result.seconds))
        suite.set("time", _secs(result.seconds))
    props = etree.SubElement(suite, "properties")
    for name, value in (
        ("gosupr.version", __version__),
        ("pm4py.version", version()),
        ("config", _clean(_config_label(result))),
        ("exit_code", str(result.exit_code)),
    ):
        etree.SubElement(props, "property", name=name, value=value)
    suite.extend(cases)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def _case(label: str, what: str, kind: str, seconds: float | None) -> Any:
    from lxml import etree

    el = etree.Element("testcase", name=_clean(f"{label} :: {what}"), classname=f"{SUITE}.{kind}")
    if seconds is not None:
        el.set("time", _secs(seconds))
    return el


def _outcome(case: Any, tag: str, type_: str | None, message: str | None, text: str | None = None) -> None:
    from lxml import etree

    el = etree.SubElement(case, tag)
    if type_:
        el.set("type", type_)
    if message:
        el.set("message", _clean(message))
    if text:
        el.text = _clean(text)


def _details(label: str, gate: dict[str, Any]) -> str:
    limit = gate["threshold"]
    limit = ", ".join(map(str, limit)) if isinstance(limit, list) else limit
    return f"input: {label}\ngate: {gate['name']}\nvalue: {gate['value']}\nthreshold: {limit}\n{gate['message']}\n"


def _config_label(result: BatchResult) -> str:
    from gosupr.batch.outputs import display_path

    return display_path(result.config.source) if result.config.source else "(defaults)"


def _clean(text: str) -> str:
    """XML 1.0 cannot hold control characters; a reason quoting a binary file may contain some."""
    return _NOT_XML.sub("\ufffd", str(text))


def _secs(v: float | None) -> str:
    return f"{(v or 0.0):.3f}"
