"""The committee's roster pages: upload → report → confirm → printable codes, and the refusals."""

from __future__ import annotations

import re

import pytest

from app.domain.roster import EXAMPLE_CSV
from tests.factories import login, unique_phone

HEADER = "姓名,手机号,出生日期,性别,户号,村民小组,角色\n"
UPLOAD_ID = re.compile(r'name="upload_id" value="([^"]+)"')


@pytest.fixture
def committee(world):
    village = world.village()
    chair = world.member(village, "committee", name="村主任")
    return village, chair


def post_file(client, slug: str, token: str | None, text: str | bytes, filename: str = "名册.csv"):
    data = {"csrf_token": token} if token else {}
    body = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(f"/v/{slug}/roster", data=data, files={"file": (filename, body, "text/csv")})


def test_upload_page_and_example(client, committee):
    village, chair = committee
    login(client, chair)
    page = client.get(f"/v/{village.slug}/roster")
    assert page.status_code == 200
    assert 'name="file"' in page.text and 'accept=".csv,.xlsx' in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf_token"' in page.text
    assert f"/v/{village.slug}/roster/example.csv" in page.text
    example = client.get(f"/v/{village.slug}/roster/example.csv")
    assert example.status_code == 200 and example.content == EXAMPLE_CSV
    assert example.headers["content-type"].startswith("text/csv")
    assert "attachment" in example.headers["content-disposition"]


def test_report_with_an_error_row_has_no_confirm_button(client, committee, settings):
    village, chair = committee
    token = login(client, chair)
    bad = "1380013"
    text = HEADER + f"张三,{unique_phone()},1970-01-01,男,,,\n" + f"李四,{bad},,,,,村长\n"
    r = post_file(client, village.slug, token, text)
    assert r.status_code == 200, r.text
    assert "共 2 行，1 行有问题" in r.text
    assert f"手机号“{bad}”不对：应为 11 位数字，以 1 开头" in r.text
    assert "不认识的角色：村长" in r.text
    assert re.search(r'<tr class="bad">\s*<td>3</td>\s*<td>李四</td>\s*<td>1380013</td>', r.text)
    assert "确认导入" not in r.text and "upload_id" not in r.text
    assert "请改正后重新上传" in r.text
    assert not (settings.upload_dir / "roster" / str(village.id)).exists() or not any(
        (settings.upload_dir / "roster" / str(village.id)).iterdir())


def test_clean_roster_confirm_shows_codes(client, world, committee, settings):
    village, chair = committee
    token = login(client, chair)
    p1, p2 = unique_phone(), unique_phone()
    text = HEADER + f"张三,{p1},1970-01-01,男,001,一组,党员\n李四,{p2},1972-03-04,女,001,一组,\n"
    r = post_file(client, village.slug, token, text.encode("gb18030"))
    assert r.status_code == 200, r.text
    assert "共 2 行，0 行有问题" in r.text and "将新增 2 人，更新 0 人" in r.text
    assert "class=\"bad\"" not in r.text
    upload_id = UPLOAD_ID.search(r.text).group(1)
    stored = settings.upload_dir / "roster" / str(village.id) / upload_id
    assert stored.is_file()

    done = client.post(f"/v/{village.slug}/roster/confirm", data={"csrf_token": token, "upload_id": upload_id})
    assert done.status_code == 200, done.text
    assert "导入完成：新增 2 人，更新 0 人" in done.text
    assert "张三" in done.text and "李四" in done.text and p1 in done.text
    codes = re.findall(r'<td class="code">([A-Z0-9]{5}-[A-Z0-9]{5})</td>', done.text)
    assert len(codes) == 2
    assert not stored.exists()

    # the list now has them; the same upload cannot be confirmed twice
    assert "张三" in client.get(f"/v/{village.slug}/members").text
    again = client.post(f"/v/{village.slug}/roster/confirm", data={"csrf_token": token, "upload_id": upload_id})
    assert again.status_code == 410 and "已过期" in again.text


@pytest.mark.parametrize("forged", [
    "../../../etc/passwd",
    "../" + "a" * 64 + ".csv",
    "A" * 64 + ".csv",
    "a" * 64 + ".py",
    "a" * 63 + ".csv",
    "a" * 64 + ".csv/../x",
    "a" * 64 + ".csv\n",
    "",
])
def test_forged_upload_id_is_refused(client, committee, forged):
    village, chair = committee
    token = login(client, chair)
    r = client.post(f"/v/{village.slug}/roster/confirm", data={"csrf_token": token, "upload_id": forged})
    assert r.status_code == 400, r.text
    assert "上传编号无效" in r.text


def test_unknown_upload_and_tampered_file(client, committee, settings):
    village, chair = committee
    token = login(client, chair)
    missing = client.post(f"/v/{village.slug}/roster/confirm",
                          data={"csrf_token": token, "upload_id": "0" * 64 + ".csv"})
    assert missing.status_code == 410
    r = post_file(client, village.slug, token, HEADER + f"张三,{unique_phone()},,,,,\n")
    upload_id = UPLOAD_ID.search(r.text).group(1)
    stored = settings.upload_dir / "roster" / str(village.id) / upload_id
    stored.write_bytes(stored.read_bytes() + f"坏人,{unique_phone()},,,,,村委会\n".encode())
    r = client.post(f"/v/{village.slug}/roster/confirm", data={"csrf_token": token, "upload_id": upload_id})
    assert r.status_code == 410


def test_bad_file_goes_back_to_the_form(client, committee):
    village, chair = committee
    token = login(client, chair)
    r = post_file(client, village.slug, token, b"%PDF-1.4", filename="roster.pdf")
    assert r.status_code == 422
    assert "只能上传 CSV 或 XLSX 格式的名册文件" in r.text and 'name="file"' in r.text
    r = post_file(client, village.slug, token, b"", filename="roster.csv")
    assert r.status_code == 422 and ("文件是空的" in r.text or "请选择" in r.text)
    r = post_file(client, village.slug, token, "姓名,电话号\n张三,13800138000\n")
    assert r.status_code == 422 and "缺少必需的列：手机号" in r.text
    r = client.post(f"/v/{village.slug}/roster", data={"csrf_token": token})
    assert r.status_code == 422 and "请选择要上传的名册文件" in r.text


def test_missing_csrf_is_403(client, committee):
    village, chair = committee
    login(client, chair)
    text = HEADER + f"张三,{unique_phone()},,,,,\n"
    assert post_file(client, village.slug, None, text).status_code == 403
    assert post_file(client, village.slug, "wrong-token", text).status_code == 403
    r = client.post(f"/v/{village.slug}/roster/confirm", data={"upload_id": "0" * 64 + ".csv"})
    assert r.status_code == 403


def test_only_this_village_committee(client, world, committee):
    village, chair = committee
    assert client.get(f"/v/{village.slug}/roster").status_code == 303
    assert client.get(f"/v/{village.slug}/roster").headers["location"].startswith("/login?next=")

    villager = world.member(village, name="普通村民")
    token = login(client, villager)
    assert client.get(f"/v/{village.slug}/roster").status_code == 403
    text = HEADER + f"张三,{unique_phone()},,,,,\n"
    assert post_file(client, village.slug, token, text).status_code == 403
    assert client.post(f"/v/{village.slug}/roster/confirm",
                       data={"csrf_token": token, "upload_id": "0" * 64 + ".csv"}).status_code == 403


def test_other_village_committee_gets_404(client, world, committee):
    village, _ = committee
    outsider = world.member(world.village(), "committee", name="外村主任")
    token = login(client, outsider)
    assert client.get(f"/v/{village.slug}/roster").status_code == 404
    assert post_file(client, village.slug, token, HEADER + f"张三,{unique_phone()},,,,,\n").status_code == 404
