#!/usr/bin/env python3
"""The demo's range: every team's copy of the NWA services on its own loopback address.

    launch.py serve [--control FILE]         start the services services.yml lists, for every team
    launch.py stop TEAM SERVICE              take one team's service down (connections refused)
    launch.py start TEAM SERVICE             bring it back up
    launch.py hang|mumble|corrupt TEAM SERVICE   make it hang, answer wrongly, or forget its data
    launch.py status                         what is served where, and what was taken down

``python app.py`` runs ``serve`` beside the demo drill (pack.yml ``range``), so the checks have
real services to probe. The other commands talk to a running ``serve`` through its control file
(``$DRILLBOARD_INSTANCE/range-control.json``, by default ``instance/`` under the current folder,
as for the server): ``serve`` reads it twice a second. What the portals stored is kept in
``range-notes.json`` beside it while the range is stopped, as a real service keeps its data.
Loopback only; Python's standard library, PyYAML to read services.yml, and dnslib when a service
is checked by DNS.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.dont_write_bytecode = True  # no __pycache__ in the pack folder (it is zipped and copied as it is)
from servers import MODES, NotesService, Range  # noqa: E402

PACK = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.5
# A service's server, from the kind of its check: the demo's checker probes the HTTP portal.
SERVER_OF_CHECK = {"http": "http", "checker": "http", "tcp": "echo", "dns": "dns", "banner": "smtp", "smtp": "smtp"}
ACTIONS = {"stop": "down", "start": "up", "hang": "hang", "mumble": "mumble", "corrupt": "corrupt"}
SAYS = {"down": "is down (connections refused)", "up": "is up", "hang": "hangs (accepts, never answers)",
        "mumble": "answers wrongly", "corrupt": "forgets what it stored"}


def default_control() -> Path:
    return Path(os.environ.get("DRILLBOARD_INSTANCE") or Path.cwd() / "instance") / "range-control.json"


def layout(services_yml: Path) -> tuple[dict[str, str], dict[str, tuple[str, int]]]:
    """(team -> host, service -> (server kind, port)) from the pack's services.yml."""
    import yaml

    data = yaml.safe_load(services_yml.read_text(encoding="utf-8"))
    served = {s["id"]: (SERVER_OF_CHECK[s["check"]["kind"]], int(s["port"])) for s in data["services"]}
    return {str(team): str(host) for team, host in data["teams"].items()}, served


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace the file whole, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)


def status_path(control: Path) -> Path:
    return control.with_name("range-status.json")


def notes_path(control: Path) -> Path:
    """What the portals stored, kept while the range is stopped (a real service keeps its data
    through a restart; the checks get last round's flags back from it)."""
    return control.with_name("range-notes.json")


KEPT_NOTES = 200  # per portal, the newest: the checks ask for the last rounds' flags only


class Launcher:
    """A running range that follows its control file: {team: {service: state}}, absent = up."""

    def __init__(self, rng: Range, control: Path) -> None:
        self.rng, self.control = rng, control
        self.stopping = threading.Event()
        self._seen: float | None = None

    def serve(self) -> int:
        """Every service up (a new range forgets what the last one was told), then follow the control file."""
        self.control.unlink(missing_ok=True)
        self.restore_notes()
        failed = self.rng.start()
        for (team, service), err in failed.items():
            print(f"range: {service} of {team} not started ({err})", file=sys.stderr)
        if len(failed) == len(self.rng.services):
            print("range: no service could start (another range holds these addresses?)", file=sys.stderr)
            return 1
        write_json(status_path(self.control), {"pid": os.getpid(), "hosts": self.rng.hosts,
                                               "services": {k: list(v) for k, v in self.rng.layout.items()}})
        print(f"range: {len(self.rng.services) - len(failed)} services of {len(self.rng.hosts)} teams up "
              f"({', '.join(f'{n} :{p}' for n, (_, p) in self.rng.layout.items())})", flush=True)
        try:
            while not self.stopping.is_set():
                self.follow()
                self.stopping.wait(POLL_SECONDS)
        finally:
            self.rng.close()
            self.save_notes()
            status_path(self.control).unlink(missing_ok=True)
        return 0

    def restore_notes(self) -> None:
        """What the portals stored before; a file not of the range's own shape (edited by hand,
        cut short) is said and left aside, and the portals start empty."""
        saved = read_json(notes_path(self.control))
        try:
            for (team, service), server in self.rng.services.items():
                if isinstance(server, NotesService):
                    for key, note in saved.get(team, {}).get(service, []):
                        server.keep(str(key), str(note))
        except (AttributeError, TypeError, ValueError):
            print(f"range: {notes_path(self.control)} is not a notes file of the range; the portals start empty",
                  file=sys.stderr)
            for server in self.rng.services.values():
                if isinstance(server, NotesService):
                    server.notes.clear()

    def save_notes(self) -> None:
        saved: dict[str, dict[str, list[list[str]]]] = {}
        for (team, service), server in self.rng.services.items():
            if isinstance(server, NotesService) and server.notes:
                saved.setdefault(team, {})[service] = [list(item) for item in list(server.notes.items())[-KEPT_NOTES:]]
        write_json(notes_path(self.control), saved)

    def follow(self) -> None:
        """Apply the control file when it changed: each service as it says, every other one up."""
        try:
            changed = self.control.stat().st_mtime_ns
        except FileNotFoundError:
            changed = None
        if changed == self._seen:
            return
        self._seen = changed
        wanted = read_json(self.control) if changed is not None else {}
        for (team, service), server in self.rng.services.items():
            state = wanted.get(team, {}).get(service, "up")
            if state == "down":
                server.stop()
                continue
            if not server.running:
                try:
                    server.start()
                except OSError as err:
                    print(f"range: {service} of {team} not started ({err})", file=sys.stderr)
                    continue
            server.set_mode(state if state in MODES else "up")


def command(action: str, team: str, service: str, control: Path) -> int:
    """Record what one team's service should do; the running range applies it within a second."""
    served = read_json(status_path(control))
    if not served:
        print(f"No range is running (no {status_path(control)}): start the demo with python app.py", file=sys.stderr)
        return 1
    if team not in served["hosts"] or service not in served["services"]:
        print(f"Unknown team or service. Teams: {', '.join(served['hosts'])}. Services: "
              f"{', '.join(served['services'])}.", file=sys.stderr)
        return 2
    wanted = read_json(control)
    wanted.setdefault(team, {})[service] = ACTIONS[action]
    if ACTIONS[action] == "up":
        del wanted[team][service]
    write_json(control, {t: s for t, s in wanted.items() if s})
    host, port = served["hosts"][team], served["services"][service][1]
    print(f"{team}: {service} ({host}:{port}) {SAYS[ACTIONS[action]]}")
    return 0


def status(control: Path) -> int:
    served, wanted = read_json(status_path(control)), read_json(control)
    if not served:
        print("No range is running.")
        return 1
    print(f"range (pid {served['pid']}): " + ", ".join(f"{n} :{p}" for n, (_, p) in served["services"].items()))
    for team, host in served["hosts"].items():
        states = ", ".join(f"{s} {wanted.get(team, {}).get(s, 'up')}" for s in served["services"])
        print(f"  {team:<24} {host:<15} {states}")
    return 0


def watch_stdin(stopping: threading.Event) -> None:
    """Started by the server with a pipe as stdin: its end (the server exited, however) stops the
    range. Raw reads: a daemon thread blocked in a buffered read would abort the interpreter's exit."""
    while os.read(sys.stdin.fileno(), 4096):
        pass
    stopping.set()


def serve(args: argparse.Namespace) -> int:
    hosts, served = layout(args.services)
    launcher = Launcher(Range(hosts, served), args.control)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: launcher.stopping.set())
    if args.watch_stdin:
        # Run by the server, which stops it after its checker: Ctrl-C in the server's terminal
        # reaches this process too, and stopping at once would let the checker find every
        # service down.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=watch_stdin, args=(launcher.stopping,), daemon=True).start()
    return launcher.serve()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--control", type=Path, default=default_control(), help="the control file (see above)")
    sub = parser.add_subparsers(dest="action", required=True)
    serving = sub.add_parser("serve", help="start the range and follow the control file")
    serving.add_argument("--services", type=Path, default=PACK / "services.yml", help="services.yml to serve")
    serving.add_argument("--watch-stdin", action="store_true", help="stop when standard input closes")
    for action in ACTIONS:
        one = sub.add_parser(action, help=f"{action} one team's service")
        one.add_argument("team")
        one.add_argument("service")
    sub.add_parser("status", help="what the running range serves, and each service's state")
    args = parser.parse_args(argv)
    if args.action == "serve":
        return serve(args)
    if args.action == "status":
        return status(args.control)
    return command(args.action, args.team, args.service, args.control)


if __name__ == "__main__":
    sys.exit(main())
