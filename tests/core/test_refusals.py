"""A refused request changes nothing and says why, in the reader's language: each blueprint's one
error handler rolls back what the refused request had already written."""
from __future__ import annotations

import html
import io
from typing import Any

from corekit import team_with_token
from helpers import load_pack, logged_in, organizer_account
from sqlalchemy import func, select

from scoreboard.drill import accounts
from scoreboard.store.models import AuditEntry, Event, Submission, Team

CHALLENGE = "name: Open\ncategory: web\nvalue: 100\nflags: ['DRILL{open}']\n"


def _rows(services: Any) -> tuple[int, int, int, int]:
    with services.database.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Team, AuditEntry, Event, Submission))


def test_a_refused_console_import_keeps_none_of_the_teams_it_had_created(app: Any, services: Any) -> None:
    """The import creates the first row's team, then the second row's name is taken: nothing stays."""
    team_with_token(services, "Taken")
    chief, token = logged_in(app, "chief", organizer_account(services, "chief"))
    chief.get("/lang/ru")
    before = _rows(services)
    csv = b"name,country\nAlpha Cell,KZ\nTaken,UZ\n"
    response = chief.post("/console/teams/import", data={"csrf_token": token, "csv": (io.BytesIO(csv), "teams.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/teams")
    page = html.unescape(chief.get("/console/teams").get_data(as_text=True))
    assert "строка 3: команда с названием 'Taken' уже существует" in page
    assert "Ничего не импортировано." in page
    assert _rows(services) == before
    assert "Alpha Cell" not in page


def test_a_refused_api_call_writes_nothing_and_says_why_in_the_callers_language(client: Any, services: Any,
                                                                                make_pack: Any) -> None:
    load_pack(services, make_pack({}, files={"web/open/challenge.yml": CHALLENGE}))
    _, headers = team_with_token(services, "Long Answers")
    challenge_id = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"][0]["id"]
    before = _rows(services)
    response = client.post(f"/api/v1/challenges/{challenge_id}/attempts", json={"answer": "x" * 1001},
                           headers={**headers, "Accept-Language": "ru"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "поле 'answer' слишком длинное (максимум символов: 1000)"}
    assert _rows(services) == before


def test_a_refused_page_goes_back_to_where_the_reader_came_from_saying_why(app: Any, services: Any) -> None:
    """A page's refusal: a report that does not exist sends its judge back to the queue, with the reason."""
    with services.database.session() as session:
        _, password, _ = accounts.create_staff(session, "judy", "judge")
    judge, _ = logged_in(app, "judy", password)
    response = judge.get("/judge/reports/999", follow_redirects=True)
    assert response.request.path == "/judge"
    assert "no such report" in response.get_data(as_text=True)
