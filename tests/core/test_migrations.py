"""Alembic owns the schema: the migrations equal the models, and a 0.1.0 drill upgrades intact."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select, text

from scoreboard.store import migrate
from scoreboard.store.models import Base, Event

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
OLD_STANDINGS = json.loads((FIXTURES / "drillboard-0.1.0.standings.json").read_text())


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards)."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = f"drillboard_mig_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _upgrade_by_migrations_only(url: str) -> None:
    """Run every migration from nothing (not the create_all shortcut new databases take)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate.config(conn), "head")
    engine.dispose()


def _differences(url: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    return diff


def test_migration_head_equals_the_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    _upgrade_by_migrations_only(url)
    assert _differences(url) == []


@pytest.mark.postgres
def test_migration_head_equals_the_models_on_postgres(pg_database: str) -> None:
    _upgrade_by_migrations_only(pg_database)
    assert _differences(pg_database) == []


def test_the_head_read_from_the_files_is_alembics(tmp_path: Path) -> None:
    """Every process start compares the database with ``migrate.head()``, which reads the files'
    headers instead of importing Alembic: it must name the revision Alembic would upgrade to."""
    assert migrate.head() == ScriptDirectory.from_config(migrate.config()).get_current_head()
    extra = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, extra)
    (extra / "versions" / "9999_next.py").write_text(
        f'revision = "9999_next"\ndown_revision = "{migrate.head()}"\n')
    assert migrate.head(extra) == ScriptDirectory(str(extra)).get_current_head() == "9999_next"


def test_new_database_is_created_at_head(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'n.db'}")
    assert migrate.upgrade(engine) == (None, migrate.head())
    assert migrate.upgrade(engine) == (migrate.head(), migrate.head())  # idempotent
    engine.dispose()


Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def _rows(url: str, like: Rows | None = None) -> Rows:
    """Every row of every table, keyed by table; with ``like``, only the tables and columns it has."""
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        names = list(like) if like else [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        for table in names:
            columns = like[table][0] if like else [c["name"] for c in inspect(conn).get_columns(table)]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = sorted(tuple(str(v) for v in row) for row in conn.execute(text(f'SELECT {quoted} FROM "{table}"')))
            out[table] = (columns, rows)
    engine.dispose()
    return out


def _before(url: str) -> Rows:
    """The rows an upgrade must keep. Audit entries keep their content; their MACs are renewed
    when the chain is sealed with the instance's key (and entries are added for old solves)."""
    rows = _rows(url)
    columns, _ = rows["audit"]
    kept = [c for c in columns if c not in ("prev_hash", "hash")]
    return {**rows, "audit": (kept, _rows(url, like={"audit": (kept, [])})["audit"][1])}


def _drill(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DRILLBOARD_DATABASE_URL": url, "DRILLBOARD_INSTANCE": str(tmp_path / "instance"),
           "DRILLBOARD_SECRET_KEY": "migration-test"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)


def _check_upgraded(url: str, before: Rows, tmp_path: Path, output: str) -> None:
    assert f"schema upgraded from revision {migrate.BASELINE} to {migrate.head()}" in output
    after = _rows(url, like=before)
    old_audit = {row[0] for row in before["audit"][1]}
    after["audit"] = (after["audit"][0], [row for row in after["audit"][1] if row[0] in old_audit])
    assert after == before, "a row changed or went missing in the upgrade"
    engine = create_engine(url)
    with engine.connect() as conn:
        public = conn.execute(select(func.count()).where(Event.held.is_(False), Event.seq.is_not(None))).scalar()
        assert public == conn.execute(select(func.count()).select_from(Event).where(Event.held.is_(False))).scalar()
    engine.dispose()
    exported = json.loads(_drill(url, tmp_path, "export", "--format", "json").stdout)["standings"]
    assert [{k: v for k, v in row.items() if k != "breakdown"} for row in exported] == OLD_STANDINGS, \
        "the upgraded drill ranks differently"
    assert all(row["breakdown"] == {"flags": row["score"], "reports": 0, "deductions": 0, "availability": 0} for row in exported)
    assert "up to date" in _drill(url, tmp_path, "init-db").stdout
    # The old, unkeyed audit entries were sealed into the keyed chain, every old solve covered.
    assert "audit log intact" in _drill(url, tmp_path, "audit-verify").stdout


def test_a_0_1_0_sqlite_drill_upgrades_with_every_row(tmp_path: Path) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURES / "drillboard-0.1.0.db", copy)
    url = f"sqlite:///{copy}"
    before = _before(url)
    assert sum(len(rows) for _, rows in before.values()) > 100
    _check_upgraded(url, before, tmp_path, _drill(url, tmp_path, "init-db").stdout)


@pytest.mark.postgres
def test_a_0_1_0_postgres_drill_upgrades_with_every_row(pg_database: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(pg_database.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute((FIXTURES / "drillboard-0.1.0.pg.sql").read_text())
    before = _before(pg_database)
    assert sum(len(rows) for _, rows in before.values()) > 100
    _check_upgraded(pg_database, before, tmp_path, _drill(pg_database, tmp_path, "init-db").stdout)
