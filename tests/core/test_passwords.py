"""Passwords are stored with argon2id at RFC 9106's low-memory parameters unless the deployment
names another of argon2's profiles; a name that is not one stops the process with a message. (The
rest of the suite runs at CHEAPEST: conftest.py.)"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HASH = "from scoreboard.drill import accounts; print(accounts.hash_password('correct horse battery'))"


def _python(code: str, profile: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DRILLBOARD_PASSWORD_PROFILE"}
    if profile is not None:
        env["DRILLBOARD_PASSWORD_PROFILE"] = profile
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_the_default_is_argon2id_at_rfc_9106_low_memory() -> None:
    stored = _python(HASH, None).stdout.strip()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), stored


def test_a_stronger_profile_is_taken_and_an_unknown_one_refused() -> None:
    assert _python(HASH, "RFC_9106_HIGH_MEMORY").stdout.startswith("$argon2id$v=19$m=2097152,t=1,p=4$")
    refused = _python(HASH, "FAST")
    assert refused.returncode != 0 and "DRILLBOARD_PASSWORD_PROFILE='FAST' is not one of argon2's profiles" in refused.stderr


def test_a_password_stored_under_other_parameters_is_hashed_again_at_login(app, services) -> None:
    from argon2 import PasswordHasher

    from scoreboard.drill import accounts, organizer

    with services.database.session() as session:
        team = organizer.create_team(session, "Alpha", "KZ", "test")
        user = accounts.create_member(session, team, "alpha-one", "correct horse battery")
        user.password_hash = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1).hash("correct horse battery")
        session.commit()
        old = user.password_hash
        assert accounts.authenticate(session, "alpha-one", "correct horse battery") is user
        assert user.password_hash != old and accounts.authenticate(session, "alpha-one", "correct horse battery") is user
