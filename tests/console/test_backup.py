"""Backup while serving, restore into a new empty instance; a foreign zip is refused untouched."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "challenges" / "drill-demo"
ANSWERS = {"Web Server Intrusion": "203.0.113.77", "Ransom Note": "DRILL{p4y_n0th1ng_d3c0d3_3v3ryth1ng}"}


def standings(srv: Any) -> list[tuple[str, int, int, int]]:
    rows = json.loads(srv.cli("export", "--format", "json").stdout)["standings"]
    return [(r["team"], r["score"], r["pos"], r["solves"]) for r in rows]


def database_rows(instance: Path) -> list[str]:
    """The whole SQLite database as SQL text, to show that a refused restore changed nothing."""
    with sqlite3.connect(instance / "drillboard.db") as conn:
        return list(conn.iterdump())


def stored_files(instance: Path) -> dict[str, str]:
    """Every stored attachment under the instance: relative path -> sha256 of its bytes."""
    root = instance / "files"
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


def test_backup_while_serving_then_restore_into_an_empty_instance(server: Any, server_factory: Any,
                                                                  tmp_path: Path) -> None:
    team, headers = server.team_token("Team X", "KZ")
    listed = requests.get(server.base_url + "/api/v1/challenges", headers=headers, timeout=5).json()["challenges"]
    ids = {c["name"]: c["id"] for c in listed}
    for name, text in ANSWERS.items():
        reply = requests.post(f"{server.base_url}/api/v1/challenges/{ids[name]}/attempts", headers=headers,
                              json={"answer": text}, timeout=5)
        assert reply.status_code == 200 and reply.json()["result"] == "correct", reply.text
    before = standings(server)
    assert ("Team X", before[0][1], 1, 2) == before[0], before

    archive = tmp_path / "b.zip"
    out = server.cli("backup", str(archive))  # the server keeps running meanwhile
    assert "backup written" in out.stdout
    assert server.process is not None and server.process.poll() is None
    assert requests.get(server.base_url + "/api/v1/scoreboard", timeout=5).ok

    fresh = server_factory(env={"DRILLBOARD_DEMO": "0"}, name="restored-instance")
    out = fresh.cli("restore", str(archive), "--yes")
    assert "restored from" in out.stdout
    assert standings(fresh) == before
    original_files = stored_files(server.instance)
    demo_files = {hashlib.sha256(p.read_bytes()).hexdigest()
                  for p in [*DEMO.glob("*/*/files/*"), *DEMO.glob("checkers/*")]}
    assert set(original_files.values()) == demo_files  # every demo attachment and checker (stored by content)
    assert stored_files(fresh.instance) == original_files

    # A zip that is not a backup (here: the demo pack itself) is refused and changes nothing.
    foreign = tmp_path / "not-a-backup.zip"
    with zipfile.ZipFile(foreign, "w") as handle:
        for path in DEMO.rglob("*.yml"):
            handle.write(path, path.relative_to(DEMO.parent).as_posix())
    rows = database_rows(fresh.instance)
    refused = fresh.cli("restore", str(foreign), "--yes", check=False)
    assert refused.returncode != 0
    assert "not a Drillboard backup" in refused.stderr, refused.stderr
    assert database_rows(fresh.instance) == rows
    assert stored_files(fresh.instance) == original_files

    # The restored drill serves: Team X's token still works and an attachment downloads intact.
    fresh.start()
    detail = requests.get(f"{fresh.base_url}/api/v1/challenges/{ids['Web Server Intrusion']}", headers=headers,
                          timeout=5).json()
    assert detail["solved"] is True
    attachment = detail["files"][0]
    body = requests.get(fresh.base_url + attachment["url"], headers=headers, timeout=5)
    assert body.status_code == 200
    assert hashlib.sha256(body.content).hexdigest() == attachment["sha256"]
    assert body.content == (DEMO / "log-analysis" / "web-intrusion" / "files" / attachment["name"]).read_bytes()
    public = requests.get(fresh.base_url + "/api/v1/scoreboard", timeout=5).json()["standings"]
    assert [(r["team"], r["score"], r["pos"], r["solves"]) for r in public] == before
