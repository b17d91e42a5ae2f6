"""scoring.dynamic_value against the DESIGN.md formula, and rank's ordering rules."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from scoreboard.core.scoring import Standing, dynamic_value, rank

CURVES = [(500, 10, 100), (500, 30, 50), (1000, 5, 1), (300, 1, 300), (100, 50, 0), (250, 13, 25)]


def reference(initial: int, decay: int, minimum: int, n: int) -> int:
    """DESIGN.md, computed exactly with fractions (no floating point in the reference)."""
    s = max(n - 1, 0)
    raw = Fraction(minimum - initial, decay ** 2) * s ** 2 + initial
    return max(minimum, math.ceil(raw))


@pytest.mark.parametrize("initial, decay, minimum", CURVES)
def test_dynamic_matches_design_formula(initial: int, decay: int, minimum: int) -> None:
    got = [dynamic_value(initial, decay, minimum, n) for n in range(51)]
    assert got == [reference(initial, decay, minimum, n) for n in range(51)]


@pytest.mark.parametrize("initial, decay, minimum", CURVES)
def test_dynamic_shape(initial: int, decay: int, minimum: int) -> None:
    values = [dynamic_value(initial, decay, minimum, n) for n in range(51)]
    assert values[0] == initial           # nobody solved yet: full value shown
    assert values[1] == initial           # the first solver gets initial
    assert all(a >= b for a, b in zip(values, values[1:], strict=False)), values
    assert min(values) >= minimum
    if decay + 1 <= 50:
        assert values[decay + 1] == minimum  # at s == decay the curve reaches the minimum


def test_dynamic_known_values() -> None:
    # 500/10/100: s=1 -> ceil(-4 + 500) = 496; s=5 -> ceil(-100 + 500) = 400.
    assert dynamic_value(500, 10, 100, 2) == 496
    assert dynamic_value(500, 10, 100, 6) == 400
    assert dynamic_value(500, 10, 100, 11) == 100
    assert dynamic_value(500, 10, 100, 40) == 100


@pytest.mark.parametrize("n", range(0, 51))
def test_linear(n: int) -> None:
    expected = max(20, 200 - 7 * max(n - 1, 0))
    assert dynamic_value(200, 7, 20, n, "linear") == expected


def test_linear_first_solver_gets_initial_and_floor_holds() -> None:
    assert dynamic_value(200, 7, 20, 1, "linear") == 200
    assert dynamic_value(200, 7, 20, 1000, "linear") == 20


# --- rank ---------------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def row(team_id: int, score: int, minutes: int | None, solves: int = 1) -> Standing:
    at = None if minutes is None else T0 + timedelta(minutes=minutes)
    return Standing(team_id, f"team{team_id}", "KZ", score, solves if at else 0, at)


def test_rank_by_score() -> None:
    ordered = rank([row(1, 100, 5), row(2, 300, 50), row(3, 200, 1)])
    assert [r.team_id for r in ordered] == [2, 3, 1]
    assert [r.pos for r in ordered] == [1, 2, 3]


def test_tie_goes_to_earlier_last_solve() -> None:
    # Team 1 has the lower id but reached 300 later: team 2 ranks first.
    ordered = rank([row(1, 300, 40), row(2, 300, 10), row(3, 300, 25)])
    assert [r.team_id for r in ordered] == [2, 3, 1]
    assert [r.pos for r in ordered] == [1, 2, 3]


def test_zero_score_teams_with_nothing_come_last() -> None:
    ordered = rank([row(5, 0, None), row(1, 0, None), row(2, 100, 30), row(3, 0, 10)])
    # the team that reached 0 by solving and losing points still ranks before teams with nothing
    assert [r.team_id for r in ordered] == [2, 3, 1, 5]
    assert ordered[-1].last_solve_at is None and ordered[-2].last_solve_at is None


def test_rank_positions_are_dense_and_distinct() -> None:
    rows = [row(i, (i % 3) * 100, i) for i in range(1, 10)]
    ordered = rank(rows)
    assert [r.pos for r in ordered] == list(range(1, 10))
    scores = [r.score for r in ordered]
    assert scores == sorted(scores, reverse=True)
