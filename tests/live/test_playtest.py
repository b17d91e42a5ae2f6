"""What the play-test found, in Chromium against one demo server (tests run in order: the drill
ends in the last ones): the projector at 1920×1080 with the demo's 10 teams and the breakdown
on, the team's challenge page, the closing reveal on the projector, and the after-action report."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import eventually
from livekit import ANSWERS, join, member_context, scoreboard
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

SCREEN = {"width": 1920, "height": 1080}
LONG = {"Team Kazakhstan": "Team Kazakhstan State Technical Service CERT", "Team Kyrgyzstan": "Team Kyrgyzstan"}
WALLET = "Wallet Pivot"  # attempts: 2 in the demo pack
WEB = "Web Server Intrusion"  # a 25-point hint

# Each visible standings row: its name's cell must hold the whole name (nothing cut, no ellipsis).
NAMES = """() => Array.from(document.querySelectorAll('#standings tbody tr')).filter(tr => !tr.hidden).map(tr => {
  const cell = tr.querySelector('td.team'), style = getComputedStyle(cell);
  return { name: cell.textContent.trim(), scroll: cell.scrollWidth, client: cell.clientWidth,
           ellipsis: style.textOverflow === 'ellipsis' && style.whiteSpace === 'nowrap' && cell.scrollWidth > cell.clientWidth,
           size: parseFloat(style.fontSize), bottom: tr.getBoundingClientRect().bottom }; })"""

# The largest text on screen and the element it is in.
LARGEST = """() => { let best = [0, '']; const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) { const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.checkVisibility({ visibilityProperty: true })) continue;
    const size = parseFloat(getComputedStyle(el).fontSize); if (size > best[0]) best = [size, el.id || el.className]; }
  return best; }"""

COLOURS = """() => Object.fromEntries(Chart.getChart('chart').data.datasets.map(d => [d.label, d.borderColor]))"""


def admin_headers(srv: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {srv.first_run['admin']['token']}"}


def team_id(srv: Any, name: str) -> int:
    return next(r["team_id"] for r in scoreboard(srv.base_url)["standings"] if r["team"] == name)


@pytest.fixture(scope="module")
def hall(shared_server: Any) -> Any:
    """The demo's 10 teams (two renamed long), an end in 3 hours, solves and a red-team deduction
    (so the breakdown columns show)."""
    srv = shared_server
    srv.cli("clock", "set", "--ends-at", (datetime.now(timezone.utc) + timedelta(hours=3)).isoformat())
    with sqlite3.connect(srv.instance / "drillboard.db") as db:
        for old, new in LONG.items():
            db.execute("UPDATE team SET name = ? WHERE name = ?", (new, old))
    india = join(srv, "Team India")
    india.attempt(india.challenge_ids()["Beacon Home"], ANSWERS["Beacon Home"])
    reply = requests.post(srv.base_url + "/api/v1/deductions", headers=admin_headers(srv), json={
        "team_id": team_id(srv, "Team India"), "points": 5, "reason": "phishing", "evidence": ""}, timeout=10)
    assert reply.status_code == 201, reply.text
    # The board is rebuilt in the background: wait until it shows both the renames and the deduction.
    eventually(lambda: scoreboard(srv.base_url)["standings"],
               lambda rows: any(r["team"] == LONG["Team Kazakhstan"] for r in rows)
               and any(r["team"] == "Team India" and r["breakdown"]["deductions"] == -5 for r in rows), 10)
    return srv


def until(page: Page, script: str, timeout: float = 10) -> None:
    """Wait until ``script`` (a function) is true in the page: the page's CSP allows no string eval,
    which playwright's wait_for_function needs."""
    assert eventually(lambda: page.evaluate(script), bool, timeout), script


def live(page: Page) -> None:
    """Wait for the page's live connection (its first snapshot sets body[data-seq])."""
    expect(page.locator("body")).to_have_attribute("data-seq", re.compile(r"^\d+$"), timeout=5000)


def kiosk(browser: Browser, srv: Any, query: str = "") -> tuple[Any, Page]:
    context = browser.new_context(viewport=SCREEN)
    page = context.new_page()
    trail: list[str] = []  # what the page's live connection did, for the message if it never connects
    page.on("console", lambda message: trail.append(f"console {message.type}: {message.text}"))
    page.on("websocket", lambda ws: (trail.append(f"websocket opened {ws.url}"),
                                     ws.on("close", lambda _: trail.append("websocket closed")),
                                     ws.on("framereceived", lambda frame: trail.append(f"received {str(frame)[:80]}"))))
    page.goto(srv.base_url + "/board?kiosk=1" + query)
    expect(page.locator("#standings")).to_have_class(re.compile(r"\bwith-breakdown\b"))
    try:
        expect(page.locator("#conn")).to_have_class("conn on", timeout=5000)
    except AssertionError as failed:
        log = srv.log.read_text(errors="replace")[-3000:]
        raise AssertionError(f"the projector's live connection did not open: {failed}\n"
                             + "\n".join(trail[-40:]) + f"\n--- server log ---\n{log}") from None
    return context, page


def test_the_projector_shows_every_team_name_whole(hall: Any, browser: Browser, screenshot_dir: Path) -> None:
    context, page = kiosk(browser, hall)
    try:
        until(page, "() => document.querySelectorAll('#standings tbody tr:not([hidden])').length === 10")
        rows = page.evaluate(NAMES)
        assert {r["name"] for r in rows} >= set(LONG.values())
        for row in rows:
            assert row["scroll"] <= row["client"] and not row["ellipsis"], row
            assert row["size"] >= 0.03 * SCREEN["height"] - 0.5, row  # not below 3vh (docs/projector.md)
            assert row["bottom"] <= SCREEN["height"], row
        heads = page.locator("#standings th.bd").evaluate_all(
            "ths => ths.map(th => [parseFloat(getComputedStyle(th).fontSize), th.scrollWidth <= th.clientWidth])")
        assert len(heads) == 3 and all(size >= 0.03 * SCREEN["height"] - 0.5 and whole for size, whole in heads), heads
        page.screenshot(path=str(screenshot_dir / "board-kiosk-long-names.png"))
    finally:
        context.close()


def test_the_time_left_is_the_largest_text(hall: Any, browser: Browser) -> None:
    context, page = kiosk(browser, hall)
    try:
        expect(page.locator("#time-left")).to_have_text(re.compile(r"^2:5\d:\d\d$"))
        size, where = page.evaluate(LARGEST)
        assert where == "time-left", (size, where)
        wall = page.locator("#clock-time").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert size > wall
    finally:
        context.close()


def test_chart_colours_follow_the_team_not_its_rank(hall: Any, browser: Browser) -> None:
    context, page = kiosk(browser, hall)
    try:
        until(page, "() => !!(window.Chart && Chart.getChart('chart') && Chart.getChart('chart').data.datasets.length)")
        before = page.evaluate(COLOURS)
        first = page.locator("#standings tbody tr").first.locator(".name").text_content()
        climber = join(hall, "Team Pakistan")
        ids = climber.challenge_ids()
        for name in ("Web Server Intrusion", "Ransom Note"):
            climber.attempt(ids[name], ANSWERS[name])
        expect(page.locator("#standings tbody tr").first.locator(".name")).to_have_text("Team Pakistan", timeout=5000)
        assert first != "Team Pakistan"
        after = page.evaluate(COLOURS)
        shared = set(before) & set(after)
        assert len(shared) >= 2 and all(before[team] == after[team] for team in shared), (before, after)
        assert len(set(after.values())) == len(after), after  # ten teams, ten colours
    finally:
        context.close()


def test_the_attempts_line_agrees_and_the_unlocker_gets_no_teammate_notice(hall: Any, browser: Browser) -> None:
    member = join(hall, "Team Russia")
    ids = member.challenge_ids()
    context = member_context(browser, member)
    try:
        page = context.new_page()
        page.goto(f"{hall.base_url}/challenges/{ids[WALLET]}")
        expect(page.locator("#attempts-left")).to_contain_text("Attempts left: 2 of 2")
        expect(page.locator("#conn")).to_have_count(0)  # team pages show no connection dot
        page.fill("#answer", "not-it")
        page.click("#answer-form button")
        expect(page.locator("#verdict")).to_contain_text("Attempts left: 1.")
        expect(page.locator("#attempts-left")).to_contain_text("Attempts left: 1 of 2")

        teammate = member_context(browser, join(hall, "Team Russia"))
        try:
            other = teammate.new_page()
            other.goto(f"{hall.base_url}/challenges/{ids[WEB]}")
            page.goto(f"{hall.base_url}/challenges/{ids[WEB]}")
            live(page)
            live(other)
            page.on("dialog", lambda dialog: dialog.accept())
            page.get_by_role("button", name="Unlock for 25 points…").click()
            expect(page.locator(".notice").first).to_contain_text("Hint unlocked: 25 points")
            expect(other.locator(".notice")).to_contain_text("A teammate unlocked a hint", timeout=5000)
            expect(page.locator(".notice", has_text="A teammate")).to_have_count(0)
        finally:
            teammate.close()
    finally:
        context.close()


def test_the_projector_holds_the_standings_during_the_reveal(hall: Any, browser: Browser) -> None:
    hall.cli("clock", "freeze")
    assert eventually(lambda: scoreboard(hall.base_url)["frozen"], bool, 10)  # the CLI's change reaches the server
    late = join(hall, "Team Iran")
    late.attempt(late.challenge_ids()["Ransom Note"], ANSWERS["Ransom Note"])  # held by the freeze
    later = join(hall, "Team China")
    later.attempt(later.challenge_ids()["Leaflet Trace"], ANSWERS["Leaflet Trace"])  # so one step leaves one held
    hall.cli("reveal", "hold")
    context, page = kiosk(browser, hall, "&dwell=2")
    member = join(hall, "Team Belarus")
    answering = member_context(browser, member)
    try:
        team = answering.new_page()
        team.goto(f"{hall.base_url}/challenges/{member.challenge_ids()[WEB]}")
        expect(team.locator("#answer-form")).to_be_visible()
        live(team)

        hall.cli("clock", "end")  # ENDEX: the open answer box closes, with the drill-ended message
        expect(team.locator("#drill-ended")).to_have_text("The drill has ended: answers are no longer accepted.",
                                                          timeout=5000)
        expect(team.locator("#answer-form")).to_have_count(0)
        team.reload()
        expect(team.locator("#drill-ended")).to_be_visible()
        expect(team.locator("#answer")).to_have_count(0)

        hall.cli("reveal", "start")
        until(page, "() => document.body.dataset.reveal === 'revealing'")
        page.evaluate("""() => { window.__panels = []; const stage = document.getElementById('stage');
          window.__turns = 0; new MutationObserver(() => { window.__turns++;
            window.__panels.push(document.getElementById('panel-title').textContent); })
            .observe(document.getElementById('panel-title'), { childList: true, characterData: true, subtree: true });
          setInterval(() => window.__panels.push(document.getElementById('panel-title').textContent), 500); }""")
        hall.cli("reveal", "step")
        expect(page.locator("#feed li").first).to_contain_text("Revealed:", timeout=5000)
        until(page, "() => window.__panels.length >= 12")  # three turns of the 2 s rotation
        assert all(title.startswith("Standings") for title in page.evaluate("window.__panels")), \
            page.evaluate("window.__panels")
        hall.cli("reveal", "all")
        expect(page.locator("#panel-title")).to_have_text("Score over time — top 10", timeout=10000)
    finally:
        answering.close()
        context.close()


def test_the_after_action_report_in_english_and_russian(hall: Any, browser: Browser, screenshot_dir: Path) -> None:
    member = join(hall, "Team India")
    row = next(r for r in scoreboard(hall.base_url)["standings"] if r["team"] == "Team India")
    for lang, width in (("en", 1280), ("ru", 1280), ("en", 390)):
        context = member_context(browser, member, viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.goto(hall.base_url + f"/lang/{lang}")
            page.goto(hall.base_url + "/team/after-action")
            expect(page.locator("#aar-score")).to_have_text(str(row["score"]))
            expect(page.locator("#aar-rank")).to_have_text(str(row["pos"]))
            expect(page.locator("#timeline tbody tr")).not_to_have_count(0)
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
            if width == 390:
                continue
            expect(page.locator("h1")).to_contain_text("Отчёт по итогам учений" if lang == "ru" else "After-action report")
            page.screenshot(path=str(screenshot_dir / f"after-action-{lang}.png"), full_page=True)
            page.emulate_media(media="print")
            assert page.locator(".topbar").is_hidden() and page.locator(".no-print").first.is_hidden()
            colours = page.evaluate("""() => [getComputedStyle(document.body).backgroundColor,
              getComputedStyle(document.querySelector('main')).color,
              getComputedStyle(document.querySelector('#rank')).breakBefore]""")
            assert colours == ["rgb(255, 255, 255)", "rgb(0, 0, 0)", "page"], colours
        finally:
            context.close()
