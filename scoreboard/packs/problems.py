"""What a pack check says: problems (the pack cannot load) and warnings (it loads anyway).

Every line is ``file:line: message``. Both lists are capped and each message is shortened, so
a hostile pack cannot turn the list itself into a flood (the console renders it).
"""
from __future__ import annotations

import difflib

MAX_LINES = 200
MAX_MESSAGE = 300


class PackError(Exception):
    """A pack that cannot be loaded; ``problems`` holds every ``file:line: message``."""

    def __init__(self, problems: list[str], warnings: list[str] | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.warnings = warnings or []


def _capped(lines: list[str], total: int, what: str) -> list[str]:
    if total <= MAX_LINES:
        return lines
    return [*lines, f".:0: … and {total - MAX_LINES} more {what} not shown"]


def short(value: object, limit: int = 60) -> str:
    """``repr`` of a value from the pack, cut to fit in one line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


class Findings:
    """Collects problems and warnings for the files of one pack as they are read."""

    def __init__(self) -> None:
        self._problems: list[str] = []
        self._warnings: list[str] = []
        self.problem_count = 0
        self.warning_count = 0

    @staticmethod
    def _line(file: str, line: int, message: str) -> str:
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + "…"
        return f"{file}:{line}: {message}"

    def problem(self, file: str, line: int, message: str) -> None:
        self.problem_count += 1
        if len(self._problems) < MAX_LINES:
            self._problems.append(self._line(file, line, message))

    def warn(self, file: str, line: int, message: str) -> None:
        self.warning_count += 1
        if len(self._warnings) < MAX_LINES:
            self._warnings.append(self._line(file, line, message))

    @property
    def problems(self) -> list[str]:
        return _capped(self._problems, self.problem_count, "problems")

    @property
    def warnings(self) -> list[str]:
        return _capped(self._warnings, self.warning_count, "warnings")

    def raise_if_problems(self, strict: bool = False) -> None:
        """Stop here when something is broken (or, when ``strict``, merely suspicious)."""
        if self.problem_count or (strict and self.warning_count):
            problems = self.problems + (self.warnings if strict else [])
            raise PackError(problems, [] if strict else self.warnings)


def unknown(key: str, known: set[str] | tuple[str, ...], where: str = "field", prefix: str = "") -> str:
    """The warning for a field nobody reads, with the likely intended one: it is often a typo."""
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
    return f"unknown {where} {short(prefix + key)}{hint}; ignored"
