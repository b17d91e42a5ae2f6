"""What the public sees (issue #22, part 4): names hidden by a later pack update, the end of the
drill that answers cannot slip past, and team names that only look different in one case.
"""
from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from sqlalchemy import select, update

from scoreboard import packs
from scoreboard.core import names
from scoreboard.core.errors import Refused
from scoreboard.drill import accounts, organizer
from scoreboard.store.models import Challenge, Drill, Event, Solve, Team, utcnow

OPEN = {"name": "Open Door", "value": 100, "flags": ["DRILL{open}"]}
SECRET = {"name": "Secret Room", "value": 100, "flags": ["DRILL{secret}"]}

ROOT_DIR = Path(__file__).resolve().parents[2]


def load(services: Any, make_pack: Any, secret: dict[str, Any], name: str) -> dict[str, int]:
    with services.database.session() as session:
        packs.load(session, make_pack({"a/open": OPEN, "a/secret": secret}, {"id": "pub"}, name=name),
                   services.settings.files_dir)
        return {c.name: c.id for c in session.scalars(select(Challenge))}


def answer(client: Any, cid: int, text: str, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/challenges/{cid}/attempts", json={"answer": text}, headers=headers)


# --- a name hidden later ---------------------------------------------------------------------------


def test_a_challenge_anonymised_by_a_later_update_leaves_no_real_name_in_public_events(
        client: Any, services: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, SECRET, "v1")
    _, headers = team_with_token(services, "Openers")
    assert answer(client, ids["Secret Room"], "DRILL{secret}", headers).get_json()["result"] == "correct"
    load(services, make_pack, {**SECRET, "requirements": {"prerequisites": ["Open Door"], "anonymize": True}}, "v2")
    with services.database.session() as session:
        stored = [e.payload for e in session.scalars(select(Event).where(Event.seq.is_not(None)))]
    assert "Secret Room" not in json.dumps(stored, ensure_ascii=False)
    assert any(p.get("challenge") == "???" for p in stored)  # the release and the solve are still there
    for path in ("/api/v1/replay?minute=0", "/api/v1/replay", "/api/v1/scoreboard", "/board", "/replay"):
        assert "Secret Room" not in client.get(path).get_data(as_text=True), path
    # Made public again: the events name it again.
    load(services, make_pack, SECRET, "v3")
    with services.database.session() as session:
        named = [e.payload.get("challenge") for e in session.scalars(select(Event).where(Event.kind == "solve"))]
    assert named == ["Secret Room"]


# --- the end of the drill ---------------------------------------------------------------------------


def test_an_answer_after_the_end_is_refused_even_by_a_worker_whose_clock_is_stale(
        client: Any, services: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, SECRET, "v1")
    _, headers = team_with_token(services, "Late")
    services.caches.catalog.get()  # this worker's cached clock says: running
    with services.database.session() as session:  # another worker ended the drill a moment ago
        session.execute(update(Drill).values(ends_at=utcnow() - timedelta(milliseconds=25)))
    reply = answer(client, ids["Open Door"], "DRILL{open}", headers)
    assert reply.status_code == 403 and "ended" in reply.get_json()["error"]
    with services.database.session() as session:
        assert session.scalar(select(Solve.id)) is None


def test_clock_end_racing_answers_stores_no_solve_after_the_end(app: Any, services: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, SECRET, "v1")
    teams = [team_with_token(services, f"Racer {n}")[1] for n in range(12)]

    def race(headers: dict[str, str]) -> int:
        return answer(app.test_client(), ids["Open Door"], "DRILL{open}", headers).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(race, headers) for headers in teams]
        with services.database.session() as session:
            organizer.clock_action(session, "end", utcnow(), "test")
        statuses = [f.result() for f in futures]
    assert set(statuses) <= {200, 403}
    with services.database.session() as session:
        ends_at = session.get(Drill, 1).ends_at
        late = session.scalars(select(Solve.at).where(Solve.at >= ends_at)).all()
        solves = len(session.scalars(select(Solve.id)).all())
    assert late == [] and statuses.count(200) == solves  # every "correct" told is a solve before the end


def test_setting_the_end_in_the_past_is_said_by_the_cli_and_the_console(app: Any, services: Any,
                                                                          make_pack: Any) -> None:
    load(services, make_pack, SECRET, "v1")
    with services.database.session() as session:
        session.get(Drill, 1).starts_at = utcnow() - timedelta(hours=3)
    past = (utcnow() - timedelta(hours=1)).isoformat()
    result = app.test_cli_runner().invoke(args=["drill", "clock", "set", "--ends-at", past])
    assert result.exit_code == 0
    assert json.loads(result.stdout.strip().splitlines()[-1])["phase"] == "ended"
    assert "not in the future" in result.stderr and "refused" in result.stderr
    with services.database.session() as session:
        _, password, _ = accounts.create_admin(session, "boss")
    browser = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True)).group(1)
    browser.post("/login", data={"csrf_token": token, "name": "boss", "password": password})
    page = browser.get("/console/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    later = (utcnow() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    done = browser.post("/console/clock", data={"csrf_token": token, "ends_at": later}, follow_redirects=True)
    assert "The end is not in the future" in done.get_data(as_text=True)
    future = (utcnow() + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    quiet = browser.post("/console/clock", data={"csrf_token": token, "ends_at": future}, follow_redirects=True)
    assert "not in the future" not in quiet.get_data(as_text=True)


def test_the_end_rule_is_documented() -> None:
    design = (ROOT_DIR / "docs" / "design.md").read_text()
    assert "ends_at" in design and "the clock's lock" in design


# --- names that look alike in one case ---------------------------------------------------------------


@pytest.mark.parametrize(("existing", "lookalike"), [
    ("Team Russia", "Теам Russia"),  # Cyrillic Т, е, а, м: "м" looks like "m" only in upper case
    ("Теам Russia", "Team Russia"),
    ("TEAM RUSSIA", "теам russia"),
    ("Modern", "Мodern"),
])
def test_a_name_that_looks_the_same_in_any_case_is_refused(services: Any, existing: str, lookalike: str) -> None:
    with services.database.session() as session:
        organizer.create_team(session, existing, "RU", "test")
    with pytest.raises(Refused, match="looks the same"), services.database.session() as session:
        organizer.create_team(session, lookalike, "KZ", "test")
    with pytest.raises(Refused, match="looks the same"), services.database.session() as session:
        accounts.create_staff(session, existing, "judge")
        accounts.create_staff(session, lookalike, "judge")


def test_names_that_only_share_letters_are_still_accepted(services: Any) -> None:
    with services.database.session() as session:
        for name in ("Team Russia", "Team Belarus", "Команда России", "Tеаm Kazakhstan"):
            organizer.create_team(session, name, "KZ", "test")
        rows = session.execute(select(Team.name_skeleton, Team.name_skeleton_upper, Team.name_skeleton_lower)).all()
    assert all(all(row) for row in rows)
    assert names.skeletons("Теам Russia")[1] == names.skeletons("Team Russia")[1]
