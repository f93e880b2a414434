"""The app, assembled explicitly in one factory: routes, middleware, lifespan, error handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, AsyncIterator, Coroutine

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

import back_office
import booking_site
import call_centre as call_centre_screen
import console
import display_board
import kiosk
from pages import public as public_pages, rendering
from booking_api import admin_office
from booking_api import admin_bookings
from booking_api import admin_messages
from booking_api import sms_reports
from booking_api import admin_days
from booking_api import admin_closures
from booking_api import admin_events
from booking_api import admin_devices
from booking_api import admin_staff
from booking_api import admin_today
from booking_api import admin_event_stats
from booking_api import admin_stats
from booking_api import agents
from booking_api import bookings
from booking_api import call_centre
from booking_api import clerks
from booking_api import draws
from booking_api import live_ws
from booking_api import monitoring
from booking_api import services
from booking_api import events
from booking_api import staff_feeds
from booking_api import system
from booking_api import tickets
from booking_api.http import domain_error_handler
from okienko.clock import Clock
from okienko.container import Okienko
from okienko.errors import DomainError, Unavailable
from okienko.logs import loggable
from okienko_server.request_log import RequestLog
from okienko_server.security_headers import SecurityHeaders
from okienko_server.web_fonts import font_routes
from okienko.settings import Settings, ensure_secret_key, load_settings
from back_office.pages import admin_routes
from call_centre.pages import call_centre_routes
from booking_site.pages import booking_routes
from console.pages import console_routes
from display_board.pages import board_routes
from kiosk.pages import kiosk_routes

log = logging.getLogger("okienko")
# Each screen's own templates, after the shared ones (pages/templates).
SCREEN_TEMPLATES = [Path(screen.__file__).parent / "templates"
                    for screen in (kiosk, console, display_board, booking_site, back_office, call_centre_screen)]
PRINTER_CHECK_SECONDS = 30.0
BOOKING_SWEEP_SECONDS = 30.0
STRANDED_SWEEP_SECONDS = 15.0
REMINDER_SWEEP_SECONDS = 60.0   # a reminder goes at most this long after its moment
CLOSURE_CHECK_SECONDS = 60.0     # how often the closure calendars due a poll are looked for
WORKERS_START_SECONDS = 1.0     # sweeps, printer checks, the outbox and the warm-up wait this long   # a ticket left at a window goes back within HOLD and this


PARTS = ("all", "hall", "public")


def routes(part: str = "all") -> list[Any]:
    """The app's routes; `part` serves only the hall's (kiosks, clerks, boards, printers) or only the
    public's (booking, the visitor's phone), so that a booking rush cannot slow the hall down
    (`okienko serve --part`, docs/configuration.md)."""
    common = [
        Route("/", public_pages.index, methods=["GET"]),
        Route("/favicon.ico", public_pages.favicon, methods=["GET"]),
        *font_routes(),   # Devanagari and Georgian for every page (okienko_server/web_fonts.py)
        Route("/accessibility", public_pages.accessibility_statement, methods=["GET"]),
        Route("/queue", public_pages.queue_page, methods=["GET"]),
        Route("/healthz", system.healthz, methods=["GET"]),
        Route("/readyz", monitoring.readyz, methods=["GET"]),     # docs/monitoring.md
        Route("/metrics", monitoring.metrics, methods=["GET"]),
        Route("/openapi.json", system.openapi, methods=["GET"]),
        Route("/api/v1/services", services.list_services, methods=["GET"]),
        Route("/api/v1/events", events.list_events, methods=["GET"]),
        Route("/calendar/events.ics", events.events_calendar, methods=["GET"]),
        Route("/calendar/staff/{feed_token}.ics", staff_feeds.staff_feed, methods=["GET"]),
        Route("/api/v1/sms/delivery-report", sms_reports.delivery_report, methods=["POST"]),  # every part
    ]
    hall = [
        Route("/api/v1/tickets", tickets.create_ticket, methods=["POST"]),
        Route("/api/v1/tickets/{ticket_id}/document-check", clerks.document_check, methods=["POST"]),
        Route("/api/v1/tickets/{ticket_id}/{action}", clerks.ticket_action, methods=["POST"]),
        Route("/api/v1/windows", clerks.list_windows, methods=["GET"]),
        Route("/api/v1/windows/{window}", clerks.get_window, methods=["GET"]),
        Route("/api/v1/windows/{window}/sign-in", clerks.sign_in_window, methods=["POST"]),
        Route("/api/v1/windows/{window}/sign-out", clerks.sign_out_window, methods=["POST"]),
        Route("/api/v1/windows/{window}/pause", clerks.pause_window, methods=["POST"]),
        Route("/api/v1/windows/{window}/call-next", clerks.call_next_visitor, methods=["POST"]),
        Route("/api/v1/windows/{window}/call", clerks.call_number, methods=["POST"]),
        Route("/api/v1/check-in", tickets.check_in, methods=["POST"]),
        Route("/api/v1/staff/bookings", bookings.staff_bookings, methods=["GET"]),
        # The back office (issue 11): a date's own hours and the office's side of bookings.
        Route("/api/v1/admin/days", admin_days.list_days, methods=["GET"]),
        Route("/api/v1/admin/days/{date}/preview", admin_days.preview_day, methods=["POST"]),
        Route("/api/v1/admin/days/{date}", admin_days.save_day, methods=["PUT"]),
        Route("/api/v1/admin/days/{date}", admin_days.remove_day, methods=["DELETE"]),
        Route("/api/v1/admin/closure-calendars", admin_closures.list_calendars, methods=["GET"]),
        Route("/api/v1/admin/closure-calendars", admin_closures.add_calendar, methods=["POST"]),
        Route("/api/v1/admin/closure-calendars/{id}/poll", admin_closures.poll_calendar, methods=["POST"]),
        Route("/api/v1/admin/closure-calendars/{id}", admin_closures.remove_calendar, methods=["DELETE"]),
        Route("/api/v1/admin/closure-import/preview", admin_closures.preview_import, methods=["POST"]),
        Route("/api/v1/admin/closure-import", admin_closures.apply_import, methods=["POST"]),
        Route("/api/v1/admin/bookings", admin_bookings.list_bookings, methods=["GET"]),
        Route("/api/v1/admin/bookings/{code}", admin_bookings.get_booking, methods=["GET"]),
        Route("/api/v1/admin/bookings/{code}/cancel", admin_bookings.cancel_booking, methods=["POST"]),
        Route("/api/v1/admin/bookings/{code}/move", admin_bookings.move_booking, methods=["POST"]),
        Route("/api/v1/admin/messages", admin_messages.list_messages, methods=["GET"]),
        Route("/api/v1/admin/messages/{id}/resend", admin_messages.resend_message, methods=["POST"]),
        # The call centre (issue 12): operators book and, after checking identity, move or cancel.
        Route("/api/v1/call-centre/slots", call_centre.list_slots, methods=["GET"]),
        Route("/api/v1/call-centre/bookings", call_centre.book, methods=["POST"]),
        Route("/api/v1/call-centre/draws/{draw_id}/entries", call_centre.enter_draw, methods=["POST"]),
        Route("/api/v1/call-centre/lookup", call_centre.lookup, methods=["POST"]),
        Route("/api/v1/call-centre/bookings/{code}/move", call_centre.move, methods=["POST"]),
        Route("/api/v1/call-centre/bookings/{code}/cancel", call_centre.cancel, methods=["POST"]),
        Route("/api/v1/board", live_ws.get_board, methods=["GET"]),
        Route("/api/v1/board/ticker", live_ws.set_ticker, methods=["PUT"]),
        Route("/api/v1/printers", system.list_printers, methods=["GET"]),
        Route("/api/v1/devices/heartbeat", admin_devices.heartbeat, methods=["POST"]),
        # The back office (managers: their own office; docs/security.md, "Who may do what").
        Route("/api/v1/admin/today", admin_today.get_today, methods=["GET"]),
        Route("/api/v1/admin/tickets/{ticket_id}/hand", admin_today.hand_ticket, methods=["POST"]),
        # Before any `/api/v1/admin/events/{id}`: "stats" is no event's id.
        Route("/api/v1/admin/events/stats", admin_event_stats.get_event_stats, methods=["GET"]),
        Route("/api/v1/admin/events/stats.csv", admin_event_stats.get_event_stats_csv, methods=["GET"]),
        Route("/api/v1/admin/stats", admin_stats.get_stats, methods=["GET"]),
        Route("/api/v1/admin/stats.csv", admin_stats.get_stats_csv, methods=["GET"]),
        Route("/api/v1/admin/stats.xlsx", admin_stats.get_stats_xlsx, methods=["GET"]),
        Route("/api/v1/admin/stats/charts/{chart}.svg", admin_stats.get_stats_chart, methods=["GET"]),
        Route("/api/v1/admin/devices", admin_devices.list_devices, methods=["GET"]),
        Route("/api/v1/admin/devices", admin_devices.add_device, methods=["POST"]),
        Route("/api/v1/admin/devices/{device_id}", admin_devices.rename_device, methods=["PUT"]),
        Route("/api/v1/admin/devices/{device_id}/revoke", admin_devices.revoke_device, methods=["POST"]),
        Route("/api/v1/admin/devices/{device_id}/enrol", admin_devices.enrol_device, methods=["POST"]),
        Route("/api/v1/admin/users", admin_staff.list_users, methods=["GET"]),
        Route("/api/v1/admin/users", admin_staff.add_user, methods=["POST"]),
        Route("/api/v1/admin/users/{username}", admin_staff.set_role, methods=["PUT"]),
        Route("/api/v1/admin/users/{username}/disable", admin_staff.disable_user, methods=["POST"]),
        Route("/api/v1/admin/users/{username}/enable", admin_staff.enable_user, methods=["POST"]),
        Route("/api/v1/admin/users/{username}/reset-password", admin_staff.reset_password, methods=["POST"]),
        Route("/api/v1/admin/users/{username}/unlock", admin_staff.unlock_user, methods=["POST"]),
        *admin_office_routes(),
        *admin_events_routes(),
        Route("/api/v1/admin/calendar-feeds", staff_feeds.list_feeds, methods=["GET"]),
        Route("/api/v1/admin/calendar-feeds", staff_feeds.add_feed, methods=["POST"]),
        Route("/api/v1/admin/calendar-feeds/{feed_id}/revoke", staff_feeds.revoke_feed, methods=["POST"]),
        WebSocketRoute("/ws/print-agent", agents.print_agent_socket),
        WebSocketRoute("/ws/board", live_ws.board_socket),
        WebSocketRoute("/ws/kiosk", live_ws.kiosk_socket),
        *kiosk_routes(),
        *console_routes(),
        *board_routes(),
        *admin_routes(),
        *call_centre_routes(),
    ]
    public = [
        Route("/api/v1/tickets/{ticket_id}", tickets.get_ticket, methods=["GET"]),
        Route("/api/v1/tickets/{ticket_id}/cancel", tickets.cancel_ticket, methods=["POST"]),
        Route("/api/v1/tickets/{ticket_id}/phone", tickets.set_ticket_phone, methods=["PUT"]),
        Route("/api/v1/tickets/{ticket_id}/phone", tickets.remove_ticket_phone, methods=["DELETE"]),
        Route("/api/v1/slots", bookings.list_slots, methods=["GET"]),
        Route("/api/v1/bookings", bookings.create_booking, methods=["POST"]),
        Route("/api/v1/bookings/{booking_id}/confirm", bookings.confirm_booking, methods=["POST"]),
        Route("/api/v1/bookings/{code}", bookings.get_booking, methods=["GET"]),
        Route("/api/v1/bookings/{code}/calendar.ics", bookings.booking_calendar_file, methods=["GET"]),
        Route("/api/v1/bookings/{code}/cancel", bookings.cancel_booking, methods=["POST"]),
        Route("/api/v1/bookings/{code}/reschedule", bookings.reschedule_booking, methods=["POST"]),
        Route("/api/v1/draws", draws.list_draws, methods=["GET"]),
        Route("/api/v1/draws/{draw_id}", draws.get_draw, methods=["GET"]),
        Route("/api/v1/draws/{draw_id}/entries", draws.enter_draw, methods=["POST"]),
        Route("/api/v1/draw-entries/{entry_id}", draws.get_entry, methods=["GET"]),
        Route("/api/v1/draw-entries/{entry_id}/confirm", draws.confirm_entry, methods=["POST"]),
        Route("/api/v1/draw-entries/{entry_id}/withdraw", draws.withdraw_entry, methods=["POST"]),
        Route("/api/v1/waiting-list", bookings.join_waiting_list, methods=["POST"]),
        Route("/api/v1/waiting-list/{entry_id}/leave", bookings.leave_waiting_list, methods=["POST"]),
        Route("/t/{ticket_id}", public_pages.tracking_page, methods=["GET"]),
        Route("/t/{ticket_id}/qr.svg", tickets.ticket_qr, methods=["GET"]),
        WebSocketRoute("/ws/ticket/{ticket_id}", live_ws.ticket_socket),
        *booking_routes(),
    ]
    # The public routes first: `/api/v1/tickets/{id}/cancel` must match before the clerks'
    # `/api/v1/tickets/{id}/{action}`.
    chosen = {"all": public + hall, "hall": hall, "public": public}[part]
    return [*common, *chosen, Mount("/static", app=StaticFiles(directory=rendering.STATIC), name="static")]


def admin_events_routes() -> list[Route]:
    """The back office's events, information Saturdays (booking_api/admin_events.py; docs/api.md)."""
    events = "/api/v1/admin/events"
    return [
        Route(events, admin_events.list_events, methods=["GET"]),
        Route(events, admin_events.create_event, methods=["POST"]),
        Route(f"{events}/{{id}}", admin_events.get_event, methods=["GET"]),
        Route(f"{events}/{{id}}", admin_events.update_event, methods=["PUT"]),
        Route(f"{events}/{{id}}/publish", admin_events.publish_event, methods=["POST"]),
        Route(f"{events}/{{id}}/cancel", admin_events.cancel_event, methods=["POST"]),
    ]


def admin_office_routes() -> list[Route]:
    """The back office's office set-up and audit log (booking_api/admin_office.py; docs/api.md)."""
    admin = "/api/v1/admin"
    return [
        Route(f"{admin}/office", admin_office.get_office, methods=["GET"]),
        Route(f"{admin}/office", admin_office.put_office, methods=["PUT"]),
        Route(f"{admin}/services", admin_office.add_service, methods=["POST"]),
        Route(f"{admin}/services/{{service}}", admin_office.put_service, methods=["PUT"]),
        Route(f"{admin}/services/{{service}}/switch-off", admin_office.switch_service_off, methods=["POST"]),
        Route(f"{admin}/services/{{service}}/switch-on", admin_office.switch_service_on, methods=["POST"]),
        Route(f"{admin}/windows", admin_office.add_window, methods=["POST"]),
        Route(f"{admin}/windows/{{window}}", admin_office.put_window, methods=["PUT"]),
        Route(f"{admin}/windows/{{window}}/switch-off", admin_office.switch_window_off, methods=["POST"]),
        Route(f"{admin}/windows/{{window}}/switch-on", admin_office.switch_window_on, methods=["POST"]),
        Route(f"{admin}/priorities", admin_office.add_priority, methods=["POST"]),
        Route(f"{admin}/priorities/{{priority}}", admin_office.put_priority, methods=["PUT"]),
        Route(f"{admin}/priorities/{{priority}}/switch-off", admin_office.switch_priority_off, methods=["POST"]),
        Route(f"{admin}/priorities/{{priority}}/switch-on", admin_office.switch_priority_on, methods=["POST"]),
        Route(f"{admin}/notices", admin_office.get_notices, methods=["GET"]),
        Route(f"{admin}/notices", admin_office.put_notices, methods=["PUT"]),
        Route(f"{admin}/audit", admin_office.get_audit, methods=["GET"]),
        Route(f"{admin}/audit.csv", admin_office.get_audit_csv, methods=["GET"]),
    ]


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               demo_links: list[dict[str, str]] | None = None, check_printers: bool = True) -> Starlette:
    """Build the ASGI app; nothing happens at import time."""
    settings = ensure_secret_key(settings or load_settings())
    okienko = Okienko.build(settings, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The background work starts a moment after the server: its first answers (a restart in
        # office hours, kiosks reconnecting) do not queue behind sweeps and printer checks.
        workers = [asyncio.create_task(_after_start(okienko.outbox.run())),
                   asyncio.create_task(_after_start(okienko.booking.run_sweeper(BOOKING_SWEEP_SECONDS))),
                   asyncio.create_task(_after_start(okienko.hall.run_sweeper(STRANDED_SWEEP_SECONDS))),
                   asyncio.create_task(_after_start(okienko.reminders.run(REMINDER_SWEEP_SECONDS)))]
        if settings.closure_poll_seconds > 0:
            workers.append(asyncio.create_task(_after_start(okienko.closures.run(
                min(CLOSURE_CHECK_SECONDS, settings.closure_poll_seconds)))))
        if check_printers:
            workers.append(asyncio.create_task(_after_start(_watch_printers(okienko))))
        if okienko.caldav.configured:
            workers.append(asyncio.create_task(_after_start(okienko.caldav.run())))
        await okienko.live.start(okienko.hall.current_seq)
        # Not awaited: the server answers while the first bookings are prepared (in a thread).
        workers.append(asyncio.create_task(_warm_up(okienko)))
        try:
            yield
        finally:
            await okienko.heartbeats.settled()
            await okienko.booking.hints.close()
            await okienko.live.stop()
            for worker in workers:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await okienko.db.dispose()
            okienko.metrics.process_ended()

    app = Starlette(
        routes=routes(settings.serve_part),
        # The request id and latency first, so that they cover everything else (docs/monitoring.md).
        middleware=[Middleware(RequestLog, metrics=okienko.metrics, access_lines=settings.log_format == "json"),
                    Middleware(SecurityHeaders)],
        lifespan=lifespan,
        # An unknown address: a page for a browser, JSON for the API (pages/public.py).
        # A database that cannot answer is `Unavailable` (db.py); any other database error that gets
        # this far is answered alike, never with a bare 500.
        exception_handlers={DomainError: domain_error_handler, HTTPException: public_pages.http_error_page,
                            Unavailable: rendering.busy_answer, SQLAlchemyError: rendering.busy_answer},
    )
    app.state.okienko = okienko
    app.state.templates = rendering.PageTemplates(okienko.translator, SCREEN_TEMPLATES)
    app.state.demo_links = demo_links or []
    return app


async def _after_start(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` once the server has had WORKERS_START_SECONDS to answer its first requests."""
    try:
        await asyncio.sleep(WORKERS_START_SECONDS)
    except asyncio.CancelledError:
        work.close()
        raise
    await work


async def _warm_up(okienko: Okienko) -> None:
    await asyncio.sleep(WORKERS_START_SECONDS)
    try:
        await okienko.booking.warm_up()
    except Unavailable as error:   # only a head start: the first bookings work it out otherwise
        log.warning("booking warm-up skipped: %s", loggable(error))
    except Exception:
        log.exception("booking warm-up failed")


async def _watch_printers(okienko: Okienko) -> None:
    while True:
        try:
            await okienko.printing.check_printers()
        except Unavailable as error:   # the database is away for a moment: one line (db.py logs the outage)
            log.warning("printer check skipped: %s", loggable(error))
        except Exception:  # a printer check must never stop the server
            log.exception("printer check failed")
        await asyncio.sleep(PRINTER_CHECK_SECONDS)
