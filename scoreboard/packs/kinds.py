"""Challenge kinds: what each ``type:`` of a challenge.yml means and which fields it reads.

One entry per type. ``standard`` and ``dynamic`` are flag challenges (graded by answers);
``report`` is a judge-graded report task with a rubric and an optional deadline. The reader
asks the registry, so a new kind is one more entry here, not another branch in the reader.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scoreboard.packs import fields, flags
from scoreboard.packs.reader import FieldReader
from scoreboard.packs.report import short, unknown
from scoreboard.packs.spec import ChallengeSpec
from scoreboard.packs.yamlfile import LineDict

DYNAMIC_EXTRA = ("initial", "decay", "minimum", "function")
RUBRIC_FIELDS = ("criterion", "points", "comment_required")


@dataclass(frozen=True)
class Kind:
    """A challenge.yml ``type``: the ``Challenge.kind`` it stores and how its fields are read."""

    stored: str  # "flag" | "report"
    read: Callable[[FieldReader, ChallengeSpec], None]


def _standard(reader: FieldReader, spec: ChallengeSpec) -> None:
    if "value" not in reader.data:
        reader.problem(1, "missing 'value' (the points for solving)")
    spec.value = reader.checked("value", fields.whole, default=0)
    if reader.get("extra", dict, LineDict()):
        reader.warn(reader.line("extra"), "'extra' is read only for dynamic challenges; ignored")
    spec.answers = flags.read(reader)


def _dynamic(reader: FieldReader, spec: ChallengeSpec) -> None:

    extra = reader.get("extra", dict, LineDict())
    lines = getattr(extra, "lines", {})
    for key in extra:
        if key not in DYNAMIC_EXTRA:
            reader.warn(lines.get(key, reader.line("extra")), unknown(key, DYNAMIC_EXTRA, prefix="extra."))
    numbers = {}
    for key in ("initial", "decay", "minimum"):
        if key not in extra:
            reader.problem(reader.line("extra") if "extra" in reader.data else reader.line("type"),
                           f"a dynamic challenge needs 'extra.{key}'")
            continue
        try:
            numbers[key] = fields.whole(extra[key], f"extra.{key}")
        except ValueError as err:
            reader.problem(lines.get(key, reader.line("extra")), str(err))
    function = extra.get("function", "logarithmic")
    if function not in ("logarithmic", "linear"):
        reader.problem(lines.get("function", reader.line("extra")),
                       f"'extra.function' must be logarithmic or linear, not {short(function)}")
        function = "logarithmic"
    if len(numbers) == 3:
        if numbers["minimum"] > numbers["initial"]:
            reader.problem(reader.line("extra"), "'extra.minimum' must not exceed 'extra.initial'")
        if numbers["decay"] == 0 and function == "logarithmic":
            reader.problem(lines.get("decay", reader.line("extra")), "'extra.decay' must be at least 1")
    spec.initial, spec.decay, spec.minimum = (numbers.get(k) for k in ("initial", "decay", "minimum"))
    spec.function = function
    spec.value = spec.initial or 0
    spec.answers = flags.read(reader)


def _criterion(reader: FieldReader, item: Any, line: int) -> dict[str, Any] | None:

    if not isinstance(item, dict):
        reader.problem(line, "each rubric entry must be a mapping with 'criterion' and 'points'")
        return None
    for key in item:
        if key not in RUBRIC_FIELDS:
            reader.warn(getattr(item, "lines", {}).get(key, line), unknown(key, RUBRIC_FIELDS, "rubric field"))
    try:
        criterion = fields.text(item.get("criterion", ""), "criterion", 500).strip()
        points = fields.whole(item.get("points"), "points", minimum=1, maximum=100_000)
    except ValueError as err:
        reader.problem(line, f"rubric {err}")
        return None
    if not criterion:
        reader.problem(line, "a rubric entry needs a 'criterion' (what the judge scores)")
        return None
    required = item.get("comment_required", False)
    if not isinstance(required, bool):
        reader.problem(line, f"'comment_required' must be true or false, not {short(required)}")
        return None
    return {"criterion": criterion, "points": points, "comment_required": required}


def _report(reader: FieldReader, spec: ChallengeSpec) -> None:
    if reader.data.get("flags") not in (None, []):
        reader.problem(reader.line("flags"), "a report task takes no 'flags': judges grade it against its 'rubric'")
    if "extra" in reader.data:
        reader.warn(reader.line("extra"), "'extra' is read only for dynamic challenges; ignored")
    rubric = reader.get("rubric", list, None)
    if not rubric:
        if "rubric" not in reader.data:
            reader.problem(1, "a report task needs a 'rubric': a list of {criterion, points, comment_required}")
        elif rubric is not None:
            reader.problem(reader.line("rubric"), "'rubric' must list at least one criterion")
        return
    found = [_criterion(reader, item, line) for item, line in zip(rubric, rubric.lines, strict=True)]
    spec.rubric = [c for c in found if c]
    total = sum(c["points"] for c in spec.rubric)
    given = reader.checked("value", fields.whole, default=None)
    if given is not None and len(spec.rubric) == len(rubric) and given != total:
        reader.problem(reader.line("value"), f"'value' is {given} but the rubric's points sum to {total}; "
                                             "drop 'value' or make them agree")
    spec.value = total
    keys = [k for k in ("deadline", "deadline_after") if k in reader.data]
    if len(keys) > 1:
        reader.problem(reader.line(keys[1]), "use only one of deadline, deadline_after")
    if "deadline" in keys[:1]:
        spec.deadline_at = reader.checked("deadline", fields.moment)
    elif keys:
        spec.deadline_after = reader.checked("deadline_after", fields.duration)
    spec.late = _late(reader)
    if spec.late and not keys:
        reader.warn(reader.line("late"), "'late' has no effect without a 'deadline' or 'deadline_after'")


def _late(reader: FieldReader) -> dict[str, int] | None:
    """``late: refuse`` (the default) or ``late: {penalty_percent: N, per_minutes: M}``."""
    value = reader.data.get("late", "refuse")
    if value == "refuse":
        return None
    line = reader.line("late")
    if not isinstance(value, dict) or set(value) != {"penalty_percent", "per_minutes"}:
        reader.problem(line, "'late' must be refuse or {penalty_percent: N, per_minutes: M}, "
                             f"not {short(value)}")
        return None
    try:
        return {"penalty_percent": fields.whole(value["penalty_percent"], "late.penalty_percent", 1, 100),
                "per_minutes": fields.whole(value["per_minutes"], "late.per_minutes", 1, 10_000)}
    except ValueError as err:
        reader.problem(getattr(value, "lines", {}).get("penalty_percent", line), str(err))
        return None


KINDS: dict[str, Kind] = {
    "standard": Kind("flag", _standard),
    "dynamic": Kind("flag", _dynamic),
    "report": Kind("report", _report),
}
# Fields only one kind reads: anywhere else they are a mistake worth a warning.
KIND_FIELDS = {"rubric": "report", "deadline": "report", "deadline_after": "report", "late": "report"}
