"""Township monitors: granted by an admin, scoped to their township."""

from __future__ import annotations

from sqlalchemy import select

from app.models import PLATFORM_CHAIN, AuditEvent
from tests.factories import bearer, unique_phone


def test_admin_grants_monitor_who_activates_and_sees_only_their_township(client, world, db):
    phone = unique_phone()
    township = world.township()
    village = world.village(township)
    other_village = world.village()
    admin = bearer(client, world.admin)

    r = client.post(f"/api/v1/townships/{township}/monitors", json={"name": "钱监督", "phone": phone},
                    headers=admin)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending" and len(body["code"]) == 10

    r = client.post("/api/v1/auth/activate",
                    json={"phone": phone, "code": body["code"], "password": "Monitor-pass-77"})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/auth/token", json={"phone": phone, "password": "Monitor-pass-77"})
    monitor = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=monitor).json()["monitor_of"] == [township]

    assert client.get(f"/api/v1/villages/{village.id}/members", headers=monitor).status_code == 200
    assert client.get(f"/api/v1/villages/{other_village.id}/members", headers=monitor).status_code == 404
    assert client.get(f"/api/v1/villages/{village.id}/audit", headers=monitor).status_code == 200
    names = [m["name"] for m in client.get(f"/api/v1/townships/{township}/monitors", headers=monitor).json()["items"]]
    assert names == ["钱监督"]

    again = client.post(f"/api/v1/townships/{township}/monitors", json={"name": "钱监督", "phone": phone},
                        headers=admin)
    assert again.status_code == 409

    uid = body["user_id"]
    assert client.delete(f"/api/v1/townships/{township}/monitors/{uid}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/villages/{village.id}/members", headers=monitor).status_code == 404
    actions = set(db.execute(
        select(AuditEvent.action).where(AuditEvent.village_id == PLATFORM_CHAIN, AuditEvent.entity == "user",
               AuditEvent.entity_id == str(uid))
    ).scalars())
    assert actions == {"monitor.grant", "monitor.revoke"}

def test_only_admin_grants_monitors(client, world):
    township = world.township()
    village = world.village(township)
    committee = world.member(village, "committee")
    headers = bearer(client, committee)
    r = client.post(f"/api/v1/townships/{township}/monitors", json={"name": "某人", "phone": "17712345000"},
                    headers=headers)
    assert r.status_code == 403
    assert r.json()["detail"] == "这项操作需要系统管理员身份"
    assert client.post(f"/api/v1/townships/{township}/monitors",
                       json={"name": "某人", "phone": "17712345000"}).status_code == 401
    assert client.get(f"/api/v1/townships/{township}/monitors", headers=headers).status_code == 404
    bad = client.post(f"/api/v1/townships/{township}/monitors", json={"name": "某人", "phone": "12345678901"},
                      headers=bearer(client, world.admin))
    assert bad.status_code == 422 and "手机号" in bad.json()["detail"]
