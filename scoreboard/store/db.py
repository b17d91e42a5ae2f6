"""Engine and sessions; the one place that knows which database we talk to.

Under gevent (``python app.py``, gunicorn's gevent workers) SQLite calls do not yield, so a
write transaction must never wait on the network between its first write and its commit: the
domain functions do their Redis and Socket.IO work after commit (see ``after_commit``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from scoreboard.store import migrate, uploads
from scoreboard.store.models.record import STREAM_LOCK

# Receives what one committed transaction queued (events recorded, notices), in order.
Publisher = Callable[[list[dict[str, Any]]], None]
# Any constant works; every worker must use the same one.
_STREAM_LOCK = 0x73747265


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets observers read while a submission writes; NORMAL is crash-safe in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_IGNORING: dict[tuple[str, type], Any] = {}


# PostgreSQL's integer; SQLite's is wider, but ids never get there.
MAX_ID = 2**31 - 1


def find(session: Session, model: type, row_id: Any) -> Any:
    """The row with this id, or None, whatever a client sent as the id: text, a float, a number
    beyond the column's range (which PostgreSQL would answer with an error) find nothing."""
    if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 < row_id <= MAX_ID:
        return None
    return session.get(model, row_id)


def insert_ignore(session: Session, model: type, **values: Any) -> Any:
    """INSERT that yields to a unique constraint instead of failing; the new key, or None.

    This is how "counts once" is enforced by the database, not by a Python check, and it
    works inside the caller's transaction on both SQLite and PostgreSQL without SAVEPOINTs.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    statement = _IGNORING.get((dialect, model))
    if statement is None:  # built once per table: this is on the path of every solve
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        key = next(iter(model.__table__.primary_key.columns))
        statement = _IGNORING[(dialect, model)] = insert(model.__table__).on_conflict_do_nothing().returning(key)
    return connection.execute(statement, values).scalar()


# What a transaction may have to wait for, as PostgreSQL advisory lock classes (the two-int form,
# ``(what, key)``); every worker must use the same numbers. None is held across another
# transaction's whole work: each orders a few writers of one thing.
SOLVES = 1  # solves of one challenge (key: its id), so first blood and the value are exact
CLOCK = 2  # answers (shared) against the end of the drill (exclusive)
BOARD = 3  # the published standings a delta is compared with
AUDIT = 4  # chaining the audit log (store/sequencer.py)
STREAM = STREAM_LOCK  # numbering the event stream: drillboard_sequence() takes (STREAM, 0)


@dataclass(frozen=True)
class Lock:
    """One of the locks above: ``what`` (its class), for which ``key``, shared or not."""

    what: int
    key: int = 0
    shared: bool = False


def serialise(session: Session, *locks: Lock) -> None:
    """Hold, until this transaction ends, the locks that order it against others doing the same.

    SQLite has one lock for every writer: take it now (BEGIN IMMEDIATE), so that what this
    transaction reads next is what it writes against. PostgreSQL: the advisory locks, shared or
    exclusive, scoped to the transaction, all in one round trip.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not session.info.get("write_locked"):
            if not connection.connection.dbapi_connection.in_transaction:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            session.info["write_locked"] = True
        return
    held = session.info.setdefault("advisory", set())
    wanted = [lock for lock in locks if (lock.what, lock.key) not in held]
    if wanted:
        calls = ", ".join(f"pg_advisory_xact_lock{'_shared' if lock.shared else ''}({int(lock.what)}, {int(lock.key)})"
                          for lock in wanted)
        connection.exec_driver_sql(f"SELECT {calls}")
        held.update((lock.what, lock.key) for lock in wanted)


# One statement, alone in its transaction (autocommit): the lock it takes is held inside the
# server only, never across a worker's round trip (models/record.py, SEQUENCE_FUNCTION).
_SEQUENCE = "SELECT drillboard_sequence()"


def _place(dbapi_connection: Any) -> None:
    """Place the rows just committed on this (idle) PostgreSQL connection, in autocommit."""
    was = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(_SEQUENCE)
    finally:
        dbapi_connection.autocommit = was


def _forget_locks(session: Session) -> None:
    """A transaction's locks end with it."""
    session.info.pop("write_locked", None)
    session.info.pop("advisory", None)


class Database:
    """Owns the engine, hands out sessions, and tells publishers what each commit recorded.

    Domain functions queue what they record in ``session.info["outbox"]`` (see ``events``); it
    is handed to the publishers only once the transaction is durable, so nobody hears of a
    change that could still roll back.
    """

    def __init__(self, url: str, audit_key: bytes = b"", files_dir: Path | None = None) -> None:
        self.url = url
        self.files_dir = files_dir  # stored files a migration moves into the database
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            # Connections to a local file are cheap; with too few, requests queue for one.
            kwargs.update(connect_args={"check_same_thread": False, "timeout": 10}, pool_size=32, max_overflow=32)
        else:
            # Under gevent every request is a greenlet holding a connection: keep enough open that they
            # are not opened and closed under load (a few workers × 30 stays under PostgreSQL's 100).
            # All of them kept, none "overflow": an overflow connection is closed when it is handed
            # back, so a worker serving a steady 21-30 requests at once opened and closed one per
            # request (a new PostgreSQL backend each time). A 31st request waits for a connection.
            kwargs.update(pool_size=30, max_overflow=0, pool_recycle=1800)
        self.engine: Engine = create_engine(url, **kwargs)
        # The same pool, with statements that commit on their own (the sequencer's).
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # Every session can sign audit entries (audit.py); the key never reaches the database.
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"audit_key": audit_key})
        self.publishers: list[Publisher] = []
        event.listen(self.sessions, "before_commit", self._before_commit)
        event.listen(self.sessions, "after_commit", self._after_commit)
        event.listen(self.sessions, "after_rollback", self._after_rollback)
        event.listen(self.sessions, "after_transaction_end", self._after_transaction_end)

    def migrate(self) -> tuple[str | None, str]:
        """Create or upgrade the schema to the newest migration."""
        return migrate.upgrade(self.engine, self.files_dir)

    def _after_commit(self, session: Session) -> None:
        _forget_locks(session)
        uploads.forget_unless_committed(session, committed=True)
        connection = session.info.pop("sequencer", None)
        if connection is not None:
            _place(connection)  # before anyone is told: a reader sees the rows only once they have a place
        items = session.info.pop("outbox", [])
        if items:
            for publish in self.publishers:
                publish(items)

    def sequence(self) -> int:
        """Give the event rows committed without a place theirs (PostgreSQL; SQLite places them as
        they are written); returns how many. After a commit that wrote events this runs on the
        committing connection (``_place``); this is the tick's catch-up for a process that died
        between its commit and that call."""
        if self.is_sqlite:
            return 0
        with self._autocommit.connect() as connection:
            return connection.exec_driver_sql(_SEQUENCE).scalar() or 0

    @staticmethod
    def _before_commit(session: Session) -> None:
        if session.info.pop("unsequenced", False):
            # Kept for after the commit: the same connection places the rows, so a worker whose pool
            # is busy never waits for a second one while holding the first.
            session.info["sequencer"] = session.connection().connection.dbapi_connection

    @staticmethod
    def _after_rollback(session: Session) -> None:
        _forget_locks(session)
        session.info.pop("unsequenced", None)
        session.info.pop("sequencer", None)
        session.info.pop("outbox", None)

    @staticmethod
    def _after_transaction_end(session: Session, transaction: Any) -> None:
        """Rolled back or closed without a commit: the files the transaction wrote go too."""
        if transaction.parent is None:
            uploads.forget_unless_committed(session, committed=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and always closes."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
