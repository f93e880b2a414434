"""Headers on every answer: a CSP on every page (found or not, signed in or not), no Referer from
addresses that are secrets, HSTS over HTTPS (as a trusted proxy says), nosniff everywhere."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest
import uvicorn

from okienko_server.cli import server_options
from tests.okienko.booking.test_bookings import TUESDAY
from tests.booking_api.test_roles import ROLES, TABLE, open_hall, send, set_the_scene
from tests.conftest import serving

pytestmark = pytest.mark.anyio
GET_ROUTES = sorted(template for method, template in TABLE if method == "GET")


def page_policy_problems(answer: httpx.Response) -> list[str]:
    """What is missing from an answer's security headers (nothing: an empty list)."""
    problems = []
    headers, where = answer.headers, f"{answer.request.method} {answer.request.url.path} ({answer.status_code})"
    if headers.get("x-content-type-options") != "nosniff":
        problems.append(f"{where}: no nosniff")
    page = headers.get("content-type", "").startswith("text/html")
    # The staff screens' pages (not their redirects): same-origin, for the sign-in form's Origin check.
    staff = answer.request.url.path.startswith(("/console/", "/admin/", "/call-centre/"))
    expected_referrer = "same-origin" if page and staff else "no-referrer"
    if headers.get("referrer-policy") != expected_referrer:
        problems.append(f"{where}: Referrer-Policy {headers.get('referrer-policy')!r}, not {expected_referrer}")
    if page:
        policy = headers.get("content-security-policy", "")
        if "default-src 'self'" not in policy or "frame-ancestors 'none'" not in policy:
            problems.append(f"{where}: page without a CSP of our own origin, never framed: {policy!r}")
    return problems


async def test_every_page_has_a_csp_and_no_answer_tells_its_address(office_factory: Any) -> None:
    """Every GET route, as every role: the page itself, its sign-in page, its not-found page."""
    office = await office_factory(TUESDAY)
    async with serving(office.app) as url:
        hall = await open_hall(office, url)
        await set_the_scene(hall)
        problems, pages = [], set()
        for template in GET_ROUTES:
            for role in ROLES:
                answer = await send(hall, "GET", template, role)
                problems += page_policy_problems(answer)
                if answer.headers.get("content-type", "").startswith("text/html"):
                    pages.add((template, answer.status_code))
        for path in ("/t/unknown", "/book/manage/AAAAAA?secret=wrong", "/kiosk/enroll?token=wrong",
                     "/board/enroll?token=wrong", "/no/such/page"):
            problems += page_policy_problems(await office.client.get(path))
    assert problems == []
    # The pages the issue found without a CSP were among those walked: the start page, enrolment errors.
    assert {("/", 200), ("/kiosk/enroll", 401), ("/board/enroll", 401), ("/t/{ticket_id}", 200),
            ("/book/manage/{code}", 200), ("/console/login", 200), ("/admin/login", 200), ("/admin/", 403),
            ("/admin/", 200)} <= pages


async def test_the_secret_addresses_send_no_referer(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    ticket = (await office.take("A")).json()
    tracking = await office.client.get(f"/t/{ticket['id']}")
    assert tracking.status_code == 200 and tracking.headers["referrer-policy"] == "no-referrer"
    # The console's sign-in form is checked by its Origin, which a no-referrer page sends as "null".
    for path in ("/console/login", "/admin/login"):
        login = await office.client.get(path)
        assert login.headers["referrer-policy"] == "same-origin"
        assert "form-action 'self'" in login.headers["content-security-policy"]


async def test_hsts_only_over_https(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    secure = httpx.AsyncClient(transport=httpx.ASGITransport(app=office.app), base_url="https://okienko.test")
    async with secure:
        for path in ("/", "/api/v1/services", "/no/such/page"):
            assert (await secure.get(path)).headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in (await office.client.get("/")).headers


@pytest.mark.parametrize("trusted, hsts", [("127.0.0.1", True), ("10.9.9.9", False)])
async def test_hsts_behind_a_proxy_as_far_as_it_is_trusted(office_factory: Any, trusted: str, hsts: bool) -> None:
    """Behind a TLS-terminating proxy the app hears plain HTTP; X-Forwarded-Proto counts only from
    a trusted proxy (`okienko serve`'s own uvicorn options)."""
    office = await office_factory(TUESDAY)
    settings = dataclasses.replace(office.settings, trusted_proxies=trusted, log_level="warning")
    server = uvicorn.Server(uvicorn.Config(office.app, host="127.0.0.1", port=0, lifespan="off",
                                           **server_options(settings)))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server stopped"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"})
        assert answer.status_code == 200
        assert ("strict-transport-security" in answer.headers) is hsts
    finally:
        server.should_exit = True
        await task
