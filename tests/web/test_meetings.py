"""The meeting and petition pages, on both engines: the committee drafts a meeting from the form (a
refused form shows its messages and keeps what was typed), announces it (a 村民会议 less than ten days
ahead is refused with the law's words, nothing written), opens check-in (the code in the flash); a
representative checks in with it; the minutes are saved; members petition and sign from the page; the
township's dashboard shows a request met and unconvened for 30 days."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.domain.calendar import format_local
from app.models import AuditEvent
from tests.conftest import page_csrf
from tests.factories import Staff, login, now, ok


def post(client, url: str, page: str, **form):
    return client.post(url, data={**form, "csrf_token": page_csrf(client, page)})


def as_user(client, user):
    client.cookies.clear()
    login(client, user)


def flash_of(client, r) -> str:
    return client.get(r.headers["location"]).text


def test_a_meeting_from_the_form_to_its_minutes(client, api, world, db, clock):
    s = Staff(world)
    rep = world.member(s.village, "representative", name="代表甲")
    slug = s.village.slug
    reps = ok(api.post(f"/villages/{s.village.id}/councils", s.committee, {"kind": "representatives"}), 201)
    assembly = ok(api.post(f"/villages/{s.village.id}/councils", s.committee, {"kind": "assembly"}), 201)
    as_user(client, s.committee)
    page = client.get(f"/v/{slug}/meetings").text
    assert 'href="/v/' + slug + '/meetings"' in page and "新建会议" in page
    assert re.search(r'<textarea id="items" name="items" rows="4">\s*</textarea>', page)  # an empty agenda
    assert ">村民代表会议</option>" in page and "村民代表会议（村民代表会议）" not in page  # said once
    r = post(client, f"/v/{slug}/meetings", f"/v/{slug}/meetings", council_id=str(reps["id"]), title="",
             starts_at="not a time", place="村部", items="通报道路")
    assert r.status_code == 422 and "请填写会议时间" in r.text and "通报道路" in r.text
    soon = format_local(now() + timedelta(minutes=30), "%Y-%m-%dT%H:%M")
    r = post(client, f"/v/{slug}/meetings", f"/v/{slug}/meetings", council_id=str(reps["id"]), title="代表会议",
             starts_at=soon, place="村部二楼", items="通报道路\n讨论路灯")
    assert r.status_code == 303
    url = r.headers["location"].split("?")[0].split("#")[0]
    page = client.get(url).text
    assert "通报道路" in page and "讨论路灯" in page and "列席：监委会主任" in page and "第三十七条" in page

    far = format_local(now() + timedelta(days=3), "%Y-%m-%dT%H:%M")
    r = post(client, f"/v/{slug}/meetings", f"/v/{slug}/meetings", council_id=str(assembly["id"]), title="村民会议",
             starts_at=far, place="操场")
    aurl = r.headers["location"].split("?")[0]
    events = db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    r = post(client, f"{aurl}/announce", aurl)
    assert r.status_code == 422 and "提前10日通知村民" in r.text and "第二十五条" in r.text
    db.expire_all()
    assert db.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events

    r = post(client, f"{url}/announce", url)
    assert r.status_code == 303 and "送村务监督委员会审核" in flash_of(client, r)
    r = post(client, f"{url}/checkin/open", url)
    code = re.search(r"签到码 (\d{6})", flash_of(client, r)).group(1)

    as_user(client, rep)
    page = client.get(url).text
    assert "签到码（会场上展示的 6 位数字）" in page and "开启手机签到" not in page
    r = post(client, f"{url}/checkin", url, code="999999" if code != "999999" else "888888")
    assert r.status_code == 422 and "签到码不对" in r.text
    r = post(client, f"{url}/checkin", url, code=code)
    assert r.status_code == 303 and "您已签到" in flash_of(client, r)
    assert "代表甲 · 手机签到" in client.get(url).text

    clock.travel(minutes=35)
    as_user(client, s.committee)
    r = post(client, f"{url}/minutes", url, minutes="道路硬化完成八成。")
    assert r.status_code == 303 and "道路硬化完成八成" in client.get(url).text and "已召开" in client.get(url).text


def test_petitions_page_and_the_dashboard(client, api, world, db, clock):
    s = Staff(world)
    rep = world.member(s.village, "representative", name="代表甲")
    slug = s.village.slug
    as_user(client, rep)
    page = client.get(f"/v/{slug}/petitions").text
    assert "提议召开村民代表会议" not in page and "发起提议" in page
    r = post(client, f"/v/{slug}/petitions", f"/v/{slug}/petitions", kind="representatives", reason="")
    assert r.status_code == 422 and "请写明提议召开会议的事由" in r.text
    r = post(client, f"/v/{slug}/petitions", f"/v/{slug}/petitions", kind="representatives", reason="议路灯维修")
    assert r.status_code == 303
    page = client.get(f"/v/{slug}/petitions").text
    assert "村委会应当召集" in page and "您已签名" in page and "第三十条" in page  # 1 of 1 representative
    as_user(client, s.villager)
    page = client.get(f"/v/{slug}/petitions").text
    pid = re.search(r'/petitions/(\d+)/sign', page).group(1)
    r = post(client, f"/v/{slug}/petitions/{pid}/sign", f"/v/{slug}/petitions")
    assert r.status_code == 303 and "须是村民代表" in flash_of(client, r)
    clock.travel(days=31)
    as_user(client, world.monitor(s.village.township_id))
    board = client.get(f"/townships/{s.village.township_id}/dashboard").text
    assert "达到法定人数超过 30 天仍未召集的会议提议" in board and f'href="/v/{slug}/petitions">1 件' in board
