"""Local stand-ins for the world outside, for the delivery tests: an HTTP endpoint that answers Aliyun's
SendSms as the real service does (JSON; the official SDK is pointed at it through CUNYI_SMS_ENDPOINT and
CUNYI_SMS_PROTOCOL=http), and a real SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmsCall:
    params: dict[str, str]
    headers: dict[str, str]

    @property
    def phone(self) -> str:
        return self.params.get("PhoneNumbers", "")

    @property
    def text(self) -> str:
        return json.loads(self.params.get("TemplateParam", "{}")).get("text", "")


# What the endpoint answers, by mode: (HTTP status, JSON body), as Aliyun's SendSms does.
ANSWERS = {
    "ok": (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}),
    "limit": (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1",
                    "RequestId": "F655A8D6"}),
    "denied": (404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                     "RequestId": "F655A8D7"}),
}


@dataclass
class SmsEndpoint:
    """A tiny SendSms endpoint on a loopback port: `mode` picks the answer; `calls` keeps each request."""

    mode: str = "ok"
    calls: list[SmsCall] = field(default_factory=list)
    port: int = 0
    delay: float = 0.0  # seconds before answering (a slow network)

    def start(self) -> SmsEndpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — the standard library's name
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                endpoint.calls.append(SmsCall(query, {k.lower(): v for k, v in self.headers.items()}))
                time.sleep(endpoint.delay)
                status, body = ANSWERS[endpoint.mode]
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def to(self, phone: str) -> list[SmsCall]:
        return [c for c in self.calls if c.phone == phone]


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on a loopback port, keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.port = free_port()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpInbox:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def body_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
