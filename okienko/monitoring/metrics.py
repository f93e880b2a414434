"""The Prometheus metrics (prometheus_client), and the text a scrape receives.

Two kinds of figures, kept apart on purpose (docs/monitoring.md, "Several processes"):

- from the database, read at scrape time (figures.py): the same whichever process answers;
- this process's own: request latency by route, call-to-board latency, WebSocket clients. With
  `PROMETHEUS_MULTIPROC_DIR` set (`okienko serve --workers N` sets it), every process on the
  machine writes them to that folder and any one of them answers for all (prometheus_client's
  multiprocess mode); otherwise a scrape sees the process that answered it.

Labels never hold a raw path (paths hold secrets: `/t/{ticket_id}`), only the route's template.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterable, Iterator

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from okienko.monitoring.figures import PRINTER_STATUSES, Figures

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BOARD_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
WEBSOCKET_KINDS = ("board", "kiosk", "ticket", "print_agent")


def multiprocess_dir() -> str | None:
    """The folder the processes share their own metrics through, when set (prometheus_client's own variable)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """This process's metrics, and the scrape's text."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "okienko_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
            ("method", "route", "status"), buckets=LATENCY_BUCKETS, registry=self.registry)
        self.call_to_board = Histogram(
            "okienko_call_to_board_seconds", "From a call (or recall) being committed to the server sending it "
            "to the office's boards", ("office",), buckets=BOARD_BUCKETS, registry=self.registry)
        self.websockets = Gauge(
            "okienko_websocket_clients", "WebSocket clients connected now, by kind", ("kind",),
            registry=self.registry, multiprocess_mode="livesum")
        for kind in WEBSOCKET_KINDS:   # present at 0 before the first client
            self.websockets.labels(kind)

    def request_done(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).observe(seconds)

    def call_reached_boards(self, office: str, seconds: float) -> None:
        self.call_to_board.labels(office).observe(max(0.0, seconds))

    @contextlib.contextmanager
    def websocket_client(self, kind: str) -> Iterator[None]:
        """Count a WebSocket client of `kind` for as long as the block runs."""
        gauge = self.websockets.labels(kind)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def process_ended(self) -> None:
        """In multiprocess mode: this process's WebSocket clients no longer count (its files stay for the
        histograms, which add up over the processes' lifetimes)."""
        folder = multiprocess_dir()
        if folder:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid(), folder)

    def exposition(self, figures: Figures) -> bytes:
        """The scrape's text: this process's metrics (or every process's, in multiprocess mode), then the
        database's figures."""
        folder = multiprocess_dir()
        if folder:
            from prometheus_client import multiprocess

            own = CollectorRegistry()
            multiprocess.MultiProcessCollector(own, path=folder)
        else:
            own = self.registry
        database = CollectorRegistry(auto_describe=True)
        database.register(_FiguresCollector(figures))
        return generate_latest(own) + generate_latest(database)


class _FiguresCollector(Collector):
    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterable[GaugeMetricFamily]:
        figures = self.figures
        issued = GaugeMetricFamily("okienko_tickets_issued_today", "Tickets issued on the office's day so far",
                                   labels=("office", "service"))
        waiting = GaugeMetricFamily("okienko_waiting", "People waiting now", labels=("office", "service"))
        for service in figures.services:
            issued.add_metric((service.office, service.service), service.issued_today)
            waiting.add_metric((service.office, service.service), service.waiting)
        yield issued
        yield waiting
        outbox = figures.outbox
        yield GaugeMetricFamily("okienko_outbox_backlog", "Notifications not sent yet (due or waiting for a retry)",
                                value=outbox.pending)
        yield GaugeMetricFamily("okienko_outbox_retrying", "Notifications not sent yet that failed at least once",
                                value=outbox.retrying)
        yield GaugeMetricFamily("okienko_outbox_failed", "Notifications given up on (or SMS reported undelivered)",
                                value=figures.outbox_failed)
        yield GaugeMetricFamily("okienko_outbox_oldest_due_seconds",
                                "How long the longest-due notification has been due", value=outbox.oldest_due_seconds)
        seen = GaugeMetricFamily("okienko_device_last_seen_seconds",
                                 "Seconds since a kiosk, board or kiosk printer was last heard from (+Inf: never)",
                                 labels=("office", "kind", "device"))
        printers = GaugeMetricFamily("okienko_printer_status", "A kiosk printer's last known status (1: this one)",
                                     labels=("office", "kiosk", "status"))
        for device in figures.devices:
            seen.add_metric((device.office, device.kind, device.name), device.last_seen_seconds)
            if device.printer_status is not None:
                for status in PRINTER_STATUSES:
                    printers.add_metric((device.office, device.name, status), float(status == device.printer_status))
        yield seen
        yield printers
