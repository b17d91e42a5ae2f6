"""Combining judges' marks into a grade: how many marks a report needs and which of them count.

pack.yml's ``second_marker`` asks for two marks (``average``: the grade is the mean of the two
totals, rounded half up, and each criterion the mean of its two scores, rounded so that they
add up to it; ``lead``: the first marker decides). ``third_marker_over: N`` adds a third
judge when the first two totals are more than N points apart; the grade then follows the two
closest marks, combined by the same rule. Kept apart from ``judging.py`` (which stores and
releases grades) so the rule is one pure function of the marks, testable without a database.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Protocol


class Marked(Protocol):
    """What a rule reads of a mark (``Mark`` rows, in marking order)."""

    scores: list[Any]
    comments: list[Any]
    comment: str


@dataclass(frozen=True)
class Outcome:
    """A grade as the marks make it: points, points per criterion, the team's feedback."""

    points: int
    scores: list[int]
    comment: str  # every counted judge's feedback joined (the API's ``comment``)
    feedback: list[str]  # each counted judge's feedback on its own ("Judge 1", "Judge 2")
    counted: tuple[int, ...]  # positions of the marks that count, in marking order


def total(mark: Marked) -> int:
    return sum(mark.scores)


def disagree(first: Marked, second: Marked, over: int | None) -> bool:
    """Whether two marks are far enough apart to call a third judge."""
    return over is not None and abs(total(first) - total(second)) > over


def needed(rule: str | None, over: int | None, marks: Sequence[Marked]) -> int:
    """How many marks the report needs before it has a grade."""
    if rule is None:
        return 1
    return 3 if len(marks) >= 2 and disagree(marks[0], marks[1], over) else 2


def closest_two(marks: Sequence[Marked]) -> tuple[int, int]:
    """The positions of the two marks whose totals are nearest; on a tie, the earlier pair."""
    return min(combinations(range(len(marks)), 2), key=lambda pair: abs(total(marks[pair[0]]) - total(marks[pair[1]])))


def counted(rule: str | None, over: int | None, marks: Sequence[Marked]) -> tuple[int, ...]:
    """The positions of the marks that decide the grade."""
    if rule is None:
        return (0,)
    if len(marks) >= 3 and needed(rule, over, marks) == 3:
        return closest_two(marks[:3])
    return (0, 1)


def averaged(first: Sequence[int], second: Sequence[int]) -> list[int]:
    """Each criterion's mean of two marks, the half points given so that the criteria add up to the
    mean of the two totals rounded half up: each criterion rounded up on its own made means of
    27.5 + 17.5 + 13.5 + 11 = 69.5 into a grade of 71. The half points go to the earlier criteria."""
    doubled = [a + b for a, b in zip(first, second, strict=True)]
    scores = [value // 2 for value in doubled]
    owed = (sum(doubled) + 1) // 2 - sum(scores)
    for position in [n for n, value in enumerate(doubled) if value % 2][:owed]:
        scores[position] += 1
    return scores


def feedback(rubric: Sequence[dict[str, Any]], mark: Marked) -> str:
    """One judge's words for the team: the overall comment, then each criterion's own."""
    lines = [f"- {c['criterion']}: {text}" for c, text in zip(rubric, mark.comments or [], strict=False) if text]
    return "\n\n".join(filter(None, [mark.comment, "\n".join(lines)]))


def outcome(rule: str | None, over: int | None, rubric: Sequence[dict[str, Any]],
            marks: Sequence[Marked]) -> Outcome | None:
    """The grade the marks make under the pack's rule, or None while marks are still needed."""
    if not marks or len(marks) < needed(rule, over, marks):
        return None
    positions = counted(rule, over, marks)
    chosen = [marks[n] for n in positions]
    if rule == "average":
        scores = averaged(chosen[0].scores, chosen[1].scores)
        words = [text for text in (feedback(rubric, m) for m in chosen) if text]
    else:  # one marker, or the lead (the earlier of the counted marks) decides
        scores = list(chosen[0].scores)
        words = [text for text in [feedback(rubric, chosen[0])] if text]
    return Outcome(sum(scores), scores, "\n\n".join(words), words, positions)


def state(rule: str | None, over: int | None, marks: Sequence[Marked]) -> str:
    """Where a report without a grade stands: ``awaiting_first|second|third``."""
    count = needed(rule, over, marks)
    return "awaiting_third" if count == 3 else ("awaiting_second" if marks else "awaiting_first")
