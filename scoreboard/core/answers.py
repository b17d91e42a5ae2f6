"""Answer types: one small class each, used by the pack loader and by answer checking (``checking``).

``parse`` runs when a pack loads: it validates the flag's ``content`` and returns what is
stored (content and options), raising ``ValueError`` with a message for the organizer.
``check`` runs when an answer is checked: it normalises the answer the same way, then compares in constant
time, so timing says nothing about how close a guess was. No Flask, no database.
"""
from __future__ import annotations

import hmac
import ipaddress
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, ClassVar

import re2

from scoreboard.core.errors import N_, Invalid

MAX_PATTERN = 500
MAX_TOLERANCE = 2**31 - 1


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text(content: Any) -> str:
    """A flag's content as text without surrounding white space (answers are stripped too)."""
    if isinstance(content, bool) or not isinstance(content, (str, int)):
        raise Invalid(N_("'content' must be text"))
    text = str(content).strip()
    if not text:
        raise Invalid(N_("'content' is empty"))
    return text


def _case_option(item: dict[str, Any]) -> dict[str, Any]:
    return {"case_insensitive": True} if item.get("data") == "case_insensitive" else {}


class AnswerType:
    """One kind of accepted answer; subclasses set ``name`` and override both methods."""

    name: ClassVar[str]
    # Flag fields besides type, content and data that this type reads.
    fields: ClassVar[frozenset[str]] = frozenset()

    def parse(self, content: Any, item: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        raise NotImplementedError

    def check(self, expected: Any, answer: str, options: dict[str, Any]) -> bool:
        raise NotImplementedError


class Static(AnswerType):
    name = "static"

    def parse(self, content: Any, item: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return _text(content), _case_option(item)

    def check(self, expected: Any, answer: str, options: dict[str, Any]) -> bool:
        if options.get("case_insensitive"):
            return _same(answer.casefold(), str(expected).casefold())
        return _same(answer, str(expected))


_RE2_CONSTRUCTS = (
    (r"(?=", "(?=...)"), (r"(?!", "(?!...)"), (r"(?<=", "(?<=...)"), (r"(?<!", "(?<!...)"),
    (r"(?P=", "(?P=name)"), (r"(?>", "(?>...)"),
)


def _unsupported(pattern: str, error: str) -> Invalid:
    """Say which construct RE2 refused: the organizer's pattern was written for Python's re."""
    for token, construct in _RE2_CONSTRUCTS:
        if token in pattern:
            return Invalid(N_("%(construct)s is not supported (flags are matched in linear time with RE2)"),
                           construct=construct)
    if backref := re.search(r"\\[1-9]", pattern):
        return Invalid(N_("the backreference %(construct)s is not supported (flags are matched in linear time "
                          "with RE2)"), construct=backref.group())
    return Invalid(N_("RE2 says: %(error)s"), error=error)


@lru_cache(maxsize=1024)
def compiled(pattern: str, case_insensitive: bool = False) -> Any:
    """An RE2 pattern: linear-time matching, so no answer can make checking backtrack."""
    if len(pattern) > MAX_PATTERN:
        raise Invalid(N_("the pattern is longer than %(max)s characters"), max=MAX_PATTERN)
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not case_insensitive
    try:
        return re2.compile(pattern, options=options)
    except re2.error as err:
        message = err.args[0].decode(errors="replace") if err.args and isinstance(err.args[0], bytes) else str(err)
        raise _unsupported(pattern, message) from None


class Regex(AnswerType):
    name = "regex"

    def parse(self, content: Any, item: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        pattern, options = _text(content), _case_option(item)
        try:
            compiled(pattern, bool(options))
        except ValueError as err:
            raise Invalid(N_("bad regular expression: %(problem)s"), problem=err) from None
        return pattern, options

    def check(self, expected: Any, answer: str, options: dict[str, Any]) -> bool:
        try:
            matched = compiled(str(expected), bool(options.get("case_insensitive"))).fullmatch(answer)
        except ValueError:  # stored before patterns were checked with RE2: it matches nothing
            matched = None
        return hmac.compare_digest(b"1" if matched else b"0", b"1")


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        return None


class Ip(AnswerType):
    name = "ip"

    def parse(self, content: Any, item: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        text = _text(content)
        if _ip(text) is None:
            raise Invalid(N_("%(value)s is not an IPv4 or IPv6 address"), value=repr(text))
        return text, _case_option(item)

    def check(self, expected: Any, answer: str, options: dict[str, Any]) -> bool:
        got = _ip(answer)
        return _same(got or "", _ip(str(expected)) or "\0") and got is not None


class Hash(AnswerType):
    name = "hash"

    def parse(self, content: Any, item: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        text = _text(content)
        if not re.fullmatch(r"(0x)?[0-9a-fA-F]+", text):
            raise Invalid(N_("%(value)s is not a hexadecimal hash"), value=repr(text))
        return text.lower().removeprefix("0x"), _case_option(item)

    def check(self, expected: Any, answer: str, options: dict[str, Any]) -> bool:
        got = answer.lower().removeprefix("0x")
        valid = bool(got) and all(c in "0123456789abcdef" for c in got)
        return _same(got, str(expected).lower()) and valid


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class Number(AnswerType):
    name = "number"
    fields = frozenset({"tolerance"})

    def parse(self, content: Any, item: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        if isinstance(content, bool) or not isinstance(content, (int, float, str)) or _number(str(content)) is None:
            raise Invalid(N_("'content' must be a number, not %(value)s"), value=repr(content))
        tolerance = item.get("tolerance", 0)
        if (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                or _number(str(tolerance)) is None or not 0 <= tolerance <= MAX_TOLERANCE):
            raise Invalid(N_("'tolerance' must be a number from 0 to %(max)s"), max=MAX_TOLERANCE)
        return str(content), {**_case_option(item), "tolerance": tolerance}

    def check(self, expected: Any, answer: str, options: dict[str, Any]) -> bool:
        got, want = _number(answer), _number(str(expected))
        if got is None or want is None:
            return False
        tolerance = _number(str(options.get("tolerance", 0))) or Decimal(0)
        try:
            return abs(got - want) <= tolerance
        except ArithmeticError:  # an exponent like 1e1000000 overflows: simply not the answer
            return False


def _set_items(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[,;\n]", str(value))
    return sorted({_fold(str(item)) for item in items if str(item).strip()})


class Set(AnswerType):
    name = "set"

    def parse(self, content: Any, item: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        if isinstance(content, str):
            content = [part.strip() for part in content.split(",")]
        if not isinstance(content, list) or not all(isinstance(c, (str, int)) for c in content):
            raise Invalid(N_("'content' must be a list of items"))
        items = [str(c).strip() for c in content]
        if not items or any(not part or re.search(r"[,;\n]", part) for part in items):
            raise Invalid(N_("set items must be non-empty and contain no ',', ';' or line breaks (answers list "
                             "their items separated by those)"))
        return items, _case_option(item)

    def check(self, expected: Any, answer: str, options: dict[str, Any]) -> bool:
        return _same("\n".join(_set_items(answer)), "\n".join(_set_items(expected)))


class Choice(AnswerType):
    name = "choice"

    def parse(self, content: Any, item: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return _text(content), _case_option(item)

    def check(self, expected: Any, answer: str, options: dict[str, Any]) -> bool:
        return _same(_fold(answer), _fold(str(expected)))


TYPES: dict[str, AnswerType] = {kind.name: kind() for kind in (Static, Regex, Ip, Hash, Number, Set, Choice)}
