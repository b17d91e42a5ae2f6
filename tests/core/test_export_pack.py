"""``drill export-pack``: the drill's packs back out as ctfcli repositories that load back
unchanged, into the same drill and into a fresh one, and that ctfcli's own loader and linter accept."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import load_pack as load
from sqlalchemy import select

from scoreboard import packs
from scoreboard.packs import export
from scoreboard.store.db import Database
from scoreboard.store.models import Challenge, Objective, Pack, Phase, Service, ServiceHost

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "challenges" / "drill-demo"


def drill_contents(session: Any) -> dict[str, Any]:
    """Everything a pack put in the drill, as plain values (no row ids): what must round-trip."""
    challenges = {}
    for row in session.scalars(select(Challenge).where(Challenge.removed.is_(False))):
        columns = {c.name: getattr(row, c.name) for c in Challenge.__table__.columns
                   if c.name not in ("id", "position", "source", "release_announced_at", "phase_opened_at")}
        columns["answers"] = [(a.type, a.content, a.options) for a in row.answers]
        columns["hints"] = [(h.content, h.cost, h.title, h.key, h.requirements) for h in row.hints if not h.removed]
        columns["files"] = sorted((f.name, f.sha256, f.size) for f in row.files)
        challenges[row.name] = columns
    packs_ = {p.id: (p.title, p.description, p.settings, p.translations, p.briefing) for p in session.scalars(select(Pack))}
    phases = [(p.id, p.pack_id, p.position, p.title, p.description, p.translations, p.opens_at, p.opens_after)
              for p in session.scalars(select(Phase).order_by(Phase.id))]
    objectives = [(o.pack_id, o.key, o.title, o.category, o.points, o.asset, o.translations, o.position)
                  for o in session.scalars(select(Objective).where(Objective.removed.is_(False)).order_by(Objective.key))]
    services = [(s.pack_id, s.key, s.title, s.port, s.points, s.check, s.objectives, s.translations)
                for s in session.scalars(select(Service).where(Service.removed.is_(False)).order_by(Service.key))]
    hosts = sorted((h.team_key, h.host) for h in session.scalars(select(ServiceHost).where(ServiceHost.pack_id.is_not(None))))
    return {"challenges": challenges, "packs": packs_, "phases": phases, "objectives": objectives,
            "services": services, "hosts": hosts}


def test_the_demo_exports_and_loads_back_unchanged(services: Any, tmp_path: Path) -> None:
    load(services, DEMO)
    target = tmp_path / "exported"
    with services.database.session() as session:
        assert export.export_all(session, target, services.settings.files_dir) == {"drill-demo": 13}
        before = drill_contents(session)
    assert (target / "pack.yml").is_file() and (target / "redteam.yml").is_file()
    assert (target / "services.yml").is_file() and before["services"] and before["hosts"]
    again = load(services, target, dry_run=True)
    assert again.added == again.changed == again.removed == [] and len(again.unchanged) == 13

    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh.migrate()
    with fresh.session() as session:
        diff = packs.load(session, target, tmp_path / "fresh-files")
        assert sorted(diff.added) == sorted(before["challenges"]) and diff.warnings == []
    with fresh.session() as session:
        after = drill_contents(session)
    assert after == before
    assert sorted(p.name for p in (tmp_path / "fresh-files").rglob("*") if p.is_file()) == \
        sorted(p.name for p in services.settings.files_dir.rglob("*") if p.is_file())
    fresh.engine.dispose()


# ctfcli replaces PyYAML's shared text representer when imported: it runs in a process of its own.
CTFCLI_LINT = """
import json, sys
from pathlib import Path
from ctfcli.core.challenge import Challenge
results = {}
for path in sorted(Path(sys.argv[1]).rglob("challenge.yml")):
    challenge = Challenge(path)
    results[str(path)] = [challenge["name"], challenge.lint(skip_hadolint=True, flag_format="flag{"),
                          challenge._get_initial_challenge_payload()["name"]]
print(json.dumps(results))
"""


def test_ctfcli_loads_and_lints_every_exported_challenge(services: Any, tmp_path: Path) -> None:
    pytest.importorskip("ctfcli")
    load(services, DEMO)
    target = tmp_path / "exported"
    with services.database.session() as session:
        export.export_all(session, target, services.settings.files_dir)
        names = set(session.scalars(select(Challenge.name)))
    result = subprocess.run([sys.executable, "-c", CTFCLI_LINT, str(target)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    linted = json.loads(result.stdout)
    assert len(linted) == 13 and {name for name, _, _ in linted.values()} == names
    assert all(ok is True and payload == name for name, ok, payload in linted.values()), linted


def test_several_packs_export_a_folder_each_and_one_pack_on_request(services: Any, make_pack: Any,
                                                                   tmp_path: Path) -> None:
    load(services, DEMO)
    load(services, make_pack({"web/one": {
        "id": "one-01", "name": "One", "value": 10, "author": "me", "attribution": "CC-BY",
        "flags": ["x", {"type": "regex", "content": "x{[0-9]+}", "data": "case_insensitive"},
                  {"type": "number", "content": 37, "tolerance": 0.5}],
        "hints": [{"content": "free", "key": "a"}, {"content": "paid", "cost": 5, "requirements": ["a"]}],
        "requirements": {"prerequisites": ["Two"], "anonymize": True}, "attempts": 3, "logic": "all",
        "connection_info": "nc host 1337", "tags": ["t"], "topics": ["p"], "state": "visible"},
        "misc/two": {"name": "Two", "type": "dynamic", "extra": {"initial": 300, "decay": 5}, "flags": ["y"]}},
        pack={"id": "second"}))
    with services.database.session() as session:
        before = drill_contents(session)
        assert export.export_all(session, tmp_path / "all", services.settings.files_dir) == {
            "drill-demo": 13, "second": 2}
        assert export.export_all(session, tmp_path / "one", services.settings.files_dir, "second") == {"second": 2}
        with pytest.raises(LookupError):
            export.export_all(session, tmp_path / "none", services.settings.files_dir, "nope")
    assert (tmp_path / "all" / "second" / "pack.yml").is_file() and (tmp_path / "one" / "pack.yml").is_file()
    assert sorted(load(services, tmp_path / "one", dry_run=True).unchanged) == ["One", "Two"]
    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh.migrate()
    for pack_id in ("drill-demo", "second"):
        with fresh.session() as session:
            packs.load(session, tmp_path / "all" / pack_id, tmp_path / "fresh-files")
    with fresh.session() as session:
        assert drill_contents(session) == before
    fresh.engine.dispose()


def test_the_command_refuses_a_folder_that_is_not_empty(services: Any, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    env = {**os.environ, "DRILLBOARD_INSTANCE": str(services.settings.instance), "DRILLBOARD_SECRET_KEY": "test-secret"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", "export-pack",
                             str(tmp_path / "busy")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "is not empty" in result.stderr
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["keep.txt"]
