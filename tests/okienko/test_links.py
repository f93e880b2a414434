"""One public address for every link: QR codes, printed tickets, API answers and emails agree, a demo
on another port sends links to that port, and a server that would email an unreachable address
refuses to start (okienko/links.py, docs/configuration.md "The public address")."""

from __future__ import annotations

import asyncio
import contextlib
import email
import io
import os
import re
import subprocess
import sys
import time
from email import policy as email_policy
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import qrcode
import qrcode.image.svg

from okienko.links import PublicLinks, start_refusal
from okienko.settings import Settings, SettingsError, load_settings
from printers.decode import decode
from tests.okienko.booking.test_bookings import PERSON, book, text_of
from tests.conftest import DEMO_OFFICE, drop_everything, free_port, warsaw

TUESDAY = warsaw(2026, 12, 1, 9, 0)
LINK = re.compile(r"https?://\S+")


def links_in(message: Any) -> list[str]:
    return LINK.findall(text_of(message))


def qr_svg(data: str) -> bytes:
    """The tracking page's QR image as the server draws it, for `data`."""
    buffer = io.BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2).save(buffer)
    return buffer.getvalue()


# ---- the rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "base", "from_request"), [
    (Settings(public_url="https://kolejka.example.gov.pl/"), "https://kolejka.example.gov.pl", False),
    (Settings(public_url="https://kolejka.example.gov.pl", host="0.0.0.0"), "https://kolejka.example.gov.pl", False),
    (Settings(), "http://127.0.0.1:8000", False),
    (Settings(port=8110), "http://127.0.0.1:8110", False),
    (Settings(host="::1", port=8110), "http://[::1]:8110", False),
    (Settings(host="10.0.0.5"), "http://10.0.0.5:8000", False),
    (Settings(host="0.0.0.0"), "http://0.0.0.0:8000", True),
    (Settings(host="::"), "http://[::]:8000", True),
])
def test_the_public_address_is_the_configured_one_else_where_the_server_listens(settings, base, from_request) -> None:
    links = PublicLinks.from_settings(settings)
    assert (links.base, links.from_request) == (base, from_request)
    answered = links.for_request("http://10.0.0.5:8000/")
    assert answered.base == ("http://10.0.0.5:8000" if from_request else base)
    assert answered.ticket("abc") == f"{answered.base}/t/abc"


@pytest.mark.parametrize(("settings", "takes_bookings", "refused"), [
    (Settings(host="0.0.0.0"), True, True),
    (Settings(host="10.0.0.5"), True, True),
    (Settings(host="0.0.0.0"), False, False),
    (Settings(host="0.0.0.0", public_url="https://kolejka.example.gov.pl"), True, False),
    (Settings(host="127.0.0.1"), True, False),
    (Settings(host="localhost"), True, False),
    (Settings(host="::1"), True, False),
])
def test_only_a_server_that_would_email_an_unreachable_address_is_refused(settings, takes_bookings, refused) -> None:
    assert (start_refusal(settings, takes_bookings) is not None) == refused


def test_a_public_url_that_is_not_an_address_stops_the_start() -> None:
    with pytest.raises(SettingsError, match="OKIENKO_PUBLIC_URL"):
        load_settings({"OKIENKO_PUBLIC_URL": "kolejka.example.gov.pl"})
    assert load_settings({"OKIENKO_PUBLIC_URL": "https://kolejka.example.gov.pl"}).public_url


# ---- QR codes, paper, API and email agree -------------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("public_url", ["", "https://kolejka.example.gov.pl"])
async def test_qr_codes_printed_tickets_and_emails_give_the_same_address(office_factory, tmp_path: Path,
                                                                         public_url: str) -> None:
    paper = tmp_path / "lp0"
    office = await office_factory(TUESDAY, public_url=public_url,
                                  printer={"kind": "file", "path": str(paper), "profile": "TM-T88V"})
    # The test client asks as http://okienko.test: the links do not follow the request's host.
    base = public_url or "http://127.0.0.1:8000"
    ticket = (await office.take("A")).json()
    assert ticket["track_url"] == f"{base}/t/{ticket['id']}"
    assert decode(paper.read_bytes(), "TM-T88V").qr_data == [ticket["track_url"]]
    shown = await office.client.get(f"/t/{ticket['id']}/qr.svg")
    assert shown.status_code == 200 and shown.content == qr_svg(ticket["track_url"])
    followed = await office.client.get(f"/api/v1/tickets/{ticket['id']}")
    assert followed.json()["track_url"] == ticket["track_url"]

    booking = await book(office)
    await office.okienko.outbox.deliver_due()
    confirmation = [m for m in mails_to(office, PERSON["email"]) if booking["code"] in m["Subject"]][-1]
    assert links_in(confirmation) == [booking["manage_url"]]
    assert booking["manage_url"].startswith(f"{base}/book/manage/{booking['code']}?secret=")
    opened = await office.client.get(booking["manage_url"].removeprefix(base))
    assert opened.status_code == 200 and booking["code"] in opened.text


def mails_to(office: Any, address: str) -> list[Any]:
    return [m for m in emails_in(Path(office.settings.data_dir) / "mail") if m["To"] == address]


# ---- the command line ---------------------------------------------------------------------------

def command_env(**extra: str) -> dict[str, str]:
    """The environment of an `okienko` command with none of the address settings of the outer one."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("OKIENKO_HOST", "OKIENKO_PORT", "OKIENKO_PUBLIC_URL", "OKIENKO_CONFIG", "DATABASE_URL")}
    return {**env, "OKIENKO_LOG_LEVEL": "warning", **extra}


def wait_for(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} (waited {timeout} s)"
        time.sleep(0.05)
    return found


@contextlib.contextmanager
def answering(args: list[str], env: dict[str, str], folder: Path, port: int) -> Iterator[Path]:
    """`okienko ARGS` in a subprocess, waited for until it answers on `port`; its log file; stopped after."""
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "okienko_server.cli", *args], cwd=folder, env=env,
                                   stdout=output, stderr=output)

    def answers() -> bool:
        assert process.poll() is None, f"okienko {args[0]} exited:\n" + log.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(answers, 30, f"okienko {args[0]} did not answer")
        yield log
    finally:
        process.terminate()
        process.wait(timeout=15)


def emails_in(folder: Path) -> list[Any]:
    return [email.message_from_bytes(path.read_bytes(), policy=email_policy.default)
            for path in sorted(folder.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)]


def test_a_demo_on_another_port_emails_links_to_that_port(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = command_env(OKIENKO_DATA_DIR=str(tmp_path))
    with answering(["demo", "--port", str(port)], env, tmp_path, port) as log, \
            httpx.Client(base_url=base, timeout=15) as client:
        assert f"Okienko is at {base}/" in log.read_text()
        listing = client.get("/api/v1/slots", params={"service": "A"}).json()
        start = next(slot["start"] for day in listing["days"] for slot in day["slots"] if slot["free"])
        held = client.post("/api/v1/bookings", json={"service": "A", "start": start, "language": "en", **PERSON})
        assert held.status_code == 202, held.text
        mail = tmp_path / "mail"
        code_mail = wait_for(lambda: emails_in(mail), 15, "no code email")[0]
        code = re.search(r"\b(\d{6})\b", text_of(code_mail)).group(1)  # type: ignore[union-attr]
        booking = client.post(f"/api/v1/bookings/{held.json()['id']}/confirm", json={"code": code}).json()
        sent = wait_for(lambda: [m for m in emails_in(mail) if booking["code"] in m["Subject"]], 15,
                        "no confirmation email")
        assert links_in(sent[0]) == [booking["manage_url"]]
        assert booking["manage_url"].startswith(f"{base}/book/manage/{booking['code']}?")
        assert client.get(booking["manage_url"]).status_code == 200


@pytest.fixture
def office_loaded(database_url: str, tmp_path: Path) -> dict[str, str]:
    """A migrated database with the demo office (its services take bookings): the serve command's env."""
    asyncio.run(drop_everything(database_url))
    env = command_env(DATABASE_URL=database_url, OKIENKO_DATA_DIR=str(tmp_path), OKIENKO_SECRET_KEY="test")
    for command in (["migrate"], ["office", "load", str(DEMO_OFFICE)]):
        done = subprocess.run([sys.executable, "-m", "okienko_server.cli", *command], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    return env


def test_serving_every_interface_without_a_public_url_is_refused_while_booking_is_open(
        office_loaded: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    serve = ["serve", "--host", "0.0.0.0", "--port", str(port)]
    refused = subprocess.run([sys.executable, "-m", "okienko_server.cli", *serve], env=office_loaded,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("okienko: error: services take online bookings")
    assert f"links to http://0.0.0.0:{port}, which they cannot reach: set OKIENKO_PUBLIC_URL" in refused.stderr
    assert refused.stdout == ""
    # Told where visitors reach it, the same server starts.
    with answering(serve, {**office_loaded, "OKIENKO_PUBLIC_URL": "https://kolejka.example.gov.pl"}, tmp_path, port):
        pass
