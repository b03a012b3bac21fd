"""The baseline: the script a pm4py user writes to get a BPMN model from a CSV export.

    python benchmarks/plain_pm4py.py IN.csv [OUT.bpmn] [--noise 0.2]

Without OUT it only discovers (the "plain script that only discovers" of the speed targets).
It is deliberately naive, as a user would write it: `pandas.read_csv` with defaults,
`pm4py.format_dataframe`, `pm4py.discover_bpmn_inductive`, `pm4py.write_bpmn`. The one
deviation is `auto_layout=False`: the default layout needs Graphviz `dot`, and without it
`write_bpmn` raises `ExecutableNotFound`, so the baseline that actually runs is the honest one.
"""

from __future__ import annotations

import argparse

import pandas as pd
import pm4py


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("out", nargs="?", help="BPMN file to write; omit to only discover")
    ap.add_argument("--noise", type=float, default=0.2, help="inductive miner noise threshold (gosupr's default)")
    ap.add_argument("--case", default="case_id")
    ap.add_argument("--activity", default="activity")
    ap.add_argument("--timestamp", default="timestamp")
    a = ap.parse_args()

    df = pd.read_csv(a.csv)
    df = pm4py.format_dataframe(df, case_id=a.case, activity_key=a.activity, timestamp_key=a.timestamp)
    bpmn = pm4py.discover_bpmn_inductive(df, noise_threshold=a.noise)
    if a.out:
        pm4py.write_bpmn(bpmn, a.out, auto_layout=False)


if __name__ == "__main__":
    main()
