"""POST /api/v1/villages/{vid}/roster: dry run report, all-or-nothing import, codes, refusals, audit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, MemberRole, Membership, User
from tests.factories import PASSWORD, bearer, unique_phone

HEADER = "姓名,手机号,出生日期,性别,户号,村民小组,角色,户主\n"


def roster_url(vid: int) -> str:
    return f"/api/v1/villages/{vid}/roster"


def upload(client, vid: int, text: str | bytes, headers: dict | None = None, *, dry_run: bool | None = True,
           filename: str = "名册.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    form = {} if dry_run is None else {"dry_run": "true" if dry_run else "false"}
    return client.post(roster_url(vid), files={"file": (filename, data, "text/csv")}, data=form,
                       headers=headers or {})


def member_count(db, vid: int) -> int:
    db.rollback()
    return db.execute(select(func.count()).select_from(Membership).where(Membership.village_id == vid)).scalar_one()


def roles_of(db, phone: str) -> set[str]:
    db.rollback()
    return set(db.execute(
        select(MemberRole.role).join(Membership, Membership.id == MemberRole.membership_id)
        .join(User, User.id == Membership.user_id).where(User.phone == phone)
    ).scalars())


@pytest.fixture
def committee(world):
    village = world.village()
    chair = world.member(village, "committee", name="村主任")
    return village, chair


def test_dry_run_reports_every_problem_and_changes_nothing(client, world, db, committee):
    village, chair = committee
    headers = bearer(client, chair)
    p1, p2 = unique_phone(), unique_phone()
    text = HEADER + f"张三,{p1},1960-02-03,男,001,一组,党员,是\n" + f"李四,{p2[:-1]},1960-13-01,猫,001,一组,族长,\n"
    before = member_count(db, village.id)
    r = upload(client, village.id, text, headers)  # dry_run defaults to true
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True and body["total"] == 2
    assert (body["created"], body["updated"]) == (1, 0)  # what the import would do
    assert body["activation"] == []
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (3, "phone"), (3, "birth_date"), (3, "gender"), (3, "roles"),
    ]
    assert body["errors"][0]["message"] == f"手机号“{p2[:-1]}”不对：应为 11 位数字，以 1 开头"
    assert member_count(db, village.id) == before
    no_default = upload(client, village.id, text, headers, dry_run=None)
    assert no_default.status_code == 200 and no_default.json()["dry_run"] is True


def test_real_import_is_all_or_nothing(client, world, db, committee):
    village, chair = committee
    headers = bearer(client, chair)
    good = "".join(f"村民{i},{unique_phone()},1970-01-01,女,00{i},二组,,\n" for i in range(5))
    text = HEADER + good + f"坏行,{unique_phone()},明年,,,,,\n"
    before = member_count(db, village.id)
    r = upload(client, village.id, text, headers, dry_run=False)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert "没有导入任何数据" in body["detail"]
    assert body["errors"] == [
        {"row": 7, "field": "birth_date", "message": "出生日期“明年”看不懂：请写成 1980-05-01 这样"},
    ]
    assert member_count(db, village.id) == before
    db.rollback()
    assert db.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.village_id == village.id, AuditEvent.action == "roster.import")).scalar_one() == 0


def test_import_creates_members_with_working_codes_and_reimport_updates(client, world, db, committee):
    village, chair = committee
    headers = bearer(client, chair)
    phones = [unique_phone() for _ in range(3)]
    text = (HEADER + f"王大,{phones[0]},1950-01-01,男,101,三组,村民代表、党员,是\n"
            f"王二,{phones[1]},1980/5/6,女,101,三组,,否\n"
            f"刘三,{phones[2]},,,102,三组,村民代表,\n")
    before = member_count(db, village.id)
    r = upload(client, village.id, text, headers, dry_run=False)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is False
    assert (body["total"], body["created"], body["updated"], body["errors"]) == (3, 3, 0, [])
    assert [(a["name"], a["phone"]) for a in body["activation"]] == [("王大", phones[0]), ("王二", phones[1]),
                                                                     ("刘三", phones[2])]
    assert member_count(db, village.id) == before + 3
    assert roles_of(db, phones[0]) == {"villager", "representative", "party_member"}

    # every code works exactly as the printed sheet says
    for a in body["activation"]:
        ok = client.post("/api/v1/auth/activate", json={"phone": a["phone"], "code": a["code"], "password": PASSWORD})
        assert ok.status_code == 200, ok.text
    assert client.post("/api/v1/auth/token", json={"phone": phones[0], "password": PASSWORD}).status_code == 200

    # the same file again: nobody new, everybody updated, no new codes
    again = upload(client, village.id, text, headers, dry_run=False)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["updated"], again.json()["activation"]) == (0, 3, [])
    assert member_count(db, village.id) == before + 3

    # one summary event per import, and the chain still verifies
    db.rollback()
    events = db.execute(select(AuditEvent).where(AuditEvent.village_id == village.id,
                                                 AuditEvent.action == "roster.import")
                        .order_by(AuditEvent.seq)).scalars().all()
    assert len(events) == 2
    payload = json.loads(bytes(events[0].payload))
    assert events[0].actor_id == chair.id
    assert payload["data"]["rows"] == 3 and payload["data"]["created"] == 3 and payload["data"]["updated"] == 0
    assert len(payload["data"]["file_sha256"]) == 64
    verify = client.get(f"/api/v1/villages/{village.id}/audit/verify")
    assert verify.status_code == 200 and verify.json()["ok"] is True, verify.text


def test_household_head_from_the_file(client, world, db, committee):
    from app.models import Household

    village, chair = committee
    headers = bearer(client, chair)
    p1, p2 = unique_phone(), unique_phone()
    r = upload(client, village.id, HEADER + f"父亲,{p1},,,201,,,\n儿子,{p2},,,201,,,是\n", headers, dry_run=False)
    assert r.status_code == 200, r.text
    db.rollback()
    rep = db.execute(select(Household.representative_id).where(Household.village_id == village.id,
                                                               Household.number == "201")).scalar_one()
    son = db.execute(select(User.id).where(User.phone == p2)).scalar_one()
    assert rep == son


def test_file_without_roles_column_keeps_roles(client, world, db, committee):
    village, chair = committee
    headers = bearer(client, chair)
    r = upload(client, village.id, f"姓名,手机号\n村主任,{chair.phone}\n新人,{unique_phone()}\n", headers,
               dry_run=False)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["updated"]) == (1, 1)
    assert roles_of(db, chair.phone) == {"villager", "committee"}


def test_import_may_not_leave_the_village_without_committee(client, world, db, committee):
    village, chair = committee
    headers = bearer(client, chair)
    r = upload(client, village.id, HEADER + f"村主任,{chair.phone},,,,,党员,\n", headers, dry_run=False)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"row": 2, "field": "roles",
                                   "message": "导入后村里将没有村委会成员：请至少给一人保留“村委会”角色"}]
    assert roles_of(db, chair.phone) == {"villager", "committee"}
    # handing over to someone else in the same file is fine
    ok = upload(client, village.id, HEADER + f"村主任,{chair.phone},,,,,村委会,\n接班人,{unique_phone()},,,,,村委会,\n",
                headers)
    assert ok.status_code == 200 and ok.json()["errors"] == []


def test_phone_of_another_village_member_is_an_error(client, world, db, committee):
    village, chair = committee
    other = world.village()
    stranger = world.member(other, name="外村人")
    headers = bearer(client, chair)
    text = HEADER + f"外村人,{stranger.phone},,,,,,\n"
    for dry in (True, False):
        r = upload(client, village.id, text, headers, dry_run=dry)
        assert r.status_code == (200 if dry else 422), r.text
        assert r.json()["errors"] == [{"row": 2, "field": "phone", "message": "这个手机号已登记为其他村的村民"}]
    db.rollback()
    assert db.execute(select(Membership.village_id).where(Membership.user_id == stranger.id)).scalar_one() == other.id


def test_xlsx_upload(client, world, db, committee):
    import io
    from datetime import datetime

    from openpyxl import Workbook

    village, chair = committee
    wb = Workbook()
    wb.active.append(["name", "phone", "birth_date", "roles"])
    phone = unique_phone()
    wb.active.append(["赵六", int(phone), datetime(1966, 6, 6), "党员"])
    out = io.BytesIO()
    wb.save(out)
    r = client.post(roster_url(village.id), headers=bearer(client, chair), data={"dry_run": "false"},
                    files={"file": ("roster.xlsx", out.getvalue(),
                                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1
    db.rollback()
    assert str(db.execute(select(User.birth_date).where(User.phone == phone)).scalar_one()) == "1966-06-06"


def test_refusals(client, world, db, committee, monkeypatch):
    village, chair = committee
    text = HEADER + f"张三,{unique_phone()},,,,,,\n"
    villager = world.member(village, name="普通村民")
    other_chair = world.member(world.village(), "committee", name="外村主任")
    r = upload(client, village.id, text)
    assert r.status_code == 401 and "登录" in r.json()["detail"]
    r = upload(client, village.id, text, bearer(client, villager), dry_run=False)
    assert r.status_code == 403 and "村委会" in r.json()["detail"]
    r = upload(client, village.id, text, bearer(client, other_chair), dry_run=False)
    assert r.status_code == 404
    assert upload(client, 987654321, text, bearer(client, chair)).status_code == 404

    headers = bearer(client, chair)
    bad_type = upload(client, village.id, b"%PDF", headers, filename="roster.pdf")
    assert bad_type.status_code == 422
    assert bad_type.json()["errors"] == [{"field": "file", "message": "只能上传 CSV 或 XLSX 格式的名册文件"}]
    missing = client.post(roster_url(village.id), headers=headers, data={"dry_run": "true"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"

    monkeypatch.setattr(client.app.state.settings, "roster_max_bytes", 64)
    big = upload(client, village.id, text + "李四,13800138000,,,,,,\n" * 3, headers, dry_run=False)
    assert big.status_code == 422, big.text
    assert big.json()["detail"] == "文件太大：名册文件最大 64 字节"
    assert member_count(db, village.id) == 2


def test_cookie_client_needs_the_csrf_header(client, world, committee):
    from tests.factories import login

    village, chair = committee
    token = login(client, chair)
    text = HEADER + f"张三,{unique_phone()},,,,,,\n"
    assert upload(client, village.id, text).status_code == 403
    assert upload(client, village.id, text, {"X-CSRF-Token": token}).status_code == 200


def test_a_file_in_an_unreadable_encoding_is_refused_naming_the_encodings(client, world):
    village = world.village()
    chair = world.member(village, "committee")
    r = upload(client, village.id, b"\xff\xfe\x41", bearer(client, chair))
    assert r.status_code == 422, r.text
    assert "UTF-8" in r.json()["detail"] and "GB18030" in r.json()["detail"]
