"""Activity labels as words: normalised, crudely stemmed (Russian and English), and classified.

Ministry logs name the same work in many forms («Проверка документов», «проверку документа»,
"Check documents"), so detectors compare stems, not strings. The stemmer cuts common endings only;
it is deliberately crude and dependency-free, good enough to match labels and keywords.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

#: a department or person recorded as these is unknown, not one more department ("EMPTY", "-")
PLACEHOLDERS = frozenset(("", "empty", "none", "null", "nan", "n/a", "-", "unknown", "нет", "не указано"))
_TOKEN = re.compile(r"[a-zа-я]+")

# longest first; a cut must leave a stem of at least 4 letters (3 for short words)
_RU_ENDINGS = tuple(sorted({
    "ирование", "ирования", "ированием", "ование", "ования", "ованием", "ением", "ениями", "ениях",
    "ения", "ение", "ении", "ению", "аниями", "аниях", "анием", "ания", "ание", "ании", "анию",
    "ировать", "ировал", "овать", "ывать", "ивать", "ать", "ять", "ить", "еть", "уть", "ться", "тся",
    "ет", "ут", "ют", "ит", "ат", "ят", "ил", "ала", "али",
    "иями", "ями", "ами", "иях", "ях", "ах", "ого", "его", "ому", "ему", "ыми", "ими",
    "ой", "ей", "ий", "ый", "ая", "яя", "ое", "ее", "ые", "ие", "ую", "юю", "ом", "ем", "ам", "ям", "ов", "ев",
    "ия", "ии", "ию", "ья", "ье", "ьи", "ью", "а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й",
}, key=lambda e: (-len(e), e)))
_EN_ENDINGS = ("ations", "ation", "ings", "ions", "ing", "ion", "ers", "er", "ed", "es", "al", "ly", "s", "e", "y")

STOPWORDS = frozenset({
    "и", "в", "во", "на", "по", "для", "с", "со", "к", "ко", "о", "об", "от", "из", "до", "за", "при",
    "без", "или", "не", "а", "что", "как", "у", "же", "ли", "то",
    "the", "a", "an", "of", "and", "or", "to", "for", "in", "on", "at", "by", "with", "from", "into", "as", "is", "be",
})

# words that mark a repetition of the same work, not different work
REPEAT_PREFIXES = ("повтор", "дополнительн", "контрольн", "втор", "вновь", "second", "again", "additional",
                   "double", "repeat")
REPEAT_WORDS = frozenset(("еще", "доп", "нов", "re", "extra"))

# stems of control steps (approval, sign-off, check, visa, review)
CONTROL = ("провер", "соглас", "утвер", "утвержд", "визир", "виз", "контрол", "экспертиз", "рассмотр",
           "свер", "подпис", "заверен", "завер", "одобр", "ревиз",
           "approv", "review", "check", "sign", "verif", "validat", "inspect", "control", "audit",
           "authoris", "authoriz")
# stems of outcomes that send a case back or stop it: what a control step that does its job leads to
REJECT = ("отказ", "возврат", "возвращ", "верн", "доработ", "исправ", "корректир", "коррект", "уточн",
          "устран", "отклон", "замечан", "переработ", "перераб",
          "reject", "return", "refus", "deni", "deny", "declin", "correct", "adjust", "rework", "fix",
          "amend", "resubmit", "revis")
# stems of steps that change a case between two repeats: money, penalties (a correction is a REJECT word)
CHANGE = ("оплат", "платеж", "плат", "штраф", "пен", "начисл", "взыск", "pay", "penalt", "fine", "charg", "refund",
          "collect")
# stems of steps that receive another party's work: the wait before them is that party's, not a queue
EXTERNAL = ("ответ", "получен", "поступ", "repl", "respons", "receiv", "arriv")
# words that qualify a decision without naming who decides or on what («окончательное», "FINAL_")
QUALIFIERS = ("final", "окончательн", "итогов", "предварительн", "pre")
# stems that name the essential acts: registration, the decision, notification, archiving, issuing
ESSENTIAL = {
    "registration": ("регистр", "зарегистр", "прием", "приём", "поступлен", "register", "registr", "intake"),
    "decision": ("решени", "реш", "постановл", "приказ", "decision", "decid", "verdict", "resolut"),
    "notification": ("уведомл", "извещ", "информир", "оповещ", "notif"),
    "archiving": ("архив", "archiv"),
    "outcome": ("выдач", "отказ", "вручен", "issu", "deliver", "refus"),
}


def normalise(label: str) -> str:
    """Lowercase, ё→е, punctuation and digits to spaces, single spaces."""
    s = label.lower().replace("ё", "е")
    return " ".join(_TOKEN.findall(s))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Cut one common ending (Russian or English) while keeping a usable stem."""
    endings = _RU_ENDINGS if re.search("[а-я]", word) else _EN_ENDINGS
    for e in endings:
        if word.endswith(e) and len(word) - len(e) >= (3 if len(word) <= 5 else 4):
            return word[: -len(e)]
    return word


@lru_cache(maxsize=65536)
def stems(label: str) -> tuple[str, ...]:
    """Content stems of a label, in label order, without stop words and codes like "T02"."""
    return tuple(stem(w) for w in normalise(label).split() if w not in STOPWORDS and len(w) > 1)


def _has(label: str, prefixes: tuple[str, ...]) -> bool:
    return any(w.startswith(p) for w in normalise(label).split() for p in prefixes)


def is_control(label: str) -> bool:
    """Approval, sign-off, check, visa, review."""
    return _has(label, CONTROL)


def is_reject(label: str) -> bool:
    """A return, correction or refusal."""
    return _has(label, REJECT)


def changes_case(label: str) -> bool:
    """A return, correction, refusal, payment or penalty: a step after which the case is not the same."""
    return is_reject(label) or _has(label, CHANGE)


def waits_for_others(label: str) -> bool:
    """The time before this step is someone else's: a correction or return (the applicant's), a reply
    (another agency's)."""
    return is_reject(label) or _has(label, EXTERNAL)


def decision_object(label: str) -> frozenset[str]:
    """Who decides on what, without the decision: «Declaration APPROVED by SUPERVISOR» and
    «Declaration REJECTED by SUPERVISOR» give the same set; empty when nothing else is named."""
    words_ = [w for w in normalise(label).split() if w not in STOPWORDS and len(w) > 1]
    return frozenset(
        stem(w) for w in words_
        if not w.startswith(CONTROL) and not w.startswith(REJECT) and not w.startswith(QUALIFIERS)
    )


def essential_role(label: str) -> str | None:
    """Which essential act the label names, if any (registration, decision, notification, ...)."""
    for role, prefixes in ESSENTIAL.items():
        if _has(label, prefixes):
            return role
    return None


def _is_marker(s: str) -> bool:
    return s in REPEAT_WORDS or s.startswith(REPEAT_PREFIXES)


def core_stems(label: str) -> tuple[str, ...]:
    """Stems of the work itself: repetition markers («повторная», "re-") removed."""
    return tuple(s for s in stems(label) if not _is_marker(s))


def same_work(a: str, b: str) -> float:
    """0..1: how surely two labels name the same work (equal cores after repetition markers go)."""
    ca, cb = core_stems(a), core_stems(b)
    if not ca or not cb:
        return 0.0
    if set(ca) == set(cb):
        return 1.0
    return fuzz.token_sort_ratio(" ".join(ca), " ".join(cb)) / 100.0
