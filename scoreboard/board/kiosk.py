"""The board on a projector: pages of standings, how long each stays up, the hall's clock.

With JavaScript the browser pages the rows to fit its own screen; without it the server hands
out fixed pages and the page refreshes itself onto the next one. No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Any

from scoreboard.core.clock import Clock, zone

# Rows that fit a 16:9 screen at the projector's smallest row height (6vh, see app.css).
ROWS_PER_PAGE = 11
# Seconds each panel (a page of standings, the chart, a page of the grid) stays on screen.
DWELL, MIN_DWELL, MAX_DWELL = 12, 2, 300


def dwell(raw: str | None) -> int:
    """The ``dwell`` query argument in seconds, kept to a sane range; the default when absent or bad."""
    try:
        return max(MIN_DWELL, min(MAX_DWELL, int(raw))) if raw else DWELL
    except ValueError:
        return DWELL


def page_of(rows: list[Any], page: int | None, per_page: int = ROWS_PER_PAGE) -> tuple[list[Any], int, int]:
    """One page of ``rows`` (1-based, clamped) with its number and the page count."""
    pages = max(1, ceil(len(rows) / per_page))
    page = max(1, min(pages, page or 1))
    return rows[(page - 1) * per_page:page * per_page], page, pages


def duration(seconds: int) -> str:
    """1:02:03, or 02:03 under an hour: how the board's JavaScript writes a countdown too."""
    seconds = max(0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}:" if hours else "") + f"{minutes:02d}:{secs:02d}"


def wall_clock(zone_name: str | None, clock: Clock, now: datetime) -> dict[str, Any]:
    """The time in the drill's home zone, its UTC offset and the countdown, as the page shows them
    before any script (the zone's city is named in the viewer's language by the template)."""
    tz = zone(zone_name)
    local = now.astimezone(tz)
    offset = local.strftime("%z")
    countdown = clock.countdown(now)
    return {
        "zone": getattr(tz, "key", "UTC"),  # a known zone name, which the browser's Intl knows too
        "offset": f"UTC{offset[:3]}:{offset[3:]}" if offset not in ("+0000", "") else "UTC",
        "time": local.strftime("%H:%M"),
        "countdown": (countdown[0], duration(countdown[1])) if countdown else None,
    }
