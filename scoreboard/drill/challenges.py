"""What a team may see of the challenges: visibility (``Clock.shows``), locks, values, hints.

The list and the checks read the per-process ``Catalog`` (no rows read per request); the
detail page reads the text, files and hints from the database. No Flask here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.board import ledger
from scoreboard.core import clock, hints
from scoreboard.core.errors import N_, Forbidden, NotFound
from scoreboard.core.text import render_markdown
from scoreboard.drill import audit
from scoreboard.store import events
from scoreboard.store.caches import Catalog, ChallengeDef
from scoreboard.store.db import insert_ignore
from scoreboard.store.models import AttemptCount, Challenge, Hint, HintUnlock

# What a team reads of a rubric: levels and the marking guide are for judges only.
TEAM_RUBRIC = ("criterion", "points", "comment_required")


def visible(catalog: Catalog, challenge_id: int, now: datetime, preview: bool = False) -> ChallengeDef:
    """The challenge if the caller may see it: 404 when unknown, hidden or its exercise phase has not
    opened (teams must not learn that it exists), 403 before its release."""
    challenge = catalog.challenges.get(challenge_id)
    if challenge is None or ((challenge.state != "visible" or clock.waiting(challenge)) and not preview):
        raise NotFound(N_("no such challenge"))
    if not catalog.clock.shows(challenge, now, preview):
        raise Forbidden(N_("this challenge is not released yet"))
    return challenge


def _solved_in_pack(catalog: Catalog, challenge: ChallengeDef, solved: Mapping[int, datetime]) -> set[str]:
    return {catalog.challenges[cid].name for cid in solved
            if cid in catalog.challenges and catalog.challenges[cid].pack_id == challenge.pack_id}


def ensure_unlocked(catalog: Catalog, challenge: ChallengeDef, solved: Mapping[int, datetime]) -> None:
    """Refuse a challenge whose prerequisites the team has not solved."""
    if not challenge.requirements:
        return
    names = _solved_in_pack(catalog, challenge, solved)
    missing = [name for name in challenge.requirements if name not in names]
    if missing:
        raise Forbidden(N_("solve %(names)s first"), names=", ".join(repr(n) for n in missing))


def _locked(catalog: Catalog, challenge: ChallengeDef, solved: Mapping[int, datetime]) -> bool:
    if not challenge.requirements:
        return False
    names = _solved_in_pack(catalog, challenge, solved)
    return any(name not in names for name in challenge.requirements)


def listed(challenge: ChallengeDef, locked: bool) -> bool:
    """Whether a team's list shows the challenge: a locked one (prerequisites unsolved) is left
    out as CTFd leaves it out, unless the pack asks to ``anonymize`` it (then it shows as ???)."""
    return not locked or challenge.anonymize


def _summary(challenge: ChallengeDef, solved: bool, locked: bool, counts: Mapping[int, int]) -> dict[str, Any]:
    if locked and challenge.anonymize:  # CTFd's anonymized stub: nothing real but the id
        return {"id": challenge.id, "name": "???", "category": "???", "kind": "flag", "value": 0, "solves": 0,
                "solved": False, "locked": True, "requirements": [], "tags": [], "translations": {}}
    return {
        "id": challenge.id,
        "name": challenge.name,
        "category": challenge.category,
        "kind": challenge.kind,
        "value": ledger.value_of(challenge, counts.get(challenge.id, 0)),
        "solves": counts.get(challenge.id, 0),
        "solved": solved,
        "locked": locked,
        "requirements": list(challenge.requirements),
        "tags": list(challenge.tags),
        "translations": {lang: {"name": t["name"]} for lang, t in challenge.translations.items() if "name" in t},
    }


def list_for_team(catalog: Catalog, solved: Mapping[int, datetime], counts: Mapping[int, int], now: datetime,
                  preview: bool = False) -> list[dict[str, Any]]:
    """The caller's visible challenges with current (public) values and the team's solved marks."""
    shown = [(c, _locked(catalog, c, solved)) for c in catalog.challenges.values() if catalog.clock.shows(c, now, preview)]
    return [_summary(c, c.id in solved, locked, counts) for c, locked in shown if preview or listed(c, locked)]


class Listings:
    """The challenge list as JSON, assembled from pieces encoded once per standings.

    Every player reads the list before every attempt. Between two boards each challenge reads
    the same for every team but for two marks (solved, locked), so its four possible pieces are
    encoded once and each team's list is joined from them.
    """

    def __init__(self) -> None:
        self._key: tuple[int, int] | None = None
        self._open: list[ChallengeDef] = []
        self._pieces: dict[tuple[int, bool, bool], bytes] = {}

    def body(self, catalog: Catalog, board_number: int, counts: Mapping[int, int], solved: Mapping[int, datetime],
             now: datetime, encode: Callable[[Any], bytes]) -> bytes:
        key = (catalog.version, board_number)
        if key != self._key:  # what is open, values and solve counts come with the board
            self._open = [c for c in catalog.challenges.values() if catalog.clock.shows(c, now)]
            self._pieces, self._key = {}, key
        parts = []
        for challenge in self._open:
            marks = (challenge.id, challenge.id in solved, _locked(catalog, challenge, solved))
            if not listed(challenge, marks[2]):
                continue
            piece = self._pieces.get(marks)
            if piece is None:
                piece = self._pieces[marks] = encode(_summary(challenge, marks[1], marks[2], counts))
            parts.append(piece)
        return b'{"challenges":[' + b",".join(parts) + b"]}"


def detail_for_team(session: Session, catalog: Catalog, solved: Mapping[int, datetime], counts: Mapping[int, int],
                    challenge_id: int, team_id: int | None, now: datetime, preview: bool = False) -> dict[str, Any]:
    """One challenge as the team sees it: sanitised description, files, hints (content only once unlocked)."""
    definition = visible(catalog, challenge_id, now, preview)
    if not preview:
        ensure_unlocked(catalog, definition, solved)
    challenge = session.get(Challenge, challenge_id)
    readable = hints.readable(challenge.hints, _unlocked_hints(session, team_id))
    data = _summary(definition, definition.id in solved, _locked(catalog, definition, solved), counts)
    data["locked"] = False
    translations = {
        lang: {"name": t.get("name", challenge.name),
               "description_html": render_markdown(t.get("description", challenge.description))}
        for lang, t in challenge.translations.items()
    }
    data.update(
        name=challenge.name,
        author=challenge.author,
        description_html=render_markdown(challenge.description),
        connection_info=challenge.connection_info,
        files=[{"name": f.name, "url": f"/files/{f.id}/{quote(f.name, safe='')}?v={f.sha256}", "size": f.size, "sha256": f.sha256}
               for f in challenge.files],
        hints=[
            {"id": h.id, "title": h.title, "cost": h.cost, "unlocked": h.id in readable,
             "content": render_markdown(h.content) if h.id in readable else None,
             "requirements": [r.id for r in hints.required(h, challenge.hints)]}
            for h in challenge.hints if not h.removed
        ],
        answerable=bool(challenge.answers),
        rubric=[{key: c[key] for key in TEAM_RUBRIC} for c in challenge.rubric or []],
        max_attempts=challenge.max_attempts,
        attempts_left=attempts_left(session, catalog, team_id, [challenge.id]).get(challenge.id),
        solved_at=solved[challenge.id].isoformat() if challenge.id in solved else None,
        translations=translations,
    )
    return data


def _unlocked_hints(session: Session, team_id: int | None) -> set[int]:
    if team_id is None:
        return set()
    return set(session.scalars(select(HintUnlock.hint_id).where(HintUnlock.team_id == team_id)))


def unlock_hint(session: Session, catalog: Catalog, solved: Mapping[int, datetime], hint_id: int, team_id: int,
                user_id: int | None, now: datetime) -> dict[str, Any]:
    """Pay a hint's cost once per team and return its content; a second unlock costs nothing."""
    hint = session.get(Hint, hint_id)
    if hint is None or hint.removed:
        raise NotFound(N_("no such hint"))
    challenge = visible(catalog, hint.challenge_id, now)
    ensure_unlocked(catalog, challenge, solved)
    existing = session.scalar(select(HintUnlock.id).where(HintUnlock.team_id == team_id, HintUnlock.hint_id == hint_id))
    if existing is None:
        siblings = session.get(Challenge, hint.challenge_id).hints
        waiting = hints.waiting_for(hint, siblings, _unlocked_hints(session, team_id))
        if waiting:
            raise Forbidden(N_("unlock %(hints)s first"),
                            hints=", ".join(repr(h.title or f"hint {h.position + 1}") for h in waiting))
        if hint.cost and not catalog.clock.accepts_attempts(now):
            raise Forbidden(N_("hints can be unlocked only while the drill is running"))
        # A teammate unlocking it at the same moment finds the row there: it is paid once.
        values = {"team_id": team_id, "hint_id": hint_id, "user_id": user_id, "at": now}
        unlock_id = insert_ignore(session, HintUnlock, **values)
        if unlock_id:
            audit.cover(session, f"team:{team_id}", "hint.unlock", "hint_unlock", unlock_id, values)
            if hint.cost:
                events.mark(session, "hint", {"team_id": team_id, "hint_id": hint.id})
            events.notify_team(session, team_id, "notice", {
                "kind": "hint_unlocked", "challenge_id": challenge.id, "challenge": challenge.name,
                "hint_id": hint.id, "cost": hint.cost, "user_id": user_id, "at": now.isoformat()})
    return {"id": hint.id, "challenge_id": challenge.id, "cost": hint.cost, "content": render_markdown(hint.content)}


def attempts_left(session: Session, catalog: Catalog, team_id: int | None,
                  challenge_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Wrong answers the team may still give, for each challenge that limits them (``attempts``).

    The limits come from the catalog; the wrong answers used from the team's counters (one
    query), and none at all when nothing asked about has a limit (most drills).
    """
    wanted = catalog.challenges.keys() if challenge_ids is None else challenge_ids
    limits = {cid: catalog.challenges[cid].max_attempts for cid in wanted
              if cid in catalog.challenges and catalog.challenges[cid].max_attempts}
    if team_id is None or not limits:
        return dict(limits)
    wrong = dict(session.execute(
        select(AttemptCount.challenge_id, AttemptCount.wrong)
        .where(AttemptCount.team_id == team_id, AttemptCount.challenge_id.in_(limits))
    ).all())
    return {cid: max(0, limit - wrong.get(cid, 0)) for cid, limit in limits.items()}
