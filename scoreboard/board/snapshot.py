"""The public board every reader shares: built once per change, pre-encoded, swapped whole.

The lesson from CTFd and RootTheBox: compute once per change and serve every reader the same
bytes until the next change; wrong attempts touch nothing. When serving, one background task
rebuilds the standings after changes (a burst of solves folds into one rebuild) and swaps the
finished result in, so a reader never waits for a rebuild; it gets the latest finished standings.
The full snapshot (feed, chart, grid) is made only when an observer asks for it, once per
standings. Without the background task (the CLI, in-process tests) a stale board is rebuilt by the
next reader. No Flask here.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from scoreboard.board import ctftime, ledger, standings
from scoreboard.core.clock import Clock
from scoreboard.core.scoring import Board, charted
from scoreboard.store import events
from scoreboard.store.models import utcnow

log = logging.getLogger(__name__)
_builds = count(1)


def time_key(clock: Clock, now: datetime) -> tuple[Any, ...]:
    """What time alone (or the reveal's state) changes about the public board: a scheduled start
    or end, the freeze, the closing reveal."""
    return (clock.public_cutoff(now), clock.frozen(now), clock.phase(now), clock.reveal)


def encode(data: Any) -> bytes:
    """Compact UTF-8 JSON, as every pre-encoded answer is sent."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Built:
    """One finished board: the standings and what the challenge list needs, at one moment.

    Built after every burst of changes, so it holds only what is cheap to compute; the full
    snapshot (feed, chart, grid) is made from it on demand (``Snapshot``).
    """

    as_of: int  # the place (pos) of the last event it reflects
    seq: int  # the last public seq it reflects
    key: tuple[Any, ...]
    board: Board
    frozen: bool
    counts: dict[int, int]  # public solve counts per challenge (honour the freeze)
    weights: dict[str, int] | None = None  # the pack's weights it was scored with
    number: int = field(default_factory=lambda: next(_builds))  # keys what readers build from it
    _scoreboard: bytes | None = None

    def scoreboard(self) -> bytes:
        """``/api/v1/scoreboard``, encoded once per board (the first reader pays)."""
        if self._scoreboard is None:
            self._scoreboard = encode({"standings": [row.as_dict() for row in self.board.standings],
                                       "frozen": self.frozen})
        return self._scoreboard


@dataclass
class Snapshot:
    """What a new or resyncing observer gets: the board with its feed, chart and grid, encoded."""

    key: tuple[Any, ...]  # what time alone changes (the freeze, the phase) when it was taken
    as_of: int  # the place (pos) of the last event it reflects: unsequenced changes (a hint bought, a void) too
    seq: int
    content: dict[str, Any]  # without "seq"
    body: bytes  # content encoded, starting with "{"
    _ctftime: bytes | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, **self.content}

    def fits(self, built: Built, seq: int) -> bool:
        """Whether this snapshot may be served with ``built`` current and ``seq`` sent: it must
        hold every public event up to ``seq`` *and* every change the board was built from. Seqs
        alone cannot tell: a hint bought or a void is an unsequenced row, after which only the
        ``standings`` event carries a seq, and a snapshot taken before the change would pass as
        new (the board then stayed stale until the next solve)."""
        return self.seq >= seq and self.as_of >= built.as_of and self.key == built.key

    def encoded(self) -> bytes:
        return b'{"seq":%d,' % self.seq + self.body[1:]

    def ctftime(self) -> bytes:
        if self._ctftime is None:
            content = self.content
            self._ctftime = ctftime.encode(ctftime.feed(content["standings"], content["challenges"],
                                                        content["solves"]))
        return self._ctftime


@contextmanager
def _one_moment(sessions: Callable[[], Session]) -> Iterator[Session]:
    """A read-only session whose queries all see the same committed state."""
    with sessions() as session:
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # a WAL read snapshot from the first read on
        else:
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield session
        finally:
            session.rollback()


def build(session: Session, now: datetime, previous: Built | None = None) -> Built:
    """Rank the public board at one moment (the cheap part, after every burst of changes): the
    database adds the ledger up; chart steps are drawn again only for the teams whose sums moved
    since ``previous`` (all of them without one, or when time or the weights changed the view)."""
    as_of, seq = events.last_places(session)
    row = events.drill(session)
    clock = events.clock_of(row)
    view = ledger.public_view(session, clock, now)
    key = time_key(clock, now)
    board = standings.compute(session, view)
    same_view = previous is not None and (previous.key, previous.weights) == (key, row.weights)
    standings.draw(session, view, board, previous.board if same_view else None)
    return Built(as_of, seq, key, board, clock.frozen(now), board.counts, row.weights)


def take_snapshot(session: Session, now: datetime) -> Snapshot:
    """The whole public picture at one moment (the dear part, only when somebody asks)."""
    as_of, seq = events.last_places(session)
    clock = events.clock_of(events.drill(session))
    view = ledger.public_view(session, clock, now)
    entries = ledger.entries(session, view)
    board = standings.compute(session, view, entries)
    content = {
        "standings": [row.as_dict(steps=charted(row.pos)) for row in board.standings],
        "recent_solves": standings.recent_solves(session, view),
        "announcements": standings.public_announcements(session),
        "frozen": clock.frozen(now),
        "clock": clock.as_dict(now),
        "weights": events.drill(session).weights,
        **standings.public_grid(session, view, now, entries),
    }
    return Snapshot(time_key(clock, now), as_of, seq, content, encode(content))


class BoardCache:
    """The latest built board, and the one place that decides when to build the next.

    ``changed`` is told of every event row (by the stream pump) and of every local commit;
    ``current`` hands out the latest finished standings. ``on_built`` hears of each new board
    (the re-scorer publishes standings from it).
    """

    MIN_GAP = 0.25  # seconds between background rebuilds at the least
    # ... and at the most: a build's time is wall time, which a busy process stretches (every
    # query yields to the requests in flight), and three times it could hold the next board back
    # for many seconds after a burst; one second keeps the builder under half of a busy second.
    MAX_GAP = 1.0

    def __init__(self, sessions: Callable[[], Session], clock: Callable[[], Clock]) -> None:
        self.sessions, self.clock = sessions, clock
        self.on_built: list[Callable[[Built, bool], None]] = []
        self._built: Built | None = None
        # When the oldest change the board does not hold yet came in; None: it holds all it heard of.
        self._waiting_since: float | None = time.monotonic()
        self._owed = False  # a change committed here whose standings are not published yet
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._dirty = threading.Event()
        self._background = False
        self._stop = threading.Event()

    # --- readers ------------------------------------------------------------------------

    def current(self, now: datetime | None = None) -> Built:
        """The latest finished board; without a background builder a stale one is rebuilt first."""
        now = now or utcnow()
        built = self._built
        if built is not None and built.key != time_key(self.clock(), now):
            self.changed(["clock"])  # time alone moved the board on
        if built is None or (self._stale and not self._background):
            built = self.rebuild(now)
        return built

    def board(self) -> Board:
        return self.current().board

    def snapshot(self, min_seq: int | None = None) -> Snapshot:
        """A snapshot holding every public event up to ``min_seq`` (default: the current board's).

        Taken by the first reader that needs one and shared until a newer seq is asked for: a
        client that connects gets a snapshot at least as new as every event already sent.
        """
        built = self.current()
        need = built.seq if min_seq is None else min_seq
        taken = self._snapshot
        if taken is not None and taken.fits(built, need):
            return taken
        with self._snapshot_lock:  # readers arriving together share one
            taken = self._snapshot
            if taken is None or not taken.fits(built, need):
                with _one_moment(self.sessions) as session:
                    taken = self._snapshot = take_snapshot(session, utcnow())
        return taken

    # --- changes ------------------------------------------------------------------------

    @property
    def owed(self) -> bool:
        return self._owed

    def owe(self) -> None:
        """A change committed in this process: the next board built publishes its standings.

        When serving, that next board is asked for here too: the pump may have read the change's
        rows and built a board with it before the committing request got here (it yields between
        its commit and this call), and that build published nothing, as nothing was owed yet.
        """
        self._owed = True
        if self._background:
            self._mark_stale()
            self._dirty.set()

    @property
    def _stale(self) -> bool:
        return self._waiting_since is not None

    def _mark_stale(self) -> None:
        if self._waiting_since is None:
            self._waiting_since = time.monotonic()

    def waiting(self) -> float:
        """Seconds the board has waited for a rebuild (0 when it holds every change heard of): what
        tells a stuck builder from a busy one."""
        since = self._waiting_since
        return 0.0 if since is None else time.monotonic() - since

    def changed(self, kinds: list[str], seqs: list[int] | None = None, upto: int = 0) -> None:
        """Hear of committed events (``seqs``: the public ones, consecutive; ``upto``: the place
        of the last): rebuild after board changes the current board does not hold yet; after
        others (a ``standings`` event) what is built still holds, at the new seq."""
        if any(kind in events.BOARD_KINDS for kind in kinds):
            built = self._built
            if upto and built is not None and not self._stale and built.as_of >= upto:
                return  # built after these rows were committed (a commit here asked for it)
            self._mark_stale()
            if self._background:
                self._dirty.set()
            elif self._owed:
                self.rebuild()  # the CLI and in-process callers publish their standings at once
            return
        if not seqs:
            return
        built, taken = self._built, self._snapshot
        if built is not None and not self._stale and built.seq == seqs[0] - 1:
            built.seq = seqs[-1]
        if taken is not None and taken.seq == seqs[0] - 1:
            taken.seq = seqs[-1]

    def rebuild(self, now: datetime | None = None) -> Built:
        with self._lock:
            owed, self._owed = self._owed, False
            waiting_since, self._waiting_since = self._waiting_since, None
            self._dirty.clear()
            try:
                with _one_moment(self.sessions) as session:
                    built = build(session, now or utcnow(), self._built)
            except BaseException:
                self._owed = self._owed or owed
                self._waiting_since = waiting_since or self._waiting_since or time.monotonic()
                raise
            self._built = built
        for listener in self.on_built:
            listener(built, owed)
        return built

    # --- serving ------------------------------------------------------------------------

    def run(self, sleep: Callable[[float], None]) -> None:
        """The background builder: one rebuild per burst of changes, at most one every MIN_GAP s."""
        self._background = True
        failing = False
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            started = time.monotonic()
            try:
                self.rebuild()
                failing = False
            except Exception as err:  # noqa: BLE001 - a failed build must not stop the next one
                if failing:  # the database is still away: one line a second, not a traceback each
                    log.warning("building the board failed again: %s", err)
                else:
                    log.exception("building the board failed")
                failing = True
                # Still stale: try again after the pause. Waiting for the next change instead left
                # the board behind for as long as the drill stayed quiet (after a burst, at ENDEX).
                self._dirty.set()
            # Under a steady stream of solves keep building to at most a quarter of the time.
            pause = 3 * (time.monotonic() - started)
            sleep(self.MAX_GAP if failing else min(self.MAX_GAP, max(self.MIN_GAP, pause)))

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
