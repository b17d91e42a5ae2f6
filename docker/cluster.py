"""Run Drillboard's multi-worker topology on this machine, without Docker.

    python docker/cluster.py --workers 3 --port 8000 [--demo] [--fresh]

Uses the PostgreSQL and Redis already running at 127.0.0.1, runs ``drill init-db`` once, then
starts N gunicorn processes (docker/gunicorn.conf.py: one gevent worker each, on its own
loopback port) and Debian's nginx in front of them (sticky by client address, websockets
upgraded), with a generated config in a temporary folder. Runs until Ctrl-C or SIGTERM and
then stops everything it started. Tests and benchmarks use ``cluster()`` as a context manager.
"""
from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "docker" / "gunicorn.conf.py"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/drillboard"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
INSTALL_NGINX = "apt-get install -y nginx"
# Seconds nginx leaves a worker alone after a connection to it failed, before trying it again.
FAIL_TIMEOUT = 3
SEED = ("import json; from app import app; from scoreboard.drill.bootstrap import seed; "
        "print(json.dumps(seed(app.extensions['drillboard'].database, app.extensions['drillboard'].settings)))")
NGINX_CONF = """\
daemon off;
worker_processes 1;
{user}pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
worker_rlimit_nofile {files};
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    # Upgrade websockets; keep plain requests on pooled upstream connections.
    map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
    # Flood limits per client address, as in docker/nginx.conf (docs/security.md).
    limit_conn_zone $binary_remote_addr zone=per_address:10m;
    limit_req_zone $binary_remote_addr zone=requests:10m rate=20r/s;
    upstream drillboard {{
        # Sticky by the whole client address (ip_hash would hash only 3 octets of 127.0.0.x).
        hash $remote_addr consistent;
{servers}
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        client_max_body_size {upload};
        limit_conn per_address 128;
        limit_req zone=requests burst=200 nodelay;
        limit_conn_status 429;
        limit_req_status 429;
        client_header_timeout 10s;
        client_body_timeout 10s;
        send_timeout 30s;
        keepalive_timeout 30s;
        location / {{
            proxy_pass http://drillboard;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;  # with the port: Socket.IO checks Origin against it
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 120s;
            # A worker that refuses a connection (it died, or restarts) is skipped for a few seconds
            # (max_fails/fail_timeout on each server) and the request goes to the next one. nginx
            # never resends a POST it already sent: an answer is not submitted twice.
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
{extra}        }}
    }}
}}
"""


class ClusterError(RuntimeError):
    """Something the cluster needs is missing or did not start; the message says what."""


def find_nginx() -> str:
    """The nginx binary, or a ClusterError that says how to install it."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        raise ClusterError(f"nginx is not installed; install it with: {INSTALL_NGINX}")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (a gunicorn master's worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass
class Worker:
    """One gunicorn process (a master and its one gevent worker) on its own port."""

    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The serving process (the master forks a new one if it dies), or None between the two."""
        found = children(self.process.pid)
        return found[0] if found else None


@dataclass
class Cluster:
    url: str  # through nginx
    workers: list[Worker]
    env: dict[str, str]  # what every worker runs with (database, Redis, instance)
    folder: Path  # nginx config, logs
    nginx: subprocess.Popen | None = None
    seeded: dict[str, Any] | None = field(default=None)

    def cli(self, *args: str) -> str:
        """Run ``flask --app app drill ARGS`` against the cluster's database; its stdout."""
        return _run([sys.executable, "-m", "flask", "--app", "app", "drill", *args], self.env)

    def describe(self) -> str:
        lines = [f"Drillboard cluster: {self.url}/  (nginx pid {self.nginx.pid if self.nginx else '-'})"]
        for n, worker in enumerate(self.workers, 1):
            lines.append(f"  worker {n}: {worker.url}/  gunicorn master pid {worker.process.pid}, "
                         f"worker pid {worker.pid}")
        lines.append(f"  database {self.env['DRILLBOARD_DATABASE_URL']}  redis {self.env['DRILLBOARD_REDIS_URL']}")
        lines.append(f"  instance {self.env['DRILLBOARD_INSTANCE']}  logs {self.folder}")
        return "\n".join(lines)


def _run(argv: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise ClusterError(f"{' '.join(argv[2:])} failed:\n{result.stderr.strip()[-3000:]}")
    return result.stdout


def recreate_database(url: str, drop_only: bool = False) -> None:
    """Drop the database ``url`` names (closing its connections) and create it empty."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
            if not drop_only:
                conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    finally:
        admin.dispose()


def wait_ready(url: str, process: subprocess.Popen, log: Path | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else "(see the output above)"
            raise ClusterError(f"{url}: process exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url + "/api/v1/scoreboard", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise ClusterError(f"{url} did not answer within {timeout:.0f} s")


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextmanager
def cluster(workers: int = 2, port: int = 0, database_url: str = DEFAULT_DATABASE, redis_url: str = DEFAULT_REDIS,
            instance: Path | None = None, fresh: bool = False, drop: bool = False, demo: bool = False,
            env: dict[str, str] | None = None, quiet: bool = True) -> Iterator[Cluster]:
    """Start the topology; stop all of it on leaving.

    ``port`` 0 picks a free one for nginx. ``fresh`` starts from an empty database and Redis
    db; ``drop`` drops the database on leaving (throwaway runs). ``env`` adds settings for every
    worker (e.g. ``DRILLBOARD_ATTEMPT_LIMIT``). ``quiet`` writes the workers' logs to files in
    the cluster's folder instead of this process's output.
    """
    nginx_bin = find_nginx()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drillboard-cluster-")))
        if fresh:
            recreate_database(database_url)
            import redis

            redis.Redis.from_url(redis_url).flushdb()
        if drop:
            stack.callback(recreate_database, database_url, True)
        run_env = {**os.environ, **(env or {}), "DRILLBOARD_DATABASE_URL": database_url,
                   "DRILLBOARD_REDIS_URL": redis_url, "DRILLBOARD_INSTANCE": str(instance or folder / "instance"),
                   "DRILLBOARD_PROXY_HOPS": "1"}
        # Creates the schema, and the secret key file every worker then reads from the instance.
        _run([sys.executable, "-m", "flask", "--app", "app", "drill", "init-db"], run_env)
        seeded = json.loads(_run([sys.executable, "-c", SEED], run_env)) if demo else None
        if demo:  # the demo drill waits for its organizers' STARTEX: the cluster runs it started
            _run([sys.executable, "-m", "flask", "--app", "app", "drill", "clock", "start"], run_env)

        def output(name: str) -> IO[bytes] | None:
            return stack.enter_context((folder / name).open("ab")) if quiet else None

        started = []
        for n in range(1, workers + 1):
            worker_port = free_port()
            log = output(f"worker-{n}.log")
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "-b", f"127.0.0.1:{worker_port}",
                 "--name", f"drillboard-{n}", "app:app"],
                cwd=ROOT, env=run_env, stdout=log, stderr=subprocess.STDOUT if quiet else None,
                start_new_session=True)
            stack.callback(_stop, process)
            started.append(Worker(worker_port, process))
        for n, worker in enumerate(started, 1):
            wait_ready(worker.url, worker.process, folder / f"worker-{n}.log" if quiet else None)

        port = port or free_port()
        (folder / "nginx.conf").write_text(nginx_config(folder, port, [w.port for w in started]))
        nginx = subprocess.Popen([nginx_bin, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e",
                                  str(folder / "nginx-error.log")], cwd=folder, stdout=output("nginx.log"),
                                 stderr=subprocess.STDOUT if quiet else None, start_new_session=True)
        stack.callback(_stop, nginx)
        result = Cluster(f"http://127.0.0.1:{port}", started, run_env, folder, nginx, seeded)
        wait_ready(result.url, nginx, folder / "nginx-error.log")
        yield result


def nginx_config(folder: Path, port: int, upstreams: list[int | str], host: str = "127.0.0.1", extra: str = "") -> str:
    """nginx on ``host:port`` in front of these workers (a loopback port, or ``address:port`` of
    another host), its files under ``folder``; ``extra`` adds directives to its one location."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    files = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    servers = [f"127.0.0.1:{u}" if isinstance(u, int) else u for u in upstreams]
    return NGINX_CONF.format(
        user=f"user {getpass.getuser()};\n" if os.geteuid() == 0 else "", folder=folder, host=host, port=port,
        files=files, connections=files // 2,  # a proxied client holds two connections
        servers="\n".join(f"        server {s} max_fails=1 fail_timeout={FAIL_TIMEOUT}s;" for s in servers),
        upload=_upload_limit(), extra=extra)


def _upload_limit() -> int:
    """The app's own limit on a request body (a pack upload), so nginx lets it through."""
    from scoreboard.store.config import Settings

    return next(f.default for f in dataclasses.fields(Settings) if f.name == "max_upload_bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes (default 2)")
    parser.add_argument("--port", type=int, default=8000, help="nginx port on 127.0.0.1 (default 8000)")
    parser.add_argument("--database-url", default=os.environ.get("DRILLBOARD_DATABASE_URL", DEFAULT_DATABASE),
                        help=f"PostgreSQL (default $DRILLBOARD_DATABASE_URL or {DEFAULT_DATABASE})")
    parser.add_argument("--redis-url", default=os.environ.get("DRILLBOARD_REDIS_URL", DEFAULT_REDIS),
                        help=f"Redis (default $DRILLBOARD_REDIS_URL or {DEFAULT_REDIS})")
    parser.add_argument("--instance", type=Path, default=Path(os.environ.get("DRILLBOARD_INSTANCE", ROOT / "instance")),
                        help="pack files and secret key, shared by the workers (default ./instance)")
    parser.add_argument("--fresh", action="store_true", help="drop and create the database, empty the Redis db")
    parser.add_argument("--demo", action="store_true", help="load the demo drill into an empty database")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not args.database_url.startswith("postgresql"):
        parser.error("several workers need PostgreSQL: --database-url postgresql+psycopg://…")
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        with cluster(args.workers, args.port, args.database_url, args.redis_url, args.instance.resolve(),
                     fresh=args.fresh, demo=args.demo, quiet=False) as running:
            if running.seeded:
                print(f"Loaded the demo drill; organizer: admin / {running.seeded['admin']['password']}")
            print(running.describe(), flush=True)
            print("Ctrl-C stops everything.", flush=True)
            while not stopping:
                dead = [w for w in running.workers if w.process.poll() is not None]
                if dead or running.nginx.poll() is not None:
                    print("a gunicorn master or nginx exited; stopping", file=sys.stderr)
                    sys.exit(1)
                time.sleep(0.5)
            print("stopping…", flush=True)
    except ClusterError as err:
        sys.exit(f"cluster: {err}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # run as a script: the app's package beside this folder
    main()
