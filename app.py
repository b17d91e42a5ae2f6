"""Drillboard entry point: ``python app.py`` serves the drill on http://127.0.0.1:5000.

It serves with gevent's WSGI server and real WebSockets: one process holds thousands of live
observers. ``flask --app app drill …`` (the CLI) and gunicorn (``docker/gunicorn.conf.py``)
import ``app`` from here too.
"""
from __future__ import annotations

if __name__ == "__main__":
    # Before anything else is imported: sockets, threads and locks become cooperative.
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402

from scoreboard import create_app  # noqa: E402
from scoreboard.core.clock import NOT_STARTED  # noqa: E402
from scoreboard.drill.bootstrap import seed  # noqa: E402
from scoreboard.store.models import utcnow  # noqa: E402

app = create_app()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a Drillboard drill.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--no-demo", action="store_true",
                        help="start with an empty drill instead of loading the demo pack and sample teams")
    args = parser.parse_args()
    services = app.extensions["drillboard"]
    demo = not args.no_demo and os.environ.get("DRILLBOARD_DEMO", "1") != "0"
    created = seed(services.database, services.settings) if demo else None
    base = f"http://{args.host}:{args.port}"
    if created:
        print(f"Loaded the demo drill: {created['challenges']} challenges, {len(created['teams'])} teams.")
        print(f"Organizer login: {base}/login  name: admin  password: {created['admin']['password']}")
        print("Team join codes (give one to each team; members join at " f"{base}/join):")
        for team in created["teams"]:
            print(f"  {team['country']}  {team['name']:<20} {team['join_code']}")
        print(f"(saved in {services.settings.instance / 'first-run.json'})")
    if services.caches.catalog.get().clock.phase(utcnow()) == NOT_STARTED:
        print(f"The drill has not started: log in as the organizer and start it (STARTEX) at {base}/console "
              "(or: flask --app app drill clock start).")
    print(f"Drillboard: {base}/  live board: {base}/board  API: {base}/api/v1/openapi.json", flush=True)
    services.live.start()
    app.extensions["socketio"].run(app, host=args.host, port=args.port, log_output=False)


if __name__ == "__main__":
    main()
