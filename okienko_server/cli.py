"""The `okienko` command. Tokens go alone on stdout, messages on stderr, so scripts can capture them."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Sequence

from okienko.clock import clock_for
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.settings import Settings, SettingsError, ensure_secret_key, load_settings
from okienko_server import cli_archive, cli_deploy, cli_staff
from okienko_server.cli_common import (CommandError, Parser, run as _run, say, tell_servers, tr, upgrade_schema,
                                       with_db as _with_db)

ROOT = Path(__file__).resolve().parent.parent
DEMO_OFFICE = ROOT / "config" / "demo-office.toml"
DEMO_STAFF = (("urzednik", "clerk"), ("urzedniczka", "clerk"), ("kierownik", "manager"), ("konsultantka", "operator"))
DEMO_PASSWORD = "okienko-demo"


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="okienko", description=_("Okienko: queues and appointments for public offices"))
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help=_("run the server"))
    _host_port(serve)
    serve.add_argument("--workers", type=int, default=1, help=_("server processes (PostgreSQL for more than one)"))
    serve.add_argument("--part", choices=("all", "hall", "public"),
                       help=_("serve only the hall's routes or only the public's (OKIENKO_SERVE_PART)"))
    demo = commands.add_parser("demo", help=_("a fresh demo office database, open at any hour, then serve"))
    _host_port(demo)
    commands.add_parser("migrate", help=_("bring the database schema up to date"))

    office = commands.add_parser("office", help=_("office configuration")).add_subparsers(dest="action", required=True)
    load = office.add_parser("load", help=_("load (or reload) an office file into the database; running servers "
                                          "are told through the broker"))
    load.add_argument("file", type=Path, nargs="+", help=_("one or more office files, each with its own code"))
    load.add_argument("--as", dest="as_code", default=None, metavar="CODE",
                      help=_("load the one file as the office CODE (without its public address and hosts): "
                             "several offices from one file"))
    check = office.add_parser("check", help=_("check an office file without loading it"))
    check.add_argument("file", type=Path, nargs="+")
    office.add_parser("list", help=_("every office: code, name, public address, services, windows, devices, staff"))
    export = office.add_parser("export", help=_("write the office as it stands in the database as an office file"))
    export.add_argument("--output", type=Path, default=None, help=_("file to write (default: stdout)"))
    export.add_argument("--office", default=None, help=_("office code (default: the only office)"))

    cases = commands.add_parser("cases", help=_("the office's open case numbers")).add_subparsers(dest="action",
                                                                                              required=True)
    load_cases = cases.add_parser("load", help=_("load open case numbers from a CSV (stored only as keyed hashes)"))
    load_cases.add_argument("file", type=Path, help=_("CSV: a column case_number or znak_sprawy, else the first one"))
    load_cases.add_argument("--office", default=None, help=_("office code (default: the only office)"))
    load_cases.add_argument("--replace", action="store_true",
                            help=_("the list becomes exactly this file (cases not in it are closed)"))

    cli_staff.add_parsers(commands)
    cli_deploy.add_parsers(commands)
    cli_archive.add_parser(commands)

    agent = commands.add_parser("print-agent", help=_("print a kiosk's tickets on a printer attached to this computer"))
    agent.add_argument("--server", required=True, help=_("the server's address, e.g. http://10.0.0.5:8000"))
    agent.add_argument("--token", default=None, help=_("the kiosk's device token (default: $OKIENKO_DEVICE_TOKEN)"))
    agent.add_argument("--printer", required=True,
                       help=_("printer as key=value pairs, e.g. 'kind=usb,usb_vendor=0x04b8,usb_product=0x0202' "
                            "or 'kind=serial,device=/dev/ttyUSB0' or 'kind=file,path=/dev/usb/lp0'"))
    agent.add_argument("--journal", type=Path, default=Path("var/print-agent-journal.jsonl"))
    return top


def _host_port(command: argparse.ArgumentParser) -> None:
    command.add_argument("--host", default=None, help=_("address to listen on (default 127.0.0.1)"))
    command.add_argument("--port", type=int, default=None, help=_("port (default 8000)"))


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = None if args.command in cli_deploy.OWN_SETTINGS else load_settings()
        handler = HANDLERS[args.command]
        return handler(args, settings) or 0
    except SettingsError as error:
        for problem in error.problems:
            say(f"okienko: error: {cli_deploy.problem_text(problem)}")
        return 2
    except (CommandError, ValueError) as error:
        say(f"okienko: error: {cli_staff.refusal_text(error) or error}")
        return 2
    except DomainError as error:
        say(f"okienko: error: {tr(error.message_id, **error.params)}")
        return 2
    except KeyboardInterrupt:
        return 130


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    upgrade_schema(settings)
    say(tr(_("the database schema is up to date")))
    return 0


def cmd_office(args: argparse.Namespace, settings: Settings) -> int:
    from okienko.office.config_file import OfficeFileError, read_office_file

    if args.action == "export":
        return _export_office(args, settings)
    if args.action == "list":
        return _list_offices(settings)
    specs = []
    for path in args.file:   # every file checked before any is loaded
        try:
            specs.append((path, read_office_file(path)))
        except OfficeFileError as error:
            raise CommandError(tr(error.message_id, **error.arguments)) from None
    if getattr(args, "as_code", None):
        if len(specs) != 1:
            raise CommandError(tr(_("--as loads one file as another office: give one file")))
        specs = [(path, renamed(spec, args.as_code)) for path, spec in specs]
    codes = [spec.code for _path, spec in specs]
    for index, code in enumerate(codes):
        if code in codes[:index]:
            raise CommandError(tr(_("{path}: office '{office}' is in two files; each office file needs its own code"),
                                  path=specs[index][0], office=code))
    for path, spec in specs:
        _load_or_check(args, settings, path, spec)
    return 0


def renamed(spec: Any, code: str) -> Any:
    """The office of `spec` as another office, `code` (`office load FILE --as CODE`): its name says the
    code, and it has no address of its own (an address reaches one office only)."""
    if not code.strip() or len(code.strip()) > 40:   # what the file's own `code` may be
        raise CommandError(tr(_("--as: an office code of 1 to 40 characters")))
    return dataclasses.replace(spec, code=code.strip(), name=f"{spec.name} ({code.strip()})"[:200],
                               public_url="", hosts=())


def _list_offices(settings: Settings) -> int:
    from okienko.office.offices import list_offices
    from okienko_server.cli_staff import _table

    found = _run(_with_db(settings, list_offices))
    if not found:
        raise CommandError(tr(_("no office loaded yet: load one first with `okienko office load FILE`")))
    header = (tr(_("office")), tr(_("name")), tr(_("address")), tr(_("services")), tr(_("windows")),
              tr(_("devices")), tr(_("staff")))
    print(_table(header, [(o.code, o.name, " ".join(o.hosts) or tr(_("(the installation's)")), str(o.services),
                           str(o.windows), str(o.devices), str(o.staff)) for o in found]), flush=True)
    return 0


def _load_or_check(args: argparse.Namespace, settings: Settings, path: Path, spec: Any) -> None:
    from okienko.office.config_file import OfficeFileError

    counts = tr(_("{services} services, {windows} windows, {devices} devices"), services=len(spec.services),
                windows=len(spec.windows), devices=len(spec.devices))
    if args.action == "check":
        say(tr(_("{path}: office '{office}', {counts}: no mistakes found"), path=path, office=spec.code,
               counts=counts))
        _warn_saturday_holidays(spec)
        return
    try:
        _run(_load_office(settings, spec, None))
    except OfficeFileError as error:   # what only the database knows: a host another office has
        raise CommandError(f"{path}: {tr(error.message_id, **error.arguments)}") from None
    flagged = _run(_with_db(settings, lambda conn: _flag_closed_days(conn, spec.code)))
    say(tr(_("office '{office}' loaded: {counts}"), office=spec.code, counts=counts))
    if flagged:
        say(tr(_("{count} booking(s) fall on days that are now closed: flagged for the office "
                 "(GET /api/v1/staff/bookings?flagged=1)"), count=flagged))
    _warn_saturday_holidays(spec)
    say(_run(tell_servers(settings, lambda broker: _announce_office(broker, spec.code))))


def _export_office(args: argparse.Namespace, settings: Settings) -> int:
    from okienko.office.export import UnknownOffice, export_office

    try:
        text = _run(_with_db(settings, lambda conn: export_office(conn, args.office)))
    except UnknownOffice:
        raise CommandError(tr(_("no such office: {office}"), office=args.office) if args.office
                           else tr(_("no office loaded yet: load one first with `okienko office load FILE`"))) from None
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(tr(_("cannot write {path}: {reason}"), path=args.output,
                              reason=error.strerror or error)) from None
    say(tr(_("office exported to {path}"), path=args.output))
    return 0


async def _announce_office(broker: Any, office_code: str) -> None:
    from okienko.office.directory import announce_office_loaded

    await announce_office_loaded(broker, office_code)


def _warn_saturday_holidays(spec: Any) -> None:
    """A public holiday on a Saturday gives staff another day off (Labour Code art. 130 §2): say so
    for the next 12 months while no closure in its month stands for it (docs/office-config.md)."""
    from datetime import date

    from okienko.office.hours import saturday_holidays_without_substitute

    if not spec.closed_on_public_holidays:
        return
    for day, name in saturday_holidays_without_substitute([closed for closed, _ in spec.closures], date.today()):
        say(tr(_("warning: {day} ({holiday}) falls on a Saturday: staff get another day off "
                 "(Labour Code art. 130 §2); add a working day of {month} to closures"),
               day=day.isoformat(), holiday=name, month=day.strftime('%Y-%m')))


async def _flag_closed_days(conn: Any, office_code: str) -> int:
    """Bookings on a day the new file closes are flagged at once (the server's sweeper would too)."""
    from okienko.booking.changes import flag_closed_days
    from okienko.clock import SystemClock
    from okienko.office.directory import read_setup

    return await flag_closed_days(conn, await read_setup(conn, office_code), SystemClock().now())


async def _load_office(settings: Settings, spec: Any, always_open: bool | None) -> int:
    """Load the office file, with its audit entry (actor `cli`) in the same transaction."""
    from okienko.clock import SystemClock
    from okienko.office.editing import load_with_audit

    return await _with_db(settings, lambda conn: load_with_audit(conn, spec, now=SystemClock().now(),
                                                                 always_open=always_open))


def cmd_cases(args: argparse.Namespace, settings: Settings) -> int:
    """Load the office's open cases; prints counts only, never a case number."""
    from okienko.booking.cases import case_numbers_in_csv, load_open_cases
    from okienko.clock import SystemClock
    from okienko.office.directory import read_setup

    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(tr(_("cannot read {path}: {reason}"), path=args.file,
                              reason=getattr(error, 'strerror', None) or error)) from None
    numbers = case_numbers_in_csv(text)

    async def load(conn: Any) -> tuple[str, dict[str, int]]:
        setup = await read_setup(conn, args.office)
        # The key only once the database is known to be there: a mistyped URL leaves nothing behind.
        counts = await load_open_cases(conn, setup.id, numbers, secret_key=ensure_secret_key(settings).secret_key,
                                       now=SystemClock().now(), replace=args.replace)
        return setup.code, counts

    try:
        office_code, counts = _run(_with_db(settings, load))
    except DomainError:
        raise CommandError(tr(_("no such office: {office}"), office=args.office) if args.office else
                           tr(_("no office loaded yet: load one first with `okienko office load FILE`"))) from None
    say(tr(_("office '{office}': {numbers} case number(s) read, {read} distinct; {added} added, {already_there} "
             "already there, {removed} removed; {total} open case(s) in the list"),
           office=office_code, numbers=len(numbers), **counts))
    return 0


def _serve(settings: Settings, host: str | None, port: int | None, workers: int = 1,
           demo_links: list[dict[str, str]] | None = None) -> int:
    import uvicorn

    from okienko_server.app import create_app
    from okienko.links import PublicLinks, is_loopback, start_refusal

    # The address it listens on is also its public address where none is set (okienko/links.py).
    settings = dataclasses.replace(settings, host=host or settings.host, port=port or settings.port)
    host, port = settings.host, settings.port
    if not (settings.public_url or is_loopback(host)):
        refusal = start_refusal(settings, _run(_with_db(settings, _takes_bookings)))
        if refusal:
            raise CommandError(refusal)
    if workers > 1:
        if settings.is_sqlite:
            raise CommandError(tr(_("several workers need PostgreSQL (set DATABASE_URL)")))
        if settings.broker_url in ("", "memory"):
            # The memory broker reaches one process only: live events and slot hints would not
            # cross the workers, so they use the application database's NOTIFY instead.
            os.environ["OKIENKO_BROKER_URL"] = "postgresql"   # worker processes read their settings again
            say(tr(_("several workers: live events go through PostgreSQL NOTIFY (OKIENKO_BROKER_URL=postgresql)")))
        os.environ.update(OKIENKO_HOST=host, OKIENKO_PORT=str(port))   # worker processes read their settings again
        metrics_folder(settings)
        uvicorn.run("okienko_server.app:create_app", factory=True, host=host, port=port, workers=workers,
                    **server_options(settings))
        return 0
    app = create_app(settings, demo_links=demo_links)
    say(tr(_("Okienko is at {address}/"), address=PublicLinks.from_settings(settings).base))
    uvicorn.run(app, host=host, port=port, **server_options(settings))
    return 0


async def _takes_bookings(conn: Any) -> bool:
    """Whether any service of any office takes online bookings (and so writes emails with links)."""
    import sqlalchemy as sa

    from okienko.booking.rules import SlotSchedule
    from okienko.storage.models import Service

    services = Service.__table__
    schedules = (await conn.execute(sa.select(services.c.booking).where(services.c.active))).scalars()
    return any(SlotSchedule.from_mapping(schedule) is not None for schedule in schedules)


def server_options(settings: Settings) -> dict[str, Any]:
    """What `serve` tells uvicorn, whatever the number of workers: which peers may say, in
    `X-Forwarded-For`, whom they forward (`trusted_proxies`); anyone else is taken at its own address;
    a WebSocket message held to the body limit (`max_body_bytes`, not uvicorn's 16 MB); logs that
    carry no secret nor personal data (okienko_server/server_log.py)."""
    from okienko_server.server_log import log_config

    return {"log_level": settings.log_level, "log_config": log_config(settings.log_level, settings.log_format),
            # In the JSON format the access lines are the server's own (okienko_server/request_log.py).
            "access_log": settings.log_format != "json",
            "ws_per_message_deflate": False, "ws_max_size": settings.max_body_bytes, "proxy_headers": True,
            "forwarded_allow_ips": [ip.strip() for ip in settings.trusted_proxies.split(",") if ip.strip()]}


def metrics_folder(settings: Settings) -> None:
    """Several workers share their own metrics (request latency, WebSocket clients) through a folder
    (prometheus_client's multiprocess mode, docs/monitoring.md): `<data_dir>/metrics` unless
    PROMETHEUS_MULTIPROC_DIR names another, emptied before the workers start."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(settings.data_dir) / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)   # worker processes import prometheus_client afresh


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    upgrade_schema(settings)
    if args.part:
        os.environ["OKIENKO_SERVE_PART"] = args.part   # worker processes read their settings again
        settings = dataclasses.replace(settings, serve_part=args.part)
    return _serve(settings, args.host, args.port, args.workers)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from okienko.staff.auth import add_user, issue_device_token
    from okienko.office.config_file import read_office_file

    if "DATABASE_URL" not in os.environ:
        demo_db = Path(settings.data_dir) / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{demo_db}{suffix}").unlink(missing_ok=True)
        settings = dataclasses.replace(settings, database_url=f"sqlite:///{demo_db}")
    settings = ensure_secret_key(settings)
    upgrade_schema(settings)
    spec = read_office_file(DEMO_OFFICE)
    drawn = demo_draw_now(spec, clock_for(settings.clock_start).now())
    _run(_load_office(settings, spec, True))
    tokens = {(kind, name): _run(_with_db(settings, lambda conn, k=kind, n=name: issue_device_token(conn, spec.code, k, n)))
              for kind, name, _ in spec.devices}
    for username, role in DEMO_STAFF:
        _run(_with_db(settings, lambda conn, u=username, r=role: add_user(conn, u, r, DEMO_PASSWORD, spec.code)))
    kiosk = next(token for (kind, _name), token in tokens.items() if kind == "kiosk")
    board = next(token for (kind, _name), token in tokens.items() if kind == "board")
    links = [
        {"href": f"/kiosk/enroll?token={kiosk}", "label": _("Kiosk (demo: signs this browser in as a kiosk)")},
        {"href": f"/board/enroll?token={board}", "label": _("Hall board (demo: signs this browser in as a board)")},
        {"href": "/console/login", "label": _("Clerk console (demo: user “urzednik”, password “okienko-demo”)")},
        {"href": "/call-centre/login", "label": _("Call centre (demo: user “konsultantka”, password “okienko-demo”)")},
    ]
    say(tr(_("demo office loaded (open at any hour); sign-in links:")))
    for code, day, opens in drawn:
        say("  " + tr(_("draw: service {service}, day {day}: entries from {opens} for its draw_minutes, then the "
                        "draw runs (GET /api/v1/draws?service={service})"), service=code, day=day,
                      opens=f"{opens:%H:%M}"))
    for line in demo_link_lines(settings, args.host, args.port, tokens):
        say(line)
    return _serve(settings, args.host, args.port, demo_links=links)


def demo_link_lines(settings: Settings, host: str | None, port: int | None,
                    tokens: dict[tuple[str, str], str]) -> list[str]:
    """What the demo prints for its operator: every link whole (the address the server will be at,
    `--host` and `--port` included), so that a click in the terminal opens it."""
    from okienko.links import PublicLinks

    served = dataclasses.replace(settings, host=host or settings.host, port=port or settings.port)
    base = PublicLinks.from_settings(served).base
    lines = [f"  {kind} {name}: {base}/{'kiosk' if kind == 'kiosk' else 'board'}/enroll?token={token}"
             for (kind, name), token in tokens.items()]
    lines.append("  " + tr(_("clerk console: {link}  users {users}, password {password}"), link=f"{base}/console/login",
                           users=", ".join(u for u, role in DEMO_STAFF if role != "operator"),
                           password=DEMO_PASSWORD))
    lines.append("  " + tr(_("back office: {link}  user {users}, password {password}"), link=f"{base}/admin/login",
                           users=", ".join(u for u, role in DEMO_STAFF if role == "manager"), password=DEMO_PASSWORD))
    lines.append("  " + tr(_("call centre: {link}  user {users}, password {password}"), link=f"{base}/call-centre/login",
                           users=", ".join(u for u, role in DEMO_STAFF if role == "operator"), password=DEMO_PASSWORD))
    lines.append("  " + tr(_("online booking: {link}"), link=f"{base}/book"))
    lines.append("  " + tr(_("queue now: {link}"), link=f"{base}/queue"))
    lines.append("  " + tr(_("start page: {link}"), link=f"{base}/"))
    return lines


def demo_draw_now(spec: Any, now: datetime) -> list[tuple[str, date, datetime]]:
    """The demo's draw services release a day at the minute the demo starts, so that a new user sees a
    draw's entry window open at once and the draw run `draw_minutes` later: their `release_time`
    becomes this minute, and their horizon the first day from 30 days ahead that has visits.
    Returns (service, day, window opens) for each."""
    from zoneinfo import ZoneInfo

    from okienko.office.hours import holiday_name, office_day

    local = now.astimezone(ZoneInfo(spec.timezone))
    today = office_day(ZoneInfo(spec.timezone), now)
    closures = {day for day, _why in spec.closures}
    office_mode = spec.booking_policy.get("release_mode", "first_come")
    changed = []
    for service in spec.services:
        booking = service.booking
        if not booking or not booking.get("days") or booking.get("release_mode", office_mode) != "draw":
            continue
        for horizon in range(int(booking.get("horizon_days", 30)), 60):
            day = today + timedelta(days=horizon)
            if (booking["days"].get(str(day.weekday())) or booking["days"].get(day.weekday())) \
                    and day not in closures and holiday_name(day, "en") is None:
                break
        booking["horizon_days"] = horizon
        booking["release_minute"] = local.hour * 60 + local.minute
        changed.append((service.code, day, local.replace(second=0, microsecond=0)))
    return changed


def cmd_print_agent(args: argparse.Namespace, settings: Settings) -> int:
    from printers.agent import run_agent
    from printers.connections import PrinterConfig

    token = args.token or os.environ.get("OKIENKO_DEVICE_TOKEN")
    if not token:
        raise CommandError(tr(_("give the kiosk's token with --token or OKIENKO_DEVICE_TOKEN")))
    printer = PrinterConfig.from_mapping(_pairs(args.printer))
    say(tr(_("print agent for {server}: printing on {printer}"), server=args.server, printer=printer.kind))
    _run(run_agent(args.server, token, printer, args.journal))
    return 0


def _pairs(text: str) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise CommandError(tr(_("--printer: {part} is not key=value"), part=repr(part)))
        value = value.strip()
        if value.isdigit():
            mapping[key.strip()] = int(value)
        elif value.lower() in ("true", "false"):
            mapping[key.strip()] = value.lower() == "true"
        else:
            mapping[key.strip()] = value  # USB ids such as 0x04b8 are parsed by PrinterConfig
    return mapping


HANDLERS = {
    "serve": cmd_serve, "demo": cmd_demo, "migrate": cmd_migrate, "office": cmd_office, "cases": cmd_cases,
    "user": cli_staff.cmd_user, "device": cli_staff.cmd_device, "token": cli_staff.cmd_token,
    "print-agent": cmd_print_agent, "archive": cli_archive.cmd_archive, **cli_deploy.HANDLERS,
}

if __name__ == "__main__":
    sys.exit(main())
