"""Channel adapters against real servers on loopback: aiosmtpd for email, http.server for webhooks."""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from fincrm.engagement.channels import (
    EmailChannel,
    InAppChannel,
    OutgoingMessage,
    PermanentChannelError,
    WebhookChannel,
)
from fincrm.errors import ExternalServiceError, InputError

SUBJECT = "王女士，生日快乐！"
BODY = "王女士，您好！\n\n今天是您的生日，祝您生日快乐，身体健康！\n\n客户经理 李明"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An SMTP handler that keeps every message and refuses mailboxes starting with ``nobody``."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if address.startswith("busy@"):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, collector
    finally:
        controller.stop()


def email_channel(controller) -> EmailChannel:
    return EmailChannel(controller.hostname, controller.port, "示范银行 <rm@demo-bank.cn>", timeout=5)


class TestEmailChannel:
    def test_delivers_utf8_message_with_key_as_message_id(self, smtp):
        controller, collector = smtp
        before = len(collector.envelopes)
        key = "msg-20250630-0001"
        provider_id = email_channel(controller).send(
            OutgoingMessage(key, "wang@example.com", BODY, subject=SUBJECT, lang="zh-CN")
        )
        assert provider_id == f"<{key}@demo-bank.cn>"
        (envelope,) = collector.envelopes[before:]
        assert envelope.mail_from == "rm@demo-bank.cn"
        assert envelope.rcpt_tos == ["wang@example.com"]
        mail = message_from_bytes(envelope.original_content, policy=default_policy)
        assert mail["Message-ID"] == provider_id
        assert mail["X-Fincrm-Idempotency-Key"] == key
        assert mail["Subject"] == SUBJECT
        assert mail["To"] == "wang@example.com"
        assert "示范银行" in str(mail["From"])
        assert mail["Content-Language"] == "zh-CN"
        assert mail.get_content_type() == "text/plain"
        assert mail.get_content_charset() == "utf-8"
        assert mail.get_content().strip() == BODY
        # The subject travels RFC 2047-encoded: Chinese survives any 7-bit hop.
        assert envelope.original_content.isascii()

    def test_resend_carries_the_same_message_id(self, smtp):
        controller, collector = smtp
        channel = email_channel(controller)
        message = OutgoingMessage("msg-resend-1", "wang@example.com", BODY, subject=SUBJECT)
        first, second = channel.send(message), channel.send(message)
        assert first == second
        ids = [
            message_from_bytes(e.original_content, policy=default_policy)["Message-ID"]
            for e in collector.envelopes[-2:]
        ]
        assert ids == [first, first]

    def test_refused_recipient_is_permanent(self, smtp):
        controller, collector = smtp
        before = len(collector.envelopes)
        with pytest.raises(PermanentChannelError, match="550"):
            email_channel(controller).send(OutgoingMessage("msg-2", "nobody@example.com", BODY, subject="x"))
        assert len(collector.envelopes) == before

    def test_temporary_refusal_is_retryable(self, smtp):
        controller, _ = smtp
        with pytest.raises(ExternalServiceError, match="450") as caught:
            email_channel(controller).send(OutgoingMessage("msg-3", "busy@example.com", BODY, subject="x"))
        assert not isinstance(caught.value, PermanentChannelError)

    def test_not_an_address_is_permanent_without_connecting(self):
        channel = EmailChannel("127.0.0.1", free_port(), "rm@demo-bank.cn", timeout=1)
        with pytest.raises(PermanentChannelError, match="not an email address"):
            channel.send(OutgoingMessage("msg-4", "wang.example.com", BODY))

    def test_closed_port_is_retryable(self):
        channel = EmailChannel("127.0.0.1", free_port(), "rm@demo-bank.cn", timeout=1)
        with pytest.raises(ExternalServiceError, match="could not send email") as caught:
            channel.send(OutgoingMessage("msg-5", "wang@example.com", BODY, subject=SUBJECT))
        assert not isinstance(caught.value, PermanentChannelError)


class Hook(BaseHTTPRequestHandler):
    """Answers by path; records (path, headers, JSON body) of every request."""

    requests: list = []

    def do_POST(self):  # noqa: N802 (http.server naming)
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        Hook.requests.append((self.path, dict(self.headers), body))
        path = self.path.split("?", 1)[0]
        if path.endswith("/slow"):
            time.sleep(1.0)
        status, reply = {
            "/sms/ok": (200, {"id": "gw-42"}),
            "/sms/noid": (200, "accepted"),
            "/sms/fail": (500, {"error": "down"}),
            "/sms/limited": (429, {"error": "slow down"}),
            "/sms/bad": (400, {"error": "bad number"}),
            "/sms/slow": (200, {"id": "late"}),
            "/wecom/ok": (200, {"errcode": 0, "errmsg": "ok"}),
            "/wecom/busy": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
            "/wecom/badkey": (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
        }.get(path, (404, {"error": "no such hook"}))
        data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, format, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def hook_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


SMS = OutgoingMessage("msg-sms-1", "13800138000", "王女士您好，您的季度资产诊断已准备好。")


class TestSmsWebhook:
    def test_ok_returns_gateway_id_and_posts_the_message(self, hook_url):
        channel = WebhookChannel(f"{hook_url}/sms/ok", "sms", "s3cret", timeout=5)
        assert channel.send(SMS) == "gw-42"
        path, headers, body = Hook.requests[-1]
        assert body == {"to": "13800138000", "text": SMS.body, "id": "msg-sms-1"}
        assert headers["Authorization"] == "Bearer s3cret"
        assert headers["Idempotency-Key"] == "msg-sms-1"

    def test_ok_without_id_returns_the_key(self, hook_url):
        assert WebhookChannel(f"{hook_url}/sms/noid", "sms", timeout=5).send(SMS) == "msg-sms-1"

    @pytest.mark.parametrize("path", ["/sms/fail", "/sms/limited"])
    def test_server_error_is_retryable(self, hook_url, path):
        with pytest.raises(ExternalServiceError, match="will retry") as caught:
            WebhookChannel(hook_url + path, "sms", timeout=5).send(SMS)
        assert not isinstance(caught.value, PermanentChannelError)

    def test_client_error_is_permanent(self, hook_url):
        with pytest.raises(PermanentChannelError, match="400"):
            WebhookChannel(f"{hook_url}/sms/bad", "sms", timeout=5).send(SMS)

    def test_timeout_is_retryable(self, hook_url):
        with pytest.raises(ExternalServiceError, match="did not answer") as caught:
            WebhookChannel(f"{hook_url}/sms/slow", "sms", timeout=0.2).send(SMS)
        assert not isinstance(caught.value, PermanentChannelError)

    def test_closed_port_is_retryable(self):
        with pytest.raises(ExternalServiceError) as caught:
            WebhookChannel(f"http://127.0.0.1:{free_port()}/sms", "sms", timeout=1).send(SMS)
        assert not isinstance(caught.value, PermanentChannelError)

    def test_bad_number_is_permanent_without_posting(self, hook_url):
        before = len(Hook.requests)
        with pytest.raises(PermanentChannelError, match="not a mobile number"):
            WebhookChannel(f"{hook_url}/sms/ok", "sms").send(OutgoingMessage("k", "wang@example.com", "x"))
        assert len(Hook.requests) == before


class TestWeComWebhook:
    def test_ok_posts_robot_text_message(self, hook_url):
        channel = WebhookChannel(f"{hook_url}/wecom/ok", "wecom", "robot-key", timeout=5)
        message = OutgoingMessage("msg-wc-1", "wang", "中秋快乐，花好月圆！")
        assert channel.send(message) == "msg-wc-1"
        path, _, body = Hook.requests[-1]
        assert body == {"msgtype": "text", "text": {"content": "中秋快乐，花好月圆！"}}
        assert path == "/wecom/ok?key=robot-key"

    def test_rate_limit_errcode_is_retryable(self, hook_url):
        with pytest.raises(ExternalServiceError, match="45009") as caught:
            WebhookChannel(f"{hook_url}/wecom/busy", "wecom", timeout=5).send(SMS)
        assert not isinstance(caught.value, PermanentChannelError)

    def test_other_errcode_is_permanent(self, hook_url):
        with pytest.raises(PermanentChannelError, match="93000"):
            WebhookChannel(f"{hook_url}/wecom/badkey", "wecom", timeout=5).send(SMS)

    def test_unknown_kind_is_rejected(self):
        with pytest.raises(InputError, match="sms or wecom"):
            WebhookChannel("http://127.0.0.1/", "fax")  # type: ignore[arg-type]


class TestInAppChannel:
    def test_returns_the_inbox_id(self):
        stored = []
        channel = InAppChannel(lambda m: stored.append(m) or f"inbox-{m.key}")
        assert channel.send(SMS) == "inbox-msg-sms-1"
        assert stored == [SMS]


class TestOutgoingMessage:
    def test_key_must_fit_a_message_id(self):
        with pytest.raises(InputError, match="idempotency key"):
            OutgoingMessage("rule:birthday:P001", "x@example.com", "b")
