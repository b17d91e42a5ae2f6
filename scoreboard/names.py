"""Normalising what people type: team and user names, country codes."""
from __future__ import annotations

import unicodedata

from babel import Locale

# Babel's territory list minus macro-regions and private-use codes.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}
COUNTRIES: dict[str, str] = {
    code: name
    for code, name in Locale("en").territories.items()
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
}

MAX_NAME = 64


class NameError_(ValueError):
    """A name or code a person must change; the message says how."""


def display_name(raw: str, what: str = "name") -> str:
    """NFC-normalise, strip and collapse white space; refuse empty, overlong and control text."""
    if not isinstance(raw, str):
        raise NameError_(f"{what} must be text")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise NameError_(f"{what} must not be empty")
    if len(name) > MAX_NAME:
        raise NameError_(f"{what} must be at most {MAX_NAME} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in name):
        raise NameError_(f"{what} contains invisible or control characters")
    return name


def name_key(name: str) -> str:
    """The identity of a name: two names that look alike to a person share a key."""
    return unicodedata.normalize("NFKC", " ".join(name.split())).casefold()


def country_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if code not in COUNTRIES:
        raise NameError_(f"unknown country code {raw!r}: use an ISO 3166 alpha-2 code such as KZ")
    return code
