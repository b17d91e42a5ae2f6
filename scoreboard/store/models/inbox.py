"""What teams read and ask: their inbox of messages and their questions to exercise control."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from scoreboard.store.models.base import Base, utcnow


class Clarification(Base):
    """A team's question to exercise control (the white cell) about a challenge or the drill.

    The answer goes to the asking team only, or with ``published`` to every team; other teams
    never learn who asked.
    """

    __tablename__ = "clarification"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenge.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published: Mapped[bool] = mapped_column(Boolean, default=False)


class InboxMessage(Base):
    """One item of the teams' inboxes: an announcement or a clarification's answer.

    ``team_id`` is the one team it is for, or empty for every team. Kept as its own row so that
    an inbox is one query, newest first, and each item has one id to be marked read by.
    """

    __tablename__ = "inbox_message"
    __table_args__ = (Index("ix_inbox_message_team_at", "team_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcement.id"))
    clarification_id: Mapped[int | None] = mapped_column(ForeignKey("clarification.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind(self) -> str:
        return "announcement" if self.announcement_id is not None else "clarification"


class InboxRead(Base):
    """A team has read a message (read state is per team, like the inbox)."""

    __tablename__ = "inbox_read"
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("inbox_message.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
