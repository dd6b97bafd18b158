"""The township sets the province's rules for its villages; a village cannot change them."""

from __future__ import annotations

from tests.factories import bearer


def test_township_rules_override_the_villages(client, world):
    township = world.township()
    village = world.village(township)
    committee = world.member(village, "committee")
    author = world.member(village)
    monitor = world.monitor(township)
    other_monitor = world.monitor(world.township())
    m, c = bearer(client, monitor), bearer(client, committee)

    assert client.get(f"/api/v1/townships/{township}/settings", headers=m).json()["per_capita_cap_fen"] is None
    r = client.put(f"/api/v1/townships/{township}/settings", headers=m,
                   json={"per_capita_cap_fen": 1000, "labour_days_cap": 5, "proxy_cap": 2})
    assert r.status_code == 200 and r.json() == {"per_capita_cap_fen": 1000, "labour_days_cap": 5, "proxy_cap": 2}
    assert client.put(f"/api/v1/townships/{township}/settings", headers=bearer(client, other_monitor),
                      json={"proxy_cap": 5}).status_code == 404
    assert client.put(f"/api/v1/townships/{township}/settings", headers=c, json={"proxy_cap": 5}).status_code == 404
    assert client.put(f"/api/v1/townships/{township}/settings", headers=m, json={"proxy_cap": 11}).status_code == 422

    current = client.get(f"/api/v1/villages/{village.id}/settings", headers=c).json()
    assert current["per_capita_cap_fen"] == 1000 and current["proxy_cap"] == 2
    assert current["fixed"] == ["labour_days_cap", "per_capita_cap_fen", "proxy_cap"]
    # the village cannot raise what the township fixes
    saved = client.put(f"/api/v1/villages/{village.id}/settings", headers=c,
                       json={**current, "per_capita_cap_fen": 3000, "proxy_cap": 5}).json()
    assert saved["per_capita_cap_fen"] == 1000 and saved["proxy_cap"] == 2
    over = client.post(f"/api/v1/villages/{village.id}/proposals", headers=bearer(client, author), json={
        "title": "修路", "body": "方案", "category": "facilities", "procedure": "yishiyiyi", "per_capita_fen": 1200})
    assert over.status_code == 422 and "上限 10.00 元" in over.json()["detail"]

    # handing one rule back to the villages
    back = client.put(f"/api/v1/townships/{township}/settings", headers=m, json={"per_capita_cap_fen": None,
                                                                               "labour_days_cap": 5, "proxy_cap": 2})
    assert back.json()["per_capita_cap_fen"] is None
    assert "per_capita_cap_fen" not in client.get(f"/api/v1/villages/{village.id}/settings", headers=c).json()["fixed"]
