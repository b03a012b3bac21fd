"""`gosupr discover --engine …` output: the gosupr.discover-summary/1 JSON, terminal and Markdown.

Everything but the `engine` key is computed from the `LogSummary`, so it is identical whichever
engine built the summary; `engine` says which one did, the rows it scanned and the peak memory.
Findings and the before/after report still need the per-event path (`discover` without --engine).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from gosupr.engines.discovery import SummaryDiscoverResult
from gosupr.report import jsondoc, markdown
from gosupr.report.audit import kv_markdown, kv_table, summary_rows
from gosupr.report.i18n import t

SCHEMA = "gosupr.discover-summary/1"
#: the one key that may differ between engines (name, rows scanned, peak memory)
ENGINE_KEY = "engine"


def document(res: SummaryDiscoverResult) -> dict[str, Any]:
    from gosupr.engines import peak_rss_mib
    from gosupr.engines.discovery import log_section, method, stats

    s = res.summary
    run = res.run.to_dict()
    run["peak_rss_mib"] = round(peak_rss_mib(), 1)  # after discovery too: the run's own high-water mark
    return jsondoc.document(SCHEMA, {
        "log": log_section(s),
        "summary": stats(s),
        "model": {"noise_threshold": res.noise, "method": method(s), **res.model.summary()},
        "output": str(res.output) if res.output else None,
        "findings": None,
        "findings_note": "findings and the before/after report are computed on the per-event path: "
                         "run discover without --engine",
        ENGINE_KEY: run,
    })


def to_json(res: SummaryDiscoverResult) -> str:
    return jsondoc.dumps(document(res))


def _rows(res: SummaryDiscoverResult, lang: str) -> list[tuple[str, str]]:
    from gosupr.engines.discovery import stats

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


def to_markdown(res: SummaryDiscoverResult, lang: str) -> str:
    return f"## gosupr discover: {markdown.text(res.summary.source)}\n\n" + kv_markdown(
        t("summary", lang), _rows(res, lang), lang)
