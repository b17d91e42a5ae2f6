"""The public board's two busiest reads, answered again without building a Flask request.

Observers poll ``/api/v1/scoreboard`` (and CTFtime polls its feed) as often as they like, and
every answer is the same pre-encoded bytes until the board changes. Building a request around
them (context, session, login, locale, hooks) cost most of a poll's time. So the first anonymous
read of each board goes through Flask as usual, and its status, headers and body are kept with
the board they came from; later reads of that same board get them back unchanged. A request
that could be answered differently — another method, a query, a cookie (a session may be
refreshed) — and any answer that is not a plain 200 go through Flask every time. A bearer token
is not looked at by these reads (the public board is the same for everyone), so a team's client
polling with its token is answered here too.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class HotReads:
    """WSGI middleware: ``routes`` maps a path to a function returning the object its answer is
    made from (a built board, a snapshot); an answer is reused while that object is current."""

    def __init__(self, wsgi_app: WSGIApp, routes: dict[str, Callable[[], object]]) -> None:
        self.wsgi_app, self.routes = wsgi_app, routes
        self._kept: dict[str, tuple[object, str, list[tuple[str, str]], bytes]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        read = self.routes.get(path)
        if read is None or not _plain_get(environ):
            return self.wsgi_app(environ, start_response)
        try:
            source = read()
        except Exception:  # noqa: BLE001 - the app answers a failure as it answers any (a 503)
            return self.wsgi_app(environ, start_response)
        kept = self._kept.get(path)
        if kept is not None and kept[0] is source:
            start_response(kept[1], list(kept[2]))
            return [kept[3]]
        return self._through(path, source, environ, start_response)

    def _through(self, path: str, source: object, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer through the app, keeping a plain 200 for ``source`` (read before the app ran: the
        app's answer is at least that new, so it is never kept for an older board)."""
        answered: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = answered
        if status.startswith("200 ") and not any(name.lower() == "set-cookie" for name, _ in headers):
            self._kept[path] = (source, status, list(headers), body)
        return [body]


def _plain_get(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING") and not environ.get("HTTP_COOKIE")
