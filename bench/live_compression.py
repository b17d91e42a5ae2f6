"""Server CPU per live message and observer, when observers offer permessage-deflate as browsers do.

    .venv/bin/python bench/live_compression.py                      # 1,000 observers, 2 alternated pairs
    .venv/bin/python bench/live_compression.py --observers 2000 --pairs 3 --out /tmp/compression.json

One ``python app.py`` (the demo drill) and N WebSocket observers that offer compression (aiohttp,
``compress=15``; bench/loadgen.py's observers offer none, so its figures do not show this cost).
Organizers add teams with the CLI; each addition sends every observer a ``team`` event and a
``standings`` delta. The figure is the server process's CPU time (``/proc``) over the messages
the observers received, with ``DRILLBOARD_LIVE_COMPRESSION=1`` (each message compressed for each
observer) and without it (the default: the offer is declined), alternated. Printed, never asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
EVENTS = 8  # teams added per run


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def observe(session: aiohttp.ClientSession, url: str, seen: dict[str, Any]) -> None:
    """One observer in Engine.IO 4 / Socket.IO 5 over a WebSocket, counting /live's messages."""
    async with session.ws_connect(url, compress=15, max_msg_size=0) as ws:
        seen["compressed"].append(bool(ws.compress))
        async for message in ws:
            data = message.data
            if data.startswith("0"):
                await ws.send_str("40/live,")
            elif data == "2":
                await ws.send_str("3")
            elif data.startswith("42/live,"):
                seen["messages"] += 1


async def one_run(observers: int, compression: bool, port: int) -> dict[str, Any]:
    instance = tempfile.mkdtemp(prefix="drillboard-compression-")
    env = {**os.environ, "DRILLBOARD_INSTANCE": instance, "DRILLBOARD_CHECKER": "0", "DRILLBOARD_RANGE": "0",
           "DRILLBOARD_LIVE_PER_ADDRESS": str(observers + 10), "DRILLBOARD_LIVE_COMPRESSION": "1" if compression else "0"}
    with open(Path(instance) / "server.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            await _ready(session, f"http://127.0.0.1:{port}/api/v1/scoreboard", server)
            seen: dict[str, Any] = {"messages": 0, "compressed": []}
            url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
            tasks = [asyncio.create_task(observe(session, url, seen)) for _ in range(observers)]
            while len(seen["compressed"]) < observers:
                await asyncio.sleep(0.2)
            await asyncio.sleep(3)  # every snapshot sent
            before_messages, before_cpu = seen["messages"], cpu_seconds(server.pid)
            for n in range(EVENTS):
                await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "flask", "--app", "app", "drill",
                                                         "create-team", f"Observer test {n}", "--country", "KZ"],
                                        cwd=ROOT, env=env, capture_output=True, check=True)
            await asyncio.sleep(4)  # the last messages delivered
            used, messages = cpu_seconds(server.pid) - before_cpu, seen["messages"] - before_messages
            for task in tasks:
                task.cancel()
    finally:
        server.terminate()
        server.wait(20)
    return {"compression": compression, "observers": observers, "negotiated": any(seen["compressed"]),
            "messages": messages, "server_cpu_s": round(used, 3),
            "cpu_per_message_per_observer_us": round(used / max(messages, 1) * 1e6, 1)}


async def _ready(session: aiohttp.ClientSession, url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            async with session.get(url) as reply:
                if reply.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observers", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=2, help="alternated runs with and without compression")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--out", type=Path, help="write the runs as JSON")
    args = parser.parse_args()
    runs = [asyncio.run(one_run(args.observers, compression, args.port))
            for _ in range(args.pairs) for compression in (True, False)]
    for run in runs:
        print(f"compression {'on ' if run['compression'] else 'off'} (negotiated: {run['negotiated']}): "
              f"{run['observers']} observers, {run['messages']} messages, server CPU {run['server_cpu_s']} s, "
              f"{run['cpu_per_message_per_observer_us']} µs per message and observer")
    on = [r["cpu_per_message_per_observer_us"] for r in runs if r["compression"]]
    off = [r["cpu_per_message_per_observer_us"] for r in runs if not r["compression"]]
    print(f"off / on: {sum(off) / len(off) / (sum(on) / len(on)):.2f}")
    if args.out:
        args.out.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
