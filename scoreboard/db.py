"""Engine and sessions; the one place that knows which database we talk to."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .models import Base

# Receives every event of one committed transaction at once, in the order they were recorded.
Publisher = Callable[[list[dict[str, Any]]], None]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets observers read while a submission writes; NORMAL is crash-safe in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def insert_ignore(session: Session, model: type, **values: Any) -> bool:
    """INSERT that yields to a unique constraint instead of failing; True if a row was added.

    This is how "counts once" is enforced by the database, not by a Python check, and it
    works inside the caller's transaction on both SQLite and PostgreSQL without SAVEPOINTs.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
    return session.execute(statement).first() is not None


class Database:
    """Owns the engine, hands out sessions, and publishes each session's events after commit.

    Domain functions put events in ``session.info["outbox"]`` (see ``events.record``); they
    are handed to the publishers only once the transaction is durable, so nobody hears of a
    change that could still roll back.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            # Connections to a local file are cheap; with too few, request threads queue for one.
            kwargs.update(connect_args={"check_same_thread": False, "timeout": 10}, pool_size=32, max_overflow=32)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.publishers: list[Publisher] = []
        event.listen(self.sessions, "after_commit", self._after_commit)
        event.listen(self.sessions, "after_rollback", self._after_rollback)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def _after_commit(self, session: Session) -> None:
        items = session.info.pop("outbox", [])
        if items:
            for publish in self.publishers:
                publish(items)

    @staticmethod
    def _after_rollback(session: Session) -> None:
        session.info.pop("outbox", None)

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
