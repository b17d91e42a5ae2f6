"""Stored files on several hosts: with PostgreSQL every file is in the database, so a host that
never saw the upload serves it; downloads are cached by their sha256; backups carry the files
between PostgreSQL and SQLite; an upgrade moves files already on disk into the database."""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import load_pack
from sqlalchemy import create_engine, func, select, text

from scoreboard import create_app
from scoreboard.drill import backup
from scoreboard.store import uploads
from scoreboard.store.config import Settings
from scoreboard.store.models import Blob, Challenge, File, ReportFile

ROOT = Path(__file__).resolve().parents[2]
ATTACHMENT = bytes(range(256)) * 2048  # 512 KiB: more than one chunk
TASK = {"name": "Incident report", "type": "report", "description": "What happened?",
        "rubric": [{"criterion": "Timeline", "points": 10}]}
FLAG = {"name": "Capture", "value": 100, "flags": ["DRILL{x}"], "files": ["dist/capture.pcap"]}

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database every host of the test shares (dropped afterwards)."""
    base = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    name = f"drillboard_blobs_{uuid.uuid4().hex[:10]}"
    with base.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with base.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        base.dispose()


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Callable[[str, str], Any]]:
    """``host(name, database_url)``: an app with an instance folder of its own, like one app host."""
    apps: list[Any] = []

    def make(name: str, url: str) -> Any:
        app = create_app(Settings(instance=tmp_path / name, secret_key="blobs", database_url=url, tick_seconds=0.2))
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["drillboard"].live.stop()
        app.extensions["drillboard"].database.engine.dispose()


def _files_on_disk(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _drill(services: Any, make_pack: Any) -> dict[str, int]:
    """The pack (a file attached to a flag challenge) and a team's report with an attachment."""
    load_pack(services, make_pack({"f/flag": FLAG, "r/report": TASK}, {"id": "blobs"},
                                  files={"f/flag/dist/capture.pcap": ATTACHMENT}))
    with services.database.session() as session:
        ids = {c.name: c.id for c in session.scalars(select(Challenge))}
    return ids


def _file_report(app: Any, challenge_id: int, headers: dict[str, str], data: bytes) -> None:
    response = app.test_client().post(f"/api/v1/challenges/{challenge_id}/reports", headers=headers,
                                      content_type="multipart/form-data",
                                      data={"text": "See the log.", "files": [(io.BytesIO(data), "auth.log")]})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_file_written_on_one_host_downloads_on_another(pg_url: str, host: Any, make_pack: Any) -> None:
    one, two = host("app1", pg_url), host("app2", pg_url)
    ids = _drill(one.extensions["drillboard"], make_pack)
    _, headers = team_with_token(one.extensions["drillboard"], "Blue")
    _file_report(one, ids["Incident report"], headers, b"t0 login from 203.0.113.7")
    files_of_one = one.extensions["drillboard"].settings.files_dir
    assert _files_on_disk(files_of_one) == [], "with PostgreSQL nothing is kept on the writing host's disk"

    client = two.test_client()
    detail = client.get(f"/api/v1/challenges/{ids['Capture']}", headers=headers).get_json()
    url = detail["files"][0]["url"]
    digest = hashlib.sha256(ATTACHMENT).hexdigest()
    assert url.endswith(f"?v={digest}")
    got = client.get(url, headers=headers)
    assert got.status_code == 200 and got.data == ATTACHMENT
    assert got.headers["ETag"] == f'"{digest}"'
    assert "immutable" in got.headers["Cache-Control"] and "private" in got.headers["Cache-Control"]
    # The same file by its id alone may change with a pack reload: asked about every time, 304 when unchanged.
    plain = url.split("?")[0]
    again = client.get(plain, headers={**headers, "If-None-Match": f'"{digest}"'})
    assert again.status_code == 304 and not again.data
    assert "immutable" not in again.headers["Cache-Control"] and "no-cache" in again.headers["Cache-Control"]
    # Served from host two's own disk cache from now on.
    cache = two.extensions["drillboard"].settings.blob_cache_dir
    assert [p.read_bytes() for p in _files_on_disk(cache)] == [ATTACHMENT]

    with two.extensions["drillboard"].database.session() as session:
        report_file = session.scalar(select(ReportFile))
    judge = _judge(two)
    listed = client.get("/api/v1/judging/reports", headers=judge).get_json()["reports"][0]
    attachment = client.get(f"/judge/reports/{listed['id']}/attachment-1.log", headers=judge)
    assert attachment.data == b"t0 login from 203.0.113.7"
    assert attachment.headers["ETag"] == f'"{report_file.sha256}"' == f'"{report_file.stored_path}"'


def _judge(app: Any) -> dict[str, str]:
    from scoreboard.drill import accounts

    with app.extensions["drillboard"].database.session() as session:
        _, _, token = accounts.create_staff(session, f"judge{uuid.uuid4().hex[:6]}", "judge", None)
    return {"Authorization": f"Bearer {token}"}


def _blobs(app: Any) -> int:
    with app.extensions["drillboard"].database.session() as session:
        return session.scalar(select(func.count()).select_from(Blob))


def test_a_file_whose_transaction_rolls_back_is_not_kept(pg_url: str, host: Any) -> None:
    app = host("app1", pg_url)
    services = app.extensions["drillboard"]
    with pytest.raises(RuntimeError), services.database.session() as session:
        uploads.keep(session, services.settings.files_dir, "reports", b"never filed")
        raise RuntimeError("the report is refused after its file was kept")
    with services.database.session() as session:
        kept, _ = uploads.keep(session, services.settings.files_dir, "reports", b"filed twice")
        again, _ = uploads.keep(session, services.settings.files_dir, "reports", b"filed twice")
    assert kept == again == hashlib.sha256(b"filed twice").hexdigest()
    assert _blobs(app) == 1


def test_backups_carry_files_between_postgresql_and_sqlite(pg_url: str, host: Any, make_pack: Any,
                                                           tmp_path: Path) -> None:
    pg = host("pg", pg_url)
    ids = _drill(pg.extensions["drillboard"], make_pack)
    _, headers = team_with_token(pg.extensions["drillboard"], "Blue")
    _file_report(pg, ids["Incident report"], headers, b"evidence of the intrusion")
    archive = tmp_path / "pg.zip"
    backup.dump(pg.extensions["drillboard"].database, pg.extensions["drillboard"].settings.files_dir, archive)

    lite = host("lite", f"sqlite:///{tmp_path / 'lite.db'}")
    lite_services = lite.extensions["drillboard"]
    backup.restore(lite_services.database, lite_services.settings.files_dir, archive)
    with lite_services.database.session() as session:
        stored = session.scalar(select(File))
    served = lite.test_client().get(f"/files/{stored.id}/{stored.name}", headers=headers)
    assert served.status_code == 200 and served.data == ATTACHMENT

    # And back: a backup of the SQLite drill (files under its folder) restores into a new PostgreSQL drill.
    lite_archive = tmp_path / "lite.zip"
    backup.dump(lite_services.database, lite_services.settings.files_dir, lite_archive)
    pg.extensions["drillboard"].live.stop()
    with pg.extensions["drillboard"].database.engine.begin() as conn:
        conn.execute(text("DELETE FROM blob_chunk"))
        conn.execute(text("DELETE FROM blob"))
    again = host("pg-again", pg_url)
    backup.restore(again.extensions["drillboard"].database, again.extensions["drillboard"].settings.files_dir,
                   lite_archive)
    judge = _judge(again)
    client = again.test_client()
    listed = client.get("/api/v1/judging/reports", headers=judge).get_json()["reports"][0]
    assert client.get(f"/judge/reports/{listed['id']}/attachment-1.log", headers=judge).data == b"evidence of the intrusion"
    assert client.get(f"/files/{stored.id}/{stored.name}", headers=headers).data == ATTACHMENT
    assert _blobs(again) == 2


def test_an_upgrade_moves_the_files_on_disk_into_the_database(pg_url: str, tmp_path: Path) -> None:
    """A 0.1.0 drill on PostgreSQL whose pack files are under the instance folder: after
    ``init-db`` every file row names a blob holding the same bytes."""
    import psycopg

    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute((ROOT / "tests" / "fixtures" / "drillboard-0.1.0.pg.sql").read_text())
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        paths = list(conn.scalars(text("SELECT DISTINCT stored_path FROM file")))
    files = tmp_path / "instance" / "files"
    expected = {}
    for n, stored in enumerate(paths):
        (files / stored).parent.mkdir(parents=True, exist_ok=True)
        (files / stored).write_bytes(f"file {n}".encode() * 1000)
        expected[stored] = hashlib.sha256((files / stored).read_bytes()).hexdigest()
    env = {**os.environ, "DRILLBOARD_DATABASE_URL": pg_url, "DRILLBOARD_INSTANCE": str(tmp_path / "instance"),
           "DRILLBOARD_SECRET_KEY": "blobs"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", "init-db"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    shutil.rmtree(files)  # the host's folder is no longer needed
    with engine.connect() as conn:
        moved = set(conn.scalars(text("SELECT DISTINCT stored_path FROM file")))
        kept = {sha: b"".join(bytes(c) for c in conn.scalars(
            text("SELECT data FROM blob_chunk WHERE sha256 = :s ORDER BY position"), {"s": sha})) for sha in moved}
    engine.dispose()
    assert paths and moved == set(expected.values())
    assert all(hashlib.sha256(data).hexdigest() == sha for sha, data in kept.items())
