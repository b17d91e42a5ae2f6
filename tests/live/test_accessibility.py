"""axe-core on every page, at 1920×1080 and on a 390 px phone: no violations, no sideways scroll.

axe-core is vendored for the tests only (tests/vendor/axe-core, never served) and evaluated in
the page by playwright, so the pages keep their Content-Security-Policy.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import browser_login
from livekit import ANSWERS, join, member_context, scoreboard
from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

AXE = (Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
LAYOUTS = {"projector": {"width": 1920, "height": 1080}, "phone": {"width": 390, "height": 844}}
TEAMS = {"projector": "Team China", "phone": "Team India"}  # one each: both use up a challenge
RUN_AXE = """() => axe.run(document, { resultTypes: ["violations"] }).then(result => result.violations.map(v =>
  [v.id, v.impact, v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").split("\\n")[1])]))"""


def problems(page: Page, label: str) -> list[str]:
    """What axe and a phone's width find wrong with the page now open."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # the board's first render and chart
    page.evaluate(AXE)
    found = [f"{label}: axe {rule} ({impact}): {nodes}" for rule, impact, nodes in page.evaluate(RUN_AXE)]
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > viewport:
        found.append(f"{label}: scrolls sideways ({width} px wide in {viewport} px)")
    return found


def visit(page: Page, base: str, paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        page.goto(base + path)
        found += problems(page, path)
    return found



@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_page_passes_axe(shared_server: Any, browser: Browser, layout: str, tmp_path: Path) -> None:
    base, viewport = shared_server.base_url, LAYOUTS[layout]
    member = join(shared_server, TEAMS[layout])
    ids = member.challenge_ids()
    member.attempt(ids["Beacon Home"], ANSWERS["Beacon Home"])
    for _ in range(2):
        member.attempt(ids["Wallet Pivot"], f"wrong-{layout}")  # used up
    member.attempt(ids["Web Server Intrusion"], "192.0.2.200")
    hint = next(h["id"] for h in member.http.get(f"{base}/api/v1/challenges/{ids['Web Server Intrusion']}",
                                                 timeout=10).json()["hints"] if h["cost"])
    web = ids["Web Server Intrusion"]
    team_id = next(r["team_id"] for r in scoreboard(base)["standings"] if r["team"] == TEAMS[layout])
    found: list[str] = []
    contexts: list[BrowserContext] = []
    try:
        # --- anyone ----------------------------------------------------------------------------
        contexts.append(browser.new_context(viewport=viewport))
        page = contexts[-1].new_page()
        found += visit(page, base, ["/", "/login", "/join", "/board", "/board?kiosk=1"])
        found += visit(page, base, ["/replay", "/replay?minute=0"])

        # --- a team member -------------------------------------------------------------------------
        contexts.append(member_context(browser, member, viewport=viewport))
        page = contexts[-1].new_page()
        found += visit(page, base, ["/challenges", f"/challenges/{web}", f"/challenges/{ids['Wallet Pivot']}",
                                    "/team", f"/hints/{hint}/unlock", "/briefing", "/team/after-action"])

        # --- the organizer: every console page, and every confirmation ------------------------------
        contexts.append(browser.new_context(viewport=viewport))
        page = contexts[-1].new_page()
        browser_login(page, base, "admin", shared_server.first_run["admin"]["password"])
        page.wait_for_url(base + "/console/")
        found += visit(page, base, [
            "/console/", "/console/packs", "/console/challenges", f"/console/challenges/{web}", "/console/teams",
            "/console/announcements", "/console/awards", "/console/submissions", "/console/results", "/console/audit",
            "/console/clock/start", "/console/clock/freeze", "/console/clock/end", "/console/clock/reopen",
            f"/console/teams/{team_id}/disable", f"/console/teams/{team_id}/rotate", f"/console/challenges/{web}/regrade"])
        found += visit(page, base, ["/console/after-action", f"/console/teams/{team_id}/after-action"])
        found += visit(page, base, ["/console/reveal", "/console/reveal/all", "/console/phases",
                                    "/console/phases/ministry-inject/open"])
        page.goto(base + "/console/teams")
        page.locator("a", has_text="reset password…").first.click()
        found += problems(page, "reset password confirmation")

        page.goto(base + "/console/packs")
        page.locator("input[name=path]").fill("challenges/drill-demo")
        page.locator("form:has(input[name=path]) button[type=submit]").click()
        found += problems(page, "pack check report")

        roster = tmp_path / "teams.csv"
        roster.write_text(f"name,country,members\nAxe {layout} One,EE,ann-{layout};ben-{layout}\n", encoding="utf-8")
        page.goto(base + "/console/teams")
        page.locator("input[name=csv]").set_input_files(str(roster))
        page.get_by_role("button", name="Import").click()
        found += problems(page, "teams imported")

        # --- exercise control: the red team's page (an organizer may record too), a void, staff ----
        page.goto(base + "/redteam")
        page.select_option("select[name=team_id]", label=TEAMS[layout])
        page.fill("input[name=points]", "5")
        page.fill("input[name=reason]", f"axe {layout}")
        page.click("#deduction-form button[type=submit]")
        found += problems(page, "red team page with a deduction")
        found += visit(page, base, ["/console/staff", "/console/deductions"])
        page.locator("a", has_text="Void…").first.click()
        found += problems(page, "void confirmation")
        page.goto(base + "/console/staff")
        page.locator("a", has_text="Reset password…").first.click()
        found += problems(page, "staff reset confirmation")
    finally:
        for context in contexts:
            context.close()
    assert not found, "\n".join(found)
