"""Statistics, read from the append-only facts (ticket_events, bookings, draws): counts and durations,
nothing personal. figures.py replays one office day's events (per service; the shape everything else
reuses); events.py sets information Saturdays side by side; period.py names a day, ISO week or month;
day_summary.py keeps a day's replay once it is over; report.py (`Statistics`) is the front door of a
period's report; tables.py, charts.py and export.py present it; archive.py moves old days' tickets
into the archive tables, which the statistics read too."""
