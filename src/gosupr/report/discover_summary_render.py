"""`gosupr discover --engine …` output: the gosupr.discover-summary/2 JSON, terminal and Markdown.

Everything but the `engine` key is computed from the `LogSummary`, so it is identical whichever
engine built the summary; `engine` says which one did, the rows it scanned and the peak memory.
/2: the findings and the before/after reduction, computed from the summary's paths (the log block
says how: `computed_from`, `exactness`), where /1 had `findings: null`.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from gosupr.mining.discover_summary import SummaryDiscoverResult
from gosupr.report import jsondoc, markdown
from gosupr.report.audit import kv_markdown, kv_table, summary_rows
from gosupr.report.i18n import t

SCHEMA = "gosupr.discover-summary/2"
#: the one key that may differ between engines (name, rows scanned, peak memory)
ENGINE_KEY = "engine"


def document(res: SummaryDiscoverResult) -> dict[str, Any]:
    from gosupr.engines import peak_rss_mib
    from gosupr.mining.discover_summary import log_section, method, stats

    s = res.summary
    run = res.run.to_dict()
    run["peak_rss_mib"] = round(peak_rss_mib(), 1)  # after discovery too: the run's own high-water mark
    log = log_section(s)
    body: dict[str, Any] = {
        "log": log,
        "summary": stats(s),
        "model": {"noise_threshold": res.noise, "method": method(s), **res.model.summary()},
        "output": str(res.output) if res.output else None,
        "findings_headline": None,
        "findings": None,
        "reduction": None,
    }
    if res.findings is not None:
        from gosupr.mining.waste.analyze import waste_totals
        from gosupr.mining.waste.summary_facts import EXACTNESS

        log.update(computed_from="log summary (paths)", exactness=EXACTNESS, paths=len(s.paths or ()))
        body["findings_headline"] = waste_totals(res.findings, facts=res.facts)
        body["findings"] = [f.to_dict() for f in res.findings]
    if res.reduction is not None:
        from gosupr.report.reduce_render import document_body

        body["reduction"] = document_body(res.reduction)
    body[ENGINE_KEY] = run
    return jsondoc.document(SCHEMA, body)


def to_json(res: SummaryDiscoverResult) -> str:
    return jsondoc.dumps(document(res))


def _rows(res: SummaryDiscoverResult, lang: str) -> list[tuple[str, str]]:
    from gosupr.mining.discover_summary import stats

    s = res.summary
    rows = [(t("file", lang), s.source), ("engine", res.run.engine), ("rows", f"{s.rows_scanned:,}")]
    rows += [(k, f"{v:,}") for k, v in dict(s.dropped).items()]
    rows += summary_rows(stats(s), lang)
    m = res.model.summary()
    rows += [(t("tasks", lang), str(m["tasks"])), (t("gateways", lang), str(m["gateways"]))]
    if res.output:
        rows.append((t("written", lang), str(res.output)))
    return rows


def to_terminal(res: SummaryDiscoverResult, console: Console, lang: str) -> None:
    console.print(kv_table(t("summary", lang), _rows(res, lang)))
    from gosupr.mining.waste.analyze import waste_totals
    from gosupr.report import findings_render, reduce_render

    if res.findings is not None:
        findings_render.to_terminal(res.findings, waste_totals(res.findings, facts=res.facts), console, lang)
    if res.reduction is not None:
        reduce_render.to_terminal(res.reduction, console, lang)


def to_markdown(res: SummaryDiscoverResult, lang: str) -> str:
    parts = [f"## gosupr discover: {markdown.text(res.summary.source)}\n\n" + kv_markdown(
        t("summary", lang), _rows(res, lang), lang)]
    from gosupr.mining.waste.analyze import waste_totals
    from gosupr.report import findings_render, reduce_render

    if res.findings is not None:
        parts.append(findings_render.to_markdown(res.findings, waste_totals(res.findings, facts=res.facts), lang))
    if res.reduction is not None:
        parts.append(reduce_render.to_markdown(res.reduction, lang))
    return "\n".join(parts)
