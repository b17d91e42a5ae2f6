"""A CTFd export's challenges as a ctfcli pack folder, so they load through the same reader and
writer as any pack (``drill import-ctfd``): one ``challenge-<CTFd id>/challenge.yml`` per
challenge, its files beside it, and ``pack.yml`` with the pack's id and the CTF's name.

CTFd's meanings are kept: static and regex flags with ``case_insensitive``, hints with costs,
titles and hint prerequisites, tags, topics, files, requirements (by name) with ``anonymize``,
``max_attempts``, and decay both from the ``dynamic`` type (``dynamic_challenge``) and from
CTFd 3.8's decay ``function`` on standard challenges. What has no place in a pack (plugin
challenge, flag and hint types, play history, pages, awards…) is counted in ``not_imported``,
never dropped without a word.
"""
from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scoreboard.packs.ctfd_export import Export

FLAG_TYPES = ("static", "regex")
DECAY_FUNCTIONS = ("linear", "logarithmic")
# Tables whose rows a pack has no place for: (table, what one row is).
NOT_IMPORTED = (("solves", "solve(s)"), ("submissions", "submission(s) (right and wrong answers)"),
                ("unlocks", "hint unlock(s)"), ("awards", "award(s)"), ("notifications", "notification(s)"),
                ("pages", "page(s)"), ("comments", "comment(s)"), ("ratings", "rating(s)"),
                ("brackets", "bracket(s)"), ("fields", "custom registration field(s)"))


@dataclass
class Conversion:
    """The pack folder written from an export, and every line of what did not make it in."""

    root: Path
    challenges: int = 0
    not_imported: list[str] = field(default_factory=list)


def _json(value: Any) -> Any:
    """A JSON column: MySQL and PostgreSQL exports may hold it as text, SQLite's as the value."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _whole(value: Any) -> bool:
    """An id as CTFd writes one; anything else never names a folder of the pack."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _by_challenge(rows: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.get("challenge_id")].append(row)
    return grouped


class _Writer:
    """Writes one export's challenges; each ``_…`` step adds a field and notes what it skips."""

    def __init__(self, export: Export, root: Path) -> None:
        self.export, self.root = export, root
        self.skipped: Counter[str] = Counter()
        self.notes: list[str] = []
        self.flags = _by_challenge(export.rows("flags"))
        self.hints = _by_challenge(export.rows("hints"))
        self.tags = _by_challenge(export.rows("tags"))
        self.files = _by_challenge([f for f in export.rows("files") if f.get("type") == "challenge"])
        self.solutions = _by_challenge(export.rows("solutions"))
        topics = {t.get("id"): t.get("value") for t in export.rows("topics")}
        self.topics = {cid: [topics.get(r.get("topic_id")) for r in rows]
                       for cid, rows in _by_challenge(export.rows("challenge_topics")).items()}
        self.dynamic = {row.get("id"): row for row in export.rows("dynamic_challenge")}
        self.kept = {c.get("id"): c.get("name") for c in export.rows("challenges") if c.get("type") in
                     ("standard", "dynamic")}

    def challenge(self, row: dict[str, Any]) -> None:
        cid, name = row.get("id"), row.get("name")
        folder = self.root / f"challenge-{cid}"
        folder.mkdir()
        data: dict[str, Any] = {"name": name, "category": row.get("category"), "description": row.get("description"),
                                "value": row.get("value"), "type": "standard"}
        for key, ours in (("attribution", "attribution"), ("connection_info", "connection_info"),
                          ("max_attempts", "attempts"), ("state", "state"), ("logic", "logic")):
            if row.get(key) not in (None, "", 0):
                data[ours] = row[key]
        self._decay(row, data)
        data["flags"] = self._flags(cid, name)
        data["hints"] = self._hints(cid, name)
        data["tags"] = [t.get("value") for t in self.tags.get(cid, [])]
        data["topics"] = [t for t in self.topics.get(cid, []) if t is not None]
        data["files"] = self._files(cid, name, folder)
        data["requirements"] = self._requirements(row, name)
        self._solution(cid, folder, data)
        if row.get("next_id") is not None:
            self.skipped["challenge(s) linked to a next challenge (CTFd's 'next'): the link is not imported"] += 1
        text = yaml.safe_dump({k: v for k, v in data.items() if v not in (None, [])}, allow_unicode=True,
                              sort_keys=False)
        (folder / "challenge.yml").write_text(text, encoding="utf-8")

    def _decay(self, row: dict[str, Any], data: dict[str, Any]) -> None:
        """CTFd's decay: the ``dynamic`` type's own table, or a standard challenge's ``function``."""
        if row.get("type") == "dynamic":
            found = self.dynamic.get(row.get("id"), {})
            source = {key: found.get(f"dynamic_{key}", found.get(key, row.get(key)))
                      for key in ("initial", "minimum", "decay", "function")}
        elif row.get("function") in DECAY_FUNCTIONS:
            source = row
        else:
            return
        function = source.get("function") if source.get("function") in DECAY_FUNCTIONS else "logarithmic"
        initial = source.get("initial") if source.get("initial") is not None else row.get("value")
        decay = source.get("decay") or 0
        if function == "logarithmic" and decay == 0:
            decay = 1  # CTFd's logarithmic decay treats 0 as 1 (it would divide by zero)
        data.update(type="dynamic", value=initial, extra={"initial": initial, "decay": decay,
                                                            "minimum": source.get("minimum") or 0,
                                                            "function": function})

    def _flags(self, cid: Any, name: Any) -> list[dict[str, Any]]:
        flags = []
        for row in self.flags.get(cid, []):
            if row.get("type") not in FLAG_TYPES:
                self.skipped[f"flag(s) of type {row.get('type')!r} (a CTFd plugin; challenge {name!r})"] += 1
                continue
            flag = {"type": row["type"], "content": row.get("content")}
            if row.get("data") == "case_insensitive":
                flag["data"] = "case_insensitive"
            flags.append(flag)
        return flags

    def _hints(self, cid: Any, name: Any) -> list[dict[str, Any]]:
        rows = [h for h in self.hints.get(cid, []) if h.get("type", "standard") in (None, "standard")]
        for row in self.hints.get(cid, []):
            if row not in rows:
                self.skipped[f"hint(s) of type {row.get('type')!r} (a CTFd plugin; challenge {name!r})"] += 1
        ours = {row.get("id") for row in rows}
        needs = {row.get("id"): [r for r in (_json(row.get("requirements")) or {}).get("prerequisites", [])
                                 if r in ours] for row in rows}
        required = {r for found in needs.values() for r in found}
        hints = []
        for row in rows:
            hint = {"content": row.get("content"), "cost": row.get("cost") or 0}
            if row.get("title"):
                hint["title"] = row["title"]
            if row.get("id") in required:
                hint["key"] = f"hint-{row['id']}"
            if needs[row.get("id")]:
                hint["requirements"] = [f"hint-{r}" for r in needs[row.get("id")]]
            hints.append(hint)
        return hints

    def _files(self, cid: Any, name: Any, folder: Path) -> list[str]:
        listed = []
        for row in self.files.get(cid, []):
            source = self.export.upload(row.get("location"))
            if source is None:
                self.skipped[f"file(s) missing from the export's uploads/ (challenge {name!r})"] += 1
                continue
            target = folder / "files" / source.name
            if target.exists():
                self.skipped[f"file(s) with a name already taken in the same challenge (challenge {name!r})"] += 1
                continue
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(source, target)
            listed.append(f"files/{source.name}")
        return listed

    def _requirements(self, row: dict[str, Any], name: Any) -> dict[str, Any] | None:
        found = _json(row.get("requirements"))
        if not isinstance(found, dict) or not found.get("prerequisites"):
            return None
        names = []
        for required in found["prerequisites"]:
            if required in self.kept:
                names.append(self.kept[required])
            else:
                self.notes.append(f"{name!r} requires CTFd challenge {required!r}, which is not imported; "
                                  "that requirement is dropped")
        return {"prerequisites": names, "anonymize": bool(found.get("anonymize"))} if names else None

    def _solution(self, cid: Any, folder: Path, data: dict[str, Any]) -> None:
        texts = [s.get("content") for s in self.solutions.get(cid, []) if isinstance(s.get("content"), str)]
        if texts and texts[0].strip():
            (folder / "solution.md").write_text(texts[0], encoding="utf-8")
            data["solution"] = "solution.md"


def _ctf_name(export: Export) -> str | None:
    for row in export.rows("config"):
        if row.get("key") == "ctf_name" and isinstance(row.get("value"), str) and row["value"].strip():
            return row["value"].strip()[:200]
    return None


def to_pack(export: Export, root: Path, pack_id: str) -> Conversion:
    """Write ``export``'s challenges as a pack folder at ``root`` (which must not exist yet)."""
    root.mkdir(parents=True)
    pack: dict[str, Any] = {"id": pack_id, "title": _ctf_name(export) or pack_id}
    (root / "pack.yml").write_text(yaml.safe_dump(pack, allow_unicode=True, sort_keys=False), encoding="utf-8")
    writer = _Writer(export, root)
    conversion = Conversion(root)
    plugins: dict[Any, list[str]] = defaultdict(list)
    rows = {row["id"]: row for row in export.rows("challenges") if _whole(row.get("id"))}
    if len(rows) < len(export.rows("challenges")):
        conversion.not_imported.append(f"{len(export.rows('challenges')) - len(rows)} challenge row(s) without a "
                                       "whole-number id of their own (not what CTFd writes)")
    for row in (rows[cid] for cid in sorted(rows)):
        if row.get("type") in ("standard", "dynamic"):
            writer.challenge(row)
            conversion.challenges += 1
        else:
            plugins[row.get("type")].append(repr(row.get("name")))
    for kind, names in sorted(plugins.items(), key=lambda item: str(item[0])):
        conversion.not_imported.append(f"{len(names)} challenge(s) of type {kind!r}, a CTFd plugin type Drillboard "
                                       f"cannot score: {', '.join(names)}")
    conversion.not_imported += [f"{count} {what}" for what, count in writer.skipped.items()]
    conversion.not_imported += writer.notes
    conversion.not_imported += [f"{len(export.rows(table))} {what}" for table, what in NOT_IMPORTED
                                if export.rows(table)]
    return conversion
