"""No English and no number-agreement error where a delegation looks hardest: the projector
through a whole closing ceremony (freeze → each reveal step → the final board), the translated
error pages, a logged-out team's redirect to the login page, and the console's report on a pack
with problems — in Russian and Chinese. Screenshots go to ``screenshot_dir``
(``projector-reveal-ru.png``, ``pack-report-zh.png``…)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from helpers import browser_login
from playwright.sync_api import Browser, Page, expect
from test_i18n_browser import HTML_LANG, english_left, language_context
from test_reveal_browser import prepare

pytestmark = pytest.mark.browser

RU_POINTS = re.compile(r"(\d+)\s+(очко|очка|очков)\b")
RU_FORM = {"one": "очко", "few": "очка", "many": "очков"}
# Pack syntax the report quotes as the organizer wrote it ('flags', 'value'...) and command-line
# options (--strict): code, not interface. CTFd is a product's name, like Drillboard.
QUOTED = re.compile(r"'[^']*'|--[a-z-]+")
NAMES = {"Drillboard", "flag", "CTFd"}


def agreement_errors(page: Page) -> list[str]:
    """Russian counts whose noun has the wrong form for the number (5 очко, 21 очков)."""
    rule = Locale.parse("ru").plural_form
    text = page.locator("body").inner_text()
    return [m.group(0) for m in RU_POINTS.finditer(text) if RU_FORM[rule(int(m.group(1)))] != m.group(2)]


def check(page: Page, lang: str, data: list[str], code_quoted: bool = False) -> None:
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    left = english_left(page, data)
    if code_quoted:
        left = [text for text in left if english_left_words(QUOTED.sub(" ", text), data)]
    assert not left, f"{lang} {page.url}: English interface text left: {left}"
    if lang == "ru":
        assert not agreement_errors(page), f"{page.url}: {agreement_errors(page)}"


def english_left_words(text: str, data: list[str]) -> bool:
    for item in data:
        text = text.replace(item, " ")
    text = re.sub(r"\.[a-z0-9]{2,4}\b", " ", text)
    return any(w not in NAMES and not re.fullmatch(r"[A-Z0-9]{2,6}", w)
               for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text))


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_the_projector_through_a_whole_closing_ceremony(server_factory: Any, make_pack: Any, browser: Browser,
                                                       screenshot_dir: Path, lang: str) -> None:
    srv = server_factory(env={"DRILLBOARD_DEMO": "0"})
    password = prepare(srv, make_pack)
    srv.start()
    srv.cli("clock", "end")
    base = srv.base_url
    data = ["Alpha", "Bravo", "Charlie", "X", "Y", "olga", "pack0"]  # names and the pack title
    hall = language_context(browser, base, lang, viewport={"width": 1920, "height": 1080})
    control = browser.new_context()
    try:
        projector = hall.new_page()
        projector.goto(base + "/board?kiosk=1")
        expect(projector.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
        expect(projector.locator("#frozen-banner")).to_be_visible()
        check(projector, lang, data)  # frozen, held for the ceremony
        console = control.new_page()
        browser_login(console, base, "olga", password)
        console.wait_for_url(base + "/console/")
        console.goto(base + "/console/reveal")
        console.click("#reveal-start")
        for left in ("3", "2", "1"):
            console.click("#reveal-next")
            expect(console.locator("#remaining")).to_have_text(left)
            expect(projector.locator("#feed li.revealed")).to_have_count(4 - int(left), timeout=5000)
            check(projector, lang, data)
        projector.screenshot(path=str(screenshot_dir / f"projector-reveal-{lang}.png"))
        console.click("#reveal-next")  # the last held change ends the ceremony
        expect(projector.locator("#frozen-banner")).to_be_hidden(timeout=5000)
        check(projector, lang, data)
    finally:
        hall.close()
        control.close()


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_error_pages_and_the_login_redirect_speak_the_visitors_language(shared_server: Any, browser: Browser,
                                                                      lang: str) -> None:
    base = shared_server.base_url
    context = language_context(browser, base, lang)
    try:
        page = context.new_page()
        page.goto(base + "/challenges")  # logged out: Flask-Login's redirect and its message
        expect(page).to_have_url(re.compile(r"/login\?next="))
        expect(page.locator(".flash")).to_be_visible()
        check(page, lang, [])
        for path, status in (("/no-such-page", 404), ("/console/", None)):
            reply = page.goto(base + path)
            if status:
                assert reply is not None and reply.status == status
                expect(page.locator("main")).to_have_attribute("data-status", str(status))
            check(page, lang, [])
        # A GET-only address posted to: 405 (the request API sends no browser locale; Chinese is in the cookie).
        reply = page.request.post(base + "/lang/" + lang, headers={"Accept-Language": "ru-RU" if lang == "ru" else "en"})
        assert reply.status == 405
        page.set_content(reply.text())
        check(page, lang, [])
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_the_consoles_pack_report_speaks_the_organizers_language(shared_server: Any, browser: Browser,
                                                                tmp_path: Path, screenshot_dir: Path,
                                                                lang: str) -> None:
    pack = tmp_path / "broken"
    (pack / "web").mkdir(parents=True)
    (pack / "web" / "challenge.yml").write_text("name: Web\nvalue: lots\nflags: ['DRILL{w}']\nhints: [{cost: 5}]\n"
                                                "files: [missing.txt]\nbogus: 1\n")
    (pack / "net").mkdir()
    (pack / "net" / "challenge.yml").write_text("name: Net\nvalue: 10\ntype: regex-plugin\n")
    (pack / "pack.yml").write_text("id: broken\ntitle: Broken\ntimezone: Asia/Almatty\nweights: {flags: 50}\n")
    base = shared_server.base_url
    context = language_context(browser, base, lang)
    try:
        page = context.new_page()
        browser_login(page, base, "admin", shared_server.first_run["admin"]["password"])
        page.goto(base + "/console/packs")
        page.locator("input[name=path]").fill(str(pack))
        page.locator("input[name=path]").locator("xpath=ancestor::form").locator("button").click()
        expect(page.locator("#problems li").first).to_be_visible()
        assert page.locator("#problems li").count() >= 5
        check(page, lang, ["Web", "Net", "Broken", "admin"], code_quoted=True)
        page.screenshot(path=str(screenshot_dir / f"pack-report-{lang}.png"), full_page=True)
    finally:
        context.close()
