"""A validated ``PackSpec`` against the database: what would change (the dry run) and the
change itself, in the caller's transaction. Challenges are matched by name and updated in
place, so submissions, solves, hint unlocks and attachment URLs survive a reload."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.core.clock import public_name
from scoreboard.core.errors import N_, Message
from scoreboard.packs import matching, service_rows
from scoreboard.packs.matching import AtRisk
from scoreboard.packs.problems import Finding, PackError, as_finding, short
from scoreboard.packs.spec import AnswerSpec, ChallengeSpec, FileSpec, HintSpec, PackSpec, PhaseSpec
from scoreboard.store import blobs, events
from scoreboard.store.models import Answer, Challenge, Drill, File, Hint, Objective, Pack, PackLoad, Phase, utcnow

NAMED_BY = {"option": "named by --pack", "pack.yml": "named by pack.yml's id",
            "folder": "named after the folder {folder}; --pack ID or pack.yml's id names it otherwise"}


@dataclass
class PackDiff:
    pack_id: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)  # each phase and how it opens, in order
    # redteam.yml's objectives as "id: title (points)", in the file's order.
    objectives: list[str] = field(default_factory=list)
    # services.yml's services as "id: title (kind, points per round)", then the round and hosts.
    services: list[str] = field(default_factory=list)
    named_by: str = "folder"  # PackSpec.named_by: "option" | "pack.yml" | "folder"
    folder: str = ""
    merge: bool = False  # --merge: the pack's challenges not in this folder stay
    # Challenges with solves the load removes or re-flags: {"name", "solves", "why"}.
    at_risk: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [f"pack {self.pack_id} ({NAMED_BY[self.named_by].format(folder=short(self.folder))}):"]
        out += [f"  + {name}" for name in self.added]
        out += [f"  ~ {name}" for name in self.changed]
        out += [f"  - {name}" for name in self.removed]
        out += [f"  phase {line}" for line in self.phases]
        kept = ", the pack's other challenges kept (--merge)" if self.merge else ""
        out.append(f"  {len(self.added)} added, {len(self.changed)} changed, "
                   f"{len(self.removed)} removed, {len(self.unchanged)} unchanged{kept}")
        if self.objectives:
            out.append(f"  red-team objectives ({len(self.objectives)}):")
            out += [f"    {line}" for line in self.objectives]
        if self.services:
            out.append(f"  defended services ({len(self.services) - 1}):")
            out += [f"    {line}" for line in self.services]
        if self.at_risk:
            out.append(f"  solves at stake ({len(self.at_risk)}; loading needs --yes):")
            out += [f"    ! {AtRisk(**item).line()}" for item in self.at_risk]
        return out


class Unconfirmed(PackError):
    """A load that would remove or re-flag solved challenges, not confirmed: nothing changed."""

    def __init__(self, diff: PackDiff) -> None:
        problems = [f".:0: {AtRisk(**item).line()}" for item in diff.at_risk]
        problems.append(".:0: their solves would count for a challenge nobody solved; load with --yes "
                        "to do it anyway, or keep those challenges and flags")
        super().__init__(problems, diff.warnings, len(diff.at_risk))
        self.diff = diff


def _resolve_ids(session: Session, spec: PackSpec) -> None:
    """Requirements given as ids (ctfcli allows them) become the names Drillboard stores."""
    names = {c.name for c in spec.challenges}
    problems = []
    for challenge in spec.challenges:
        line = challenge.lines.get("requirements", 1)
        resolved: list[str | int] = []
        for required in challenge.requirements:
            row = session.get(Challenge, required) if isinstance(required, int) else None
            if not isinstance(required, int):
                resolved.append(required)
                continue
            if row is None or row.removed:
                message = Message(N_("the requirement %(id)s: no loaded challenge has this id"), id=required)
            elif row.pack_id != spec.id:
                message = Message(N_("the requirement %(id)s is %(name)s of pack %(pack)s; a challenge can require "
                                     "only challenges of its own pack"), id=required, name=short(row.name),
                                  pack=short(row.pack_id))
            elif row.name not in names:
                message = Message(N_("the requirement %(id)s is %(name)s, which this pack no longer has"),
                                  id=required, name=short(row.name))
            elif row.name == challenge.name:
                message = Message(N_("the requirement %(id)s: a challenge cannot require itself"), id=required)
            else:
                resolved.append(row.name)
                continue
            problems.append(Finding(challenge.source, line, message))
        challenge.requirements = resolved
    if problems:
        raise PackError(problems, spec.warnings)


def _stored_fingerprint(challenge: Challenge) -> dict[str, Any]:
    spec = ChallengeSpec(
        name=challenge.name, source="", category=challenge.category, author=challenge.author,
        description=challenge.description, kind=challenge.kind, scoring=challenge.scoring, value=challenge.value,
        initial=challenge.initial, decay=challenge.decay, minimum=challenge.minimum,
        function=challenge.function,
        answers=[AnswerSpec(a.type, a.content, a.options) for a in challenge.answers],
        hints=[HintSpec(h.content, h.cost, h.title, h.key, list(h.requirements or []))
               for h in challenge.hints if not h.removed],
        files=[FileSpec(f.name, Path(), f.sha256, f.size) for f in challenge.files],
        tags=list(challenge.tags), topics=list(challenge.topics),
        requirements=list(challenge.requirements), anonymize=challenge.anonymize,
        state=challenge.state, max_attempts=challenge.max_attempts, logic=challenge.logic,
        connection_info=challenge.connection_info, version=challenge.version,
        attribution=challenge.attribution, release_at=challenge.release_at,
        release_after=challenge.release_after, translations=dict(challenge.translations),
        solution=challenge.solution, rubric=list(challenge.rubric or []), deadline_at=challenge.deadline_at,
        deadline_after=challenge.deadline_after, phase=challenge.phase, late=challenge.late,
        guide=challenge.guide or "", key=challenge.key,
    )
    return spec.fingerprint()


def _opening(phase: PhaseSpec) -> str:
    if phase.opens_at:
        return f"opens at {phase.opens_at.isoformat()}"
    if phase.opens_after is not None:
        return f"opens {phase.opens_after // 60} min after the start"
    return "opened by an organizer"


def _check_phase_ids(session: Session, spec: PackSpec) -> None:
    """Phase ids name phases drill-wide (``drill phase open ID``): another pack's id is refused."""
    ids = [p.id for p in spec.phases]
    taken = session.execute(select(Phase.id, Phase.pack_id).where(Phase.id.in_(ids), Phase.pack_id != spec.id)).all()
    if taken:
        raise PackError([Finding("pack.yml", next(p.line for p in spec.phases if p.id == pid),
                                 Message(N_("the phase %(phase)s is already a phase of pack %(pack)s; choose another "
                                            "id"), phase=short(pid), pack=short(owner)))
                         for pid, owner in taken], spec.warnings)


def diff_pack(session: Session, spec: PackSpec, merge: bool = False) -> PackDiff:
    """What applying ``spec`` would add, change and remove, and the solves at stake: the dry run."""
    _resolve_ids(session, spec)
    _check_phase_ids(session, spec)
    service_rows.check_ids(session, spec)
    found, unmatched = matching.match(session, spec)
    removed = [] if merge else [row for row in unmatched if not row.removed]
    diff = PackDiff(spec.id, warnings=[*spec.warnings, *map(as_finding, matching.collisions(session, spec))],
                    phases=[f"{p.id}: {p.title} ({_opening(p)})" for p in spec.phases],
                    objectives=[f"{o.key}: {o.title} ({o.points})" for o in spec.redteam.objectives]
                    if spec.redteam else [], services=service_rows.summary(spec), named_by=spec.named_by,
                    folder=spec.folder, merge=merge,
                    at_risk=[asdict(r) for r in matching.at_risk(session, spec, found, removed)])
    for challenge in spec.challenges:
        stored = found.get(challenge.name)
        if stored is None or stored.removed:
            diff.added.append(challenge.name)
        elif _stored_fingerprint(stored) != challenge.fingerprint():
            diff.changed.append(challenge.name)
        else:
            diff.unchanged.append(challenge.name)
    diff.removed = sorted(row.name for row in removed)
    return diff


def _store_file(session: Session, files_dir: Path, spec: FileSpec) -> str:
    """Content-addressed copy, so no pack path reaches the disk: a blob in the transaction with
    PostgreSQL (every host serves it), else a file named by its hash under the files dir."""
    if blobs.in_database(session):
        return blobs.put_file(session, spec.path, spec.sha256, spec.size)
    relative = f"{spec.sha256[:2]}/{spec.sha256}"
    target = files_dir / relative
    if not target.exists():
        with spec.path.open("rb") as handle:
            blobs.write_whole(target, blobs.pieces(handle))
    return relative


def _slot(rows: list[Any], position: int, model: type) -> Any:
    """The row at ``position``, appending a new one when the list is shorter."""
    if position < len(rows):
        return rows[position]
    row = model(position=position)
    rows.append(row)
    return row


def _write_challenge(challenge: Challenge, spec: ChallengeSpec, stored_files: dict[str, str]) -> None:
    for attr in (
        "category", "author", "description", "scoring", "value", "initial", "decay", "minimum",
        "function", "tags", "topics", "requirements", "anonymize", "state", "max_attempts",
        "logic", "connection_info", "version", "attribution", "release_at", "release_after",
        "translations", "solution", "source", "kind", "rubric", "deadline_at", "deadline_after", "phase", "late",
        "guide", "name", "key",
    ):
        setattr(challenge, attr, getattr(spec, attr))
    challenge.removed = False
    # Answers and hints are updated in place by position so captures and unlocks stay attached.
    for position, answer_spec in enumerate(spec.answers):
        answer = _slot(challenge.answers, position, Answer)
        answer.type, answer.content, answer.options = answer_spec.type, answer_spec.content, answer_spec.options
    del challenge.answers[len(spec.answers):]
    for position, hint_spec in enumerate(spec.hints):
        hint = _slot(challenge.hints, position, Hint)
        hint.content, hint.cost, hint.title = hint_spec.content, hint_spec.cost, hint_spec.title
        hint.key, hint.requirements, hint.removed = hint_spec.key, hint_spec.requirements, False
    for hint in challenge.hints[len(spec.hints):]:
        hint.removed = True
    # Files are kept by name, so the /files/<id>/<name> links teams already have keep working.
    kept = {f.name: f for f in challenge.files}
    rows = []
    for file_spec in spec.files:
        row = kept.get(file_spec.name) or File(name=file_spec.name)
        row.stored_path, row.sha256, row.size = stored_files[file_spec.sha256], file_spec.sha256, file_spec.size
        rows.append(row)
    challenge.files = rows


def _write_phases(session: Session, spec: PackSpec) -> dict[str, datetime | None]:
    """The pack's phases in place by id (an opened phase stays open); those it dropped go.

    Returns each phase's opening time, for the challenges it holds.
    """
    stored = {p.id: p for p in session.scalars(select(Phase).where(Phase.pack_id == spec.id))}
    for position, phase_spec in enumerate(spec.phases):
        row = stored.pop(phase_spec.id, None) or Phase(id=phase_spec.id, pack_id=spec.id)
        row.position, row.title, row.description = position, phase_spec.title, phase_spec.description
        row.translations, row.opens_at, row.opens_after = phase_spec.translations, phase_spec.opens_at, phase_spec.opens_after
        session.add(row)
    for row in stored.values():
        session.delete(row)
    session.flush()
    return dict(session.execute(select(Phase.id, Phase.opened_at).where(Phase.pack_id == spec.id)).all())
def _write_objectives(session: Session, spec: PackSpec) -> None:
    """redteam.yml's objectives, matched by id and updated in place (deductions keep theirs);
    one the file no longer lists, or a pack without the file, marks them removed."""
    existing = {o.key: o for o in session.scalars(select(Objective).where(Objective.pack_id == spec.id))}
    listed = spec.redteam.objectives if spec.redteam else []
    for position, item in enumerate(listed):
        row = existing.pop(item.key, None) or Objective(pack_id=spec.id, key=item.key)
        row.title, row.category, row.points, row.asset = item.title, item.category, item.points, item.asset
        row.translations, row.position, row.removed = item.translations, position, False
        session.add(row)
    for row in existing.values():
        row.removed = True


def _write_pack(session: Session, spec: PackSpec, pack: Pack, now: datetime) -> dict[str, datetime | None]:
    """pack.yml's side: title, texts, clock settings and phases; returns when each phase opened."""
    pack.title, pack.description, pack.digest, pack.loaded_at = spec.title, spec.description, spec.digest, now
    pack.translations, pack.briefing = spec.translations, spec.briefing
    opened = _write_phases(session, spec)
    drill = events.drill(session)
    settings = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in spec.settings.items()}
    for key, value in settings.items():
        # An organizer's later `clock set` survives a reload unless pack.yml itself changed that time.
        if pack.settings.get(key) != value:
            setattr(drill, key, spec.settings[key])
    pack.settings = settings
    if drill.title == Drill.title.default.arg:
        drill.title = spec.title  # the first pack names the drill
    if drill.starts_at is None and not spec.phases and session.scalar(select(Phase.id).limit(1)) is None:
        # No start time anywhere: an open practice from the first load. An exercise in phases
        # waits for its organizers to start it (STARTEX), whatever pack is loaded beside it.
        drill.starts_at = now
    return opened


def apply_pack(session: Session, spec: PackSpec, files_dir: Path, actor_id: int | None = None, *,
               merge: bool = False, confirmed: bool = False) -> PackDiff:
    """Write a validated pack in the caller's transaction; return what changed.

    With ``merge`` (a category folder loaded into its pack) the pack's other challenges stay, and
    without a pack.yml (or redteam.yml) in the folder the pack's own settings (or objectives) too.
    Raises ``Unconfirmed`` when solved challenges would be removed or re-flagged and not ``confirmed``.
    """
    diff = diff_pack(session, spec, merge)
    if diff.at_risk and not confirmed:
        raise Unconfirmed(diff)
    stored = {f.sha256: _store_file(session, files_dir, f) for c in spec.challenges for f in c.files}
    pack = session.get(Pack, spec.id)
    now = utcnow()
    if pack is not None and merge and not spec.has_pack_yml:
        pack.loaded_at = now
        opened = dict(session.execute(select(Phase.id, Phase.opened_at).where(Phase.pack_id == spec.id)).all())
    else:
        if pack is None:
            pack = Pack(id=spec.id, title=spec.title, description=spec.description, digest=spec.digest, settings={})
            session.add(pack)
        opened = _write_pack(session, spec, pack, now)
    found, unmatched = matching.match(session, spec)
    rows = [*found.values(), *unmatched]
    shown_before = {c.id: public_name(c) for c in rows}
    for position, challenge_spec in enumerate(spec.challenges):
        challenge = found.get(challenge_spec.name)
        if challenge is None:
            challenge = Challenge(pack=pack, name=challenge_spec.name)
            session.add(challenge)
        challenge.position = position
        _write_challenge(challenge, challenge_spec, stored)
        challenge.phase_opened_at = opened.get(challenge_spec.phase)
    for row in unmatched:
        row.removed = row.removed or row.name in diff.removed
    events.rename_challenges(session, {c.id: (shown_before[c.id], public_name(c)) for c in rows
                                       if public_name(c) != shown_before[c.id]})
    if not merge or spec.redteam is not None:
        _write_objectives(session, spec)
    if not merge or spec.services is not None:
        service_rows.write(session, spec, files_dir)
    session.add(PackLoad(pack_id=spec.id, digest=spec.digest, actor_id=actor_id, summary=diff.as_dict()))
    session.flush()
    events.record(session, "pack", {"pack_id": spec.id, "title": spec.title, "added": len(diff.added),
                                    "changed": len(diff.changed), "removed": len(diff.removed)}, now)
    events.announce_releases(session, now)
    return diff
