"""Staff accounts from the console: organizers, judges, the red team and the white cell, each change audited.

``accounts.create_staff`` makes the account (as the CLI's ``create-user`` does); these wrap it
with the organizer's checks, the audit entry and the notice that makes every worker drop cached
tokens. No Flask here.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, NotFound, Refused
from scoreboard.drill import accounts, audit
from scoreboard.store import events
from scoreboard.store.db import find
from scoreboard.store.models import Team, User


def listing(session: Session) -> list[User]:
    """Every account that is not only a team member, by role then name."""
    return list(session.scalars(select(User).where(User.role.in_(accounts.STAFF_ROLES))
                                .order_by(User.role, User.name)))


def create(session: Session, name: Any, role: Any, team_id: int | None, actor: str) -> tuple[User, str, str]:
    """A new staff account; returns it with its password and API token (shown once, never stored)."""
    if role not in accounts.STAFF_ROLES:
        raise Refused(N_("choose a role: admin, judge, red_team or white_cell"))
    team = None
    if team_id is not None:
        if role != "judge":
            raise Refused(N_("only a judge may also belong to a team"))
        team = find(session, Team, team_id)
        if team is None:
            raise NotFound(N_("no such team"))
    # A name taken or malformed is refused there (an AccountError), in the account module's words.
    user, password, token = accounts.create_staff(session, name if isinstance(name, str) else "", role, team)
    audit.record(session, actor, "staff.create", {"user_id": user.id, "name": user.name, "role": role,
                                                  "team_id": user.team_id})
    return user, password, token


def _staff(session: Session, user_id: int) -> User:
    user = find(session, User, user_id)
    if user is None or user.role not in accounts.STAFF_ROLES:
        raise NotFound(N_("no such staff account"))
    return user


def set_disabled(session: Session, user_id: int, disabled: bool, actor: str, actor_id: int | None) -> User:
    """Lock a staff account out or let it in again. Disabling ends its sessions and revokes its
    tokens for good: enabling it later does not bring an old token back (rotate for a new one)."""
    user = _staff(session, user_id)
    if disabled and user.id == actor_id:
        raise Refused(N_("you cannot disable your own account"))
    user.disabled = disabled
    if disabled:
        accounts.end_sessions(session, user)
        accounts.revoke_tokens(session, user=user)
    audit.record(session, actor, "staff.disable" if disabled else "staff.enable", {"user_id": user.id,
                                                                                   "name": user.name})
    events.mark(session, "accounts", {"user_id": user.id})
    return user


def rotate_token(session: Session, user_id: int, actor: str) -> tuple[User, str]:
    """A new API token for a staff account (shown once); the old one is refused from now on."""
    user = _staff(session, user_id)
    token = accounts.rotate_token(session, user=user)
    audit.record(session, actor, "staff.rotate_token", {"user_id": user.id, "name": user.name})
    return user, token


def reset_password(session: Session, user_id: int, actor: str) -> tuple[User, str]:
    """A new random password for a staff account; its open sessions end."""
    user = _staff(session, user_id)
    password = accounts.reset_password(session, user)
    audit.record(session, actor, "staff.reset_password", {"user_id": user.id, "name": user.name})
    return user, password
