"""The data model: one module so the schema can be read (and owned by Alembic) in one place.

Times are stored in UTC. Every public change is also an ``Event`` row whose id is the ``seq``
observers see, so the board at any minute can be rebuilt from the table. Nothing here is
SQLite-only.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; Drillboard stores aware UTC times only")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Drill(Base):
    """The single running exercise: its clock and scoring settings (one row, id 1)."""

    __tablename__ = "drill"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="Drillboard")
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    freeze_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    first_blood_bonus: Mapped[int] = mapped_column(default=0)
    home_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Set once the matching public event has been emitted, so exactly one worker emits it.
    freeze_announced_at: Mapped[datetime | None]
    end_announced_at: Mapped[datetime | None]
    # Exercise control (pack.yml): category weights {"flags": 50, "reports": 30, "deductions": 20},
    # how a second marker's grade combines with the first ("average" | "lead"; none: one marker),
    # and whether grades reach teams when given ("immediate") or when organizers release them.
    weights: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    second_marker: Mapped[str | None] = mapped_column(String(10))
    grade_release: Mapped[str] = mapped_column(String(10), default="manual")
    # The closing ceremony: None (the end lifts the freeze), "hold" (the public board stays
    # frozen after the end until organizers reveal), "revealing", "revealed".
    reveal: Mapped[str | None] = mapped_column(String(12))


class Pack(Base):
    __tablename__ = "pack"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # pack.yml's clock settings as last loaded: a reload applies only those that changed.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # pack.yml's title and description in other languages: {"ru": {"title": ..., "description": ...}}.
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    challenges: Mapped[list[Challenge]] = relationship(back_populates="pack")


class PackLoad(Base):
    """One row per applied load: the pack's version history for organizers."""

    __tablename__ = "pack_load"
    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("pack.id"))
    digest: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Challenge(Base):
    __tablename__ = "challenge"
    __table_args__ = (UniqueConstraint("pack_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("pack.id"))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="Misc")
    author: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # "flag" is graded by answers; "report" (judge-graded) is scored through awards.
    kind: Mapped[str] = mapped_column(String(20), default="flag")
    scoring: Mapped[str] = mapped_column(String(20), default="standard")
    value: Mapped[int] = mapped_column(default=0)
    initial: Mapped[int | None]
    decay: Mapped[int | None]
    minimum: Mapped[int | None]
    function: Mapped[str] = mapped_column(String(20), default="logarithmic")
    state: Mapped[str] = mapped_column(String(20), default="visible")
    max_attempts: Mapped[int] = mapped_column(default=0)
    logic: Mapped[str] = mapped_column(String(10), default="any")
    connection_info: Mapped[str | None] = mapped_column(Text)
    requirements: Mapped[list[Any]] = mapped_column(default=list)
    anonymize: Mapped[bool] = mapped_column(Boolean, default=False)
    release_at: Mapped[datetime | None]
    release_after: Mapped[int | None]  # seconds after the drill starts
    release_announced_at: Mapped[datetime | None]
    tags: Mapped[list[Any]] = mapped_column(default=list)
    topics: Mapped[list[Any]] = mapped_column(default=list)
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    solution: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(50))
    attribution: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=0)
    # A challenge dropped from its pack is retired, not deleted: its submissions stay.
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Report tasks: [{"criterion", "points", "comment_required"}] and when revisions stop
    # (a fixed time, or seconds after the drill starts).
    rubric: Mapped[list[Any]] = mapped_column(default=list)
    deadline_at: Mapped[datetime | None]
    deadline_after: Mapped[int | None]

    pack: Mapped[Pack] = relationship(back_populates="challenges")
    answers: Mapped[list[Answer]] = relationship(
        order_by="Answer.position", cascade="all, delete-orphan"
    )
    hints: Mapped[list[Hint]] = relationship(order_by="Hint.position")
    files: Mapped[list[File]] = relationship(order_by="File.name", cascade="all, delete-orphan")


class Answer(Base):
    """One accepted flag or investigation answer; never serialised to a client."""

    __tablename__ = "answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    content: Mapped[Any] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(default=0)


class Hint(Base):
    __tablename__ = "hint"
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    cost: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    # ctfcli's hint key, and the keys of this challenge's hints that must be unlocked first.
    key: Mapped[str | None] = mapped_column(String(100))
    requirements: Mapped[list[Any]] = mapped_column(default=list)


class File(Base):
    __tablename__ = "file"
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("name_skeleton", name="uq_team_name_skeleton"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # NFKC + case-folded + inner white space collapsed: two names a person would confuse
    # collide here, which closes CTFd's padded-name takeover.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    # How the name looks (names.skeleton): a look-alike in another script ("Теам" in Cyrillic) collides here.
    name_skeleton: Mapped[str | None] = mapped_column(String(400))
    country: Mapped[str] = mapped_column(String(2))
    join_code: Mapped[str] = mapped_column(String(32), unique=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    members: Mapped[list[User]] = relationship(back_populates="team", order_by="User.id")


class User(Base):
    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("name_skeleton", name="uq_user_name_skeleton"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    name_skeleton: Mapped[str | None] = mapped_column(String(400))
    password_hash: Mapped[str] = mapped_column(String(200))
    # member | admin | judge | red_team (a judge may also be a member of a team).
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
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Every change to the drill, in commit order: the public stream and the change log.

    ``id`` orders all rows (every worker tails the table by it). ``seq`` numbers the public
    events clients see, with no gaps; it is empty for rows that are not sent: solves held back
    during the freeze and internal changes (a hint bought, a schedule moved) that only tell
    other workers to refresh what they cache.
    """

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("seq", name="uq_event_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Held back from the live stream (a solve during the freeze); part of the record and the reveal.
    held: Mapped[bool] = mapped_column(Boolean, default=False)


class BoardState(Base):
    """The public standings as last published in a ``standings`` event (one row, id 1).

    Whichever worker re-scores compares its board with this row, so deltas are right however
    many workers publish them; ``as_of`` (an event id) keeps an older board from overwriting a
    newer one.
    """

    __tablename__ = "board_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[int] = mapped_column(default=0)
    standings: Mapped[list[Any]] = mapped_column(default=list)


class AuditEntry(Base):
    """Append-only record of organizer actions and of every row that carries points.

    Chained with an HMAC (``audit.py``): ``hash`` covers ``prev_hash`` and the entry's content.
    ``subject``/``subject_id`` name the score-bearing row an entry covers (its content is in
    ``payload["row"]``).
    """

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_subject", "subject", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[int | None]


class AuditHead(Base):
    """The newest audit entry's id and MAC, MAC'd again: deleting the newest entry shows (one row)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class Report(Base):
    """One version of a team's report on a report task; every version is kept."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("team_id", "challenge_id", "version", name="uq_report_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    files: Mapped[list[ReportFile]] = relationship(order_by="ReportFile.id", cascade="all, delete-orphan")


class ReportFile(Base):
    """An attachment of a report version; judges see it renamed (``attachment-N.ext``)."""

    __tablename__ = "report_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]


class Mark(Base):
    """One judge's marking of one report version: a score per rubric criterion and a comment."""

    __tablename__ = "mark"
    __table_args__ = (UniqueConstraint("report_id", "judge_id", name="uq_mark_report_judge"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    scores: Mapped[list[Any]] = mapped_column(default=list)
    comments: Mapped[list[Any]] = mapped_column(default=list)  # per criterion ("" when none)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Grade(Base):
    """A team's final grade on a report task (one per team and task): carries points once released."""

    __tablename__ = "grade"
    __table_args__ = (UniqueConstraint("team_id", "challenge_id", name="uq_grade_team_challenge"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"))
    points: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]


class Deduction(Base):
    """A red-team attack that succeeded against a team: points taken, with reason and evidence."""

    __tablename__ = "deduction"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    points: Mapped[int]  # > 0, deducted
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    evidence_path: Mapped[str | None] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class RevealProgress(Base):
    """How far the closing ceremony has revealed one team's held changes (all up to ``until``)."""

    __tablename__ = "reveal_progress"
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), primary_key=True)
    until: Mapped[datetime]
