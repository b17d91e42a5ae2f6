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


def test_objective_hit_detection_accepted_appeal_voided_on_a_phone(shared_server: Any, browser: Browser) -> None:
    """The red team hits two demo objectives against a team; the team reports a detection of one
    (a judge accepts it: half the points back) and appeals the other (the organizer voids it).
    Every page on the way is axe-clean at 390 px."""
    from test_accessibility import problems

    srv, base = shared_server, shared_server.base_url
    red = json.loads(srv.cli("create-user", "red.objectives", "--role", "red_team").stdout)
    judge = json.loads(srv.cli("create-user", "judge.detections", "--role", "judge").stdout)
    member = join(srv, "Team Belarus")
    phone = {"viewport": {"width": 390, "height": 844}}
    attacker, defender, marker, chief = (browser.new_context(**phone), member_context(browser, member, **phone),
                                         browser.new_context(**phone), browser.new_context(**phone))
    found: list[str] = []
    try:
        page = attacker.new_page()
        browser_login(page, base, "red.objectives", red["password"])
        expect(page).to_have_url(base + "/redteam")
        for objective in ("mail-takeover", "portal-deface"):
            page.select_option("select[name=team_id]", label="Team Belarus")
            page.select_option("select[name=objective]", objective)
            page.click("#deduction-form button[type=submit]")
            expect(page.locator(".flash.ok")).to_contain_text("Team Belarus")
        expect(page.locator(".flash.ok")).to_contain_text("Deface the NWA customer portal")
        belarus = page.locator("#objective-hits tbody tr", has_text="Team Belarus")
        expect(belarus.locator('td[data-objective="mail-takeover"]')).to_have_text("hit once")
        expect(belarus.locator('td[data-objective="portal-deface"]')).to_have_text("hit once")
        found += problems(page, "red team page with objectives")

        team = defender.new_page()
        team.goto(base + "/team")
        mail = team.locator("#deductions tbody tr", has_text="Take over the mail server")
        expect(mail).to_contain_text("−200")
        mail.get_by_label(re.compile("What your team detected")).fill("EDR alert on MX01: OWA login from 203.0.113.7")
        mail.get_by_role("button", name="Report the detection").click()
        expect(team.locator(".flash.ok")).to_contain_text("detection report is filed")
        expect(mail).to_contain_text("waiting for a judge")
        found += problems(team, "team page with a detection filed")

        judging = marker.new_page()
        browser_login(judging, base, "judge.detections", judge["password"])
        expect(judging).to_have_url(base + "/judge")
        card = judging.locator("#detections article", has_text="OWA login from 203.0.113.7")
        expect(card).to_contain_text("Take over the mail server")
        assert "Team Belarus" not in judging.locator("main").inner_text()
        found += problems(judging, "judge page with a detection")
        card.locator("textarea[name=comment]").fill("Matches the red team's log")
        card.get_by_role("button", name="Accept the detection").click()
        expect(judging.locator(".flash.ok")).to_contain_text("is accepted")

        team.goto(base + "/team")
        mail = team.locator("#deductions tbody tr", has_text="Take over the mail server")
        expect(mail).to_contain_text("+100 back")
        expect(mail).to_contain_text("Matches the red team's log")
        portal = team.locator("#deductions tbody tr", has_text="Deface the NWA customer portal")
        portal.locator("summary", has_text="Appeal…").click()
        portal.get_by_label(re.compile("Why the deduction is wrong")).fill("The portal is hosted by a third party: out of scope")
        portal.get_by_role("button", name="File the appeal").click()
        expect(portal).to_contain_text("waiting for an organizer")

        console = chief.new_page()
        browser_login(console, base, "admin", srv.first_run["admin"]["password"])
        console.goto(base + "/console/deductions")
        row = console.locator("#deductions tbody tr", has_text="out of scope")
        found += problems(console, "console deductions with an appeal")
        row.locator("a", has_text="Void…").first.click()
        expect(console.locator("main")).to_contain_text("The team's appeal: The portal is hosted by a third party")
        found += problems(console, "appeal void confirmation")
        console.fill("input[name=reason]", "Third-party hosting confirmed")
        console.click("#confirm")
        expect(console.locator(".flash.ok")).to_contain_text("is voided")

        team.goto(base + "/team")
        portal = team.locator("#deductions tbody tr", has_text="Deface the NWA customer portal")
        expect(portal).to_have_class(re.compile(r"\bvoided\b"))
        expect(portal).to_contain_text("Third-party hosting confirmed")
        found += problems(team, "team page after the decisions")

        board = chief.new_page()  # the public feed says what the judge and the organizer decided
        board.goto(base + "/board")
        refund = board.locator("#feed li.detection", has_text="Team Belarus")
        expect(refund).to_contain_text("detected the attack")
        expect(refund.locator(".pts")).to_have_text("+100")
        voided = board.locator("#feed li.appeal", has_text="Team Belarus")
        expect(voided).to_contain_text("appeal was accepted")
        expect(voided.locator(".pts")).to_have_text("+100")
    finally:
        for context in (attacker, defender, marker, chief):
            context.close()
    assert not found, "\n".join(found)
