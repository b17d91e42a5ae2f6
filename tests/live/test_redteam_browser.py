"""The red team in Debian Chromium: a deduction recorded in the browser reaches an open board live
(feed line with the reason, the team's breakdown) and the team's own page."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import browser_login
from livekit import join, member_context, scoreboard
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser

REASON = "Golden ticket forged on DC01"


def test_a_red_team_deduction_reaches_the_open_board_and_the_team(shared_server: Any, browser: Browser,
                                                                   tmp_path: Path) -> None:
    base = shared_server.base_url
    red = json.loads(shared_server.cli("create-user", "red.rider", "--role", "red_team").stdout)
    member = join(shared_server, "Team China")
    china = next(row for row in scoreboard(base)["standings"] if row["team"] == "Team China")
    evidence = tmp_path / "krbtgt.txt"
    evidence.write_text("klist output")

    observer = browser.new_context(viewport={"width": 390, "height": 844})
    attacker = browser.new_context()
    team = member_context(browser, member)
    try:
        board = observer.new_page()
        errors: list[str] = []
        board.on("pageerror", lambda err: errors.append(str(err)))
        board.goto(base + "/board")
        expect(board.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
        board.evaluate("window.__marker = 1")
        row = board.locator(f'#standings tr[data-team="{china["team_id"]}"]')
        expect(row.locator(".bd-deductions")).to_be_hidden()

        page = attacker.new_page()
        browser_login(page, base, "red.rider", red["password"])
        expect(page).to_have_url(base + "/redteam")
        page.select_option("select[name=team_id]", label="Team China")
        page.fill("input[name=points]", "35")
        page.fill("input[name=reason]", REASON)
        page.fill("textarea[name=evidence]", "krbtgt hash reused")
        page.set_input_files("input[name=evidence_file]", str(evidence))
        page.click("#deduction-form button[type=submit]")
        expect(page.locator(".flash.ok")).to_contain_text(REASON)
        expect(page.locator("#deductions tbody tr").first).to_contain_text("Team China")

        # The open board: a feed line with team, points and reason, and the breakdown cells, no reload.
        line = board.locator("#feed li.deduction").first
        expect(line).to_contain_text(REASON, timeout=5000)
        expect(line).to_contain_text("Team China")
        expect(line).to_contain_text("−35")
        expect(row.locator(".bd-deductions")).to_have_text("−35", timeout=5000)
        expect(row.locator(".score")).to_have_text(str(china["score"] - 35))
        assert board.evaluate("window.__marker") == 1 and errors == []
        assert board.evaluate("document.documentElement.scrollWidth") <= 390  # a phone: no sideways scroll

        own = team.new_page()
        own.goto(base + "/team")
        expect(own.locator("#deductions")).to_contain_text(REASON)
        expect(own.locator("#deductions")).to_contain_text("−35")
    finally:
        observer.close()
        attacker.close()
        team.close()
