"""Pack loading: every validation problem as file:line, all-or-nothing, reloads in place, zips."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import load_pack as load
from sqlalchemy import func, select

from scoreboard import packs
from scoreboard.core import answers, checking
from scoreboard.store.models import Challenge, Pack, PackLoad, Solve, Submission

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "challenges" / "drill-demo"

GOOD = """\
name: Good One
category: Web
value: 100
flags:
  - DRILL{good}
"""


# --- helpers ------------------------------------------------------------------------------


def problems_of(path: Path) -> list[str]:
    with pytest.raises(packs.PackError) as info:
        with packs.opened(path) as root:
            packs.read_folder(root)
    return info.value.problems


def problems_for(make_pack: Any, files: dict[str, str]) -> list[str]:
    return problems_of(make_pack({}, files=files))


def report_for(make_pack: Any, files: dict[str, str]) -> tuple[list[str], list[str]]:
    """(problems, warnings) of a pack, whether or not it loads."""
    try:
        spec = packs.read_folder(make_pack({}, files=files))
    except packs.PackError as err:
        return err.problems, err.warnings
    return [], spec.warnings


def has(problems: list[str], prefix: str, *words: str) -> bool:
    """Some problem starts with exactly ``prefix`` (file:line:) and mentions every word."""
    return any(p.startswith(prefix + " ") and all(w.lower() in p.lower() for w in words) for p in problems)


def counts(services: Any) -> dict[str, int]:
    with services.database.session() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (Pack, Challenge, PackLoad, Submission, Solve)}


def files_on_disk(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def cli(instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DRILLBOARD_INSTANCE": str(instance), "DRILLBOARD_SECRET_KEY": "packs-test"}
    env.pop("DRILLBOARD_DATABASE_URL", None)
    env.pop("DRILLBOARD_REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def load_into_instance(instance: Path, folder: Path) -> None:
    """A first load straight through packs.load, on the instance the CLI will then use."""
    from scoreboard import create_app
    from scoreboard.store.config import Settings

    application = create_app(Settings(instance=instance, secret_key="packs-test"))
    services = application.extensions["drillboard"]
    try:
        load(services, folder)
    finally:
        services.live.stop()
        services.database.engine.dispose()


def db_rows(instance: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(instance / "drillboard.db") as conn:
        return conn.execute(sql).fetchall()


# --- every problem as file:line -----------------------------------------------------------


def test_unknown_field_is_a_warning_with_did_you_mean(make_pack: Any) -> None:
    problems, warnings = report_for(make_pack, {"web/one/challenge.yml": (
        "name: One\n"
        "category: Web\n"
        "valeu: 100\n"
        "flags: ['DRILL{x}']\n"
        "catgory: Web\n")})
    assert has(warnings, "web/one/challenge.yml:3:", "unknown field 'valeu'", "did you mean 'value'")
    assert has(warnings, "web/one/challenge.yml:5:", "unknown field 'catgory'", "did you mean 'category'")
    assert problems == ["web/one/challenge.yml:1: missing 'value' (the points for solving)"]


def test_wrong_type(make_pack: Any) -> None:
    found = problems_for(make_pack, {"one/challenge.yml": (
        "name: One\n"
        "value: 100\n"
        "flags: ['DRILL{x}']\n"
        "attempts: many\n"
        "tags: web\n")})
    assert has(found, "one/challenge.yml:4:", "attempts", "whole number")
    assert has(found, "one/challenge.yml:5:", "tags", "list")
    found = problems_for(make_pack, {"one/challenge.yml": "name: One\nflags: ['DRILL{x}']\nvalue: lots\n"})
    assert has(found, "one/challenge.yml:3:", "value", "whole number")


def test_missing_flags_is_a_warning_and_strict_refuses_it(make_pack: Any) -> None:
    folder = make_pack({}, files={"one/challenge.yml": "name: One\nvalue: 100\n"})
    spec = packs.read_folder(folder)
    assert [c.name for c in spec.challenges] == ["One"] and spec.challenges[0].answers == []
    assert has(spec.warnings, "one/challenge.yml:1:", "flags")
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(folder, strict=True)
    assert has(info.value.problems, "one/challenge.yml:1:", "flags")


def test_bad_regex(make_pack: Any) -> None:
    found = problems_for(make_pack, {"one/challenge.yml": (
        "name: One\n"
        "value: 100\n"
        "flags:\n"
        "  - DRILL{plain}\n"
        "  - type: regex\n"
        "    content: 'DRILL\\{[a-z'\n")})
    assert has(found, "one/challenge.yml:5:", "regular expression")


def test_regex_longer_than_the_bound_is_refused(make_pack: Any) -> None:
    pattern = "a" * (answers.MAX_PATTERN + 1)
    found = problems_for(make_pack, {"one/challenge.yml": (
        f"name: One\nvalue: 100\nflags:\n  - type: regex\n    content: {pattern}\n")})
    assert has(found, "one/challenge.yml:4:", "regex", str(answers.MAX_PATTERN))


def test_file_not_found(make_pack: Any) -> None:
    found = problems_for(make_pack, {
        "one/challenge.yml": "name: One\nvalue: 100\nflags: ['DRILL{x}']\nfiles:\n  - files/here.txt\n  - files/missing.txt\n",
        "one/files/here.txt": "present",
    })
    assert has(found, "one/challenge.yml:6:", "missing.txt", "not found")
    assert not any("here.txt" in p for p in found)


def test_requirement_naming_no_challenge_is_dropped_with_a_warning(make_pack: Any) -> None:
    folder = make_pack({}, files={
        "a/challenge.yml": GOOD,
        "b/challenge.yml": "name: Two\nvalue: 100\nflags: ['DRILL{y}']\nrequirements:\n  - Good One\n  - Good Onee\n",
    })
    spec = packs.read_folder(folder)
    matching = [w for w in spec.warnings if "Good Onee" in w]
    assert len(matching) == 1 and "did you mean 'Good One'" in matching[0], spec.warnings
    assert matching[0].startswith("b/challenge.yml:4: "), matching
    assert {c.name: c.requirements for c in spec.challenges}["Two"] == ["Good One"]
    with pytest.raises(packs.PackError):
        packs.read_folder(folder, strict=True)


def test_duplicate_name(make_pack: Any) -> None:
    found = problems_for(make_pack, {
        "a/challenge.yml": GOOD,
        "b/challenge.yml": "# the same name again\nname: Good One\nvalue: 50\nflags: ['DRILL{z}']\n",
    })
    assert has(found, "b/challenge.yml:2:", "duplicate", "Good One", "a/challenge.yml")


def test_paths_escaping_the_pack(make_pack: Any, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret outside the pack")
    pack = make_pack({}, files={
        "one/challenge.yml": (
            "name: One\n"
            "value: 100\n"
            "flags: ['DRILL{x}']\n"
            "files:\n"
            "  - ../../outside.txt\n"
            f"  - {outside}\n"
            "  - files/link.txt\n"),
    })
    (pack / "one" / "files").mkdir()
    (pack / "one" / "files" / "link.txt").symlink_to(outside)
    found = problems_of(pack)
    assert has(found, "one/challenge.yml:5:", "outside the pack")
    assert has(found, "one/challenge.yml:6:", "outside the pack")
    assert has(found, "one/challenge.yml:7:", "outside the pack")


@pytest.mark.parametrize("value", ["soon", "-5", "90x", "1.5h", "''"])
def test_bad_release_after(make_pack: Any, value: str) -> None:
    found = problems_for(make_pack, {"one/challenge.yml": f"name: One\nvalue: 100\nflags: ['DRILL{{x}}']\nrelease_after: {value}\n"})
    assert has(found, "one/challenge.yml:4:", "release_after")


@pytest.mark.parametrize("value", ["2026-11-25T09:00:00", "2026-11-25", "next tuesday"])
def test_release_at_needs_a_zone(make_pack: Any, value: str) -> None:
    found = problems_for(make_pack, {"one/challenge.yml": f"name: One\nvalue: 100\nflags: ['DRILL{{x}}']\n\nrelease_at: {value}\n"})
    assert has(found, "one/challenge.yml:5:", "release_at")
    if "T" in value:
        assert has(found, "one/challenge.yml:5:", "zone")


def test_bad_pack_yml_fields(make_pack: Any) -> None:
    found, warnings = report_for(make_pack, {
        "pack.yml": "id: demo\ntitle: Demo\nstart_at: 2026-01-01T00:00:00Z\nfirst_blood_bonus: lots\nends_at: 2026-01-01T00:00:00\n",
        "a/challenge.yml": GOOD,
    })
    assert has(warnings, "pack.yml:3:", "unknown field 'start_at'", "did you mean 'starts_at'")
    assert has(found, "pack.yml:4:", "first_blood_bonus")
    assert has(found, "pack.yml:5:", "ends_at", "zone")
    found = problems_for(make_pack, {"pack.yml": "id: Not A Slug!\n", "a/challenge.yml": GOOD})
    assert has(found, "pack.yml:1:", "id")


def test_yaml_syntax_error(make_pack: Any) -> None:
    found = problems_for(make_pack, {"one/challenge.yml": "name: One\nvalue: 100\ncategory: Web: Forensics\nflags: ['DRILL{x}']\n"})
    assert has(found, "one/challenge.yml:3:", "YAML")
    found = problems_for(make_pack, {"pack.yml": "id: demo\ntitle: [unclosed\n", "a/challenge.yml": GOOD})
    assert any(p.startswith("pack.yml:") and "YAML" in p for p in found), found


def test_dynamic_without_extra_needs_only_initial_as_ctfd(make_pack: Any) -> None:
    found = problems_for(make_pack, {"one/challenge.yml": "name: Dyn\n\ntype: dynamic\nflags: ['DRILL{x}']\n"})
    assert has(found, "one/challenge.yml:3:", "extra.initial")
    assert not has(found, "", "extra.decay") and not has(found, "", "extra.minimum")


def test_dynamic_with_partial_extra_points_at_extra(make_pack: Any) -> None:
    found = problems_for(make_pack, {"one/challenge.yml": (
        "name: Dyn\ntype: dynamic\nflags: ['DRILL{x}']\nextra:\n  initial: 500\n  decay: -1\n  minimum: 100\n")})
    assert has(found, "one/challenge.yml:6:", "extra.decay")


def test_several_problems_reported_at_once(make_pack: Any) -> None:
    found, warnings = report_for(make_pack, {
        "pack.yml": "id: many\nbogus: 1\n",
        "a/challenge.yml": "name: A\nvalue: 100\nflags: ['DRILL{a}']\nvaleu: 3\n",
        "b/challenge.yml": "name: B\nvalue: x\nflags:\n  - type: regex\n    content: '('\n",
        "c/challenge.yml": "name: C\nvalue: 100\nflags: ['DRILL{c}']\nrequirements: [Nope]\n",
        "d/challenge.yml": "name: D\nvalue: 10\n",
    })
    assert has(warnings, "pack.yml:2:", "bogus")
    assert has(warnings, "a/challenge.yml:4:", "valeu")
    assert has(found, "b/challenge.yml:2:", "value")
    assert has(found, "b/challenge.yml:4:", "regular expression")
    assert has(warnings, "c/challenge.yml:4:", "Nope")
    assert has(warnings, "d/challenge.yml:1:", "flags")
    assert all(re.match(r"^[^:]+:\d+: \S", p) for p in found + warnings), found + warnings


def test_empty_challenge_file_is_a_problem(make_pack: Any) -> None:
    found = problems_for(make_pack, {"a/challenge.yml": GOOD, "b/challenge.yml": "# to do\n"})
    assert any(p.startswith("b/challenge.yml:") for p in found)


def test_duplicate_key_is_a_problem(make_pack: Any) -> None:
    found = problems_for(make_pack, {"a/challenge.yml": (
        "name: A\nvalue: 100\nflags: ['DRILL{first}']\ncategory: Web\nflags: ['DRILL{second}']\n")})
    assert has(found, "a/challenge.yml:5:", "flags")


def test_cli_prints_every_problem_and_changes_nothing(make_pack: Any, tmp_path: Path) -> None:
    good = make_pack({}, files={"a/challenge.yml": GOOD}, name="shared")
    instance = tmp_path / "cli-instance"
    load_into_instance(instance, good)
    before = db_rows(instance, "select name, value, removed from challenge order by id")
    loads = db_rows(instance, "select count(*) from pack_load")
    # the same pack id, now with a changed value and two problems
    (good / "a" / "challenge.yml").write_text(GOOD.replace("value: 100", "value: 999") + "valeu: 1\n")
    (good / "b").mkdir()
    (good / "b" / "challenge.yml").write_text("name: B\nvalue: 10\nflags:\n  - type: ip\n    content: not-an-ip\n")
    result = cli(instance, "load-pack", str(good))
    assert result.returncode != 0
    assert "a/challenge.yml:6: unknown field 'valeu'" in result.stderr
    assert re.search(r"^b/challenge\.yml:4: .*not-an-ip", result.stderr, re.M), result.stderr
    assert db_rows(instance, "select name, value, removed from challenge order by id") == before
    assert db_rows(instance, "select count(*) from pack_load") == loads


def test_broken_pack_writes_nothing_in_process(services: Any, make_pack: Any) -> None:
    broken = make_pack({}, files={
        "a/challenge.yml": GOOD + "files: [files/a.txt]\n", "a/files/a.txt": "data",
        "b/challenge.yml": "name: B\nvalue: ten\nflags: [x]\n",
    })
    before = counts(services)
    with pytest.raises(packs.PackError):
        load(services, broken)
    assert counts(services) == before
    assert files_on_disk(services.settings.files_dir) == []


# --- dry run and reloads --------------------------------------------------------------------


def v1_pack() -> dict[str, str]:
    return {
        "pack.yml": "id: reload\ntitle: Reload\n",
        "a/challenge.yml": "name: Alpha\nvalue: 100\nflags: ['DRILL{alpha}']\n",
        "b/challenge.yml": "name: Bravo\nvalue: 100\nflags: ['DRILL{bravo-1}']\n",
        "c/challenge.yml": "name: Charlie\nvalue: 100\nflags: ['DRILL{charlie}']\n",
        "e/challenge.yml": "name: Echo\nvalue: 50\nflags: ['DRILL{echo}']\n",
    }


def v2_pack() -> dict[str, str]:
    return {
        "pack.yml": "id: reload\ntitle: Reload\n",
        "a/challenge.yml": "name: Alpha\nvalue: 300\nflags: ['DRILL{alpha}']\n",       # value changed
        "b/challenge.yml": "name: Bravo\nvalue: 100\nflags: ['DRILL{bravo-2}']\n",     # flag changed
        "d/challenge.yml": "name: Delta\nvalue: 70\nflags: ['DRILL{delta}']\n",        # added; Charlie removed
        "e/challenge.yml": "name: Echo\nvalue: 50\nflags: ['DRILL{echo}']\n",          # unchanged
    }


def test_dry_run_prints_diff_and_writes_nothing(make_pack: Any, tmp_path: Path) -> None:
    instance = tmp_path / "dry-instance"
    folder = make_pack({}, files=v1_pack(), name="reload")
    load_into_instance(instance, folder)
    before = db_rows(instance, "select id, name, value, removed from challenge order by id")
    answers = db_rows(instance, "select challenge_id, content from answer order by id")
    loads = db_rows(instance, "select count(*) from pack_load")
    for rel, text in v2_pack().items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    (folder / "c" / "challenge.yml").unlink()
    result = cli(instance, "load-pack", str(folder), "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^\s*\+ Delta$", out, re.M), out
    assert re.search(r"^\s*~ Alpha$", out, re.M) and re.search(r"^\s*~ Bravo$", out, re.M), out
    assert re.search(r"^\s*- Charlie$", out, re.M), out
    assert not re.search(r"^\s*[+~-] Echo$", out, re.M), out
    assert db_rows(instance, "select id, name, value, removed from challenge order by id") == before
    assert db_rows(instance, "select challenge_id, content from answer order by id") == answers
    assert db_rows(instance, "select count(*) from pack_load") == loads


def test_dry_run_in_process_on_empty_db(services: Any, make_pack: Any) -> None:
    diff = load(services, make_pack({}, files=v1_pack()), dry_run=True)
    assert sorted(diff.added) == ["Alpha", "Bravo", "Charlie", "Echo"]
    assert counts(services)["Challenge"] == 0 and counts(services)["Pack"] == 0


def test_reload_updates_in_place_and_keeps_submissions(services: Any, client: Any, make_pack: Any) -> None:
    folder = make_pack({}, files=v1_pack(), name="reload")
    load(services, folder)
    team_id, headers = team_with_token(services, "Reloaders")
    ids = {c["name"]: c["id"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}

    def attempt(name: str, answer: str) -> Any:
        return client.post(f"/api/v1/challenges/{ids[name]}/attempts", json={"answer": answer}, headers=headers)

    assert attempt("Alpha", "DRILL{alpha}").get_json()["result"] == "correct"
    assert attempt("Charlie", "DRILL{charlie}").get_json()["result"] == "correct"
    assert attempt("Bravo", "DRILL{nope}").get_json()["result"] == "incorrect"
    before = counts(services)

    for rel, text in v2_pack().items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    (folder / "c" / "challenge.yml").unlink()
    with pytest.raises(packs.Unconfirmed) as refused:   # Charlie has a solve: removing it needs --yes
        load(services, folder)
    assert refused.value.diff.at_risk == [{"name": "Charlie", "solves": 1, "why": "removed"}]
    assert counts(services) == before
    diff = load(services, folder, confirmed=True)
    assert diff.added == ["Delta"] and sorted(diff.changed) == ["Alpha", "Bravo"] and diff.removed == ["Charlie"]
    assert diff.unchanged == ["Echo"]

    after = counts(services)
    assert after["Submission"] == before["Submission"] == 3
    assert after["Solve"] == before["Solve"] == 2          # Charlie's solve is retired with it, not deleted
    listed = {c["name"]: c for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    assert set(listed) == {"Alpha", "Bravo", "Delta", "Echo"}
    assert listed["Alpha"]["id"] == ids["Alpha"] and listed["Bravo"]["id"] == ids["Bravo"]   # in place
    assert listed["Alpha"]["solved"] is True and listed["Alpha"]["value"] == 300
    assert client.get(f"/api/v1/challenges/{ids['Charlie']}", headers=headers).status_code == 404
    # the changed flag: the old one is now wrong, the new one right
    assert attempt("Bravo", "DRILL{bravo-1}").get_json()["result"] == "incorrect"
    assert attempt("Bravo", "DRILL{bravo-2}").get_json()["result"] == "correct"
    # the solve made before the reload still counts, at the new value
    board = client.get("/api/v1/scoreboard").get_json()["standings"]
    mine = next(r for r in board if r["team_id"] == team_id)
    assert mine["score"] >= 300 + 100
    assert attempt("Alpha", "DRILL{alpha}").get_json()["result"] == "already_solved"


def test_reloading_the_same_pack_changes_nothing(services: Any, make_pack: Any) -> None:
    folder = make_pack({}, files=v1_pack())
    load(services, folder)
    diff = load(services, folder)
    assert diff.added == diff.changed == diff.removed == []
    assert sorted(diff.unchanged) == ["Alpha", "Bravo", "Charlie", "Echo"]
    assert counts(services)["Challenge"] == 4


def test_ctfcli_deployment_fields_are_accepted_and_ignored(services: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"svc/challenge.yml": (
        "name: Service\nauthor: someone\ncategory: pwn\ndescription: nc host 1337\nvalue: 100\ntype: standard\n"
        "image: ./docker\nprotocol: tcp\nhost: pwn.example\nhealthcheck: check.py\nmodule: x\nnext: Other\n"
        "connection_info: nc pwn.example 1337\nversion: '0.1'\nflags:\n  - {type: static, content: 'flag{svc}', data: case_insensitive}\n"
        "hints:\n  - free hint\n  - {content: paid hint, cost: 10}\ntags: [pwn]\nstate: visible\n")})
    diff = load(services, folder)
    assert diff.added == ["Service"]
    with services.database.session() as session:
        challenge = session.scalar(select(Challenge).where(Challenge.name == "Service"))
        assert challenge.connection_info == "nc pwn.example 1337"
        assert checking.check(challenge.answers[0].type, challenge.answers[0].content, "FLAG{SVC}", challenge.answers[0].options)


def test_block_scalar_flag_is_answerable(services: Any, make_pack: Any) -> None:
    load(services, make_pack({}, files={"a/challenge.yml": (
        "name: Block\nvalue: 100\nflags:\n  - type: static\n    content: |\n      DRILL{block}\n")}))
    with services.database.session() as session:
        answer = session.scalar(select(Challenge).where(Challenge.name == "Block")).answers[0]
        assert checking.check(answer.type, answer.content, "DRILL{block}", answer.options)


# --- zips ---------------------------------------------------------------------------------


def zip_of(folder: Path, target: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
        for info, data in extra:
            archive.writestr(info, data)
    return target


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temp dirs made during the test land here, so we can see they are cleaned up."""
    folder = tmp_path / "private-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_good_zip_loads(services: Any, make_pack: Any, tmp_path: Path, private_tmp: Path) -> None:
    folder = make_pack({}, files={"a/challenge.yml": GOOD + "files: [files/a.txt]\n", "a/files/a.txt": "attachment",
                                  "pack.yml": "id: zipped\ntitle: Zipped\n"}, name="zipped-src")
    archive = zip_of(folder, tmp_path / "zipped.zip")
    diff = load(services, archive)
    assert diff.pack_id == "zipped" and diff.added == ["Good One"]
    stored = files_on_disk(services.settings.files_dir)
    assert [p.read_text() for p in stored] == ["attachment"]
    assert list(private_tmp.iterdir()) == []   # the extraction was removed


def test_zip_without_pack_yml_takes_its_folder_name(services: Any, make_pack: Any, tmp_path: Path) -> None:
    folder = make_pack({}, files={"a/challenge.yml": GOOD}, name="nameless")
    diff = load(services, zip_of(folder, tmp_path / "upload.zip"))
    assert diff.pack_id == "nameless" and diff.added == ["Good One"]


def _symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


@pytest.mark.parametrize("kind", ["slip", "absolute", "symlink", "bomb"])
def test_unsafe_zip_is_refused_and_writes_nothing(kind: str, services: Any, make_pack: Any, tmp_path: Path,
                                                   private_tmp: Path) -> None:
    folder = make_pack({}, files={"a/challenge.yml": GOOD}, name="evilpack")
    marker = f"evil-{kind}-{os.getpid()}.txt"
    absolute = tmp_path / "abs-target" / marker
    extra = {
        "slip": [(f"evilpack/../../{marker}", b"owned"), (f"../{marker}", b"owned")],
        "absolute": [(str(absolute), b"owned")],
        # A link leaving the pack is never followed; a challenge listing a file through it is refused.
        "symlink": [_symlink("evilpack/b/files/link", "/etc/passwd"),
                    ("evilpack/b/challenge.yml", b"name: Sly\nvalue: 1\nflags: ['x']\nfiles: [files/link]\n")],
        "bomb": [("evilpack/a/files/zeros.bin", b"\0" * (8 * 1024 * 1024))],
    }[kind]
    (tmp_path / "upload").mkdir()
    archive = zip_of(folder, tmp_path / "upload" / "evil.zip")
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as handle:
        for info, data in extra:
            handle.writestr(info, data)
    before = counts(services)
    with pytest.raises(packs.PackError) as info:
        load(services, archive)
    assert all(re.match(r"^.+:\d+: \S", p) for p in info.value.problems), info.value.problems
    expected = {"slip": "escapes", "absolute": "escapes", "symlink": "'files/link' points outside the pack",
                "bomb": "zip bomb"}[kind]
    assert any(expected in p for p in info.value.problems), info.value.problems
    assert counts(services) == before
    assert files_on_disk(services.settings.files_dir) == []
    assert list(private_tmp.iterdir()) == []
    for place in (tmp_path, tmp_path / "upload", tmp_path.parent, Path.cwd(), ROOT):
        assert not (place / marker).exists()
    assert not absolute.exists()


def test_zip_over_the_unpacked_limit_is_refused(services: Any, make_pack: Any, tmp_path: Path) -> None:
    folder = make_pack({}, files={"a/challenge.yml": GOOD, "a/files/random.bin": os.urandom(64 * 1024)}, name="big")
    archive = zip_of(folder, tmp_path / "big.zip")
    with services.database.session() as session, pytest.raises(packs.PackError) as info:
        packs.load(session, archive, services.settings.files_dir, max_unpacked=32 * 1024)
    assert any("limit" in p for p in info.value.problems)
    assert counts(services)["Challenge"] == 0


# --- the demo pack --------------------------------------------------------------------------


def test_demo_pack_validates_cleanly() -> None:
    spec = packs.read_folder(DEMO)
    assert spec.id == "drill-demo"
    assert len(spec.challenges) >= 10
    assert len({c.name for c in spec.challenges}) == len(spec.challenges)


def test_demo_solutions_are_accepted(services: Any) -> None:
    result = subprocess.run([sys.executable, str(DEMO / "tools" / "solve_all.py")], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    answers: dict[str, str] = json.loads(result.stdout)
    load(services, DEMO)
    with services.database.session() as session:
        loaded = session.scalars(select(Challenge).where(Challenge.pack_id == "drill-demo")).all()
        challenges = [c for c in loaded if c.kind == "flag"]  # the report task is graded by judges, not answers
        assert [c.name for c in loaded if c.kind == "report"] == ["Incident Report: NWA Intrusion"]
        names = {c.name for c in challenges}
        assert set(answers) == names
        for challenge in challenges:
            answer = answers[challenge.name]
            accepted = [checking.check(a.type, a.content, answer, a.options) for a in challenge.answers]
            assert any(accepted), (challenge.name, answer)
            # and a near miss is refused
            near = answer[:-1] + ("0" if answer[-1] != "0" else "1")
            assert not any(checking.check(a.type, a.content, near, a.options) for a in challenge.answers), challenge.name
