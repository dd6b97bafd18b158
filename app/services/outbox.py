"""The outbox (发送队列): sending what waits in `delivery`, run by the jobs, never by a request.

One delivery at a time: read what is due, then for each one check again that its person still has the
channel on (and that the service offers it), claim it with a conditional UPDATE that counts the try
and moves its next try past the claim (committed: no lock is held while the message travels), send it,
and record the answer: sent, or pending again after the backoff (`domain/delivery.after_failure`),
failed once the tries are used up. A message that was sent but whose answer was lost (the process
died) is tried again once the claim runs out: a person may rarely get a message twice, never lose one.

SMS waits out the quiet hours (21:00–08:00 Beijing time) without counting a try. The daily digest
gathers a person's digest deliveries into one e-mail, leaving out what they already read on the site
or received by SMS or e-mail.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from app.clock import utcnow
from app.config import Settings
from app.domain import delivery as D
from app.domain.people import mask_phone
from app.models import Delivery, Notification, NotificationSetting, User, Village
from app.services import channels
from app.services.access import Actor, require_admin
from app.services.notifications import OFF_REASON, channel_on
from app.services.pagination import Page, paginate

BATCH = 200
TIME_BUDGET_S = 240  # a run stops taking new deliveries after this long (the job's lease is 10 minutes)
CLAIM = timedelta(minutes=15)  # a claimed delivery whose answer was never recorded is tried again after this

NOT_OFFERED = {D.SMS: "短信未开通（没有配置阿里云短信的 AccessKey、签名和模板）",
               D.EMAIL: "邮件未开通（没有配置 SMTP 服务器和发件人）"}
NO_ADDRESS = "没有填写邮箱地址"
DISABLED = "账号已停用"
READ_ON_SITE = "已在网上看过"
GOT_ALREADY = "已通过短信或邮件收到"


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0  # tries that failed (retried later or given up)
    skipped: int = 0
    deferred: int = 0  # SMS held back by the quiet hours

    def text(self) -> str:
        return f"发出 {self.sent} 条，失败 {self.failed} 次，不发 {self.skipped} 条，夜间暂缓 {self.deferred} 条短信"


def _finish(session: Session, row: Delivery, **values) -> None:
    """Change a delivery nobody has claimed since it was read (a run that claimed it decides)."""
    session.execute(update(Delivery).where(Delivery.id == row.id, Delivery.state == D.PENDING,
                                           Delivery.attempts == row.attempts).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()


def _skip(session: Session, row: Delivery, reason: str) -> None:
    _finish(session, row, state=D.SKIPPED, next_attempt_at=None, last_error=reason)


def _claim(session: Session, row: Delivery, now: datetime, destination: str | None) -> int | None:
    """Count the try and hold the row for CLAIM; the try's number, or None when another run has it."""
    taken = session.execute(update(Delivery).where(
        Delivery.id == row.id, Delivery.state == D.PENDING, Delivery.attempts == row.attempts,
        Delivery.next_attempt_at <= now,  # not held by another run's claim, nor waiting out a backoff
    ).values(attempts=row.attempts + 1, next_attempt_at=now + CLAIM, destination=destination)
        .execution_options(synchronize_session=False))
    session.commit()
    return row.attempts + 1 if taken.rowcount == 1 else None


def _record(session: Session, ids: list[int], attempts: dict[int, int], error: str | None) -> None:
    """The answer of a try for these deliveries: sent, or the backoff / given up."""
    now = utcnow()
    if error is None:
        session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
            state=D.SENT, sent_at=now, next_attempt_at=None, last_error=None)
            .execution_options(synchronize_session=False))
    else:
        for delivery_id in ids:
            state, next_at = D.after_failure(attempts[delivery_id], now)
            session.execute(update(Delivery).where(Delivery.id == delivery_id).values(
                state=state, next_attempt_at=next_at, last_error=error[:300])
                .execution_options(synchronize_session=False))
    session.commit()


def _deliver_one(session: Session, settings: Settings, delivery_id: int, outcome: Outcome) -> None:
    found = session.execute(
        select(Delivery, Notification, User, NotificationSetting)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(User, User.id == Delivery.user_id)
        .outerjoin(NotificationSetting, NotificationSetting.user_id == Delivery.user_id)
        .where(Delivery.id == delivery_id).execution_options(populate_existing=True)
    ).first()
    session.commit()
    if found is None or found[0].state != D.PENDING:
        return
    row, note, user, setting = found
    now = utcnow()
    if row.next_attempt_at is None or row.next_attempt_at > now:
        return  # claimed by another run a moment ago, or not due any more
    if not channel_on(setting, row.channel):
        outcome.skipped += 1
        return _skip(session, row, OFF_REASON.format(D.CHANNELS[row.channel]))
    offered = settings.sms_enabled if row.channel == D.SMS else settings.email_enabled
    if not offered:
        outcome.skipped += 1
        return _skip(session, row, NOT_OFFERED[row.channel])
    if user.status == "disabled":
        outcome.skipped += 1
        return _skip(session, row, DISABLED)
    if row.channel == D.SMS:
        if D.in_quiet_hours(now):
            outcome.deferred += 1
            return _finish(session, row, next_attempt_at=D.sms_time(now))
        address, shown = user.phone, mask_phone(user.phone)
    else:
        if not setting.email_address:
            outcome.skipped += 1
            return _skip(session, row, NO_ADDRESS)
        address, shown = setting.email_address, D.mask_email(setting.email_address)
    attempt = _claim(session, row, now, shown)
    if attempt is None:
        return
    try:
        if row.channel == D.SMS:
            channels.send_sms(settings, address, note.text, D.kind_of(note.event_key))
        else:
            subject, body = D.email_message(note.text, note.link, settings.base_url)
            channels.send_email(settings, address, subject, body)
    except channels.SendError as exc:
        outcome.failed += 1
        return _record(session, [row.id], {row.id: attempt}, str(exc) or "发送失败")
    outcome.sent += 1
    _record(session, [row.id], {row.id: attempt}, None)


def deliver_due(session: Session, settings: Settings, *, limit: int = BATCH) -> Outcome:
    """Send the SMS and e-mail deliveries that are due now (at most `limit`), then retry the digests
    whose last try failed. What is not reached this time waits for the next run."""
    outcome = Outcome()
    started = _time.monotonic()
    due = session.execute(
        select(Delivery.id).where(Delivery.state == D.PENDING, Delivery.channel.in_((D.SMS, D.EMAIL)),
                                  Delivery.next_attempt_at <= utcnow())
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    ).scalars().all()
    session.commit()
    for delivery_id in due:
        if _time.monotonic() - started > TIME_BUDGET_S:
            break
        _deliver_one(session, settings, delivery_id, outcome)
    send_digests(session, settings, retries_only=True, outcome=outcome)
    return outcome


# --- the daily digest --------------------------------------------------------------------------------------


def send_digests(session: Session, settings: Settings, *, retries_only: bool = False,
                 outcome: Outcome | None = None) -> Outcome:
    """One e-mail per person with the digest deliveries due now (`retries_only`: only those whose last
    try failed, as the minute job retries them between two daily runs)."""
    outcome = outcome or Outcome()
    started = _time.monotonic()
    wanted = [Delivery.channel == D.DIGEST, Delivery.state == D.PENDING, Delivery.next_attempt_at <= utcnow()]
    if retries_only:
        wanted.append(Delivery.attempts > 0)
    people = session.execute(select(Delivery.user_id).where(*wanted).distinct().order_by(Delivery.user_id)
                             .limit(BATCH)).scalars().all()
    session.commit()
    for user_id in people:
        if _time.monotonic() - started > TIME_BUDGET_S:
            break
        _digest_one(session, settings, user_id, wanted, outcome)
    return outcome


def _digest_one(session: Session, settings: Settings, user_id: int, wanted: list, outcome: Outcome) -> None:
    user = session.get(User, user_id, populate_existing=True)
    setting = session.get(NotificationSetting, user_id, populate_existing=True)
    rows = session.execute(
        select(Delivery, Notification).join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.user_id == user_id, *wanted).order_by(Notification.created_at, Notification.id)
        .execution_options(populate_existing=True)
    ).all()
    got = set(session.execute(select(Delivery.notification_id).where(
        Delivery.notification_id.in_([n.id for _, n in rows]), Delivery.channel.in_((D.SMS, D.EMAIL)),
        Delivery.state == D.SENT)).scalars())
    session.commit()
    reason = (OFF_REASON.format(D.CHANNELS[D.DIGEST]) if not channel_on(setting, D.DIGEST)
              else NOT_OFFERED[D.EMAIL] if not settings.email_enabled
              else DISABLED if user.status == "disabled"
              else NO_ADDRESS if not setting.email_address else None)
    items = []
    for row, note in rows:
        why = reason or (READ_ON_SITE if note.read_at is not None else GOT_ALREADY if note.id in got else None)
        if why:
            outcome.skipped += 1
            _skip(session, row, why)
        else:
            items.append((row, note))
    if not items:
        return
    shown = D.mask_email(setting.email_address)
    attempts: dict[int, int] = {}
    for row, _ in items:
        attempt = _claim(session, row, utcnow(), shown)
        if attempt is not None:
            attempts[row.id] = attempt
    items = [(row, note) for row, note in items if row.id in attempts]
    if not items:
        return
    subject, body = D.digest_message([(n.created_at, n.text, n.link) for _, n in items], settings.base_url)
    try:
        channels.send_email(settings, setting.email_address, subject, body)
    except channels.SendError as exc:
        outcome.failed += 1
        return _record(session, list(attempts), attempts, str(exc) or "发送失败")
    outcome.sent += 1
    _record(session, list(attempts), attempts, None)


# --- the administrator's list ------------------------------------------------------------------------------


@dataclass
class DeliveryRow:
    id: int
    channel: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    person: str
    village: str | None
    destination: str  # masked


def deliveries(session: Session, actor: Actor | None, *, state: str | None = None, channel: str | None = None,
               page: int = 1, per_page: int = 50) -> Page[DeliveryRow]:
    """Every delivery, newest first, optionally of one state and one channel; for administrators only.
    Addresses are masked; the messages' words are not shown. Two queries per page."""
    require_admin(actor)
    stmt = (select(Delivery, User.name, User.phone, Village.name, NotificationSetting.email_address)
            .join(User, User.id == Delivery.user_id)
            .join(Notification, Notification.id == Delivery.notification_id)
            .outerjoin(Village, Village.id == Notification.village_id)
            .outerjoin(NotificationSetting, NotificationSetting.user_id == Delivery.user_id)
            .order_by(Delivery.id.desc()))
    if state in D.STATES:
        stmt = stmt.where(Delivery.state == state)
    if channel in D.CHANNELS:
        stmt = stmt.where(Delivery.channel == channel)
    result = paginate(session, stmt, page, per_page, scalars=False)
    rows = []
    for d, name, phone, village, address in result.items:
        current = mask_phone(phone) if d.channel == D.SMS else D.mask_email(address) if address else "—"
        rows.append(DeliveryRow(d.id, d.channel, d.state, d.attempts, d.created_at, d.next_attempt_at, d.sent_at,
                                d.last_error, name, village, d.destination or current))
    return Page(rows, result.total, result.page, result.per_page)


def counts(session: Session, actor: Actor | None) -> dict[str, int]:
    """How many deliveries are in each state (one grouped query)."""
    require_admin(actor)
    found = dict(session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())
    return {state: found.get(state, 0) for state in D.STATES}

