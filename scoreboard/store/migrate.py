"""The schema belongs to Alembic: bring any Drillboard database to the newest revision.

A new database gets the models' tables and is stamped at head (a test keeps the models and the
migrations equal); a database made before migrations existed (Drillboard 0.1.0's
``create_all``) is stamped at the baseline and upgraded; any other is upgraded. Several workers
may start at once, so the whole step runs under a lock. No Flask here.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.engine import Engine

from scoreboard.store.models import Base

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001_baseline"
# Any constant works; it only has to be the same in every worker.
_PG_LOCK = 0x6472696C


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or migrate the schema; returns (revision before, revision now)."""
    target = head()
    with engine.connect() as conn:
        if current(conn) == target:
            return target, target  # the common case: nothing to do, no lock taken
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Batch migrations copy tables; foreign keys are checked again once they are back.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one migrating process at a time
        else:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
        before = current(conn)
        cfg = config(conn)
        if before is None and not inspect(conn).get_table_names():
            Base.metadata.create_all(conn)
            command.stamp(cfg, "head")
        else:
            if before is None:
                command.stamp(cfg, BASELINE)  # made by create_all before migrations existed
                before = BASELINE
            command.upgrade(cfg, "head")
        conn.commit()
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    return before, target
