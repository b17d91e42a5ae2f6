"""The base of every reader of a pack's YAML: where a field is, and how a problem or a warning
about it is reported as ``file:line: message``. Challenge, kind and attachment readers type
against it, so none of them needs to import another.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from scoreboard.core.errors import N_, Message
from scoreboard.packs import fields
from scoreboard.packs.problems import Findings
from scoreboard.packs.yamlfile import LineDict


class FieldReader:
    """One YAML file of a pack, read field by field into the pack check's findings."""

    def __init__(self, root: Path, path: Path, findings: Findings) -> None:
        self.root, self.path, self.findings = root, path, findings
        self.rel = path.relative_to(root).as_posix()
        self.data: LineDict = LineDict()

    def problem(self, line: int, message: Message | str) -> None:
        self.findings.problem(self.rel, line, message)

    def warn(self, line: int, message: Message | str) -> None:
        self.findings.warn(self.rel, line, message)

    def line(self, key: str) -> int:
        return getattr(self.data, "lines", {}).get(key, 1)

    def checked(self, key: str, check: Any, *args: Any, default: Any = None) -> Any:
        """``check(value, key, *args)`` on the field if present; a failure is a problem."""
        if key not in self.data:
            return default
        try:
            return check(self.data[key], key, *args)
        except ValueError as err:  # ``Invalid`` says it in the reader's language; a plain one in English
            self.problem(self.line(key), err if isinstance(err, Message) else str(err))
            return default

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        value = self.data.get(key, default)
        if value is not default and not isinstance(value, kind):
            wanted = {list: N_("%(key)s must be a list, not %(value)s"), dict: N_("%(key)s must be a mapping, not %(value)s")}
            self.problem(self.line(key), Message(wanted[kind], key=f"'{key}'", value=fields.shown(value)))
            return default
        return value
