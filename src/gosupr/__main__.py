"""`python -m gosupr` and the `gosupr` command."""

import sys

try:  # Ctrl-C in the first milliseconds (`signal` builds its enums on import): still one line
    import signal

    from gosupr._exit import interrupted, on_sigterm
except KeyboardInterrupt:  # pragma: no cover - a race with process start
    sys.stderr.write("gosupr: interrupted\n")
    raise SystemExit(130) from None


def run() -> None:
    """Import the CLI inside the guards that `cli.main` sets up, so that Ctrl-C or SIGTERM while
    the libraries load also exits 130/143 with one line, not a traceback."""
    try:
        signal.signal(signal.SIGTERM, on_sigterm)
        from gosupr.cli import main
    except KeyboardInterrupt:
        interrupted()
    main()


if __name__ == "__main__":
    run()
