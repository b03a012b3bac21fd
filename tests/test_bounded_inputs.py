"""Inputs that are not regular files, and small documents built to break their parsers.

A FIFO (or `<(zcat …)`) as the log, the config or the findings JSON is refused at once, never
waited on; gosupr.toml and `--highlight` JSON nested thousands of levels deep, with numbers of
thousands of digits or with NaN/inf, are exit 2 naming the file (and line/key), not RecursionError.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gosupr.docload import MAX_DEPTH, load_json, load_toml
from gosupr.errors import GosuprError
from material import OFFICE

LOG = ("case;activity;timestamp\n"
       "1;Регистрация;2024-01-09 10:00\n1;Проверка;2024-01-09 11:00\n"
       "2;Регистрация;2024-01-10 10:00\n2;Проверка;2024-01-10 12:00\n")


def gosupr(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    # the timeout is a hang guard: a FIFO nobody opens for writing would block the reader forever
    return subprocess.run([sys.executable, "-m", "gosupr", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def one_line(p: subprocess.CompletedProcess, *fragments: str) -> None:
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    for frag in fragments:
        assert frag in lines[0], lines[0]


@pytest.mark.parametrize("with_writer", [False, True], ids=["no-writer", "writer"])
def test_fifo_log_is_refused_at_once(tmp_path: Path, with_writer: bool) -> None:
    """With no writer, opening the FIFO would block forever; with one, we still refuse (and the
    writer is released by our own read end, so the test never hangs either)."""
    fifo = tmp_path / "log.csv"
    os.mkfifo(fifo)
    writer = None
    if with_writer:
        def feed() -> None:
            try:
                fd = os.open(fifo, os.O_WRONLY)  # blocks until some reader opens it
                os.write(fd, LOG.encode("utf-8"))
                os.close(fd)
            except OSError:
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
    p = gosupr("analyze", fifo, "--format", "json", cwd=tmp_path)
    one_line(p, "log.csv", "pipe")
    if writer is not None:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # let the writer finish
        writer.join(timeout=10)
        os.close(fd)


def test_process_substitution_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(LOG, encoding="utf-8")
    cmd = f"'{sys.executable}' -m gosupr analyze <(cat '{log}') --format json"
    p = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    one_line(p, "pipe")


def test_fifo_config_and_findings_are_refused(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(LOG, encoding="utf-8")
    os.mkfifo(tmp_path / "gosupr.toml")
    one_line(gosupr("analyze", log, "--config", "gosupr.toml", cwd=tmp_path), "gosupr.toml", "pipe")
    os.mkfifo(tmp_path / "f.json")
    one_line(gosupr("render", OFFICE.bpmn, "-o", "x.svg",
                    "--highlight", "f.json", cwd=tmp_path), "f.json", "pipe")
    assert not (tmp_path / "x.svg").exists()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(("text", "says"), [
    ("[analyze]\nkinds = " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 32 levels deep (line 2, key kinds)"),
    ("[analyze]\nx = " + "{a=" * 5000 + "1" + "}" * 5000 + "\n", "nested more than 32 levels deep (line 2, key x)"),
    ("[analyze]\nmin_share = 1" + "0" * 5000 + "\n", "number is too long (line 2, key min_share)"),
    ("[analyze.rework]\nmin_cases = 1" + "0" * 30 + "\n", "analyze.rework.min_cases: the number"),
    ("[analyze.rework]\nmin_share = inf\n", "analyze.rework.min_share: inf is not a usable number"),
    ("[" + ".".join(["a"] * 3000) + "]\nx = 1\n", "nested more than 32 levels deep"),
])
def test_hostile_toml_is_one_clear_error(tmp_path: Path, text: str, says: str) -> None:
    p = _write(tmp_path, "gosupr.toml", text)
    with pytest.raises(GosuprError) as err:
        load_toml(p)
    assert str(err.value).startswith(f"{p}: ") and says in str(err.value), str(err.value)


@pytest.mark.parametrize(("text", "says"), [
    ('{"schema": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than 32 levels deep"),
    ('{"a": ' * 40 + "1" + "}" * 40, "nested more than 32 levels deep"),
    ('{"findings": [{"cases": 1' + "0" * 5000 + "}]}", "number is too long"),
    ('{"findings": [{"share": NaN}]}', "NaN is not a number"),
])
def test_hostile_json_is_one_clear_error(tmp_path: Path, text: str, says: str) -> None:
    p = _write(tmp_path, "findings.json", text)
    with pytest.raises(GosuprError) as err:
        load_json(p)
    assert str(err.value).startswith(f"{p}: ") and says in str(err.value), str(err.value)


def test_ordinary_documents_still_read(tmp_path: Path) -> None:
    nested = "[analyze.rework]\nmin_cases = 3\n[analyze]\nkinds = [\"rework\"]\n"
    assert load_toml(_write(tmp_path, "ok.toml", nested))["analyze"]["rework"]["min_cases"] == 3
    deep_ok = '{"a": ' * (MAX_DEPTH - 1) + "1.5" + "}" * (MAX_DEPTH - 1)
    assert load_json(_write(tmp_path, "ok.json", deep_ok)) is not None


def test_deep_config_through_the_cli(tmp_path: Path) -> None:
    log = _write(tmp_path, "log.csv", LOG)
    _write(tmp_path, "gosupr.toml", "[batch]\npaths = " + "[" * 3000 + "]" * 3000 + "\n")
    one_line(gosupr("analyze", log, "--config", "gosupr.toml", cwd=tmp_path), "gosupr.toml", "nested")
    one_line(gosupr("batch", "--quiet", "--config", "gosupr.toml", cwd=tmp_path), "gosupr.toml", "nested")
