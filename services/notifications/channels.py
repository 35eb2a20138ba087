"""How a delivery leaves: email by SMTP (or into a maildir), webhooks by signed HTTP POST.

Each channel makes one attempt and says how it went (`Outcome`); it never records anything:
the dispatcher records the outcome on the delivery after the attempt. A crash between the two
repeats the attempt once on restart; receivers recognise the repeat by the Message-ID or the
`webhook-id` header, which are the delivery's id.

Libraries: `aiosmtplib` (maintained asyncio SMTP client with STARTTLS and AUTH) and
`standardwebhooks` (the Standard Webhooks signature scheme: HMAC-SHA-256 over id, timestamp
and body, the timestamp in a header), so a receiver verifies with an off-the-shelf library in
its own language rather than with code we would have to document byte by byte.
"""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from email.utils import format_datetime
from importlib.metadata import version
from pathlib import Path
from typing import Protocol

import aiosmtplib
import httpx
from standardwebhooks import Webhook

from services.notifications.application import NotificationsApplication, Outcome
from services.notifications.domain import Delivery
from services.notifications.egress import RefusedAddress
from shared.kernel import clock
from shared.platform.secrets import private_dir
from shared.platform.settings import MailSettings
from shared.platform.threads import run_sync


class Channel(Protocol):
    async def attempt(self, delivery: Delivery) -> Outcome: ...

    async def close(self) -> None: ...


def compose(delivery: Delivery) -> EmailMessage:
    """The email as planned: every header and the text were fixed when it was queued."""
    content = delivery.content
    message = EmailMessage()
    message["From"] = content["from"]
    message["To"] = content["to"]
    message["Reply-To"] = content["reply_to"]
    message["Subject"] = content["subject"]
    message["Message-ID"] = content["message_id"]
    message["Date"] = format_datetime(clock.now())
    message["X-Complaints-Case"] = delivery.case_number
    message["X-Complaints-Event"] = delivery.event_id
    message.set_content(content["body"])
    message["Content-Language"] = content["language"]  # after: set_content clears Content-*
    return message


class SmtpChannel:
    """Sends through the configured SMTP server; a 5xx refusal is permanent (parked at once)."""

    def __init__(self, mail: MailSettings) -> None:
        password_file = mail.smtp_password_file
        self.mail = mail
        self.password = password_file.read_text().strip() if password_file else None

    async def attempt(self, delivery: Delivery) -> Outcome:
        s = self.mail
        try:
            _, reply = await aiosmtplib.send(
                compose(delivery),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=self.password,
                start_tls=s.smtp_starttls,
                timeout=s.attempt_timeout_seconds,
            )
        except aiosmtplib.SMTPResponseException as error:
            return Outcome(False, error.code, error.message, permanent=error.code >= 500)
        except (aiosmtplib.SMTPException, OSError) as error:
            return Outcome(False, None, f"{type(error).__name__}: {error}")
        return Outcome(True, 250, reply)

    async def close(self) -> None:
        return None


class MaildirChannel:
    """The embedded default: each email becomes a file of a local maildir (`var/mail`), so
    the system can be tried without a mail server, and read with any mail client."""

    def __init__(self, folder: Path) -> None:
        private_dir(folder)
        for part in ("tmp", "new", "cur"):  # `Maildir(create=True)` skips an existing folder's
            private_dir(folder / part)
        self.folder = folder

    async def attempt(self, delivery: Delivery) -> Outcome:
        def store() -> str:
            return mailbox.Maildir(self.folder, create=False).add(compose(delivery))

        try:
            key = await run_sync(store)
        except OSError as error:
            return Outcome(False, None, f"{type(error).__name__}: {error}")
        return Outcome(True, None, f"stored as {key}")

    async def close(self) -> None:
        return None


#: Who calls, as receivers' logs and firewalls see it (not the HTTP library's own name).
USER_AGENT = f"complaints-webhooks/{version('complaints')}"


class WebhookChannel:
    """POSTs the integration event, signed with the subscription's secret.

    Each attempt is bounded by the attempt timeout, and the dispatcher bounds how many
    attempts one subscription has in flight, so a slow or dead receiver holds only its own.
    """

    def __init__(self, app: NotificationsApplication, timeout: float) -> None:
        self.app = app
        # No connection is kept: connections are opened to an address (`_post`), and two
        # receivers' names on one address must not share a TLS session verified for one.
        self.client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": USER_AGENT},
        )

    async def attempt(self, delivery: Delivery) -> Outcome:
        webhooks = await run_sync(self.app.webhooks)
        subscription = webhooks.subscriptions.get(delivery.recipient)
        if subscription is None:
            return Outcome(False, None, "the subscription was deleted", permanent=True)
        if subscription.paused:
            return Outcome(False, None, "the subscription is paused", permanent=True)
        body = delivery.content["body"]
        now = clock.now()
        signature = " ".join(
            Webhook(secret).sign(str(delivery.id), now, body)
            for secret in subscription.signing_secrets(now)
        )
        headers = {
            "Content-Type": "application/json",
            "webhook-id": str(delivery.id),
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
            "X-Complaints-Event-Type": delivery.event_type,
        }
        return await self._post(subscription.url, body, headers)

    async def _post(self, target: str, body: str, headers: dict[str, str]) -> Outcome:
        """POST to the URL's host at an address the egress rules allow (`egress`)."""
        try:
            url = httpx.URL(target)
        except httpx.InvalidURL as error:
            return Outcome(False, None, f"InvalidURL: {error}", permanent=True)
        host = url.raw_host.decode("ascii")
        try:
            addresses = await self.app.egress.addresses(host, url.port or _PORTS[url.scheme])
        except RefusedAddress as refused:
            return Outcome(False, None, str(refused), permanent=True)
        except OSError as error:
            return Outcome(False, None, f"{host} does not resolve: {error}")
        # Connect to the addresses just checked, in turn; the receiver still sees its own
        # name in `Host` and in TLS (SNI and the certificate check).
        headers["Host"] = url.netloc.decode("ascii")
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        failure = Outcome(False, None, f"{host} resolves to no address")
        for address in addresses:
            try:
                request = self.client.stream(
                    "POST",
                    url.copy_with(host=address),
                    content=body,
                    headers=headers,
                    extensions=extensions,
                )
                async with request as response:
                    answer = await _beginning(response)
            except httpx.ConnectError as error:
                failure = Outcome(False, None, f"ConnectError ({address}): {error}")
                continue
            except httpx.HTTPError as error:
                return Outcome(False, None, f"{type(error).__name__}: {error}")
            return Outcome(200 <= response.status_code < 300, response.status_code, answer)
        return failure

    async def close(self) -> None:
        await self.client.aclose()


_PORTS = {"http": 80, "https": 443}


async def _beginning(response: httpx.Response, size: int = 200) -> str:
    """The first bytes of a receiver's answer, for the log; never more, whatever it sends."""
    head = b""
    async for chunk in response.aiter_bytes():
        head += chunk
        if len(head) >= size:
            break
    return head[:size].decode("utf-8", "replace")


def email_channel(mail: MailSettings) -> Channel:
    if mail.smtp_host:
        return SmtpChannel(mail)
    return MaildirChannel(mail.maildir)
