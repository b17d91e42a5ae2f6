"""Profile a server under load with py-spy and name where its time goes.

``record(pids, seconds, folder, label)`` samples each server process (``py-spy record``,
non-blocking, idle time left out) into a flame graph (``.svg``) and raw stacks (``.txt``);
``top(raw files)`` reads the stacks back: each function's share of the samples as the one
running (self) and anywhere on the stack (total). Run alone on raw files:

    .venv/bin/python bench/hotspots.py folder/*.txt
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

LINE = re.compile(r":\d+\)$")  # "func (file.py:123)" -> one entry per function, not per line
SITE = re.compile(r"^.*/(site-packages|lib/python3\.\d+)/")


def py_spy() -> str | None:
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


def record(pids: list[int], seconds: float, folder: Path, label: str) -> list[subprocess.Popen]:
    """Start sampling each process for ``seconds``; returns the py-spy processes to wait for."""
    binary = py_spy()
    if binary is None:
        print("profile: py-spy is not installed (pip install py-spy)", file=sys.stderr)
        return []
    folder.mkdir(parents=True, exist_ok=True)
    started = []
    for pid in pids:
        for fmt, ext in (("flamegraph", "svg"), ("raw", "txt")):
            started.append(subprocess.Popen(
                [binary, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "100",
                 "--nonblocking", "--format", fmt, "-o", str(folder / f"{label}-{pid}.{ext}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return started


def _frame(frame: str) -> str:
    return SITE.sub("", LINE.sub(")", frame.replace("/work/", "")))


def top(raw_files: list[Path], count: int = 15, project: bool = False) -> list[tuple[str, float, float]]:
    """(function (file), self share, total share) of all samples in the files, by self share;
    ``project``: only the project's own functions (scoreboard/, app.py), by total share."""
    own, anywhere, total = Counter(), Counter(), 0
    for path in raw_files:
        for line in path.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            frames = [_frame(f) for f in stack.split(";") if f]
            if not frames:
                continue
            total += int(n)
            own[frames[-1]] += int(n)
            for frame in set(frames):
                anywhere[frame] += int(n)
    if not total:
        return []
    if project:
        ours = Counter({frame: n for frame, n in anywhere.items() if "(scoreboard/" in frame or "(app.py" in frame})
        return [(frame, own[frame] / total, n / total) for frame, n in ours.most_common(count)]
    return [(frame, n / total, anywhere[frame] / total) for frame, n in own.most_common(count)]


def table(raw_files: list[Path], count: int = 15) -> str:
    """The busiest functions by self time, then the project's own by total time."""
    lines = []
    for title, rows in (("by self time", top(raw_files, count)),
                        ("the project's functions by total time", top(raw_files, count, project=True))):
        lines.append(f"  {'self':>6} {'total':>6}  function (file), {title}")
        lines += [f"  {100 * own:5.1f}% {100 * anywhere:5.1f}%  {frame}" for frame, own, anywhere in rows]
    return "\n".join(lines) if any(top(raw_files, 1)) else "  (no samples)"


if __name__ == "__main__":
    print(table([Path(p) for p in sys.argv[1:]], 25))
