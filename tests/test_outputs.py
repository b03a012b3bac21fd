"""Output locations: devices written in place, symlinks followed, every problem exit 2, all or none.

The CLI cases run `python -m gosupr` on a six-event log; the write path itself (full disk on a
regular file, no permission) is driven in process, where the failure can be injected even as root.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gosupr import fileio
from gosupr.errors import GosuprError

LOG = ("Номер дела;Операция;Дата и время\r\n"
       "Д-1;Регистрация заявления;09.01.2024 10:00\r\nД-1;Проверка документов;09.01.2024 11:00\r\n"
       "Д-1;Выдача результата;10.01.2024 15:00\r\nД-2;Регистрация заявления;10.01.2024 09:30\r\n"
       "Д-2;Проверка документов;10.01.2024 12:00\r\nД-2;Выдача результата;11.01.2024 16:00\r\n")


@pytest.fixture()
def log(tmp_path: Path) -> Path:
    p = tmp_path / "журнал.csv"
    p.write_text(LOG, encoding="utf-8")
    return p


def run(*args: object, cwd: Path, shell_redirect: str = "", stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "gosupr", *map(str, args)]
    if shell_redirect:  # a stdout the shell sets up: closed (>&-) or a full device
        quoted = " ".join("'" + c.replace("'", "'\\''") + "'" for c in cmd)
        return subprocess.run(["sh", "-c", f"{quoted} {shell_redirect}"], cwd=cwd, stderr=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, timeout=600)
    return subprocess.run(cmd, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=600)


def one_line(p: subprocess.CompletedProcess, *fragments: str) -> str:
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    for frag in fragments:
        assert frag in lines[0], lines[0]
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "журнал.csv")


# --- through the CLI -------------------------------------------------------------------------

def test_dev_null_is_written_in_place_not_replaced(log: Path, tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    p = run("discover", log, "-o", "/dev/null", "--format", "json", "--no-reduce", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert leftovers(tmp_path) == []


def test_fifo_output_is_written_in_place(log: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "model.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    import threading

    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    p = run("discover", log, "-o", fifo, "--format", "json", "--no-reduce", cwd=tmp_path)
    reader.join(timeout=60)
    assert p.returncode == 0, p.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got and got[0].startswith(b"<?xml") and b"definitions" in got[0]


def test_symlink_target_replaces_the_real_file(log: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.bpmn"
    real.write_text("OLD", encoding="utf-8")
    link = tmp_path / "link.bpmn"
    link.symlink_to(real.name)
    p = run("discover", log, "-o", link, "--format", "json", "--no-reduce", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and os.readlink(link) == real.name
    assert real.read_bytes().startswith(b"<?xml")


def test_two_options_naming_one_file_are_refused(log: Path, tmp_path: Path) -> None:
    p = run("discover", log, "-o", "m.bpmn", "--html", "m.bpmn", cwd=tmp_path)
    one_line(p, "m.bpmn", "-o and --html")
    assert leftovers(tmp_path) == []


def test_full_disk_on_second_output_writes_neither(log: Path, tmp_path: Path) -> None:
    """--html on a full device: the BPMN must not be left behind alone."""
    p = run("discover", log, "-o", "m.bpmn", "--html", "/dev/full", "--format", "json", cwd=tmp_path)
    one_line(p, "/dev/full", "no space left")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(("where", "says"), [
    ("", "empty"),
    (".", "empty"),
    ("folder", "is a folder"),
    ("журнал.csv/x.bpmn", "is a file, not a folder"),
    ("missing/x.bpmn", "does not exist"),
    ("/dev/full", "no space left"),
])
def test_bad_output_locations_are_exit_2(log: Path, tmp_path: Path, where: str, says: str) -> None:
    (tmp_path / "folder").mkdir()
    p = run("discover", log, "-o", where, "--no-reduce", "--format", "json", cwd=tmp_path)
    one_line(p, says)
    assert p.stdout == ""
    assert leftovers(tmp_path) == ["folder"]


@pytest.mark.parametrize(("redirect", "says"), [(">/dev/full", "no space left"), (">&-", "closed")])
def test_stdout_full_or_closed_is_exit_2(log: Path, tmp_path: Path, redirect: str, says: str) -> None:
    p = run("analyze", log, "--format", "json", cwd=tmp_path, shell_redirect=redirect)
    one_line(p, "stdout", says)


def test_reduce_checks_all_three_outputs_pairwise(log: Path, tmp_path: Path) -> None:
    p = run("reduce", log, "-o", "to-be.bpmn", "--before", "as-is.bpmn", "--html", "as-is.bpmn", cwd=tmp_path)
    one_line(p, "--before and --html")


# --- the write path itself -------------------------------------------------------------------

def test_commit_writes_all_or_none_when_the_disk_fills(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a.bpmn", tmp_path / "b.html"
    a.write_text("OLD", encoding="utf-8")
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the second staged file hits a full disk
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    with pytest.raises(GosuprError, match="b.html: no space left"):
        fileio.commit([(a, b"NEW"), (b, "page")])
    assert a.read_text(encoding="utf-8") == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bpmn"]  # no temp files, no b.html


def test_no_permission_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*_a: object, **_k: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fileio.tempfile, "mkstemp", denied)
    with pytest.raises(GosuprError, match="out.bpmn: no permission"):
        fileio.write_bytes(tmp_path / "out.bpmn", b"x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder_is_refused_before_work(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    with pytest.raises(GosuprError, match="no permission"):
        fileio.check_outputs({"-o": ro / "m.bpmn"})


def test_hard_link_to_the_input_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "log.csv"
    src.write_text("x", encoding="utf-8")
    os.link(src, tmp_path / "other.bpmn")
    with pytest.raises(GosuprError, match="one of the inputs"):
        fileio.check_outputs({"-o": tmp_path / "other.bpmn"}, [src])
    fileio.check_outputs({"-o": "/dev/null", "--html": "/dev/null"}, [src])  # devices may repeat


def _file_size_limit(limit: int):
    def apply() -> None:  # Python ignores SIGXFSZ: a write past the limit fails with EFBIG
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_size_limit_mid_write_leaves_neither_output(log: Path, tmp_path: Path) -> None:
    """A real write failure on a regular file (the process may write at most 16 KiB per file):
    the small BPMN fits, the HTML report does not; neither may be left behind, nor a temp file."""
    p = subprocess.run([sys.executable, "-m", "gosupr", "discover", str(log), "-o", "m.bpmn", "--html", "r.html",
                        "--format", "json"], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                       preexec_fn=_file_size_limit(16 * 1024))
    one_line(p, "r.html", "too large")
    assert leftovers(tmp_path) == []


def test_batch_out_under_a_file_is_exit_2(log: Path, tmp_path: Path) -> None:
    p = run("batch", log, "--quiet", "--out", "журнал.csv/out", cwd=tmp_path)
    one_line(p, "журнал.csv/out", "is a file, not a folder")
