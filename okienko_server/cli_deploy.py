"""The commands of a deployment: `okienko check-config`, `okienko copy-database`, `okienko backup`."""

from __future__ import annotations

import argparse
from pathlib import Path

from okienko.i18n import _
from okienko.settings import SettingProblem, Settings
from okienko_server.cli_common import CommandError, say, tr


def add_parsers(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check-config", help=_("check the settings and office files before a deployment"))
    check.add_argument("office_files", nargs="*", type=Path, metavar="OFFICE_FILE",
                       help=_("office files to check too"))
    check.add_argument("--no-connect", action="store_true",
                       help=_("do not try to reach the database and Redis"))
    where = check.add_mutually_exclusive_group()
    where.add_argument("--production", dest="production", action="store_true", default=None,
                       help=_("check as for a real server (default: when it listens beyond this computer or has "
                              "a public address)"))
    where.add_argument("--not-production", dest="production", action="store_false",
                       help=_("check as for a demo or a test server"))

    copy = commands.add_parser("copy-database", help=_("copy every row into a new, empty database (e.g. a demo's "
                                                      "SQLite file into PostgreSQL)"))
    copy.add_argument("--from", dest="source", default=None,
                      help=_("the database to copy (default: DATABASE_URL)"))
    copy.add_argument("--to", dest="target", required=True,
                      help=_("the new database, e.g. postgresql://okienko@db.internal/okienko; migrated first"))

    backup = commands.add_parser("backup", help=_("write a consistent backup of the database while it runs"))
    backup.add_argument("file", type=Path, help=_("the new backup file"))


def cmd_check_config(args: argparse.Namespace, settings: Settings | None) -> int:
    """Exit status 0 when nothing is wrong, 1 with every problem listed."""
    from okienko.deployment_check import check_deployment

    _checked, problems = check_deployment(office_files=args.office_files, production=args.production,
                                          connect=not args.no_connect)
    for problem in problems:
        say(problem_text(problem))
    if problems:
        say(tr(_("{count} problem(s) found"), count=len(problems)))
        return 1
    say(tr(_("no problems found")))
    return 0


def problem_text(problem: SettingProblem) -> str:
    """A settings problem in the terminal's language, after what it was found in (an office file)."""
    text = tr(problem.message, **problem.params)
    return f"{problem.where}: {text}" if problem.where else text


def cmd_copy_database(args: argparse.Namespace, settings: Settings) -> int:
    from okienko.storage.copying import CopyRefused, copy_database_sync
    from okienko.storage.migrate import database_label

    source = args.source or settings.database_url
    try:
        report = copy_database_sync(source, args.target,
                                    progress=lambda table, rows: say(f"  {table}: {rows}") if rows else None)
    except CopyRefused as error:
        raise CommandError(tr(error.message, **error.params)) from None
    say(tr(_("{rows} rows in {tables} tables copied from {source} to {target}; the counts match"),
           rows=report.total, tables=len(report.rows), source=database_label(source),
           target=database_label(args.target)))
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from okienko.storage.backup import backup_database
    from okienko.storage.copying import CopyRefused
    from okienko.storage.migrate import database_label

    try:
        backup_database(settings.database_url, args.file)
    except CopyRefused as error:
        raise CommandError(tr(error.message, **error.params)) from None
    say(tr(_("backup of {database} written to {path}"), database=database_label(settings.database_url),
           path=args.file))
    return 0


HANDLERS = {"check-config": cmd_check_config, "copy-database": cmd_copy_database, "backup": cmd_backup}
# Commands that read the settings themselves (check-config lists every problem instead of stopping at one).
OWN_SETTINGS = ("check-config",)
