"""What organizers do to a running drill: the clock, points, team control (announcements: ``announcements``).

The CLI, the console and the API call these same functions; each writes an audit entry
and the public event in the caller's transaction. No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from scoreboard.core.clock import ENDED, NOT_STARTED, PAUSED, RUNNING
from scoreboard.core.errors import N_, NotFound, Refused
from scoreboard.drill import accounts, audit, phases
from scoreboard.store import events
from scoreboard.store.db import CLOCK, Lock, find, serialise
from scoreboard.store.models import Award, Challenge, Drill, Team, User, utcnow

CLOCK_ACTIONS = ("start", "pause", "resume", "freeze", "end", "reopen")


def _clock_event(session: Session, row: Drill, now: datetime) -> dict[str, Any]:
    return events.record(session, "clock", events.clock_of(row).as_dict(now), now)


def clock_actions_allowed(row: Drill, now: datetime) -> list[str]:
    """The clock actions that make sense in the drill's state, in the order a console offers them."""
    clock = events.clock_of(row)
    offered = {NOT_STARTED: ["start"], RUNNING: ["pause", "freeze", "end"], PAUSED: ["resume", "freeze", "end"],
               ENDED: ["reopen"]}[clock.phase(now)]
    return [action for action in offered if action != "freeze" or not clock.frozen(now)]


def clock_action(session: Session, action: str, now: datetime, actor: str) -> dict[str, Any]:
    """Start, pause, resume, freeze, end or reopen the drill now."""
    if action == "reopen":
        return reopen(session, now, actor)
    serialise(session, Lock(CLOCK))  # an answer in flight commits first, or sees the new clock
    row = events.drill(session)
    phase = events.clock_of(row).phase(now)
    if action == "start":
        if phase != NOT_STARTED:
            raise Refused(N_("the drill has already started"))
        row.starts_at, row.paused_at = now, None
        if row.ends_at and row.ends_at <= now:
            row.ends_at = None
    elif action == "pause":
        if phase != RUNNING:
            raise Refused(N_("only a running drill can be paused"))
        row.paused_at = now
    elif action == "resume":
        if phase != PAUSED:
            raise Refused(N_("the drill is not paused"))
        row.paused_at = None
    elif action == "freeze":
        if phase == ENDED:
            raise Refused(N_("the drill has ended"))
        if row.freeze_at and row.freeze_at <= now:
            raise Refused(N_("the board is already frozen"))
        row.freeze_at = now
    elif action == "end":
        if phase == ENDED:
            raise Refused(N_("the drill has already ended"))
        # At a moment no earlier than the last solve committed (every solve holds the clock's lock
        # shared): no stored solve is after the end, and later answers are refused.
        now = max(now, utcnow())
        row.ends_at = now
        row.starts_at = row.starts_at or now
        row.paused_at = None
    else:
        raise Refused(N_("unknown clock action %(action)r; use one of %(actions)s"), action=action,
                      actions=", ".join(CLOCK_ACTIONS))
    audit.record(session, actor, f"clock.{action}", {"at": now.isoformat()})
    announce_due(session, now)
    return _clock_event(session, row, now)


def reopen(session: Session, now: datetime, actor: str, ends_at: datetime | None = None) -> dict[str, Any]:
    """Run an ended drill again (an end clicked by mistake, or extra time), until ``ends_at`` or open-ended.

    A freeze already passed was revealed by the end; it is lifted rather than hiding the board
    again. A freeze still ahead stays.
    """
    row = events.drill(session)
    phase = events.clock_of(row).phase(now)
    if phase != ENDED:
        raise Refused(N_("only an ended drill can be reopened"))
    if ends_at is not None and ends_at <= now:
        raise Refused(N_("the new end must be in the future"))
    lifted = bool(row.freeze_at and row.freeze_at <= now)
    if ends_at is not None and not lifted and row.freeze_at and row.freeze_at > ends_at:
        raise Refused(N_("the freeze must fall between the start and the end; choose a later end"))
    if lifted:
        row.freeze_at, row.freeze_announced_at = None, None
    row.ends_at, row.end_announced_at, row.paused_at = ends_at, None, None
    audit.record(session, actor, "clock.reopen", {"at": now.isoformat(), "ends_at": ends_at.isoformat() if ends_at else None,
                                                  "freeze_lifted": lifted})
    announce_due(session, now)
    return _clock_event(session, row, now)


def ends_in_the_past(times: dict[str, datetime | None], now: datetime) -> bool:
    """Whether setting ``times`` moves the end to now or earlier: the drill is over at once, so the
    console and the CLI must say so (the change is allowed: it is how a drill is cut short)."""
    end = times.get("ends_at")
    return end is not None and end <= now


def set_clock(session: Session, now: datetime, actor: str, **times: datetime | None) -> dict[str, Any]:
    """Set any of ``starts_at``, ``ends_at``, ``freeze_at``; refuse an order that makes no sense."""
    serialise(session, Lock(CLOCK))  # an end moved into the past is ordered with answers in flight
    row = events.drill(session)
    merged = {key: times.get(key, getattr(row, key)) for key in ("starts_at", "ends_at", "freeze_at")}
    start, end, freeze = merged["starts_at"], merged["ends_at"], merged["freeze_at"]
    if start and end and end <= start:
        raise Refused(N_("the end must be after the start; change the end or the start"))
    if freeze and ((start and freeze < start) or (end and freeze > end)):
        raise Refused(N_("the freeze must fall between the start and the end"))
    for key, value in times.items():
        setattr(row, key, value)
    if "freeze_at" in times and (freeze is None or freeze > now):
        row.freeze_announced_at = None
    if "ends_at" in times and (end is None or end > now):
        row.end_announced_at = None
    audit.record(session, actor, "clock.set", {k: v.isoformat() if v else None for k, v in times.items()})
    return _clock_event(session, row, now)


def tick(session: Session, now: datetime) -> None:
    """What each worker does every tick: the freeze and the end as time brings them, and the audit
    entries committed since the last tick linked into the chain (on PostgreSQL)."""
    announce_due(session, now)
    audit.chain(session)


def announce_due(session: Session, now: datetime) -> None:
    """Emit what the passing of time made happen: releases, the freeze, the end (reveal).

    Each is claimed with a guarded UPDATE so that exactly one worker emits it. Phases due open
    first, so the challenges they hold are released with the others.
    """
    phases.open_due(session, now)
    events.announce_releases(session, now)
    row = events.drill(session)
    clock = events.clock_of(row)
    if row.freeze_at and row.freeze_at <= now and clock.phase(now) != ENDED and _claim(session, "freeze_announced_at", now):
        events.record(session, "freeze", {"frozen": True, "at": row.freeze_at.isoformat()}, now)
    if row.ends_at and row.ends_at <= now and _claim(session, "end_announced_at", now):
        # The end lifts the freeze: the next standings event is the reveal.
        events.record(session, "clock", clock.as_dict(now), now)


def _claim(session: Session, column: str, now: datetime) -> bool:
    claimed = session.execute(
        update(Drill).where(Drill.id == 1, getattr(Drill, column).is_(None)).values({column: now})
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        session.expire(events.drill(session), [column])
    return bool(claimed)


def award(session: Session, team_id: int, value: Any, reason: Any, now: datetime, actor: User | None,
          category: str | None = None) -> Award:
    """Add (or, negative, deduct) points with a reason; shows on the team page and the board."""
    team = find(session, Team, team_id)
    if team is None:
        raise NotFound(N_("no such team"))
    if isinstance(value, bool) or not isinstance(value, int) or value == 0 or abs(value) > 100_000:
        raise Refused(N_("points must be a non-zero whole number between -100000 and 100000"))
    if not isinstance(reason, str) or not reason.strip():
        raise Refused(N_("a reason is required: say why the points are awarded or deducted"))
    row = Award(team_id=team.id, value=value, reason=reason.strip(), category=category,
                author_id=actor.id if actor else None, at=now)
    session.add(row)
    session.flush()
    label = actor.name if actor else "cli"
    audit.cover(session, label, "award", "award", row.id, {c: getattr(row, c) for c in audit.SCORE_ROWS["award"][1]})
    payload = {"team": team.name, "team_id": team.id, "value": value, "reason": row.reason, "at": now.isoformat()}
    events.record(session, "award", payload, now, held=events.clock_of(events.drill(session)).frozen(now))
    events.notify_team(session, team.id, "notice", {"kind": "award", **payload})
    return row


def set_team_disabled(session: Session, team_id: int, disabled: bool, actor: str) -> Team:
    """Take a team out of the drill or bring it back. Disabling revokes the tokens of the team and
    its members for good; its members' open live connections are dropped when the "team" event
    is read (``live.socket``)."""
    team = find(session, Team, team_id)
    if team is None:
        raise NotFound(N_("no such team"))
    team.disabled = disabled
    if disabled:
        accounts.revoke_tokens(session, team=team, members=True)
    audit.record(session, actor, "team.disable" if disabled else "team.enable", {"team_id": team.id})
    events.record(session, "team", {"team_id": team.id, "team": team.name, "country": team.country,
                                    "disabled": disabled})
    return team


def create_team(session: Session, name: Any, country: Any, actor: str) -> Team:
    team = accounts.create_team(session, name, country)  # refuses with an AccountError
    audit.record(session, actor, "team.create", {"team_id": team.id, "name": team.name, "country": team.country})
    events.record(session, "team", {"team_id": team.id, "team": team.name, "country": team.country, "disabled": False})
    return team


def schedule(session: Session, challenge_id: int, release_at: datetime | None, actor: str) -> Challenge:
    """Set (or clear) when a challenge opens; the ticker emits ``release`` when it does."""
    challenge = find(session, Challenge, challenge_id)
    if challenge is None or challenge.removed:
        raise NotFound(N_("no such challenge"))
    challenge.release_at, challenge.release_after = release_at, None
    challenge.release_announced_at = None
    events.mark(session, "catalog", {"challenge_id": challenge.id})
    audit.record(session, actor, "challenge.schedule",
                 {"challenge_id": challenge.id, "release_at": release_at.isoformat() if release_at else None})
    return challenge


def audit_pack(session: Session, actor: str, diff: Any) -> None:
    audit.record(session, actor, "pack.load", diff.as_dict())


def rotate_join_code(session: Session, team_id: int, actor: str) -> Team:
    team = find(session, Team, team_id)
    if team is None:
        raise NotFound(N_("no such team"))
    accounts.rotate_join_code(team)
    audit.record(session, actor, "team.rotate_join_code", {"team_id": team.id})
    return team


def rotate_team_token(session: Session, team_id: int, actor: str) -> tuple[Team, str]:
    """A new API token for a team's scripts (shown once); the old one is refused from now on."""
    team = find(session, Team, team_id)
    if team is None:
        raise NotFound(N_("no such team"))
    token = accounts.rotate_token(session, team=team)
    audit.record(session, actor, "team.rotate_token", {"team_id": team.id})
    return team, token


def reset_member_password(session: Session, user_id: int, actor: str) -> tuple[User, str]:
    """A new random password for a member; their open sessions end."""
    user = find(session, User, user_id)
    if user is None or user.role != "member":
        raise NotFound(N_("no such member"))
    password = accounts.reset_password(session, user)
    audit.record(session, actor, "user.reset_password", {"user_id": user.id, "name": user.name})
    return user, password
