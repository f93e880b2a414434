"""Several server processes on one machine answer `/metrics` for all of them (prometheus_client's
multiprocess mode, docs/monitoring.md "Several processes"): each writes its own request timings and
WebSocket clients to the shared folder, and any one's scrape adds them up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

WORKER = """
from okienko.monitoring.metrics import Metrics
metrics = Metrics()
metrics.request_done("POST", "/api/v1/tickets", 201, 0.02)
metrics.websockets.labels("board").inc()   # a board still connected when the process was killed
"""
SCRAPE = """
import sys
from okienko.monitoring.figures import Figures
from okienko.monitoring.metrics import Metrics
from okienko.notify.outbox import Backlog
sys.stdout.write(Metrics().exposition(Figures((), (), Backlog(0, 0, 0.0), 0)).decode())
"""


def run(code: str, folder: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          timeout=60).stdout


def test_any_process_answers_for_every_process_of_the_machine(tmp_path: Path) -> None:
    run(WORKER, tmp_path)
    run(WORKER, tmp_path)
    run(WORKER + "metrics.process_ended()\n", tmp_path)   # shut down cleanly: its board is gone
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for family in text_string_to_metric_families(run(SCRAPE, tmp_path)) for s in family.samples}
    timed = ("okienko_http_request_duration_seconds_count",
             (("method", "POST"), ("route", "/api/v1/tickets"), ("status", "201")))
    assert found[timed] == 3
    # Each worker ended without shutting down (as if killed): its board still counts until the folder
    # is emptied by the next `okienko serve` (a clean shutdown takes it off: Metrics.process_ended).
    assert found[("okienko_websocket_clients", (("kind", "board"),))] == 2
    assert not any(name.startswith(("python_", "process_")) for name, _ in found)
