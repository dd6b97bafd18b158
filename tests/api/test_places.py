"""The public directory and the admin's set-up of counties, townships and villages."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.models import PLATFORM_CHAIN, AuditEvent
from tests.factories import bearer, every_item, unique_slug


def eighteenth_birthday_before(today: date) -> date:
    """The birth date of someone who turns 18 exactly today."""
    try:
        return today.replace(year=today.year - 18)
    except ValueError:  # today is 29 February: born 28 February is already 18 (see domain.people)
        return date(today.year - 18, 2, 28)


def events(db, village_id: int, action: str, entity_id: int) -> list[AuditEvent]:
    db.rollback()
    return list(db.execute(
        select(AuditEvent).where(AuditEvent.village_id == village_id, AuditEvent.action == action,
                                 AuditEvent.entity_id == str(entity_id))
    ).scalars())


# --- public directory -----------------------------------------------------------------------


def test_townships_and_villages_are_public_and_filtered(client, world):
    township = world.township()
    a = world.village(township)
    b = world.village(township)
    elsewhere = world.village()
    r = client.get("/api/v1/townships")
    assert r.status_code == 200
    assert r.json()["page"] == 1 and r.json()["total"] >= 1
    assert township in [t["id"] for t in every_item(client, "/api/v1/townships")]
    r = client.get("/api/v1/villages", params={"township_id": township})
    assert r.status_code == 200
    assert sorted(v["id"] for v in r.json()["items"]) == sorted([a.id, b.id]) and r.json()["total"] == 2
    assert {"id", "name", "slug", "township_id"} <= set(r.json()["items"][0])
    everything = {v["id"] for v in every_item(client, "/api/v1/villages")}
    assert {a.id, b.id, elsewhere.id} <= everything


def test_townships_filter_by_county(client, world, db):
    township = world.township()
    from app.models import Township

    county_id = db.get(Township, township).county_id
    r = client.get("/api/v1/townships", params={"county_id": county_id})
    assert [t["id"] for t in r.json()["items"]] == [township]


def test_village_facts_count_adults_from_their_18th_birthday(client, world):
    village = world.village()
    today = local_today()
    turns_18_today = eighteenth_birthday_before(today)
    world.member(village, "committee", birth_date=date(1970, 1, 1), household="H-1", group="一组", password=None)
    world.member(village, birth_date=turns_18_today, household="H-1", group="一组", password=None)
    world.member(village, birth_date=turns_18_today + timedelta(days=1), household="H-2", group="二组",
                 password=None)  # 18 tomorrow
    world.member(village, "representative", birth_date=None, household="H-2", password=None)  # unknown age
    r = client.get(f"/api/v1/villages/{village.id}")
    assert r.status_code == 200
    body = r.json()
    assert body["slug"] == village.slug and body["township_name"]
    assert body["facts"] == {"members": 4, "adults": 2, "households": 2, "groups": 2, "representatives": 1}


def test_unknown_village_is_a_chinese_404(client):
    r = client.get("/api/v1/villages/987654321")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "找不到这个村"


# --- the admin's set-up ---------------------------------------------------------------------


def test_admin_creates_county_township_village_with_audit(client, world, db):
    headers = bearer(client, world.admin)
    r = client.post("/api/v1/counties", json={"name": f"新设县{secrets.token_hex(3)}"}, headers=headers)
    assert r.status_code == 201, r.text
    county = r.json()["id"]
    r = client.post("/api/v1/townships", json={"name": "新设镇", "county_id": county}, headers=headers)
    assert r.status_code == 201, r.text
    township = r.json()["id"]
    slug = unique_slug("new-")
    r = client.post("/api/v1/villages", json={"name": "新设村", "slug": slug, "township_id": township},
                    headers=headers)
    assert r.status_code == 201, r.text
    village = r.json()
    assert village["slug"] == slug and village["township_id"] == township
    assert client.get(f"/api/v1/villages/{village['id']}").json()["facts"]["members"] == 0

    admin_id = world.admin.id
    for vid, action, entity in [
        (PLATFORM_CHAIN, "county.create", county),
        (PLATFORM_CHAIN, "township.create", township),
        (PLATFORM_CHAIN, "village.create", village["id"]),
        (village["id"], "village.create", village["id"]),  # the village's own chain starts here
    ]:
        found = events(db, vid, action, entity)
        assert len(found) == 1, (vid, action)
        assert found[0].actor_id == admin_id
    first = events(db, village["id"], "village.create", village["id"])[0]
    assert first.seq == 1
    assert client.get(f"/api/v1/villages/{village['id']}/audit/verify").json()["ok"] is True
    assert client.get(f"/api/v1/villages/{PLATFORM_CHAIN}/audit/verify").status_code == 404  # not a village


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/counties", {"name": "越权县"}),
        ("/api/v1/townships", {"name": "越权镇", "county_id": 1}),
        ("/api/v1/villages", {"name": "越权村", "slug": "nope-slug", "township_id": 1}),
    ],
)
@pytest.mark.parametrize("who", ["nobody", "villager", "committee", "monitor"])
def test_only_an_admin_sets_up_places(client, world, path, body, who):
    township = world.township()
    village = world.village(township)
    headers = {}
    if who == "monitor":
        headers = bearer(client, world.monitor(township))
    elif who != "nobody":
        headers = bearer(client, world.member(village, *([who] if who != "villager" else [])))
    r = client.post(path, json=body, headers=headers)
    status = 401 if who == "nobody" else 403
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert not r.json()["detail"].isascii()
    if status == 403:
        assert "系统管理员" in r.json()["detail"]


@pytest.mark.parametrize(
    "slug",
    ["1village", "Village_1", "村名", "with space", "-dash", "a" * 41, "ab/cd", "x"],
)
def test_bad_slug_is_refused_in_chinese(client, world, slug):
    headers = bearer(client, world.admin)
    township = world.township()
    r = client.post("/api/v1/villages", json={"name": "坏网址村", "slug": slug, "township_id": township},
                    headers=headers)
    assert r.status_code == 422, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "网址名" in body["detail"]
    assert body["errors"][0]["field"] == "slug"
    assert not any(v["name"] == "坏网址村" for v in client.get("/api/v1/villages",
                                                             params={"township_id": township}).json()["items"])


def test_slug_is_lowercased(client, world):
    headers = bearer(client, world.admin)
    slug = unique_slug("Mixed")
    r = client.post("/api/v1/villages", json={"name": "大小写村", "slug": slug, "township_id": world.township()},
                    headers=headers)
    assert r.status_code == 201 and r.json()["slug"] == slug.lower()


def test_duplicate_slug_and_names_are_409(client, world, db):
    headers = bearer(client, world.admin)
    village = world.village()
    r = client.post("/api/v1/villages", json={"name": "另一个村", "slug": village.slug,
                                              "township_id": world.township()}, headers=headers)
    assert r.status_code == 409 and "网址名" in r.json()["detail"]
    r = client.post("/api/v1/villages", json={"name": village.name, "slug": unique_slug(),
                                              "township_id": village.township_id}, headers=headers)
    assert r.status_code == 409
    # a refused village writes nothing on the platform chain
    before = client.get(f"/api/v1/villages/{village.id}/audit/head").json()
    assert before["seq"] >= 1
    from app.models import Township

    township = db.get(Township, village.township_id)
    r = client.post("/api/v1/townships", json={"name": township.name, "county_id": township.county_id},
                    headers=headers)
    assert r.status_code == 409 and "同名" in r.json()["detail"]


def test_unknown_parent_is_refused(client, world):
    headers = bearer(client, world.admin)
    r = client.post("/api/v1/townships", json={"name": "孤镇", "county_id": 987654321}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"] == "找不到这个县"
    r = client.post("/api/v1/villages", json={"name": "孤村", "slug": unique_slug(), "township_id": 987654321},
                    headers=headers)
    assert r.status_code == 422 and r.json()["detail"] == "找不到这个乡镇"


@pytest.mark.parametrize("name", ["", "   ", "名" * 51])
def test_bad_names_are_refused(client, world, name):
    headers = bearer(client, world.admin)
    r = client.post("/api/v1/counties", json={"name": name}, headers=headers)
    assert r.status_code == 422
    assert not r.json()["detail"].isascii()
