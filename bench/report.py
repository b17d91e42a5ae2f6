"""The benchmark table: every figure next to its target and the ratio measured / target.

Targets are issue #10's, for this 2-core machine with the load generator on it: at least 400
submissions/s (never below 200) at submit p99 <= 100 ms, scoreboard p99 <= 20 ms while players
submit, solve-to-client p99 <= 250 ms with 2,000 observers, and cost flat in teams and solves
(growth: the ratio is the grown drill's figure over the small one's).
"""
from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str]
SUBMISSIONS_PER_S, SUBMIT_P99_MS, BOARD_P99_MS, LIVE_P99_MS = 400, 100, 20, 250


def ratio(measured: float | None, target: float, higher_is_better: bool) -> str:
    if measured is None or not target:
        return "-"
    met = measured >= target if higher_is_better else measured <= target
    return f"{measured / target:.2f} {'met' if met else 'MISSED'}"


def ms(latency: dict[str, Any], *keys: str) -> str:
    return " / ".join("-" if latency.get(k) is None else f"{latency[k]:.0f}" for k in keys)


def players(label: str, r: dict[str, Any]) -> list[Row]:
    sub, board = r["submissions"], r["scoreboard"]["latency_ms"]
    rows = [
        (f"{label}: submissions/s", f"{sub['per_s']:.0f}", f">= {SUBMISSIONS_PER_S} (never < 200)",
         ratio(sub["per_s"], SUBMISSIONS_PER_S, True)),
        (f"{label}: submit p50 / p99 ms", ms(sub["latency_ms"], "p50", "p99"), f"p99 <= {SUBMIT_P99_MS}",
         ratio(sub["latency_ms"].get("p99"), SUBMIT_P99_MS, False)),
        (f"{label}: scoreboard p50 / p99 ms", ms(board, "p50", "p99"), f"p99 <= {BOARD_P99_MS}",
         ratio(board.get("p99"), BOARD_P99_MS, False)),
        (f"{label}: errors / rate-limited", f"{r['errors']['count']} / {sub['by_status'].get('ratelimited', 0)}",
         "0", "-"),
    ]
    if r.get("client_cpu_pct_of_one_core", 0) > 85:
        rows.append((f"{label}: NOTE load generator at {r['client_cpu_pct_of_one_core']}% of a core", "", "", ""))
    return rows


def observers(label: str, clients: int, r: dict[str, Any]) -> list[Row]:
    latency = r["latency_from_submit_ms"]
    memory = r.get("server_rss_kb", {})
    per_client = ((memory.get("peak", 0) - memory.get("before", 0)) / r["connected"]) if r["connected"] else None
    rows = [
        (f"{label}: connected (failures)", f"{r['connected']}/{clients} ({r['connect_failures']})", "all",
         ratio(r["connected"], clients, True)),
        (f"{label}: solve-to-client p50 / p99 ms", ms(latency, "p50", "p99"), f"p99 <= {LIVE_P99_MS}",
         ratio(latency.get("p99"), LIVE_P99_MS, False)),
        (f"{label}: events delivered / seq gaps", f"{r['solve_events']['delivery_ratio']} / {r['seq_gaps']}", "1 / 0",
         "-"),
        (f"{label}: server memory per client", "-" if per_client is None else f"{per_client:.0f} KiB", "-", "-"),
    ]
    if r["loadgen"].get("saturated"):
        rows.append((f"{label}: NOTE load generator saturated: {'; '.join(r['loadgen']['saturated'])}", "", "", ""))
    return rows


def growth(results: dict[str, Any]) -> list[Row]:
    base, grown, seed = results.get("players50"), results["growth"], results["growth_seed"]
    rows = [("growth: stored before the run", f"{seed['teams_total']:,} teams, {seed['solves_now']:,} solves", "", "")]
    rows += players("growth: players 50", grown)
    if base and "failed" not in base:
        pairs = [(grown["submissions"]["per_s"], base["submissions"]["per_s"], True),
                 (grown["submissions"]["latency_ms"].get("p99"), base["submissions"]["latency_ms"].get("p99"), False),
                 (grown["scoreboard"]["latency_ms"].get("p99"), base["scoreboard"]["latency_ms"].get("p99"), False)]
        rows += [(f"growth / players 50: {what}", "", "flat (1.00)", ratio(g, b, better))
                 for what, (g, b, better) in zip(("submissions/s", "submit p99", "scoreboard p99"), pairs, strict=True)]
    return rows


def rows_of(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, label, make in (("players50", "players 50", players), ("players200", "players 200", players),
                              ("observers500", "observers 500", lambda lb, r: observers(lb, 500, r)),
                              ("observers2000", "observers 2,000", lambda lb, r: observers(lb, 2000, r))):
        if name in results:
            rows += [(f"{label}: failed", results[name]["failed"][-80:], "", "")] if "failed" in results[name] \
                else make(label, results[name])
    if "growth" in results:
        rows += [("growth: failed", results["growth"]["failed"][-80:], "", "")] if "failed" in results["growth"] \
            else growth(results)
    return rows


def table(results: dict[str, Any]) -> str:
    rows = [("figure", "measured", "target", "ratio")] + rows_of(results)
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
