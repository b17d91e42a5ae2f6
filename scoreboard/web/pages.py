"""Pages for team members and observers. Thin: each calls a domain function and renders.

The basics work without JavaScript (forms post and redirect); ``static/js`` adds the live
parts on top.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from scoreboard.board import after_action, kiosk, replay, results
from scoreboard.core import names
from scoreboard.core.clock import NOT_STARTED
from scoreboard.core.errors import N_, NotFound, Refused
from scoreboard.core.text import render_markdown
from scoreboard.drill import accounts, attempts, challenges, claims, guessing, objectives, phases, reports
from scoreboard.drill.attempts import Attempt
from scoreboard.packs import translations
from scoreboard.store.models import Challenge, File, Hint, utcnow
from scoreboard.web import after_action as after_action_view
from scoreboard.web import i18n, inputs, refusals, service_views
from scoreboard.web.context import (
    actor,
    catalog,
    client_address,
    db,
    public_counts,
    send_stored,
    services,
    solved_by,
)

bp = Blueprint("pages", __name__)


@bp.errorhandler(Refused)
def _refused(err: Refused) -> Any:
    return refusals.answer(err, "pages.index")


def member_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.team_id is None:
            return redirect(url_for(_home_of(current_user))) if current_user.role != "member" else abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    known = catalog()
    current = phases.current(db())
    return {"clock": known.clock.as_dict(utcnow()), "drill_zone": known.home_timezone,
            "drill_title": translations.drill_title(known.title, known.title_translations, i18n.language()),
            "current_phase": phases.describe(current, i18n.language()) if current else None}


def _home_of(user: Any) -> str:
    """Where an account lands after logging in: the judges' queue, the red team's page, its team's
    challenges, the console."""
    staff = {"judge": "judging.queue", "red_team": "redteam.page", "white_cell": "clarifications.queue"}.get(user.role)
    return staff or ("pages.challenge_list" if user.team_id else "console.dashboard")


@bp.get("/")
def index() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for(_home_of(current_user)))
    return render_template("index.html")


@bp.route("/join", methods=["GET", "POST"])
def join() -> Any:
    form = request.form
    if request.method == "GET":
        return _join_form(200)
    ticket, wait = guessing.take(guessing.join_windows(services().address_limiter, client_address()))
    if ticket is None:
        flash(_("Too many failed attempts; try again in %(n)s s.", n=wait), "error")
        return render_template("join.html", join_code="", name=form.get("name", "")), 429
    if form.get("password") != form.get("confirm"):
        ticket.right()  # not a guess at a join code
        flash(_("The two passwords differ."), "error")
        return _join_form(400)
    refusals.show_again(lambda: _join_form(400)[0])
    team = accounts.team_for_join_code(db(), form.get("join_code", ""))
    ticket.right()  # the code opened a team: a refusal from here on (name, password) is no guess
    user = accounts.create_member(db(), team, form.get("name", ""), form.get("password", ""))
    db().commit()
    login_user(user)
    flash(_("Welcome to %(team)s.", team=user.team.name), "ok")
    return redirect(url_for("pages.challenge_list"))


def _join_form(status: int) -> tuple[str, int]:
    form = request.form
    return render_template("join.html", join_code=form.get("join_code") or request.args.get("code", ""),
                           name=form.get("name", "")), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        name = request.form.get("name", "")
        key = names.name_key(name) if isinstance(name, str) else ""
        windows = guessing.login_windows(services().name_limiter, services().address_limiter, key, client_address(),
                                         accounts.is_organizer(db(), name))
        ticket, wait = guessing.take(windows)
        if ticket is None:
            flash(_("Too many failed logins; try again in %(n)s s.", n=wait), "error")
            return render_template("login.html", name=name), 429
        user = accounts.authenticate(db(), name, request.form.get("password", ""))
        db().commit()
        if user is None:
            flash(_("Wrong name or password."), "error")
            return render_template("login.html", name=name), 401
        ticket.right()
        login_user(user)
        return redirect(inputs.local_target(request.args.get("next")) or url_for("pages.index"))
    return render_template("login.html", name="")


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        # A copy of the cookie saved before logging out must not work after it.
        accounts.end_sessions(db(), current_user._get_current_object())
        db().commit()
    logout_user()
    return redirect(url_for("pages.index"))


@bp.get("/lang/<code>")
def language(code: str) -> Any:
    if code in i18n.LANGUAGES:
        session["lang"] = code
    return redirect(inputs.local_target(request.referrer) or url_for("pages.index"))


def _localized(item: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
    """The pack's own translation of a challenge's text in the viewer's language, if it has one;
    ``names`` collects original name -> shown name for the names it may show."""
    challenge = catalog().challenges[item["id"]]
    hidden = item.get("locked", False) and challenge.anonymize
    shown = translations.challenge_in(item, challenge.translations, i18n.language(), hide_name=hidden)
    if names is not None and not hidden:
        names[challenge.name] = shown["name"]
    return shown


@bp.get("/challenges")
@member_required
def challenge_list() -> Any:
    team_id = current_user.team_id
    names: dict[str, str] = {}
    items = [_localized(item, names)
             for item in challenges.list_for_team(catalog(), solved_by(team_id), public_counts(), utcnow())]
    left = challenges.attempts_left(db(), catalog(), team_id)
    filed = reports.statuses(db(), team_id)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        item["requirements"] = [names.get(name, name) for name in item["requirements"]]
        item["attempts_left"] = left.get(item["id"])
        item["report_status"] = filed.get(item["id"])
        groups.setdefault(item["category"], []).append(item)
    return render_template("challenges.html", groups=groups)


@bp.get("/challenges/<int:challenge_id>")
@member_required
def challenge_page(challenge_id: int) -> Any:
    refusals.back_to("pages.challenge_list")
    team_id = current_user.team_id
    data = challenges.detail_for_team(db(), catalog(), solved_by(team_id), public_counts(), challenge_id, team_id,
                                      utcnow())
    report = None
    if data["kind"] == "report":
        report = {**(reports.status(db(), team_id, challenge_id) or {}),
                  "versions": reports.versions(db(), team_id, challenge_id),
                  "deadline": reports.deadline(catalog(), db().get(Challenge, challenge_id)),
                  "late_rule": reports.late_rule(db().get(Challenge, challenge_id)),
                  "late_penalty": reports.late_penalty(db(), team_id, challenge_id),
                  "max_kb": services().settings.max_report_file_bytes // 1024, "max_files": reports.MAX_FILES}
        report["comment_html"] = render_markdown(report.get("comment") or "")
        report["comments_html"] = [render_markdown(text) for text in report.get("comments") or []]
    return render_template("challenge.html", c=_localized(data), report=report)


@bp.post("/challenges/<int:challenge_id>/answer")
@member_required
def answer(challenge_id: int) -> Any:
    """The no-JavaScript path: the same domain function as the API, then back to the page."""
    refusals.back_to("pages.challenge_page", challenge_id=challenge_id)
    team = current_user.team
    attempt = Attempt(team.id, team.name, current_user.id, challenge_id, request.form.get("answer", ""),
                      client_address(), utcnow())
    verdict = attempts.record(db(), catalog(), solved_by(team.id), attempt, services().limiter)
    # The page shows these where its script shows a verdict, in the same colours.
    if verdict.message:  # a right answer that does not finish the challenge yet
        flash(i18n.said(verdict.message), "verdict incorrect")
    elif verdict.result == "correct":
        flash(ngettext("Correct! +%(num)s point.", "Correct! +%(num)s points.", verdict.points), "verdict correct")
    elif verdict.result == "already_solved":
        flash(_("Your team already solved this."), "verdict correct")
    else:
        flash(_("Incorrect."), "verdict incorrect")
    return redirect(url_for("pages.challenge_page", challenge_id=challenge_id))


def _hint_offer(hint_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The hint as its team sees it, with its challenge; refused when either is out of reach."""
    row = db().get(Hint, hint_id)
    if row is None or row.removed:
        raise NotFound(N_("no such hint"))
    team_id = current_user.team_id
    data = challenges.detail_for_team(db(), catalog(), solved_by(team_id), public_counts(), row.challenge_id, team_id,
                                      utcnow())
    return next(h for h in data["hints"] if h["id"] == hint_id), _localized(data)


@bp.route("/hints/<int:hint_id>/unlock", methods=["GET", "POST"])
@member_required
def unlock(hint_id: int) -> Any:
    """Without JavaScript: a page that says what the hint costs, then its form unlocks it."""
    refusals.back_to("pages.challenge_list")
    hint, challenge = _hint_offer(hint_id)
    refusals.back_to("pages.challenge_page", challenge_id=challenge["id"])
    back = url_for("pages.challenge_page", challenge_id=challenge["id"])
    if hint["unlocked"]:
        flash(_("Your team has already unlocked this hint."), "ok")
        return redirect(f"{back}#hint-{hint_id}")
    if request.method == "GET" or request.form.get("confirmed") != "1":
        return render_template("hint_confirm.html", hint=hint, challenge=challenge, back=back)
    team_id = current_user.team_id
    challenges.unlock_hint(db(), catalog(), solved_by(team_id), hint_id, team_id, current_user.id, utcnow())
    db().commit()
    flash(ngettext("Hint unlocked: %(num)s point was taken from your team's score.",
                   "Hint unlocked: %(num)s points were taken from your team's score.", hint["cost"]), "ok")
    return redirect(f"{back}#hint-{hint_id}")


@bp.get("/team")
@member_required
def team_page() -> Any:
    # The rank is the public one: during a freeze the true rank would leak the frozen standings.
    report = results.team_report(db(), current_user.team_id, services().cache.current().board.standings)
    names, categories = translations.names_in(db(), i18n.language())
    for row in report["solves"] + report["hints"]:
        row["challenge"] = names.get(row["challenge"], row["challenge"])
        if "category" in row:
            row["category"] = categories.get(row["category"], row["category"])
    answers = objectives.localized(claims.for_team(db(), current_user.team_id, utcnow()), i18n.language())
    return render_template("team.html", report=report, frozen=catalog().clock.frozen(utcnow()), answers=answers,
                           **service_views.team(current_user.team_id))


@bp.get("/team/after-action")
@member_required
def team_after_action() -> Any:
    """The team's printable after-action report. Other teams show only as the public board shows
    them (the rank is ranked on the public standings: during a freeze, as frozen)."""
    board = services().cache.current().board.standings
    record = after_action.team_record(db(), current_user.team_id, board)
    return render_template("after_action.html", frozen=catalog().clock.frozen(utcnow()), console=False,
                           **after_action_view.team_view(record, len(board), utcnow()),
                           **service_views.after_action(current_user.team_id, utcnow()))


@bp.get("/teams/<int:team_id>/after-action")
@member_required
def other_after_action(team_id: int) -> Any:
    """A team's report by id: a member's own team only; any other id is not found (404), so a
    team cannot learn even which ids exist."""
    if team_id != current_user.team_id:
        abort(404)
    return redirect(url_for("pages.team_after_action"))


@bp.get("/briefing")
@member_required
def briefing_page() -> Any:
    """The exercise's briefing and its phases (a waiting phase by its title only)."""
    lang = i18n.language()
    return render_template("briefing.html", briefing=phases.briefing(db(), lang),
                           phase_list=[phases.describe(p, lang) for p in phases.ordered(db())])


@bp.get("/files/<int:file_id>/<name>")
def download(file_id: int, name: str) -> Any:
    """Attachments: only to a team member or token of a team, only for released challenges."""
    who = actor()
    if who is None or (who.team_id is None and not who.is_organizer):
        abort(404)
    row = db().get(File, file_id)
    if row is None or row.name != name:
        abort(404)
    try:
        challenge = challenges.visible(catalog(), row.challenge_id, utcnow(), preview=who.is_organizer)
        if not who.is_organizer:
            challenges.ensure_unlocked(catalog(), challenge, solved_by(who.team_id))
    except Refused:
        abort(404)
    return send_stored(row.stored_path, row.name, row.sha256)


@bp.get("/board")
def board_page() -> Any:
    """The observers' board; ``?kiosk=1`` is its projector mode (``page`` and ``dwell`` for the rotation)."""
    snapshot = services().cache.snapshot().as_dict()
    names = translations.challenge_names(db(), [c["id"] for c in snapshot.get("challenges", [])], i18n.language())
    known = catalog()
    face = kiosk.wall_clock(known.home_timezone, known.clock, utcnow())
    if request.args.get("kiosk") != "1":
        # Before STARTEX observers read the briefing (nothing secret in it) above the empty board.
        waiting = known.clock.phase(utcnow()) == NOT_STARTED
        return render_template("board.html", snapshot=snapshot, challenge_names=names, face=face,
                               briefing=phases.briefing(db(), i18n.language()) if waiting else None,
                               **service_views.board(snapshot["standings"]))
    rows, page, pages = kiosk.page_of(snapshot["standings"], request.args.get("page", type=int))
    dwell = kiosk.dwell(request.args.get("dwell"))
    return render_template("board_kiosk.html", snapshot=snapshot, challenge_names=names, face=face, rows=rows,
                           page=page, pages=pages, dwell=dwell, **service_views.board(snapshot["standings"]),
                           next_page=url_for("pages.board_page", kiosk=1, page=page % pages + 1, dwell=dwell))


@bp.get("/replay")
def replay_page() -> Any:
    """The board at any minute of the drill (``?minute=N``); static/js/replay.js scrubs and plays."""
    refusals.answer_with(lambda err: (render_template("replay.html", data=None, error=i18n.said(err)), err.status))
    session, now = db(), utcnow()
    data = replay.replay(session, now, replay.moment(session, now, request.args.get("minute")))
    return render_template("replay.html", data=data, service_names=service_views.all_titles())
