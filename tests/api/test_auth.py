"""Logging in and out: tokens, cookies, throttling, timeouts, password change, activation codes."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.models import ActivationCode, SecurityEvent, User, UserSession, utcnow
from app.services import auth, members
from routers.security import SESSION_COOKIE
from tests.conftest import page_csrf
from tests.factories import PASSWORD, bearer, login, unique_client, unique_phone

ME = "/api/v1/me"
TOKEN = "/api/v1/auth/token"
ACTIVATE = "/api/v1/auth/activate"


def assert_problem(r, status: int, *words: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert not body["detail"].isascii(), body  # Chinese, for people
    for word in words:
        assert word in body["detail"], body
    return body


def fresh(db, model, key):
    """The row as the database has it now (not as this test's session remembers it)."""
    db.rollback()
    db.expire_all()
    return db.get(model, key)


def security_events(db, phone: str, kind: str) -> int:
    db.rollback()
    return db.execute(
        select(func.count()).select_from(SecurityEvent).where(SecurityEvent.phone == phone, SecurityEvent.kind == kind)
    ).scalar_one()


def session_row(db, token: str) -> UserSession:
    db.rollback()
    db.expire_all()
    return db.execute(select(UserSession).where(UserSession.token_hash == auth.token_hash(token))).scalar_one()


def shift_session(db, token: str, **values) -> None:
    db.execute(update(UserSession).where(UserSession.token_hash == auth.token_hash(token)).values(**values))
    db.commit()


def replay(app, cookie: str, path: str = ME):
    """A request from a browser that kept an old session cookie."""
    with TestClient(app, client=("10.254.0.1", 50000), follow_redirects=False) as other:
        other.cookies.set(SESSION_COOKIE, cookie)
        return other.get(path)


# --- tokens ---------------------------------------------------------------------------------


def test_token_login_then_bearer_reads_me(client, world, db):
    village = world.village()
    user = world.member(village, "committee", name="李主任")
    r = client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) >= 40 and body["expires_at"]
    me = client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["name"] == "李主任"
    assert me.json()["memberships"] == [{"village_id": village.id, "roles": ["committee", "villager"]}]
    assert me.json()["csrf_token"] is None  # bearer clients need no CSRF token
    assert security_events(db, user.phone, "login_ok") == 1


def test_login_accepts_the_phone_as_people_type_it(client, world):
    user = world.user()
    spaced = f"+86 {user.phone[:3]} {user.phone[3:7]} {user.phone[7:]}"
    assert client.post(TOKEN, json={"phone": spaced, "password": PASSWORD}).status_code == 200


def test_me_without_login_is_401(client):
    assert_problem(client.get(ME), 401, "登录")
    assert_problem(client.get(ME, headers={"Authorization": "Bearer nonsense"}), 401)


def test_wrong_password_and_unknown_phone_get_the_same_answer(client, world, db):
    user = world.user()
    wrong = assert_problem(client.post(TOKEN, json={"phone": user.phone, "password": "Not-the-pass-1"}), 401)
    unknown = assert_problem(client.post(TOKEN, json={"phone": "19900000000", "password": PASSWORD}), 401)
    assert wrong["detail"] == unknown["detail"] == "手机号或密码不对"
    assert security_events(db, user.phone, "login_failed") == 1
    assert security_events(db, "19900000000", "login_failed") >= 1


def test_pending_account_cannot_log_in_and_answers_like_a_wrong_password(client, world):
    village = world.village()
    user = world.member(village, password=None)
    pending = assert_problem(client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}), 401)
    unknown = assert_problem(client.post(TOKEN, json={"phone": "13712345678", "password": PASSWORD}), 401)
    # the answer does not tell that the phone belongs to an account waiting for activation
    assert pending == {**unknown, "instance": pending["instance"]}
    assert pending["detail"] == "手机号或密码不对"


def test_disabled_account_cannot_log_in_and_its_sessions_stop(client, world, db):
    user = world.user()
    headers = bearer(client, user)
    assert client.get(ME, headers=headers).status_code == 200
    db.execute(update(User).where(User.id == user.id).values(status="disabled"))
    db.commit()
    assert_problem(client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}), 401, "停用")
    # a wrong password on a disabled account does not reveal that it is disabled
    r = client.post(TOKEN, json={"phone": user.phone, "password": "Not-the-pass-1"})
    assert r.json()["detail"] == "手机号或密码不对"
    assert client.get(ME, headers=headers).status_code == 401


def test_schema_refuses_empty_and_overlong_input_in_chinese(client):
    body = assert_problem(client.post(TOKEN, json={}), 422)
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages == {"phone": "缺少手机号", "password": "缺少密码"}
    body = assert_problem(client.post(TOKEN, json={"phone": "13800000000", "password": "x" * 129}), 422)
    assert body["errors"] == [{"field": "password", "message": "密码最多 128 个字符"}]


# --- throttling -----------------------------------------------------------------------------


def test_ten_failures_lock_the_account_even_for_the_right_password(client, world, db, settings):
    user = world.user()
    assert settings.login_max_failures_account == 10
    for _ in range(10):
        assert client.post(TOKEN, json={"phone": user.phone, "password": "Wrong-pass-123"}).status_code == 401
    r = client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD})
    assert_problem(r, 429, "失败次数太多", "15 分钟")
    assert r.headers["retry-after"] == str(15 * 60)
    # the lock is per account: another client address is refused too
    with TestClient(client.app, client=("10.250.0.1", 50000)) as other:
        assert other.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 429
    assert security_events(db, user.phone, "login_failed") == 10
    assert security_events(db, user.phone, "throttled") == 2
    # the web form says the same, in the page
    token = page_csrf(client, "/login")
    page = client.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token})
    assert page.status_code == 429 and "失败次数太多" in page.text
    assert SESSION_COOKIE not in page.cookies


def test_nine_failures_still_let_the_right_password_in(client, world):
    user = world.user()
    for _ in range(9):
        client.post(TOKEN, json={"phone": user.phone, "password": "Wrong-pass-123"})
    assert client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 200


def test_failures_outside_the_window_do_not_count(client, world, db, settings):
    user = world.user()
    for _ in range(10):
        client.post(TOKEN, json={"phone": user.phone, "password": "Wrong-pass-123"})
    old = utcnow() - timedelta(minutes=settings.login_window_minutes, seconds=5)
    db.execute(update(SecurityEvent).where(SecurityEvent.phone == user.phone).values(created_at=old))
    db.commit()
    assert client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 200


@pytest.fixture
def strict_app(database):
    """The app with a small per-address limit (3 failures), on the same database."""
    from app.main import create_app

    application = create_app(database.settings.model_copy(update={"login_max_failures_address": 3}))
    yield application
    application.state.engine.dispose()


def test_many_phones_from_one_address_are_throttled(strict_app, world, db):
    user = world.user()
    address = f"10.249.{secrets.randbelow(250)}.{secrets.randbelow(250)}"  # this run's own address
    with TestClient(strict_app, client=(address, 50000)) as attacker:
        for _ in range(3):
            r = attacker.post(TOKEN, json={"phone": unique_phone(), "password": "Guess-pass-1"})
            assert r.status_code == 401
        r = attacker.post(TOKEN, json={"phone": user.phone, "password": PASSWORD})
        assert_problem(r, 429, "失败次数太多")
        assert "retry-after" in r.headers
    db.rollback()
    throttled = db.execute(
        select(func.count()).select_from(SecurityEvent).where(SecurityEvent.ip == address,
                                                              SecurityEvent.kind == "throttled")
    ).scalar_one()
    assert throttled == 1
    # someone else, from another address, is not affected
    with TestClient(strict_app, client=("10.251.0.8", 50000)) as neighbour:
        assert neighbour.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 200


# --- logout and timeouts --------------------------------------------------------------------


def test_logout_revokes_the_bearer_token(client, world, db):
    user = world.user()
    headers = bearer(client, user)
    r = client.post("/api/v1/auth/logout", headers=headers)
    assert r.status_code == 200 and "退出" in r.json()["detail"]
    assert_problem(client.get(ME, headers=headers), 401)
    db.rollback()
    assert db.execute(
        select(func.count()).select_from(SecurityEvent).where(SecurityEvent.user_id == user.id,
                                                              SecurityEvent.kind == "logout")
    ).scalar_one() == 1


def test_web_logout_then_replaying_the_old_cookie_fails(client, world, db):
    user = world.user()
    csrf = login(client, user)
    old = client.cookies.get(SESSION_COOKIE)
    assert client.get(ME).status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert session_row(db, old).revoked_at is not None
    assert_problem(replay(client.app, old), 401)
    r = replay(client.app, old, "/account")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/account")


@pytest.mark.parametrize(
    ("minutes_idle", "works"),
    [
        (29, True),
        (31, False),
    ],
)
def test_idle_timeout(client, world, db, minutes_idle, works):
    user = world.user()
    login(client, user)
    token = client.cookies.get(SESSION_COOKIE)
    shift_session(db, token, last_seen_at=utcnow() - timedelta(minutes=minutes_idle))
    assert client.get(ME).status_code == (200 if works else 401)
    if works:  # a request slides the idle window forward
        assert utcnow() - session_row(db, token).last_seen_at < timedelta(minutes=1)


def test_idle_timeout_for_bearer_tokens(client, world, db):
    user = world.user()
    headers = bearer(client, user)
    token = headers["Authorization"].split()[1]
    shift_session(db, token, last_seen_at=utcnow() - timedelta(minutes=31))
    assert client.get(ME, headers=headers).status_code == 401


def test_absolute_timeout(client, world, db):
    user = world.user()
    login(client, user)
    token = client.cookies.get(SESSION_COOKIE)
    row = session_row(db, token)
    assert row.expires_at - row.created_at == timedelta(hours=12)
    shift_session(db, token, expires_at=utcnow() - timedelta(seconds=1))
    assert client.get(ME).status_code == 401
    assert client.get("/account").status_code == 303


def test_bearer_tokens_are_not_cookies_and_cookies_are_not_bearer_tokens(client, world, app):
    user = world.user()
    api_token = bearer(client, user)["Authorization"].split()[1]
    with TestClient(app, client=("10.252.0.1", 50000)) as other:
        other.cookies.set(SESSION_COOKIE, api_token)
        assert other.get(ME).status_code == 401
    login(client, user)
    web_token = client.cookies.get(SESSION_COOKIE)
    with TestClient(app, client=("10.252.0.2", 50000)) as other:
        assert other.get(ME, headers={"Authorization": f"Bearer {web_token}"}).status_code == 401


@pytest.mark.parametrize(("base_url", "secure"), [("http://testserver", False), ("https://testserver", True)])
def test_session_cookie_flags(app, world, base_url, secure):
    user = world.user()
    with unique_client(app, base_url=base_url, follow_redirects=False) as c:
        token = page_csrf(c, "/login")
        r = c.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303
        cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE + "=")]
        assert len(cookies) == 1
        flags = [part.strip().lower() for part in cookies[0].split(";")]
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "path=/" in flags
        assert ("secure" in flags) is secure


def test_each_login_gets_a_new_session(client, world):
    user = world.user()
    csrf = login(client, user)
    first = client.cookies.get(SESSION_COOKIE)
    r = client.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 303
    assert client.cookies.get(SESSION_COOKIE) not in (None, first)
    assert client.get(ME).status_code == 200


# --- password change ------------------------------------------------------------------------


NEW = "Brand-new-pass-9"


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, world, db):
    user = world.user()
    csrf = login(client, user)
    old_cookie = client.cookies.get(SESSION_COOKIE)
    with TestClient(app, client=("10.253.0.1", 50000), follow_redirects=False) as phone2:
        api = bearer(phone2, user)  # an API client (no cookie yet, so no CSRF header needed)
        login(phone2, user)
        assert phone2.get(ME).status_code == 200
        r = client.post("/account/password", data={"csrf_token": csrf, "current_password": PASSWORD,
                                                   "new_password": NEW, "new_password2": NEW})
        assert r.status_code == 303 and r.headers["location"] == "/account"
        assert phone2.get(ME).status_code == 401  # the other phone is logged out
        assert phone2.get(ME, headers=api).status_code == 401  # and so is the API client
    new_cookie = client.cookies.get(SESSION_COOKIE)
    assert new_cookie and new_cookie != old_cookie
    assert client.get(ME).status_code == 200  # this browser goes on, with a new session
    assert replay(app, old_cookie).status_code == 401
    with TestClient(app, client=("10.253.0.2", 50000)) as api_client:
        assert api_client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 401
        assert api_client.post(TOKEN, json={"phone": user.phone, "password": "Brand-new-pass-9"}).status_code == 200


def test_password_change_through_the_api_returns_a_fresh_token(client, world):
    user = world.user()
    old = bearer(client, user)
    r = client.post("/api/v1/me/password", headers=old,
                    json={"current_password": PASSWORD, "new_password": "Brand-new-pass-9"})
    assert r.status_code == 200, r.text
    new = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get(ME, headers=new).status_code == 200
    assert client.get(ME, headers=old).status_code == 401


@pytest.mark.parametrize(
    ("current", "new", "status", "word"),
    [
        (PASSWORD, "password1", 422, "太常见"),
        (PASSWORD, "12345678", 422, "太常见"),
        (PASSWORD, "Short-1", 422, "至少 8 位"),
        ("Not-the-pass-1", "Brand-new-pass-9", 422, "原密码不对"),
    ],
)
def test_refused_password_change_changes_nothing(client, world, current, new, status, word):
    user = world.user()
    headers = bearer(client, user)
    r = client.post("/api/v1/me/password", headers=headers, json={"current_password": current, "new_password": new})
    assert_problem(r, status, word)
    assert client.get(ME, headers=headers).status_code == 200  # still logged in
    assert client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 200


def test_password_containing_the_phone_is_refused(client, world):
    user = world.user()
    headers = bearer(client, user)
    r = client.post("/api/v1/me/password", headers=headers,
                    json={"current_password": PASSWORD, "new_password": f"x{user.phone}"})
    assert_problem(r, 422, "手机号")


def test_web_password_change_refuses_a_common_password(client, world):
    user = world.user()
    csrf = login(client, user)
    r = client.post("/account/password", data={"csrf_token": csrf, "current_password": PASSWORD,
                                               "new_password": "password1", "new_password2": "password1"})
    assert r.status_code == 422 and "太常见" in r.text
    assert client.get(ME).status_code == 200


# --- activation codes -----------------------------------------------------------------------


@pytest.fixture
def pending(world, db, settings):
    """A village member who has not activated yet, and a fresh code for them."""
    village = world.village()
    user = world.member(village, name="新村民", password=None)
    _, code, _ = members.reissue_code(db, settings, world.admin_actor, village, user.id)
    return user, code, village


FRESH = "Fresh-pass-2026"


def activate(client, user, code, password=FRESH):
    return client.post(ACTIVATE, json={"phone": user.phone, "code": code, "password": password})


def test_activation_works_once(client, pending, db):
    user, code, _ = pending
    r = activate(client, user, code)
    assert r.status_code == 200 and "激活成功" in r.json()["detail"]
    assert client.post(TOKEN, json={"phone": user.phone, "password": "Fresh-pass-2026"}).status_code == 200
    assert fresh(db, User, user.id).status == "active"
    again = activate(client, user, code, "Other-pass-2026")
    body = assert_problem(again, 422, "已经用过")
    assert body["errors"][0]["field"] == "code"
    # the second try did not change the password
    assert client.post(TOKEN, json={"phone": user.phone, "password": "Fresh-pass-2026"}).status_code == 200


def test_activation_code_as_read_aloud(client, pending):
    user, code, _ = pending
    typed = f"{code[:5].lower()}-{code[5:].lower()} "
    assert activate(client, user, typed).status_code == 200


def test_expired_code_is_refused(client, pending, db):
    user, code, _ = pending
    db.execute(update(ActivationCode).where(ActivationCode.user_id == user.id)
               .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert_problem(activate(client, user, code), 422, "过期")


@pytest.mark.parametrize("wrong", ["ABCDEFGHJK", "abc"])
def test_wrong_code_is_refused(client, pending, wrong):
    user, _, _ = pending
    r = activate(client, user, wrong)
    if len(wrong) < 4:
        assert_problem(r, 422)  # too short for the schema
    else:
        assert_problem(r, 422, "激活码不对")
    assert client.post(TOKEN, json={"phone": user.phone, "password": "Fresh-pass-2026"}).status_code == 401


def test_code_for_another_phone_is_refused(client, pending, world):
    user, code, village = pending
    other = world.member(village, password=None)
    assert_problem(activate(client, other, code), 422, "激活码不对")


def test_a_newer_code_invalidates_the_older_one(client, pending, db, settings, world):
    user, older, village = pending
    _, newer, _ = members.reissue_code(db, settings, world.admin_actor, village, user.id)
    assert_problem(activate(client, user, older), 422)
    assert activate(client, user, newer).status_code == 200


def test_activation_refuses_a_weak_password_and_keeps_the_code(client, pending):
    user, code, _ = pending
    assert_problem(activate(client, user, code, "password1"), 422, "太常见")
    assert_problem(activate(client, user, code, "Short-1"), 422, "至少 8 位")
    assert activate(client, user, code).status_code == 200


def test_activation_ends_sessions_opened_with_the_old_password(client, world, db, settings):
    """A forgotten password: the committee reissues a code; whoever knew the old password is out."""
    village = world.village()
    user = world.member(village)
    headers = bearer(client, user)
    _, code, _ = members.reissue_code(db, settings, world.admin_actor, village, user.id)
    assert activate(client, user, code).status_code == 200
    assert client.get(ME, headers=headers).status_code == 401
    assert client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 401


def test_activation_attempts_are_throttled(client, pending):
    user, code, _ = pending
    for _ in range(10):
        activate(client, user, "ABCDEFGHJK")
    assert_problem(activate(client, user, code), 429, "失败次数太多")


def test_a_new_member_code_from_world_then_reissue(client, world, db, settings):
    """world.member(..., password=None) gives a pending member; reissue hands the committee a code."""
    village = world.village()
    committee = world.member(village, "committee")
    user = world.member(village, password=None)
    headers = bearer(client, committee)
    r = client.post(f"/api/v1/villages/{village.id}/members/{user.id}/activation-code", headers=headers)
    assert r.status_code == 201, r.text
    assert activate(client, user, r.json()["code"]).status_code == 200


def test_password_change_through_the_api_with_a_cookie_renews_the_cookie(client, world):
    user = world.user()
    login(client, user)
    old = client.cookies.get(SESSION_COOKIE)
    csrf = client.get(ME).json()["csrf_token"]
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert client.post("/api/v1/me/password", json=body).status_code == 403  # the CSRF header is needed
    r = client.post("/api/v1/me/password", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert client.cookies.get(SESSION_COOKIE) not in (None, old)
    assert client.get(ME).status_code == 200
    assert replay(client.app, old).status_code == 401


def test_disabled_account_cannot_be_activated(client, pending, db):
    user, code, _ = pending
    db.execute(update(User).where(User.id == user.id).values(status="disabled"))
    db.commit()
    assert_problem(activate(client, user, code), 422, "停用")
    assert fresh(db, User, user.id).status == "disabled"


@pytest.mark.parametrize(("base_url", "secure"), [("http://testserver", False), ("https://testserver", True)])
def test_flash_cookie_is_secure_like_the_session_cookie(app, world, base_url, secure):
    user = world.user()
    with unique_client(app, base_url=base_url, follow_redirects=False) as c:
        token = page_csrf(c, "/login")
        r = c.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303
        cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("cunyi_flash=")]
        assert len(cookies) == 1, r.headers
        flags = [part.strip().lower() for part in cookies[0].split(";")]
        assert ("secure" in flags) is secure and "httponly" in flags
