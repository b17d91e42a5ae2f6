"""The exercise in phases: STARTEX, the phases that follow (injects), and the briefing.

A phase waits until it opens: at its ``opens_at``, ``opens_after`` the start (the clock tick
calls ``open_due``), or when an organizer opens it (``open_phase``: the CLI, the console and
the tick share it). Opening is claimed with a guarded UPDATE, so exactly one worker opens a
phase; it is audited, sent as a ``phase`` event, posted to every inbox as an announcement (the
inject's title and description, in each language the pack gives) and releases the phase's
challenges, which were hidden until then (``clock.waiting``). No Flask here.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from scoreboard.core.clock import NOT_STARTED, PAUSED, RUNNING
from scoreboard.core.errors import N_, NotFound, Refused
from scoreboard.core.text import render_markdown
from scoreboard.drill import announcements, audit
from scoreboard.packs.translations import drill_title
from scoreboard.store import events
from scoreboard.store.caches import title_translations
from scoreboard.store.models import Challenge, Pack, Phase

WAITING, OPEN = "waiting", "open"


def ordered(session: Session) -> list[Phase]:
    """Every phase in the order the packs list them."""
    return list(session.scalars(select(Phase).order_by(Phase.pack_id, Phase.position)))


def title_in(phase: Phase, lang: str) -> str:
    return phase.translations.get(lang, {}).get("title") or phase.title


def describe(phase: Phase, lang: str) -> dict[str, Any]:
    """A phase as the API and the pages show it, in ``lang``; the description only once it is open."""
    is_open = phase.opened_at is not None
    description = phase.translations.get(lang, {}).get("description") or phase.description
    return {"id": phase.id, "title": title_in(phase, lang), "state": OPEN if is_open else WAITING,
            "opened_at": phase.opened_at.isoformat() if is_open else None,
            "description_html": render_markdown(description) if is_open and description else ""}


def planned(phase: Phase, starts_at: datetime | None) -> datetime | None:
    """When a waiting phase opens by itself; None when an organizer opens it (or the start is unset)."""
    if phase.opens_at:
        return phase.opens_at
    if phase.opens_after is not None and starts_at:
        return starts_at + timedelta(seconds=phase.opens_after)
    return None


def current(session: Session) -> Phase | None:
    """The phase the exercise is in: the one opened last (None before the first opens)."""
    return session.scalar(select(Phase).where(Phase.opened_at.is_not(None))
                          .order_by(Phase.opened_at.desc(), Phase.pack_id.desc(), Phase.position.desc()).limit(1))


def open_phase(session: Session, phase_id: Any, now: datetime, actor: str) -> dict[str, Any]:
    """Open a phase now: its challenges appear (``release``) and everyone hears ``phase``."""
    phase = session.get(Phase, phase_id) if isinstance(phase_id, str) and len(phase_id) <= 100 else None
    if phase is None:
        raise NotFound(N_("no such phase: %(id)s"), id=str(phase_id)[:100])
    clock = events.clock_of(events.drill(session))
    if clock.phase(now) == NOT_STARTED:
        raise Refused(N_("the drill has not started: start it (STARTEX) before opening a phase"), status=409)
    if clock.phase(now) not in (RUNNING, PAUSED):
        raise Refused(N_("the drill has ended; no phase can open now"), status=409)
    return _open(session, phase, now, actor)


def _open(session: Session, phase: Phase, now: datetime, actor: str) -> dict[str, Any]:
    claimed = session.execute(
        update(Phase).where(Phase.id == phase.id, Phase.opened_at.is_(None)).values(opened_at=now, opened_by=actor)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise Refused(N_("phase %(title)s is already open"), status=409, title=phase.title)
    session.expire(phase, ["opened_at", "opened_by"])
    for challenge in session.scalars(select(Challenge).where(Challenge.phase == phase.id)):
        challenge.phase_opened_at = now
    session.flush()
    audit.record(session, actor, "phase.open", {"phase": phase.id, "title": phase.title, "at": now.isoformat()})
    payload = events.record(session, "phase", {"id": phase.id, "title": phase.title, "at": now.isoformat()}, now)
    _announce(session, phase, now)
    events.announce_releases(session, now)
    return payload


def _announce(session: Session, phase: Phase, now: datetime) -> None:
    """The inject as teams hear of it: an announcement in every inbox and on the board."""
    texts = {lang: {"title": text.get("title", ""), "body": text.get("description", "")}
             for lang, text in (phase.translations or {}).items()
             if lang in announcements.OTHER_LANGUAGES and text.get("title")}
    announcements.announce(session, phase.title, phase.description or "", now, None, translations=texts)


def open_due(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Open every waiting phase whose time has come (the clock tick); only while the drill runs."""
    row = events.drill(session)
    if events.clock_of(row).phase(now) != RUNNING:
        return []
    waiting = session.scalars(select(Phase).where(Phase.opened_at.is_(None),
                                                  or_(Phase.opens_at.is_not(None), Phase.opens_after.is_not(None)))
                              .order_by(Phase.pack_id, Phase.position))
    opened = []
    for phase in list(waiting):
        due = planned(phase, row.starts_at)
        if due is not None and due <= now:
            try:
                opened.append(_open(session, phase, now, "schedule"))
            except Refused:
                continue  # another worker opened it a moment ago
    return opened


def briefing(session: Session, lang: str) -> dict[str, Any]:
    """The briefing every team reads before STARTEX, in ``lang``: from the pack that names the
    drill, else the first pack that has one. Public: it holds nothing secret."""
    drill = events.drill(session)
    packs = list(session.scalars(select(Pack).where(Pack.briefing != "").order_by(Pack.title != drill.title, Pack.id)))
    text = ""
    if packs:
        text = packs[0].translations.get(lang, {}).get("briefing") or packs[0].briefing
    return {"title": drill_title(drill.title, title_translations(session, drill.title), lang),
            "briefing_html": render_markdown(text) if text else ""}
