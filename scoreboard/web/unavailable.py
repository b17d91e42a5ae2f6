"""503 when the disk is full or the database cannot be reached: a pause, not a crash.

A full disk (a report's attachments, SQLite's own file) or a PostgreSQL that is restarting
surfaces as ``OSError(ENOSPC)`` or SQLAlchemy's ``OperationalError`` wherever it happens. Both
mean "try again shortly" and change nothing: the transaction is rolled back and the files it
wrote are removed (``uploads.forget_unless_committed``). The answer says so in the viewer's
language: JSON under /api/, otherwise a page rendered without the database (the usual page
frame reads the drill's title from it).
"""
from __future__ import annotations

import errno
import logging
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext as _
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from scoreboard.web import i18n
from scoreboard.web.context import db, error

RETRY_AFTER = 30
_FULL = {errno.ENOSPC, errno.EDQUOT}
log = logging.getLogger(__name__)


def _message() -> str:
    return _("The server cannot store or read data right now (its disk is full or its database is unreachable); "
             "nothing was changed. Please try again in %(n)s s.", n=RETRY_AFTER)


def _unavailable(err: Exception) -> Any:
    if isinstance(err, OSError) and err.errno not in _FULL:
        raise err  # any other OSError is a bug: the usual 500
    log.error("answering 503: %s", err)
    try:
        db().rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone with the database
        log.debug("rollback after an unavailable database failed", exc_info=True)
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.path.startswith("/api/"):
        return error(_message(), 503, **headers)
    page = current_app.jinja_env.get_template("unavailable.html").render(
        html_lang=i18n.HTML_LANG.get(i18n.language(), "en"), message=_message())
    return page, 503, headers


def init_app(app: Flask) -> None:
    for kind in (OSError, OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(kind, _unavailable)
