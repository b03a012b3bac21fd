"""The synthetic ministry logs: deterministic, committed files equal to the generator, truth = data."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from gosupr.eventlog import EventLog
from gosupr.ingest import read_log
from gosupr.synth import generator as synth

ROOT = Path(__file__).resolve().parents[1]
LOGS = {  # file -> (process, cases, seed), as examples/generate.py makes them
    "land_lease.csv": ("land_lease", 400, 101),
    "construction_permit.csv": ("construction_permit", 400, 202),
    "memo_approval.xes": ("memo_approval", 260, 303),
    "land_lease_journal.xlsx": ("land_lease", 400, 101),
}
XES = "{http://www.xes-standard.org/}"
COLS = ["case_id", "activity", "timestamp", "resource", "department"]


def _read_xes(path: Path) -> pd.DataFrame:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    rows = []
    for trace in root.iter(f"{XES}trace"):
        case = trace.find(f"{XES}string[@key='concept:name']").get("value")
        for ev in trace.iter(f"{XES}event"):
            a = {c.get("key"): c.get("value") for c in ev}
            rows.append((case, a["concept:name"], a["time:timestamp"], a["org:resource"], a["org:group"]))
    df = pd.DataFrame(rows, columns=COLS)
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601").dt.tz_convert(None)
    return df


def _read_xlsx(path: Path) -> pd.DataFrame:
    """The register's rows below its 4 title and header rows; each kind of time cell on its own."""
    import fastexcel

    sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None, skip_rows=4, dtypes="string")
    df = sheet.to_pandas()
    df.columns = COLS
    t = df["timestamp"]
    serial, text = t.str.fullmatch(r"\d+\.?\d*"), t.str.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d")
    stamps = pd.to_datetime(t.where(~serial & ~text), format="ISO8601")  # date cells
    stamps[text] = pd.to_datetime(t[text], format="%d.%m.%Y %H:%M")
    stamps[serial] = pd.to_datetime(t[serial].astype(float), unit="D", origin="1899-12-30").dt.round("s")
    df["timestamp"] = stamps.astype("datetime64[ns]")
    return df


def _read(path: Path) -> pd.DataFrame:
    """The file as written, parsed without gosupr, sorted per case by time (stable: file order kept)."""
    if path.suffix == ".xes":
        df = _read_xes(path)
    elif path.suffix == ".xlsx":
        df = _read_xlsx(path)
    elif path.read_bytes().startswith("Номер дела".encode("cp1251")):
        df = pd.read_csv(path, sep=";", encoding="cp1251", dtype=str)
        df.columns = COLS
        df["timestamp"] = pd.to_datetime(df["timestamp"], format="%d.%m.%Y %H:%M")
    else:
        df = pd.read_csv(path, encoding="utf-8", dtype=str)
        df["timestamp"] = pd.to_datetime(df["timestamp"], format="%Y-%m-%dT%H:%M:%S")
    return df.sort_values(["case_id", "timestamp"], kind="stable").reset_index(drop=True)


def _truth(name: str) -> dict:
    return json.loads((ROOT / "examples" / "logs" / f"{Path(name).stem}.truth.json").read_text("utf-8"))


def _removable_labels(truth: dict) -> set[str]:
    """Labels that go entirely with the waste (a loop's first activity stays, once)."""
    out: set[str] = set()
    for w in truth["waste"]:
        if w["kind"] in ("redundant_approval", "bypassable_step"):
            out |= set(w["activities"])
        elif w["kind"] != "self_loop":
            out |= set(w["activities"][1:])
    return out


def _traces(df: pd.DataFrame) -> pd.Series:
    return df.groupby("case_id", sort=True)["activity"].agg(tuple)


def _count(kind: str, acts: list[str], df: pd.DataFrame) -> int:
    """Cases showing the pattern, counted straight from the events (the rule in examples/logs/README.md)."""
    a = acts[0]
    b = acts[1] if len(acts) > 1 else None

    def has(t: tuple) -> bool:
        pairs = list(itertools.pairwise(t))
        if kind == "self_loop":
            return (a, a) in pairs
        if kind == "rework":
            return t.count(a) > 1
        if kind == "ping_pong":
            return any(x == z != y and {x, y} == {a, b} for x, y, z in zip(t, t[1:], t[2:]))
        if kind == "duplicate_step":
            return (a, b) in pairs
        if kind in ("redundant_approval", "bypassable_step"):
            return a in t
        raise AssertionError(kind)

    return int(_traces(df).map(has).sum())


@pytest.mark.parametrize("process", synth.PROCESSES)
def test_generate_is_deterministic(process: str) -> None:
    df1, t1 = synth.generate(process, 120, seed=7)
    df2, t2 = synth.generate(process, 120, seed=7)
    pd.testing.assert_frame_equal(df1, df2)
    assert t1 == t2
    df3, _ = synth.generate(process, 120, seed=8)
    assert not df1["timestamp"].equals(df3["timestamp"])
    assert list(df1.columns) == COLS


def test_committed_examples_equal_generator_output(tmp_path: Path, examples_dir: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "generate.py"), str(tmp_path)], check=True, capture_output=True
    )
    fresh = sorted(p.name for p in tmp_path.iterdir())
    assert fresh == sorted(p.name for p in examples_dir.iterdir()), "examples/logs has extra or missing files"
    for name in fresh:
        assert _content(tmp_path / name) == _content(examples_dir / name), (
            f"examples/logs/{name} drifted from the generator; run python examples/generate.py"
        )


def _content(path: Path) -> bytes | list[tuple[str, bytes]]:
    """The bytes; for a workbook (a ZIP) its parts, so another zlib build compressing them
    differently does not count as drift."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


@pytest.mark.parametrize("name", LOGS)
def test_truth_counts_match_the_file(name: str, examples_dir: Path) -> None:
    df = _read(examples_dir / name)
    truth = _truth(name)
    process, n, seed = LOGS[name]
    assert (truth["schema"], truth["log"], truth["seed"], truth["process"]) == ("gosupr.truth/1", name, seed, process)
    assert truth["cases"] == df["case_id"].nunique() == n
    assert truth["events"] == len(df)
    assert {w["kind"] for w in truth["waste"]} <= set(synth.WASTE_KINDS)
    for w in truth["waste"]:
        assert set(w["activities"]) <= set(df["activity"]), w
        assert w["cases_affected"] == _count(w["kind"], w["activities"], df), w
        assert 0 < w["cases_affected"] < n or w["kind"] == "redundant_approval"
    # every case ends in exactly one outcome, and the outcome counts are the file's
    outcome = df[df["activity"].isin(truth["outcomes"])]
    assert outcome.groupby("case_id").size().eq(1).all() and outcome["case_id"].nunique() == n
    assert outcome["activity"].value_counts().to_dict() == truth["outcomes"]
    assert set(truth["essential"]) <= set(df["activity"])
    assert not set(truth["essential"]) & _removable_labels(truth)


@pytest.mark.parametrize("name", LOGS)
def test_waste_patterns_behave_as_documented(name: str, examples_dir: Path) -> None:
    df = _read(examples_dir / name)
    truth = _truth(name)
    nxt = df.groupby("case_id")["activity"].shift(-1)
    dept = df.drop_duplicates("activity").set_index("activity")["department"]
    refusal = [o for o in truth["outcomes"] if o.startswith(("Отказ", "Отклонение"))]
    for w in truth["waste"]:
        if w["kind"] == "redundant_approval":  # never rejects: one next step, always
            assert nxt[df["activity"] == w["activities"][0]].nunique(dropna=False) == 1
        if w["kind"] == "ping_pong":  # between two departments
            assert dept[w["activities"][0]] != dept[w["activities"][1]]
    # look-alikes: some essential checks/approvals do lead straight to a refusal
    essential_control = [a for a in truth["essential"] if re.match("Проверка|Экспертиза|Согласование|Правовая", a)]
    refused_after = set(df.loc[nxt.isin(refusal).to_numpy(), "activity"])
    assert refused_after & set(essential_control), "no essential check ever refuses"
    # realistic times: every event in working hours on a working day
    ts = df["timestamp"]
    assert (ts.dt.day_of_week < 5).all() and ts.dt.hour.between(9, 17).all()


@pytest.mark.parametrize("process", synth.PROCESSES)
def test_removing_the_waste_keeps_every_outcome(process: str) -> None:
    df, truth = synth.generate(process, 400, seed=11, mark_waste=True)
    clean = df[df["waste"] == ""]
    assert set(clean["case_id"]) == set(df["case_id"])
    outcomes = list(truth["outcomes"])
    before = df[df["activity"].isin(outcomes)].set_index("case_id")["activity"]
    after = clean[clean["activity"].isin(outcomes)].set_index("case_id")["activity"]
    pd.testing.assert_series_equal(before.sort_index(), after.sort_index())
    # with the waste gone no step repeats and nothing marked waste is essential
    assert not clean.duplicated(["case_id", "activity"]).any()
    assert not set(df.loc[df["waste"] != "", "activity"]) - {a for w in truth["waste"] for a in w["activities"]}
    assert not set(truth["essential"]) & _removable_labels(truth)
    # an essential step is marked waste only as the repetition in a loop (rework, self-loop)
    loops = {w["activities"][0] for w in truth["waste"] if w["kind"] in ("rework", "self_loop")}
    assert set(truth["essential"]) & set(df.loc[df["waste"] != "", "activity"]) <= loops
    # a bypassable step changes nothing else: the waste-free paths of cases with and without it match
    paths = _traces(clean.astype({"case_id": str, "activity": str}))
    for w in truth["waste"]:
        if w["kind"] == "bypassable_step":
            with_step = df.loc[df["activity"] == w["activities"][0], "case_id"].astype(str).unique()
            step = w["activities"][0]
            p = paths[paths.index.isin(with_step)].map(lambda t, s=step: tuple(a for a in t if a != s))
            q = paths[~paths.index.isin(with_step)]
            tv = 0.5 * (p.value_counts(normalize=True).sub(q.value_counts(normalize=True), fill_value=0).abs().sum())
            assert tv < 0.15, (w, tv)
    assert 0.2 <= truth["waste_share"] <= 0.35


def test_waste_share_across_examples_is_about_a_quarter() -> None:
    t = [_truth(n) for n in LOGS]
    share = sum(x["waste_events"] for x in t) / sum(x["events"] for x in t)
    assert 0.2 <= share <= 0.35


def test_ru_csv_is_a_cp1251_semicolon_export(examples_dir: Path) -> None:
    raw = (examples_dir / "land_lease.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1251")
    lines = text.split("\r\n")
    assert lines[0] == "Номер дела;Операция;Дата и время;Исполнитель;Подразделение"
    assert lines[-1] == "" and "\n" not in text.replace("\r\n", "")
    rows = [ln.split(";") for ln in lines[1:-1]]
    assert all(len(r) == 5 for r in rows)
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", r[2]) for r in rows)
    stamps = pd.to_datetime([r[2] for r in rows], format="%d.%m.%Y %H:%M")
    assert stamps.is_monotonic_increasing  # a journal: ordered by time, not by case
    assert any(d > 12 for d in stamps.day)  # day-first for real, not ambiguous


def test_en_csv_and_xes_formats(examples_dir: Path) -> None:
    text = (examples_dir / "construction_permit.csv").read_bytes().decode("utf-8")
    assert text.startswith("case_id,activity,timestamp,resource,department\n")
    assert re.search(r"^РС-\d{5},[^,]+,\d{4}-\d\d-\d\dT\d\d:\d\d:00,", text, re.MULTILINE)
    xes = (examples_dir / "memo_approval.xes").read_bytes()
    assert xes.startswith(b'<?xml version="1.0" encoding="UTF-8"?>') and b"<!DOCTYPE" not in xes
    df = _read_xes(examples_dir / "memo_approval.xes")
    assert df["department"].str.len().gt(0).all() and df["resource"].str.len().gt(0).all()
    for name in LOGS:
        assert (examples_dir / name).stat().st_size < 1_000_000


def test_xlsx_is_a_register_with_title_merged_header_and_mixed_dates(examples_dir: Path) -> None:
    import fastexcel

    path = examples_dir / "land_lease_journal.xlsx"
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
    merged = set(re.findall(r'<mergeCell ref="([A-Z0-9:]+)"/>', sheet))
    assert merged == {"A1:E1", "A3:A4", "B3:C3", "D3:D4", "E3:E4"}
    top = fastexcel.read_excel(path).load_sheet(0, header_row=None, skip_rows=0, n_rows=5, dtypes="string")
    rows = list(zip(*[c.to_pylist() for c in top.to_arrow().columns]))
    assert rows[0][0].startswith("Журнал регистрации операций") and rows[1] == (None,) * 5
    assert rows[2] == ("Номер дела", "Сведения об операции", None, "Исполнитель", "Подразделение")
    assert rows[3] == (None, "Операция", "Дата и время", None, None)
    times = fastexcel.read_excel(path).load_sheet(0, header_row=None, skip_rows=4, use_columns=[2]).to_arrow()
    assert times.schema.field(0).type == "string"  # date cells, text and numbers mixed in one column
    kinds = pd.Series(times.column(0).to_pylist()).str.extract(r"^(\d{4}-)|^(\d\d\.)|^(\d+\.?\d*)$").notna().sum()
    assert kinds.tolist() == [6736 - 6736 // 13 - (6736 // 9 - 6736 // 117), 6736 // 9 - 6736 // 117, 6736 // 13]


def test_example_files_load_with_pandas_as_generated(examples_dir: Path) -> None:
    """Reading a file back gives the generator's frame: nothing lost in cp1251, CSV or XES."""
    for name, (process, n, seed) in LOGS.items():
        want, _ = synth.generate(process, n, seed=seed)
        got = _read(examples_dir / name)
        want = want.astype({c: str for c in COLS if c != "timestamp"})
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_example_files_load_with_read_log(examples_dir: Path) -> None:
    for name, (process, n, seed) in LOGS.items():
        log = read_log(examples_dir / name)
        want = EventLog.from_frame(synth.generate(process, n, seed=seed)[0])
        assert (log.n_cases, log.n_events) == (n, want.n_events)
        assert log.variants.traces == want.variants.traces
        assert log.audit.rows_dropped == 0


def test_scale_gives_the_requested_size() -> None:
    df = synth.scale(100_000, seed=3)
    assert 99_900 <= len(df) <= 100_000
    assert list(df.columns) == COLS
    log = EventLog.from_frame(df)
    assert log.n_cases == df["case_id"].nunique() and len(log.activities) >= 15


def test_hostile_has_many_variants_and_activities() -> None:
    df = synth.hostile(n_variants=3000, n_activities=300, seed=5)
    log = EventLog.from_frame(df)
    assert log.n_cases == 3000
    assert len(log.activities) == 300
    assert len(log.variants) >= 2950


def test_writers_escape_and_round_trip(tmp_path: Path) -> None:
    nasty = 'Проверка "A&B" <срочно>, ещё; раз\nстрока'
    df = pd.DataFrame(
        {
            "case_id": ["Д-1", "Д-1", "Д-2"],
            "activity": [nasty, "Регистрация", nasty],
            "timestamp": pd.to_datetime(["2024-03-01 09:00", "2024-03-01 10:30", "2024-03-02 11:00"]),
            "resource": ["Фёдоров П. С.", "", "Иванов"],
            "department": ["Отдел & Ко", "Отдел", "Отдел"],
        }
    )
    synth.write_xes(df, tmp_path / "a.xes")
    root = etree.parse(str(tmp_path / "a.xes")).getroot()
    names = [e.get("value") for e in root.iter(f"{XES}string") if e.get("key") == "concept:name"]
    assert nasty in names and names.count(nasty) == 2
    assert len(list(root.iter(f"{XES}trace"))) == 2
    for dialect, enc, sep in (("ru", "cp1251", ";"), ("en", "utf-8", ",")):
        p = tmp_path / f"a.{dialect}.csv"
        synth.write_csv(df, p, dialect=dialect)
        got = pd.read_csv(io.StringIO(p.read_bytes().decode(enc)), sep=sep, dtype=str, keep_default_na=False)
        assert got.iloc[:, 1].tolist() == df["activity"].tolist()
    (tmp_path / "again").mkdir()
    synth.write_xes(df, tmp_path / "a.xes.gz")
    synth.write_xes(df, tmp_path / "again" / "a.xes.gz")
    assert (tmp_path / "a.xes.gz").read_bytes() == (tmp_path / "again" / "a.xes.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.xes.gz").read_bytes()) == (tmp_path / "a.xes").read_bytes()
