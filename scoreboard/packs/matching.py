"""Which stored challenge each challenge of a pack is, and what a load would do to solves.

A challenge's identity in its pack is its ``id:`` when the yml gives one, else its name. A load
that removes a challenge with solves, or changes the flags its solves were made against, would
make those solves count for something nobody solved: it is listed (the dry run shows it) and
refused unless confirmed (``--yes``, the console's confirmation). A name that another pack
also has is a warning naming both packs: it is how one repository loaded twice shows itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.packs.problems import PackError, short
from scoreboard.packs.spec import ChallengeSpec, PackSpec
from scoreboard.store.models import Challenge, Solve


@dataclass
class AtRisk:
    """A challenge with solves that the load would remove, or whose flags it would change."""

    name: str
    solves: int
    why: str  # "removed" | "flags"

    def line(self) -> str:
        what = "removes" if self.why == "removed" else "changes the flags of"
        return f"the load {what} {short(self.name)}, solved {self.solves} time(s)"


def match(session: Session, spec: PackSpec) -> tuple[dict[str, Challenge], list[Challenge]]:
    """The stored row of each spec challenge (by name), and the pack's rows that nothing matched.

    A challenge with an ``id:`` finds its row by that id (so a rename keeps it), else adopts the
    row of its name that has no id yet; a row of its name with another id is a different
    challenge, and the load is refused rather than let one replace the other.
    """
    rows = list(session.scalars(select(Challenge).where(Challenge.pack_id == spec.id).order_by(Challenge.id)))
    by_key = {row.key: row for row in rows if row.key is not None}
    by_name = {row.name: row for row in rows}
    found: dict[str, Challenge] = {}
    problems = []
    for challenge in spec.challenges:
        row = by_key.get(challenge.key) if challenge.key is not None else None
        named = by_name.get(challenge.name)
        if row is None and named is not None:
            if named.key is None or named.key == challenge.key:
                row = named
            else:
                problems.append(f"{challenge.source}:{challenge.lines.get('id', 1)}: {short(challenge.name)} has the id "
                                f"{short(challenge.key)}, but the pack's loaded {short(named.name)} has the id "
                                f"{short(named.key)}; give it back that id, or another name")
        elif row is not None and named is not None and named is not row:
            problems.append(f"{challenge.source}:{challenge.lines.get('name', 1)}: renaming {short(row.name)} to "
                            f"{short(challenge.name)}, a name the pack already has; choose another name")
        if row is not None:
            found[challenge.name] = row
    if problems:
        raise PackError(problems, spec.warnings)
    matched = {row.id for row in found.values()}
    return found, [row for row in rows if row.id not in matched]


def _answers(challenge: Challenge | ChallengeSpec) -> list[tuple[str, object, object]]:
    return [(a.type, a.content, a.options or {}) for a in challenge.answers]


def at_risk(session: Session, spec: PackSpec, found: dict[str, Challenge], removed: list[Challenge]) -> list[AtRisk]:
    """Challenges with solves that this load would remove or give other flags, by name."""
    ids = [row.id for row in removed] + [row.id for row in found.values()]
    counts = dict(session.execute(select(Solve.challenge_id, func.count()).where(Solve.challenge_id.in_(ids))
                                  .group_by(Solve.challenge_id)).all()) if ids else {}
    risky = [AtRisk(row.name, counts[row.id], "removed") for row in removed if counts.get(row.id)]
    for challenge in spec.challenges:
        row = found.get(challenge.name)
        if row is not None and counts.get(row.id) and not row.removed and _answers(row) != _answers(challenge):
            risky.append(AtRisk(row.name, counts[row.id], "flags"))
    return sorted(risky, key=lambda r: r.name)


def collisions(session: Session, spec: PackSpec) -> list[str]:
    """Warnings for the challenges whose names another pack has too, naming both packs."""
    names = {c.name: c for c in spec.challenges}
    rows = session.execute(select(Challenge.name, Challenge.pack_id).where(
        Challenge.name.in_(names), Challenge.pack_id != spec.id, Challenge.removed.is_(False))
        .order_by(Challenge.name, Challenge.pack_id)).all()
    return [f"{names[name].source}:{names[name].lines.get('name', 1)}: {short(name)} is also a challenge of pack "
            f"{short(other)}; loaded into pack {short(spec.id)}, teams see it twice (if both are one repository, "
            f"load it with --pack {other})" for name, other in rows]
