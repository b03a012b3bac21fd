"""The `gosupr` command: options in, library calls, a renderer out. No logic of its own.

Heavy modules (pm4py, pandas, the miners) are imported inside the commands so that
`gosupr --help` answers fast.
"""

from __future__ import annotations

import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from typer.exceptions import TyperException

from .errors import GateFailed, GosuprError

app = typer.Typer(
    name="gosupr",
    help="Process mining for State Governance 4.0: find and remove waste in ministry processes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Fmt(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


class Lang(str, Enum):
    auto = "auto"
    en = "en"
    ru = "ru"


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"gosupr {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Process mining for State Governance 4.0: find and remove waste in ministry processes.

    Exit codes: 0 done; 1 a CI gate failed; 2 bad input (one line on stderr); 3 internal error;
    130/143 interrupted.
    """


# shared options --------------------------------------------------------------------------------
CaseOpt = typer.Option(None, "--case", help="Column holding the case id (default: recognised header).")
ActOpt = typer.Option(None, "--activity", help="Column holding the activity name.")
TsOpt = typer.Option(None, "--timestamp", help="Column holding the event time.")
ResOpt = typer.Option(None, "--resource", help="Column holding the performer.")
DepOpt = typer.Option(None, "--department", help="Column holding the department.")
FmtOpt = typer.Option(Fmt.table, "--format", "-f", help="table for people; json or markdown for machines and PRs.")
LangOpt = typer.Option(Lang.auto, "--lang", help="Language of tables and reports (default follows LANG).")


def _lang(lang: Lang) -> str:
    from .report.i18n import default_lang

    return default_lang() if lang == Lang.auto else lang.value


def _columns(case, activity, timestamp, resource, department):
    from .ingest import ColumnMap

    return ColumnMap(case=case, activity=activity, timestamp=timestamp, resource=resource, department=department)


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _console():
    from rich.console import Console

    return Console(soft_wrap=False)


@app.command()
def discover(
    log: Path = typer.Argument(..., help="Event log: CSV (; , tab; UTF-8 or cp1251), XES, XES.gz or Parquet."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="BPMN file to write (default: <log name>.bpmn here)."),
    noise: float = typer.Option(0.2, "--noise", min=0.0, max=1.0, help="Inductive miner noise threshold."),
    fmt: Fmt = FmtOpt,
    lang: Lang = LangOpt,
    case: Optional[str] = CaseOpt,
    activity: Optional[str] = ActOpt,
    timestamp: Optional[str] = TsOpt,
    resource: Optional[str] = ResOpt,
    department: Optional[str] = DepOpt,
) -> None:
    """Discover a BPMN model from an event log and write it with a readable layout."""
    from .pipeline import run_discover
    from .report import discover_render as r

    out = output or Path(_stem(log) + ".bpmn")
    result = run_discover(log, out, noise=noise, columns=_columns(case, activity, timestamp, resource, department))
    lg = _lang(lang)
    if fmt == Fmt.json:
        _emit(r.to_json(result))
    elif fmt == Fmt.markdown:
        _emit(r.to_markdown(result, lg))
    else:
        r.to_terminal(result, _console(), lg)


def _stem(p: Path) -> str:
    name = p.name
    for ext in (".xes.gz", ".csv.gz"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return p.stem


def _on_sigterm(signum, frame):  # pragma: no cover - exercised by subprocess tests
    raise SystemExit(143)


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point: user errors become one stderr line and exit 2; Ctrl-C 130; SIGTERM 143."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        rv = app(args=argv, standalone_mode=False)
    except GosuprError as e:
        sys.stderr.write(f"gosupr: error: {e}\n")
        sys.exit(2)
    except GateFailed as e:
        sys.stderr.write(f"gosupr: gate failed: {e}\n")
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("gosupr: interrupted\n")
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except TyperException as e:  # usage errors: typer prints them itself
        e.show()
        sys.exit(getattr(e, "exit_code", 2))
    except BrokenPipeError:  # `gosupr ... | head`
        sys.exit(0)
    except Exception as e:  # a bug of ours, not the user's: still one line unless asked for more
        if os.environ.get("GOSUPR_DEBUG"):
            raise
        sys.stderr.write(f"gosupr: internal error: {type(e).__name__}: {e} (set GOSUPR_DEBUG=1 for details)\n")
        sys.exit(3)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
