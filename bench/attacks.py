"""Players' latency while one cheap client attacks (issue #22); prints each figure against its goal.

    .venv/bin/python bench/attacks.py               # 20 s per run (make bench runs this)
    .venv/bin/python bench/attacks.py --duration 10 --attacks flood

One ``python app.py`` on SQLite with 110 teams (bench/run.py's ``single``). ``bench/loadgen.py
players`` plays once quietly, then once under each attack, started before the players and
stopped after them; the attacker sends from 127.0.0.1, the players from 127.0.0.2-254:

- ``flood``: anonymous /live long-polling sessions, each POSTing 100 packets of 16 ``resync``
  frames (the report: a 95.7 MB reply, every client waiting up to 5.8 s);
- ``report``: a team files 8,000-row tables (10 versions), 20 teams file the largest table
  allowed, and a judge reads the queue over and over (the report: 8.6 s per page);
- ``idle``: 500 /live websockets from one address that never read, and 100 connections
  trickling their headers.

The figure: players' submit p99 under attack against the quiet run; goal within 1.5x.
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, Served, loadgen, make_fixture, single  # noqa: E402

GOAL = 1.5
TABLE_8000 = "|a|b|\n|-|-|\n" + "|1|2|\n" * 8000
TABLE_ALLOWED = "|a|b|\n|-|-|\n" + "|1|2|\n" * 498
RESYNCS = "\x1e".join(['42/live,["resync"]'] * 16)
REPORT_PACK = {"pack.yml": "id: heavy-reports\ntitle: Heavy reports\n",
               "report/challenge.yml": "name: Bench report\ntype: report\ncategory: Reports\nvalue: 10\n"
                                       "description: Tell us.\nrubric:\n  - criterion: All of it\n    points: 10\n"}


class Attack:
    """A background attacker: ``run(stop, counts)`` until ``stop`` is set, counting what happened."""

    def __init__(self, target: Callable[[threading.Event, Counter[str]], None]) -> None:
        self.stop, self.counts = threading.Event(), Counter[str]()
        self.thread = threading.Thread(target=target, args=(self.stop, self.counts), daemon=True)

    def __enter__(self) -> Attack:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        self.thread.join(60)


def flood(url: str) -> Callable[[threading.Event, Counter[str]], None]:
    def run(stop: threading.Event, counts: Counter[str]) -> None:
        endpoint = f"{url}/socket.io/"
        while not stop.is_set():
            http = requests.Session()
            opened = http.get(endpoint, params={"EIO": "4", "transport": "polling"}, timeout=30)
            params = {"EIO": "4", "transport": "polling", "sid": json.loads(opened.text[1:])["sid"]}
            http.post(endpoint, params=params, data=b"40/live,", timeout=30)
            for _ in range(100):
                http.post(endpoint, params=params, data=RESYNCS.encode(), timeout=30)
                counts["resyncs sent"] += 16
            reply = http.get(endpoint, params=params, timeout=30)  # what the flood earned
            counts["reply bytes"] += len(reply.content)
            counts["snapshots received"] += reply.text.count('["snapshot"')
            http.post(endpoint, params=params, data=b"1", timeout=30)  # close: the next session floods afresh
            counts["sessions"] += 1
    return run


def heavy_reports(url: str, tokens: list[str], judge: str, challenge_id: int) -> Callable[..., None]:
    def run(stop: threading.Event, counts: Counter[str]) -> None:
        path = f"{url}/api/v1/challenges/{challenge_id}/reports"
        for _ in range(10):
            status = requests.post(path, json={"text": TABLE_8000}, timeout=60,
                                   headers={"Authorization": f"Bearer {tokens[0]}"}).status_code
            counts[f"8,000-row report -> {status}"] += 1
        for token in tokens[:20]:
            status = requests.post(path, json={"text": TABLE_ALLOWED}, timeout=60,
                                   headers={"Authorization": f"Bearer {token}"}).status_code
            counts[f"498-row report -> {status}"] += 1
        while not stop.is_set():
            queue = requests.get(f"{url}/api/v1/judging/reports", headers={"Authorization": f"Bearer {judge}"},
                                 timeout=60)
            counts["judge queue reads"] += 1
            counts["judge queue bytes"] = len(queue.content)
    return run


def idle_sockets(url: str) -> Callable[..., None]:
    def run(stop: threading.Event, counts: Counter[str]) -> None:
        host, port = url.rsplit("/", 1)[1].split(":")
        held: list[Any] = []
        for _ in range(500):
            try:
                ws = websocket.create_connection(f"ws://{host}:{port}/socket.io/?EIO=4&transport=websocket", timeout=10)
                ws.send("40/live,")
                held.append(ws)
                counts["websockets opened"] += 1
            except (OSError, websocket.WebSocketException):
                counts["websockets refused at connect"] += 1
        trickling = []
        for _ in range(100):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(b"GET /api/v1/scoreboard HTTP/1.1\r\nHost: x\r\n")
            trickling.append(sock)
        while not stop.wait(2):
            for sock in trickling:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass  # dropped by the server: counted below
        counts["websockets still open at the end"] = sum(1 for ws in held if _open(ws))
        counts["tricklers still open at the end"] = sum(1 for sock in trickling if _still_open(sock))
        for thing in held + trickling:
            thing.close()
    return run


def _open(ws: websocket.WebSocket) -> bool:
    """Whether the server still holds this websocket (it sent no close and did not hang up)."""
    ws.settimeout(0.01)
    try:
        while True:
            if ws.recv() == "":
                return False
    except websocket.WebSocketTimeoutException:
        return True
    except (OSError, websocket.WebSocketException):
        return False


def _still_open(sock: socket.socket) -> bool:
    """Whether the server still holds this connection (no answer, no hang-up)."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False  # an answer (400) or a hang-up


def cli(served: Served, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", *args], cwd=ROOT, env=served.env,
                          capture_output=True, text=True, check=True, timeout=300).stdout


def report_setup(served: Served, folder: Path, fixture: Path) -> tuple[list[str], str, int]:
    """The report task loaded as a second pack, a judge, and every team's token."""
    pack = folder / "heavy-reports"
    for name, text in REPORT_PACK.items():
        (pack / name).parent.mkdir(parents=True, exist_ok=True)
        (pack / name).write_text(text)
    cli(served, "load-pack", str(pack))
    judge = json.loads(cli(served, "create-user", "bench-judge", "--role", "judge"))["token"]
    tokens = list(dict.fromkeys(u["token"] for u in json.loads(fixture.read_text())["users"]))
    listing = requests.get(f"{served.url}/api/v1/challenges", headers={"Authorization": f"Bearer {tokens[0]}"},
                           timeout=30).json()
    rows = listing["challenges"] if isinstance(listing, dict) else listing
    return tokens, judge, next(c["id"] for c in rows if c["name"] == "Bench report")


def p99(result: dict[str, Any]) -> float | None:
    return result.get("submissions", {}).get("latency_ms", {}).get("p99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20, help="seconds of play per run (default 20)")
    parser.add_argument("--users", type=int, default=50, help="simulated players (default 50)")
    parser.add_argument("--attacks", default="flood,report,idle", help="comma-separated subset of flood,report,idle")
    parser.add_argument("--out", type=Path, help="also write every figure as JSON here")
    args = parser.parse_args()
    chosen = [a.strip() for a in args.attacks.split(",")]
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="drillboard-attacks-") as tmp, single(Path(tmp)) as served:
        folder = Path(tmp)
        fixture = make_fixture(served, folder, "atk", 110, 2)
        tokens, judge, report_id = report_setup(served, folder, fixture)
        attacks = {"flood": flood(served.url), "report": heavy_reports(served.url, tokens, judge, report_id),
                   "idle": idle_sockets(served.url)}

        def play(name: str) -> dict[str, Any]:
            print(f"  {name}: {args.users} players for {args.duration:.0f} s", flush=True)
            return loadgen(served, "players", folder / f"{name}.json", "--fixture", str(fixture), "--users",
                           str(args.users), "--duration", str(args.duration))

        figures["quiet"] = {"players": play("quiet")}
        for name in chosen:
            with Attack(attacks[name]) as attack:
                played = play(name)
            figures[name] = {"players": played, "attacker": dict(attack.counts)}
    quiet = p99(figures["quiet"]["players"])
    print(f"\nplayers' submit p99 under attack ({args.users} players, {args.duration:.0f} s per run; goal <= "
          f"{GOAL}x the quiet run's {quiet} ms)")
    for name in chosen:
        under = p99(figures[name]["players"])
        ratio = f"{under / quiet:.2f}x" if under and quiet else "-"
        verdict = "ok" if under and quiet and under <= GOAL * quiet else "MISSED"
        print(f"  {name:7} p99 {under} ms  {ratio}  {verdict}   attacker: {figures[name]['attacker']}")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
