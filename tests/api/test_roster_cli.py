"""`cunyi import-roster`: dry run, refusal with exit 1, import with codes saved for Excel."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import roster as roster_cli
from app.models import AuditEvent, Membership
from tests.factories import unique_phone

HEADER = "姓名,手机号,出生日期,性别,户号,村民小组,角色\n"


def console() -> Console:
    return Console(record=True, width=200, force_terminal=False)


def count(db, vid: int) -> int:
    db.rollback()
    return db.execute(select(func.count()).select_from(Membership).where(Membership.village_id == vid)).scalar_one()


def test_dry_run_then_import_with_codes_file(world, db, settings, tmp_path):
    village = world.village()
    phones = [unique_phone(), unique_phone()]
    roster = tmp_path / "名册.csv"
    roster.write_text(HEADER + f"张三,{phones[0]},1960-01-01,男,1,一组,村委会\n李四,{phones[1]},,,1,一组,\n",
                      encoding="gb18030")

    out = console()
    report = roster_cli.run(out, settings, village.slug, roster, dry_run=True, codes_csv=None)
    assert "检查通过：共 2 行，导入将新增 2 人，更新 0 人" in out.export_text()
    assert report.dry_run and count(db, village.id) == 0

    out = console()
    codes = tmp_path / "codes.csv"
    report = roster_cli.run(out, settings, village.slug, roster, dry_run=False, codes_csv=codes)
    text = out.export_text()
    assert "导入完成：新增 2 人，更新 0 人" in text
    assert "张三" in text and "李四" in text
    assert count(db, village.id) == 2
    raw = codes.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "手机号", "激活码", "有效期至"]
    assert [r[:2] for r in rows[1:]] == [["张三", phones[0]], ["李四", phones[1]]]
    assert all(len(r[2]) == 11 and r[2][5] == "-" for r in rows[1:])
    assert {a["code"] for a in report.activation} == {r[2].replace("-", "") for r in rows[1:]}

    # the audit trail names no person and says the import came from the shell
    db.rollback()
    event = db.execute(select(AuditEvent).where(AuditEvent.village_id == village.id,
                                                AuditEvent.action == "roster.import")).scalar_one()
    assert event.actor_id is None
    data = json.loads(bytes(event.payload))["data"]
    assert data["source"] == "cli" and data["created"] == 2 and data["rows"] == 2


def test_errors_exit_1_and_change_nothing(world, db, settings, tmp_path):
    village = world.village()
    roster = tmp_path / "bad.csv"
    roster.write_text(HEADER + f"张三,{unique_phone()},,,,,\n,12345,2999-01-01,,,,族长\n", encoding="utf-8")
    for dry in (True, False):
        out = console()
        with pytest.raises(typer.Exit) as exit_info:
            roster_cli.run(out, settings, village.slug, roster, dry_run=dry, codes_csv=None)
        assert exit_info.value.exit_code == 1
        text = out.export_text()
        assert "姓名不能为空" in text and "手机号“12345”不对" in text and "不认识的角色：族长" in text
        assert "共 2 行，1 行有问题" in text
    assert count(db, village.id) == 0

    out = console()
    with pytest.raises(typer.Exit) as exit_info:
        roster_cli.run(out, settings, "no-such-village", roster, dry_run=True, codes_csv=None)
    assert exit_info.value.exit_code == 2 and "找不到村" in out.export_text()

    wrong = tmp_path / "roster.txt"
    wrong.write_text("x")
    out = console()
    with pytest.raises(typer.Exit) as exit_info:
        roster_cli.run(out, settings, village.slug, wrong, dry_run=True, codes_csv=None)
    assert exit_info.value.exit_code == 1 and "只能上传 CSV 或 XLSX" in out.export_text()


def test_the_typer_command(world, db, settings, tmp_path, monkeypatch):
    from app.cli import app
    from app.config import get_settings

    village = world.village()
    roster = tmp_path / "roster.csv"
    roster.write_text(HEADER + f"王五,{unique_phone()},,,,,\n", encoding="utf-8-sig")
    monkeypatch.setenv("CUNYI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CUNYI_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("CUNYI_UPLOAD_DIR", str(settings.upload_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        dry = runner.invoke(app, ["import-roster", village.slug, str(roster), "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "检查通过" in dry.output and count(db, village.id) == 0
        done = runner.invoke(app, ["import-roster", village.slug, str(roster), "--codes", str(tmp_path / "c.csv")])
        assert done.exit_code == 0, done.output
        assert "新增 1 人" in done.output and count(db, village.id) == 1
        assert (tmp_path / "c.csv").exists()
    finally:
        get_settings.cache_clear()


def test_the_codes_file_never_carries_a_live_formula(world, db, settings, tmp_path):
    village = world.village()
    roster = tmp_path / "名册.csv"
    phone = unique_phone()
    roster.write_text(HEADER + f'"=HYPERLINK(""http://evil.example"",""点我"")",{phone},1960-01-01,男,1,一组,\n',
                      encoding="utf-8")
    codes = tmp_path / "codes.csv"
    roster_cli.run(console(), settings, village.slug, roster, dry_run=False, codes_csv=codes)
    rows = list(csv.reader(io.StringIO(codes.read_bytes().decode("utf-8-sig"))))
    assert rows[1][0].startswith("'=HYPERLINK(")  # shown as text by Excel and WPS, never run
    assert rows[1][1] == phone
