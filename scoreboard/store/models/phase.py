"""Exercise phases (pack.yml ``phases``): STARTEX, the injects that follow, ENDEX."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scoreboard.store.models.base import Base


class Phase(Base):
    """One phase of the exercise: waiting until it opens (on its schedule or by an organizer), then open.

    Its challenges (``Challenge.phase``) stay hidden until ``opened_at`` is set. Ids are the
    pack's own words and unique across packs, so ``drill phase open ID`` names one.
    """

    __tablename__ = "phase"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("pack.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # When it opens by itself: a fixed time, or seconds after the drill starts; neither: an organizer opens it.
    opens_at: Mapped[datetime | None]
    opens_after: Mapped[int | None]
    opened_at: Mapped[datetime | None]
    opened_by: Mapped[str | None] = mapped_column(String(100))
