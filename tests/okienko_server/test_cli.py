"""The `okienko` command as an administrator uses it: tokens alone on stdout, clear errors."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import sys
import unittest.mock
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from okienko.storage.db import Database
from okienko.storage.models import Booking, Service
from okienko.settings import Settings
from okienko_server.cli import main
from tests.conftest import DEMO_OFFICE, drop_everything, free_port


def okienko(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    """`okienko ARGS` with `env` as its whole environment, run in this process: the same `main()` that
    `python -m okienko_server.cli` runs, without starting Python again for each of this file's calls
    (the entry point itself, and what goes through the log, are tried as a real process: `process`)."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                unittest.mock.patch("sys.stdin", io.StringIO(stdin)):
            try:
                code = main(list(args))
            except SystemExit as exit:   # argparse's refusals and --help
                code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(["okienko", *args], code, out.getvalue(), err.getvalue())


def process(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    """`okienko ARGS` as its own process, as an administrator's shell runs it."""
    return subprocess.run([sys.executable, "-m", "okienko_server.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    asyncio.run(drop_everything(database_url))
    return {**os.environ, "DATABASE_URL": database_url, "OKIENKO_DATA_DIR": str(tmp_path)}


def test_an_administrator_sets_up_an_office(cli_env: dict[str, str]) -> None:
    assert process("migrate", env=cli_env).returncode == 0   # the entry point itself, once
    loaded = okienko("office", "load", str(DEMO_OFFICE), env=cli_env)
    assert loaded.returncode == 0 and "7 services, 12 windows" in loaded.stderr

    kiosk = okienko("device", "add", "kiosk", "hall-1", env=cli_env)
    assert kiosk.returncode == 0
    token = kiosk.stdout.strip()
    assert len(token) >= 40 and "\n" not in token and token not in kiosk.stdout.replace(token, "", 1)

    user = okienko("user", "add", "anna", "--role", "clerk", env=cli_env, stdin="correct horse battery\n")
    assert user.returncode == 0, user.stderr
    staff = okienko("token", "create", "anna", env=cli_env)
    assert staff.returncode == 0 and len(staff.stdout.strip()) >= 40


@pytest.mark.parametrize("args, stdin, words", [
    (("office", "load", "/nonexistent.toml"), "", "cannot read /nonexistent.toml"),
    (("token", "create", "nobody"), "", "no such user: nobody"),
    (("user", "add", "bob", "--role", "clerk"), "short\n", "at least 8 characters"),
])
def test_mistakes_exit_non_zero_with_a_clear_message(cli_env, args, stdin, words) -> None:
    okienko("migrate", env=cli_env)
    result = okienko(*args, env=cli_env, stdin=stdin)
    assert result.returncode == 2
    assert words in result.stderr and result.stdout == ""


def test_bad_arguments_are_refused_by_the_parser(tmp_path: Path) -> None:
    env = {**os.environ, "OKIENKO_DATA_DIR": str(tmp_path)}
    result = okienko("user", "add", "x", "--role", "king", env=env)
    assert result.returncode == 2 and "invalid choice: 'king'" in result.stderr


def test_reloading_an_office_that_closes_a_booked_day_flags_the_booking(cli_env: dict[str, str],
                                                                        tmp_path: Path) -> None:
    assert okienko("migrate", env=cli_env).returncode == 0
    assert okienko("office", "load", str(DEMO_OFFICE), env=cli_env).returncode == 0
    day = date.today() + timedelta(days=10)
    starts = datetime.combine(day, time(10, 0), tzinfo=ZoneInfo("Europe/Warsaw"))

    async def add_booking() -> None:
        db = Database.from_settings(Settings(database_url=cli_env["DATABASE_URL"]))
        try:
            async with db.engine.begin() as conn:
                service = (await conn.execute(sa.select(Service.__table__).where(Service.__table__.c.code == "A"))
                           ).mappings().one()
                await conn.execute(sa.insert(Booking.__table__).values(
                    id="cli-booking", office_id=service["office_id"], service_id=service["id"], office_day=day,
                    starts_at=starts, ends_at=starts + timedelta(minutes=20), place=1, status="confirmed",
                    code="KM3QDA", secret_hash="x", person_key="p", person_name="Olena Kovalenko",
                    birth_date=date(1990, 4, 12), document_hash="d", document_masked="FE****56",
                    email="olena@example.com", phone="", language="uk", confirm_attempts=0, sequence=0,
                    created_at=starts - timedelta(days=20)))
        finally:
            await db.dispose()

    async def flag() -> str | None:
        db = Database.from_settings(Settings(database_url=cli_env["DATABASE_URL"]))
        try:
            async with db.read() as conn:
                return (await conn.execute(sa.select(Booking.__table__.c.flag))).scalar_one()
        finally:
            await db.dispose()

    asyncio.run(add_booking())
    office_file = tmp_path / "office.toml"
    office_file.write_text(DEMO_OFFICE.read_text(encoding="utf-8").replace(
        'closures = ["2026-12-31"]', f'closures = ["2026-12-31", "{day.isoformat()}"]'), encoding="utf-8")
    reloaded = okienko("office", "load", str(office_file), env=cli_env)
    assert reloaded.returncode == 0 and "1 booking(s) fall on days that are now closed" in reloaded.stderr
    assert asyncio.run(flag()) == "day_closed"


def test_saturday_holidays_need_a_substitute_day_closed_in_their_month() -> None:
    from okienko.office.hours import saturday_holidays_without_substitute as uncovered

    today = date(2026, 12, 2)
    assert uncovered([], today) == [(date(2026, 12, 26), "Boże Narodzenie (drugi dzień)"),
                                    (date(2027, 5, 1), "Święto Państwowe")]
    assert uncovered([date(2026, 12, 31)], today) == [(date(2027, 5, 1), "Święto Państwowe")]
    # A Saturday, a holiday or another month stand for nothing; a working day of May does.
    assert uncovered([date(2027, 5, 8), date(2027, 5, 3), date(2027, 6, 1), date(2026, 12, 31)], today) == \
        [(date(2027, 5, 1), "Święto Państwowe")]
    assert uncovered([date(2027, 5, 4), date(2026, 12, 31)], today) == []
    assert uncovered([], date(2027, 12, 26))[0] == (date(2028, 1, 1), "Nowy Rok")   # across the new year


def test_office_load_warns_of_saturday_holidays_with_their_dates(cli_env: dict[str, str], tmp_path: Path) -> None:
    from okienko.office.hours import _polish_holidays, saturday_holidays_without_substitute

    assert okienko("migrate", env=cli_env).returncode == 0
    office_file = tmp_path / "office.toml"
    text = DEMO_OFFICE.read_text(encoding="utf-8")
    office_file.write_text(text.replace('closures = ["2026-12-31"]', "closures = []"), encoding="utf-8")
    loaded = okienko("office", "load", str(office_file), env=cli_env)
    expected = saturday_holidays_without_substitute([], date.today())
    warnings = [line for line in loaded.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {day.isoformat()} ({name}) falls on a Saturday: staff get another day off "
                        f"(Labour Code art. 130 §2); add a working day of {day.strftime('%Y-%m')} to closures"
                        for day, name in expected]
    substitutes = []
    for day, _name in expected:   # the first working day of each such month
        spare = day.replace(day=1)
        while spare.weekday() >= 5 or spare in _polish_holidays(spare.year) or spare in substitutes:
            spare += timedelta(days=1)
        substitutes.append(spare)
    closures = ", ".join(f'"{day.isoformat()}"' for day in substitutes)
    office_file.write_text(text.replace('closures = ["2026-12-31"]', f"closures = [{closures}]"), encoding="utf-8")
    reloaded = okienko("office", "load", str(office_file), env=cli_env)
    assert reloaded.returncode == 0 and "warning:" not in reloaded.stderr


def test_open_cases_are_loaded_as_keyed_hashes_only(cli_env: dict[str, str], tmp_path: Path) -> None:
    okienko("migrate", env=cli_env)
    assert okienko("office", "load", str(DEMO_OFFICE), env=cli_env).returncode == 0
    export = tmp_path / "open-cases.csv"
    export.write_text("lp;znak_sprawy;nazwisko\n1;WSC-II-S.6151.98765.2024;Kowalenko\n"
                      "2;wsc-ii-s.6151.55555.2025;Nowak\n3;WSC-II-S.6151.98765.2024;Kowalenko\n", encoding="utf-8")
    loaded = okienko("cases", "load", str(export), env=cli_env)
    assert loaded.returncode == 0, loaded.stderr
    assert "3 case number(s) read, 2 distinct; 2 added" in loaded.stderr and "2 open case(s)" in loaded.stderr
    assert "98765" not in loaded.stderr + loaded.stdout and "55555" not in loaded.stderr + loaded.stdout

    export.write_text("case_number\nWSC-II-S.6151.11111.2025\n", encoding="utf-8")
    again = okienko("cases", "load", str(export), "--office", "demo", env=cli_env)
    assert "1 added" in again.stderr and "3 open case(s)" in again.stderr
    replaced = okienko("cases", "load", str(export), "--replace", env=cli_env)
    assert "1 already there, 2 removed; 1 open case(s)" in replaced.stderr

    async def stored() -> list[str]:
        db = Database.from_settings(Settings(database_url=cli_env["DATABASE_URL"]))
        try:
            async with db.engine.begin() as conn:
                return list((await conn.execute(sa.text("SELECT case_key FROM open_cases"))).scalars())
        finally:
            await db.dispose()

    keys = asyncio.run(stored())
    assert len(keys) == 1 and len(keys[0]) == 64 and "11111" not in keys[0]
    if cli_env["DATABASE_URL"].startswith("sqlite"):  # the file itself holds no case number
        database_file = Path(cli_env["DATABASE_URL"].split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in database_file.parent.glob(database_file.name + "*"))
        assert b"98765" not in raw and b"11111" not in raw and b"55555" not in raw
    wrong_office = okienko("cases", "load", str(export), "--office", "nowhere", env=cli_env)
    assert wrong_office.returncode == 2 and "no such office: nowhere" in wrong_office.stderr


@pytest.mark.parametrize(("configured", "used"), [("memory", "postgresql"), ("redis://127.0.0.1:6379/0", None)])
def test_several_workers_share_live_events_and_slot_hints(configured: str, used: str | None, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # The memory broker reaches one process only: with several workers, NOTIFY on the database.
    import uvicorn

    from okienko_server.cli import _serve

    started: dict[str, object] = {}
    monkeypatch.delenv("OKIENKO_BROKER_URL", raising=False)
    # Set for the workers: put back as they were afterwards.
    for name in ("OKIENKO_HOST", "OKIENKO_PORT", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: started.update(
        workers=options["workers"], broker=os.environ.get("OKIENKO_BROKER_URL"),
        metrics=os.environ.get("PROMETHEUS_MULTIPROC_DIR")))
    try:
        _serve(Settings(database_url="postgresql://postgres@127.0.0.1/okienko", broker_url=configured,
                        data_dir=str(tmp_path)), "127.0.0.1", 8000, workers=2)
        # ... and their own metrics through one folder (docs/monitoring.md, "Several processes").
        assert started == {"workers": 2, "broker": used, "metrics": str(tmp_path / "metrics")}
    finally:
        os.environ.pop("OKIENKO_BROKER_URL", None)


def _service_limit(database_url: str, code: str) -> int | None:
    async def read() -> int | None:
        db = Database.from_settings(Settings(database_url=database_url))
        try:
            async with db.read() as conn:
                return (await conn.execute(sa.select(Service.__table__.c.daily_limit)
                                           .where(Service.__table__.c.code == code))).scalar_one()
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_a_typo_in_the_office_file_is_named_and_changes_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert okienko("migrate", env=cli_env).returncode == 0
    assert okienko("office", "load", str(DEMO_OFFICE), env=cli_env).returncode == 0
    checked = okienko("office", "check", str(DEMO_OFFICE), env=cli_env)
    assert checked.returncode == 0 and "office 'demo', 7 services, 12 windows" in checked.stderr
    office_file = tmp_path / "office.toml"
    office_file.write_text(DEMO_OFFICE.read_text(encoding="utf-8")
                           .replace("daily_limit = 120\n", "daily_limit = 7\n")
                           .replace('code = "F"\nprefix = "F"\n', 'code = "F"\nprefix = "F"\ndaily_limt = 50\n')
                           .replace('number = "1"\n', 'number = "1"\nnmae = "Okno"\n'), encoding="utf-8")
    expected = ("okienko: error: service[1] (F).daily_limt: unknown key; did you mean daily_limit?\n"
                "window[0] (1).nmae: unknown key; did you mean name?\n")
    for action in ("check", "load"):
        refused = okienko("office", action, str(office_file), env=cli_env)
        assert (refused.returncode, refused.stdout, refused.stderr) == (2, "", expected)
    assert _service_limit(cli_env["DATABASE_URL"], "A") == 120   # the load stopped before writing anything


def test_office_load_says_how_running_servers_take_the_change(cli_env: dict[str, str]) -> None:
    assert okienko("migrate", env=cli_env).returncode == 0
    loaded = okienko("office", "load", str(DEMO_OFFICE), env=cli_env)
    assert loaded.returncode == 0
    if cli_env["DATABASE_URL"].startswith("sqlite"):
        assert ("a running server takes the change within 30 s (OKIENKO_BROKER_URL=memory reaches no other "
                "process)") in loaded.stderr
    else:   # NOTIFY on the database, which `serve --workers N` listens on
        assert ("server processes listening on PostgreSQL NOTIFY (okienko serve --workers N) were told and take "
                "the change at once; a single server with OKIENKO_BROKER_URL=memory takes it within 30 s") \
            in loaded.stderr
    broker_away = okienko("office", "load", str(DEMO_OFFICE),
                          env={**cli_env, "OKIENKO_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"})
    assert broker_away.returncode == 0   # loaded: the servers' own expiry catches it
    assert "warning: could not tell the running servers (" in broker_away.stderr
    assert broker_away.stderr.rstrip().endswith("they take the change within 30 s")


def test_a_typo_in_the_settings_file_stops_the_server_from_starting(tmp_path: Path) -> None:
    config = tmp_path / "okienko.toml"
    config.write_text('[okienko]\nprot = 8001\n\n[okienk]\nlog_level = "debug"\n', encoding="utf-8")
    env = {**os.environ, "OKIENKO_DATA_DIR": str(tmp_path), "OKIENKO_CONFIG": str(config)}
    refused = process("serve", "--port", str(free_port()), env=env)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.splitlines() == [
        f"okienko: error: OKIENKO_CONFIG {config}: okienko.prot: unknown key; did you mean port?",
        f"okienko: error: OKIENKO_CONFIG {config}: okienk: unknown key; did you mean okienko?"]


def test_the_retired_timezone_setting_is_named_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "OKIENKO_DATA_DIR": str(tmp_path), "OKIENKO_TIMEZONE": "Europe/Kyiv"}
    checked = process("office", "check", str(DEMO_OFFICE), env=env)   # said through the log: a real process
    assert checked.returncode == 0
    assert ("OKIENKO_TIMEZONE is no longer used and is ignored: the time zone is the office's: `timezone` in the "
            "office file's [office] (docs/office-config.md)") in checked.stderr


def test_a_command_without_a_database_says_what_to_run_and_creates_nothing(tmp_path: Path) -> None:
    database = tmp_path / "var" / "okienko.db"
    env = {**os.environ, "OKIENKO_DATA_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{database}"}
    for args in (("token", "create", "kierownik"), ("user", "list"), ("office", "load", str(DEMO_OFFICE))):
        refused = okienko(*args, env=env)
        assert (refused.returncode, refused.stdout) == (2, ""), args
        assert refused.stderr == (f"okienko: error: there is no database at {database}: run `okienko migrate` to "
                                  "create it (or `okienko demo` for a demo office)\n"), args
    assert not database.exists() and not database.parent.exists()


def test_a_database_never_migrated_or_unreachable_is_one_line(cli_env: dict[str, str]) -> None:
    from okienko.storage.migrate import database_label

    if cli_env["DATABASE_URL"].startswith("sqlite"):   # an empty file, as an earlier version left behind
        Path(database_label(cli_env["DATABASE_URL"])).touch()
    refused = okienko("token", "create", "kierownik", env=cli_env)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (f"okienko: error: the database {database_label(cli_env['DATABASE_URL'])} has no "
                              "tables yet: run `okienko migrate` first\n")
    away = f"postgresql://okienko:secret@127.0.0.1:{free_port()}/okienko"
    unreachable = okienko("device", "list", env={**cli_env, "DATABASE_URL": away})
    assert unreachable.returncode == 2 and len(unreachable.stderr.splitlines()) == 1
    assert unreachable.stderr.startswith(f"okienko: error: cannot reach the database "
                                         f"postgresql://okienko:***@127.0.0.1:{away.rsplit(':', 1)[1].split('/')[0]}"
                                         "/okienko (ConnectionRefusedError")
    not_migrated = okienko("migrate", env={**cli_env, "DATABASE_URL": away})
    assert not_migrated.returncode == 2 and not_migrated.stderr == unreachable.stderr


def test_an_administrator_manages_accounts_and_devices(cli_env: dict[str, str]) -> None:
    assert okienko("migrate", env=cli_env).returncode == 0
    assert okienko("office", "load", str(DEMO_OFFICE), env=cli_env).returncode == 0
    okienko("user", "add", "anna", "--role", "clerk", "--office", "demo", env=cli_env, stdin="correct horse battery\n")
    okienko("user", "add", "kierownik", "--role", "manager", env=cli_env, stdin="correct horse battery\n")
    assert okienko("user", "disable", "anna", env=cli_env).returncode == 0
    listed = okienko("user", "list", env=cli_env)
    assert listed.returncode == 0 and "argon2" not in listed.stdout
    assert [line.split() for line in listed.stdout.splitlines()] == [
        ["user", "role", "office", "disabled", "locked", "out"],
        ["anna", "clerk", "demo", "yes", "no"], ["kierownik", "manager", "(all)", "no", "no"]]
    assert okienko("user", "enable", "anna", env=cli_env).returncode == 0
    short = okienko("user", "password", "anna", env=cli_env, stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    changed = okienko("user", "password", "anna", env=cli_env, stdin="another horse battery\n")
    assert changed.returncode == 0 and "new password set for “anna”; 0 session(s) ended" in changed.stderr
    assert okienko("user", "unlock", "anna", env=cli_env).returncode == 0
    assert "no such user: nobody" in okienko("user", "disable", "nobody", env=cli_env).stderr

    assert okienko("device", "add", "kiosk", "hall-1", env=cli_env).returncode == 0
    revoked = okienko("device", "revoke", "board", "hall", env=cli_env)
    assert revoked.returncode == 0 and "token revoked" in revoked.stderr
    devices = [line.split() for line in okienko("device", "list", env=cli_env).stdout.splitlines()[1:]]
    assert [row[:5] for row in devices] == [["board", "hall", "demo", "yes", "none"],
                                            ["kiosk", "hall-1", "demo", "yes", "valid"],
                                            ["kiosk", "hall-2", "demo", "yes", "none"]]
    missing = okienko("device", "revoke", "kiosk", "nowhere", env=cli_env)
    assert missing.returncode == 2 and missing.stderr == "okienko: error: no such device: kiosk nowhere\n"


def test_messages_are_in_the_terminals_language(cli_env: dict[str, str], tmp_path: Path) -> None:
    from okienko.i18n import Translator

    missing = tmp_path / "nowhere.db"
    polish = {**cli_env, "DATABASE_URL": f"sqlite:///{missing}", "LANG": "pl_PL.UTF-8", "LC_ALL": "", "LANGUAGE": ""}
    refused = okienko("user", "list", env=polish)
    message = ("there is no database at {database}: run `okienko migrate` to create it "
               "(or `okienko demo` for a demo office)")
    assert Translator().gettext("pl", message) != message
    assert refused.stderr == "okienko: error: " + Translator().format("pl", message, database=missing) + "\n"
    okienko("migrate", env=cli_env)
    ukrainian = {**cli_env, "LANG": "uk_UA.UTF-8", "LC_ALL": "", "LANGUAGE": ""}
    unknown = okienko("token", "create", "nobody", env=ukrainian)
    assert unknown.stderr == "okienko: error: " + Translator().format("uk", "no such user: {user}", user="nobody") + "\n"


def test_help_is_in_the_terminals_language(cli_env: dict[str, str]) -> None:
    polish = {**cli_env, "LANG": "pl_PL.UTF-8", "LC_ALL": "", "LANGUAGE": ""}
    shown = okienko("office", "export", "--help", env=polish)
    assert shown.returncode == 0
    assert shown.stdout.startswith("użycie: okienko office export")
    assert "pokaż tę pomoc i zakończ" in shown.stdout and "kod urzędu (domyślnie: jedyny urząd)" in shown.stdout
    russian = okienko("--help", env={**cli_env, "LANG": "ru_RU.UTF-8", "LC_ALL": "", "LANGUAGE": ""})
    assert "запустить сервер" in russian.stdout
    english = okienko("--help", env={**cli_env, "LANG": "C.UTF-8", "LC_ALL": "", "LANGUAGE": ""})
    assert english.stdout.startswith("usage: okienko") and "run the server" in english.stdout


TABLES = ("offices", "services", "service_hours", "windows", "window_services", "priority_categories", "closures",
          "devices", "day_hours")
DAYS = """
[[day]]
date = "2027-03-06"
hours = "09:00-13:00"
services = ["K", "A"]
reason = "Information Saturday"

[[day]]
date = "2027-03-08"
walk_in = false
reason = "Bookings off: staff training"
"""


def _office_tables(database_url: str) -> dict[str, list[tuple]]:
    """Every row of the office's set-up; rows replaced on every load (hours, closures) without their ids."""
    async def read() -> dict[str, list[tuple]]:
        db = Database.from_settings(Settings(database_url=database_url))
        try:
            async with db.engine.begin() as conn:
                found = {}
                for table in TABLES:
                    result = await conn.execute(sa.text(f"SELECT * FROM {table}"))
                    keep = [i for i, name in enumerate(result.keys())
                            if not (name == "id" and table in ("service_hours", "closures", "day_hours"))]
                    found[table] = sorted((tuple(str(row[i]) for i in keep) for row in result.all()))
                return found
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_an_exported_office_loads_back_unchanged(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert okienko("migrate", env=cli_env).returncode == 0
    with_days = tmp_path / "with-days.toml"
    with_days.write_text(DEMO_OFFICE.read_text(encoding="utf-8") + DAYS, encoding="utf-8")
    assert okienko("office", "load", str(with_days), env=cli_env).returncode == 0
    before = _office_tables(cli_env["DATABASE_URL"])
    assert len(before["day_hours"]) == 5   # two services on each Saturday, every service on the Monday
    exported = tmp_path / "exported.toml"
    written = okienko("office", "export", "--output", str(exported), env=cli_env)
    assert written.returncode == 0 and f"office exported to {exported}" in written.stderr
    loaded = okienko("office", "load", str(exported), env=cli_env)
    assert loaded.returncode == 0 and "7 services, 12 windows, 3 devices" in loaded.stderr
    assert _office_tables(cli_env["DATABASE_URL"]) == before
    again = okienko("office", "export", env=cli_env)
    assert again.returncode == 0 and again.stdout == exported.read_text(encoding="utf-8")
    assert '[[day]]\ndate = "2027-03-06"\nhours = "09:00-13:00"\nservices = ["A", "K"]' in again.stdout
    assert 'date = "2027-03-08"\nhours = ""\nwalk_in = false\nbooking = true' in again.stdout
    wrong = okienko("office", "export", "--office", "nowhere", env=cli_env)
    assert (wrong.returncode, wrong.stderr) == (2, "okienko: error: no such office: nowhere\n")


def test_the_demo_prints_whole_links_with_its_host_and_port(tmp_path: Path) -> None:
    """`okienko demo --port N`: every link it prints opens as it stands (host and port included),
    the kiosk's and the board's sign-in links, the staff screens, online booking and the queue."""
    import re
    import urllib.request

    from tests.conftest import running_demo

    with running_demo(tmp_path) as demo:
        printed = "".join(demo.log)
        base = demo.url   # http://127.0.0.1:PORT, the port given by OKIENKO_PORT as `--port` would
        for line in (f"kiosk hall-1: {base}/kiosk/enroll?token=", f"board hall: {base}/board/enroll?token=",
                     f"{base}/console/login", f"{base}/admin/login", f"{base}/call-centre/login",
                     f"{base}/book", f"{base}/queue"):
            assert line in printed, printed
        links = re.findall(r"http://127\.0\.0\.1:\d+/\S*", printed.split("Okienko is at")[0])
        assert len(links) >= 9 and all(link.startswith(base + "/") for link in links)
        for link in (f"{base}/book", f"{base}/queue", f"{base}/console/login"):
            with urllib.request.urlopen(link, timeout=10) as answer:
                assert answer.status == 200, link


def test_the_demo_links_follow_the_port_it_is_given() -> None:
    from okienko_server.cli import demo_link_lines

    lines = demo_link_lines(Settings(), "127.0.0.1", 8123, {("kiosk", "hall-1"): "abc"})
    assert lines[0] == "  kiosk hall-1: http://127.0.0.1:8123/kiosk/enroll?token=abc"
    assert any(line.endswith("http://127.0.0.1:8123/book") for line in lines)
    public = demo_link_lines(Settings(public_url="https://kolejka.example.gov.pl"), None, 9000, {})
    assert any("https://kolejka.example.gov.pl/queue" in line for line in public)
