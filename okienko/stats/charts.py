"""A report's charts, drawn on the server as SVG with pygal (no script, nothing fetched from outside:
pygal's own scripts from the web are switched off, `js=[]`, and its inline settings script taken out).
The back office shows each as a document of its own (`<object>`): pygal styles a chart with a
`<style>` element, which the page's Content-Security-Policy would refuse inline; the SVG's own
`@import` of /fonts/scripts.css gives its text the app's fonts, so Devanagari and Georgian labels
are drawn wherever the page's are.

Every chart says what it shows in a `<title>` and a `<desc>` (role="img"), and shows no figure that
is not also in one of the report's tables (tables.py): the heat map the "heat_map" table, the bars
the "services" table, the queue line the "queue" table.
"""

from __future__ import annotations

import re
from html import escape
from typing import Callable

from okienko.i18n import _
from okienko.office.directory import OfficeSetup
from okienko.stats.report import Report
from okienko.stats.tables import Table, weekday_names

Translate = Callable[[str], str]
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
CHARTS = ("heat_map", "services", "queue")
FONTS = '"Okienko Devanagari", "Okienko Georgian", "DejaVu Sans", "Noto Sans", Arial, sans-serif'
# The heat map's colours, from a short wait (pale) to a long one (dark red); all distinct in greyscale.
HEAT = ("#fff3c4", "#fdd48a", "#f9a65a", "#e8703a", "#c23b22", "#7f1d1d")
SERIES = ("#1f5fa8", "#2e7d32", "#b45309", "#6b21a8")


TITLES = {"heat_map": _("Waiting time by weekday and hour"), "services": _("Tickets and visits per service"),
          "queue": _("People waiting through the day")}
DESCRIPTIONS = {
    "heat_map": _("Median waiting time in minutes for each weekday (rows) and hour of joining the queue (columns); "
                  "the same figures are in the table below."),
    "services": _("Bars per service: tickets issued and visitors served; the same figures are in the table per "
                  "service."),
    "queue": _("How many people were waiting in the office's queues at each quarter hour (over several days: the "
               "mean of the days); the same figures are in the table of people waiting."),
}


def _pygal():   # type: ignore[no-untyped-def]
    """pygal, imported with the first chart (not at start-up). pygal puts an old-style import hook of
    its own (for map plugins, which no chart here uses) on `sys.meta_path`; every later import that
    misses then warns (ImportWarning). It is taken off again."""
    import sys

    import pygal

    sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]
    return pygal


def _style():   # type: ignore[no-untyped-def]
    from pygal.style import Style

    return Style(font_family=FONTS, background="#ffffff", plot_background="#ffffff", foreground="#1a1a1a",
                 foreground_strong="#1a1a1a", foreground_subtle="#555555", colors=SERIES,
                 title_font_size=24, label_font_size=17, major_label_font_size=17, legend_font_size=18,
                 value_font_size=16, tooltip_font_size=18, no_data_font_size=24)


def _config(title: str, translate: Translate) -> dict[str, object]:
    return {"no_data_text": translate(_("Nothing happened in this period.")), "js": [], "css": ["file://style.css", "file://graph.css"], "disable_xml_declaration": True,
            "style": _style(), "title": title, "width": 900, "height": 420, "print_values": False,
            "legend_at_bottom": True, "truncate_legend": -1, "truncate_label": -1}


def _accessible(svg: str, title: str, description: str, key: str) -> str:
    """The chart's <svg> with role="img", its <title> first and a <desc> (what it shows, in words);
    without the script pygal writes its settings into (the page runs no inline script: CSP) and its
    comments."""
    svg = _SCRIPT.sub("", _COMMENT.sub("", svg))
    head_end = svg.index(">") + 1
    head = svg[:head_end].replace("<svg ", f'<svg role="img" aria-labelledby="chart-{key}-title chart-{key}-desc" '
                                           f'data-chart="{key}" ', 1)
    return (f'{head}<title id="chart-{key}-title">{escape(title)}</title>'
            f'<desc id="chart-{key}-desc">{escape(description)}</desc>'
            f'<style>@import url("/fonts/scripts.css");</style>{svg[head_end:]}')


def heat_map(report: Report, language: str, translate: Translate) -> str:
    """Median waiting time (minutes) by weekday and hour of joining the queue: a dot per hour and
    weekday with waits, darker and larger the longer the wait."""
    pygal = _pygal()

    title = translate(TITLES["heat_map"])
    cells = {cell: value for cell, value in report.heat_map().items() if value is not None}
    hours = sorted({hour for _day, hour in cells}) or list(range(8, 16))
    longest = max(cells.values(), default=0) or 1
    chart = pygal.Dot(**_config(title, translate), show_legend=False, x_title=translate(_("Hour")))
    chart.x_labels = [f"{hour:02d}" for hour in hours]
    names = weekday_names(language)
    for weekday in range(7):
        values = []
        for hour in hours:
            seconds = cells.get((weekday, hour))
            if seconds is None:
                values.append(None)
                continue
            shade = HEAT[min(len(HEAT) - 1, int(seconds / longest * (len(HEAT) - 1) + 0.5))]
            minutes = round(seconds / 60, 1)
            # A wait under six seconds still gets a dot (pygal draws none for 0), labelled as it was.
            values.append({"value": max(minutes, 0.1), "color": shade, "formatter": lambda _value, shown=minutes: str(shown),
                           "label": f"{names[weekday]} {hour:02d}:00"})
        chart.add(names[weekday], values)
    return _accessible(chart.render(is_unicode=True), title, translate(DESCRIPTIONS["heat_map"]), "heat_map")


def service_bars(report: Report, setup: OfficeSetup, language: str, translate: Translate,
                 services: Table) -> str:
    """Tickets issued and visitors served per service (the services table, without its total)."""
    pygal = _pygal()

    title = translate(TITLES["services"])
    rows = services.as_dicts()[:-1]
    chart = pygal.Bar(**_config(title, translate), x_label_rotation=0)
    chart.x_labels = [row["service_name"] for row in rows]
    _whole_numbers(chart, max([0, *(row["tickets_issued"] for row in rows), *(row["served"] for row in rows)]))
    chart.add(translate(_("Tickets issued")), [row["tickets_issued"] for row in rows])
    chart.add(translate(_("Served")), [row["served"] for row in rows])
    return _accessible(chart.render(is_unicode=True), title, translate(DESCRIPTIONS["services"]), "services")


def queue_line(report: Report, translate: Translate) -> str:
    """People waiting through the day, every quarter hour (a week's or month's: the mean of its days)."""
    pygal = _pygal()

    title = translate(TITLES["queue"])
    chart = pygal.Line(**_config(title, translate), show_legend=False, fill=True, show_dots=False,
                       x_labels_major_every=4, show_minor_x_labels=False, y_title=translate(_("People waiting")))
    chart.x_labels = [f"{minute // 60:02d}:{minute % 60:02d}" for minute, _waiting in report.queue]
    chart.add(translate(_("People waiting")), [waiting for _minute, waiting in report.queue])
    _whole_numbers(chart, max([0, *(waiting for _minute, waiting in report.queue)]))
    return _accessible(chart.render(is_unicode=True), title, translate(DESCRIPTIONS["queue"]), "queue")


def _whole_numbers(chart, highest: float) -> None:   # type: ignore[no-untyped-def]
    """Counts of people on whole-number lines (pygal would draw 0.2, 0.4… for a small count)."""
    if highest <= 12:
        chart.y_labels = list(range(0, int(highest) + 2))


def report_charts(report: Report, setup: OfficeSetup, language: str, translate: Translate,
                  tables: list[Table]) -> dict[str, str]:
    """Chart name -> its SVG."""
    services = next(table for table in tables if table.key == "services")
    return {"heat_map": heat_map(report, language, translate),
            "services": service_bars(report, setup, language, translate, services),
            "queue": queue_line(report, translate)}
