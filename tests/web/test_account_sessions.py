"""The account page lists where the person is logged in and signs out the others."""

from __future__ import annotations

from routers.security import SESSION_COOKIE
from tests.factories import PASSWORD, login, unique_client


def _other_client(app, n: int):
    return unique_client(app, follow_redirects=False,
                         headers={"user-agent": "Mozilla/5.0 (Linux; Android 12) Mobile"})


def test_the_account_page_lists_sessions_and_ends_the_others(app, client, world):
    user = world.user()
    with _other_client(app, 1) as phone:
        login(phone, user)
        csrf = login(client, user)
        page = client.get("/account")
        assert page.status_code == 200
        assert "在哪里登录着" in page.text
        assert "安卓手机" in page.text and "（就是这台）" in page.text
        r = client.post("/account/sessions/end-others", data={"csrf_token": csrf})
        assert r.status_code == 303
        assert client.get("/account").status_code == 200  # this one stays
        assert phone.get("/account").status_code == 303  # the phone is sent to the login form
        assert "退出其他地方的登录" not in client.get("/account").text  # nothing else to end


def test_the_api_lists_sessions_without_tokens_and_ends_the_others(client, world, api):
    user = world.user()
    first = api.headers(user)
    second = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": PASSWORD}).json()
    other = {"Authorization": f"Bearer {second['access_token']}"}
    body = client.get("/api/v1/me/sessions", headers=first).json()
    listed = body["items"]
    assert body["total"] == 2 and len(listed) == 2 and sum(s["current"] for s in listed) == 1
    assert all("token" not in key for s in listed for key in s)
    r = client.post("/api/v1/me/sessions/end-others", headers=first)
    assert r.status_code == 200 and "1" in r.json()["detail"]
    assert client.get("/api/v1/me", headers=other).status_code == 401
    assert client.get("/api/v1/me", headers=first).status_code == 200


def test_sessions_need_a_login(client):
    assert client.get("/api/v1/me/sessions").status_code == 401
    assert client.post("/api/v1/me/sessions/end-others").status_code == 401
    assert client.get("/account").status_code == 303
    assert SESSION_COOKIE not in client.cookies
