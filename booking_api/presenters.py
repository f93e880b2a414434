"""How the core's objects look as JSON, in the caller's language: one home for each shape, shared by
the API's handlers and the screens (a kiosk page, the console, the booking site, the ticket page).

Pure functions: they read nothing and change nothing. What a visitor is shown of a booking never
holds the document number itself; what a board is shown never holds a name.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from okienko.booking.changes import can_cancel, can_change, cancel_deadline, change_deadline
from okienko.errors import DomainError
from okienko.hall.call_order import Place
from okienko.hall.calling import Desk, can_mark_no_show
from okienko.hall.front_door import WindowView
from okienko.hall.lifecycle import was_returned
from okienko.hall.print_outcome import PrintOutcome
from okienko.hall.ticket_phones import PhoneState
from okienko.hall.queueing import IssuedTicket
from okienko.hall.status import ServiceStatus
from okienko.hall.today import Today
from okienko.i18n import LANGUAGES, Translator, _
from okienko.links import PublicLinks
from okienko.notify.booking_mail import calendar_uid
from okienko.office.directory import EventSetup, OfficeSetup
from okienko.office.public_events import event_span, event_uid
from okienko.people import mask_email, mask_phone
from okienko.staff.accounts import AccountSummary
from okienko.staff.devices import DeviceState
from okienko.stats.events import EventChoice, EventFigures

NOWHERE = Place(0, 0)   # a ticket at a window: nobody is ahead of it any more


def _iso(moment: datetime | None, setup: OfficeSetup) -> str | None:
    return moment.astimezone(setup.timezone).isoformat() if moment else None


def ticket_json(links: PublicLinks, setup: OfficeSetup, ticket: dict[str, Any], place: Place, language: str,
                translator: Translator) -> dict[str, Any]:
    """A ticket as its visitor (phone, kiosk) and the clerk see it: number, service, status in words,
    window, people ahead and wait, and for a booked visit its slot and when it is called."""
    service = setup.service_by_id(ticket["service_id"])
    priority = None
    if ticket["priority"]:
        category = setup.category(ticket["priority"])
        priority = {"code": category.code, "mark": category.mark, "name": category.name(language)}
    returned = was_returned(ticket)
    status_text = STATUS_MESSAGES["returned" if returned else ticket["status"]]
    return {
        "id": ticket["id"], "number": ticket["number"], "service": service.code,
        "service_name": service.name(language), "service_name_pl": service.name("pl"), "priority": priority,
        "status": ticket["status"], "status_text": translator.format(language, status_text),
        "returned": returned,
        "window": setup.window_number(ticket["window_id"]) if ticket["status"] in ("called", "serving") else None,
        "position": place.people_ahead, "estimated_wait_minutes": place.estimated_wait_minutes,
        "issued_at": _iso(ticket["issued_at"], setup),
        "office_day": ticket["office_day"].isoformat(), "language": ticket["language"],
        "track_url": links.for_office(setup).ticket(ticket["id"]),
        "appointment_at": _iso(ticket.get("appointment_at"), setup),
        "expected_at": _iso(place.expected_at, setup),
    }


def ticket_sms_json(setup: OfficeSetup, state: PhoneState, offered: bool) -> dict[str, Any]:
    """A walk-in's SMS before its turn: offered here or not, the number given (masked: whoever holds
    the ticket's link sees no more than its ends) and which SMS went."""
    return {"offered": offered, "phone": mask_phone(state.phone) or None,
            "near_turn_ahead": setup.booking_policy.near_turn_ahead,
            "near_sent": state.near_sent, "called_sent": state.called_sent}


STATUS_MESSAGES = {
    "waiting": _("Waiting"), "called": _("Called: please go to the window"), "serving": _("Being served"),
    "done": _("Visit finished"), "no_show": _("Missed: the number was called but nobody came"),
    "transferred": _("Transferred to another service"), "cancelled": _("Cancelled"),
    "returned": _("Back in the queue: you keep your place. Please wait to be called again."),
}
PRINT_PROBLEMS = {   # the cause, briefly; the kiosk adds what to do (note the number, scan the QR code)
    "no_printer": _("This kiosk has no printer."),
    "printer_offline": _("The printer is not working."),
    "paper_out": _("The printer is out of paper."),
    "printer_timeout": _("The printer did not answer."),
    "agent_offline": _("The printer is not connected."),
    "agent_pending": _("Printing is taking longer than usual."),
}
PRINT_FAILED = _("The ticket could not be printed.")


def issued_json(links: PublicLinks, setup: OfficeSetup, issued: IssuedTicket, outcome: PrintOutcome,
                language: str, translator: Translator) -> dict[str, Any]:
    """A kiosk's new ticket (or check-in), and whether it was printed, or why not."""
    shown = ticket_json(links, setup, issued.ticket,
                        Place(issued.people_ahead, issued.estimated_wait_minutes, issued.expected_at),
                        language, translator)
    shown["printed"] = outcome.printed
    shown["print_problem"] = None if outcome.printed else {
        "error": outcome.problem,
        "message": translator.format(language, PRINT_PROBLEMS.get(outcome.problem or "", PRINT_FAILED)),
    }
    shown["replayed"] = issued.replayed
    return shown


def window_json(links: PublicLinks, setup: OfficeSetup, view: WindowView, language: str,
                translator: Translator) -> dict[str, Any]:
    """What the console shows for one window: its ticket in hand (with the booked person, to check
    against the document) and the queues it serves."""
    desk: Desk = view.desk
    queues = []
    for queue in desk.queues:
        service = setup.service_by_id(queue.service_id)
        queues.append({"service": service.code, "name": service.name(language), "waiting": queue.waiting,
                       "longest_wait_minutes": queue.longest_wait_minutes})
    ticket = None
    if desk.current:
        current = desk.current
        ticket = ticket_json(links, setup, current, NOWHERE, language, translator)
        ticket.update(called_at=_iso(current["called_at"], setup), started_at=_iso(current["started_at"], setup),
                      recalls=current["recalls"], can_mark_no_show=can_mark_no_show(setup, current),
                      booking=_booked_person(desk.booking, setup),
                      language_name=LANGUAGES.get(current["language"], current["language"]))
        ticket.pop("track_url", None)
    waiting = [{"number": row["number"], "service": setup.service_by_id(row["service_id"]).code,
                "priority": row["priority"] is not None, "booked": row["appointment_at"] is not None,
                "returned": was_returned({"status": "waiting", **row}), "language": row["language"],
                "language_name": LANGUAGES.get(row["language"], row["language"]),
                "queued_at": _iso(row["queued_at"], setup)} for row in desk.waiting]
    return {"window": view.number, "paused": desk.paused, "ticket": ticket, "queues": queues, "waiting": waiting,
            # The services offered on the ticket's day: an information Saturday's own on its day.
            "transfer_to": [{"service": s.code, "name": s.name(language)} for s in
                            (setup.offered(desk.current["office_day"]) if desk.current else setup.services)],
            "recalls_before_no_show": setup.recalls_before_no_show}


def window_choices_json(setup: OfficeSetup, seating: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The console's window chooser: each window's number, who sits there (hall.seating) and the names
    of the services it serves."""
    services = {window.number: [setup.service_by_id(s).name(language) for s in window.service_ids]
                for window in setup.windows}
    return [{**seated, "services": services[seated["number"]]} for seated in seating]


def _booked_person(booking: dict[str, Any] | None, setup: OfficeSetup) -> dict[str, Any] | None:
    """Who booked the visit, for the clerk to check against the document in hand (masked number only)."""
    if booking is None:
        return None
    return {"name": booking["person_name"], "birth_date": booking["birth_date"].isoformat(),
            "document": booking["document_masked"], "document_country": booking.get("document_country") or "",
            "starts_at": _iso(booking["starts_at"], setup)}


def event_json(links: PublicLinks, setup: OfficeSetup, event: EventSetup, language: str, now: datetime,
               office: str | None = None) -> dict[str, Any]:
    """A published information Saturday as the public sees it: when, what it offers, whether and from
    when its services can be booked (`office`: the office asked for by `?office=`, kept in links)."""
    starts, ends = event_span(setup, event)
    opens = event.booking_opens_at
    services = []
    for code in event.services:
        try:
            service = setup.service(code)
        except DomainError:
            continue   # switched off since
        bookable = service.booking is not None and opens is not None
        services.append({"code": service.code, "name": service.name(language), "name_pl": service.name("pl"),
                         "walk_in": service.walk_in, "bookable": bookable,
                         "book_url": links.book_path(service.code, language, office) if bookable else None})
    return {
        "id": event.id, "uid": event_uid(setup.code, event.id), "sequence": event.sequence,
        "date": event.day.isoformat(), "starts_at": _iso(starts, setup), "ends_at": _iso(ends, setup),
        "title": event.title(language), "description": event.description(language),
        "booking_opens_at": _iso(opens, setup), "booking_open": opens is not None and now >= opens,
        "services": services,
    }


def status_json(translator: Translator, status: ServiceStatus, language: str) -> dict[str, Any]:
    """A service's queue now, as a kiosk shows it and an integrator polls it."""
    state = status.availability
    closed = None
    if not state.open and state.reason:
        error = DomainError(state.reason, **state.params)
        closed = {"error": error.code, "message": translator.format(language, error.message_id, **error.params)}
    service = status.service
    return {
        "code": service.code, "prefix": service.prefix, "name": service.name(language), "names": service.names,
        "walk_in": service.walk_in, "open_now": state.open, "closed_reason": closed,
        "waiting": status.waiting, "estimated_wait_minutes": status.estimated_wait_minutes,
        "daily_limit": service.daily_limit, "issued_today": status.issued_today,
        "closes_at": state.closes_at.isoformat() if state.closes_at else None,
    }


def booking_json(setup: OfficeSetup, booking: dict[str, Any], language: str) -> dict[str, Any]:
    """What the person sees of their booking (never the document number itself)."""
    service = setup.service_by_id(booking["service_id"])
    check_in_from, check_in_until = setup.booking_policy.check_in_window(booking["starts_at"])
    return {
        "code": booking["code"], "status": booking["status"],
        "service": service.code, "service_name": service.name(language),
        "start": _iso(booking["starts_at"], setup), "end": _iso(booking["ends_at"], setup),
        "timezone": setup.timezone.key, "office": setup.name,
        "person": {"name": booking["person_name"], "birth_date": booking["birth_date"].isoformat(),
                   "document": booking["document_masked"]},
        "email": mask_email(booking["email"]),
        "what_to_bring": service.booking.bring(language) if service.booking else "",
        "change_until": _iso(change_deadline(setup, booking), setup),
        "cancel_until": _iso(cancel_deadline(booking), setup),
        "check_in_from": _iso(check_in_from, setup), "check_in_until": _iso(check_in_until, setup),
        "flag": booking["flag"], "calendar_uid": calendar_uid(booking), "sequence": booking["sequence"],
    }


def qr_svg(text: str) -> bytes:
    """`text` as a QR code, an SVG drawn on the server (nothing fetched from outside)."""
    import io

    import qrcode.image.svg  # with the first QR code drawn, not at start-up

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def today_json(setup: OfficeSetup, today: Today, language: str) -> dict[str, Any]:
    """The back office's "today, live": queues, windows, stranded tickets, devices."""
    return {
        "services": [{"code": q.service.code, "name": q.service.name(language), "waiting": q.waiting,
                      "longest_wait_minutes": q.longest_wait_minutes,
                      "estimated_wait_minutes": q.estimated_wait_minutes, "issued": q.issued, "served": q.served}
                     for q in today.queues],
        "windows": [{"number": w.number, "name": w.name, "state": w.state, "clerk": w.clerk,
                     "ticket": {"id": w.ticket_id, "number": w.ticket_number} if w.ticket_id else None}
                    for w in today.windows],
        "stranded": [{"ticket_id": s.ticket_id, "number": s.number, "window": s.window,
                      "called_at": _iso(s.called_at, setup)} for s in today.stranded],
        "devices": [*({"kind": d.kind, "name": d.name, "silent": d.silent, "last_seen_at": _iso(d.last_seen_at, setup)}
                      for d in today.devices if d.active),
                    *({"kind": "printer", "name": d.name, "silent": d.printer_silent,
                       "last_seen_at": _iso(d.printer_checked_at, setup)}
                      for d in today.devices if d.active and d.has_printer)],
    }


def device_json(setup: OfficeSetup, device: DeviceState) -> dict[str, Any]:
    """A kiosk or board in the back office (never its token)."""
    return {"id": device.id, "kind": device.kind, "name": device.name, "active": device.active,
            "last_seen_at": _iso(device.last_seen_at, setup), "silent": device.silent,
            "printer": device.has_printer, "printer_status": device.printer_status if device.has_printer else "none",
            "printer_checked_at": _iso(device.printer_checked_at, setup), "printer_silent": device.printer_silent}


def account_json(account: AccountSummary) -> dict[str, Any]:
    """A staff account in the back office (never its password)."""
    return {"username": account.username, "role": account.role, "office": account.office,
            "disabled": account.disabled, "locked": account.locked,
            "must_change_password": account.must_change_password}
# --- the back office (/api/v1/admin/): staff of the office see the person's name and contact ---------
def affected_json(setup: OfficeSetup, booking: dict[str, Any], contact: str, language: str) -> dict[str, Any]:
    """A booking a change of hours cuts off, and how its person is told."""
    service = setup.service_by_id(booking["service_id"])
    return {"code": booking["code"], "service": service.code, "service_name": service.name(language),
            "starts_at": _iso(booking["starts_at"], setup), "name": booking["person_name"],
            "language": booking["language"], "contact": contact}


def admin_booking_json(setup: OfficeSetup, booking: dict[str, Any], language: str,
                       now: datetime | None = None) -> dict[str, Any]:
    """A booking as the back office lists it; with `now`, in full: its contact, times and what may be
    done with it at `now`."""
    service = setup.service_by_id(booking["service_id"])
    shown = {"code": booking["code"], "service": service.code, "service_name": service.name(language),
             "starts_at": _iso(booking["starts_at"], setup), "status": booking["status"],
             "name": booking["person_name"], "language": booking["language"], "flag": booking["flag"]}
    if now is not None:
        shown.update({
            "ends_at": _iso(booking["ends_at"], setup), "email": booking["email"], "phone": booking["phone"],
            "birth_date": booking["birth_date"].isoformat() if booking["birth_date"] else None,
            "document": booking["document_masked"], "sequence": booking["sequence"],
            "created_at": _iso(booking["created_at"], setup), "confirmed_at": _iso(booking["confirmed_at"], setup),
            "ended_at": _iso(booking["ended_at"], setup),
            "can_cancel": can_cancel(booking, now), "can_move": booking["status"] == "confirmed",
            "visitor_may_move": can_change(setup, booking, now)})
    return shown


def booking_event_json(setup: OfficeSetup, event: dict[str, Any]) -> dict[str, Any]:
    """One fact of a booking's history (booking_events)."""
    return {"kind": event["kind"], "at": _iso(event["at"], setup), "detail": event["detail"] or {}}


def delivery_state(row: dict[str, Any]) -> str | None:
    """What became of a sent SMS, by the gateway's report: `delivered`, `undelivered` (the gateway
    gave up on it), `pending` (no report yet); None for an email or a message not sent yet."""
    if row["channel"] != "sms" or row["sent_at"] is None:
        return None
    return {"delivered": "delivered", "failed": "undelivered"}.get(row["delivery"] or "", "pending")


def message_json(row: dict[str, Any]) -> dict[str, Any]:
    """An outbox message for the back office: who it was for (masked), when, what became of it,
    why it failed; never its text. `failed_at` is when it failed (given up after its last
    attempt, or reported undelivered by the SMS gateway); `resent_as`: the id it went out again as."""
    recipient = mask_email(row["recipient"]) if row["channel"] == "email" else mask_phone(row["recipient"])
    state = delivery_state(row)
    failed_at = row["failed_at"] if row["sent_at"] is None else (row["delivery_at"] if state == "undelivered" else None)
    return {"id": row["id"], "channel": row["channel"], "recipient": recipient,
            "created_at": row["created_at"].isoformat(),
            "sent_at": row["sent_at"].isoformat() if row["sent_at"] else None,
            "failed_at": failed_at.isoformat() if failed_at else None,
            "attempts": row["attempts"], "reason": row["last_error"] or "",
            "delivery": state,
            "delivery_at": row["delivery_at"].isoformat() if state and row["delivery_at"] else None,
            "resent_as": row.get("resent_as")}


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def event_stats_json(compared: list[EventFigures], choices: list[EventChoice], language: str) -> dict[str, Any]:
    """Events side by side (okienko/stats/events.py): each event with a row per service and its
    total; and the events one may pick. Counts and durations only: nothing about any person."""
    return {
        "events": [{"id": event.id, "day": event.day.isoformat(), "title": event.title(language),
                    "status": event.status, "opens": _hhmm(event.opens_minute), "closes": _hhmm(event.closes_minute),
                    "over": event.over,
                    "services": [{"code": row.code, "name": row.name(language), **dataclasses.asdict(row.figures)}
                                 for row in event.rows],
                    "total": dataclasses.asdict(event.total)} for event in compared],
        "choices": [{"id": choice.id, "day": choice.day.isoformat(), "title": choice.title(language),
                     "status": choice.status} for choice in choices],
    }
