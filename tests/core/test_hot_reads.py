"""A poll of the public board gets the very answer Flask gave for that board (status, headers,
body) without going through Flask again, with or without a team's token; a new board is answered
at once, and a caller with a cookie or a query is answered by the app every time."""
from __future__ import annotations

from typing import Any

from corekit import team_with_token
from flask import request
from helpers import eventually

from scoreboard.drill import organizer
from scoreboard.store.models import utcnow

PATHS = ("/api/v1/scoreboard", "/api/v1/scoreboard/ctftime")


def _answers(app: Any) -> list[str]:
    """Counts the requests the Flask app itself handles, by path."""
    seen: list[str] = []
    app.before_request(lambda: seen.append(request.path))
    return seen


def _answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = {name: value for name, value in response.headers.items()}
    return response.status_code, headers, response.get_data()


def test_a_poll_of_the_same_board_is_answered_as_flask_answered_it(app: Any, services: Any, client: Any) -> None:
    team_id, headers = team_with_token(services, "Team Poll")
    handled = _answers(app)
    for path in PATHS:
        first = _answer(client.get(path))
        assert first[0] == 200 and first[1]["Content-Security-Policy"] and first[1]["Cache-Control"] == "no-cache"
        again = [_answer(client.get(path)) for _ in range(2)] + [_answer(client.get(path, headers=headers))]
        assert again == [first] * 3
        # The app's own answer, asked so that it must answer (a query it ignores), is the same.
        assert _answer(client.get(path + "?again=1")) == first
    assert handled == [PATHS[0], PATHS[0], PATHS[1], PATHS[1]], "polls of an unchanged board went through Flask"

    with services.database.session() as session:
        organizer.award(session, team_id, 25, "quick", utcnow(), None)
    board = eventually(lambda: client.get(PATHS[0]).get_json(),
                       lambda body: body["standings"] and body["standings"][0]["score"] == 25)
    assert board["standings"][0]["team"] == "Team Poll" and board["standings"][0]["score"] == 25


def test_callers_who_may_get_another_answer_always_reach_the_app(app: Any, client: Any) -> None:
    handled = _answers(app)
    client.get(PATHS[0])
    client.get(PATHS[0] + "?top=3")
    client.head(PATHS[0])
    client.post(PATHS[0])
    client.set_cookie("session", "x")
    client.get(PATHS[0])
    assert handled == [PATHS[0]] * 5
