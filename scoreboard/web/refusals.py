"""How the web edge answers a refusal, in one place: roll back, then say why in the reader's language.

Domain functions raise ``Refused`` (core/errors.py) and the views let it propagate. Each
blueprint registers one ``errorhandler(Refused)`` built from ``as_json`` (the API) or
``answer`` (pages, the console): that handler is the only place a refused request's session is
rolled back, so nothing a refused request wrote is ever committed.

Only a view knows which page its form is on, so a page view names its answer before it calls
the use case: ``back_to`` (flash the reason, redirect to the form's page) or ``show_again``
(flash it on the form shown again, so nothing typed is lost). The answer lives on ``g``: one
request, one answer.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, g, redirect, url_for

from scoreboard.core.errors import Refused
from scoreboard.web.context import db, error
from scoreboard.web.i18n import said

Answer = Callable[[Refused], Any]


def answer_with(answer: Answer) -> None:
    """From here on in this request, a refusal is answered by ``answer(err)``."""
    g.drillboard_refusal = answer


def back_to(endpoint: str, anchor: str = "", **values: Any) -> None:
    """From here on, a refusal flashes its reason and redirects to ``endpoint`` (the form's page)."""
    answer_with(lambda err: _flashed(err, lambda: redirect(url_for(endpoint, **values) + anchor)))


def show_again(render: Callable[[], str], status: int = 400) -> None:
    """From here on, a refusal flashes its reason on the form ``render()`` shows again."""
    answer_with(lambda err: _flashed(err, lambda: (render(), status)))


def _flashed(err: Refused, respond: Callable[[], Any]) -> Any:
    """Flash first: a page rendered by ``respond`` shows the message."""
    flash(said(err), "error")
    return respond()


def answer(err: Refused, fallback: str) -> Any:
    """The pages' and the console's handler: roll back, then the answer the view named (else back
    to ``fallback``)."""
    db().rollback()
    named = g.pop("drillboard_refusal", None)
    return named(err) if named is not None else _flashed(err, lambda: redirect(url_for(fallback)))


def in_json(err: Refused) -> Any:
    """``{"error": ...}`` with the refusal's status (and ``Retry-After`` when it has one: too many
    wrong answers, too many questions)."""
    retry_after = getattr(err, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return error(said(err), err.status, **headers)


def as_json(err: Refused) -> Any:
    """The API's handler: roll back, then answer ``in_json``."""
    db().rollback()
    return in_json(err)
