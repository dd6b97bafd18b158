"""The pages of notifications that leave the site: a person's 通知设置 (reached from 消息; the form again
with a Chinese error on bad input, nothing saved; CSRF like every form; only the channels the service
offers), and the administrator's 发送记录 (newest first, filters, pages, failures' errors, addresses
masked, no message text; nobody else may see it)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.clock import utcnow
from app.domain import delivery as D
from app.domain.people import mask_phone
from app.models import Delivery, NotificationSetting
from app.services import notifications
from tests.factories import login, unique_client
from tests.querycount import count_queries

SETTINGS = "/me/notifications/settings"


@pytest.fixture(scope="module")
def offering_app(database):
    """The app with SMS and e-mail configured (nothing is sent from a page, so no server is needed)."""
    from app.main import create_app

    application = create_app(database.settings.model_copy(update={
        "sms_access_key_id": "LTAI-test", "sms_access_key_secret": "secret", "sms_sign_name": "村议",
        "sms_template_code": "SMS_100", "smtp_host": "127.0.0.1", "smtp_from": "cunyi@example.cn"}))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def offering(offering_app):
    with unique_client(offering_app, follow_redirects=False) as c:
        yield c


def saved(db, user) -> NotificationSetting | None:
    return db.get(NotificationSetting, user.id, populate_existing=True)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_messages_page_leads_to_the_settings(client, world):
    village = world.village()
    user = world.member(village)
    login(client, user)
    page = client.get("/me/notifications")
    assert f'href="{SETTINGS}"' in page.text


def test_without_sms_or_mail_configured_the_page_offers_neither(client, world, db):
    village = world.village()
    user = world.member(village)
    token = login(client, user)
    page = client.get(SETTINGS)
    assert page.status_code == 200
    assert "短信通知暂未开通" in page.text and "邮件通知暂未开通" in page.text
    assert 'name="sms"' not in page.text and 'name="email_address"' not in page.text
    # a forged form cannot turn them on
    r = client.post(SETTINGS, data={"sms": "1", "email": "1", "email_address": "a@example.com", "csrf_token": token})
    assert r.status_code == 422
    assert "短信通知还没有开通" in r.text and "邮件通知还没有开通" in r.text
    assert saved(db, user) is None


def test_a_villager_turns_on_email_and_the_digest_and_off_again(offering, world, db):
    village = world.village()
    user = world.member(village)
    token = login(offering, user)
    page = offering.get(SETTINGS).text
    assert mask_phone(user.phone) in page and user.phone not in page
    assert "晚上 9 点到早上 8 点不发" in page
    r = offering.post(SETTINGS, data={"email": "1", "digest": "1", "email_address": " li@example.com ",
                                      "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == SETTINGS
    shown = offering.get(SETTINGS).text
    assert "通知设置已保存" in shown
    assert re.search(r'name="email" value="1" checked', shown) and re.search(r'name="digest" value="1" checked', shown)
    assert 'value="li@example.com"' in shown
    row = saved(db, user)
    assert (row.sms, row.email, row.digest, row.email_address) == (False, True, True, "li@example.com")
    # a message now goes out by e-mail and waits for the digest
    note = notifications.notify(db, user.id, village.id, "测试消息")
    db.commit()
    assert set(db.execute(select(Delivery.channel).where(Delivery.notification_id == note.id)).scalars()) \
        == {D.EMAIL, D.DIGEST}
    # off again: what waits is not sent
    assert offering.post(SETTINGS, data={"email_address": "li@example.com", "csrf_token": token}).status_code == 303
    row = saved(db, user)
    assert (row.email, row.digest) == (False, False)
    states = set(db.execute(select(Delivery.state).where(Delivery.notification_id == note.id)).scalars())
    assert states == {D.SKIPPED}


@pytest.mark.parametrize(("form", "message"), [
    ({"email": "1", "email_address": ""}, "请填写邮箱地址"),
    ({"digest": "1", "email_address": "   "}, "请填写邮箱地址"),
    ({"email": "1", "email_address": "zhangsan"}, "邮箱地址格式不对，应像 zhangsan@example.com 这样"),
    ({"email_address": "not an address"}, "邮箱地址格式不对"),  # kept only if it is an address
    ({"email": "1", "email_address": "a@b.com\r\nBcc: x@y.com"}, "邮箱地址格式不对"),
])
def test_bad_input_shows_the_form_again_with_a_chinese_error_and_saves_nothing(offering, world, db, form, message):
    village = world.village()
    user = world.member(village)
    token = login(offering, user)
    r = offering.post(SETTINGS, data={**form, "sms": "1", "csrf_token": token})
    assert r.status_code == 422
    assert message in r.text and 'class="field-error"' in r.text
    assert re.search(r'name="sms" value="1" checked', r.text)  # what was typed is kept
    assert saved(db, user) is None


def test_too_long_an_address_is_refused_not_a_500(offering, world, db):
    village = world.village()
    user = world.member(village)
    token = login(offering, user)
    r = offering.post(SETTINGS, data={"email": "1", "email_address": "a" * 250 + "@example.com", "csrf_token": token})
    assert r.status_code == 422 and "邮箱地址最多 254 个字符" in r.text
    r = offering.post(SETTINGS, data={"email": "1", "email_address": "a" * 5000, "csrf_token": token})
    assert r.status_code == 422
    assert saved(db, user) is None


def test_the_settings_form_needs_its_csrf_token_and_a_login(offering, world, db):
    village = world.village()
    user = world.member(village)
    anonymous = offering.get(SETTINGS)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    login(offering, user)
    r = offering.post(SETTINGS, data={"sms": "1"})
    assert r.status_code == 403 and saved(db, user) is None
    r = offering.post(SETTINGS, data={"sms": "1", "csrf_token": "forged"})
    assert r.status_code == 403 and saved(db, user) is None


def test_one_persons_settings_are_theirs_alone(offering, world, db):
    village = world.village()
    alice, bob = world.member(village, name="甲"), world.member(village, name="乙")
    token = login(offering, alice)
    offering.post(SETTINGS, data={"sms": "1", "csrf_token": token})
    assert saved(db, alice).sms and saved(db, bob) is None
    with unique_client(offering.app, follow_redirects=False) as other:
        login(other, bob)
        assert 'name="sms" value="1" checked' not in other.get(SETTINGS).text


# --- the administrator's list of deliveries ----------------------------------------------------------------


def _deliveries(db, world):
    """A person with SMS and e-mail on, and three deliveries: sent, failed with its error, pending."""
    village = world.village()
    user = world.member(village, name="赵六")
    db.merge(NotificationSetting(user_id=user.id, sms=True, email=True, email_address="zhaoliu@example.com"))
    db.commit()
    notes = [notifications.notify(db, user.id, village.id, f"秘密的消息内容{i}") for i in range(2)]
    db.commit()
    rows = {(n, c): i for i, n, c in db.execute(select(Delivery.id, Delivery.notification_id, Delivery.channel)
                                                .where(Delivery.user_id == user.id))}
    sent, failed = rows[(notes[0].id, D.SMS)], rows[(notes[1].id, D.SMS)]
    db.execute(update(Delivery).where(Delivery.id == sent).values(state=D.SENT, attempts=1, sent_at=utcnow(),
                                                                   destination=mask_phone(user.phone)))
    db.execute(update(Delivery).where(Delivery.id == failed).values(
        state=D.FAILED, attempts=D.MAX_ATTEMPTS, last_error="isv.BUSINESS_LIMIT_CONTROL: 触发天级流控"))
    db.commit()
    return village, user, rows, sent, failed


def test_the_admin_lists_deliveries_newest_first_with_failures_and_masked_addresses(client, world, db):
    village, user, rows, sent, failed = _deliveries(db, world)
    login(client, world.admin)
    assert 'href="/admin/deliveries"' in client.get("/admin").text
    page = client.get("/admin/deliveries")
    assert page.status_code == 200
    html = page.text
    ids = [int(i) for i in re.findall(r'<li id="d(\d+)">', html)]
    assert ids == sorted(ids, reverse=True) and set(rows.values()) <= set(ids)
    assert "isv.BUSINESS_LIMIT_CONTROL: 触发天级流控" in html
    assert mask_phone(user.phone) in html and "z******@example.com" in html
    assert user.phone not in html and "zhaoliu@example.com" not in html
    assert "秘密的消息内容" not in html  # the admin sees how it went, not what it said
    assert village.name in html and "赵六" in html


@pytest.mark.parametrize(("query", "wanted"), [
    ("state=failed", {"failed"}), ("state=sent&channel=sms", {"sent"}), ("channel=email", {"pending"})])
def test_the_admin_filters_by_state_and_channel(client, world, db, query, wanted):
    village, user, rows, sent, failed = _deliveries(db, world)
    login(client, world.admin)
    html = client.get(f"/admin/deliveries?{query}").text
    mine = {i for i in map(int, re.findall(r'<li id="d(\d+)">', html)) if i in rows.values()}
    expected = {"failed": {failed}, "sent": {sent}, "pending": {rows[k] for k in rows if k[1] == D.EMAIL}}
    assert mine == set().union(*(expected[w] for w in wanted))


def test_unknown_filters_are_ignored_and_pages_are_bounded(client, world, db):
    _deliveries(db, world)
    login(client, world.admin)
    assert client.get("/admin/deliveries?state=nonsense&channel=<script>").status_code == 200
    assert client.get("/admin/deliveries?page=0").status_code == 422
    assert client.get("/admin/deliveries?state=" + "x" * 50).status_code == 422


def test_the_admin_list_pages_in_a_constant_number_of_queries(client, world, db, app):
    village = world.village()
    user = world.member(village)
    db.merge(NotificationSetting(user_id=user.id, sms=True))
    db.commit()
    for i in range(55):
        notifications.notify(db, user.id, village.id, f"消息{i}")
    db.commit()
    login(client, world.admin)
    with count_queries(app.state.engine) as counter:
        first = client.get("/admin/deliveries?channel=sms")
    assert first.status_code == 200 and "下一页" in first.text
    assert len(re.findall(r'<li id="d\d+">', first.text)) == 50
    second = client.get("/admin/deliveries?channel=sms&page=2")
    assert "上一页" in second.text and 'href="?channel=sms&amp;page=1"' in second.text
    with count_queries(app.state.engine) as again:
        client.get("/admin/deliveries?channel=sms&page=2")
    assert again.count == counter.count, f"{counter}\n{again}"


@pytest.mark.parametrize("who", ["villager", "committee", "monitor"])
def test_nobody_but_an_admin_sees_the_deliveries(client, world, who):
    village = world.village()
    user = (world.member(village) if who == "villager" else world.member(village, "committee") if who == "committee"
            else world.monitor(world.township()))
    login(client, user)
    r = client.get("/admin/deliveries")
    assert r.status_code == 403 and "发送记录" not in r.text


def test_the_anonymous_are_sent_to_log_in(client):
    r = client.get("/admin/deliveries")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_pending_sms_shows_when_it_will_be_tried(client, world, db):
    village = world.village()
    user = world.member(village)
    db.merge(NotificationSetting(user_id=user.id, sms=True))
    db.commit()
    notifications.notify(db, user.id, village.id, "消息")
    db.commit()
    db.execute(update(Delivery).where(Delivery.user_id == user.id).values(
        attempts=2, next_attempt_at=utcnow() + timedelta(minutes=10), last_error="连接超时"))
    db.commit()
    login(client, world.admin)
    html = client.get("/admin/deliveries?state=pending&channel=sms").text
    assert "尝试 2 次" in html and "下次" in html and "错误：连接超时" in html
