"""The server's log: the method, the route and the outcome of each request, never a secret or a
person's data (docs/security.md).

Secrets travel in addresses: a device's sign-in token (`/kiosk/enroll?token=`), a booking's link
secret (`?secret=`), a draw entry's receipt (`?receipt=`), a staff calendar feed's token
(`/calendar/staff/{feed_token}.ics`), and the ids that are themselves the key
to a ticket, a hold, a booking or an entry (`/t/{ticket_id}`, `/book/manage/{code}`). The access
log, and every other line that names a request target, shows them as `…`; email addresses are
scrubbed from every line and traceback (okienko/logs.py).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
from datetime import datetime, timezone
from typing import Any

from starlette.routing import Route, WebSocketRoute
from uvicorn.config import LOGGING_CONFIG

from okienko_server.app import routes
from okienko.logs import HIDDEN, current_request_id, scrub

# Path parameters that are keys in themselves: whoever holds one may follow or change what it names.
SECRET_PATH_PARAMS = frozenset({"ticket_id", "booking_id", "code", "entry_id", "feed_token"})
# Query parameters whose values say nothing of anyone; every other value is hidden.
PLAIN_QUERY_PARAMS = frozenset({"lang", "service", "office", "from", "to", "day", "flagged", "changed"})


def redact_target(target: str) -> str:
    """A request target (path and query) as the logs show it: secret path parameters and query
    values hidden, e.g. `/kiosk/enroll?token=…`, `/api/v1/bookings/…?secret=…&lang=pl`."""
    path, mark, query = target.partition("?")
    for pattern, names in _secret_routes():
        match = pattern.match(path)
        if match:
            for name in sorted(names, key=lambda name: -match.start(name)):   # from the end: spans stay right
                path = path[:match.start(name)] + HIDDEN + path[match.end(name):]
            break
    if not mark:
        return path
    pairs = []
    for pair in query.split("&"):
        name, equals, _value = pair.partition("=")
        if not pair or name in PLAIN_QUERY_PARAMS:
            pairs.append(pair)
        else:
            pairs.append(f"{name}={HIDDEN}" if equals else HIDDEN)
    return f"{path}?{'&'.join(pairs)}"


@functools.cache
def _secret_routes() -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    """The app's routes whose path holds a secret parameter, from the route table itself, so that a
    new route is covered by naming its parameter well."""
    found = []
    for route in routes("all"):
        if isinstance(route, (Route, WebSocketRoute)):
            names = frozenset(route.param_convertors) & SECRET_PATH_PARAMS
            if names:
                found.append((route.path_regex, names))
    return tuple(found)


class RedactSecrets(logging.Filter):
    """On every handler of the server's log: request targets redacted (`redact_target`), email
    addresses scrubbed from every other line and its traceback."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redact_target(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                                for arg in record.args)
        if record.name == "uvicorn.access":   # its formatter takes the arguments apart
            return True
        record.msg, record.args = scrub(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(self._formatter.formatException(record.exc_info))
        return True


# The fields an access line carries besides the message (okienko_server/request_log.py).
REQUEST_FIELDS = ("method", "route", "status", "duration_ms")


class JsonLines(logging.Formatter):
    """`log_format = "json"`: one JSON object per line, `time` (UTC), `level`, `logger`, `message`,
    `request_id` (the request being answered, or null) and, on access lines, `method`, `route`
    (the template, never the path), `status`, `duration_ms`; a traceback as `exception`. The message
    is the one RedactSecrets left: targets redacted, email addresses scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging set-up with `RedactSecrets` on every handler, and the server's own loggers
    (`okienko.*`, and whatever else reaches the root) written through the same handler at `level`;
    in the `json` format every handler writes `JsonLines` (and the access lines are the server's own,
    `okienko.access`: uvicorn's are switched off, see `server_options`).
    Given to uvicorn as `log_config`, so that every worker process sets it up the same way."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_secrets": {"()": f"{__name__}.RedactSecrets"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_secrets"]
    if log_format == "json":
        config["formatters"] = {name: {"()": f"{__name__}.JsonLines"} for name in config["formatters"]}
    config["loggers"]["okienko"] = {"level": level.upper()}
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
