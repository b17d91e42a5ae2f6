"""The whole demo exercise in Debian Chromium, STARTEX to ENDEX (issue #23's "Done when").

The organizer starts the drill and opens its inject phase from the console; one late report is
refused and another accepted with its penalty; the white cell answers one question privately and
publishes another; two judges disagree on a report, a third marks it, and the organizer returns
another report for revision before it is marked; the red team hits two objectives, a judge
accepts the team's detection of one and the organizer voids the other on appeal; the organizer
ends the drill, and one team's after-action report shows the board's numbers.

Data the browser adds nothing to (accounts, a small extra pack, a deadline moved into the past)
is set up through the CLI and the database, as an organizer's tools would.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from helpers import browser_login
from livekit import join, member_context, scoreboard
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.browser

TASK = "Incident Report: NWA Intrusion"  # the demo's report task: 10 % off per started 15 minutes late
HANDOVER = "Shift Handover Note"  # the extra pack's report task: no report after its deadline
HANDOVER_PACK = {
    "pack.yml": {"id": "handover", "title": "Handover"},
    "reports/handover/challenge.yml": {
        "name": HANDOVER, "category": "Reports", "type": "report", "description": "Hand over the shift.",
        "rubric": [{"criterion": "Handover", "points": 10}], "deadline": "2020-01-01T00:00:00+00:00",
        "late": "refuse"},
}
# Judge -> scores per criterion (40, 25, 20, 15) for Team China's report (totals 100, 25, 80: more
# than 20 apart, so a third judge; ann and cy are closest: (100 + 80) / 2 = 90) and for Team
# India's late one (45 from both: no third marker needed).
CHINA = {"ann": [40, 25, 20, 15], "ben": [10, 5, 5, 5], "cy": [35, 20, 15, 10]}
INDIA = [20, 10, 10, 5]


def write_handover_pack(root: Path) -> Path:
    for rel, data in HANDOVER_PACK.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(data))  # JSON is YAML
    return root


def sql(srv: Any, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(srv.instance / "drillboard.db") as db:
        return db.execute(query, args).fetchall()


def latest_report(srv: Any, team: str) -> int:
    return sql(srv, "SELECT r.id FROM report r JOIN team t ON t.id = r.team_id JOIN challenge c ON c.id = "
                    "r.challenge_id WHERE t.name = ? AND c.name = ? ORDER BY r.version DESC LIMIT 1", team, TASK)[0][0]


def move_report_deadline(srv: Any, opened: datetime) -> None:
    """The demo's report is due two hours after its phase opened: move that opening (what the
    domain layer copies onto the task) to put the deadline where the test needs it."""
    sql(srv, "UPDATE challenge SET phase_opened_at = ? WHERE name = ?", opened.strftime("%Y-%m-%d %H:%M:%S.%f"), TASK)


def file_report(page: Page, base: str, task: str, text: str) -> None:
    page.goto(base + "/challenges")
    page.locator("#challenge-list").get_by_role("link", name=task).click()
    page.fill("#report-text", text)
    page.locator("#report-form button[type=submit]").click()


def mark(page: Page, base: str, report_id: int, scores: list[int], *, third: bool = False,
         shot: Path | None = None) -> None:
    """From the judge's queue: open one report by its number, score each criterion, save."""
    page.goto(base + "/judge")
    row = page.locator(f'#judge-queue tbody tr[data-report="{report_id}"]')
    expect(row.locator("[data-third-marking]")).to_have_count(1 if third else 0)
    row.locator("a").click()
    for n, score in enumerate(scores):
        page.fill(f"#score-{n}", str(score))
    if shot:  # choosing a level fills its score field
        page.locator(f'button[data-level-for="score-0"][data-points="{scores[0]}"]').click()
        expect(page.locator("#score-0")).to_have_value(str(scores[0]))
        page.screenshot(path=str(shot), full_page=True)
    page.fill("#comment", f"Marked by the book ({sum(scores)}).")
    page.locator("#mark-form button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("is marked")


@dataclass
class Drill:
    """The running server, its staff's passwords, and the open pages of three teams and the console."""

    srv: Any
    browser: Browser
    shots: Path
    accounts: dict[str, str]
    members: dict[str, Any]
    contexts: list[BrowserContext] = field(default_factory=list)
    pages: dict[str, Page] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.srv.base_url

    def staff(self, name: str, password: str) -> Page:
        """A page logged in as a staff member, at a desktop width."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.contexts.append(context)
        page = context.new_page()
        browser_login(page, self.base, name, password)
        expect(page).not_to_have_url(re.compile(r"/login"))
        return page


def startex(drill: Drill) -> None:
    """Teams read the briefing; the organizer starts the drill from the console."""
    base, china = drill.base, drill.pages["Team China"]
    china.goto(base + "/briefing")
    expect(china.locator("#briefing-text")).to_contain_text("Welcome to Exercise AMBER CORRIDOR")
    china.screenshot(path=str(drill.shots / "briefing.png"), full_page=True)
    admin = drill.srv.first_run["admin"]
    console = drill.pages["console"] = drill.staff(admin["name"], admin["password"])
    console.goto(base + "/console/")
    console.locator("button[data-action=start]").click()
    console.locator("#confirm").click()
    expect(console.locator("#phase")).to_have_text("running")
    expect(console.locator("#dashboard-phase")).to_contain_text("STARTEX: the seized evidence")


def inject_and_deadlines(drill: Drill, tmp_path: Path) -> None:
    """The inject phase opened from the console; a late report refused, another penalised."""
    srv, base, console = drill.srv, drill.base, drill.pages["console"]
    china, india, kazakhstan = (drill.pages[t] for t in ("Team China", "Team India", "Team Kazakhstan"))
    srv.cli("load-pack", str(write_handover_pack(tmp_path / "handover")))  # a task with `late: refuse`
    console.goto(base + "/console/phases")
    console.locator("button[data-open-phase=ministry-inject]").click()
    console.locator("#confirm").click()
    expect(console.locator("tr[data-phase=ministry-inject]")).to_contain_text("open")
    china.goto(base + "/challenges")
    expect(china.locator("#challenge-list")).to_contain_text(TASK, timeout=10000)
    file_report(china, base, TASK, "# China\n\nFirst draft: webshell found.")
    expect(china.locator(".flash.ok")).to_contain_text("Version 1 of your report is filed.")

    file_report(kazakhstan, base, HANDOVER, "Handover, far too late.")
    expect(kazakhstan.locator("#report-deadline")).to_contain_text("No report is accepted after the deadline.")
    expect(kazakhstan.locator(".flash")).to_contain_text("the deadline for this report passed")
    expect(kazakhstan.locator(".report-version")).to_have_count(0)
    # The demo's deadline 20 minutes past when India files: accepted, marked late.
    opened = sql(srv, "SELECT phase_opened_at FROM challenge WHERE name = ?", TASK)[0][0]
    move_report_deadline(srv, datetime.now(timezone.utc) - timedelta(hours=2, minutes=20))
    file_report(india, base, TASK, "# India\n\nOur report, late.")
    expect(india.locator(".flash.ok")).to_contain_text("Version 1 of your report is filed.")
    expect(india.locator('.report-version[data-version="1"]')).to_contain_text(re.compile(r"late by 2[01] minutes"))
    sql(srv, "UPDATE challenge SET phase_opened_at = ? WHERE name = ?", opened, TASK)


def clarifications(drill: Drill) -> None:
    """The white cell answers China's question privately and publishes its answer to India's."""
    base, china, kazakhstan = drill.base, drill.pages["Team China"], drill.pages["Team Kazakhstan"]
    china.goto(base + "/inbox")
    china.select_option("#ask-form select[name=challenge_id]", label="Beacon Home")
    china.fill("#ask-form textarea[name=question]", "Is the beacon's port in scope?")
    china.click("#ask-form button[type=submit]")
    expect(china.locator("#team-questions")).to_contain_text("waiting for an answer")
    asked = drill.members["Team India"].http.post(f"{base}/api/v1/clarifications",
                                                  json={"question": "Do reports count double?"}, timeout=10)
    assert asked.status_code == 201, asked.text
    cell = drill.staff("white.cell", drill.accounts["white.cell"])
    cell.goto(base + "/console/clarifications/")
    question = cell.locator("#clarification-queue li.waiting", has_text="Team China")
    question.locator("textarea[name=answer]").fill("Yes: port **8443** only.")
    question.locator("button[type=submit]").click()
    expect(cell.locator(".flash.ok")).to_contain_text("asking team's inbox only")
    question = cell.locator(f'#clarification-queue li[data-question="{asked.json()["id"]}"]')
    question.locator("textarea[name=answer]").fill("No: every report counts once.")
    question.locator("input[name=publish]").check()
    question.locator("button[type=submit]").click()
    expect(cell.locator(".flash.ok")).to_contain_text("without the asking team's name")
    china.goto(base + "/inbox")
    expect(china.locator("#inbox-list")).to_contain_text("8443")
    expect(china.locator("#inbox-list")).to_contain_text("Do reports count double?")
    china.screenshot(path=str(drill.shots / "inbox.png"), full_page=True)
    kazakhstan.goto(base + "/inbox")
    expect(kazakhstan.locator("#inbox-list")).to_contain_text("every report counts once")
    expect(kazakhstan.locator("#inbox-list")).not_to_contain_text("8443")


def judging(drill: Drill) -> Page:
    """China's first version returned and filed again; three judges on it, two on India's late
    one; the organizer releases both. Returns judge ann's page."""
    srv, base, console = drill.srv, drill.base, drill.pages["console"]
    china, india = drill.pages["Team China"], drill.pages["Team India"]
    console.goto(base + "/console/grades")
    console.locator("#waiting tr", has_text="Team China").get_by_role("link", name="Return for revision…").click()
    console.fill("[name=reason]", "Add the times of each stage.")
    console.click("#confirm")
    expect(console.locator(".flash.ok")).to_contain_text("returned to Team China for revision")
    file_report(china, base, TASK, "# China\n\nRevised: webshell at 07:12, beacon at 07:40.")
    expect(china.locator(".flash.ok")).to_contain_text("Version 2 of your report is filed.")
    expect(china.locator('.report-version[data-version="1"]')).to_contain_text("Add the times of each stage.")
    china_report, india_report = latest_report(srv, "Team China"), latest_report(srv, "Team India")
    judges = {name: drill.staff(name, drill.accounts[name]) for name in CHINA}
    mark(judges["ann"], base, china_report, CHINA["ann"], shot=drill.shots / "judge.png")
    mark(judges["ann"], base, india_report, INDIA)
    mark(judges["ben"], base, china_report, CHINA["ben"])
    mark(judges["ben"], base, india_report, INDIA)
    mark(judges["cy"], base, china_report, CHINA["cy"], third=True)
    console.goto(base + "/console/grades")
    expect(console.locator("#grades tr[data-grade]", has_text="Team China")).to_contain_text("90")
    expect(console.locator("#grades tr[data-grade]", has_text="Team India")).to_contain_text("points off: late")
    console.get_by_role("button", name="Release all").click()
    expect(console.locator(".flash.ok")).to_contain_text("2 grades released.")
    china.reload()
    expect(china.locator("[data-report-grade]")).to_contain_text("Graded: 90 of 100 points.")
    india.reload()
    expect(india.locator("#report")).to_contain_text("The report was late: 9 points were taken off.")
    return judges["ann"]


def red_team(drill: Drill, judge: Page) -> None:
    """Two objectives hit against China: its detection of one accepted, its appeal of the other voided."""
    base, china, console = drill.base, drill.pages["Team China"], drill.pages["console"]
    red = drill.staff("red.rider", drill.accounts["red.rider"])
    red.goto(base + "/redteam")
    for objective in ("mail-takeover", "portal-deface"):
        red.select_option("select[name=team_id]", label="Team China")
        red.select_option("select[name=objective]", objective)
        red.click("#deduction-form button[type=submit]")
        expect(red.locator(".flash.ok")).to_contain_text("Team China")
    china.goto(base + "/team")
    row = china.locator("#deductions tbody tr", has_text="Take over the mail server")
    row.get_by_label(re.compile("What your team detected")).fill("EDR alert on MX01: OWA login from 203.0.113.7")
    row.get_by_role("button", name="Report the detection").click()
    expect(china.locator(".flash.ok")).to_contain_text("detection report is filed")
    judge.goto(base + "/judge")
    card = judge.locator("#detections article", has_text="OWA login from 203.0.113.7")
    card.locator("textarea[name=comment]").fill("Matches the red team's log")
    card.get_by_role("button", name="Accept the detection").click()
    expect(judge.locator(".flash.ok")).to_contain_text("is accepted")
    china.goto(base + "/team")
    expect(china.locator("#deductions tbody tr", has_text="Take over the mail server")).to_contain_text("+100 back")
    portal = china.locator("#deductions tbody tr", has_text="Deface the NWA customer portal")
    portal.locator("summary", has_text="Appeal…").click()
    portal.get_by_label(re.compile("Why the deduction is wrong")).fill("The portal is a third party's: out of scope")
    portal.get_by_role("button", name="File the appeal").click()
    expect(portal).to_contain_text("waiting for an organizer")
    console.goto(base + "/console/deductions")
    console.locator("#deductions tbody tr", has_text="out of scope").locator("a", has_text="Void…").first.click()
    console.fill("input[name=reason]", "Third-party hosting confirmed")
    console.click("#confirm")
    expect(console.locator(".flash.ok")).to_contain_text("is voided")


def endex_and_after_action(drill: Drill) -> None:
    """The organizer ends the drill; China's after-action report shows the board's numbers."""
    base, china, console = drill.base, drill.pages["Team China"], drill.pages["console"]
    console.goto(base + "/console/")
    console.locator("button[data-action=end]").click()
    console.locator("#confirm").click()
    expect(console.locator("#phase")).to_have_text("ended")
    row = next(r for r in scoreboard(base)["standings"] if r["team"] == "Team China")
    split = row["breakdown"]
    assert (split["reports"], split["deductions"]) == (90, 100), row  # 200 − 100 back; the 100 voided
    china.goto(base + "/team/after-action")
    expect(china.locator("#aar-score")).to_have_text(str(row["score"]))
    expect(china.locator("#aar-rank")).to_have_text(str(row["pos"]))
    expect(china.locator("#per-category tbody td")).to_have_text([
        str(split["flags"]), str(split["reports"]), f"−{split['deductions']}" if split["deductions"] else "0",
        str(row["score"])])
    china.screenshot(path=str(drill.shots / "after-action-team.png"), full_page=True)


def test_a_whole_exercise_from_startex_to_the_after_action_report(server_factory: Any, browser: Browser,
                                                                  tmp_path: Path, screenshot_dir: Path) -> None:
    srv = server_factory().start()  # seeded with the demo drill, which waits for STARTEX
    accounts = {name: json.loads(srv.cli("create-user", name, "--role", role).stdout)["password"]
                for name, role in (("ann", "judge"), ("ben", "judge"), ("cy", "judge"),
                                   ("white.cell", "white_cell"), ("red.rider", "red_team"))}
    members = {team: join(srv, team) for team in ("Team China", "Team India", "Team Kazakhstan")}
    drill = Drill(srv, browser, screenshot_dir, accounts, members)
    try:
        for team, member in members.items():
            drill.contexts.append(member_context(browser, member, viewport={"width": 1280, "height": 900}))
            drill.pages[team] = drill.contexts[-1].new_page()
        startex(drill)
        inject_and_deadlines(drill, tmp_path)
        clarifications(drill)
        red_team(drill, judging(drill))
        endex_and_after_action(drill)
    finally:
        for context in drill.contexts:
            context.close()
