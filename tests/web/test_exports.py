"""Downloads (导出), on both engines: a closed vote's workbook for anyone (its sign-in for the village),
the member list for the committee only; each export is in the audit record; a download is a POST."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.models import AuditEvent
from tests.conftest import page_csrf
from tests.factories import Staff, login


def last_action(db, village_id):
    db.expire_all()
    return db.execute(select(AuditEvent.action).where(AuditEvent.village_id == village_id)
                      .order_by(AuditEvent.seq.desc())).scalars().first()


def test_the_committee_exports_the_member_list_and_nobody_else(client, world, db):
    staff = Staff(world)
    url = f"/v/{staff.village.slug}/export/members"
    login(client, staff.villager)
    token = page_csrf(client, "/me")
    assert client.post(url, data={"csrf_token": token}).status_code == 403
    client.cookies.clear()
    login(client, staff.committee)
    token = page_csrf(client, f"/v/{staff.village.slug}/members")
    r = client.post(url, data={"csrf_token": token})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    rows = list(load_workbook(io.BytesIO(r.content))["村民名册"].iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名", "手机号", "出生日期") and any(row[0] == "村民甲" for row in rows[1:])
    assert last_action(db, staff.village.id) == "export.members"
    assert client.get(url).status_code == 405  # a download that is audited is never a GET


def test_a_closed_vote_exports_its_result_box_and_receipts(client, world, db, api, clock):
    from tests.api.vote_setup import new_council, new_vote, proposal_at_vote
    from tests.factories import ok

    staff = Staff(world)
    pid = proposal_at_vote(api, db, staff.village, staff.committee)
    council = new_council(api, staff.village, staff.committee)["id"]
    vote = new_vote(api, pid, staff.committee, council)
    sid = ok(api.post(f"/votes/{vote['id']}/open", staff.committee))["id"]
    ok(api.post(f"/votes/{sid}/ballots", staff.villager, {"choice": 0}), 201)
    ok(api.post(f"/votes/{sid}/close", staff.committee))
    token = page_csrf(client, "/login")  # anyone, not logged in: a closed vote is public
    r = client.post(f"/v/{staff.village.slug}/votes/{sid}/export", data={"csrf_token": token})
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["结果", "票箱", "回执"]  # no sign-in list for someone outside the village
    assert [row[1] for row in wb["票箱"].iter_rows(min_row=2, values_only=True)] == [vote["options"][0]]
    assert last_action(db, staff.village.id) == "export.vote"
