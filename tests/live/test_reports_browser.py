"""Report tasks in Debian Chromium against a real server seeded with the demo drill.

Two teams file and revise the demo's incident report, two judges grade both reports without
knowing whose they are (the demo pack averages two markers), the organizer releases the
grades, and each team sees its points and the judges' comments; the board counts them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import browser_login
from livekit import join, member_context, scoreboard
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

TASK = "Incident Report: NWA Intrusion"
# Per team: (marker in its report text, judy's scores, jack's scores); the mean of the totals, half up.
TEAMS = {
    "Team China": ("ALPHA-CELL", [30, 20, 15, 10], [35, 15, 10, 10]),   # -> (75 + 70) / 2 = 73: 33 + 18 + 12 + 10
    "Team Kazakhstan": ("BRAVO-CELL", [20, 10, 10, 5], [20, 10, 10, 5]),  # -> 45
}
EXPECTED = {"Team China": 73, "Team Kazakhstan": 45}


def file_version(page: Page, text: str, attachment: Path | None = None) -> None:
    page.fill("#report-text", text)
    if attachment:
        page.set_input_files("#report-files", str(attachment))
    page.locator("#report-form button[type=submit]").click()


def grade_all(page: Page, base: str, name: str, password: str, which: int) -> None:
    """Log in as a judge (landing on the queue) and mark both reports by what their text says."""
    browser_login(page, base, name, password)
    expect(page).to_have_url(base + "/judge")
    expect(page.locator("#judge-queue tbody tr[data-report]")).to_have_count(2)
    body = page.locator("main").inner_text()
    assert "Team China" not in body and "Team Kazakhstan" not in body
    for _ in range(2):
        page.locator("#judge-queue tbody tr[data-report] a").first.click()
        text = page.locator("#report-text").inner_text()
        team = next(t for t, (marker, *_) in TEAMS.items() if marker in text)
        assert team not in page.locator("main").inner_text()
        scores = TEAMS[team][which]
        for n, score in enumerate(scores):
            page.fill(f"#score-{n}", str(score))
        page.fill("#comment-0", f"{name}: timeline checked")
        page.fill("#comment", f"{name} says: solid work" if which == 1 else "")
        if which == 2:  # the second criterion needs a comment too (the rubric requires one for attribution)
            page.locator("#mark-form button[type=submit]").click()
            expect(page.locator(".flash.error")).to_contain_text("a comment is required for Attribution")
            page.fill("#comment-2", f"{name}: attribution argued")
            for n, score in enumerate(scores):
                page.fill(f"#score-{n}", str(score))
        page.locator("#mark-form button[type=submit]").click()
        expect(page.locator(".flash.ok")).to_contain_text("is marked")


def test_two_teams_two_judges_and_a_release(shared_server: Any, browser: Browser, tmp_path: Path) -> None:
    srv, base = shared_server, shared_server.base_url
    srv.open_phase("ministry-inject", TASK)  # the demo's report task is the inject of its second phase
    judges = {name: json.loads(srv.cli("create-user", name, "--role", "judge").stdout)["password"]
              for name in ("judy", "jack")}
    evidence = tmp_path / "China timeline.csv"
    evidence.write_text("time,event\n06:45,sqlmap\n")
    contexts = []
    try:
        for team, (marker, *_) in TEAMS.items():
            context = member_context(browser, join(srv, team))
            contexts.append(context)
            page = context.new_page()
            page.goto(base + "/challenges")
            page.get_by_role("link", name=TASK).click()
            file_version(page, f"# {marker}\n\nFirst draft.", evidence if marker == "ALPHA-CELL" else None)
            expect(page.locator(".flash.ok")).to_contain_text("Version 1 of your report is filed.")
            expect(page.locator("#report-text")).to_have_value(f"# {marker}\n\nFirst draft.")
            file_version(page, f"# {marker}\n\nRevised: **webshell** at 07:12.")
            expect(page.locator(".report-version")).to_have_count(2)
            expect(page.locator(".report-version").first).to_contain_text("Version 2")
            expect(page.locator(".report-version").first.locator("strong").nth(1)).to_have_text("webshell")
            page.goto(base + "/challenges")
            expect(page.locator(".tile", has_text=TASK)).to_contain_text("report filed")

        judge_context = browser.new_context()
        contexts.append(judge_context)
        grade_all(judge_context.new_page(), base, "judy", judges["judy"], 1)
        second_context = browser.new_context()
        contexts.append(second_context)
        grade_all(second_context.new_page(), base, "jack", judges["jack"], 2)

        team_page = contexts[0].pages[0]
        team_page.goto(base + "/challenges")
        team_page.get_by_role("link", name=TASK).click()
        expect(team_page.locator("[data-report-grade]")).to_contain_text("once the organizers release them")
        expect(team_page.locator("#report-form")).to_have_count(0)

        admin = srv.first_run["admin"]
        organizer_context = browser.new_context()
        contexts.append(organizer_context)
        console = organizer_context.new_page()
        browser_login(console, base, admin["name"], admin["password"])
        console.goto(base + "/console/grades")
        china_row = console.locator("#grades tr", has_text="Team China")
        expect(china_row).to_contain_text("judges disagree")
        expect(china_row).to_contain_text("73")
        console.get_by_role("button", name="Release all").click()
        expect(console.locator(".flash.ok")).to_contain_text("2 grades released.")

        team_page.reload()
        expect(team_page.locator("[data-report-grade]")).to_contain_text("Graded: 73 of 100 points.")
        expect(team_page.locator('[data-judge-comment="1"]')).to_contain_text("judy says: solid work")
        expect(team_page.locator('[data-judge-comment="2"]')).to_contain_text("jack: attribution argued")
        rows = {r["team"]: r["breakdown"]["reports"] for r in scoreboard(base)["standings"]}
        assert {team: rows[team] for team in EXPECTED} == EXPECTED
    finally:
        for context in contexts:
            context.close()
