"""The live stream's per-address and per-connection bounds (``live/guard.py``), without a server."""
from __future__ import annotations

from scoreboard.live.guard import Bounds, Guard


def test_the_connection_after_the_cap_is_refused_until_one_leaves() -> None:
    guard = Guard(Bounds(per_address=2))
    assert guard.admit("a", "10.0.0.1") and guard.admit("b", "10.0.0.1")
    assert not guard.admit("c", "10.0.0.1")
    assert guard.admit("d", "10.0.0.2"), "another address is not affected"
    guard.leave("a")
    guard.leave("c")  # refused connections were never counted: leaving changes nothing
    assert guard.admit("e", "10.0.0.1")
    assert not guard.admit("f", "10.0.0.1")


def test_resyncs_earn_nothing_while_unread_and_are_limited_per_connection_and_address() -> None:
    guard = Guard(Bounds(resyncs_per_connection=3, resyncs_per_address=5))
    for sid in ("a", "b", "c"):
        assert guard.admit(sid, "10.0.0.1")
    assert not guard.may_resync("a", queued=1), "the last snapshot is still queued"
    assert [guard.may_resync("a", queued=0) for _ in range(5)] == [True, True, True, False, False]
    assert [guard.may_resync("b", queued=0) for _ in range(3)] == [True, True, False], "the address has 5"
    assert not guard.may_resync("c", queued=0)


def test_a_connection_with_too_much_queued_is_overfull() -> None:
    guard = Guard(Bounds(max_queued=10))
    assert not guard.overfull(10) and guard.overfull(11)
