# The team's shared load generator (../shared/bench/loadgen.py), vendored unchanged but for this
# header (in place of its shebang) so figures compare across platforms and runs. Do not edit it here.
"""Platform-neutral load generator for CTF scoring platforms (loopback only).

Requires Python 3.9+ and httpx (`pip install httpx`); the live mode also needs
python-socketio's asyncio client (`pip install "python-socketio[asyncio_client]"`,
which brings aiohttp). Everything else is stdlib.

Modes (each has its own --help: `loadgen.py MODE --help`)
  players   N simulated users for T seconds. Each loops: GET challenge list ->
            POST one flag attempt (80% wrong, 20% right for a challenge its team
            has not solved yet) -> every 5th loop GET the scoreboard.
  observers M anonymous clients polling the scoreboard endpoints as fast as they can.
  probe     sequential GETs of the scoreboard endpoints (default 20 each) and
            reports median/min/max; --probe-cold invalidates the platform's
            scoreboard cache before every request (if the adapter supports it).
  live      K Socket.IO observers (websocket transport, split over --procs worker
            processes) stay connected while a small player load submits correct
            answers at a fixed --rate; reports solve-to-client latency (from the
            event's `at` and from the client-side submit), connect failures,
            disconnects and the load generator's own CPU. Drillboard only.
  make-fixture  seeds a Drillboard project through its CLI (generated pack of M
            challenges + N teams) and writes the fixture JSON the other modes read.

Fixture (platform-neutral JSON, written by whatever seeds the platform):
  {"base": "http://127.0.0.1:8000",
   "admin_token": "...",                      # optional, adapter-specific use
   "flags": {"<challenge id>": "<correct flag>", ...},
   "users": [{"name": "...", "password": "...", "team_id": 1,
              "token": "..."}, ...]}             # token optional (CTFd --ctfd-auth token)
  Drillboard fixtures (make-fixture) key "flags" by challenge *name*
  ("flags_key": "name"); ids are resolved at run time from GET /api/v1/challenges
  and only the fixture's challenges are played. Each user carries its team's API
  token (Bearer); "teams" lists id, name, country, join_code, token.

Each simulated user gets its own loopback source address (--source-ips auto:
127.0.0.2..254) because platforms rate-limit per IP (CTFd: 10 POST /login per
minute per IP). --cred-cache FILE keeps sessions/tokens between runs so the
(bcrypt-bound) login phase is paid once; login time is reported, not measured.
Runs are bounded: --duration <= 600 s, per-request --timeout, loopback targets only.

Add a platform by subclassing Adapter (see CTFdAdapter, DrillboardAdapter) and
registering it in ADAPTERS. The harness only calls the adapter's async methods
and never builds platform URLs itself.

Output: one JSON object on stdout (and --out FILE): submissions/s, submit latency
p50/p95/p99, scoreboard GET p50/p99, error counts, client CPU (to spot a
saturated load generator), etc.

Examples
  loadgen.py players   --platform ctfd --fixture env.json --users 50 --duration 30
  loadgen.py observers --platform ctfd --fixture env.json --clients 50 --duration 30
  loadgen.py probe     --platform ctfd --fixture env.json --count 20 [--probe-cold]
  DRILLBOARD_DATABASE_URL=sqlite:////tmp/db.sqlite loadgen.py make-fixture
      --platform drillboard --project ../drillboard --python ../drillboard/.venv/bin/python
      --teams 50 --challenges 40 --out db.json          (one command line)
  loadgen.py players   --platform drillboard --fixture db.json --users 50 --duration 30
  loadgen.py live      --platform drillboard --fixture db.json --clients 1000 --procs 2
      --rate 5 --duration 30                            (one command line)
"""
import argparse
import asyncio
import collections
import datetime
import ipaddress
import json
import math
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import httpx

MAX_DURATION_S = 600  # hard cap on any run, whatever the flags say


# --------------------------------------------------------------------------- utils

def require_loopback(base):
    """Refuse any target that does not resolve to a loopback address."""
    host = urllib.parse.urlsplit(base).hostname
    if not host:
        sys.exit(f"bad base URL: {base!r}")
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo(host, None)}
    except socket.gaierror as e:
        sys.exit(f"cannot resolve {host}: {e}")
    bad = [a for a in addrs if not ipaddress.ip_address(a.split("%")[0]).is_loopback]
    if bad:
        sys.exit(f"refusing non-loopback target {host} -> {bad}")


def source_ips(spec, base):
    """--source-ips: 'auto' = 127.0.0.2..127.0.0.254 when the target is IPv4 loopback
    (one address per simulated user, wrapping), 'none', or 'A-B' / 'A,B,C' (loopback only).
    Platforms rate-limit per client IP (CTFd: 10 logins/min/IP), so one shared source
    address would make N simulated users look like one host."""
    if spec == "none":
        return [None]
    if spec == "auto":
        host = urllib.parse.urlsplit(base).hostname or ""
        try:
            v4 = ipaddress.ip_address(socket.gethostbyname(host)).version == 4
        except (OSError, ValueError):
            v4 = False
        return [f"127.0.0.{i}" for i in range(2, 255)] if v4 else [None]
    if "-" in spec:
        a, b = (ipaddress.ip_address(x.strip()) for x in spec.split("-", 1))
        ips = [str(ipaddress.ip_address(i)) for i in range(int(a), int(b) + 1)]
    else:
        ips = [x.strip() for x in spec.split(",") if x.strip()]
    for ip in ips:
        if not ipaddress.ip_address(ip).is_loopback:
            sys.exit(f"--source-ips: {ip} is not a loopback address")
    return ips or [None]


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


def lat_summary(vals_s):
    v = sorted(x * 1000.0 for x in vals_s)
    if not v:
        return {"n": 0}
    r = lambda x: round(x, 2)  # noqa: E731
    return {"n": len(v), "p50": r(pct(v, 50)), "p95": r(pct(v, 95)), "p99": r(pct(v, 99)),
            "mean": r(sum(v) / len(v)), "min": r(v[0]), "max": r(v[-1])}


class AdapterError(Exception):
    """An unexpected platform answer (wrong status code, unparsable body...)."""


class Recorder:
    def __init__(self):
        self.lat = {}        # op -> [seconds]
        self.status = {}     # op -> {status: count}
        self.errors = {}     # "op: kind" -> count
        self.samples = []    # first few error messages

    def ok(self, op, dt, status=None):
        self.lat.setdefault(op, []).append(dt)
        if status is not None:
            d = self.status.setdefault(op, {})
            d[status] = d.get(status, 0) + 1

    def err(self, op, exc):
        kind = type(exc).__name__ if not isinstance(exc, AdapterError) else str(exc)[:60]
        key = f"{op}: {kind}"
        self.errors[key] = self.errors.get(key, 0) + 1
        if len(self.samples) < 8:
            self.samples.append(f"{op}: {type(exc).__name__}: {str(exc)[:200]}")

    async def timed(self, op, coro_fn, *a):
        t0 = time.perf_counter()
        try:
            res = await coro_fn(*a)
        except (httpx.HTTPError, AdapterError, ValueError, KeyError) as e:
            self.err(op, e)
            return None, False
        dt = time.perf_counter() - t0
        status = res if isinstance(res, str) else None
        self.ok(op, dt, status)
        return res, True

    def n_errors(self):
        return sum(self.errors.values())


# --------------------------------------------------------------------------- adapters

class Adapter:
    """Interface the harness drives. One instance per run; `client` is one
    httpx.AsyncClient per simulated user (own cookies/connection)."""
    name = "base"

    def __init__(self, fixture, args):
        self.fixture = fixture
        self.args = args
        self.base = fixture["base"].rstrip("/")
        self.flags = {str(k): v for k, v in fixture["flags"].items()}

    def new_client(self, timeout, local_address=None):
        transport = httpx.AsyncHTTPTransport(local_address=local_address) if local_address else None
        return httpx.AsyncClient(base_url=self.base, timeout=timeout, transport=transport,
                                 limits=httpx.Limits(max_connections=2))

    def submitters(self):
        """Users ordered so that the first N are spread over as many teams as possible."""
        seen, first, rest = set(), [], []
        for u in self.fixture["users"]:
            (rest if u.get("team_id") in seen else first).append(u)
            seen.add(u.get("team_id"))
        ordered, pool = first, rest
        while pool:  # second member of each team, then third...
            seen, nxt, again = set(), [], []
            for u in pool:
                (again if u.get("team_id") in seen else nxt).append(u)
                seen.add(u.get("team_id"))
            ordered += nxt
            pool = again
        return ordered

    def correct_flag(self, chal_id):
        return self.flags[str(chal_id)]

    def wrong_flag(self, rng):
        return "wrong{%08x}" % rng.getrandbits(32)

    # --- per-user auth. Returns a JSON-serializable credential (cacheable).
    async def login(self, client, user):
        raise NotImplementedError

    def apply_credential(self, client, cred):
        raise NotImplementedError

    async def check_credential(self, client):
        """True if the applied credential still works."""
        return True

    # --- workload operations
    async def list_challenges(self, client):
        """-> (list of challenge ids, set of ids the user's team has solved (may be empty))"""
        raise NotImplementedError

    async def submit(self, client, chal_id, flag):
        """-> 'correct' | 'incorrect' | 'already_solved' | 'ratelimited' (raise AdapterError otherwise)"""
        raise NotImplementedError

    async def scoreboard(self, client):
        """The scoreboard a player looks at."""
        raise NotImplementedError

    def observer_endpoints(self):
        """[(label, path)] polled round-robin by anonymous observers."""
        raise NotImplementedError

    def probe_endpoints(self):
        """[(label, path)] timed sequentially in probe mode."""
        return self.observer_endpoints()

    async def get_ok(self, client, path):
        r = await client.get(path)
        if r.status_code != 200:
            raise AdapterError(f"GET {path} HTTP {r.status_code}")
        return r

    async def invalidate_scoreboard(self, client):
        """Force the next scoreboard read to recompute (for cold probes). Optional."""
        raise NotImplementedError

    supports_cold = True  # invalidate_scoreboard() is implemented

    async def prepare(self, client):
        """Called once with one logged-in client before the workload starts
        (resolve ids, check the fixture matches the server). Optional."""

    def challenge_keys(self, chal_id):
        """Strings a live `solve` event may use for this challenge (id, name...)."""
        return [str(chal_id)]

    def live_endpoint(self):
        """Socket.IO feed for the live mode: dict(url, namespace, socketio_path,
        solve_event, snapshot_event, resync_event) or raise NotImplementedError."""
        raise NotImplementedError(f"{self.name}: no Socket.IO live feed in this adapter")


class CTFdAdapter(Adapter):
    """CTFd 3.x (/api/v1). Auth modes (--ctfd-auth):
    session: browser-like: GET /login nonce -> POST /login -> csrfNonce from a page;
             API calls carry the session cookie and a CSRF-Token header.
    token:   log in once, POST /api/v1/tokens for a personal token, then
             'Authorization: Token ...' + 'Content-Type: application/json' on every
             request (CTFd only honours tokens on JSON requests)."""
    name = "ctfd"
    NONCE_FORM = re.compile(r'name="nonce"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="nonce"')
    NONCE_JS = re.compile(r"'csrfNonce': \"([0-9a-fA-F]+)\"")

    def __init__(self, fixture, args):
        super().__init__(fixture, args)
        self.auth = getattr(args, "ctfd_auth", "session")

    async def _csrf_from_page(self, client, path):
        r = await client.get(path, follow_redirects=True)
        m = self.NONCE_JS.search(r.text)
        if not m:
            raise AdapterError(f"no csrfNonce on {path} (HTTP {r.status_code})")
        return m.group(1)

    async def login(self, client, user):
        if self.auth == "token" and user.get("token"):  # token pre-made by the fixture seeder
            return {"token": user["token"]}
        r = await client.get("/login")
        m = self.NONCE_FORM.search(r.text)
        if not m:
            raise AdapterError(f"no login nonce (HTTP {r.status_code})")
        r = await client.post("/login", data={"name": user["name"], "password": user["password"],
                                              "nonce": m.group(1) or m.group(2),
                                              "_submit": "Submit"})
        if r.status_code != 302:
            raise AdapterError(f"login failed for {user['name']} (HTTP {r.status_code})")
        csrf = await self._csrf_from_page(client, "/challenges")
        if self.auth == "session":
            return {"cookies": dict(client.cookies), "csrf": csrf}
        r = await client.post("/api/v1/tokens", json={"description": "loadgen"},
                              headers={"CSRF-Token": csrf})
        if r.status_code != 200:
            raise AdapterError(f"token creation HTTP {r.status_code}")
        return {"token": r.json()["data"]["value"]}

    def apply_credential(self, client, cred):
        client.cookies.clear()
        if "token" in cred:
            client.headers["Authorization"] = "Token " + cred["token"]
            client.headers["Content-Type"] = "application/json"
        else:
            client.cookies.update(cred["cookies"])
            client.headers["CSRF-Token"] = cred["csrf"]

    async def check_credential(self, client):
        r = await client.get("/api/v1/users/me")
        return r.status_code == 200

    async def list_challenges(self, client):
        r = await self.get_ok(client, "/api/v1/challenges")
        data = r.json()["data"]
        return [c["id"] for c in data], {c["id"] for c in data if c.get("solved_by_me")}

    async def submit(self, client, chal_id, flag):
        r = await client.post("/api/v1/challenges/attempt",
                              json={"challenge_id": chal_id, "submission": flag})
        if r.status_code == 429:
            return "ratelimited"
        try:
            status = r.json()["data"]["status"]
        except Exception:
            raise AdapterError(f"attempt HTTP {r.status_code}")
        if r.status_code == 200 and status in ("correct", "incorrect", "already_solved", "partial"):
            return status
        if status == "ratelimited":  # 403 'another submission is being processed'/lockout
            return "ratelimited"
        raise AdapterError(f"attempt HTTP {r.status_code} {status}")

    async def scoreboard(self, client):
        await self.get_ok(client, "/api/v1/scoreboard")

    def observer_endpoints(self):
        return [("scoreboard", "/api/v1/scoreboard"), ("scoreboard_top10", "/api/v1/scoreboard/top/10")]

    def probe_endpoints(self):
        return self.observer_endpoints() + [("scoreboard_html", "/scoreboard")]

    async def invalidate_scoreboard(self, client):
        # An admin PATCH of a challenge calls clear_standings() in CTFd.
        tok = self.fixture.get("admin_token")
        if not tok:
            raise AdapterError("fixture has no admin_token")
        cid = next(iter(self.flags))
        r = await client.patch(f"/api/v1/challenges/{cid}", json={"state": "visible"},
                               headers={"Authorization": "Token " + tok,
                                        "Content-Type": "application/json"})
        if r.status_code != 200:
            raise AdapterError(f"invalidate HTTP {r.status_code}")


class DrillboardAdapter(Adapter):
    """Drillboard (contract: shared/DESIGN.md). No login step: every simulated user
    carries its team's API token from the fixture ('Authorization: Bearer <token>').
    Fixture flags are keyed by challenge name ("flags_key": "name", as make-fixture
    writes them) or by id ("flags_key": "id"); names are resolved to ids from
    GET /api/v1/challenges at run time, and only challenges with a known flag are
    played (a demo pack's challenges are ignored)."""
    name = "drillboard"
    supports_cold = False  # the contract has no cache-invalidation endpoint

    def __init__(self, fixture, args):
        if not fixture.get("users") and fixture.get("teams"):
            fixture["users"] = [{"name": t["name"], "team_id": t["id"], "token": t["token"]}
                                for t in fixture["teams"]]
        super().__init__(fixture, args)
        by_name = fixture.get("flags_key", "name") == "name"
        self.flags_by_name = dict(fixture["flags"]) if by_name else {}
        if by_name:
            self.flags = {}          # str(id) -> flag, filled by _learn()
        self.names = {}              # str(id) -> challenge name

    @staticmethod
    def _items(body, *keys):
        """The list in a JSON body: the body itself or body[<first key holding a list>]."""
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            for k in keys:
                if isinstance(body.get(k), list):
                    return body[k]
        raise AdapterError("unexpected JSON shape")

    def _learn(self, chals):
        for c in chals:
            cid, name = str(c["id"]), c.get("name")
            self.names[cid] = name
            if name in self.flags_by_name:
                self.flags[cid] = self.flags_by_name[name]

    async def login(self, client, user):
        if not user.get("token"):
            raise AdapterError(f"fixture user {user.get('name')!r} has no token")
        return {"token": user["token"]}

    def apply_credential(self, client, cred):
        client.headers["Authorization"] = "Bearer " + cred["token"]

    async def check_credential(self, client):
        r = await client.get("/api/v1/challenges")
        return r.status_code == 200

    async def prepare(self, client):
        try:
            ids, _ = await self.list_challenges(client)
        except (httpx.HTTPError, AdapterError, ValueError, KeyError) as e:
            sys.exit(f"drillboard: GET {self.base}/api/v1/challenges failed: {type(e).__name__}: {e}")
        if not ids:
            sys.exit(f"drillboard: none of the fixture's {len(self.fixture['flags'])} challenges is "
                     f"visible at {self.base}/api/v1/challenges (pack loaded? same database?)")

    async def list_challenges(self, client):
        r = await self.get_ok(client, "/api/v1/challenges")
        chals = self._items(r.json(), "challenges", "data", "items")
        self._learn(chals)
        known = [c for c in chals if str(c["id"]) in self.flags]
        return [c["id"] for c in known], {c["id"] for c in known if c.get("solved")}

    async def submit(self, client, chal_id, flag):
        r = await client.post(f"/api/v1/challenges/{chal_id}/attempts", json={"answer": flag})
        if r.status_code == 429:
            return "ratelimited"
        try:
            body = r.json()
        except ValueError:
            raise AdapterError(f"attempt HTTP {r.status_code} (not JSON)")
        if r.status_code == 200 and body.get("result") in ("correct", "incorrect", "already_solved"):
            return body["result"]
        msg = str(body.get("error", body.get("result", "")))[:40] if isinstance(body, dict) else ""
        raise AdapterError(f"attempt HTTP {r.status_code} {msg}")

    async def scoreboard(self, client):
        await self.get_ok(client, "/api/v1/scoreboard")

    def observer_endpoints(self):
        return [("scoreboard", "/api/v1/scoreboard"), ("scoreboard_ctftime", "/api/v1/scoreboard/ctftime")]

    async def invalidate_scoreboard(self, client):
        raise AdapterError("drillboard has no cache-invalidation endpoint")

    def challenge_keys(self, chal_id):
        keys = [str(chal_id)]
        if self.names.get(str(chal_id)) is not None:
            keys.append(str(self.names[str(chal_id)]))
        return keys

    def live_endpoint(self):
        return {"url": self.base, "namespace": "/live", "socketio_path": "socket.io",
                "solve_event": "solve", "snapshot_event": "snapshot", "resync_event": "resync"}


ADAPTERS = {"ctfd": CTFdAdapter, "drillboard": DrillboardAdapter}


# --------------------------------------------------------------------------- modes

async def prepare_users(adapter, users, args, rec):
    """Log users in (bounded concurrency), reusing --cred-cache when valid."""
    cache = {}
    if args.cred_cache:
        try:
            cache = json.load(open(args.cred_cache))
        except (OSError, ValueError):
            cache = {}
    sem = asyncio.Semaphore(args.login_concurrency)
    clients = [adapter.new_client(args.timeout, args.src_ips[i % len(args.src_ips)])
               for i in range(len(users))]

    async def one(client, user):
        async with sem:
            key = f"{adapter.name}:{getattr(args, 'ctfd_auth', '')}:{user['name']}"
            cred = cache.get(key)
            if cred:
                adapter.apply_credential(client, cred)
                try:
                    if await adapter.check_credential(client):
                        return
                except httpx.HTTPError:
                    pass
            t0 = time.perf_counter()
            try:
                cred = await adapter.login(client, user)
            except (httpx.HTTPError, AdapterError) as e:
                rec.err("login", e)
                raise
            rec.ok("login", time.perf_counter() - t0)
            adapter.apply_credential(client, cred)
            cache[key] = cred

    await asyncio.gather(*(one(c, u) for c, u in zip(clients, users)))
    if args.cred_cache:
        with open(args.cred_cache, "w") as f:
            json.dump(cache, f)
    return clients


async def run_players(adapter, args):
    rng_master = random.Random(args.seed)
    users = adapter.submitters()[: args.users]
    if len(users) < args.users:
        sys.exit(f"fixture has only {len(users)} users")
    rec = Recorder()
    t_setup = time.perf_counter()
    clients = await prepare_users(adapter, users, args, rec)
    await adapter.prepare(clients[0])
    setup_s = time.perf_counter() - t_setup
    team_solved = {}  # team key -> set(challenge ids), shared across simulated users
    extra = {"right_wanted_but_all_solved": 0, "wrong_on_solved_challenge": 0, "loops": 0}

    t_start = time.perf_counter()
    deadline = t_start + args.duration

    async def player(client, user, rng):
        team = user.get("team_id", user["name"])
        solved = team_solved.setdefault(team, set())
        loop = 0
        while time.perf_counter() < deadline:
            loop += 1
            extra["loops"] += 1
            res, ok = await rec.timed("challenges", adapter.list_challenges, client)
            if not ok or not res[0]:
                await asyncio.sleep(0.05)
                continue
            ids, server_solved = res
            solved |= server_solved
            unsolved = [c for c in ids if c not in solved]
            if rng.random() < args.right_ratio:
                if unsolved:
                    cid = rng.choice(unsolved)
                    flag = adapter.correct_flag(cid)
                else:
                    extra["right_wanted_but_all_solved"] += 1
                    cid, flag = rng.choice(ids), adapter.wrong_flag(rng)
            else:
                if not unsolved:  # team solved everything: platforms usually answer "already solved"
                    extra["wrong_on_solved_challenge"] += 1
                cid, flag = rng.choice(unsolved or ids), adapter.wrong_flag(rng)
            st, ok = await rec.timed("submit", adapter.submit, client, cid, flag)
            if ok and st in ("correct", "already_solved"):
                solved.add(cid)
            if loop % args.scoreboard_every == 0:
                await rec.timed("scoreboard", adapter.scoreboard, client)
            if args.think_ms:
                await asyncio.sleep(args.think_ms / 1000.0)

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    try:
        await asyncio.wait_for(
            asyncio.gather(*(player(c, u, random.Random(rng_master.random()))
                             for c, u in zip(clients, users))),
            timeout=args.duration + args.timeout + 10)
    finally:
        elapsed = time.perf_counter() - t_start
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)

    sub = rec.status.get("submit", {})
    n_sub = sum(sub.values())
    accepted = n_sub - sub.get("ratelimited", 0)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return {
        "mode": "players", "platform": adapter.name, "base": adapter.base,
        "auth": getattr(args, "ctfd_auth", None) if adapter.name == "ctfd" else "token",
        "users": len(users),
        "source_ips": len(set(args.src_ips[i % len(args.src_ips)] for i in range(len(users)))),
        "teams": len({u.get("team_id") for u in users}),
        "duration_s": round(elapsed, 2), "login_setup_s": round(setup_s, 2),
        "submissions": {
            "count": n_sub, "per_s": round(n_sub / elapsed, 1),
            "accepted_per_s": round(accepted / elapsed, 1),  # excludes rate-limited answers
            "by_status": sub,
            "latency_ms": lat_summary(rec.lat.get("submit", [])),
        },
        "challenge_list": {"count": len(rec.lat.get("challenges", [])),
                           "latency_ms": lat_summary(rec.lat.get("challenges", []))},
        "scoreboard": {"count": len(rec.lat.get("scoreboard", [])),
                       "latency_ms": lat_summary(rec.lat.get("scoreboard", []))},
        "requests_per_s": round(sum(len(v) for k, v in rec.lat.items() if k != "login") / elapsed, 1),
        "loops": extra["loops"],
        "right_wanted_but_all_solved": extra["right_wanted_but_all_solved"],
        "wrong_on_solved_challenge": extra["wrong_on_solved_challenge"],
        "errors": {"count": rec.n_errors(), "by_kind": rec.errors, "samples": rec.samples},
        "logins": len(rec.lat.get("login", [])),
        "client_cpu_s": round(cpu, 2), "client_cpu_pct_of_one_core": round(100 * cpu / elapsed, 1),
    }


async def run_observers(adapter, args):
    rec = Recorder()
    eps = adapter.observer_endpoints()
    clients = [adapter.new_client(args.timeout, args.src_ips[i % len(args.src_ips)])
               for i in range(args.clients)]
    t_start = time.perf_counter()
    deadline = t_start + args.duration

    async def observer(client, offset):
        i = offset
        while time.perf_counter() < deadline:
            label, path = eps[i % len(eps)]
            i += 1
            await rec.timed(label, adapter.get_ok, client, path)

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    try:
        await asyncio.wait_for(asyncio.gather(*(observer(c, k) for k, c in enumerate(clients))),
                               timeout=args.duration + args.timeout + 10)
    finally:
        elapsed = time.perf_counter() - t_start
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    n = sum(len(v) for v in rec.lat.values())
    out = {"mode": "observers", "platform": adapter.name, "base": adapter.base,
           "clients": args.clients, "duration_s": round(elapsed, 2),
           "requests": n, "requests_per_s": round(n / elapsed, 1),
           "all_latency_ms": lat_summary([x for v in rec.lat.values() for x in v]),
           "endpoints": {}}
    for label, path in eps:
        v = rec.lat.get(label, [])
        out["endpoints"][label] = {"path": path, "count": len(v), "per_s": round(len(v) / elapsed, 1),
                                   "latency_ms": lat_summary(v)}
    out["errors"] = {"count": rec.n_errors(), "by_kind": rec.errors, "samples": rec.samples}
    out["client_cpu_s"] = round(cpu, 2)
    out["client_cpu_pct_of_one_core"] = round(100 * cpu / elapsed, 1)
    return out


async def run_probe(adapter, args):
    rec = Recorder()
    out = {"mode": "probe", "platform": adapter.name, "base": adapter.base,
           "count": args.count, "cold": args.probe_cold, "endpoints": {}}
    async with adapter.new_client(args.timeout, args.src_ips[0]) as client:
        t_end = time.perf_counter() + MAX_DURATION_S  # bounded whatever --count says
        for label, path in adapter.probe_endpoints():
            for _ in range(args.count):
                if time.perf_counter() > t_end:
                    break
                if args.probe_cold:
                    try:
                        await adapter.invalidate_scoreboard(client)
                    except (httpx.HTTPError, AdapterError) as e:
                        rec.err("invalidate", e)
                await rec.timed(label, adapter.get_ok, client, path)
                await asyncio.sleep(args.probe_gap_ms / 1000.0)
            v = rec.lat.get(label, [])
            s = lat_summary(v)
            out["endpoints"][label] = {"path": path, "median_ms": s.get("p50"), "min_ms": s.get("min"),
                                       "max_ms": s.get("max"), "n": s.get("n")}
    out["errors"] = {"count": rec.n_errors(), "by_kind": rec.errors, "samples": rec.samples}
    return out


# --------------------------------------------------------------------------- live

LIVE_WORKER = "_live-worker"  # internal mode: one observer process, driven by run_live


def parse_at(v):
    """An event time: ISO 8601 (with or without zone; naive = UTC) or epoch seconds/ms
    (number or numeric string) -> epoch seconds, or None."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        x = float(v)
    else:
        s = str(v).strip()
        try:
            x = float(s)
        except ValueError:
            if s[-1:] in ("Z", "z"):
                s = s[:-1] + "+00:00"
            try:
                d = datetime.datetime.fromisoformat(s)
            except ValueError:
                return None
            if d.tzinfo is None:
                d = d.replace(tzinfo=datetime.timezone.utc)
            return d.timestamp()
    return x / 1000.0 if x > 1e11 else x


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proc_status_kb(field, pid="self"):
    """VmRSS / VmHWM of a process in KiB from /proc (Linux), or None. (ru_maxrss is no
    use in a child: Linux keeps the parent's high-water mark across exec.)"""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def proc_cpu_s(pid):
    """utime+stime of another process (e.g. the server) from /proc/PID/stat, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def live_worker(spec):
    """K Socket.IO clients in this process. Protocol with run_live: spec JSON on stdin's
    first line; prints {"ready": ...} once every connect attempt is over; runs until
    a line (or EOF) on stdin; disconnects; prints its result JSON; exits.
    spec["client"]: "socketio" = python-socketio AsyncClient (default); "raw" = a minimal
    Engine.IO 4 / Socket.IO 5 websocket client on aiohttp (same wire protocol, no
    per-message task or timer: about a third of the CPU per event)."""
    try:
        import aiohttp
        if spec["client"] == "socketio":
            import socketio
    except ImportError as e:
        print(json.dumps({"fatal": f"live mode needs python-socketio[asyncio_client]: {e}"}), flush=True)
        return
    raise_nofile()
    loop = asyncio.get_running_loop()
    ns, path = spec["namespace"], spec["socketio_path"].strip("/")
    t_base, src = spec["t_base"], spec["src_ips"]
    ev_snap, ev_solve, ev_resync = spec["snapshot_event"], spec["solve_event"], spec["resync_event"]
    stopping = False
    st = {"connected": 0, "connect_failures": 0, "connect_errors": {}, "error_samples": [],
          "disconnects": 0, "events": collections.Counter(), "seq_gaps": 0, "seq_dup_or_old": 0,
          "resyncs": 0, "snapshots": 0, "snapshot_bytes": None, "bad_events": 0}
    connect_ms, snapshot_ms, lag = [], [], []
    recv, at_of = {}, {}   # "team_id|challenge" -> [receive time - t_base], event `at` (epoch)

    def fail(kind, msg):
        st["connect_failures"] += 1
        st["connect_errors"][kind] = st["connect_errors"].get(kind, 0) + 1
        if len(st["error_samples"]) < 8:
            st["error_samples"].append(msg[:200])

    def make_handlers(c):
        """Per-client callbacks; c["resync"]() asks the server for a fresh snapshot."""
        def track(seq):
            """False for a duplicate/old event. On a gap, asks for a fresh snapshot."""
            if not isinstance(seq, int) or isinstance(seq, bool):
                return True
            last = c["last"]
            if last is not None:
                if seq <= last:
                    st["seq_dup_or_old"] += 1
                    return False
                if seq != last + 1:
                    st["seq_gaps"] += 1
                    if spec["resync"] and not stopping:
                        st["resyncs"] += 1
                        c["resync"]()
            c["last"] = seq
            return True

        def on_snapshot(*a):
            now = time.time()
            st["snapshots"] += 1
            d = a[0] if a else None
            if isinstance(d, dict) and isinstance(d.get("seq"), int):
                c["last"] = d["seq"] if c["last"] is None else max(c["last"], d["seq"])
            if not c["snap"]:
                c["snap"] = True
                if c["t0"] is not None:
                    snapshot_ms.append((now - c["t0"]) * 1000.0)
                if st["snapshot_bytes"] is None:
                    st["snapshot_bytes"] = len(json.dumps(d, separators=(",", ":")))

        def on_solve(*a):
            now = time.time()
            d = a[0] if a else None
            if not isinstance(d, dict):
                st["bad_events"] += 1
                return
            if not track(d.get("seq")):
                return
            st["events"]["solve"] += 1
            ch = d.get("challenge")
            if isinstance(ch, dict):
                ch = ch.get("id", ch.get("name"))
            key = f"{d.get('team_id')}|{ch}"
            lst = recv.get(key)
            if lst is None:
                lst = recv[key] = []
                at_of[key] = parse_at(d.get("at"))
            lst.append(round(now - t_base, 5))

        def on_any(event, *a):
            st["events"][event] += 1
            d = a[0] if a else None
            if isinstance(d, dict):
                track(d.get("seq"))

        def on_disconnect(*a):
            if not stopping:
                st["disconnects"] += 1
                if len(st["error_samples"]) < 8:
                    st["error_samples"].append(f"disconnect: {a[0] if a else ''}")
        return on_snapshot, on_solve, on_any, on_disconnect

    # ---- client 1: python-socketio AsyncClient
    class SioClient:
        def __init__(self, i):
            kw = dict(reconnection=False, logger=False, engineio_logger=False, handle_sigint=False,
                      request_timeout=spec["connect_timeout"])
            ip = src[i % len(src)] if src else None
            if ip:
                kw["http_session"] = lambda: aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(local_addr=(ip, 0), limit=0))
            self.sio = sio = socketio.AsyncClient(**kw)
            self.c = {"last": None, "t0": None, "snap": False,
                      "resync": lambda: asyncio.ensure_future(sio.emit(ev_resync, namespace=ns))}
            on_snapshot, on_solve, on_any, on_disconnect = make_handlers(self.c)
            sio.on(ev_snap, on_snapshot, namespace=ns)
            sio.on(ev_solve, on_solve, namespace=ns)
            sio.on("*", on_any, namespace=ns)
            sio.on("disconnect", on_disconnect, namespace=ns)

        async def connect(self):
            await self.sio.connect(spec["url"], namespaces=[ns], transports=["websocket"],
                                   socketio_path=path, wait_timeout=spec["connect_timeout"])

        @property
        def connected(self):
            return self.sio.connected

        async def disconnect(self):
            await self.sio.disconnect()

    # ---- client 2: the same wire protocol by hand (Engine.IO 4 + Socket.IO 5, text frames)
    sessions = {}
    u = urllib.parse.urlsplit(spec["url"])
    ws_url = urllib.parse.urlunsplit(("wss" if u.scheme == "https" else "ws", u.netloc,
                                      f"/{path}/", "EIO=4&transport=websocket", ""))
    nsp = "" if ns == "/" else ns + ","     # namespace prefix inside Socket.IO packets
    p_event, p_connect, p_error, p_disc = "42" + nsp, "40" + nsp, "44" + nsp, "41" + nsp
    TEXT, loads = aiohttp.WSMsgType.TEXT, json.loads

    class RawClient:
        def __init__(self, i):
            ip = src[i % len(src)] if src else None
            if ip not in sessions:
                sessions[ip] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(
                    limit=0, local_addr=(ip, 0) if ip else None))
            self.http, self.ws, self.task, self.connected = sessions[ip], None, None, False
            self.c = {"last": None, "t0": None, "snap": False, "resync": self._resync}
            self.on_snapshot, self.on_solve, self.on_any, self.on_disconnect = make_handlers(self.c)

        def _resync(self):
            if self.ws is not None and not self.ws.closed:
                asyncio.ensure_future(self.ws.send_str(p_event + json.dumps([ev_resync])))

        def _dispatch(self, data):
            """One text frame. True while the namespace stays connected."""
            if data.startswith(p_event):
                body = data[len(p_event):]
                if body[:1].isdigit():  # an ack id precedes the payload
                    body = body.lstrip("0123456789")
                try:
                    ev = loads(body)
                    name = ev[0]
                except (ValueError, IndexError, TypeError):
                    st["bad_events"] += 1
                    return True
                if name == ev_solve:
                    self.on_solve(*ev[1:])
                elif name == ev_snap:
                    self.on_snapshot(*ev[1:])
                else:
                    self.on_any(name, *ev[1:])
            elif data == "2":
                asyncio.ensure_future(self.ws.send_str("3"))  # Engine.IO ping -> pong
            elif data.startswith(p_disc) or data == "1":
                return False
            return True

        async def connect(self):
            t = spec["connect_timeout"]
            self.ws = ws = await self.http.ws_connect(ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=5),
                                                      max_msg_size=0, autoping=True)
            m = await asyncio.wait_for(ws.receive(), t)
            if m.type != TEXT or not m.data.startswith("0"):
                raise ConnectionError(f"no Engine.IO OPEN packet: {str(m.data)[:80]}")
            await ws.send_str(p_connect)
            deadline = time.time() + t
            while True:
                m = await asyncio.wait_for(ws.receive(), max(0.01, deadline - time.time()))
                if m.type != TEXT:
                    raise ConnectionError(f"closed during namespace connect ({m.type})")
                if m.data.startswith(p_connect):
                    break
                if m.data.startswith(p_error):
                    raise ConnectionError(f"namespace refused: {m.data[len(p_error):][:120]}")
                self._dispatch(m.data)   # an event sent before the ack
            self.connected = True
            self.task = asyncio.ensure_future(self._read())

        async def _read(self):
            ws, dispatch, reason = self.ws, self._dispatch, "server closed"
            try:
                async for m in ws:
                    if m.type == TEXT:
                        if not dispatch(m.data):
                            reason = "namespace or engine closed by server"
                            break
                    elif m.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                        reason = f"websocket {m.type.name}"
                        break
            except Exception as e:  # noqa: BLE001
                reason = f"{type(e).__name__}: {e}"
            self.connected = False
            self.on_disconnect(reason)

        async def disconnect(self):
            if self.ws is not None and not self.ws.closed:
                try:
                    await self.ws.send_str(p_disc)
                except Exception:  # noqa: BLE001
                    pass
                await self.ws.close()
            if self.task:
                self.task.cancel()

    Client = RawClient if spec["client"] == "raw" else SioClient
    sem = asyncio.Semaphore(spec["connect_concurrency"])
    ramp_deadline = time.time() + spec["ramp_timeout"]

    async def connect_one(i):
        async with sem:
            if time.time() > ramp_deadline:
                fail("ramp timeout", "not attempted before --ramp-timeout")
                return None
            cl = Client(i)
            cl.c["t0"] = time.time()
            try:
                await asyncio.wait_for(cl.connect(), spec["connect_timeout"] + 5)
            except Exception as e:  # noqa: BLE001 - every failure is counted, none is fatal
                fail(type(e).__name__, f"{type(e).__name__}: {e}")
                try:
                    await cl.disconnect()
                except Exception:  # noqa: BLE001
                    pass
                return None
            connect_ms.append((time.time() - cl.c["t0"]) * 1000.0)
            st["connected"] += 1
            return cl

    async def lag_monitor():
        while True:
            t = loop.time()
            await asyncio.sleep(0.1)
            lag.append(max(0.0, loop.time() - t - 0.1))

    cpu0, rss0 = cpu_s(), proc_status_kb("VmRSS")
    clients = [x for x in await asyncio.gather(*(connect_one(i + spec["offset"])
                                                  for i in range(spec["clients"]))) if x]
    await asyncio.sleep(0.5)  # let the last snapshots in
    cpu_ready, t_ready = cpu_s(), time.time()
    lag_task = asyncio.ensure_future(lag_monitor())
    print(json.dumps({"ready": st["connected"], "failed": st["connect_failures"]}), flush=True)
    stop = loop.create_future()

    def wait_stdin():  # a daemon thread: never holds up the interpreter's exit
        sys.stdin.readline()
        loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))
    threading.Thread(target=wait_stdin, daemon=True).start()
    try:
        await asyncio.wait_for(stop, spec["max_life"])
    except asyncio.TimeoutError:
        pass
    cpu_stop, t_stop, rss1 = cpu_s(), time.time(), proc_status_kb("VmRSS")
    lag_task.cancel()
    stopping = True
    still = sum(1 for x in clients if x.connected)
    try:
        await asyncio.wait_for(asyncio.gather(*(x.disconnect() for x in clients),
                                              return_exceptions=True), 30)
    except asyncio.TimeoutError:
        pass
    for sess in sessions.values():
        await sess.close()
    out = dict(st, events=dict(st["events"]), worker=spec["worker"], clients=spec["clients"],
               loop=spec.get("loop"), client=spec["client"],
               connected_at_end=still, connect_ms=[round(x, 2) for x in connect_ms],
               snapshot_ms=[round(x, 2) for x in snapshot_ms],
               cpu_connect_s=round(cpu_ready - cpu0, 3), cpu_steady_s=round(cpu_stop - cpu_ready, 3),
               steady_wall_s=round(t_stop - t_ready, 3),
               rss_start_kb=rss0, rss_kb=rss1, hwm_kb=proc_status_kb("VmHWM"),
               loop_lag_ms=lat_summary(lag), recv=recv, at=at_of)
    sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def live_worker_main():
    spec = json.loads(sys.stdin.readline())
    run, spec["loop"] = asyncio.run, "asyncio"
    if spec.get("uvloop"):
        try:
            import uvloop  # about half the per-event CPU of the default loop
            run, spec["loop"] = uvloop.run, "uvloop"
        except (ImportError, AttributeError):
            pass
    run(live_worker(spec))
    sys.stdout.flush()
    os._exit(0)


async def run_live(adapter, args):
    try:
        ep = adapter.live_endpoint()
    except NotImplementedError as e:
        sys.exit(f"live mode: {e}")
    try:  # fail here, not in K worker processes
        import aiohttp  # noqa: F401
        if args.client == "socketio":
            import socketio  # noqa: F401
    except ImportError as e:
        sys.exit(f"live mode needs `pip install \"python-socketio[asyncio_client]\"`: {e}")
    raise_nofile()
    rec = Recorder()
    # one player per team (solve events are per team), spread over source addresses
    seen, teams = set(), []
    for u in adapter.submitters():
        if u.get("team_id") not in seen:
            seen.add(u.get("team_id"))
            teams.append(u)
    teams = teams[: args.teams] if args.teams else teams
    pclients = []
    for i, u in enumerate(teams):
        c = adapter.new_client(args.timeout, args.src_ips[i % len(args.src_ips)])
        adapter.apply_credential(c, await adapter.login(c, u))
        pclients.append(c)
    await adapter.prepare(pclients[0])
    sem = asyncio.Semaphore(16)

    async def solved_of(c):
        async with sem:
            return await adapter.list_challenges(c)
    try:
        lists = await asyncio.gather(*(solved_of(c) for c in pclients))
    except (httpx.HTTPError, AdapterError, ValueError, KeyError) as e:
        sys.exit(f"live: listing challenges failed: {type(e).__name__}: {e}")
    chal_ids = lists[0][0]
    # challenge-major order: consecutive solves go to different teams (per-team rate limits)
    pairs = collections.deque((ti, cid) for cid in chal_ids for ti in range(len(teams))
                              if cid not in lists[ti][1])
    planned = int(args.rate * args.duration)

    # observers: K clients over P worker processes
    procs_n = max(1, min(args.procs, args.clients))
    sizes = [args.clients // procs_n + (1 if w < args.clients % procs_n else 0) for w in range(procs_n)]
    t_base = time.time()
    live_src = args.live_src_ips
    workers, offset = [], 0
    t_conn0 = time.perf_counter()
    for w, k in enumerate(sizes):
        spec = dict(ep, worker=w, clients=k, offset=offset, t_base=t_base, src_ips=live_src,
                    connect_timeout=args.connect_timeout, ramp_timeout=args.ramp_timeout,
                    connect_concurrency=args.connect_concurrency, resync=not args.no_resync,
                    uvloop=not args.no_uvloop, client=args.client,
                    max_life=args.ramp_timeout + args.duration + args.drain + 120)
        offset += k
        p = await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), LIVE_WORKER,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 30)
        p.stdin.write((json.dumps(spec) + "\n").encode())
        await p.stdin.drain()
        workers.append(p)

    async def stop_all(kill=False):
        for p in workers:
            if p.returncode is None:
                if kill:
                    p.kill()
                else:
                    try:
                        p.stdin.write(b"stop\n")
                        await p.stdin.drain()
                        p.stdin.close()
                    except (BrokenPipeError, ConnectionResetError):
                        pass

    ready = []
    try:
        for p in workers:
            line = await asyncio.wait_for(p.stdout.readline(), args.ramp_timeout + 60)
            ready.append(json.loads(line or b'{"fatal": "worker exited"}'))
    except (asyncio.TimeoutError, ValueError) as e:
        await stop_all(kill=True)
        sys.exit(f"live: a worker did not report after connecting: {e!r}")
    fatal = [r["fatal"] for r in ready if "fatal" in r]
    if fatal:
        await stop_all(kill=True)
        sys.exit(f"live: {fatal[0]}")
    connect_phase_s = time.perf_counter() - t_conn0
    connected = sum(r["ready"] for r in ready)
    if connected == 0:
        await stop_all()
        samples = []
        for p in workers:
            try:
                r = json.loads((await asyncio.wait_for(p.stdout.read(), 60)).decode().splitlines()[-1])
                samples += r.get("error_samples", [])
            except (asyncio.TimeoutError, ValueError, IndexError):
                p.kill()
        sys.exit(f"live: no observer could connect to {ep['url']} namespace {ep['namespace']}: "
                 f"{samples[:3]}")
    print(f"live: {connected}/{args.clients} observers connected in {connect_phase_s:.1f} s; "
          f"submitting {args.rate}/s correct answers for {args.duration:.0f} s", file=sys.stderr)

    # player load: correct answers at a fixed rate (open loop, bounded in-flight)
    submits = {}      # "team_id|challenge key" -> client-side send time (epoch)
    extra = {"skipped_inflight_cap": 0, "requeued_ratelimited": 0, "exhausted": False}
    inflight = set()

    async def submit_one(ti, cid):
        t_send, p0 = time.time(), time.perf_counter()
        try:
            res = await adapter.submit(pclients[ti], cid, adapter.correct_flag(cid))
        except (httpx.HTTPError, AdapterError, ValueError, KeyError) as e:
            rec.err("submit", e)
            return
        rec.ok("submit", time.perf_counter() - p0, res)
        if res == "correct":
            for k in adapter.challenge_keys(cid):
                submits[f"{teams[ti].get('team_id')}|{k}"] = t_send
        elif res == "ratelimited":
            extra["requeued_ratelimited"] += 1
            pairs.append((ti, cid))

    server_cpu0 = {pid: proc_cpu_s(pid) for pid in args.server_pid or []}
    cpu0 = cpu_s()
    t0 = time.perf_counter()
    deadline = t0 + args.duration
    i = 0
    while True:
        target = t0 + i / args.rate
        if target >= deadline:
            break
        if target > time.perf_counter():
            await asyncio.sleep(target - time.perf_counter())
        i += 1
        if not pairs:
            if not inflight:
                extra["exhausted"] = True
                break
            continue
        if len(inflight) >= args.max_inflight:
            extra["skipped_inflight_cap"] += 1
            continue
        task = asyncio.ensure_future(submit_one(*pairs.popleft()))
        inflight.add(task)
        task.add_done_callback(inflight.discard)
    if inflight:
        await asyncio.wait(list(inflight), timeout=args.timeout + 5)
    load_s = time.perf_counter() - t0
    await asyncio.sleep(args.drain)  # late events
    cpu_coord = cpu_s() - cpu0
    await stop_all()
    results = []
    for p in workers:
        try:
            data = await asyncio.wait_for(p.stdout.read(), 90)
            await asyncio.wait_for(p.wait(), 30)
            results.append(json.loads(data.decode().strip().splitlines()[-1]))
        except (asyncio.TimeoutError, ValueError, IndexError) as e:
            if p.returncode is None:
                p.kill()
            results.append({"lost": repr(e)})
    await asyncio.gather(*(c.aclose() for c in pclients), return_exceptions=True)

    # latencies over every (client, event)
    lat_at, lat_sub = [], []
    matched = unmatched = 0
    at_subsecond = False
    for r in (x for x in results if "recv" in x):
        for key, lst in r["recv"].items():
            at = r["at"].get(key)
            ts = submits.get(key)
            if at is not None and at != int(at):
                at_subsecond = True
            for v in lst:
                t = t_base + v
                if at is not None:
                    lat_at.append(t - at)
                if ts is not None:
                    lat_sub.append(t - ts)
                    matched += 1
                else:
                    unmatched += 1
    ok = [r for r in results if "recv" in r]
    n_correct = rec.status.get("submit", {}).get("correct", 0)
    events = collections.Counter()
    for r in ok:
        events.update(r["events"])
    n_events = sum(events.values())
    cpu_workers = sum(r["cpu_steady_s"] for r in ok)
    steady = max([r["steady_wall_s"] for r in ok] or [load_s])
    worker_pct = [round(100 * r["cpu_steady_s"] / max(r["steady_wall_s"], 1e-9), 1) for r in ok]
    lag_p99 = max([r["loop_lag_ms"].get("p99", 0) or 0 for r in ok] or [0])
    saturated = [f"worker {r['worker']} at {p}% of a core" for r, p in zip(ok, worker_pct) if p > 85]
    if lag_p99 > 50:
        saturated.append(f"event-loop lag p99 {lag_p99} ms")
    if 100 * cpu_coord / max(load_s, 1e-9) > 85:
        saturated.append("player-load process above 85% of a core")
    conn_total = sum(r["connected"] for r in ok)
    sub = rec.status.get("submit", {})
    notes = []
    if extra["exhausted"]:
        notes.append("every team x challenge pair was solved before --duration ended: "
                     "use more teams/challenges or a fresh fixture")
    if n_correct < 0.9 * args.rate * load_s:
        notes.append(f"correct solves {n_correct / max(load_s, 1e-9):.1f}/s below --rate {args.rate} "
                     "(rate limits, errors, in-flight cap or exhausted pairs)")
    if saturated:
        notes.append("load generator saturated (" + "; ".join(saturated) + "): latencies include "
                     "client-side queueing; add --procs or lower --clients/--rate")
    for n in notes:
        print("live: note: " + n, file=sys.stderr)
    rss = sum(r["rss_kb"] or 0 for r in ok)
    rss_clients = sum((r["rss_kb"] or 0) - (r["rss_start_kb"] or 0) for r in ok)
    server = {}
    for pid, c0 in server_cpu0.items():
        c1 = proc_cpu_s(pid)
        if c0 is not None and c1 is not None:
            server[str(pid)] = {"cpu_s": round(c1 - c0, 2),
                                "cpu_pct_of_one_core": round(100 * (c1 - c0) / max(load_s + args.drain, 1e-9), 1),
                                "rss_mb": round((proc_status_kb("VmRSS", pid) or 0) / 1024, 1)}
    return {
        "mode": "live", "platform": adapter.name, "base": adapter.base,
        "namespace": ep["namespace"], "clients": args.clients, "procs": procs_n,
        "observer_client": args.client, "observer_loop": sorted({r.get("loop") or "?" for r in ok}),
        "connected": conn_total, "connect_failures": sum(r["connect_failures"] for r in ok),
        "connect_errors": {k: sum(r["connect_errors"].get(k, 0) for r in ok)
                           for k in {k for r in ok for k in r["connect_errors"]}},
        "connect_phase_s": round(connect_phase_s, 2),
        "connect_ms": lat_summary([x / 1000.0 for r in ok for x in r["connect_ms"]]),
        "connect_to_snapshot_ms": lat_summary([x / 1000.0 for r in ok for x in r["snapshot_ms"]]),
        "snapshot_bytes": next((r["snapshot_bytes"] for r in ok if r["snapshot_bytes"]), None),
        "disconnects": sum(r["disconnects"] for r in ok),
        "connected_at_end": sum(r["connected_at_end"] for r in ok),
        "lost_workers": [r["lost"] for r in results if "lost" in r],
        "load": {"rate_per_s": args.rate, "duration_s": round(load_s, 2), "teams": len(teams),
                 "planned": planned, "submitted": sum(sub.values()), "by_status": sub,
                 "correct_per_s": round(n_correct / load_s, 2),
                 "submit_latency_ms": lat_summary(rec.lat.get("submit", [])),
                 "errors": {"count": rec.n_errors(), "by_kind": rec.errors, "samples": rec.samples},
                 **extra},
        "events": dict(events), "seq_gaps": sum(r["seq_gaps"] for r in ok),
        "seq_dup_or_old": sum(r["seq_dup_or_old"] for r in ok), "resyncs": sum(r["resyncs"] for r in ok),
        "solve_events": {"expected": n_correct * conn_total, "matched_to_submit": matched,
                         "not_from_this_run": unmatched,
                         "delivery_ratio": round(matched / (n_correct * conn_total), 4)
                         if n_correct and conn_total else None},
        "latency_from_at_ms": lat_summary(lat_at),
        "at_has_subsecond": at_subsecond,
        "latency_from_submit_ms": lat_summary(lat_sub),
        "loadgen": {"player_cpu_s": round(cpu_coord, 2),
                    "player_cpu_pct_of_one_core": round(100 * cpu_coord / max(load_s, 1e-9), 1),
                    "observer_cpu_steady_s": round(cpu_workers, 2),
                    "observer_cpu_connect_s": round(sum(r["cpu_connect_s"] for r in ok), 2),
                    "observer_cpu_pct_of_one_core_per_worker": worker_pct,
                    "observer_cpu_ms_per_1000_events": round(1e6 * cpu_workers / n_events, 1)
                    if n_events else None,
                    "events_received": n_events, "events_per_s": round(n_events / max(steady, 1e-9), 1),
                    "loop_lag_ms_p99_worst": lag_p99,
                    "observer_rss_mb": round(rss / 1024, 1),
                    "observer_rss_kb_per_client": round(rss_clients / conn_total, 1) if conn_total else None,
                    "saturated": saturated or None},
        "server_processes": server or None,   # --server-pid: CPU over load + drain
        "worker_errors": [s for r in ok for s in r["error_samples"]][:8],
        "notes": notes,
    }


# --------------------------------------------------------------------------- make-fixture

COUNTRIES = ["US", "DE", "FR", "GB", "CN", "RU", "JP", "KR", "IN", "BR", "CA", "AU", "IT", "ES",
             "NL", "SE", "PL", "UA", "KZ", "SG", "FI", "NO", "EE", "CZ", "CH"]

# Runs `flask --app app ...` command lines one after another inside ONE interpreter (the
# project's python): the same click entry point as `python -m flask`, without paying the
# app's import time once per team. Reads a JSON list of argv lists on stdin, prints one
# JSON result per command, stops at the first failure.
_BATCH_CLI = r"""
import contextlib, io, json, sys, traceback
import click
from flask.cli import cli
real_out = sys.stdout
for argv in json.load(sys.stdin):
    out, err, code = io.StringIO(), io.StringIO(), 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rv = cli.main(args=["--app", "app"] + argv, prog_name="flask", standalone_mode=False)
        code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except click.exceptions.Exit as e:
        code = e.exit_code
    except click.ClickException as e:
        e.show(file=err); code = e.exit_code
    except click.Abort:
        err.write("Aborted!\n"); code = 1
    except Exception:
        traceback.print_exc(file=err); code = 1
    real_out.write("@@loadgen-result@@ " + json.dumps({"argv": argv, "code": code,
                   "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
    real_out.flush()
    if code:
        break
"""


def _json_from_output(text):
    """The JSON object a CLI command printed (alone, or as one line among log lines)."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    if "{" in text:
        try:
            return json.loads(text[text.index("{"): text.rindex("}") + 1])
        except ValueError:
            pass
    raise ValueError(f"no JSON object in command output: {text[:300]!r}")


class DrillboardCLI:
    """`flask --app app drill ...` in the project folder, environment passed through."""

    def __init__(self, project, python, env, per_command, timeout):
        self.project, self.python, self.env = project, python, env
        self.per_command, self.timeout = per_command, timeout
        self.prefix = [python, "-m", "flask"] if python else [shutil.which("flask") or "flask"]

    def _fail(self, argv, code, out, err):
        shown = " ".join(["flask --app app"] + [str(a) for a in argv])
        hint = ("\n(team names must be new: use a fresh database or another --team-prefix)"
                if "create-team" in argv else "")
        sys.exit(f"make-fixture: `{shown}` failed (exit {code}) in {self.project}\n"
                 f"--- stdout\n{out.strip()[-3000:]}\n--- stderr\n{err.strip()[-3000:]}{hint}")

    def run_many(self, argvs):
        """Run command lines in order; returns their stdouts. Exits on the first failure."""
        if not argvs:
            return []
        if self.per_command or not self.python:
            outs = []
            for argv in argvs:
                try:
                    r = subprocess.run(self.prefix + ["--app", "app"] + argv, cwd=self.project,
                                       env=self.env, capture_output=True, text=True,
                                       timeout=self.timeout)
                except subprocess.TimeoutExpired:
                    self._fail(argv, "timeout", "", f"no answer in {self.timeout} s")
                if r.returncode != 0:
                    self._fail(argv, r.returncode, r.stdout, r.stderr)
                outs.append(r.stdout)
            return outs
        try:
            r = subprocess.run([self.python, "-c", _BATCH_CLI], cwd=self.project, env=self.env,
                               input=json.dumps(argvs), capture_output=True, text=True,
                               timeout=self.timeout + 2 * len(argvs))
        except subprocess.TimeoutExpired:
            sys.exit("make-fixture: the batched CLI run did not finish in time (try --per-command)")
        mark = "@@loadgen-result@@ "  # other lines may be the app's own logging
        results = [json.loads(line[len(mark):]) for line in r.stdout.splitlines() if line.startswith(mark)]
        for res in results:
            if res["code"] != 0:
                self._fail(res["argv"], res["code"], res["stdout"], res["stderr"])
        if len(results) != len(argvs):
            sys.exit(f"make-fixture: batched CLI stopped after {len(results)}/{len(argvs)} commands "
                     f"(exit {r.returncode}); stderr:\n{r.stderr.strip()[-3000:]}\n(try --per-command)")
        return [res["stdout"] for res in results]


def write_pack(folder, n, prefix, rng):
    """M standard challenges (values 100..500), one static flag each, ctfcli challenge.yml
    format, one folder per challenge under a category folder. Returns {name: flag}."""
    flags = {}
    for i in range(1, n + 1):
        name = f"{prefix}-{i:03d}"
        flag = "flag{%s-%012x}" % (name, rng.getrandbits(48))
        d = os.path.join(folder, "bench", name)
        os.makedirs(d)
        q = json.dumps  # a JSON string is a valid YAML double-quoted scalar
        with open(os.path.join(d, "challenge.yml"), "w") as f:
            f.write(f"name: {q(name)}\n"
                    f"author: {q('loadgen')}\n"
                    f"category: {q('bench')}\n"
                    f"description: {q(f'Generated load-test challenge {i} of {n}.')}\n"
                    f"value: {100 * (1 + (i - 1) % 5)}\n"
                    f"type: standard\n"
                    f"flags:\n"
                    f"  - type: static\n"
                    f"    content: {q(flag)}\n"
                    f"state: visible\n"
                    f"version: \"0.1\"\n")
        flags[name] = flag
    return flags


def make_fixture(args):
    if args.platform != "drillboard":
        sys.exit("make-fixture: only --platform drillboard (seed CTFd with its own tooling)")
    require_loopback(args.base)
    project = os.path.abspath(args.project)
    if not os.path.isdir(project):
        sys.exit(f"make-fixture: --project {project} is not a folder")
    python = args.python
    if python is None:
        for cand in (".venv/bin/python", "venv/bin/python"):
            if os.path.exists(os.path.join(project, cand)):
                python = os.path.join(project, cand)
                break
    if python is None and not shutil.which("flask"):
        sys.exit("make-fixture: no `flask` on PATH and no --python (the project's venv python)")
    env = dict(os.environ)
    if args.database_url:
        env["DRILLBOARD_DATABASE_URL"] = args.database_url
    cli = DrillboardCLI(project, python, env, args.per_command, args.cli_timeout)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="loadgen-pack-")
    pack_dir = os.path.join(tmp, args.pack_id)  # no pack.yml: the pack id is the folder name
    try:
        flags = write_pack(pack_dir, args.challenges, args.challenge_prefix, rng)
        pre = ([["drill", "init-db"]] if not args.no_init_db else []) + \
              [["drill", "load-pack", pack_dir]]
        cli.run_many(pre)
        t_pack = time.perf_counter() - t0
        names = [f"{args.team_prefix}-{i:04d}" for i in range(1, args.teams + 1)]
        countries = [COUNTRIES[i % len(COUNTRIES)] for i in range(args.teams)]
        outs = cli.run_many([["drill", "create-team", n, "--country", c]
                             for n, c in zip(names, countries)])
    finally:
        if args.keep_pack:
            print(f"make-fixture: pack kept in {pack_dir}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    teams = []
    for name, cc, out in zip(names, countries, outs):
        try:
            t = _json_from_output(out)
            teams.append({"id": t["id"], "name": t.get("name", name), "country": cc,
                          "join_code": t.get("join_code"), "token": t["token"]})
        except (ValueError, KeyError, TypeError) as e:
            sys.exit(f"make-fixture: create-team {name}: {e}")
    users = [{"name": t["name"] if args.members == 1 else f"{t['name']}/m{j + 1}",
              "team_id": t["id"], "token": t["token"]}
             for j in range(args.members) for t in teams]
    fixture = {"platform": "drillboard", "base": args.base.rstrip("/"), "flags_key": "name",
               "flags": flags, "teams": teams, "users": users,
               "pack": {"id": args.pack_id, "challenges": args.challenges,
                        "path": pack_dir if args.keep_pack else None},
               "project": project, "database_url": env.get("DRILLBOARD_DATABASE_URL"),
               "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(args.out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    return {"mode": "make-fixture", "platform": "drillboard", "out": args.out,
            "teams": len(teams), "users": len(users), "challenges": len(flags),
            "database_url": env.get("DRILLBOARD_DATABASE_URL"),
            "cli": "batched (one process)" if (python and not args.per_command) else "one process per command",
            "pack_load_s": round(t_pack, 2), "total_s": round(time.perf_counter() - t0, 2)}


MODES = ("players", "observers", "probe", "live", "make-fixture")

MODE_HELP = {
    "players": ("simulated players: list -> submit (80%% wrong) -> scoreboard, for T seconds", """\
N simulated users (--users), spread over as many teams as possible, each looping
for --duration seconds: GET the challenge list -> POST one attempt (--right-ratio
right answers for a challenge its team has not solved, the rest wrong) -> every
--scoreboard-every loops GET the scoreboard. Reports submissions/s, latency
p50/p95/p99 per operation, answers by status (rate-limited ones apart), errors and
the load generator's own CPU.
  CTFd: logs each user in (--ctfd-auth session|token; --cred-cache reuses logins).
  Drillboard: no login; each user sends its team's API token (Bearer) from the fixture.

  loadgen.py players --platform ctfd --fixture env.json --users 50 --duration 30
  loadgen.py players --platform drillboard --fixture db.json --users 50 --duration 30"""),
    "observers": ("anonymous clients polling the scoreboard endpoints as fast as they can", """\
M anonymous HTTP clients (--clients) polling the adapter's scoreboard endpoints
round-robin, back to back, for --duration seconds (CTFd: /api/v1/scoreboard and
/scoreboard/top/10; Drillboard: /api/v1/scoreboard and /api/v1/scoreboard/ctftime).
Reports requests/s and latency per endpoint.

  loadgen.py observers --platform drillboard --fixture db.json --clients 50 --duration 30"""),
    "probe": ("sequential timed GETs of the scoreboard endpoints (median/min/max)", """\
--count sequential GETs per scoreboard endpoint, --probe-gap-ms apart; reports
median/min/max. --probe-cold invalidates the platform's scoreboard cache before each
GET (CTFd: admin PATCH of a challenge, needs admin_token in the fixture; Drillboard:
not supported, its contract has no invalidation endpoint).

  loadgen.py probe --platform drillboard --fixture db.json --count 20"""),
    "live": ("Socket.IO observers on /live: solve-to-client latency under a fixed solve rate", """\
K Socket.IO clients (--clients; python-socketio AsyncClient, websocket transport
only, namespace /live) split over --procs worker processes connect (at most
--connect-concurrency at a time per worker) and stay connected. Once all connect
attempts are over, one player per team submits CORRECT answers at a fixed --rate
(open loop; challenge-major order so consecutive solves hit different teams; 429s
are retried later) for --duration seconds, then --drain seconds for late events.
For every `solve` event every client receives it records
  receive time - event["at"]            (ISO 8601 or epoch s/ms; server clock = ours)
  receive time - client-side submit time (matched by team_id + challenge id or name)
and reports p50/p95/p99/max over all clients and events, connect failures,
disconnects, seq gaps (a gap triggers `resync` unless --no-resync), the snapshot's
size and connect-to-snapshot time, and the load generator's own CPU (player process
and each observer process, CPU ms per 1,000 events received, event-loop lag, RSS per
client), flagging a saturated load generator (then latencies include client-side
queueing). --server-pid PID adds the server's CPU. Solves by anyone else (e.g. a
players run beside it) count in latency_from_at_ms only.

Observer clients: --client socketio (default) is python-socketio's AsyncClient;
--client raw speaks the same Engine.IO 4 / Socket.IO 5 websocket protocol by hand
on aiohttp at ~1/3 of the CPU per event (fewer client-side queueing artefacts at
1,000+ clients). uvloop is used in observer processes when installed.
Needs `pip install "python-socketio[asyncio_client]"` (aiohttp; uvloop optional).
Loopback only; --duration <= 600.

  loadgen.py live --platform drillboard --fixture db.json --clients 1000 --procs 2 \\
                  --rate 5 --duration 30"""),
    "make-fixture": ("seed a Drillboard project through its CLI and write the fixture JSON", """\
Writes a generated pack into a temporary folder (--challenges standard challenges,
values 100..500, one static flag each, ctfcli challenge.yml format, one folder per
challenge, no pack.yml so the pack id is the folder name --pack-id), then runs the
Drillboard CLI in --project:
  flask --app app drill init-db            (unless --no-init-db)
  flask --app app drill load-pack <tmp pack>
  flask --app app drill create-team <prefix>-NNNN --country CC    (--teams times)
and writes the fixture (--out): base URL (--base), flags by challenge name, teams
with id, join_code and token, and one user per team (--members per team) carrying
the team token. Challenge ids are resolved at run time via GET /api/v1/challenges.

With --python (the project's venv python; default: <project>/.venv/bin/python or
<project>/venv/bin/python if present) the commands run as `python -m flask` and,
unless --per-command, all in ONE interpreter (same click entry point, the app's
import paid once instead of once per team); otherwise `flask` from PATH, one
process per command.

Environment: DRILLBOARD_DATABASE_URL (and every other variable) is passed through
to the CLI unchanged, so the fixture matches the database the server will use;
--database-url URL sets it for this run. The fixture records it. Team names must
be new: use a fresh database or another --team-prefix.

  DRILLBOARD_DATABASE_URL=sqlite:////tmp/bench.db loadgen.py make-fixture \\
      --platform drillboard --project ../drillboard --python ../drillboard/.venv/bin/python \\
      --teams 50 --challenges 40 --out db.json --base http://127.0.0.1:5000"""),
}


def _sub(sub, mode):
    short, long = MODE_HELP[mode]
    return sub.add_parser(mode, help=short, description=long,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _run_common(sp, default_platform=None):
    g = sp.add_argument_group("target")
    g.add_argument("--platform", default=default_platform, choices=sorted(ADAPTERS),
                   help="adapter (default: the fixture's \"platform\" key, else ctfd)")
    g.add_argument("--fixture", required=True, help="platform-neutral fixture JSON (see `loadgen.py --help`)")
    g.add_argument("--base", help="override fixture base URL (must be loopback)")
    g.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, s")
    g.add_argument("--source-ips", default="auto",
                   help="client source addresses: auto (127.0.0.2-254 for an IPv4 loopback "
                        "target), none, A-B or A,B,C (loopback only)")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out", help="also write the JSON result here")


def _legacy_options(sp, mode):
    """Options of players/observers/probe. Every one of these modes accepts all of them
    (command lines written for the single-parser version keep parsing); its --help shows
    only those it uses."""
    def grp(owner, title):
        return sp.add_argument_group(title) if owner == mode else sp

    def h(owners, text):
        return text if mode in owners else argparse.SUPPRESS
    g = grp("players", "players")
    g.add_argument("--duration", "-T", type=float, default=30.0,
                   help=h(("players", "observers"), "seconds (default 30, max 600)"))
    g.add_argument("--users", "-N", type=int, default=50, help=h(("players",), "simulated users"))
    g.add_argument("--right-ratio", type=float, default=0.2,
                   help=h(("players",), "share of correct attempts (default 0.2)"))
    g.add_argument("--scoreboard-every", type=int, default=5,
                   help=h(("players",), "GET the scoreboard every Nth loop (default 5)"))
    g.add_argument("--think-ms", type=float, default=0.0, help=h(("players",), "pause after each loop"))
    g.add_argument("--login-concurrency", type=int, default=8, help=h(("players",), "parallel logins"))
    g.add_argument("--cred-cache", help=h(("players",), "JSON file to reuse logins/tokens across runs"))
    g.add_argument("--ctfd-auth", choices=["session", "token"], default="session",
                   help=h(("players",), "CTFd only: browser session + CSRF, or API token"))
    g = grp("observers", "observers")
    g.add_argument("--clients", "-M", type=int, default=50, help=h(("observers",), "polling clients"))
    g = grp("probe", "probe")
    g.add_argument("--count", type=int, default=20, help=h(("probe",), "requests per endpoint"))
    g.add_argument("--probe-cold", action="store_true",
                   help=h(("probe",), "invalidate the scoreboard cache before each GET"))
    g.add_argument("--probe-gap-ms", type=float, default=50.0, help=h(("probe",), "pause between GETs"))


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", metavar="MODE", required=True,
                           help="one of: " + ", ".join(MODES) + " (MODE --help for details)")
    for mode in ("players", "observers", "probe"):
        sp = _sub(sub, mode)
        _run_common(sp)
        _legacy_options(sp, mode)

    sp = _sub(sub, "live")
    _run_common(sp, default_platform=None)
    g = sp.add_argument_group("live")
    g.add_argument("--clients", "-M", type=int, default=200, help="Socket.IO observers in all (default 200)")
    g.add_argument("--procs", type=int, default=1,
                   help="observer worker processes; clients are split evenly (default 1)")
    g.add_argument("--rate", type=float, default=5.0, help="correct submissions per second (default 5)")
    g.add_argument("--duration", "-T", type=float, default=30.0,
                   help="seconds of player load (default 30, max 600)")
    g.add_argument("--drain", type=float, default=3.0, help="seconds to wait for late events (default 3)")
    g.add_argument("--teams", type=int, default=0, help="submit for the first N teams only (default all)")
    g.add_argument("--max-inflight", type=int, default=32,
                   help="submissions in flight at most; a tick past it is skipped and counted")
    g.add_argument("--connect-timeout", type=float, default=20.0, help="per-client connect timeout, s")
    g.add_argument("--connect-concurrency", type=int, default=50,
                   help="connects in progress at once, per worker process (default 50)")
    g.add_argument("--ramp-timeout", type=float, default=120.0,
                   help="clients not connecting within this many seconds count as failures")
    g.add_argument("--no-resync", action="store_true", help="do not emit `resync` on a seq gap")
    g.add_argument("--client", choices=["socketio", "raw"], default="socketio",
                   help="observer implementation: python-socketio AsyncClient (default) or 'raw', "
                        "the same Engine.IO 4/Socket.IO 5 websocket protocol hand-rolled on aiohttp "
                        "(~1/3 of the CPU per event: more clients per core, less client-side queueing)")
    g.add_argument("--server-pid", type=int, action="append", metavar="PID",
                   help="also report this server process's CPU and RSS over the load (repeatable)")
    g.add_argument("--no-uvloop", action="store_true",
                   help="observer processes use asyncio's default loop even if uvloop is installed")

    sp = _sub(sub, "make-fixture")
    g = sp.add_argument_group("make-fixture")
    g.add_argument("--platform", default="drillboard", choices=sorted(ADAPTERS),
                   help="only drillboard is supported")
    g.add_argument("--project", required=True, help="the Drillboard project folder (holds app.py)")
    g.add_argument("--teams", "-N", type=int, default=50, help="teams to create (default 50)")
    g.add_argument("--challenges", "-M", type=int, default=40, help="challenges in the pack (default 40)")
    g.add_argument("--out", required=True, help="fixture JSON to write")
    g.add_argument("--base", default="http://127.0.0.1:5000",
                   help="server URL the fixture points at (default http://127.0.0.1:5000)")
    g.add_argument("--python", help="the project's venv python: run `python -m flask`, batched")
    g.add_argument("--per-command", action="store_true",
                   help="one process per CLI command instead of one batched interpreter")
    g.add_argument("--database-url", help="set DRILLBOARD_DATABASE_URL for the CLI runs "
                                          "(default: inherited from the environment)")
    g.add_argument("--members", type=int, default=1, help="fixture users per team, sharing its token")
    g.add_argument("--team-prefix", default="bench-team", help="team names: PREFIX-0001...")
    g.add_argument("--challenge-prefix", default="bench", help="challenge names: PREFIX-001...")
    g.add_argument("--pack-id", default="loadgen-bench",
                   help="pack folder name = pack id (the same id reloads in place)")
    g.add_argument("--no-init-db", action="store_true", help="skip `drill init-db`")
    g.add_argument("--keep-pack", action="store_true", help="keep the generated pack folder")
    g.add_argument("--cli-timeout", type=float, default=120.0, help="seconds per CLI command")
    g.add_argument("--seed", type=int, default=1, help="flags are derived from it")
    return p


def _normalize_argv(argv):
    """Accept the mode anywhere (`--platform ctfd players ...` as the old parser did)."""
    if not argv or argv[0] in MODES or argv[0] in ("-h", "--help"):
        return argv
    for i, a in enumerate(argv):
        if a in MODES:
            return [a] + argv[:i] + argv[i + 1:]
    return argv


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [LIVE_WORKER]:
        return live_worker_main()
    p = build_parser()
    args = p.parse_args(_normalize_argv(argv))
    sp = p._subparsers._group_actions[0].choices[args.mode]  # for mode-specific errors
    if args.mode == "make-fixture":
        if args.teams < 1 or args.challenges < 1 or args.members < 1:
            sp.error("--teams, --challenges and --members must be >= 1")
        result = make_fixture(args)
    else:
        if not (0 < args.duration <= MAX_DURATION_S):
            sp.error(f"--duration must be in (0, {MAX_DURATION_S}]")
        fixture = json.load(open(args.fixture))
        if args.base:
            fixture["base"] = args.base
        require_loopback(fixture["base"])
        if not args.platform:  # the fixture may say (make-fixture writes "drillboard")
            args.platform = fixture.get("platform") if fixture.get("platform") in ADAPTERS else "ctfd"
        args.src_ips = source_ips(args.source_ips, fixture["base"])
        adapter = ADAPTERS[args.platform](fixture, args)
        if args.mode == "probe" and args.probe_cold and not adapter.supports_cold:
            sp.error(f"--probe-cold is not supported for {adapter.name}")
        if args.mode == "live":
            if args.clients < 1 or args.procs < 1 or not (0 < args.rate <= 1000):
                sp.error("need --clients >= 1, --procs >= 1, 0 < --rate <= 1000")
            if not (0 <= args.drain <= 60) or not (0 < args.ramp_timeout <= MAX_DURATION_S):
                sp.error("need 0 <= --drain <= 60 and 0 < --ramp-timeout <= 600")
            args.live_src_ips = [ip for ip in args.src_ips if ip]
        runner = {"players": run_players, "observers": run_observers, "probe": run_probe,
                  "live": run_live}[args.mode]
        result = asyncio.run(runner(adapter, args))
    result["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    text = json.dumps(result, indent=1)
    print(text)
    if args.out and args.mode != "make-fixture":
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
