"""End to end: an organizer runs a whole drill from the browser console.

One real ``python app.py`` with an EMPTY drill (``DRILLBOARD_DEMO=0``) and three browsers:
the organizer (``page``), an observer watching /board, and a team member. The organizer sets
the clock, imports teams, checks and loads packs, schedules an inject, starts the drill,
announces, awards points, freezes, ends, downloads the results and reads the audit log; the
observer's board must follow each step live, without a reload.
"""
from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml
from helpers import browser_login
from playwright.sync_api import Browser, BrowserContext, Page, expect

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "challenges" / "drill-demo"
VIEWPORT = {"width": 1440, "height": 900}
MEMBER_PASSWORD = "correct horse battery"

# Right answers from challenges/drill-demo/SOLUTIONS.md.
WEB_INTRUSION, WEB_INTRUSION_ANSWER, WEB_INTRUSION_WRONG = "Web Server Intrusion", "203.0.113.77", "192.0.2.200"
SPOOFED, SPOOFED_ANSWER = "Spoofed Coordination Email", "203.0.113.45"  # release_after: 30m in the pack
FIRST_BLOOD_BONUS = 10  # drill-demo/pack.yml

# --- helpers ------------------------------------------------------------------------------


def demo_names() -> list[str]:
    return sorted(yaml.safe_load(p.read_text())["name"] for p in DEMO.rglob("challenge.yml"))


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return target


def broken_pack_zip(target: Path) -> Path:
    """One challenge with a typo'd field (line 3: a warning) and a file that is not there (line 8)."""
    challenge = (
        "name: Broken One\n"
        "category: Web\n"
        "descripton: a typo for description\n"
        "value: 100\n"
        "flags:\n"
        "  - DRILL{broken}\n"
        "files:\n"
        "  - files/missing.txt\n"
    )
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("broken-pack/pack.yml", "id: broken-pack\ntitle: Broken\n")
        archive.writestr("broken-pack/web/one/challenge.yml", challenge)
    return target


HOME = ZoneInfo("Asia/Almaty")  # the demo pack's timezone: the console's zone once it is loaded


def local_input(moment: datetime, zone: Any = timezone.utc) -> str:
    """A time as a datetime-local value in the drill's home zone, where the console reads and writes
    times (minute precision: the input's default step). Until a pack names a zone it is UTC."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def shown_time(moment: datetime) -> str:
    """The <time> the console shows for a time saved from ``local_input`` (a minute, in UTC)."""
    return f'time[datetime="{moment.astimezone(timezone.utc).replace(second=0, microsecond=0).isoformat()}"]'


def shown_utc(moment: datetime) -> str:
    """How a console message (plain text) names that time: in the home zone, with UTC beside."""
    return (f"{moment.astimezone(HOME).strftime('%Y-%m-%d %H:%M:00')} (Almaty) · "
            f"{moment.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:00 UTC')}")


def flash_ok(page: Page) -> Any:
    return page.locator("p.flash.ok")


def flash_error(page: Page) -> Any:
    return page.locator("p.flash.error")


def nav(page: Page, label: str) -> None:
    page.locator("nav.subnav").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state("domcontentloaded")


def standings_of(rows: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    return [(r["team"], int(r["score"]), int(r["pos"])) for r in rows]


def board_score(board: Page, team: str) -> Any:
    return board.locator("#standings tbody tr", has=board.locator(".name", has_text=re.compile(f"^{team}$"))).locator(".score")


def api_scoreboard(base_url: str) -> dict[str, Any]:
    response = requests.get(base_url + "/api/v1/scoreboard", timeout=5)
    response.raise_for_status()
    return response.json()


def confirm(page: Page, action: str, heading: str) -> None:
    """A clock button leads to a page naming what will happen; only its button acts."""
    page.locator(f"button[data-action={action}]").click()
    expect(page.locator("h1")).to_have_text(heading)
    page.locator("#confirm").click()


def answer(member: Page, base: str, challenge: str, text: str, expected: str) -> None:
    member.goto(base + "/challenges")
    member.get_by_role("link", name=challenge, exact=True).click()
    expect(member).to_have_url(re.compile(r"/challenges/\d+$"))
    member.wait_for_load_state()  # the form shows before the page's script has taken it over
    member.locator("#answer").fill(text)
    member.locator("#answer-form button[type=submit]").click()
    expect(member.locator("#verdict")).to_contain_text(expected, timeout=5000)


# --- the drill ------------------------------------------------------------------------------


@pytest.mark.browser
def test_organizer_runs_a_whole_drill(server_factory: Any, page: Page, browser: Browser, tmp_path: Path,
                                      screenshot_dir: Path) -> None:
    srv = server_factory(env={"DRILLBOARD_DEMO": "0"})
    chief = json.loads(srv.cli("create-admin", "chief").stdout)
    srv.start()
    base = srv.base_url
    page.set_viewport_size(VIEWPORT)
    page.set_default_timeout(10_000)
    contexts: list[BrowserContext] = []
    try:
        _drive(srv, base, chief, page, browser, contexts, tmp_path, screenshot_dir)
    finally:
        for context in contexts:
            context.close()


def _drive(srv: Any, base: str, chief: dict[str, Any], page: Page, browser: Browser,
           contexts: list[BrowserContext], tmp_path: Path, shots: Path) -> None:
    # --- access control before anything: anonymous is sent to the login page ------------------
    anonymous = browser.new_context()
    contexts.append(anonymous)
    anon = anonymous.new_page()
    anon.goto(base + "/console/")
    expect(anon).to_have_url(re.compile(r"/login\?next=(/|%2F)console(/|%2F)$"))

    # --- 1. log in -----------------------------------------------------------------------------
    browser_login(page, base, "chief", chief["password"])
    expect(page).to_have_url(base + "/console/")
    expect(page.locator("#phase")).to_have_text("not started")

    # --- 2. the clock: start in the future, end after it; a backwards clock is refused ---------
    now = datetime.now(timezone.utc)
    starts = now + timedelta(hours=1)
    ends = now + timedelta(hours=3)
    page.locator("input[name=starts_at]").fill(local_input(starts))
    page.locator("input[name=ends_at]").fill(local_input(ends))
    page.get_by_role("button", name="Save times").click()
    expect(flash_ok(page)).to_contain_text("Clock times saved")
    facts = page.locator("dl.facts")
    expect(facts.locator(shown_time(starts))).to_have_count(1)
    expect(facts.locator(shown_time(ends))).to_have_count(1)
    expect(page.locator("#phase")).to_have_text("not started")
    # The times as stored (each <time>'s datetime): their text is re-written in the reader's
    # locale by JavaScript once the page has loaded, so text read twice can differ.
    stamps = "els => els.map(e => e.getAttribute('datetime'))"
    before = facts.locator("time").evaluate_all(stamps)

    page.locator("input[name=ends_at]").fill(local_input(starts - timedelta(minutes=30)))
    page.get_by_role("button", name="Save times").click()
    expect(flash_error(page)).to_contain_text("the end must be after the start")
    expect(flash_ok(page)).to_have_count(0)
    assert facts.locator("time").evaluate_all(stamps) == before, "a refused clock must change nothing"

    # --- 3. teams: a bad CSV imports nothing; a good one lists codes and passwords -------------
    nav(page, "Teams")
    expect(page.locator("#teams tbody")).to_contain_text("No teams yet.")
    bad_csv = tmp_path / "bad-teams.csv"
    bad_csv.write_text("name,country,members\nBad Row,XX,\nGood Row,KZ,zed\n", encoding="utf-8")
    page.locator("input[name=csv]").set_input_files(str(bad_csv))
    page.get_by_role("button", name="Import").click()
    expect(flash_error(page)).to_contain_text("row 2")
    expect(flash_error(page)).to_contain_text("unknown country code 'XX'")
    expect(flash_error(page)).to_contain_text("Nothing was imported")
    expect(page.locator("#teams tbody tr[data-team]")).to_have_count(0)
    expect(page.locator("#teams tbody")).to_contain_text("No teams yet.")

    good_csv = tmp_path / "teams.csv"
    good_csv.write_text("name,country,members\nAurora,KZ,ann;ben\nBoreal,EE,\nCirrus,SG,\n", encoding="utf-8")
    page.locator("input[name=csv]").set_input_files(str(good_csv))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("h1")).to_have_text("3 teams imported")
    imported = {}
    for row in page.locator("#imported tbody tr").all():
        cells = row.locator("td")
        imported[cells.nth(0).inner_text()] = {
            "country": cells.nth(1).inner_text(), "join_code": cells.nth(2).inner_text().strip(),
            "members": {m.split(":")[0].strip(): m.split(":", 1)[1].strip()
                        for m in cells.nth(3).locator("div").all_inner_texts()},
        }
    assert sorted(imported) == ["Aurora", "Boreal", "Cirrus"]
    assert {t["country"] for t in imported.values()} == {"Kazakhstan", "Estonia", "Singapore"}
    assert all(len(t["join_code"]) >= 8 for t in imported.values()), imported
    assert set(imported["Aurora"]["members"]) == {"ann", "ben"}
    assert all(len(p) >= 8 for p in imported["Aurora"]["members"].values())
    assert imported["Boreal"]["members"] == {}

    page.get_by_role("link", name="Back to teams").click()
    expect(page.locator("#teams tbody tr[data-team]")).to_have_count(3)
    for name, team in imported.items():
        expect(page.locator("#teams tbody tr", has_text=name)).to_contain_text(team["join_code"])
    page.locator("input[name=name]").fill("aurora")  # same name, other case
    page.locator("select[name=country]").select_option("KZ")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(flash_error(page)).to_contain_text("already exists")
    expect(page.locator("#teams tbody tr[data-team]")).to_have_count(3)

    # --- 4. packs: a broken zip is reported line by line; the demo pack is checked then applied -
    nav(page, "Packs")
    expect(page.locator("main")).to_contain_text("No pack loaded yet.")
    page.locator("input[name=pack]").set_input_files(str(broken_pack_zip(tmp_path / "broken-pack.zip")))
    page.get_by_role("button", name="Check pack").first.click()
    expect(page.locator("h1")).to_have_text("The pack has 1 problem")
    expect(page.locator("main")).to_contain_text("Nothing was loaded.")
    problems = page.locator("#problems li").all_inner_texts()
    assert problems == ["web/one/challenge.yml:8: the file 'files/missing.txt' was not found in the pack"], problems
    warnings = page.locator("#warnings li").all_inner_texts()
    assert warnings == ["web/one/challenge.yml:3: unknown field 'descripton' (did you mean 'description'?); ignored"]
    for problem in problems + warnings:
        assert re.match(r"^[\w./-]+\.yml:\d+: .+", problem), problem
    page.screenshot(path=str(shots / "console-packs-report.png"))
    page.get_by_role("link", name="Back to packs").click()
    expect(page.locator("main")).to_contain_text("No pack loaded yet.")

    page.locator("input[name=pack]").set_input_files(str(zip_folder(DEMO, tmp_path / "drill-demo.zip")))
    page.get_by_role("button", name="Check pack").first.click()
    expect(page.locator("h1")).to_have_text("Pack drill-demo is valid")
    expect(page.locator("main h2", has_text="Added")).to_have_text("Added: 13")
    assert sorted(page.locator("#added li").all_inner_texts()) == demo_names()
    expect(page.locator("#changed li")).to_have_count(0)
    expect(page.locator("#removed li")).to_have_count(0)
    peek = page.context.new_page()  # a dry run writes nothing
    peek.goto(base + "/console/challenges")
    expect(peek.locator("#challenges tbody")).to_contain_text("No challenges. Load a pack first.")
    peek.close()
    page.locator("#apply").click()
    expect(flash_ok(page)).to_contain_text("Pack drill-demo loaded: 13 added, 0 changed, 0 removed.")
    loaded = page.locator("main table").first
    expect(loaded).to_contain_text("drill-demo")
    expect(loaded).to_contain_text("Exercise AMBER CORRIDOR")

    # --- 5. schedule an inject (in the past relative to the start: it opens with the drill) ----
    nav(page, "Challenges & injects")
    expect(page.locator("#challenges tbody tr[data-challenge]")).to_have_count(13)
    release = datetime.now(timezone.utc) - timedelta(minutes=5)
    row = page.locator("#challenges tbody tr", has=page.get_by_role("link", name=SPOOFED, exact=True))
    row.locator("input[name=release_at]").fill(local_input(release, HOME))
    row.get_by_role("button", name="Save").click()
    expect(flash_ok(page)).to_contain_text(f"Release time saved: {SPOOFED} opens at {shown_utc(release)}.")
    scheduled = page.locator("ol.schedule li", has_text=SPOOFED)
    expect(scheduled.locator(shown_time(release))).to_have_count(1)
    expect(scheduled.locator(".badge")).to_have_text("scheduled")
    expect(page.locator("#challenges tbody tr", has=page.get_by_role("link", name=SPOOFED, exact=True))
           .locator("input[name=release_at]")).to_have_value(local_input(release, HOME))

    # --- 6. start now ----------------------------------------------------------------------------
    nav(page, "Clock")
    confirm(page, "start", "Start the drill now?")
    expect(flash_ok(page)).to_contain_text("Drill started: teams can see the challenges and answer now.")
    expect(page.locator("#phase")).to_have_text("running")
    nav(page, "Challenges & injects")
    expect(page.locator("ol.schedule li", has_text=SPOOFED).locator(".badge")).to_have_text("open")
    page.screenshot(path=str(shots / "console-challenges.png"))

    # --- 7. an observer watches /board; a public announcement appears without reload ------------
    observer_context = browser.new_context(viewport=VIEWPORT)
    contexts.append(observer_context)
    board = observer_context.new_page()
    board.goto(base + "/board")
    expect(board.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
    board.evaluate("window.__sameDocument = true")
    expect(board.locator("#standings tbody tr[data-team]")).to_have_count(3)
    expect(board.locator("#frozen-banner")).to_be_hidden()

    nav(page, "Announcements")
    page.locator("input[name=title]").fill("Lunch at noon in hall B")
    page.locator("textarea[name=body]").fill("Bring your **badge**.")
    page.get_by_role("button", name="Send now").click()
    expect(flash_ok(page)).to_contain_text("Announcement sent: “Lunch at noon in hall B” is on the board")
    expect(board.locator("#announcements")).to_contain_text("Lunch at noon in hall B", timeout=3000)
    expect(board.locator("#announcements strong", has_text="badge")).to_have_count(1)

    # --- 8. a member joins with a join code and solves one challenge -----------------------------
    member_context = browser.new_context(viewport=VIEWPORT)
    contexts.append(member_context)
    member = member_context.new_page()
    member.goto(base + "/join")
    member.locator("input[name=join_code]").fill(imported["Aurora"]["join_code"])
    member.locator("input[name=name]").fill("carol")
    member.locator("input[name=password]").fill(MEMBER_PASSWORD)
    member.locator("input[name=confirm]").fill(MEMBER_PASSWORD)
    member.locator("main form button[type=submit]").click()
    expect(member).to_have_url(base + "/challenges")
    expect(member.locator("p.flash.ok")).to_contain_text("Welcome to Aurora")
    expect(member.get_by_role("link", name=SPOOFED, exact=True)).to_be_visible()  # the inject is open

    answer(member, base, WEB_INTRUSION, WEB_INTRUSION_WRONG, "Incorrect.")
    answer(member, base, WEB_INTRUSION, WEB_INTRUSION_ANSWER, "Correct!")
    first_score = 100 + FIRST_BLOOD_BONUS
    expect(board_score(board, "Aurora")).to_have_text(str(first_score), timeout=3000)
    expect(board.locator("#feed")).to_contain_text(WEB_INTRUSION)
    expect(board.locator("#grid tbody tr", has=board.locator("th", has_text=re.compile("^Aurora$")))
           .locator("td.cell.blood")).to_have_count(1)

    # a member is not an organizer
    response = member.goto(base + "/console/")
    assert response is not None and response.status == 403
    assert requests.get(base + "/console/results.json", allow_redirects=False, timeout=5).status_code == 302

    # --- 9. points: +50 with a reason; an empty reason is refused ------------------------------
    page.goto(base + "/console/awards")
    page.locator("select[name=team_id]").select_option(label="Aurora")
    page.locator("input[name=value]").fill("50")
    page.locator("input[name=reason]").fill("Incident report: clear timeline")
    page.get_by_role("button", name="Record").click()
    expect(flash_ok(page)).to_contain_text("Points recorded: +50 for Aurora (Incident report: clear timeline).")
    expect(page.locator("#awards tbody tr").first).to_contain_text("+50")
    award_score = first_score + 50
    expect(board_score(board, "Aurora")).to_have_text(str(award_score), timeout=3000)

    page.locator("select[name=team_id]").select_option(label="Boreal")
    page.locator("input[name=value]").fill("50")
    page.locator("input[name=reason]").fill("")
    page.get_by_role("button", name="Record").click()  # the browser itself keeps an empty required field
    assert page.locator("input[name=reason]").evaluate("e => !e.validity.valid")
    page.locator("input[name=reason]").fill("   ")  # blank but not empty: the server must refuse it
    page.get_by_role("button", name="Record").click()
    expect(flash_error(page)).to_contain_text("a reason is required")
    expect(page.locator("#awards tbody tr")).to_have_count(1)
    expect(board_score(board, "Boreal")).to_have_text("0")

    # --- 10. freeze; a solve during the freeze stays hidden until the end reveals it -------------
    nav(page, "Clock")
    confirm(page, "freeze", "Freeze the public board now?")
    expect(flash_ok(page)).to_contain_text("Board frozen: solves from now on stay hidden")
    expect(page.locator("main .big")).to_contain_text("frozen")
    expect(board.locator("#frozen-banner")).to_be_visible(timeout=3000)

    answer(member, base, SPOOFED, SPOOFED_ANSWER, "Correct!")
    frozen_solve_points = 150 + FIRST_BLOOD_BONUS
    time.sleep(2)  # give a wrong live update every chance to arrive
    expect(board_score(board, "Aurora")).to_have_text(str(award_score))
    expect(board.locator("#feed")).not_to_contain_text(SPOOFED)
    public = api_scoreboard(base)
    assert public["frozen"] is True
    assert dict((t, s) for t, s, _ in standings_of(public["standings"]))["Aurora"] == award_score

    confirm(page, "end", "End the drill now?")
    expect(flash_ok(page)).to_contain_text("Drill ended: answers are closed and the board shows the final standings.")
    expect(page.locator("#phase")).to_have_text("ended")
    final_score = award_score + frozen_solve_points
    expect(board_score(board, "Aurora")).to_have_text(str(final_score), timeout=5000)
    expect(board.locator("#frozen-banner")).to_be_hidden(timeout=5000)
    aurora_grid = board.locator("#grid tbody tr", has=board.locator("th", has_text=re.compile("^Aurora$")))
    expect(aurora_grid.locator("td.cell.blood")).to_have_count(2, timeout=5000)  # both solves, first bloods
    # (the solve feed does not get the frozen-period solve: see test_feed_reveals_frozen_solves)
    assert board.evaluate("window.__sameDocument === true"), "the observer's board reloaded"

    # --- 11. results: CSV and JSON downloads equal the public board and the CLI export ----------
    nav(page, "Results")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    expect(page.locator("#results tbody tr").first).to_contain_text("Aurora")
    page.screenshot(path=str(shots / "console-results.png"))
    with page.expect_download() as info:
        page.locator("a.button", has_text=re.compile("^CSV$")).click()
    assert info.value.suggested_filename == "results.csv"
    from_csv = standings_of(list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8")))))
    with page.expect_download() as info:
        page.locator("a.button", has_text=re.compile("^JSON$")).click()
    assert info.value.suggested_filename == "results.json"
    from_json = standings_of(json.loads(Path(info.value.path()).read_text(encoding="utf-8"))["standings"])

    public = api_scoreboard(base)
    assert public["frozen"] is False
    from_api = standings_of(public["standings"])
    from_cli = standings_of(json.loads(srv.cli("export", "--format", "json").stdout)["standings"])
    assert from_csv == from_json == from_api == from_cli, (from_csv, from_json, from_api, from_cli)
    assert from_api[0] == ("Aurora", final_score, 1)
    assert sorted(t for t, _, _ in from_api) == ["Aurora", "Boreal", "Cirrus"]

    # --- submissions: the member's attempts, filtered by verdict, and the CSV export ------------
    nav(page, "Submissions")
    rows = page.locator("#submissions tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("h1")).to_contain_text("(3)")
    for text in ("carol", WEB_INTRUSION_WRONG, WEB_INTRUSION_ANSWER, SPOOFED_ANSWER):
        expect(page.locator("#submissions tbody")).to_contain_text(text)
    page.locator("select[name=verdict]").select_option("incorrect")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(WEB_INTRUSION_WRONG)
    expect(rows.first).to_contain_text("incorrect")
    page.locator("select[name=verdict]").select_option("correct")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(2)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    assert info.value.suggested_filename == "submissions.csv"
    exported = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert sorted(r["answer"] for r in exported) == sorted([WEB_INTRUSION_ANSWER, SPOOFED_ANSWER])
    assert {r["team"] for r in exported} == {"Aurora"} and {r["user"] for r in exported} == {"carol"}
    assert all(r["verdict"] == "correct" for r in exported)

    # --- the per-challenge page: first blood and the common wrong answers -----------------------
    nav(page, "Challenges & injects")
    page.get_by_role("link", name=WEB_INTRUSION, exact=True).click()
    expect(page.locator("h1")).to_contain_text(WEB_INTRUSION)
    expect(page.locator("main")).to_contain_text("First blood: Aurora")
    wrong = page.locator("table", has=page.locator("th", has_text="Answer")).locator("tbody tr")
    expect(wrong).to_have_count(1)
    expect(wrong.first).to_contain_text(WEB_INTRUSION_WRONG)

    # --- 12. the audit log holds every action above, once each, and every solve -------------------
    nav(page, "Audit log")
    actions = Counter(page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts())
    expected = {"clock.set": 1, "team.create": 3, "pack.load": 1, "challenge.schedule": 1, "clock.start": 1,
                "announce": 2, "award": 1, "clock.freeze": 1, "clock.end": 1, "solve": 2,
                "phase.open": 1}  # the demo's first phase (STARTEX) opens with the start, announced as its inject
    assert {k: actions.get(k, 0) for k in expected} == expected, actions
    assert set(actions) == set(expected), f"unexpected audit actions: {actions}"
    expect(page.locator("#audit tbody tr", has_text="award")).to_contain_text("Incident report: clear timeline")
    expect(page.locator("#audit tbody tr", has_text="pack.load")).to_contain_text("chief")


# --- bugs found while driving the drill --------------------------------------------------------


def _snapshot_of_board(base: str) -> dict[str, Any]:
    html = requests.get(base + "/board", timeout=5).text
    return json.loads(re.search(r'<script type="application/json" id="snapshot">(.*?)</script>', html, re.S).group(1))


def test_feed_reveals_frozen_solves(server: Any) -> None:
    _, headers = server.team_token("Team Reveal", "KZ")
    ids = {c["name"]: c["id"] for c in requests.get(server.base_url + "/api/v1/challenges", headers=headers,
                                                     timeout=5).json()["challenges"]}
    server.cli("clock", "freeze")
    reply = requests.post(f"{server.base_url}/api/v1/challenges/{ids[WEB_INTRUSION]}/attempts", headers=headers,
                          json={"answer": WEB_INTRUSION_ANSWER}, timeout=5)
    assert reply.json()["result"] == "correct"
    assert _snapshot_of_board(server.base_url)["recent_solves"] == []  # frozen: hidden, as designed
    server.cli("clock", "end")
    # A CLI change reaches the running server on its next clock tick (about a second).
    deadline = time.monotonic() + 5
    while (snapshot := _snapshot_of_board(server.base_url))["frozen"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert snapshot["frozen"] is False
    assert [r["score"] for r in snapshot["standings"] if r["team"] == "Team Reveal"] == [100 + FIRST_BLOOD_BONUS]
    # The reveal shows the score; the feed should show the solve that made it.
    assert [(s["team"], s["challenge"]) for s in snapshot["recent_solves"]] == [("Team Reveal", WEB_INTRUSION)]


@pytest.mark.browser
def test_board_open_before_start_gets_the_challenges(server_factory: Any, page: Page, browser: Browser) -> None:
    srv = server_factory(env={"DRILLBOARD_DEMO": "0"})
    chief = json.loads(srv.cli("create-admin", "chief").stdout)
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    srv.cli("clock", "set", "--starts-at", later)
    srv.cli("load-pack", str(DEMO))
    _, headers = srv.team_token("Aurora", "KZ")
    srv.start()
    base = srv.base_url

    observer = browser.new_context()
    try:
        board = observer.new_page()
        board.goto(base + "/board")
        expect(board.locator("#conn")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
        expect(board.locator("#grid thead th.vertical")).to_have_count(0)  # nothing is open before the start

        browser_login(page, base, "chief", chief["password"])
        confirm(page, "start", "Start the drill now?")
        expect(page.locator("#phase")).to_have_text("running")
        expect(board.locator("#clock-phase")).to_have_text("running", timeout=3000)

        ids = {c["name"]: c["id"] for c in requests.get(base + "/api/v1/challenges", headers=headers,
                                                         timeout=5).json()["challenges"]}
        reply = requests.post(f"{base}/api/v1/challenges/{ids[WEB_INTRUSION]}/attempts", headers=headers,
                              json={"answer": WEB_INTRUSION_ANSWER}, timeout=5)
        assert reply.json()["result"] == "correct"
        expect(board_score(board, "Aurora")).to_have_text(str(100 + FIRST_BLOOD_BONUS), timeout=3000)
        # Every challenge open at the start (all but the 30-minute inject) has a grid column, and the solve shows;
        # the one behind a prerequisite (Webshell Location) is on the board but not in a team's list (as CTFd).
        expect(board.locator("#grid thead th.vertical")).to_have_count(len(ids) + 1, timeout=3000)
        expect(board.locator("#grid td.cell.blood")).to_have_count(1, timeout=3000)
    finally:
        observer.close()
