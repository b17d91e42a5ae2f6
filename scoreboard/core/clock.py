"""The drill's clock: which phase it is in and when each challenge opens. No Flask here."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from scoreboard.core.errors import N_, Invalid

NOT_STARTED, RUNNING, PAUSED, ENDED = "not_started", "running", "paused", "ended"
# Times a drill can sensibly hold: the clock adds hours and days to them without overflowing.
YEARS = (1970, 9000)
# Drill.reveal values under which the public board stays frozen after the end (the ceremony).
HOLDING = ("hold", "revealing")

_DURATION = re.compile(r"^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*$")


def parse_duration(text: str | int) -> int:
    """'90m', '1h30m', '45s' or a number of seconds -> seconds."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = _DURATION.match(str(text))
    if not match or not any(match.groups()):
        raise Invalid(N_("%(value)s is not a duration such as 90m, 1h30m or 45s"), value=repr(text))
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_time(text: str | datetime) -> datetime:
    """ISO 8601 with a zone, into UTC. A time without a zone is refused: it is ambiguous."""
    value = text if isinstance(text, datetime) else datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise Invalid(N_("%(value)s has no time zone; add one, e.g. 2026-11-25T09:00:00+08:00"), value=str(text))
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:  # year 1 or 9999 moved across a zone
        value = None
    if value is None or not YEARS[0] <= value.year <= YEARS[1]:
        raise Invalid(N_("%(value)s is not a time between the years %(first)s and %(last)s"), value=str(text),
                      first=YEARS[0], last=YEARS[1])
    return value


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_zone(name: Any) -> str:
    """An IANA time zone name such as Asia/Almaty; a ValueError suggests the closest one."""
    if isinstance(name, str) and name in _zones():
        return name
    close = difflib.get_close_matches(str(name), sorted(_zones()), n=1)
    if close:
        raise Invalid(N_("%(value)s is not an IANA time zone name such as 'Asia/Almaty' or 'UTC' (did you mean "
                         "%(close)s?)"), value=repr(name), close=repr(close[0]))
    raise Invalid(N_("%(value)s is not an IANA time zone name such as 'Asia/Almaty' or 'UTC'"), value=repr(name))


def zone(name: str | None) -> tzinfo:
    """The drill's home time zone for wall clocks; UTC when unset or not a known zone name."""
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


@dataclass(frozen=True)
class Clock:
    starts_at: datetime | None
    ends_at: datetime | None
    freeze_at: datetime | None
    paused_at: datetime | None
    reveal: str | None = None  # Drill.reveal: the closing ceremony's state

    def phase(self, now: datetime) -> str:
        if self.ends_at and now >= self.ends_at:
            return ENDED
        if self.starts_at is None or now < self.starts_at:
            return NOT_STARTED
        if self.paused_at:
            return PAUSED
        return RUNNING

    def frozen(self, now: datetime) -> bool:
        """The public board is frozen from ``freeze_at`` until the drill ends (the reveal), or while
        organizers hold it for a closing reveal, until they have revealed everything."""
        if not self.freeze_at or now < self.freeze_at:
            return False
        return self.phase(now) != ENDED or self.reveal in HOLDING

    def public_cutoff(self, now: datetime) -> datetime | None:
        """Only changes before this moment are public; None means everything is."""
        return self.freeze_at if self.frozen(now) else None

    def accepts_attempts(self, now: datetime) -> bool:
        return self.phase(now) == RUNNING

    def release_time(self, release_at: datetime | None, release_after: int | None) -> datetime | None:
        """When a scheduled challenge opens; None means it is open with the drill."""
        if release_at:
            return release_at
        if release_after is not None:
            return self.starts_at + timedelta(seconds=release_after) if self.starts_at else None
        return None

    def released(self, release_at: datetime | None, release_after: int | None, now: datetime) -> bool:
        if release_at is None and release_after is None:
            return True
        opens = self.release_time(release_at, release_after)
        return opens is not None and now >= opens

    def deadline(self, challenge: Any) -> datetime | None:
        """When a report task stops taking revisions: ``deadline_at``, or ``deadline_after`` counted
        from its exercise phase's opening (or, without a phase, from the drill's start)."""
        if challenge.deadline_at or challenge.deadline_after is None or not challenge.phase:
            return self.release_time(challenge.deadline_at, challenge.deadline_after)
        opened = challenge.phase_opened_at
        return opened + timedelta(seconds=challenge.deadline_after) if opened else None

    def shows(self, challenge: Any, now: datetime, preview: bool = False) -> bool:
        """Whether teams see a challenge now: loaded, not hidden, drill started, its exercise phase
        open, released.

        One rule for the list, the detail page, downloads, attempts and the public board;
        organizers previewing see everything that is loaded.
        """
        if challenge.removed:
            return False
        if preview:
            return True
        return (challenge.state == "visible" and self.phase(now) != NOT_STARTED and not waiting(challenge)
                and self.released(challenge.release_at, challenge.release_after, now))

    def countdown(self, now: datetime) -> tuple[str, int] | None:
        """What the hall waits for next and how many seconds away: ``to_start``, ``to_freeze`` or
        ``to_end``; None when nothing is scheduled (or the drill is paused or over)."""
        phase = self.phase(now)
        if phase == NOT_STARTED and self.starts_at:
            return "to_start", int((self.starts_at - now).total_seconds())
        if phase == RUNNING and self.freeze_at and now < self.freeze_at:
            return "to_freeze", int((self.freeze_at - now).total_seconds())
        if phase == RUNNING and self.ends_at:
            return "to_end", int((self.ends_at - now).total_seconds())
        return None

    def as_dict(self, now: datetime) -> dict:
        iso = lambda t: t.isoformat() if t else None  # noqa: E731
        return {
            "phase": self.phase(now),
            "frozen": self.frozen(now),
            "starts_at": iso(self.starts_at),
            "ends_at": iso(self.ends_at),
            "freeze_at": iso(self.freeze_at),
            "reveal": self.reveal,
            "now": now.isoformat(),
        }


def waiting(challenge: Any) -> bool:
    """Whether a challenge belongs to an exercise phase (``phase: ID``) that has not opened yet: until
    it opens the challenge is hidden as if it did not exist, and nothing releases it."""
    return bool(challenge.phase) and challenge.phase_opened_at is None


def public_name(challenge: Any) -> str:
    """The name observers see: a challenge whose pack hides its name until its prerequisites are
    solved (``requirements: {anonymize: true}``) is "???" on the public board and in its events."""
    return "???" if challenge.anonymize and challenge.requirements else challenge.name
