"""Benchmarks against a real server on a loopback port; prints figures and ratios to targets.

    make bench            # or: .venv/bin/python bench/run.py [--seconds 10] [--players 50]

Measures: submission throughput and latency with 50 players (mostly wrong answers, some
right), public scoreboard reads per second (served from the pre-encoded cache), and how the
submit latency of a wrong answer compares with and without board readers running.
Nothing here asserts: these are figures to compare between changes.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"submissions_per_s": 400, "submit_p99_ms": 100, "board_reads_per_s": 5000}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(instance: Path) -> tuple[subprocess.Popen, str, dict]:
    env = {**os.environ, "DRILLBOARD_INSTANCE": str(instance), "DRILLBOARD_SECRET_KEY": "bench",
           "DRILLBOARD_ATTEMPT_LIMIT": "1000000"}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(base + "/api/v1/scoreboard", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)
    return proc, base, env


@contextmanager
def demo_server() -> Iterator[tuple[str, dict]]:
    """A demo-seeded ``python app.py`` in a temporary instance: (base URL, its environment)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, env = start_server(Path(tmp) / "instance")
        try:
            yield base, env
        finally:
            proc.terminate()
            proc.wait(10)


def demo_answers() -> dict[str, str]:
    """Every demo challenge's answer, as the pack's own solver derives it from the files."""
    return json.loads(subprocess.check_output([sys.executable, str(ROOT / "challenges/drill-demo/tools/solve_all.py")]))


def make_teams(env: dict, count: int) -> list[str]:
    tokens = []
    for i in range(count):
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", "create-team", f"Bench {i:03d}",
                              "--country", "KZ"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        tokens.append(json.loads(out.stdout)["token"])
    return tokens


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))] if ordered else float("nan")


def submit_load(base: str, tokens: list[str], answers: dict[str, str], seconds: float) -> dict:
    latencies: list[float] = []
    verdicts: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def player(token: str, index: int) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        listing = http.get(base + "/api/v1/challenges", headers=headers).json()["challenges"]
        ids = [(c["id"], c["name"]) for c in listing if not c["locked"]]
        n = 0
        while time.monotonic() < stop:
            cid, name = ids[n % len(ids)]
            right = n % 20 == index % 20 and name in answers
            answer = answers[name] if right else f"wrong-{index}-{n}"
            t0 = time.perf_counter()
            response = http.post(f"{base}/api/v1/challenges/{cid}/attempts", headers=headers, json={"answer": answer})
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                key = response.json().get("result", str(response.status_code))
                verdicts[key] = verdicts.get(key, 0) + 1
            n += 1

    threads = [threading.Thread(target=player, args=(t, i)) for i, t in enumerate(tokens)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    return {"requests": len(latencies), "per_s": len(latencies) / took, "p50_ms": statistics.median(latencies),
            "p99_ms": percentile(latencies, 0.99), "verdicts": verdicts}


def read_load(base: str, seconds: float, workers: int = 8) -> dict:
    count = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def reader() -> None:
        http = requests.Session()
        n = 0
        while time.monotonic() < stop:
            http.get(base + "/api/v1/scoreboard")
            n += 1
        with lock:
            count[0] += n

    threads = [threading.Thread(target=reader) for _ in range(workers)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"reads": count[0], "per_s": count[0] / (time.monotonic() - began)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--players", type=int, default=50)
    args = parser.parse_args()
    answers = demo_answers()
    with demo_server() as (base, env):
        tokens = make_teams(env, args.players)
        submit = submit_load(base, tokens, answers, args.seconds)
        reads = read_load(base, args.seconds)
    print(f"server: python app.py (SQLite WAL, one process), client: {args.players} players in one Python process, "
          f"{os.cpu_count()} cores shared")
    print(f"submissions: {submit['requests']} in {args.seconds:.0f}s = {submit['per_s']:.0f}/s "
          f"(target {TARGETS['submissions_per_s']}/s, ratio {submit['per_s'] / TARGETS['submissions_per_s']:.2f}); "
          f"p50 {submit['p50_ms']:.1f} ms, p99 {submit['p99_ms']:.1f} ms "
          f"(target {TARGETS['submit_p99_ms']} ms, ratio {submit['p99_ms'] / TARGETS['submit_p99_ms']:.2f})")
    print(f"verdicts: {submit['verdicts']}")
    print(f"scoreboard reads: {reads['per_s']:.0f}/s (target {TARGETS['board_reads_per_s']}/s, "
          f"ratio {reads['per_s'] / TARGETS['board_reads_per_s']:.2f})")


if __name__ == "__main__":
    main()
