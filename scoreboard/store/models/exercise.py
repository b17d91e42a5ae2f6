"""Exercise control: report versions, judges' marks, grades, red-team deductions, the reveal."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scoreboard.store.models.base import Base, utcnow


class Report(Base):
    """One version of a team's report on a report task; every version is kept."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("team_id", "challenge_id", "version", name="uq_report_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised once when filed: pages and the judges' queue never render again.
    text_html: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Seconds past the task's deadline when filed (0: on time); only tasks with a late penalty take these.
    late_seconds: Mapped[int] = mapped_column(default=0)
    # An organizer sent this version back for revision: its marks stay but no longer count.
    returned_at: Mapped[datetime | None]
    return_note: Mapped[str | None] = mapped_column(Text)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
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
    amended_at: Mapped[datetime | None]  # the judge replaced these marks before the grade was released


class Grade(Base):
    """A team's final grade on a report task (one per team and task): carries points once released."""

    __tablename__ = "grade"
    __table_args__ = (UniqueConstraint("team_id", "challenge_id", name="uq_grade_team_challenge"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"))
    points: Mapped[int]  # what counts: the marks' points less ``late_penalty``
    comment: Mapped[str] = mapped_column(Text, default="")
    # Points per rubric criterion, and each counted judge's feedback on its own (never a name).
    scores: Mapped[list[Any]] = mapped_column(default=list)
    feedback: Mapped[list[Any]] = mapped_column(default=list)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    late_penalty: Mapped[int] = mapped_column(default=0)  # points taken because the report came late


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
    # The redteam.yml objective hit (None: "other"), and what an accepted detection gave back:
    # the score counts ``points - refunded_points`` (``counting_points`` below).
    objective_id: Mapped[int | None] = mapped_column(ForeignKey("objective.id"))
    refunded_points: Mapped[int] = mapped_column(default=0)
    # The defended service the attack took down, when the red team names one.
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))


def counting_points(deduction: Any) -> Any:
    """What a deduction takes from its team's score: its points less what an accepted detection
    gave back. The one place this rule lives, here so that the ledger (board/) can reach it:
    called with a row it is a number, called with the ``Deduction`` class a column expression for
    the score's SQL. Voids stay the ledger's matter (they depend on what the public may see)."""
    return deduction.points - deduction.refunded_points


class RevealProgress(Base):
    """How far the closing ceremony has revealed one team's held changes (all up to ``until``)."""

    __tablename__ = "reveal_progress"
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), primary_key=True)
    until: Mapped[datetime]
