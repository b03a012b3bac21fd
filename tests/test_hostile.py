"""Hostile and broken input through the real CLI: every corpus file × every command that reads it.

The corpus is tests/bad/ (small committed files) plus what tests/bad/make_corpus.py generates
(bombs, binary files, XXE files pointing at a secret made here). tests/bad/MANIFEST.json says for
each file which kind it is (log or BPMN, hence which commands read it) and the expected outcome:
exit 2 with one stderr line naming the file (and a message fragment), or exit 0 with the dropped
rows counted in the JSON audit. Each (file, command) runs `python -m gosupr` in its own process
and folder; all of them run up front in parallel, then each is checked as its own test.

Checked for every run: the exit code, no traceback, the one-line error, the secret's marker in no
output, peak memory of the child (ru_maxrss from wait4), no output or temp file after a failure.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gosupr.errors import GosuprError
from material import OFFICE, SHARED

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "bad"
EXAMPLES = ROOT / "examples" / "logs"
MANIFEST: list[dict[str, Any]] = json.loads((BAD / "MANIFEST.json").read_text(encoding="utf-8"))

_spec = importlib.util.spec_from_file_location("make_corpus", BAD / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
assert _spec.loader is not None
_spec.loader.exec_module(make_corpus)

DEFAULT_MAX_RSS_MIB = 1024  # any run; bombs and entity files set a lower bound in the manifest
SAFETY_AS_BYTES = 6 * 1024**3  # address-space belt for bomb runs, so a regression cannot take the machine
TIMEOUT_S = 300  # a hang guard, not a speed target
MARKERS = (make_corpus.MARKER, "hunter2")


# --- the command table: one row per way a command reads a file -----------------------------------

@dataclass(frozen=True)
class Ctx:
    input: Path  # the corpus file (hard-linked into the run's own folder)
    out: Path  # empty folder for outputs
    reference: Path  # a good BPMN, for commands that read two models


def _stderr_line(run: Run) -> tuple[str, list[str]]:
    """The error as most commands report it: exactly one line on stderr."""
    lines = run.stderr.strip().splitlines()
    problems = [] if len(lines) == 1 else [f"stderr has {len(lines)} lines, expected exactly one"]
    if run.stdout.strip():
        try:
            json.loads(run.stdout)
        except ValueError:
            problems.append("stdout is neither empty nor a JSON document")
    return (lines[0] if lines else ""), problems


def _stdout_json(run: Run) -> dict[str, Any]:
    return json.loads(run.stdout)


def _batch_input(run: Run) -> dict[str, Any]:
    summary = json.loads((run.folder / "out" / "batch" / "summary.json").read_text(encoding="utf-8"))
    (item,) = summary["inputs"]
    return item


def _batch_reason(run: Run) -> tuple[str, list[str]]:
    """batch keeps going and reports each bad input in summary.json (and junit.xml)."""
    try:
        item = _batch_input(run)
    except (OSError, ValueError) as exc:
        return "", [f"no readable summary.json after the failed batch: {exc}"]
    problems = [] if item["status"] == "failed" else [f"input status {item['status']!r}, expected 'failed'"]
    reason = item.get("reason") or ""
    if "\n" in reason.strip():
        problems.append("the reason in summary.json is more than one line")
    if run.stderr.strip() or run.stdout.strip():
        problems.append("batch --quiet printed something")
    return reason, problems


@dataclass(frozen=True)
class Command:
    """How one CLI command is run on a corpus file, and how its answer is read."""

    name: str  # test id; the CLI command is the part before the first "-"
    reads: tuple[str, ...]  # corpus kinds it reads: "log", "bpmn"
    args: Callable[[Ctx], list[str]]
    outputs: tuple[str, ...] = ()  # files under Ctx.out after success
    document: Callable[[Run], dict[str, Any]] | None = _stdout_json  # the JSON answer on success
    audit: Callable[[dict], dict] = lambda doc: doc["log"]  # the ingest audit inside that document
    error: Callable[[Run], tuple[str, list[str]]] = _stderr_line  # the error text of a failed run
    failure_files: tuple[str, ...] = ()  # files under Ctx.out a failed run may leave (a report)

    @property
    def cli(self) -> str:
        return self.name.split("-")[0]


COMMANDS: tuple[Command, ...] = (
    Command("discover", ("log",),
            lambda c: ["discover", str(c.input), "-o", str(c.out / "model.bpmn"), "--format", "json"],
            outputs=("model.bpmn",)),
    Command("analyze", ("log", "bpmn"), lambda c: ["analyze", str(c.input), "--format", "json"]),
    Command("reduce", ("log",),
            lambda c: ["reduce", str(c.input), "-o", str(c.out / "to-be.bpmn"), "--format", "json"],
            outputs=("to-be.bpmn",)),
    Command("compare-first", ("bpmn",),
            lambda c: ["compare", str(c.input), str(c.reference), "--format", "json"]),
    Command("compare-second", ("bpmn",),
            lambda c: ["compare", str(c.reference), str(c.input), "--format", "json"]),
    Command("render", ("bpmn",), lambda c: ["render", str(c.input), "-o", str(c.out / "model.svg")],
            outputs=("model.svg",), document=None),
    Command("batch", ("log", "bpmn"),
            lambda c: ["batch", str(c.input), "--quiet", "--out", str(c.out / "batch")],
            outputs=("batch/summary.json", "batch/junit.xml"), document=_batch_input,
            audit=lambda item: item["audit"], error=_batch_reason,
            failure_files=("batch/summary.json", "batch/summary.md", "batch/junit.xml")),
)


@dataclass(frozen=True)
class Case:
    entry: dict[str, Any]
    command: Command

    @property
    def id(self) -> str:
        return f"{self.entry['path']}-{self.command.name}"

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        exp = self.entry.get("commands", {}).get(self.command.name, self.entry["expect"])
        return exp if isinstance(exp, list) else [exp]


CASES = [Case(e, c) for e in MANIFEST for c in COMMANDS if e["kind"] in c.reads]


# --- running the CLI ------------------------------------------------------------------------------

@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    max_rss_mib: float
    seconds: float
    timed_out: bool
    folder: Path


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GOSUPR_DEBUG"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# wait4's peak RSS of a child includes the high-water mark of the image it was forked from (the
# kernel carries it across exec), so a big pytest process would be charged to a small run. A small
# launcher forks the run itself and reports the run's own exit status and peak.
_LAUNCHER = r"""
import os, resource, sys
report, limit, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
pid = os.fork()
if pid == 0:
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as fh:
    fh.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_cli(args: list[str], folder: Path, *, address_space: int | None = None,
            timeout: float = TIMEOUT_S) -> Run:
    """`python -m gosupr ARGS` in `folder`; its exit code, output and its own peak RSS."""
    cwd = folder / "cwd"
    cwd.mkdir(parents=True, exist_ok=True)
    report = folder / "rusage"
    cmd = [sys.executable, "-c", _LAUNCHER, str(report), str(address_space or 0), sys.executable, "-m", "gosupr", *args]
    t0 = time.monotonic()
    with (folder / "stdout").open("wb") as out, (folder / "stderr").open("wb") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=_child_env(),
                                start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the run

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            launcher = proc.wait()
        finally:
            timer.cancel()
    code, max_rss_kib = launcher, 0
    if report.exists():
        code, max_rss_kib = map(int, report.read_text().split())
    return Run(code, (folder / "stdout").read_text("utf-8", "replace"),
               (folder / "stderr").read_text("utf-8", "replace"), max_rss_kib / 1024,
               time.monotonic() - t0, timed_out.is_set(), folder)


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _help_commands() -> set[str]:
    text = subprocess.run([sys.executable, "-m", "gosupr", "--help"], capture_output=True, text=True,
                          env=_child_env(), check=True).stdout
    section = text.split("Commands:", 1)[-1]
    return {line.split()[0] for line in section.splitlines() if line.strip()}


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The generated part of the corpus and the secret the XXE files point at."""
    base = tmp_path_factory.mktemp("hostile")
    secret = make_corpus.write_secret(base / "secret.txt")
    files = make_corpus.build(base / "generated", secret)
    return {"secret": secret, "generated": files}


def corpus_path(entry: dict[str, Any], corpus: dict[str, Any]) -> Path:
    return corpus["generated"][entry["path"]] if entry.get("generated") else BAD / entry["path"]


@pytest.fixture(scope="session")
def reference_bpmn() -> Path:
    """A valid model to compare the hostile files with: the real running example, or without
    ../shared/data the project's own office model."""
    shared = SHARED / "bpmn" / "running-example.bpmn"
    return shared if shared.is_file() else OFFICE.bpmn


@pytest.fixture(scope="session")
def cli_runs(request: pytest.FixtureRequest, corpus: dict[str, Any], reference_bpmn: Path,
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every selected (file, command) case, run once, in parallel, before any is checked."""
    wanted = {item.callspec.params["case"].id: item.callspec.params["case"]
              for item in request.session.items
              if getattr(item, "callspec", None) and isinstance(item.callspec.params.get("case"), Case)}
    base = tmp_path_factory.mktemp("runs")

    def one(case: Case) -> tuple[str, Run]:
        folder = base / case.id.replace("/", "_")
        src = corpus_path(case.entry, corpus)
        ctx = Ctx(folder / "in" / src.name, folder / "out", reference_bpmn)
        _link(src, ctx.input)
        ctx.out.mkdir(parents=True)
        belt = SAFETY_AS_BYTES if "max_rss_mib" in case.entry else None
        return case.id, run_cli(case.command.args(ctx), folder, address_space=belt)

    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(one, sorted(wanted.values(), key=lambda c: "bomb" not in c.id)))


# --- checks ---------------------------------------------------------------------------------------

def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _leaks(text: str | bytes) -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return [m for m in MARKERS if m.encode("utf-8") in data or m.encode("utf-16-le") in data]


def _valid_output(path: Path) -> str | None:
    """None if a finished output file reads back; else what is wrong with it."""
    try:
        if path.suffix == ".bpmn":
            from gosupr.bpmn.reader import read_bpmn

            read_bpmn(path)
        elif path.suffix in (".svg", ".xml"):
            from lxml import etree

            etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001 - any failure to read back is the finding
        return f"{path.name} does not read back: {type(exc).__name__}: {exc}"
    return None


def outcome_problems(case: Case, run: Run, outcome: dict[str, Any]) -> list[str]:
    """What differs from one acceptable outcome (empty list: this outcome matches)."""
    cmd, name = case.command, Path(case.entry["path"]).name
    if run.code != outcome["exit"]:
        return [f"exit {run.code}, expected {outcome['exit']}"]
    problems: list[str] = []
    out_files = _files(run.folder / "out")
    if run.code == 2:
        line, problems = cmd.error(run)
        if name not in line:
            problems.append(f"the error does not name the file {name!r}")
        frag = outcome.get("message")
        if frag and frag.lower() not in line.replace(name, "").lower():  # not just the file's name
            problems.append(f"the error lacks {frag!r}")
        left = [str(p.relative_to(run.folder / "out")) for p in out_files]
        if extra := sorted(set(left) - set(cmd.failure_files)):
            problems.append(f"files left after a failed run: {extra}")
    else:
        doc: dict[str, Any] = {}
        if cmd.document is not None:
            try:
                doc = cmd.document(run)
            except (OSError, ValueError, KeyError) as exc:
                problems.append(f"no JSON answer: {type(exc).__name__}: {exc}")
        if run.stderr.strip():
            problems.append("stderr is not empty after success")
        if doc and case.entry["kind"] == "log" and ("dropped" in outcome or "log" in outcome):
            audit = cmd.audit(doc)
            if "dropped" in outcome and audit.get("dropped") != outcome["dropped"]:
                problems.append(f"dropped {audit.get('dropped')}, expected {outcome['dropped']}")
            for key, want in outcome.get("log", {}).items():
                if audit.get(key) != want:
                    problems.append(f"log.{key} = {audit.get(key)}, expected {want}")
            if audit.get("rows_read") != audit.get("rows_kept", 0) + sum(audit.get("dropped", {}).values()):
                problems.append(f"audit does not add up: {audit}")
        for rel in cmd.outputs:
            if not (run.folder / "out" / rel).is_file():
                problems.append(f"output {rel} missing after success")
        for p in out_files:
            if (bad := _valid_output(p)) is not None:
                problems.append(bad)
    return problems


def universal_problems(case: Case, run: Run) -> list[str]:
    """What must hold whatever the outcome."""
    problems: list[str] = []
    if run.timed_out:
        problems.append(f"no answer after {TIMEOUT_S} s (killed)")
    if run.code < 0:
        problems.append(f"killed by signal {-run.code} ({signal.Signals(-run.code).name})")
    if "Traceback" in run.stdout + run.stderr:
        problems.append("a traceback was printed")
    limit = case.entry.get("max_rss_mib", DEFAULT_MAX_RSS_MIB)
    if run.max_rss_mib > limit:
        problems.append(f"peak memory {run.max_rss_mib:.0f} MiB > {limit} MiB")
    for where, text in (("stdout", run.stdout), ("stderr", run.stderr)):
        if leaked := _leaks(text):
            problems.append(f"secret file content {leaked} in {where}")
    for p in _files(run.folder / "out") + _files(run.folder / "cwd") + _files(run.folder / "in"):
        if p.name.endswith(".tmp") or p.name.startswith(".") and ".tmp" in p.name:
            problems.append(f"temp file left: {p.relative_to(run.folder)}")
        elif leaked := _leaks(p.read_bytes()):
            problems.append(f"secret file content {leaked} in {p.relative_to(run.folder)}")
    if stray := [p.name for p in _files(run.folder / "cwd")]:
        problems.append(f"files written to the working folder: {stray}")
    if len(_files(run.folder / "in")) != 1:
        problems.append(f"files written beside the input: {[p.name for p in _files(run.folder / 'in')]}")
    return problems


def _excerpt(run: Run) -> str:
    return (f"exit {run.code} in {run.seconds:.1f}s, peak {run.max_rss_mib:.0f} MiB\n"
            f"stderr: {run.stderr[-1500:]!r}\nstdout: {run.stdout[:800]!r}")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_file_through_cli(case: Case, cli_runs: dict[str, Run]) -> None:
    run = cli_runs[case.id]
    problems = universal_problems(case, run)
    alternatives = [outcome_problems(case, run, o) for o in case.outcomes]
    if all(alternatives):
        problems += [" / ".join(p) for p in alternatives]
    assert not problems, (f"{case.entry['path']} ({case.entry['why']}) via `gosupr {case.command.cli}`: "
                          + "; ".join(problems) + "\n" + _excerpt(run))


# --- the readers themselves, in process (BPMN: no command reads it in every build) --------------

BPMN_ENTRIES = [e for e in MANIFEST if e["kind"] == "bpmn"]


@pytest.mark.parametrize("entry", BPMN_ENTRIES, ids=[e["path"] for e in BPMN_ENTRIES])
def test_bpmn_reader_on_hostile_file(entry: dict[str, Any], corpus: dict[str, Any]) -> None:
    from gosupr.bpmn.model import ProcessModel
    from gosupr.bpmn.reader import read_bpmn

    path = corpus_path(entry, corpus)
    outcomes = entry["expect"] if isinstance(entry["expect"], list) else [entry["expect"]]
    codes = {o["exit"] for o in outcomes}
    try:
        model = read_bpmn(path)
    except GosuprError as exc:
        msg = str(exc)
        assert 2 in codes, f"{entry['path']}: refused, expected to read: {msg}"
        assert "\n" not in msg and path.name in msg
        frags = [o["message"] for o in outcomes if o["exit"] == 2 and o.get("message")]
        said = msg.replace(str(path), "").lower()  # what it says, not just the file's name
        assert not frags or any(f.lower() in said for f in frags), msg
        assert not _leaks(msg)
        return
    assert 0 in codes, f"{entry['path']}: read without error, expected exit 2"
    assert isinstance(model, ProcessModel)
    assert not _leaks(repr(model.nodes) + repr(model.flows) + repr(model.lanes))


# --- the corpus itself ----------------------------------------------------------------------------

def test_manifest_lists_every_corpus_file(corpus: dict[str, Any]) -> None:
    committed = {str(p.relative_to(BAD)) for sub in ("csv", "xes", "bpmn") for p in (BAD / sub).iterdir()}
    listed = {e["path"] for e in MANIFEST if not e.get("generated")}
    assert committed == listed
    assert {e["path"] for e in MANIFEST if e.get("generated")} == set(corpus["generated"])
    assert all(e["kind"] in ("log", "bpmn") and e["why"] for e in MANIFEST)
    assert len({e["path"] for e in MANIFEST}) == len(MANIFEST)


def test_commands_in_the_table_exist() -> None:
    present = _help_commands()
    missing = [c.cli for c in COMMANDS if c.cli not in present]
    assert not missing, f"commands in COMMANDS not in `gosupr --help`: {missing}"


def test_xxe_files_are_real_attacks(corpus: dict[str, Any]) -> None:
    """A parser that resolves entities does leak the secret from these files: the test means something."""
    from lxml import etree

    naive = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
    for name in ("xes/xxe.xes", "bpmn/xxe.bpmn", "bpmn/xxe_utf16.bpmn", "bpmn/xxe_late.bpmn"):
        try:
            seen = etree.tostring(etree.fromstring(corpus["generated"][name].read_bytes(), naive),
                                  encoding="unicode")
        except etree.XMLSyntaxError as exc:  # error-based: the file's text in the message
            seen = str(exc) + "".join(str(e) for e in exc.error_log)
        assert _leaks(seen), name
    xi = etree.fromstring(corpus["generated"]["bpmn/xinclude.bpmn"].read_bytes())
    etree.ElementTree(xi).xinclude()
    assert _leaks(etree.tostring(xi, encoding="unicode"))


def test_bombs_really_inflate_past_the_limit(corpus: dict[str, Any]) -> None:
    from gosupr.ingest import DEFAULT_MAX_BYTES

    for name in ("xes/bomb.xes.gz", "csv/bomb.csv.gz"):
        path = corpus["generated"][name]
        data = path.read_bytes()
        assert len(data) < 16 * 1024**2
        inflated = struct.unpack("<I", data[-4:])[0]  # ISIZE: exact below 4 GiB
        assert DEFAULT_MAX_BYTES < inflated < 4 * 1024**3
        with gzip.open(path) as fh:  # and it is a real gzip stream of the promised content
            head = fh.read(1 << 20)
        assert len(head) == 1 << 20 and head.count(b"\n") > 1000


# --- interrupting a run ---------------------------------------------------------------------------
# The run is driven to a named hold point (`gosupr._hold`, GOSUPR_HOLD_AT) and signalled there, so the
# signal lands at a known moment whatever the machine's speed or load: no race with the run's progress.

def _session_alive(sid: int) -> bool:
    try:
        os.killpg(sid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def _sigint_not_ignored() -> Iterator[None]:
    """A child inherits an ignored SIGINT (CI started in the background) and Python then never
    raises KeyboardInterrupt; any handler of ours is reset to the default by exec instead."""
    before = signal.getsignal(signal.SIGINT)
    if before == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if before == signal.SIG_IGN:
            signal.signal(signal.SIGINT, before)


def _interrupt_inputs(folder: Path) -> list[Path]:
    """Two example logs, so that `batch --jobs 2` runs a pool of workers."""
    folder.mkdir()
    logs = [folder / "land_lease.csv", folder / "construction_permit.csv"]
    for log in logs:
        shutil.copyfile(EXAMPLES / log.name, log)
    return logs


INTERRUPTED = {
    # command: (arguments, hold points, the earlier result a SIGTERM must leave untouched)
    "discover": (lambda logs, out: ["discover", str(logs[0]), "-o", str(out / "model.bpmn"), "--format", "json"],
                 ["read", "write"], "model.bpmn"),
    "batch": (lambda logs, out: ["batch", str(logs[0].parent), "--quiet", "--jobs", "2", "--out", str(out)],
              ["read", "commit"], "land_lease/as-is.bpmn"),
}
INTERRUPT_CASES = [(cmd, point) for cmd, (_, points, _) in sorted(INTERRUPTED.items()) for point in points]


@pytest.mark.parametrize(("command", "point"), INTERRUPT_CASES, ids=[f"{c}-at-{p}" for c, p in INTERRUPT_CASES])
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_interrupt_leaves_no_partial_output(tmp_path: Path, command: str, point: str,
                                            sig: signal.Signals, code: int) -> None:
    """Ctrl-C or SIGTERM while the run holds at `point`: exit 130/143 with one line, nothing
    half-written, no worker left behind; with SIGTERM an earlier result survives untouched."""
    logs = _interrupt_inputs(tmp_path / "logs")
    out = tmp_path / "out"
    out.mkdir()
    args, _, earlier = INTERRUPTED[command]
    keep_old = sig == signal.SIGTERM
    old = out / earlier
    if keep_old:
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_text("OLD", encoding="utf-8")
    marker = tmp_path / "held"
    env = {**_child_env(), "GOSUPR_HOLD_AT": f"{point}:{marker}"}
    with _sigint_not_ignored():
        proc = subprocess.Popen([sys.executable, "-m", "gosupr", *args(logs, out)], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while proc.poll() is None and not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not marker.exists():  # it ended (or hung) without reaching the point: a bug, not a race
            proc.kill()
            stdout, stderr = proc.communicate()
            pytest.fail(f"{command} never reached hold point {point!r} (exit {proc.returncode}): "
                        f"{(stdout + stderr).decode('utf-8', 'replace')[-2000:]}")
        proc.send_signal(sig)  # to the main process only, as a CI runner's timeout or Ctrl-C in a pipe
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
        deadline = time.monotonic() + 30
        while _session_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        orphans = _session_alive(proc.pid)
    finally:
        if _session_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = (stdout + stderr).decode("utf-8", "replace")
    assert proc.returncode == code, text[-2000:]
    assert "Traceback" not in text
    if sig == signal.SIGINT:
        assert stderr.decode("utf-8").strip().splitlines()[-1] == "gosupr: interrupted"
    assert not orphans, "worker processes still running 30 s after the main process exited"
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert left == ([earlier] if keep_old else []), left
    if keep_old:
        assert old.read_text(encoding="utf-8") == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["held", "logs", "out"]
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == sorted(log.name for log in logs)


def test_hold_point_is_inert_without_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Outside tests a hold point returns at once; a point of another name does not hold either."""
    from gosupr._hold import ENV, hold

    monkeypatch.delenv(ENV, raising=False)
    hold("read")
    monkeypatch.setenv(ENV, f"write:{tmp_path / 'held'}")
    hold("read")
    assert not (tmp_path / "held").exists()
