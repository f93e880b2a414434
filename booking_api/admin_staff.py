"""The back office's staff accounts (managers: their own office's, never an administrator's; admins:
any): list, add (a temporary password, shown once), change a role, disable, enable, reset a
password, unlock. Thin: okienko/staff/management.py (StaffAdmin) does the work and holds the rules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.admin_devices import NO_STORE, actor_of, required_text
from booking_api.http import language_of, okienko, read_json
from booking_api.presenters import account_json
from booking_api.sessions import require_manager


async def list_users(request: Request) -> Response:
    """GET /api/v1/admin/users."""
    language_of(request)
    clerk, setup = await require_manager(request)
    found = await okienko(request).staff.list(actor_of(clerk), setup.id)
    return JSONResponse({"users": [account_json(a) for a in found]}, headers=NO_STORE)


async def add_user(request: Request) -> Response:
    """POST /api/v1/admin/users {"username", "role"} → 201 with a temporary password (shown once)."""
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.NEW_USER)
    account, password = await okienko(request).staff.add(actor_of(clerk), setup.id,
                                                         required_text(body, "username"),
                                                         required_text(body, "role"))
    return JSONResponse({"user": account_json(account), "temporary_password": password}, status_code=201,
                        headers=NO_STORE)


async def set_role(request: Request) -> Response:
    """PUT /api/v1/admin/users/{username} {"role"}."""
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.USER_ROLE)
    account = await okienko(request).staff.set_role(actor_of(clerk), setup.id, request.path_params["username"],
                                                    required_text(body, "role"))
    return JSONResponse({"user": account_json(account)})


async def disable_user(request: Request) -> Response:
    """POST /api/v1/admin/users/{username}/disable: cannot sign in; sessions end, tokens refused."""
    return await _switch(request, True)


async def enable_user(request: Request) -> Response:
    """POST /api/v1/admin/users/{username}/enable."""
    return await _switch(request, False)


async def _switch(request: Request, disabled: bool) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    account = await okienko(request).staff.set_disabled(actor_of(clerk), setup.id, request.path_params["username"],
                                                        disabled)
    return JSONResponse({"user": account_json(account)})


async def reset_password(request: Request) -> Response:
    """POST /api/v1/admin/users/{username}/reset-password → a temporary password (shown once)."""
    language_of(request)
    clerk, setup = await require_manager(request)
    account, password = await okienko(request).staff.reset_password(actor_of(clerk), setup.id,
                                                                    request.path_params["username"])
    return JSONResponse({"user": account_json(account), "temporary_password": password}, headers=NO_STORE)


async def unlock_user(request: Request) -> Response:
    """POST /api/v1/admin/users/{username}/unlock: the lock-out after wrong passwords ends."""
    language_of(request)
    clerk, setup = await require_manager(request)
    account = await okienko(request).staff.unlock(actor_of(clerk), setup.id, request.path_params["username"])
    return JSONResponse({"user": account_json(account)})
