"""A validated ``PackSpec`` against the database: what would change (the dry run) and the
change itself, in the caller's transaction. Challenges are matched by name and updated in
place, so submissions, solves, hint unlocks and attachment URLs survive a reload."""
from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.core.clock import public_name
from scoreboard.packs.problems import PackError, short
from scoreboard.packs.spec import AnswerSpec, ChallengeSpec, FileSpec, HintSpec, PackSpec, PhaseSpec
from scoreboard.store import events
from scoreboard.store.models import Answer, Challenge, Drill, File, Hint, Objective, Pack, PackLoad, Phase, utcnow


@dataclass
class PackDiff:
    pack_id: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)  # each phase and how it opens, in order
    # redteam.yml's objectives as "id: title (points)", in the file's order.
    objectives: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [f"pack {self.pack_id}:"]
        out += [f"  + {name}" for name in self.added]
        out += [f"  ~ {name}" for name in self.changed]
        out += [f"  - {name}" for name in self.removed]
        out += [f"  phase {line}" for line in self.phases]
        out.append(f"  {len(self.added)} added, {len(self.changed)} changed, "
                   f"{len(self.removed)} removed, {len(self.unchanged)} unchanged")
        if self.objectives:
            out.append(f"  red-team objectives ({len(self.objectives)}):")
            out += [f"    {line}" for line in self.objectives]
        return out


def _resolve_ids(session: Session, spec: PackSpec) -> None:
    """Requirements given as ids (ctfcli allows them) become the names Drillboard stores."""
    names = {c.name for c in spec.challenges}
    problems = []
    for challenge in spec.challenges:
        where = f"{challenge.source}:{challenge.lines.get('requirements', 1)}: requirement {{}}"
        resolved: list[str | int] = []
        for required in challenge.requirements:
            row = session.get(Challenge, required) if isinstance(required, int) else None
            if not isinstance(required, int):
                resolved.append(required)
            elif row is None or row.removed:
                problems.append(where.format(required) + f": no loaded challenge has the id {required}")
            elif row.pack_id != spec.id:
                problems.append(where.format(required) + f" is {short(row.name)} of pack {short(row.pack_id)}; "
                                                         "a challenge can require only challenges of its own pack")
            elif row.name not in names:
                problems.append(where.format(required) + f" is {short(row.name)}, which this pack no longer has")
            elif row.name == challenge.name:
                problems.append(where.format(required) + ": a challenge cannot require itself")
            else:
                resolved.append(row.name)
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
        guide=challenge.guide or "",
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
        raise PackError([f"pack.yml:{next(p.line for p in spec.phases if p.id == pid)}: phase {short(pid)} is already "
                         f"a phase of pack {short(owner)}; choose another id" for pid, owner in taken], spec.warnings)


def diff_pack(session: Session, spec: PackSpec) -> PackDiff:
    """What applying ``spec`` would add, change and remove: the dry run."""
    _resolve_ids(session, spec)
    _check_phase_ids(session, spec)
    existing = {c.name: c for c in session.scalars(select(Challenge).where(Challenge.pack_id == spec.id))}
    diff = PackDiff(spec.id, warnings=list(spec.warnings),
                    phases=[f"{p.id}: {p.title} ({_opening(p)})" for p in spec.phases],
                    objectives=[f"{o.key}: {o.title} ({o.points})" for o in spec.redteam.objectives]
                    if spec.redteam else [])
    for challenge in spec.challenges:
        stored = existing.get(challenge.name)
        if stored is None or stored.removed:
            diff.added.append(challenge.name)
        elif _stored_fingerprint(stored) != challenge.fingerprint():
            diff.changed.append(challenge.name)
        else:
            diff.unchanged.append(challenge.name)
    names = {c.name for c in spec.challenges}
    diff.removed = sorted(n for n, c in existing.items() if n not in names and not c.removed)
    return diff


def _store_file(files_dir: Path, spec: FileSpec) -> str:
    """Content-addressed copy: the stored name is the hash, so no pack path reaches the disk."""
    relative = f"{spec.sha256[:2]}/{spec.sha256}"
    target = files_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        shutil.copyfile(spec.path, tmp)
        tmp.replace(target)
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
        "guide",
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


def apply_pack(session: Session, spec: PackSpec, files_dir: Path, actor_id: int | None = None) -> PackDiff:
    """Write a validated pack in the caller's transaction; return what changed."""
    diff = diff_pack(session, spec)
    stored = {f.sha256: _store_file(files_dir, f) for c in spec.challenges for f in c.files}
    pack = session.get(Pack, spec.id)
    if pack is None:
        pack = Pack(id=spec.id, title=spec.title, description=spec.description, digest=spec.digest, settings={})
        session.add(pack)
    pack.title, pack.description, pack.digest, pack.loaded_at = spec.title, spec.description, spec.digest, utcnow()
    pack.translations, pack.briefing = spec.translations, spec.briefing
    opened = _write_phases(session, spec)
    existing = {c.name: c for c in session.scalars(select(Challenge).where(Challenge.pack_id == spec.id))}
    shown_before = {c.id: public_name(c) for c in existing.values()}
    now = utcnow()
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
    for position, challenge_spec in enumerate(spec.challenges):
        challenge = existing.get(challenge_spec.name)
        if challenge is None:
            challenge = Challenge(pack=pack, name=challenge_spec.name)
            session.add(challenge)
        challenge.position = position
        _write_challenge(challenge, challenge_spec, stored)
        challenge.phase_opened_at = opened.get(challenge_spec.phase)
    for name in diff.removed:
        existing[name].removed = True
    events.rename_challenges(session, {c.id: (shown_before[c.id], public_name(c)) for c in existing.values()
                                       if public_name(c) != shown_before[c.id]})
    _write_objectives(session, spec)
    session.add(PackLoad(pack_id=spec.id, digest=spec.digest, actor_id=actor_id, summary=diff.as_dict()))
    session.flush()
    events.record(session, "pack", {"pack_id": spec.id, "title": spec.title, "added": len(diff.added),
                                    "changed": len(diff.changed), "removed": len(diff.removed)}, now)
    events.announce_releases(session, now)
    return diff
