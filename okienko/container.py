"""Everything one server process holds, built in one place and handed to the app and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from okienko.staff.auth import Authenticator, credentials_changed_hint
from okienko.staff.devices import DeviceAdmin, Heartbeats
from okienko.staff.management import StaffAdmin
from okienko.notify.booking_mail import Notifier
from okienko.hall.check_ins import KioskCheckIn
from okienko.clock import Clock, clock_for
from okienko.storage.db import Database
from okienko.hall.estimates import Estimator
from okienko.hall.events import events_after
from okienko.links import PublicLinks
from okienko.monitoring.metrics import Metrics
from okienko.monitoring.monitor import Monitoring
from okienko.live import LiveHub, broker_for
from okienko.i18n import Translator
from okienko.storage.locking import Locks
from okienko.office.directory import OfficeDirectory
from okienko.office.editing import OfficeEditor
from okienko.booking.call_centre import CallCentre
from okienko.booking.desk import OfficeBookings
from okienko.booking.online import OnlineBooking
from okienko.booking.staff_calendars import StaffFeeds
from okienko.office.closure_sources import ClosureSources
from okienko.office.days import OfficeDays
from okienko.office.events import OfficeEvents
from okienko.notify.caldav_push import CalendarPusher
from okienko.notify.outbox import OutboxSender
from okienko.notify.reminders import ReminderSweeper
from okienko.notify.ticket_sms import TicketSms
from okienko.hall.print_agents import AgentHub
from okienko.hall.printing import PrintService
from okienko.hall.front_door import Hall
from okienko.hall.queueing import TicketIssuer
from okienko.settings import Settings
from okienko.stats.events import EventStatistics
from okienko.stats.report import Statistics
from okienko.notify.transports import transports_for


@dataclass
class Okienko:
    settings: Settings
    clock: Clock
    db: Database
    locks: Locks
    offices: OfficeDirectory
    estimator: Estimator
    hall: Hall
    auth: Authenticator
    translator: Translator
    agents: AgentHub
    printing: PrintService
    live: LiveHub
    outbox: OutboxSender
    booking: OnlineBooking
    check_ins: KioskCheckIn
    links: PublicLinks
    heartbeats: Heartbeats
    devices: DeviceAdmin
    staff: StaffAdmin
    days: OfficeDays
    closures: ClosureSources      # closure calendars, polled (the back office's "Closures from a calendar")
    office_events: OfficeEvents   # information Saturdays (the back office's "Events")
    desk: OfficeBookings
    call_centre: CallCentre
    editor: OfficeEditor
    reminders: ReminderSweeper
    event_stats: EventStatistics
    stats: Statistics
    caldav: CalendarPusher        # booked visits written to the CalDAV calendars (docs/calendar.md)
    staff_feeds: StaffFeeds       # the staff calendar feeds' links
    metrics: Metrics              # this process's Prometheus metrics (docs/monitoring.md)
    monitoring: Monitoring        # readiness and the scrape

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> "Okienko":
        clock = clock or clock_for(settings.clock_start)
        db = Database.from_settings(settings)
        locks = Locks(db)
        estimator = Estimator(db, clock, settings.estimate_sample_size)
        translator = Translator()
        agents = AgentHub(db, clock)
        offices = OfficeDirectory(db, settings.office)

        async def load_events(office_id: int, after_seq: int) -> list[dict]:
            setup = await offices.by_id(office_id)
            async with db.read() as conn:
                return await events_after(conn, setup, after_seq, clock.now())

        live = LiveHub(broker_for(settings.broker_url, settings.database_url, settings.broker_namespace), load_events)
        transports = transports_for(settings)
        outbox = OutboxSender(db, locks, clock, transports, settings.outbox_poll_seconds)
        links = PublicLinks.from_settings(settings)
        notifier = Notifier(translator, links.base, settings.mail_from, settings.mail_from_name,
                            can_sms="sms" in transports)
        booking = OnlineBooking(db, locks, clock, offices, estimator, notifier, outbox, settings.secret_key,
                                live.publish, settings.slots_cache_seconds, send_hint=live.send_hint)
        live.on_hint(booking.hints.receive)   # "slot full" / "slot freed" from the other processes
        live.on_hint(offices.receive)         # "office loaded" from `okienko office load`
        heartbeats = Heartbeats(locks, clock)
        auth = Authenticator(db, on_device=heartbeats.beat)
        live.on_hint(auth.receive)            # a token taken away by `okienko device revoke`, `user disable`

        async def credentials_changed() -> None:
            auth.forget()   # this process at once; the others when the hint reaches them
            await live.send_hint(credentials_changed_hint())

        printing = PrintService(db, clock, agents, settings.print_timeout_seconds)
        check_ins = KioskCheckIn(locks, clock, estimator, live.publish, settings.check_in_wrong_codes_per_minute)
        hall = Hall(db, locks, clock, offices, estimator, TicketIssuer(locks, clock, estimator, live.publish),
                    printing, check_ins, translator, live.publish, live.send_hint,
                    sms=TicketSms(translator, can_sms="sms" in transports), sms_written=outbox.wake)
        days = OfficeDays(db, locks, clock, offices, notifier, outbox, live.broker, settings.secret_key,
                          places_changed=booking.places_changed, publish=live.publish)
        desk = OfficeBookings(db, locks, clock, notifier, outbox, settings.secret_key,
                              places_changed=booking.places_changed)
        caldav = CalendarPusher.from_settings(settings, db, locks, clock, offices, translator)
        if caldav.configured:
            outbox.also_wake(caldav.wake)
        metrics = Metrics()
        return cls(
            settings=settings, clock=clock, db=db, locks=locks, offices=offices, estimator=estimator,
            hall=hall, auth=auth, translator=translator, agents=agents, printing=printing, live=live,
            outbox=outbox, booking=booking, check_ins=check_ins, links=links, heartbeats=heartbeats,
            devices=DeviceAdmin(locks, clock, credentials_changed),
            staff=StaffAdmin(locks, clock, settings.secret_key, credentials_changed),
            days=days, desk=desk,
            closures=ClosureSources(db, locks, clock, offices, days, horizon_days=settings.closure_horizon_days,
                                    timeout=settings.closure_fetch_timeout_seconds,
                                    poll_seconds=settings.closure_poll_seconds),
            office_events=OfficeEvents(db, locks, clock, offices, notifier, outbox, live.broker, settings.secret_key,
                                       places_changed=booking.places_changed, publish=live.publish),
            call_centre=CallCentre(db, locks, clock, booking, desk, settings.call_centre_bookings_per_operator_per_day,
                                   settings.call_centre_lookups_per_operator_per_hour),
            editor=OfficeEditor(locks, clock, offices, live, notifier, outbox),
            reminders=ReminderSweeper(db, locks, clock, offices, notifier, written=outbox.wake),
            event_stats=EventStatistics(db, clock),
            stats=Statistics(db, locks, clock),
            caldav=caldav,
            staff_feeds=StaffFeeds(db, locks, clock, offices, translator),
            metrics=metrics,
            monitoring=Monitoring(db, clock, offices, live, metrics, settings.ready_outbox_stuck_seconds),
        )
