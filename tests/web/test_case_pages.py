"""The township's cases and confidential reports on the web: the monitor's page (escalated objections
answered or directed to the village; the members' reports), the escalation note beside the objection
on the notice page, a member's report form and their list with the replies — with the refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import Objection, utcnow
from app.services import cases
from tests.factories import login
from tests.web.test_notice_pages import Village
from tests.web.test_proposal_pages import flash, follow, main


@pytest.fixture
def v(world) -> Village:
    return Village(world)


def late_objection(v: Village, body: str = "水费为什么涨了？") -> Objection:
    """The villager's objection to a published notice, past its deadline and escalated to the township."""
    notice = v.published(title="水费收缴公示")
    row = Objection(village_id=v.village.id, notice_id=notice.id, author_id=v.villager.id, body=body,
                    created_at=utcnow() - timedelta(days=12), due_at=utcnow() - timedelta(days=2))
    v.db.add(row)
    v.db.commit()
    cases.escalate_due(v.db)
    return row


def as_user(client, user) -> str:
    client.cookies.clear()
    return login(client, user)


def test_the_monitor_answers_an_escalated_objection_and_the_village_reads_it(client, world, v):
    objection = late_objection(v)
    township = v.village.township_id
    monitor = world.monitor(township)
    page_url = f"/townships/{township}/cases"
    token = as_user(client, monitor)

    dashboard = client.get(f"/townships/{township}/dashboard").text
    assert f'href="{page_url}"' in dashboard and "待乡镇处理的质询 1 件" in main(dashboard)
    assert "转乡镇的质询： 1 件待处理" in main(dashboard)
    page = client.get(page_url)
    assert page.status_code == 200
    text = main(page.text)
    assert v.village.name in text and "水费为什么涨了？" in text and "张大爷" in text and "待乡镇处理" in text
    case_id = cases.case_of_objection(v.db, v.actor(v.villager), objection.id).case.id
    action = f"{page_url}/{case_id}/answer"
    assert f'action="{action}"' in page.text and f'action="{page_url}/{case_id}/direct"' in page.text

    r = client.post(action, data={"answer": "  ", "csrf_token": token})
    assert r.status_code == 422 and "答复不能为空" in r.text and "<details open>" in r.text
    r = client.post(action, data={"answer": "水价按县里统一标准调整。", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == page_url
    after = follow(client, r)
    assert flash(after.text).startswith("ok: 答复已发出") and "没有待处理的质询" in main(after.text)
    assert "水价按县里统一标准调整。" in main(client.get(page_url + "?all=1").text)
    again = client.post(action, data={"answer": "再答一次", "csrf_token": token})
    assert again.status_code == 303 and "答复过了" in flash(follow(client, again).text)

    # the objector and the village see on the notice page that it moved, and the township's answer
    notice_url = v.url(f"notices/{objection.notice_id}")
    for reader in (v.villager, v.committee):
        as_user(client, reader)
        text = main(client.get(notice_url).text)
        assert "已转乡镇处理" in text and "乡镇已答复" in text and "水价按县里统一标准调整。" in text
    # the township's page is for its own monitors only
    token = as_user(client, v.committee)
    assert client.get(page_url).status_code == 404
    assert client.post(action, data={"answer": "我来答", "csrf_token": token}).status_code == 404
    as_user(client, world.monitor(world.township()))
    assert client.get(page_url).status_code == 404
    client.cookies.clear()
    assert client.get(page_url).status_code == 303  # to the login form


def test_the_monitor_directs_the_village_with_a_deadline(client, world, v, clock):
    objection = late_objection(v, "路灯为什么还没装？")
    township = v.village.township_id
    token = as_user(client, world.monitor(township))
    case_id = cases.case_of_objection(v.db, v.actor(v.villager), objection.id).case.id
    action = f"/townships/{township}/cases/{case_id}/direct"
    note = "请村委会说明路灯安装进度。"

    r = client.post(action, data={"note": note, "due_date": "明天", "csrf_token": token})
    assert r.status_code == 422 and "日期格式不对" in r.text and note in r.text
    r = client.post(action, data={"note": note, "due_date": clock.today().isoformat(), "csrf_token": token})
    assert r.status_code == 422 and "期限应在今天之后" in r.text
    due = (clock.today() + timedelta(days=7)).isoformat()
    r = client.post(action, data={"note": note, "due_date": due, "csrf_token": token})
    assert r.status_code == 303
    after = follow(client, r).text
    assert f"已督促{v.village.name}村委会在 {due} 前答复" in flash(after)
    assert "路灯为什么还没装？" in main(after) and "乡镇已督促村委会答复" in main(after)  # waits on the village

    as_user(client, v.committee)
    text = main(client.get(v.url(f"notices/{objection.notice_id}")).text)
    assert "已转乡镇处理" in text and note in text and f"村委会应在 {due} 前答复" in text
    assert "乡镇督促" in main(client.get("/me/notifications").text)


def test_a_member_reports_to_the_township_and_reads_the_reply(client, world, v):
    township = v.village.township_id
    monitor = world.monitor(township)
    token = as_user(client, v.villager)
    home = client.get("/me").text
    assert f'href="/v/{v.slug}/reports/new"' in home and "向乡镇反映（举报）" in home
    form = client.get(v.url("reports/new"))
    assert form.status_code == 200 and "村委会看不到您反映的内容" in main(form.text)

    r = client.post(v.url("reports"), data={"body": " ", "csrf_token": token})
    assert r.status_code == 422 and "反映的内容不能为空" in r.text
    concern = "鱼塘承包没有公开招标，租给了主任的亲戚。"
    r = client.post(v.url("reports"), data={"body": concern, "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/me/reports#r")
    report_id = int(r.headers["location"].rsplit("#r", 1)[1])
    mine = follow(client, r).text
    assert "已送到乡镇监督员" in flash(mine) and concern in main(mine) and "乡镇还没有答复" in main(mine)

    # the village's committee never sees it, nor who made it
    as_user(client, v.committee)
    assert concern not in client.get("/me/reports").text
    assert concern not in client.get("/me/notifications").text
    assert client.get(f"/townships/{township}/reports/{report_id}").status_code == 404
    assert client.get(f"/townships/{township}/cases").status_code == 404

    # the monitor reads it on the cases page and replies
    token = as_user(client, monitor)
    listing = client.get(f"/townships/{township}/cases").text
    assert f'href="/townships/{township}/reports/{report_id}"' in listing and "待答复的村民反映（举报）" in main(
        client.get(f"/townships/{township}/dashboard").text)
    detail = client.get(f"/townships/{township}/reports/{report_id}")
    assert detail.status_code == 200 and concern in main(detail.text) and "张大爷" in main(detail.text)
    reply_url = f"/townships/{township}/reports/{report_id}/replies"
    r = client.post(reply_url, data={"body": "", "csrf_token": token})
    assert r.status_code == 422 and "答复不能为空" in r.text
    r = client.post(reply_url, data={"body": "已收到，下周到村里核实。", "csrf_token": token})
    assert r.status_code == 303 and "答复已发出" in flash(follow(client, r).text)
    assert "已收到，下周到村里核实。" in main(client.get(f"/townships/{township}/reports/{report_id}").text)
    assert client.get(v.url("reports/new")).status_code == 403  # monitors do not report from a village
    other_township = world.township()
    assert client.get(f"/townships/{other_township}/reports/{report_id}").status_code == 404

    # the author reads the reply; the township's page is not theirs
    as_user(client, v.villager)
    assert "已收到，下周到村里核实。" in main(client.get("/me/reports").text)
    assert client.get(f"/townships/{township}/reports/{report_id}").status_code == 404
    client.cookies.clear()
    assert client.get("/me/reports").status_code == 303
    assert client.get(v.url("reports/new")).status_code == 303


def test_only_the_villages_members_open_its_report_form(client, world, v):
    elsewhere = world.village()
    as_user(client, world.member(elsewhere, name="外村人"))
    assert client.get(v.url("reports/new")).status_code == 404
    assert client.get("/v/no-such-village/reports/new").status_code == 404


def test_a_sixth_report_in_a_day_is_refused_with_a_message(client, v):
    for n in range(5):
        cases.create_report(v.db, v.actor(v.neighbour), v.village, f"第 {n + 1} 件")
    token = as_user(client, v.neighbour)
    r = client.post(v.url("reports"), data={"body": "第六件", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == v.url("reports/new")
    assert "24 小时内最多反映 5 件" in flash(follow(client, r).text)
