"""Shared material for the BPMN reader/writer/layout tests: the MIWG corpus, a hand-built ministry
model with everything gosupr writes, and the semantic view a round trip must preserve."""

from __future__ import annotations

from pathlib import Path

from gosupr.bpmn.model import ARTIFACT, Flow, Lane, Node, Participant, ProcessModel

BPMN_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bpmn"
BPMN_FILES = sorted(BPMN_DIR.glob("*.bpmn"))


def semantic(m: ProcessModel) -> dict:
    """What must survive read -> write -> read: ids, types, names, nesting, lanes, flows, event facts."""
    nodes = {
        n.id: (
            n.type, n.name, n.parent, n.lane if n.kind != ARTIFACT else None, n.process,
            tuple(n.attrs.get("event_definitions") or ()), n.attrs.get("attached_to"),
            n.attrs.get("cancel_activity"), n.attrs.get("default"), n.attrs.get("loop"),
            n.attrs.get("called_element"), n.attrs.get("triggered_by_event"),
        )
        for n in m.nodes.values()
    }
    flows = {f.id: (f.kind, f.source, f.target, f.name, f.condition) for f in m.flows.values()}
    lanes = {lane.id: (lane.name, lane.parent, lane.process) for lane in m.lanes.values()}
    return {"nodes": nodes, "flows": flows, "lanes": lanes, "processes": dict(m.processes)}


def ministry_model() -> ProcessModel:
    """Two pools with Russian names, nested lanes, a sub-process with a boundary timer, a loop,
    conditions and a default flow, parallel branches, data and an annotation, message flows."""
    m = ProcessModel(name="Выдача лицензии")
    m.processes = {"P_app": "Заявитель", "P_min": "Министерство"}
    m.participants = {
        "Pool_app": Participant("Pool_app", "Заявитель", "P_app"),
        "Pool_min": Participant("Pool_min", "Министерство «Цифра»", "P_min"),
    }
    m.collaboration_id = "Collab"
    for lane in (
        Lane("L_reg", "Отдел регистрации", "P_min"),
        Lane("L_chk", "Отдел проверки", "P_min"),
        Lane("L_law", "Юристы", "P_min", parent="L_chk"),
        Lane("L_acc", "Бухгалтерия", "P_min", parent="L_chk"),
    ):
        m.lanes[lane.id] = lane

    def node(i, t, name, proc, lane=None, parent=None, **attrs):
        m.add_node(Node(i, t, name, proc, parent, lane, dict(attrs)))

    def flow(i, s, t, name="", cond=None, kind="sequence", proc=None):
        m.add_flow(Flow(i, s, t, kind, name, cond, proc))

    node("a_start", "startEvent", "Нужна лицензия", "P_app", event_definitions=[])
    node("a_send", "sendTask", "Отправить документы", "P_app")
    node("a_wait", "intermediateCatchEvent", "Ответ получен", "P_app", event_definitions=["message"])
    node("a_end", "endEvent", "Готово", "P_app", event_definitions=[])
    flow("fa1", "a_start", "a_send", proc="P_app")
    flow("fa2", "a_send", "a_wait", proc="P_app")
    flow("fa3", "a_wait", "a_end", proc="P_app")

    node("m_start", "startEvent", "Заявление получено", "P_min", "L_reg", event_definitions=["message"])
    node("m_reg", "userTask", "Зарегистрировать заявление", "P_min", "L_reg")
    node("m_gw", "exclusiveGateway", "Документы полные?", "P_min", "L_reg", default="fm_no")
    node("m_ask", "task", "Запросить документы", "P_min", "L_reg")
    node("m_sub", "subProcess", "Проверка", "P_min", "L_law", triggered_by_event=False, expanded=True)
    node("s_start", "startEvent", "", "P_min", "L_law", "m_sub", event_definitions=[])
    node("s_sign", "task", 'Проверить подпись & «печать» <важно> "срочно"', "P_min", "L_law", "m_sub", loop="standard")
    node("s_end", "endEvent", "", "P_min", "L_law", "m_sub", event_definitions=[])
    node("m_timer", "boundaryEvent", "30 дней", "P_min", "L_law", attached_to="m_sub", cancel_activity=False,
         event_definitions=["timer"])
    node("m_remind", "task", "Напомнить руководителю", "P_min", "L_law")
    node("m_rem_end", "endEvent", "", "P_min", "L_law", event_definitions=[])
    node("m_split", "parallelGateway", "", "P_min", "L_law")
    node("m_fee", "serviceTask", "Начислить пошлину", "P_min", "L_acc", loop="parallel")
    node("m_draft", "task", "Подготовить ответ", "P_min", "L_law")
    node("m_join", "parallelGateway", "", "P_min", "L_law")
    node("m_reply", "sendTask", "Отправить ответ", "P_min", "L_reg")
    node("m_end", "endEvent", "Лицензия выдана", "P_min", "L_reg", event_definitions=["terminate"])
    node("m_doc_obj", "dataObject", "Заявление", "P_min")
    node("m_doc", "dataObjectReference", "Заявление (PDF)", "P_min", data_object="m_doc_obj")
    node("m_note", "textAnnotation", "Срок — 30 дней", "P_min")
    flow("fm1", "m_start", "m_reg")
    flow("fm2", "m_reg", "m_gw")
    flow("fm_yes", "m_gw", "m_sub", "да", "${полные}")
    flow("fm_no", "m_gw", "m_ask", "нет")
    flow("fm_loop", "m_ask", "m_reg")
    flow("fs1", "s_start", "s_sign")
    flow("fs2", "s_sign", "s_end")
    flow("fm_t", "m_timer", "m_remind")
    flow("fm_t2", "m_remind", "m_rem_end")
    flow("fm3", "m_sub", "m_split")
    flow("fm4", "m_split", "m_fee")
    flow("fm5", "m_split", "m_draft")
    flow("fm6", "m_fee", "m_join")
    flow("fm7", "m_draft", "m_join")
    flow("fm8", "m_join", "m_reply")
    flow("fm9", "m_reply", "m_end")
    flow("fd1", "m_doc", "m_reg", kind="data", proc="P_min")
    flow("fn1", "m_note", "m_sub", kind="association", proc="P_min")
    flow("mf1", "a_send", "m_start", "Документы", kind="message")
    flow("mf2", "m_reply", "a_wait", "Лицензия", kind="message")
    return m


def chain_model(n: int, loops: int = 0) -> ProcessModel:
    """start -> n tasks in a row -> end, with `loops` back edges: the shape of a discovered model."""
    m = ProcessModel(name="Цепочка")
    m.processes["P"] = "Цепочка"
    m.add_node(Node("start", "startEvent", "Начало", "P"))
    prev = "start"
    for i in range(n):
        if i % 7 == 3:  # an XOR diamond every few steps
            m.add_node(Node(f"x{i}", "exclusiveGateway", "", "P"))
            m.add_node(Node(f"t{i}", "task", f"Шаг {i}", "P"))
            m.add_node(Node(f"u{i}", "task", f"Шаг {i}б", "P"))
            m.add_node(Node(f"y{i}", "exclusiveGateway", "", "P"))
            for a, b in ((prev, f"x{i}"), (f"x{i}", f"t{i}"), (f"x{i}", f"u{i}"), (f"t{i}", f"y{i}"), (f"u{i}", f"y{i}")):
                m.add_flow(Flow(f"f_{a}_{b}", a, b, process="P"))
            prev = f"y{i}"
        else:
            m.add_node(Node(f"t{i}", "task", f"Шаг {i}", "P"))
            m.add_flow(Flow(f"f_{prev}_t{i}", prev, f"t{i}", process="P"))
            prev = f"t{i}"
    m.add_node(Node("end", "endEvent", "Конец", "P"))
    m.add_flow(Flow(f"f_{prev}_end", prev, "end", process="P"))
    tasks = [n for n in m.nodes if n.startswith("t")]
    for k in range(loops):
        a, b = tasks[(k * 13 + 9) % len(tasks)], tasks[(k * 13 + 2) % len(tasks)]
        m.add_flow(Flow(f"back{k}", a, b, process="P"))
    return m


# Element kinds the MIWG files lack: transaction, ad-hoc and event sub-processes, complex gateway,
# compensation and cancel, link events, more task types; `bpmn2:` prefix as Eclipse tools write it.
ODD_TYPES_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="urn:t"
    exporter="Eclipse BPMN2 Modeler" exporterVersion="1.5.0">
  <bpmn2:process id="P" name="Разное">
    <bpmn2:startEvent id="start"/>
    <bpmn2:transaction id="tx" name="Оплата">
      <bpmn2:startEvent id="tx_s"/>
      <bpmn2:scriptTask id="tx_script" name="Списать"/>
      <bpmn2:endEvent id="tx_cancel"><bpmn2:cancelEventDefinition/></bpmn2:endEvent>
      <bpmn2:sequenceFlow id="t1" sourceRef="tx_s" targetRef="tx_script"/>
      <bpmn2:sequenceFlow id="t2" sourceRef="tx_script" targetRef="tx_cancel"/>
    </bpmn2:transaction>
    <bpmn2:boundaryEvent id="b_cancel" attachedToRef="tx"><bpmn2:cancelEventDefinition/></bpmn2:boundaryEvent>
    <bpmn2:boundaryEvent id="b_comp" attachedToRef="tx"><bpmn2:compensateEventDefinition/></bpmn2:boundaryEvent>
    <bpmn2:manualTask id="refund" name="Вернуть деньги" isForCompensation="true"/>
    <bpmn2:adHocSubProcess id="adhoc" name="Собрать справки">
      <bpmn2:businessRuleTask id="rule" name="Проверить правила"/>
      <bpmn2:receiveTask id="recv" name="Получить справку"/>
    </bpmn2:adHocSubProcess>
    <bpmn2:complexGateway id="cx" name="Сложное условие" default="c2"/>
    <bpmn2:intermediateThrowEvent id="link_out" name="К"><bpmn2:linkEventDefinition name="К"/></bpmn2:intermediateThrowEvent>
    <bpmn2:intermediateCatchEvent id="link_in" name="К"><bpmn2:linkEventDefinition name="К"/></bpmn2:intermediateCatchEvent>
    <bpmn2:endEvent id="end"/>
    <bpmn2:subProcess id="evsub" name="Отмена заявителем" triggeredByEvent="true">
      <bpmn2:startEvent id="ev_s" isInterrupting="false"><bpmn2:signalEventDefinition/></bpmn2:startEvent>
      <bpmn2:endEvent id="ev_e"/>
      <bpmn2:sequenceFlow id="e1" sourceRef="ev_s" targetRef="ev_e"/>
    </bpmn2:subProcess>
    <bpmn2:sequenceFlow id="f1" sourceRef="start" targetRef="tx"/>
    <bpmn2:sequenceFlow id="f2" sourceRef="tx" targetRef="adhoc"/>
    <bpmn2:sequenceFlow id="f3" sourceRef="adhoc" targetRef="cx"/>
    <bpmn2:sequenceFlow id="c1" sourceRef="cx" targetRef="link_out"/>
    <bpmn2:sequenceFlow id="c2" sourceRef="cx" targetRef="end"/>
    <bpmn2:sequenceFlow id="f4" sourceRef="link_in" targetRef="end"/>
    <bpmn2:sequenceFlow id="f5" sourceRef="b_cancel" targetRef="end"/>
    <bpmn2:association id="a1" sourceRef="b_comp" targetRef="refund"/>
  </bpmn2:process>
</bpmn2:definitions>
""".encode()
