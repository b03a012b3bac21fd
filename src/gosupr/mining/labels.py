"""What a label says, apart from how a tool or a hand spelt it.

Modelling tools invent names for what the modeller left unnamed (`Sequence Flow_12`,
`Parallel Gateway_81`, `<ohne Namen>`, `Task 3`, `to Task 2`), and people spell the same step two
ways (`Sub Process`/`Sub-Process`, `Succesful?`/`Successful?`). Neither is a change of behaviour,
so comparison asks this module whether a label is a real name and whether two real names differ
in more than spelling.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = dict.fromkeys(map(ord, "\"'`«»„“”‘’‚‹›"), None)
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−"), "-")
_SPACE = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")

# generic words tools (and people in a hurry) put where no name was given; matched on the whole
# normalised label, optionally numbered ("task 3", "parallel gateway_81", "end event3")
_GENERIC = (
    r"(start|end|intermediate|boundary|catch|throw|catching|throwing|none|message|timer|signal)?"
    r"\s*(event|gateway)( none)?"
    r"|(exclusive|parallel|inclusive|event[- ]?based|event|complex|data[- ]?based|xor|and|or)\s*gateway"
    r"|start|end|(abstract |user |service |manual |script |send |receive )?task|activity|step"
    r"|sub[- ]?process|call activity|transaction"
    r"|lane|pool|participant|process|swimlane"
    r"|(sequence|message|conditional|default)?\s*flow|connector|connection|link"
    r"|unnamed|untitled|no name|noname|ohne namen|sans nom|sin nombre|без названия|без имени"
    # the same defaults in Russian and German modellers
    r"|задача|действие|шлюз|развилка|(начальное |конечное |промежуточное |граничное )?событие|подпроцесс"
    r"|дорожка|пул|участник|процесс|поток( управления| сообщений)?"
    r"|aufgabe|(start|end|zwischen)?ereignis|teilprozess|unterprozess|sequenzfluss|nachrichtenfluss"
)
PLACEHOLDER = re.compile(rf"^<?\s*(?:{_GENERIC})\s*>?(?:[ _.#-]*\d+)?$")


def normalise_label(text: str | None) -> str:
    """Case, whitespace, quotes and ё/е do not make two labels different."""
    if not text:
        return ""
    s = unicodedata.normalize("NFC", text).casefold()
    s = s.replace("ё", "е").translate(_QUOTES).translate(_DASHES)
    return _SPACE.sub(" ", s).strip()


def is_placeholder(text: str | None, target_name: str | None = None) -> bool:
    """True for no name or a tool-generated one; `target_name` lets a flow's `to <target>` count too."""
    s = normalise_label(text)
    if not s or PLACEHOLDER.match(s):
        return True
    return bool(target_name) and s in ("to " + normalise_label(target_name), "-> " + normalise_label(target_name))


def meaningful(text: str | None, target_name: str | None = None) -> str:
    """The normalised label if it is a real name, else ''."""
    return "" if is_placeholder(text, target_name) else normalise_label(text)


def skeleton(text: str | None) -> str:
    """Letters and digits only: what is left when spaces, hyphens and punctuation are dropped."""
    return _NON_ALNUM.sub("", normalise_label(text))


def spelling_only(a: str | None, b: str | None) -> bool:
    """Two real names that differ only in spelling: punctuation and spacing, or a typo of one or two letters.

    Numbers must agree ("Task 1" is not "Task 2") and the allowance grows with the length: one
    edit up to 10 letters, then one more per 10 (so "Pick items"/"Pick item" and
    "Succesful?"/"Successful?" are spelling, "Approve"/"Reject" is not).
    """
    from rapidfuzz.distance import Levenshtein

    x, y = skeleton(a), skeleton(b)
    if x == y:
        return True
    if not x or not y or _DIGITS.findall(x) != _DIGITS.findall(y):
        return False
    budget = max(1, min(len(x), len(y)) // 10)
    return min(len(x), len(y)) >= 5 and Levenshtein.distance(x, y, score_cutoff=budget) <= budget


def name_change(
    a: str | None, b: str | None, target_a: str | None = None, target_b: str | None = None, *, step: bool = False
) -> str:
    """How two names of one paired element differ: "same", "spelling", "default" or "renamed".

    "default": one side has no real name (empty or a placeholder), so nothing was renamed;
    "spelling": both real and equal but for spelling; "renamed": a different real name. A `step`
    (task, sub-process) is known by its name: "Task 3" becoming "Check application" is a rename,
    only an empty name or two placeholders are "default".
    """
    if (a or "") == (b or ""):
        return "same"
    if normalise_label(a) == normalise_label(b):
        return "spelling"
    ma, mb = meaningful(a, target_a), meaningful(b, target_b)
    if step and normalise_label(a) and normalise_label(b) and (ma or mb):
        ma, mb = ma or normalise_label(a), mb or normalise_label(b)
    if not ma or not mb:
        return "default"
    return "spelling" if spelling_only(ma, mb) else "renamed"
