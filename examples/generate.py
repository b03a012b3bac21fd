"""Regenerate the example logs and their ground truth: ``python examples/generate.py [OUT_DIR]``.

The .xlsx needs xlsxwriter (the `test` extra). Deterministic: the same gosupr and xlsxwriter
versions write byte-identical files (tests/test_synth.py checks that the committed files in
examples/logs are what this script writes; a workbook part by part, whatever zlib compressed it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gosupr.synth import generator as synth
from gosupr.fileio import write_text

HERE = Path(__file__).resolve().parent

#: file, process, cases, seed, format
LOGS = (
    ("land_lease.csv", "land_lease", 400, 101, "ru"),
    ("construction_permit.csv", "construction_permit", 400, 202, "en"),
    ("memo_approval.xes", "memo_approval", 260, 303, "xes"),
    ("land_lease_journal.xlsx", "land_lease", 400, 101, "xlsx"),  # land_lease.csv as an Excel register
)
FORMATS = {
    "ru": {"type": "csv", "encoding": "cp1251", "delimiter": ";", "timestamp": "dd.mm.yyyy hh:mm",
           "headers": "ru", "order": "time", "line_end": "CRLF"},
    "en": {"type": "csv", "encoding": "utf-8", "delimiter": ",", "timestamp": "ISO 8601 (UTC)",
           "headers": "en", "order": "case", "line_end": "LF"},
    "xes": {"type": "xes", "encoding": "utf-8", "timestamp": "xs:dateTime (UTC)", "order": "case"},
    "xlsx": {"type": "xlsx", "sheet": synth.XLSX_SHEET, "headers": "ru",
             "layout": "a title row, a blank row, a two-row header with merged cells",
             "timestamp": f"Excel date cells dd.mm.yyyy hh:mm, every {synth.XLSX_TEXT_EVERY}th row as text and "
                          f"every {synth.XLSX_SERIAL_EVERY}th as a bare serial number",
             "order": "time"},
}  # fmt: skip
#: normative model + a log breaking it on purpose: process, cases, seed, log format
REGULATED = (
    ("land_lease", 400, 1101, "ru"),
    ("construction_permit", 300, 1202, "en"),
    ("memo_approval", 260, 1303, "en"),
)
KIND_RULES = {
    "self_loop": "cases where the activity directly follows itself",
    "rework": "cases where the first activity occurs more than once",
    "ping_pong": "cases with the pattern a → b → a (a, b the two activities, different departments)",
    "duplicate_step": "cases where the second activity directly follows the first",
    "redundant_approval": "cases with the approval (it is always directly followed by the same activity)",
    "bypassable_step": "cases with the step",
}


def build(out: Path) -> list[Path]:
    """Write every example log, its `<stem>.truth.json` and README.md into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written, truths = [], []
    for fname, process, n, seed, fmt in LOGS:
        df, truth = synth.generate(process, n, seed=seed)
        path = out / fname
        if fmt == "xes":
            synth.write_xes(df, path)
        elif fmt == "xlsx":
            synth.write_xlsx(df, path, truth["title"])
        else:
            synth.write_csv(df, path, dialect=fmt, order=FORMATS[fmt]["order"])
        truth["log"] = fname
        truth["format"] = dict(FORMATS[fmt])
        twin = next((f for f, *rest in LOGS if rest[:3] == [process, n, seed] and f != fname), None)
        if fmt == "xlsx" and twin:
            truth["format"]["same_log_as"] = twin
        tpath = out / f"{Path(fname).stem}.truth.json"
        write_text(tpath, json.dumps(truth, ensure_ascii=False, indent=2) + "\n")
        written += [path, tpath]
        truths.append(truth)
    from gosupr.synth.reform import write_after_examples  # AFTER periods for `gosupr compare BEFORE AFTER`

    after, after_readme = write_after_examples(out, FORMATS, LOGS)
    readme = out / "README.md"
    write_text(readme, render_readme(truths) + after_readme + render_regulation_readme())
    return written + after + build_regulation(out) + [readme]


def build_regulation(out: Path) -> list[Path]:
    """Per process: `<p>.normative.bpmn` (the regulation's order, written by gosupr),
    `<p>.regulation.toml` ([regulation] for `gosupr check --config`), `<p>.violations.csv` (a log
    with injected violations) and `<p>.violations.expected.json` (which cases got which)."""
    from gosupr.bpmn.writer import write_bpmn
    from gosupr.synth.regulation import generate_regulated, normative_model, regulation_toml

    written = []
    for process, n, seed, dialect in REGULATED:
        bpmn, toml, log = f"{process}.normative.bpmn", f"{process}.regulation.toml", f"{process}.violations.csv"
        write_bpmn(normative_model(process), out / bpmn)
        write_text(out / toml, regulation_toml(process, bpmn, log))
        df, truth = generate_regulated(process, n, seed)
        synth.write_csv(df, out / log, dialect=dialect, order="case")
        truth["log"], truth["model"], truth["regulation"] = log, bpmn, toml
        tpath = out / f"{process}.violations.expected.json"
        write_text(tpath, json.dumps(truth, ensure_ascii=False, indent=2) + "\n")
        written += [out / bpmn, out / toml, out / log, tpath]
    return written


def render_regulation_readme() -> str:
    return "\n".join([
        "",
        "## Regulations: normative models and logs that break them",
        "",
        "For `gosupr check`: per process a normative model written by gosupr in the regulation's order",
        "(`<name>.normative.bpmn`), its `[regulation]` (`<name>.regulation.toml`: mandatory steps, terms in",
        "working days), and a log run by that regulation with violations injected in known cases",
        "(`<name>.violations.csv`): skipped mandatory steps, two steps swapped, a late step. At most one",
        "violation per case; `<name>.violations.expected.json` (schema `gosupr.regulation-truth/1`) lists",
        "each violation with its cases. Untouched cases keep every step-to-step term (the generator checks",
        "it on the production calendar). Try:",
        "`gosupr check land_lease.violations.csv --config land_lease.regulation.toml`.",
        "",
    ])


def render_readme(truths: list[dict]) -> str:
    lines = [
        "# Example logs (synthetic, with ground truth)",
        "",
        "Generated by `python examples/generate.py` from `gosupr.synth.generator` — do not edit by hand: the tests",
        "regenerate them and compare bytes. Each log is one ministry process with essential behaviour",
        "(XOR outcomes, a parallel block, waiting times of minutes to days in working hours) and",
        "deliberately injected waste. The sidecar `<name>.truth.json` (schema `gosupr.truth/1`) lists",
        "each waste pattern with the number of cases it really affects in the file, the activities that",
        "must never be marked removable (`essential`), and the outcome counts. Removing every waste event",
        "leaves each case's outcome unchanged: outcomes are decided only by essential steps. Essential",
        "look-alikes exist on purpose (checks and approvals that do reject sometimes), so flagging every",
        "«Проверка» or «Согласование» is wrong.",
        "",
        "How `cases_affected` is counted, per kind:",
        "",
    ]
    lines += [f"- `{k}`: {v}" for k, v in KIND_RULES.items()]
    lines += ["", "`events` is the number of removable events of the pattern (for loops: the extra rounds only)."]
    for t in truths:
        f = t["format"]
        if f["type"] == "xlsx":
            fmt = (f"Excel workbook, sheet «{f['sheet']}»: {f['layout']}, {f['headers']} headers; timestamps "
                   f"{f['timestamp']}; rows ordered by {f['order']}"
                   + (f". The same log as `{f['same_log_as']}`" if f.get("same_log_as") else ""))
        else:
            fmt = (
                f"{f['type'].upper()}, {f['encoding']}"
                + (f", delimiter `{f['delimiter']}`, {f['headers']} headers, {f['line_end']}" if f["type"] == "csv" else "")
                + f", timestamps {f['timestamp']}, rows ordered by {f['order']}"
            )
        lines += [
            "",
            f"## `{t['log']}` — «{t['title']}»",
            "",
            (
                f"{t['ministry']}. {fmt}. Seed {t['seed']}: {t['cases']} cases, {t['events']} events, "
                f"{t['waste_events']} of them waste ({t['waste_share']:.1%})."
            ),
            "",
            "| kind | activities | cases affected | events | what happens |",
            "|---|---|---:|---:|---|",
        ]
        lines += [
            f"| {w['kind']} | {' → '.join('«' + a + '»' for a in w['activities'])} | {w['cases_affected']} | {w['events']} | {w['note']} |"
            for w in t["waste"]
        ]
        lines += ["", "Outcomes: " + "; ".join(f"«{k}» {v}" for k, v in t["outcomes"].items()) + ".", ""]
        lines += ["Essential: " + ", ".join(f"«{a}»" for a in t["essential"]) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE / "logs"
    for p in build(out):
        print(p.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
