"""``redteam.yml`` at a pack's root: the objectives the red team aims at, and the detection rules.

```yaml
objectives:
  - {id: mail-takeover, title: "Take over the mail server", category: Initial access,
     points: 150, asset: "mail server", translations: {ru: {title: "…", asset: "…"}}}
detection: {window_minutes: 60, refund_percent: 50}
```

Like challenge.yml, every mistake is a ``file:line`` problem and nothing loads; an unknown field
is a warning. The file is optional: without it the red team records "other" deductions only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scoreboard.core.errors import N_, Invalid, Message
from scoreboard.core.scoring import MAX_DEDUCTION
from scoreboard.packs import fields, translations, yamlfile
from scoreboard.packs.problems import short, unknown
from scoreboard.packs.reader import FieldReader

FILE_NAME = "redteam.yml"
FIELDS = {"objectives", "detection"}
OBJECTIVE_FIELDS = {"id", "title", "category", "points", "asset", "translations"}
DETECTION_FIELDS = {"window_minutes", "refund_percent"}
TRANSLATED = ("title", "category", "asset")
OTHER = "other"  # what a deduction names when it hit no objective: no objective may take the id
MAX_WINDOW_MINUTES = 7 * 24 * 60
MAX_OBJECTIVES = 200


@dataclass
class ObjectiveSpec:
    key: str
    title: str
    category: str
    points: int
    asset: str = ""
    translations: dict[str, Any] = field(default_factory=dict)


@dataclass
class RedTeamSpec:
    objectives: list[ObjectiveSpec] = field(default_factory=list)
    window_minutes: int = 60
    refund_percent: int = 50

    def settings(self) -> dict[str, int]:
        """The Drill columns this file sets (applied like pack.yml's: only when they changed)."""
        return {"detection_window_minutes": self.window_minutes, "detection_refund_percent": self.refund_percent}


class RedTeamReader(FieldReader):
    """Validates redteam.yml into the pack check's findings."""

    def read(self) -> RedTeamSpec | None:
        data = yamlfile.load(self.path, self.rel, self.findings)
        if data is None:
            return None
        if not isinstance(data, dict):
            self.problem(1, Message(N_("redteam.yml must be a mapping with 'objectives' and optionally 'detection'")))
            return None
        self.data = data
        for key in data:
            if key not in FIELDS:
                self.warn(self.line(key), unknown(key, FIELDS))
        spec = RedTeamSpec()
        self._detection(spec)
        items = self.get("objectives", list, [])
        if len(items) > MAX_OBJECTIVES:
            self.problem(self.line("objectives"), Message(N_("'objectives' holds too many objectives (at most %(max)s)"),
                                                         max=MAX_OBJECTIVES))
            return spec
        lines = getattr(items, "lines", [])
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            line = lines[index] if index < len(lines) else self.line("objectives")
            objective = self._objective(item, line)
            if objective is None:
                continue
            if objective.key in seen:
                self.problem(line, Message(N_("the objective id %(id)s appears twice (also on line %(line)s)"),
                                          id=short(objective.key), line=seen[objective.key]))
                continue
            seen[objective.key] = line
            spec.objectives.append(objective)
        return spec

    def _detection(self, spec: RedTeamSpec) -> None:
        detection = self.get("detection", dict, {})
        at = getattr(detection, "lines", {})
        for key in detection:
            if key not in DETECTION_FIELDS:
                self.warn(at.get(key, self.line("detection")), unknown(key, DETECTION_FIELDS, prefix="detection."))
        checks = (("window_minutes", 1, MAX_WINDOW_MINUTES), ("refund_percent", 0, 100))
        for key, low, high in checks:
            if key not in detection:
                continue
            try:
                setattr(spec, key, fields.whole(detection[key], f"detection.{key}", low, high))
            except Invalid as err:
                self.problem(at.get(key, self.line("detection")), err)

    def _objective(self, item: Any, line: int) -> ObjectiveSpec | None:
        """One objective, or None after reporting each of its problems."""
        if not isinstance(item, dict):
            self.problem(line, Message(N_("each objective must be a mapping with 'id', 'title', 'category', 'points' "
                                          "and 'asset'")))
            return None
        at = getattr(item, "lines", {})
        before = self.findings.problem_count
        for key in item:
            if key not in OBJECTIVE_FIELDS:
                self.warn(at.get(key, line), unknown(key, OBJECTIVE_FIELDS))
        for key in ("id", "title", "category", "points"):
            if key not in item:
                self.problem(line, Message(N_("an objective needs %(key)s"), key=f"'{key}'"))
        key = item.get("id")
        if key is not None and (not isinstance(key, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,99}", key)):
            self.problem(at.get("id", line), Message(N_("an objective's 'id' must be lowercase letters, digits, - or _ "
                                                        "(at most 100)")))
        elif key == OTHER:
            self.problem(at.get("id", line), Message(N_("%(id)s is reserved for deductions that hit no objective"),
                                                     id=f"'{OTHER}'"))
        values: dict[str, Any] = {}
        for name, limit in (("title", 200), ("category", 100), ("asset", 200)):
            values[name] = self._part(item, name, at.get(name, line), lambda v, k, n=limit: fields.text(v, k, n))
        values["points"] = self._part(item, "points", at.get("points", line),
                                      lambda v, k: fields.whole(v, k, 1, MAX_DEDUCTION))
        found: dict[str, Any] = {}
        if "translations" in item:
            found, problems = translations.check(item["translations"], at.get("translations", line), TRANSLATED)
            for where, message in problems:
                self.problem(where, message)
        if self.findings.problem_count != before:
            return None
        if not values["title"].strip():
            self.problem(at.get("title", line), Message(N_("an objective's 'title' must not be empty")))
            return None
        return ObjectiveSpec(key, values["title"].strip(), values["category"].strip() or "Other", values["points"],
                             (values["asset"] or "").strip(), found)

    def _part(self, item: dict[str, Any], key: str, line: int, check: Any) -> Any:
        if key not in item:
            return None
        try:
            return check(item[key], key)
        except Invalid as err:
            self.problem(line, err)
            return None
