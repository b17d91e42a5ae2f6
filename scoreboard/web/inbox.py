"""The team inbox at /inbox: announcements and clarification answers, newest first, and the
form that asks exercise control a question.

Showing the inbox marks what it shows read; the unread count is in every page's navigation
(``inbox_unread``) and static/js/inbox.js keeps it and the open inbox live. Messages are put
into words here, in the viewer's language, for the page and for ``GET /api/v1/inbox`` alike.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from scoreboard.core.errors import Refused
from scoreboard.core.text import render_markdown
from scoreboard.drill import clarifications, inbox
from scoreboard.drill.inbox import Item
from scoreboard.packs import translations
from scoreboard.store.models import Announcement, Clarification, utcnow
from scoreboard.web import i18n, refusals
from scoreboard.web.context import actor, catalog, db, form_number, solved_by
from scoreboard.web.pages import member_required

bp = Blueprint("inbox", __name__)


@bp.errorhandler(Refused)
def _refused(err: Refused) -> Any:
    return refusals.answer(err, "inbox.page")


@bp.app_template_filter("markdown")
def markdown(text: str | None) -> Markup:
    """Markdown from a team or exercise control, sanitised (``render_markdown``) and so safe to show."""
    return Markup(render_markdown(text or ""))


@bp.app_template_filter("in_language")
def in_language(item: dict[str, Any]) -> dict[str, Any]:
    """An announcement payload (title, body_html, translations) as the viewer reads it."""
    text = (item.get("translations") or {}).get(i18n.language())
    return {**item, **text} if text else item


def _announcement(row: Announcement) -> tuple[str, str]:
    text = (row.translations or {}).get(i18n.language()) or {"title": row.title, "body": row.body}
    return text["title"], render_markdown(text["body"])


def challenge_name(challenge_id: int | None, team_id: int | None) -> str | None:
    """The challenge's name in the viewer's language, or None when the viewer may not read about it."""
    known = catalog()
    if challenge_id is None or challenge_id not in known.challenges:
        return None
    if team_id is not None and not clarifications.can_see(known, solved_by(team_id), challenge_id, utcnow()):
        return None
    names = translations.challenge_names(db(), [challenge_id], i18n.language())
    return names.get(challenge_id, known.challenges[challenge_id].name)


def _clarification(row: Clarification, team_id: int) -> tuple[str, str]:
    about = challenge_name(row.challenge_id, team_id)
    if row.published:
        title = (_("Clarification for every team about %(challenge)s", challenge=about) if about
                 else _("Clarification for every team"))
    else:
        title = (_("Answer to your team's question about %(challenge)s", challenge=about) if about
                 else _("Answer to your team's question"))
    body = render_template("_clarification_body.html", c=row, own=row.team_id == team_id)
    return title, body


def messages(team_id: int) -> list[dict[str, Any]]:
    """The team's inbox in the viewer's language: the API's ``messages`` and the page's list."""
    out = []
    for item in inbox.messages(db(), team_id):
        title, body = _words(item, team_id)
        out.append({"id": item.message.id, "kind": item.message.kind, "title": title, "body_html": body,
                    "at": item.message.at.isoformat(), "read": item.read})
    return out


def _words(item: Item, team_id: int) -> tuple[str, str]:
    if item.announcement is not None:
        return _announcement(item.announcement)
    return _clarification(item.clarification, team_id)


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    """Every page a team member sees carries the inbox's unread count in its navigation."""
    if not current_user.is_authenticated or current_user.team_id is None:
        return {}
    return {"inbox_unread": inbox.unread_count(db(), current_user.team_id)}


@bp.get("/inbox")
@member_required
def page() -> Any:
    team_id = current_user.team_id
    shown = messages(team_id)
    if any(not m["read"] for m in shown):
        inbox.mark_read(db(), team_id, [m["id"] for m in shown if not m["read"]], utcnow())
        db().commit()
    known, solved, now = catalog(), solved_by(team_id), utcnow()
    askable = [c for c in known.challenges.values() if clarifications.can_see(known, solved, c.id, now)]
    names = translations.challenge_names(db(), [c.id for c in askable], i18n.language())
    questions = [(row, challenge_name(row.challenge_id, team_id))
                 for row in clarifications.for_team(db(), team_id) if row.team_id == team_id]
    return render_template("inbox.html", messages=shown, questions=questions, limit=clarifications.MAX_QUESTION,
                           challenges=[(c.id, names.get(c.id, c.name)) for c in askable],
                           chosen=request.args.get("challenge", type=int))


@bp.post("/inbox/ask")
@member_required
def ask() -> Any:
    """The question form (works without JavaScript): the same domain function as the API."""
    refusals.back_to("inbox.page", anchor="#ask")
    raw = request.form.get("challenge_id", "").strip()
    clarifications.ask(db(), catalog(), solved_by(current_user.team_id), actor(), request.form.get("question", ""),
                       form_number(raw) if raw else None, utcnow())
    db().commit()
    flash(_("Your question is sent to exercise control; the answer will arrive in this inbox."), "ok")
    return redirect(url_for("inbox.page") + "#questions")
