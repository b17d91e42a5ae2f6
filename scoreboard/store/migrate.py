"""The schema belongs to Alembic: bring any Drillboard database to the newest revision.

A new database gets the models' tables and is stamped at head (a test keeps the models and the
migrations equal); a database made before migrations existed (Drillboard 0.1.0's
``create_all``) is stamped at the baseline and upgraded; any other is upgraded. Several workers
may start at once, so the whole step runs under a lock. No Flask here.

Every process start (each CLI call too) asks whether the schema is current; Alembic is imported
only when it is not, since importing it costs more than the rest of the check together.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import Engine

from scoreboard.store.models import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"""^(down_revision|revision) = ['"]?([\w]+|None)['"]?$""", re.MULTILINE)
BASELINE = "0001_baseline"
# Any constant works; it only has to be the same in every worker.
_PG_LOCK = 0x6472696C


def config(connection: Connection | None = None, files_dir: Path | None = None) -> Config:
    """Alembic's settings; ``files_dir`` is where a migration that moves stored files finds them."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["files_dir"] = files_dir
    return cfg


def head(folder: Path = MIGRATIONS) -> str:
    """The newest revision: the one no migration names as its ``down_revision``. Read from the
    files' headers as Alembic writes them (a test checks this agrees with Alembic's own answer)."""
    revisions, parents = set(), set()
    for path in (folder / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        revisions.add(found["revision"])
        parents.add(found.get("down_revision"))
    (newest,) = revisions - parents  # one chain, one head
    return newest


def current(connection: Connection) -> str | None:
    """The database's revision (None for a database Alembic never stamped)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, files_dir: Path | None = None) -> tuple[str | None, str]:
    """Create or migrate the schema; returns (revision before, revision now)."""
    target = head()
    with engine.connect() as conn:
        if current(conn) == target:
            return target, target  # the common case: nothing to do, no lock taken
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Batch migrations copy tables; foreign keys are checked again once they are back.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one migrating process at a time
        else:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
        before = current(conn)
        cfg = config(conn, files_dir)
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
