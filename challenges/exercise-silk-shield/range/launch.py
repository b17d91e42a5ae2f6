#!/usr/bin/env python3
"""SILK SHIELD's range: each team's customer portal and mail relay on its own loopback address.

The servers are the demo pack's loopback range (challenges/drill-demo/range), run on this pack's
services.yml; the commands are the same:

    launch.py serve                 start the services services.yml lists, for every team
    launch.py stop TEAM SERVICE     take one team's service down (and start, hang, mumble, status)
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "drill-demo" / "range"))

from launch import main  # noqa: E402

if __name__ == "__main__":
    argv = sys.argv[1:]
    if "serve" in argv:
        argv += ["--services", str(HERE.parent / "services.yml")]
    sys.exit(main(argv))
