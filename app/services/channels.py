"""The two ways out: SMS through Aliyun's official SDK (alibabacloud-dysmsapi20170525), e-mail over SMTP
(the standard library's smtplib). Each sends one message or raises `SendError` with what went wrong;
neither reads the database nor decides whether to send (services/outbox.py does)."""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from app.config import Settings
from app.domain import delivery as D

CONNECT_TIMEOUT_MS = 5_000
READ_TIMEOUT_MS = 10_000
SMTP_TIMEOUT_S = 15


class SendError(Exception):
    """A try that failed: `str(exc)` says why (kept as the delivery's last error)."""


def _sms_client(settings: Settings):
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    return Client(Config(access_key_id=settings.sms_access_key_id,
                         access_key_secret=settings.sms_access_key_secret,
                         endpoint=settings.sms_endpoint, protocol=settings.sms_protocol,
                         connect_timeout=CONNECT_TIMEOUT_MS, read_timeout=READ_TIMEOUT_MS))


def send_sms(settings: Settings, phone: str, text: str, kind: str) -> str:
    """Send one SMS with the template for `kind` (or the default one) and ${text}; returns the BizId."""
    from alibabacloud_dysmsapi20170525.models import SendSmsRequest

    template = settings.sms_templates.get(kind) or settings.sms_template_code
    request = SendSmsRequest(phone_numbers=phone, sign_name=settings.sms_sign_name, template_code=template,
                             template_param=json.dumps({"text": D.shorten(text, D.SMS_TEXT_MAX)},
                                                       ensure_ascii=False))
    try:
        response = _sms_client(settings).send_sms(request)
    except Exception as exc:  # the SDK raises its own kinds (client, server, network): all are a failed try
        code = getattr(exc, "code", None)
        message = getattr(exc, "message", None) or str(exc)
        raise SendError(f"{code}: {message}" if code else f"{type(exc).__name__}: {message}") from exc
    body = response.body
    if body is None or body.code != "OK":
        raise SendError(f"{getattr(body, 'code', None)}: {getattr(body, 'message', None)}")
    return body.biz_id or ""


def send_email(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text e-mail through the configured SMTP server."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content(body)
    try:
        if settings.smtp_ssl:
            server = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S)
        with server:
            if settings.smtp_starttls and not settings.smtp_ssl:
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                server.login(settings.smtp_user, settings.smtp_password)
            server.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from exc
