"""Everything a deployment can get wrong before it starts, found at once (`okienko check-config`).

The settings' own rules (a value of the wrong type, an unknown key) live in settings.py and the
office file's in office/config_file.py; this module adds what a production server needs on top
(secrets, the proxy, mail, paths) and whether the database and the broker answer. Every finding
is a `SettingProblem`: an English msgid with its parameters, translated where it is shown.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from okienko.i18n import _
from okienko.links import is_loopback
from okienko.settings import SettingProblem, Settings, read_settings

# A key shorter than this can be guessed offline from a signed cookie or a keyed hash.
MIN_SECRET_LENGTH = 32
# A shared secret sent by a gateway with each delivery report.
MIN_SHARED_SECRET_LENGTH = 16
PLACEHOLDERS = ("change-me", "changeme", "secret", "password")
CONNECT_TIMEOUT_SECONDS = 5.0


def is_production(settings: Settings) -> bool:
    """A server that others reach: it listens beyond loopback or has a public address."""
    return bool(settings.public_url) or not is_loopback(settings.host)


def check_deployment(environ: Mapping[str, str] | None = None, config_file: str | Path | None = None,
                     office_files: Sequence[Path] = (), *, production: bool | None = None,
                     connect: bool = True) -> tuple[Settings | None, list[SettingProblem]]:
    """Every problem with the settings, the office files and (`connect`) the database and the broker,
    not only the first. `production` None: decided from the settings (`is_production`)."""
    environ = os.environ if environ is None else environ
    settings, problems = read_settings(environ, config_file)
    problems += [problem for path in office_files for problem in office_file_problems(path)]
    if settings is None:
        return None, problems
    if production is None:
        production = is_production(settings)
    problems += setting_problems(settings, production)
    if connect:
        problems += asyncio.run(reachability_problems(settings))
    return settings, problems


def office_file_problems(path: Path) -> list[SettingProblem]:
    """The office file's mistake, as `okienko office check` finds it (its one set of rules)."""
    from okienko.office.config_file import OfficeFileError, read_office_file

    if not path.is_file():
        return [SettingProblem(_("the office file {path} does not exist"), {"path": str(path)})]
    try:
        read_office_file(path)
    except OfficeFileError as error:
        return [SettingProblem(error.message_id, error.arguments, where=str(path))]
    return []


def setting_problems(settings: Settings, production: bool) -> list[SettingProblem]:
    """What makes sense only together, or only on a real server: secrets, proxies, mail, paths."""
    problems: list[SettingProblem] = []

    def refuse(message: str, **params: Any) -> None:
        problems.append(SettingProblem(message, params))

    if production:
        if not settings.secret_key:
            refuse(_("OKIENKO_SECRET_KEY is not set: each machine would make a key of its own in its data folder, "
                     "and sign-ins and booking links would not work across them; set at least {count} random "
                     "characters"), count=MIN_SECRET_LENGTH)
        elif len(settings.secret_key) < MIN_SECRET_LENGTH:
            refuse(_("OKIENKO_SECRET_KEY is too short ({length} characters): at least {count} random characters"),
                   length=len(settings.secret_key), count=MIN_SECRET_LENGTH)
        if any(word in settings.secret_key.lower() for word in PLACEHOLDERS):
            refuse(_("OKIENKO_SECRET_KEY is still the example's placeholder: set random characters"))
        if settings.clock_start:
            refuse(_("OKIENKO_CLOCK_START is for demos only: leave it empty on a real server"))
        if not settings.public_url:
            refuse(_("OKIENKO_PUBLIC_URL is not set: links on tickets, in emails and in SMS would carry the "
                     "server's own address"))
        elif not settings.public_url.startswith("https://"):
            refuse(_("OKIENKO_PUBLIC_URL should start with https:// on a real server (visitors type personal "
                     "data into the booking pages)"))
    secret = settings.sms_delivery_secret
    if secret and len(secret) < MIN_SHARED_SECRET_LENGTH:
        refuse(_("OKIENKO_SMS_DELIVERY_SECRET is too short ({length} characters): at least {count}"),
               length=len(secret), count=MIN_SHARED_SECRET_LENGTH)
    problems += _proxy_problems(settings)
    problems += _mail_problems(settings, production)
    if settings.caldav_username and not settings.caldav_password:
        refuse(_("OKIENKO_CALDAV_USERNAME is set but OKIENKO_CALDAV_PASSWORD is not"))
    if (settings.caldav_username or settings.caldav_password) and not settings.caldav_calendars:
        refuse(_("a CalDAV login is set but OKIENKO_CALDAV_CALENDARS names no calendar"))
    if not (settings.broker_url in ("", "memory", "postgresql")
            or settings.broker_url.startswith(("redis://", "rediss://", "unix://", "postgresql://", "postgres://"))):
        refuse(_("OKIENKO_BROKER_URL: unknown broker {url} (memory, redis://host:6379/0, postgresql)"),
               url=repr(settings.broker_url))
    if settings.broker_url == "postgresql" and settings.is_sqlite:
        refuse(_("OKIENKO_BROKER_URL is postgresql but the database is SQLite: use memory or redis://…"))
    url_problem = database_url_problem(settings.database_url)
    if url_problem:
        problems.append(url_problem)
    if production:   # elsewhere (a demo, a test) the server makes its folders itself
        problems += _path_problems(settings)
    return problems


def database_url_problem(url: str) -> SettingProblem | None:
    """DATABASE_URL that names a supported database but cannot be read (a port that is no number...)."""
    import sqlalchemy as sa

    from okienko.settings import SettingsError, async_url

    try:
        sa.engine.make_url(async_url(url)).port
    except SettingsError:
        return None   # the settings' own rule says so already
    except (ValueError, sa.exc.ArgumentError) as error:
        return SettingProblem(_("DATABASE_URL: cannot read it ({reason})"), {"reason": str(error).split(":")[0]})
    return None


def _proxy_problems(settings: Settings) -> list[SettingProblem]:
    problems: list[SettingProblem] = []
    entries = [entry.strip() for entry in settings.trusted_proxies.split(",") if entry.strip()]
    for entry in entries:
        if entry == "*":
            continue
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            problems.append(SettingProblem(_("OKIENKO_TRUSTED_PROXIES: {entry} is not an address or a network "
                                             "(e.g. 10.0.0.5 or 10.0.0.0/24)"), {"entry": repr(entry)}))
            continue
        if network.prefixlen == 0:
            problems.append(SettingProblem(_("OKIENKO_TRUSTED_PROXIES: {entry} believes every peer: anyone who "
                                             "reaches the server could pretend to be anyone (rate limits)"),
                                           {"entry": entry}))
    if "*" in entries and not is_loopback(settings.host):
        problems.append(SettingProblem(_("OKIENKO_TRUSTED_PROXIES is * while the server listens on {host}: "
                                         "anyone who reaches it could pretend to be anyone; name the proxy's "
                                         "address, or listen on 127.0.0.1 behind it"), {"host": settings.host}))
    return problems


def _mail_problems(settings: Settings, production: bool) -> list[SettingProblem]:
    problems: list[SettingProblem] = []

    def refuse(message: str, **params: Any) -> None:
        problems.append(SettingProblem(message, params))

    if not settings.smtp_host:
        if settings.smtp_user or settings.smtp_password:
            refuse(_("an SMTP login is set but OKIENKO_SMTP_HOST is not: emails would only be written to files"))
        elif production:
            refuse(_("OKIENKO_SMTP_HOST is not set: booking emails would only be written to files in the data "
                     "folder"))
        return problems
    if bool(settings.smtp_user) != bool(settings.smtp_password):
        refuse(_("OKIENKO_SMTP_USER and OKIENKO_SMTP_PASSWORD go together: one is set, the other is not"))
    if settings.smtp_password and settings.smtp_security == "none" and not is_loopback(settings.smtp_host):
        refuse(_("the SMTP password would cross the network unencrypted: set OKIENKO_SMTP_SECURITY to starttls "
                 "or tls"))
    if settings.smtp_security == "tls" and settings.smtp_port in (25, 587):
        refuse(_("OKIENKO_SMTP_SECURITY is tls (implicit TLS, usually port 465) but the port is {port}: "
                 "starttls is meant"), port=settings.smtp_port)
    if settings.mail_from.endswith("@localhost"):
        refuse(_("OKIENKO_MAIL_FROM is {address}: set the office's own sender address"), address=settings.mail_from)
    return problems


def _path_problems(settings: Settings) -> list[SettingProblem]:
    problems: list[SettingProblem] = []
    data_dir = Path(settings.data_dir)
    if not data_dir.is_dir():
        problems.append(SettingProblem(_("OKIENKO_DATA_DIR: the folder {path} does not exist"),
                                       {"path": str(data_dir.absolute())}))
    elif not os.access(data_dir, os.W_OK | os.X_OK):
        problems.append(SettingProblem(_("OKIENKO_DATA_DIR: the folder {path} cannot be written to by this user"),
                                       {"path": str(data_dir.absolute())}))
    if settings.is_sqlite and not database_url_problem(settings.database_url):
        from okienko.storage.migrate import database_label

        folder = Path(database_label(settings.database_url)).parent
        if database_label(settings.database_url) != ":memory:" and not folder.is_dir():
            problems.append(SettingProblem(_("DATABASE_URL: the folder {path} of the SQLite file does not exist"),
                                           {"path": str(folder.absolute())}))
    return problems


async def reachability_problems(settings: Settings) -> list[SettingProblem]:
    """The database and the broker, each asked once with a short timeout."""
    found = await asyncio.gather(_database_problem(settings), _redis_problem(settings.broker_url))
    return [problem for problem in found if problem is not None]


async def _database_problem(settings: Settings) -> SettingProblem | None:
    from okienko.storage.db import unavailable_reason
    from okienko.storage.migrate import database_label, database_revisions

    if settings.is_sqlite or database_url_problem(settings.database_url):
        return None   # a file, whose folder _path_problems looks at; or a URL already refused
    label = database_label(settings.database_url)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS + 1):
            await database_revisions(settings.database_url)
    except Exception as error:  # what it was is said in a few words, never with the password
        reason = unavailable_reason(error) or type(error).__name__
        return SettingProblem(_("DATABASE_URL: cannot reach the database {database} ({reason})"),
                              {"database": label, "reason": reason})
    return None


async def _redis_problem(broker_url: str) -> SettingProblem | None:
    if not broker_url.startswith(("redis://", "rediss://", "unix://")):
        return None
    import redis.asyncio as redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                  socket_timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        await client.ping()
    except Exception as error:
        return SettingProblem(_("OKIENKO_BROKER_URL: cannot reach Redis at {address} ({reason})"),
                              {"address": _without_password(broker_url), "reason": type(error).__name__})
    finally:
        await client.aclose()
    return None


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}"
