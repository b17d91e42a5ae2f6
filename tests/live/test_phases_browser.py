"""STARTEX and an inject phase in the browser: the organizer starts the demo drill and opens its
second phase from the console; a team member watching the challenge list sees the inject appear
live (no reload) and reads the briefing. A phone-sized member page too (390 px)."""
from __future__ import annotations

from typing import Any

import pytest
from helpers import browser_login
from livekit import join, member_context
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

TASK = "Incident Report: NWA Intrusion"


def test_startex_then_an_inject_reaches_a_team_live(server_factory: Any, page: Page, browser: Browser) -> None:
    srv = server_factory().start()  # seeded with the demo drill, which waits for STARTEX
    base, admin = srv.base_url, srv.first_run["admin"]
    member = member_context(browser, join(srv, "Team China"), viewport={"width": 390, "height": 844})
    try:
        team = member.new_page()
        team.goto(base + "/challenges")
        expect(team.locator("#challenge-list")).to_contain_text("The drill has not started yet")
        board = member.new_page()
        board.goto(base + "/board")
        expect(board.locator("#board-briefing")).to_contain_text("Welcome to Exercise AMBER CORRIDOR")

        browser_login(page, base, "admin", admin["password"])
        page.goto(base + "/console/")
        page.locator("button[data-action=start]").click()
        page.locator("#confirm").click()
        expect(page.locator("#phase")).to_have_text("running")
        expect(page.locator("#dashboard-phase")).to_contain_text("STARTEX: the seized evidence")
        expect(board.locator("#board-briefing")).to_be_hidden(timeout=5000)
        expect(board.locator("#current-phase")).to_contain_text("STARTEX: the seized evidence", timeout=5000)

        team.reload()
        expect(team.locator("#challenge-list .tile").first).to_be_visible()
        expect(team.locator("#challenge-list")).not_to_contain_text(TASK)
        expect(team.locator("#current-phase")).to_contain_text("STARTEX")

        page.locator("nav.subnav").get_by_role("link", name="Phases", exact=True).click()
        expect(page.locator("tr[data-phase=ministry-inject]")).to_contain_text("waiting")
        page.locator("button[data-open-phase=ministry-inject]").click()
        expect(page.locator("h1")).to_have_text("Open the phase Inject: the ministry wants a report now?")
        page.locator("#confirm").click()
        expect(page.locator("p.flash.ok")).to_contain_text("is open")
        expect(page.locator("tr[data-phase=ministry-inject]")).to_contain_text("open")

        # The team's page, never reloaded, shows the inject and the new phase.
        expect(team.locator("#challenge-list")).to_contain_text(TASK, timeout=5000)
        expect(team.locator("#current-phase")).to_contain_text("Inject: the ministry wants a report", timeout=5000)
        expect(team.locator("#notices")).to_contain_text("New phase: Inject: the ministry wants a report")
        team.locator("#challenge-list").get_by_role("link", name=TASK).click()
        expect(team.locator("#report-deadline")).to_contain_text("its grade loses 10 % for every started 15 minutes")

        team.get_by_role("link", name="Briefing").click()
        expect(team.locator("#briefing-text")).to_contain_text("Welcome to Exercise AMBER CORRIDOR")
        expect(team.locator("li[data-phase=ministry-inject]")).to_contain_text("open since")
        assert team.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    finally:
        member.close()
