"""Defended services as people see them, in Debian Chromium against a real ``python app.py`` whose
checker runs rounds against real services on loopback (``loopback_range``).

An open /board turns a team's cell DOWN (glyph and word, not a colour alone) within a round when
the range stops that service, and its projector feed says so in a sentence; the service back, the
cell says UP again — with no reload. The team page shows the team's own last check and never
another team's. In the console, pausing the checks stops new rounds and excluding a round in which
a service was down raises that team's SLA.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from helpers import browser_login, wait_until
from livekit import Member
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

ROUND = 5  # the shortest round services.yml allows
WITHIN_A_ROUND = (2 * ROUND + 5) * 1000  # ms: the round under way, the next, and its checks
LAYOUT = {"portal": ("http", 8080), "mail": ("smtp", 2525)}
# What a check of a stopped service says: refused, or (connecting in the instant the port
# closes) reset by the kernel; either is "down".
STOPPED = ("the connection was refused", "the service cannot be reached")
GREETS = "the service greets as expected"


def grid(base: str) -> dict[str, Any]:
    return requests.get(base + "/api/v1/services", timeout=10).json()


def state(base: str, team: str, service: str) -> dict[str, Any] | None:
    row = next((t for t in grid(base)["teams"] if t["team"] == team), None)
    return row["states"].get(service) if row else None


def cell(page: Page, team_id: int, service: str) -> Any:
    return page.locator(f'#service-grid [data-svc="{team_id}:{service}"]')


@pytest.fixture
def drill(server_factory: Any, make_pack: Any, loopback_range: Any) -> Any:
    """A drill of two teams defending a portal and a mail server each, checked every 5 s."""
    rng = loopback_range(["Blue", "Red"], LAYOUT)
    pack = make_pack({"f/flag": {"name": "Flag", "value": 10, "flags": ["DRILL{x}"]}}, {"id": "range"})
    (pack / "services.yml").write_text(yaml.safe_dump(rng.services_yml(round_seconds=ROUND)))
    srv = server_factory({"DRILLBOARD_CHECKER": "1"})  # this drill is about its checks
    srv.instance.mkdir(parents=True, exist_ok=True)
    srv.cli("load-pack", str(pack))
    teams = {name: json.loads(srv.cli("create-team", name, "--country", country).stdout)
             for name, country in (("Blue", "KZ"), ("Red", "RU"))}
    admin = json.loads(srv.cli("create-admin", "olga").stdout)
    srv.start()
    wait_until(lambda: all((state(srv.base_url, t, s) or {}).get("state") == "up" for t in teams for s in LAYOUT),
               timeout=40, what="a first round that finds every service up")
    return srv, rng, teams, admin


def test_a_stopped_service_turns_down_on_the_open_board_and_comes_back_up(drill: Any, browser: Browser,
                                                                          screenshot_dir: Path) -> None:
    srv, rng, teams, admin = drill
    base, red, blue = srv.base_url, teams["Red"]["id"], teams["Blue"]["id"]
    board = browser.new_page(viewport={"width": 1600, "height": 1000})
    board.goto(base + "/board")
    expect(cell(board, red, "mail")).to_have_attribute("data-state", "up")
    board.evaluate("window.notReloaded = true")
    projector = browser.new_page(viewport={"width": 1920, "height": 1080})
    projector.goto(base + "/board?kiosk=1")
    for page in (board, projector):  # live before the service stops: the feed line is its event
        expect(page.locator("body")).to_have_attribute("data-seq", re.compile(r"^\d+$"))

    rng.stop("Red", "mail")
    down = cell(board, red, "mail")
    expect(down).to_have_attribute("data-state", "down", timeout=WITHIN_A_ROUND)
    expect(down.locator(".glyph")).to_have_text("▼")
    expect(down.locator(".label")).to_have_text(re.compile("down", re.I))
    expect(cell(board, blue, "mail")).to_have_attribute("data-state", "up")
    expect(projector.locator("#feed li.service", has_text="Red: Mail DOWN")).to_be_visible(timeout=WITHIN_A_ROUND)
    assert board.evaluate("window.notReloaded") is True
    down_round = grid(base)["round"]
    board.screenshot(path=str(screenshot_dir / "services-board.png"), full_page=True)

    # The team sees its own last check, with the checker's public message; never another team's.
    red_page = Member(base, teams["Red"]["join_code"], "rita").http.get(base + "/team", timeout=10).text
    blue_page = Member(base, teams["Blue"]["join_code"], "boris").http.get(base + "/team", timeout=10).text
    red_mail = red_page.split('data-service="mail"')[1].split("</tr>")[0]
    assert any(said in red_mail for said in STOPPED) and GREETS not in red_mail, red_mail
    assert GREETS in blue_page and not any(said in blue_page for said in STOPPED)

    rng.start("Red", "mail")
    expect(down).to_have_attribute("data-state", "up", timeout=WITHIN_A_ROUND)
    expect(down.locator(".glyph")).to_have_text("▲")
    expect(projector.locator("#feed li.service", has_text="Red: Mail back UP")).to_be_visible(timeout=WITHIN_A_ROUND)
    assert board.evaluate("window.notReloaded") is True

    _console_pauses_and_excludes(browser, srv, admin, down_round, screenshot_dir)


def _console_pauses_and_excludes(browser: Browser, srv: Any, admin: dict[str, Any], down_round: int,
                                 screenshot_dir: Path) -> None:
    base = srv.base_url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    browser_login(page, base, "olga", admin["password"])
    page.goto(base + "/console/services")
    page.click("#pause-checks")
    expect(page.locator("#checks-state")).to_contain_text(re.compile("paused", re.I))

    def settled() -> dict[str, Any]:
        shown = json.loads(srv.cli("checker", "show").stdout)
        return shown if shown["round_finished"] else {}

    paused = wait_until(settled, timeout=30, what="the round under way to finish")
    later = time.monotonic() + 2 * ROUND
    wait_until(lambda: time.monotonic() > later, timeout=3 * ROUND, what="two rounds' time to pass")
    assert json.loads(srv.cli("checker", "show").stdout)["round"] == paused["round"]  # no new round while paused

    before = state(base, "Red", "mail")["sla"]
    assert before < 1.0
    page.goto(base + "/console/services")
    page.click(f'[data-exclude="{down_round}"]')
    page.fill("input[name=reason]", "the range's switch rebooted")
    page.click("#confirm")
    expect(page.locator(f'#rounds tr[data-round="{down_round}"]')).to_contain_text("the range's switch rebooted")
    wait_until(lambda: state(base, "Red", "mail")["sla"] > before, timeout=15, what="Red's SLA to rise")
    expect(page.locator("#outages")).to_contain_text("Red")
    page.screenshot(path=str(screenshot_dir / "services-console.png"), full_page=True)
