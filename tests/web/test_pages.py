"""Pages as a visitor meets them: directory, village page, login form, errors, the member list."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import pytest

from app.clock import local_today
from tests.conftest import page_csrf
from tests.factories import PASSWORD, bearer, login, unique_client, unique_phone
from tests.querycount import count_queries

# --- public pages ---------------------------------------------------------------------------


def test_directory_lists_the_villages(client, world):
    township = world.township()
    a = world.village(township)
    b = world.village(township)
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    for village in (a, b):
        assert village.name in r.text
        assert f'href="/v/{village.slug}/"' in r.text


def test_village_page_shows_its_facts(client, world):
    village = world.village()
    today = local_today()
    world.member(village, "committee", "representative", household="A-1", group="一组", password=None)
    world.member(village, household="A-1", group="一组", password=None,
                 birth_date=date(today.year - 10, 1, 1))  # a child
    world.member(village, household="A-2", group="二组", password=None)
    r = client.get(f"/v/{village.slug}/")
    assert r.status_code == 200
    assert village.name in r.text
    text = " ".join(r.text.split())
    for fact in ("登记村民</dt><dd>3 人", "18 岁以上</dt><dd>2 人", "户数</dt><dd>2 户",
                 "村民小组</dt><dd>2 个", "村民代表</dt><dd>1 人"):
        assert fact in text, fact
    assert f"/login?next=/v/{village.slug}/" in r.text  # a visitor is invited to log in


def test_member_sees_their_roles_on_the_village_page(client, world):
    village = world.village()
    user = world.member(village, "representative")
    login(client, user)
    r = client.get(f"/v/{village.slug}/")
    assert "我在本村" in r.text and "村民代表" in r.text


@pytest.mark.parametrize("path", ["/v/no-such-village/", "/v/no-such-village/members", "/no/such/page",
                                  "/v/no-such-village/notices/abc"])
def test_unknown_page_is_a_chinese_html_404(client, path, world):
    if path.endswith("members"):
        login(client, world.user())
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text and "找不到" in r.text
    assert '"detail"' not in r.text  # not JSON
    assert "回到首页" in r.text


def test_api_404_is_problem_json_in_chinese(client):
    for path in ("/api/v1/villages/987654321", "/api/v1/no/such/thing"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == 404 and body["title"] and not body["detail"].isascii()
        assert body["instance"] == path


def test_api_validation_errors_are_problem_json_in_chinese(client, world):
    r = client.post("/api/v1/auth/token", json={"phone": "", "password": "x"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["errors"] == [{"field": "phone", "message": "手机号至少 1 个字符"}]
    assert body["detail"] == "手机号至少 1 个字符"
    r = client.get("/api/v1/villages", params={"township_id": "abc"})
    assert r.status_code == 422 and r.json()["errors"][0]["message"] == "乡镇应为数字"
    r = client.post("/api/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    assert r.json()["errors"] == [{"field": "body", "message": "请求内容不是有效的 JSON"}]  # not a character offset
    headers = bearer(client, world.user())  # unsafe calls are checked for a login first (below)
    r = client.post("/api/v1/proposals/1/comments", json={}, headers=headers)  # a comment's own `body` field
    assert r.json()["errors"] == [{"field": "body", "message": "缺少内容"}]
    for error in r.json()["errors"]:
        assert not error["message"].isascii()
    # A value checked against `int | str` (a ballot's choice: its index or its label) gets one message,
    # the one for the kind sent, and names the field, not the union's members.
    for choice, message in (("", "选项至少 1 个字符"), ("选" * 101, "选项最多 100 个字符"), (-1, "选项超出允许范围")):
        r = client.post("/api/v1/votes/1/ballots", json={"choice": choice}, headers=headers)
        assert r.status_code == 422 and r.json()["errors"] == [{"field": "choice", "message": message}], choice
    meeting = {"council_id": 1, "title": "会", "starts_at": "x", "place": "村部"}
    r = client.post("/api/v1/villages/1/meetings", json=meeting, headers=headers)
    when = {"field": "starts_at", "message": "会议时间应为日期和时间，如 2026-05-01T09:30:00+08:00"}
    assert when in r.json()["errors"]
    # without a login, an unsafe call says so first, whatever its body lacks
    for path, body in (("/api/v1/villages/1/meetings", meeting), ("/api/v1/votes/1/ballots", {"choice": ""}),
                       ("/api/v1/villages/1/members", {"name": "x", "phone": "x"})):
        r = client.post(path, json=body)
        assert r.status_code == 401 and r.json()["detail"] == "请先登录", path
        bad = client.post(path, json=body, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"], path
        broken = client.post(path, content=b"{", headers={"content-type": "application/json"})  # no JSON at all
        assert broken.status_code == 401 and broken.headers["www-authenticate"] == 'Bearer realm="cunyi"', path
    broken = client.post("/api/v1/villages/1/meetings", content=b"{", headers={"content-type": "application/json",
                                                                              **headers})
    assert broken.status_code == 422 and "JSON" in broken.json()["detail"]  # logged in: what the body lacks
    for path in ("/api/v1/proposals/abc", "/api/v1/villages/x1/members"):  # an id that is no number names nothing
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json"), path


def test_api_method_not_allowed_is_chinese(client):
    r = client.delete("/api/v1/villages")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")
    assert not r.json()["detail"].isascii()


def test_docs_and_openapi_answer(client):
    assert client.get("/docs").status_code == 200
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert "/api/v1/auth/token" in spec["paths"]
    assert "/api/v1/villages/{vid}/members" in spec["paths"]


# --- login page -----------------------------------------------------------------------------


def test_wrong_password_reshows_the_form_with_the_phone(client, world):
    user = world.user()
    token = page_csrf(client, "/login")
    r = client.post("/login", data={"phone": user.phone, "password": "Not-the-pass-1", "csrf_token": token})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("text/html")
    assert "手机号或密码不对" in r.text
    assert f'value="{user.phone}"' in r.text
    assert "Not-the-pass-1" not in r.text  # the password is never echoed
    assert client.get("/api/v1/me").status_code == 401


def test_login_lands_on_my_home(client, world):
    village = world.village()
    user = world.member(village)
    token = page_csrf(client, "/login")
    r = client.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303 and r.headers["location"] == "/me"  # 我的待办
    assert user.name in client.get("/me").text  # and the flash greets them


@pytest.mark.parametrize(
    ("next_url", "lands"),
    [
        ("//evil.example", "/me"),
        ("//evil.example/v/x/", "/me"),
        ("https://evil.example/", "/me"),
        ("http:evil.example", "/me"),
        ("/\\evil.example", "/me"),
        ("\\\\evil.example", "/me"),
        ("javascript:alert(1)", "/me"),
        ("", "/me"),
        ("/account", "/account"),
        ("/v/some-village/members?page=2", "/v/some-village/members?page=2"),
    ],
)
def test_next_never_leaves_the_site(client, world, next_url, lands):
    user = world.user()  # anything off the site lands on the person's home
    token = page_csrf(client, "/login")
    r = client.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token,
                                    "next": next_url})
    assert r.status_code == 303
    location = r.headers["location"]
    assert location == lands
    parts = urlsplit(location.replace("\t", "").replace("\n", ""))
    assert not parts.netloc and not parts.scheme
    # logged in already, the login page sends them on the same way
    r = client.get("/login", params={"next": next_url})
    assert r.status_code == 303 and r.headers["location"] == lands


def test_next_with_control_characters_stays_on_site(client, world):
    user = world.user()
    token = page_csrf(client, "/login")
    r = client.post("/login", data={"phone": user.phone, "password": PASSWORD, "csrf_token": token,
                                    "next": "/\t/evil.example"})
    location = r.headers["location"]
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "")
    assert not cleaned.startswith("//") and not urlsplit(cleaned).netloc


def test_pages_that_need_login_send_to_the_login_form(client, world):
    village = world.village()
    for path in (f"/v/{village.slug}/members", f"/v/{village.slug}/audit", "/account"):
        r = client.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")


# --- the member list ------------------------------------------------------------------------


def test_members_page_shows_full_phones_to_the_committee_only(app, client, world):
    township = world.township()
    village = world.village(township)
    committee = world.member(village, "committee", name="李主任")
    supervisor = world.member(village, "supervisor", name="赵监委")
    villager = world.member(village, name="张大爷", password=None)
    login(client, committee)
    r = client.get(f"/v/{village.slug}/members")
    assert r.status_code == 200
    assert villager.phone in r.text and "张大爷" in r.text and "未激活" in r.text
    assert "添加村民" in r.text
    masked = f"{villager.phone[:3]}****{villager.phone[7:]}"
    for viewer in (supervisor, world.monitor(township)):
        with unique_client(app, follow_redirects=False) as other:
            login(other, viewer)
            page = other.get(f"/v/{village.slug}/members")
            assert page.status_code == 200
            assert villager.phone not in page.text and masked in page.text
            assert "添加村民" not in page.text


def test_members_page_refuses_villagers_and_hides_other_villages(app, client, world):
    village = world.village()
    login(client, world.member(village))
    r = client.get(f"/v/{village.slug}/members")
    assert r.status_code == 403 and "村委会" in r.text
    other = world.village()
    r = client.get(f"/v/{other.slug}/members")
    assert r.status_code == 404 and "找不到这个村" in r.text


def test_members_page_search(client, world):
    village = world.village()
    committee = world.member(village, "committee", name="李主任")
    world.member(village, name="王小明", password=None)
    world.member(village, name="王小红", password=None)
    world.member(village, name="赵大", password=None)
    login(client, committee)
    r = client.get(f"/v/{village.slug}/members", params={"q": "王小"})
    assert "王小明" in r.text and "王小红" in r.text and "赵大" not in r.text
    r = client.get(f"/v/{village.slug}/members", params={"role": "committee"})
    assert "李主任" in r.text and "王小明" not in r.text


def test_members_page_runs_a_constant_number_of_queries(app, client, world):
    village = world.village()
    committee = world.member(village, "committee", household="H-000", group="一组")
    for i in range(4):
        world.member(village, "representative" if i % 2 else "party_member", household=f"H-{i:03d}",
                     group="二组", password=None)
    login(client, committee)
    url = f"/v/{village.slug}/members"
    client.get(url)  # warm-up: anything done once per process is not counted
    with count_queries(app.state.engine) as small:
        r = client.get(url)
    assert r.status_code == 200 and r.text.count('<a href="/v/') >= 5
    for i in range(4, 59):
        world.member(village, "representative" if i % 2 else "party_member", household=f"H-{i:03d}",
                     group="一组" if i % 3 else "三组", password=None)
    with count_queries(app.state.engine) as large:
        r = client.get(url)
    assert r.status_code == 200 and "共 60 条" in r.text
    assert large.count == small.count, f"5 members: {small}\n60 members: {large}"
    assert small.count <= 12, str(small)
    with count_queries(app.state.engine) as second_page:
        r = client.get(url, params={"page": 2})
    assert r.status_code == 200 and "第 2 / 2 页" in r.text
    assert second_page.count == small.count


# --- forms that change things ---------------------------------------------------------------


def test_activation_form_then_login(client, world, db, settings):
    from app.services import members

    village = world.village()
    user = world.member(village, password=None)
    _, code, _ = members.reissue_code(db, settings, world.admin_actor, village, user.id)
    token = page_csrf(client, "/activate")
    r = client.post("/activate", data={"csrf_token": token, "phone": user.phone, "code": code,
                                       "password": "Fresh-pass-2026", "password2": "Fresh-pass-2027"})
    assert r.status_code == 422 and "两次输入的密码不一样" in r.text
    assert f'value="{user.phone}"' in r.text  # what was typed is kept
    r = client.post("/activate", data={"csrf_token": token, "phone": user.phone, "code": code,
                                       "password": "password1", "password2": "password1"})
    assert r.status_code == 422 and "太常见" in r.text
    r = client.post("/activate", data={"csrf_token": token, "phone": user.phone, "code": code,
                                       "password": "Fresh-pass-2026", "password2": "Fresh-pass-2026"})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client.post("/login", data={"csrf_token": token, "phone": user.phone, "password": "Fresh-pass-2026"})
    assert r.status_code == 303 and r.headers["location"] == "/me"


def test_member_form_keeps_the_last_committee_member(client, world):
    village = world.village()
    committee = world.member(village, "committee", name="李主任", household="H-1")
    token = login(client, committee)
    r = client.post(f"/v/{village.slug}/members/{committee.id}",
                    data={"csrf_token": token, "household": "H-2", "roles": ["representative"]})
    assert r.status_code == 409 and "至少要留一名村委会成员" in r.text
    page = client.get(f"/v/{village.slug}/members/{committee.id}").text
    assert "H-1" in page and "H-2" not in page  # nothing changed


def test_member_form_saves_and_says_so(client, world):
    village = world.village()
    committee = world.member(village, "committee")
    villager = world.member(village, name="张大爷")
    token = login(client, committee)
    r = client.post(f"/v/{village.slug}/members/{villager.id}",
                    data={"csrf_token": token, "household": "H-9", "group": "九组", "roles": ["representative"]})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "已保存" in page and "H-9" in page and "九组" in page and "村民代表" in page


def test_add_member_form_shows_the_code_once(client, world):
    village = world.village()
    committee = world.member(village, "committee")
    token = login(client, committee)
    phone = unique_phone()
    r = client.post(f"/v/{village.slug}/members/new",
                    data={"csrf_token": token, "name": "新村民", "phone": phone, "birth_date": "1990年3月4日",
                          "gender": "女", "household": "H-5", "roles": ["villager"]})
    assert r.status_code == 200, r.text
    assert "新村民" in r.text and phone in r.text and "只显示这一次" in r.text
    code = re.search(r'class="code">([A-Z2-9]{5}-[A-Z2-9]{5})<', r.text).group(1)
    with unique_client(client.app) as villager:
        ok = villager.post("/api/v1/auth/activate", json={"phone": phone, "code": code, "password": "Fresh-pass-2026"})
        assert ok.status_code == 200
    again = client.post(f"/v/{village.slug}/members/new",
                        data={"csrf_token": token, "name": "新村民", "phone": phone})
    assert again.status_code == 409 and "已经登记过" in again.text
    bad = client.post(f"/v/{village.slug}/members/new",
                      data={"csrf_token": token, "name": "日期错", "phone": unique_phone(), "birth_date": "三月"})
    assert bad.status_code == 422 and "出生日期格式不对" in bad.text and 'value="日期错"' in bad.text


def test_user_text_is_escaped(client, world):
    village = world.village()
    committee = world.member(village, "committee", name="<script>alert(1)</script>")
    login(client, committee)
    r = client.get(f"/v/{village.slug}/members")
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    with unique_client(client.app) as visitor:
        page = visitor.get("/login", params={"next": '/"><script>alert(2)</script>'}).text
    assert "<script>alert(2)</script>" not in page


def test_the_phone_fields_ask_for_a_phone_number(client):
    for path in ("/login", "/activate"):
        page = client.get(path).text
        assert 'type="tel"' in page and 'autocomplete="tel"' in page and 'autocomplete="username"' not in page
