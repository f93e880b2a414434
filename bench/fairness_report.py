"""What fairness.py found and prints: the records of a draw's entries, the people's share of the
places against the exact expectation and re-drawn seeds, the check of the published draw, the
verdict against the goals, and the summary table.

A library for bench/fairness.py, not a benchmark.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import statistics
from dataclasses import dataclass, field
from typing import Any

GOALS = {"share_ratio": "people's share of places / share of entries ≈ 1 (equal chance per person)",
         "handovers": "0 successful cancel-and-rebook handovers", "speed": "a draw of 10,000 entries under 5 s"}


@dataclass
class Entered:
    who: str              # "person" | "script"
    ticket: str
    entered_at: float


@dataclass
class DrawOutcome:
    entries: list[Entered] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    script_fired_after_ms: float | None = None
    draw: dict[str, Any] = field(default_factory=dict)
    listing_polls: int = 0
    listing_refused: int = 0


def shares(outcome: DrawOutcome, replays: int, seed: int) -> dict[str, Any]:
    """This draw's result, the exact expectation, and the mean over re-drawn seeds."""
    who = {entry.ticket: entry.who for entry in outcome.entries}
    result = outcome.draw["result"]
    people_entries = sum(1 for entry in outcome.entries if entry.who == "person")
    total = len(outcome.entries)
    won = [row for row in result if row["outcome"] == "won"]
    places = len(won)
    people_won = sum(1 for row in won if who.get(row["ticket"]) == "person")
    entry_share = people_entries / total if total else 0.0
    # Every order is equally likely and every entry takes any time: the winners are a uniformly
    # random subset of `places` entries (hypergeometric), so E[people's places] = places * share.
    expected = places * entry_share
    # The same tickets drawn again with fresh seeds, in the core's order (sha256(seed ":" ticket)).
    rng = random.Random(seed)
    tickets = list(who)
    replayed = []
    for _ in range(replays):
        seed_hex = "%064x" % rng.getrandbits(256)
        order = sorted(tickets, key=lambda ticket: hashlib.sha256(f"{seed_hex}:{ticket}".encode()).hexdigest())
        replayed.append(sum(1 for ticket in order[:places] if who[ticket] == "person") / places if places else 0.0)
    mean = statistics.fmean(replayed) if replayed else 0.0
    spread = statistics.pstdev(replayed) / math.sqrt(len(replayed)) if len(replayed) > 1 else 0.0
    commitment_ok = hashlib.sha256(outcome.draw["seed"].encode()).hexdigest() == outcome.draw["commitment"]
    order_ok = sorted((row["ticket"] for row in result),
                      key=lambda t: hashlib.sha256(f"{outcome.draw['seed']}:{t}".encode()).hexdigest()) == \
        [row["ticket"] for row in result]
    return {
        "entries": {"people": people_entries, "script": total - people_entries}, "places": places,
        "people_won": people_won, "script_won": places - people_won,
        "people_share_of_entries": round(entry_share, 4),
        "people_share_of_places": round(people_won / places, 4) if places else None,
        "expected_people_places": round(expected, 3),
        "replays": replays, "replayed_people_share_of_places": round(mean, 4),
        "replayed_standard_error": round(spread, 4),
        "replayed_ratio": round(mean / entry_share, 3) if entry_share else None,
        "published_check": {"commitment": commitment_ok, "order": order_ok},
    }


def judge(report: dict[str, Any]) -> list[str]:
    """The goals missed (GOALS), each as a sentence."""
    missed = []
    ratio = report["draw"]["replayed_ratio"] if "draw" in report else 1
    if ratio is None or abs(ratio - 1) > 0.1:
        missed.append(f"share ratio {ratio} (goal ≈ 1)")
    if report.get("handover", {}).get("succeeded"):
        missed.append(f"{report['handover']['succeeded']} of {report['handover']['attempts']} handovers succeeded (goal 0)")
    for kind, figures in report.get("speed", {}).items():
        if "seconds" in figures and figures["seconds"] >= 5:
            missed.append(f"draw on {kind}: {figures['seconds']} s (goal < 5 s)")
    return missed


def summary(report: dict[str, Any], speed_entries: int, speed_places: int) -> str:
    lines = ["| figure | value |", "| --- | --- |"]
    if "draw" in report:
        lines = draw_lines(report)
    for kind, figures in report.get("speed", {}).items():
        lines.append(f"| draw of {speed_entries:,} entries, {speed_places:,} places, {kind} | "
                     + (f"{figures['seconds']} s ({figures['won']} won)" if "seconds" in figures else figures["error"]) + " |")
    return "\n".join(lines)


def draw_lines(report: dict[str, Any]) -> list[str]:
    d, h = report["draw"], report["handover"]
    return [
        f"X-Forwarded-For honoured: {'yes' if report['forwarded_for_honoured'] else 'no (all from 127.0.0.1; address limits off)'}",
        "",
        "| figure | value |", "| --- | --- |",
        f"| entries: people / script | {d['entries']['people']} / {d['entries']['script']} |",
        f"| places drawn | {d['places']} |",
        f"| this draw: places won by people / script | {d['people_won']} / {d['script_won']} |",
        f"| people's share of entries | {d['people_share_of_entries']:.1%} |",
        f"| people's share of places, this draw | {d['people_share_of_places']:.1%} |",
        f"| expected people's places (exact) | {d['expected_people_places']} of {d['places']} |",
        f"| people's share of places over {d['replays']:,} re-drawn seeds | {d['replayed_people_share_of_places']:.1%}"
        f" ± {d['replayed_standard_error']:.1%} |",
        f"| ratio share of places / share of entries | {d['replayed_ratio']} |",
        f"| script fired after the window opened | {d['script_fired_after_ms']} ms |",
        f"| published draw checks (commitment, order) | {d['published_check']['commitment']}, {d['published_check']['order']} |",
        f"| refused | {json.dumps(d['refused']) if d['refused'] else 'none'} |",
        f"| handovers succeeded | {h['succeeded']} of {h['attempts']} |",
    ]
