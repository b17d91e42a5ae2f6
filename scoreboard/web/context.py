"""Request plumbing shared by the API, the team pages and the console: sessions, the caller."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Request, abort, current_app, g, jsonify, request, send_file
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user
from sqlalchemy.orm import Session

from scoreboard.board.snapshot import BoardCache
from scoreboard.drill.accounts import Actor, actor_for_user
from scoreboard.drill.challenges import Listings
from scoreboard.store import blobs
from scoreboard.store.caches import Caches, Catalog
from scoreboard.store.config import Settings
from scoreboard.store.db import Database
from scoreboard.store.ratelimit import MemoryLimiter
from scoreboard.store.uploads import Upload, display_name


@dataclass
class Services:
    """What a request may need, built once by the app factory."""

    settings: Settings
    database: Database
    cache: BoardCache
    caches: Caches
    limiter: MemoryLimiter
    # Failed logins per name, and failed logins or join codes per address (guessing).
    name_limiter: MemoryLimiter
    address_limiter: MemoryLimiter
    live: Any = None
    # Where this host reads stored files (the database's blobs through its disk cache, or the folder).
    files: blobs.Files | None = None
    listings: Listings = field(default_factory=Listings)
    # (revision before, revision now) of the schema migration this process ran at start.
    migrated: tuple[str | None, str] | None = None


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the signing machinery for requests without a cookie
    (API clients with a bearer token, observers): they get an empty session for free; the cookie
    is Secure whenever the request was."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, and whenever the request came over TLS: behind a proxy that
        terminates it (``DRILLBOARD_PROXY_HOPS`` trusts its X-Forwarded-Proto), the cookie must not
        travel over plain HTTP either."""
        return super().get_cookie_secure(app) or request.is_secure


def services() -> Services:
    return current_app.extensions["drillboard"]


def db() -> Session:
    """The request's session; closed at teardown, committed by the view that writes."""
    if "db_session" not in g:
        g.db_session = services().database.sessions()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def catalog() -> Catalog:
    """The challenge definitions and the clock, from this process's cache."""
    return services().caches.catalog.get()


def solved_by(team_id: int | None) -> dict[int, Any]:
    """The team's own solves (challenge id → time), from this process's cache."""
    return services().caches.solves.get().of(team_id)


def public_counts() -> dict[int, int]:
    """Solves per challenge as the public board counts them (the freeze honoured)."""
    return services().cache.current().counts


def actor() -> Actor | None:
    """The caller: a bearer token if one is sent, else the logged-in browser session."""
    if "actor" not in g:
        token = bearer_token()
        if token is not None:
            g.actor = services().caches.tokens.actor(token)
        elif current_user.is_authenticated:
            g.actor = actor_for_user(current_user._get_current_object())
        else:
            g.actor = None
    return g.actor


def client_address() -> str | None:
    return request.remote_addr


def error(message: str, status: int, **headers: Any) -> Any:
    response = jsonify({"error": message})
    response.status_code = status
    response.headers.update(headers)
    return response


def received_files(field: str, limit: int) -> list[Upload]:
    """The files of a multipart form field, each read up to one byte past ``limit`` (so that a
    larger one is refused, never read whole)."""
    return [Upload(f.filename or "", f.read(limit + 1)) for f in request.files.getlist(field) if f.filename]


# A year: the longest lifetime caches honour; the URL changes when the bytes do.
IMMUTABLE_SECONDS = 365 * 24 * 3600


def send_stored(stored: str, name: str | None, sha256: str | None = None) -> Any:
    """A stored file as a download under the name its sender gave it, made safe again here: rows
    filed before names were cleaned may hold a line break (a broken header) or a bidi override.

    Its ETag is the sha256 of its bytes, so a browser that has them gets 304. A link that names
    those bytes (``?v=<sha256>``, as the challenge API gives) never changes what it serves: the
    browser keeps it a year without asking; any other is asked about every time. Private either
    way: who may download a file is checked per request, so no shared cache may keep it.
    """
    path = services().files.local(stored)
    if path is None:
        abort(404)
    tag = sha256 or (stored if blobs.is_key(stored) else None)
    response = send_file(path, as_attachment=True, download_name=display_name(name or "", "file"),
                         etag=tag or True, conditional=True)
    response.cache_control.private = True
    if tag is not None and request.args.get("v") == tag:
        response.cache_control.no_cache = None
        response.cache_control.max_age = IMMUTABLE_SECONDS
        response.cache_control.immutable = True
    return response


def form_number(raw: str) -> Any:
    """A form field's whole number as an int when it is one; otherwise the text as typed, for the
    domain function to refuse with its own message (never a 500 from ``int()``)."""
    try:
        return int(raw.strip())
    except ValueError:
        return raw
