"""The team pages and the observers' board in Debian Chromium, against a real ``python app.py``.

Each test uses its own seeded teams on the module's shared server, so they run in any order.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import wait_until
from livekit import ANSWERS, PASSWORD, join, max_seq, member_context, scoreboard
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.browser

WEB = "Web Server Intrusion"


class Watched:
    """A page whose uncaught exceptions and console errors are collected."""

    def __init__(self, context: BrowserContext) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)


def open_board(context: BrowserContext, base: str) -> Watched:
    board = Watched(context)
    board.page.goto(base + "/board")
    expect(board.page.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
    board.page.evaluate("window.__marker = 1")
    return board


def team_id(base: str, team: str) -> int:
    return next(row["team_id"] for row in scoreboard(base)["standings"] if row["team"] == team)



def test_member_answers_and_board_updates_live(shared_server: Any, browser: Browser) -> None:
    base = shared_server.base_url
    code = next(t["join_code"] for t in shared_server.first_run["teams"] if t["name"] == "Team China")
    china = team_id(base, "Team China")
    observer = browser.new_context()
    member = browser.new_context()
    try:
        board = open_board(observer, base)
        team = Watched(member)
        page = team.page

        page.goto(base + "/join")
        page.fill("input[name=join_code]", code)
        page.fill("input[name=name]", "wang.fang")
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=confirm]", PASSWORD)
        page.click("form.stack button[type=submit]")
        expect(page).to_have_url(base + "/challenges")

        # Grouped by category: one section per category, each tile under its own category.
        categories = {c["name"]: c["category"]
                      for c in page.request.get(base + "/api/v1/challenges").json()["challenges"]}
        headings = page.locator("section.category h2").all_inner_texts()
        assert sorted(headings) == sorted(set(categories.values()))
        for section in page.locator("section.category").all():
            heading = section.locator("h2").inner_text()
            names = [n.removeprefix("🔒 ").strip() for n in section.locator(".tile-name").all_inner_texts()]
            assert names and all(categories[name] == heading for name in names), (heading, names)

        page.get_by_role("link", name=WEB).click()
        expect(page.locator("h1")).to_have_text(WEB)
        # The form shows before the page's scripts have run; what follows is the scripted page's.
        page.wait_for_load_state()
        challenge_url = page.url

        page.fill("#answer", "192.0.2.200")
        page.click("#answer-form button")
        expect(page.locator("#verdict")).to_contain_text("Incorrect")

        # A paid hint asks first: dismissing changes nothing, accepting unlocks it in place.
        paid = page.locator("form[data-hint-unlock]")
        expect(paid).to_have_count(1)
        dialogs: list[str] = []
        page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        paid.locator("button").click()
        page.wait_for_timeout(300)
        expect(paid).to_have_count(1)
        page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
        paid.locator("button").click()
        expect(page.locator(".hint-content").last).to_contain_text("media.php")
        expect(paid).to_have_count(0)
        assert len(dialogs) == 2 and "25" in dialogs[0]
        row = board.page.locator(f'#standings tr[data-team="{china}"]')
        expect(row.locator(".score")).to_have_text("-25", timeout=2000)

        page.fill("#answer", ANSWERS[WEB])
        page.click("#answer-form button")
        expect(page.locator("#verdict")).to_contain_text("Correct")
        assert page.url == challenge_url

        expect(row.locator(".score")).to_have_text("85", timeout=2000)  # 100 + 10 first blood - 25 hint
        expect(row.locator(".solves")).to_have_text("1", timeout=2000)
        expect(board.page.locator("#feed li").first).to_contain_text("Team China", timeout=2000)
        expect(board.page.locator("#feed li").first).to_contain_text(WEB)
        expect(board.page.locator("#feed li").first).to_contain_text("first blood")
        web_id = int(challenge_url.rsplit("/", 1)[1])
        expect(board.page.locator(f'#grid [data-cell="{china}:{web_id}"]')).to_have_class(re.compile("blood"))
        assert board.page.evaluate("window.__marker") == 1, "the board reloaded"
        api_row = next(r for r in scoreboard(base)["standings"] if r["team_id"] == china)
        expect(row.locator(".pos")).to_have_text(str(api_row["pos"]))

        page.goto(base + "/challenges")
        expect(page.locator(f'.tile[data-challenge="{web_id}"]')).to_have_class(re.compile("solved"))
        page.wait_for_timeout(300)
        assert board.errors == [] and team.errors == [], (board.errors, team.errors)
        assert board.console_errors == [] and team.console_errors == [], (board.console_errors, team.console_errors)
    finally:
        observer.close()
        member.close()


def test_board_survives_server_restart(shared_server: Any, browser: Browser) -> None:
    base = shared_server.base_url
    russia = join(shared_server, "Team Russia")
    beacon = russia.challenge_ids()["Beacon Home"]
    context = browser.new_context()
    try:
        board = open_board(context, base)
        shared_server.restart()
        russia.attempt(beacon, ANSWERS["Beacon Home"])  # the session outlives the restart
        feed = board.page.locator("#feed li").first
        expect(feed).to_contain_text("Team Russia", timeout=10_000)
        expect(feed).to_contain_text("Beacon Home")
        expected = next(r for r in scoreboard(base)["standings"] if r["team"] == "Team Russia")
        row = board.page.locator(f'#standings tr[data-team="{expected["team_id"]}"]')
        expect(row.locator(".score")).to_have_text(str(expected["score"]), timeout=5000)
        expect(board.page.locator("#conn")).to_have_class(re.compile(r"\bon\b"))
        assert board.page.evaluate("window.__marker") == 1, "the board reloaded"
        assert board.errors == []
    finally:
        context.close()


def test_board_follows_solves_without_resyncing(shared_server: Any, browser: Browser) -> None:
    base = shared_server.base_url
    kyrgyzstan = join(shared_server, "Team Kyrgyzstan")
    ids = kyrgyzstan.challenge_ids()
    kyrgyzstan.attempt(ids["Leaflet Trace"], ANSWERS["Leaflet Trace"])  # the stream now ends with `standings`
    context = browser.new_context()
    try:
        page = context.new_page()
        sent: list[str] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload))))
        page.goto(base + "/board")
        expect(page.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
        for name in ("Dead Drop Note", "Beacon Home"):
            kyrgyzstan.attempt(ids[name], ANSWERS[name])
            expect(page.locator("#feed li").first).to_contain_text(name, timeout=2000)
        wait_until(lambda: page.evaluate("document.body.dataset.seq") == str(max_seq(shared_server)), 5,
                   "the board to apply every stored event")
        assert [frame for frame in sent if "resync" in frame] == [], "an up-to-date board asked for a snapshot"
        # The deltas carried only each line's new steps: the chart is the one a new board draws.
        fresh = context.new_page()
        fresh.goto(base + "/board")  # its page's snapshot may be a build behind: compare once it is live
        expect(fresh.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
        wait_until(lambda: fresh.evaluate("document.body.dataset.seq") == str(max_seq(shared_server)), 5,
                   "the new board to catch up")
        assert chart_lines(page) == chart_lines(fresh) and "Team Kyrgyzstan" in chart_lines(page)
        assert len(chart_lines(page)["Team Kyrgyzstan"]) == 3 + 1, "from zero, one step per solve"
    finally:
        context.close()


CHART_LINES = """() => Object.fromEntries(Chart.getChart('chart').data.datasets.map(
    d => [d.label, d.data.slice(0, -1).map(p => [p.x, p.y])]))"""  # the last point is "now": left out


def chart_lines(page: Page) -> dict[str, list[list[float]]]:
    """Each team's line on the board's chart, from zero through its steps."""
    wait_until(lambda: page.evaluate("() => !!(window.Chart && Chart.getChart('chart'))"), 5, "the chart")
    return page.evaluate(CHART_LINES)


ROW = re.compile(r'<tr data-team="(\d+)">\s*<td class="pos">(\d+)</td>.*?<span class="name">(.*?)</span>'
                 r'.*?<td class="num score">(-?\d+)</td>\s*<td class="num solves">(\d+)</td>', re.S)


def test_board_standings_are_in_the_html(shared_server: Any) -> None:
    """Without JavaScript the board is still a table of the current standings."""
    base = shared_server.base_url
    kazakhstan = join(shared_server, "Team Kazakhstan")
    kazakhstan.attempt(kazakhstan.challenge_ids()["Dead Drop Note"], ANSWERS["Dead Drop Note"].lower())
    page = requests.get(base + "/board", timeout=10)
    assert page.status_code == 200
    rows = [(int(t), int(p), html.unescape(n), int(s), int(k)) for t, p, n, s, k in ROW.findall(page.text)]
    expected = [(r["team_id"], r["pos"], r["team"], r["score"], r["solves"]) for r in scoreboard(base)["standings"]]
    assert rows == expected and len(rows) >= 10
    feed = page.text.split('id="feed"', 1)[1].split("</ol>", 1)[0]
    assert "Team Kazakhstan" in feed and "Dead Drop Note" in feed


def _no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} overflows horizontally: scrollWidth {width[0]} > {width[1]}"


def test_screenshots(shared_server: Any, browser: Browser, screenshot_dir: Path) -> None:
    base = shared_server.base_url
    solvers = {"Team India": ["Web Server Intrusion", "Ransom Note", "Beacon Home"],
               "Team Uzbekistan": ["Ransom Note", "Leaflet Trace"],
               "Team Pakistan": ["Wallet Pivot"]}
    for name, solves in solvers.items():
        member = join(shared_server, name)
        ids = member.challenge_ids()
        for challenge in solves:
            assert member.attempt(ids[challenge], ANSWERS[challenge])["result"] in ("correct", "already_solved")
    reader = join(shared_server, "Team Tajikistan")
    web_id = reader.challenge_ids()[WEB]

    for width, height in ((1920, 1080), (390, 844)):
        observer = browser.new_context(viewport={"width": width, "height": height})
        member = member_context(browser, reader, viewport={"width": width, "height": height})
        try:
            board = open_board(observer, base)
            expect(board.page.locator("#standings tbody tr")).to_have_count(len(scoreboard(base)["standings"]))
            board.page.wait_for_timeout(400)
            _no_horizontal_overflow(board.page)
            board.page.screenshot(path=str(screenshot_dir / f"board-{width}.png"), full_page=True)
            if width == 1920:  # the projector mode with the demo's ten teams
                board.page.goto(base + "/board?kiosk=1")
                expect(board.page.locator("#standings tbody tr:not([hidden])")).to_have_count(10)
                board.page.wait_for_timeout(400)
                board.page.screenshot(path=str(screenshot_dir / "board-kiosk-10.png"))

            team = Watched(member)
            team.page.goto(f"{base}/challenges/{web_id}")
            expect(team.page.locator("h1")).to_have_text(WEB)
            team.page.fill("#answer", "192.0.2.200")
            team.page.click("#answer-form button")
            expect(team.page.locator("#verdict")).to_contain_text("Incorrect")
            _no_horizontal_overflow(team.page)
            team.page.screenshot(path=str(screenshot_dir / f"challenge-{width}.png"), full_page=True)
            assert board.errors == [] and team.errors == [], (board.errors, team.errors)
        finally:
            observer.close()
            member.close()
    for name in ("board-1920", "board-390", "board-kiosk-10", "challenge-1920", "challenge-390"):
        assert (screenshot_dir / f"{name}.png").stat().st_size > 10_000
