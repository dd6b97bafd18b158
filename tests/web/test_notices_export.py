"""The notices of a period as a workbook (导出公开记录), on both engines: what a member takes away, the
months it covers, who may take it, the refusals, and the audit event it leaves."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.clock import local_today
from app.models import AuditEvent
from tests.conftest import page_csrf
from tests.factories import login
from tests.web.test_notice_pages import Village


def exports_recorded(db) -> int:
    return db.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export.notices")
                      ).scalar_one()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(client, v, token, **form):
    return client.post(f"/v/{v.village.slug}/export/notices", data={**form, "csrf_token": token})


def rows(response) -> list[tuple]:
    assert response.status_code == 200 and response.headers["content-type"] == XLSX, response.text[:300]
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_a_member_takes_the_notices_of_a_period(client, world, db):
    v = Village(world)
    now = v.published(title="本月的公开")
    v.archived(1, category="finance", days_ago=400)  # long before the period
    login(client, v.villager)
    board = client.get(f"/v/{v.village.slug}/")
    assert "导出公开记录" in board.text and 'action="/v/' + v.village.slug + '/export/notices"' in board.text
    token = page_csrf(client, f"/v/{v.village.slug}/")
    month = local_today().strftime("%Y-%m")
    before = exports_recorded(db)
    r = export(client, v, token, **{"from": month, "to": month})
    table = rows(r)
    assert table[0][:3] == ("类别", "种类", "标题") and "内容指纹（SHA-256）" in table[0]
    titles = [row[2] for row in table[1:]]
    assert titles == ["本月的公开"]  # the one of four hundred days ago is outside the period
    assert table[1][8] == now.content_hash
    assert "公开记录" in r.headers["content-disposition"] or "filename*" in r.headers["content-disposition"]
    assert exports_recorded(db) == before + 1


def test_refusals_change_nothing(client, world, db):
    v = Village(world)
    v.published(title="公开")
    login(client, v.villager)
    token = page_csrf(client, f"/v/{v.village.slug}/")
    before = exports_recorded(db)
    for form, words in (({"from": "2026-13"}, "月份格式"), ({"from": "不是月份"}, "月份格式"),
                        ({"from": "2026-05", "to": "2026-01"}, "不能早于"),
                        ({"from": "2020-01", "to": "2026-12"}, "最多导出 36 个月")):
        r = export(client, v, token, **form)
        assert r.status_code == 303 and r.headers["location"].endswith("#export"), form
        assert words in client.get(r.headers["location"]).text, form
    assert exports_recorded(db) == before


def test_the_monitor_may_an_outsider_may_not(client, world, db):
    v = Village(world)
    v.published(title="公开")
    month = local_today().strftime("%Y-%m")
    login(client, world.monitor(v.village.township_id))
    token = page_csrf(client, f"/v/{v.village.slug}/")
    assert [row[2] for row in rows(export(client, v, token, **{"from": month}))[1:]] == ["公开"]
    client.cookies.clear()
    login(client, world.member(world.village()))
    token = page_csrf(client, f"/v/{v.village.slug}/")
    assert "导出公开记录" not in client.get(f"/v/{v.village.slug}/").text
    assert export(client, v, token, **{"from": month}).status_code == 404
