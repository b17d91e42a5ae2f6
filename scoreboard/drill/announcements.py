"""Announcements from exercise control: to everyone (the board and every inbox) or to one team
(its inbox only), in English and optionally in Russian and Chinese.

Each reader sees the text in their own language when the organizer wrote one, else the English.
The console calls ``announce``; it audits, stores the inbox message and
queues the live event in the caller's transaction. No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scoreboard.board.standings import announcement_payload
from scoreboard.core.errors import N_, NotFound, Refused
from scoreboard.drill import audit, inbox
from scoreboard.store import events
from scoreboard.store.db import find
from scoreboard.store.models import Announcement, Team, User

# The languages an announcement may carry besides English, each named in itself for messages.
OTHER_LANGUAGES = {"ru": "Русский", "zh": "中文"}
MAX_TITLE, MAX_BODY = 200, 20_000


def _checked(title: Any, body: Any) -> tuple[str, str]:
    if not isinstance(title, str) or not isinstance(body, str):
        raise Refused(N_("the announcement's title and text must be text"))
    if len(title) > MAX_TITLE or len(body) > MAX_BODY:
        raise Refused(N_("the announcement is too long (title ≤ 200, body ≤ 20000 characters)"))
    return title.strip(), body


def _translations(given: Any) -> dict[str, dict[str, str]]:
    """The other languages' texts that were filled in; a text without a title is refused."""
    if given is None:
        return {}
    if not isinstance(given, dict) or any(lang not in OTHER_LANGUAGES for lang in given):
        raise Refused(N_("translations may be given in %(languages)s only"), languages=", ".join(OTHER_LANGUAGES))
    found = {}
    for lang, text in given.items():
        if not isinstance(text, dict):
            raise Refused(N_("the announcement's title and text must be text"))
        title, body = _checked(text.get("title", ""), text.get("body", ""))
        if body.strip() and not title:
            raise Refused(N_("the %(language)s text needs a title as well"), language=OTHER_LANGUAGES[lang])
        if title:
            found[lang] = {"title": title, "body": body}
    return found


def announce(session: Session, title: Any, body: Any, now: datetime, actor: User | None,
             team_id: int | None = None, translations: Any = None) -> Announcement:
    """Post an announcement to everyone, or privately to one team; it stays in their inboxes."""
    title, body = _checked(title, body)
    if not title:
        raise Refused(N_("an announcement needs a title"))
    texts = _translations(translations)
    if team_id is not None and find(session, Team, team_id) is None:
        raise NotFound(N_("no such team"))
    row = Announcement(title=title, body=body, translations=texts, team_id=team_id,
                       author_id=actor.id if actor else None, at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor.name if actor else "cli", "announce",
                 {"id": row.id, "title": row.title, "team_id": team_id, "languages": ["en", *texts]})
    payload = announcement_payload(row)
    if team_id is None:
        events.record(session, "announcement", payload, now)
    else:
        events.notify_team(session, team_id, "announcement", payload)
    inbox.post(session, now, team_id, announcement=row)
    return row
