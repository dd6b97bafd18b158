"""Rules of messages that leave the site (短信、邮件、每日汇总): the channels, when a delivery is tried
again, quiet hours for SMS, when the daily digest goes, what an address must look like and how it is
shown masked, and the words of a digest. Pure functions of the moment they are given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from app.domain.calendar import format_local, from_local, to_local

# --- channels and states ---------------------------------------------------------------------------

SMS = "sms"
EMAIL = "email"
DIGEST = "digest"
CHANNELS: dict[str, str] = {SMS: "短信", EMAIL: "邮件", DIGEST: "每日汇总"}

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
STATES: dict[str, str] = {PENDING: "待发送", SENT: "已发送", FAILED: "发送失败", SKIPPED: "未发送"}

# --- retries ---------------------------------------------------------------------------------------

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 5 minutes, doubled each time, at most 6 hours
    (5, 10, 20, 40, 80, 160, 320 minutes, then 6 hours)."""
    if attempts < 1:
        return timedelta(0)
    if attempts > 20:  # 2**20 × 5 minutes is far past the cap already
        return BACKOFF_CAP
    return min(BACKOFF_BASE * (2 ** (attempts - 1)), BACKOFF_CAP)


def after_failure(attempts: int, now: datetime) -> tuple[str, datetime | None]:
    """The state and the next try after the `attempts`-th try failed: pending again after the backoff,
    or failed for good once MAX_ATTEMPTS tries have failed."""
    if attempts >= MAX_ATTEMPTS:
        return FAILED, None
    return PENDING, now + backoff(attempts)


# --- quiet hours and the digest's hour (Beijing time) ----------------------------------------------

QUIET_FROM = time(21, 0)  # no SMS from 21:00 …
QUIET_UNTIL = time(8, 0)  # … until 08:00 Beijing time
DIGEST_HOUR = 18


def in_quiet_hours(now: datetime) -> bool:
    local = to_local(now).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def sms_time(now: datetime) -> datetime:
    """When an SMS may go: `now`, or 08:00 Beijing time when `now` falls in the quiet hours
    (21:00 up to 08:00): the same morning before 08:00, the next morning from 21:00."""
    if not in_quiet_hours(now):
        return now
    local = to_local(now)
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return from_local(datetime.combine(day, QUIET_UNTIL))


def next_digest_at(now: datetime, hour: int = DIGEST_HOUR) -> datetime:
    """The next daily digest at or after `now`: today's at `hour` o'clock Beijing time, or tomorrow's."""
    local = to_local(now)
    today = from_local(datetime.combine(local.date(), time(hour)))
    return today if today >= now else from_local(datetime.combine(local.date() + timedelta(days=1), time(hour)))


# --- addresses -------------------------------------------------------------------------------------

EMAIL_MAX = 254
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$")


def email_problem(address: str | None) -> str | None:
    """What is wrong with an e-mail address a person typed (in Chinese), or None."""
    address = (address or "").strip()
    if not address:
        return "请填写邮箱地址"
    if len(address) > EMAIL_MAX:
        return f"邮箱地址最多 {EMAIL_MAX} 个字符"
    if not _EMAIL.match(address) or ".." in address:
        return "邮箱地址格式不对，应像 zhangsan@example.com 这样"
    return None


def mask_email(address: str) -> str:
    """z*******@example.com: the first letter of the name, the domain in full."""
    name, _, domain = address.partition("@")
    if not domain:
        return "*" * len(address)
    return (name[:1] + "*" * max(len(name) - 1, 1)) + "@" + domain


# --- what is sent ----------------------------------------------------------------------------------

SMS_TEXT_MAX = 35  # an SMS template variable holds at most 35 characters


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind_of(event_key: str | None) -> str:
    """The kind of a message by its event key ("notice.publish:12:340" → "notice.publish")."""
    return event_key.split(":", 1)[0] if event_key else "other"


def link_for(base_url: str, link: str | None) -> str | None:
    """A message's link as an address to open from outside the site (None without a base address)."""
    if not link or not base_url or not link.startswith("/") or link.startswith("//"):
        return None
    return base_url.rstrip("/") + link


def email_message(text: str, link: str | None, base_url: str) -> tuple[str, str]:
    """Subject and body of one message by e-mail."""
    url = link_for(base_url, link)
    body = text + (f"\n\n查看：{url}" if url else "\n\n请登录村议查看。")
    return "村议消息：" + shorten(text, 40), body + FOOTER


def digest_message(items: Sequence[tuple[datetime, str, str | None]], base_url: str) -> tuple[str, str]:
    """Subject and body of a daily digest: each message with its Beijing time, oldest first."""
    lines = [f"你有 {len(items)} 条消息：", ""]
    for at, text, link in sorted(items, key=lambda item: item[0]):
        url = link_for(base_url, link)
        lines.append(f"· {format_local(at, '%m-%d %H:%M')} {text}" + (f"\n  {url}" if url else ""))
    return f"村议每日消息汇总（{len(items)} 条）", "\n".join(lines) + FOOTER


FOOTER = "\n\n——\n这封邮件由村议自动发出。不想再收到，请登录后在“消息 → 通知设置”里关闭。"

# --- fan-out ---------------------------------------------------------------------------------------

FRESH_FOR = timedelta(days=2)  # an event older than this when first read is no longer news
CLOSING_WITHIN = timedelta(hours=24)


def is_news(event_at: datetime, now: datetime) -> bool:
    return now - event_at <= FRESH_FOR
