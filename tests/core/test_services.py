"""Defended services without the network: services.yml validation, rounds recorded into the
ledger (availability points, SLA, excluded rounds), state-change events and /api/v1/services."""
from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from corekit import team_with_token
from helpers import csrf, logged_in, organizer_account
from sqlalchemy import select

from scoreboard import packs
from scoreboard.core.errors import Refused
from scoreboard.drill import audit, hosts, rounds
from scoreboard.store import events
from scoreboard.store.models import Event, Service, ServiceHost, utcnow

FLAG = {"name": "Flag one", "value": 100, "flags": ["DRILL{x}"]}
SERVICES = {
    "round_seconds": 10,
    "services": [
        {"id": "portal", "title": "Web portal", "port": 8080, "points": 10,
         "translations": {"ru": {"title": "Портал"}},
         "check": {"kind": "http", "path": "/health", "status": 200, "body_regex": "ok"}},
        {"id": "mail", "title": "Mail", "port": 2525, "points": 5, "check": {"kind": "smtp"}},
    ],
    "teams": {"Blue": "127.0.0.21", "Red": "127.0.0.22"},
}


def write(make_pack: Any, services: Any, files: dict[str, str] | None = None, name: str | None = None) -> Path:
    root = make_pack({"f/flag": FLAG}, {"id": "range"}, files=files, name=name)
    (root / "services.yml").write_text(services if isinstance(services, str)
                                       else yaml.safe_dump(services, allow_unicode=True, sort_keys=False))
    return root


def load(services: Any, root: Path, **options: Any) -> Any:
    with services.database.session() as session:
        return packs.load(session, root, services.settings.files_dir, **options)


def problems_of(services: Any, root: Path) -> list[str]:
    with pytest.raises(packs.PackError) as caught:
        load(services, root, dry_run=True)
    return caught.value.problems


def run_round(services: Any, states: dict[tuple[int, str], str], when: Any = None) -> int:
    """Record one round in which each (team, service) had ``states``; returns its number."""
    now = when or utcnow()
    with services.database.session() as session:
        keys = {s.key: s.id for s in session.scalars(select(Service))}
        opened = rounds.open_round(session, now)
        results = [rounds.Result(team, keys[key], state, now) for (team, key), state in states.items()]
        rounds.record(session, opened.id, results, now)
        return opened.number


def test_a_pack_lists_its_services_in_the_dry_run_and_loads_them(services: Any, make_pack: Any) -> None:
    diff = load(services, write(make_pack, SERVICES), dry_run=True)
    assert "    portal: Web portal (http, 10 per round)" in diff.lines()
    assert "    mail: Mail (smtp, 5 per round)" in diff.lines()
    load(services, write(make_pack, SERVICES))
    with services.database.session() as session:
        rows = session.scalars(select(Service).order_by(Service.position)).all()
        assert [(s.key, s.points, s.check["kind"]) for s in rows] == [("portal", 10, "http"), ("mail", 5, "smtp")]
        assert rows[1].check["expect"] == "^220[ -]"  # smtp: the greeting's code by default
        assert events.drill(session).round_seconds == 10
        assert {h.team_key: h.host for h in session.scalars(select(ServiceHost))} == {"blue": "127.0.0.21",
                                                                                       "red": "127.0.0.22"}


@pytest.mark.parametrize(("text", "expected"), [
    ("services: [{id: web, title: Web, points: 1, port: 80, check: {kind: ftp}}]\n",
     "services.yml:1: 'check' must be a mapping whose 'kind' is one of 'tcp', 'http', 'dns', 'banner', 'smtp', "
     "'checker', not 'ftp'"),
    ("round_seconds: 2\nservices:\n  - {id: web, title: Web, points: 1, port: 80, check: {kind: tcp}}\n",
     "services.yml:1: 'round_seconds' must be a whole number from 5 to 3600, not 2"),
    ("services:\n  - {id: web, title: Web, points: 1, check: {kind: tcp}}\n",
     "services.yml:2: a tcp check needs the service's 'port'"),
    ("services:\n  - id: web\n    title: Web\n    points: 1\n    port: 80\n    check:\n      kind: http\n"
     "      body_regex: '(a'\n",
     "services.yml:8: check.body_regex:"),
    ("services:\n  - {id: web, title: Web, points: 1, port: 80, check: {kind: tcp, timeout: 50}}\n",
     "services.yml:2: check.timeout: must be a number of seconds from 1 to 30 (at most half the round)"),
    ("services:\n  - {id: web, title: Web, points: 1, port: 80, objectives: [nope], check: {kind: tcp}}\n",
     "services.yml:2: objective 'nope': the pack has no redteam.yml listing objectives"),
    ("services:\n  - {id: web, title: Web, points: 1, port: 80, check: {kind: tcp}}\nteams: {Blue: 'a b'}\n",
     "services.yml:3: 'teams.Blue' must be a host name or an IP address, not 'a b'"),
    ("services:\n  - {id: Web!, title: Web, points: 1, port: 80, check: {kind: tcp}}\n",
     "services.yml:2: a service's 'id' must be lowercase letters"),
])
def test_a_bad_services_yml_is_refused_with_file_and_line(services: Any, make_pack: Any, text: str,
                                                           expected: str) -> None:
    found = problems_of(services, write(make_pack, text))
    assert any(problem.startswith(expected) for problem in found), found
    with services.database.session() as session:
        assert session.scalar(select(Service.id)) is None


@pytest.mark.parametrize(("lang", "said"), [
    ("ru", ["для проверки типа tcp у сервиса должен быть указан 'port'",
            "check.timeout: значение должно быть числом секунд от 1 до 30 (не больше половины раунда)",
            "'teams.Blue' должно быть именем хоста или IP-адресом, а не 'a b'"]),
    ("zh", ["tcp 类型的检查需要服务设置 'port'",
            "check.timeout：必须是 1 到 30 之间的秒数（不超过一轮时长的一半）",
            "'teams.Blue' 必须是主机名或 IP 地址，而不是 'a b'"]),
])
def test_the_console_says_a_bad_services_yml_in_the_organizers_language(services: Any, app: Any, make_pack: Any,
                                                                        lang: str, said: list[str]) -> None:
    root = write(make_pack, "services:\n  - {id: web, title: Web, points: 1, check: {kind: tcp, timeout: 50}}\n"
                            "teams: {Blue: 'a b'}\n")
    browser, _ = logged_in(app, "boss", organizer_account(services, "boss"))
    browser.get(f"/lang/{lang}")
    reply = browser.post("/console/packs/check", data={"csrf_token": csrf(browser, "/console/packs"), "path": str(root)})
    page = html.unescape(reply.get_data(as_text=True))
    assert reply.status_code == 422
    for sentence in said:
        assert sentence in page, page
    assert "must be" not in page and "needs the service" not in page, "no English left in the report"


def test_a_checker_outside_the_pack_is_refused(services: Any, make_pack: Any, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "checker.py"
    outside.parent.mkdir()
    outside.write_text("print('hi')\n")
    for path in ("../elsewhere/checker.py", str(outside)):
        text = f"services:\n  - {{id: notes, title: Notes, points: 1, check: {{kind: checker, path: '{path}'}}}}\n"
        found = problems_of(services, write(make_pack, text))
        assert any("services.yml:2: check.path:" in p for p in found), found
    (tmp_path / "link").mkdir()
    text = "services:\n  - {id: notes, title: Notes, points: 1, check: {kind: checker, path: sneaky/checker.py}}\n"
    root = write(make_pack, text, name="linked")
    (root / "sneaky").symlink_to(outside.parent)
    found = problems_of(services, root)
    assert any("lies outside the pack" in p for p in found), found


def test_rounds_give_availability_points_sla_and_events_on_changes_only(services: Any, make_pack: Any,
                                                                        client: Any) -> None:
    load(services, write(make_pack, SERVICES))
    blue, _ = team_with_token(services, "Blue")
    red, _ = team_with_token(services, "Red")
    start = utcnow()
    run_round(services, {(blue, "portal"): "up", (blue, "mail"): "up", (red, "portal"): "up", (red, "mail"): "up"},
              start)
    run_round(services, {(blue, "portal"): "down", (blue, "mail"): "up", (red, "portal"): "up", (red, "mail"): "up"},
              start + timedelta(seconds=10))
    third = run_round(services, {(blue, "portal"): "up", (blue, "mail"): "up", (red, "portal"): "mumble",
                                 (red, "mail"): "up"}, start + timedelta(seconds=20))
    with services.database.session() as session:
        changes = [(e.payload["team_id"], e.payload["service"], e.payload["state"])
                   for e in session.scalars(select(Event).where(Event.kind == "service").order_by(Event.id))]
        assert all(e.seq for e in session.scalars(select(Event).where(Event.kind == "service")))
        assert audit.verify(session) == []  # every check row is covered
    assert changes == [(blue, "portal", "down"), (blue, "portal", "up"), (red, "portal", "mumble")]
    grid = client.get("/api/v1/services").get_json()
    assert grid["round"] == third
    assert [s["id"] for s in grid["services"]] == ["portal", "mail"]
    states = {row["team"]: row["states"] for row in grid["teams"]}
    assert states["Blue"]["portal"] == {"state": "up", "sla": round(2 / 3, 4)}
    assert states["Red"]["portal"] == {"state": "mumble", "sla": round(2 / 3, 4)}
    board = {row["team"]: row for row in client.get("/api/v1/scoreboard").get_json()["standings"]}
    assert board["Blue"]["breakdown"]["availability"] == 2 * 10 + 3 * 5
    assert board["Red"]["breakdown"]["availability"] == 2 * 10 + 3 * 5
    assert board["Blue"]["sla"] == round(5 / 6, 4)


def test_an_excluded_round_counts_for_nobody(services: Any, make_pack: Any, client: Any) -> None:
    load(services, write(make_pack, SERVICES))
    blue, _ = team_with_token(services, "Blue")
    start = utcnow()
    run_round(services, {(blue, "portal"): "up"}, start)
    broken = run_round(services, {(blue, "portal"): "down"}, start + timedelta(seconds=10))
    with services.database.session() as session:
        with pytest.raises(Refused):
            rounds.exclude(session, broken, "  ", utcnow(), "test")
        rounds.exclude(session, broken, "the range's switch failed", utcnow(), "test")
    grid = client.get("/api/v1/services").get_json()
    assert grid["teams"][0]["states"]["portal"]["sla"] == 1.0
    board = client.get("/api/v1/scoreboard").get_json()["standings"]
    assert board[0]["breakdown"]["availability"] == 10 and board[0]["sla"] == 1.0


def test_organizers_point_a_team_at_another_host(services: Any, make_pack: Any) -> None:
    load(services, write(make_pack, SERVICES))
    blue, _ = team_with_token(services, "Blue")
    with services.database.session() as session:
        hosts.set_host(session, "blue", "mail", "127.0.0.99", "test")
        hosts.import_hosts(session, "team,host\nBlue,127.0.0.50\n", "test")
        with pytest.raises(Refused, match="row 2"):
            hosts.import_hosts(session, "team,host\nNobody,127.0.0.50\n", "test")
    with services.database.session() as session:
        found = {t.service: t.host for t in hosts.targets(session, list(session.scalars(select(Service))))}
    assert found == {"portal": "127.0.0.50", "mail": "127.0.0.99"}
    load(services, write(make_pack, SERVICES))  # a reload keeps the organizer's hosts
    with services.database.session() as session:
        found = {t.service: t.host for t in hosts.targets(session, list(session.scalars(select(Service))))}
    assert found == {"portal": "127.0.0.50", "mail": "127.0.0.99"}


def test_a_deduction_may_name_the_service_the_attack_took_down(services: Any, make_pack: Any, client: Any) -> None:
    from scoreboard.drill import accounts
    from scoreboard.store.models import Deduction

    load(services, write(make_pack, SERVICES))
    blue, _ = team_with_token(services, "Blue")
    with services.database.session() as session:
        token = accounts.create_admin(session, "chief")[2]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"team_id": blue, "points": 30, "reason": "mail server wiped"}
    missing = client.post("/api/v1/deductions", json={**body, "service": "nope"}, headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"] == "no such service: nope"
    assert client.post("/api/v1/deductions", json={**body, "service": "mail"}, headers=headers).status_code == 201
    with services.database.session() as session:
        rows = session.scalars(select(Deduction)).all()
        assert [(row.points, session.get(Service, row.service_id).key) for row in rows] == [(30, "mail")]
        assert audit.verify(session) == []
