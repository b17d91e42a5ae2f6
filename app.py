"""Drillboard entry point: ``python app.py`` serves the drill on http://127.0.0.1:5000.

It serves with gevent's WSGI server and real WebSockets: one process holds thousands of live
observers. ``flask --app app drill …`` (the CLI) and gunicorn (``docker/gunicorn.conf.py``)
import ``app`` from here too.
"""
from __future__ import annotations

import gc

# Importing the application makes several hundred thousand objects that live as long as the
# process; the cyclic collector would walk them again and again while they are made (a quarter
# of every start, CLI calls included). Collect nothing until the app is built, then move what
# exists out of the collector's sight (gc.freeze), so later collections stay short too.
gc.disable()

if __name__ == "__main__":
    # Before anything else is imported: sockets, threads and locks become cooperative.
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from scoreboard import create_app  # noqa: E402
from scoreboard.core.clock import NOT_STARTED  # noqa: E402
from scoreboard.drill.bootstrap import DEMO_PACK, pack_range, seed  # noqa: E402
from scoreboard.live.serving import handler_class  # noqa: E402
from scoreboard.packs import range_launcher  # noqa: E402
from scoreboard.store.models import utcnow  # noqa: E402

app = create_app()
gc.freeze()
gc.enable()


CHECKER_STOP_SECONDS = 5.0  # a stopping checker ends its checks within a second; a wedged one is killed


def start_checker() -> subprocess.Popen | None:
    """The service checks' runner, as a process of its own (checks never run in the web loop):
    ``drill checker``, which leads the drill's rounds and exits when this server does. Off with
    DRILLBOARD_CHECKER=0 (a cluster runs ``drill checker`` where it likes: one of them leads)."""
    if os.environ.get("DRILLBOARD_CHECKER", "1") == "0":
        return None
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "drill", "checker",
                             "--parent-pid", str(os.getpid())], cwd=Path(__file__).resolve().parent)


def quiet_interrupt() -> None:
    """Ctrl-C is how an organizer stops the server: gevent's loop would print it as an error
    ("KeyboardInterrupt" and a time) before the farewell below. It still stops the loop."""
    from gevent import get_hub

    hub = get_hub()
    print_exception = hub.print_exception

    def quietly(context: object, kind: type, value: BaseException, tb: object) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            print_exception(context, kind, value, tb)

    hub.print_exception = quietly


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a Drillboard drill.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--no-demo", action="store_true",
                        help="start with an empty drill instead of loading the demo pack and sample teams")
    parser.add_argument("--pack", type=Path, default=os.environ.get("DRILLBOARD_PACK") or DEMO_PACK,
                        help="the pack an empty drill starts with (default: the demo; also DRILLBOARD_PACK), "
                        "e.g. challenges/exercise-silk-shield")
    args = parser.parse_args()
    services = app.extensions["drillboard"]
    demo = not args.no_demo and os.environ.get("DRILLBOARD_DEMO", "1") != "0"
    created = seed(services.database, services.settings, args.pack) if demo else None
    base = f"http://{args.host}:{args.port}"
    if created:
        print(f"Loaded the drill from {args.pack}: {created['challenges']} challenges, {len(created['teams'])} teams.")
        print(f"Organizer login: {base}/login  name: admin  password: {created['admin']['password']}")
        print("Team join codes (give one to each team; members join at " f"{base}/join):")
        for team in created["teams"]:
            print(f"  {team['country']}  {team['name']:<20} {team['join_code']}")
        print(f"(saved in {services.settings.instance / 'first-run.json'})")
    if services.caches.catalog.get().clock.phase(utcnow()) == NOT_STARTED:
        print(f"The drill has not started: log in as the organizer and start it (STARTEX) at {base}/console "
              "(or: flask --app app drill clock start).")
    script = pack_range(services.database, args.pack) if demo and os.environ.get("DRILLBOARD_RANGE", "1") != "0" else None
    lab = range_launcher.start(script, services.settings.instance) if script else None
    if lab:
        print(f"Range: every team's services on its own loopback address; take one down with "
              f"python {script.relative_to(script.parents[3])} stop \"TEAM\" SERVICE (README).")
    print(f"Drillboard: {base}/  live board: {base}/board  API: {base}/api/v1/openapi.json", flush=True)
    services.live.start()
    checker = start_checker()
    quiet_interrupt()
    interrupted = False
    try:
        app.extensions["socketio"].run(app, host=args.host, port=args.port, log_output=False,
                                       handler_class=handler_class(services.settings.header_timeout))
    except KeyboardInterrupt:  # Ctrl-C: the organizer stopped the server; no traceback for that
        interrupted = True
    finally:
        stop_helpers(checker, lab)
    if interrupted:
        print("Drillboard stopped.", flush=True)


def stop_helpers(checker: subprocess.Popen | None, lab: subprocess.Popen | None) -> None:
    """The checker first, and waited for (it leaves the round in flight unrecorded), then the
    range: stopped the other way round, the checker would find every service down and record it."""
    if checker is not None:
        checker.terminate()
        try:
            checker.wait(CHECKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            checker.kill()
    if lab:
        range_launcher.stop(lab)


if __name__ == "__main__":
    main()
