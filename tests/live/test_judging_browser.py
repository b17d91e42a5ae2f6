"""Judging support in Debian Chromium on a 390 px phone, against the demo drill (two markers,
averaged; a third judge when their totals are more than 20 points apart).

A team files and revises its incident report; two judges disagree by far more than 20 points
(one chooses a level instead of typing), a third judge finds the report labelled "third
marking" and marks it; the organizer sees the state on the grades page and releases; the team
sees points per criterion and each counted judge's comment as "Judge 1" and "Judge 2", never a
judge's name. Every page on the way passes axe and fits the phone.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import browser_login
from livekit import join, member_context
from playwright.sync_api import Browser, Page, expect
from test_accessibility import problems
from test_reports_browser import TASK, file_version

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Judge -> (scores per criterion, overall comment). Totals: 100, 25, 80. ann and cy are closest
# (20 apart), so the grade averages them: (100 + 80) / 2 = 90, as 38 + 23 + 17 + 12 (the half
# points to the earlier criteria).
MARKS = {
    "ann": ([40, 25, 20, 15], "Thorough and well argued."),
    "ben": ([10, 5, 5, 5], "Mostly guesses."),
    "cy": ([35, 20, 15, 10], "Solid, a few gaps."),
}


def mark_report(page: Page, judge: str, *, third: bool = False, level: bool = False) -> None:
    """From the queue: open the only report, check what a judge sees, and mark it."""
    row = page.locator("#judge-queue tbody tr[data-report]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-third-marking]")).to_have_count(1 if third else 0)
    row.locator("a").click()
    expect(page.locator("#guide")).to_contain_text("RDP brute force")
    expect(page.locator("#versions .report-version")).to_have_count(2)
    expect(page.locator("#versions [data-diff]").first).to_contain_text("+Revised: webshell at 07:12.")
    scores, comment = MARKS[judge]
    for n, score in enumerate(scores):
        page.fill(f"#score-{n}", str(score))
    if level:  # choosing a level of the timeline fills its score field
        page.locator('button[data-level-for="score-0"][data-points="25"]').click()
        expect(page.locator("#score-0")).to_have_value("25")
        page.locator('button[data-level-for="score-0"][data-points="40"]').click()
        expect(page.locator("#score-0")).to_have_value("40")
    page.fill("#comment", comment)



def save(page: Page) -> list[str]:
    found = problems(page, "marking page")
    page.locator("#mark-form button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("is marked")
    return found


def test_judges_disagree_a_third_marks_and_the_team_sees_each_judge(shared_server: Any, browser: Browser) -> None:
    srv, base = shared_server, shared_server.base_url
    srv.open_phase("ministry-inject", TASK)  # the demo's report task is the inject of its second phase
    passwords = {name: json.loads(srv.cli("create-user", name, "--role", "judge").stdout)["password"]
                 for name in MARKS}
    contexts = []
    found: list[str] = []
    try:
        team_context = member_context(browser, join(srv, "Team India"), viewport=PHONE)
        contexts.append(team_context)
        team = team_context.new_page()
        team.goto(base + "/challenges")
        team.get_by_role("link", name=TASK).click()
        file_version(team, "# India\n\nFirst draft.")
        file_version(team, "# India\n\nRevised: webshell at 07:12.")
        expect(team.locator(".flash.ok")).to_contain_text("Version 2 of your report is filed.")
        assert "RDP brute force" not in team.content()  # the guide is for judges only

        for judge in ("ann", "ben", "cy"):
            context = browser.new_context(viewport=PHONE)
            contexts.append(context)
            page = context.new_page()
            browser_login(page, base, judge, passwords[judge])
            expect(page).to_have_url(base + "/judge")
            if judge == "cy":
                found += problems(page, "judge queue (third marking)")
            mark_report(page, judge, third=judge == "cy", level=judge == "ann")
            found += save(page)
            expect(page.locator("#my-marks tr[data-mark-report]")).to_have_count(1)
            expect(page.locator("#my-marks")).to_contain_text(str(sum(MARKS[judge][0])))
            assert "Team India" not in page.locator("main").inner_text()
            if judge == "ben":
                found += problems(page, "judge queue with my marks")

        admin = srv.first_run["admin"]
        console_context = browser.new_context(viewport=PHONE)
        contexts.append(console_context)
        console = console_context.new_page()
        browser_login(console, base, admin["name"], admin["password"])
        console.goto(base + "/console/grades")
        row = console.locator("#grades tr[data-grade]", has_text="Team India")
        expect(row).to_contain_text("90")
        expect(row.locator('[data-state="ready"]')).to_have_count(1)
        for judge in MARKS:
            expect(row).to_contain_text(judge)
        found += problems(console, "console grades")
        row.get_by_role("link", name="Return for revision…").click()
        found += problems(console, "return confirmation")
        console.go_back()
        console.locator("#grades tr[data-grade]", has_text="Team India").get_by_role("button", name="Release").click()
        expect(console.locator(".flash.ok")).to_contain_text("The grade is released")

        team.reload()
        expect(team.locator("[data-report-grade]")).to_contain_text("Graded: 90 of 100 points.")
        expect(team.locator("#report-criteria tbody tr")).to_have_count(4)
        expect(team.locator('#report-criteria tr[data-criterion="0"]')).to_contain_text("38 of 40")
        expect(team.locator('#report-criteria tr[data-criterion="3"]')).to_contain_text("12 of 15")
        expect(team.locator("[data-judge-comment]")).to_have_count(2)
        expect(team.locator('[data-judge-comment="1"]')).to_contain_text("Judge 1")
        expect(team.locator('[data-judge-comment="1"]')).to_contain_text("Thorough and well argued.")
        expect(team.locator('[data-judge-comment="2"]')).to_contain_text("Solid, a few gaps.")
        report = team.locator("#report").inner_text()
        assert "Mostly guesses." not in report  # the far-off mark does not count
        assert not any(name in report.split() for name in MARKS)
        found += problems(team, "team page with a released grade")
    finally:
        for context in contexts:
            context.close()
    assert not found, "\n".join(found)
