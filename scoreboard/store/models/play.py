"""Who plays and what they did: teams, accounts, tokens, submissions, solves, hints bought, awards,
announcements."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scoreboard.store.models.base import Base, utcnow


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("name_skeleton", name="uq_team_name_skeleton"),
                      UniqueConstraint("name_skeleton_upper", name="uq_team_name_skeleton_upper"),
                      UniqueConstraint("name_skeleton_lower", name="uq_team_name_skeleton_lower"))
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # NFKC + case-folded + inner white space collapsed: two names a person would confuse
    # collide here, which closes CTFd's padded-name takeover.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    # How the name looks (names.skeletons) as written, in upper and in lower case: a look-alike in
    # another script ("Теам" in Cyrillic) collides in one of them.
    name_skeleton: Mapped[str | None] = mapped_column(String(400))
    name_skeleton_upper: Mapped[str | None] = mapped_column(String(400))
    name_skeleton_lower: Mapped[str | None] = mapped_column(String(400))
    country: Mapped[str] = mapped_column(String(2))
    join_code: Mapped[str] = mapped_column(String(32), unique=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    members: Mapped[list[User]] = relationship(back_populates="team", order_by="User.id")


class User(Base):
    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("name_skeleton", name="uq_user_name_skeleton"),
                      UniqueConstraint("name_skeleton_upper", name="uq_user_name_skeleton_upper"),
                      UniqueConstraint("name_skeleton_lower", name="uq_user_name_skeleton_lower"))
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    name_skeleton: Mapped[str | None] = mapped_column(String(400))
    name_skeleton_upper: Mapped[str | None] = mapped_column(String(400))
    name_skeleton_lower: Mapped[str | None] = mapped_column(String(400))
    password_hash: Mapped[str] = mapped_column(String(200))
    # member | admin (an organizer) | judge | red_team | white_cell (a judge may also be a member of a team).
    role: Mapped[str] = mapped_column(String(20), default="member")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on password reset so existing sessions stop working.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    team: Mapped[Team | None] = relationship(back_populates="members")

    # The session-user protocol (Flask-Login's), without importing Flask into the model.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return not self.disabled and not (self.team is not None and self.team.disabled)

    def get_id(self) -> str:
        """Carries the epoch so a password reset ends every existing session."""
        return f"{self.id}:{self.session_epoch}"


class ApiToken(Base):
    """A bearer token for a user, or for a whole team (scripts that submit for the team)."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User | None] = relationship()
    team: Mapped[Team | None] = relationship()


class Submission(Base):
    """Every graded attempt, right or wrong, append-only."""

    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_team_chal_at", "team_id", "challenge_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    answer: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str | None] = mapped_column(String(64))


class AttemptCount(Base):
    """Wrong answers so far, per team and challenge, where the challenge limits them (``attempts``).

    Taking one is a conditional UPDATE (``wrong < limit``), so answers racing in cannot exceed
    the limit together.
    """

    __tablename__ = "attempt_count"
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), primary_key=True)
    wrong: Mapped[int] = mapped_column(default=0)


class Capture(Base):
    """A team matched one answer (by position) of a ``logic: all`` challenge."""

    __tablename__ = "capture"
    __table_args__ = (UniqueConstraint("team_id", "challenge_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"))
    position: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Solve(Base):
    """Unique per team and challenge in the database: concurrent correct answers count once."""

    __tablename__ = "solve"
    __table_args__ = (UniqueConstraint("team_id", "challenge_id", name="uq_solve_team_challenge"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class HintUnlock(Base):
    __tablename__ = "hint_unlock"
    __table_args__ = (UniqueConstraint("team_id", "hint_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    hint_id: Mapped[int] = mapped_column(ForeignKey("hint.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Award(Base):
    """A signed point change with its reason and author (judge grades, deductions)."""

    __tablename__ = "award"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    value: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenge.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(Base):
    __tablename__ = "announcement"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # The same message in other languages: {"ru": {"title", "body"}, "zh": {...}}; English above.
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
