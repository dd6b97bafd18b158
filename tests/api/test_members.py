"""Village members: who may list, read, add and edit them, and what each sees."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.models import AuditEvent, AuditPrivate, User
from tests.factories import bearer, unique_phone


def members_url(village, uid: int | None = None) -> str:
    base = f"/api/v1/villages/{village.id}/members"
    return base if uid is None else f"{base}/{uid}"


def last_event(db, village_id: int) -> AuditEvent:
    db.rollback()
    return db.execute(
        select(AuditEvent).where(AuditEvent.village_id == village_id).order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one()


@pytest.fixture
def village_with_people(world):
    """A village: one committee member, one supervisor, five villagers in two households."""
    township = world.township()
    village = world.village(township)
    people = {
        "committee": world.member(village, "committee", name="李主任", household="H-01", group="一组"),
        "supervisor": world.member(village, "supervisor", name="赵监委", household="H-02", group="一组"),
        "villager": world.member(village, name="张大爷", household="H-03", group="二组"),
    }
    for i in range(4):
        world.member(village, *(["representative"] if i == 0 else []), name=f"王村民{i}",
                     household="H-04", group="二组", password=None)
    return township, village, people


# --- listing --------------------------------------------------------------------------------


def test_committee_lists_members_with_pages(client, world, village_with_people):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    r = client.get(members_url(village), headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert body["total"] == 7 and body["page"] == 1 and body["per_page"] == 50 and len(body["items"]) == 7
    r = client.get(members_url(village), params={"page": 2, "per_page": 3}, headers=headers)
    body = r.json()
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (7, 2, 3, 3)
    page3 = client.get(members_url(village), params={"page": 3, "per_page": 3}, headers=headers).json()
    assert len(page3["items"]) == 1
    everyone = {m["user_id"] for p in (1, 2, 3)
                for m in client.get(members_url(village), params={"page": p, "per_page": 3},
                                    headers=headers).json()["items"]}
    assert len(everyone) == 7  # pages neither repeat nor skip anyone
    beyond = client.get(members_url(village), params={"page": 9, "per_page": 3}, headers=headers).json()
    assert beyond["items"] == [] and beyond["total"] == 7


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"q": "王村民"}, ["王村民0", "王村民1", "王村民2", "王村民3"]),
        ({"q": "张"}, ["张大爷"]),
        ({"q": "H-02"}, ["赵监委"]),
        ({"role": "committee"}, ["李主任"]),
        ({"role": "representative"}, ["王村民0"]),
        ({"role": "supervisor", "q": "赵"}, ["赵监委"]),
        ({"q": "没有这个人"}, []),
    ],
)
def test_search_and_role_filter(client, village_with_people, params, names):
    _, village, people = village_with_people
    r = client.get(members_url(village), params=params, headers=bearer(client, people["committee"]))
    assert r.status_code == 200
    assert sorted(m["name"] for m in r.json()["items"]) == names
    assert r.json()["total"] == len(names)


def test_search_by_phone(client, village_with_people):
    _, village, people = village_with_people
    phone = people["villager"].phone
    r = client.get(members_url(village), params={"q": phone[-6:]}, headers=bearer(client, people["committee"]))
    assert [m["name"] for m in r.json()["items"]] == ["张大爷"]


def test_unknown_role_filter_is_refused(client, village_with_people):
    _, village, people = village_with_people
    r = client.get(members_url(village), params={"role": "boss"}, headers=bearer(client, people["committee"]))
    assert r.status_code == 422 and "身份" in r.json()["detail"]


def test_committee_sees_full_phones_supervisor_and_monitor_see_masked(client, world, village_with_people):
    township, village, people = village_with_people
    def shown(user):
        items = client.get(members_url(village), params={"q": "张大爷"}, headers=bearer(client, user)).json()["items"]
        one = client.get(members_url(village, people["villager"].id), headers=bearer(client, user)).json()
        return items[0]["phone"], one["phone"]

    full = people["villager"].phone
    masked = f"{full[:3]}****{full[7:]}"
    assert shown(people["committee"]) == (full, full)
    assert shown(people["supervisor"]) == (masked, masked)
    assert shown(world.monitor(township)) == (masked, masked)
    assert shown(world.admin) == (full, full)


def test_monitor_of_the_township_lists_another_township_gets_404(client, world, village_with_people):
    township, village, people = village_with_people
    mine = world.monitor(township)
    r = client.get(members_url(village), headers=bearer(client, mine))
    assert r.status_code == 200 and r.json()["total"] == 7
    other = world.monitor(world.township())
    for url in (members_url(village), members_url(village, people["villager"].id)):
        r = client.get(url, headers=bearer(client, other))
        assert r.status_code == 404 and r.json()["detail"] == "找不到这个村"


def test_monitor_reads_but_does_not_edit(client, world, village_with_people):
    township, village, people = village_with_people
    headers = bearer(client, world.monitor(township))
    r = client.patch(members_url(village, people["villager"].id), json={"household": "H-99"}, headers=headers)
    assert r.status_code == 403 and "村委会" in r.json()["detail"]  # they see the village: no pretending
    r = client.post(members_url(village), json={"name": "某人", "phone": unique_phone()}, headers=headers)
    assert r.status_code == 403
    url = f"{members_url(village, people['villager'].id)}/activation-code"
    assert client.post(url, headers=headers).status_code == 403
    assert client.get(members_url(village, people["villager"].id), headers=headers).json()["household"] == "H-03"


@pytest.mark.parametrize("who", ["villager", "representative", "accountant", "party_member"])
def test_ordinary_members_get_403_naming_the_role(client, world, village_with_people, who):
    _, village, _ = village_with_people
    user = world.member(village, *([] if who == "villager" else [who]))
    headers = bearer(client, user)
    r = client.get(members_url(village), headers=headers)
    assert r.status_code == 403
    assert "村委会" in r.json()["detail"]
    assert client.patch(members_url(village, user.id), json={"roles": ["committee"]},
                        headers=headers).status_code == 403
    assert client.post(members_url(village), json={"name": "某人", "phone": unique_phone()},
                       headers=headers).status_code == 403


def test_supervisor_reads_but_does_not_edit(client, village_with_people):
    _, village, people = village_with_people
    headers = bearer(client, people["supervisor"])
    r = client.patch(members_url(village, people["villager"].id), json={"household": "H-99"}, headers=headers)
    assert r.status_code == 403 and "村委会" in r.json()["detail"]


def test_committee_of_another_village_gets_404(client, world, village_with_people):
    _, village, people = village_with_people
    other_village = world.village()
    stranger = world.member(other_village, "committee")
    headers = bearer(client, stranger)
    target = people["villager"].id
    assert client.get(members_url(village), headers=headers).status_code == 404
    assert client.get(members_url(village, target), headers=headers).status_code == 404
    r = client.patch(members_url(village, target), json={"household": "H-99"}, headers=headers)
    assert r.status_code == 404 and r.json()["detail"] == "找不到这个村"
    assert client.post(f"{members_url(village, target)}/activation-code", headers=headers).status_code == 404
    assert client.post(members_url(village), json={"name": "某人", "phone": unique_phone()},
                       headers=headers).status_code == 404
    # nor can they reach the member through their own village
    r = client.get(members_url(other_village, target), headers=headers)
    assert r.status_code == 404 and "这个村没有" in r.json()["detail"]
    r = client.patch(members_url(other_village, target), json={"household": "H-99"}, headers=headers)
    assert r.status_code == 404
    own = client.get(members_url(village, target), headers=bearer(client, people["committee"])).json()
    assert own["household"] == "H-03"


def test_anonymous_gets_401(client, village_with_people):
    _, village, people = village_with_people
    assert client.get(members_url(village)).status_code == 401
    assert client.get(members_url(village, people["villager"].id)).status_code == 401
    assert client.patch(members_url(village, people["villager"].id), json={}).status_code == 401


# --- adding ---------------------------------------------------------------------------------


def test_committee_adds_a_member_with_an_activation_code(client, world, village_with_people, db):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    phone = unique_phone()
    r = client.post(members_url(village), headers=headers, json={
        "name": "新来的", "phone": phone, "birth_date": "1990-02-03", "gender": "女",
        "household": "H-05", "group": "三组", "roles": ["representative"],
    })
    assert r.status_code == 201, r.text
    body = r.json()
    member = body["member"]
    assert member["name"] == "新来的" and member["phone"] == phone and member["status"] == "pending"
    assert member["roles"] == ["villager", "representative"]
    assert (member["household"], member["group"], member["birth_date"]) == ("H-05", "三组", "1990-02-03")
    code = body["activation"]["code"]
    assert len(code) == 10 and body["activation"]["user_id"] == member["user_id"]
    event = last_event(db, village.id)
    assert event.action == "member.create" and event.entity_id == str(member["user_id"])
    data = json.loads(event.payload)["data"]
    assert set(data["private"]) == {"name", "phone", "household", "group"}  # only commitments in the chain
    assert phone not in bytes(event.payload).decode() and "新来的" not in bytes(event.payload).decode()
    kept = {r.field: json.loads(r.value) for r in db.execute(select(AuditPrivate).where(
        AuditPrivate.village_id == village.id, AuditPrivate.seq == event.seq)).scalars()}
    assert kept["phone"] == f"{phone[:3]}****{phone[7:]}"  # even beside the chain: no full phone number
    r = client.post("/api/v1/auth/activate", json={"phone": phone, "code": code, "password": "New-member-77"})
    assert r.status_code == 200
    assert client.post("/api/v1/auth/token", json={"phone": phone, "password": "New-member-77"}).status_code == 200


def test_duplicate_phone_is_409(client, world, village_with_people):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    r = client.post(members_url(village), json={"name": "重名", "phone": people["villager"].phone}, headers=headers)
    assert r.status_code == 409 and "已经登记" in r.json()["detail"]
    elsewhere = world.member(world.village())
    r = client.post(members_url(village), json={"name": "外村人", "phone": elsewhere.phone}, headers=headers)
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "某人", "phone": "12345678901"}, "phone"),
        ({"name": "某人", "phone": "1381234"}, "phone"),
        ({"name": "", "phone": "13812345678"}, "name"),
        ({"name": "   ", "phone": "13812345678"}, "name"),
        ({"name": "某人", "phone": "13812345678", "gender": "X"}, "gender"),
        ({"name": "某人", "phone": "13812345678", "birth_date": "not a date"}, "birth_date"),
        ({"name": "某人", "phone": "13812345678", "roles": ["boss"]}, "roles"),
    ],
)
def test_bad_member_input_is_refused_and_changes_nothing(client, village_with_people, body, field):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    r = client.post(members_url(village), json=body, headers=headers)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert not problem["detail"].isascii()
    assert any(e["field"].split(".")[0] == field for e in problem["errors"]), problem
    assert client.get(members_url(village), headers=headers).json()["total"] == 7


# --- editing --------------------------------------------------------------------------------


def test_patch_roles_household_group_is_saved_and_audited(client, village_with_people, db):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    target = people["villager"]
    r = client.patch(members_url(village, target.id), headers=headers,
                     json={"roles": ["representative", "party_member"], "household": "H-88", "group": "五组"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["roles"] == ["villager", "representative", "party_member"]
    assert (body["household"], body["group"]) == ("H-88", "五组")
    again = client.get(members_url(village, target.id), headers=headers).json()
    assert again == body
    event = last_event(db, village.id)
    assert event.action == "member.update" and event.entity_id == str(target.id)
    assert event.actor_id == people["committee"].id
    data = json.loads(event.payload)["data"]
    assert data["roles"] == ["party_member", "representative", "villager"]
    assert data["previous_roles"] == ["villager"]
    assert set(data["private"]) == {"household", "group"} and "H-88" not in bytes(event.payload).decode()
    assert client.get(f"/api/v1/villages/{village.id}/audit/verify").json()["ok"] is True


def test_patch_only_what_is_sent(client, village_with_people):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    target = people["supervisor"]
    r = client.patch(members_url(village, target.id), headers=headers, json={"group": "三组"})
    assert r.status_code == 200
    assert r.json()["roles"] == ["villager", "supervisor"] and r.json()["household"] == "H-02"
    assert r.json()["group"] == "三组"


def test_patch_unknown_role_is_refused(client, village_with_people):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    r = client.patch(members_url(village, people["villager"].id), json={"roles": ["boss"]}, headers=headers)
    assert r.status_code == 422 and "不认识的身份" in r.json()["detail"]
    assert client.get(members_url(village, people["villager"].id), headers=headers).json()["roles"] == ["villager"]


def test_the_last_committee_member_keeps_the_role(client, world, village_with_people, db):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    me = people["committee"].id
    r = client.patch(members_url(village, me), json={"roles": ["representative"]}, headers=headers)
    assert r.status_code == 409 and "至少要留一名村委会成员" in r.json()["detail"]
    assert client.get(members_url(village, me), headers=headers).json()["roles"] == ["villager", "committee"]
    # with a second committee member the first may step down
    second = client.patch(members_url(village, people["supervisor"].id), headers=headers,
                          json={"roles": ["supervisor", "committee"]})
    assert second.status_code == 200
    r = client.patch(members_url(village, me), json={"roles": ["representative"]}, headers=headers)
    assert r.status_code == 200 and r.json()["roles"] == ["villager", "representative"]


def test_patch_unknown_member_is_404(client, village_with_people):
    _, village, people = village_with_people
    r = client.patch(members_url(village, 987654321), json={"household": "H-1"},
                     headers=bearer(client, people["committee"]))
    assert r.status_code == 404 and "这个村没有" in r.json()["detail"]


# --- activation codes -----------------------------------------------------------------------


def test_reissue_code_replaces_the_old_one(client, world, village_with_people, db):
    _, village, people = village_with_people
    headers = bearer(client, people["committee"])
    pending = world.member(village, name="忘了密码", password=None)
    url = f"{members_url(village, pending.id)}/activation-code"
    first = client.post(url, headers=headers)
    assert first.status_code == 201
    second = client.post(url, headers=headers).json()
    assert second["code"] != first.json()["code"] and second["phone"] == pending.phone
    assert last_event(db, village.id).action == "member.code_issued"
    r = client.post("/api/v1/auth/activate",
                    json={"phone": pending.phone, "code": first.json()["code"], "password": "New-member-77"})
    assert r.status_code == 422
    r = client.post("/api/v1/auth/activate",
                    json={"phone": pending.phone, "code": second["code"], "password": "New-member-77"})
    assert r.status_code == 200
    db.expire_all()
    assert db.get(User, pending.id).status == "active"


def test_codes_are_for_the_committee_only(client, village_with_people):
    _, village, people = village_with_people
    url = f"{members_url(village, people['villager'].id)}/activation-code"
    assert client.post(url, headers=bearer(client, people["supervisor"])).status_code == 403
    assert client.post(url).status_code == 401


# --- privileged accounts are not the committee's to take over -------------------------------


@pytest.mark.parametrize("who", ["monitor", "admin"])
def test_committee_cannot_enrol_a_privileged_account(client, world, db, who):
    """Enrolling a monitor's or admin's phone as a villager, then reissuing a code, would let the
    committee reset that account's password and act with its rights."""
    township = world.township()
    village = world.village(township)
    committee = world.member(village, "committee")
    target = world.monitor(township) if who == "monitor" else world.user(name="系统管理员", is_admin=True)
    headers = bearer(client, committee)
    r = client.post(members_url(village), json={"name": "冒名", "phone": target.phone}, headers=headers)
    assert r.status_code == 409, r.text
    assert not r.json()["detail"].isascii()
    db.expire_all()
    assert db.get(User, target.id).name != "冒名"
    r = client.post(f"{members_url(village, target.id)}/activation-code", headers=headers)
    assert r.status_code == 404  # not a member of this village


def test_a_monitor_who_is_also_a_villager_keeps_their_password(client, world, db, settings):
    """An admin may enrol a monitor in their home village; the committee still cannot reset them."""
    from app.services import members

    township = world.township()
    village = world.village(township)
    committee = world.member(village, "committee")
    monitor = world.monitor(township)
    members.upsert_member(db, settings, world.admin_actor, village,
                          members.MemberIn(name=monitor.name, phone=monitor.phone))
    db.commit()
    headers = bearer(client, committee)
    assert client.get(members_url(village, monitor.id), headers=headers).status_code == 200
    r = client.post(f"{members_url(village, monitor.id)}/activation-code", headers=headers)
    assert r.status_code == 409 and "乡镇监督员" in r.json()["detail"]


def test_supervisor_codes_come_from_the_township_not_the_committee(client, world):
    township = world.township()
    village = world.village(township)
    committee = world.member(village, "committee")
    supervisor = world.member(village, "supervisor", name="监委")
    url = f"/api/v1/villages/{village.id}/members/{supervisor.id}/activation-code"
    refused = client.post(url, headers=bearer(client, committee))
    assert refused.status_code == 403 and "乡镇监督员" in refused.json()["detail"]
    issued = client.post(url, headers=bearer(client, world.monitor(township)))
    assert issued.status_code == 201 and len(issued.json()["code"]) == 10
