"""How outbox messages leave the server: SMTP (or a folder of .eml files), and an SMS gateway.

Email goes out as text with, where there is one, the booking's calendar entry as a
`text/calendar; method=REQUEST|CANCEL` part (what Google and Outlook act on) and as a
`text/calendar` .ics attachment. Every email has a `Date:` (RFC 5322 requires one): the moment
the message was written, with the change it reports. With no SMTP server configured (the demo), emails are written to a folder instead.
"""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage
from datetime import datetime, timezone
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from okienko.notify.outbox import Message, Transport
from okienko.notify.sms import for_sms, request_body
from okienko.settings import Settings


def email_of(message: Message, sender: str, sender_name: str) -> EmailMessage:
    """The message as an email: plain text, plus the calendar entry where it has one."""
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name, sender))
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime((message.created_at or datetime.now(timezone.utc)).astimezone(timezone.utc))
    mail["Message-ID"] = make_msgid(idstring=message.id, domain=sender.partition("@")[2] or "okienko.invalid")
    mail.set_content(message.body)
    if message.calendar:
        method = message.calendar_method or "REQUEST"
        mail.add_alternative(message.calendar.decode("utf-8"), subtype="calendar", params={"method": method})
        mail.add_attachment(message.calendar.decode("utf-8"), subtype="calendar", params={"method": method},
                            filename="invite.ics" if method == "REQUEST" else "cancel.ics")
    return mail


class SmtpTransport:
    def __init__(self, host: str, port: int, security: str, user: str, password: str, sender: str,
                 sender_name: str, timeout: float = 20.0) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self.password = user, password
        self.sender, self.sender_name, self.timeout = sender, sender_name, timeout

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._send, email_of(message, self.sender, self.sender_name))

    def _send(self, mail: EmailMessage) -> None:
        import smtplib  # with the first email, not at start-up

        context = ssl.create_default_context()
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password)
            client.send_message(mail)


class FolderTransport:
    """Writes each email as `<id>.eml` into a folder: for the demo and for offices testing set-up."""

    def __init__(self, folder: Path, sender: str, sender_name: str) -> None:
        self.folder, self.sender, self.sender_name = folder, sender, sender_name

    async def send(self, message: Message) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        mail = email_of(message, self.sender, self.sender_name)
        # Written aside, then renamed: whoever reads the folder sees a whole email or none.
        written = self.folder / f".{message.id}.eml.part"
        written.write_bytes(mail.as_bytes())
        written.replace(self.folder / f"{message.id}.eml")


class HttpSmsTransport:
    """Posts each SMS to the office's gateway in the request format the settings describe
    (okienko/notify/sms.py): the body template, its content type and an authentication header."""

    def __init__(self, url: str, headers: dict[str, str], body: str, content_type: str,
                 timeout: float = 10.0) -> None:
        self.url, self.headers, self.body, self.content_type, self.timeout = url, headers, body, content_type, timeout

    async def send(self, message: Message) -> None:
        import httpx  # here, not with the module: a server without an SMS gateway never needs it

        content = request_body(self.body, self.content_type, to=message.recipient, text=for_sms(message.body),
                               message_id=message.id)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(self.url, content=content.encode("utf-8"),
                                         headers={**self.headers, "Content-Type": self.content_type})
            response.raise_for_status()


def sms_headers(settings: Settings) -> dict[str, str]:
    """The gateway's authentication header: `sms_gateway_auth_header`, else the bearer token."""
    if settings.sms_gateway_auth_header:
        name, _, value = settings.sms_gateway_auth_header.partition(":")
        return {name.strip(): value.strip()}
    return {"Authorization": f"Bearer {settings.sms_gateway_token}"} if settings.sms_gateway_token else {}


def transports_for(settings: Settings) -> dict[str, Transport]:
    """The email transport (SMTP, or the mail folder when no SMTP host is set) and SMS where configured."""
    email: Transport
    if settings.smtp_host:
        email = SmtpTransport(settings.smtp_host, settings.smtp_port, settings.smtp_security, settings.smtp_user,
                              settings.smtp_password, settings.mail_from, settings.mail_from_name)
    else:
        email = FolderTransport(Path(settings.data_dir) / "mail", settings.mail_from, settings.mail_from_name)
    found: dict[str, Transport] = {"email": email}
    if settings.sms_gateway_url:
        found["sms"] = HttpSmsTransport(settings.sms_gateway_url, sms_headers(settings), settings.sms_gateway_body,
                                        settings.sms_gateway_content_type)
    return found
