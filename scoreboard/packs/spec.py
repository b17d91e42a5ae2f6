"""What a valid pack becomes before it touches the database."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from scoreboard.packs.problems import Finding
from scoreboard.packs.redteam import RedTeamSpec
from scoreboard.packs.services import ServicesSpec


@dataclass
class AnswerSpec:
    type: str
    content: Any
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class HintSpec:
    content: str
    cost: int = 0
    title: str | None = None
    key: str | None = None
    # Keys of this challenge's hints that must be unlocked first (ctfcli's hint requirements).
    requirements: list[str] = field(default_factory=list)


@dataclass
class FileSpec:
    name: str
    path: Path
    sha256: str
    size: int


@dataclass
class ChallengeSpec:
    name: str
    source: str
    category: str = "Misc"
    author: str = ""
    description: str = ""
    kind: str = "flag"  # Challenge.kind: "flag" (answers) or "report" (judged against the rubric)
    scoring: str = "standard"
    value: int = 0
    initial: int | None = None
    decay: int | None = None
    minimum: int | None = None
    function: str = "logarithmic"
    answers: list[AnswerSpec] = field(default_factory=list)
    hints: list[HintSpec] = field(default_factory=list)
    files: list[FileSpec] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    # Names of challenges in the pack; an int is a loaded challenge's id until apply resolves it.
    requirements: list[str | int] = field(default_factory=list)
    anonymize: bool = False
    state: str = "visible"
    max_attempts: int = 0
    logic: str = "any"
    connection_info: str | None = None
    version: str | None = None
    attribution: str | None = None
    release_at: datetime | None = None
    release_after: int | None = None
    translations: dict[str, Any] = field(default_factory=dict)
    solution: str | None = None
    # Report tasks: [{"criterion", "points", "comment_required", "levels"?}], when revisions
    # stop, and the marking guide (Markdown for judges only).
    rubric: list[dict[str, Any]] = field(default_factory=list)
    deadline_at: datetime | None = None
    deadline_after: int | None = None
    # The exercise phase that holds the challenge back until it opens; report tasks' late rule
    # (None: refuse; {"penalty_percent", "per_minutes"}: accept, with a penalty).
    phase: str | None = None
    late: dict[str, int] | None = None
    guide: str = ""  # a report task's marking guide, for judges only
    # challenge.yml's ``id:``: the challenge's identity in its pack when given, so a rename
    # updates the same row (its solves stay with it); without it the name is the identity.
    key: str | None = None
    # Where 'name' and 'requirements' stand in the file, for cross-challenge problems.
    lines: dict[str, int] = field(default_factory=dict)

    def fingerprint(self) -> dict[str, Any]:
        """Everything that, when it differs from the database, makes this a change.

        Files are compared by name (their names are unique in a challenge): the database
        keeps them in name order, the YAML in any order.
        """
        data = asdict(self)
        data["files"] = sorted((f.name, f.sha256) for f in self.files)
        data.pop("source")
        data.pop("lines")
        return data


@dataclass
class PhaseSpec:
    """One of pack.yml's ``phases``: opened at ``opens_at``, ``opens_after`` the start, or by an organizer."""

    id: str
    title: str
    description: str = ""
    opens_at: datetime | None = None
    opens_after: int | None = None
    translations: dict[str, Any] = field(default_factory=dict)
    line: int = 1


@dataclass
class PackSpec:
    id: str
    title: str
    description: str
    root: Path
    digest: str
    challenges: list[ChallengeSpec]
    settings: dict[str, Any]
    warnings: list[Finding] = field(default_factory=list)
    translations: dict[str, Any] = field(default_factory=dict)  # pack.yml's title/description by language
    briefing: str = ""
    phases: list[PhaseSpec] = field(default_factory=list)
    redteam: RedTeamSpec | None = None  # redteam.yml, when the pack has one
    services: ServicesSpec | None = None  # services.yml, when the pack has one
    # Where the id came from: "option" (--pack), "pack.yml" or "folder" (the folder's name),
    # and that folder's name: the dry run says which, so two copies never become two packs unseen.
    named_by: str = "folder"
    folder: str = ""
    has_pack_yml: bool = False
