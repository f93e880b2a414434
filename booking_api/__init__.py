"""Okienko's core: settings, database, domain rules, JSON API, app assembly and CLI."""

__version__ = "0.1.0"
