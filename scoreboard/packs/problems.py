"""What a pack check says: problems (the pack cannot load) and warnings (it loads anyway).

Every line is a ``Finding``: ``file:line: message``, in English where it is read as text (the
CLI, logs, tests), while it keeps its message id and values so the console says it in the
organizer's language. Both lists are capped and each message is shortened, so a hostile pack
cannot turn the list itself into a flood (the console renders it).
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

from scoreboard.core.errors import N_, Message

MAX_LINES = 200
MAX_MESSAGE = 300


class Finding(str):
    """One line of a pack report: the English ``file:line: message`` it reads as, and its parts."""

    file: str
    line: int
    message: Message

    def __new__(cls, file: str, line: int, message: Message | str) -> Finding:
        if not isinstance(message, Message):
            message = Message(message)  # a plain English sentence: no params, read as is
        finding = super().__new__(cls, f"{file}:{line}: {_cut(message.text())}")
        finding.file, finding.line, finding.message = file, line, message
        return finding

    def __getnewargs__(self) -> tuple[str, int, Message]:  # type: ignore[override]
        """Copies (``dataclasses.asdict`` of a pack diff) are built from the parts, not the text."""
        return self.file, self.line, self.message


def as_finding(line: Finding | str) -> Finding:
    """A report line as a ``Finding``: plain ``file:line: message`` text (code that still says its
    problems as English f-strings) is split into its parts so the console and the CLI read both."""
    if isinstance(line, Finding):
        return line
    file, sep, rest = line.partition(":")
    number, sep2, message = rest.partition(": ")
    if sep and sep2 and number.isdigit():
        return Finding(file, int(number), message)
    return Finding(".", 0, line)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


class PackError(Exception):
    """A pack that cannot be loaded; ``problems`` holds every ``file:line: message``."""

    def __init__(self, problems: list[Finding] | list[str], warnings: list[Finding] | list[str] | None = None,
                 count: int | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = [as_finding(line) for line in problems]
        self.warnings = [as_finding(line) for line in warnings or []]
        # How many problems there are: the list is capped (its last line says how many more).
        self.count = len(problems) if count is None else count


def short(value: object, limit: int = 60) -> str:
    """``repr`` of a value from the pack, cut to fit in one line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def quoted(names: Iterable[str]) -> str:
    """Field names and values a pack may use, each as it is written in YAML: 'a', 'b', 'c'."""
    return ", ".join(f"'{name}'" for name in names)


class Findings:
    """Collects problems and warnings for the files of one pack as they are read."""

    def __init__(self) -> None:
        self._problems: list[Finding] = []
        self._warnings: list[Finding] = []
        self.problem_count = 0
        self.warning_count = 0

    def problem(self, file: str, line: int, message: Message | str) -> None:
        self.problem_count += 1
        if len(self._problems) < MAX_LINES:
            self._problems.append(Finding(file, line, message))

    def warn(self, file: str, line: int, message: Message | str) -> None:
        self.warning_count += 1
        if len(self._warnings) < MAX_LINES:
            self._warnings.append(Finding(file, line, message))

    @property
    def problems(self) -> list[Finding]:
        if self.problem_count <= MAX_LINES:
            return self._problems
        return [*self._problems, Finding(".", 0, Message(N_("Problems not shown: %(n)s more."),
                                                         n=self.problem_count - MAX_LINES))]

    @property
    def warnings(self) -> list[Finding]:
        if self.warning_count <= MAX_LINES:
            return self._warnings
        return [*self._warnings, Finding(".", 0, Message(N_("Warnings not shown: %(n)s more."),
                                                         n=self.warning_count - MAX_LINES))]

    def raise_if_problems(self, strict: bool = False) -> None:
        """Stop here when something is broken (or, when ``strict``, merely suspicious)."""
        if self.problem_count or (strict and self.warning_count):
            problems = self.problems + (self.warnings if strict else [])
            count = self.problem_count + (self.warning_count if strict else 0)
            raise PackError(problems, [] if strict else self.warnings, count)


def unknown(key: str, known: Iterable[str], where: str = "field", prefix: str = "") -> Message:
    """The warning for a field nobody reads, with the likely intended one: it is often a typo.

    ``where`` is ``field``, ``flag field``, ``hint field``, ``phase field`` or ``rubric field``.
    """
    messages = {
        "field": (N_("unknown field %(key)s; ignored"), N_("unknown field %(key)s (did you mean %(close)s?); ignored")),
        "flag field": (N_("unknown flag field %(key)s; ignored"),
                       N_("unknown flag field %(key)s (did you mean %(close)s?); ignored")),
        "phase field": (N_("unknown phase field %(key)s; ignored"),
                        N_("unknown phase field %(key)s (did you mean %(close)s?); ignored")),
        "rubric field": (N_("unknown rubric field %(key)s; ignored"),
                         N_("unknown rubric field %(key)s (did you mean %(close)s?); ignored")),
        "hint field": (N_("unknown hint field %(key)s; ignored"),
                       N_("unknown hint field %(key)s (did you mean %(close)s?); ignored")),
    }
    plain, suggesting = messages[where]
    # 0.75, not difflib's 0.6: 'tests' is not a typo of 'attempts', 'catgory' is one of 'category'.
    close = difflib.get_close_matches(key.lower(), sorted(known), n=1, cutoff=0.75)
    if close:
        return Message(suggesting, key=short(prefix + key), close=f"'{prefix}{close[0]}'")
    return Message(plain, key=short(prefix + key))
