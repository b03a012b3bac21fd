"""`python -m gosupr` and the `gosupr` command."""

import signal
import sys


def _terminated(signum: int, frame: object) -> None:  # pragma: no cover - exercised by subprocess tests
    raise SystemExit(143)


def run() -> None:
    """Import the CLI inside the guards that `cli.main` sets up, so that Ctrl-C or SIGTERM while
    the libraries load also exits 130/143 with one line, not a traceback."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        from .cli import main
    except KeyboardInterrupt:
        sys.stderr.write("gosupr: interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
