"""Everything one server process holds, built in one place and handed to the app and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from booking_api.auth import Authenticator
from booking_api.booking_mail import Notifier
from booking_api.check_ins import KioskCheckIn
from booking_api.clock import Clock, SystemClock
from booking_api.db import Database
from booking_api.estimates import Estimator
from booking_api.events import current_seq, events_after
from booking_api.links import PublicLinks
from booking_api.live import LiveHub, broker_for
from booking_api.i18n import LANGUAGES, Translator
from booking_api.locking import Locks
from booking_api.office import OfficeDirectory
from booking_api.online_booking import OnlineBooking
from booking_api.outbox import OutboxSender
from booking_api.print_agents import AgentHub
from booking_api.printing import PrintService
from booking_api.queueing import TicketIssuer
from booking_api.settings import Settings
from booking_api.transports import transports_for

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "booking_api" / "templates", ROOT / "kiosk" / "templates", ROOT / "console" / "templates",
                 ROOT / "display_board" / "templates", ROOT / "booking_site" / "templates"]


@dataclass
class Okienko:
    settings: Settings
    clock: Clock
    db: Database
    locks: Locks
    offices: OfficeDirectory
    estimator: Estimator
    issuer: TicketIssuer
    auth: Authenticator
    translator: Translator
    agents: AgentHub
    printing: PrintService
    live: LiveHub
    outbox: OutboxSender
    booking: OnlineBooking
    check_ins: KioskCheckIn
    templates: jinja2.Environment
    links: PublicLinks

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> "Okienko":
        clock = clock or SystemClock()
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

        live = LiveHub(broker_for(settings.broker_url, settings.database_url), load_events)
        transports = transports_for(settings)
        outbox = OutboxSender(db, locks, clock, transports, settings.outbox_poll_seconds)
        links = PublicLinks.from_settings(settings)
        notifier = Notifier(translator, links.base, settings.mail_from, settings.mail_from_name,
                            can_sms="sms" in transports)
        booking = OnlineBooking(db, locks, clock, offices, estimator, notifier, outbox, settings.secret_key,
                                live.publish, settings.slots_cache_seconds, send_hint=live.send_hint)
        live.on_hint(booking.hints.receive)   # "slot full" / "slot freed" from the other processes
        live.on_hint(offices.receive)         # "office loaded" from `okienko office load`
        return cls(
            settings=settings, clock=clock, db=db, locks=locks, offices=offices, estimator=estimator,
            issuer=TicketIssuer(locks, clock, estimator, live.publish), auth=Authenticator(db),
            translator=translator, agents=agents,
            printing=PrintService(db, clock, agents, settings.print_timeout_seconds), live=live,
            outbox=outbox, booking=booking,
            check_ins=KioskCheckIn(locks, clock, estimator, live.publish,
                                   settings.check_in_wrong_codes_per_minute),
            templates=_templates(translator), links=links,
        )

    async def current_seq(self, office_id: int) -> int:
        async with self.db.read() as conn:
            return await current_seq(conn, office_id)


def _templates(translator: Translator) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=jinja2.select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        enable_async=False,
    )
    env.install_gettext_callables(translator.jinja_gettext, translator.jinja_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["LANGUAGES"] = LANGUAGES
    return env
