"""What every handler shares: the app's parts, the caller's language and identity, JSON errors."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from booking_api.bodies import check_body
from booking_api.presenters import ticket_json
from okienko.staff.auth import DeviceIdentity, Identity, StaffIdentity
from okienko.container import Okienko
from okienko.errors import DomainError, Refusal
from okienko.i18n import LANGUAGES, _, current_language, negotiate
from okienko.links import PublicLinks
from okienko.office.addresses import request_host
from okienko.office.directory import OfficeSetup
from okienko.office.hours import wall_instant
from okienko.people import FIELD_MESSAGES

KIOSK_COOKIE = "okienko_device"


def okienko(connection: HTTPConnection) -> Okienko:
    return connection.app.state.okienko


def language_of(connection: HTTPConnection, explicit: str | None = None) -> str:
    """The caller's language: explicit choice, `?lang=`, Accept-Language, else the default."""
    app = okienko(connection)
    if explicit is not None and not isinstance(explicit, str):   # e.g. {"language": {...}} in a body
        raise DomainError("unknown_language")
    choice = explicit or connection.query_params.get("lang")
    language = negotiate(choice, connection.headers.get("accept-language"), app.settings.default_language)
    current_language.set(language)
    return language


def body_language(connection: HTTPConnection, body: dict[str, Any] | None) -> str:
    """The language a body asks for (`"language"`), else the request's; `unknown_language` for one we
    do not ship. Kept for the rest of the request, so that an error answers in it too."""
    choice = (body or {}).get("language")
    if choice is not None and (not isinstance(choice, str) or choice not in LANGUAGES):
        raise DomainError("unknown_language")
    language = language_of(connection, choice)
    connection.state.language = language
    return language


def error_body(connection: HTTPConnection, error: Refusal, language: str | None = None) -> dict[str, Any]:
    """`{"error", "message"}`, plus `fields` (a message per bad form field) where the error has them."""
    language = language or language_of(connection)
    translator = okienko(connection).translator
    body: dict[str, Any] = {"error": error.code, "message": translator.format(language, error.message_id,
                                                                             **error.params)}
    if isinstance(error.params.get("field"), str):   # office data: the path of the value at fault
        body["field"] = error.params["field"]
    if "waiting" in error.params:   # service_has_waiting: how many wait
        body["waiting"] = error.params["waiting"]
    if "bookings" in error.params:   # bookings_cut_off: how many, and the first ones by code and time
        body["count"], body["bookings"] = error.params["count"], error.params["bookings"]
    fields = error.params.get("fields")
    if isinstance(fields, dict):
        body["fields"] = {name: translator.format(language, FIELD_MESSAGES[problem]) for name, problem in fields.items()}
    return body


def error_response(connection: HTTPConnection, error: Refusal, language: str | None = None) -> JSONResponse:
    headers = None
    if error.code == "busy":
        headers = {"Retry-After": "1"}
    elif "retry_after" in error.params:
        headers = {"Retry-After": str(error.params["retry_after"])}
    return JSONResponse(error_body(connection, error, language), status_code=error.http_status, headers=headers)


async def domain_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    return error_response(request, error, getattr(request.state, "language", None))


async def http_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "malformed_request")
    params = {"detail": str(error.detail)} if code == "malformed_request" else {}
    domain = DomainError(code, **params)
    body = error_body(request, domain)
    # Keep what the error says about itself, e.g. a 405's `Allow`.
    return JSONResponse(body, status_code=error.status_code if error.status_code < 500 else 400,
                        headers=dict(error.headers or {}))


async def read_body(request: Request) -> bytes:
    """The request body, JSON or a form alike; `body_too_large` past `max_body_bytes`, found before
    the body is read whole (from Content-Length, or while it streams in)."""
    limit = okienko(request).settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise DomainError("body_too_large", kb=limit // 1024)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise DomainError("body_too_large", kb=limit // 1024)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, schema: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object that holds to `schema` (one of booking_api/bodies.py:
    `unknown_field`, `wrong_type`); `malformed_request` otherwise (not JSON, NaN or Infinity,
    nesting or numbers too deep or long to read), `body_too_large` as `read_body`. An `optional`
    body may be left out (no body: `{}`)."""
    raw = await read_body(request)
    if optional and not raw.strip():
        return {}
    try:
        body = json.loads(raw or b"null", parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):   # ValueError: bad JSON, a 4,300-digit number
        raise DomainError("malformed_request", detail=_("the body is not valid JSON")) from None
    if not isinstance(body, dict):
        raise DomainError("malformed_request", detail=_("the body must be a JSON object"))
    check_body(body, schema)
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return connection.cookies.get(KIOSK_COOKIE) or None


async def identify(connection: HTTPConnection) -> Identity:
    token = bearer_token(connection)
    if not token:
        raise DomainError("missing_token")
    return await okienko(connection).auth.identify(token)


async def require_kiosk(connection: HTTPConnection) -> DeviceIdentity:
    identity = await identify(connection)
    if not isinstance(identity, DeviceIdentity) or identity.kind != "kiosk":
        raise DomainError("forbidden")
    return identity


async def require_staff(connection: HTTPConnection, *roles: str) -> StaffIdentity:
    identity = await identify(connection)
    if not isinstance(identity, StaffIdentity) or (roles and identity.role not in roles):
        raise DomainError("forbidden")
    if identity.must_change_password:   # as require_clerk (sessions.py) refuses it
        raise DomainError("password_change_required")
    return identity


def client_address(connection: HTTPConnection) -> str:
    """Who is asking, for rate limits and sign-in lock-outs: the peer's address, or the one a trusted
    proxy forwards (uvicorn's proxy headers, `OKIENKO_TRUSTED_PROXIES`; docs/configuration.md)."""
    return connection.client.host if connection.client else "unknown"


def public_links(connection: HTTPConnection, setup: OfficeSetup | None = None) -> PublicLinks:
    """The links an answer to this request gives out (okienko/links.py: one rule for all); an
    office's own public address where it has one."""
    links = okienko(connection).links.for_request(str(connection.base_url))
    return links.for_office(setup) if setup is not None else links


async def office_asked(connection: HTTPConnection) -> str | None:
    """The code of the office a public request is for (okienko/office/addresses.py): the office
    whose address the visitor reached, else `?office=`, else None (the default office). Read once
    per request."""
    known = getattr(connection.state, "office_asked", False)
    if known is not False:
        return known
    app = okienko(connection)
    host = request_host(connection.scope.get("client"), connection.headers,
                        app.settings.trusted_proxies.split(","))
    code = (await app.offices.code_for_host(host) if host else None) or connection.query_params.get("office") or None
    connection.state.office_asked = code
    return code


async def office_of_staff(connection: HTTPConnection, office_id: int | None) -> OfficeSetup:
    """The office a staff member or device acts on: their own; for staff of no office (administrators)
    the one the request is for (`office_of`)."""
    if office_id is not None:
        return await okienko(connection).offices.by_id(office_id)
    return await office_of(connection)


async def office_of(connection: HTTPConnection) -> OfficeSetup:
    """The set-up of the office a public request is for (`office_asked`); `unknown_office` for a
    code no office has."""
    return await okienko(connection).offices.get(await office_asked(connection))


def path_number(connection: HTTPConnection, name: str, missing: str) -> int:
    """A numeric id from the path (`/waiting-list/{entry_id}`): digits only and within a database
    integer, else the error `missing` (what an unknown id gets), never an overflow."""
    raw = connection.path_params[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise DomainError(missing)
    return int(raw)


def field_error(detail: str) -> DomainError:
    return DomainError("malformed_request", detail=detail)


def query_date(text: str | None, name: str) -> date | None:
    """A date from the query (`from`, `to`, `day`, a path's date) as YYYY-MM-DD; None when not given."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise field_error(_("“{name}” must be a date as YYYY-MM-DD").format(name=name)) from None


def slot_start(setup: OfficeSetup, value: Any, name: str, problem: str | None = None) -> datetime:
    """A slot's start from a body: a moment with its offset, or a wall time read in the office's zone;
    `problem` (the field's own message), else a message naming `name`, when it is neither."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise field_error(problem or _("the field “{name}” must be a slot's start time, e.g. "
                                       "2026-12-03T10:00:00+01:00").format(name=name)) from None
    return wall_instant(setup, moment) if moment.tzinfo is None else moment


def link_secret(request: Request, body: dict[str, Any] | None, name: str, header: str, missing: str) -> str:
    """A link's secret (a manage link's `secret`, a draw entry's `receipt`) from the body, the query
    or a header; the error `missing` (a not-found code: nothing tells a guesser what exists) without it."""
    secret = (body or {}).get(name) or request.query_params.get(name) or request.headers.get(header)
    if not isinstance(secret, str) or not secret:
        raise DomainError(missing)
    return secret


async def ticket_view(connection: HTTPConnection, setup: OfficeSetup, ticket: dict[str, Any],
                      language: str) -> dict[str, Any]:
    """The ticket as its visitor sees it now (people ahead and wait from call-next's order)."""
    app = okienko(connection)
    place = await app.hall.place(setup, ticket)
    return ticket_json(public_links(connection), setup, ticket, place, language, app.translator)
