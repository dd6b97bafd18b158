"""The administrator sets up a county, township, village and a monitor from the /admin page."""

from __future__ import annotations

import re
import secrets

from tests.factories import login, unique_phone


def test_admin_sets_up_places_and_a_monitor(client, world):
    token = login(client, world.admin)
    page = client.get("/admin")
    assert page.status_code == 200 and "系统管理" in page.text

    county = f"测试县{secrets.token_hex(3)}"
    r = client.post("/admin/counties", data={"name": county, "csrf_token": token})
    assert r.status_code == 303
    page = client.get("/admin").text
    assert f"已登记县：{county}" in page
    county_id = re.search(rf'<option value="(\d+)">{county}</option>', page).group(1)

    township = f"测试镇{secrets.token_hex(3)}"
    assert client.post("/admin/townships", data={"name": township, "county_id": county_id,
                                                 "csrf_token": token}).status_code == 303
    page = client.get("/admin").text
    township_id = re.search(rf'<option value="(\d+)">{county} · {township}</option>', page).group(1)

    slug = f"t{secrets.token_hex(4)}"
    r = client.post("/admin/villages", data={"name": "新村", "slug": slug, "township_id": township_id,
                                             "csrf_token": token})
    assert r.status_code == 303
    assert client.get(f"/v/{slug}/").status_code == 200

    taken = client.post("/admin/villages", data={"name": "又一村", "slug": slug, "township_id": township_id,
                                                 "csrf_token": token})
    assert taken.status_code == 409 and "网址名已被占用" in taken.text

    bad = client.post("/admin/villages", data={"name": "坏村", "slug": "Bad Slug", "township_id": township_id,
                                               "csrf_token": token})
    assert bad.status_code == 422 and "网址名只能用小写字母" in bad.text and 'value="坏村"' in bad.text

    phone = unique_phone()
    r = client.post("/admin/monitors", data={"township_id": township_id, "name": "孔监督", "phone": phone,
                                             "csrf_token": token})
    assert r.status_code == 200 and "激活码只显示这一次" in r.text
    assert re.search(r'class="code">[A-Z2-9]{5}-[A-Z2-9]{5}<', r.text)
    assert "孔监督［未激活］" in client.get("/admin").text


def test_admin_page_is_for_admins_only(client, world):
    village = world.village()
    committee = world.member(village, "committee")
    assert client.get("/admin").status_code == 303  # to the login page
    token = login(client, committee)
    assert client.get("/admin").status_code == 403
    r = client.post("/admin/counties", data={"name": "越权县", "csrf_token": token})
    assert r.status_code == 403 and "系统管理员" in r.text
