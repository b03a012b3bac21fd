"""Names from the data never act as markup: Markdown gets no HTML or table syntax from them, the
terminal no escape sequences or rich markup; Ctrl-C still says "interrupted"."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gosupr.report import markdown as md
from gosupr.report.terminal import console, plain

ROOT = Path(__file__).resolve().parents[1]
EVIL_LOG = ROOT / "tests" / "bad" / "csv" / "markup_in_names.csv"
ESC = "\x1b"


def test_markdown_text_and_cells_escape_html_and_table_syntax() -> None:
    name = "<img src=x onerror=alert(1)> | [a](http://e.x) ![i](http://e.x/i.png) `c`"
    row = md.table(["Activity", "Cases"], [[name, 3]]).splitlines()[2]
    assert "<img" not in row and "&lt;img src=x onerror=alert(1)&gt;" in row
    assert row.count(" | ") == 1 + 0 and row.startswith("| ") and row.endswith(" | 3 |")  # one cell split only
    assert "\\[a\\](http://e.x)" in row and "!\\[i\\]" in row and "\\`c\\`" in row


def test_code_span_is_literal_and_fenced_past_backticks() -> None:
    span = md.code("a `b` | <i>")
    assert span == "``a `b` \\| <i>``"
    assert md.cell(span) == span  # our own markdown is kept


def test_control_characters_are_stripped() -> None:
    assert plain(f"{ESC}[31mred{ESC}[0m\u202eevil\tx\ny\x07") == "[31mred[0mevil x y"


def test_terminal_console_prints_names_without_escapes_or_markup() -> None:
    from rich.table import Table

    buf = io.StringIO()
    con = console(file=buf, force_terminal=False, width=200)
    tab = Table()
    tab.add_column("name")
    tab.add_row(f"[/bold] {ESC}[31mКрасный{ESC}[0m")  # rich markup would raise MarkupError
    con.print(tab)
    con.print(f"file {ESC}]0;title\x07.csv")
    out = buf.getvalue()
    assert ESC not in out and "\x07" not in out
    assert "[/bold] [31mКрасный[0m" in out


def _run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gosupr", *map(str, args)], capture_output=True,
                          text=True, timeout=600, env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"})


def test_markdown_report_of_a_log_with_markup_names() -> None:
    p = _run("analyze", EVIL_LOG, "--format", "markdown")
    assert p.returncode == 0, p.stderr
    assert "<img" not in p.stdout and ESC not in p.stdout and "\x07" not in p.stdout
    assert "| Проверка \\| \\[/bold\\] \\!\\[x\\](http://e.x/a.png) |" in p.stdout
    for line in p.stdout.splitlines():  # every table row keeps its own number of cells
        if line.startswith("| "):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            assert len(cells) in (2, 9), line


def test_terminal_report_of_a_log_with_markup_names(tmp_path: Path) -> None:
    named = tmp_path / f"log{ESC}[2J.csv"  # a file name that would clear the screen
    named.write_bytes(EVIL_LOG.read_bytes())
    p = _run("analyze", named)
    assert p.returncode == 0, p.stderr
    assert ESC not in p.stdout + p.stderr and "\x07" not in p.stdout
    assert "│ Проверка | [/bold] ![x](http://e.x/a.png) │" in p.stdout
    err = _run("analyze", tmp_path / f"missing{ESC}[2J.csv")
    assert err.returncode == 2 and ESC not in err.stderr and "missing[2J.csv" in err.stderr


def test_ctrl_c_inside_a_command_prints_the_interrupted_line(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """typer turns KeyboardInterrupt into a returned 130; main must still say why it stopped."""
    from gosupr import cli, pipeline

    def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_analyze", interrupted)
    with pytest.raises(SystemExit) as ex:
        cli.main(["analyze", str(EVIL_LOG)])
    assert ex.value.code == 130
    assert capsys.readouterr().err == "gosupr: interrupted\n"


def test_stages_show_on_a_terminal_only(tmp_path: Path) -> None:
    """On a terminal's stderr the stage line appears (and is erased); stdout keeps clean JSON; a
    piped stderr gets nothing."""
    import os
    import pty
    import threading

    master, slave = pty.openpty()
    got = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            got.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "120"}
    p = subprocess.run([sys.executable, "-m", "gosupr", "analyze", str(EVIL_LOG), "--format", "json", "--lang", "ru"],
                       stdout=subprocess.PIPE, stderr=slave, env=env, timeout=600)
    os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    assert p.returncode == 0
    assert p.stdout.decode("utf-8").lstrip().startswith("{")
    assert "gosupr: чтение журнала…" in got.decode("utf-8", "replace")
    piped = _run("analyze", EVIL_LOG, "--format", "json")
    assert piped.returncode == 0 and piped.stderr == ""
