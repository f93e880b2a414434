"""A report's tables, named and ordered once for every reader: the back office's page (through the
JSON API), the CSV and XLSX files and the charts' tables all take them from here.

A column has a key (stable: the CSV header, the JSON field), an English label to translate, and a
kind that says how its numbers read: `count`, `seconds` (whole seconds; the page shows minutes),
`share` (0..1), `mean` (one or two decimals), `text`. Missing numbers (nothing measured) are None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from okienko.errors import DomainError
from okienko.i18n import _, text_in
from okienko.office.directory import OfficeSetup
from okienko.stats.figures import Figures, Tally, median, percentile
from okienko.stats.report import Report

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Column:
    key: str
    label: str           # English msgid
    kind: str = "count"  # count | seconds | share | mean | text


@dataclass(frozen=True)
class Table:
    key: str
    title: str           # translated
    columns: tuple[Column, ...]
    labels: tuple[str, ...]     # the columns' labels, translated
    rows: list[list[Any]]       # values in column order; a total row, where there is one, last

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip((column.key for column in self.columns), row)) for row in self.rows]


TIMES = (Column("wait_median_seconds", _("Waiting time, median (s)"), "seconds"),
         Column("wait_p90_seconds", _("Waiting time, 90th percentile (s)"), "seconds"),
         Column("service_median_seconds", _("Service time, median (s)"), "seconds"),
         Column("service_p90_seconds", _("Service time, 90th percentile (s)"), "seconds"))
SERVICE_COLUMNS = (
    Column("service", _("Service code"), "text"), Column("service_name", _("Service"), "text"),
    Column("tickets_issued", _("Tickets issued")), Column("tickets_walk_in", _("Walk-in")),
    Column("tickets_booked", _("From a booking")), Column("served", _("Served")),
    Column("no_shows", _("Not present")), Column("transferred_out", _("Transferred")),
    Column("tickets_cancelled", _("Cancelled by the visitor")),
    Column("bookings_made", _("Bookings made")), Column("bookings_checked_in", _("Bookings checked in")),
    Column("bookings_no_show", _("Bookings not come")), Column("bookings_cancelled", _("Bookings called off")),
    *TIMES)
DESK_COLUMNS = (Column("served", _("Served")), Column("no_shows", _("Not present")),
                Column("calls", _("People called")), *TIMES)
WINDOW_COLUMNS = (Column("window", _("Window"), "text"), *DESK_COLUMNS)
CLERK_COLUMNS = (Column("clerk", _("Clerk"), "text"), *DESK_COLUMNS)
HOUR_COLUMNS = (Column("hour", _("Hour"), "text"), Column("tickets_issued", _("Tickets issued")),
                Column("waits_measured", _("Waits measured")), *TIMES[:2])
HEAT_COLUMNS = (Column("weekday", _("Weekday"), "text"), Column("hour", _("Hour"), "text"),
                Column("waits_measured", _("Waits measured")), TIMES[0])
QUEUE_COLUMNS = (Column("time", _("Time"), "text"), Column("waiting", _("People waiting"), "mean"))
DRAW_COLUMNS = (Column("day", _("Day"), "text"), Column("service", _("Service code"), "text"),
                Column("service_name", _("Service"), "text"), Column("status", _("Status"), "text"),
                Column("entries", _("Entries")), Column("places", _("Places")),
                Column("allocated", _("Places allocated")), Column("share_allocated", _("Share allocated"), "share"))
EVENT_COLUMNS = (Column("event_id", _("Event"), "count"), Column("day", _("Day"), "text"),
                 Column("title", _("Title"), "text"), Column("service", _("Service code"), "text"),
                 Column("service_name", _("Service"), "text"),
                 Column("bookings_made", _("Bookings made")), Column("bookings_checked_in", _("Bookings checked in")),
                 Column("bookings_no_show", _("Bookings not come")), Column("tickets_walk_in", _("Walk-in")),
                 Column("tickets_booked", _("From a booking")), Column("served", _("Served")),
                 Column("no_shows", _("Not present")), Column("waiting_at_close", _("Waiting at close")), *TIMES)
TITLES = {"services": _("Per service"), "windows": _("Per window"), "clerks": _("Per clerk"),
          "hours": _("Tickets per hour of the day"), "heat_map": _("Waiting time by weekday and hour"),
          "queue": _("People waiting through the day"), "draws": _("Draws"),
          "events": _("Information Saturdays side by side")}
TABLE_KEYS = tuple(TITLES)


def _figures_row(figures: Figures, columns: tuple[Column, ...]) -> list[Any]:
    values = figures.__dict__
    return [values[column.key] for column in columns]


def _desk_row(tally: Tally) -> list[Any]:
    figures = tally.figures()
    return [figures.served, figures.no_shows, figures.waits_measured, figures.wait_median_seconds,
            figures.wait_p90_seconds, figures.service_median_seconds, figures.service_p90_seconds]


def weekday_names(language: str) -> list[str]:
    """Monday first, in `language` (CLDR through Babel)."""
    from babel.dates import get_day_names

    names = get_day_names("wide", locale=language)
    return [names[day] for day in range(7)]


def report_tables(report: Report, setup: OfficeSetup, language: str, translate: Translate) -> list[Table]:
    """Every table of `report`, in the page's order, labelled in `language`."""
    def table(key: str, columns: tuple[Column, ...], rows: list[list[Any]]) -> Table:
        return Table(key, translate(TITLES[key]), columns, tuple(translate(c.label) for c in columns), rows)

    def service_names(service_id: int) -> tuple[str, str]:
        try:
            service = setup.service_by_id(service_id)
        except DomainError:
            return str(service_id), str(service_id)
        return service.code, text_in(service.names, language) or service.code

    order = {service.id: n for n, service in enumerate((*setup.services, *setup.switched_off))}
    services = []
    for service_id in sorted(report.services, key=lambda s: (order.get(s, len(order)), s)):
        tally = report.services[service_id]
        figures = tally.figures()
        if not (figures.tickets_issued or figures.bookings_made or figures.served or figures.transferred_out):
            continue    # a service nothing happened in stays off the table
        services.append([*service_names(service_id), *_figures_row(figures, SERVICE_COLUMNS[2:])])
    services.append(["", translate(_("Total")), *_figures_row(report.total.figures(), SERVICE_COLUMNS[2:])])

    windows = [[setup.window_number(window_id) or str(window_id), *_desk_row(tally)]
               for window_id, tally in sorted(report.windows.items(),
                                              key=lambda item: _number_order(setup.window_number(item[0])))]
    clerks = [[_clerk_label(report, user_id, n, translate), *_desk_row(report.clerks[user_id])]
              for n, user_id in enumerate(sorted(report.clerks), start=1)]
    hours = [[f"{hour:02d}:00", report.issued_by_hour[hour], len(report.waits_by_hour.get(hour, [])),
              *_median_p90(report.waits_by_hour.get(hour, []))]
             for hour in range(24) if report.issued_by_hour[hour] or report.waits_by_hour.get(hour)]
    days = weekday_names(language)
    heat = [[days[weekday], f"{hour:02d}:00", len(waits), _median_p90(waits)[0]]
            for (weekday, hour), waits in sorted(report.waits_by_weekday_hour.items()) if waits]
    queue = [[f"{minute // 60:02d}:{minute % 60:02d}", waiting] for minute, waiting in report.queue]
    draws = [[draw.day.isoformat(), *service_names(draw.service_id), draw.status, draw.entries, draw.places,
              draw.allocated, draw.share_allocated] for draw in report.draws]
    events = []
    for event in report.events:
        head = [event.id, event.day.isoformat(), event.title(language)]
        for row in event.rows:
            events.append([*head, row.code, row.name(language), *_figures_row(row.figures, EVENT_COLUMNS[5:])])
        events.append([*head, "", translate(_("Total")), *_figures_row(event.total, EVENT_COLUMNS[5:])])
    return [table("services", SERVICE_COLUMNS, services), table("windows", WINDOW_COLUMNS, windows),
            table("clerks", CLERK_COLUMNS, clerks), table("hours", HOUR_COLUMNS, hours),
            table("heat_map", HEAT_COLUMNS, heat), table("queue", QUEUE_COLUMNS, queue),
            table("draws", DRAW_COLUMNS, draws), table("events", EVENT_COLUMNS, events)]


def _median_p90(samples: list[float]) -> list[int | None]:
    return [median(samples), percentile(samples, 90)]


def _clerk_label(report: Report, user_id: int, number: int, translate: Translate) -> str:
    """The clerk's username for a manager of the office; "Clerk 2" for anyone else."""
    name = report.clerk_names.get(user_id)
    return name if name else translate(_("Clerk {number}")).replace("{number}", str(number))


def _number_order(number: str | None) -> tuple[int, str]:
    text = number or ""
    return (int(text), text) if text.isdigit() else (10 ** 6, text)
