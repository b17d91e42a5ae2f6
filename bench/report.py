"""The benchmark table: every figure next to its goal and the ratio measured / goal.

Goals for this 2-core machine with the load generator on it. Issue #10's: at least 400
submissions/s (never below 200), scoreboard p99 <= 20 ms while players submit, cost flat in teams
and solves (growth: the ratio is the grown drill's figure over the small one's). Issue #27's:
scoreboard polls at least twice CTFd's, submit p99 <= 50 ms at 50 players on one process and
<= 150 ms on the cluster (which must also grade more answers per second than one process), at
most 1 ms of server CPU per answer, solve-to-client p99 <= 250 ms with 2,000 observers on one
process and 5,000 on the cluster (measured on both here).
"""
from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str]
SUBMISSIONS_PER_S, BOARD_P99_MS, LIVE_P99_MS = 400, 20, 250
# Submit p99 at 50 players (issue #27); other loads keep issue #10's 100 ms.
SUBMIT_P99_MS = {"single": 50, "cluster": 150}
SUBMIT_P99_OTHER_MS = 100
# CTFd 3.8.7's scoreboard polls/s with the same generator (loadgen observers, 50 clients) on this
# machine, alternated with Drillboard's runs: 964-1,070/s (issue #27, "One process without its
# stalls"). The goal is twice the best of them.
CTFD_POLLS_PER_S = (964, 1070)
POLLS_PER_S = 2 * max(CTFD_POLLS_PER_S)
# Server CPU per graded answer (issue #27: Drillboard ~1.9 ms before, CTFd ~34 ms).
CPU_MS_PER_ANSWER = 1.0


def ratio(measured: float | None, target: float, higher_is_better: bool) -> str:
    if measured is None or not target:
        return "-"
    met = measured >= target if higher_is_better else measured <= target
    return f"{measured / target:.2f} {'met' if met else 'MISSED'}"


def ms(latency: dict[str, Any], *keys: str) -> str:
    return " / ".join("-" if latency.get(k) is None else f"{latency[k]:.0f}" for k in keys)


def players(label: str, r: dict[str, Any], submit_p99: int = SUBMIT_P99_OTHER_MS) -> list[Row]:
    sub, board = r["submissions"], r["scoreboard"]["latency_ms"]
    rows = [
        (f"{label}: submissions/s", f"{sub['per_s']:.0f}", f">= {SUBMISSIONS_PER_S} (never < 200)",
         ratio(sub["per_s"], SUBMISSIONS_PER_S, True)),
        (f"{label}: submit p50 / p99 ms", ms(sub["latency_ms"], "p50", "p99"), f"p99 <= {submit_p99}",
         ratio(sub["latency_ms"].get("p99"), submit_p99, False)),
        (f"{label}: scoreboard p50 / p99 ms", ms(board, "p50", "p99"), f"p99 <= {BOARD_P99_MS}",
         ratio(board.get("p99"), BOARD_P99_MS, False)),
        (f"{label}: errors / rate-limited", f"{r['errors']['count']} / {sub['by_status'].get('ratelimited', 0)}",
         "0", "-"),
    ]
    if r.get("server_cpu_s") is not None and sub["count"]:
        per_answer = 1000 * r["server_cpu_s"] / sub["count"]
        rows.append((f"{label}: server CPU per answer", f"{per_answer:.2f} ms", f"<= {CPU_MS_PER_ANSWER:g} ms",
                     ratio(per_answer, CPU_MS_PER_ANSWER, False)))
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
    servers, received = r.get("server_processes") or {}, r["loadgen"].get("events_received")
    if servers and received:
        # Everything the servers did over the run (connects, answers, builds too) per message delivered.
        per_message = 1e6 * sum(p["cpu_s"] for p in servers.values()) / received
        rows.append((f"{label}: server CPU per message and observer", f"{per_message:.1f} us", "-", "-"))
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


def polls(label: str, r: dict[str, Any]) -> list[Row]:
    latency = r["all_latency_ms"]
    rows = [(f"{label}: scoreboard polls/s", f"{r['requests_per_s']:.0f}",
             f">= {POLLS_PER_S} (2x CTFd's {CTFD_POLLS_PER_S[0]}-{CTFD_POLLS_PER_S[1]})",
             ratio(r["requests_per_s"], POLLS_PER_S, True)),
            (f"{label}: poll p50 / p99 ms, errors", f"{ms(latency, 'p50', 'p99')}, {r['errors']['count']}", "0 errors",
             "-")]
    if r.get("server_cpu_s") and r.get("requests"):
        # What the server could answer with a core of its own: when the generator is the bottleneck
        # (it shares the machine), polls/s says how fast the generator is, this how fast the server.
        per_poll = 1000 * r["server_cpu_s"] / r["requests"]
        rows.append((f"{label}: server CPU per poll (polls/s per server core)", f"{per_poll:.3f} ms ({1000 / per_poll:,.0f})",
                     f"<= {1000 / POLLS_PER_S:.3f} ms ({POLLS_PER_S:,})", ratio(per_poll, 1000 / POLLS_PER_S, False)))
    if r.get("client_cpu_pct_of_one_core", 0) > 85:
        rows.append((f"{label}: NOTE load generator at {r['client_cpu_pct_of_one_core']}% of a core", "", "", ""))
    return rows


def rows_of(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    submit_p99 = SUBMIT_P99_MS.get(results.get("kind", "single"), SUBMIT_P99_OTHER_MS)
    for name, label, make in (("polls", "polls 50", polls),
                              ("players50", "players 50", lambda lb, r: players(lb, r, submit_p99)),
                              ("players200", "players 200", players),
                              ("observers500", "observers 500", lambda lb, r: observers(lb, 500, r)),
                              ("observers2000", "observers 2,000", lambda lb, r: observers(lb, 2000, r)),
                              ("observers5000", "observers 5,000", lambda lb, r: observers(lb, 5000, r))):
        if name in results:
            rows += [(f"{label}: failed", results[name]["failed"][-80:], "", "")] if "failed" in results[name] \
                else make(label, results[name])
    if "growth" in results:
        rows += [("growth: failed", results["growth"]["failed"][-80:], "", "")] if "failed" in results["growth"] \
            else growth(results)
    return rows


def across(everything: dict[str, Any]) -> str:
    """The cluster against one process, and answers/s and p99 by cluster size (players 50)."""
    rows: list[Row] = []
    one = everything.get("single", {}).get("players50", {})
    many = everything.get("cluster", {}).get("players50", {})
    if "submissions" in one and "submissions" in many:
        rows.append(("cluster / one process: answers/s at players 50",
                     f"{many['submissions']['per_s']:.0f} / {one['submissions']['per_s']:.0f}", "> 1.00",
                     ratio(many["submissions"]["per_s"] / max(one["submissions"]["per_s"], 1e-9), 1.0, True)))
    for workers, r in everything.get("scale", {}).items():
        if "submissions" in r:
            rows.append((f"cluster of {workers}: players 50 answers/s, submit p50 / p99 ms",
                         f"{r['submissions']['per_s']:.0f}, {ms(r['submissions']['latency_ms'], 'p50', 'p99')}",
                         f"p99 <= {SUBMIT_P99_MS['cluster']}",
                         ratio(r["submissions"]["latency_ms"].get("p99"), SUBMIT_P99_MS["cluster"], False)))
    return table_of(rows) if rows else ""


def table(results: dict[str, Any]) -> str:
    return table_of(rows_of(results))


def table_of(figures: list[Row]) -> str:
    rows = [("figure", "measured", "target", "ratio")] + figures
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
