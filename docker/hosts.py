"""App hosts that share nothing but PostgreSQL and Redis, as Linux network namespaces (root only).

    sudo python docker/hosts.py [--apps 2] [--demo]

Makes one namespace per host on a bridge of private addresses (10.77.0.0/24): ``db`` runs its
own PostgreSQL (Debian's binaries, a fresh data folder) and Redis; ``app1``, ``app2``… each
run one gunicorn gevent worker (docker/gunicorn.conf.py) from a virtual environment built from
requirements.txt alone, with an instance folder of its own; ``edge`` runs nginx in front of
them. This machine sits on the bridge too (10.77.0.1, plus a few client addresses), so a
drill is played through the edge only, as on real machines. Everything it made (namespaces,
the bridge, every process in them, the folders) is removed on exit, on Ctrl-C or a failure,
and a leftover of a crashed run is removed before starting. Tests use ``hosts()``.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from docker.cluster import GUNICORN_CONF, ROOT, SEED, ClusterError, find_nginx, nginx_config, wait_ready
from docker.runtime import runtime_python

PREFIX = "drb-"  # every namespace and link this script makes starts with it
BRIDGE = "drb0"
NET = "10.77.0"
ADDRESSES = {"db": f"{NET}.2", "edge": f"{NET}.10"}
# Extra addresses of this machine on the bridge: clients that nginx spreads over the app hosts.
CLIENTS = [f"{NET}.{n}" for n in range(101, 109)]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
APP_PORT = 5000
# Lets a gunicorn worker finish what is in flight on SIGTERM (docker/gunicorn.conf.py's graceful_timeout).
GRACEFUL = 15
LOCK = Path(tempfile.gettempdir()) / "drillboard-hosts.lock"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise ClusterError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def usable() -> str | None:
    """Why namespaces cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    if not (PG_BIN / "postgres").exists() or shutil.which("redis-server") is None:
        return f"PostgreSQL 15 ({PG_BIN}) and redis-server are needed on this machine"
    try:
        find_nginx()
    except ClusterError as err:
        return str(err)
    return None


def pids(namespace: str) -> list[int]:
    found = ip("netns", "pids", namespace, check=False).stdout.split()
    return [int(p) for p in found if p.isdigit()]


def kill_all(namespace: str) -> list[int]:
    """``kill -9`` every process in a namespace (a host dying at once); returns their ids."""
    killed = pids(namespace)
    for pid in killed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return killed


def clean() -> None:
    """Remove every namespace and the bridge this script makes, and every process inside them."""
    for line in ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(PREFIX):
            kill_all(name)
            ip("netns", "delete", name, check=False)
    for line in ip("-o", "link", "show", check=False).stdout.splitlines():
        link = line.split(":")[1].strip().split("@")[0] if line.count(":") > 1 else ""
        if link.startswith(PREFIX) or link == BRIDGE:  # a veth whose namespace is still going away
            ip("link", "delete", link, check=False)


def _network(hosts: dict[str, str]) -> None:
    ip("link", "add", BRIDGE, "type", "bridge")
    for n, address in enumerate([f"{NET}.1", *CLIENTS]):
        ip("addr", "add", f"{address}/24", "dev", BRIDGE, *(["noprefixroute"] if n else []))
    ip("link", "set", BRIDGE, "up")
    for name, address in hosts.items():
        namespace, link = PREFIX + name, f"{PREFIX}{name}-h"
        ip("netns", "add", namespace)
        ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        ip("link", "set", link, "master", BRIDGE, "up")
        ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        ip("-n", namespace, "link", "set", "eth0", "up")
        ip("-n", namespace, "link", "set", "lo", "up")


@dataclass
class Bed:
    """The running hosts: the edge's URL, each app host's address, and what can be done to them."""

    folder: Path
    python: str  # the runtime-only virtual environment's interpreter
    env: dict[str, str]  # what every app host runs with, but its instance folder
    apps: dict[str, str]  # app host name -> address
    stack: ExitStack
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    seeded: dict | None = None

    url = f"http://{ADDRESSES['edge']}"

    def app_url(self, name: str) -> str:
        return f"http://{self.apps[name]}:{APP_PORT}"

    def _spawn(self, name: str, host: str, argv: list[str], env: dict[str, str] | None = None,
               user: str | None = None) -> subprocess.Popen:
        log: IO[bytes] = self.stack.enter_context((self.folder / f"{name}.log").open("ab"))
        prefix = ["ip", "netns", "exec", PREFIX + host] + (["runuser", "-u", user, "--"] if user else [])
        process = subprocess.Popen(prefix + argv, cwd=ROOT, env=env or os.environ.copy(), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        return process

    def wait_port(self, name: str, address: str, port: int, timeout: float = 30) -> None:
        """Wait until the process ``name`` listens; if it exits first, say why (its log's end)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                log = (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]
                raise ClusterError(f"{name} exited with {self.processes[name].returncode}:\n{log}")
            try:
                socket.create_connection((address, port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise ClusterError(f"{name} did not listen on {address}:{port} within {timeout:.0f} s")

    def app_env(self, name: str) -> dict[str, str]:
        return {**self.env, "DRILLBOARD_INSTANCE": str(self.folder / name / "instance")}

    def run(self, *argv: str, host: str | None = None) -> str:
        """The runtime environment's python with ``argv`` on an app host (the first by default), in
        the project folder with that host's settings; its output."""
        host = host or next(iter(self.apps))
        result = subprocess.run(["ip", "netns", "exec", PREFIX + host, self.python, *argv], cwd=ROOT,
                                env=self.app_env(host), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise ClusterError(f"{' '.join(argv)} on {host} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def cli(self, *args: str, host: str | None = None) -> str:
        """``flask --app app drill ARGS`` on an app host; its output."""
        return self.run("-m", "flask", "--app", "app", "drill", *args, host=host)

    def start_apps(self, *names: str) -> None:
        """Start these hosts' gunicorn (one gevent worker each) and wait until each answers."""
        for name in names:
            self._spawn(name, name, [self.python, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "-b",
                                     f"{self.apps[name]}:{APP_PORT}", "--name", f"drillboard-{name}", "app:app"],
                        self.app_env(name))
        for name in names:
            wait_ready(self.app_url(name), self.processes[name], self.folder / f"{name}.log")

    def kill(self, name: str) -> list[int]:
        """Every process of a host dies at once (``kill -9``), as when the machine is lost."""
        killed = kill_all(PREFIX + name)
        self.processes[name].wait(10)
        return killed

    def stop_app(self, name: str) -> None:
        """A graceful stop: gunicorn finishes the requests in flight, then exits."""
        process = self.processes[name]
        process.send_signal(signal.SIGTERM)
        process.wait(GRACEFUL + 5)

    def route(self, down: set[str]) -> None:
        """Send no new request to the hosts in ``down``: nginx reloads its configuration; requests
        already on their way finish where they are."""
        self.down = set(down)
        upstreams: list[int | str] = [f"{a}:{APP_PORT}" + (" down" if n in down else "") for n, a in self.apps.items()]
        (self.folder / "edge" / "nginx.conf").write_text(nginx_config(
            self.folder / "edge", 80, upstreams, host=ADDRESSES["edge"],
            # Which host answered: lets a test (or an operator) see where the edge sends whom.
            extra="            add_header X-Drillboard-Upstream $upstream_addr always;\n"))
        if "edge" in self.processes:
            master = self.processes["edge"]
            before = _workers(master.pid)
            master.send_signal(signal.SIGHUP)
            _wait_reloaded(master, before)

    def rolling_restart(self) -> None:
        """A new release, one host at a time: out of the edge, graceful stop, start, back in."""
        for name in self.apps:
            self.route(self.down | {name})
            self.stop_app(name)
            self.start_apps(name)
            self.route(self.down - {name})


def _workers(master: int) -> set[int]:
    """The pids of nginx's worker processes (the master's children)."""
    try:
        return {int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()}
    except OSError:
        return set()


def _wait_reloaded(master: subprocess.Popen[bytes], before: set[int], timeout: float = 15) -> None:
    """nginx answers a reload signal at once but applies it later: until then its old workers still
    route with the old list of hosts, and a host stopped meanwhile would get requests (a 502 when
    it was the only one up in the old list). Wait until new workers run and every old one has
    stopped taking requests (it exits, or shows "is shutting down" while it finishes its own)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _workers(master.pid)
        if now - before and all(not _taking_requests(pid) for pid in before & now):
            return
        if master.poll() is not None:
            raise ClusterError(f"nginx exited with {master.returncode} on reload")
        time.sleep(0.02)
    raise ClusterError(f"nginx did not apply its new configuration within {timeout:.0f} s")


def _taking_requests(pid: int) -> bool:
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return bool(title) and b"shutting down" not in title  # a zombie's title is empty


def _start_db(bed: Bed) -> str:
    """PostgreSQL and Redis in the ``db`` namespace, with data folders of their own; the database URL."""
    data = bed.folder / "db" / "pgdata"
    data.parent.mkdir(parents=True)
    shutil.chown(data.parent, "postgres", "postgres")
    subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8"], check=True, capture_output=True, cwd=data.parent)
    with (data / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {NET}.0/24 trust\n")
    address = ADDRESSES["db"]
    bed._spawn("postgres", "db", [str(PG_BIN / "postgres"), "-D", str(data), "-c", f"listen_addresses={address}",
                                  "-c", f"unix_socket_directories={data.parent}", "-c", "max_connections=300",
                                  "-c", "fsync=off"], user="postgres")
    bed._spawn("redis", "db", ["redis-server", "--bind", address, "--port", "6379", "--save", "", "--appendonly", "no",
                               "--protected-mode", "no", "--dir", str(bed.folder / "db")])
    bed.wait_port("postgres", address, 5432)
    bed.wait_port("redis", address, 6379)
    _wait_accepting(bed, address)
    created = subprocess.run([str(PG_BIN / "createdb"), "-h", address, "-U", "postgres", "drillboard"],
                             capture_output=True, text=True)
    if created.returncode != 0:
        raise ClusterError(f"createdb on {address} failed: {created.stderr.strip()}")
    return f"postgresql+psycopg://postgres@{address}:5432/drillboard"


def _wait_accepting(bed: Bed, address: str, timeout: float = 30) -> None:
    """A PostgreSQL that listens may still be starting up (it refuses connections until its
    recovery ends, longer on a loaded machine): wait until ``pg_isready`` says it accepts them."""
    deadline = time.monotonic() + timeout
    while True:
        ready = subprocess.run([str(PG_BIN / "pg_isready"), "-h", address, "-U", "postgres", "-t", "2"],
                               capture_output=True, text=True)
        if ready.returncode == 0:
            return
        if bed.processes["postgres"].poll() is not None or time.monotonic() > deadline:
            log = (bed.folder / "postgres.log").read_text(errors="replace")[-3000:]
            raise ClusterError(f"PostgreSQL on {address} does not accept connections "
                               f"({ready.stdout.strip()}):\n{log}")
        time.sleep(0.1)


@contextmanager
def hosts(apps: int = 2, env: dict[str, str] | None = None, demo: bool = False) -> Iterator[Bed]:
    """Make the namespaces and start every host; on leaving, remove all of it (whatever happened)."""
    problem = usable()
    if problem:
        raise ClusterError(problem)
    python = runtime_python()
    with LOCK.open("w") as lock, ExitStack() as stack:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one test bed on this machine at a time: the names are fixed
        clean()
        stack.callback(clean)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drillboard-hosts-")))
        folder.chmod(0o755)  # PostgreSQL runs as its own user below it
        names = {f"app{n}": f"{NET}.{10 + n}" for n in range(1, apps + 1)}
        _network({**{k: ADDRESSES[k] for k in ("db", "edge")}, **names})
        bed = Bed(folder, python, {}, names, stack)
        database = _start_db(bed)
        bed.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **(env or {}),
                   "DRILLBOARD_DATABASE_URL": database, "DRILLBOARD_REDIS_URL": f"redis://{ADDRESSES['db']}:6379/0",
                   # Every host signs sessions and the audit chain with one key: none is shared on disk.
                   "DRILLBOARD_SECRET_KEY": secrets.token_hex(32), "DRILLBOARD_PROXY_HOPS": "1"}
        bed.start_apps(*names)  # each migrates the empty database at start, one at a time
        if demo:  # the demo drill and its organizer; it waits for STARTEX, so start it
            bed.seeded = json.loads(bed.run("-c", SEED))
            bed.cli("clock", "start")
        (folder / "edge").mkdir()
        bed.route(set())
        edge = bed._spawn("edge", "edge", [find_nginx(), "-p", str(folder / "edge"), "-c",
                                           str(folder / "edge" / "nginx.conf"), "-e", str(folder / "edge" / "error.log")])
        wait_ready(bed.url, edge, folder / "edge.log")
        yield bed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, default=2, help="app hosts (default 2)")
    parser.add_argument("--demo", action="store_true", help="load the demo drill and start it")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # leave through the cleanup, as Ctrl-C does
    try:
        with hosts(args.apps, demo=args.demo) as bed:
            print(f"Drillboard on {len(bed.apps)} app hosts: {bed.url}/ (edge)")
            for name in bed.apps:
                print(f"  {name}: {bed.app_url(name)}/  instance {bed.folder / name / 'instance'}")
            print(f"  db: {bed.env['DRILLBOARD_DATABASE_URL']}  {bed.env['DRILLBOARD_REDIS_URL']}")
            if bed.seeded:
                print(f"  organizer: admin / {bed.seeded['admin']['password']}")
            print(f"  logs: {bed.folder}\nCtrl-C stops everything.", flush=True)
            signal.pause()
    except ClusterError as err:
        sys.exit(f"hosts: {err}")
    except KeyboardInterrupt:
        print("stopped; every namespace and process removed")


if __name__ == "__main__":
    main()
