"""Settings, read once from the environment so every process of a deployment agrees."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _instance_dir() -> Path:
    return Path(os.environ.get("DRILLBOARD_INSTANCE", Path.cwd() / "instance"))


def _secret_key(instance: Path) -> str:
    """Use the configured key, else one kept in the instance folder so restarts keep sessions."""
    if key := os.environ.get("DRILLBOARD_SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass
class Settings:
    """Everything a deployment can change; tests build one directly."""

    instance: Path = field(default_factory=_instance_dir)
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    # Wrong attempts allowed per team and challenge inside the window before 429.
    attempt_limit: int = 10
    attempt_window: int = 60
    # Failed logins (or join codes) allowed per name and per address in 5 minutes.
    login_limit: int = 10
    max_upload_bytes: int = 50 * 1024 * 1024
    max_pack_unpacked_bytes: int = 200 * 1024 * 1024
    # Each attachment of a report version (at most five per version).
    max_report_file_bytes: int = 5 * 1024 * 1024
    # A red-team evidence file (a screenshot, a log excerpt).
    max_evidence_bytes: int = 5 * 1024 * 1024
    secure_cookies: bool = False
    proxy_hops: int = 0
    tick_seconds: float = 1.0
    # /live connections one address may hold (a venue's NAT holds a few observers, not hundreds).
    live_per_address: int = 64
    # Packets queued for one /live connection before it counts as not reading and is closed.
    live_max_queued: int = 500
    # Let /live connections compress each message for each client (permessage-deflate, which every
    # browser offers): a little less traffic for about a third more CPU per message and observer.
    live_compression: bool = False
    # Seconds a client may take to send its request line and headers (and to stay idle between
    # requests) before python app.py drops it; gunicorn bounds the same with its keepalive.
    header_timeout: float = 10.0
    # Serve the clock, the event stream and the board builder in the background (started by
    # the first request). Off for the CLI and in-process tests, which do that work inline.
    background: bool = False

    def __post_init__(self) -> None:
        self.instance = Path(self.instance)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.instance / 'drillboard.db'}"
        if not self.secret_key:
            self.secret_key = _secret_key(self.instance)

    @property
    def channel(self) -> str:
        """This drill's name on a shared Redis: pub/sub channels ignore Redis's database numbers,
        so two drills on one Redis must not hear each other's events or share limits."""
        return "drillboard:" + hashlib.sha256(self.database_url.encode()).hexdigest()[:12]

    @property
    def files_dir(self) -> Path:
        """Where loaded pack files live, outside the static folder so access is checked."""
        return self.instance / "files"

    @property
    def blob_cache_dir(self) -> Path:
        """This host's copies of files kept in the database (PostgreSQL), each fetched once."""
        return self.instance / "cache" / "blobs"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            database_url=env.get("DRILLBOARD_DATABASE_URL", ""),
            redis_url=env.get("DRILLBOARD_REDIS_URL") or None,
            secret_key=env.get("DRILLBOARD_SECRET_KEY", ""),
            attempt_limit=int(env.get("DRILLBOARD_ATTEMPT_LIMIT", 10)),
            attempt_window=int(env.get("DRILLBOARD_ATTEMPT_WINDOW", 60)),
            login_limit=int(env.get("DRILLBOARD_LOGIN_LIMIT", 10)),
            secure_cookies=env.get("DRILLBOARD_SECURE_COOKIES", "") == "1",
            proxy_hops=int(env.get("DRILLBOARD_PROXY_HOPS", 0)),
            live_per_address=int(env.get("DRILLBOARD_LIVE_PER_ADDRESS", 64)),
            live_max_queued=int(env.get("DRILLBOARD_LIVE_MAX_QUEUED", 500)),
            live_compression=env.get("DRILLBOARD_LIVE_COMPRESSION", "") == "1",
            header_timeout=float(env.get("DRILLBOARD_HEADER_TIMEOUT", 10)),
            background=True,
        )
