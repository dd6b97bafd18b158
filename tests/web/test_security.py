"""CSRF on forms and on cookie-authenticated API calls; security headers on every response."""

from __future__ import annotations

import pytest

from routers.security import ANON_COOKIE
from tests.conftest import page_csrf
from tests.factories import PASSWORD, bearer, login, unique_client


@pytest.fixture
def committee_and_member(world):
    village = world.village()
    committee = world.member(village, "committee", name="李主任")
    member = world.member(village, name="张大爷", household="H-01")
    return village, committee, member


def household_of(client, village, member, headers) -> str | None:
    return client.get(f"/api/v1/villages/{village.id}/members/{member.id}", headers=headers).json()["household"]


def assert_csrf_page(r) -> None:
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "页面已过期或来源不明" in r.text


# --- forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "wrong-token", "anon", "中文令牌"])
def test_form_post_without_the_right_token_is_refused_and_changes_nothing(app, client, committee_and_member,
                                                                          token):
    village, committee, member = committee_and_member
    real = login(client, committee)
    data = {"household": "H-99", "group": "", "roles": ["villager"]}
    if token == "anon":  # a token from another (anonymous) visitor's page
        with unique_client(app) as other:
            data["csrf_token"] = page_csrf(other, "/login")
    elif token is not None:
        data["csrf_token"] = token
    r = client.post(f"/v/{village.slug}/members/{member.id}", data=data)
    assert_csrf_page(r)
    api = bearer(unique_client(app), committee)
    assert household_of(client, village, member, api) == "H-01"
    # the same form with the page's token goes through
    data["csrf_token"] = real
    r = client.post(f"/v/{village.slug}/members/{member.id}", data=data)
    assert r.status_code == 303
    assert household_of(client, village, member, api) == "H-99"


def test_a_token_or_cookie_of_any_text_is_refused_never_an_error(client, committee_and_member):
    """Header values and cookies come in as Latin-1 text: a stranger's bytes there are a refusal (403) or
    are ignored, never a 500."""
    village, committee, member = committee_and_member
    login(client, committee)
    odd = "é€".encode()  # bytes no token and no signature has
    r = client.post(f"/v/{village.slug}/members/{member.id}", data={"household": "H-98"},
                    headers={"X-CSRF-Token": odd})
    assert_csrf_page(r)
    r = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": odd})
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    client.cookies.clear()
    for cookie in (b"cunyi_flash=abc." + odd, b"cunyi_session=" + odd, b"cunyi_anon=" + odd):
        page = client.get("/login", headers={"Cookie": cookie})
        assert page.status_code == 200 and "登录" in page.text


def test_token_in_the_header_also_counts_for_forms(client, committee_and_member):
    village, committee, member = committee_and_member
    token = login(client, committee)
    r = client.post(f"/v/{village.slug}/members/{member.id}", data={"household": "H-77"},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 303


def test_logout_needs_the_token(client, world):
    user = world.user()
    token = login(client, user)
    assert_csrf_page(client.post("/logout"))
    assert client.get("/api/v1/me").status_code == 200  # still logged in
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_login_form_needs_the_anonymous_token(app, world):
    user = world.user()
    with unique_client(app, follow_redirects=False) as fresh:
        # no anonymous cookie at all: a cross-site form posting a victim into the attacker's account
        r = fresh.post("/login", data={"phone": user.phone, "password": PASSWORD})
        assert_csrf_page(r)
        r = fresh.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": "x" * 64})
        assert_csrf_page(r)
        token = page_csrf(fresh, "/login")  # sets the anonymous cookie
        assert fresh.cookies.get(ANON_COOKIE)
        assert_csrf_page(fresh.post("/login", data={"phone": user.phone, "password": PASSWORD}))
        with unique_client(app) as other:
            foreign = page_csrf(other, "/login")
        assert foreign != token
        assert_csrf_page(fresh.post("/login", data={"phone": user.phone, "password": PASSWORD,
                                                    "csrf_token": foreign}))
        assert fresh.get("/api/v1/me").status_code == 401  # none of these logged anyone in
        r = fresh.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303


def test_activation_form_needs_the_token(app, world):
    with unique_client(app) as fresh:
        page_csrf(fresh, "/activate")
        r = fresh.post("/activate", data={"phone": "13800000000", "code": "ABCDEFGHJK", "password": "x",
                                          "password2": "x"})
        assert_csrf_page(r)


# --- the API with a cookie ------------------------------------------------------------------


def test_cookie_authenticated_api_calls_need_the_header(client, committee_and_member):
    village, committee, member = committee_and_member
    login(client, committee)
    me = client.get("/api/v1/me").json()
    token = me["csrf_token"]
    assert token
    url = f"/api/v1/villages/{village.id}/members/{member.id}"
    r = client.patch(url, json={"household": "H-42"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "页面已过期或来源不明" in r.json()["detail"]
    assert client.patch(url, json={"household": "H-42"}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.get(url).json()["household"] == "H-01"  # GET needs no token
    r = client.patch(url, json={"household": "H-42"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["household"] == "H-42"
    # logout through the API is an unsafe call too
    assert client.post("/api/v1/auth/logout").status_code == 403
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_bearer_api_calls_need_no_csrf_header(app, committee_and_member):
    village, committee, member = committee_and_member
    with unique_client(app) as api_client:
        headers = bearer(api_client, committee)
        r = api_client.patch(f"/api/v1/villages/{village.id}/members/{member.id}", json={"group": "二组"},
                             headers=headers)
        assert r.status_code == 200 and r.json()["group"] == "二组"


def test_each_page_prints_the_token_masked_afresh_and_every_copy_works(app, client, committee_and_member):
    """Pages go out compressed: the session's token never appears twice the same (BREACH). Each page's
    copy, and the API's unmasked one, pass; another session's copy does not."""
    village, committee, member = committee_and_member
    first = login(client, committee)
    again = page_csrf(client, f"/v/{village.slug}/members/{member.id}")
    issued = client.get("/api/v1/me").json()["csrf_token"]
    assert len({first, again, issued}) == 3 and issued not in client.get(f"/v/{village.slug}/").text
    with unique_client(app, follow_redirects=False) as other:
        foreign = login(other, member)
    for token, status in ((first, 303), (again, 303), (issued, 303), (foreign, 403), (first[:-2] + "zz", 403)):
        r = client.post(f"/v/{village.slug}/members/{member.id}", data={"household": "H-05", "csrf_token": token})
        assert r.status_code == status, token


# --- headers --------------------------------------------------------------------------------


def directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.fixture
def some_village(world):
    return world.village()


PATHS = [
    ("/", 200),
    ("/login", 200),
    ("/activate", 200),
    ("/v/{slug}/", 200),
    ("/v/{slug}/members", 303),  # a redirect to the login page
    ("/v/no-such-village/", 404),  # a 404 page
    ("/no/such/page", 404),
    ("/api/v1/villages", 200),
    ("/api/v1/villages/987654321", 404),  # an API 404
    ("/api/v1/me", 401),  # an API 401
    ("/api/v1/openapi.json", 200),
    ("/static/site.css", 200),
    ("/docs", 200),
]


@pytest.mark.parametrize(("path", "status"), PATHS)
def test_every_response_carries_the_security_headers(client, some_village, path, status):
    r = client.get(path.format(slug=some_village.slug))
    assert r.status_code == status
    h = r.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    csp = directives(h["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "default-src" in csp
    # /docs too: Swagger UI's files are served by the site and started from a file, no CDN, no inline code
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["script-src"] == ["'self'"]


def test_pages_for_a_logged_in_user_are_not_cached(client, world):
    user = world.user()
    login(client, user)
    r = client.get("/account")
    assert r.status_code == 200
    assert "no-store" in r.headers["cache-control"]
    assert user.name in r.text


def test_the_docs_csp_does_not_leak_to_other_paths(client):
    assert "'unsafe-inline'" not in directives(client.get("/docsx").headers["content-security-policy"])["script-src"]
    assert "'unsafe-inline'" not in directives(
        client.get("/api/v1/docs").headers["content-security-policy"])["script-src"]


def test_a_crash_is_a_chinese_500_with_the_security_headers(database):
    """Unhandled errors are answered outside the middleware stack; they still get the headers."""
    from app.main import create_app

    application = create_app(database.settings)

    @application.get("/crash")
    @application.get("/api/v1/crash")
    def crash():
        raise RuntimeError("boom")

    with unique_client(application, raise_server_exceptions=False) as c:
        page = c.get("/crash")
        api = c.get("/api/v1/crash")
    application.state.engine.dispose()
    assert page.status_code == api.status_code == 500
    assert page.headers["content-type"].startswith("text/html") and "服务器出错了" in page.text
    assert "boom" not in page.text and "Traceback" not in page.text
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["detail"] == "服务器出错了，请稍后再试；问题已记录"
    for r in (page, api):
        assert directives(r.headers["content-security-policy"])["frame-ancestors"] == ["'none'"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "no-store" in r.headers["cache-control"]
