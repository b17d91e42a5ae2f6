"""What organizers load: the drill row, packs and their challenges, answers, hints and files."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scoreboard.store.models.base import Base, utcnow


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
    # With a second marker: two marks whose totals differ by more than this ask for a third.
    third_marker_over: Mapped[int | None]
    # The closing ceremony: None (the end lifts the freeze), "hold" (the public board stays
    # frozen after the end until organizers reveal), "revealing", "revealed".
    reveal: Mapped[str | None] = mapped_column(String(12))
    # redteam.yml's detection: how long after a deduction a team may report that it detected
    # the attack, and what share of the points an accepted detection gives back.
    detection_window_minutes: Mapped[int] = mapped_column(default=60)
    detection_refund_percent: Mapped[int] = mapped_column(default=50)
    # services.yml: seconds between rounds of service checks; when an organizer paused them.
    round_seconds: Mapped[int] = mapped_column(default=60)
    checks_paused_at: Mapped[datetime | None]


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
    # pack.yml's ``briefing`` (Markdown): what every team reads before STARTEX; no secrets in it.
    briefing: Mapped[str] = mapped_column(Text, default="")
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
    # Report tasks: [{"criterion", "points", "comment_required", "levels"}] and when revisions stop
    # (a fixed time, or seconds after the drill starts).
    rubric: Mapped[list[Any]] = mapped_column(default=list)
    deadline_at: Mapped[datetime | None]
    deadline_after: Mapped[int | None]
    # The exercise phase (``phase: ID``) the challenge belongs to, and when that phase opened
    # (copied here by ``drill.phases`` so every visibility check reads the row alone).
    phase: Mapped[str | None] = mapped_column(String(100))
    phase_opened_at: Mapped[datetime | None]
    # Report tasks after the deadline: None refuses; {"penalty_percent", "per_minutes"} accepts, late.
    late: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    guide: Mapped[str] = mapped_column(Text, default="")  # Markdown for judges only, never for teams
    # challenge.yml's ``id:``: when a pack gives one, it and not the name says which row a reload
    # updates (a renamed challenge keeps its solves).
    key: Mapped[str | None] = mapped_column(String(100))

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
