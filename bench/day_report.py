"""day.py's figures and table: p50/p99 of every operation, the delivery latency of calls to the boards
and the phones, CPU and memory of every process, the largest queue, and the checks in the database.

A library for bench/day.py, not a benchmark.
"""

from __future__ import annotations

import collections
from typing import Any

from booking_measure import latency_summary, query
from common import fmt

HALL_OPS = ("issue", "call", "call, nobody waiting", "recall", "no-show", "start", "transfer", "finish", "read queues", "sign in")
BOOKING_OPS = ("list slots", "book", "code by e-mail", "confirm booking", "list draws", "enter draw",
               "confirm entry", "read draw", "read draw result")


def delivery(sent: dict[str, float], arrivals: dict[str, Any]) -> dict[str, Any]:
    """Latency from a call's write (per office/number) to each arrival (a float or a list of them)."""
    samples: list[int] = []
    reached = 0
    for key, at in arrivals.items():
        if key not in sent:
            continue
        reached += 1
        for moment in (at if isinstance(at, list) else [at]):
            samples.append(int(max(0.0, moment - sent[key]) * 1e6))
    return {**latency_summary(samples), "calls_seen": reached}


def figures(hall: dict[str, Any], boards: dict[str, Any], booking: dict[str, Any], boards_per_office: int) -> dict[str, Any]:
    ops: dict[str, Any] = {}
    for source, names in ((hall, HALL_OPS), (booking, BOOKING_OPS)):
        for name in names:
            if source.get("latency", {}).get(name):
                ops[name] = latency_summary(source["latency"][name])
    calls = hall.get("calls", {})
    board = delivery(calls, boards.get("arrivals", {}))
    board["calls_missed_by_some_board"] = sum(1 for key in calls
                                              if len(boards.get("arrivals", {}).get(key, [])) < boards_per_office)
    ops["board: call to board"] = board
    phones = {key: at for key, at in hall.get("phone_arrivals", {}).items()}
    ops["phone: call to phone"] = delivery(calls, phones)
    largest = {}
    for office, series in hall.get("queues", {}).items():
        if series:
            top = max(series, key=lambda row: row[1])
            largest[office] = {"waiting": top[1], "at_s": top[0], "by_service": top[2]}
    return {"operations": ops, "largest_queue": largest,
            "largest_queue_any_office": max((v["waiting"] for v in largest.values()), default=None),
            "errors": {**hall.get("errors", {}), **booking.get("errors", {})},
            "tickets_issued": sum(hall.get("issued", {}).values()), "closed": sum(hall.get("closed", {}).values()),
            "actions": hall.get("actions", {}), "phones": hall.get("phones", {}),
            "boards": {k: boards.get(k) for k in ("boards", "failed", "errors", "events_read", "still_open")},
            "bookings": booking.get("counts", {}), "draws": booking.get("draws", {}),
            "mail_files": booking.get("mail_files"), "hall_seconds": hall.get("seconds"),
            "last_ticket_at_s": max(hall.get("last_ticket_at", {}).values(), default=None),
            "client_cpu_seconds": {"hall": hall.get("cpu_seconds"), "booking": booking.get("cpu_seconds")}}


async def check_database(url: str, issued: int, bookings_confirmed: int) -> dict[str, Any]:
    """Tickets: as many as the kiosks got, numbers unique, every one done or not present at the
    end; bookings: no slot over its places, as many confirmed first-come ones as the clients got."""
    from tickets_database import check_tickets

    tickets = await check_tickets("postgresql", url, issued)
    statuses, over, by_service, outbox = await query(url, [
        "SELECT status, count(*) FROM tickets GROUP BY status ORDER BY status",
        "SELECT s.code, b.starts_at, count(*), max(b.place) FROM bookings b JOIN services s ON s.id = b.service_id "
        "WHERE b.status IN ('held', 'confirmed') GROUP BY s.id, s.code, b.starts_at HAVING count(*) > 1 "
        "AND count(*) > count(DISTINCT b.place)",
        "SELECT s.code, b.status, count(*) FROM bookings b JOIN services s ON s.id = b.service_id "
        "GROUP BY s.code, b.status ORDER BY 1, 2",
        "SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL) FROM outbox_messages",
    ])
    by_status = dict(statuses)
    problems = list(tickets["problems"])
    still_open = sum(by_status.get(s, 0) for s in ("waiting", "called", "serving"))
    if still_open:
        problems.append(f"{still_open} tickets still waiting, called or being served at the end")
    if over:
        problems.append(f"{len(over)} slots with a place held twice")
    confirmed_first_come = sum(n for code, status, n in by_service if code == "R" and status == "confirmed")
    if confirmed_first_come != bookings_confirmed:
        problems.append(f"clients confirmed {bookings_confirmed} first-come bookings, the database has "
                        f"{confirmed_first_come}")
    return {"ok": not problems, "problems": problems, "tickets_by_status": by_status,
            "tickets": tickets["tickets"], "bookings": [list(r) for r in by_service],
            "outbox": {"messages": outbox[0][0], "unsent_at_end": outbox[0][1]}}


def table(result: dict[str, Any]) -> str:
    f = result["figures"]
    lines = [f"\n{result['label']}: {f['tickets_issued']} tickets, {f['closed']} closed, "
             f"day {f['hall_seconds']} s of wall time (last ticket issued at {f['last_ticket_at_s']} s)",
             f"{'operation':<24} {'count':>7} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}"]
    for name, row in f["operations"].items():
        lines.append(f"{name:<24} {row['count']:>7} {fmt(row['p50_ms']):>9} {fmt(row['p99_ms']):>9} "
                     f"{fmt(row['max_ms']):>9}")
    lines.append("")
    lines.append(f"load average (1, 5, 15 min) before {tuple(round(x, 1) for x in result['load_average_before'])}, "
                 f"after {tuple(round(x, 1) for x in result['load_average'])}")
    lines.append(f"{'process':<24} {'CPU % of a core':>16} {'CPU s':>8} {'busiest second %':>17} {'RSS MB end':>11} "
                 f"{'RSS MB max':>11}")
    for name, row in result["processes"].items():
        lines.append(f"{name:<24} {fmt(row.get('cpu')):>16} {fmt(row.get('cpu_seconds')):>8} {fmt(row.get('cpu_peak')):>17} "
                     f"{fmt(row.get('rss_end_mb')):>11} {fmt(row.get('rss_max_mb')):>11}")
    largest = f["largest_queue"]
    lines.append("")
    lines.append("largest queue: " + ", ".join(f"{office} {v['waiting']} at {v['at_s']} s"
                                                for office, v in list(largest.items())[:4])
                 + (" ..." if len(largest) > 4 else ""))
    draws = f["draws"]
    for office, draw in list(draws.items())[:2]:
        lines.append(f"draw {office}: {draw.get('entered')} entered, {draw.get('places')} places, run "
                     f"{draw.get('done_after_close_s')} s after the window closed, results {draw.get('results')}")
    lines.append(f"bookings: {f['bookings']}; phones: {f['phones']}; boards: {f['boards']['boards']} "
                 f"({f['boards']['failed']} failed)")
    errors = collections.Counter(f["errors"])
    if errors:
        lines.append("errors: " + "; ".join(f"{k} ×{v}" for k, v in errors.most_common(8)))
    check = result.get("check") or {}
    lines.append(f"database check: {'ok' if check.get('ok') else check.get('problems')}")
    return "\n".join(lines)
