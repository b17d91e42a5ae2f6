"""Drillboard entry point: ``python app.py`` serves the drill on http://127.0.0.1:5000."""
from __future__ import annotations

import argparse
import os

from scoreboard import create_app
from scoreboard.bootstrap import seed

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
    created = seed(services) if demo else None
    base = f"http://{args.host}:{args.port}"
    if created:
        print(f"Loaded the demo drill: {created['challenges']} challenges, {len(created['teams'])} teams.")
        print(f"Organizer login: {base}/login  name: admin  password: {created['admin']['password']}")
        print("Team join codes (give one to each team; members join at " f"{base}/join):")
        for team in created["teams"]:
            print(f"  {team['country']}  {team['name']:<20} {team['join_code']}")
        print(f"(saved in {services.settings.instance / 'first-run.json'})")
    print(f"Drillboard: {base}/  live board: {base}/board  API: {base}/api/v1/openapi.json")
    services.live.start_ticker()
    app.extensions["socketio"].run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True, use_reloader=False)


if __name__ == "__main__":
    main()
