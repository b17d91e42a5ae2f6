"""Shared fixtures: an app on a temporary SQLite file, packs written from dicts, a real server."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import yaml
from helpers import free_port, worker_number
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEMO_PACK = ROOT / "challenges" / "drill-demo"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
REDIS_DATABASES = 16  # Redis's default number of dbs
# Argon2 at its cheapest for every app the suite makes, here and in the servers it starts (they
# inherit the environment): the default costs a tenth of a second of both cores per password, and
# the suite sets thousands. tests/core/test_passwords.py checks the default profile.
os.environ.setdefault("DRILLBOARD_PASSWORD_PROFILE", "CHEAPEST")
# Fixtures that start a server, a cluster or a browser: the tests that take seconds each.
SLOW_FIXTURES = {"server", "server_factory", "shared_server", "running", "browser", "page"}
# Seconds each module took in a whole run (``--record-timings`` writes it): the longest go first.
TIMINGS = Path(__file__).with_name("timings.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-timings", action="store_true",
                     help=f"write each module's seconds to {TIMINGS.name}, for the order of the next runs")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Arrange the suite for pytest-xdist (``make test`` runs ``--dist loadfile --no-loadscope-reorder``).

    Each module runs whole on one worker, its tests in their order: many share a module-scoped
    server that each worker would otherwise start again, and some build on the test before them.
    (``--dist loadgroup`` with per-module groups did not: xdist 3.8 writes the group into a node
    id that pytest 9 no longer reads, and the modules were silently split.) The modules are
    handed out longest first, by the last recorded timings, so that no long module starts last
    while the other workers sit idle; a module not timed yet is guessed from whether its tests
    start a server or a browser."""
    timed = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    slow = {_module(item) for item in items if SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))}
    items.sort(key=lambda item: -timed.get(_module(item), 10.0 if _module(item) in slow else 1.0))


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


class _Timings:
    """Adds up each module's setup, call and teardown seconds as the reports arrive (on xdist's
    controller: it hears every worker's reports)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        module = report.nodeid.split("::", 1)[0]
        self.seconds[module] = self.seconds.get(module, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        ordered = dict(sorted(((m, round(s, 1)) for m, s in self.seconds.items()), key=lambda pair: -pair[1]))
        TIMINGS.write_text(json.dumps(ordered, indent=1) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--record-timings") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Timings(), "drillboard-timings")


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from scoreboard.store.config import Settings

    return Settings(instance=tmp_path / "instance", secret_key="test-secret", tick_seconds=0.2)


@pytest.fixture
def app(settings: Any) -> Any:
    from scoreboard import create_app

    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["drillboard"].live.stop()


@pytest.fixture
def services(app: Any) -> Any:
    return app.extensions["drillboard"]


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def write_pack(root: Path, challenges: dict[str, dict[str, Any]], pack: dict[str, Any] | None = None,
               files: dict[str, bytes | str] | None = None) -> Path:
    """Write a pack folder: ``challenges`` maps a folder (e.g. 'web/one') to its challenge.yml."""
    root.mkdir(parents=True, exist_ok=True)
    if pack is not None:
        (root / "pack.yml").write_text(yaml.safe_dump(pack, allow_unicode=True))
    for folder, data in challenges.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "challenge.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    for rel, content in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        mode = "wb" if isinstance(content, bytes) else "w"
        with (root / rel).open(mode) as handle:
            handle.write(content)
    return root


@pytest.fixture
def make_pack(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(challenges: dict[str, dict[str, Any]], pack: dict[str, Any] | None = None,
             files: dict[str, bytes | str] | None = None, name: str | None = None) -> Path:
        return write_pack(tmp_path / (name or f"pack{next(counter)}"), challenges, pack, files)

    return make


class Server:
    """``python app.py`` in a subprocess on a loopback port, with its own instance folder."""

    def __init__(self, instance: Path, env: dict[str, str] | None = None) -> None:
        self.instance = instance
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # No service checks and no demo range unless a test asks: their rounds would move scores
        # under tests that compare standings, and cost a process each.
        self.env = {**os.environ, "DRILLBOARD_INSTANCE": str(instance), "DRILLBOARD_SECRET_KEY": "server-test",
                    "DRILLBOARD_CHECKER": "0", "DRILLBOARD_RANGE": "0", **(env or {})}
        self.process: subprocess.Popen | None = None
        self.log = instance.parent / f"server-{self.port}.log"
        self._log_handle: Any = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", *args], cwd=ROOT,
                                env=self.env, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"drill {' '.join(args)} failed: {result.stderr}")
        return result

    def start(self) -> Server:
        self.instance.mkdir(parents=True, exist_ok=True)
        self._log_handle = self.log.open("ab")
        self.process = subprocess.Popen([sys.executable, "app.py", "--port", str(self.port)], cwd=ROOT,
                                        env=self.env, stdout=self._log_handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90  # a bound for a wedged start, not a speed: workers share the cores
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.base_url + "/api/v1/scoreboard", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        if self._log_handle:
            self._log_handle.close()
            self._log_handle = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def first_run(self) -> dict[str, Any]:
        return json.loads((self.instance / "first-run.json").read_text())

    def _organizer_sees(self, done: Callable[[list[str]], bool]) -> None:
        """Wait until this server's own challenge list (as the seeded organizer reads it) satisfies ``done``:
        a change made by the CLI reaches the server on its next tick."""
        headers = {"Authorization": f"Bearer {self.first_run['admin']['token']}"}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            listed = requests.get(self.base_url + "/api/v1/challenges", headers=headers, timeout=5).json()["challenges"]
            if done([c["name"] for c in listed]):
                return
            time.sleep(0.05)
        raise AssertionError("the server did not pick up the change")

    def startex(self) -> Server:
        """Start the demo drill (STARTEX) as its organizer does: the demo waits for it."""
        self.cli("clock", "start")
        self._organizer_sees(bool)
        return self

    def open_phase(self, phase_id: str, shows: str) -> None:
        """Open an exercise phase from the CLI and wait until its challenge ``shows`` is listed."""
        self.cli("phase", "open", phase_id)
        self._organizer_sees(lambda names: shows in names)

    def team_token(self, name: str, country: str) -> tuple[dict[str, Any], dict[str, str]]:
        team = json.loads(self.cli("create-team", name, "--country", country).stdout)
        return team, {"Authorization": f"Bearer {team['token']}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A real server seeded with the demo drill (what `python app.py` does on a fresh machine), started."""
    srv = Server(tmp_path / "server-instance").start().startex()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One demo-seeded, started server for a whole module; its tests each add their own teams and solves."""
    srv = Server(tmp_path_factory.mktemp("shared") / "server-instance").start().startex()
    yield srv
    srv.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Build a server whose instance you prepare first (``cli``) and then ``start()``."""
    made: list[Server] = []

    def make(env: dict[str, str] | None = None, name: str = "custom-instance") -> Server:
        srv = Server(tmp_path / name, env)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.stop()


@pytest.fixture
def loopback_range() -> Iterator[Callable[..., Any]]:
    """Start real services for teams on loopback (tests/range.py), stopped when the test ends:
    ``rng = loopback_range(["Team A", "Team B"])``, then ``rng.host("Team A")``, ``rng.stop("Team A",
    "portal")``, ``rng.hang(...)``, ``rng.services_yml()``. Optional ``layout``: {service: (kind, port)}."""
    from range import LoopbackRange

    made: list[Any] = []

    def make(teams: list[str], layout: dict[str, tuple[str, int]] | None = None) -> Any:
        rng = LoopbackRange(list(teams), layout)
        made.append(rng)
        rng.start()
        return rng

    yield make
    for rng in made:
        rng.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where page screenshots go: a temp folder, or the committed ones with
    ``DRILLBOARD_SCREENSHOTS=docs/screenshots`` (so a normal run leaves the tree clean)."""
    folder = Path(os.environ.get("DRILLBOARD_SCREENSHOTS") or tmp_path / "screenshots")
    folder = folder if folder.is_absolute() else ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """This worker's PostgreSQL database: ``DRILLBOARD_TEST_POSTGRES_URL``'s, or under pytest-xdist
    its own one beside it (``test_gw1``, created if missing), which tests make their databases from."""
    url = os.environ.get("DRILLBOARD_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("DRILLBOARD_TEST_POSTGRES_URL is not set")
    url = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _database_beside(url, f"{make_url(url).database}_{worker}") if worker else url


def _database_beside(url: str, name: str) -> str:
    """The URL of database ``name`` on ``url``'s server, created first if missing."""
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """This worker's Redis db: ``DRILLBOARD_TEST_REDIS_URL``'s, or under pytest-xdist the db that many
    after it (before it where that passes db 15): tests flush theirs."""
    url = os.environ.get("DRILLBOARD_TEST_REDIS_URL")
    if not url:
        pytest.skip("DRILLBOARD_TEST_REDIS_URL is not set")
    parts = urlsplit(url)
    base, worker = int(parts.path.strip("/") or 0), worker_number()
    db = base + worker if base + worker < REDIS_DATABASES else base - worker
    return urlunsplit(parts._replace(path=f"/{db}"))
