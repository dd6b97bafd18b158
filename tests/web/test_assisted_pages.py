"""The committee's page of assisted records (代录, /v/{slug}/assisted) and where a confirmed record
shows "由某某代录、某某确认": the matter's paper co-signs, the comment thread, the notice's objections.
Forms as people fill them; refusals re-show the form or say why in a flash; a constant number of
queries however many records."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import AssistedAct
from tests.api.test_assisted import MARK, make_town, published_notice
from tests.factories import login, ok, png
from tests.querycount import count_queries
from tests.web.test_proposal_pages import flash, main


def as_user(client, user) -> str:
    client.cookies.clear()
    return login(client, user)


def record_form(client, t, token: str, **fields):
    data = {"kind": "cosign", "user_id": str(t.elder.id), "target_id": str(t.pid), "csrf_token": token, **fields}
    scan = data.pop("scan", png())
    files = {"scan": ("联署单.png", scan, "image/png")} if scan else {"scan": ("", b"", "application/octet-stream")}
    return client.post(f"/v/{t.village.slug}/assisted", data=data, files=files)


def flash_after(client, r) -> str:
    """The flash and the page a form's redirect leads to, as plain text."""
    assert r.status_code == 303, r.text[:300]
    html = client.get(r.headers["location"]).text
    return flash(html) + " | " + main(html)


def test_a_paper_cosign_recorded_and_confirmed_on_the_pages(client, world, api, db):
    t = make_town(world, api, adults=30)
    slug = t.village.slug
    token = as_user(client, t.chair)
    matter = client.get(f"/v/{slug}/proposals/{t.pid}").text
    assert "为不会用手机的村民代录纸质联署" in matter and "为不会用手机的村民代录意见" in matter
    # the link opens the form with the matter chosen; the villager without an account is offered first
    page = client.get(f"/v/{slug}/assisted?kind=cosign&target={t.pid}").text
    assert '<details id="record-cosign" open>' in page
    assert f'<option value="{t.pid}" selected>修建村东头便民桥</option>' in page
    people = page[page.index('id="user-cosign"'):]
    assert people.index("张大爷") < people.index("陈邻居") and "未激活" in people.split("陈邻居")[0]
    assert "代录" in main(page) and f'href="/v/{slug}/assisted"' in page  # in the village menu

    shown = flash_after(client, record_form(client, t, token))
    assert "ok: 已录入。须由另一名村委会成员核对确认后才计入" in shown and "张大爷" in shown and "待确认" in shown
    assert "核对无误，确认" not in shown  # not the recorder's to confirm
    act = db.execute(select(AssistedAct).where(AssistedAct.village_id == t.village.id)).scalar_one()

    token = as_user(client, t.clerk)
    r = client.post(f"/v/{slug}/assisted/{act.id}/confirm", data={"csrf_token": token})
    assert "ok: 已确认，纸质联署已经计入" in flash_after(client, r)
    matter = main(client.get(f"/v/{slug}/proposals/{t.pid}").text)
    assert "纸质联署（1 人）" in matter and f"张大爷：{MARK}" in matter and "已联署 2 / 需 3" in matter
    # a second confirmation is refused in a flash on the page
    r = client.post(f"/v/{slug}/assisted/{act.id}/confirm", data={"csrf_token": token})
    assert "error: 这条代录已经确认过了" in flash_after(client, r)


def test_other_villagers_see_the_mark_not_the_name_nor_the_scan(client, world, api):
    t = make_town(world, api, adults=30)
    act = ok(t.record(), 201)
    ok(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk))
    as_user(client, t.neighbour)
    page = client.get(f"/v/{t.village.slug}/proposals/{t.pid}").text
    assert f"一位村民：{MARK}" in main(page) and "张大爷" not in main(page)
    assert f"/attachments/{act['scan_ids'][0]}" not in page
    assert "为不会用手机的村民代录" not in page
    as_user(client, t.supervisor)
    page = client.get(f"/v/{t.village.slug}/proposals/{t.pid}").text
    assert f"张大爷：{MARK}" in main(page) and f"/attachments/{act['scan_ids'][0]}" in page


def test_a_missing_scan_shows_the_form_again_with_its_message(client, world, api, db):
    t = make_town(world, api, adults=30)
    token = as_user(client, t.chair)
    r = record_form(client, t, token, scan=None)
    assert r.status_code == 422
    assert '<details id="record-cosign" open>' in r.text
    assert "纸质联署须上传村民签字的联署单扫描件或照片" in main(r.text)
    assert f'<option value="{t.elder.id}" selected>' in r.text  # what was chosen is kept
    r = record_form(client, t, token, kind="objection", target_id="", body="")
    assert r.status_code == 422 and '<details id="record-objection" open>' in r.text
    assert "请选择要质询的公开" in main(r.text) and "请写明村民口述的质询内容" in main(r.text)
    assert db.execute(select(func.count()).select_from(AssistedAct)
                      .where(AssistedAct.village_id == t.village.id)).scalar_one() == 0


def test_a_refusal_of_the_moment_is_a_flash(client, world, api):
    t = make_town(world, api, adults=30)
    ok(t.api.post(f"/proposals/{t.pid}/cosign", t.neighbour), 201)
    token = as_user(client, t.chair)
    shown = flash_after(client, record_form(client, t, token, user_id=str(t.neighbour.id)))
    assert "error: 这位村民已经联署过了（网上或纸质），每人只算一次" in shown


def test_sending_back_needs_a_reason(client, world, api, db):
    t = make_town(world, api, adults=30)
    act = ok(t.record(), 201)
    token = as_user(client, t.clerk)
    r = client.post(f"/v/{t.village.slug}/assisted/{act['id']}/reject", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 422 and "请写明退回的理由" in main(r.text)
    r = client.post(f"/v/{t.village.slug}/assisted/{act['id']}/reject",
                    data={"csrf_token": token, "reason": "签名看不清"})
    shown = flash_after(client, r)
    assert "ok: 已退回" in shown and "王秀英 于" in shown and "理由：签名看不清" in shown


def test_a_comment_and_an_objection_show_their_mark(client, world, api):
    t = make_town(world, api, adults=30)
    nid = published_notice(t)
    objection = ok(t.record(kind="objection", target=nid, body="水泥钱为什么这么贵？", scan=None), 201)
    comment = ok(t.record(kind="comment", body="桥要修宽一点。", scan=None), 201)
    for act in (objection, comment):
        ok(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk))
    as_user(client, t.neighbour)
    thread = main(client.get(f"/v/{t.village.slug}/proposals/{t.pid}").text)
    assert "张大爷" in thread and MARK in thread and "桥要修宽一点。" in thread
    notice = client.get(f"/v/{t.village.slug}/notices/{nid}").text
    assert MARK in main(notice) and "水泥钱为什么这么贵？" in main(notice)
    assert "为不会用手机的村民代录质询" not in notice
    as_user(client, t.chair)
    assert "为不会用手机的村民代录质询" in client.get(f"/v/{t.village.slug}/notices/{nid}").text


def test_the_page_is_the_committees_and_overseers(client, world, api):
    t = make_town(world, api, adults=30)
    as_user(client, t.author)
    assert client.get(f"/v/{t.village.slug}/assisted").status_code == 403
    as_user(client, t.supervisor)
    page = client.get(f"/v/{t.village.slug}/assisted").text
    assert "没有等待确认的代录" in page and "代录纸质联署" not in page  # reads, does not record
    client.cookies.clear()
    r = client.get(f"/v/{t.village.slug}/assisted")
    assert r.status_code == 303 and "/login" in r.headers["location"]


def test_the_page_runs_a_constant_number_of_queries(client, world, api, app):
    t = make_town(world, api, adults=30)
    as_user(client, t.clerk)
    url = f"/v/{t.village.slug}/assisted?state=all"
    ok(t.record(), 201)
    with count_queries(app.state.engine) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        ok(t.record(user=world.member(t.village, name="老人", password=None)), 201)
    with count_queries(app.state.engine) as many:
        assert client.get(url).status_code == 200
    assert many.count == few.count, str(many)
