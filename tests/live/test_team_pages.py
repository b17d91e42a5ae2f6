"""Team pages in Chromium: a used-up challenge says so, a hint costs points only after asking,
the browser's text size works, and the keyboard skips the navigation."""
from __future__ import annotations

import re
from typing import Any

import pytest
from livekit import join, member_context, scoreboard
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

WALLET = "Wallet Pivot"  # attempts: 2 in the demo pack
WEB = "Web Server Intrusion"  # a 25-point hint, "The upload"



def score(base: str, team: str) -> int:
    return next(row["score"] for row in scoreboard(base)["standings"] if row["team"] == team)


def test_a_used_up_challenge_says_no_attempts_left(shared_server: Any, browser: Browser) -> None:
    base = shared_server.base_url
    member = join(shared_server, "Team Pakistan")
    wallet = member.challenge_ids()[WALLET]
    assert member.attempt(wallet, "mirage_ops")["attempts_left"] == 1
    context = member_context(browser, member)
    try:
        page = context.new_page()
        page.goto(f"{base}/challenges/{wallet}")
        expect(page.locator("#attempts-left")).to_contain_text("Attempts left: 1 of 2")
        page.fill("#answer", "tallow")
        page.click("#answer-form button")
        expect(page.locator("#verdict")).to_contain_text("No attempts left")
        expect(page.locator("#answer")).to_be_disabled()
        expect(page.locator("#answer-form button")).to_be_disabled()

        page.reload()  # the page itself knows, not only the script that saw the last answer
        expect(page.locator("#spent")).to_have_text(
            "No attempts left: your team has used all 2 wrong answers this challenge allows.")
        expect(page.locator("#answer")).to_be_disabled()
        expect(page.locator("#answer-form button")).to_be_disabled()
        page.goto(base + "/challenges")
        tile = page.locator(f'.tile[data-challenge="{wallet}"]')
        expect(tile.locator(".badge")).to_have_text("no attempts left")
        expect(page.locator(".badge", has_text="no attempts left")).to_have_count(1)
    finally:
        context.close()


def _open_hint_page(page: Page, base: str, challenge_id: int) -> Any:
    page.goto(f"{base}/challenges/{challenge_id}")
    return page.get_by_role("button", name="Unlock for 25 points…")


def test_without_javascript_a_hint_asks_first_then_says_what_it_cost(shared_server: Any, browser: Browser) -> None:
    base = shared_server.base_url
    member = join(shared_server, "Team Uzbekistan")
    web = member.challenge_ids()[WEB]
    context = member_context(browser, member, java_script_enabled=False)
    try:
        page = context.new_page()
        _open_hint_page(page, base, web).click()
        expect(page.locator("h1")).to_have_text("Unlock The upload for 25 points?")
        expect(page.locator(".consequences")).to_contain_text("25 points come off your team's score")
        page.locator("#cancel").click()
        expect(page).to_have_url(f"{base}/challenges/{web}")
        expect(page.get_by_role("button", name="Unlock for 25 points…")).to_be_visible()
        assert score(base, "Team Uzbekistan") == 0

        _open_hint_page(page, base, web).click()
        page.locator("#confirm").click()
        expect(page).to_have_url(re.compile(rf"/challenges/{web}#hint-\d+$"))
        expect(page.locator("p.flash.ok")).to_have_text("Hint unlocked: 25 points were taken from your team's score.")
        expect(page.locator(".hint-content").last).to_contain_text("media.php")
        assert score(base, "Team Uzbekistan") == -25
    finally:
        context.close()


def test_an_answer_sent_before_the_pages_script_ran_is_graded_and_said_in_place(shared_server: Any,
                                                                                 browser: Browser) -> None:
    """On a slow link the form is on screen before the page's script has loaded: a member who answers
    then posts the form itself, and is told the verdict in the verdict line all the same."""
    base = shared_server.base_url
    member = join(shared_server, "Team Tajikistan")
    context = member_context(browser, member)
    held: list[Any] = []
    try:
        page = context.new_page()
        page.route("**/js/team.js", lambda route: held.append(route))  # its download does not finish yet
        page.goto(f"{base}/challenges/{member.challenge_ids()[WEB]}", wait_until="commit")
        page.fill("#answer", "192.0.2.200")
        page.click("#answer-form button")
        expect(page.locator("#verdict")).to_have_text("Incorrect.")
        expect(page.locator("#verdict")).to_have_class(re.compile(r"\bincorrect\b"))
        expect(page.locator(".flash")).to_have_count(0)
        assert held, "the answer went before the script"
    finally:
        for route in held:
            route.abort()
        context.close()


def test_with_javascript_focus_moves_to_the_hint_and_it_is_announced(shared_server: Any, browser: Browser) -> None:
    base = shared_server.base_url
    member = join(shared_server, "Team Kyrgyzstan")
    context = member_context(browser, member)
    try:
        page = context.new_page()
        page.once("dialog", lambda dialog: dialog.accept())
        _open_hint_page(page, base, member.challenge_ids()[WEB]).click()
        expect(page.locator(".hint-content").last).to_be_focused()
        expect(page.locator(".hint-content").last).to_contain_text("media.php")
        expect(page.locator("#notices[aria-live]")).to_contain_text("Hint unlocked: 25 points were taken")
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/challenges", "/board", "/login"])
def test_the_browsers_text_size_grows_the_text(shared_server: Any, browser: Browser, path: str) -> None:
    """Chromium's "font size" setting (Page.setFontSizes) must scale the page's type."""
    member = join(shared_server, "Team Belarus")
    context = member_context(browser, member)
    try:
        page = context.new_page()
        page.goto(shared_server.base_url + path)
        sizes = "() => [getComputedStyle(document.body).fontSize, getComputedStyle(document.querySelector('h1')).fontSize].map(parseFloat)"
        before = page.evaluate(sizes)
        context.new_cdp_session(page).send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
        page.reload()
        after = page.evaluate(sizes)
        assert after[0] == pytest.approx(before[0] * 2) and after[1] == pytest.approx(before[1] * 2), (before, after)
    finally:
        context.close()


def test_a_skip_link_leads_past_the_navigation(shared_server: Any, browser: Browser) -> None:
    member = join(shared_server, "Team Russia")
    context = member_context(browser, member)
    try:
        page = context.new_page()
        page.goto(shared_server.base_url + "/challenges")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('main') !== null")
        assert focused, "the next Tab should land in the page's content"
    finally:
        context.close()
