"""Deciding right or wrong. Pure functions: no Flask, no database.

Every answer type normalises the submitted text, then compares bytes in constant time, so
timing says nothing about how close a guess was.
"""
from __future__ import annotations

import hmac
import ipaddress
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

MAX_ANSWER = 1000
MAX_PATTERN = 500
TYPES = ("static", "regex", "ip", "hash", "number", "set", "choice")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


@lru_cache(maxsize=1024)
def compiled(pattern: str, case_insensitive: bool = False) -> re.Pattern[str]:
    """Compile a regex flag once; the pack loader calls this to reject bad patterns early."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern longer than {MAX_PATTERN} characters")
    return re.compile(pattern, re.IGNORECASE if case_insensitive else 0)


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        return None


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _set_items(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[,;\n]", str(value))
    return sorted({_fold(str(item)) for item in items if str(item).strip()})


def check(kind: str, expected: Any, answer: str, options: dict[str, Any] | None = None) -> bool:
    """True when ``answer`` satisfies one accepted answer of the given type."""
    options = options or {}
    answer = answer.strip()
    if kind == "static":
        if options.get("case_insensitive"):
            return _same(answer.casefold(), str(expected).casefold())
        return _same(answer, str(expected))
    if kind == "regex":
        matched = compiled(str(expected), bool(options.get("case_insensitive"))).fullmatch(answer)
        return hmac.compare_digest(b"1" if matched else b"0", b"1")
    if kind == "ip":
        got = _ip(answer)
        return _same(got or "", _ip(str(expected)) or "\0") and got is not None
    if kind == "hash":
        got = answer.lower().removeprefix("0x")
        valid = bool(got) and all(c in "0123456789abcdef" for c in got)
        return _same(got, str(expected).lower()) and valid
    if kind == "number":
        got, want = _number(answer), _number(str(expected))
        if got is None or want is None:
            return False
        tolerance = Decimal(str(options.get("tolerance", 0)))
        try:
            return abs(got - want) <= tolerance
        except ArithmeticError:  # an exponent like 1e1000000 overflows: simply not the answer
            return False
    if kind == "set":
        return _same("\n".join(_set_items(answer)), "\n".join(_set_items(expected)))
    if kind == "choice":
        return _same(_fold(answer), _fold(str(expected)))
    raise ValueError(f"unknown answer type {kind!r}")
