"""Observers get deltas: after a board change, one ``standings`` event with the rows that moved
(each with its chart steps, so a chart redraws from the ledger without deriving a score).

The worker that committed a change publishes the delta from its next built board, comparing
it with the board last published (``BoardState``) under the stream lock. A board older than
the one already published is dropped, so however many workers publish, observers never see
standings go back in time. No Flask here.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from scoreboard.board.snapshot import Built
from scoreboard.store import events
from scoreboard.store.db import insert_ignore, lock_stream
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
    lock_stream(session)
    state = _state(session)
    if state.as_of == 0:
        state.as_of, state.standings = built.as_of, [row.as_dict(steps=True) for row in built.board.standings]


def publish(session: Session, built: Built) -> dict[str, Any] | None:
    """Record the rows of ``built`` that differ from the published board; the event or None."""
    lock_stream(session)
    state = _state(session)
    if state.as_of >= built.as_of:
        return None  # a board at least as new went out already
    rows = [row.as_dict(steps=True) for row in built.board.standings]
    before = {row["team_id"]: row for row in state.standings}
    changed = [row for row in rows if before.get(row["team_id"]) != row]
    state.as_of, state.standings = built.as_of, rows
    if not changed:
        return None
    return events.record(session, "standings", {"standings": changed, "teams": len(rows), "frozen": built.frozen})
