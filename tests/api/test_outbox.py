"""The outbox on both engines: SMS through Aliyun's SDK pointed at a local SendSms endpoint, e-mail to a
real local SMTP server; a failed try waits out its backoff and is given up after the last; quiet hours
hold SMS until 08:00 Beijing time; nothing leaves for a channel its person turned off (checked again at
send time) or that the service does not offer; the daily digest gathers what did not reach its person
otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.clock import local_today, utcnow
from app.domain import delivery as D
from app.domain.people import mask_phone
from app.models import Delivery, Notification, NotificationSetting
from app.services import jobs, notifications, outbox
from tests.factories import Staff
from tests.outside import SmsEndpoint, SmtpInbox, body_of, free_port


@pytest.fixture
def sms():
    endpoint = SmsEndpoint().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def inbox():
    server = SmtpInbox().start()
    yield server
    server.stop()


def configured(settings, sms: SmsEndpoint | None = None, inbox: SmtpInbox | None = None, **extra):
    """The test settings with SMS pointed at the local endpoint and e-mail at the local SMTP server."""
    values = {"base_url": "https://cunyi.example.cn"}
    if sms is not None:
        values.update(sms_access_key_id="LTAI-test", sms_access_key_secret="secret", sms_sign_name="村议",
                      sms_template_code="SMS_100", sms_endpoint=f"127.0.0.1:{sms.port}", sms_protocol="http")
    if inbox is not None:
        values.update(smtp_host="127.0.0.1", smtp_port=inbox.port, smtp_starttls=False, smtp_from="cunyi@example.cn")
    return settings.model_copy(update={**values, **extra})


@pytest.fixture
def noon(clock):
    """Noon Beijing time today: outside the SMS quiet hours, before the digest."""
    clock.on_day(local_today(), hour=12)
    return clock


def choose(db, user, **channels) -> None:
    db.merge(NotificationSetting(user_id=user.id, **channels))
    db.commit()


def mine(db, user, channel: str) -> list[Delivery]:
    return list(db.execute(select(Delivery).where(Delivery.user_id == user.id, Delivery.channel == channel)
                           .order_by(Delivery.id).execution_options(populate_existing=True)).scalars())


def mail(user) -> str:
    """An address of this person's own: the tests share one outbox."""
    return f"zhangdaye{user.id}@example.com"


def tell(db, user, village, text: str = "《村道硬化工程结算公示》已发布", link: str | None = "/v/x/notices/1"):
    note = notifications.notify(db, user.id, village.id, text, link)
    db.commit()
    return note


# --- SMS ---------------------------------------------------------------------------------------------------


def test_an_sms_goes_through_the_official_sdk_to_the_configured_endpoint(world, db, settings, sms, noon):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    tell(db, s.villager, s.village, "表决开始了：是否同意硬化村东头道路？（2026-12-06 18:00 截止）")
    done = outbox.deliver_due(db, configured(settings, sms))
    assert done.sent >= 1
    [call] = sms.to(s.villager.phone)
    assert call.params["SignName"] == "村议" and call.params["TemplateCode"] == "SMS_100"
    assert call.headers["x-acs-action"] == "SendSms" and call.headers["x-acs-version"] == "2017-05-25"
    assert call.text == D.shorten("表决开始了：是否同意硬化村东头道路？（2026-12-06 18:00 截止）", D.SMS_TEXT_MAX)
    assert call.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI-test")  # signed by the SDK
    [row] = mine(db, s.villager, D.SMS)
    assert (row.state, row.attempts, row.last_error) == (D.SENT, 1, None)
    assert row.destination == mask_phone(s.villager.phone) and row.sent_at is not None
    outbox.deliver_due(db, configured(settings, sms))
    assert len(sms.to(s.villager.phone)) == 1  # sent once


def test_a_template_per_kind_of_message_is_used_when_set(world, db, settings, sms, noon):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    notifications.notify_many(db, [s.villager.id], s.village.id, "表决开始了", "/v/x/votes/1", "vote.open:1:1")
    db.commit()
    outbox.deliver_due(db, configured(settings, sms, sms_templates={"vote.open": "SMS_200"}))
    assert [c.params["TemplateCode"] for c in sms.to(s.villager.phone)] == ["SMS_200"]


@pytest.mark.parametrize(("mode", "error"), [
    ("limit", "isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控Permits:1"),  # 200 with an error code in the body
    ("denied", "InvalidAccessKeyId.NotFound"),  # an HTTP error the SDK raises
])
def test_a_failed_sms_waits_out_its_backoff_and_is_given_up_after_the_last_try(world, db, settings, sms, noon,
                                                                              mode, error):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    tell(db, s.villager, s.village)
    sms.mode = mode
    conf = configured(settings, sms)
    outbox.deliver_due(db, conf)
    [row] = mine(db, s.villager, D.SMS)
    assert (row.state, row.attempts) == (D.PENDING, 1) and error in row.last_error
    assert abs(row.next_attempt_at - (utcnow() + timedelta(minutes=5))) < timedelta(seconds=30)
    outbox.deliver_due(db, conf)  # not due yet: no second try
    assert len(sms.to(s.villager.phone)) == 1
    noon.travel(minutes=6)
    outbox.deliver_due(db, conf)
    [row] = mine(db, s.villager, D.SMS)
    assert (row.state, row.attempts) == (D.PENDING, 2) and len(sms.to(s.villager.phone)) == 2
    assert abs(row.next_attempt_at - (utcnow() + timedelta(minutes=10))) < timedelta(seconds=30)
    # the last try: it fails for good
    db.execute(update(Delivery).where(Delivery.id == row.id).values(attempts=D.MAX_ATTEMPTS - 1,
                                                                    next_attempt_at=utcnow()))
    db.commit()
    outbox.deliver_due(db, conf)
    [row] = mine(db, s.villager, D.SMS)
    assert (row.state, row.attempts, row.next_attempt_at) == (D.FAILED, D.MAX_ATTEMPTS, None)
    sms.mode = "ok"
    noon.travel(days=1)
    outbox.deliver_due(db, conf)
    assert mine(db, s.villager, D.SMS)[0].state == D.FAILED and len(sms.to(s.villager.phone)) == 3


def test_a_success_after_a_failure_is_sent_once(world, db, settings, sms, noon):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    tell(db, s.villager, s.village)
    sms.mode = "limit"
    outbox.deliver_due(db, configured(settings, sms))
    sms.mode = "ok"
    noon.travel(minutes=6)
    outbox.deliver_due(db, configured(settings, sms))
    [row] = mine(db, s.villager, D.SMS)
    assert (row.state, row.attempts, row.last_error) == (D.SENT, 2, None)


def test_an_unreachable_sms_endpoint_is_a_failed_try(world, db, settings, noon):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    tell(db, s.villager, s.village)
    conf = configured(settings, SmsEndpoint(port=free_port()))  # nothing listens there
    outbox.deliver_due(db, conf)
    [row] = mine(db, s.villager, D.SMS)
    assert (row.state, row.attempts) == (D.PENDING, 1) and row.last_error


def test_quiet_hours_hold_an_sms_until_eight_in_the_morning(world, db, settings, sms, clock):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    today = local_today()
    clock.on_day(today, hour=22)
    tell(db, s.villager, s.village)
    [row] = mine(db, s.villager, D.SMS)
    eight = D.sms_time(utcnow())
    assert row.next_attempt_at == eight
    conf = configured(settings, sms)
    outbox.deliver_due(db, conf)
    assert sms.to(s.villager.phone) == []
    # one that fell due before nine but is reached in the quiet hours is held too, without counting a try
    db.execute(update(Delivery).where(Delivery.id == row.id).values(next_attempt_at=utcnow() - timedelta(hours=2)))
    db.commit()
    assert outbox.deliver_due(db, conf).deferred >= 1
    [row] = mine(db, s.villager, D.SMS)
    assert (row.state, row.attempts, row.next_attempt_at) == (D.PENDING, 0, eight)
    assert sms.to(s.villager.phone) == []
    clock.on_day(today + timedelta(days=1), hour=8)
    outbox.deliver_due(db, conf)
    assert len(sms.to(s.villager.phone)) == 1 and mine(db, s.villager, D.SMS)[0].state == D.SENT


def test_nothing_leaves_for_a_channel_turned_off_since_it_was_queued(world, db, settings, sms, noon):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    choose(db, s.neighbour, sms=True)
    tell(db, s.villager, s.village)
    tell(db, s.neighbour, s.village)
    # the villager turns SMS off on the settings page: what waits is set aside at once
    notifications.set_channels(db, configured(settings, sms), world_actor(db, s.villager), sms=False, email=False,
                               digest=False, email_address="")
    assert [(r.state, r.last_error) for r in mine(db, s.villager, D.SMS)] == [(D.SKIPPED, "本人已关闭短信通知")]
    # the neighbour's choice changes in the very moment before sending: checked again at send time
    db.execute(update(NotificationSetting).where(NotificationSetting.user_id == s.neighbour.id).values(sms=False))
    db.commit()
    outbox.deliver_due(db, configured(settings, sms))
    assert [(r.state, r.last_error) for r in mine(db, s.neighbour, D.SMS)] == [(D.SKIPPED, "本人已关闭短信通知")]
    assert sms.to(s.villager.phone) == [] and sms.to(s.neighbour.phone) == []


def test_without_an_access_key_sms_deliveries_are_skipped_with_a_reason(world, db, settings, sms, noon):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    tell(db, s.villager, s.village)
    outbox.deliver_due(db, settings)  # the defaults: no access key
    [row] = mine(db, s.villager, D.SMS)
    assert row.state == D.SKIPPED and row.last_error.startswith("短信未开通")
    assert sms.to(s.villager.phone) == []


def world_actor(db, user):
    from app.services.access import load_actor

    return load_actor(db, user)


# --- e-mail ------------------------------------------------------------------------------------------------


def test_an_email_arrives_at_the_smtp_server(world, db, settings, inbox, noon):
    s = Staff(world)
    choose(db, s.villager, email=True, email_address=mail(s.villager))
    tell(db, s.villager, s.village, "杏花村发布了村务公开：《村道硬化工程结算公示》", "/v/xinghua/notices/7")
    outbox.deliver_due(db, configured(settings, inbox=inbox))
    [message] = inbox.to(mail(s.villager))
    assert message["Subject"] == "村议消息：杏花村发布了村务公开：《村道硬化工程结算公示》"
    assert message["From"] == "cunyi@example.cn"
    assert "https://cunyi.example.cn/v/xinghua/notices/7" in body_of(message)
    [row] = mine(db, s.villager, D.EMAIL)
    assert row.state == D.SENT and row.destination == D.mask_email(mail(s.villager))
    assert row.destination.startswith("z*") and row.destination.endswith("@example.com")


def test_an_smtp_server_that_does_not_answer_is_a_failed_try(world, db, settings, noon):
    s = Staff(world)
    choose(db, s.villager, email=True, email_address=mail(s.villager))
    tell(db, s.villager, s.village)
    conf = configured(settings, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False,
                      smtp_from="cunyi@example.cn")
    outbox.deliver_due(db, conf)
    [row] = mine(db, s.villager, D.EMAIL)
    assert (row.state, row.attempts) == (D.PENDING, 1) and "ConnectionRefused" in row.last_error


def test_starttls_asked_of_a_server_without_it_sends_nothing_in_clear(world, db, settings, inbox, noon):
    s = Staff(world)
    choose(db, s.villager, email=True, email_address=mail(s.villager))
    tell(db, s.villager, s.village)
    outbox.deliver_due(db, configured(settings, inbox=inbox, smtp_starttls=True))
    assert inbox.to(mail(s.villager)) == []
    assert mine(db, s.villager, D.EMAIL)[0].state == D.PENDING


# --- the daily digest --------------------------------------------------------------------------------------


def test_the_digest_gathers_once_a_day_what_did_not_reach_them_otherwise(world, db, settings, sms, inbox, clock):
    s = Staff(world)
    today = local_today()
    clock.on_day(today, hour=10)
    choose(db, s.villager, sms=True, digest=True, email_address=mail(s.villager))
    conf = configured(settings, sms, inbox)
    by_sms = tell(db, s.villager, s.village, "第一条：已用短信发出")
    outbox.deliver_due(db, conf)  # the SMS goes; the digest waits for six o'clock
    choose(db, s.villager, sms=False, digest=True, email_address=mail(s.villager))
    read = tell(db, s.villager, s.village, "第二条：已在网上看过")
    db.execute(update(Notification).where(Notification.id == read.id).values(read_at=utcnow()))
    db.commit()
    kept = tell(db, s.villager, s.village, "第三条：还没看过", "/v/x/proposals/3")
    clock.on_day(today, hour=17)
    outbox.send_digests(db, conf)
    assert inbox.to(mail(s.villager)) == []  # not six yet
    clock.on_day(today, hour=18)
    ran = dict(jobs.run_due(db.get_bind(), conf, only="digest"))
    assert ran["digest"].startswith("每日汇总：")
    [message] = inbox.to(mail(s.villager))
    assert message["Subject"] == "村议每日消息汇总（1 条）"
    text = body_of(message)
    assert "第三条：还没看过" in text and "https://cunyi.example.cn/v/x/proposals/3" in text
    assert "第一条" not in text and "第二条" not in text
    states = {r.notification_id: (r.state, r.last_error) for r in mine(db, s.villager, D.DIGEST)}
    assert states[by_sms.id] == (D.SKIPPED, "已通过短信或邮件收到")
    assert states[read.id] == (D.SKIPPED, "已在网上看过")
    assert states[kept.id] == (D.SENT, None)
    outbox.send_digests(db, conf)
    assert len(inbox.to(mail(s.villager))) == 1  # once


def test_a_failed_digest_is_retried_by_the_minute_job_after_its_backoff(world, db, settings, inbox, clock):
    s = Staff(world)
    today = local_today()
    clock.on_day(today, hour=12)
    choose(db, s.villager, digest=True, email_address=mail(s.villager))
    tell(db, s.villager, s.village, "一条消息")
    clock.on_day(today, hour=18)
    down = configured(settings, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False,
                      smtp_from="cunyi@example.cn")
    outbox.send_digests(db, down)
    [row] = mine(db, s.villager, D.DIGEST)
    assert (row.state, row.attempts) == (D.PENDING, 1)
    clock.travel(minutes=6)
    outbox.deliver_due(db, configured(settings, inbox=inbox))
    assert len(inbox.to(mail(s.villager))) == 1
    assert mine(db, s.villager, D.DIGEST)[0].state == D.SENT


def test_the_deliver_job_runs_from_the_job_table(world, db, settings, sms, noon):
    s = Staff(world)
    choose(db, s.villager, sms=True)
    tell(db, s.villager, s.village)
    ran = dict(jobs.run_due(db.get_bind(), configured(settings, sms), only="deliver"))
    assert ran["deliver"].startswith("发出 ")
    assert len(sms.to(s.villager.phone)) == 1 and mine(db, s.villager, D.SMS)[0].state == D.SENT


def test_two_runs_racing_over_the_same_delivery_send_it_once(world, db, database, settings, sms, noon):
    """Two workers (or a worker and cron) reach one due SMS together: the claim lets one send it."""
    import threading

    from sqlmodel import Session

    s = Staff(world)
    choose(db, s.villager, sms=True)
    tell(db, s.villager, s.village)
    [row] = mine(db, s.villager, D.SMS)
    sms.delay = 0.3
    conf = configured(settings, sms)
    start = threading.Barrier(2)

    def worker():
        with Session(database.engine, expire_on_commit=False) as own:
            start.wait()
            outbox._deliver_one(own, conf, row.id, outbox.Outcome())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(sms.to(s.villager.phone)) == 1
    [row] = mine(db, s.villager, D.SMS)
    assert (row.state, row.attempts) == (D.SENT, 1)
