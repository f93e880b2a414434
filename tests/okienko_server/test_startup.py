"""What a server process loads before its first answer: only what it needs (docs/benchmarks.md,
"Start-up"). Each library below is imported where it is first used; importing it with the app
again would put its load time back on every start."""

from __future__ import annotations

import subprocess
import sys

import pytest

# library → what needs it, and so loads it on first use
LOADED_ON_FIRST_USE = {
    "alembic": "a database not yet at the schema's head (okienko migrate, or serve's own check)",
    "argon2": "the first password set or checked",
    "asyncpg": "a PostgreSQL database (its driver loads it)",
    "sqlalchemy.dialects.postgresql": "a PostgreSQL database (its engine loads the dialect)",
    "smtplib": "the first email sent through an SMTP server",
    "jinja2": "the first page rendered (kiosks and boards reconnecting after a restart call the API first)",
    "babel.messages.pofile": "the first message translated into a language (its catalog is read then)",
    "holidays": "the first day checked for a public holiday (a ticket, a listing, or the booking warm-up)",
    "httpx": "the first SMS sent through the gateway",
    "escpos.capabilities": "a kiosk printer's configuration or the first slip printed",
    "printers.render": "the first slip printed",
    "qrcode": "the first QR code drawn (a ticket's tracking link, a booking code)",
    "PIL": "the first slip printed",
    "pydantic": "nothing the server runs: only sqlmodel, which brings it along",
    "sqlmodel": "the migrations written before issue 10 (their AutoString columns), when Alembic runs",
}


def modules_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statement`."""
    done = subprocess.run([sys.executable, "-c", f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"],
                          capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.split())


@pytest.fixture(scope="module")
def app_modules() -> set[str]:
    return modules_after("import okienko_server.app")


@pytest.mark.parametrize("module", sorted(LOADED_ON_FIRST_USE))
def test_importing_the_app_leaves_it_for_later(app_modules: set[str], module: str) -> None:
    assert module not in app_modules, f"{module} is imported with the app; only {LOADED_ON_FIRST_USE[module]} needs it"


def test_the_check_sees_a_module_that_is_loaded() -> None:
    assert "escpos.capabilities" in modules_after("import printers.render")
