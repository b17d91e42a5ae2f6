"""Defended services on the pages, without the network: rounds recorded in-process (as the checker
records them), then read as a user reads them — the server-rendered board grid (works without
JavaScript), a team's own page (its messages only, never the private detail), the replay, the
after-action reports, and the console's Services page with its refusals."""
from __future__ import annotations

import html
import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from corekit import team_with_token
from helpers import logged_in, organizer_account
from sqlalchemy import select
from test_services import SERVICES, load, write

from scoreboard.drill import accounts, deductions, rounds
from scoreboard.store.models import AuditEntry, Service, ServiceHost, Team, utcnow

SECRET = "stderr: connect() to 127.0.0.22:2525 refused (private)"


@pytest.fixture
def drill(services: Any, make_pack: Any) -> Any:
    """Blue and Red defend a portal and a mail server; round 1 all up, round 2 Red's mail down
    (with a private detail), round 3 it is back."""
    load(services, write(make_pack, SERVICES))
    blue, _ = team_with_token(services, "Blue")
    red, _ = team_with_token(services, "Red")
    start = utcnow() - timedelta(minutes=5)
    for offset, mail in ((0, "up"), (10, "down"), (20, "up")):
        at = start + timedelta(seconds=offset)
        with services.database.session() as session:
            keys = {s.key: s.id for s in session.scalars(select(Service))}
            opened = rounds.start_now(session, at)
            results = [rounds.Result(blue, keys["portal"], "up", at, "portal ok"),
                       rounds.Result(blue, keys["mail"], "up", at, "the service greets as expected"),
                       rounds.Result(red, keys["portal"], "up", at, "portal ok"),
                       rounds.Result(red, keys["mail"], mail, at,
                                     "the connection was refused" if mail == "down" else "red mail greets",
                                     SECRET if mail == "down" else "")]
            rounds.record(session, opened.id, results, at)
            session.commit()
    return {"blue": blue, "red": red}


def member(app: Any, services: Any, team_id: int, name: str) -> Any:
    with services.database.session() as session:
        accounts.create_member(session, session.get(Team, team_id), name, "correct horse battery")
        session.commit()
    return logged_in(app, name)[0]


def test_the_board_draws_the_grid_on_the_server_with_glyphs_words_and_slas(client: Any, drill: Any) -> None:
    page = client.get("/board").get_data(as_text=True)
    cell = re.search(rf'data-svc="{drill["red"]}:mail" data-state="up">(.*?)</td>', page, re.S).group(1)
    assert "▲" in cell and ">up<" in cell and "66.7 %" in cell  # two of three rounds up
    assert f'data-sla="{drill["red"]}">83.3 %' in page  # five of six checks up over both services
    assert "the check itself failed" in page  # the legend names every state
    assert "data-grid=\"/api/v1/services\"" in page  # the live script reads the grid from the page's URL


def test_a_board_opened_after_an_outage_tells_it_in_its_feed(client: Any, drill: Any) -> None:
    """The lines an open board was sent live ("Red: Mail DOWN") are in the feed of a board opened
    later, in the page itself (without JavaScript) and in the snapshot the live script starts from."""
    page = client.get("/board").get_data(as_text=True)
    feed = page.split('id="feed">')[1].split("</ol>")[0]
    said = [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in
            re.findall(r'<li class="service[^>]*>.*?<span class="said">(.*?)</span>', feed, re.S)]
    assert said == ["Red: Mail back UP", "Red: Mail DOWN"], feed
    assert f'data-service="{drill["red"]}:mail"' in feed and "▼" in feed and "▲" in feed
    snapshot = json.loads(html.unescape(page.split('id="snapshot">')[1].split("</script>")[0]))
    lines = [(i["team"], i["service"], i["state"]) for i in snapshot["recent_solves"] if i.get("kind") == "service"]
    assert lines == [("Red", "mail", "up"), ("Red", "mail", "down")]
    russian = client.get("/board", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "back UP" not in russian.split('id="feed">')[1].split("</ol>")[0]


def test_a_team_sees_its_own_last_checks_and_never_another_teams_or_the_private_detail(
        app: Any, services: Any, drill: Any) -> None:
    with services.database.session() as session:  # a fourth round: Red's mail down again
        keys = {s.key: s.id for s in session.scalars(select(Service))}
        opened = rounds.start_now(session, utcnow())
        rounds.record(session, opened.id, [rounds.Result(drill["red"], keys["mail"], "down", utcnow(),
                                                         "the connection was refused", SECRET)], utcnow())
        session.commit()
    red = member(app, services, drill["red"], "rita").get("/team").get_data(as_text=True)
    blue = member(app, services, drill["blue"], "boris").get("/team").get_data(as_text=True)
    row = red.split('data-service="mail"')[1].split("</tr>")[0]
    assert "the connection was refused" in row and ">4<" in row and "down" in row
    assert SECRET not in red
    assert "the service greets as expected" in blue and "the connection was refused" not in blue


def test_the_replay_and_the_after_action_pages_tell_the_outage(app: Any, services: Any, client: Any,
                                                               drill: Any) -> None:
    replay = client.get("/replay").get_data(as_text=True)
    assert "Red: Mail DOWN" in replay and "Red: Mail back UP" in replay
    report = member(app, services, drill["red"], "rita").get("/team/after-action").get_data(as_text=True)
    outages = report.split('id="outages"')[1].split("</table>")[0]
    assert "Mail" in outages and "0:00:10" in outages  # down at round 2, up again at round 3
    assert 'data-service="mail">66.7 %' in report.split('id="sla-table"')[1]
    blue = member(app, services, drill["blue"], "boris").get("/team/after-action").get_data(as_text=True)
    assert "No outages." in blue and ">Red<" not in blue.split('id="services-section"')[1]


def test_the_console_lists_outages_beside_the_deductions_that_name_the_service(
        app: Any, services: Any, drill: Any) -> None:
    password = organizer_account(services, "chief")
    with services.database.session() as session:
        user = accounts.create_staff(session, "mallory", "red_team")[0]
        deductions.record(session, drill["red"], 30, "portal-deface", "", utcnow(), accounts.actor_for_user(user),
                          service="mail")
        session.commit()
    console, _ = logged_in(app, "chief", password)
    page = console.get("/console/services").get_data(as_text=True)
    outage = page.split(f'data-outage="{drill["red"]}:mail"')[1].split("</tr>")[0]
    assert "0:00:10" in outage and "deduction: portal-deface (−30)" in outage


def test_console_controls_refuse_bad_input_and_change_nothing(app: Any, services: Any, drill: Any) -> None:
    password = organizer_account(services, "chief")
    console, token = logged_in(app, "chief", password)
    bad = console.post("/console/services/hosts", data={"csrf_token": token, "team": "Blue", "service": "",
                                                        "host": "not a host!"}, follow_redirects=True)
    assert "the host must be a host name or an IP address" in bad.get_data(as_text=True)
    csv = console.post("/console/services/hosts/import", data={"csrf_token": token, "csv": (
        io.BytesIO(b"team,host\nBlue,10.0.3.2\nNobody,10.0.3.3\n"), "hosts.csv")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "row 3: no team named Nobody" in csv and "Nothing was imported" in csv
    with services.database.session() as session:
        assert not session.scalars(select(ServiceHost).where(ServiceHost.pack_id.is_(None))).all()
    ok = console.post("/console/services/hosts", data={"csrf_token": token, "team": "Blue", "service": "mail",
                                                       "host": "10.0.3.9"}, follow_redirects=True)
    assert "Blue's Mail is checked at 10.0.3.9 from the next round." in html.unescape(ok.get_data(as_text=True))
    # Re-running asks first; only the confirmation's form (with a reason) acts, and it is audited.
    ask = console.get("/console/services/rounds/2/rerun").get_data(as_text=True)
    assert "Exclude round 2 and re-run it now?" in ask
    assert console.get("/console/services/rounds/99/rerun").status_code == 404
    empty = console.post("/console/services/rounds/2/rerun", data={"csrf_token": token, "confirmed": "1", "reason": " "},
                         follow_redirects=True).get_data(as_text=True)
    assert "a reason is required" in empty
    done = console.post("/console/services/rounds/2/rerun", data={"csrf_token": token, "confirmed": "1",
                                                                  "reason": "switch reboot"}, follow_redirects=True)
    assert "Round 2 is excluded; round 4 checks every service now." in done.get_data(as_text=True)
    with services.database.session() as session:
        assert {"round.exclude", "round.rerun", "service.host"} <= set(session.scalars(select(AuditEntry.action)))
