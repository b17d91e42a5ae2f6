"""Challenge kinds: what each ``type:`` of a challenge.yml means and which fields it reads.

One entry per type. ``standard`` and ``dynamic`` are flag challenges (graded by answers);
``report`` is a judge-graded report task with a rubric and an optional deadline. The reader
asks the registry, so a new kind is one more entry here, not another branch in the reader.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scoreboard.core.errors import N_, Invalid, Message
from scoreboard.packs import fields, flags
from scoreboard.packs.problems import quoted, short, unknown
from scoreboard.packs.reader import FieldReader
from scoreboard.packs.spec import ChallengeSpec
from scoreboard.packs.yamlfile import LineDict

DYNAMIC_EXTRA = ("initial", "decay", "minimum", "function")
RUBRIC_FIELDS = ("criterion", "points", "comment_required", "levels")
MAX_DESCRIPTOR = 2_000
MAX_GUIDE = 50_000
_EXTRA_IGNORED = N_("'extra' is read only for dynamic challenges; ignored")


@dataclass(frozen=True)
class Kind:
    """A challenge.yml ``type``: the ``Challenge.kind`` it stores and how its fields are read."""

    stored: str  # "flag" | "report"
    read: Callable[[FieldReader, ChallengeSpec], None]


def _standard(reader: FieldReader, spec: ChallengeSpec) -> None:
    if "value" not in reader.data:
        reader.problem(1, Message(N_("missing 'value' (the points for solving)")))
    spec.value = reader.checked("value", fields.whole, default=0)
    if reader.get("extra", dict, LineDict()):
        reader.warn(reader.line("extra"), Message(_EXTRA_IGNORED))
    spec.answers = flags.read(reader)


def _dynamic(reader: FieldReader, spec: ChallengeSpec) -> None:
    """CTFd's DynamicValueChallenge: only ``extra.initial`` is required; ``decay`` and ``minimum``
    default to 0 as in CTFd (a logarithmic decay of 0 counts as 1, as CTFd counts it)."""
    extra = reader.get("extra", dict, LineDict())
    lines = getattr(extra, "lines", {})
    for key in extra:
        if key not in DYNAMIC_EXTRA:
            reader.warn(lines.get(key, reader.line("extra")), unknown(key, DYNAMIC_EXTRA, prefix="extra."))
    if "initial" not in extra:
        reader.problem(reader.line("extra") if "extra" in reader.data else reader.line("type"),
                       Message(N_("a dynamic challenge needs %(key)s (the points before anyone solves it)"),
                               key="'extra.initial'"))
    numbers = {}
    for key in ("initial", "decay", "minimum"):
        try:
            numbers[key] = fields.whole(extra.get(key, 0), f"extra.{key}")
        except Invalid as err:
            reader.problem(lines.get(key, reader.line("extra")), err)
    function = extra.get("function", "logarithmic")
    if function not in ("logarithmic", "linear"):
        reader.problem(lines.get("function", reader.line("extra")),
                       Message(N_("'extra.function' must be 'logarithmic' or 'linear', not %(value)s"), value=short(function)))
        function = "logarithmic"
    if len(numbers) == 3 and numbers["minimum"] > numbers["initial"]:
        reader.problem(reader.line("extra"), Message(N_("'extra.minimum' must not exceed 'extra.initial'")))
    spec.initial, spec.decay, spec.minimum = (numbers.get(k) for k in ("initial", "decay", "minimum"))
    spec.function = function
    spec.value = spec.initial or 0
    spec.answers = flags.read(reader)


def _criterion(reader: FieldReader, item: Any, line: int) -> dict[str, Any] | None:

    if not isinstance(item, dict):
        reader.problem(line, Message(N_("each rubric entry must be a mapping with 'criterion' and 'points'")))
        return None
    for key in item:
        if key not in RUBRIC_FIELDS:
            reader.warn(getattr(item, "lines", {}).get(key, line), unknown(key, RUBRIC_FIELDS, "rubric field"))
    try:
        criterion = fields.text(item.get("criterion", ""), "rubric.criterion", 500).strip()
        points = fields.whole(item.get("points"), "rubric.points", minimum=1, maximum=100_000)
    except Invalid as err:
        reader.problem(line, err)
        return None
    if not criterion:
        reader.problem(line, Message(N_("a rubric entry needs a 'criterion' (what the judge scores)")))
        return None
    required = item.get("comment_required", False)
    if not isinstance(required, bool):
        reader.problem(line, Message(N_("'comment_required' must be true or false, not %(value)s"),
                                     value=fields.shown(required)))
        return None
    found = {"criterion": criterion, "points": points, "comment_required": required}
    if item.get("levels") is not None:
        levels = _levels(reader, item["levels"], getattr(item, "lines", {}).get("levels", line), points)
        if levels is None:
            return None
        found["levels"] = levels
    return found


def _levels(reader: FieldReader, items: Any, line: int, maximum: int) -> list[dict[str, Any]] | None:
    """A criterion's levels: what a judge reads to choose a score. Distinct points within
    0..the criterion's maximum, each with a descriptor; None (and a problem) when wrong."""
    if not isinstance(items, list) or not items:
        reader.problem(line, Message(N_("'levels' must be a list of {points, descriptor}")))
        return None
    levels: list[dict[str, Any]] = []
    item_lines = getattr(items, "lines", [])
    for index, level in enumerate(items):
        where = item_lines[index] if index < len(item_lines) else line
        if not isinstance(level, dict):
            reader.problem(where, Message(N_("each level must be a mapping with 'points' and 'descriptor'")))
            return None
        try:
            points = fields.whole(level.get("points"), "levels.points", maximum=maximum)
            descriptor = fields.text(level.get("descriptor", ""), "levels.descriptor", MAX_DESCRIPTOR).strip()
        except Invalid as err:
            reader.problem(where, err)
            return None
        if not descriptor:
            reader.problem(where, Message(N_("a level needs a 'descriptor' (what work at this level looks like)")))
            return None
        if any(known["points"] == points for known in levels):
            reader.problem(where, Message(N_("two levels have 'points: %(points)s'; each level needs its own points"),
                                          points=points))
            return None
        levels.append({"points": points, "descriptor": descriptor})
    return levels


def _report(reader: FieldReader, spec: ChallengeSpec) -> None:
    if reader.data.get("flags") not in (None, []):
        reader.problem(reader.line("flags"), Message(N_("a report task takes no 'flags': judges grade it against "
                                                        "its 'rubric'")))
    if "extra" in reader.data:
        reader.warn(reader.line("extra"), Message(_EXTRA_IGNORED))
    rubric = reader.get("rubric", list, None)
    if not rubric:
        if "rubric" not in reader.data:
            reader.problem(1, Message(N_("a report task needs a 'rubric': a list of {criterion, points, "
                                         "comment_required}")))
        elif rubric is not None:
            reader.problem(reader.line("rubric"), Message(N_("'rubric' must list at least one criterion")))
        return
    found = [_criterion(reader, item, line) for item, line in zip(rubric, rubric.lines, strict=True)]
    spec.rubric = [c for c in found if c]
    total = sum(c["points"] for c in spec.rubric)
    given = reader.checked("value", fields.whole, default=None)
    if given is not None and len(spec.rubric) == len(rubric) and given != total:
        reader.problem(reader.line("value"), Message(N_("'value' is %(given)s but the rubric's points add up to "
                                                        "%(total)s; drop 'value' or make them agree"),
                                                     given=given, total=total))
    spec.value = total
    spec.guide = reader.checked("guide", fields.markdown, MAX_GUIDE, default="") or ""
    keys = [k for k in ("deadline", "deadline_after") if k in reader.data]
    if len(keys) > 1:
        reader.problem(reader.line(keys[1]), Message(N_("use only one of %(keys)s"), keys=quoted(keys)))
    if "deadline" in keys[:1]:
        spec.deadline_at = reader.checked("deadline", fields.moment)
    elif keys:
        spec.deadline_after = reader.checked("deadline_after", fields.duration)
    spec.late = _late(reader)
    if spec.late and not keys:
        reader.warn(reader.line("late"), Message(N_("'late' has no effect without a 'deadline' or "
                                                   "'deadline_after'")))


def _late(reader: FieldReader) -> dict[str, int] | None:
    """``late: refuse`` (the default) or ``late: {penalty_percent: N, per_minutes: M}``."""
    value = reader.data.get("late", "refuse")
    if value == "refuse":
        return None
    line = reader.line("late")
    if not isinstance(value, dict) or set(value) != {"penalty_percent", "per_minutes"}:
        reader.problem(line, Message(N_("'late' must be 'refuse' or {penalty_percent: N, per_minutes: M}, not "
                                        "%(value)s"), value=short(value)))
        return None
    try:
        return {"penalty_percent": fields.whole(value["penalty_percent"], "late.penalty_percent", 1, 100),
                "per_minutes": fields.whole(value["per_minutes"], "late.per_minutes", 1, 10_000)}
    except Invalid as err:
        reader.problem(getattr(value, "lines", {}).get("penalty_percent", line), err)
        return None


KINDS: dict[str, Kind] = {
    "standard": Kind("flag", _standard),
    "dynamic": Kind("flag", _dynamic),
    "report": Kind("report", _report),
}
# Fields only one kind reads: anywhere else they are a mistake worth a warning.
KIND_FIELDS = {"rubric": "report", "deadline": "report", "deadline_after": "report", "late": "report",
               "guide": "report"}
