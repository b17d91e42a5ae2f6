"""A report's versions as a judge reads them: the latest first, each with its time and what
changed since the one before (a line diff from ``difflib``, plain text for the page to escape).

Never the team or the author: judges know a report only by its number. No Flask here.
"""
from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.store.models import Report

MAX_DIFF_LINES = 2_000  # a diff of two 50 000-character reports stays readable and bounded


def diff(before: str, after: str) -> str:
    """What changed from ``before`` to ``after``, as unified-diff text without file headers."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2)
    body = [line for line in lines if not line.startswith(("---", "+++"))]
    if len(body) > MAX_DIFF_LINES:
        body = [*body[:MAX_DIFF_LINES], f"… {len(body) - MAX_DIFF_LINES} more lines"]
    return "\n".join(body)


def history(session: Session, report: Report) -> list[dict[str, Any]]:
    """Every version of the report's team and task, newest first, each with its diff from the
    previous version (empty for the first) and the note it was returned with, if any."""
    rows = list(session.scalars(select(Report).where(
        Report.team_id == report.team_id, Report.challenge_id == report.challenge_id).order_by(Report.version)))
    found = []
    for index, row in enumerate(rows):
        found.append({"id": row.id, "version": row.version, "at": row.at.isoformat(),
                      "text_html": row.text_html,
                      "diff": diff(rows[index - 1].text, row.text) if index else "",
                      "returned_at": row.returned_at.isoformat() if row.returned_at else None,
                      "return_note": row.return_note})
    return found[::-1]
