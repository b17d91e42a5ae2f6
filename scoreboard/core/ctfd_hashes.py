"""CTFd's password hashes, so that accounts imported from a CTFd export log in with the password
their owners already know (Drillboard re-hashes it with argon2 at the first success).

CTFd 2.x and 3.x hash with passlib's ``bcrypt_sha256`` (``CTFd/utils/crypto``): bcrypt of the
base64 of a SHA-256 of the password, so passwords longer than bcrypt's 72 bytes still count in
full. Version 2 (``$bcrypt-sha256$v=2,t=2b,r=12$<salt>$<digest>``, passlib 1.7.3 on) keys the
SHA-256 as an HMAC with the salt; version 1 (``$bcrypt-sha256$2a,12$<salt>$<digest>``) does not.
Only verification is needed, so this is passlib's check, not passlib (whose bcrypt backend no
longer loads with current bcrypt releases).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

import bcrypt

PREFIX = "$bcrypt-sha256$"
_V2 = re.compile(r"\$bcrypt-sha256\$v=2,t=(2a|2b),r=(\d{1,2})\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})")
_V1 = re.compile(r"\$bcrypt-sha256\$(2a|2b),(\d{1,2})\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})")


def is_ctfd_hash(stored: Any) -> bool:
    """Whether ``stored`` is a CTFd (passlib bcrypt_sha256) hash this module can check."""
    return isinstance(stored, str) and bool(_V2.fullmatch(stored) or _V1.fullmatch(stored))


def matches(stored: str, password: str) -> bool:
    """Whether ``password`` is the one CTFd hashed into ``stored``; False for anything malformed."""
    found = _V2.fullmatch(stored)
    version = 2 if found else 1
    found = found or _V1.fullmatch(stored)
    if found is None:
        return False
    ident, rounds, salt, digest = found.groups()
    secret = password.encode("utf-8")
    if version == 2:
        mixed = hmac.new(salt.encode("ascii"), secret, hashlib.sha256).digest()
    else:
        mixed = hashlib.sha256(secret).digest()
    inner = f"${ident}${int(rounds):02d}${salt}{digest}".encode("ascii")
    try:
        return bcrypt.checkpw(base64.b64encode(mixed), inner)
    except ValueError:
        return False
