"""Who the clerk is: a signed-in console session (cookie + CSRF header) or a staff bearer token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from booking_api.api.common import identify, okienko
from booking_api.auth import StaffIdentity, token_hash
from booking_api.errors import DomainError
from booking_api.roles import ROLES
from booking_api.staff import session_for

SESSION_COOKIE = "okienko_session"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Clerk:
    user_id: int
    username: str
    role: str
    office_id: int | None
    session_key: str      # what holds a window: the session id, or the token's hash
    csrf_token: str | None


async def require_clerk(connection: HTTPConnection, *roles: str, csrf_token: str | None = None) -> Clerk:
    """The signed-in staff member; for cookie sessions, changes need the session's CSRF token
    (the X-CSRF-Token header, or `csrf_token` from a plain form)."""
    roles = roles or ROLES
    app = okienko(connection)
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie and not connection.headers.get("authorization"):
        async with app.db.read() as conn:
            session = await session_for(conn, cookie, app.clock.now())
        if session is None:
            raise DomainError("missing_token")
        method = connection.scope.get("method", "GET")
        if method not in SAFE_METHODS:
            sent = connection.headers.get("x-csrf-token") or csrf_token or ""
            if not hmac.compare_digest(sent, session.csrf_token):
                raise DomainError("csrf_failed")
        clerk = Clerk(session.user_id, session.username, session.role, session.office_id, session.session_id,
                      session.csrf_token)
    else:
        identity = await identify(connection)
        if not isinstance(identity, StaffIdentity):
            raise DomainError("forbidden")
        token = connection.headers.get("authorization", "").partition(" ")[2].strip()
        clerk = Clerk(identity.user_id, identity.username, identity.role, identity.office_id, token_hash(token), None)
    if clerk.role not in roles:
        raise DomainError("forbidden")
    return clerk
