"""Defended services: what services.yml lists, where each team's instance is, and every round's
checks. A check that found a service up carries that service's points (the ledger's
``availability``), so its row is audited like every other row that carries points."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scoreboard.store.models.base import Base, utcnow


class Service(Base):
    """One service every team defends (services.yml). ``key`` is its id there, unique across the
    drill (the API, events and ``drill service host`` name it); matched by key on reload and
    updated in place, so its checks keep pointing at it; dropped from the file, it is ``removed``."""

    __tablename__ = "service"
    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("pack.id"))
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ru": {"title": ...}}
    port: Mapped[int] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(default=0)  # per round the service is found up
    # {"kind": "http", "path": "/", "status": 200, ..., "timeout": seconds, "memory_mb": n}; a
    # checker's {"folder": its stored copy under the files dir, "entry": the file to run, ...}.
    check: Mapped[dict[str, Any]] = mapped_column(default=dict)
    objectives: Mapped[list[Any]] = mapped_column(default=list)  # redteam.yml objective ids it serves
    position: Mapped[int] = mapped_column(default=0)
    removed: Mapped[bool] = mapped_column(default=False)


class ServiceHost(Base):
    """Where a team's services answer. services.yml's ``teams`` gives each team one host (rows of
    its pack, replaced on reload); an organizer may override it for one team, for all its services
    (``service_id`` None) or one of them (rows without a pack, which a reload keeps). Teams are
    named by ``name_key``, so a pack may name teams created after it was loaded."""

    __tablename__ = "service_host"
    __table_args__ = (Index("ix_service_host_team", "team_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_key: Mapped[str] = mapped_column(String(100))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    host: Mapped[str] = mapped_column(String(255))
    pack_id: Mapped[str | None] = mapped_column(ForeignKey("pack.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceRound(Base):
    """One round of checks of every team's services. An excluded round (the range itself broke)
    counts in no team's SLA or points; re-running a round excludes it and runs a new one at once."""

    __tablename__ = "service_round"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    excluded_at: Mapped[datetime | None]
    exclude_reason: Mapped[str | None] = mapped_column(Text)


class ServiceCheck(Base):
    """One team's service as one round found it. ``points`` is what it earned (the service's
    points when up, fixed when checked); ``message`` is public (a checker's stdout), ``detail``
    private (its stderr). A checker's ``put`` stores ``flag_id``/``flag`` here: the next round
    asks for them back (``get``), which proves the service keeps its data."""

    __tablename__ = "service_check"
    __table_args__ = (UniqueConstraint("round_id", "team_id", "service_id", name="uq_service_check"),
                      Index("ix_service_check_team_service", "team_id", "service_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("service_round.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    state: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
    flag_id: Mapped[str | None] = mapped_column(String(200))
    flag: Mapped[str | None] = mapped_column(String(100))
