"""Data that used to break a later step (issue #22, part 3): NUL in any text, hostile file names,
pack file names that need quoting, a full disk, a database that is down, a readable backup.

Each test sends what an attacker or a bad day would and checks what a person would notice: a
clear refusal (or a 503 with Retry-After), nothing stored, no stray file, a download that works.
"""
from __future__ import annotations

import errno
import html
import io
import re
import socket
import stat
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from sqlalchemy import func, select
from test_concurrency import pg_app  # noqa: F401 - the PostgreSQL app fixture

from scoreboard import packs
from scoreboard.drill import accounts
from scoreboard.drill.deductions import EVIDENCE_DIR
from scoreboard.drill.reports import REPORT_DIR
from scoreboard.store.models import Deduction, Mark, Report, ReportFile, Submission

RUBRIC = [{"criterion": "Timeline", "points": 40, "comment_required": True},
          {"criterion": "Indicators", "points": 25, "comment_required": False}]


@pytest.fixture
def ids(services: Any, make_pack: Any) -> dict[str, int]:
    return _load(services, make_pack)


def staff(services: Any, name: str, role: str) -> dict[str, str]:
    with services.database.session() as session:
        _, _, token = accounts.create_staff(session, name, role)
    return {"Authorization": f"Bearer {token}"}


def count(services: Any, model: type) -> int:
    with services.database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def report_files(services: Any) -> list[Path]:
    """Every report attachment and evidence file on disk, whole or partial."""
    root = services.settings.files_dir
    return sorted(p for folder in (REPORT_DIR, EVIDENCE_DIR) for p in (root / folder).rglob("*") if p.is_file())


def member_client(app: Any, services: Any, team: str, name: str) -> Any:
    """A browser logged in as a new member of ``team`` (created here)."""
    with services.database.session() as session:
        from scoreboard.store.models import Team
        row = session.scalar(select(Team).where(Team.name == team))
        accounts.create_member(session, row, name, "correct horse")
    browser = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True)).group(1)
    assert browser.post("/login", data={"csrf_token": token, "name": name, "password": "correct horse"}) \
        .status_code == 302
    return browser


# --- NUL ---------------------------------------------------------------------------------------


def _load(services: Any, make_pack: Any) -> dict[str, int]:
    root = make_pack({"r/report": {"name": "Incident report", "type": "report", "rubric": RUBRIC},
                      "f/flag": {"name": "Flag one", "value": 100, "flags": ["DRILL{x}"],
                                 "files": ["a#b.txt", "q?.txt", "plain.txt"]}},
                     {"id": "edges", "second_marker": "average"}, files={"f/flag/a#b.txt": "hash", "f/flag/q?.txt": "query",
                                             "f/flag/plain.txt": "plain"})
    with services.database.session() as session:
        packs.load(session, root, services.settings.files_dir)
        from scoreboard.store.models import Challenge
        return {c.name: c.id for c in session.scalars(select(Challenge))}


def _nul_everywhere(client: Any, services: Any, ids: dict[str, int]) -> None:
    """NUL in each text the API takes; then a second judge marks the report (a stored NUL broke that)."""
    team_id, team = team_with_token(services, "Blue")
    red = staff(services, "red", "red_team")
    judge, second = staff(services, "judy", "judge"), staff(services, "jim", "judge")
    report_id = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", json={"text": "Timeline."},
                            headers=team).get_json()["id"]
    tries = [
        ("/api/v1/deductions", red, {"team_id": team_id, "points": 5, "reason": "rdp\u0000"}),
        ("/api/v1/deductions", red, {"team_id": team_id, "points": 5, "reason": "rdp", "evidence": "log\u0000"}),
        (f"/api/v1/judging/reports/{report_id}", judge, {"scores": [40, 25], "comment": "ok\u0000"}),
        (f"/api/v1/judging/reports/{report_id}", judge, {"scores": [40, 25], "comment": "ok",
                                                         "comments": ["fine", "bad\u0000"]}),
        (f"/api/v1/judging/reports/{report_id}", judge, {"scores": [40, 25], "comment": "ok",
                                                         "comments": {"nested": [["\u0000"]]}}),
        (f"/api/v1/challenges/{ids['Incident report']}/reports", team, {"text": "v2\u0000"}),
        (f"/api/v1/challenges/{ids['Flag one']}/attempts", team, {"answer": "DRILL{x}", "note\u0000": 1}),
    ]
    for path, headers, body in tries:
        reply = client.post(path, json=body, headers=headers)
        assert reply.status_code == 400, (path, body, reply.status_code, reply.get_data(as_text=True)[:200])
        assert "NUL" in reply.get_json()["error"]
    assert (count(services, Deduction), count(services, Mark), count(services, Report),
            count(services, Submission)) == (0, 0, 1, 0)
    ru = client.post("/api/v1/deductions", json={"team_id": team_id, "points": 5, "reason": "\u0000"},
                     headers={**red, "Accept-Language": "ru"})
    assert ru.status_code == 400 and "NUL" in ru.get_json()["error"] and "must not" not in ru.get_json()["error"]
    for marker in (judge, second):
        reply = client.post(f"/api/v1/judging/reports/{report_id}", json={"scores": [40, 25], "comment": "ok"},
                            headers=marker)
        assert reply.status_code == 200, reply.get_data(as_text=True)


def test_nul_anywhere_in_a_json_body_is_refused_and_nothing_is_stored(client: Any, services: Any,
                                                                      ids: dict[str, int]) -> None:
    _nul_everywhere(client, services, ids)


@pytest.mark.postgres
def test_nul_never_reaches_postgresql(request: Any, make_pack: Any) -> None:
    app = request.getfixturevalue("pg_app")
    services = app.extensions["drillboard"]
    _nul_everywhere(app.test_client(), services, _load(services, make_pack))


def test_nul_in_an_upload_name_is_refused(client: Any, services: Any, ids: dict[str, int]) -> None:
    _, team = team_with_token(services, "Blue")
    reply = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", headers=team,
                        content_type="multipart/form-data",
                        data={"text": "See file.", "files": [(io.BytesIO(b"x"), "a\u0000.txt")]})
    assert reply.status_code == 400 and count(services, Report) == 0 and report_files(services) == []


# --- file names --------------------------------------------------------------------------------


def _multipart(filename_star: str) -> tuple[bytes, str]:
    body = (b'--B\r\nContent-Disposition: form-data; name="text"\r\n\r\nSee the file.\r\n'
            b'--B\r\nContent-Disposition: form-data; name="files"; filename="x"; filename*=UTF-8\'\''
            + filename_star.encode() + b'\r\nContent-Type: text/plain\r\n\r\nlog line\r\n--B--\r\n')
    return body, "multipart/form-data; boundary=B"


@pytest.mark.parametrize(("sent", "shown"), [
    ("evil%0D%0ASet-Cookie%3A%20x%3D1.txt", "evilSet-Cookie: x=1.txt"),
    ("report%E2%80%AEgpj.exe", "reportgpj.exe"),
])
def test_an_upload_name_keeps_no_line_break_or_bidi_override_and_downloads(app: Any, client: Any, services: Any,
                                                                          ids: dict[str, int], sent: str,
                                                                          shown: str) -> None:
    _, team = team_with_token(services, "Blue")
    body, kind = _multipart(sent)
    reply = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", headers=team, data=body,
                        content_type=kind)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    with services.database.session() as session:
        row = session.scalar(select(ReportFile))
        assert row.name == shown
    member = member_client(app, services, "Blue", "blue one")
    page = member.get(f"/challenges/{ids['Incident report']}").get_data(as_text=True)
    link = re.search(r'href="(/reports/files/[^"]+)"', page).group(1)
    download = member.get(html.unescape(link))
    assert download.status_code == 200 and download.data == b"log line"
    assert "\u202e" not in download.headers["Content-Disposition"]


def test_a_name_filed_before_the_fix_still_downloads(app: Any, client: Any, services: Any,
                                                     ids: dict[str, int]) -> None:
    """Rows written by an older version may hold a CR/LF: the download cleans the name again."""
    _, team = team_with_token(services, "Blue")
    client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", headers=team,
                content_type="multipart/form-data",
                data={"text": "See file.", "files": [(io.BytesIO(b"evidence"), "log.txt")]})
    with services.database.session() as session:
        row = session.scalar(select(ReportFile))
        row.name = "old\r\nname.txt"
        report_id = row.report_id
    judge = staff(services, "judy", "judge")
    got = client.get(f"/judge/reports/{report_id}/attachment-1.txt", headers=judge)
    assert got.status_code == 200 and got.data == b"evidence"
    assert "\r" not in got.headers["Content-Disposition"] and "\n" not in got.headers["Content-Disposition"]


def test_pack_files_with_hash_or_question_mark_download_by_their_link(client: Any, services: Any,
                                                                       ids: dict[str, int]) -> None:
    _, team = team_with_token(services, "Blue")
    detail = client.get(f"/api/v1/challenges/{ids['Flag one']}", headers=team).get_json()
    got = {f["name"]: client.get(f["url"], headers=team) for f in detail["files"]}
    assert {name: (r.status_code, r.data) for name, r in got.items()} == {
        "a#b.txt": (200, b"hash"), "q?.txt": (200, b"query"), "plain.txt": (200, b"plain")}


def test_a_pack_file_name_with_a_control_character_is_a_problem(make_pack: Any) -> None:
    root = make_pack({"f/flag": {"name": "F", "value": 1, "flags": ["x"], "files": ["a\u202egpj.exe"]}},
                     files={"f/flag/a\u202egpj.exe": "x"})
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(root)
    assert any("invisible" in problem for problem in info.value.problems), info.value.problems


# --- a full disk, a database that is down -------------------------------------------------------


def _disk_full_after(monkeypatch: Any, good_writes: int) -> None:
    """The disk fills after ``good_writes`` stored files: the next one's write stops half-way with
    ENOSPC (stored files are written to a ``.part`` name, then renamed)."""
    original = Path.open
    written: list[Path] = []

    class Full:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: Any) -> None:
            self.handle.close()

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = original(self, mode, *args, **kwargs)
        if mode != "wb" or not self.name.endswith(".part"):
            return handle
        if len(written) >= good_writes:
            return Full(handle)
        written.append(self)
        return handle

    monkeypatch.setattr(Path, "open", open_)


def test_a_full_disk_is_a_503_and_leaves_no_file_or_row(client: Any, services: Any, ids: dict[str, int],
                                                         monkeypatch: Any) -> None:
    _, team = team_with_token(services, "Blue")
    _disk_full_after(monkeypatch, good_writes=1)
    reply = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", headers=team,
                        content_type="multipart/form-data", data={
                            "text": "See files.", "files": [(io.BytesIO(b"one" * 100), "one.txt"),
                                                            (io.BytesIO(b"two" * 100), "two.txt")]})
    assert reply.status_code == 503 and int(reply.headers["Retry-After"]) > 0
    assert "try again" in reply.get_json()["error"]
    assert report_files(services) == []
    assert (count(services, Report), count(services, ReportFile)) == (0, 0)
    ru = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports",
                     headers={**team, "Accept-Language": "ru"}, content_type="multipart/form-data",
                     data={"text": "x", "files": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"b"), "b.txt")]})
    assert ru.status_code == 503 and "try again" not in ru.get_json()["error"]


def test_a_database_that_cannot_write_is_a_503_for_answers_and_a_page_for_people(
        app: Any, client: Any, services: Any, ids: dict[str, int], monkeypatch: Any) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    _, team = team_with_token(services, "Blue")

    def full(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(Session, "commit", full)
    reply = client.post(f"/api/v1/challenges/{ids['Flag one']}/attempts", json={"answer": "wrong"}, headers=team)
    assert reply.status_code == 503 and reply.headers["Retry-After"] and set(reply.get_json()) == {"error"}
    monkeypatch.undo()
    assert count(services, Submission) == 0


def test_postgresql_down_is_a_503_with_retry_after(app: Any, client: Any, services: Any, ids: dict[str, int],
                                                    monkeypatch: Any) -> None:
    """A database on a closed port (a stopped PostgreSQL): the API answers JSON, /board a page."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    _, team = team_with_token(services, "Blue")
    services.caches.catalog.get()  # what a serving worker had cached before the database went away
    with socket.socket() as closed:  # a port nothing listens on once this block ends
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    dead = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/gone",
                         connect_args={"connect_timeout": 2})
    monkeypatch.setattr(services.database, "sessions", sessionmaker(dead, expire_on_commit=False))
    monkeypatch.setattr(services.caches.catalog, "sessions", services.database.sessions)
    reply = client.post(f"/api/v1/challenges/{ids['Flag one']}/attempts", json={"answer": "DRILL{x}"},
                        headers=team)
    assert reply.status_code == 503 and int(reply.headers["Retry-After"]) > 0, reply.get_data(as_text=True)
    assert set(reply.get_json()) == {"error"}
    board = client.get("/board", headers={"Accept-Language": "zh"})
    assert board.status_code == 503 and board.headers["Retry-After"] and board.mimetype == "text/html"
    page = board.get_data(as_text=True)
    assert 'lang="zh-Hans"' in page and "Traceback" not in page


# --- the backup ---------------------------------------------------------------------------------


def test_a_backup_is_readable_by_its_owner_only(app: Any, tmp_path: Path) -> None:
    target = tmp_path / "drill.zip"
    (tmp_path / "drill.zip.part").write_bytes(b"left over")
    (tmp_path / "drill.zip.part").chmod(0o644)
    result = app.test_cli_runner().invoke(args=["drill", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
