"""The public board from the ledger: standings, the feed, the grid and the chart's steps.

These are the reads behind a snapshot (``snapshot.BoardCache`` runs them once per change and
shares the encoded result) and behind the organizers' true standings. Which rows carry points
is the ledger's business (``ledger.entries``); this module only sums and ranks them. No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.board import ledger, services
from scoreboard.board.ledger import Cutoff, Entry, Visibility, aware, visibility
from scoreboard.core.clock import public_name
from scoreboard.core.scoring import CATEGORIES, Board, Standing, rank, weighted
from scoreboard.core.text import render_markdown
from scoreboard.store import events
from scoreboard.store.models import Announcement, Challenge, Deduction, Event, Team

RECENT = 20


def compute(session: Session, cutoff: Cutoff = None, entries: list[Entry] | None = None) -> Board:
    """Rank every team on what ``cutoff`` shows (a time, a Visibility, None: everything): its
    ledger points per category, weighted by ``scoring.weighted``. With ``entries`` (the ledger
    already read row by row for this view) each standing carries its chart steps too; without,
    the database adds the ledger up (``ledger.totals``) and there are no steps: the rebuild after
    every burst of changes stays one aggregate query however many solves the drill holds."""
    view = visibility(cutoff)
    weights = events.drill(session).weights
    if entries is None:
        sums, lines = ledger.totals(session, view), {}
    else:
        sums, lines = ledger.totals_of(entries), ledger.steps(entries, weights)
    slas = services.team_sla(session, view) if services.any_service(session) else None
    query = select(Team.id, Team.name, Team.country)
    if not view.everyone:
        query = query.where(Team.disabled.is_(False))
    standings = []
    for team_id, name, country in session.execute(query):
        mine = sums.teams.get(team_id) or ledger.Totals()
        split = {c: mine.breakdown.get(c, 0) for c in CATEGORIES} | mine.breakdown
        standings.append(Standing(team_id, name, country, weighted(mine.breakdown, weights), mine.solves, mine.reached,
                                  breakdown=split, steps=lines.get(team_id, []),
                                  sla=None if slas is None else slas.get(team_id, 1.0)))
    return Board(rank(standings), sums.counts)


def charted(session: Session, cutoff: Cutoff = None) -> Board:
    """``compute`` with every standing's chart steps: for pages that draw a team's history (the
    after-action report), where one full read of the ledger is worth it."""
    return compute(session, cutoff, ledger.entries(session, cutoff))


def draw(session: Session, cutoff: Cutoff, board: Board, before: Board | None) -> None:
    """Give each standing of ``board`` (ranked from the database's sums) its chart steps: a team
    whose sums are as in ``before`` (the previous board of the same view and weights) keeps its
    steps; the others' are drawn from their ledger entries, read for those teams only. After a
    solve that is one team (or a dynamic challenge's solvers), not every solve of the drill."""
    kept = {row.team_id: row for row in before.standings} if before is not None else {}
    redraw = {row.team_id for row in board.standings if not _same_sums(row, kept.get(row.team_id))}
    lines: dict[int, list[list[Any]]] = {}
    if redraw:
        teams = redraw if len(redraw) < len(board.standings) else None
        lines = ledger.steps(ledger.entries(session, cutoff, teams), events.drill(session).weights)
    for row in board.standings:
        row.steps = lines.get(row.team_id, []) if row.team_id in redraw else kept[row.team_id].steps


def _same_sums(row: Standing, old: Standing | None) -> bool:
    return old is not None and (row.score, row.breakdown, row.solves, row.last_solve_at) == \
        (old.score, old.breakdown, old.solves, old.last_solve_at)


# What the public feed shows, from the stored events: a board opened late shows the lines an open
# board was sent, a defended service's changes of state ("Team X: Mail DOWN") among them.
FEED_KINDS = ("solve", "graded", "deduction", "detection", "appeal", "service")
# Events that record a change of points: they show in a feed exactly when the ledger shows them.
SCORED = {"solve", "award", "graded", "deduction", "detection", "appeal"}


def recent_solves(session: Session, cutoff: Cutoff, limit: int = RECENT,
                  kinds: tuple[str, ...] = FEED_KINDS) -> list[dict[str, Any]]:
    """The public feed, newest first, from the stored events of ``kinds`` (held ones once
    revealed, none of a disabled team): solves exactly as they were sent; other kinds add their
    ``kind`` (a voided deduction ``voided``). The replay's feed is this one at its moment."""
    view = visibility(cutoff)
    query = (select(Event.pos, Event.kind, Event.payload, Event.at, Event.held)
             .where(Event.kind.in_(kinds), Event.pos.is_not(None), (Event.seq.is_not(None)) | Event.held.is_(True))
             .order_by(Event.pos.desc()))
    if view.until is not None:
        query = query.where(Event.at <= view.until)
    disabled = set(session.scalars(select(Team.id).where(Team.disabled.is_(True))))
    rows = []
    for _, kind, payload, at, held in session.execute(query):
        team_id = payload.get("team_id")
        if team_id in disabled:
            continue
        # A change of points shows when the ledger shows it; anything else once it was sent.
        if not (view.shows(team_id, aware(at)) if kind in SCORED else not held):
            continue
        rows.append((kind, payload))
        if len(rows) == limit:
            break
    voided = _voided(session, view) if any(kind == "deduction" for kind, _ in rows) else set()
    feed = []
    for kind, payload in rows:
        if kind == "solve":
            feed.append(payload)
            continue
        item = {"kind": kind, **payload}
        if kind == "deduction" and (payload["team_id"], payload["at"]) in voided:
            item["voided"] = True
        feed.append(item)
    return feed


def _voided(session: Session, view: Visibility) -> set[tuple[int, str]]:
    """(team, time) of the deductions whose void shows: a deduction event names no row id."""
    query = select(Deduction.team_id, Deduction.at).where(
        Deduction.voided_at.is_not(None), *view.where(Deduction.voided_at, Deduction.team_id))
    return {(team_id, aware(at).isoformat()) for team_id, at in session.execute(query)}


def public_announcements(session: Session, limit: int = RECENT) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Announcement).where(Announcement.team_id.is_(None)).order_by(Announcement.id.desc()).limit(limit)
    )
    return [announcement_payload(a) for a in rows]


def announcement_payload(row: Announcement) -> dict[str, Any]:
    """The announcement in English with its other languages: each viewer's page picks its own."""
    return {"id": row.id, "title": row.title, "body_html": render_markdown(row.body), "at": row.at.isoformat(),
            "team_id": row.team_id,
            "translations": {lang: {"title": text["title"], "body_html": render_markdown(text["body"])}
                             for lang, text in (row.translations or {}).items()}}


def public_grid(session: Session, cutoff: Cutoff, now: datetime, entries: list[Entry] | None = None) -> dict[str, Any]:
    """What the board's grid needs: the open flag challenges (report tasks have no solves to
    show) at their current values, and the ledger's solves as ``[team, challenge, time, first
    blood, points with the bonus]`` in the order they happened."""
    clock = events.clock_of(events.drill(session))
    view = visibility(cutoff)
    rows = ledger.entries(session, view) if entries is None else entries
    values = ledger.challenge_values(session, view)
    opened = [c for c in session.scalars(select(Challenge).where(Challenge.kind == "flag", Challenge.removed.is_(False))
                                         .order_by(Challenge.category, Challenge.position))
              if clock.shows(c, now)]
    open_ids = {c.id for c in opened}
    blood = {(e.team_id, e.ref): e.points for e in rows if e.source == "first_blood"}
    return {
        "challenges": [{"id": c.id, "name": public_name(c), "category": c.category, "value": values.get(c.id, 0)}
                       for c in opened],
        "solves": [[e.team_id, e.ref, e.at.isoformat(), (e.team_id, e.ref) in blood,
                    e.points + blood.get((e.team_id, e.ref), 0)]
                   for e in rows if e.source == "solve" and e.ref in open_ids],
    }
