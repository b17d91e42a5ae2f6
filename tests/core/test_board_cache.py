"""The board builder publishes the standings of every change committed in its process, whichever
of the committing request and the stream pump reaches it first; and does not build twice for one
change."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any
from unittest.mock import patch

from corekit import team_with_token
from helpers import wait_until
from sqlalchemy import func, select

from scoreboard.board import snapshot
from scoreboard.board.snapshot import BoardCache, Built
from scoreboard.drill import organizer
from scoreboard.live import socket
from scoreboard.store.models import Event, utcnow


class _Builds:
    """Every board the builder finished, with whether it was to publish standings."""

    def __init__(self, cache: BoardCache) -> None:
        self.seen: list[tuple[Built, bool]] = []
        cache.on_built.append(lambda built, owed: self.seen.append((built, owed)))

    def owed(self) -> list[Built]:
        return [built for built, owed in self.seen if owed]


def _serving(services: Any) -> tuple[BoardCache, _Builds]:
    """A board cache with its background builder running, as a serving process has one."""
    cache = BoardCache(services.database.sessions, services.cache.clock)
    cache.current()  # the board at start, as serving begins with one
    builds = _Builds(cache)
    threading.Thread(target=cache.run, args=(time.sleep,), daemon=True).start()
    return cache, builds


def _award(services: Any, team_id: int) -> int:
    """Commit an award; returns the place of its event row (what the pump would hand on)."""
    with services.database.session() as session:
        organizer.award(session, team_id, 30, "good catch", utcnow(), None)
    with services.database.session() as session:
        return session.scalar(select(func.max(Event.pos)))


def test_a_change_the_pump_built_first_is_still_published(services: Any) -> None:
    team_id, _ = team_with_token(services, "Team Late Notice")
    cache, builds = _serving(services)
    try:
        pos = _award(services, team_id)
        # The pump reads the row and the board is built before the committing request says it owes
        # standings (it yielded in between, sending a team's notice through Redis).
        cache.changed(["award"], upto=pos)
        built, owed = wait_until(lambda: builds.seen, what="a board built from the pump's rows")[0]
        assert built.as_of >= pos and not owed
        cache.owe()
        owed = wait_until(builds.owed, timeout=5, what="a board built to publish the award's standings")
        row = next(r for r in owed[0].board.standings if r.team_id == team_id)
        assert row.score == 30
    finally:
        cache.stop()


def test_rows_a_board_already_holds_do_not_build_it_again(services: Any) -> None:
    team_id, _ = team_with_token(services, "Team Early Notice")
    cache, builds = _serving(services)
    try:
        pos = _award(services, team_id)
        cache.owe()  # the committing request first, as usual
        wait_until(builds.owed, timeout=5, what="the owed board")
        cache.changed(["award"], upto=pos)  # then the pump reads the same row
        time.sleep(3 * BoardCache.MIN_GAP)
        assert len(builds.seen) == 1, "the award's board was built twice"
        cache.changed(["award"], upto=pos + 1)  # a row the board does not hold yet is built
        wait_until(lambda: len(builds.seen) == 2, timeout=5, what="a board for a newer row")
    finally:
        cache.stop()


def test_a_slow_build_does_not_hold_the_next_board_back_for_long(services: Any, monkeypatch: Any) -> None:
    """A build slowed by a busy process (here: 1.2 s) is followed by the next one within a second,
    not three times its length: observers and pollers would see a board that many seconds old."""
    real_build = snapshot.build

    def slow_build(*args: Any, **kwargs: Any) -> Built:
        time.sleep(1.2)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(snapshot, "build", slow_build)
    cache = BoardCache(services.database.sessions, services.cache.clock)
    builds = _Builds(cache)
    gaps: list[float] = []

    def sleep(seconds: float) -> None:
        gaps.append(seconds)
        cache.stop()  # one round is enough

    builder = threading.Thread(target=cache.run, args=(sleep,), daemon=True)
    builder.start()
    # A change reaches the builder once it runs (until then it only marks the board stale).
    wait_until(lambda: cache.changed(["solve"]) or builds.seen, timeout=10, what="a board built")
    builder.join(10)
    assert gaps and gaps[0] <= BoardCache.MAX_GAP == 1.0, gaps


def test_a_failed_build_is_tried_again_without_waiting_for_another_change(services: Any, monkeypatch: Any,
                                                                          caplog: Any) -> None:
    """A build that fails (the database hiccuped) leaves the board stale: the builder tries again
    by itself, or the board would stay behind until the next solve — after the last one, forever.
    While it keeps failing the log gets one traceback, then a line per retry (a second apart)."""
    real_build, failures = snapshot.build, []

    def failing_twice(*args: Any, **kwargs: Any) -> Built:
        if len(failures) < 2:
            failures.append(1)
            raise RuntimeError("the database went away for a moment")
        return real_build(*args, **kwargs)

    cache, builds = _serving(services)
    try:
        team_id, _ = team_with_token(services, "Team Retry")
        _award(services, team_id)
        monkeypatch.setattr(snapshot, "build", failing_twice)  # for this builder's next builds
        with caplog.at_level(logging.WARNING, logger="scoreboard.board.snapshot"):
            cache.changed(["award"])  # one change, then quiet
            wait_until(lambda: builds.seen, timeout=5, what="a board built after the failed ones")
        assert failures == [1, 1]
        assert any(row.team_id == team_id and row.score == 30 for row in cache.board().standings)
        said = [(record.getMessage(), record.exc_info is not None) for record in caplog.records]
        assert said == [("building the board failed", True),
                        ("building the board failed again: the database went away for a moment", False)], said
    finally:
        cache.stop()


def test_a_board_left_waiting_for_its_builder_is_told_in_the_log(services: Any, caplog: Any) -> None:
    """A builder stuck on a lock or a connection leaves readers a board that silently stops
    changing: once the board has waited over BUILDER_LATE seconds, the log says where the builder
    is (once per wait), and says nothing while the board keeps up."""
    live, cache = services.live, services.cache
    cache.current()
    assert cache.waiting() == 0.0
    release = threading.Event()

    def stuck_builder() -> None:
        release.wait(10)  # where a stuck builder would be: waiting on something that never comes

    builder = threading.Thread(target=stuck_builder, daemon=True)
    builder.start()
    live._builder = builder
    try:
        assert live.watch_builder() is False
        cache._background = True  # serving: changes wait for the builder instead of building inline
        cache.changed(["solve"])
        assert 0.0 <= cache.waiting() < socket.BUILDER_LATE
        with caplog.at_level(logging.WARNING, logger="scoreboard.live.socket"):
            clock = time.monotonic() + socket.BUILDER_LATE + 1
            with patch("scoreboard.board.snapshot.time.monotonic", return_value=clock):
                assert live.watch_builder() is True
                assert live.watch_builder() is True  # still late: said once
        said = [record.getMessage() for record in caplog.records]
        assert len(said) == 1 and "waited 6 s for a rebuild" in said[0] and "stuck_builder" in said[0], said
        cache.rebuild()
        assert cache.waiting() == 0.0 and live.watch_builder() is False
    finally:
        release.set()
        cache._background = False
