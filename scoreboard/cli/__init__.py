"""``flask --app app drill ...``: the same domain functions as the console, from a shell."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from scoreboard import packs
from scoreboard.board import results
from scoreboard.cli.services import COMMANDS as SERVICE_COMMANDS
from scoreboard.core import names
from scoreboard.core.clock import parse_time
from scoreboard.core.errors import Refused
from scoreboard.drill import accounts, audit, backup, ctfd_import, organizer, phases, reveal, rosters
from scoreboard.packs import export as pack_export
from scoreboard.store import events
from scoreboard.store.models import AuditEntry, Team, User, utcnow
from scoreboard.web.context import Services

drill = AppGroup("drill", help="Run a Drillboard drill.")
for _command in SERVICE_COMMANDS:
    drill.add_command(_command)


def _services() -> Services:
    return current_app.extensions["drillboard"]


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@drill.command("init-db")
def init_db() -> None:
    """Create or migrate the schema to the newest revision (the app also does this at start)."""
    services = _services()
    before, now = services.migrated or services.database.migrate()
    if before == now:
        click.echo(f"schema is up to date (revision {now})")
    elif before is None:
        click.echo(f"schema ready (revision {now})")
    else:
        click.echo(f"schema upgraded from revision {before} to {now}")


@drill.command("load-pack")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and show what would change; write nothing.")
@click.option("--strict", is_flag=True, help="Refuse the pack on warnings too (unknown fields, no flags).")
@click.option("--pack", "pack_id", help="The pack's id (else pack.yml's id, else the folder's name).")
@click.option("--file-name", help="The challenge file to look for instead of challenge.yml, e.g. ctfcli.yaml.")
@click.option("--merge", is_flag=True, help="Add a category folder to its pack: keep the pack's other challenges.")
@click.option("--yes", is_flag=True, help="Load even if challenges with solves are removed or get other flags.")
def load_pack(path: Path, dry_run: bool, strict: bool, pack_id: str | None, file_name: str | None, merge: bool,
              yes: bool) -> None:
    """Validate a pack folder or .zip and load it (updates in place, keeps submissions)."""
    services = _services()
    services.database.migrate()
    try:
        with services.database.session() as session:
            diff = packs.load(session, path, services.settings.files_dir, dry_run=dry_run, strict=strict,
                              max_unpacked=services.settings.max_pack_unpacked_bytes, pack_id=pack_id,
                              file_name=file_name, merge=merge, confirmed=yes)
            if not dry_run:
                organizer.audit_pack(session, "cli", diff)
    except packs.PackError as err:
        _pack_refused(err, "loaded")
    _echo_warnings(diff.warnings)
    click.echo("\n".join(diff.lines()))
    click.echo("dry run: nothing was written" if dry_run else "loaded")


def _pack_refused(err: packs.PackError, verb: str, left_out: list[str] | None = None) -> None:
    """A refused pack load or import: what is at stake or wrong, the warnings, and exit 1."""
    if isinstance(err, packs.Unconfirmed):
        click.echo("\n".join(err.diff.lines()), err=True)
    for problem in err.problems:
        click.echo(problem, err=True)
    _echo_warnings(err.warnings)
    if left_out:
        click.echo("\n".join(left_out), err=True)
    click.echo(f"{err.count} problem(s); nothing was {verb}", err=True)
    sys.exit(1)


@drill.command("export-pack")
@click.argument("target", type=click.Path(path_type=Path, file_okay=False))
@click.option("--pack", "pack_id", help="Only this pack (else every pack; several go in a folder each).")
def export_pack(target: Path, pack_id: str | None) -> None:
    """Write the drill's challenges as a ctfcli repository that load-pack loads back unchanged."""
    services = _services()
    if target.exists() and any(target.iterdir()):
        _fail(f"{target} is not empty; choose a new or empty folder")
    try:
        with services.database.session() as session:
            written = pack_export.export_all(session, target, services.settings.files_dir, pack_id)
    except LookupError:
        _fail(f"no pack {pack_id!r} is loaded" if pack_id else "no pack is loaded")
    for pack, count in written.items():
        folder = target if len(written) == 1 else target / pack
        click.echo(f"pack {pack}: {count} challenge(s) in {folder}")


@drill.command("import-ctfd")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--pack", "pack_id", default=ctfd_import.DEFAULT_PACK, show_default=True,
              help="The id of the pack the challenges go into (importing again updates it in place).")
@click.option("--with-accounts", is_flag=True, help="Import the teams and players too (they keep their CTFd passwords).")
@click.option("--country", help="ISO 3166 alpha-2 code for teams the export gives no country.")
@click.option("--dry-run", is_flag=True, help="Check the export and show what would change; write nothing.")
@click.option("--yes", is_flag=True, help="Import even if challenges with solves are removed or get other flags.")
def import_ctfd(path: Path, pack_id: str, with_accounts: bool, country: str | None, dry_run: bool, yes: bool) -> None:
    """Import a CTFd 3.x export (the .zip of CTFd's Admin → Config → Backup → Export)."""
    services = _services()
    services.database.migrate()
    try:
        with services.database.session() as session:
            result = ctfd_import.import_export(session, path, services.settings.files_dir, pack_id=pack_id,
                                               with_accounts=with_accounts, country=country, dry_run=dry_run,
                                               max_unpacked=services.settings.max_pack_unpacked_bytes,
                                               confirmed=yes)
    except packs.PackError as err:
        refused = isinstance(err, ctfd_import.ImportRefused) and err.not_imported
        _pack_refused(err, "imported", ctfd_import.left_out(err.not_imported) if refused else None)
    except Refused as err:
        _fail(err.text())
    _echo_warnings(result.diff.warnings)
    click.echo("\n".join(result.lines()))
    if result.teams:
        click.echo(json.dumps({"teams": result.teams}, ensure_ascii=False, indent=1))
    click.echo("dry run: nothing was written" if dry_run else "imported")


def _echo_warnings(warnings: list[str]) -> None:
    if warnings:
        click.echo(f"{len(warnings)} warning(s) (--strict refuses the pack for these):", err=True)
        for warning in warnings:
            click.echo(warning, err=True)


@drill.command("create-team")
@click.argument("name")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, e.g. KZ")
def create_team(name: str, country: str) -> None:
    """Create a team; prints its id, join code and a team API token as JSON."""
    services = _services()
    try:
        with services.database.session() as session:
            team = organizer.create_team(session, name, country, "cli")
            token = accounts.new_token(session, team=team)
            out = {"id": team.id, "name": team.name, "country": team.country, "join_code": team.join_code,
                   "token": token}
    except Refused as err:
        _fail(str(err))
    click.echo(json.dumps(out, ensure_ascii=False))


@drill.command("import-teams")
@click.argument("path", type=click.File("r", encoding="utf-8"))
def import_teams(path: Any) -> None:
    """Create teams from a CSV (name,country[,members]); all or nothing."""
    try:
        with _services().database.session() as session:
            created = rosters.import_teams(session, path.read(), "cli")
    except Refused as err:
        _fail(str(err))
    click.echo(json.dumps(created, ensure_ascii=False, indent=1))


@drill.command("create-admin")
@click.argument("name")
def create_admin(name: str) -> None:
    """Create an organizer account; prints its password and API token as JSON."""
    services = _services()
    services.database.migrate()
    try:
        with services.database.session() as session:
            user, password, token = accounts.create_admin(session, name)
            out = {"id": user.id, "name": user.name, "password": password, "token": token}
    except Refused as err:
        _fail(str(err))
    click.echo(json.dumps(out, ensure_ascii=False))


@drill.command("create-user")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["judge", "red_team", "white_cell", "admin"]),
              help="judge: grades reports; red_team: records deductions; white_cell: answers teams' questions; "
                   "admin: an organizer")
@click.option("--team", "team_name", help="a judge who is also a member of this team (never judges its reports)")
def create_user(name: str, role: str, team_name: str | None) -> None:
    """Create a judge, red-team, white-cell or organizer account; prints id, name, role, password and token as JSON."""
    services = _services()
    services.database.migrate()
    try:
        with services.database.session() as session:
            team = None
            if team_name is not None:
                team = session.scalar(select(Team).where(Team.name_key == names.name_key(team_name)))
                if team is None:
                    _fail(f"no team named {team_name!r}")
            user, password, token = accounts.create_staff(session, name, role, team)
            out = {"id": user.id, "name": user.name, "role": user.role, "password": password, "token": token,
                   "team_id": user.team_id}
    except Refused as err:
        _fail(str(err))
    click.echo(json.dumps(out, ensure_ascii=False))


@drill.command("rotate-token")
@click.option("--user", "user_name", help="a user's name (an organizer, judge, red-team member or member)")
@click.option("--team", "team_name", help="a team's name (the team's own token, for its scripts)")
def rotate_token(user_name: str | None, team_name: str | None) -> None:
    """Replace the API token of a user or a team; prints JSON with the new ``token``. The old one
    is refused from then on, by every worker."""
    if (user_name is None) == (team_name is None):
        _fail("give exactly one of --user NAME or --team NAME")
    try:
        with _services().database.session() as session:
            kind, name = ("user", user_name) if user_name is not None else ("team", team_name)
            model = {"user": User, "team": Team}[kind]
            row = session.scalar(select(model).where(model.name_key == names.name_key(name)))
            if row is None:
                _fail(f"no {kind} named {name!r}")
            token = accounts.rotate_token(session, **{kind: row})
            audit.record(session, "cli", f"{kind}.rotate_token", {f"{kind}_id": row.id, "name": row.name})
            out = {"id": row.id, "name": row.name, "token": token}
    except Refused as err:
        _fail(str(err))
    click.echo(json.dumps(out, ensure_ascii=False))


@drill.command("clock")
@click.argument("action", type=click.Choice(["start", "pause", "resume", "freeze", "end", "reopen", "set", "show"]))
@click.option("--starts-at", help="ISO 8601 with zone")
@click.option("--ends-at", help="ISO 8601 with zone")
@click.option("--freeze-at", help="ISO 8601 with zone")
def clock_command(action: str, starts_at: str | None, ends_at: str | None, freeze_at: str | None) -> None:
    """Start, pause, resume, freeze, end or reopen the drill now, or set its times."""
    now = utcnow()
    try:
        with _services().database.session() as session:
            if action == "show":
                state = events.clock_of(events.drill(session)).as_dict(now)
            elif action == "set":
                given = {k: v for k, v in (("starts_at", starts_at), ("ends_at", ends_at), ("freeze_at", freeze_at)) if v}
                if not given:
                    raise Refused("give at least one of --starts-at, --ends-at, --freeze-at")
                try:
                    times = {k: parse_time(v) for k, v in given.items()}
                except ValueError as err:
                    raise Refused(f"bad time: {err}") from None
                state = organizer.set_clock(session, now, "cli", **times)
                if organizer.ends_in_the_past(times, now):
                    click.echo(f"warning: the end, {times['ends_at'].isoformat()}, is not in the future: the drill "
                               "has ended now and every answer from now on is refused", err=True)
            else:
                state = organizer.clock_action(session, action, now, "cli")
    except Refused as err:
        _fail(str(err))
    click.echo(json.dumps({k: v for k, v in state.items() if k != "seq"}))


@drill.group("phase")
def phase_group() -> None:
    """The exercise's phases: list them, or open one now (STARTEX first: ``drill clock start``)."""


@phase_group.command("list")
def phase_list() -> None:
    """Every phase, in order, with its state (waiting or open) and when it opened, as JSON."""
    with _services().database.session() as session:
        listed = [{k: v for k, v in phases.describe(p, "en").items() if k != "description_html"}
                  for p in phases.ordered(session)]
    click.echo(json.dumps({"phases": listed}, ensure_ascii=False))


@phase_group.command("open")
@click.argument("phase_id")
def phase_open(phase_id: str) -> None:
    """Open phase PHASE_ID now: its challenges appear for every team."""
    try:
        with _services().database.session() as session:
            event = phases.open_phase(session, phase_id, utcnow(), "cli")
    except Refused as err:
        _fail(str(err))
    click.echo(json.dumps({k: v for k, v in event.items() if k != "seq"}, ensure_ascii=False))


@drill.command("reveal")
@click.argument("action", type=click.Choice(["hold", "unhold", "start", "step", "all", "show"]))
def reveal_command(action: str) -> None:
    """The closing reveal: hold the board frozen past the end (or not), then start it and reveal one
    held change per step (bottom rank to top), or all at once; ``show`` prints where it stands."""
    now = utcnow()
    try:
        with _services().database.session() as session:
            if action in ("hold", "unhold"):
                reveal.hold(session, now, "cli", on=action == "hold")
                out = reveal.state(session, now)
            else:
                act = {"start": reveal.start, "step": reveal.step, "all": reveal.finish, "show": None}[action]
                out = act(session, now, "cli") if act else reveal.state(session, now)
    except Refused as err:
        _fail(str(err))
    click.echo(json.dumps(out, ensure_ascii=False))


@drill.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "ctftime"]), default="json")
def export(fmt: str) -> None:
    """Final standings (not frozen) to stdout."""
    with _services().database.session() as session:
        click.echo(results.export(session, fmt), nl=False)


@drill.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup_command(path: Path) -> None:
    """Write a complete, consistent copy (rows and pack files) to PATH (.zip); safe while serving."""
    services = _services()
    counts = backup.dump(services.database, services.settings.files_dir, path)
    click.echo(f"backup written to {path}: " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))


@drill.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the whole drill with the backup at PATH."""
    if not yes:
        click.confirm("This replaces every team, submission and challenge with the backup's. Continue?", abort=True)
    services = _services()
    try:
        counts = backup.restore(services.database, services.settings.files_dir, path)
    except backup.BackupError as err:
        _fail(str(err))
    with services.database.session() as session:
        audit.record(session, "cli", "restore", {"path": str(path), "rows": counts})
    click.echo(f"restored from {path}: " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))


@drill.command("audit-verify")
def audit_verify() -> None:
    """Check the audit log: exit 0 when intact, else name the first edited, inserted or missing row."""
    with _services().database.session() as session:
        problems = audit.verify(session)
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    if problems:
        click.echo(f"audit log broken: {problems[0]}", err=True)
        for problem in problems[1:]:
            click.echo(f"  also: {problem}", err=True)
        sys.exit(1)
    click.echo(f"audit log intact: {entries} entries, every score-bearing row accounted for")
