"""Snapshot every command's machine output on the examples and the real logs, to prove a refactor changed nothing.

    python benchmarks/outputs_snapshot.py write DIR      # run every command, keep normalised outputs in DIR
    python benchmarks/outputs_snapshot.py check DIR      # run again, compare with DIR; exit 1 on any difference

Outputs are JSON documents (`--format json`), BPMN files, SVG pictures and batch folders (summary.json,
summary.md, junit.xml, models; not the HTML pages, which are human text). The tool's version fields and
timings are blanked first: they are allowed to change, nothing else is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "logs"
SHARED = ROOT.parent / "shared" / "data"
GOSUPR = [sys.executable, "-m", "gosupr"]
VOLATILE = {"gosupr_version", "version", "pm4py_version", "tool_version", "seconds", "elapsed_s", "timings"}


def _blank(doc: object) -> object:
    if isinstance(doc, dict):
        return {k: ("~" if k in VOLATILE else _blank(v)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_blank(v) for v in doc]
    return doc


def _normal(data: bytes, tmp: str) -> bytes:
    text = data.decode("utf-8", "replace").replace(tmp, "<TMP>").replace(str(ROOT), "<ROOT>")
    try:
        doc = json.loads(text)
    except ValueError:
        return re.sub(r'(exporterVersion|version)="[^"]*"', r'\1="~"', text).encode()
    return json.dumps(_blank(doc), ensure_ascii=False, sort_keys=True, indent=1).encode()


def _logs() -> list[Path]:
    logs = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".csv", ".xes", ".xlsx"}
                  and ".violations" not in p.name and ".after" not in p.name)
    if (SHARED / "logs").is_dir():
        logs += sorted((SHARED / "logs").iterdir())
    return logs


def _jobs() -> list[tuple[str, list[str], list[str]]]:
    """(name, argv with {T} for the scratch folder, files written there to keep)."""
    jobs = []
    for log in _logs():
        n = log.name
        jobs.append((f"discover-{n}", ["discover", str(log), "-o", "{T}/m.bpmn", "--format", "json"], ["m.bpmn"]))
        jobs.append((f"analyze-{n}", ["analyze", str(log), "--format", "json"], []))
        jobs.append((f"reduce-{n}", ["reduce", str(log), "-o", "{T}/tobe.bpmn", "--format", "json"], ["tobe.bpmn"]))
    for stem, ext in (("land_lease", "csv"), ("construction_permit", "csv"), ("memo_approval", "xes")):
        log, after = EXAMPLES / f"{stem}.{ext}", EXAMPLES / f"{stem}.after.{ext}"
        jobs.append((f"check-{stem}", ["check", str(log), str(EXAMPLES / f"{stem}.normative.bpmn"),
                     "--config", str(EXAMPLES / f"{stem}.regulation.toml"), "--format", "json"], []))
        jobs.append((f"effect-{stem}", ["compare", str(log), str(after), "--format", "json"], []))
    bpmn = SHARED / "bpmn"
    if bpmn.is_dir():
        models = sorted(bpmn.glob("*.bpmn"))
        for a, b in zip(models, models[1:]):
            jobs.append((f"compare-{a.name}-{b.name}", ["compare", str(a), str(b), "--format", "json"], []))
        for export in sorted((bpmn / "exports").rglob("*.bpmn")):
            reference = bpmn / (export.name.replace("-export", ""))
            if reference.is_file():
                jobs.append((f"compare-export-{export.parent.name}-{export.name}",
                             ["compare", str(reference), str(export), "--format", "json"], []))
        for model in models:
            jobs.append((f"render-{model.name}", ["render", str(model), "-o", "{T}/m.svg"], ["m.svg"]))
    jobs.append(("batch-examples", ["batch", str(EXAMPLES), "--out", "{T}/out", "--quiet"], ["out"]))
    return jobs


def _run(name: str, argv: list[str], keep: list[str]) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        args = [a.replace("{T}", tmp) for a in argv]
        env = dict(os.environ, LANG="C.UTF-8", COLUMNS="200")
        p = subprocess.run(GOSUPR + args, capture_output=True, env=env, cwd=tmp, timeout=1800)
        out = {"exit": str(p.returncode), "stdout": hashlib.sha256(_normal(p.stdout, tmp)).hexdigest()}
        if p.returncode == 2:
            out["stderr"] = p.stderr.decode("utf-8", "replace").replace(tmp, "<TMP>").replace(str(ROOT), "<ROOT>").strip()
        for k in keep:
            target = Path(tmp) / k
            files = sorted(target.rglob("*")) if target.is_dir() else [target]
            for f in files:
                if f.is_file() and f.suffix != ".html":  # HTML pages are human text, worded as the reports are
                    rel = str(f.relative_to(tmp))
                    out[rel] = hashlib.sha256(_normal(f.read_bytes(), tmp)).hexdigest()
        return out


def main() -> int:
    mode, folder = sys.argv[1], Path(sys.argv[2])
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    results = {}
    for name, argv, keep in _jobs():
        if only and only not in name:
            continue
        results[name] = _run(name, argv, keep)
        print(f"{name}: exit {results[name]['exit']}", flush=True)
    if mode == "write":
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "snapshot.json").write_text(json.dumps(results, indent=1, sort_keys=True))
        return 0
    before = json.loads((folder / "snapshot.json").read_text())
    bad = 0
    for name, now in results.items():
        if before.get(name) != now:
            bad += 1
            print(f"DIFFERENT {name}: {before.get(name)} != {now}")
    print(f"{len(results) - bad} of {len(results)} outputs identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
