"""The decision file's pages (一事一档), on both engines: the phone page (the verdict first, then the
steps with their badges, no wide tables), the A4 sheet, the bundle download and the link from the
matter's page — for a villager, the committee and the township's monitor; a visitor is sent to log in,
another village's people and another township's monitor get 404."""

from __future__ import annotations

import io
import json
import re
import zipfile

from app.models import Village
from tests.api.test_decision_files import full_matter
from tests.factories import Staff, login
from tests.web.test_proposal_pages import main


def as_user(client, user) -> None:
    client.cookies.clear()
    if user is not None:
        login(client, user)


def badges(html: str) -> list[str]:
    return re.findall(r'<span class="tag state-\w+">(.*?)</span>', html)


def test_the_file_page_on_a_phone(client, api, world, db, clock):
    s, monitor, pid, vote, nid = full_matter(api, world, db, clock)
    base = f"/v/{s.village.slug}/proposals/{pid}"
    as_user(client, s.villager)
    matter_page = client.get(base)
    assert matter_page.status_code == 200
    assert f'href="{base}/file"' in matter_page.text and "一事一档" in matter_page.text
    page = client.get(f"{base}/file")
    assert page.status_code == 200
    text = main(page.text)
    assert text.index("结论：未完成") < text.index("全过程")  # the verdict first
    assert "<table" not in page.text[page.text.index("<main"):]  # steps as a list, no wide table
    for stage in ("提事（联署）", "商事（公开商议）", "决事（表决）", "公示", "乡镇审核备案", "理事（组织实施）"):
        assert stage in text, stage
    assert {"符合", "免于适用", "尚未进行"} <= set(badges(page.text))
    assert "村委会提出的事项不需要村民联署（村委会 主任）" in text  # waived: why, and by whom
    assert vote["fingerprint"] in text and "同意 5 票" in text and "质询 1 条，已答复 1 条" in text
    assert "乡镇监督员 乡镇监督员" in text and "依据《村民委员会组织法》" in text
    assert f'href="{base}/file/print"' in page.text and f'href="{base}/file.zip"' in page.text


def test_the_a4_sheet_and_the_bundle_for_the_monitor(client, api, world, db, clock):
    s, monitor, pid, vote, nid = full_matter(api, world, db, clock)
    base = f"/v/{s.village.slug}/proposals/{pid}"
    as_user(client, monitor)
    sheet = client.get(f"{base}/file/print")
    assert sheet.status_code == 200
    text = main(sheet.text)
    assert "一事一档" in text and "结论 未完成" in text and "审核人（签字）" in text
    assert "<svg" in sheet.text and "扫码看网上一事一档" in text and f"{base}/file" in text
    assert "决事（表决）：符合" in text and "cunyi verify-bundle" in text
    bundle = client.get(f"{base}/file.zip")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(bundle.content)).read("manifest.json"))
    assert manifest["proposal"]["id"] == pid and manifest["notices"][0]["id"] == nid


def test_a_check_not_met_shows_on_the_page(client, api, world, db, clock):
    s, monitor, pid, _, _ = full_matter(api, world, db, clock)
    village = db.get(Village, s.village.id)
    village.settings = {**(village.settings or {}), "min_days": {"yishiyiyi.deliberation": 10}}
    db.add(village)
    db.commit()
    as_user(client, s.committee)
    page = client.get(f"/v/{s.village.slug}/proposals/{pid}/file")
    text = main(page.text)
    assert "结论：不合规" in text and "有 1 项检查不符合规定" in text
    assert "不符合" in badges(page.text) and "本村规定至少 10 天" in text


def test_who_may_not_see_the_pages(client, api, world, db, clock):
    s, monitor, pid, _, _ = full_matter(api, world, db, clock, objections=0)
    other = Staff(world)
    stranger = world.monitor(other.village.township_id)
    paths = [f"/v/{s.village.slug}/proposals/{pid}/file{tail}" for tail in ("", "/print", ".zip")]
    as_user(client, None)
    for path in paths:
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    for user in (other.villager, other.committee, stranger):
        as_user(client, user)
        for path in paths:
            assert client.get(path).status_code == 404, (path, user.name)
    as_user(client, other.committee)  # the matter under the other village's address
    for tail in ("", "/print", ".zip"):
        assert client.get(f"/v/{other.village.slug}/proposals/{pid}/file{tail}").status_code == 404
    as_user(client, s.neighbour)
    assert client.get(f"/v/{s.village.slug}/proposals/{pid + 10_000_000}/file").status_code == 404
    assert client.get(f"/v/{other.village.slug}/proposals/{pid}/file").status_code == 404
