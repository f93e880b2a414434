"""What booking.py prints: a Markdown table per scenario, the medians of the headline figures
over --runs, and the probes' timings.

A library for bench/booking.py, not a benchmark.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Callable
from typing import Any

import common
from booking_runs import Result


def fmt(value: Any, digits: int = 1) -> str:
    return common.fmt(value, digits) if not isinstance(value, str) else value


def cpu_cell(r: Result) -> str:
    parts = [k for k in r.cpu if k.startswith("server:")]       # rush --rush-split: hall + public
    cell = " / ".join(
        (" + ".join(f"{k[7:]} {fmt(r.cpu[k], 0)}" for k in parts) if k == "server" and parts
         else fmt(r.cpu.get(k), 0) if k in r.cpu else "—") for k in ("server", "postgres", "client"))
    other = r.cpu.get("other", 0) + r.cpu.get("unaccounted", 0)
    return cell + (f" ⚠ other {other:.0f}" if r.disturbed else "")


def race_table(results: list[Result]) -> str:
    lines = [("| run | server | clients → places | confirmed | outcomes | hold attempts | all held after s "
              "| last confirmed after s | bookings/s | all requests p50 / p99 / max ms | hold p99 / max | "
              "listing p99 / max | confirm p99 / max | code email after hold p50 / max ms | "
              "CPU server / db / client % | db check | result |"),
             "|--:|---|---|--:|---|--:|--:|--:|--:|---|---|---|---|---|---|---|---|"]
    for r in results:
        f = r.figures
        if "all" not in f:
            lines.append(f"| {r.run} | {r.server} | — | — | — | — | — | — | — | — | — | — | — | — | — | — | FAIL |")
            continue
        def pair(kind: str, kinds: dict[str, Any] = f["by_kind"]) -> str:
            return f"{fmt(kinds[kind]['p99_ms'])} / {fmt(kinds[kind]['max_ms'])}"
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(f["outcomes"].items()))
        check = "—" if r.check is None else ("ok" if r.check["ok"] else "FAIL")
        lines.append(
            f"| {r.run} | {r.server} | {f['clients']} → {f['places']} ({f['slots']} × {f['places_per_slot']}) | "
            f"{f['confirmed']} | {outcomes} | {f['hold_attempts']:,} | {fmt(f['all_held_after_s'], 2)} | "
            f"{fmt(f['last_confirmed_after_s'], 2)} | {fmt(f['bookings_per_s'])} | "
            f"{fmt(f['all']['p50_ms'])} / {fmt(f['all']['p99_ms'])} / {fmt(f['all']['max_ms'])} | {pair('hold')} | "
            f"{pair('slots')} | {pair('confirm')} | {fmt(f['code_delay_ms']['p50'])} / {fmt(f['code_delay_ms']['max'])} "
            f"| {cpu_cell(r)} | {check} | {'pass' if r.passed else 'FAIL'} |")
    return "\n".join(lines)


def reads_table(results: list[Result]) -> str:
    lines = [("| scenario | run | server | body bytes | req/s | p50 ms | p99 ms | max ms | errors | "
              "CPU server / db / client % | server CPU µs/req | result |"),
             "|---|--:|---|--:|--:|--:|--:|--:|--:|---|--:|---|"]
    for r in results:
        f = r.figures
        lines.append(f"| {r.scenario} | {r.run} | {r.server} | {f.get('body_bytes', '—')} | {fmt(f.get('per_s'), 0)} | "
                     f"{fmt(f.get('p50_ms'))} | {fmt(f.get('p99_ms'))} | {fmt(f.get('max_ms'))} | "
                     f"{f.get('errors', '—')} | {cpu_cell(r)} | {fmt(f.get('server_cpu_us_per_request'), 0)} | "
                     f"{'pass' if r.passed else 'FAIL'} |")
    return "\n".join(lines)


def rush_table(results: list[Result]) -> str:
    lines = [("| run | server | kiosk alone p50 / p99 ms | kiosk under load p50 / p99 / max ms | kiosk tickets "
              "| reads/s | reads p50 / p99 ms | holds/s (202) | holds p50 / p99 ms | hammer errors | "
              "CPU server / db / client % | check | result |"),
             "|--:|---|---|---|--:|--:|---|--:|---|--:|---|---|---|"]
    for r in results:
        f = r.figures
        if "kiosk" not in f:
            lines.append(f"| {r.run} | {r.server} | — | — | — | — | — | — | — | — | — | — | FAIL |")
            continue
        alone, kiosk, reads, holds = f["kiosk_alone"], f["kiosk"], f["reads"], f["holds"]
        check = "—" if r.check is None else ("ok" if r.check["ok"] else "FAIL")
        lines.append(
            f"| {r.run} | {r.server} | {fmt(alone['p50_ms'])} / {fmt(alone['p99_ms'])} | "
            f"{fmt(kiosk['p50_ms'])} / {fmt(kiosk['p99_ms'])} / {fmt(kiosk['max_ms'])} | {kiosk['count']} | "
            f"{fmt(reads['per_s'], 0)} | {fmt(reads['p50_ms'])} / {fmt(reads['p99_ms'])} | {fmt(holds['per_s'], 0)} | "
            f"{fmt(holds['p50_ms'])} / {fmt(holds['p99_ms'])} | {reads['errors'] + holds['errors']} | {cpu_cell(r)} | "
            f"{check} | {'pass' if r.passed else 'FAIL'} |")
    return "\n".join(lines)


HEADLINES: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {
    "race": {"bookings_per_s": lambda f: f["bookings_per_s"], "max_ms": lambda f: f["all"]["max_ms"],
             "p99_ms": lambda f: f["all"]["p99_ms"], "last_confirmed_after_s": lambda f: f["last_confirmed_after_s"]},
    "ceiling-get": {"per_s": lambda f: f["per_s"], "p50_ms": lambda f: f["p50_ms"], "p99_ms": lambda f: f["p99_ms"]},
    "ceiling-get-listing": {"per_s": lambda f: f["per_s"], "p50_ms": lambda f: f["p50_ms"],
                            "p99_ms": lambda f: f["p99_ms"]},
    "slot-reads": {"per_s": lambda f: f["per_s"], "p50_ms": lambda f: f["p50_ms"], "p99_ms": lambda f: f["p99_ms"]},
    "rush": {"kiosk_p50_ms": lambda f: f["kiosk"]["p50_ms"], "kiosk_p99_ms": lambda f: f["kiosk"]["p99_ms"],
             "kiosk_alone_p99_ms": lambda f: f["kiosk_alone"]["p99_ms"], "reads_per_s": lambda f: f["reads"]["per_s"],
             "holds_per_s": lambda f: f["holds"]["per_s"]},
}
# CPU (% of a core) of the measured window, by the Result's cpu key (server:hall, server:public only when split)
CPU_HEADLINES = {"rush": ("server", "server:hall", "server:public", "postgres")}


def medians(results: list[Result]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for scenario, pickers in HEADLINES.items():
        runs = [r for r in results if r.scenario == scenario and not any(f.startswith("could not run")
                                                                          for f in r.failures)]
        if not runs:
            continue
        out[scenario] = {}
        for name, pick in pickers.items():
            values = []
            for r in runs:
                with contextlib.suppress(KeyError, TypeError):
                    if pick(r.figures) is not None:
                        values.append(pick(r.figures))
            if values:
                out[scenario][name] = {"median": statistics.median(values), "min": min(values), "max": max(values),
                                       "runs": len(values)}
        for key in CPU_HEADLINES.get(scenario, ()):
            values = [r.cpu[key] for r in runs if key in r.cpu]
            if values:
                out[scenario][f"cpu_{key.replace(':', '_')}_pct"] = {
                    "median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}
    return out


def probe_lines(result: Result) -> list[str]:
    lines = []
    for pid, probe in (result.figures.get("probes") or {}).items():
        counts = ", ".join(f"{k} {v:,}" for k, v in probe["counts"].items())
        lines.append(f"- {result.scenario} #{result.run}, server process {pid} ({probe.get('part', 'all')}): "
                     f"{counts}")
        for name, t in probe["timings"].items():
            lines.append(f"  - {name}: {t['n']:,} × p50 {t['p50_ms']:,} ms, p99 {t['p99_ms']:,} ms, "
                         f"max {t['max_ms']:,} ms")
    return lines

