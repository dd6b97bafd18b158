"""Throttles under parallel attempts, on both engines: the count is taken atomically, so exactly the
limit of wrong passwords (or codes) is ever checked, however many arrive at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlmodel import Session

from app.models import SecurityEvent
from app.services import auth
from app.services.errors import Invalid, TooMany, Unauthorized
from tests.factories import refused


def _events(db, phone: str) -> dict[str, int]:
    db.expire_all()
    rows = db.execute(select(SecurityEvent.kind, func.count()).where(SecurityEvent.phone == phone)
                      .group_by(SecurityEvent.kind)).all()
    return dict(rows)


def _login(database, phone: str, n: int) -> str:
    with Session(database.engine, expire_on_commit=False) as session:
        try:
            auth.login(session, database.settings, phone, "Wrong-password-99", ip=f"10.200.{n // 250}.{n % 250}")
        except TooMany:
            return "throttled"
        except Unauthorized:
            return "wrong"
    return "in"


def test_parallel_wrong_passwords_are_checked_exactly_up_to_the_limit(world, db, database):
    user = world.member(world.village())
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda n: _login(database, user.phone, n), range(40)))
    limit = database.settings.login_max_failures_account
    assert results.count("wrong") == limit, results
    assert results.count("throttled") == 40 - limit
    assert _events(db, user.phone) == {"login_failed": limit, "throttled": 40 - limit}


def _activate(database, phone: str, n: int) -> str:
    with Session(database.engine, expire_on_commit=False) as session:
        try:
            auth.activate(session, database.settings, phone, "ABCDEFGHJK", "Good-new-pass-2026",
                          ip=f"10.201.{n // 250}.{n % 250}")
        except TooMany:
            return "throttled"
        except Invalid:
            return "wrong"
    return "activated"


def test_parallel_wrong_activation_codes_are_checked_exactly_up_to_the_limit(world, db, database):
    user = world.member(world.village(), password=None)
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda n: _activate(database, user.phone, n), range(30)))
    limit = database.settings.login_max_failures_account
    assert results.count("wrong") == limit, results
    assert results.count("throttled") == 30 - limit
    assert _events(db, user.phone) == {"activation_failed": limit, "throttled": 30 - limit}


def test_wrong_current_passwords_are_throttled_like_logins(world, api, database):
    user = world.member(world.village())
    api.headers(user)  # log in once
    limit = database.settings.login_max_failures_account
    for _ in range(limit):
        refused(api.post("/me/password", user, {"current_password": "Not-my-password-1",
                                                  "new_password": "Another-pass-2026"}), 422, "原密码不对")
    problem = refused(api.post("/me/password", user, {"current_password": "Not-my-password-1",
                                                        "new_password": "Another-pass-2026"}), 429)
    assert "失败次数太多" in problem["detail"]


def test_a_successful_login_does_not_count_as_a_failure(world, db, database):
    user = world.member(world.village())
    with Session(database.engine, expire_on_commit=False) as session:
        for _ in range(database.settings.login_max_failures_account + 2):
            auth.login(session, database.settings, user.phone, "Village-pass-2026", ip="10.202.0.1")
    assert _events(db, user.phone) == {"login_ok": database.settings.login_max_failures_account + 2}
