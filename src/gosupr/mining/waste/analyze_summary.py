"""`analyze --engine`: the waste findings computed from a `LogSummary` instead of events.

The same detectors read the summary's paths (cases with one activity and one department
sequence), each weighted by its cases (`LogFacts.of_summary`), so a log too big for one machine is
analysed where it lives and every engine gives the same document. What that costs in exactness is
stated in the document (`summary_facts.EXACTNESS`): counts, shares, outcomes and the equivalence
tests are exact; times inside a path are its means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gosupr.engines.summary import LogSummary
from gosupr.mining.findings import Finding
from gosupr.mining.waste.analyze import AnalyzeConfig, analyze_facts, findings_document
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.summary_facts import EXACTNESS

#: the one key that differs between engines (name, rows scanned, peak memory)
ENGINE_KEY = "engine"


@dataclass
class SummaryAnalyzeResult:
    summary: LogSummary
    run: Any  # engines.RunInfo
    findings: list[Finding]
    facts: LogFacts


def analyze_summary(summary: LogSummary, config: AnalyzeConfig | None = None,
                    protect: list[str] | None = None) -> tuple[list[Finding], LogFacts]:
    """Every selected detector over the summary's paths; worst first, deterministic."""
    facts = LogFacts.of_summary(summary)
    return analyze_facts(facts, config, protect), facts


def summary_findings_document(res: SummaryAnalyzeResult) -> dict[str, Any]:
    """The gosupr.findings/2 document from a summary: the log block says what was read and how the
    findings were computed; `engine` is the only key that depends on the engine."""
    from gosupr.engines import peak_rss_mib
    from gosupr.mining.discover_summary import log_section

    block = {**log_section(res.summary), "computed_from": "log summary (paths)", "exactness": EXACTNESS,
             "paths": len(res.summary.paths or ())}
    doc = findings_document(res.findings, facts=res.facts, log_block=block)
    run = res.run.to_dict()
    run["peak_rss_mib"] = round(peak_rss_mib(), 1)
    doc[ENGINE_KEY] = run
    return doc
