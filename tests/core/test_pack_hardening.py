"""Issue #11 on the pack side: hostile or broken packs and zips are refused with a report.

Regex flags cannot make answer checking backtrack, YAML aliases cannot blow up, numbers and times are
bounded by what the database and the clock hold, and a damaged zip is a `name:0:` report.
"""
from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import csrf, load_pack, logged_in, organizer_account
from sqlalchemy import func, select

from scoreboard import packs
from scoreboard.drill import backup, organizer
from scoreboard.store.models import Challenge, Team, utcnow

ROOT = Path(__file__).resolve().parents[2]
GOOD = "name: Good\nvalue: 100\nflags: ['DRILL{good}']\n"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(packs.PackError) as info:
        with packs.opened(path) as root:
            packs.read_folder(root)
    return info.value.problems


def one(make_pack: Any, challenge: str, **files: str) -> list[str]:
    return problems_of(make_pack({}, files={"c/challenge.yml": challenge, **files}))


# --- regular expressions --------------------------------------------------------------------


def test_catastrophic_regex_is_graded_in_linear_time() -> None:
    """`(a+)+b` against a long run of a's backtracks for ages in Python's re; RE2 answers at once.

    Run apart so a regression shows as a clear failure instead of a frozen test run.
    """
    code = ("from scoreboard.core.checking import check\n"
            "print(check('regex', '(a+)+b', 'a' * 1000 + 'c'), check('regex', '(a+)+b', 'aaab'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "True"], result.stderr


@pytest.mark.parametrize("pattern, construct", [
    (r"(DRILL)\\1", "backreference \\\\1"), ("(?=DRILL)DRILL.*", "(?=...)"),
    ("(?<=x)DRILL", "(?<=...)"), ("(?P<w>a)(?P=w)", "(?P=name)"),
])
def test_regex_that_re2_cannot_run_is_refused_naming_the_construct(make_pack: Any, pattern: str,
                                                                    construct: str) -> None:
    found = one(make_pack, f"name: R\nvalue: 1\nflags:\n  - type: regex\n    content: \"{pattern}\"\n")
    assert len(found) == 1 and found[0].startswith("c/challenge.yml:4: a flag of type 'regex': bad regular expression: ")
    assert construct.replace("\\\\", "\\") in found[0] and "not supported" in found[0], found


# --- YAML -------------------------------------------------------------------------------------


BOMB = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)) + "name: *i\n"


def test_yaml_alias_bomb_is_refused_before_it_expands(make_pack: Any) -> None:
    found = one(make_pack, BOMB)
    assert found == ["c/challenge.yml:2: YAML aliases (*name) are not allowed in packs: write the value out"]


def test_alias_bomb_report_in_the_console_stays_small(services: Any, app: Any, tmp_path: Path) -> None:
    client, _ = logged_in(app, "boss", organizer_account(services, "boss"))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("bomb/c/challenge.yml", BOMB)
    token = csrf(client, "/console/packs")
    resp = client.post("/console/packs/check", data={"csrf_token": token, "pack": (io.BytesIO(archive.getvalue()), "bomb.zip")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "YAML aliases" in resp.get_data(as_text=True) and len(resp.data) < 20_000


def test_text_the_database_cannot_store_is_refused(make_pack: Any) -> None:
    found = one(make_pack, 'name: "Null\\0Byte"\nvalue: 1\nflags: ["x"]\ndescription: "\\ud800"\n')
    assert found == ["c/challenge.yml:1: the text contains a NUL character"]
    found = one(make_pack, 'name: Fine\nvalue: 1\nflags: ["x"]\ndescription: "\\ud800"\n')
    assert found == ["c/challenge.yml:4: the text contains an invalid Unicode escape"]


# --- bounds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field, line, words", [
    ("value: 12345678901234567890123", 2, "'value' must be a whole number from 0 to 2147483647"),
    ("release_after: 99999999h", 4, "'release_after' is too far away"),
    ("release_at: 9999-12-31T23:00:00-14:00", 4, "release_at"),
    ("release_at: 0001-01-01T00:00:00+00:00", 4, "between the years 1970 and 9000"),
    ("attempts: 3000000000", 4, "'attempts' must be a whole number from 0"),
    ("hints: [{content: h, cost: 99999999999}]", 4, "'cost' must be a whole number from 0"),
    ("type: dynamic\nextra: {initial: 5000000000, decay: 1, minimum: 1}", 5, "'extra.initial' must be a whole number"),
])
def test_numbers_and_times_are_bounded_with_file_and_line(make_pack: Any, field: str, line: int, words: str) -> None:
    base = GOOD.replace("value: 100\n", "") if field.startswith("value") else GOOD
    found = one(make_pack, base.replace("name: Good\n", f"name: Good\n{field}\n") if field.startswith("value")
                else base + field + "\n")
    assert any(p.startswith(f"c/challenge.yml:{line}: ") and words in p for p in found), found


@pytest.mark.parametrize("tolerance", ["1e400", ".inf", "-1", "3000000000"])
def test_number_tolerance_is_bounded(make_pack: Any, tolerance: str) -> None:
    found = one(make_pack, f"name: N\nvalue: 1\nflags:\n  - {{type: number, content: 5, tolerance: {tolerance}}}\n")
    assert len(found) == 1 and "'tolerance' must be a number from 0 to 2147483647" in found[0], found


def test_bounded_pack_applies_and_the_clock_starts(services: Any, client: Any, make_pack: Any) -> None:
    """The largest values validation lets through are stored and served without a 500."""
    folder = make_pack({}, files={"c/challenge.yml": GOOD.replace("value: 100", "value: 2147483647")
                                  + "release_after: 596523h\n",
                                  "pack.yml": "id: big\nfirst_blood_bonus: 2147483647\nstarts_at: 2099-01-01T00:00:00Z\n"})
    load_pack(services, folder)
    with services.database.session() as session:
        organizer.clock_action(session, "start", utcnow(), "test")
    _, headers = team_with_token(services, "Big")
    assert client.get("/api/v1/challenges", headers=headers).status_code == 200


# --- damaged zips -----------------------------------------------------------------------------


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


PACK = {"p/c/challenge.yml": GOOD.encode(), "p/c/data.bin": b"0123456789" * 100}


def _patch_headers(data: bytes, offset_local: int, offset_central: int, value: int) -> bytes:
    """Set a 2-byte field in every local and central header (flag bits, method)."""
    raw = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", offset_local), (b"PK\x01\x02", offset_central)):
        for match in re.finditer(re.escape(signature), bytes(raw)):
            struct.pack_into("<H", raw, match.start() + offset, value)
    return bytes(raw)


def damaged(kind: str) -> bytes:
    good = _zip(PACK)
    if kind == "bad-crc":
        return good.replace(b"0123456789" * 100, b"0123456789" * 99 + b"0123456780")
    if kind == "truncated":
        start = good.index(b"0123456789")
        return good[:start + 300] + good[start + 700:]
    if kind == "encrypted":
        return _patch_headers(good, 6, 8, 0x1)
    if kind == "unknown-method":
        return _patch_headers(good, 8, 10, 99)
    return _zip({**PACK, "p/c/data.bin/inner.txt": b"a folder named like a file"})


EXPECTED = {"bad-crc": "p/c/data.bin:0: cannot be unpacked", "truncated": "p/c/",
            "encrypted": "p/c/challenge.yml:0: the file is encrypted",
            "unknown-method": "p/c/challenge.yml:0: compression method 99 is not supported",
            "clash": "p/c/data.bin:0: this name is both a file and a folder"}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_damaged_zip_is_a_report_everywhere(kind: str, services: Any, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.zip"
    path.write_bytes(damaged(kind))
    with services.database.session() as session, pytest.raises(packs.PackError) as info:
        packs.load(session, path, services.settings.files_dir)
    assert any(p.startswith(EXPECTED[kind]) for p in info.value.problems), info.value.problems
    assert all(re.match(r"^[^\n]+:0: \S", p) for p in info.value.problems)
    with services.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Challenge)) == 0


def test_damaged_zip_from_the_command_line_is_lines_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "bad-crc.zip"
    path.write_bytes(damaged("bad-crc"))
    env = {"DRILLBOARD_INSTANCE": str(tmp_path / "instance"), "DRILLBOARD_SECRET_KEY": "hardening", "PATH": "/usr/bin"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", "load-pack", str(path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("p/c/data.bin:0: cannot be unpacked") and "Traceback" not in result.stderr


def test_restore_of_a_damaged_backup_changes_nothing(services: Any, make_pack: Any, tmp_path: Path) -> None:
    with services.database.session() as session:
        packs.load(session, make_pack({}, files={"c/challenge.yml": GOOD + "files: [data.bin]\n",
                                                 "c/data.bin": "0123456789" * 100}), services.settings.files_dir)
    saved = tmp_path / "backup.zip"
    backup.dump(services.database, services.settings.files_dir, saved)
    with zipfile.ZipFile(saved) as archive:
        member = next(i for i in archive.infolist() if i.filename.startswith("files/"))
    data = bytearray(saved.read_bytes())
    name_length, extra_length = struct.unpack_from("<HH", data, member.header_offset + 26)
    data[member.header_offset + 30 + name_length + extra_length] ^= 0xFF   # the attachment's data, not its header
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    with services.database.session() as session:
        session.add(Team(name="After Backup", name_key="after backup", country="KZ", join_code="after-backup"))
    with pytest.raises(backup.BackupError) as info:
        backup.restore(services.database, services.settings.files_dir, broken)
    assert "damaged" in str(info.value)
    with services.database.session() as session:
        assert session.scalar(select(Team.name)) == "After Backup"   # the rows were not replaced


# --- Markdown that costs seconds to render (issue #22) ------------------------------------


def test_markdown_beyond_what_one_render_may_cost_is_a_problem_with_file_and_line(make_pack: Any) -> None:
    import json

    table = "|a|b|\n|-|-|\n" + "|1|2|\n" * 600
    deep = "".join("  " * i + "- x\n" for i in range(12))
    problems = one(make_pack, GOOD + f"description: {json.dumps(table)}\nhints:\n  - {json.dumps(deep)}\n")
    assert any(p.startswith("c/challenge.yml:4:") and "500 table rows" in p for p in problems), problems
    assert any(p.startswith("c/challenge.yml:") and "levels deep" in p for p in problems), problems


def test_stored_markdown_beyond_the_bounds_is_rendered_up_to_them_and_says_it_was_cut() -> None:
    from scoreboard.core.text import CUT_NOTE, MAX_TABLE_ROWS, render_markdown

    html = render_markdown("|a|b|\n|-|-|\n" + "|1|2|\n" * 8000)
    assert html.count("<tr>") == MAX_TABLE_ROWS - 1 and html.endswith(CUT_NOTE)
    assert not render_markdown("| a | b |\n|---|---|\n| 1 | 2 |").endswith(CUT_NOTE)
