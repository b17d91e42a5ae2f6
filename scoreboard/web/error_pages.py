"""HTTP errors (404, 403, 405, 413, 429, 500…) in the reader's language.

Under /api/ an error is JSON (``{"error": ...}``), so clients never parse an HTML page or a
traceback. Elsewhere it is a page of our own, translated: Werkzeug's built-in pages are English
only, and a Russian or Chinese team meets them (a locked attachment, a member opening the
console). The page stands without the usual frame, which reads the database: an error page
must not fail again the way the page behind it did.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from scoreboard.web import i18n
from scoreboard.web.context import error

CODES = (400, 403, 404, 405, 413, 429, 500)


def _api_message(code: int, err: Any) -> str:
    return {
        404: _("no such endpoint"), 405: _("method not allowed here"),
        413: _("the request body is too large"), 500: _("internal error"),
    }.get(code) or getattr(err, "description", None) or _("internal error")


def _page_text(code: int, err: Any) -> tuple[str, str]:
    """The page's heading and what to do, for each status a visitor may meet."""
    if isinstance(err, CSRFError):
        return _("The form has expired"), _("The form was open too long or came from another site. Reload the page "
                                            "and send it again.")
    if code == 400 and isinstance(err, HTTPException) and err.description != type(err).description:
        return _("The request was not understood"), str(err.description)  # our own words, already translated
    return {
        400: (_("The request was not understood"), _("The page could not read what was sent. Go back and try again.")),
        403: (_("Access denied"), _("Your account may not open this page.")),
        404: (_("Page not found"), _("There is nothing at this address, or it is not open to you yet.")),
        405: (_("Not allowed here"), _("This address does not take that kind of request.")),
        413: (_("Too large"), _("What was sent is larger than the server accepts.")),
        429: (_("Too many requests"), _("Too many requests in a short time. Wait a little and try again.")),
    }.get(code, (_("Something went wrong"), _("The server could not answer this request. Please try again; if "
                                              "it happens again, tell exercise control.")))


def _handler(err: Any) -> Any:
    code = getattr(err, "code", 500) or 500
    if request.path.startswith("/api/"):
        return error(_api_message(code, err), code)
    title, message = _page_text(code, err)
    page = render_template("error.html", html_lang=i18n.HTML_LANG.get(i18n.language(), "en"), code=code,
                           title=title, message=message)
    headers = {"Retry-After": err.retry_after} if getattr(err, "retry_after", None) else {}
    return page, code, headers


def init_app(app: Flask) -> None:
    for code in CODES:
        app.register_error_handler(code, _handler)
