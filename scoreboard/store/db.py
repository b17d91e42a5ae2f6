"""Engine and sessions; the one place that knows which database we talk to.

Under gevent (``python app.py``, gunicorn's gevent workers) SQLite calls do not yield, so a
write transaction must never wait on the network between its first write and its commit: the
domain functions do their Redis and Socket.IO work after commit (see ``after_commit``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from scoreboard.store import migrate, uploads

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


def lock_stream(session: Session) -> None:
    """Serialise transactions that append to the event stream, until they commit.

    Held from before the first event row is numbered until commit, this makes commit order
    equal id order (so every worker can tail the table by id) and lets seq count on without
    gaps. SQLite: take the write lock now (BEGIN IMMEDIATE), or hold it already after a write;
    PostgreSQL: a transaction-scoped advisory lock.
    """
    if session.info.get("stream_locked"):
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_STREAM_LOCK})")
    session.info["stream_locked"] = True


class Database:
    """Owns the engine, hands out sessions, and tells publishers what each commit recorded.

    Domain functions queue what they record in ``session.info["outbox"]`` (see ``events``); it
    is handed to the publishers only once the transaction is durable, so nobody hears of a
    change that could still roll back.
    """

    def __init__(self, url: str, audit_key: bytes = b"") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            # Connections to a local file are cheap; with too few, requests queue for one.
            kwargs.update(connect_args={"check_same_thread": False, "timeout": 10}, pool_size=32, max_overflow=32)
        else:
            # Under gevent every request is a greenlet holding a connection: keep enough open that they
            # are not opened and closed under load (a few workers × 30 stays under PostgreSQL's 100).
            kwargs.update(pool_size=20, max_overflow=10, pool_recycle=1800)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # Every session can sign audit entries (audit.py); the key never reaches the database.
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"audit_key": audit_key})
        self.publishers: list[Publisher] = []
        event.listen(self.sessions, "after_commit", self._after_commit)
        event.listen(self.sessions, "after_rollback", self._after_rollback)
        event.listen(self.sessions, "after_transaction_end", self._after_transaction_end)

    def migrate(self) -> tuple[str | None, str]:
        """Create or upgrade the schema to the newest migration."""
        return migrate.upgrade(self.engine)

    def _after_commit(self, session: Session) -> None:
        session.info.pop("stream_locked", None)
        uploads.forget_unless_committed(session, committed=True)
        items = session.info.pop("outbox", [])
        if items:
            for publish in self.publishers:
                publish(items)

    @staticmethod
    def _after_rollback(session: Session) -> None:
        session.info.pop("stream_locked", None)
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
