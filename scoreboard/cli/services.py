"""``drill checker``, ``drill round`` and ``drill service``: the defended services from a shell,
through the same use cases as the console."""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
from typing import Any

import click
from flask import current_app

from scoreboard.core.errors import N_, Refused
from scoreboard.drill import hosts, rounds
from scoreboard.runner.loop import Runner
from scoreboard.store.models import utcnow
from scoreboard.web.context import Services


def _app() -> Services:
    return current_app.extensions["drillboard"]


def _refused(err: Refused) -> None:
    click.echo(f"error: {err}", err=True)
    sys.exit(1)


def _alive(pid: int | None) -> bool:
    """Whether the process that started this runner (``python app.py``) still runs."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return os.getppid() == pid


@click.command("checker")
@click.argument("action", type=click.Choice(["run", "pause", "resume", "show"]), default="run")
@click.option("--once", is_flag=True, help="Run one round now, then exit.")
@click.option("--parent-pid", type=int, hidden=True, help="Exit when this process is gone (python app.py's runner).")
def checker(action: str, once: bool, parent_pid: int | None) -> None:
    """Run the service checks' rounds (one runner leads per drill; others wait to take over), or
    pause, resume or show them."""
    services = _app()
    if action != "run":
        try:
            with services.database.session() as session:
                out = rounds.state(session) if action == "show" else rounds.pause(session, utcnow(), "cli",
                                                                                   on=action == "pause")
        except Refused as err:
            _refused(err)
        click.echo(json.dumps(out))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s checker: %(message)s")
    runner = Runner(services.database, services.settings.files_dir, services.settings.instance / "checker.lock")
    if once:
        if not runner.leadership.acquire():
            _refused(Refused(N_("another checker runs the rounds now; try again when it stops")))
        number = runner.run_due(force=True)
        runner.leadership.release()
        click.echo(json.dumps({"round": number}))
        return
    stopping: list[int] = []
    # Ctrl-C reaches every process of the terminal's group, this one too: stop as on SIGTERM.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: stopping.append(number))
    runner.run_forever(lambda: not stopping and _alive(parent_pid))


@click.group("round")
def round_group() -> None:
    """Rounds of service checks: exclude one (the range itself broke) or re-run it now."""


@round_group.command("exclude")
@click.argument("number", type=int)
@click.option("--reason", required=True, help="what went wrong with the range")
def round_exclude(number: int, reason: str) -> None:
    """Leave round NUMBER out of every SLA and every team's points."""
    try:
        with _app().database.session() as session:
            row = rounds.exclude(session, number, reason, utcnow(), "cli")
            out = {"round": row.number, "excluded_at": row.excluded_at.isoformat()}
    except Refused as err:
        _refused(err)
    click.echo(json.dumps(out))


@round_group.command("rerun")
@click.argument("number", type=int)
@click.option("--reason", required=True, help="what went wrong with the range")
def round_rerun(number: int, reason: str) -> None:
    """Exclude round NUMBER and check every service again at once, in a new round."""
    try:
        with _app().database.session() as session:
            row = rounds.rerun(session, number, reason, utcnow(), "cli")
            out = {"excluded": number, "round": row.number}
    except Refused as err:
        _refused(err)
    click.echo(json.dumps(out))


@click.group("service")
def service_group() -> None:
    """Defended services: where each team's services answer."""


@service_group.command("host")
@click.argument("team")
@click.argument("service")
@click.argument("host")
def service_host(team: str, service: str, host: str) -> None:
    """Point TEAM's SERVICE (a services.yml id, or "all") at HOST, overriding the pack."""
    try:
        with _app().database.session() as session:
            out = hosts.set_host(session, team, None if service == "all" else service, host, "cli")
    except Refused as err:
        _refused(err)
    click.echo(json.dumps(out, ensure_ascii=False))


@service_group.command("import-hosts")
@click.argument("path", type=click.File("r", encoding="utf-8"))
def service_import_hosts(path: Any) -> None:
    """Set hosts from a CSV (team,host[,service]); all rows or none."""
    try:
        with _app().database.session() as session:
            count = hosts.import_hosts(session, path.read(), "cli")
    except Refused as err:
        _refused(err)
    click.echo(json.dumps({"hosts": count}))


COMMANDS = (checker, round_group, service_group)
