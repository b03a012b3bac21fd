"""Size and complexity of a model, and the work a log shows: the numbers a before/after report compares.

Model metrics follow the usual definitions (Mendling, "Metrics for Process Models", 2008; Cardoso 2005):
size = flow nodes; CNC = sequence flows / flow nodes; density = flows / (nodes·(nodes−1)); CFC sums
over split gateways: XOR (and event-based) fan-out n → n, OR (and complex) → 2ⁿ−1, AND → 1, gateways
with one outgoing flow → 0. Paths are counted on the condensation of the flattened control-flow graph
(each loop collapsed to one node, so it counts once), by dynamic programming — never enumerated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from gosupr.bpmn.model import EVENT, GATEWAY, SUBPROCESS, TASK, ProcessModel
from gosupr.eventlog import ACTIVITY, CASE, DEPARTMENT, RESOURCE, TIMESTAMP, EventLog

XOR_SPLITS = {"exclusiveGateway", "eventBasedGateway"}
OR_SPLITS = {"inclusiveGateway", "complexGateway"}
AND_SPLITS = {"parallelGateway"}


@dataclass
class ModelMetrics:
    """Structural metrics of one model. `paths` may be a huge int; `paths_log10` stays readable."""

    tasks: int
    subprocesses: int
    gateways: int
    events: int
    sequence_flows: int
    size: int
    cfc: int
    cfc_xor: int
    cfc_or: int
    cfc_and: int
    cnc: float
    density: float
    paths: int
    paths_log10: float
    lanes: int
    lane_handovers: int

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cnc"] = round(self.cnc, 3)
        d["density"] = round(self.density, 4)
        d["paths_log10"] = round(self.paths_log10, 3)
        return d


def control_flow_complexity(model: ProcessModel) -> tuple[int, int, int]:
    """Cardoso's CFC split into its XOR, OR and AND parts (explicit split gateways only)."""
    fanout: dict[str, int] = {}
    for f in model.sequence_flows():
        fanout[f.source] = fanout.get(f.source, 0) + 1
    xor = or_ = and_ = 0
    for g in model.gateways():
        n = fanout.get(g.id, 0)
        if n < 2:
            continue
        if g.type in XOR_SPLITS:
            xor += n
        elif g.type in OR_SPLITS:
            or_ += 2**n - 1
        elif g.type in AND_SPLITS:
            and_ += 1
    return xor, or_, and_


def count_paths(graph: nx.MultiDiGraph) -> int:
    """Distinct paths from nodes without predecessors to nodes without successors, loops counted once.

    Strongly connected components become single nodes; parallel flows between two components count
    as separate paths. Dynamic programming over the DAG in reverse topological order: O(V+E).
    """
    if graph.number_of_nodes() == 0:
        return 0
    dag = nx.condensation(graph)
    member = dag.graph["mapping"]
    mult: dict[tuple[int, int], int] = {}
    for u, v in graph.edges():
        cu, cv = member[u], member[v]
        if cu != cv:
            mult[(cu, cv)] = mult.get((cu, cv), 0) + 1
    paths: dict[int, int] = {}
    for c in reversed(list(nx.topological_sort(dag))):
        succ = list(dag.successors(c))
        paths[c] = 1 if not succ else sum(mult[(c, s)] * paths[s] for s in succ)
    return sum(paths[c] for c in dag.nodes if dag.in_degree(c) == 0)


def _effective_lanes(model: ProcessModel) -> dict[str, str | None]:
    """Lane of each node; nodes inside a sub-process inherit the sub-process's lane."""
    out: dict[str, str | None] = {}

    def lane(nid: str, depth: int = 0) -> str | None:
        if nid in out:
            return out[nid]
        n = model.nodes.get(nid)
        if n is None or depth > 100:
            return None
        res = n.lane if n.lane is not None else (lane(n.parent, depth + 1) if n.parent else None)
        out[nid] = res
        return res

    for nid in model.nodes:
        lane(nid)
    return out


def lane_handovers(model: ProcessModel) -> int:
    """Sequence flows whose source and target sit in different lanes (both in some lane)."""
    lanes = _effective_lanes(model)
    g = model.graph(flatten=False)
    count = 0
    for u, v, data in g.edges(data=True):
        if data.get("kind") != "sequence":
            continue
        a, b = lanes.get(u), lanes.get(v)
        if a is not None and b is not None and a != b:
            count += 1
    return count


def model_metrics(model: ProcessModel) -> ModelMetrics:
    """All structural metrics of `model` (sub-processes flattened for path counting)."""
    nodes = model.flow_nodes()
    n_nodes = len(nodes)
    arcs = len([f for f in model.sequence_flows() if f.source in model.nodes and f.target in model.nodes])
    xor, or_, and_ = control_flow_complexity(model)
    paths = count_paths(model.graph(flatten=True))
    return ModelMetrics(
        tasks=len(model.of_kind(TASK)),
        subprocesses=len(model.of_kind(SUBPROCESS)),
        gateways=len(model.of_kind(GATEWAY)),
        events=len(model.of_kind(EVENT)),
        sequence_flows=arcs,
        size=n_nodes,
        cfc=xor + or_ + and_,
        cfc_xor=xor,
        cfc_or=or_,
        cfc_and=and_,
        cnc=arcs / n_nodes if n_nodes else 0.0,
        density=arcs / (n_nodes * (n_nodes - 1)) if n_nodes > 1 else 0.0,
        paths=paths,
        paths_log10=math.log10(paths) if paths > 0 else 0.0,
        lanes=len(model.lanes),
        lane_handovers=lane_handovers(model),
    )


# -- the work a log shows -------------------------------------------------------------------------
def _service_seconds(log: EventLog) -> tuple[np.ndarray, str]:
    """Per-event working time, estimated without Python loops.

    With a `start_timestamp` column: completion − start. Otherwise an event's work starts when both
    its case handed it over (previous event of the case completed) and its resource became free
    (the resource's previous event completed): service = ts − max(those two) — the estimate of
    Martin, Depaire & Caris (2016) and Chapela-Campa & Dumas (2022), which removes queueing for a busy
    resource. Without a resource column only the case gap is left: an upper bound that includes
    waiting. Events with no known start (first of a case) get the median estimate of their activity.
    """
    df = log.df
    ts = df[TIMESTAMP].to_numpy().astype("datetime64[ns]").astype(np.int64)
    n = len(ts)
    starts, _ = log.case_bounds
    first = np.zeros(n, dtype=bool)
    first[starts] = True
    if "start_timestamp" in df.columns and pd.api.types.is_datetime64_any_dtype(df["start_timestamp"]):
        st = df["start_timestamp"].to_numpy().astype("datetime64[ns]")
        known = ~np.isnat(st)
        svc = np.where(known, (ts - st.astype(np.int64)) / 1e9, np.nan)
        svc = np.where(svc < 0, np.nan, svc)
        method = "start-timestamp"
    else:
        prev_case = np.empty(n, dtype=np.float64)
        prev_case[1:] = ts[:-1]
        prev_case[first] = np.nan
        ready = prev_case
        method = "case-gap"
        res, named = _codes(df[RESOURCE]) if log.has_resource else (None, None)
        if res is not None and named is not None and named.any():
            order = np.lexsort((np.arange(n), ts, res))
            r_sorted, t_sorted = res[order], ts[order]
            prev_res_sorted = np.empty(n, dtype=np.float64)
            prev_res_sorted[0] = np.nan
            prev_res_sorted[1:] = np.where(r_sorted[1:] == r_sorted[:-1], t_sorted[:-1], np.nan)
            prev_res = np.empty(n, dtype=np.float64)
            prev_res[order] = prev_res_sorted
            prev_res[~named] = np.nan
            # resource availability only bounds an event whose case handover is known
            ready = np.where(np.isnan(prev_case), np.nan, np.fmax(prev_case, prev_res))
            method = "resource-availability"
        svc = (ts - ready) / 1e9
    svc = pd.Series(svc)
    fill = svc.groupby(df[ACTIVITY].cat.codes.to_numpy()).transform("median")
    return svc.fillna(fill).fillna(0.0).to_numpy(), method


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a resource/department column and where it names someone (not blank/missing)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        blank = [i for i, c in enumerate(col.cat.categories) if str(c).strip() == ""]
    else:
        codes, uniques = pd.factorize(col.astype("string"))
        blank = [i for i, c in enumerate(uniques) if str(c).strip() == ""]
    return codes, (codes >= 0) & ~np.isin(codes, blank)


def _handovers(log: EventLog, col: str) -> float | None:
    """Consecutive events in a case done by a different (named) department/resource, per case."""
    if col not in log.df.columns or log.n_cases == 0:
        return None
    vals, named = _codes(log.df[col])
    if not named.any():
        return None
    case = log.df[CASE].cat.codes.to_numpy()
    diff = (case[1:] == case[:-1]) & named[1:] & named[:-1] & (vals[1:] != vals[:-1])
    return float(diff.sum()) / log.n_cases


def log_work_metrics(log: EventLog) -> dict[str, Any]:
    """Steps, durations, staff time and handovers of a log; every figure vectorised over events."""
    _, lengths = log.case_bounds
    out: dict[str, Any] = {"cases": log.n_cases, "events": log.n_events}
    if log.n_cases == 0:
        return out | {
            "steps_per_case_mean": None, "steps_per_case_median": None,
            "case_duration_median_s": None, "case_duration_p90_s": None,
            "staff_hours_per_1000_cases": None, "staff_time_method": None,
            "department_handovers_per_case": None, "resource_handovers_per_case": None,
        }
    dur = log.case_durations_s().to_numpy()
    svc, method = _service_seconds(log)
    out.update(
        steps_per_case_mean=round(float(lengths.mean()), 3),
        steps_per_case_median=float(np.median(lengths)),
        case_duration_median_s=round(float(np.median(dur)), 3),
        case_duration_p90_s=round(float(np.percentile(dur, 90)), 3),
        staff_hours_per_1000_cases=round(float(svc.sum()) / 3600.0 / log.n_cases * 1000.0, 3),
        staff_time_method=method,
    )
    dep = _handovers(log, DEPARTMENT)
    res = _handovers(log, RESOURCE)
    out["department_handovers_per_case"] = None if dep is None else round(dep, 4)
    out["resource_handovers_per_case"] = None if res is None else round(res, 4)
    return out
