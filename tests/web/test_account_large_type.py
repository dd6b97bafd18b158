"""大字显示 on the account page: a person turns large type on and every page they see carries it,
from any device they log in on, until they turn it off; nobody else's pages change; a value that is
neither on nor off is refused and changes nothing."""

from __future__ import annotations

import re

from sqlmodel import Session

from app.models import User
from tests.conftest import page_csrf
from tests.factories import login, unique_client

LARGE = re.compile(r'<html lang="zh-CN" class="large-type">')


def flash(html: str) -> str:
    match = re.search(r'<div class="flash flash-(\w+)"[^>]*>(.*?)</div>', html, re.S)
    return f"{match.group(1)}: {match.group(2).strip()}" if match else ""


def stored(database, user: User) -> bool:
    with Session(database.engine) as fresh:
        return fresh.get(User, user.id).large_type


def test_large_type_is_remembered_for_the_person_on_every_page_and_device(app, client, world, database):
    user, other = world.user(), world.user()
    csrf = login(client, user)
    page = client.get("/account").text
    assert "大字显示：<strong>没有打开</strong>" in page and not LARGE.search(page)

    r = client.post("/account/large-type", data={"large_type": "1", "csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/account"
    page = client.get("/account").text
    assert flash(page) == "ok: 已打开大字显示"
    assert LARGE.search(page) and "大字显示：<strong>已打开</strong>" in page
    assert 'value="0"' in page and "关闭大字显示" in page
    assert LARGE.search(client.get("/me").text) and LARGE.search(client.get("/rules").text)
    assert stored(database, user) is True

    with unique_client(app, follow_redirects=False) as phone:  # another device: the setting follows the person
        login(phone, user)
        assert LARGE.search(phone.get("/me").text)
    with unique_client(app, follow_redirects=False) as neighbour:  # nobody else's pages change
        login(neighbour, other)
        assert not LARGE.search(neighbour.get("/me").text)
    assert not LARGE.search(unique_client(app).get("/rules").text)  # nor a visitor's

    r = client.post("/account/large-type", data={"large_type": "0", "csrf_token": csrf})
    page = client.get("/account").text
    assert flash(page) == "ok: 已关闭大字显示，恢复标准字号"
    assert not LARGE.search(page) and stored(database, user) is False


def test_a_form_without_the_field_turns_it_off(client, world, database):
    user = world.user()
    csrf = login(client, user)
    client.post("/account/large-type", data={"large_type": "1", "csrf_token": csrf})
    r = client.post("/account/large-type", data={"csrf_token": csrf})
    assert r.status_code == 303 and stored(database, user) is False


def test_an_odd_value_is_refused_and_changes_nothing(client, world, database):
    user = world.user()
    csrf = login(client, user)
    client.post("/account/large-type", data={"large_type": "1", "csrf_token": csrf})
    for odd in ("2", "大", "yes please"):
        r = client.post("/account/large-type", data={"large_type": odd, "csrf_token": csrf})
        assert r.status_code == 303
        assert flash(client.get("/account").text) == "error: 大字显示只能打开或关闭"
        assert stored(database, user) is True
    r = client.post("/account/large-type", data={"large_type": "x" * 500, "csrf_token": csrf})
    assert r.status_code < 500 and stored(database, user) is True


def test_it_needs_a_login_and_the_form_s_token(client, world, database):
    anonymous = page_csrf(client, "/login")
    r = client.post("/account/large-type", data={"large_type": "1", "csrf_token": anonymous})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    user = world.user()
    login(client, user)
    r = client.post("/account/large-type", data={"large_type": "1", "csrf_token": "forged"})
    assert r.status_code == 403 and stored(database, user) is False
