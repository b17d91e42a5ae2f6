"""A pack folder (or a zip of one) into a ``PackSpec``: pack.yml, every challenge file, and
what only the whole pack can check (duplicate names, requirements, CTFd plugin types)."""
from __future__ import annotations

import difflib
import hashlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scoreboard.core import clock, scoring
from scoreboard.core.errors import N_, Invalid, Message
from scoreboard.packs import archives, discovery, fields, phases, range_launcher, translations, yamlfile
from scoreboard.packs.challenge import ChallengeReader, unknown
from scoreboard.packs.problems import Finding, Findings, PackError, quoted, short
from scoreboard.packs.redteam import FILE_NAME as REDTEAM_FILE
from scoreboard.packs.redteam import RedTeamReader
from scoreboard.packs.services import FILE_NAME as SERVICES_FILE
from scoreboard.packs.services import ServicesReader
from scoreboard.packs.spec import ChallengeSpec, PackSpec

PACK_FIELDS = {"id", "title", "description", "starts_at", "ends_at", "freeze_at", "first_blood_bonus", "timezone",
               "translations", "second_marker", "release_grades", "weights", "briefing", "phases",
               "third_marker_over", "file_name", range_launcher.FIELD}
MAX_BRIEFING = 50_000
# Exercise control: pack.yml's word -> (the Drill column it sets, the values it takes).
CHOICES = {"second_marker": ("second_marker", ("average", "lead")),
           "release_grades": ("grade_release", ("immediate", "manual"))}
WEIGHT_KEYS = scoring.CATEGORIES
# GitHub's "Download ZIP" unpacks a repository into NAME-main (or NAME-master), its clone into NAME.
DOWNLOAD_FOLDER = re.compile(r"(.+)-(main|master)")


def slug(name: str) -> str:
    """A pack id (or an exported folder's name) made of ``name``: lowercase letters, digits, - and _."""
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:100] or "pack"


def check_pack_id(value: Any, key: str = "id") -> str:
    """A pack id (pack.yml's ``id``, ``--pack``): what names the pack across loads."""
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,99}", value):
        raise Invalid(N_("%(key)s must be lowercase letters, digits, - or _ (at most 100), not %(value)s"),
                      key=f"'{key}'", value=short(value))
    return value


def _pack_field(settings: dict[str, Any], key: str, value: Any) -> None:
    """Check one pack.yml field into ``settings``; raises ``Invalid`` with the message."""
    if key == "id":
        settings[key] = check_pack_id(value)
    elif key == "file_name":
        settings[key] = discovery.check_file_name(value, key)
    elif key == "title":
        settings[key] = fields.text(value, key, 200)
    elif key == "description":
        settings[key] = fields.markdown(value, key)
    elif key == "briefing":
        settings[key] = fields.markdown(value, key, MAX_BRIEFING)
    elif key in ("first_blood_bonus", "third_marker_over"):
        settings[key] = fields.whole(value, key)
    elif key in CHOICES:
        column, allowed = CHOICES[key]
        if value not in allowed:
            raise Invalid(N_("%(key)s must be one of %(allowed)s, not %(value)s"), key=f"'{key}'", allowed=quoted(allowed),
                          value=short(value))
        settings[column] = value
    elif key == "weights":
        settings[key] = _weights(value)
    elif key == "timezone":
        try:
            settings["home_timezone"] = clock.parse_zone(value)
        except Invalid as err:
            raise Invalid(N_("%(key)s: %(problem)s"), key="'timezone'", problem=err) from None
    else:
        settings[key] = fields.moment(value, key)


def _weights(value: Any) -> dict[str, int]:
    """``weights: {flags, reports, deductions, availability}``: whole percentages that add up to 100."""
    if not isinstance(value, dict) or not value:
        raise Invalid(N_("'weights' must be a mapping of %(keys)s to percentages"), keys=quoted(WEIGHT_KEYS))
    extra = [k for k in value if k not in WEIGHT_KEYS]
    if extra:
        raise Invalid(N_("'weights' takes only %(keys)s, not %(value)s"), keys=quoted(WEIGHT_KEYS), value=short(extra[0]))
    # The categories named; one left out counts at 0 (``scoring.weighted``).
    weights = {key: fields.whole(value[key], f"weights.{key}", maximum=100) for key in WEIGHT_KEYS if key in value}
    if sum(weights.values()) != 100:
        raise Invalid(N_("'weights' must add up to 100, not %(total)s"), total=sum(weights.values()))
    return weights


def _read_pack_yml(root: Path, findings: Findings) -> dict[str, Any]:
    settings: dict[str, Any] = {"title": root.name[:200], "description": ""}
    path = discovery.pack_file(root, "pack.yml", findings)
    if path is None:
        return settings
    data = yamlfile.load(path, "pack.yml", findings)
    if data is None:
        return settings
    if not isinstance(data, dict):
        findings.problem("pack.yml", 1, Message(N_("pack.yml must be a mapping of fields")))
        return settings
    for key, value in data.items():
        if key not in PACK_FIELDS:
            findings.warn("pack.yml", data.lines[key], unknown(key, PACK_FIELDS))
            continue
        if key == "phases":
            settings["phases"] = phases.read(value, data.lines[key], findings)
            continue
        if key == range_launcher.FIELD:  # read by python app.py for the demo, not a drill setting
            try:
                range_launcher.check(value, root)
            except ValueError as err:
                findings.problem("pack.yml", data.lines[key], err if isinstance(err, Message) else str(err))
            continue
        if key == "translations":
            settings["translations"], found = translations.check(value, data.lines[key], translations.PACK_KEYS)
            for line, message in found:
                findings.problem("pack.yml", line, message)
            continue
        try:
            _pack_field(settings, key, value)
        except Invalid as err:
            findings.problem("pack.yml", data.lines[key], err)
    start, end, freeze = (settings.get(k) for k in ("starts_at", "ends_at", "freeze_at"))
    if start and end and end <= start:
        findings.problem("pack.yml", data.lines.get("ends_at", 1), Message(N_("'ends_at' must be after 'starts_at'")))
    if "third_marker_over" in settings and "second_marker" not in settings:
        findings.problem("pack.yml", data.lines["third_marker_over"],
                         Message(N_("'third_marker_over' needs 'second_marker' ('average' or 'lead'): a third judge "
                                    "marks only when two marks are far apart")))
    if freeze and ((start and freeze < start) or (end and freeze > end)):
        findings.problem("pack.yml", data.lines.get("freeze_at", 1),
                         Message(N_("'freeze_at' must lie between 'starts_at' and 'ends_at'")))
    return settings


def _check_across(challenges: list[ChallengeSpec], findings: Findings) -> None:
    """What only the whole pack shows: two challenges with one name, requirements by name.

    A requirement naming no challenge is dropped with a warning, as ctfcli does (its own
    example requires challenges that are not in its folder); ``--strict`` refuses it.
    """
    names: dict[str, str] = {}
    keys: dict[str, str] = {}
    for spec in challenges:
        if spec.name in names:
            findings.problem(spec.source, spec.lines["name"], Message(N_("duplicate name %(name)s (also in %(file)s)"),
                                                                      name=short(spec.name), file=names[spec.name]))
        if spec.key is not None and spec.key in keys:
            findings.warn(spec.source, spec.lines["id"],
                          Message(N_("duplicate id %(key)s (also in %(file)s); ignored, so its name identifies this "
                                     "challenge"), key=short(spec.key), file=keys[spec.key]))
            spec.key = None
        names.setdefault(spec.name, spec.source)
        if spec.key is not None:
            keys[spec.key] = spec.source
    for spec in challenges:
        kept: list[str | int] = []
        for required in spec.requirements:
            line = spec.lines["requirements"]
            if isinstance(required, int):
                kept.append(required)  # an id: checked against the database when the pack is applied
            elif required == spec.name:
                findings.warn(spec.source, line, Message(N_("a challenge cannot require itself; requirement ignored")))
            elif required not in names:
                findings.warn(spec.source, line, _no_such_requirement(required, sorted(names)))
            else:
                kept.append(required)
        spec.requirements = kept


def _check_phases(challenges: list[ChallengeSpec], phase_ids: list[str], findings: Findings) -> None:
    """A challenge's ``phase`` must name one of pack.yml's phases: a typo would hide it for good."""
    for spec in challenges:
        if spec.phase is not None and spec.phase not in phase_ids:
            findings.problem(spec.source, spec.lines["phase"], _no_such_phase(spec.phase, phase_ids))


def _no_such_requirement(required: str, names: list[str]) -> Message:
    close = difflib.get_close_matches(required, names, n=1)
    if close:
        return Message(N_("the requirement %(name)s names no challenge in this pack (did you mean %(close)s?); "
                          "ignored, so it does not lock this challenge"), name=short(required), close=short(close[0]))
    return Message(N_("the requirement %(name)s names no challenge in this pack; ignored, so it does not lock "
                      "this challenge"), name=short(required))


def _no_such_phase(phase: str, phase_ids: list[str]) -> Message:
    if not phase_ids:
        return Message(N_("the phase %(phase)s names no phase: pack.yml lists no 'phases'"), phase=short(phase))
    close = difflib.get_close_matches(phase, phase_ids, n=1)
    if close:
        return Message(N_("the phase %(phase)s names no phase (did you mean %(close)s?); pack.yml's phases are "
                          "%(known)s"), phase=short(phase), close=short(close[0]), known=quoted(phase_ids))
    return Message(N_("the phase %(phase)s names no phase; pack.yml's phases are %(known)s"), phase=short(phase),
                   known=quoted(phase_ids))


def _plugin_types(plugins: list[tuple[str, int, str]], loadable: int, findings: Findings) -> None:
    """A CTFd plugin type is refused by name, saying whether the rest of the pack is fine."""
    others_fine = bool(plugins) and findings.problem_count == 0
    for rel, line, kind in plugins:
        if others_fine:
            message = Message(N_("type %(kind)s is a CTFd plugin challenge type; Drillboard scores only standard "
                                 "and dynamic challenges and report tasks. Challenges without problems: "
                                 "%(loadable)s; they load once this one is removed or given the type 'standard' "
                                 "or 'dynamic'"), kind=short(kind), loadable=loadable)
        else:
            message = Message(N_("type %(kind)s is a CTFd plugin challenge type; Drillboard scores only standard "
                                 "and dynamic challenges and report tasks"), kind=short(kind))
        findings.problem(rel, line, message)


def _identity(root: Path, settings: dict[str, Any], pack_id: str | None, findings: Findings) -> tuple[str, str]:
    """The pack's id and what named it: ``--pack``, else pack.yml's ``id``, else the folder's name.

    A folder named like GitHub's "Download ZIP" of a repository gets a warning: its clone has
    another name, and the two would become two packs with every challenge twice.
    """
    from_yml = settings.pop("id", None)
    if pack_id is not None:
        try:
            return check_pack_id(pack_id, "--pack"), "option"
        except Invalid as err:
            findings.problem(".", 0, err)
            return "pack", "option"
    if from_yml is not None:
        return from_yml, "pack.yml"
    download = DOWNLOAD_FOLDER.fullmatch(root.name)
    if download:
        clone = slug(download[1])
        findings.warn(".", 0, Message(N_("the folder %(folder)s looks like GitHub's \"Download ZIP\" of %(repo)s: it "
                                         "loads as pack %(pack)s, but a clone of that repository loads as pack "
                                         "%(clone)s; add --pack %(id)s to load both as one pack"),
                                      folder=short(root.name), repo=short(download[1]), pack=short(slug(root.name)),
                                      clone=short(clone), id=clone))
    return slug(root.name), "folder"


def _challenges(root: Path, findings: Findings, file_name: str | None) -> list[ChallengeSpec]:
    """Every challenge file read, CTFd plugin types refused by name."""
    challenges, plugins = [], []
    paths = discovery.challenge_files(root, findings, file_name)
    before = findings.problem_count
    for path in paths:
        reader = ChallengeReader(root, path, findings)
        spec = reader.read()
        if spec:
            challenges.append(spec)
        if reader.plugin_type:
            plugins.append((reader.rel, *reader.plugin_type))
    if paths and not challenges and not plugins and findings.problem_count == before:
        findings.problem(".", 0, Message(N_("Files found: %(n)s; none of them is a ctfcli challenge (see the "
                                            "warnings)"), n=len(paths)))
    _check_across(challenges, findings)
    _plugin_types(plugins, len(challenges), findings)
    return challenges


def read_folder(root: Path, strict: bool = False, pack_id: str | None = None, file_name: str | None = None) -> PackSpec:
    """Validate a pack folder; raise PackError with every problem, or return the spec.

    ``pack_id`` (``--pack``) names the pack; ``file_name`` (``--file-name``) is the challenge
    file to look for, over pack.yml's ``file_name``. Warnings travel in ``PackSpec.warnings``;
    with ``strict`` they are problems too.
    """
    root = Path(root)
    if not root.is_dir():
        raise PackError([Finding(str(root), 0, Message(N_("not a folder or .zip file")))])
    findings = Findings()
    settings = _read_pack_yml(root, findings)
    ident, named_by = _identity(root, settings, pack_id, findings)
    if file_name is not None:
        try:
            discovery.check_file_name(file_name, "--file-name")
        except Invalid as err:
            findings.problem(".", 0, err)
    challenges = _challenges(root, findings, file_name or settings.pop("file_name", None))
    settings.pop("file_name", None)
    _check_phases(challenges, [p.id for p in settings.get("phases", [])], findings)
    redteam_path, services_path = (discovery.pack_file(root, name, findings) for name in (REDTEAM_FILE, SERVICES_FILE))
    redteam = RedTeamReader(root, redteam_path, findings).read() if redteam_path else None
    services = ServicesReader(root, services_path, findings).read(
        {o.key for o in redteam.objectives} if redteam else None) if services_path else None
    findings.raise_if_problems(strict)
    for extra in (redteam, services):
        if extra is not None:
            settings.update(extra.settings())
    digest = hashlib.sha256(repr(sorted((c.name, repr(c.fingerprint())) for c in challenges)).encode())
    digest.update(repr(sorted((k, str(v)) for k, v in settings.items())).encode())
    digest.update(repr(redteam).encode())
    if services is not None:
        digest.update(repr(services).encode())
    pack_translations = settings.pop("translations", {})
    briefing, pack_phases = settings.pop("briefing", ""), settings.pop("phases", [])
    return PackSpec(ident, settings.pop("title"), settings.pop("description"), root,
                    digest.hexdigest(), challenges, settings, findings.warnings, pack_translations, briefing, pack_phases,
                    redteam, services, named_by=named_by, folder=root.name, has_pack_yml=(root / "pack.yml").is_file())


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
        raise PackError([err.finding]) from None
    with archive, tempfile.TemporaryDirectory(prefix="drillpack-") as tmp:
        problems = archives.problems(archive, path.name, max_unpacked, links=True)
        if problems:
            raise PackError(problems)
        target = Path(tmp) / "pack"
        try:
            archives.extract(archive, target)
        except archives.ArchiveError as err:
            raise PackError([err.finding]) from None
        entries = [p for p in target.iterdir() if not p.name.startswith(("__MACOSX", "."))] if target.exists() else []
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() and not (target / "pack.yml").exists() else target
        if root is target:
            root = target.rename(Path(tmp) / slug(path.stem))
        yield root
