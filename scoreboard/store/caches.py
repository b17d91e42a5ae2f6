"""Per-process copies of what every request reads and few requests change.

The challenge definitions and the drill clock, the owner of each API token, and who solved
what: read on every attempt and every challenge list, changed a few times an hour (and on
solves). Each is loaded once and kept until the event stream says it changed (the pump in
``stream.py`` calls ``Caches.apply`` for every row, from this worker or another), so the
attempt path reads no rows to decide. No Flask here.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from operator import methodcaller
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.core.clock import Clock
from scoreboard.store import events
from scoreboard.store.models import Answer, Challenge, Pack, Solve

T = TypeVar("T")
_loads = count(1)


@dataclass(frozen=True)
class AnswerDef:
    type: str
    content: Any
    options: dict[str, Any]
    position: int


@dataclass(frozen=True)
class ChallengeDef:
    """What grading, visibility and the challenge list need of a challenge (never its text)."""

    id: int
    pack_id: str
    name: str
    category: str
    kind: str
    scoring: str
    value: int
    initial: int | None
    decay: int | None
    minimum: int | None
    function: str
    state: str
    max_attempts: int
    logic: str
    requirements: tuple[str, ...]
    anonymize: bool
    release_at: datetime | None
    release_after: int | None
    tags: tuple[str, ...]
    translations: dict[str, Any]
    answers: tuple[AnswerDef, ...]
    removed: bool = False
    phase: str | None = None
    phase_opened_at: datetime | None = None
    deadline_at: datetime | None = None
    deadline_after: int | None = None


@dataclass(frozen=True)
class Catalog:
    """Every loaded challenge (in display order) and the drill's clock, at one moment."""

    challenges: dict[int, ChallengeDef]
    clock: Clock
    first_blood_bonus: int
    title: str
    home_timezone: str
    title_translations: dict[str, Any]
    version: int = 0  # a new number each time the catalog is loaded: it keys what is built from it


def load_catalog(session: Session) -> Catalog:
    answers: dict[int, list[AnswerDef]] = {}
    for row in session.scalars(select(Answer).order_by(Answer.challenge_id, Answer.position)):
        answers.setdefault(row.challenge_id, []).append(AnswerDef(row.type, row.content, dict(row.options), row.position))
    rows = session.scalars(select(Challenge).where(Challenge.removed.is_(False))
                           .order_by(Challenge.pack_id, Challenge.position))
    challenges = {
        c.id: ChallengeDef(
            id=c.id, pack_id=c.pack_id, name=c.name, category=c.category, kind=c.kind, scoring=c.scoring,
            value=c.value, initial=c.initial, decay=c.decay, minimum=c.minimum, function=c.function,
            state=c.state, max_attempts=c.max_attempts, logic=c.logic, requirements=tuple(c.requirements),
            anonymize=c.anonymize, release_at=c.release_at, release_after=c.release_after, tags=tuple(c.tags),
            translations=dict(c.translations), answers=tuple(answers.get(c.id, ())), phase=c.phase,
            phase_opened_at=c.phase_opened_at, deadline_at=c.deadline_at, deadline_after=c.deadline_after)
        for c in rows
    }
    row = events.drill(session)
    return Catalog(challenges, events.clock_of(row), row.first_blood_bonus, row.title, row.home_timezone,
                   title_translations(session, row.title), next(_loads))


def title_translations(session: Session, title: str) -> dict[str, Any]:
    """The translations of the pack a drill is named after (the first pack names the drill)."""
    return session.scalar(select(Pack.translations).where(Pack.title == title).limit(1)) or {}


class Cached(Generic[T]):
    """One value loaded on first use, changed in place by ``update``, dropped by ``invalidate``.

    A load that started before an invalidation is not kept (it may have read the old rows);
    updates that arrive while a load runs are applied to its result too.
    """

    def __init__(self, sessions: Callable[[], Session], load: Callable[[Session], T]) -> None:
        self.sessions, self.load = sessions, load
        self._value: T | None = None
        self._epoch = 0  # one more at every drop: a load that saw an older state is not kept
        self._pending: list[Callable[[T], None]] | None = None
        self._load_lock = threading.Lock()
        self._state_lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is not None:
            return value
        with self._load_lock:
            if self._value is not None:
                return self._value
            with self._state_lock:
                epoch, self._pending = self._epoch, []
            with self.sessions() as session:
                value = self.load(session)
            with self._state_lock:
                for change in self._pending:
                    change(value)
                self._pending = None
                if epoch == self._epoch:
                    self._value = value
            return value

    def update(self, change: Callable[[T], None]) -> None:
        """Apply an idempotent change to the loaded value (and to one being loaded)."""
        with self._state_lock:
            if self._value is not None:
                change(self._value)
            if self._pending is not None:
                self._pending.append(change)

    def invalidate(self) -> None:
        with self._state_lock:
            self._epoch += 1
            self._value = None


class Tokens(Generic[T]):
    """API token → its owner, for the most recently used tokens (a miss reads the database).

    ``find`` reads a token's owner from the database and ``key`` names a token without keeping it
    (its hash); both come from the accounts use cases, which own what an owner is.
    """

    SIZE = 20_000

    def __init__(self, sessions: Callable[[], Session], find: Callable[[Session, str], T | None],
                 key: Callable[[str], str]) -> None:
        self.sessions, self.find, self.key = sessions, find, key
        self._known: OrderedDict[str, T] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def actor(self, token: str) -> T | None:
        key = self.key(token)
        with self._lock:
            found = self._known.get(key)
            if found is not None:
                self._known.move_to_end(key)
                return found
            generation = self._generation
        with self.sessions() as session:
            found = self.find(session, token)
        if found is not None:  # unknown tokens are not remembered: guessing must not fill memory
            with self._lock:
                if generation == self._generation:
                    self._known[key] = found
                    if len(self._known) > self.SIZE:
                        self._known.popitem(last=False)
        return found

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._known.clear()


@dataclass
class Solves:
    """Which challenges each team has solved and when: the team's own view, never frozen."""

    by_team: dict[int, dict[int, datetime]] = field(default_factory=dict)

    def add(self, team_id: int, challenge_id: int, at: datetime) -> None:
        self.by_team.setdefault(team_id, {}).setdefault(challenge_id, at)

    def of(self, team_id: int | None) -> dict[int, datetime]:
        return self.by_team.get(team_id, {}) if team_id is not None else {}


def load_solves(session: Session) -> Solves:
    solves = Solves()
    for team_id, challenge_id, at in session.execute(select(Solve.team_id, Solve.challenge_id, Solve.at)):
        solves.add(team_id, challenge_id, at)
    return solves


class Caches:
    """The per-process caches, kept in step with the event stream."""

    def __init__(self, sessions: Callable[[], Session], tokens: Tokens[Any]) -> None:
        self.catalog = Cached(sessions, load_catalog)
        self.solves = Cached(sessions, load_solves)
        self.tokens = tokens

    def apply(self, kinds_and_payloads: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Bring the caches up to date with changes read from the stream (or just committed)."""
        for kind, payload in kinds_and_payloads:
            if kind in events.CATALOG_KINDS:
                self.catalog.invalidate()
            if kind in events.ACCOUNT_KINDS:
                self.tokens.invalidate()
            if kind == "board":
                self.solves.invalidate()
            elif kind == "solve":
                team_id, challenge_id = payload["team_id"], payload["challenge_id"]
                at = datetime.fromisoformat(payload["at"])
                self.solves.update(methodcaller("add", team_id, challenge_id, at))
