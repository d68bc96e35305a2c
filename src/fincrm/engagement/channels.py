"""Channel adapters: hand one outgoing message to email, an SMS gateway, WeCom, or the in-app inbox.

Every adapter has ``send(message) -> str`` (the provider's message id) and fails in one of two
ways, so the outbox knows whether to try again:

* ``ExternalServiceError`` -- may succeed later (server down, timeout, 5xx, rate limit, a 4xx SMTP
  reply): retry with backoff.
* ``PermanentChannelError`` (a subclass: catch it first) -- will fail again (bad address, mailbox
  unknown, request refused with 4xx, content rejected): move to dead letters at once.

Resending is recognisable: the outbox idempotency key travels with every message (the email
``Message-ID``, the SMS ``id`` field and ``Idempotency-Key`` header).

No adapter reads settings or the clock; the caller builds them from ``Settings``.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Literal, Protocol

import httpx

from fincrm.errors import ExternalServiceError, FieldError, InputError

# Idempotency keys become the left part of a Message-ID (RFC 5322 dot-atom text), so only these.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+=-]{0,199}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9]{6,15}$")  # E.164 or a national number, digits only
# WeCom robot errcodes worth retrying: -1 system busy, 45009 / 45033 frequency or concurrency limit.
WECOM_RETRYABLE_ERRCODES = frozenset({-1, 45009, 45033})
DEFAULT_TIMEOUT_SECONDS = 10.0  # per connection attempt / HTTP request


class PermanentChannelError(ExternalServiceError):
    """The channel refused the message for a reason a retry will not fix (e.g. a bad address)."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message as the outbox hands it to a channel.

    ``key`` is the outbox idempotency key (letters, digits and ``. _ + = -``); ``to`` the address
    on that channel (email address, mobile number, WeCom user or the client's party number for
    in-app); ``subject`` is used by email only.
    """

    key: str
    to: str
    body: str
    subject: str = ""
    lang: str = "zh-CN"

    def __post_init__(self) -> None:
        if not KEY_PATTERN.match(self.key):
            raise InputError(
                f"idempotency key {self.key!r} must be 1-200 letters, digits or . _ + = - "
                "(it becomes the email Message-ID)",
                errors=[FieldError(("key",), "letters, digits and . _ + = - only", self.key)],
            )


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Deliver ``message``; return the provider's message id.

        Raises ``PermanentChannelError`` when a retry cannot help, ``ExternalServiceError`` when it may.
        """
        ...


class EmailChannel:
    """Email over SMTP (optionally STARTTLS and login), one connection per message."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        address = parseaddr(sender)[1]
        self.domain = address.rpartition("@")[2] or "fincrm.localhost"

    def message_id(self, key: str) -> str:
        return f"<{key}@{self.domain}>"

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """The MIME message: UTF-8 subject (RFC 2047) and body (base64), Message-ID from the key."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = self.message_id(message.key)
        mail["X-Fincrm-Idempotency-Key"] = message.key
        mail["Auto-Submitted"] = "auto-generated"
        # base64 keeps Chinese intact through servers without 8BITMIME. set_content drops any
        # Content-* header set before it, so Content-Language comes after.
        mail.set_content(message.body, charset="utf-8", cte="base64")
        mail["Content-Language"] = message.lang
        return mail

    def send(self, message: OutgoingMessage) -> str:
        address = parseaddr(message.to)[1]
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise PermanentChannelError(
                f"email message {message.key}: {message.to!r} is not an email address",
                errors=[FieldError(("to",), "not an email address", message.to)],
            )
        mail = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail, from_addr=parseaddr(self.sender)[1], to_addrs=[address])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
            error = PermanentChannelError if all(c >= 500 for c in codes) else ExternalServiceError
            raise error(f"SMTP server {self.host}:{self.port} refused the recipient ({detail})") from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            error = PermanentChannelError if exc.smtp_code >= 500 else ExternalServiceError
            raise error(
                f"SMTP server {self.host}:{self.port} refused message {message.key}: "
                f"{exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused or reset, timeout, TLS or login trouble: the server or our settings
            # may be fixed, so the outbox retries (and dead-letters after its last attempt).
            raise ExternalServiceError(
                f"could not send email {message.key} through {self.host}:{self.port}: {exc!r}; "
                "check the SMTP server and FINCRM_SMTP_* settings"
            ) from exc
        return self.message_id(message.key)


class WebhookChannel:
    """An HTTP webhook: an SMS gateway (``kind="sms"``) or a WeCom group robot (``kind="wecom"``).

    SMS posts ``{"to": phone, "text": body, "id": key}`` with ``Authorization: Bearer <token>`` and
    returns the gateway's ``id`` (or ``message_id``) from a JSON reply, else the key. WeCom posts
    the robot text message ``{"msgtype": "text", "text": {"content": body}}``; the token is the
    robot's ``key`` query parameter, and a 200 reply with a non-zero ``errcode`` is a failure.
    """

    def __init__(
        self,
        url: str,
        kind: Literal["sms", "wecom"],
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if kind not in ("sms", "wecom"):
            raise InputError(
                f"webhook kind {kind!r} is unknown; use sms or wecom",
                errors=[FieldError(("kind",), "use sms or wecom", kind)],
            )
        self.url = url
        self.kind = kind
        self.token = token
        self.timeout = timeout
        self.transport = transport

    def request(self, message: OutgoingMessage) -> tuple[dict, dict[str, str], dict[str, str]]:
        """JSON body, headers and query parameters for ``message``."""
        headers = {"Idempotency-Key": message.key}
        params: dict[str, str] = {}
        if self.kind == "sms":
            payload: dict = {"to": message.to, "text": message.body, "id": message.key}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
        else:
            payload = {"msgtype": "text", "text": {"content": message.body}}
            if self.token:
                params["key"] = self.token
        return payload, headers, params

    def send(self, message: OutgoingMessage) -> str:
        if self.kind == "sms" and not PHONE_PATTERN.match(message.to):
            raise PermanentChannelError(
                f"SMS message {message.key}: {message.to!r} is not a mobile number",
                errors=[FieldError(("to",), "digits with an optional leading +", message.to)],
            )
        payload, headers, params = self.request(message)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(self.url, json=payload, headers=headers, params=params)
        except httpx.TransportError as exc:  # timeouts, refused connections, broken responses
            raise ExternalServiceError(
                f"{self.kind} webhook {_safe(self.url)} did not answer message {message.key}: {exc!r}"
            ) from exc
        status = response.status_code
        if status >= 500 or status in (408, 429):
            raise ExternalServiceError(
                f"{self.kind} webhook {_safe(self.url)} answered {status} to message {message.key}; will retry"
            )
        if not 200 <= status < 300:
            raise PermanentChannelError(
                f"{self.kind} webhook {_safe(self.url)} refused message {message.key} with {status}: "
                f"{response.text[:200]}"
            )
        reply = _json(response)
        if self.kind == "wecom":
            errcode = reply.get("errcode", 0)
            if errcode:
                error = ExternalServiceError if errcode in WECOM_RETRYABLE_ERRCODES else PermanentChannelError
                raise error(
                    f"WeCom robot refused message {message.key}: errcode {errcode} {reply.get('errmsg', '')}"
                )
            return message.key
        provider_id = reply.get("id") or reply.get("message_id")
        return str(provider_id) if provider_id else message.key


class InAppChannel:
    """The in-app inbox: ``deliver`` stores the message (e.g. a row in the inbox table) and returns its id.

    Examples
    --------
    >>> inbox = []
    >>> channel = InAppChannel(lambda m: inbox.append(m) or f"inbox-{len(inbox)}")
    >>> channel.send(OutgoingMessage("k1", "P0001", "您的季度资产诊断已生成"))
    'inbox-1'
    """

    def __init__(self, deliver: Callable[[OutgoingMessage], str]) -> None:
        self.deliver = deliver

    def send(self, message: OutgoingMessage) -> str:
        return str(self.deliver(message))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _safe(url: str) -> str:
    """The URL without its query string, which may hold a token."""
    return url.split("?", 1)[0]


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
