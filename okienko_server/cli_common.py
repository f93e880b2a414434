"""What every `okienko` command shares: messages in the terminal's language, one line for each
error, and a database opened only once it is known to exist and to be migrated."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import getpass
import os
import sys
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping

from okienko.i18n import LANGUAGES, Translator, _
from okienko.settings import Settings

# Where a terminal says its language, in the order gettext reads them.
LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


class CommandError(Exception):
    """A clear message for the person at the terminal, already translated; exit status 2."""


def terminal_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language the command speaks: the terminal's (LANG=pl_PL.UTF-8 gives Polish), English
    when it names none of Okienko's languages (LANG=C.UTF-8, as on most servers)."""
    for variable in LANGUAGE_VARIABLES:
        value = environ.get(variable, "")
        if not value:
            continue
        for choice in value.split(":"):
            code = choice.split(".")[0].split("_")[0].split("-")[0].lower()
            if code in LANGUAGES:
                return code
        if variable != "LANGUAGE":   # the first locale variable set decides; LANGUAGE only adds choices
            break
    return "en"


@functools.cache
def _translator() -> Translator:
    return Translator()


def tr(message: str, **params: Any) -> str:
    """`message` (an English msgid, marked with `_()`) in the terminal's language, filled in."""
    return _translator().gettext(terminal_language(), message).format(**params)


# argparse's words in a help text, as Python writes them (its msgids): translated like ours.
ARGPARSE_WORDS = (_("usage: "), _("positional arguments"), _("options"), _("show this help message and exit"))


class TranslatedHelp(argparse.HelpFormatter):
    """`okienko --help` in the terminal's language: the help texts (English msgids marked with `_()`)
    are translated when the help is shown, so a command that only runs reads no catalog for them.
    argparse's own words in the help are translated too; its error lines stay English."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, prefix if prefix is not None else _translated(ARGPARSE_WORDS[0]))

    def start_section(self, heading: str | None) -> None:
        super().start_section(_translated(heading) if heading else heading)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return _translated(action.help) if action.help and action.help != argparse.SUPPRESS else action.help

    def add_text(self, text: str | None) -> None:
        super().add_text(_translated(text) if text and text != argparse.SUPPRESS else text)


class Parser(argparse.ArgumentParser):
    """An argument parser whose help, and its sub-commands' help, speaks the terminal's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", TranslatedHelp)
        super().__init__(*args, **kwargs)


def _translated(text: str) -> str:
    return _translator().gettext(terminal_language(), text)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


SCHEMA_PROBLEMS = {
    "missing": _("there is no database at {database}: run `okienko migrate` to create it "
                 "(or `okienko demo` for a demo office)"),
    "empty": _("the database {database} has no tables yet: run `okienko migrate` first"),
    "outdated": _("the database {database} is not at this version's schema ({revisions}): "
                  "run `okienko migrate` first"),
    "unreachable": _("cannot reach the database {database} ({reason})"),
}


@contextlib.asynccontextmanager
async def migrated_db(settings: Settings) -> AsyncIterator[Any]:
    """The database, known to be migrated, for a command's work; CommandError (one line naming the
    database) when it is missing, not migrated or unreachable, also midway. Creates nothing."""
    from okienko.errors import Unavailable
    from okienko.storage.migrate import SchemaNotReady, database_label, open_migrated

    try:
        db = await open_migrated(settings)
    except SchemaNotReady as error:
        raise CommandError(tr(SCHEMA_PROBLEMS[error.problem], database=error.database, revisions=error.detail,
                              reason=error.detail)) from None
    try:
        yield db
    except Unavailable as error:
        raise CommandError(tr(SCHEMA_PROBLEMS["unreachable"], database=database_label(settings.database_url),
                              reason=error.reason)) from None
    finally:
        await db.dispose()


async def with_db(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work(conn)` in one transaction on the migrated database (`migrated_db`)."""
    async with migrated_db(settings) as db:
        # A write transaction from its start (BEGIN IMMEDIATE on SQLite): a command that read first and
        # wrote later could deadlock with a running server's writer and fail as "database is locked".
        async with db.transaction(okienko_write=True) as conn:
            return await work(conn)


def read_password() -> str:
    """A new password: asked twice at a terminal, else the first line of stdin (for scripts)."""
    if sys.stdin.isatty():
        first = getpass.getpass(tr(_("Password: ")))
        if first != getpass.getpass(tr(_("Password again: "))):
            raise CommandError(tr(_("the passwords differ")))
        return first
    return sys.stdin.readline().rstrip("\n")


async def tell_servers(settings: Settings, announce: Callable[[Any], Awaitable[None]]) -> str:
    """Tell the running server processes, through the broker, what changed (`announce(broker)`):
    they take the change at once (docs/office-config.md). Returns what to say about it."""
    from okienko.live import broker_for
    from okienko.logs import loggable
    from okienko.office.directory import REFRESH_SECONDS

    seconds = f"{REFRESH_SECONDS:.0f}"
    url = settings.broker_url
    if url in ("", "memory"):
        if settings.is_sqlite:
            return tr(_("a running server takes the change within {seconds} s (OKIENKO_BROKER_URL=memory reaches "
                        "no other process)"), seconds=seconds)
        url = "postgresql"   # what `serve --workers N` switches a memory broker to
    broker = broker_for(url, settings.database_url, settings.broker_namespace)
    try:
        async with asyncio.timeout(5):
            await announce(broker)
    except Exception as error:  # the change is done; the servers' expiry catches it
        return tr(_("warning: could not tell the running servers ({reason}); they take the change within "
                    "{seconds} s"), reason=loggable(error), seconds=seconds)
    finally:
        with contextlib.suppress(Exception):
            await broker.stop()
    if url != settings.broker_url:
        return tr(_("server processes listening on PostgreSQL NOTIFY (okienko serve --workers N) were told and "
                    "take the change at once; a single server with OKIENKO_BROKER_URL=memory takes it within "
                    "{seconds} s"), seconds=seconds)
    return tr(_("running server processes were told through the broker: the change takes effect at once"))


def upgrade_schema(settings: Settings) -> None:
    """`okienko migrate` (and what `serve` and `demo` do first); a database that cannot be reached is
    one line naming it, never a traceback."""
    from okienko.storage.db import unavailable_reason
    from okienko.storage.migrate import database_label, upgrade

    try:
        upgrade(settings)
    except Exception as error:
        reason = unavailable_reason(error)
        if reason is None:
            raise
        raise CommandError(tr(SCHEMA_PROBLEMS["unreachable"], database=database_label(settings.database_url),
                              reason=reason)) from None
