"""The ingestion audit and log summary, for people (rich and Markdown)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from gosupr.report import markdown
from gosupr.report.i18n import fmt_duration, t


def audit_rows(audit: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    rows = [
        (t("file", lang), str(audit.get("source", ""))),
        (t("format", lang), str(audit.get("format", ""))),
    ]
    if audit.get("sheet"):
        rows.append((t("sheet", lang), str(audit["sheet"])))
    if audit.get("encoding"):
        rows.append((t("encoding", lang), str(audit["encoding"])))
    if audit.get("delimiter"):
        rows.append((t("delimiter", lang), repr(audit["delimiter"])))
    if audit.get("columns"):
        rows.append((t("columns", lang), ", ".join(f"{t('role_' + k, lang)}={v}" for k, v in audit["columns"].items())))
    rows += [
        (t("rows_read", lang), f"{audit.get('rows_read', 0):,}"),
        (t("rows_kept", lang), f"{audit.get('rows_kept', 0):,}"),
    ]
    dropped = audit.get("dropped") or {}
    total = sum(dropped.values())
    detail = ", ".join(f"{t(k, lang)}: {v:,}" for k, v in dropped.items() if v)
    rows.append((t("rows_dropped", lang), f"{total:,}" + (f" ({detail})" if detail else "")))
    if audit.get("time_zone"):
        rows.append((t("time_zone", lang), str(audit["time_zone"])))
    if audit.get("reordered"):
        rows.append((t("reordered", lang), t("yes", lang)))
    if audit.get("start"):
        rows.append((t("time_span", lang), f"{audit['start'][:16]} … {audit['end'][:16]}"))
    return rows


def summary_rows(summary: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    return [
        (t("cases", lang), f"{summary['cases']:,}"),
        (t("events", lang), f"{summary['events']:,}"),
        (t("activities", lang), f"{summary['activities']:,}"),
        (t("variants", lang), f"{summary['variants']:,}"),
        (t("median_duration", lang), fmt_duration(summary.get("median_case_duration_s"), lang)),
        (t("p90_duration", lang), fmt_duration(summary.get("p90_case_duration_s"), lang)),
    ]


def kv_table(title: str, rows: list[tuple[str, str]]) -> Table:
    tab = Table(title=title, show_header=False, title_justify="left")
    tab.add_column(style="bold")
    tab.add_column()
    for k, v in rows:
        tab.add_row(k, v)
    return tab


def kv_markdown(title: str, rows: list[tuple[str, str]], lang: str) -> str:
    return f"### {title}\n\n" + markdown.table([t("metric", lang), t("value", lang)], rows)
