"""Defended services at scale: 40 teams × 8 services checked every 10 s against a loopback range.

    .venv/bin/python bench/checks.py                     # 60 s per run (make bench runs it)
    .venv/bin/python bench/checks.py --duration 120 --teams 40 --round 10 --runner cli --out /tmp/checks.json

Figures (printed, never asserted): how late the rounds end against their schedule (lag p50/p99/max,
seen on ``GET /api/v1/services``), with the checks alone and then under player load, whether
every check of an all-up range said ``up``, and the
players' submit p99 with and without checks running (bench/loadgen.py players). The method is in
docs/benchmarks.md ("Defended services").
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from range import PORTAL_CHECKER, LoopbackRange  # noqa: E402
from run import Served, commit, loadgen, make_fixture, single  # noqa: E402

# Eight services per team: the portal checked by its Hackerdom checker (a process per check, put
# and get), the rest by built-in checks of every kind. Team i is on 127.2.0.i: loadgen's players
# use 127.0.0.x as their source addresses.
LAYOUT = {"portal": ("http", 8080), "web": ("http", 8081), "intranet": ("http", 8082), "echo": ("echo", 7007),
          "relay": ("echo", 7008), "dns": ("dns", 5353), "mail": ("smtp", 2525), "mx": ("smtp", 2526)}
SUBNET = "127.2.0."
POLL_SECONDS = 0.25
ALONE_ROUNDS = 4  # rounds watched with no player load
PLACEHOLDER = {"name": "Range bench", "category": "bench", "description": "The services pack's one challenge.",
               "value": 1, "flags": ["bench{range}"], "state": "hidden"}


def services_pack(folder: Path, rng: LoopbackRange, round_seconds: int) -> Path:
    """A pack holding services.yml for the range (and the portal's checker beside it)."""
    pack = folder / "range-bench"
    (pack / "checkers").mkdir(parents=True)
    (pack / "placeholder").mkdir()
    shutil.copy2(PORTAL_CHECKER, pack / "checkers" / "portal.py")
    (pack / "placeholder" / "challenge.yml").write_text(yaml.safe_dump(PLACEHOLDER))
    # Through JSON: objects the range shares between services would be written as YAML aliases,
    # which packs refuse.
    doc = json.loads(json.dumps(rng.services_yml(round_seconds=round_seconds, checker={"portal": "checkers/portal.py"})))
    for service in doc["services"]:  # service ids are drill-wide: the demo pack already has a 'portal'
        service["id"] = f"bench-{service['id']}"
    (pack / "services.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return pack


def cli(served: Served, *args: str) -> subprocess.CompletedProcess:
    """``drill ARGS`` on the served instance; a refusal stops the benchmark with what it said."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", *args], cwd=ROOT, env=served.env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"drill {args[0]} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done


def services_now(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url + "/api/v1/services", timeout=5) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


class RoundWatch:
    """Polls /api/v1/services; notes when each round number first shows, and its states then."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: dict[int, float] = {}
        self.not_up: dict[int, int] = {}
        self.which: dict[str, int] = {}  # "service state" -> how many times it was seen not up
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            body = services_now(self.url)
            if not body or not body.get("round"):
                continue
            number = int(body["round"])
            if number not in self.seen:
                self.seen[number] = time.monotonic()
                down = [f"{service} {state['state']}" for team in body.get("teams", [])
                        for service, state in team["states"].items() if state["state"] != "up"]
                self.not_up[number] = len(down)
                for what in down:
                    self.which[what] = self.which.get(what, 0) + 1

    def start(self) -> RoundWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def lag(self, round_seconds: float) -> dict[str, Any]:
        """Each round's lateness against the schedule the most punctual round sets (0 s for it):
        drift and stalls show, the moment the watch began does not."""
        rounds = sorted(self.seen)
        if len(rounds) < 2:
            return {"rounds_seen": len(rounds)}
        anchor = min(self.seen[n] - n * round_seconds for n in rounds)
        lags = sorted(self.seen[n] - n * round_seconds - anchor for n in rounds)
        pick = lambda share: lags[min(len(lags) - 1, int(share * len(lags)))]  # noqa: E731
        return {"rounds_seen": len(rounds), "rounds_expected": rounds[-1] - rounds[0] + 1,
                "lag_s": {"p50": pick(0.5), "p99": pick(0.99), "max": lags[-1]},
                "not_up_per_round": [self.not_up[n] for n in rounds], "not_up": self.which, "poll_s": POLL_SECONDS}


def start_runner(served: Served, how: str, folder: Path) -> subprocess.Popen | None:
    """``drill checker`` in its own process (``cli``), or nothing when app.py runs the rounds (``in-process``)."""
    if how != "cli":
        return None
    log = (folder / "checker.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "drill", "checker"], cwd=ROOT,
                            env=served.env, stdout=log, stderr=subprocess.STDOUT)


def first_round(served: Served, runner: subprocess.Popen | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runner is not None and runner.poll() is not None:
            return False
        body = services_now(served.url)
        if body and body.get("round"):
            return True
        time.sleep(POLL_SECONDS)
    return False


def players(served: Served, folder: Path, name: str, fixture: Path, args: argparse.Namespace) -> dict[str, Any]:
    print(f"  {name}: {args.users} players for {args.duration:.0f} s", flush=True)
    return loadgen(served, "players", folder / f"{name}.json", "--fixture", str(fixture), "--users", str(args.users),
                   "--duration", str(args.duration))


def measure(served: Served, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    fixture = make_fixture(served, folder, "bench-s", args.teams, 2)
    teams = [team["name"] for team in json.loads(fixture.read_text())["teams"]][: args.teams]
    results["players_without_checks"] = players(served, folder, "without checks", fixture, args)
    fresh = make_fixture(served, folder, "bench-p", args.teams, 2)
    with LoopbackRange(teams, LAYOUT, SUBNET) as rng:
        rng.start()
        print(f"  range: {len(rng.services)} services of {len(teams)} teams on {SUBNET}x", flush=True)
        cli(served, "load-pack", str(services_pack(folder, rng, args.round)))
        runner = start_runner(served, args.runner, folder)
        try:
            if not first_round(served, runner, 3 * args.round + 30):
                said = (folder / "checker.log").read_text(errors="replace")[-300:] if runner is not None else ""
                results["failed"] = f"no round seen on /api/v1/services (runner: {args.runner}) {said}".strip()
                return results
            # The runner alone first (no players): whether it keeps its schedule when it has the
            # machine, apart from what the players' load takes from it.
            alone = RoundWatch(served.url).start()
            print(f"  checks alone: {ALONE_ROUNDS} rounds", flush=True)
            time.sleep(ALONE_ROUNDS * args.round)
            alone.stop()
            results["rounds_alone"] = alone.lag(args.round)
            watch = RoundWatch(served.url).start()
            results["players_with_checks"] = players(served, folder, "with checks", fresh, args)
            time.sleep(args.round)  # one more round after the load, so the last one is seen ending
            watch.stop()
            results["rounds"] = watch.lag(args.round)
        finally:
            if runner is not None:
                runner.terminate()
                runner.wait(15)
    return results


def table(results: dict[str, Any], args: argparse.Namespace) -> str:
    rows = [("figure", "measured", "target")]
    for name in ("players_without_checks", "players_with_checks"):
        sub = results.get(name, {}).get("submissions")
        if sub:
            lat = sub["latency_ms"]
            rows.append((f"{name.replace('_', ' ')}: submissions/s, p50 / p99 ms",
                         f"{sub['per_s']:.0f}, {lat['p50']:.0f} / {lat['p99']:.0f}", "p99 <= 100"))
    for name, label in (("rounds_alone", "checks alone"), ("rounds", "with players")):
        rounds = results.get(name, {})
        if "lag_s" not in rounds:
            continue
        lag = rounds["lag_s"]
        rows.append((f"{label}: round lag p50 / p99 / max s", f"{lag['p50']:.2f} / {lag['p99']:.2f} / {lag['max']:.2f}",
                     f"p99 < {args.round / 10:g} (a tenth of a round)"))
        rows.append((f"{label}: rounds seen / expected", f"{rounds['rounds_seen']} / {rounds['rounds_expected']}",
                     "equal"))
        rows.append((f"{label}: checks not up per round (all up)", str(max(rounds["not_up_per_round"])), "0"))
        if rounds.get("not_up"):  # which service in which state, counted over the rounds
            rows.append((f"{label}: NOTE not up: " + ", ".join(f"{what} x{n}" for what, n in
                                                             sorted(rounds["not_up"].items())), "", ""))
    if "failed" in results:
        rows.append(("FAILED", results["failed"], ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teams", type=int, default=40, help="teams with a copy of every service (default 40)")
    parser.add_argument("--round", type=int, default=10, help="round_seconds (default 10)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of player load per run (default 60)")
    parser.add_argument("--users", type=int, default=50, help="simulated players (default 50)")
    parser.add_argument("--runner", choices=["cli", "in-process"], default="cli",
                        help="cli: start `drill checker` beside the server (default); in-process: app.py runs rounds")
    parser.add_argument("--out", type=Path, help="also write every figure as JSON here")
    args = parser.parse_args()
    # The checkers start as `#!/usr/bin/env python3`: let that find an interpreter, not a version
    # manager's shell shim (pyenv's costs a tenth of a second of CPU per start, 120 starts a round).
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    if args.runner == "cli":  # the one runner is the bench's `drill checker`, not app.py's child
        os.environ["DRILLBOARD_CHECKER"] = "0"
    began, load = time.strftime("%Y-%m-%d %H:%M"), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="drillboard-checks-") as tmp, single(Path(tmp)) as served:
        results = measure(served, Path(tmp), args)
    print(f"\nDrillboard {commit()}, {began}: {args.teams} teams x {len(LAYOUT)} services, {args.round} s rounds, "
          f"{args.users} players for {args.duration:.0f} s; {os.cpu_count()} cores shared with the range and the load "
          f"generator (load average before {load[0]:.1f}, after {os.getloadavg()[0]:.1f})\n{table(results, args)}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
