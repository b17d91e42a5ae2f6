"""A host installed from requirements.txt alone (as docker/Dockerfile does) can start a worker:
gunicorn's gevent worker imports packages only the development requirements used to bring."""
from __future__ import annotations

import subprocess
from pathlib import Path

from docker.cluster import GUNICORN_CONF, ROOT, free_port, wait_ready
from docker.runtime import runtime_python


def test_a_runtime_only_install_serves_through_gunicorn(tmp_path: Path) -> None:
    python = runtime_python()
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "DRILLBOARD_INSTANCE": str(tmp_path / "instance"),
           "DRILLBOARD_SECRET_KEY": "runtime"}
    with (tmp_path / "gunicorn.log").open("wb") as log:
        worker = subprocess.Popen([python, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "-b", f"127.0.0.1:{port}",
                                   "app:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(f"http://127.0.0.1:{port}", worker, tmp_path / "gunicorn.log")
        finally:
            worker.terminate()
            worker.wait(20)
    pytest_only = subprocess.run([python, "-c", "import pytest"], capture_output=True)
    assert pytest_only.returncode != 0, "the runtime environment holds development packages"
