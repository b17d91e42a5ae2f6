"""Benchmarks of both serving topologies; prints each figure against its target (never asserts).

    make bench                                   # both topologies, 30 s per run
    .venv/bin/python bench/run.py --quick        # 10 s per run
    .venv/bin/python bench/run.py --topology cluster --workers 3 --duration 20 --profile /tmp/prof

Topologies: (a) ``single``: one ``python app.py`` process on SQLite (WAL); (b) ``cluster``:
docker/cluster.py, N gunicorn gevent workers on PostgreSQL and Redis, driven through nginx.
The load is the team's load generator (bench/loadgen.py, as in issue #10's comparison):
players 50 and 200 (each with 100 fresh teams of 2 members on one 40-challenge pack; the
servers' CPU time per answer is read from /proc), 50 clients polling the scoreboard, 500 and 2,000 live Socket.IO observers while answers are solved at ``--rate``, and the
players-50 run again once 1,000 teams and 20,000 solves are stored (growth; the solves go in
through the real submit path, in one process: bench/seed_growth.py). Wrong-answer limits are
lifted (``DRILLBOARD_ATTEMPT_LIMIT``) so every submission is graded, as in that comparison.
``--scale 1,2,4`` runs players 50 on clusters of 1, 2 and 4 workers (answers/s and p99 by size).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import hotspots  # noqa: E402
import report  # noqa: E402

from docker.cluster import cluster, find_nginx, free_port  # noqa: E402

LOADGEN = ROOT / "bench" / "loadgen.py"
BENCH_ENV = {"DRILLBOARD_SECRET_KEY": "bench", "DRILLBOARD_ATTEMPT_LIMIT": "1000000"}
GROWTH_TEAMS, GROWTH_SOLVES = 1000, 20_000
PROFILED = ("polls", "players50", "growth", "observers2000")  # with --profile: polls, submits (also grown), the fan-out
POLLERS = 50  # loadgen's default for its observers mode, as in issue #27's comparison with CTFd


@dataclass
class Served:
    """A running topology: where to send load, the CLI's environment, the serving processes."""

    label: str
    url: str
    env: dict[str, str]
    pids: Callable[[], list[int]]


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/api/v1/scoreboard", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def single(folder: Path, demo: bool = False) -> Iterator[Served]:
    """``python app.py`` on SQLite in a fresh instance folder (empty, or with the demo drill)."""
    port = free_port()
    env = {**os.environ, **BENCH_ENV, "DRILLBOARD_INSTANCE": str(folder / "instance")}
    env.pop("DRILLBOARD_DATABASE_URL", None)
    env.pop("DRILLBOARD_REDIS_URL", None)
    with (folder / "server.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *([] if demo else ["--no-demo"])], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(f"http://127.0.0.1:{port}")
            yield Served("(a) one process: python app.py (gevent) + SQLite WAL", f"http://127.0.0.1:{port}", env,
                         lambda: [process.pid])
        finally:
            process.terminate()
            process.wait(15)


@contextmanager
def scaled(folder: Path, workers: int, database_url: str, redis_url: str) -> Iterator[Served]:
    """docker/cluster.py: gunicorn workers on PostgreSQL and Redis behind nginx, fresh database."""
    with cluster(workers, database_url=database_url, redis_url=redis_url, instance=folder / "instance", fresh=True,
                 drop=True, env=BENCH_ENV) as running:
        yield Served(f"(b) {workers} gunicorn gevent workers + PostgreSQL + Redis, through nginx", running.url,
                     running.env, lambda: [pid for pid in (w.pid for w in running.workers) if pid])


def loadgen(served: Served, mode: str, out: Path, *args: str) -> dict[str, Any]:
    """One loadgen run writing ``out``; its JSON result, or {"failed": what it said}."""
    result = subprocess.run([sys.executable, str(LOADGEN), mode, *args, "--out", str(out)], cwd=ROOT, env=served.env,
                            capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        print(f"  loadgen {mode} failed: {result.stderr.strip()[-1500:]}", file=sys.stderr)
        return {"failed": result.stderr.strip()[-300:]}
    return json.loads(result.stdout if mode == "make-fixture" else out.read_text())


def make_fixture(served: Served, folder: Path, prefix: str, teams: int, members: int) -> Path:
    """Fresh teams (``prefix``-NNNN) on the one bench pack (same id and seed: it reloads unchanged)."""
    path = folder / f"fixture-{prefix}.json"
    made = loadgen(served, "make-fixture", path, "--project", str(ROOT), "--python", sys.executable,
                   "--teams", str(teams), "--challenges", "40", "--members", str(members), "--team-prefix", prefix,
                   "--base", served.url)
    if "failed" in made:
        raise RuntimeError(f"make-fixture {prefix} failed: {made['failed']}")
    return path


def cpu_s(pids: list[int]) -> float:
    """The processes' user and system CPU seconds so far (from /proc; 0 for one that is gone)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total


class PeakRss:
    """The highest summed RSS of the serving processes while a run lasts."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.before, self.peak = pids, rss_kb(pids), 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, rss_kb(self.pids))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()


class Bench:
    """The runs against one topology; ``results`` keeps every loadgen answer by run name."""

    def __init__(self, served: Served, folder: Path, args: argparse.Namespace) -> None:
        self.served, self.folder, self.args = served, folder, args
        self.results: dict[str, Any] = {"topology": served.label}

    def _profiled(self, name: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if not self.args.profile or name not in PROFILED:
            return run()
        slug = "single" if self.served.label.startswith("(a)") else "cluster"
        samplers = hotspots.record(self.served.pids(), self.args.duration, self.args.profile, f"{slug}-{name}")
        result = run()
        for sampler in samplers:
            sampler.wait(60)
        return result

    def players(self, name: str, fixture: Path, users: int) -> None:
        print(f"  {name}: {users} players for {self.args.duration:.0f} s", flush=True)
        pids = self.served.pids()
        before = cpu_s(pids)
        result = self._profiled(name, lambda: loadgen(
            self.served, "players", self.folder / f"{name}.json", "--fixture", str(fixture), "--users", str(users),
            "--duration", str(self.args.duration)))
        result["server_cpu_s"] = round(cpu_s(pids) - before, 2)
        self.results[name] = result

    def polls(self, name: str, fixture: Path, clients: int) -> None:
        """Anonymous clients polling the scoreboard endpoints as fast as they are answered."""
        print(f"  {name}: {clients} clients polling the scoreboard for {self.args.duration:.0f} s", flush=True)
        pids = self.served.pids()
        before = cpu_s(pids)
        result = self._profiled(name, lambda: loadgen(
            self.served, "observers", self.folder / f"{name}.json", "--fixture", str(fixture),
            "--clients", str(clients), "--duration", str(self.args.duration)))
        result["server_cpu_s"] = round(cpu_s(pids) - before, 2)
        self.results[name] = result

    def observers(self, name: str, fixture: Path, clients: int) -> None:
        print(f"  {name}: {clients} live observers, {self.args.rate} solves/s for {self.args.duration:.0f} s",
              flush=True)
        pids = self.served.pids()
        many = ["--client", "raw", "--procs", "2"] if clients >= 1000 else []
        with PeakRss(pids) as rss:
            result = self._profiled(name, lambda: loadgen(
                self.served, "live", self.folder / f"{name}.json", "--fixture", str(fixture), "--clients", str(clients),
                "--rate", str(self.args.rate), "--duration", str(self.args.duration), *many,
                *[x for pid in pids for x in ("--server-pid", str(pid))]))
        result["server_rss_kb"] = {"before": rss.before, "peak": rss.peak}
        self.results[name] = result

    def growth(self, teams_so_far: int) -> Path:
        """Teams up to GROWTH_TEAMS, solves up to GROWTH_SOLVES; the fixture of the new teams."""
        print(f"  growth: seeding {GROWTH_TEAMS} teams and {GROWTH_SOLVES:,} solves", flush=True)
        fixture = make_fixture(self.served, self.folder, "bench-g", GROWTH_TEAMS - teams_so_far, 1)
        seeded = subprocess.run([sys.executable, str(ROOT / "bench" / "seed_growth.py"), str(fixture), "--solves",
                                 str(GROWTH_SOLVES)], cwd=ROOT, env=self.served.env, capture_output=True, text=True,
                                check=True, timeout=1200)
        self.results["growth_seed"] = json.loads(seeded.stdout)
        # Let the servers read the seeded rows and build the grown board before measuring.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sum(r["solves"] for r in standings(self.served.url)) < \
                self.results["growth_seed"]["solves_now"]:
            time.sleep(1)
        time.sleep(2)
        self.results["growth_seed"]["teams_total"] = len(standings(self.served.url))
        return fixture


def standings(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(url + "/api/v1/scoreboard", timeout=30) as response:
        return json.load(response)["standings"]


def run_topology(served: Served, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    bench = Bench(served, folder, args)
    bench.results["kind"] = "single" if served.label.startswith("(a)") else "cluster"
    print(f"{served.label}: {served.url}", flush=True)
    first = make_fixture(served, folder, "bench-a", 100, 2)
    if "polls" in args.runs:
        bench.polls("polls", first, POLLERS)
    if "players" in args.runs:
        bench.players("players50", first, 50)
        bench.players("players200", make_fixture(served, folder, "bench-b", 100, 2), 200)
    if "observers" in args.runs:
        bench.observers("observers500", first, 500)
        bench.observers("observers2000", first, 2000)
        bench.observers("observers5000", first, 5000)
    if "growth" in args.runs:
        teams = 200 if "players" in args.runs else 100
        bench.players("growth", bench.growth(teams), 50)
    return bench.results


def cluster_missing(database_url: str, redis_url: str) -> str | None:
    """Why the cluster cannot run here (no nginx, PostgreSQL or Redis), or None."""
    import redis
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    try:
        find_nginx()
        engine = create_engine(make_url(database_url).set(database="postgres"))
        try:
            engine.connect().close()
        finally:
            engine.dispose()
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except Exception as err:  # noqa: BLE001 - any reason is reported, none is fatal
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return None


def commit() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def scale(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Players 50 on a cluster of each size in ``--scale``: answers/s and p99 by workers."""
    by_size: dict[str, Any] = {}
    for workers in args.scale:
        folder = tmp / f"scale-{workers}"
        folder.mkdir()
        with scaled(folder, workers, args.database_url, args.redis_url) as served:
            print(f"{served.label}: {served.url}", flush=True)
            bench = Bench(served, folder, args)
            bench.players("players50", make_fixture(served, folder, "bench-a", 100, 2), 50)
            by_size[str(workers)] = bench.results["players50"]
    return by_size


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topology", choices=["single", "cluster", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the cluster (default 2)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load per run (default 30)")
    parser.add_argument("--quick", action="store_true", help="10 s per run")
    parser.add_argument("--rate", type=float, default=5, help="correct answers per second while observers watch")
    parser.add_argument("--runs", default="polls,players,observers,growth",
                        help="comma-separated subset of polls,players,observers,growth")
    parser.add_argument("--scale", default="",
                        help="comma-separated cluster sizes (e.g. 1,2,4): players 50 on each, answers/s and p99")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy the servers during polls, players 50, growth and observers 2,000 (flame graphs, hot spots)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/drillboard_bench",
                        help="the cluster's database: dropped, created and dropped again")
    parser.add_argument("--redis-url", default=os.environ.get("DRILLBOARD_BENCH_REDIS_URL")
                        or os.environ.get("DRILLBOARD_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0",
                        help="the cluster's Redis db, emptied first (default $DRILLBOARD_BENCH_REDIS_URL, "
                             "else $DRILLBOARD_TEST_REDIS_URL, else db 0)")
    parser.add_argument("--out", type=Path, help="also write every figure as JSON here")
    args = parser.parse_args()
    args.duration = 10 if args.quick else args.duration
    args.runs = {run.strip() for run in args.runs.split(",") if run.strip()}
    args.scale = [int(size) for size in args.scale.split(",") if size.strip()]
    if args.profile and not args.profile.is_absolute():
        args.profile = Path.cwd() / args.profile
    return args


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every run asked for, by topology (and ``scale`` by cluster size)."""
    everything: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="drillboard-bench-") as tmp:
        for name in (["single", "cluster"] if args.topology == "both" else [args.topology]):
            if name == "cluster" and (why := cluster_missing(args.database_url, args.redis_url)):
                print(f"cluster skipped: {why}", flush=True)
                continue
            folder = Path(tmp) / name
            folder.mkdir()
            start = single(folder) if name == "single" else scaled(folder, args.workers, args.database_url,
                                                                    args.redis_url)
            with start as served:
                everything[name] = run_topology(served, folder, args)
        if args.scale and not cluster_missing(args.database_url, args.redis_url):
            everything["scale"] = scale(Path(tmp), args)
    return everything


def main() -> None:
    args = arguments()
    began, load = time.strftime("%Y-%m-%d %H:%M"), os.getloadavg()
    everything = measure(args)
    print(f"\nDrillboard {commit()}, {began}, {os.cpu_count()} cores shared with the load generator "
          f"(load average before {load[0]:.1f}, after {os.getloadavg()[0]:.1f}); {args.duration:.0f} s per run")
    for name, results in everything.items():
        if name != "scale":
            print(f"\n{results['topology']}\n{report.table(results)}")
    print(f"\n{report.across(everything)}")
    if args.profile:
        for name in everything:
            for run in PROFILED:
                files = sorted(args.profile.glob(f"{name}-{run}-*.txt"))
                if files:
                    print(f"\nhot spots, {name}, {run} (py-spy, share of samples; flame graphs in {args.profile}):")
                    print(hotspots.table(files))
    if args.out:
        args.out.write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
