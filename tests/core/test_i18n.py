"""Russian and Chinese: complete catalogs, the language choice, country names, the drill's home
zone, pack translations and look-alike names (the browser side is tests/live/test_i18n_browser.py)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po
from helpers import load_pack

from scoreboard import packs
from scoreboard.core.errors import Refused
from scoreboard.drill import accounts, organizer
from scoreboard.store.models import Drill

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "scoreboard" / "translations"
DEMO = ROOT / "challenges" / "drill-demo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sr]|\{\w+\}")
CHALLENGE = """\
name: Beacon
category: Network
value: 100
flags: ["DRILL{beacon}"]
hints:
  - {title: Free, content: free words, cost: 0}
  - {title: Paid, content: paid words, cost: 10}
translations:
  ru:
    name: Маяк
    category: Сети
    description: Найдите **маяк**.
    hints: [{title: Бесплатно, content: открытые слова}, {title: Платно, content: тайные слова}]
"""


# --- catalogs -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[Any, Any]:
    """Every interface string in the code now, extracted as `make messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-o", str(pot), "."], cwd=ROOT, check=True)
    with pot.open("rb") as handle:
        return {message.id: message for message in read_po(handle) if message.id}


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_catalog_translates_every_string_and_nothing_stale(extracted: dict[Any, Any], lang: str) -> None:
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    entries = {message.id: message for message in catalog if message.id}
    missing = [m for m in extracted if m not in entries]
    stale = [m for m in entries if m not in extracted] + [m.id for m in catalog.obsolete.values()]
    fuzzy = [m for m, message in entries.items() if message.fuzzy]
    empty = [m for m, message in entries.items()
             if not all(message.string if isinstance(message.string, tuple) else [message.string])]
    assert not missing, f"{lang}: run `make messages` and translate: {missing}"
    assert not stale, f"{lang}: strings no longer in the code (run `make messages`): {stale}"
    assert not fuzzy, f"{lang}: fuzzy (unchecked) translations: {fuzzy}"
    assert not empty, f"{lang}: untranslated: {empty}"
    for message in entries.values():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, f"{lang}: {ids[0]!r} -> {text!r} changes the placeholders"


# --- the language: picker, Accept-Language, English ----------------------------------------


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def test_accept_language_picks_the_language(client: Any) -> None:
    assert html_lang(client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).text) == "ru"
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert html_lang(page) == "zh-Hans" and "加入您的队伍" in page
    assert html_lang(client.get("/", headers={"Accept-Language": "kk-KZ,fr;q=0.8"}).text) == "en"
    assert html_lang(client.get("/").text) == "en"


def test_picker_choice_is_remembered_over_accept_language(client: Any) -> None:
    reply = client.get("/lang/zh", headers={"Referer": "http://localhost/board"})
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/board")
    page = client.get("/board", headers={"Accept-Language": "ru"}).text
    assert html_lang(page) == "zh-Hans" and "实时计分板" in page
    # The picker is plain links (no JavaScript) and marks the language in use, each named in itself.
    current = re.search(r'<a [^>]*aria-current="true"[^>]*>([^<]+)</a>', page).group(1)
    assert current == "中文" and 'href="/lang/ru"' in page and ">Русский<" in page
    client.get("/lang/xx")
    assert html_lang(client.get("/").text) == "zh-Hans", "an unknown language changes nothing"


def _translation(lang: str, message: str) -> str:
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)[message].string


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_api_errors_speak_the_callers_language(services: Any, client: Any, make_pack: Any, lang: str) -> None:
    """An API client gets its Accept-Language: refusals from the domain (with their values filled
    in) and from the edge alike, as one readable sentence in {"error": ...}."""
    load_pack(services, make_pack({"one": yaml.safe_load(CHALLENGE)}))
    with services.database.session() as session:
        team = organizer.create_team(session, "Polyglots", "KZ", "test")
        headers = {"Authorization": f"Bearer {accounts.new_token(session, team=team)}", "Accept-Language": lang}
    cid = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"][0]["id"]
    cases = [
        (client.post(f"/api/v1/challenges/{cid}/attempts", json={}, headers=headers), 400, "missing 'answer'", {}),
        (client.post(f"/api/v1/challenges/{cid}/attempts", json={"answer": "x" * 1001}, headers=headers), 400,
         "'answer' is longer than %(max)s characters", {"max": 1000}),
        (client.get("/api/v1/challenges/2147483647", headers=headers), 404, "no such challenge", {}),
        (client.get("/api/v1/challenges", headers={"Accept-Language": lang}), 401,
         "log in or send 'Authorization: Bearer <token>'", {}),
    ]
    for reply, status, message, params in cases:
        translated = _translation(lang, message)
        assert translated and translated != message
        assert reply.status_code == status and reply.get_json() == {"error": translated % params if params else translated}


# --- countries and times ------------------------------------------------------------------------


def test_country_names_follow_the_viewer(services: Any, client: Any) -> None:
    with services.database.session() as session:
        organizer.create_team(session, "Ала-Тоо", "KG", "test")
    assert 'alt="Киргизия"' in client.get("/board", headers={"Accept-Language": "ru"}).text
    assert 'alt="吉尔吉斯斯坦"' in client.get("/board", headers={"Accept-Language": "zh"}).text
    assert 'alt="Kyrgyzstan"' in client.get("/board").text
    assert ">Ала-Тоо<" in client.get("/board", headers={"Accept-Language": "zh"}).text, "team names stay as written"


def test_pack_timezone_is_the_drill_home_zone(services: Any, client: Any, make_pack: Any) -> None:
    folder = make_pack({"web/one": yaml.safe_load(CHALLENGE)}, pack={"id": "zoned", "title": "Zoned",
                                                                      "timezone": "Asia/Almaty"})
    load_pack(services, folder)
    with services.database.session() as session:
        assert session.get(Drill, 1).home_timezone == "Asia/Almaty"
    board = client.get("/board", headers={"Accept-Language": "ru"}).text
    assert 'data-zone="Asia/Almaty"' in board and "Алматы" in board
    assert "阿拉木图" in client.get("/board", headers={"Accept-Language": "zh"}).text


@pytest.mark.parametrize("zone", ["Almaty", "Asia/Almatty", "Mars/Olympus"])
def test_bad_pack_timezone_is_a_file_line_problem(make_pack: Any, zone: str) -> None:
    folder = make_pack({"web/one": {"name": "One", "value": 1, "flags": ["x"]}},
                       pack={"id": "p", "title": "P", "timezone": zone})
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(folder)
    assert any(re.match(r"pack\.yml:\d+: 'timezone': .*IANA time zone", p) for p in info.value.problems), \
        info.value.problems
    if zone == "Asia/Almatty":
        assert "did you mean 'Asia/Almaty'?" in info.value.problems[0]


# --- pack translations --------------------------------------------------------------------------


def member_client(app: Any, services: Any, lang: str) -> Any:
    with services.database.session() as session:
        team = organizer.create_team(session, f"Team {lang}", "KZ", "test")
        accounts.create_member(session, team, f"member-{lang}", "password-123")
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"name": f"member-{lang}", "password": "password-123"})
    client.get(f"/lang/{lang}")
    return client


def test_challenge_text_hints_and_category_in_the_viewers_language(app: Any, services: Any, make_pack: Any) -> None:
    folder = make_pack({"net/beacon": yaml.safe_load(CHALLENGE)},
                       pack={"id": "tr", "title": "Drill", "translations": {"ru": {"title": "Учения"}}})
    load_pack(services, folder)
    client = member_client(app, services, "ru")
    listing = client.get("/challenges").text
    assert ">Сети</h2>" in listing and ">Маяк</a>" in listing
    page = client.get("/challenges/1").text
    assert "<h1>Маяк</h1>" in page and "<strong>маяк</strong>" in page and "открытые слова" in page
    assert "Бесплатно" in page and "Платно" in page
    assert "тайные слова" not in page and "paid words" not in page, "a translation never opens a locked hint"
    assert "Учения" in client.get("/board").text, "the pack title names the drill in the viewer's language"
    english = member_client(app, services, "en").get("/challenges/1").text
    assert "<h1>Beacon</h1>" in english and "free words" in english


@pytest.mark.parametrize("translations, words", [
    ({"de": {"name": "Leuchtfeuer"}}, ["language", "de"]),
    ({"ru": {"title": "x"}}, ["only", "title"]),
    ({"ru": {"hints": ["a", "b", "c"]}}, ["more hints", "translated: 3", "hints: 2"]),
    ({"ru": {"hints": [{"cost": 5}]}}, ["hints[0]"]),
    ({"ru": {"name": 5}}, ["name", "text"]),
])
def test_bad_challenge_translations_are_file_line_problems(make_pack: Any, translations: dict, words: list) -> None:
    data = {**yaml.safe_load(CHALLENGE), "translations": translations}
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(make_pack({"net/beacon": data}))
    assert any(re.match(r"net/beacon/challenge\.yml:\d+: ", p) and all(w in p for w in words)
               for p in info.value.problems), info.value.problems


def test_bad_pack_translations_are_file_line_problems(make_pack: Any) -> None:
    folder = make_pack({"net/beacon": yaml.safe_load(CHALLENGE)},
                       pack={"id": "tr", "title": "T", "translations": {"ru": {"name": "x"}}})
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(folder)
    assert any(re.match(r"pack\.yml:\d+: .*'title', 'description'.*'name'", p) for p in info.value.problems)


def test_demo_pack_is_translated_in_full() -> None:
    spec = packs.read_folder(DEMO)
    for lang in ("ru", "zh"):
        assert set(spec.translations[lang]) == {"title", "description", "briefing"}
        assert all({"title", "description"} <= set(phase.translations[lang]) for phase in spec.phases), lang
        for challenge in spec.challenges:
            version = challenge.translations.get(lang, {})
            assert {"name", "category", "description"} <= set(version), (lang, challenge.name)
            assert len(version.get("hints", [])) == len(challenge.hints), (lang, challenge.name)
            for code in re.findall(r"`[^`]+`", challenge.description):
                assert code in version["description"], (lang, challenge.name, code)


# --- names in any script; look-alikes refused ----------------------------------------------------


@pytest.mark.parametrize("existing, lookalike", [
    ("Team Kazakhstan", "Team Kаzаkhstаn"),   # Cyrillic а
    ("Omega Squad", "Οmega Squad"),           # Greek capital omicron
    ("КОМАНДА", "KOMAHДA"),                   # Latin K, O, M, A, H in a Cyrillic word
    ("modern", "rnodern"),                    # rn for m
])
def test_lookalike_team_name_is_refused(services: Any, existing: str, lookalike: str) -> None:
    with services.database.session() as session:
        organizer.create_team(session, existing, "KZ", "test")
    with pytest.raises(Refused, match="looks the same as the existing team"), services.database.session() as session:
        organizer.create_team(session, lookalike, "KZ", "test")


def test_names_in_any_script_are_kept_nfc(services: Any) -> None:
    with services.database.session() as session:
        for name in ("中国队", "Команда Казахстана", "Café\u0301", "Tojikiston"):
            organizer.create_team(session, name, "TJ", "test")
        team = organizer.create_team(session, "Zoe\u0308", "TJ", "test")
        assert team.name == "Zoë" and len(team.name) == 3


def test_lookalike_member_name_is_refused_at_join(app: Any, services: Any) -> None:
    with services.database.session() as session:
        team = organizer.create_team(session, "Joiners", "KZ", "test")
        accounts.create_member(session, team, "ivan.petrov", "password-123")
        code = team.join_code
    app.config["WTF_CSRF_ENABLED"] = False
    reply = app.test_client().post("/join", data={"join_code": code, "name": "іvan.petrov",  # Ukrainian і
                                                  "password": "password-123", "confirm": "password-123"})
    assert reply.status_code == 400 and "looks the same as the existing user" in reply.text
