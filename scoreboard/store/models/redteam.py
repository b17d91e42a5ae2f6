"""What the red team aims at and how teams answer it: a pack's objectives, a team's detection
report on a deduction, and a team's appeal against one."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scoreboard.store.models.base import Base, utcnow


class Objective(Base):
    """One target of ``redteam.yml``: an asset of every team the red team tries to compromise.

    Matched by (pack, key) on reload and updated in place, so deductions that name it keep it;
    one the pack no longer lists is marked ``removed`` (old deductions still show it).
    """

    __tablename__ = "objective"
    __table_args__ = (UniqueConstraint("pack_id", "key", name="uq_objective_pack_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("pack.id"))
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    points: Mapped[int]
    asset: Mapped[str] = mapped_column(String(200), default="")
    # {"ru": {"title": ..., "asset": ..., "category": ...}}
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(default=0)
    removed: Mapped[bool] = mapped_column(default=False)


class Claim:
    """What a team's claim about one of its deductions holds (a detection, an appeal): one per
    deduction, its text, who filed it and when, and where its decision stands."""

    deduction_id: Mapped[int] = mapped_column(ForeignKey("deduction.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")


class Detection(Claim, Base):
    """A team's report that it detected the attack behind a deduction (one per deduction).

    ``status``: ``pending`` until a judge decides, then ``accepted`` (the refund is on the
    deduction's ``refunded_points``) or ``rejected``.
    """

    __tablename__ = "detection"
    id: Mapped[int] = mapped_column(primary_key=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    judge_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    judged_at: Mapped[datetime | None]


class Appeal(Claim, Base):
    """A team's one appeal against a deduction: ``pending``, then ``upheld`` or ``voided``."""

    __tablename__ = "appeal"
    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
