"""A virtual environment with requirements.txt only, as an app host installs it (docker/Dockerfile).

The development environment brings more (pytest, playwright…), which could hide a runtime
dependency nobody declared. Built once per version of requirements.txt, without the system's
site packages, under the user's cache folder (``$DRILLBOARD_RUNTIME_CACHE`` to choose another),
and reused by every later run; several runs at once wait for one build.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"


def cache_folder() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "drillboard"
    return Path(os.environ.get("DRILLBOARD_RUNTIME_CACHE", default))


def runtime_python() -> str:
    """The interpreter of the runtime-only environment for the current requirements.txt."""
    version = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    folder = cache_folder() / f"runtime-{version}"
    python = folder / "bin" / "python"
    done = folder / ".complete"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"runtime-{version}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that was cut short
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", str(folder)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                            str(REQUIREMENTS)], check=True)
            done.touch()
    return str(python)
