"""How an error is logged: by its kind and message, never with a person's data in it.

A database or a mail server may quote in its message what it refused (`invalid input for query
argument $3: 'Olena'`, `550 <olena@example.com>: no such user`); `loggable` cuts quoted values and
email addresses out. SQLAlchemy never logs a statement's parameters (`hide_parameters`,
okienko/storage/db.py), and the server's log hides secrets in addresses (okienko_server/server_log.py).
"""

from __future__ import annotations

import re
from contextvars import ContextVar

HIDDEN = "…"
MAX_LENGTH = 2000   # room for a statement's SQL, which says what failed
_EMAIL = re.compile(r"[^\s<>()\[\]{}'\",;:@]+@[^\s<>()\[\]{}'\",;:@]+")
_QUOTED = re.compile(r"""b?'[^']*'|b?"[^"]*\"""")
# The request being answered, for every log line written while it is (okienko_server/request_log.py).
current_request_id: ContextVar[str | None] = ContextVar("okienko_request_id", default=None)


def loggable(error: BaseException) -> str:
    """An error as a log line may show it: its kind and message, quoted values and email
    addresses cut out (`database is locked` stays; `invalid input for query argument $3: 'Olena'`
    does not)."""
    return f"{type(error).__name__}: {scrub(_QUOTED.sub(HIDDEN, str(error)))}"[:MAX_LENGTH]


def scrub(text: str) -> str:
    """`text` with anything shaped like an email address hidden."""
    return _EMAIL.sub(HIDDEN, text)
