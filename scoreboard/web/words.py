"""The words JavaScript says, rendered into every page as JSON (``base.html``'s ``#i18n``).

Each entry is one whole sentence with ``{name}`` placeholders, translated here by Flask-Babel
so pages need no catalog of their own. A sentence with a count is a plural entry:
``{"count": "points", "forms": {"one": ..., "few": ..., "many": ..., "other": ...}}`` — every
form the catalog holds, keyed by CLDR plural category. The browser picks the category with
``Intl.PluralRules`` (CLDR, as Babel is), so no plural table is written by hand anywhere:
the server asks Babel which category each sample number falls in and lets ``ngettext`` (the
catalog's own Plural-Forms rule) choose the form for it.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from babel import Locale
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext

from scoreboard.web.i18n import language

Plural = dict[str, Any]


@lru_cache(maxsize=8)
def samples(lang: str) -> dict[str, int]:
    """A whole number for each plural category ``lang`` gives whole numbers (ru: 1, 2, 5)."""
    rule = Locale.parse(lang).plural_form
    found: dict[str, int] = {}
    for n in range(0, 200):
        found.setdefault(rule(n), n)
    return found


def plural(count: str, forms: Callable[[int], str]) -> Plural:
    """A plural entry: ``forms(n)`` (one literal ``ngettext``) said for each category's sample."""
    return {"count": count, "forms": {tag: forms(n) for tag, n in samples(language()).items()}}


def catalog() -> dict[str, Any]:
    """Every sentence static/js says, in the page's language."""
    return {**_answers(), **_notices(), **_feed(), **_board(), **_services()}


def _answers() -> dict[str, Any]:
    return {
        "correct": plural("points", lambda n: ngettext("Correct! +{points} point", "Correct! +{points} points", n)),
        "correct_first_blood": plural("points", lambda n: ngettext(
            "Correct! +{points} point — first blood!", "Correct! +{points} points — first blood!", n)),
        "already_solved": _("Your team already solved this."), "incorrect": _("Incorrect."),
        "attempts_left": _("Attempts left: {n}."), "wait": _("Too many wrong answers. Wait {n} s."),
        "can_answer": _("You can answer again."), "type_first": _("Type an answer first."),
        "error": _("Something went wrong."),
        "offline": _("Could not reach the server; your answer was not sent. Try again."),
        "no_attempts_left": _("No attempts left: this challenge allows no more wrong answers from your team."),
        "unlock_confirm": plural("cost", lambda n: ngettext(
            "Unlock this hint for {cost} point? Your team pays once.",
            "Unlock this hint for {cost} points? Your team pays once.", n)),
        "unlock_failed": _("Could not unlock the hint."),
        "hint_unlocked_self": plural("cost", lambda n: ngettext(
            "Hint unlocked: {cost} point was taken from your team's score.",
            "Hint unlocked: {cost} points were taken from your team's score.", n)),
    }


def _notices() -> dict[str, Any]:
    """What a team is told live (toasts)."""
    return {
        "new_challenge": _("New challenge open: {name} ({category})"),
        "announcement": _("Announcement: {title}"), "team_solved": _("Your team solved {name} (+{points})"),
        "hint_unlocked": _("A teammate unlocked a hint for {name} (−{cost})"),
        "award": plural("points", lambda n: ngettext("Award: {value} point ({reason})", "Award: {value} points ({reason})", n)),
        "report_graded": plural("points", lambda n: ngettext(
            "Your report on {name} is graded: {points} point", "Your report on {name} is graded: {points} points", n)),
        "report_filed": _("Version {version} of your team's report on {name} is filed"),
        "report_returned": _("Your report on {name} was returned for revision: {note}"),
        "deduction": plural("points", lambda n: ngettext(
            "The red team took {points} point from your team ({reason})",
            "The red team took {points} points from your team ({reason})", n)),
        "deduction_void": plural("points", lambda n: ngettext(
            "A deduction of {points} point was voided: {void_reason}",
            "A deduction of {points} points was voided: {void_reason}", n)),
        "phase_opened": _("New phase: {title}"),
        "drill_ended": _("The drill has ended: answers are no longer accepted."),
        "detection_accepted": plural("points", lambda n: ngettext(
            "Your detection report was accepted: {points} point is given back ({comment})",
            "Your detection report was accepted: {points} points are given back ({comment})", n)),
        "detection_rejected": _("Your detection report was rejected: {comment}"),
        "appeal_upheld": plural("points", lambda n: ngettext(
            "Your appeal was rejected: the deduction of {points} point stands ({answer})",
            "Your appeal was rejected: the deduction of {points} points stands ({answer})", n)),
        "appeal_voided": plural("points", lambda n: ngettext(
            "Your appeal was accepted: the deduction of {points} point is voided ({answer})",
            "Your appeal was accepted: the deduction of {points} points is voided ({answer})", n)),
        "inbox_answer": _("Exercise control answered: {title}"), "inbox_new": _("new"),
        "inbox_announcement": _("Announcement"), "inbox_clarification": _("Clarification"),
    }


def _feed() -> dict[str, Any]:
    """The board's feed, one whole sentence per line (the points stand beside it as a figure)."""
    return {
        "feed_solve": _("{team} solved {challenge}"),
        "feed_solve_first": _("{team} solved {challenge} — first blood"),
        "feed_graded": _("{team}'s report on {challenge} was graded"),
        "feed_deduction": _("{team} lost points to the red team: {reason}"),
        "feed_detection": plural("points", lambda n: ngettext(
            "{team} detected the attack ({reason}) and gets {points} point back",
            "{team} detected the attack ({reason}) and gets {points} points back", n)),
        "feed_appeal_upheld": _("{team}'s appeal was rejected: the deduction ({reason}) stands"),
        "feed_appeal_voided": _("{team}'s appeal was accepted: the deduction ({reason}) is voided"),
        # The closing ceremony: each held change as it is revealed.
        "reveal_solve": _("Revealed: {team} solved {challenge}"), "reveal_award": _("Revealed: an award to {team}"),
        "reveal_hint": _("Revealed: {team} took a hint on {challenge}"),
        "reveal_graded": _("Revealed: {team}'s report on {challenge} was graded"),
        "reveal_deduction": _("Revealed: a red-team deduction from {team}"),
        "reveal_void": _("Revealed: a deduction from {team} was voided"),
        "feed_empty": _("Nothing yet."),
        "reveal_offline": _("Could not reach the server: the auto-player is paused. Press Play to go on."),
        "reveal_step": plural("points", lambda n: ngettext("Revealed: {team}, {value} point", "Revealed: {team}, {value} points", n)),
    }


def _board() -> dict[str, Any]:
    return {
        "not_started": _("not started"), "running": _("running"), "paused": _("paused"), "ended": _("ended"),
        "to_start": _("starts in"), "to_freeze": _("freeze in"), "to_end": _("ends in"),
        "no_teams": _("No teams yet."), "no_announcements": _("None yet."), "team": _("Team"),
        "solve_mark": pgettext("grid legend", "solved"), "blood_mark": pgettext("grid legend", "first blood"),
        "weights_line": _("Weights: Flags {flags} % · Reports {reports} % · Deductions {deductions} %"),
        "standings_page": _("Standings · page {n} of {total}"),
        "grid_page": _("Who solved what · page {n} of {total}"),
        "replay_retry": _("Could not load minute {minute}; trying again…"),
        "replay_failed": _("Could not load minute {minute}. Check the connection and choose the minute again."),
    }


def _services() -> dict[str, Any]:
    """The defended services: a state's word on the grid, and a feed line when one changes."""
    return {
        "svc_up": _("up"), "svc_down": _("down"), "svc_mumble": _("mumble"), "svc_corrupt": _("corrupt"),
        "svc_error": _("checker error"), "svc_round": _("After round {number}"),
        "services_page": _("Defended services · page {n} of {total}"),
        "feed_service_up": _("{team}: {service} back UP"), "feed_service_down": _("{team}: {service} DOWN"),
        "feed_service_mumble": _("{team}: {service} answers wrongly (MUMBLE)"),
        "feed_service_corrupt": _("{team}: {service} lost its data (CORRUPT)"),
        "feed_service_error": _("{team}: the check of {service} failed (checker ERROR)"),
    }
