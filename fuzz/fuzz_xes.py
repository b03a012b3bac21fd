"""Fuzz the XES (and XES.gz) reader: any bytes must give an EventLog or a one-line GosuprError.

    pip install -e '.[fuzz]'
    mkdir -p /tmp/fuzz-xes
    python fuzz/fuzz_xes.py -max_total_time=300 -artifact_prefix=/tmp/fuzz-xes/ \
        /tmp/fuzz-xes tests/bad/xes examples/logs ../shared/data/logs

See docs/fuzzing.md. Each input is written to a scratch file named `.xes` (`.xes.gz` when it starts
with the gzip magic) and read with `read_log` under an 8 MiB cap, so the fuzzer stays fast. The Rust
XES reader is not instrumented, but its crashes (a panic that escapes, a stack overflow) are still
caught as deadly signals and saved.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["gosupr"]):
    from gosupr.errors import GosuprError
    from gosupr.ingest import read_log

MAX_BYTES = 8 * 1024 * 1024
SCRATCH = Path("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())  # RAM, where there is one


def test_one_input(data: bytes) -> None:
    suffix = ".xes.gz" if data.startswith(b"\x1f\x8b") else ".xes"
    path = SCRATCH / f"gosupr-fuzz-{os.getpid()}{suffix}"  # removed after each input
    path.write_bytes(data)
    try:
        log = read_log(path, max_bytes=MAX_BYTES)
    except GosuprError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"error message is more than one line: {exc!r}") from None
        return
    finally:
        path.unlink(missing_ok=True)
    audit = log.audit
    if audit.rows_read != audit.rows_kept + sum(audit.dropped.values()) or audit.rows_kept != log.n_events:
        raise AssertionError(f"audit does not add up: {audit}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
