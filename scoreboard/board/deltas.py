"""Observers get deltas: after a board change, one ``standings`` event with the rows that moved
(each with its chart steps, so a chart redraws from the ledger without deriving a score).

A row's steps grow all drill long (a defended service adds one every round), so a row whose
published steps are still the start of its new ones carries only the steps after them, from
``steps_from`` (how many its reader already has); a row whose history changed (a void, the
reveal) or that has just come onto the chart carries them all, and a row off the chart
(``scoring.charted``) none. Otherwise every round's event would carry every team's whole
history: after four hours of the demo's 10-second rounds, 600 kB per event to every observer,
and as much again stored per round.

The worker that committed a change publishes the delta from its next built board, comparing
it with the board last published (``BoardState``) under the board's lock (``db.BOARD``). A board older than
the one already published is dropped, so however many workers publish, observers never see
standings go back in time. Each process remembers the rows it last published (``Published``):
the stored ones are read back only when another process published since (with 1,000 teams,
decoding them was a sixth of a rebuild). No Flask here.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scoreboard.board.snapshot import Built
from scoreboard.core.scoring import charted
from scoreboard.store import events
from scoreboard.store.db import BOARD, Lock, insert_ignore, serialise
from scoreboard.store.models import BoardState


def _state(session: Session) -> BoardState:
    state = session.get(BoardState, 1, populate_existing=True)
    if state is None:
        insert_ignore(session, BoardState, id=1, as_of=0, standings=[])
        state = session.get(BoardState, 1)
    return state


def baseline(session: Session, built: Built) -> None:
    """On a worker's start: a drill that never published standings starts from this board.

    Otherwise the first delta would name every team (an upgraded drill has no published board).
    """
    serialise(session, Lock(BOARD))
    state = _state(session)
    if state.as_of == 0:
        state.as_of, state.standings = built.as_of, shown(built)


class Published:
    """The rows this process last published, by team, and the board (``as_of``) they were for."""

    def __init__(self) -> None:
        self.as_of = -1
        self.rows: dict[int, dict[str, Any]] = {}


def publish(session: Session, built: Built, published: Published) -> dict[str, Any] | None:
    """Record the rows of ``built`` that differ from the published board; the event or None."""
    serialise(session, Lock(BOARD))
    as_of = session.scalar(select(BoardState.as_of).where(BoardState.id == 1))
    if as_of is None:
        as_of = _state(session).as_of
    if as_of >= built.as_of:
        return None  # a board at least as new went out already
    if published.as_of != as_of:  # another process published since (or none yet here): read its rows
        stored = session.scalar(select(BoardState.standings).where(BoardState.id == 1))
        published.rows = {row["team_id"]: row for row in stored}
    rows = shown(built)
    changed = [_since(row, before) for row in rows if (before := published.rows.get(row["team_id"])) != row]
    values: dict[str, Any] = {"as_of": built.as_of}
    if changed or len(rows) != len(published.rows):
        values["standings"] = rows
    session.execute(update(BoardState).where(BoardState.id == 1).values(**values))
    # Remembered before the commit: if it rolls back, the stored as_of differs and is read again.
    published.as_of, published.rows = built.as_of, {row["team_id"]: row for row in rows}
    if not changed:
        return None
    return events.record(session, "standings", {"standings": changed, "teams": len(rows), "frozen": built.frozen})


def shown(built: Built) -> list[dict[str, Any]]:
    """The rows of ``built`` as observers get them (and as ``board_state`` keeps them): chart
    steps for the chart's teams only (``scoring.charted``)."""
    return [row.as_dict(steps=charted(row.pos)) for row in built.board.standings]


def _since(row: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """``row`` as its event carries it: only the steps after those of ``before`` when ``before``
    had steps (was on the chart) and they are the start of these (``steps_from``: how many a
    reader keeps), else all of them (or none, off the chart)."""
    kept, steps = (before or {}).get("steps"), row.get("steps")
    if steps is None or kept is None or len(kept) > len(steps) or steps[:len(kept)] != kept:
        return row
    return {**row, "steps": steps[len(kept):], "steps_from": len(kept)}
