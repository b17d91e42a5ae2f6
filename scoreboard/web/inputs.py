"""What comes in from the web, checked once at the edge so no malformed value reaches the database.

Ids in URLs must fit the database's integer column (a larger number is no id: 404, never a
500); text must not hold NUL characters (PostgreSQL refuses them in text); a JSON body must be
an object that is not nested absurdly deep; a redirect target must stay on this site.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

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


def _texts(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included, without recursion (bodies may nest deep)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _received_texts() -> Iterator[str]:
    """All text a request carries: its query, form fields, upload names and JSON body."""
    if request.query_string:
        yield from request.args.values()
    if request.mimetype in FORMS:
        yield from request.form.values()
        yield from (upload.filename or "" for upload in request.files.values())
    elif request.is_json and request.content_length != 0:
        try:
            yield from _texts(request.get_json(silent=True))
        except RecursionError:  # json_object refuses it where the body is read
            return


def _refuse_nul() -> None:
    """The one check for NUL characters: PostgreSQL refuses them in text (a 500 on a later read
    or write), and no person types one. Answers, reports, reasons, comments (nested lists too),
    names and file names are all refused here, before any view runs."""
    if any("\x00" in text for text in _received_texts()):
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


def local_target(raw: Any) -> str | None:
    """A redirect target (``?next=``, a Referer) rebuilt as a path on this site, or None.

    Browsers drop tabs and line breaks inside URLs and read a backslash as a slash, so
    ``/%09/evil.example`` would leave the site: any such character refuses the target. A full URL
    is kept only when it names this host; what is sent on is rebuilt from the parsed path and
    query, never the raw text.
    """
    if not isinstance(raw, str) or not raw or "\\" in raw:
        return None
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in raw):
        return None
    try:
        parts = urlsplit(raw)
    except ValueError:  # a malformed [IPv6] host
        return None
    if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) != (request.scheme, request.host):
        return None
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return None
    return urlunsplit(("", "", quote(path, safe="/%:@!$&'()*+,;=-._~"), parts.query, ""))


def init_app(app: Flask) -> None:
    """Install the id converter (before routes are added) and the NUL check."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_nul)
