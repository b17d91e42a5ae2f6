"""Helpers shared by the core tests (importable as ``corekit``, like ``livekit`` in tests/live)."""
from __future__ import annotations

from typing import Any

from scoreboard.drill import accounts, organizer


def team_with_token(services: Any, name: str, country: str = "KZ") -> tuple[int, dict[str, str]]:
    """Create a team in the app's database; return its id and bearer headers for its API token."""
    with services.database.session() as session:
        team = organizer.create_team(session, name, country, "test")
        token = accounts.new_token(session, team=team)
        team_id = team.id
    return team_id, {"Authorization": f"Bearer {token}"}
