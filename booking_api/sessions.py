"""Who the clerk is: a signed-in console session (cookie + CSRF header) or a staff bearer token; and
whose board a connection may watch."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from booking_api.http import identify, office_asked, office_of_staff, okienko
from okienko.office.directory import OfficeSetup
from okienko.staff.auth import DeviceIdentity, StaffIdentity, token_hash
from okienko.errors import DomainError
from okienko.hall.front_door import Seat
from okienko.staff.roles import ROLES
from okienko.staff.accounts import session_for

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
    must_change_password: bool = False


async def require_clerk(connection: HTTPConnection, *roles: str, csrf_token: str | None = None,
                        password_pending: bool = False) -> Clerk:
    """The signed-in staff member; for cookie sessions, changes need the session's CSRF token
    (the X-CSRF-Token header, or `csrf_token` from a plain form). A session whose user still has
    a temporary password is refused (`password_change_required`), by session or by API token, except
    where `password_pending` says the request is how they choose a new one (or sign out)."""
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
        if session.must_change_password and not password_pending:
            raise DomainError("password_change_required")
        clerk = Clerk(session.user_id, session.username, session.role, session.office_id, session.session_id,
                      session.csrf_token, session.must_change_password)
    else:
        identity = await identify(connection)
        if not isinstance(identity, StaffIdentity):
            raise DomainError("forbidden")
        if identity.must_change_password and not password_pending:   # the same rule as for a session
            raise DomainError("password_change_required")
        token = connection.headers.get("authorization", "").partition(" ")[2].strip()
        clerk = Clerk(identity.user_id, identity.username, identity.role, identity.office_id, token_hash(token), None,
                      identity.must_change_password)
    if clerk.role not in roles:
        raise DomainError("forbidden")
    return clerk


async def board_office(connection: HTTPConnection) -> OfficeSetup:
    """A board device, or signed-in staff, may watch its office's board; a kiosk may not (its token
    sits on a public touch screen: it issues tickets and nothing more)."""
    app = okienko(connection)
    if connection.cookies.get(SESSION_COOKIE) and not connection.headers.get("authorization"):
        clerk = await require_clerk(connection)
        return await office_of_staff(connection, clerk.office_id)
    identity = await identify(connection)
    if isinstance(identity, DeviceIdentity) and identity.kind == "board":
        return await app.offices.by_id(identity.office_id)
    if isinstance(identity, StaffIdentity):
        return await office_of_staff(connection, identity.office_id)
    raise DomainError("forbidden")


MANAGING_ROLES = ("manager", "admin")


async def require_manager(connection: HTTPConnection, *roles: str) -> tuple[Clerk, OfficeSetup]:
    """A manager (or admin) and the office they act on: a manager's own office only (`?office=`
    naming another is `forbidden`); an admin without an office, the one `?office=` names or the
    default office. `roles` narrows who may (e.g. "admin" alone for what only admins do)."""
    clerk = await require_clerk(connection, *(roles or MANAGING_ROLES))
    app = okienko(connection)
    wanted = connection.query_params.get("office") or None
    if clerk.office_id is not None:   # the host does not matter: their office is theirs wherever they sign in
        setup = await app.offices.by_id(clerk.office_id)
        if wanted and wanted != setup.code:
            raise DomainError("forbidden")
        return clerk, setup
    return clerk, await app.offices.get(wanted or await office_asked(connection))


def seat_of(clerk: Clerk) -> Seat:
    """A clerk acts on tickets at their own window; managers may act anywhere."""
    return Seat(clerk.session_key, anywhere=clerk.role in ("manager", "admin"))
