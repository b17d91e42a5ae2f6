"""The inbox and clarifications in Debian Chromium: a team asks, the white cell answers privately
(only that team's inbox shows it, live; its unread count goes up, then down once read), another
question is answered and published (every team reads it, without the asker's name); the new pages
pass axe at projector and phone widths."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from livekit import join, member_context
from playwright.sync_api import Browser, Page, expect
from test_accessibility import LAYOUTS, problems

pytestmark = pytest.mark.browser


def _log_in(page: Page, base: str, name: str, password: str) -> None:
    page.goto(base + "/login")
    page.locator("main input[name=name]").fill(name)
    page.locator("main input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()


def _live(page: Page) -> None:
    """Wait until the page's /live connection is up (and so in its team's rooms)."""
    expect(page.locator("body")).to_have_attribute("data-seq", re.compile(r"^\d+$"))


def test_a_question_answered_privately_then_one_published(shared_server: Any, browser: Browser) -> None:
    base = shared_server.base_url
    cell = json.loads(shared_server.cli("create-user", "white.cell", "--role", "white_cell").stdout)
    china, india = join(shared_server, "Team China"), join(shared_server, "Team India")
    contexts = [member_context(browser, china), member_context(browser, india, viewport={"width": 390, "height": 844}),
                browser.new_context()]
    try:
        a, b, staff = (context.new_page() for context in contexts)
        errors: list[str] = []
        for page in (a, b, staff):
            page.on("pageerror", lambda err: errors.append(str(err)))
        # Team China asks from its inbox, about a challenge it can see.
        a.goto(base + "/inbox")
        a.select_option("#ask-form select[name=challenge_id]", label="Beacon Home")
        a.fill("#ask-form textarea[name=question]", "Is the beacon's port in scope?")
        a.click("#ask-form button[type=submit]")
        expect(a.locator("#team-questions")).to_contain_text("waiting for an answer")
        b.goto(base + "/inbox")  # India reads what it has (STARTEX's inject): only new messages count below
        expect(b.locator("#inbox-list li.message").first).to_be_visible()
        a.goto(base + "/challenges")
        b.goto(base + "/challenges")
        _live(a)
        _live(b)
        expect(a.locator("#inbox-count")).to_be_hidden()
        a.evaluate("window.__stayed = 1")  # no reload from here on

        # The white cell answers privately from its console page (its only one).
        _log_in(staff, base, "white.cell", cell["password"])
        staff.wait_for_url(base + "/console/clarifications/")
        expect(staff.locator(".subnav a")).to_have_count(1)
        question = staff.locator("#clarification-queue li.waiting").first
        expect(question).to_contain_text("Team China")
        question.locator("textarea[name=answer]").fill("Yes: port **8443** only.")
        question.locator("button[type=submit]").click()
        expect(staff.locator(".flash.ok")).to_contain_text("asking team's inbox only")

        expect(a.locator("#inbox-count .n")).to_have_text("1")  # live, on the page already open
        expect(a.locator("#inbox-count")).to_be_visible()
        expect(a.locator("#notices")).to_contain_text("Exercise control answered")
        assert a.evaluate("window.__stayed") == 1
        expect(b.locator("#inbox-count")).to_be_hidden()

        a.click("#inbox-link")
        message = a.locator("#inbox-list li.message").first
        expect(message).to_contain_text("Answer to your team's question about Beacon Home")
        expect(message.locator("strong", has_text="8443")).to_be_visible()
        expect(a.locator("#inbox-count")).to_be_hidden()  # read once shown
        b.goto(base + "/inbox")
        expect(b.locator("#inbox-list")).not_to_contain_text("8443")

        # Team India asks in general; the answer is published to every team.
        asked = india.http.post(f"{base}/api/v1/clarifications", json={"question": "Do reports count double?"},
                                timeout=10)
        assert asked.status_code == 201, asked.text
        b.goto(base + "/challenges")
        _live(b)
        _live(a)
        a.evaluate("window.__stayed = 2")
        staff.reload()
        question = staff.locator(f'#clarification-queue li[data-question="{asked.json()["id"]}"]')
        question.locator("textarea[name=answer]").fill("No: every report counts once.")
        question.locator("input[name=publish]").check()
        question.locator("button[type=submit]").click()
        expect(staff.locator(".flash.ok")).to_contain_text("without the asking team's name")

        published = a.locator("#inbox-list li.message").first  # Team China's open inbox, live
        expect(published).to_contain_text("Clarification for every team")
        expect(published).to_contain_text("Do reports count double?")
        expect(published).not_to_contain_text("India")
        assert a.evaluate("window.__stayed") == 2
        expect(a.locator("#inbox-count")).to_be_hidden()  # shown on the open inbox: read
        expect(b.locator("#inbox-count .n")).to_have_text("1")
        b.click("#inbox-link")
        expect(b.locator("#inbox-list li.message").first).to_contain_text("every report counts once")
        expect(b.locator("#team-questions")).to_contain_text("answered to every team")
        assert errors == []
    finally:
        for context in contexts:
            context.close()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_new_pages_pass_axe(shared_server: Any, browser: Browser, layout: str) -> None:
    base, viewport = shared_server.base_url, LAYOUTS[layout]
    cell = json.loads(shared_server.cli("create-user", f"cell-{layout}", "--role", "white_cell").stdout)
    member = join(shared_server, "Team China")
    member.http.post(f"{base}/api/v1/clarifications", json={"question": f"A question for axe ({layout})"}, timeout=10)
    contexts = [member_context(browser, member, viewport=viewport), browser.new_context(viewport=viewport)]
    try:
        team, staff = (context.new_page() for context in contexts)
        found = []
        team.goto(base + "/inbox")
        found += problems(team, "/inbox")
        _log_in(staff, base, f"cell-{layout}", cell["password"])
        staff.wait_for_url(base + "/console/clarifications/")
        found += problems(staff, "/console/clarifications/ (white cell)")
        _log_in(staff, base, "admin", shared_server.first_run["admin"]["password"])
        for path in ("/console/clarifications/", "/console/announcements"):
            staff.goto(base + path)
            found += problems(staff, f"{path} (organizer)")
    finally:
        for context in contexts:
            context.close()
    assert not found, "\n".join(found)
