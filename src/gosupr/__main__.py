"""`python -m gosupr` and the `gosupr` command."""

import signal

from ._exit import interrupted, on_sigterm


def run() -> None:
    """Import the CLI inside the guards that `cli.main` sets up, so that Ctrl-C or SIGTERM while
    the libraries load also exits 130/143 with one line, not a traceback."""
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        from .cli import main
    except KeyboardInterrupt:
        interrupted()
    main()


if __name__ == "__main__":
    run()
