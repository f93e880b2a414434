"""`okienko archive`: move the tickets of days older than `archive_after_days` (or `--keep-days`)
into the archive tables, for every office or one (okienko/stats/archive.py). Run it nightly (a cron
job or a systemd timer); running it twice moves nothing twice. Prints counts only."""

from __future__ import annotations

import argparse
from typing import Any

from okienko.i18n import _
from okienko.settings import Settings
from okienko_server.cli_common import CommandError, migrated_db, run, say, tr


def add_parser(commands: Any) -> None:
    archive = commands.add_parser("archive", help=_("move old days' tickets and their events into the archive "
                                                    "tables (never deleted; statistics still count them)"))
    archive.add_argument("--office", default=None, help=_("one office's code (default: every office)"))
    archive.add_argument("--keep-days", type=int, default=None,
                         help=_("days kept in the hot tables (default: the archive_after_days setting)"))


async def _archive(settings: Settings, office: str | None, keep_days: int) -> list[tuple[str, Any]]:
    import sqlalchemy as sa

    from okienko.clock import SystemClock
    from okienko.office.directory import read_setup
    from okienko.stats.archive import archive_office
    from okienko.storage.locking import Locks
    from okienko.storage.models import Office

    async with migrated_db(settings) as db:
        async with db.read() as conn:
            codes = [office] if office else list((await conn.execute(
                sa.select(Office.__table__.c.code).order_by(Office.__table__.c.code))).scalars())
            setups = [await read_setup(conn, code) for code in codes]
        locks = Locks(db)
        return [(setup.code, await archive_office(locks, setup, SystemClock().now(), keep_days)) for setup in setups]


def cmd_archive(args: argparse.Namespace, settings: Settings) -> int:
    keep_days = args.keep_days if args.keep_days is not None else settings.archive_after_days
    if keep_days < 1:
        raise CommandError(tr(_("--keep-days must be at least 1")))
    for code, done in run(_archive(settings, args.office, keep_days)):
        say(tr(_("office '{office}': {days} day(s) archived, {tickets} ticket(s) and {events} event(s) moved; "
                 "{summaries} day summary(ies) made"), office=code, days=done.days, tickets=done.tickets,
               events=done.events, summaries=done.summaries_made))
    return 0
