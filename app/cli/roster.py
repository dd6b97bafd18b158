"""`cunyi import-roster VILLAGE FILE`: the roster import from the shell, with a progress bar.

Runs as the system (no acting person): the audit trail records no actor and source "cli".
Exit status: 0 done, 1 the file has problems (nothing imported), 2 no such village.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine
from app.domain.calendar import format_date
from app.domain.people import format_code
from app.domain.roster import FIELDS
from app.domain.spreadsheet import safe_row
from app.models import Village
from app.services import roster
from app.services.errors import ServiceError


def _error_table(errors: list[dict]) -> Table:
    table = Table(title="名册里的问题")
    table.add_column("行号", justify="right")
    table.add_column("列")
    table.add_column("问题", overflow="fold")
    for e in errors:
        table.add_row(str(e.get("row") or ""), FIELDS.get(e.get("field") or "", "文件"), e["message"])
    return table


def codes_csv_bytes(activation: list[dict]) -> bytes:
    """The activation codes as a CSV Excel opens (UTF-8 with a BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["姓名", "手机号", "激活码", "有效期至"])
    for a in activation:
        writer.writerow(safe_row([a["name"], a["phone"], format_code(a["code"]), format_date(a["expires_at"])]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def run(
    console: Console,
    settings: Settings,
    village_slug: str,
    file: Path,
    *,
    dry_run: bool,
    codes_csv: Path | None,
) -> roster.RosterReport:
    data = file.read_bytes()
    engine = make_engine(settings)
    try:
        with Session(engine, expire_on_commit=False) as session:
            village = session.execute(select(Village).where(Village.slug == village_slug)).scalar_one_or_none()
            if village is None:
                console.print(f"[red]找不到村：{village_slug}[/red]")
                raise typer.Exit(2)
            report = _run(console, session, settings, village, file, data, dry_run=dry_run)
    finally:
        engine.dispose()

    if report.errors:
        console.print(_error_table(report.errors))
        console.print(f"[red]共 {report.total} 行，{report.bad_rows} 行有问题：请改正后重新导入[/red]")
        raise typer.Exit(1)
    if dry_run:
        console.print(f"[green]检查通过：共 {report.total} 行，导入将新增 {report.created} 人，"
                      f"更新 {report.updated} 人[/green]（只检查，未导入）")
        return report
    console.print(f"[green]导入完成：新增 {report.created} 人，更新 {report.updated} 人[/green]")
    if report.activation:
        table = Table(title="新账号激活码（只显示这一次，请打印或抄下后当面交给本人）")
        for col in ("姓名", "手机号", "激活码", "有效期至"):
            table.add_column(col, overflow="fold")
        for a in report.activation:
            table.add_row(a["name"], a["phone"], format_code(a["code"]), format_date(a["expires_at"]))
        console.print(table)
        if codes_csv is not None:
            codes_csv.write_bytes(codes_csv_bytes(report.activation))
            console.print(f"激活码已另存到 {codes_csv}")
    else:
        console.print("没有需要激活的新账号。")
    return report


def _run(
    console: Console, session: Session, settings: Settings, village: Village, file: Path, data: bytes, *,
    dry_run: bool,
) -> roster.RosterReport:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:

        def stepper(description: str):
            task = bar.add_task(description, total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return step

        try:
            report = roster.dry_run(session, settings, None, village, file.name, data,
                                    progress=stepper("检查名册"), system=True)
            if report.errors or dry_run:
                return report
            return roster.import_roster(session, settings, None, village, file.name, data,
                                        progress=stepper("导入名册"), system=True)
        except ServiceError as exc:
            bar.stop()
            if exc.errors:
                console.print(_error_table(exc.errors))
            console.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(1) from exc
