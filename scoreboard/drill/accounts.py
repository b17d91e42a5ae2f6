"""Teams, members, organizers, passwords and API tokens. No Flask here.

Ownership fields (a user's team, a token's owner) are only ever set by these functions from
server-side facts such as a join code; no client payload reaches them.
"""
from __future__ import annotations

import functools
import hashlib
import os
import secrets
from dataclasses import dataclass

import argon2.profiles
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scoreboard.core import ctfd_hashes, names
from scoreboard.core.errors import N_, Refused
from scoreboard.store import events
from scoreboard.store.models import ApiToken, Team, User


def _password_hasher() -> PasswordHasher:
    """Argon2id with the parameters of RFC 9106's low-memory profile (argon2-cffi's default).
    ``DRILLBOARD_PASSWORD_PROFILE`` names another of ``argon2.profiles``: the test suite takes
    CHEAPEST, where a hash costs microseconds instead of a tenth of a second of two cores. A
    password stored with other parameters is hashed again at its owner's next login."""
    name = os.environ.get("DRILLBOARD_PASSWORD_PROFILE", "RFC_9106_LOW_MEMORY")
    parameters = getattr(argon2.profiles, name, None)
    if not isinstance(parameters, argon2.Parameters):
        raise SystemExit(f"DRILLBOARD_PASSWORD_PROFILE={name!r} is not one of argon2's profiles "
                         "(RFC_9106_LOW_MEMORY, RFC_9106_HIGH_MEMORY, CHEAPEST)")
    return PasswordHasher.from_parameters(parameters)


_hasher = _password_hasher()
MIN_PASSWORD = 8
MAX_PASSWORD = 256


class AccountError(Refused):
    """Refused input; the message tells the person what to change."""


class BadJoinCode(AccountError):
    """A join code that opens no team: counted against the guesser's address."""


@dataclass(frozen=True)
class Actor:
    """Who is making a request: a member (user and team), a team token, or an organizer.

    Plain values, not rows, so that it can be cached across requests and workers' threads.
    """

    user_id: int | None
    user_name: str | None
    role: str | None
    team_id: int | None
    team_name: str | None

    @property
    def is_organizer(self) -> bool:
        return self.role == "admin"

    @property
    def is_judge(self) -> bool:
        return self.role == "judge"

    @property
    def is_red_team(self) -> bool:
        return self.role == "red_team"

    @property
    def label(self) -> str:
        if self.user_name:
            return self.user_name
        return f"team:{self.team_name}" if self.team_name else "anonymous"


def hash_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(N_("the password must be %(min)s to %(max)s characters"), min=MIN_PASSWORD, max=MAX_PASSWORD)
    return _hasher.hash(password)


def _new_join_code() -> str:
    return secrets.token_urlsafe(9)


def new_token(session: Session, *, user: User | None = None, team: Team | None = None) -> str:
    """Issue an API token; only its SHA-256 is stored, so a database leak leaks no tokens."""
    token = "drb_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, team=team, token_hash=token_hash(token)))
    return token


def revoke_tokens(session: Session, *, user: User | None = None, team: Team | None = None,
                  members: bool = False) -> None:
    """Every API token of ``user`` or ``team`` (with ``members``, its members' too) stops working
    now, and stays refused after the account is enabled again. Every worker drops its cached
    owners of tokens (the "accounts" event), so no cache keeps a revoked token alive."""
    if team is not None:
        owned = ApiToken.team_id == team.id
        if members:
            owned = or_(owned, ApiToken.user_id.in_(select(User.id).where(User.team_id == team.id)))
    else:
        owned = ApiToken.user_id == user.id
    session.execute(delete(ApiToken).where(owned).execution_options(synchronize_session=False))
    events.mark(session, "accounts", {"user_id": user.id if user else None, "team_id": team.id if team else None})


def rotate_token(session: Session, *, user: User | None = None, team: Team | None = None) -> str:
    """A new API token for ``user`` or ``team``; the old ones are refused from now on."""
    if (user is None) == (team is None):
        raise AccountError(N_("name either a user or a team whose token to replace"))
    revoke_tokens(session, user=user, team=team)
    return new_token(session, user=user, team=team)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for_token(session: Session, token: str) -> Actor | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None:
        return None
    if row.user is not None:
        return actor_for_user(row.user)
    if row.team is not None and not row.team.disabled:
        return Actor(None, None, None, row.team.id, row.team.name)
    return None


def actor_for_user(user: User) -> Actor | None:
    if user.disabled or (user.team is not None and user.team.disabled):
        return None
    team = user.team
    return Actor(user.id, user.name, user.role, team.id if team else None, team.name if team else None)


_TAKEN = {"team": N_("a team named %(name)r already exists; choose another name"),
          "user": N_("a user named %(name)r already exists; choose another name")}
_LOOKALIKE = {
    "team": N_("%(name)r looks the same as the existing team %(existing)r (letters from another alphabet that "
               "look alike); choose a name that reads differently"),
    "user": N_("%(name)r looks the same as the existing user %(existing)r (letters from another alphabet that "
               "look alike); choose a name that reads differently"),
}


def _add_named(session: Session, row: Team | User, what: str) -> None:
    """Add a team or user whose normalised name, and whose look, must be unique; the database has
    the last word."""
    taken = AccountError(_TAKEN[what], name=row.name)
    model = type(row)
    row.name_key = names.name_key(row.name)
    row.name_skeleton, row.name_skeleton_upper, row.name_skeleton_lower = names.skeletons(row.name)
    with session.no_autoflush:  # the new row is not ready to flush before the check
        exists = session.scalar(select(model.id).where(model.name_key == row.name_key)) is not None
        lookalike = session.scalar(select(model.name).where(or_(
            model.name_skeleton == row.name_skeleton, model.name_skeleton_upper == row.name_skeleton_upper,
            model.name_skeleton_lower == row.name_skeleton_lower)).limit(1))
    if exists:
        raise taken
    if lookalike is not None:
        raise AccountError(_LOOKALIKE[what], name=row.name, existing=lookalike)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise taken from None


def create_team(session: Session, name: str, country: str) -> Team:
    name = names.display_name(name, "team name")
    country = names.country_code(country)
    team = Team(name=name, country=country, join_code=_new_join_code())
    _add_named(session, team, "team")
    return team


def _create_user(session: Session, name: str, password_hash: str, role: str, team: Team | None) -> User:
    name = names.display_name(name, "user name")
    user = User(name=name, password_hash=password_hash, role=role, team=team)
    _add_named(session, user, "user")
    return user


def join_team(session: Session, join_code: str, name: str, password: str) -> User:
    """A member's first visit: the join code alone decides the team."""
    return _create_user(session, name, hash_password(password), "member", team_for_join_code(session, join_code))


def team_for_join_code(session: Session, join_code: str) -> Team:
    """The team a join code opens; a code that opens none is a wrong guess (``BadJoinCode``)."""
    code = join_code.strip() if isinstance(join_code, str) and "\0" not in join_code else ""
    team = session.scalar(select(Team).where(Team.join_code == code)) if code else None
    if team is None or team.disabled:
        raise BadJoinCode(N_("that join code is not valid; ask your organizers for your team's code"))
    return team


def create_member(session: Session, team: Team, name: str, password: str) -> User:
    return _create_user(session, name, hash_password(password), "member", team)


def adopt_member(session: Session, team: Team, name: str, ctfd_hash: str | None) -> User:
    """A member imported from CTFd. A CTFd password hash is kept (checked at login, then replaced
    by argon2), so players log in with the password they know; without one (an OAuth account)
    the password is random and unknown until an organizer resets it."""
    if ctfd_hashes.is_ctfd_hash(ctfd_hash):
        return _create_user(session, name, ctfd_hash, "member", team)
    return _create_user(session, name, hash_password(secrets.token_urlsafe(24)), "member", team)


# Accounts that are not a team's: organizers, judges of reports, the red team, and the white cell
# (exercise control's people who answer teams' questions).
STAFF_ROLES = ("admin", "judge", "red_team", "white_cell")


def create_staff(session: Session, name: str, role: str, team: Team | None = None) -> tuple[User, str, str]:
    """An organizer, judge, red-team or white-cell account; returns it with a generated password and an API token.

    A judge may also belong to a team (``team``): judging then skips that team's reports.
    """
    if role not in STAFF_ROLES:
        raise AccountError(N_("unknown role %(role)r; use one of %(roles)s"), role=role, roles=", ".join(STAFF_ROLES))
    password = secrets.token_urlsafe(12)
    user = _create_user(session, name, hash_password(password), role, team if role == "judge" else None)
    return user, password, new_token(session, user=user)


def create_admin(session: Session, name: str) -> tuple[User, str, str]:
    """An organizer account; returns it with a generated password and an API token."""
    return create_staff(session, name, "admin")


def is_organizer(session: Session, name: str) -> bool:
    """Whether ``name`` is an organizer's: their logins are not throttled per address."""
    if not isinstance(name, str) or "\0" in name:
        return False
    return session.scalar(select(User.role).where(User.name_key == names.name_key(name))) == "admin"


def authenticate(session: Session, name: str, password: str) -> User | None:
    if not isinstance(name, str) or not isinstance(password, str) or "\0" in name + password:
        return None
    user = session.scalar(select(User).where(User.name_key == names.name_key(name or "")))
    if not _password_matches(user.password_hash if user else _dummy_hash(), password or ""):
        return None
    if user is None or actor_for_user(user) is None:
        return None
    if ctfd_hashes.is_ctfd_hash(user.password_hash) or _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


@functools.cache
def _dummy_hash() -> str:
    """What a login for a user who does not exist is verified against: login timing stays uniform.
    Made on first use, not at import: an argon2 hash costs every process start (each CLI call)
    a seventh of a second."""
    return _hasher.hash("not a password")


def _password_matches(stored: str, password: str) -> bool:
    """Argon2, or the CTFd hash an imported account keeps until its first successful login."""
    if ctfd_hashes.is_ctfd_hash(stored):
        return ctfd_hashes.matches(stored, password)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def reset_password(session: Session, user: User) -> str:
    """A new random password; existing sessions and API tokens of the user stop working."""
    password = secrets.token_urlsafe(12)
    user.password_hash = hash_password(password)
    end_sessions(session, user)
    revoke_tokens(session, user=user)
    return password


def end_sessions(session: Session, user: User) -> None:
    """Log the user out everywhere: session cookies carry the epoch, so every saved one stops
    working, and every worker drops the user's open live connections (the "session_end" event)."""
    user.session_epoch += 1
    events.mark(session, "session_end", {"user_id": user.id})


def rotate_join_code(team: Team) -> str:
    team.join_code = _new_join_code()
    return team.join_code
