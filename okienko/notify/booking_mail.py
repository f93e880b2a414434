"""What a booking tells its person: the one-time code, the confirmation, a move, a cancellation.

Written to the outbox in the booking's own transaction, in the language the person booked in.
No document number ever goes into an email or SMS (GDPR): only the name, the service and time,
the booking code and links. The manage link's secret is only in the email's text, never in the
calendar entry (calendars are synced, shared and shown to others: the entry has no URL).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from babel.dates import format_datetime, format_time
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.i18n import Translator, _, format_day
from okienko.links import PublicLinks
from okienko.office.directory import OfficeSetup, ServiceSetup
from okienko.notify.outbox import enqueue
from calendar_sync.ics import booking_calendar


def calendar_uid(booking: dict[str, Any]) -> str:
    """Stable for the booking's whole life, so moves and cancellations update the same entry."""
    return f"{booking['id']}@okienko"


@functools.lru_cache(maxsize=4096)
def _when(local: datetime, language: str) -> str:
    """A visit's local wall time in words (cached: a draw tells thousands of people about a few slots)."""
    return f"{format_day(local.date(), language, weekday=True)}, {format_time(local, 'HH:mm', locale=language)}"


class Notifier:
    def __init__(self, translator: Translator, public_url: str, sender: str, sender_name: str,
                 can_sms: bool = False) -> None:
        """`public_url`: the server's public address (okienko/links.py), which every link starts with."""
        self.translator = translator
        self.links = PublicLinks(public_url.rstrip("/"))
        self.sender = sender
        self.sender_name = sender_name
        self.can_sms = can_sms

    def _t(self, language: str, message: str, **params: Any) -> str:
        return self.translator.format(language, message, **params)

    def when(self, setup: OfficeSetup, booking: dict[str, Any]) -> str:
        local = booking["starts_at"].astimezone(setup.timezone)
        return _when(local.replace(tzinfo=None), booking["language"])

    def sms_when(self, setup: OfficeSetup, booking: dict[str, Any]) -> str:
        """A visit's local time, short for an SMS ("czw. 3.12, 10:00"): every character saved keeps a
        text in one SMS part (okienko/notify/sms.py)."""
        local = booking["starts_at"].astimezone(setup.timezone)
        return format_datetime(local, "EEE d.MM, HH:mm", locale=booking["language"])

    def manage_url(self, setup: OfficeSetup, booking: dict[str, Any], secret: str) -> str:
        return self.links.for_office(setup).manage(booking["code"], secret, booking["language"], setup.code)

    def calendar(self, setup: OfficeSetup, service: ServiceSetup, booking: dict[str, Any], method: str,
                 now: datetime, url: str | None = None) -> bytes:
        language = booking["language"]
        schedule = service.booking
        lines = [self._t(language, _("Booking code: {code}"), code=booking["code"])]
        if schedule and schedule.bring(language):
            lines.append(self._t(language, _("What to bring: {items}"), items=schedule.bring(language)))
        return booking_calendar(
            uid=calendar_uid(booking), sequence=booking["sequence"], method=method, start=booking["starts_at"],
            end=booking["ends_at"], tz=setup.timezone, summary=f"{service.name(language)} — {setup.name}",
            description="\n".join(lines), location=setup.name, organizer_email=self.sender,
            organizer_name=setup.name, attendee_email=booking["email"], stamp=now, url=url)

    async def _calendar_email(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                              booking: dict[str, Any], subject: str, body: str, method: str, now: datetime,
                              url: str | None = None) -> None:
        """An email carrying the booking's calendar entry (REQUEST or CANCEL); none for a caller the
        call centre booked without an email address."""
        if not booking["email"]:
            return
        await enqueue(conn, office_id=setup.id, channel="email", recipient=booking["email"], subject=subject,
                      body=body, now=now, calendar=self.calendar(setup, service, booking, method, now, url),
                      calendar_method=method)

    async def one_time_code(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                            booking: dict[str, Any], code: str, now: datetime, *, sms: bool, offer: bool) -> None:
        language = booking["language"]
        until = format_time(booking["hold_expires_at"].astimezone(setup.timezone), "HH:mm", locale=language)
        params = {"code": code, "service": service.name(language), "when": self.when(setup, booking),
                  "until": until, "office": setup.name}
        if offer:
            subject = self._t(language, _("A place is free for you: {service}"), **params)
            body = self._t(language, _("Hello,\n\nA place has become free for you: {service}, {when}, {office}.\n\n"
                                       "To take it, enter this code by {until}: {code}\n"), **params)
            body += f"\n{self.links.for_office(setup).confirm(booking['id'], language, setup.code)}\n"
        else:
            subject = self._t(language, _("Your confirmation code: {code}"), **params)
            body = self._t(language, _("Hello,\n\nTo confirm your booking ({service}, {when}, {office}), enter this "
                                       "code by {until}: {code}\n\nIf you did not book this, ignore this message: "
                                       "the place is released by itself.\n"), **params)
            # The code page of this hold, for a visitor who closed the tab or reads the email elsewhere.
            body += f"\n{self.links.for_office(setup).confirm(booking['id'], language, setup.code)}\n"
        await enqueue(conn, office_id=setup.id, channel="email", recipient=booking["email"], subject=subject,
                      body=body, now=now)
        if sms:
            text = self._t(language, _("{office}: your code {code} (valid until {until})."),
                           office=setup.code.upper(), code=code, until=until)
            await enqueue(conn, office_id=setup.id, channel="sms", recipient=booking["phone"], body=text, now=now)

    async def confirmed(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                        booking: dict[str, Any], secret: str, now: datetime) -> None:
        message = self.confirmed_message(setup, service, booking, secret, now)
        await enqueue(conn, office_id=setup.id, now=now, **message)

    def confirmed_message(self, setup: OfficeSetup, service: ServiceSetup, booking: dict[str, Any], secret: str,
                          now: datetime) -> dict[str, Any]:
        """The confirmation email with its calendar entry, as `enqueue`'s arguments (a draw writes many)."""
        language = booking["language"]
        link = self.manage_url(setup, booking, secret)
        schedule = service.booking
        params = {"code": booking["code"], "service": service.name(language), "when": self.when(setup, booking),
                  "office": setup.name, "name": booking["person_name"], "link": link,
                  "bring": schedule.bring(language) if schedule else ""}
        subject = self._t(language, _("Booking {code} confirmed: {service}, {when}"), **params)
        body = self._t(language, _("Hello {name},\n\nYour visit is booked.\n\nService: {service}\nWhen: {when}\n"
                                   "Where: {office}\nBooking code: {code}\n\nOn the day, type the booking code at "
                                   "the ticket machine (or scan the QR code on the booking page) and bring your "
                                   "travel document: the booking is valid only for you.\n\nWhat to bring: {bring}\n\n"
                                   "To cancel or move the visit: {link}\n"), **params)
        # No link in the calendar data: the manage link's secret stays in the email's text.
        return {"channel": "email", "recipient": booking["email"], "subject": subject, "body": body,
                "calendar": self.calendar(setup, service, booking, "REQUEST", now), "calendar_method": "REQUEST"}

    async def booked_by_phone(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                              booking: dict[str, Any], secret: str, now: datetime) -> None:
        """A booking the call centre made: the code and time by SMS where the office sends SMS (no
        link, no document number), and the confirmation email where the caller gave an address."""
        if booking["email"]:
            await self.confirmed(conn, setup, service, booking, secret, now)
        if self.contact_of(setup, booking) == "email+sms":
            language = booking["language"]
            text = self._t(language, _("{office}: booked {service}, {when}. Booking code {code}: type it at the "
                                       "ticket machine. Bring your travel document."),
                           office=setup.code.upper(), service=service.name(language), when=self.when(setup, booking),
                           code=booking["code"])
            await enqueue(conn, office_id=setup.id, channel="sms", recipient=booking["phone"], body=text, now=now)

    async def _phone_only_sms(self, conn: AsyncConnection, setup: OfficeSetup, booking: dict[str, Any],
                              text: str, now: datetime) -> None:
        """A caller booked by phone without an email address hears of a change by SMS."""
        if not booking["email"] and self.contact_of(setup, booking) == "email+sms":
            await enqueue(conn, office_id=setup.id, channel="sms", recipient=booking["phone"], body=text, now=now)

    async def moved(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                    booking: dict[str, Any], now: datetime) -> None:
        language = booking["language"]
        params = {"code": booking["code"], "service": service.name(language), "when": self.when(setup, booking),
                  "office": setup.name}
        subject = self._t(language, _("Booking {code} moved: {service}, {when}"), **params)
        body = self._t(language, _("Hello,\n\nYour visit has been moved.\n\nService: {service}\nNew time: {when}\n"
                                   "Where: {office}\nBooking code: {code} (unchanged)\n"), **params)
        await self._calendar_email(conn, setup, service, booking, subject, body, "REQUEST", now)
        await self._phone_only_sms(conn, setup, booking, self._t(
            language, _("{office}: your visit {code} is moved to {when}."), **{**params, "office": setup.code.upper()}), now)

    async def cancelled(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                        booking: dict[str, Any], now: datetime) -> None:
        language = booking["language"]
        params = {"code": booking["code"], "service": service.name(language), "when": self.when(setup, booking)}
        subject = self._t(language, _("Booking {code} cancelled"), **params)
        body = self._t(language, _("Hello,\n\nYour visit ({service}, {when}) has been cancelled. Booking code "
                                   "{code} is no longer valid.\n"), **params)
        await self._calendar_email(conn, setup, service, booking, subject, body, "CANCEL", now)
        await self._phone_only_sms(conn, setup, booking, self._t(
            language, _("{office}: your visit {code} ({when}) is cancelled."), office=setup.code.upper(),
            **params), now)

    async def reminder(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                       booking: dict[str, Any], secret: str, now: datetime) -> str:
        """A reminder before the visit (okienko/notify/reminders.py): the code, service, time, what to
        bring and the manage link (`secret` is new: it replaces earlier links); by SMS too where
        configured, without the link. Returns the email's outbox id."""
        language = booking["language"]
        schedule = service.booking
        params = {"code": booking["code"], "service": service.name(language), "when": self.when(setup, booking),
                  "office": setup.name, "name": booking["person_name"],
                  "link": self.manage_url(setup, booking, secret),
                  "bring": (schedule.bring(language) if schedule else "") or "-"}
        subject = self._t(language, _("Reminder: {service}, {when}"), **params)
        body = self._t(language, _("Hello {name},\n\nA reminder of your visit.\n\nService: {service}\nWhen: "
                                   "{when}\nWhere: {office}\nBooking code: {code}\n\nWhat to bring: {bring}\n\n"
                                   "If you cannot come, please cancel or move the visit: a freed place helps "
                                   "someone else.\n{link}\n\nThis link replaces the one in earlier messages.\n"),
                       **params)
        message_id = await enqueue(conn, office_id=setup.id, channel="email", recipient=booking["email"],
                                   subject=subject, body=body, now=now)
        if self.contact_of(setup, booking) == "email+sms":
            text = self._t(language, _("{office}: reminder, {service} {when}, booking code {code}. "
                                       "Cannot come? Cancel with the link in your email."),
                           office=setup.code.upper(), service=service.name(language),
                           when=self.sms_when(setup, booking), code=booking["code"])
            await enqueue(conn, office_id=setup.id, channel="sms", recipient=booking["phone"], body=text, now=now)
        return message_id

    def contact_of(self, setup: OfficeSetup, booking: dict[str, Any]) -> str:
        """How the office's messages reach the booking's person: "email", or "email+sms" where the
        office sends SMS, a gateway is configured and the person gave a phone."""
        return "email+sms" if setup.booking_policy.sms and self.can_sms and booking.get("phone") else "email"

    async def day_closed(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                         booking: dict[str, Any], secret: str, now: datetime) -> None:
        """The office took the booking's slot away (closed the day or cut its hours): the person is told
        in their language, with the manage link (a new secret: it replaces the earlier link) where they
        may choose another time before the public can; by SMS too where configured (no link there)."""
        language = booking["language"]
        params = {"code": booking["code"], "service": service.name(language), "when": self.when(setup, booking),
                  "office": setup.name, "name": booking["person_name"],
                  "link": self.manage_url(setup, booking, secret),
                  "days": setup.booking_policy.rebook_ahead_days}
        subject = self._t(language, _("Your visit {when} cannot take place: please choose another time"), **params)
        body = self._t(language, _("Hello {name},\n\nThe office ({office}) has changed its hours: your visit "
                                   "({service}, {when}, booking code {code}) cannot take place at that time.\n\n"
                                   "Please choose another time with this link. You can choose before everyone "
                                   "else: also days that are not yet open for booking, up to {days} days further "
                                   "ahead.\n\n{link}\n\nThis link replaces the one in earlier messages. Your "
                                   "booking code stays the same.\n"), **params)
        await enqueue(conn, office_id=setup.id, channel="email", recipient=booking["email"], subject=subject,
                      body=body, now=now)
        if self.contact_of(setup, booking) == "email+sms":
            text = self._t(language, _("{office}: your visit {when} cannot take place. Choose another time: "
                                       "see your email."), office=setup.code.upper(), when=self.when(setup, booking))
            await enqueue(conn, office_id=setup.id, channel="sms", recipient=booking["phone"], body=text, now=now)

    # --- draws -------------------------------------------------------------------------------
    def draw_day(self, setup: OfficeSetup, entry: dict[str, Any], day: Any) -> str:
        return format_day(day, entry["language"], weekday=True)

    def entry_status_url(self, setup: OfficeSetup, entry: dict[str, Any]) -> str:
        """The entry's page (the receipt is added by whoever holds it: it is never in an email)."""
        return self.links.for_office(setup).draw_entry(entry["id"], language=entry["language"], office=setup.code)

    async def entry_code(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                         entry: dict[str, Any], draw: dict[str, Any], code: str, now: datetime) -> None:
        """The one-time code that confirms an entry into a draw."""
        language = entry["language"]
        params = {"code": code, "service": service.name(language), "day": self.draw_day(setup, entry, draw["office_day"]),
                  "office": setup.name,
                  "until": format_time(entry["pending_expires_at"].astimezone(setup.timezone), "HH:mm", locale=language),
                  "closes": format_time(draw["closes_at"].astimezone(setup.timezone), "HH:mm", locale=language)}
        subject = self._t(language, _("Your code for the draw: {code}"), **params)
        body = self._t(language, _("Hello,\n\nTo enter the draw for {service} on {day} ({office}), enter this code "
                                   "by {until}: {code}\n\nThe draw takes entries until {closes}; entering early "
                                   "gives no advantage. If you did not ask for this, ignore this message.\n"), **params)
        await enqueue(conn, office_id=setup.id, channel="email", recipient=entry["email"], subject=subject,
                      body=body, now=now)

    async def entered_by_phone(self, conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                               entry: dict[str, Any], draw: dict[str, Any], now: datetime) -> bool:
        """A caller the call centre entered into a draw: told so by SMS where the office sends SMS
        (True), and by email where an address is given; the result follows as for any entry."""
        language = entry["language"]
        params = {"service": service.name(language), "day": self.draw_day(setup, entry, draw["office_day"]),
                  "office": setup.code.upper(),
                  "closes": format_time(draw["closes_at"].astimezone(setup.timezone), "HH:mm", locale=language)}
        text = self._t(language, _("{office}: you are in the draw for {service} on {day}. The result comes after "
                                   "{closes}."), **params)
        await enqueue(conn, office_id=setup.id, channel="email", recipient=entry["email"], body=text, now=now,
                      subject=self._t(language, _("You are in the draw: {service}, {day}"), **params))
        sms = bool(setup.booking_policy.sms and self.can_sms and entry["phone"])
        if sms:
            await enqueue(conn, office_id=setup.id, channel="sms", recipient=entry["phone"], body=text, now=now)
        return sms

    def draw_result_sms(self, setup: OfficeSetup, service: ServiceSetup, entry: dict[str, Any],
                        draw: dict[str, Any], booking: dict[str, Any] | None) -> dict[str, Any] | None:
        """The draw's outcome by SMS, as `enqueue`'s arguments, where the office sends SMS and the
        person gave a phone (no document number, no link secret: the email has the details)."""
        if not (setup.booking_policy.sms and self.can_sms and entry["phone"]):
            return None
        language = entry["language"]
        if booking is not None:
            text = self._t(language, _("{office}: you were drawn. {service}, {when}. Booking code {code}."),
                           office=setup.code.upper(), service=service.name(language), when=self.when(setup, booking),
                           code=booking["code"])
        else:
            text = self._t(language, _("{office}: not drawn this time for {service}, {day}. Details by email."),
                           office=setup.code.upper(), service=service.name(language),
                           day=self.draw_day(setup, entry, draw["office_day"]))
        return {"channel": "sms", "recipient": entry["phone"], "body": text}

    def not_drawn_message(self, setup: OfficeSetup, service: ServiceSetup, entry: dict[str, Any],
                          draw: dict[str, Any], waiting: bool) -> dict[str, Any]:
        """"Not drawn this time", as `enqueue`'s arguments; says so when the person is now on the waiting list."""
        language = entry["language"]
        params = {"service": service.name(language), "day": self.draw_day(setup, entry, draw["office_day"]),
                  "office": setup.name, "name": entry["person_name"], "rank": entry["rank"]}
        subject = self._t(language, _("Not drawn this time: {service}, {day}"), **params)
        body = self._t(language, _("Hello {name},\n\nThe draw for {service} on {day} ({office}) has run. Your entry "
                                   "was number {rank} in the drawn order and was not drawn this time: no place was "
                                   "left that matched your times.\n"), **params)
        if waiting:
            body += "\n" + self._t(language, _("You are now on the waiting list for {service}, in the drawn order: if a "
                                               "place becomes free, we will write to you.\n"), **params)
        body += f"\n{self.entry_status_url(setup, entry)}\n"
        return {"channel": "email", "recipient": entry["email"], "subject": subject, "body": body}
