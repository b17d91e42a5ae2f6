"""No destructive console action happens on one click: each asks on a page of its own, Cancel
changes nothing, and the feedback names what happened to what. Driven with JavaScript OFF, so
the confirmation step is proven to need no script."""
from __future__ import annotations

import re
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
from helpers import browser_login, eventually  # noqa: E402
from livekit import join  # noqa: E402

pytestmark = pytest.mark.browser


def login(page: Page, base: str, name: str, password: str) -> None:
    browser_login(page, base, name, password)
    expect(page).to_have_url(base + "/console/")


def offered(page: Page) -> list[str]:
    return page.locator("#clock-actions [data-action]").evaluate_all("nodes => nodes.map(n => n.dataset.action)")


def audit(page: Page, base: str) -> Counter:
    page.goto(base + "/console/audit")
    return Counter(page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts())


def team_row(page: Page, name: str) -> Any:
    return page.locator("#teams tbody tr", has=page.locator("td:first-child", has_text=name))


def ask_then_cancel(page: Page, opener: Any, question: str) -> None:
    opener.click()
    expect(page.locator("h1")).to_have_text(question)
    page.locator("#cancel").click()
    expect(page.locator("p.flash")).to_have_count(0)


def on_board(base: str) -> set[str]:
    return {row["team"] for row in requests.get(base + "/api/v1/scoreboard", timeout=5).json()["standings"]}


def shown_soon(base: str, team: str, shown: bool) -> bool:
    """Whether ``team`` is (or is not) on the public board within a few seconds: the board is
    rebuilt in the background after a change, not in the request that made it."""
    return (team in eventually(lambda: on_board(base), lambda teams: (team in teams) == shown, 5)) == shown


def test_destructive_actions_ask_first_and_cancel_changes_nothing(server: Any, browser: Browser,
                                                                   screenshot_dir: Path) -> None:
    base = server.base_url
    member = join(server, "Team India", name="ravi.kumar")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, base, "admin", server.first_run["admin"]["password"])

        # --- the clock: only what the state allows; End and Freeze ask, Cancel keeps it running ---
        expect(page.locator("#phase")).to_have_text("running")
        assert offered(page) == ["pause", "freeze", "end"]
        ask_then_cancel(page, page.locator("button[data-action=end]"), "End the drill now?")
        ask_then_cancel(page, page.locator("button[data-action=freeze]"), "Freeze the public board now?")
        expect(page.locator("#phase")).to_have_text("running")
        assert requests.get(base + "/api/v1/scoreboard", timeout=5).json()["frozen"] is False

        page.locator("button[data-action=end]").click()
        expect(page.locator(".consequences")).to_contain_text("Teams can no longer answer")
        page.screenshot(path=str(screenshot_dir / "console-confirm-end.png"))
        page.locator("#confirm").click()
        expect(page.locator("p.flash.ok")).to_have_text(
            "Drill ended: answers are closed and the board shows the final standings.")
        expect(page.locator("#phase")).to_have_text("ended")
        assert offered(page) == ["reopen"]

        page.locator("button[data-action=reopen]").click()
        expect(page.locator("h1")).to_have_text("Reopen the drill?")
        end = datetime.now(timezone.utc) + timedelta(hours=2)
        almaty = end.astimezone(ZoneInfo("Asia/Almaty"))  # the console reads times in the drill's zone
        page.locator("input[name=ends_at]").fill(almaty.strftime("%Y-%m-%dT%H:%M"))
        page.locator("#confirm").click()
        expect(page.locator("p.flash.ok")).to_have_text(
            f"Drill reopened: teams can answer again. It ends at {almaty.strftime('%Y-%m-%d %H:%M')}:00 (Almaty)"
            f" · {end.strftime('%Y-%m-%d %H:%M')}:00 UTC.")
        expect(page.locator("#phase")).to_have_text("running")
        assert offered(page) == ["pause", "freeze", "end"]

        # --- teams: Disable and New join code ask; Enable, being harmless, does not ---------------
        page.goto(base + "/console/teams")
        iran = team_row(page, "Team Iran")
        code = iran.locator("td code").inner_text()
        ask_then_cancel(page, iran.get_by_role("link", name="Disable…"), "Disable team Team Iran?")
        expect(iran).not_to_have_class(re.compile("disabled"))
        assert "Team Iran" in on_board(base)
        ask_then_cancel(page, iran.get_by_role("link", name="New join code…"), "Give team Team Iran a new join code?")
        expect(iran.locator("td code")).to_have_text(code)

        iran.get_by_role("link", name="Disable…").click()
        page.locator("#confirm").click()
        expect(page.locator("p.flash.ok")).to_have_text("Team Team Iran disabled; its members can no longer submit.")
        expect(iran).to_have_class(re.compile("disabled"))
        assert shown_soon(base, "Team Iran", False)
        iran.get_by_role("button", name="Enable").click()
        expect(page.locator("p.flash.ok")).to_have_text("Team Team Iran enabled; its members can submit again.")
        assert shown_soon(base, "Team Iran", True)

        iran.get_by_role("link", name="New join code…").click()
        expect(page.locator(".consequences")).to_contain_text(code)
        page.locator("#confirm").click()
        new_code = iran.locator("td code").inner_text()
        assert new_code != code
        expect(page.locator("p.flash.ok")).to_have_text(
            f"Team Team Iran has a new join code, {new_code}; the old code no longer works.")

        # --- a member's password: Cancel leaves their session working; confirming ends it --------
        challenges = f"{base}/api/v1/challenges"
        india = team_row(page, "Team India")
        ask_then_cancel(page, india.get_by_role("link", name="reset password…"),
                        "Reset the password of ravi.kumar (Team India)?")
        assert member.http.get(challenges, timeout=5).status_code == 200
        india.get_by_role("link", name="reset password…").click()
        page.locator("#confirm").click()
        expect(page.locator("p.flash.ok")).to_contain_text("New password for")
        expect(page.locator("p.flash.ok")).to_contain_text("Their open sessions have ended.")
        assert member.http.get(challenges, timeout=5).status_code == 401

        # --- re-checking asks too -------------------------------------------------------------------
        page.goto(base + "/console/challenges")
        page.get_by_role("link", name="Web Server Intrusion", exact=True).click()
        ask_then_cancel(page, page.get_by_role("link", name="Re-grade past wrong answers…"),
                        "Re-grade past wrong answers to Web Server Intrusion?")

        actions = audit(page, base)
        assert {k: actions.get(k, 0) for k in ("clock.end", "clock.reopen", "clock.freeze", "team.disable",
                                              "team.enable", "team.rotate_join_code", "user.reset_password",
                                              "challenge.regrade")} == {
            "clock.end": 1, "clock.reopen": 1, "clock.freeze": 0, "team.disable": 1, "team.enable": 1,
            "team.rotate_join_code": 1, "user.reset_password": 1, "challenge.regrade": 0}
    finally:
        context.close()

