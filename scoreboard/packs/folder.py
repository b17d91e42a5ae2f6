"""A pack folder (or a zip of one) into a ``PackSpec``: pack.yml, every challenge file, and
what only the whole pack can check (duplicate names, requirements, CTFd plugin types)."""
from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scoreboard.core import clock
from scoreboard.packs import archives, fields, phases, translations, yamlfile
from scoreboard.packs.challenge import ChallengeReader, unknown
from scoreboard.packs.report import PackError, Report, short
from scoreboard.packs.spec import ChallengeSpec, PackSpec

PACK_FIELDS = {"id", "title", "description", "starts_at", "ends_at", "freeze_at", "first_blood_bonus", "timezone",
               "translations", "second_marker", "release_grades", "weights", "briefing", "phases"}
MAX_BRIEFING = 50_000
# Exercise control: pack.yml's word -> (the Drill column it sets, the values it takes).
CHOICES = {"second_marker": ("second_marker", ("average", "lead")),
           "release_grades": ("grade_release", ("immediate", "manual"))}
WEIGHT_KEYS = ("flags", "reports", "deductions")
CHALLENGE_FILES = ("challenge.yml", "challenge.yaml")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:100] or "pack"


def _pack_field(settings: dict[str, Any], key: str, value: Any) -> None:
    """Check one pack.yml field into ``settings``; raises ValueError with the message."""
    if key == "id":
        if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,99}", value):
            raise ValueError("'id' must be lowercase letters, digits, - or _ (at most 100)")
        settings[key] = value
    elif key == "title":
        settings[key] = fields.text(value, key, 200)
    elif key == "description":
        settings[key] = fields.text(value, key)
    elif key == "briefing":
        settings[key] = fields.text(value, key, MAX_BRIEFING)
    elif key == "first_blood_bonus":
        settings[key] = fields.whole(value, key)
    elif key in CHOICES:
        column, allowed = CHOICES[key]
        if value not in allowed:
            raise ValueError(f"'{key}' must be one of {', '.join(allowed)}, not {short(value)}")
        settings[column] = value
    elif key == "weights":
        settings[key] = _weights(value)
    elif key == "timezone":
        try:
            settings["home_timezone"] = clock.parse_zone(value)
        except ValueError as err:
            raise ValueError(f"'timezone': {err}") from None
    else:
        settings[key] = fields.moment(value, key)


def _weights(value: Any) -> dict[str, int]:
    """``weights: {flags, reports, deductions}``: whole percentages that add up to 100."""
    if not isinstance(value, dict) or not value:
        raise ValueError(f"'weights' must be a mapping of {', '.join(WEIGHT_KEYS)} to percentages")
    extra = [k for k in value if k not in WEIGHT_KEYS]
    if extra:
        raise ValueError(f"'weights' takes only {', '.join(WEIGHT_KEYS)}, not {short(extra[0])}")
    weights = {key: fields.whole(value.get(key, 0), f"weights.{key}", maximum=100) for key in WEIGHT_KEYS}
    if sum(weights.values()) != 100:
        raise ValueError(f"'weights' must add up to 100, not {sum(weights.values())}")
    return weights


def _read_pack_yml(root: Path, report: Report) -> dict[str, Any]:
    settings: dict[str, Any] = {"id": _slug(root.name), "title": root.name[:200], "description": ""}
    path = root / "pack.yml"
    if not path.is_file():
        return settings
    data = yamlfile.load(path, "pack.yml", report)
    if data is None:
        return settings
    if not isinstance(data, dict):
        report.problem("pack.yml", 1, "pack.yml must be a mapping of fields")
        return settings
    for key, value in data.items():
        if key not in PACK_FIELDS:
            report.warn("pack.yml", data.lines[key], unknown(key, PACK_FIELDS))
            continue
        if key == "phases":
            settings["phases"] = phases.read(value, data.lines[key], report)
            continue
        if key == "translations":
            settings["translations"], found = translations.check(value, data.lines[key], translations.PACK_KEYS)
            for line, message in found:
                report.problem("pack.yml", line, message)
            continue
        try:
            _pack_field(settings, key, value)
        except ValueError as err:
            report.problem("pack.yml", data.lines[key], str(err))
    start, end, freeze = (settings.get(k) for k in ("starts_at", "ends_at", "freeze_at"))
    if start and end and end <= start:
        report.problem("pack.yml", data.lines.get("ends_at", 1), "'ends_at' must be after 'starts_at'")
    if freeze and ((start and freeze < start) or (end and freeze > end)):
        report.problem("pack.yml", data.lines.get("freeze_at", 1), "'freeze_at' must lie between 'starts_at' and 'ends_at'")
    return settings


def _challenge_files(root: Path, report: Report) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names = [f for f in CHALLENGE_FILES if f in files]
        if len(names) > 1:
            rel = (Path(folder) / names[1]).relative_to(root).as_posix()
            report.problem(rel, 0, "this folder has both challenge.yml and challenge.yaml; keep one")
        found.extend(Path(folder) / name for name in names[:1])
    return found


def _check_across(challenges: list[ChallengeSpec], report: Report) -> None:
    """What only the whole pack shows: two challenges with one name, requirements by name.

    A requirement naming no challenge is dropped with a warning, as ctfcli does (its own
    example requires challenges that are not in its folder); ``--strict`` refuses it.
    """
    names: dict[str, str] = {}
    for spec in challenges:
        if spec.name in names:
            report.problem(spec.source, spec.lines["name"], f"duplicate name {short(spec.name)} (also in {names[spec.name]})")
        names.setdefault(spec.name, spec.source)
    for spec in challenges:
        kept: list[str | int] = []
        for required in spec.requirements:
            line = spec.lines["requirements"]
            if isinstance(required, int):
                kept.append(required)  # an id: checked against the database when the pack is applied
            elif required == spec.name:
                report.warn(spec.source, line, "a challenge cannot require itself; requirement ignored")
            elif required not in names:
                close = difflib.get_close_matches(required, sorted(names), n=1)
                hint = f" (did you mean {short(close[0])}?)" if close else ""
                report.warn(spec.source, line, f"requirement {short(required)} names no challenge in this pack{hint}; "
                                               "ignored, so it does not lock this challenge")
            else:
                kept.append(required)
        spec.requirements = kept


def _check_phases(challenges: list[ChallengeSpec], phase_ids: list[str], report: Report) -> None:
    """A challenge's ``phase`` must name one of pack.yml's phases: a typo would hide it for good."""
    for spec in challenges:
        if spec.phase is not None and spec.phase not in phase_ids:
            close = difflib.get_close_matches(spec.phase, phase_ids, n=1)
            hint = f" (did you mean {short(close[0])}?)" if close else ""
            known = f"; pack.yml's phases are {', '.join(phase_ids)}" if phase_ids else "; pack.yml lists no 'phases'"
            report.problem(spec.source, spec.lines["phase"], f"phase {short(spec.phase)} names no phase{hint}{known}")


def _plugin_types(plugins: list[tuple[str, int, str]], loadable: int, report: Report) -> None:
    """A CTFd plugin type is refused by name, saying whether the rest of the pack is fine."""
    rest = ""
    if plugins and report.problem_count == 0:
        rest = (f"; the other {loadable} challenge(s) have no problems and load once this one is "
                "removed or given a standard or dynamic type")
    for rel, line, kind in plugins:
        report.problem(rel, line, f"type {short(kind)} is a CTFd plugin challenge type; Drillboard scores only "
                                  f"standard and dynamic challenges and report tasks{rest}")


def read_folder(root: Path, strict: bool = False) -> PackSpec:
    """Validate a pack folder; raise PackError with every problem, or return the spec.

    Warnings travel in ``PackSpec.warnings``; with ``strict`` they are problems too.
    """
    root = Path(root)
    if not root.is_dir():
        raise PackError([f"{root}:0: not a folder or .zip file"])
    report = Report()
    settings = _read_pack_yml(root, report)
    paths = _challenge_files(root, report)
    if not paths:
        report.problem(".", 0, "no challenge.yml found anywhere in the pack")
    challenges, plugins = [], []
    for path in paths:
        reader = ChallengeReader(root, path, report)
        spec = reader.read()
        if spec:
            challenges.append(spec)
        if reader.plugin_type:
            plugins.append((reader.rel, *reader.plugin_type))
    _check_across(challenges, report)
    _check_phases(challenges, [p.id for p in settings.get("phases", [])], report)
    _plugin_types(plugins, len(challenges), report)
    report.raise_if_problems(strict)
    digest = hashlib.sha256(repr(sorted((c.name, repr(c.fingerprint())) for c in challenges)).encode())
    digest.update(repr(sorted((k, str(v)) for k, v in settings.items())).encode())
    pack_translations = settings.pop("translations", {})
    briefing, pack_phases = settings.pop("briefing", ""), settings.pop("phases", [])
    return PackSpec(settings.pop("id"), settings.pop("title"), settings.pop("description"), root,
                    digest.hexdigest(), challenges, settings, report.warnings, pack_translations, briefing, pack_phases)


@contextmanager
def opened(path: Path, max_unpacked: int = 200 * 1024 * 1024) -> Iterator[Path]:
    """Yield a folder for ``path``: the folder itself, or a checked extraction of a zip."""
    path = Path(path)
    if path.is_dir():
        yield path
        return
    try:
        archive = archives.open_zip(path)
    except archives.ArchiveError as err:
        raise PackError([str(err)]) from None
    with archive, tempfile.TemporaryDirectory(prefix="drillpack-") as tmp:
        problems = archives.problems(archive, path.name, max_unpacked)
        if problems:
            raise PackError(problems)
        target = Path(tmp) / "pack"
        try:
            archives.extract(archive, target)
        except archives.ArchiveError as err:
            raise PackError([str(err)]) from None
        entries = [p for p in target.iterdir() if not p.name.startswith(("__MACOSX", "."))] if target.exists() else []
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() and not (target / "pack.yml").exists() else target
        if root is target:
            root = target.rename(Path(tmp) / _slug(path.stem))
        yield root
