"""What comes in from the web, checked once at the edge so no malformed value reaches the database.

Ids in URLs must fit the database's integer column (a larger number is no id: 404, never a
500); text must not hold NUL characters (PostgreSQL refuses them in text); a JSON body must be
an object that is not nested absurdly deep.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from scoreboard.store.db import MAX_ID

MAX_DEPTH = 32


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: whole numbers from 0 to MAX_ID, anything else does not match."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_nul() -> None:
    sources = [request.args] if request.query_string else []
    if request.mimetype in FORMS:  # a JSON body is checked where it is read
        sources.append(request.form)
    for values in sources:
        for value in values.values():
            if "\x00" in value:
                abort(400, description=_("text must not contain NUL characters"))


def shallow(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests lists and objects no deeper than ``limit``."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            if level > limit:
                return False
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


def json_object() -> dict[str, Any] | None:
    """The request's JSON object, or None if the body is not one or nests absurdly deep."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # deeper than the parser itself can go
        return None
    return data if isinstance(data, dict) and shallow(data) else None


def init_app(app: Flask) -> None:
    """Install the id converter (before routes are added) and the NUL check."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_nul)
