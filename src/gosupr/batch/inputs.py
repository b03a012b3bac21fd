"""Which files a batch processes: paths, folders and globs expanded, sorted and deduplicated.

Each input gets a label (what people read in every output) that never holds an absolute path:
relative to the working folder when the file lies under it, else the shortest unique tail of its
path. Two runs on the same inputs from the same folder therefore label them identically.
"""

from __future__ import annotations

import glob
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

LOG_SUFFIXES = (".xes.gz", ".csv", ".xes", ".parquet", ".xlsx", ".xlsm", ".xls", ".ods")
MODEL_SUFFIXES = (".bpmn",)
SKIP_DIRS = {"node_modules", "__pycache__"}
_MAGIC = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class InputFile:
    """One input: `path` absolute (never written out), `label` relative, `kind` log|model|missing."""

    path: str
    label: str
    kind: str
    stem: str = ""  # folder name for its outputs under --out
    problem: str | None = None  # why a `missing` input could not be read


def kind_of(path: str) -> str | None:
    low = path.lower()
    if low.endswith(MODEL_SUFFIXES):
        return "model"
    if low.endswith(LOG_SUFFIXES):
        return "log"
    return None


def expand_inputs(args: list[str], *, base_dir: str | os.PathLike = ".", exclude: str | os.PathLike | None = None) -> list[InputFile]:
    """Files named by `args` (files, folders searched recursively, globs with `**`), sorted by label.

    A folder contributes logs and models only (not *.truth.json, READMEs or hidden folders);
    `exclude` (the output folder) is never searched, so a second run does not read the first
    run's BPMN files. An argument that matches nothing becomes a `missing` input, reported as failed.
    """
    base = Path(base_dir)
    excl = Path(exclude).resolve() if exclude is not None else None
    found: dict[str, None] = {}
    missing: dict[str, str] = {}  # normalised path named -> why nothing was found
    for arg in args:
        hits = _expand_one(arg, base, excl)
        if hits is None:
            missing.setdefault(os.path.normpath(Path(arg) if Path(arg).is_absolute() else base.resolve() / arg), _why_missing(arg, base))
        for h in hits or ():
            found.setdefault(h, None)
    labels = _labels(list(found) + [m for m in missing if m not in found])
    items = [InputFile(path=p, label=labels[p], kind=kind_of(p) or "log") for p in found]
    items += [InputFile(path="", label=labels[m], kind="missing", problem=why) for m, why in missing.items() if m not in found]
    items.sort(key=lambda i: (i.label, i.kind))
    return _with_stems(_dedupe_labels(items))


def _expand_one(arg: str, base: Path, excl: Path | None) -> list[str] | None:
    p = Path(arg)
    p = p if p.is_absolute() else base / p
    if _MAGIC.search(arg):
        out: list[str] = []
        for hit in sorted(glob.glob(str(p), recursive=True)):
            hp = Path(hit)
            if hp.is_dir():
                out += _scan_dir(hp, excl)
            elif hp.is_file() and kind_of(hit) and not _inside(hp.resolve(), excl):
                out.append(str(hp.resolve()))
        return out or None
    if p.is_dir():
        return _scan_dir(p, excl)
    if p.is_file():
        return [str(p.resolve())]  # named explicitly: read whatever it is, the reader judges it
    return None


def _scan_dir(d: Path, excl: Path | None) -> list[str]:
    out = []
    for root, dirs, files in os.walk(d):
        r = Path(root)
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in SKIP_DIRS and not _inside((r / x).resolve(), excl))
        for f in sorted(files):
            if not f.startswith(".") and kind_of(f):
                out.append(str((r / f).resolve()))
    return out


def _inside(p: Path, folder: Path | None) -> bool:
    return folder is not None and (p == folder or folder in p.parents)


def _why_missing(arg: str, base: Path) -> str:
    p = Path(arg) if Path(arg).is_absolute() else base / arg
    if _MAGIC.search(arg):
        return "no log or BPMN file matches this pattern"
    if p.exists():
        return "not a file or folder that can be read"
    return "file not found"


def _labels(paths: list[str]) -> dict[str, str]:
    """Relative to the working folder when under it, else the shortest unique tail of the path."""
    cwd = Path.cwd().resolve()
    out: dict[str, str] = {}
    remaining: list[str] = []
    for p in paths:
        try:
            out[p] = Path(p).relative_to(cwd).as_posix()
        except ValueError:
            remaining.append(p)
    taken = set(out.values())
    parts = {p: Path(p).parts[1:] for p in remaining}
    k = 1
    while remaining:
        tails = {p: "/".join(parts[p][-k:]) for p in remaining}
        counts = Counter(tails.values())
        done = [p for p in remaining if (counts[tails[p]] == 1 and tails[p] not in taken) or k >= len(parts[p])]
        for p in done:
            out[p] = tails[p]
        taken.update(tails[p] for p in done)
        remaining = [p for p in remaining if p not in out]
        k += 1
    return out


def _dedupe_labels(items: list[InputFile]) -> list[InputFile]:
    seen: set[str] = set()
    out = []
    for i in items:
        if i.label not in seen:
            seen.add(i.label)
            out.append(i)
    return out


_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def _strip_suffix(name: str) -> str:
    low = name.lower()
    for s in LOG_SUFFIXES + MODEL_SUFFIXES:
        if low.endswith(s):
            return name[: -len(s)]
    return Path(name).stem or name


def _safe(s: str) -> str:
    s = _UNSAFE.sub("_", s).strip("._") or "input"
    return s[:120]


def _with_stems(items: list[InputFile]) -> list[InputFile]:
    """A folder name per input: its file stem, widened with its path when two inputs share it."""
    first = [_safe(_strip_suffix(i.label.rsplit("/", 1)[-1])) for i in items]
    counts: dict[str, int] = {}
    for s in first:
        counts[s.casefold()] = counts.get(s.casefold(), 0) + 1
    stems: list[str] = []
    used: set[str] = set()
    for item, s in zip(items, first):
        if counts[s.casefold()] > 1:
            s = _safe(item.label.replace("/", "--"))
        base, n = s, 2
        while s.casefold() in used:
            s, n = f"{base}-{n}", n + 1
        used.add(s.casefold())
        stems.append(s)
    return [InputFile(path=i.path, label=i.label, kind=i.kind, stem=s, problem=i.problem) for i, s in zip(items, stems)]
