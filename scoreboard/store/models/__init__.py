"""The data model, owned by Alembic; one module per part of the drill, all importable from here.

Times are stored in UTC. Every public change is also an ``Event`` row carrying the ``seq``
observers see, so the board at any minute can be rebuilt from the table. Nothing here is
SQLite-only.
"""
from __future__ import annotations

from scoreboard.store.models.base import Base, UTCDateTime, utcnow
from scoreboard.store.models.blob import CHUNK, Blob, BlobChunk
from scoreboard.store.models.content import Answer, Challenge, Drill, File, Hint, Pack, PackLoad
from scoreboard.store.models.exercise import Deduction, Grade, Mark, Report, ReportFile, RevealProgress, counting_points
from scoreboard.store.models.inbox import Clarification, InboxMessage, InboxRead
from scoreboard.store.models.phase import Phase
from scoreboard.store.models.play import (
    Announcement,
    ApiToken,
    AttemptCount,
    Award,
    Capture,
    HintUnlock,
    Solve,
    Submission,
    Team,
    User,
)
from scoreboard.store.models.record import AuditEntry, AuditHead, BoardState, Event
from scoreboard.store.models.redteam import Appeal, Detection, Objective
from scoreboard.store.models.services import Service, ServiceCheck, ServiceHost, ServiceRound

__all__ = [
    "utcnow",
    "UTCDateTime",
    "Base",
    "Drill",
    "Pack",
    "PackLoad",
    "Challenge",
    "Answer",
    "Hint",
    "File",
    "Team",
    "User",
    "ApiToken",
    "Submission",
    "AttemptCount",
    "Capture",
    "Solve",
    "HintUnlock",
    "Award",
    "Announcement",
    "Event",
    "BoardState",
    "AuditEntry",
    "AuditHead",
    "Report",
    "ReportFile",
    "Mark",
    "Grade",
    "Deduction",
    "counting_points",
    "RevealProgress",
    "Phase",
    "Objective",
    "Detection",
    "Appeal",
    "Clarification",
    "InboxMessage",
    "InboxRead",
    "Service",
    "ServiceHost",
    "ServiceRound",
    "ServiceCheck",
    "Blob",
    "BlobChunk",
    "CHUNK",
]
