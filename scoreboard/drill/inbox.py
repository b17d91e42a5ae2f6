"""Teams' inboxes: every announcement meant for a team and every clarification answer it may
read, kept and listed newest first, with read marks per team.

A message is posted in the caller's transaction; its notice (``inbox``, with the message id
only, since each member reads it in their own language) goes to the team's room, or to every
team's, after commit. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, Refused
from scoreboard.store import events
from scoreboard.store.db import MAX_ID, insert_ignore
from scoreboard.store.models import Announcement, Clarification, InboxMessage, InboxRead

# An inbox lists this many messages; older ones stay stored (and count as read once shown).
LIMIT = 200


def post(session: Session, now: datetime, team_id: int | None, *, announcement: Announcement | None = None,
         clarification: Clarification | None = None) -> InboxMessage:
    """Put an announcement or an answered clarification in one team's inbox, or (no team) in every team's."""
    row = InboxMessage(team_id=team_id, announcement_id=announcement.id if announcement else None,
                       clarification_id=clarification.id if clarification else None, at=now)
    session.add(row)
    session.flush()
    payload = {"id": row.id, "kind": row.kind}
    if team_id is None:
        events.notify_teams(session, "inbox", payload)
    else:
        events.notify_team(session, team_id, "inbox", payload)
    return row


@dataclass(frozen=True)
class Item:
    """One message as a team sees it: what it carries and whether the team has read it."""

    message: InboxMessage
    announcement: Announcement | None
    clarification: Clarification | None
    read: bool


def _for_team(team_id: int) -> Any:
    return or_(InboxMessage.team_id.is_(None), InboxMessage.team_id == team_id)


def messages(session: Session, team_id: int, limit: int = LIMIT) -> list[Item]:
    """The team's inbox, newest first."""
    rows = session.execute(
        select(InboxMessage, Announcement, Clarification, InboxRead.at)
        .outerjoin(Announcement, Announcement.id == InboxMessage.announcement_id)
        .outerjoin(Clarification, Clarification.id == InboxMessage.clarification_id)
        .outerjoin(InboxRead, and_(InboxRead.message_id == InboxMessage.id, InboxRead.team_id == team_id))
        .where(_for_team(team_id))
        .order_by(InboxMessage.at.desc(), InboxMessage.id.desc()).limit(limit))
    return [Item(message, announcement, clarification, read_at is not None)
            for message, announcement, clarification, read_at in rows]


def _unread(team_id: int) -> Any:
    read = select(InboxRead.message_id).where(InboxRead.team_id == team_id, InboxRead.message_id == InboxMessage.id)
    return and_(_for_team(team_id), ~read.exists())


def unread_count(session: Session, team_id: int) -> int:
    """How many messages the team has not read: the number in every team page's navigation."""
    return session.scalar(select(func.count()).select_from(InboxMessage).where(_unread(team_id))) or 0


def mark_read(session: Session, team_id: int, ids: Any, now: datetime) -> int:
    """Mark the team's unread messages read: those in ``ids``, or with ``ids`` None all of them.

    Ids of other teams' messages, or of none, are skipped rather than refused: a list the page
    held a moment ago never fails. Returns how many were newly marked.
    """
    query = select(InboxMessage.id).where(_unread(team_id))
    if ids is not None:
        if not isinstance(ids, list) or len(ids) > LIMIT:
            raise Refused(N_("'ids' must be a list of at most %(n)s message ids"), n=LIMIT)
        query = query.where(InboxMessage.id.in_(
            [i for i in ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID]))
    marked = 0
    for message_id in session.scalars(query):
        # Two members opening the inbox at once both mark it: the second yields.
        marked += insert_ignore(session, InboxRead, team_id=team_id, message_id=message_id, at=now) is not None
    return marked
