"""Drillboard: scoring and a live scoreboard for national-team cyber-defense drills."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import Babel, gettext
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from scoreboard.board.snapshot import BoardCache
from scoreboard.core.errors import N_
from scoreboard.drill import accounts, audit, organizer
from scoreboard.store import events
from scoreboard.store.blobs import Files
from scoreboard.store.caches import Caches, Tokens
from scoreboard.store.config import Settings
from scoreboard.store.db import Database
from scoreboard.store.ratelimit import MemoryLimiter, RedisLimiter
from scoreboard.web import error_pages, hot_reads, i18n, inputs, plain_frames, unavailable, words
from scoreboard.web.context import CookieSessions, Services, close_session

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
MAX_LIVE_PACKET = 16 * 1024

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


SECURITY_HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))


def _security_headers(response: Any) -> Any:
    """Every response gets these unless its view set its own (one pass over the headers, not one
    per header: this runs on every request)."""
    present = {key.lower() for key in response.headers.keys()}
    response.headers.extend([(key, value) for key, value in SECURITY_HEADERS if key.lower() not in present])
    return response


def _async_mode() -> str:
    """gevent when the server patched the process for it (app.py, gunicorn -k gevent), else threads."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a pinned requirement
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app: one Database, one board cache, one event pump per process."""
    settings = settings or Settings.from_env()
    settings.instance.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(settings.instance))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="en",
        JSON_SORT_KEYS=False,
    )
    app.session_interface = CookieSessions()
    services, redis_client = _services(settings)
    app.extensions["drillboard"] = services

    # One Socket.IO server per app (tests build many apps); app.py reads it from extensions.
    socketio = SocketIO(app, message_queue=settings.redis_url, channel=f"{settings.channel}:socketio",
                        async_mode=_async_mode(), always_connect=True,
                        cors_allowed_origins=None, manage_session=False,
                        # A client sends only small packets (connect, resync, pong).
                        max_http_buffer_size=MAX_LIVE_PACKET)
    _middleware(app, settings, services)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    # Flask-Login flashes this on the login page it redirects to, said in the visitor's language.
    login_manager.login_message = N_("Please log in to open this page.")
    login_manager.localize_callback = gettext
    babel.init_app(app, locale_selector=i18n.select_locale)

    from scoreboard.live import socket
    from scoreboard.live.guard import Bounds

    services.live = socket.Live(socketio, database=services.database, caches=services.caches,
                                cache=services.cache, redis_client=redis_client,
                                tick_seconds=settings.tick_seconds,
                                on_tick=organizer.tick, wake_channel=f"{settings.channel}:events",
                                bounds=Bounds(per_address=settings.live_per_address,
                                              max_queued=settings.live_max_queued))
    if settings.background:
        # Whatever server runs the app, its first request starts the clock and the stream.
        app.before_request(services.live.start)
    inputs.init_app(app)
    _blueprints(app)
    error_pages.init_app(app)
    unavailable.init_app(app)
    app.teardown_appcontext(close_session)
    app.after_request(_security_headers)
    i18n.init_app(app)
    app.jinja_env.globals["js_words"] = words.catalog
    return app


def _services(settings: Settings) -> tuple[Services, Any]:
    """The database (migrated, its drill row made), caches, rate windows and file store; and the
    Redis client when there is one (the limits and the live stream share it)."""
    database = Database(settings.database_url, audit.key_from(settings.secret_key), settings.files_dir)
    migrated = database.migrate()
    with database.session() as session:
        # The rows every reader expects, made once here: boards are built in read-only
        # transactions, where PostgreSQL refuses to create them.
        events.ensure_drill(session)
        audit.seal(session)
    redis_client = None
    if settings.redis_url:
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)

    def window(limit: int, seconds: int) -> MemoryLimiter:
        if redis_client is None:
            return MemoryLimiter(limit, seconds)
        return RedisLimiter(redis_client, limit, seconds, prefix=settings.channel)

    caches = Caches(database.sessions, Tokens(database.sessions, accounts.actor_for_token, accounts.token_hash))
    services = Services(settings, database, BoardCache(database.sessions, lambda: caches.catalog.get().clock), caches,
                        limiter=window(settings.attempt_limit, settings.attempt_window),
                        name_limiter=window(settings.login_limit, 300),
                        # A whole team may sit behind one NAT address: give addresses more room.
                        address_limiter=window(settings.login_limit * 5, 300))
    services.migrated = migrated
    services.files = Files(database.engine, settings.files_dir, settings.blob_cache_dir)
    return services, redis_client


def _middleware(app: Flask, settings: Settings, services: Services) -> None:
    """WSGI layers around the app, the outermost last (Socket.IO's is already in place)."""
    if settings.proxy_hops:
        # Behind a reverse proxy: take the client address (kept with every submission, and what
        # /live counts connections by) from it. Outside Socket.IO's middleware, so it sees it too.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    if not settings.live_compression:
        app.wsgi_app = plain_frames.PlainFrames(app.wsgi_app)
    # Outermost: an anonymous poll of the board it already answered skips everything below.
    app.wsgi_app = hot_reads.HotReads(app.wsgi_app, {"/api/v1/scoreboard": services.cache.current,
                                                     "/api/v1/scoreboard/ctftime": services.cache.snapshot})


def _blueprints(app: Flask) -> None:
    """Every blueprint, and the CLI; the API's token-authenticated blueprints skip form CSRF."""
    from scoreboard import cli
    from scoreboard.web import api, defence, inbox, inbox_api, judging, pages, redteam, services_api
    from scoreboard.web.console import clarifications
    from scoreboard.web.console import pages as console

    for token_api in (api.bp, inbox_api.bp, services_api.bp):
        csrf.exempt(token_api)
    for bp in (api.bp, inbox_api.bp, services_api.bp, pages.bp, judging.bp, console.bp, redteam.bp, defence.bp,
               inbox.bp, clarifications.bp):
        app.register_blueprint(bp)
    app.cli.add_command(cli.drill)


@login_manager.user_loader
def _load_user(user_id: str) -> Any:
    from scoreboard.store.models import User
    from scoreboard.web.context import db

    ident, _, epoch = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db().get(User, int(ident))
    if user is None or str(user.session_epoch) != epoch or not user.is_active:
        return None
    return user
