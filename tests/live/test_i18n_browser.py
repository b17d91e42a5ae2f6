"""A Russian and a Chinese team in Debian Chromium: every page they and their organizers meet is
in their language (no English interface word left), times name their zone, Chinese renders in a
CJK font. Screenshots of the board and a challenge page in each language go to ``screenshot_dir``.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from livekit import ANSWERS, DEMO, PASSWORD, attempt, challenge_ids
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.browser

WEB = "Web Server Intrusion"
HTML_LANG = {"ru": "ru", "zh": "zh-Hans"}
MEMBER = {"ru": "Иван Петров", "zh": "王芳"}
TEAM = {"ru": "Team Russia", "zh": "Team China"}
# Words an interface in any language keeps: names of the product, a format and a service (Markdown,
# CTFtime), and in Chinese "flag", written so by Chinese CTF players (docs/i18n.md). Codes, acronyms
# and file extensions (UTC, CSV, KZ, .zip) are allowed too.
KEPT = {"Drillboard", "Markdown", "CTFtime", "flag", "sha256"}
ACRONYM = re.compile(r"^[A-Z0-9]{2,6}$")
CONSOLE = ["/console/", "/console/packs", "/console/challenges", "/console/teams", "/console/announcements", "/console/awards",
           "/console/submissions", "/console/results", "/console/audit"]

# Visible text and the attributes people read; not data the interface only shows (code, challenge
# text, elements marked translate="no") nor text deliberately in another language (the picker).
VISIBLE_TEXT = """() => {
  const data = "script, style, code, pre, .description, .hint-content, [translate=no]";
  const page = document.documentElement.lang.slice(0, 2);
  const foreign = (el) => { const marked = el.closest("[lang]"); return marked && marked.lang.slice(0, 2) !== page; };
  const found = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest(data) || foreign(el) || !el.getClientRects().length) continue;
    const text = walker.currentNode.textContent.trim();
    if (text) found.push(text);
  }
  document.querySelectorAll("[placeholder], [aria-label], [title], img[alt]").forEach((el) => {
    if (el.closest(data) || foreign(el)) return;
    ["placeholder", "aria-label", "title", "alt"].forEach((name) => { const v = el.getAttribute(name); if (v) found.push(v); });
  });
  return found;
}"""


def pack_strings() -> set[str]:
    """Everything the demo pack wrote, in every language: data, not interface."""
    found: set[str] = set()
    for path in DEMO.rglob("*.yml"):
        data = yaml.safe_load(path.read_text())
        versions = [data] + list((data.get("translations") or {}).values())
        for phase in data.get("phases") or []:  # pack.yml's phases: their titles are the pack's words
            versions += [phase, *(phase.get("translations") or {}).values()]
        for version in versions:
            found.update(str(version[key]) for key in ("name", "category", "author", "title") if version.get(key))
            found.update(h["title"] for h in version.get("hints") or [] if isinstance(h, dict) and h.get("title"))
        found.update(str(f).rsplit("/", 1)[-1] for f in data.get("files") or [])
    return found


def english_left(page: Page, data: list[str]) -> list[str]:
    """Interface text on the page that still holds an English word."""
    left = []
    for text in page.evaluate(VISIBLE_TEXT):
        for item in data:
            text = text.replace(item, " ")
        text = re.sub(r"\.[a-z0-9]{2,4}\b", " ", text)  # file extensions (.zip) are codes too
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text) if w not in KEPT and not ACRONYM.match(w)]
        if words:
            left.append(text)
    return left


def ids_seen_by(page: Page, base: str) -> dict[str, int]:
    """Challenge ids by name, as the logged-in page's session sees them."""
    return {c["name"]: c["id"] for c in page.request.get(base + "/api/v1/challenges").json()["challenges"]}


def check(page: Page, lang: str, data: list[str]) -> None:
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    page.wait_for_load_state("networkidle")
    left = english_left(page, data)
    assert not left, f"{lang} {page.url}: English interface text left: {left}"


@pytest.fixture(scope="module")
def data_strings(shared_server: Any) -> list[str]:
    # Accounts' names, and the names the first run, the CLI and the clock's schedule (a phase
    # opening on time) go by in the audit log.
    names = ({t["name"] for t in shared_server.first_run["teams"]} | {"admin", "bootstrap", "cli", "schedule"}
             | set(MEMBER.values()))
    return sorted(names | pack_strings(), key=len, reverse=True)


def language_context(browser: Browser, base: str, lang: str, **options: Any) -> BrowserContext:
    """Russian through the browser's Accept-Language; Chinese through the page's language picker."""
    if lang == "ru":
        return browser.new_context(locale="ru-RU", **options)
    context = browser.new_context(locale="en-US", **options)
    page = context.new_page()
    page.goto(base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator(".langs a[aria-current=true]")).to_have_text("中文")
    page.close()
    return context


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_a_team_plays_and_watches_in_its_language(shared_server: Any, browser: Browser, lang: str,
                                                 data_strings: list[str], screenshot_dir: Any) -> None:
    base = shared_server.base_url
    code = next(t["join_code"] for t in shared_server.first_run["teams"] if t["name"] == TEAM[lang])
    context = language_context(browser, base, lang, viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        page.goto(base + "/")
        check(page, lang, data_strings)
        page.goto(base + "/join")
        check(page, lang, data_strings)
        page.fill("input[name=join_code]", code)
        page.fill("input[name=name]", MEMBER[lang])
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=confirm]", PASSWORD)
        page.click("form.stack button[type=submit]")
        expect(page).to_have_url(base + "/challenges")
        check(page, lang, data_strings)

        web = ids_seen_by(page, base)[WEB]
        page.goto(f"{base}/challenges/{web}")
        translated = yaml.safe_load((DEMO / "log-analysis/web-intrusion/challenge.yml").read_text())["translations"][lang]
        expect(page.locator("h1")).to_have_text(translated["name"])
        expect(page.locator(".hint strong").first).to_have_text(translated["hints"][0]["title"])
        check(page, lang, data_strings)
        page.fill("#answer", "192.0.2.200")
        page.click("#answer-form button")
        expect(page.locator("#verdict")).to_have_class(re.compile(r"\bincorrect\b"))
        check(page, lang, data_strings)
        page.fill("#answer", ANSWERS[WEB])
        page.click("#answer-form button")
        expect(page.locator("#verdict")).to_have_class(re.compile(r"\bcorrect\b"))
        check(page, lang, data_strings)
        page.screenshot(path=str(screenshot_dir / f"challenge-{lang}.png"), full_page=True)

        page.goto(base + "/team")
        check(page, lang, data_strings)
        page.goto(base + "/board")
        expect(page.locator("#feed li").first).to_contain_text(translated["name"])
        check(page, lang, data_strings)
        page.screenshot(path=str(screenshot_dir / f"board-{lang}.png"))
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_the_console_speaks_the_organizers_language(shared_server: Any, browser: Browser, lang: str,
                                                   data_strings: list[str]) -> None:
    base = shared_server.base_url
    context = language_context(browser, base, lang)
    try:
        page = context.new_page()
        page.goto(base + "/login")
        check(page, lang, data_strings)
        page.locator("main input[name=name]").fill("admin")
        page.locator("main input[name=password]").fill(shared_server.first_run["admin"]["password"])
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(base + "/console/")
        for path in CONSOLE + [f"/console/challenges/{ids_seen_by(page, base)[WEB]}"]:
            page.goto(base + path)
            check(page, lang, data_strings)
    finally:
        context.close()


def test_chinese_renders_in_a_cjk_font(shared_server: Any, browser: Browser) -> None:
    """Chinese glyphs come from a CJK font on the board, not from a fallback box."""
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(shared_server.base_url + "/board")
        cdp = context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        for selector in ("#standings thead th:nth-child(2)", ".side-panel h2"):
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            assert fonts and all("CJK" in f["familyName"] for f in fonts), (selector, fonts)
    finally:
        context.close()


def test_times_name_the_viewers_zone_and_countdowns_agree(server: Any, browser: Browser) -> None:
    """Two observers an ocean apart: the same countdown and drill time, each their own zone's times."""
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    server.cli("clock", "set", "--starts-at", (now - timedelta(hours=1)).isoformat(),
               "--freeze-at", (now + timedelta(hours=1, minutes=30)).isoformat(),
               "--ends-at", (now + timedelta(hours=3)).isoformat())
    team, headers = server.team_token("Zone Watchers", "KZ")
    assert attempt(server.base_url, challenge_ids(server.base_url, headers=headers)[WEB], ANSWERS[WEB],
                   headers=headers)["result"] == "correct"
    seen = {}
    page_feed_at: list[str] = []
    for zone in ("Asia/Almaty", "America/New_York"):
        context = browser.new_context(locale="ru-RU", timezone_id=zone)
        try:
            page = context.new_page()
            page.clock.set_fixed_time(now + timedelta(seconds=30))
            page.goto(server.base_url + "/board")
            expect(page.locator("#time-left")).not_to_be_empty()
            feed_time = page.locator("#feed time").first
            expect(feed_time).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
            seen[zone] = {"countdown": page.locator("#clock-countdown").inner_text(),
                          "home": page.locator("#home-zone .home-time").inner_text(),
                          "zone": page.locator("#home-zone .zone").inner_text(),
                          "feed": feed_time.inner_text()}
            page_feed_at[:] = [feed_time.get_attribute("datetime")]
        finally:
            context.close()
    almaty, new_york = seen["Asia/Almaty"], seen["America/New_York"]
    assert almaty["countdown"] == new_york["countdown"] == "до заморозки 1:29:30", seen
    home = (now + timedelta(seconds=30)).astimezone(ZoneInfo("Asia/Almaty")).strftime("%H:%M")
    assert almaty["home"] == new_york["home"] == home and almaty["zone"] == "Алматы", seen
    # One zone on the board: the feed reads in drill time for both, like the clock above it.
    solved = datetime.fromisoformat(page_feed_at[0]).astimezone(ZoneInfo("Asia/Almaty")).strftime("%H:%M:%S")
    assert almaty["feed"] == new_york["feed"] == solved, seen
