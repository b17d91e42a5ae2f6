"""The proxy's share of issue #22: nginx (docker/cluster.py's config, the same limits as
docker/nginx.conf) caps connections and request rate per client address, and one address's
flood leaves other addresses served. One ``python app.py`` behind Debian's nginx.
"""
from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from helpers import free_port  # noqa: E402

from docker.cluster import INSTALL_NGINX, ClusterError, find_nginx, nginx_config  # noqa: E402

DOCKER_CONF = (ROOT / "docker" / "nginx.conf").read_text()


def _limit(directive: str, text: str) -> str:
    found = re.search(rf"^\s*{directive}\s+([^;]+);", text, re.M)
    assert found, f"no {directive} in the config"
    return found.group(1).strip()


@pytest.fixture
def proxied(server_factory: Callable[..., Any], tmp_path: Path) -> Iterator[str]:
    try:
        nginx_bin = find_nginx()
    except ClusterError:
        pytest.skip(f"nginx is not installed ({INSTALL_NGINX})")
    app = server_factory({"DRILLBOARD_PROXY_HOPS": "1"}, "behind-nginx").start()
    port = free_port()
    folder = tmp_path / "nginx"
    folder.mkdir()
    (folder / "nginx.conf").write_text(nginx_config(folder, port, [app.port]))
    nginx = subprocess.Popen([nginx_bin, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e",
                              str(folder / "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            assert nginx.poll() is None, (folder / "error.log").read_text()
            try:
                if requests.get(url + "/api/v1/scoreboard", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                continue
        yield url
    finally:
        nginx.terminate()
        nginx.wait(10)


def test_the_generated_config_has_the_limits_of_docker_nginx_conf(tmp_path: Path) -> None:
    generated = nginx_config(tmp_path, 8000, [5000])
    for directive in ("limit_conn", "limit_req", "limit_conn_status", "limit_req_status", "client_header_timeout",
                      "client_body_timeout", "send_timeout", "keepalive_timeout", "limit_req_zone"):
        assert _limit(directive, generated) == _limit(directive, DOCKER_CONF), directive


def test_a_request_flood_from_one_address_is_429_and_another_address_is_served(proxied: str) -> None:
    burst = int(re.search(r"burst=(\d+)", _limit("limit_req", DOCKER_CONF)).group(1))
    statuses: list[int] = []

    def flood() -> None:
        http = requests.Session()
        while 429 not in statuses and len(statuses) < 10 * burst:
            statuses.append(http.get(proxied + "/api/v1/scoreboard", timeout=10).status_code)

    # Sixteen at once, faster than the rate (20 a second): the burst runs out, then nginx answers 429.
    with ThreadPoolExecutor(16) as pool:
        for done in [pool.submit(flood) for _ in range(16)]:
            done.result()
    assert 429 in statuses and statuses.count(200) >= burst, (len(statuses), set(statuses))
    with socket.create_connection(("127.0.0.1", int(proxied.rsplit(":", 1)[1])), source_address=("127.0.0.2", 0)) as s:
        s.sendall(b"GET /api/v1/scoreboard HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert s.recv(64).startswith(b"HTTP/1.1 200")


def test_the_connection_after_the_cap_from_one_address_is_429(proxied: str) -> None:
    cap = int(_limit("limit_conn", DOCKER_CONF).split()[-1])
    port = int(proxied.rsplit(":", 1)[1])
    held = []
    try:
        # Each holds a request open: headers sent, the body still to come.
        for _ in range(cap):
            s = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.3", 0))
            s.sendall(b"POST /api/v1/scoreboard HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
            held.append(s)
        answers = []
        while len(answers) < 20 and b" 429 " not in (answers or [b""])[-1]:
            with socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.3", 0)) as extra:
                extra.sendall(b"GET /api/v1/scoreboard HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answers.append(extra.recv(64))
        assert answers[-1].startswith(b"HTTP/1.1 429"), answers
    finally:
        for s in held:
            s.close()
