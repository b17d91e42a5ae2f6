"""The closing ceremony in Chromium: an organizer reveals the held changes from the console (Next
twice, then all) while an observer's /board follows live, without a reload; /replay then shows
the standings at two chosen minutes.

The drill is prepared in-process before the server starts, with answers at fixed times: Alpha
solved X at minute 10 and Bravo Y at minute 20; during the freeze (from minute 120) Charlie and
Bravo solved X, then Alpha and Charlie Y. The board is held for the reveal; the drill is ended by the CLI.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from helpers import browser_login, load_pack
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from scoreboard import create_app
from scoreboard.drill import accounts, attempts, organizer, reveal
from scoreboard.drill.attempts import Attempt
from scoreboard.store.config import Settings
from scoreboard.store.models import Challenge, utcnow

pytestmark = pytest.mark.browser

NOW = utcnow().replace(microsecond=0)
START, FREEZE = NOW - timedelta(hours=3), NOW - timedelta(hours=1)
ANSWERS = [("Alpha", "X", START + timedelta(minutes=10)), ("Bravo", "Y", START + timedelta(minutes=20)),
           ("Charlie", "X", FREEZE + timedelta(minutes=5)), ("Bravo", "X", FREEZE + timedelta(minutes=10)),
           ("Alpha", "Y", FREEZE + timedelta(minutes=20)), ("Charlie", "Y", FREEZE + timedelta(minutes=30))]


def prepare(srv: Any, make_pack: Any) -> str:
    """Load the drill into the server's instance; returns the organizer's password."""
    app = create_app(Settings(instance=srv.instance, secret_key="server-test"))
    services = app.extensions["drillboard"]
    try:
        folder = make_pack({"x": {"name": "X", "value": 100, "flags": ["DRILL{x}"]},
                            "y": {"name": "Y", "value": 50, "flags": ["DRILL{y}"]}})
        load_pack(services, folder)
        with services.database.session() as session:
            organizer.set_clock(session, NOW, "test", starts_at=START, freeze_at=FREEZE)
            teams = {name: organizer.create_team(session, name, "KZ", "test").id for name in ("Alpha", "Bravo", "Charlie")}
            _, password, _ = accounts.create_admin(session, "olga")
            reveal.hold(session, NOW, "olga")
        for team, challenge, at in ANSWERS:
            with services.database.session() as session:
                cid = session.scalar(select(Challenge.id).where(Challenge.name == challenge))
                attempt = Attempt(teams[team], team, None, cid, f"DRILL{{{challenge.lower()}}}", "test", at)
                assert attempts.submit(session, services.caches.catalog.get(), {}, attempt, services.limiter).result \
                    == "correct"
    finally:
        services.live.stop()
    return password


def score(board: Page, team: str) -> Any:
    return board.locator("#standings tbody tr", has=board.locator(".name", has_text=re.compile(f"^{team}$"))) \
        .locator(".score")


def follow(page: Page) -> list[str]:
    """What the page asks, hears and logs from now on: said if the auto-player's step does not come."""
    trail: list[str] = []

    def note(*words: Any) -> None:
        trail.append(f"{time.monotonic():.2f} " + " ".join(str(word) for word in words))

    page.on("request", lambda r: note("asks", r.method, r.url))
    page.on("response", lambda r: note("hears", r.status, r.request.method, r.url))
    page.on("requestfailed", lambda r: note("failed", r.method, r.url, r.failure))
    page.on("console", lambda m: note("console", m.type, m.text))
    page.on("framenavigated", lambda f: note("navigated", f.url))
    return trail


def test_the_ceremony_and_the_replay(server_factory: Any, make_pack: Any, browser: Browser, screenshot_dir: Any) -> None:
    srv = server_factory(env={"DRILLBOARD_DEMO": "0"})
    password = prepare(srv, make_pack)
    srv.start()
    srv.cli("clock", "end")
    base = srv.base_url
    observer, organizer_context = browser.new_context(), browser.new_context()
    try:
        board = observer.new_page()
        board.goto(base + "/board")
        expect(board.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
        board.evaluate("window.__sameDocument = true")
        expect(board.locator("#frozen-banner")).to_be_visible()
        expect(score(board, "Charlie")).to_have_text("0")

        page = organizer_context.new_page()
        browser_login(page, base, "olga", password)
        page.wait_for_url(base + "/console/")
        page.click("#reveal-status")  # the Clock page says the board is held, and leads to the reveal
        expect(page.locator("#remaining")).to_have_text("4")
        expect(page.locator("#live-standings tbody tr").first).to_contain_text("Bravo")
        page.click("#reveal-start")

        page.click("#reveal-next")  # the lowest team first: Charlie's X
        expect(page.locator("#remaining")).to_have_text("3")
        expect(score(board, "Charlie")).to_have_text("100", timeout=5000)
        expect(board.locator("#feed li").first).to_contain_text("Revealed: Charlie solved X")
        expect(board.locator("#standings tbody tr.reveal-row")).to_contain_text("Charlie")
        expect(score(board, "Bravo")).to_have_text("50")
        board.screenshot(path=str(screenshot_dir / "board-reveal.png"))

        page.screenshot(path=str(screenshot_dir / "console-reveal.png"), full_page=True)
        page.click("#reveal-next")  # now Bravo is lowest: its X puts it on top
        # The console reloads after the step; the board hears of it sooner. Wait for the new page, or
        # the auto-player below would be started on the old one and lost with it.
        expect(page.locator("#remaining")).to_have_text("2")
        expect(score(board, "Bravo")).to_have_text("150", timeout=5000)
        expect(board.locator("#standings tbody tr").first).to_contain_text("Bravo", timeout=5000)
        expect(board.locator("#frozen-banner")).to_be_visible()
        expect(score(board, "Alpha")).to_have_text("100")

        # The auto-player: one step at once, the next after 3 s; paused after the first. Its button shows
        # as its script runs, before the page has finished loading (and reformatting its times): wait.
        page.wait_for_load_state()
        page.fill("#pace", "3")
        trail = follow(page)
        page.click("#autoplay-toggle")
        try:
            expect(page.locator("#remaining")).to_have_text("1", timeout=5000)
        except AssertionError as failed:
            said = page.locator("#autoplay-status").text_content(), page.locator("#autoplay-toggle").text_content()
            raise AssertionError(f"{failed}\nthe auto-player said {said}; the console page:\n" + "\n".join(trail)
                                 + f"\nthe server's log:\n{srv.log.read_text()[-4000:]}") from failed
        page.click("#autoplay-toggle")
        expect(score(board, "Charlie")).to_have_text("150", timeout=5000)  # Charlie was lowest: its Y
        page.wait_for_timeout(3500)
        expect(page.locator("#remaining")).to_have_text("1")
        expect(score(board, "Alpha")).to_have_text("100")

        # Without the server the auto-player stops and says so; nothing is revealed.
        page.route("**/console/reveal/step", lambda route: route.abort())
        page.click("#autoplay-toggle")
        expect(page.locator("#autoplay-status")).to_have_text(re.compile("Could not reach the server"))
        expect(page.locator("#autoplay-toggle")).to_have_text("Play")
        expect(page.locator("#remaining")).to_have_text("1")
        page.unroute("**/console/reveal/step")

        page.click("#reveal-all")
        page.click("#confirm")
        expect(page.locator("#reveal-state")).to_have_attribute("data-state", "revealed")
        expect(score(board, "Alpha")).to_have_text("150", timeout=5000)
        expect(board.locator("#frozen-banner")).to_be_hidden(timeout=5000)
        assert board.evaluate("window.__sameDocument === true"), "the observer's board reloaded"

        board.click("#replay-link")
        board.fill("#minute", "15")
        board.click("#replay-form button[type=submit]")
        expect(score(board, "Alpha")).to_have_text("100", timeout=5000)
        expect(score(board, "Bravo")).to_have_text("0")
        expect(board.locator("#replay-feed li")).to_have_count(1)
        board.fill("#minute", "135")
        board.click("#replay-form button[type=submit]")
        expect(board.locator("#standings tbody tr").first).to_contain_text("Bravo", timeout=5000)
        expect(score(board, "Bravo")).to_have_text("150")
        expect(score(board, "Charlie")).to_have_text("100")
        expect(board.locator("#replay-feed li").first).to_contain_text("Bravo solved X")
        assert board.locator("#chart").is_visible()
        board.screenshot(path=str(screenshot_dir / "replay.png"), full_page=True)
    finally:
        observer.close()
        organizer_context.close()
