"""The rules of messages that leave the site, table by table: the backoff between tries and when a
delivery is given up, the SMS quiet hours at their edges (Beijing time), the daily digest's hour,
e-mail addresses, masking and what a digest says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain import delivery as D
from app.domain.calendar import from_local


def bj(y, mo, d, h, mi=0, s=0) -> datetime:
    """A Beijing wall-clock time as aware UTC."""
    return from_local(datetime(y, mo, d, h, mi, s))


@pytest.mark.parametrize(("attempts", "wait"), [
    (0, timedelta(0)),
    (1, timedelta(minutes=5)),
    (2, timedelta(minutes=10)),
    (3, timedelta(minutes=20)),
    (4, timedelta(minutes=40)),
    (5, timedelta(minutes=80)),
    (6, timedelta(minutes=160)),
    (7, timedelta(minutes=320)),
    (8, timedelta(hours=6)),  # 640 minutes, capped
    (30, timedelta(hours=6)),
    (10**6, timedelta(hours=6)),
])
def test_backoff_doubles_from_five_minutes_up_to_six_hours(attempts, wait):
    assert D.backoff(attempts) == wait


NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("attempts", "state", "next_at"), [
    (1, D.PENDING, NOW + timedelta(minutes=5)),
    (2, D.PENDING, NOW + timedelta(minutes=10)),
    (D.MAX_ATTEMPTS - 1, D.PENDING, NOW + timedelta(minutes=320)),
    (D.MAX_ATTEMPTS, D.FAILED, None),  # the last try failed: given up
    (D.MAX_ATTEMPTS + 1, D.FAILED, None),
])
def test_after_a_failed_try_a_delivery_waits_or_is_given_up(attempts, state, next_at):
    assert D.after_failure(attempts, NOW) == (state, next_at)


@pytest.mark.parametrize(("moment", "quiet", "sends_at"), [
    (bj(2026, 12, 5, 20, 59, 59), False, bj(2026, 12, 5, 20, 59, 59)),  # the last second before 21:00
    (bj(2026, 12, 5, 21, 0, 0), True, bj(2026, 12, 6, 8)),  # 21:00 sharp: next morning
    (bj(2026, 12, 5, 23, 59, 59), True, bj(2026, 12, 6, 8)),
    (bj(2026, 12, 6, 0, 0, 0), True, bj(2026, 12, 6, 8)),  # past midnight: this morning
    (bj(2026, 12, 6, 7, 59, 59), True, bj(2026, 12, 6, 8)),
    (bj(2026, 12, 6, 8, 0, 0), False, bj(2026, 12, 6, 8)),  # 08:00 sharp: at once
    (bj(2026, 12, 6, 12, 0, 0), False, bj(2026, 12, 6, 12)),
    (bj(2026, 12, 31, 22, 0), True, bj(2027, 1, 1, 8)),  # over the year's end
    (bj(2028, 2, 28, 21, 30), True, bj(2028, 2, 29, 8)),  # into a leap day
])
def test_no_sms_from_nine_at_night_to_eight_in_the_morning_beijing_time(moment, quiet, sends_at):
    assert D.in_quiet_hours(moment) is quiet
    assert D.sms_time(moment) == sends_at


def test_quiet_hours_follow_beijing_time_whatever_zone_the_moment_is_given_in():
    utc_1300 = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)  # 21:00 in Beijing
    assert D.in_quiet_hours(utc_1300) and D.sms_time(utc_1300) == datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    assert not D.in_quiet_hours(datetime(2026, 12, 5, 12, 59, tzinfo=UTC))


@pytest.mark.parametrize(("moment", "digest_at"), [
    (bj(2026, 12, 5, 9), bj(2026, 12, 5, 18)),
    (bj(2026, 12, 5, 17, 59, 59), bj(2026, 12, 5, 18)),
    (bj(2026, 12, 5, 18), bj(2026, 12, 5, 18)),  # exactly at six: this one
    (bj(2026, 12, 5, 18, 0, 1), bj(2026, 12, 6, 18)),  # just after: tomorrow's
    (bj(2026, 12, 5, 23, 30), bj(2026, 12, 6, 18)),
    (bj(2026, 12, 6, 0, 30), bj(2026, 12, 6, 18)),  # after midnight in Beijing, still 16:30 UTC the day before
])
def test_the_digest_goes_at_six_in_the_evening_beijing_time(moment, digest_at):
    assert D.next_digest_at(moment) == digest_at


@pytest.mark.parametrize(("address", "problem"), [
    ("zhangsan@example.com", None),
    ("li.si+cunyi@mail.example.cn", None),
    ("  wang_wu@qq.com  ", None),
    ("", "请填写邮箱地址"),
    ("   ", "请填写邮箱地址"),
    (None, "请填写邮箱地址"),
    ("zhangsan", "邮箱地址格式不对，应像 zhangsan@example.com 这样"),
    ("zhangsan@", "邮箱地址格式不对，应像 zhangsan@example.com 这样"),
    ("@example.com", "邮箱地址格式不对，应像 zhangsan@example.com 这样"),
    ("zhang san@example.com", "邮箱地址格式不对，应像 zhangsan@example.com 这样"),
    ("zhangsan@example", "邮箱地址格式不对，应像 zhangsan@example.com 这样"),
    ("zhangsan@exa..mple.com", "邮箱地址格式不对，应像 zhangsan@example.com 这样"),
    ("张三@例子.中国", "邮箱地址格式不对，应像 zhangsan@example.com 这样"),
    ("a@b.com\nBcc: x@y.com", "邮箱地址格式不对，应像 zhangsan@example.com 这样"),  # no header injection
    ("a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 63 + ".com", None),  # 254 characters
    ("a" * 64 + "@" + "b" * 60 + "." + "c" * 61 + "." + "d" * 63 + ".com", "邮箱地址最多 254 个字符"),
])
def test_an_email_address_is_checked_with_a_chinese_reason(address, problem):
    assert D.email_problem(address) == problem


@pytest.mark.parametrize(("address", "masked"), [
    ("zhangsan@example.com", "z*******@example.com"),
    ("a@example.com", "a*@example.com"),
    ("nobody", "******"),
])
def test_an_address_is_shown_masked(address, masked):
    assert D.mask_email(address) == masked


@pytest.mark.parametrize(("text", "limit", "short"), [
    ("表决开始了", 35, "表决开始了"),
    ("一" * 35, 35, "一" * 35),
    ("一" * 36, 35, "一" * 34 + "…"),
    ("多个  空格\n换行", 35, "多个 空格 换行"),
])
def test_an_sms_text_fits_its_template_variable(text, limit, short):
    assert D.shorten(text, limit) == short


@pytest.mark.parametrize(("key", "kind"), [
    ("notice.publish:12:340", "notice.publish"), ("vote.closing:7", "vote.closing"), (None, "other")])
def test_the_kind_of_a_message_comes_from_its_event_key(key, kind):
    assert D.kind_of(key) == kind


def test_a_digest_lists_each_message_oldest_first_with_its_beijing_time_and_link():
    items = [(bj(2026, 12, 5, 15, 30), "第二条", "/v/x/notices/2"), (bj(2026, 12, 5, 9, 5), "第一条", None)]
    subject, body = D.digest_message(items, "https://cunyi.example.cn/")
    assert subject == "村议每日消息汇总（2 条）"
    assert body.index("12-05 09:05 第一条") < body.index("12-05 15:30 第二条")
    assert "https://cunyi.example.cn/v/x/notices/2" in body
    assert "消息 → 通知设置" in body  # how to stop them


@pytest.mark.parametrize(("base", "link", "url"), [
    ("https://cunyi.example.cn", "/v/x/votes/1", "https://cunyi.example.cn/v/x/votes/1"),
    ("", "/v/x/votes/1", None),  # no public address known: no link
    ("https://cunyi.example.cn", "//evil.example/x", None),
    ("https://cunyi.example.cn", "https://evil.example/x", None),
    ("https://cunyi.example.cn", None, None),
])
def test_links_in_mail_are_only_to_the_site_itself(base, link, url):
    assert D.link_for(base, link) == url
