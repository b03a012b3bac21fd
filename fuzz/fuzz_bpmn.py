"""Fuzz the BPMN reader: any bytes must give a ProcessModel or a one-line GosuprError, nothing else.

    pip install -e '.[fuzz]'
    mkdir -p /tmp/fuzz-bpmn
    python fuzz/fuzz_bpmn.py -max_total_time=300 -artifact_prefix=/tmp/fuzz-bpmn/ \
        /tmp/fuzz-bpmn tests/bad/bpmn ../shared/data/bpmn

See docs/fuzzing.md. Anything else escaping the reader (an AttributeError, a RecursionError, a
crash in lxml) is reported by libFuzzer with the input saved as crash-<sha1>.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["gosupr"]):
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.errors import GosuprError


def test_one_input(data: bytes) -> None:
    try:
        model = read_bpmn(data, name="fuzz.bpmn")
    except GosuprError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"error message is more than one line: {exc!r}") from None
        return
    model.graph()  # the control-flow graph that metrics, rules and compare build on


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
