"""Okienko's domain core: what the office knows and decides, with no web, screen or CLI in it.

Grouped by capability: `hall` (tickets, calling, printing, boards), `booking` (online booking,
draws, waiting lists), `office` (set-up, opening hours, the office file), `staff` (accounts,
sign-in, roles), `notify` (the outbox, email and SMS), `storage` (database, schema, locking);
with the rules every part shares at the top (settings, errors, translations, clock, live
events, links, personal data). `container.Okienko` builds one process's parts.
"""

__version__ = "0.1.0"
