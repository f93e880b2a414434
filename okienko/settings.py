"""One settings object, read once: environment over a config file over defaults.

Every key has a default and a description; `docs/configuration.md` lists them all and a
test checks that the list and this module agree.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import re
from datetime import date, datetime
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from okienko.config_keys import Table, unknown_keys
from okienko.i18n import LANGUAGES, _

log = logging.getLogger("okienko.settings")


@dataclass(frozen=True)
class SettingProblem:
    """One setting that cannot be used: an English msgid naming the key, with its parameters
    (translated where it is shown: the command line in the terminal's language)."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)
    where: str = ""     # what it is found in, when not a setting (an office file's path), as it is

    def __str__(self) -> str:
        text = self.message.format(**self.params)
        return f"{self.where}: {text}" if self.where else text


class SettingsError(ValueError):
    """Settings that cannot be used; `problems` names every key at fault, not only the first."""

    def __init__(self, message: str | list[SettingProblem], **params: Any) -> None:
        self.problems = list(message) if isinstance(message, list) else [SettingProblem(message, params)]
        super().__init__("\n".join(str(problem) for problem in self.problems))


def _doc(text: str, env: str) -> dict[str, str]:
    return {"doc": text, "env": env}


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default="sqlite:///var/okienko.db",
        metadata=_doc("Database: `sqlite:///path/to.db` (default, a file under ./var) or "
                      "`postgresql://user@host:5432/db`; the async driver is chosen for you.", "DATABASE_URL"),
    )
    secret_key: str = field(
        default="",
        metadata=_doc("Key for signed cookies and keyed hashes. When empty a random key is made once "
                      "and kept in `<data_dir>/secret.key`.", "OKIENKO_SECRET_KEY"),
    )
    data_dir: str = field(
        default="var", metadata=_doc("Folder for the SQLite file, the secret key and local files.", "OKIENKO_DATA_DIR"))
    default_language: str = field(
        default="pl", metadata=_doc("Language used when a request names none (pl, en, uk, ru, be, vi, hi, ka, tr).",
                                    "OKIENKO_DEFAULT_LANGUAGE"))
    office: str = field(
        default="", metadata=_doc("Code of the office this server serves by default; empty: the only "
                                  "(or first) office in the database. A visitor who reaches a host an office "
                                  "names (its `public_url`, its `hosts`) gets that office, others `?office=` or "
                                  "this one (docs/office-config.md, \"Several offices\").", "OKIENKO_OFFICE"))
    public_url: str = field(
        default="", metadata=_doc("The address visitors reach the server at (e.g. `https://kolejka.example.gov.pl`): "
                                  "every link given out starts with it (QR codes, printed tickets, emails, SMS). "
                                  "Empty: the address the server listens on, `http://HOST:PORT`; a server that "
                                  "listens beyond loopback refuses to start without it while any service takes "
                                  "bookings (see \"The public address\").", "OKIENKO_PUBLIC_URL"))
    clock_start: str = field(
        default="", metadata=_doc("For demos, rehearsals and browser tests only: the server's clock starts at this "
                                  "moment (ISO 8601 with its offset, e.g. `2027-01-16T09:00:00+01:00`) and runs on, "
                                  "so that a demo can stand on an information Saturday. Empty (always in "
                                  "production): the real time.", "OKIENKO_CLOCK_START"))
    host: str = field(default="127.0.0.1", metadata=_doc("Address `okienko serve` listens on (`--host`).",
                                                         "OKIENKO_HOST"))
    port: int = field(default=8000, metadata=_doc("Port `okienko serve` listens on (`--port`).", "OKIENKO_PORT"))
    trusted_proxies: str = field(
        default="127.0.0.1,::1",
        metadata=_doc("Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed: addresses or "
                      "networks, comma-separated (`*`: any peer; only when nothing but the proxy can reach the "
                      "server). A request from any other peer counts at its own address (rate limits) and its "
                      "forwarded headers are ignored. `okienko serve` passes it to the server.",
                      "OKIENKO_TRUSTED_PROXIES"))
    print_timeout_seconds: float = field(
        default=4.0, metadata=_doc("How long a ticket request waits for its printer before answering "
                                   "`printed: false` (the ticket stays valid).", "OKIENKO_PRINT_TIMEOUT_SECONDS"))
    kiosk_idle_seconds: int = field(
        default=15, metadata=_doc("Seconds the kiosk shows a ticket before returning to its start screen.",
                                  "OKIENKO_KIOSK_IDLE_SECONDS"))
    estimate_sample_size: int = field(
        default=20, metadata=_doc("How many recent service times the wait estimate is built from.",
                                  "OKIENKO_ESTIMATE_SAMPLE_SIZE"))
    broker_url: str = field(
        default="memory", metadata=_doc("How live events and slot hints reach every server process: `memory` "
                                        "(one process; `okienko serve --workers N` uses `postgresql` instead), "
                                        "`redis://host:6379/0`, or `postgresql` (NOTIFY on the application "
                                        "database).", "OKIENKO_BROKER_URL"))
    broker_namespace: str = field(
        default="", metadata=_doc("With Redis: a name put before every channel, the same for every process of "
                                  "one installation; installations sharing one Redis server each need their "
                                  "own (pub/sub ignores the database number). Empty: none.",
                                  "OKIENKO_BROKER_NAMESPACE"))
    smtp_host: str = field(
        default="", metadata=_doc("SMTP server for booking emails; empty: emails are written as .eml files to "
                                  "`<data_dir>/mail` (the demo).", "OKIENKO_SMTP_HOST"))
    smtp_port: int = field(default=25, metadata=_doc("SMTP port.", "OKIENKO_SMTP_PORT"))
    smtp_security: str = field(
        default="none", metadata=_doc("`none`, `starttls` or `tls` (implicit TLS, usually port 465).",
                                      "OKIENKO_SMTP_SECURITY"))
    smtp_user: str = field(default="", metadata=_doc("SMTP user name; empty: no login.", "OKIENKO_SMTP_USER"))
    smtp_password: str = field(default="", metadata=_doc("SMTP password.", "OKIENKO_SMTP_PASSWORD"))
    mail_from: str = field(
        default="okienko@localhost", metadata=_doc("Sender address of booking emails.", "OKIENKO_MAIL_FROM"))
    mail_from_name: str = field(
        default="Okienko", metadata=_doc("Sender name of booking emails.", "OKIENKO_MAIL_FROM_NAME"))
    sms_gateway_url: str = field(
        default="", metadata=_doc("The SMS gateway's address; each SMS is a POST to it (body: "
                                  "`sms_gateway_body`); empty: no SMS.", "OKIENKO_SMS_GATEWAY_URL"))
    sms_gateway_token: str = field(
        default="", metadata=_doc("Bearer token for the SMS gateway (`Authorization: Bearer …`), when "
                                  "`sms_gateway_auth_header` is empty.", "OKIENKO_SMS_GATEWAY_TOKEN"))
    sms_gateway_auth_header: str = field(
        default="", metadata=_doc("A header sent with every SMS request, as `Name: value` (e.g. `X-Api-Key: "
                                  "abc123` or `Authorization: Basic …`), for gateways that do not take a "
                                  "bearer token; empty: `sms_gateway_token`'s.", "OKIENKO_SMS_GATEWAY_AUTH_HEADER"))
    sms_gateway_body: str = field(
        default='{"to": {to}, "text": {text}}',
        metadata=_doc("The request body, with `{to}` (the phone number), `{text}` and `{id}` (the message's own "
                      "id, for delivery reports) put in, each encoded for `sms_gateway_content_type`: a quoted "
                      "JSON string for JSON (write `{\"to\": {to}}`, no quotes around it), URL-encoded for a "
                      "form (`to={to}&message={text}&idx={id}`), as it is otherwise.",
                      "OKIENKO_SMS_GATEWAY_BODY"))
    sms_gateway_content_type: str = field(
        default="application/json", metadata=_doc("The request body's Content-Type, e.g. `application/json` or "
                                                  "`application/x-www-form-urlencoded`.",
                                                  "OKIENKO_SMS_GATEWAY_CONTENT_TYPE"))
    sms_delivery_secret: str = field(
        default="", metadata=_doc("The shared secret the gateway's delivery reports carry (`POST "
                                  "/api/v1/sms/delivery-report`, header `X-Okienko-Secret` or `?secret=`); "
                                  "empty: delivery reports are not taken.", "OKIENKO_SMS_DELIVERY_SECRET"))
    max_body_bytes: int = field(
        default=65536, metadata=_doc("The largest request body read (bytes), JSON or a console form; a larger "
                                     "one answers 413 `body_too_large` before it is read whole. Also the largest "
                                     "WebSocket message (a larger one closes the connection, code 1009).", "OKIENKO_MAX_BODY_BYTES"))
    check_in_wrong_codes_per_minute: int = field(
        default=10, metadata=_doc("Booking codes a kiosk may get \"no booking with this code\" for in one minute; past "
                                  "it the kiosk answers 429 `too_many_wrong_codes` until the minute is over, so codes "
                                  "cannot be guessed at machine speed. Codes that name a booking do not count. "
                                  "0: no limit.", "OKIENKO_CHECK_IN_WRONG_CODES_PER_MINUTE"))
    call_centre_bookings_per_operator_per_day: int = field(
        default=150, metadata=_doc("Bookings and draw entries one call-centre operator may make in a day (the office's time of "
                                   "day does not matter: a UTC day); past it 429 `operator_limit`. Operators are "
                                   "not counted against the per-address and per-contact limits of online "
                                   "booking. 0: no limit.", "OKIENKO_CALL_CENTRE_BOOKINGS_PER_OPERATOR_PER_DAY"))
    call_centre_lookups_per_operator_per_hour: int = field(
        default=60, metadata=_doc("Identity lookups (and moves and cancellations, which check the identity "
                                  "again) one call-centre operator may make in an hour; past it 429 "
                                  "`operator_limit`, so nobody can guess their way through people's bookings. "
                                  "0: no limit.", "OKIENKO_CALL_CENTRE_LOOKUPS_PER_OPERATOR_PER_HOUR"))
    outbox_poll_seconds: float = field(
        default=5.0, metadata=_doc("How often each server process looks for notifications to send (it also "
                                   "sends at once after a booking change).", "OKIENKO_OUTBOX_POLL_SECONDS"))
    slots_cache_seconds: float = field(
        default=1.0, metadata=_doc("How long a slot listing is served from memory before it is counted again "
                                   "(bookings always check the real count).", "OKIENKO_SLOTS_CACHE_SECONDS"))
    closure_poll_seconds: float = field(
        default=900.0, metadata=_doc("How often the closure calendars an office takes closures from (back office, "
                                     "\"Closures from a calendar\") are fetched; an unchanged calendar (ETag, "
                                     "Last-Modified) costs one short request. 0: never polled (the back office's "
                                     "\"Fetch now\" still works).", "OKIENKO_CLOSURE_POLL_SECONDS"))
    closure_fetch_timeout_seconds: float = field(
        default=20.0, metadata=_doc("How long a closure calendar's server may take to answer before the fetch "
                                    "counts as failed (nothing changes; the back office shows the error).",
                                    "OKIENKO_CLOSURE_FETCH_TIMEOUT_SECONDS"))
    closure_horizon_days: int = field(
        default=400, metadata=_doc("How far ahead (days from today) a closure calendar's dates are taken, "
                                   "recurring events expanded; an imported .ics file is read twice as far.",
                                   "OKIENKO_CLOSURE_HORIZON_DAYS"))
    archive_after_days: int = field(
        default=400, metadata=_doc("How many days a day's tickets and their events stay in the hot tables; "
                                   "`okienko archive` (run it nightly) moves older ones into the archive tables, "
                                   "never deleting them; statistics read both.", "OKIENKO_ARCHIVE_AFTER_DAYS"))
    serve_part: str = field(
        default="all", metadata=_doc("What this server process answers: `all`; `hall` (kiosks, clerks, boards, "
                                     "printers, check-in); or `public` (the booking site and API, the visitor's "
                                     "phone). Run one of each behind a proxy so that a booking rush cannot "
                                     "slow the hall down.", "OKIENKO_SERVE_PART"))
    accessibility_contact_name: str = field(
        default="", metadata=_doc("The accessibility statement (`/accessibility`): the contact person for accessibility "
                                  "(name, or a post such as the office's accessibility coordinator); empty: not "
                                  "named.", "OKIENKO_ACCESSIBILITY_CONTACT_NAME"))
    accessibility_contact_email: str = field(
        default="", metadata=_doc("The accessibility statement: the contact person's email; empty: `mail_from`.",
                                  "OKIENKO_ACCESSIBILITY_CONTACT_EMAIL"))
    accessibility_contact_phone: str = field(
        default="", metadata=_doc("The accessibility statement: the contact person's phone; empty: not given.",
                                  "OKIENKO_ACCESSIBILITY_CONTACT_PHONE"))
    accessibility_published: str = field(
        default="2026-12-03", metadata=_doc("The accessibility statement: the date the site was published "
                                            "(YYYY-MM-DD).", "OKIENKO_ACCESSIBILITY_PUBLISHED"))
    accessibility_updated: str = field(
        default="2026-12-03", metadata=_doc("The accessibility statement: the date of the site's last major update "
                                            "(YYYY-MM-DD).", "OKIENKO_ACCESSIBILITY_UPDATED"))
    accessibility_checked: str = field(
        default="2026-12-03", metadata=_doc("The accessibility statement: the date it was prepared and the site last "
                                            "checked (self-assessment, YYYY-MM-DD). The default is the date of "
                                            "Okienko's own check (axe-core, WCAG 2.1 AA); set your own after your "
                                            "review.", "OKIENKO_ACCESSIBILITY_CHECKED"))
    accessibility_building: str = field(
        default="", metadata=_doc("The accessibility statement: the office building's architectural accessibility "
                                  "(entrances, lifts, toilets, parking, induction loop, assistance dogs), as the "
                                  "office writes it in Polish (shown as written, in every language); empty: a note to ask the "
                                  "contact person.", "OKIENKO_ACCESSIBILITY_BUILDING"))
    caldav_calendars: str = field(
        default="", metadata=_doc("CalDAV calendars that booked visits are written to (docs/calendar.md): "
                                  "`service:CODE=URL` (the service's visits) or `window:NUMBER=URL` (the visits of "
                                  "every service the window serves), separated by spaces or new lines; a key may "
                                  "name its office first, `OFFICE/service:CODE=URL`. URL: the collection, e.g. "
                                  "`https://dav.example.gov.pl/okienko/paszporty/`. Empty: no CalDAV.",
                                  "OKIENKO_CALDAV_CALENDARS"))
    caldav_username: str = field(
        default="", metadata=_doc("User name for the CalDAV server (HTTP Basic); empty: no login.",
                                  "OKIENKO_CALDAV_USERNAME"))
    caldav_password: str = field(
        default="", metadata=_doc("Password for the CalDAV server; never logged (set it in the environment).",
                                  "OKIENKO_CALDAV_PASSWORD"))
    caldav_names: str = field(
        default="codes", metadata=_doc("What a visit in the CalDAV calendars is called: `codes` (the booking code "
                                       "and the service: no personal data) or `names` (the visitor's name too, for "
                                       "calendars only the office's staff can read).", "OKIENKO_CALDAV_NAMES"))
    caldav_poll_seconds: float = field(
        default=10.0, metadata=_doc("How often each server process looks for booking changes to write to the "
                                    "CalDAV calendars (a change is retried with growing pauses, at most "
                                    "5 minutes apart, until the server takes it).", "OKIENKO_CALDAV_POLL_SECONDS"))
    caldav_timeout_seconds: float = field(
        default=10.0, metadata=_doc("How long one request to the CalDAV server may take.",
                                    "OKIENKO_CALDAV_TIMEOUT_SECONDS"))
    log_level: str = field(default="info", metadata=_doc("Server log level.", "OKIENKO_LOG_LEVEL"))
    log_format: str = field(
        default="text", metadata=_doc("How the server's log lines are written: `text` (uvicorn's lines, as a person "
                                      "reads them) or `json` (one JSON object per line: time, level, logger, "
                                      "message, request_id, and for each request method, route, status, "
                                      "duration_ms; docs/monitoring.md).", "OKIENKO_LOG_FORMAT"))
    metrics_token: str = field(
        default="", metadata=_doc("Bearer token Prometheus sends to read `/metrics` (`Authorization: Bearer ...`); "
                                  "never logged (set it in the environment). With neither this nor "
                                  "`metrics_allow` set, `/metrics` is refused to everyone (docs/monitoring.md).",
                                  "OKIENKO_METRICS_TOKEN"))
    metrics_allow: str = field(
        default="", metadata=_doc("Addresses or networks that may read `/metrics`, comma-separated (e.g. "
                                  "`10.0.5.7,192.168.10.0/24`): the client's address as a trusted proxy forwards "
                                  "it (`trusted_proxies`). When both this and `metrics_token` are set, a scrape "
                                  "needs both.", "OKIENKO_METRICS_ALLOW"))
    ready_outbox_stuck_seconds: float = field(
        default=300.0, metadata=_doc("`/readyz` answers 503 (`outbox: stuck`) once a notification has been due "
                                     "for longer than this without being sent or retried later (no sender "
                                     "is working through the outbox).", "OKIENKO_READY_OUTBOX_STUCK_SECONDS"))

    @property
    def async_database_url(self) -> str:
        """The URL with the async driver the app uses (aiosqlite or asyncpg)."""
        return async_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def async_url(url: str) -> str:
    """Map the usual URL forms onto SQLAlchemy's async drivers."""
    if url.startswith("sqlite:///") or url == "sqlite://":
        return "sqlite+aiosqlite://" + url[len("sqlite:"):].removeprefix("//")
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return url
    raise SettingsError(_("DATABASE_URL: unsupported database {kind}; use sqlite:///path.db or "
                          "postgresql://user@host:5432/db"), kind=repr(url.split(':', 1)[0]))


def setting_fields() -> list[dataclasses.Field]:
    return list(dataclasses.fields(Settings))


def _coerce(name: str, kind: Any, value: Any, from_file: bool = False) -> Any:
    """`value` as the setting's type. An environment variable is text and is read as a number where
    one is wanted; a file's value must already be of the right TOML type (`port = "80"` or
    `secret_key = 123` is a mistake, not something to guess at)."""
    number = kind in (int, "int", float, "float")
    if from_file and (isinstance(value, bool) or (number and not isinstance(value, (int, float)))
                      or (kind in (int, "int") and isinstance(value, float))):
        raise SettingsError(_("{name}: expected a number, got {value}"), name=name, value=repr(value))
    if from_file and not number and not isinstance(value, str):
        raise SettingsError(_("{name}: expected text in quotes, got {value}"), name=name, value=repr(value))
    try:
        if kind in (int, "int"):
            return int(value)
        if kind in (float, "float"):
            return float(value)
    except (TypeError, ValueError):
        raise SettingsError(_("{name}: expected a number, got {value}"), name=name, value=repr(value)) from None
    return str(value)


# Settings that are no longer read: (environment variable, key in the file) -> why. Setting one does
# nothing, so it is not refused (an upgrade must not stop a server over it), but the start says so.
RETIRED = {
    ("OKIENKO_TIMEZONE", "timezone"): "the time zone is the office's: `timezone` in the office file's [office] "
                                      "(docs/office-config.md)",
}


def settings_file_keys() -> Table:
    """What the settings file may hold: the [okienko] table with the settings' keys (and the retired ones)."""
    return Table(tables={"okienko": Table((*(f.name for f in setting_fields()), *(key for _, key in RETIRED)))})


def load_settings(environ: Mapping[str, str] | None = None, config_file: str | Path | None = None) -> Settings:
    """Read settings once: environment variables win over the config file, which wins over defaults.
    An unknown key in the file is refused, named with its path; a retired setting is logged as unused.
    SettingsError names every problem found (`read_settings`)."""
    settings, problems = read_settings(environ, config_file)
    if problems or settings is None:
        raise SettingsError(problems)
    return settings


def read_settings(environ: Mapping[str, str] | None = None,
                  config_file: str | Path | None = None) -> tuple[Settings | None, list[SettingProblem]]:
    """The settings and every problem with them (`okienko check-config` lists them all); the
    settings are None when the file cannot be read, and hold defaults where a value was refused."""
    environ = os.environ if environ is None else environ
    path = config_file or environ.get("OKIENKO_CONFIG")
    from_file: dict[str, Any] = {}
    problems: list[SettingProblem] = []
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            return None, [SettingProblem(_("OKIENKO_CONFIG: cannot read {path}: {reason}"),
                                         {"path": str(path), "reason": str(error)})]
        # The key's path and the known key it resembles (config_keys.py) read alike in every language.
        problems += [SettingProblem("OKIENKO_CONFIG {path}: {problem}", {"path": str(path), "problem": problem})
                     for problem in unknown_keys(raw, settings_file_keys())]
        from_file = raw.get("okienko", {}) if isinstance(raw.get("okienko"), dict) else {}
    for (env_name, key), why in RETIRED.items():
        if env_name in environ or key in from_file:
            log.warning("%s is no longer used and is ignored: %s", env_name if env_name in environ
                        else f"{key} in {path}", why)
    values: dict[str, Any] = {}
    known = {f.name: f for f in setting_fields()}
    for name, fld in known.items():
        env_name = fld.metadata["env"]
        try:
            if env_name in environ:
                values[name] = _coerce(env_name, fld.type, environ[env_name])
            elif name in from_file:
                values[name] = _coerce(name, fld.type, from_file[name], from_file=True)
        except SettingsError as error:
            problems += error.problems
    settings = Settings(**values)
    return settings, problems + value_problems(settings)


def value_problems(settings: Settings) -> list[SettingProblem]:
    """Every setting whose value cannot be used, whatever the deployment (`okienko check-config` adds
    what a production server needs on top: okienko/deployment_check.py)."""
    problems: list[SettingProblem] = []

    def refuse(message: str, **params: Any) -> None:
        problems.append(SettingProblem(message, params))

    try:
        async_url(settings.database_url)  # fail early on an unusable URL
    except SettingsError as error:
        problems += error.problems
    if settings.default_language not in LANGUAGES:
        refuse(_("OKIENKO_DEFAULT_LANGUAGE: one of {choices}"), choices=", ".join(LANGUAGES))
    if settings.serve_part not in ("all", "hall", "public"):
        refuse(_("OKIENKO_SERVE_PART: one of {choices}"), choices="all, hall, public")
    if settings.smtp_security not in ("none", "starttls", "tls"):
        refuse(_("OKIENKO_SMTP_SECURITY: one of {choices}"), choices="none, starttls, tls")
    if settings.sms_gateway_auth_header and ":" not in settings.sms_gateway_auth_header:
        refuse(_("OKIENKO_SMS_GATEWAY_AUTH_HEADER: a header as `Name: value`"))
    if settings.clock_start:
        try:
            aware = datetime.fromisoformat(settings.clock_start).tzinfo is not None
        except ValueError:
            aware = False
        if not aware:
            refuse(_("OKIENKO_CLOCK_START: a moment with its offset, e.g. 2027-01-16T09:00:00+01:00"))
    for key in ("accessibility_published", "accessibility_updated", "accessibility_checked"):
        try:
            date.fromisoformat(getattr(settings, key))
        except ValueError:
            refuse(_("{name}: a date as YYYY-MM-DD"), name=f"OKIENKO_{key.upper()}")
    if settings.public_url and not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", settings.public_url):
        refuse(_("OKIENKO_PUBLIC_URL: an address such as https://kolejka.example.gov.pl"))
    if settings.log_format not in ("text", "json"):
        refuse(_("OKIENKO_LOG_FORMAT: one of {choices}"), choices="text, json")
    try:
        metrics_networks(settings.metrics_allow)   # fail early on an address that cannot be read
    except SettingsError as error:
        problems += error.problems
    if settings.caldav_names not in ("codes", "names"):
        refuse(_("OKIENKO_CALDAV_NAMES: one of {choices}"), choices="codes, names")
    try:
        caldav_calendars(settings.caldav_calendars)   # fail early on a calendar that cannot be read
    except SettingsError as error:
        problems += error.problems
    return problems


@dataclass(frozen=True)
class CalDAVCalendar:
    """One configured CalDAV calendar: whose visits (a service's or a window's, in `office` or in
    every office when None) and the collection's address."""

    office: str | None
    scope: str      # service | window
    target: str     # the service's code or the window's number
    url: str


def caldav_calendars(text: str) -> tuple[CalDAVCalendar, ...]:
    """`caldav_calendars` read: `[OFFICE/]service:CODE=URL` or `[OFFICE/]window:NUMBER=URL` entries."""
    found = []
    for entry in text.split():
        entry = entry.strip(",;")
        key, equals, url = entry.partition("=")
        office, slash, rest = key.rpartition("/")
        scope, colon, target = rest.partition(":")
        if not (equals and colon and target and scope in ("service", "window")
                and re.fullmatch(r"https?://[^\s?#]+", url)):
            raise SettingsError(_("OKIENKO_CALDAV_CALENDARS: cannot read {entry}: write "
                                  "service:CODE=URL or window:NUMBER=URL"), entry=repr(key or entry))
        found.append(CalDAVCalendar(office or None, scope, target, url if url.endswith("/") else url + "/"))
    return tuple(found)


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key: the configured one, or one kept in the data folder."""
    if settings.secret_key:
        return settings
    key_file = Path(settings.data_dir) / "secret.key"
    if key_file.exists():
        key = key_file.read_text().strip()
    else:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        key_file.write_text(key + "\n")
        key_file.chmod(0o600)
    return dataclasses.replace(settings, secret_key=key)


def metrics_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """`metrics_allow` read: each address or network, comma-separated; an unreadable one is refused."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise SettingsError(_("OKIENKO_METRICS_ALLOW: {part} is no address or network"),
                                    part=repr(part)) from None
    return tuple(networks)
