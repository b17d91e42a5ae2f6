"""Defended services in the JSON API: ``GET /api/v1/services``, public like the scoreboard.

The answer is encoded once per board (rebuilt after every round of checks), so an anonymous
request costs a lookup, not a query, however many observers poll it.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app

from scoreboard.board import ledger
from scoreboard.board import services as grid
from scoreboard.board.snapshot import encode
from scoreboard.store.models import utcnow
from scoreboard.web.api import serve_json
from scoreboard.web.context import catalog, db, services

bp = serve_json(Blueprint("services_api", __name__, url_prefix="/api/v1"))


def current_grid() -> bytes:
    """The public grid as the current board shows it, encoded once per board (the API and /board
    share it, so neither costs an anonymous reader a query)."""
    built = services().cache.current()
    answer = current_app.extensions.setdefault("drillboard.services", grid.Answer())

    def make() -> bytes:
        view = ledger.public_view(db(), catalog().clock, utcnow())
        return encode(grid.public(db(), view))

    return answer.get((built.as_of, built.key), make)


@bp.get("/services")
def service_grid() -> Response:
    return Response(current_grid(), mimetype="application/json", headers={"Cache-Control": "no-cache"})
