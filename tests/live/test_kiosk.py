"""The projector mode (/board?kiosk=1) at 1920×1080 with 40 teams, in Chromium.

One demo server for the module, grown to 40 teams, with a home zone (Asia/Almaty), an end time
and a public announcement, as a hall would have it on the day.
"""
from __future__ import annotations

import re
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from helpers import csrf_from, drop_first, http_login
from livekit import ANSWERS, join, scoreboard
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

SCREEN = {"width": 1920, "height": 1080}
ZONE = "Asia/Almaty"
NOTICE = "Lunch at noon in hall B"

# Rows shown whole: not paged away, and not cut off by the bottom of their panel or the screen.
VISIBLE_ROWS = """() => { const panel = document.querySelector('[data-panel=standings]').getBoundingClientRect();
  return Array.from(document.querySelectorAll('#standings tbody tr')).filter(tr => {
    const box = tr.getBoundingClientRect();
    return tr.checkVisibility({ visibilityProperty: true }) && box.top >= Math.max(0, panel.top)
      && box.bottom <= Math.min(innerHeight, panel.bottom) + 0.5;
  }).map(tr => tr.querySelector('.name').textContent); }"""

ON_SCREEN = """(selector) => { const node = document.querySelector(selector); if (!node) return false;
  const box = node.getBoundingClientRect();
  return node.checkVisibility({ visibilityProperty: true }) && box.top >= 0 && box.bottom <= innerHeight + 0.5
    && box.left >= 0 && box.right <= innerWidth + 0.5; }"""

# Every piece of text on screen, with its font size: nothing may be smaller than the 8 m rule.
TEXT_SIZES = """() => { const found = []; const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el.checkVisibility({ visibilityProperty: true })) continue;
    const box = el.getBoundingClientRect();
    if (box.bottom <= 0 || box.top >= innerHeight || !box.width) continue;
    found.push([parseFloat(getComputedStyle(el).fontSize), el.tagName + ' ' + node.textContent.trim().slice(0, 30)]);
  }
  return found; }"""


# What kiosk.js pages from: the rows it has, the room it measured them against, the screen.
LAYOUT = """() => { const panel = document.querySelector('[data-panel=standings]');
  return { rows: document.querySelectorAll('#standings tbody tr').length,
    embedded: JSON.parse(document.getElementById('snapshot').textContent).standings.length,
    panel: panel.clientHeight, head: document.querySelector('#standings thead').offsetHeight,
    innerHeight: innerHeight, pager: document.querySelectorAll('#pager li').length,
    rowHeight: document.getElementById('standings').style.getPropertyValue('--row-h') }; }"""


def admin_session(srv: Any) -> requests.Session:
    return http_login(srv.base_url, "admin", srv.first_run["admin"]["password"])[0]


def announce(srv: Any, title: str) -> None:
    http = admin_session(srv)
    page = http.get(srv.base_url + "/console/announcements", timeout=10)
    reply = http.post(srv.base_url + "/console/announcements", data={
        "csrf_token": csrf_from(page.text), "title": title, "body": "Bring your **badge**.", "team_id": ""}, timeout=10)
    assert reply.ok and "Announcement sent" in reply.text


@pytest.fixture(scope="module")
def hall(shared_server: Any) -> Any:
    """The module's server with 40 teams, a home zone, an end time, solves and an announcement."""
    roster = shared_server.instance.parent / "hall.csv"
    roster.write_text("name,country\n" + "".join(f"Hall Team {n:02d},KZ\n" for n in range(11, 41)), encoding="utf-8")
    shared_server.cli("import-teams", str(roster))
    shared_server.cli("clock", "set", "--ends-at", (datetime.now(timezone.utc) + timedelta(hours=3)).isoformat())
    with sqlite3.connect(shared_server.instance / "drillboard.db") as db:
        db.execute("UPDATE drill SET home_timezone = ?", (ZONE,))
    for team, solved in {"Team India": ["Web Server Intrusion", "Ransom Note"], "Team Iran": ["Beacon Home"]}.items():
        member = join(shared_server, team)
        ids = member.challenge_ids()
        for name in solved:
            member.attempt(ids[name], ANSWERS[name])
    announce(shared_server, NOTICE)
    deadline = time.monotonic() + 10  # the CLI's teams reach the server on its next tick
    while len(scoreboard(shared_server.base_url)["standings"]) < 40 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(scoreboard(shared_server.base_url)["standings"]) == 40
    return shared_server


@pytest.mark.parametrize("script", ["js/common.js", "socket.io-client/socket.io.min.js"])
def test_a_projector_whose_script_did_not_arrive_loads_again(hall: Any, browser: Browser, script: str) -> None:
    """A connection dropped while the page loaded left the projector half drawn (its shared
    script missing) or never live (Socket.IO's missing) until somebody walked up to it: now the
    page loads itself again, and goes live."""
    context = browser.new_context(viewport=SCREEN)
    try:
        page = context.new_page()
        dropped: list[str] = []
        seen: list[str] = []  # what went wrong on the way, for the message if it does not mend
        page.on("requestfailed", lambda r: seen.append(f"request failed: {r.url} {r.failure}"))
        page.on("console", lambda m: seen.append(f"console {m.type}: {m.text}") if m.type != "log" else None)


        page.route("**/" + script, drop_first(dropped))
        page.goto(hall.base_url + "/board?kiosk=1&dwell=2")
        try:
            expect(page.locator("#panel-title")).to_have_text("Standings · page 1 of 4", timeout=15_000)
            expect(page.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=15_000)
        except AssertionError as err:
            raise AssertionError(f"{err}\nwhat happened: {seen}") from None
        assert len(dropped) == 1
    finally:
        context.close()


def test_every_team_is_on_screen_within_one_rotation(hall: Any, browser: Browser, screenshot_dir: Path) -> None:
    teams = {row["team"] for row in scoreboard(hall.base_url)["standings"]}
    context = browser.new_context(viewport=SCREEN)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        # Seen twice in ~20 full runs: the page's shared script (common.js) had not run, with no
        # server error logged. If it comes again, say which requests failed and what the console said.
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 300 else None)
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type != "log" else None)
        page.goto(hall.base_url + "/board?kiosk=1&dwell=2")
        title = page.locator("#panel-title")
        try:
            expect(title).to_have_text("Standings · page 1 of 4")
        except AssertionError as err:
            raise AssertionError(f"{err}\nthe page: {page.evaluate(LAYOUT)}; errors: {errors}") from None
        page.wait_for_timeout(300)
        page.screenshot(path=str(screenshot_dir / "board-kiosk-40.png"))
        smallest = 0.03 * SCREEN["height"] - 0.5  # 3vh: docs/projector.md
        seen: set[str] = set()
        titles: list[str] = []
        while True:
            current = title.text_content()
            if current in titles:
                break
            titles.append(current)
            rows = page.evaluate(VISIBLE_ROWS)
            assert "Standings" not in current or len(rows) == 10, (current, rows)
            seen.update(rows)
            # The clock, the latest announcement and the page indicator never leave the screen.
            for selector in ("#clock-time", "#announcements li:first-child", "#panel-title", "#pager li.current",
                             "#feed li:first-child"):
                assert page.evaluate(ON_SCREEN, selector), f"{selector} is off screen on {current!r}"
            expect(page.locator("#announcements li").first).to_contain_text(NOTICE)
            small = [(size, text) for size, text in page.evaluate(TEXT_SIZES) if size < smallest]
            assert not small, f"text under 3vh on {current!r}: {small[:5]}"
            expect(title).not_to_have_text(current, timeout=5000)
        assert seen == teams, sorted(teams - seen)
        assert titles[:4] == [f"Standings · page {n} of 4" for n in range(1, 5)]
        assert "Score over time — top 10" in titles
        assert any(t.startswith("Who solved what") for t in titles)
        assert page.evaluate("Chart.defaults.font.size") >= smallest  # the chart's labels follow the rule too
        assert errors == []
    finally:
        context.close()


def test_the_grid_marks_first_blood_by_shape_and_text(hall: Any, browser: Browser) -> None:
    context = browser.new_context(viewport=SCREEN)
    try:
        page = context.new_page()
        page.goto(hall.base_url + "/board?kiosk=1")
        marks = page.locator('#grid tr:has(th:text-is("Team India")) td.cell img')
        expect(marks).to_have_count(2)
        assert set(marks.evaluate_all("imgs => imgs.map(i => i.alt)")) == {"first blood"}
        assert set(marks.evaluate_all("imgs => imgs.map(i => i.src.split('/').pop())")) == {"blood.svg"}
    finally:
        context.close()


def test_the_projector_follows_the_drill_live(hall: Any, browser: Browser) -> None:
    context = browser.new_context(viewport=SCREEN)
    try:
        page = context.new_page()
        page.goto(hall.base_url + "/board?kiosk=1")
        expect(page.locator("#conn")).to_have_class("conn on", timeout=5000)
        page.evaluate("window.__same = 1")
        member = join(hall, "Team Tajikistan")
        member.attempt(member.challenge_ids()["Leaflet Trace"], ANSWERS["Leaflet Trace"])
        expect(page.locator("#feed li").first).to_contain_text("Team Tajikistan", timeout=3000)
        row = next(r for r in scoreboard(hall.base_url)["standings"] if r["team"] == "Team Tajikistan")
        expect(page.locator(f'#standings tr[data-team="{row["team_id"]}"] .score')).to_have_text(str(row["score"]))
        announce(hall, "Second half starts at 13:00")
        expect(page.locator("#announcements li").first).to_contain_text("Second half starts at 13:00", timeout=3000)
        assert page.evaluate(ON_SCREEN, "#announcements li:first-child")
        assert page.evaluate("window.__same") == 1, "the projector page reloaded"
    finally:
        context.close()


def _wall(page: Page) -> str:
    return page.locator("#clock-time").inner_text()


def _near_now() -> set[str]:
    now = datetime.now(ZoneInfo(ZONE))
    return {(now + timedelta(seconds=s)).strftime("%H:%M") for s in (-60, 0, 60)}


def test_the_clock_shows_the_drills_own_zone_and_the_countdown(hall: Any, browser: Browser) -> None:
    context = browser.new_context(viewport=SCREEN, timezone_id="America/New_York")  # the projector PC's zone differs
    try:
        page = context.new_page()
        page.goto(hall.base_url + "/board?kiosk=1")
        expect(page.locator("#clock .zone")).to_have_text("Almaty (UTC+05:00)")
        expect(page.locator("#clock-countdown")).to_contain_text("ends in 2:5")
        assert _wall(page)[:5] in _near_now(), _wall(page)
        solved = page.locator("#feed time").first  # the feed's times read in the same zone
        expect(solved).to_have_text(datetime.fromisoformat(solved.get_attribute("datetime"))
                                    .astimezone(ZoneInfo(ZONE)).strftime("%H:%M:%S"))
    finally:
        context.close()


def test_without_javascript_the_projector_pages_itself(hall: Any, browser: Browser) -> None:
    context = browser.new_context(viewport=SCREEN, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(hall.base_url + "/board?kiosk=1&dwell=15")
        expect(page.locator("#panel-title")).to_have_text("Standings · page 1 of 4")
        expect(page.locator("#standings tbody tr")).to_have_count(11)
        assert len(page.evaluate(VISIBLE_ROWS)) == 11, "a server page must fit the screen"
        refresh = page.locator('meta[http-equiv="refresh"]').get_attribute("content")
        assert refresh.startswith("15;") and "page=2" in refresh
        for selector in ("#clock-time", "#announcements li:first-child"):
            assert page.evaluate(ON_SCREEN, selector)
        assert _wall(page) in _near_now(), _wall(page)
        page.goto(hall.base_url + "/board?kiosk=1&page=4&dwell=15")
        expect(page.locator("#standings tbody tr")).to_have_count(40 - 33)
        assert "page=1" in page.locator('meta[http-equiv="refresh"]').get_attribute("content")
    finally:
        context.close()
