"""Write the small in-repo office log and its model: ``python tests/data/logs/make_office.py``.

A plain clone has no ../shared/data, so the core reading, replay and metric tests need material of
the project's own. This is it: six cases of a licence office (a rework loop, two steps in either
order, three outcomes), written as XES (times with a +03:00 offset, pm4py's keys, every event
`complete`), as the same log in pm4py's CSV export (an unnamed index column first), and the process
as BPMN drawn by gosupr's own writer. Every case fits the model. Deterministic: run it again and
the files come out byte-identical (tests/test_ingest.py checks the committed copies against it).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent
MSK = timezone(timedelta(hours=3))

REG, DOCS, FEE, DECIDE = "Зарегистрировать заявление", "Проверить документы", "Проверить оплату", "Принять решение"
ISSUE, REFUSE, ASK = "Выдать лицензию", "Отказать", "Запросить уточнения"
DEPT = {REG: "Приёмная", DOCS: "Отдел проверки", FEE: "Бухгалтерия", DECIDE: "Руководство",
        ISSUE: "Приёмная", REFUSE: "Приёмная", ASK: "Отдел проверки"}
PEOPLE = {"Приёмная": ("Анна", "Борис"), "Отдел проверки": ("Вера", "Глеб"), "Бухгалтерия": ("Дина",),
          "Руководство": ("Егор",)}
#: case id -> its steps in order
CASES: dict[str, tuple[str, ...]] = {
    "1": (REG, DOCS, FEE, DECIDE, ISSUE),
    "2": (REG, FEE, DOCS, DECIDE, REFUSE),
    "3": (REG, DOCS, FEE, DECIDE, ASK, DOCS, FEE, DECIDE, ISSUE),
    "4": (REG, FEE, DOCS, DECIDE, ISSUE),
    "5": (REG, DOCS, FEE, DECIDE, ASK, FEE, DOCS, DECIDE, REFUSE),
    "6": (REG, DOCS, FEE, DECIDE, ISSUE),
}
FIRST = {"case": "3", "activity": REG, "utc": datetime(2025, 3, 5, 6, 30)}  # what a reader must make of case 3's start


def events() -> list[tuple[str, str, datetime, str, str]]:
    """(case, activity, time with offset, resource, department), in case order, times rising in each case."""
    out = []
    for k, (case, steps) in enumerate(CASES.items()):
        start = datetime(2025, 3, 3, 9, 30, tzinfo=MSK) + timedelta(days=k)
        for i, step in enumerate(steps):
            dept = DEPT[step]
            people = PEOPLE[dept]
            out.append((case, step, start + timedelta(hours=3 * i, minutes=7 * (i % 3)), people[(k + i) % len(people)], dept))
    return out


def xes() -> str:
    lines = ["<?xml version='1.0' encoding='UTF-8'?>",
             '<log xes.version="1849-2016" xes.features="nested-attributes" openxes.version="1.0RC7">',
             '  <string key="concept:name" value="office"/>']
    case = None
    for c, activity, when, resource, dept in events():
        if c != case:
            if case is not None:
                lines.append("  </trace>")
            lines += ["  <trace>", f'    <string key="concept:name" value="{c}"/>']
            case = c
        lines += ["    <event>",
                  f"      <string key=\"concept:name\" value={quoteattr(activity)}/>",
                  f"      <string key=\"org:resource\" value={quoteattr(resource)}/>",
                  f"      <string key=\"org:group\" value={quoteattr(dept)}/>",
                  '      <string key="lifecycle:transition" value="complete"/>',
                  f'      <date key="time:timestamp" value="{when.isoformat(timespec="milliseconds")}"/>',
                  "    </event>"]
    lines += ["  </trace>", "</log>", ""]
    return "\n".join(lines)


def csv() -> str:
    rows = [",case:concept:name,concept:name,time:timestamp,org:resource,org:group"]
    rows += [f"{i},{c},{a},{w.isoformat(sep=' ')},{r},{d}" for i, (c, a, w, r, d) in enumerate(events())]
    return "\n".join(rows) + "\n"


def model():
    """The office process: register, then documents and fee in either order, a decision, then issue,
    refuse, or ask for more and check again."""
    from gosupr.bpmn.model import Flow, Node, ProcessModel

    m = ProcessModel(name="Лицензия")
    m.processes = {"office": "Лицензия"}
    nodes = [("start", "startEvent", "Заявление получено"), ("reg", "task", REG), ("again", "exclusiveGateway", ""),
             ("split", "parallelGateway", ""), ("docs", "task", DOCS), ("fee", "task", FEE),
             ("join", "parallelGateway", ""), ("decide", "task", DECIDE), ("choice", "exclusiveGateway", "Решение?"),
             ("issue", "task", ISSUE), ("refuse", "task", REFUSE), ("ask", "task", ASK),
             ("issued", "endEvent", "Лицензия выдана"), ("refused", "endEvent", "Отказано")]
    for i, t, name in nodes:
        m.add_node(Node(i, t, name, "office", None, None, {"event_definitions": []} if t.endswith("Event") else {}))
    flows = [("reg", "start"), ("again", "reg"), ("split", "again"), ("docs", "split"), ("fee", "split"),
             ("join", "docs"), ("join", "fee"), ("decide", "join"), ("choice", "decide"), ("issue", "choice"),
             ("refuse", "choice"), ("ask", "choice"), ("again", "ask"), ("issued", "issue"), ("refused", "refuse")]
    for k, (target, source) in enumerate(flows, 1):
        m.add_flow(Flow(f"f{k}", source, target, process="office"))
    return m


def write(out: Path = HERE) -> None:
    from gosupr.bpmn.writer import write_bpmn

    (out / "office.xes").write_text(xes(), encoding="utf-8")
    (out / "office.csv").write_text(csv(), encoding="utf-8")
    write_bpmn(model(), out / "office.bpmn")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
