"""`okienko user ...`, `okienko device ...` and `okienko token create`: staff accounts, kiosks and
boards, and their tokens. Thin: the rules are in okienko/staff (accounts.py, auth.py)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from okienko.i18n import _
from okienko.settings import Settings, ensure_secret_key
from okienko.staff.roles import ROLES
from okienko_server.cli_common import read_password, run, say, tell_servers, tr, with_db

DEVICE_KINDS = ("kiosk", "board")


def add_parsers(commands: Any) -> None:
    user = commands.add_parser("user", help=_("staff accounts")).add_subparsers(dest="action", required=True)
    add_user = user.add_parser("add", help=_("add a staff account (password from stdin when not a terminal)"))
    add_user.add_argument("name")
    add_user.add_argument("--role", required=True, choices=ROLES)
    add_user.add_argument("--office", default=None, help=_("office code (default: all offices)"))
    user.add_parser("list", help=_("every account: role, office, disabled, locked out (never a password)"))
    for action, text in (("disable", _("the account can no longer sign in; its sessions end, its tokens are refused")),
                         ("enable", _("undo `user disable`")),
                         ("password", _("set a new password (from stdin when not a terminal); its sessions end")),
                         ("unlock", _("clear the lock-out after too many wrong passwords"))):
        user.add_parser(action, help=text).add_argument("name")

    device = commands.add_parser("device", help=_("kiosks and boards")).add_subparsers(dest="action", required=True)
    add_device = device.add_parser("add", help=_("give a kiosk or board a token (printed on stdout)"))
    add_device.add_argument("kind", choices=DEVICE_KINDS)
    add_device.add_argument("name")
    add_device.add_argument("--office", default=None, help=_("office code (default: the only office)"))
    device.add_parser("list", help=_("every kiosk and board: office, token, printer"))
    revoke = device.add_parser("revoke", help=_("take a device's token away at once (`device add` gives a new one)"))
    revoke.add_argument("kind", choices=DEVICE_KINDS)
    revoke.add_argument("name")
    revoke.add_argument("--office", default=None, help=_("office code (when the name is in several offices)"))

    token = commands.add_parser("token", help=_("staff tokens")).add_subparsers(dest="action", required=True)
    create = token.add_parser("create", help=_("create a bearer token for a staff user (printed on stdout)"))
    create.add_argument("user")


def _now() -> datetime:
    from okienko.clock import SystemClock

    return SystemClock().now()


def _secret(settings: Settings) -> str:
    return ensure_secret_key(settings).secret_key


def _yes_no(value: bool) -> str:
    return tr(_("yes")) if value else tr(_("no"))


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in (header, *rows))


def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    from okienko.staff import accounts
    from okienko.staff.auth import add_user

    name = getattr(args, "name", "")
    if args.action == "add":
        password = read_password()
        run(with_db(settings, lambda conn: add_user(conn, name, args.role, password, args.office)))
        say(tr(_("user “{user}” added as {role}"), user=name, role=args.role))
    elif args.action == "list":
        # The key only once the database is known to be there: a mistyped URL leaves nothing behind.
        found = run(with_db(settings, lambda conn: accounts.list_accounts(conn, _secret(settings), _now())))
        header = (tr(_("user")), tr(_("role")), tr(_("office")), tr(_("disabled")), tr(_("locked out")))
        print(_table(header, [(a.username, a.role, a.office or tr(_("(all)")), _yes_no(a.disabled),
                               _yes_no(a.locked)) for a in found]), flush=True)
    elif args.action in ("disable", "enable"):
        ended = run(with_db(settings, lambda conn: accounts.set_disabled(conn, name, args.action == "disable")))
        if args.action == "disable":
            say(tr(_("user “{user}” disabled: cannot sign in, {count} session(s) ended, tokens refused"),
                   user=name, count=ended))
            say(run(tell_servers(settings, _announce)))
        else:
            say(tr(_("user “{user}” enabled again"), user=name))
    elif args.action == "password":
        password = read_password()
        ended = run(with_db(settings, lambda conn: accounts.set_password(conn, name, password)))
        say(tr(_("new password set for “{user}”; {count} session(s) ended"), user=name, count=ended))
    elif args.action == "unlock":
        run(with_db(settings, lambda conn: accounts.unlock(conn, _secret(settings), name)))
        say(tr(_("user “{user}” may sign in again from every address"), user=name))
    return 0


async def _announce(broker: Any) -> None:
    from okienko.staff.auth import announce_credentials_changed

    await announce_credentials_changed(broker)


def cmd_device(args: argparse.Namespace, settings: Settings) -> int:
    from okienko.staff.auth import issue_device_token, list_devices, revoke_device

    if args.action == "add":
        token = run(with_db(settings, lambda conn: issue_device_token(conn, args.office, args.kind, args.name)))
        print(token, flush=True)
        say(tr(_("{kind} “{name}”: token above (shown once; a new `device add` replaces it)"),
               kind=args.kind, name=args.name))
        if args.kind == "kiosk":
            say(tr(_("sign the kiosk in by opening: <server>/kiosk/enroll?token={token}"), token=token))
        say(run(tell_servers(settings, _announce)))   # the token it had before works no more
    elif args.action == "list":
        found = run(with_db(settings, list_devices))
        header = (tr(_("kind")), tr(_("name")), tr(_("office")), tr(_("in the office file")), tr(_("token")),
                  tr(_("printer")))
        print(_table(header, [
            (d.kind, d.name, d.office, _yes_no(d.in_office_file), tr(_("valid")) if d.has_token else tr(_("none")),
             "" if d.kind != "kiosk" else d.printer_status + (f" ({d.printer_checked_at:%Y-%m-%d %H:%M} UTC)"
                                                               if d.printer_checked_at else ""))
            for d in found]), flush=True)
    elif args.action == "revoke":
        run(with_db(settings, lambda conn: revoke_device(conn, args.kind, args.name, args.office)))
        say(tr(_("{kind} “{name}”: token revoked; `okienko device add {kind} {name}` gives it a new one"),
               kind=args.kind, name=args.name))
        say(run(tell_servers(settings, _announce)))
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from okienko.staff.auth import issue_staff_token

    token = run(with_db(settings, lambda conn: issue_staff_token(conn, args.user, _now())))
    print(token, flush=True)
    say(tr(_("token for “{user}” above (shown once)"), user=args.user))
    return 0


def refusal_text(error: Exception) -> str | None:
    """A staff refusal (no such user, a short password) in the terminal's language."""
    from okienko.staff.auth import StaffRefusal

    if isinstance(error, StaffRefusal):
        return tr(error.message, **error.params)
    return None
