"""pack.yml ``range``: a script of the pack that starts the services its teams defend, for a demo.

A real drill's services run on the teams' own machines; a demo has none, so its pack may ship a
*range*: a script that serves every team's copy of the services in services.yml on loopback
addresses. ``python app.py`` starts the demo pack's (challenges/drill-demo/range/launch.py) beside
the server, so a newcomer's drill has services that go up and down on the board. The script is run
as ``SCRIPT --control FILE serve --watch-stdin`` with this Python; its standard input is a pipe
that only the server holds, so when the server ends — even killed — the range ends with it.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from scoreboard.core.errors import N_, Invalid
from scoreboard.packs.problems import short

FIELD = "range"
CONTROL_FILE = "range-control.json"


def check(value: Any, root: Path) -> Path:
    """The script ``value`` names: a file inside the pack (raises ``Invalid``, a ValueError, saying why not)."""
    if not isinstance(value, str) or not value.strip() or Path(value).is_absolute():
        raise Invalid(N_("%(key)s must be the path of a script inside the pack, e.g. range/launch.py, not %(value)s"),
                      key=f"'{FIELD}'", value=short(value))
    base = root.resolve()
    script = (base / value).resolve()
    if not script.is_relative_to(base):
        raise Invalid(N_("%(key)s: %(path)s lies outside the pack"), key=f"'{FIELD}'", path=short(value))
    if not script.is_file():
        raise Invalid(N_("%(key)s: %(path)s is not a file in the pack"), key=f"'{FIELD}'", path=short(value))
    return script


def script_of(root: Path) -> tuple[str, Path] | None:
    """(pack id, range script) of a pack folder whose pack.yml names a ``range`` (and its ``id``)."""
    path = root / "pack.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    if not isinstance(data, dict) or data.get(FIELD) is None or not isinstance(data.get("id"), str):
        return None
    return data["id"], check(data[FIELD], root)


def start(script: Path, instance: Path) -> subprocess.Popen:
    """Run the range beside this process; it reads its control file in ``instance``."""
    return subprocess.Popen([sys.executable, str(script), "--control", str(instance / CONTROL_FILE), "serve",
                             "--watch-stdin"], stdin=subprocess.PIPE, cwd=script.parent)


def stop(process: subprocess.Popen) -> None:
    """End the range: closing its pipe asks it to stop; a range that does not is terminated."""
    if process.stdin:
        process.stdin.close()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.terminate()
        process.wait(5)
