"""The call centre's API: an operator books a caller with a mobile number alone (the code arrives at a
loopback SMS gateway), finds a booking only when the name, date of birth and document's end all
match, moves and cancels it after that check; every action is under the operator's name; operators
have their own limits, not the per-address one. SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okienko.staff.auth import add_user, issue_staff_token
from okienko.storage.models import AuditEntry, BookingEvent, Office as OfficeRow
from tests.conftest import serving
from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY, book, last_mail_to, mails
from tests.okienko.booking.test_draws import DRAW_OFFICE, DURING, messages_to, person, the_draw

pytestmark = pytest.mark.anyio

CALLER = {"name": "Mykola Bondarenko", "birth_date": "1985-06-30", "document_number": "FX 778899",
          "document_country": "UA", "phone": "+48 601 222 333"}
IDENTITY = {"name": "Mykola Bondarenko", "birth_date": "1985-06-30", "document_end": "99"}
MOVED_TO = "2026-12-04T09:00:00+01:00"


async def staff(office: Any, username: str, role: str = "operator", office_code: str = "demo") -> dict[str, str]:
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, username, role, "correct horse battery", office_code)
        token = await issue_staff_token(conn, username, office.clock.now())
    return {"Authorization": f"Bearer {token}"}


async def set_policy(office: Any, **rules: Any) -> None:
    async with office.okienko.db.engine.begin() as conn:
        table = OfficeRow.__table__
        policy = (await conn.execute(sa.select(table.c.booking_policy))).scalar_one()
        await conn.execute(sa.update(table).values(booking_policy={**policy, **rules}))
    office.okienko.offices.invalidate()


@asynccontextmanager
async def sms_office(office_factory: Any, **options: Any) -> AsyncIterator[tuple[Any, list[dict[str, Any]]]]:
    """An office that sends SMS through a gateway on loopback; what the gateway received."""
    received: list[dict[str, Any]] = []

    async def gateway(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"queued": True})

    async with serving(Starlette(routes=[Route("/send", gateway, methods=["POST"])])) as url:
        office = await office_factory(TUESDAY, sms_gateway_url=f"{url}/send", sms_gateway_token="t", **options)
        await set_policy(office, sms=True)
        yield office, received


async def call_book(office: Any, headers: dict[str, str], person: dict[str, Any], start: str = SLOT) -> Any:
    return await office.client.post("/api/v1/call-centre/bookings", headers=headers,
                                    json={"service": "A", "start": start, "language": "en", "caller_language": "uk",
                                          **person})


async def test_an_operator_books_a_phone_only_caller_and_the_code_arrives_by_sms(office_factory: Any) -> None:
    async with sms_office(office_factory) as (office, received):
        operator = await staff(office, "ola")
        slots = await office.client.get("/api/v1/call-centre/slots", headers=operator,
                                        params={"service": "A", "from": SLOT[:10], "to": SLOT[:10]})
        assert slots.status_code == 200
        assert any(slot["start"] == SLOT and slot["free"] for slot in slots.json()["days"][0]["slots"])

        booked = await call_book(office, operator, CALLER)
        assert booked.status_code == 201, booked.text
        booking = booked.json()["booking"]
        assert booking["status"] == "confirmed" and booking["start"] == SLOT
        assert booked.json()["sent_to"] == {"sms": "+48******333"}
        assert await office.okienko.outbox.deliver_due() == 1   # the SMS; no email to nobody
        assert [message["to"] for message in received] == ["+48601222333"]
        assert booking["code"] in received[0]["text"] and "778899" not in received[0]["text"]
        # The operator reads English, the caller gets their SMS in Ukrainian.
        assert booking["service_name"] == "Filing a residence application"
        assert received[0]["text"].startswith("DEMO: записано:")
        assert not mails(office)

        again = await call_book(office, operator, {**CALLER, "name": "MYKOLA  bondarenko"})
        assert again.status_code == 409 and again.json()["error"] == "already_booked"
        async with office.okienko.db.engine.begin() as conn:
            events = BookingEvent.__table__
            history = (await conn.execute(sa.select(events.c.kind, events.c.detail).order_by(events.c.id))).all()
            audit = AuditEntry.__table__
            entries = (await conn.execute(sa.select(audit.c.actor, audit.c.action, audit.c.target))).all()
        assert [(kind, detail.get("by")) for kind, detail in history] == [("held", "ola"), ("confirmed", "ola")]
        assert ("ola", "call_centre.book", booking["code"]) in entries


async def test_without_sms_the_caller_needs_an_email_and_gets_the_confirmation_there(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    operator = await staff(office, "ola")
    refused = await call_book(office, operator, CALLER)
    assert refused.status_code == 422 and set(refused.json()["fields"]) == {"email"}
    booked = await call_book(office, operator, {**CALLER, "email": "mykola@example.com"})
    assert booked.status_code == 201, booked.text
    mail = await last_mail_to(office, "mykola@example.com")
    assert booked.json()["booking"]["code"] in mail["Subject"]


async def test_the_lookup_lists_nothing_unless_name_birth_date_and_document_end_all_match(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    operator = await staff(office, "ola")
    online = await book(office)   # Olena Kovalenko, 1990-04-12, FE 123456

    async def found(**identity: str) -> list[str]:
        answer = await office.client.post("/api/v1/call-centre/lookup", headers=operator,
                                          json={"name": PERSON["name"], "birth_date": PERSON["birth_date"],
                                                "document_end": "456", **identity})
        assert answer.status_code == 200, answer.text
        return [row["code"] for row in answer.json()["bookings"]]

    assert await found() == [online["code"]]
    assert await found(name="kovalenko OLENA", document_end="56") == [online["code"]]
    assert await found(name="Olena") == []
    assert await found(birth_date="1990-04-13") == []
    assert await found(document_end="457") == []
    short = await office.client.post("/api/v1/call-centre/lookup", headers=operator,
                                     json={**IDENTITY, "document_end": "9"})
    assert short.status_code == 422 and set(short.json()["fields"]) == {"document_end"}
    async with office.okienko.db.engine.begin() as conn:
        audit = AuditEntry.__table__
        lookups = (await conn.execute(sa.select(audit.c.actor).where(audit.c.action == "call_centre.lookup"))).all()
    assert len(lookups) == 5 and {actor for (actor,) in lookups} == {"ola"}


async def test_the_operator_moves_and_cancels_only_after_the_identity_matches(office_factory: Any) -> None:
    async with sms_office(office_factory) as (office, received):
        operator = await staff(office, "ola")
        code = (await call_book(office, operator, CALLER)).json()["booking"]["code"]
        await office.okienko.outbox.deliver_due()
        received.clear()
        path = f"/api/v1/call-centre/bookings/{code}"
        wrong = await office.client.post(f"{path}/move", headers=operator,
                                         json={**IDENTITY, "document_end": "98", "starts_at": MOVED_TO})
        assert wrong.status_code == 404 and wrong.json()["error"] == "identity_not_matched"

        moved = await office.client.post(f"{path}/move", headers=operator, json={**IDENTITY, "starts_at": MOVED_TO})
        assert moved.status_code == 200, moved.text
        assert moved.json()["booking"]["starts_at"] == MOVED_TO
        await office.okienko.outbox.deliver_due()
        assert len(received) == 1 and code in received[0]["text"]   # told by SMS: no email given

        cancelled = await office.client.post(f"{path}/cancel", headers=operator, json=IDENTITY)
        assert cancelled.status_code == 200 and cancelled.json()["booking"]["status"] == "cancelled"
        async with office.okienko.db.engine.begin() as conn:
            audit = AuditEntry.__table__
            entries = (await conn.execute(sa.select(audit.c.actor, audit.c.action).where(
                audit.c.target == code))).all()
            events = BookingEvent.__table__
            kinds = (await conn.execute(sa.select(events.c.kind, events.c.detail).order_by(events.c.id))).all()
        assert {("ola", "booking.move"), ("ola", "booking.cancel"), ("ola", "call_centre.book")} <= set(entries)
        assert [(kind, detail.get("by")) for kind, detail in kinds][-2:] == [("moved", "ola"), ("cancelled", "ola")]
        # The back office sees what this operator did, and nobody else's changes.
        manager = await staff(office, "kierownik", "manager")
        await office.client.post("/api/v1/admin/bookings/NOSUCH/cancel", headers=manager, json={})
        shown = await office.client.get("/api/v1/admin/audit", headers=manager, params={"actor": "ola"})
        assert shown.status_code == 200
        assert [change["action"] for change in shown.json()["changes"]] == [
            "booking.cancel", "call_centre.lookup", "booking.move", "call_centre.lookup", "call_centre.lookup",
            "call_centre.book"]


async def test_operators_have_their_own_limit_not_the_per_address_one(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, call_centre_bookings_per_operator_per_day=2)
    await set_policy(office, per_address_per_hour=1)
    operator = await staff(office, "ola")
    for number, name in enumerate(("Anna Nowak", "Ewa Lis")):
        person = {**CALLER, "name": name, "document_number": f"AB10000{number}", "email": f"{number}@example.com"}
        answer = await call_book(office, operator, person)
        assert answer.status_code == 201, answer.text
    third = await call_book(office, operator, {**CALLER, "email": "x@example.com"})
    assert third.status_code == 429 and third.json()["error"] == "operator_limit"
    other = await call_book(office, await staff(office, "piotr"), {**CALLER, "email": "x@example.com"})
    assert other.status_code == 201, other.text


async def test_only_operators_managers_and_admins_use_the_call_centre(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    clerk = await staff(office, "desk", "clerk")
    operator = await staff(office, "ola")
    refused = await office.client.post("/api/v1/call-centre/lookup", headers=clerk, json=IDENTITY)
    assert refused.status_code == 403
    back_office = await office.client.get("/api/v1/admin/bookings", headers=operator)
    assert back_office.status_code == 403


async def test_an_operator_enters_a_caller_into_the_open_draw_at_once(office_factory: Any, tmp_path: Path) -> None:
    path = tmp_path / "drawn.toml"
    path.write_text(DRAW_OFFICE, encoding="utf-8")
    office = await office_factory(DURING, office_file=path)
    operator = await staff(office, "ola", office_code="drawn")
    draw = await the_draw(office)
    caller = {**person(1), "language": "en"}
    entered = await office.client.post(f"/api/v1/call-centre/draws/{draw['id']}/entries", headers=operator,
                                       json={**caller, "preferences": [{"from": "08:00", "to": "09:00"}]})
    assert entered.status_code == 201, entered.text
    body = entered.json()
    assert body["status"] == "entered" and body["sent_to"] == {"email": "p***@example.com"}
    told = (await messages_to(office, "p1@example.com"))[-1]
    assert told["subject"].startswith("You are in the draw") and "Your code" not in told["subject"]
    status = await office.client.get(f"/api/v1/draw-entries/{body['id']}", params={"receipt": body["receipt"]})
    assert status.status_code == 200 and status.json()["status"] == "entered"
    again = await office.client.post(f"/api/v1/call-centre/draws/{draw['id']}/entries", headers=operator, json=caller)
    assert again.status_code == 409 and again.json()["error"] == "already_entered"
    async with office.okienko.db.engine.begin() as conn:
        audit = AuditEntry.__table__
        entries = (await conn.execute(sa.select(audit.c.actor, audit.c.target).where(
            audit.c.action == "call_centre.draw_entry"))).all()
    assert entries == [("ola", str(draw["id"]))]
