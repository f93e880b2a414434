"""Domain errors: a stable code for machines, an HTTP status, and a message in the user's language.

The message is an English msgid translated through the catalogs (okienko/locale) at the
edge, so domain code never knows which language the visitor reads.
"""

from __future__ import annotations

from typing import Any

from okienko.i18n import _

# code -> (HTTP status, English message). docs/api.md lists every code; a test checks both agree.
ERRORS: dict[str, tuple[int, str]] = {
    "malformed_request": (400, _("The request could not be read: {detail}")),
    "unknown_field": (400, _("This address does not take these fields: {names}. Check their names in the API documentation.")),
    "wrong_type": (400, _("The field “{field}” has a value of the wrong type (expected: {expected}).")),
    "body_too_large": (413, _("The request is too large: at most {kb} KB.")),
    "unknown_language": (400, _("This language is not available.")),
    "missing_token": (401, _("This device or user is not signed in: a bearer token is required.")),
    "invalid_token": (401, _("The token is not valid. Ask the office administrator for a new one.")),
    "forbidden": (403, _("This account is not allowed to do that.")),
    "not_found": (404, _("Nothing was found at this address.")),
    "ticket_not_found": (404, _("No such ticket. Please scan the QR code on your ticket again.")),
    "sms_not_offered": (409, _("This office does not send SMS messages: please follow your ticket on the screen in the hall or on this page.")),
    "ticket_not_waiting": (409, _("Ticket {number} is no longer waiting: an SMS can only be asked for while you wait.")),
    "too_many_phone_changes": (429, _("A phone number can be given at most {count} times for one ticket.")),
    "unknown_service": (404, _("There is no such service in this office.")),
    "unknown_office": (404, _("There is no such office.")),
    "unknown_window": (404, _("There is no window {window} in this office.")),
    "unknown_priority": (400, _("There is no such priority category.")),
    "method_not_allowed": (405, _("This address does not accept that method.")),
    "invalid_transition": (409, _("Ticket {number} is {status} and cannot be {action} now.")),
    "idempotency_conflict": (409, _("This request key was already used for a different request.")),
    "service_closed_today": (409, _("{service} is not available today.")),
    "service_not_open_yet": (409, _("{service} opens at {time}. Please come back then.")),
    "service_cutoff_passed": (409, _("No more tickets for {service} today: tickets are issued until {time}.")),
    "service_wait_past_closing": (409, _("No more tickets for {service} today: the people already waiting will take until closing at {time}.")),
    "daily_limit_reached": (409, _("No more tickets for {service} today: the daily limit has been reached.")),
    "numbers_exhausted": (409, _("All numbers for {service} are taken. Please try again in a few minutes.")),
    "booking_only": (409, _("{service} is by appointment only. Please book a visit online.")),
    "current_ticket_open": (409, _("Ticket {number} is still called to this window: start serving it or mark it as not present first.")),
    "not_at_this_window": (409, _("Ticket {number} was called to another window.")),
    "recall_first": (409, _("Call ticket {number} again first: it can be marked as not present after {count} recall(s).")),
    "window_taken": (409, _("Window {window} is already taken by another clerk.")),
    "window_not_held": (409, _("You are not signed in at window {window}. Choose your window again.")),
    "window_paused": (409, _("Window {window} is paused. Resume it to call the next visitor.")),
    "ticket_in_hand": (409, _("Ticket {number} is still at window {window}: return it to the queue or mark it as not present (or finish the visit) before leaving.")),
    "not_waiting_here": (409, _("Ticket {number} is not waiting in a queue of window {window}.")),
    "not_stranded": (409, _("Ticket {number} is not left at a window any more: it was returned, handed on or taken up again.")),
    "window_not_free": (409, _("Window {window} cannot take the ticket: nobody is signed in there, it is paused or a visitor is already there.")),
    "device_not_found": (404, _("There is no such kiosk or board in this office.")),
    "device_exists": (409, _("There is already a {kind} named “{name}” in this office.")),
    "invalid_device_name": (422, _("A device name has 1 to 100 letters, digits, spaces, dots, dashes or underscores.")),
    "unknown_user": (404, _("There is no user “{user}”.")),
    "user_exists": (409, _("The user name “{user}” is taken already.")),
    "invalid_username": (422, _("A user name has 1 to 100 letters, digits, dots, dashes, underscores or @, and starts with a letter or digit.")),
    "unknown_role": (422, _("There is no role “{role}”: choose one of {roles}.")),
    "admin_only": (403, _("Only an administrator may give the administrator role or change an administrator's account.")),
    "own_account": (409, _("You cannot disable your own account or change your own role: ask another manager or an administrator.")),
    "password_change_required": (403, _("Choose your own password first: open the clerk console.")),
    "login_failed": (401, _("Wrong user name or password.")),
    "account_locked": (429, _("Too many failed sign-ins. Try again in {minutes} min or ask an administrator.")),
    "csrf_failed": (403, _("This page has expired. Reload it and try again.")),
    "not_bookable": (409, _("{service} cannot be booked online.")),
    "bad_date_range": (400, _("The last day must not be before the first day.")),
    "date_range_too_long": (400, _("Ask for at most {days} days at a time.")),
    "outside_horizon": (409, _("This time cannot be booked now: visits can be booked from {first} to {last}.")),
    "closed_day": (409, _("The office is closed on {day}.")),
    "no_such_slot": (409, _("There is no visit at this time. Please choose a time from the list.")),
    "slot_full": (409, _("This time has just been taken. Please choose another one.")),
    "already_booked": (409, _("This person already has a booking for {service}. Cancel or move it instead.")),
    "case_already_booked": (409, _("This case number already has a booking for {service}. Cancel or move it instead.")),
    "unknown_case": (422, _("We cannot find this case number. Check it against the letter from the office.")),
    "no_booking": (409, _("Ticket {number} has no booking: there is no document to check.")),
    "invalid_details": (422, _("Some details are not right. Please check the marked fields.")),
    "rate_limited": (429, _("Too many attempts. Please try again in {minutes} min.")),
    "operator_limit": (429, _("You have reached your call-centre limit. Try again in {minutes} min or ask a manager.")),
    "identity_not_matched": (404, _("No booking with this code matches the caller's name, date of birth and document. Check them with the caller.")),
    "too_many_wrong_codes": (429, _("Too many wrong booking codes at this kiosk. Please wait {seconds} s and try again, or ask at the information desk.")),
    "booking_not_found": (404, _("No booking with this code. Please check the code and try again.")),
    "already_confirmed": (409, _("This booking is already confirmed. Its code is {booking}.")),
    "code_expired": (410, _("The time to confirm has passed and the place was released. Please book again.")),
    "code_attempts_used": (410, _("Too many wrong codes: the place was released. Please book again.")),
    "wrong_code": (422, _("Wrong code. Attempts left: {attempts}.")),
    "booking_not_active": (409, _("This booking is no longer active.")),
    "too_late_to_change": (409, _("A booking can be moved until {hours} hours before the visit.")),
    "too_late_to_cancel": (409, _("The visit has already started: it can no longer be cancelled.")),
    "same_slot": (409, _("The booking is already at this time.")),
    "waitlist_off": (409, _("This office has no waiting list.")),
    "already_waiting": (409, _("This person is already on the waiting list for {service}.")),
    "already_checked_in": (409, _("This booking has already been checked in: ticket {number}.")),
    "check_in_wrong_day": (409, _("Your visit is on {day} at {time}, not today.")),
    "check_in_too_early": (409, _("It is too early: your visit is at {time}. Please check in from {opens}.")),
    "check_in_too_late": (409, _("Your visit was at {time}: it is too late to check in. Please ask at the information desk.")),
    "draw_pending": (409, _("The places of {day} are given out by a draw. Enter the draw, or come back after it, at {time}.")),
    "draw_not_found": (404, _("There is no such draw.")),
    "draw_not_open": (409, _("This draw takes entries only from {opens} to {closes}.")),
    "already_entered": (409, _("This person has already entered the draw for {service} on {day}.")),
    "bad_preferences": (422, _("Give up to three time ranges in order, each from an earlier to a later time of the day (e.g. 08:00 to 10:00), or none for any time.")),
    "entry_not_found": (404, _("No such entry in a draw. Please use the link from your email.")),
    "office_invalid": (422, _("The office data is not valid: {detail}")),
    "bookings_cut_off": (409, _("Booked visits that lose their time with this change: {count}. Each person will be told in their language and may choose another time before the public can. Send the request again with “confirm”: true to go ahead.")),
    "service_has_waiting": (409, _("People are waiting for service {service} today ({waiting}): switching it off cancels their tickets. Send the request again with “confirm”: true to go ahead.")),
    "window_in_use": (409, _("A visitor is called to window {window} or served there: switch it off once the visit is over.")),
    "invalid_notice": (422, _("A notice is a text of at most 500 characters for each of the languages {languages}.")),
    "message_not_found": (404, _("There is no such message in this office.")),
    "message_not_failed": (409, _("This message has not failed: it was sent, or it is still being tried.")),
    "feed_not_found": (404, _("This calendar link is not valid: it was revoked or mistyped. Ask the office for a new one.")),
    "invalid_feed": (422, _("A calendar link is for a service (its code) or a window (its number).")),
    "closure_source_not_found": (404, _("There is no such closure calendar in this office.")),
    "closure_source_exists": (409, _("There is already a closure calendar named “{name}”: choose another name.")),
    "closure_source_invalid": (422, _("A closure calendar needs a name (at most 100 characters) and an http:// or https:// address of an .ics file or a CalDAV collection.")),
    "calendar_unreadable": (422, _("This file could not be read as an iCalendar (.ics) file: export the calendar again and choose the .ics file.")),
    "event_not_found": (404, _("There is no such event in this office.")),
    "event_exists": (409, _("There is already an event on {day}: change that one, or cancel it first.")),
    "event_cancelled": (409, _("This event is cancelled: it can no longer be changed or published.")),
    "event_on_closure": (409, _("The office is closed on {day}: remove the closure first.")),
    "event_date_invalid": (422, _("An event's date is a day after today, as YYYY-MM-DD.")),
    "event_hours_invalid": (422, _("An event's hours are HH:MM within the day, opening before closing (e.g. 08:00 to 15:00).")),
    "event_title_missing": (422, _("The event needs a title at least in {default}, the office's default language.")),
    "event_text_invalid": (422, _("Titles have at most {title} characters and descriptions at most {description}, in the languages {languages}.")),
    "event_service_invalid": (422, _("{service} is not a service of this office offered only at events (event-only).")),
    "event_booking_opens_invalid": (422, _("Booking opens at a date and time before the event starts ({start}), or leave it empty for walk-ins only.")),
    "too_many_events": (400, _("At most {most} events can be compared at once.")),
    "busy": (503, _("The system is very busy. Please try again in a moment.")),
}


class Refusal(Exception):
    """What an answer's `{"error", "message"}` is made from: a stable code (in ERRORS, documented in
    docs/api.md), its HTTP status, and message parameters."""

    code: str
    params: dict[str, Any]

    @property
    def http_status(self) -> int:
        return ERRORS[self.code][0]

    @property
    def message_id(self) -> str:
        return ERRORS[self.code][1]


class DomainError(Refusal):
    """A rule of the office was not met; carries a stable code and message parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in ERRORS:
            raise KeyError(f"undocumented error code {code!r}")
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.params!r})"


class Unavailable(Refusal):
    """The database cannot answer now: it is unreachable or restarting, or a lock wait ran too long.

    Answered `503 busy` with Retry-After on every route (a page, the API, a WebSocket closed with
    1013). It is deliberately not a DomainError: no rule of the office was broken, and a handler that
    turns a refusal into its own answer (a sign-in page for a bad token, "no such booking") must
    never take an outage for one. Whoever asks again with the same Idempotency-Key gets one ticket.
    """

    code = "busy"

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or self.code)
        self.reason = reason  # for the log, never for the visitor
        self.params = {}
