"""The after-action pages' shared part: a record in the viewer's language, and its rank chart.

``board/after_action.py`` reads the numbers; this only names them (challenge, category and phase
names as the viewer reads them) and draws the rank over time as an inline SVG, so the printed
page (the browser's "Save as PDF") needs no script and no service. The team's page lives in
``pages.py``, the organizers' in ``console/after_action.py``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from scoreboard.board.after_action import DrillRecord, Line, TeamRecord
from scoreboard.drill import phases
from scoreboard.packs import translations
from scoreboard.store import events
from scoreboard.web import i18n
from scoreboard.web.context import db

# The rank chart's drawing box (SVG user units; the page scales it to its width).
WIDTH, HEIGHT, PAD = 600, 220, 8


def phase_titles() -> dict[str | None, str]:
    """Phase id -> its title in the viewer's language (None: before the first phase opened)."""
    lang = i18n.language()
    return {p.id: phases.title_in(p, lang) for p in phases.ordered(db())}


def localized(lines: list[Line]) -> list[Line]:
    """Timeline lines with their challenge names in the viewer's language."""
    names, _ = translations.names_in(db(), i18n.language())
    return [Line(line.at, line.team_id, line.kind, line.points, line.challenge_id,
                 names.get(line.challenge, line.challenge), line.text, line.bonus) for line in lines]


def rank_chart(ranks: list[tuple[datetime, int, int]], teams: int, now: datetime) -> dict[str, Any] | None:
    """The rank over time as an SVG step line: rank 1 at the top, the drill's start on the left,
    its end (or now) on the right. None when there is nothing to draw."""
    drill = events.drill(db())
    start = drill.starts_at or (ranks[0][0] if ranks else None)
    end = min(now, drill.ends_at) if drill.ends_at else now
    if not ranks or start is None or end <= start or teams < 1:
        return None
    span = (end - start).total_seconds()

    def x(at: datetime) -> float:
        return round(PAD + (WIDTH - 2 * PAD) * min(1.0, max(0.0, (at - start).total_seconds() / span)), 1)

    def y(rank: int) -> float:
        return round(PAD + (HEIGHT - 2 * PAD) * ((rank - 1) / max(1, teams - 1)), 1)

    points: list[str] = []
    for at, rank, _ in ranks:
        if points:
            points.append(f"{x(at)},{points[-1].split(',')[1]}")
        points.append(f"{x(at)},{y(rank)}")
    points.append(f"{x(end)},{y(ranks[-1][1])}")
    return {"width": WIDTH, "height": HEIGHT, "points": " ".join(points), "teams": teams,
            "start": start, "end": end, "best": min(r for _, r, _ in ranks), "worst": max(r for _, r, _ in ranks)}


def team_view(record: TeamRecord, teams: int, now: datetime) -> dict[str, Any]:
    """What the after-action template needs for one team."""
    return {"record": record, "timeline": localized(record.timeline), "phase_titles": phase_titles(),
            "chart": rank_chart(record.ranks, teams, now)}


def drill_view(record: DrillRecord) -> dict[str, Any]:
    """What the drill-wide after-action template needs."""
    return {"record": record, "timeline": localized(record.timeline), "phase_titles": phase_titles()}
