"""Figures → summaries, ratios, targets and the Markdown table of benchmarks/README.md.

Pure functions over the JSON document bench.py builds, so a saved results file can be
re-rendered (`python benchmarks/bench_report.py benchmarks/results/latest.json`).
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
from pathlib import Path

BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
TARGET_SIZE = "1M"
SCALING_LIMIT = 12.0

STAGE_TITLES = {
    "plain_discover": "plain pm4py script, discover only",
    "plain_full": "plain pm4py script, discover + write_bpmn",
    "gosupr_discover": "`gosupr discover` (everything it does)",
    "gosupr_read_csv": "gosupr `read_log` CSV",
    "gosupr_read_xes_gz": "gosupr `read_log` XES.gz",
    "pm4py_read_xes_default": "`pm4py.read_xes` default (rustxes here)",
    "pm4py_read_xes_iterparse": "`pm4py.read_xes` iterparse (default without rustxes)",
    "gosupr_help": "`gosupr --help`",
    "python_bare": "`python -c pass`",
    "import_pm4py": "`python -c 'import pm4py'`",
}


def summarize(runs: list[dict]) -> dict:
    """median/min/max wall time and peak RSS over the successful runs; the first error if any."""
    ok = [r for r in runs if r["rc"] == 0]
    out: dict = {"ok": len(ok) == len(runs) and bool(runs), "runs": runs}
    if ok:
        walls = [r["wall_s"] for r in ok]
        mems = [r["peak_mib"] for r in ok]
        out.update(median_s=round(statistics.median(walls), 3), min_s=round(min(walls), 3),
                   max_s=round(max(walls), 3), peak_mib=max(mems), median_peak_mib=statistics.median(mems))
    bad = [r for r in runs if r["rc"] != 0]
    if bad:
        out["error"] = f"rc={bad[0]['rc']}: {bad[0]['error']}"
    return out


def _get(doc: dict, size: str, stage: str, key: str) -> float | None:
    s = doc.get("sizes", {}).get(size, {}).get("stages", {}).get(stage, {})
    return s.get(key) if s.get("ok") else None


def _div(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def ratios(doc: dict) -> dict:
    """Per size: gosupr vs the plain script (time, memory), XES.gz speed-ups (>1 means gosupr faster)."""
    return {size: _size_ratios(doc, size) for size in doc.get("sizes", {})}


def _size_ratios(doc: dict, size: str) -> dict:
    def g(st: str, k: str = "median_s") -> float | None:
        return _get(doc, size, st, k)

    return {
        "discover_time_vs_plain_discover": _div(g("gosupr_discover"), g("plain_discover")),
        "discover_time_vs_plain_full": _div(g("gosupr_discover"), g("plain_full")),
        "discover_mem_vs_plain_discover": _div(g("gosupr_discover", "peak_mib"), g("plain_discover", "peak_mib")),
        "discover_mem_vs_plain_full": _div(g("gosupr_discover", "peak_mib"), g("plain_full", "peak_mib")),
        "xes_speedup_vs_pm4py_default": _div(g("pm4py_read_xes_default"), g("gosupr_read_xes_gz")),
        "xes_speedup_vs_pm4py_iterparse": _div(g("pm4py_read_xes_iterparse"), g("gosupr_read_xes_gz")),
        "xes_mem_vs_pm4py_default": _div(g("gosupr_read_xes_gz", "peak_mib"), g("pm4py_read_xes_default", "peak_mib")),
        "xes_mem_vs_pm4py_iterparse": _div(g("gosupr_read_xes_gz", "peak_mib"), g("pm4py_read_xes_iterparse", "peak_mib")),
    }


def scaling(doc: dict) -> dict:
    """time(larger)/time(smaller) per stage for consecutive sizes, with the ratio of event counts."""
    sizes = list(doc.get("sizes", {}))
    out = {}
    for small, big in itertools.pairwise(sizes):
        ev = _div(doc["sizes"][big]["log"]["events"], doc["sizes"][small]["log"]["events"])
        stages = doc["sizes"][big]["stages"]
        out[f"{big}/{small}"] = {"events": ev, **{st: _div(_get(doc, big, st, "median_s"), _get(doc, small, st, "median_s"))
                                                   for st in stages}}
    return out


def _basis(doc: dict) -> str | None:
    sizes = list(doc.get("sizes", {}))
    return TARGET_SIZE if TARGET_SIZE in sizes else (sizes[-1] if sizes else None)


def _target(name: str, value: float | None, op: str, limit: float, basis: str, gating: bool = True, note: str = "",
            failed: bool = False) -> dict:
    """`failed`: the measured thing did not complete, so the target is missed (no value to compare)."""
    ok = False if failed else None if value is None else (
        value <= limit if op == "<=" else value >= limit if op == ">=" else value < limit)
    return {"name": name, "basis": basis, "value": value, "op": op, "limit": limit, "pass": ok,
        "gating": gating, "note": note}


def targets(doc: dict) -> list[dict]:
    """The issue's targets, measured in this run on the 1M log (or the largest size run)."""
    out: list[dict] = []
    size = _basis(doc)
    r = doc.get("ratios", {}).get(size, {}) if size else {}
    if size:
        out += [
            _target("discover time / plain discover-only", r.get("discover_time_vs_plain_discover"), "<=", 1.0, size),
            _target("discover peak memory / plain discover-only", r.get("discover_mem_vs_plain_discover"), "<=", 1.0, size),
            _target("XES.gz speed-up vs pm4py.read_xes classic default (iterparse)",
                    r.get("xes_speedup_vs_pm4py_iterparse"), ">=", 5.0, size,
                    note="what `pip install pm4py` reads XES with: the target"),
            _target("XES.gz speed-up vs pm4py.read_xes default here (rustxes)",
                    r.get("xes_speedup_vs_pm4py_default"), ">=", 5.0, size, gating=False,
                    note="rustxes is installed with gosupr, so pm4py's default becomes Rust: stricter, informational"),
        ]
    help_s = doc.get("fixed", {}).get("gosupr_help", {})
    if help_s:
        out.append(_target("gosupr --help seconds (median)", help_s.get("median_s"), "<", 0.3, "-"))
    pairs = doc.get("scaling", {})
    pair = next((p for p in pairs if p.startswith(f"{size}/")), None) if size else None
    if pair:
        for stage, v in pairs[pair].items():
            if stage != "events":
                out.append(_target(f"time scaling {pair}: {stage}", v, "<=", SCALING_LIMIT, pair,
                                   note=f"events x{pairs[pair]['events']}"))
    h = doc.get("hostile")
    if h:
        out.append(_target(f"hostile log ({h['log']['events']} events, {h['log']['intended_variants']} variants, "
                           f"{h['log']['activities']} activities) discover seconds",
                           h["wall_s"] if h["rc"] == 0 else None, "<=", h["budget_s"], "hostile",
                           note="" if h["rc"] == 0 else f"did not finish: rc={h['rc']} {h['error']}",
                           failed=h["rc"] != 0))
    return out


# --- Markdown -----------------------------------------------------------------------------------
def _cell(s: dict) -> str:
    if not s:
        return "–"
    if not s.get("ok"):
        return "FAILED"
    return f"{s['median_s']:.2f} s ({s['min_s']:.2f}–{s['max_s']:.2f}), {s['peak_mib']:.0f} MiB"


def _fmt(v: float | None, unit: str = "×") -> str:
    return "–" if v is None else f"{v:.2f}{unit}"


def markdown(doc: dict) -> str:
    m, v, c = doc["machine"], doc["versions"], doc["config"]
    sizes = list(doc.get("sizes", {}))
    head = (f"Run {doc['date']}: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB RAM, {m['os']}; "
            f"Python {m['python']}, pm4py {v['pm4py']}, pandas {v['pandas']}, pyarrow {v['pyarrow']}, "
            f"rustxes {v['rustxes']}; gosupr {v['gosupr']} ({v.get('gosupr_commit')}). "
            f"{c['reps']} repetitions, noise {c['noise']}; load average {m['loadavg_start']} → {m.get('loadavg_end')}.")
    lines = [
        head,
        "",
        "Whole-process wall time: median (min–max), peak RSS from `wait4`.",
        "",
        ("| stage | " + " | ".join(f"{s} ({doc['sizes'][s]['log']['events']:,} events)" for s in sizes) + " |"),
        "|---|" + "---|" * len(sizes),
    ]
    stages = list(dict.fromkeys(st for s in sizes for st in doc["sizes"][s]["stages"]))
    for st in stages:
        lines.append(f"| {STAGE_TITLES.get(st, st)} | " +
                     " | ".join(_cell(doc["sizes"][s]["stages"].get(st, {})) for s in sizes) + " |")
    fixed = doc.get("fixed", {})
    if fixed:
        lines += ["", "| size-independent | time, peak RSS |", "|---|---|"]
        lines += [f"| {STAGE_TITLES.get(k, k)} | {_cell(s)} |" for k, s in fixed.items()]
    if doc.get("ratios"):
        keys = list(next(iter(doc["ratios"].values())))
        lines += ["", "| ratio | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]
        lines += [f"| {k} | " + " | ".join(_fmt(doc["ratios"][s].get(k)) for s in sizes) + " |" for k in keys]
    for pair, vals in doc.get("scaling", {}).items():
        lines += ["", f"Scaling {pair} (events ×{vals['events']}): " +
                  ", ".join(f"{k} {_fmt(x)}" for k, x in vals.items() if k != "events")]
    if doc.get("targets"):
        lines += ["", "| target | basis | value | limit | result |", "|---|---|---|---|---|"]
        for t in doc["targets"]:
            res = "–" if t["pass"] is None else ("pass" if t["pass"] else "FAIL")
            res += "" if t["gating"] else " (informational)"
            lines.append(f"| {t['name']} | {t['basis']} | {_fmt(t['value'], '')} | {t['op']} {t['limit']} | {res} |")
    sections = {s: doc["sizes"][s].get("gosupr", {}).get("sections") for s in sizes}
    if any(sections.values()):
        lines += ["", "`gosupr discover --format json` produced sections: " +
                  ", ".join(next(x for x in sections.values() if x)) + "."]
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, table: str) -> None:
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n## Latest results\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    d = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/latest.json").read_text())
    d["ratios"], d["scaling"] = ratios(d), scaling(d)
    d["targets"] = targets(d)
    print(markdown(d))
