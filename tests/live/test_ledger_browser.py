"""The ledger in Debian Chromium, against a real ``python app.py``.

An open /board follows changes of points that are not solves (a hint bought, a red-team
deduction and its void) within 2 s, without a reload. /replay, scrubbed minute by minute with
its slider's keys over a drill with everything that carries points (first bloods, a dynamic
value, a hint, released grades, deductions and a void, pack weights, a freeze held for the
reveal), answers every minute without an error and ends at the final board.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from helpers import drop_first
from livekit import join, scoreboard
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from scoreboard import create_app, packs
from scoreboard.drill import accounts, attempts, challenges, deductions, judging, organizer, reports, reveal
from scoreboard.drill.accounts import Actor
from scoreboard.drill.attempts import Attempt
from scoreboard.drill.reports import Filing
from scoreboard.store.config import Settings
from scoreboard.store.models import Challenge, Grade, Hint, utcnow

pytestmark = pytest.mark.browser

WEB = "Web Server Intrusion"


class Watched:
    """A page whose uncaught exceptions, console errors and server errors are collected."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))


def login(page: Page, base: str, name: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base) + r"/console/?$"))


def test_an_open_board_shows_a_hint_bought_and_a_void_within_two_seconds(server: Any, browser: Browser) -> None:
    base = server.base_url
    organizer_account = json.loads(server.cli("create-admin", "olga").stdout)
    member = join(server, "Team China")
    china = next(row for row in scoreboard(base)["standings"] if row["team"] == "Team China")
    web = member.challenge_ids()[WEB]
    hint = next(h for h in member.http.get(f"{base}/api/v1/challenges/{web}", timeout=10).json()["hints"]
                if h["cost"] > 0)
    observer, console = browser.new_context(), browser.new_context()
    try:
        board = Watched(observer.new_page())
        board.page.goto(base + "/board")
        expect(board.page.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
        board.page.evaluate("window.__sameDocument = true")
        score = board.page.locator(f'#standings tr[data-team="{china["team_id"]}"] .score')
        expect(score).to_have_text(str(china["score"]))

        member.unlock(hint["id"])  # a hint bought: no event of its own, the standings change
        after_hint = china["score"] - hint["cost"]
        expect(score).to_have_text(str(after_hint), timeout=2000)

        recorded = requests.post(f"{base}/api/v1/deductions", timeout=10,
                                 headers={"Authorization": f"Bearer {organizer_account['token']}"},
                                 json={"team_id": china["team_id"], "points": 40, "reason": "Phished the CFO"})
        assert recorded.status_code == 201, recorded.text
        expect(score).to_have_text(str(after_hint - 40), timeout=2000)

        page = console.new_page()
        login(page, base, "olga", organizer_account["password"])
        page.goto(f"{base}/console/deductions/{recorded.json()['id']}/void")
        page.fill("input[name=reason]", "The CFO's mailbox was out of scope")
        page.click("#confirm")
        expect(page.locator(f'tr[data-deduction="{recorded.json()["id"]}"]')).to_have_class(re.compile("voided"))
        expect(score).to_have_text(str(after_hint), timeout=2000)  # a void: no public event, the points back

        final = next(row for row in scoreboard(base)["standings"] if row["team_id"] == china["team_id"])
        assert (final["score"], final["solves"]) == (after_hint, china["solves"])  # no solve in between
        assert board.page.evaluate("window.__sameDocument === true"), "the board reloaded"
        assert board.errors == []
    finally:
        observer.close()
        console.close()


NOW = utcnow().replace(microsecond=0)
START = NOW - timedelta(minutes=100)
FREEZE = START + timedelta(minutes=70)
PACK = {
    "x": {"name": "X", "value": 100, "flags": ["DRILL{x}"], "hints": [{"content": "look", "cost": 10}]},
    "y": {"name": "Y", "type": "dynamic", "value": 300, "flags": ["DRILL{y}"],
          "extra": {"initial": 300, "decay": 3, "minimum": 100}},
    "r": {"name": "R", "type": "report", "value": 60, "rubric": [{"criterion": "Timeline", "points": 60}]},
}
# (team, challenge, minute): X's first blood is Alpha's; Charlie and Bravo answer during the freeze.
SOLVES = [("Alpha", "X", 5), ("Bravo", "Y", 12), ("Charlie", "X", 20), ("Alpha", "Y", 30),
          ("Charlie", "Y", 75), ("Bravo", "X", 80)]
# (team, minute filed, minute released, points): Alpha's is released during the freeze.
GRADES = [("Bravo", 25, 40, 45), ("Alpha", 72, 85, 50)]
# (team, minute, points, minute voided or None): Bravo's is recorded during the freeze.
DEDUCTIONS = [("Charlie", 45, 30, None), ("Alpha", 50, 20, 60), ("Bravo", 90, 15, None)]


def settled(base: str, done: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> dict[str, Any]:
    """The public scoreboard once ``done`` holds (or the last one read after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        board = scoreboard(base)
        if done(board) or time.monotonic() > deadline:
            return board
        time.sleep(0.05)


def _at(minute: int) -> Any:
    return START + timedelta(minutes=minute)


def prepare(srv: Any, make_pack: Any) -> None:
    """Store the drill through the same functions players, judges and organizers use, at fixed times."""
    app = create_app(Settings(instance=srv.instance, secret_key="server-test"))
    services = app.extensions["drillboard"]
    database = services.database
    try:
        folder = make_pack(PACK, pack={"id": "ledger", "title": "Ledger drill", "first_blood_bonus": 10,
                                       "release_grades": "manual",
                                       "weights": {"flags": 50, "reports": 30, "deductions": 20}})
        with database.session() as session:
            packs.load(session, folder, services.settings.files_dir)
            organizer.set_clock(session, NOW, "test", starts_at=START, freeze_at=FREEZE)
            teams = {name: organizer.create_team(session, name, "KZ", "test").id for name in ("Alpha", "Bravo", "Charlie")}
            judge, _, _ = accounts.create_staff(session, "judy", "judge")
            admin, _, _ = accounts.create_admin(session, "olga")
            reveal.hold(session, NOW, "olga")
            ids = dict(session.execute(select(Challenge.name, Challenge.id)).all())
            hint = session.scalar(select(Hint.id).where(Hint.challenge_id == ids["X"]))
            judge_actor = Actor(judge.id, "judy", "judge", None, None)
            admin_actor = Actor(admin.id, "olga", "admin", None, None)
        for team, challenge, minute in SOLVES:
            with database.session() as session:
                attempt = Attempt(teams[team], team, None, ids[challenge], f"DRILL{{{challenge.lower()}}}", "test",
                                  _at(minute))
                assert attempts.submit(session, services.caches.catalog.get(), {}, attempt,
                                       services.limiter).result == "correct"
        with database.session() as session:
            challenges.unlock_hint(session, services.caches.catalog.get(), {}, hint, teams["Charlie"], None, _at(18))
        for team, filed, released, points in GRADES:
            with database.session() as session:
                filing = Filing(teams[team], None, team, ids["R"], _at(filed))
                report = reports.submit(session, services.caches.catalog.get(), {}, filing, "Our timeline", [],
                                        services.settings.files_dir, 1 << 20)
                judging.mark(session, judge_actor, report.id, [points], "ok", now=_at(filed + 5))
                grade = session.scalar(select(Grade.id).where(Grade.report_id == report.id))
                judging.release(session, grade, "judy", _at(released))
        for team, minute, points, voided in DEDUCTIONS:
            with database.session() as session:
                row = deductions.record(session, teams[team], points, "Lateral movement", "", _at(minute), admin_actor)
                if voided is not None:
                    deductions.void(session, row.id, "Out of scope", _at(voided), admin_actor)
    finally:
        services.live.stop()


def test_a_replay_minute_that_did_not_load_is_asked_again_and_said(server_factory: Any, make_pack: Any,
                                                                    browser: Browser) -> None:
    """A dropped request left the board on the last minute shown while the slider named the next,
    and said nothing; now the page says it is trying again, and shows the minute asked for."""
    srv = server_factory(env={"DRILLBOARD_DEMO": "0"})
    prepare(srv, make_pack)
    srv.start()
    context = browser.new_context()
    try:
        replay = Watched(context.new_page())
        dropped: list[str] = []


        replay.page.route("**/api/v1/replay?minute=13", drop_first(dropped))
        replay.page.goto(srv.base_url + "/replay?minute=12")
        slider = replay.page.locator("#scrub")
        slider.focus()
        replay.page.keyboard.press("ArrowRight")
        status = replay.page.locator("#replay-status")
        expect(status).to_have_text("Could not load minute 13; trying again…")
        frame = requests.get(f"{srv.base_url}/api/v1/replay", params={"minute": 13}, timeout=10).json()
        expect(replay.page.locator("#replay-at")).to_have_attribute("datetime", frame["at"])
        expect(status).to_have_text("")
        assert len(dropped) == 1
    finally:
        context.close()


def test_scrubbing_the_replay_every_minute_ends_at_the_final_board(server_factory: Any, make_pack: Any,
                                                                    browser: Browser) -> None:
    srv = server_factory(env={"DRILLBOARD_DEMO": "0"})
    prepare(srv, make_pack)
    srv.start()
    srv.cli("clock", "end")
    held = scoreboard(srv.base_url)
    assert held["frozen"]
    srv.cli("reveal", "all")
    base = srv.base_url
    final = settled(base, lambda board: not board["frozen"])  # the server rebuilds in the background
    assert not final["frozen"] and final["standings"] != held["standings"]  # the reveal changed the board
    context = browser.new_context()
    try:
        replay = Watched(context.new_page())
        replay.page.goto(base + "/replay")
        slider = replay.page.locator("#scrub")
        expect(slider).to_be_visible()
        last = int(slider.get_attribute("max"))
        assert last >= 100
        slider.focus()
        replay.page.keyboard.press("Home")
        frames = []
        for minute in range(last + 1):
            if minute:
                replay.page.keyboard.press("ArrowRight")  # one minute on, as a person scrubs
            frame = requests.get(f"{base}/api/v1/replay", params={"minute": minute}, timeout=10)
            assert frame.status_code == 200, (minute, frame.text)
            frame = frame.json()
            try:
                expect(replay.page.locator("#replay-at")).to_have_attribute("datetime", frame["at"])
            except AssertionError as err:
                raise AssertionError(f"{err}\nminute {minute}; the slider at {slider.input_value()}; "
                                     f"what went wrong: {replay.errors}") from None
            expect(replay.page.locator("#standings tbody tr .score")).to_have_text(
                [str(row["score"]) for row in frame["standings"]])
            frames.append(frame)
        assert replay.errors == [], replay.errors
        assert [row["score"] for row in frames[0]["standings"]] == [0, 0, 0]
        assert frames[-1]["standings"] == final["standings"]  # the last frame is the final board
        expect(replay.page.locator("#standings tbody tr .name")).to_have_text([row["team"] for row in final["standings"]])
        changes = sum(a["standings"] != b["standings"] for a, b in zip(frames, frames[1:], strict=False))
        assert changes >= len(SOLVES) // 2  # the scrub went through the drill, not one frame many times
    finally:
        context.close()
