"""Everything one server process holds, built in one place and handed to the app and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from booking_api.auth import Authenticator
from booking_api.clock import Clock, SystemClock
from booking_api.db import Database
from booking_api.estimates import Estimator
from booking_api.i18n import LANGUAGES, Translator
from booking_api.locking import Locks
from booking_api.office import OfficeDirectory
from booking_api.print_agents import AgentHub
from booking_api.printing import PrintService
from booking_api.queueing import TicketIssuer
from booking_api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "booking_api" / "templates", ROOT / "kiosk" / "templates", ROOT / "display_board" / "templates"]


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
    templates: jinja2.Environment

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> "Okienko":
        clock = clock or SystemClock()
        db = Database.from_settings(settings)
        locks = Locks(db)
        estimator = Estimator(db, clock, settings.estimate_sample_size)
        translator = Translator()
        agents = AgentHub(db, clock)
        return cls(
            settings=settings, clock=clock, db=db, locks=locks,
            offices=OfficeDirectory(db, settings.office), estimator=estimator,
            issuer=TicketIssuer(locks, clock, estimator), auth=Authenticator(db), translator=translator,
            agents=agents, printing=PrintService(db, clock, agents, settings.print_timeout_seconds),
            templates=_templates(translator),
        )


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
