"""Appending to the event stream and reading its last place stay cheap however long the drill
has run: on SQLite no statement of that path reads the whole stream (a max() over the table
scanned it on every solve once two were asked in one SELECT: the growth benchmark's slowdown)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event

from scoreboard.store import events


def test_appending_and_reading_the_stream_use_its_indexes(services: Any) -> None:
    engine = services.database.engine
    seen: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    sa_event.listen(engine, "before_cursor_execute", remember)
    try:
        with services.database.session() as session:
            events.record(session, "announcement", {"text": "one"})
            events.mark(session, "catalog")
            assert events.last_places(session)[0] >= 2
    finally:
        sa_event.remove(engine, "before_cursor_execute", remember)
    reads = [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith("SELECT") and "event" in sql]
    assert reads, "no statement read the stream"
    with engine.connect() as connection:
        for sql, params in reads:
            plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
            assert not any(step.startswith("SCAN event") for step in plan), (sql, plan)
