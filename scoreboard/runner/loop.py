"""The checker runner: one per drill, whatever the topology (``drill checker``).

Every runner first becomes the leader or waits: on PostgreSQL a session advisory lock held on a
connection of its own (released by the server the moment the leader's process dies), on SQLite
an exclusive lock on a file beside the database (one machine: released by the kernel likewise).
A waiting runner tries again every second, so it takes over within a round of the leader's
death; a round the dead leader left unfinished is run again by the new one.

The leader runs rounds: each team at its own moment in the first half of the round
(``availability.offset``), each checker in its own process and each built-in check on a thread
(``sandbox``), the results written in one transaction (``rounds.record``). Nothing here runs in
a web worker.
"""
from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from scoreboard.board.services import live_services
from scoreboard.core import availability
from scoreboard.drill import hosts, rounds
from scoreboard.runner import sandbox
from scoreboard.store import events
from scoreboard.store.db import Database
from scoreboard.store.models import ServiceRound, utcnow

log = logging.getLogger(__name__)
_LEADER_LOCK = 0x63686b72  # any constant: every runner of the drill must use the same one
POLL = 1.0  # seconds between a waiting runner's tries, and an idle leader's looks at the clock


class Leadership:
    """Held while this process is the drill's one runner."""

    def __init__(self, database: Database, lock_file: Path) -> None:
        self.database, self.lock_file = database, lock_file
        self._held: Any = None

    def acquire(self) -> bool:
        """Take the lead if nobody holds it; True when this process holds it now."""
        if self._held is not None:
            return self.alive()
        if self.database.is_sqlite:
            handle = self.lock_file.open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
            self._held = handle
            return True
        connection = self.database.engine.connect()
        if connection.execute(text(f"SELECT pg_try_advisory_lock({_LEADER_LOCK})")).scalar():
            connection.commit()
            self._held = connection
            return True
        connection.close()
        return False

    def alive(self) -> bool:
        """Whether the lock still holds (a lost database connection loses it)."""
        if self.database.is_sqlite or self._held is None:
            return self._held is not None
        try:
            self._held.execute(text("SELECT 1")).scalar()
            self._held.commit()
            return True
        except Exception:  # noqa: BLE001 - the connection is gone, and the lock with it
            log.warning("lost the checker lead: the database connection dropped")
            self.release()
            return False

    def release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            try:
                held.close()
            except Exception:  # noqa: BLE001 - closing what is already gone
                log.debug("closing the leader lock failed", exc_info=True)


class Runner:
    """Runs the drill's rounds while it leads."""

    def __init__(self, database: Database, files_dir: Path, lock_file: Path) -> None:
        self.database, self.files_dir = database, files_dir
        self.leadership = Leadership(database, lock_file)

    def run_forever(self, keep_going: Callable[[], bool] = lambda: True) -> None:
        """Lead (or wait to) and run every round that is due, until ``keep_going`` says no."""
        announced = False
        while keep_going():
            if not self.leadership.acquire():
                announced = False
                time.sleep(POLL)
                continue
            if not announced:
                log.warning("this process now runs the drill's service checks")
                announced = True
            try:
                if self.run_due(keep_going=keep_going) is None:
                    time.sleep(POLL)
            except Exception:  # noqa: BLE001 - a failed round must not stop the next
                log.exception("a round of service checks failed")
                time.sleep(POLL)
        self.leadership.release()

    def run_due(self, force: bool = False, keep_going: Callable[[], bool] = lambda: True) -> int | None:
        """Run the round that is due now, if any (``force``: one now, unless checks may not run);
        returns its number.

        A runner told to stop while it checks (Ctrl-C, the server it serves stopping) does not
        record the round: what it found was cut short by the stop itself (a demo's range goes down
        with the server), and teams would lose a round's points to it. The round stays unfinished,
        and the next runner runs it again, as it does a dead runner's."""
        with self.database.session() as session:
            opened = rounds.open_round(session, utcnow())
            if opened is None and force and rounds.may_check(session, utcnow()):
                opened = rounds.start_now(session, utcnow())
            if opened is None:
                return None
            number, round_id, started = opened.number, opened.id, opened.started_at
            targets = hosts.targets(session, live_services(session))
            seconds = events.drill(session).round_seconds
        results = self.check(targets, number, seconds, keep_going)
        if not keep_going():
            log.warning("round %s left unfinished: this checker is stopping; the next checker runs it again",
                        number)
            return None
        with self.database.session() as session:
            if session.get(ServiceRound, round_id) is None:
                return None  # a restore replaced the drill meanwhile
            changed = rounds.record(session, round_id, results, utcnow())
        log.info("round %s (started %s): %s checks, %s changes", number, started.isoformat(), len(results),
                 len(changed))
        return number

    def check(self, targets: list[hosts.Target], number: int, seconds: int,
              keep_going: Callable[[], bool] = lambda: True) -> list[rounds.Result]:
        """Every target checked (``sandbox``), each team at its moment of the round."""
        start = time.monotonic()
        jobs = [sandbox.Job((t.team_id, t.service_id), start + availability.offset(t.team_id, number, seconds),
                            self._target(t)) for t in targets]
        found = sandbox.run(jobs, keep_going)
        now = utcnow()
        return [rounds.Result(team_id, service_id, answer["state"], now, answer.get("message") or "",
                              answer.get("detail") or "", answer.get("duration_ms", 0), answer.get("flag_id"),
                              answer.get("flag"))
                for (team_id, service_id), answer in found.items()]

    def _target(self, target: hosts.Target) -> dict[str, Any]:
        check = target.check
        entry = str(self.files_dir / check["folder"] / check["entry"]) if check["kind"] == "checker" else None
        return {"host": target.host, "port": target.port, "check": check, "checker": entry,
                "flag_id": target.flag_id, "flag": target.flag}
