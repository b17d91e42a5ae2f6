"""Real ctfcli material loads unchanged, reloads as unchanged, and loads from a `zip -r` archive.

The fixtures (tests/core/fixtures/real-packs, sources and licences in its NOTICE.md) are
ctfcli's reference example and test fixtures, and two challenges of DCI Summer Camp 2026.
"""
from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import load_pack as load
from sqlalchemy import select

from scoreboard.core import checking
from scoreboard.store.models import Challenge, File, Hint

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "real-packs"


def challenge(services: Any, name: str) -> dict[str, Any]:
    with services.database.session() as session:
        row = session.scalar(select(Challenge).where(Challenge.name == name))
        return {"id": row.id, "requirements": list(row.requirements), "solution": row.solution,
                "logic": row.logic, "state": row.state,
                "answers": [(a.type, a.content, a.options) for a in row.answers],
                "hints": [(h.key, h.title, h.cost, list(h.requirements)) for h in row.hints],
                "files": {f.name: f.id for f in row.files}}


def file_rows(services: Any) -> list[tuple[int, str, str]]:
    with services.database.session() as session:
        return [(f.id, f.name, f.sha256) for f in session.scalars(select(File).order_by(File.id))]


def zip_r(folder: Path, target: Path) -> Path:
    """What organizers do on Linux: Info-ZIP's `zip -r`, which stores UTF-8 names unflagged.

    Without the tool, the same bytes: names written raw, no UTF-8 flag (bit 11).
    """
    if shutil.which("zip"):
        subprocess.run(["zip", "-qr", str(target), folder.name], cwd=folder.parent, check=True)
        return target
    placeholders = {}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
                raw = name.encode()
                ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
                ascii_name = ascii_name + "_" * (len(raw) - len(ascii_name))  # same byte length
                placeholders[ascii_name.encode()] = raw
                archive.write(path, ascii_name)
    data = target.read_bytes()
    for ascii_name, raw in placeholders.items():
        data = data.replace(ascii_name, raw)
    target.write_bytes(data)
    return target


def test_ctfcli_reference_files_load_and_mean_what_ctfcli_means(services: Any, tmp_path: Path) -> None:
    folder = shutil.copytree(FIXTURES / "ctfcli", tmp_path / "ctfcli")
    # test-challenge-full requires challenge id 1: ids name challenges that are already loaded.
    shutil.move(folder / "test-challenge-full", tmp_path / "later")
    first = load(services, folder)
    assert sorted(first.added) == ["Are you alive", "Other Test Challenge", "Test Challenge Solution", "Warmup",
                                   "{{cookiecutter.name}}"]
    assert any("test-challenge-solution/challenge.yml:1: no 'flags'" in w for w in first.warnings), first.warnings
    shutil.move(tmp_path / "later", folder / "test-challenge-full")
    second = load(services, folder)
    assert second.added == ["Test Challenge"] and second.changed == [] and second.removed == []

    with services.database.session() as session:
        first_id_name = session.get(Challenge, 1).name
    full = challenge(services, "Test Challenge")
    assert full["requirements"] == [first_id_name, "Other Test Challenge"]
    assert set(full["files"]) == {"test.png", "test.pdf"}
    example = challenge(services, "{{cookiecutter.name}}")
    assert example["state"] == "hidden" and example["requirements"] == ["Warmup", "Are you alive"]
    assert example["hints"] == [
        (None, None, 10, []), (None, None, 0, []), (None, "Titled Hint", 10, []),
        ("keyed_hint_1", "This hint has a key", 0, []), (None, "This hint has requirements", 10, ["keyed_hint_1"]),
    ]
    assert example["solution"].startswith("# Solution")   # read from writeup/WRITEUP.md
    assert ("regex", "(.*)STUFF(.*)", {"case_insensitive": True}) in example["answers"]
    regex = [a for a in example["answers"] if a[0] == "regex"][0]
    assert checking.check(*regex[:2], "my stuff here", regex[2])
    assert challenge(services, "Test Challenge Solution")["solution"].startswith("# Solution")


def test_real_packs_reload_unchanged_and_keep_file_urls(services: Any, client: Any, tmp_path: Path) -> None:
    folder = shutil.copytree(FIXTURES / "dci-2026-nanolog", tmp_path / "dci-2026-nanolog")
    assert sorted(load(services, folder).added) == ["Deeper Memories", "Unsound Memories"]
    _, headers = team_with_token(services, "Campers")
    unsound = challenge(services, "Unsound Memories")
    urls = [f"/files/{file_id}/{name}" for name, file_id in unsound["files"].items()]
    assert [client.get(url, headers=headers).status_code for url in urls] == [200]
    rows = file_rows(services)

    dry = load(services, folder, dry_run=True)
    assert dry.added == dry.changed == dry.removed == [] and len(dry.unchanged) == 2
    again = load(services, folder)
    assert again.added == again.changed == again.removed == []
    assert file_rows(services) == rows
    assert [client.get(url, headers=headers).status_code for url in urls] == [200]

    zipped = load(services, zip_r(folder, tmp_path / "dci.zip"))
    assert zipped.pack_id == "dci-2026-nanolog" and zipped.changed == [] and len(zipped.unchanged) == 2
    assert file_rows(services) == rows and [client.get(url, headers=headers).status_code for url in urls] == [200]
    deeper = client.get(f"/api/v1/challenges/{challenge(services, 'Deeper Memories')['id']}", headers=headers)
    assert deeper.status_code == 403 and "Unsound Memories" in deeper.get_json()["error"]


def test_zip_r_with_a_non_ascii_file_name_loads(services: Any, make_pack: Any, tmp_path: Path) -> None:
    """`zip -r` stores `TheBarman-José.zip` in UTF-8 without the UTF-8 flag; unzip reads it right."""
    folder = make_pack({}, files={
        "bar/challenge.yml": "name: The Barman\nvalue: 100\nflags: ['flag{bar}']\nfiles:\n  - TheBarman-José.zip\n",
        "bar/TheBarman-José.zip": "stand-in", "pack.yml": "id: barman\n"}, name="barman")
    archive = zip_r(folder, tmp_path / "barman.zip")
    with zipfile.ZipFile(archive) as raw:
        info = next(i for i in raw.infolist() if i.filename.endswith(".zip"))
        assert not info.flag_bits & 0x800   # really the unflagged form
    assert load(services, archive).added == ["The Barman"]
    assert set(challenge(services, "The Barman")["files"]) == {"TheBarman-José.zip"}


@pytest.mark.parametrize("kind", ["hint", "file"])
def test_reload_keeps_ids_when_only_order_or_content_changes(kind: str, services: Any, make_pack: Any) -> None:
    yml = ("name: Order\nvalue: 10\nflags: [x]\nhints:\n  - one\n  - two\nfiles:\n  - b.txt\n  - a.txt\n")
    folder = make_pack({}, files={"o/challenge.yml": yml, "o/a.txt": "a", "o/b.txt": "b"})
    load(services, folder)
    before = challenge(services, "Order")
    if kind == "file":
        (folder / "o" / "a.txt").write_text("a, corrected")
        assert load(services, folder).changed == ["Order"]
        assert challenge(services, "Order")["files"] == before["files"]   # same ids: links keep working
    else:
        with services.database.session() as session:
            hint_ids = list(session.scalars(select(Hint.id).order_by(Hint.id)))
        (folder / "o" / "challenge.yml").write_text(yml.replace("  - two", "  - two, reworded"))
        assert load(services, folder).changed == ["Order"]
        with services.database.session() as session:
            assert list(session.scalars(select(Hint.id).order_by(Hint.id))) == hint_ids
