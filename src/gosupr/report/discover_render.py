"""`gosupr discover` output: terminal tables, Markdown and the gosupr.discover/1 JSON document."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from gosupr.mining.results import DiscoverResult
from gosupr.report import jsondoc, markdown
from gosupr.report.audit import audit_rows, kv_markdown, kv_table, summary_rows
from gosupr.report.i18n import t


def document(res: DiscoverResult) -> dict[str, Any]:
    from gosupr.mining.discover import discovery_method
    from gosupr.mining.waste.analyze import waste_totals

    body: dict[str, Any] = {
        "log": res.log.audit.to_dict(),
        "summary": res.summary.to_dict(),
        "model": {"noise_threshold": res.noise, "method": discovery_method(res.log), **res.model.summary()},
        "output": str(res.output) if res.output else None,
        "findings_headline": waste_totals(res.findings, res.log),
        "findings": [f.to_dict() for f in res.findings],
    }
    if res.reduction is not None:
        from gosupr.report.reduce_render import document_body

        body["reduction"] = document_body(res.reduction)
    return jsondoc.document("gosupr.discover/1", body)


def to_json(res: DiscoverResult) -> str:
    return jsondoc.dumps(document(res))


def _model_rows(res: DiscoverResult, lang: str) -> list[tuple[str, str]]:
    s = res.model.summary()
    rows = [
        (t("tasks", lang), str(s["tasks"])),
        (t("gateways", lang), str(s["gateways"])),
        (t("sequence_flows", lang), str(s["sequence_flows"])),
    ]
    if res.output:
        rows.append((t("written", lang), str(res.output)))
    return rows


def to_terminal(res: DiscoverResult, console: Console, lang: str) -> None:
    console.print(kv_table(t("audit", lang), audit_rows(res.log.audit.to_dict(), lang)))
    console.print(kv_table(t("summary", lang), summary_rows(res.summary.to_dict(), lang)))
    console.print(kv_table(t("model", lang), _model_rows(res, lang)))
    from gosupr.mining.waste.analyze import waste_totals
    from gosupr.report import findings_render, reduce_render

    findings_render.to_terminal(res.findings, waste_totals(res.findings, res.log), console, lang)
    if res.reduction is not None:
        reduce_render.to_terminal(res.reduction, console, lang)


def to_markdown(res: DiscoverResult, lang: str) -> str:
    parts = [
        f"## gosupr discover: {markdown.text(res.log.audit.source)}\n",
        kv_markdown(t("summary", lang), summary_rows(res.summary.to_dict(), lang), lang),
        kv_markdown(t("model", lang), _model_rows(res, lang), lang),
        kv_markdown(t("audit", lang), audit_rows(res.log.audit.to_dict(), lang), lang),
    ]
    from gosupr.mining.waste.analyze import waste_totals
    from gosupr.report import findings_render, reduce_render

    parts.append(findings_render.to_markdown(res.findings, waste_totals(res.findings, res.log), lang))
    if res.reduction is not None:
        parts.append(reduce_render.to_markdown(res.reduction, lang))
    return "\n".join(parts)
