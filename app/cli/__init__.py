"""The `cunyi` command: serve, db upgrade, demo, create-admin, import-roster, audit verify, backup, restore."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlmodel import Session

from app.config import ROOT, Settings, get_settings
from app.db import make_engine

app = typer.Typer(help="村议 Cunyi：村民自治服务的命令行工具", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="数据库", no_args_is_help=True)
audit_app = typer.Typer(help="审计链", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
console = Console()


def alembic_config(settings: Settings, url: str | None = None):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", (url or settings.database_url).replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade_database(settings: Settings, url: str | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(settings, url), "head")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (creates the database file on SQLite)."""
    settings = get_settings()
    upgrade_database(settings)
    console.print("[green]数据库已升级到最新版本[/green]")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree."""
    from alembic import command

    command.check(alembic_config(get_settings()))
    console.print("[green]模型与迁移一致[/green]")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="监听地址（默认 CUNYI_HOST）"),
    port: int | None = typer.Option(None, help="端口（默认 CUNYI_PORT）"),
    workers: int = typer.Option(1, help="进程数"),
    reload: bool = typer.Option(False, help="代码改动后自动重启（开发用）"),
) -> None:
    """Serve the web app with uvicorn."""
    import uvicorn

    settings = get_settings()
    _check_before_serving(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
    )


def _check_before_serving(settings: Settings) -> None:
    """The app's start-up runs the same check in every worker; here it fails with a plain message."""
    from app.db import DatabaseRefused, hold_serve_lock, startup_check

    try:
        lock = hold_serve_lock(settings.database_url)
        if lock is not None:
            lock.close()
        if settings.startup_check:
            engine = make_engine(settings)
            try:
                startup_check(engine)
            finally:
                engine.dispose()
    except DatabaseRefused as refused:
        console.print(f"[red]{escape(str(refused))}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None


@app.command("backup")
def backup_command(
    file: Path = typer.Argument(..., help="备份文件（.tar.gz），或一个文件夹（自动命名）"),
) -> None:
    """Back up the database and the uploads into one archive while the server runs; verify the copy."""
    from app.cli import backup as backups

    settings = get_settings()
    try:
        target, check = backups.backup(settings, file, console.print)
    except backups.BackupFailed as failed:
        console.print(f"[red]备份失败：{escape(str(failed))}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    _print_check(check)
    console.print(f"[green]备份完成并已核验：{target}[/green]", soft_wrap=True)
    console.print(backups.KEY_NOTE.format(key_file=settings.secret_key_file, seal_file=settings.seal_key_file),
                  soft_wrap=True)


@app.command("restore")
def restore_command(
    file: Path = typer.Argument(..., help="cunyi backup 写的备份文件"),
) -> None:
    """Restore a backup into an empty database (server stopped); verify the result."""
    from app.cli import backup as backups

    settings = get_settings()
    try:
        check = backups.restore(settings, file, console.print)
    except backups.BackupFailed as failed:
        console.print(f"[red]未恢复：{escape(str(failed))}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    _print_check(check)
    if not check.ok:
        console.print("[red]恢复后的数据库核验未通过，请不要启动服务，换一个备份重试。[/red]")
        raise typer.Exit(1)
    console.print("[green]恢复完成并已核验，可以启动服务。[/green]")
    console.print(backups.KEY_NOTE.format(key_file=settings.secret_key_file, seal_file=settings.seal_key_file),
                  soft_wrap=True)


def _print_check(check) -> None:
    c = check.counts
    integrity = "[green]ok[/green]" if check.integrity == "ok" else f"[red]{escape(check.integrity)}[/red]"
    chains = f"审计链 {check.chains} 条、事件 {check.events} 条" + ("，全部完整" if not check.broken else "")
    counts = f"村 {c.get('villages', 0)} 个，用户 {c.get('users', 0)} 人，无记名选票 {c.get('secret_ballots', 0)} 张"
    console.print(f"完整性检查：{integrity}；{chains}；{counts}", soft_wrap=True)
    for line in check.broken:
        console.print(f"[red]{escape(line)}[/red]", soft_wrap=True)


@app.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="数据库里已有村时什么也不做"),
) -> None:
    """Load the fictional demo county (two villages, ~300 villagers) and print the demo logins."""
    from app import demo as demo_service

    settings = get_settings()
    engine = make_engine(settings)
    with Session(engine) as session:
        if not demo_service.is_empty(session):
            if not if_empty:  # never mix made-up people into a database that has real ones
                console.print("[red]数据库里已有村，演示数据只能装入空数据库；未做任何改动。[/red]")
                raise typer.Exit(1)
            console.print("数据库里已有数据，未加载演示数据。")
            _print_logins(demo_service.DEMO_PASSWORD)
            return
        demo_service.load(session, settings)
    _print_logins(demo_service.DEMO_PASSWORD)


def _print_logins(password: str) -> None:
    from app import demo as demo_service

    table = Table(title="演示账号（仅供演示，切勿用于真实数据）")
    table.add_column("身份")
    table.add_column("姓名")
    table.add_column("手机号")
    table.add_column("密码")
    for login in demo_service.DEMO_LOGINS:
        table.add_row(login.label, login.name, login.phone, password)
    console.print(table)


@app.command("create-admin")
def create_admin(
    phone: str = typer.Option(..., help="手机号（登录名）"),
    name: str = typer.Option(..., help="姓名"),
) -> None:
    """Create (or promote) a system administrator. Password from CUNYI_ADMIN_PASSWORD or a prompt."""
    from app.domain.people import is_valid_phone, normalize_phone, password_problem
    from app.models import PLATFORM_CHAIN, User
    from app.services import audit, auth

    settings = get_settings()
    phone = normalize_phone(phone)
    if not is_valid_phone(phone):
        console.print("[red]手机号应为 11 位数字，以 1 开头[/red]")
        raise typer.Exit(2)
    password = os.environ.get("CUNYI_ADMIN_PASSWORD") or typer.prompt("密码", hide_input=True,
                                                                       confirmation_prompt=True)
    problem = password_problem(password, phone)
    if problem:
        console.print(f"[red]{problem}[/red]")
        raise typer.Exit(2)
    engine = make_engine(settings)
    with Session(engine) as session:
        user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
        created = user is None
        if user is None:
            user = User(name=name.strip(), phone=phone)
        user.is_admin = True
        user.status = "active"
        user.password_hash = auth.hash_password(settings, password)
        session.add(user)
        session.flush()
        audit.record(session, village_id=PLATFORM_CHAIN, actor_id=None, action="admin.grant", entity="user",
                     entity_id=user.id, data={"name": user.name, "created": created, "source": "cli"})
        session.commit()
    console.print(f"[green]管理员 {name}（{phone}）已{'创建' if created else '更新'}[/green]")


@audit_app.command("verify")
def audit_verify(village: str | None = typer.Argument(None, help="村的网址名或编号；不填则核验全部"),
                 resume: bool = typer.Option(False, "--resume",
                                             help="从上次完整核验处接着核验（快，不重算以前的事件）"),
                 ) -> None:
    """Recompute every village's chain and hold it against its seals; exit 1 and name the first broken
    event if any. A full verification is recorded as each chain's last check (later verifications
    resume from it); `--resume` recomputes only the events after the last passing check."""
    from app.models import PLATFORM_CHAIN, Village
    from app.services import seals

    settings = get_settings()
    engine = make_engine(settings)
    broken = False
    with Session(engine) as session:
        if village:
            v = session.execute(
                select(Village).where((Village.slug == village) | (Village.id == _int_or_none(village)))
            ).scalar_one_or_none()
            if v is None:
                console.print(f"[red]找不到村：{village}[/red]")
                raise typer.Exit(2)
            chains = [(v.id, v.name)]
        else:
            chains = [(PLATFORM_CHAIN, "平台")] + [
                (v.id, v.name) for v in session.execute(select(Village).order_by(Village.id)).scalars()
            ]
        table = Table(title="审计链核验")
        for col in ("编号", "村", "结果", "条数", "链头哈希"):
            table.add_column(col, overflow="fold")  # never cut a hash or a reason short with "…"
        failures = []
        for vid, name in chains:
            r = seals.verify(session, settings, vid) if resume else seals.check(session, settings, vid)
            session.commit()
            count = f"{r.checked}（接第 {r.resumed_from} 条）" if r.resumed_from else str(r.checked)
            if r.ok:
                table.add_row(str(vid), name, "[green]完整[/green]", count, r.head_hash)
            else:
                broken = True
                failure = f"第 {r.broken_seq} 条起断裂：{r.reason}"
                failures.append(f"{name}（编号 {vid}）{failure}")
                table.add_row(str(vid), name, f"[red]{failure}[/red]", count, r.head_hash)
    console.print(table)
    for line in failures:  # one unwrapped line each, for logs and narrow terminals
        console.print(f"[red]{line}[/red]", soft_wrap=True)
    if broken:
        raise typer.Exit(1)


jobs_app = typer.Typer(help="定时任务", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run-due")
def jobs_run_due(job: str | None = typer.Option(
        None, help="只运行这一项（不论是否到时）：close_votes、escalate、seal、verify、verdicts、"
                   "fanout、remind_votes、deliver、digest、render")) -> None:
    """Run the timed jobs that are due (what `cunyi serve` does every minute), for cron."""
    from app.services import jobs

    settings = get_settings()
    engine = make_engine(settings)
    ran = jobs.run_due(engine, settings, only=job)
    for name, result in ran:
        console.print(f"{name}：{result}")
    if not ran:
        console.print("没有到时的任务")


@audit_app.command("seal")
def audit_seal() -> None:
    """Seal every chain's head with the service's key (run it daily from cron)."""
    from app.services import seals

    settings = get_settings()
    engine = make_engine(settings)
    with Session(engine) as session:
        count = seals.seal_all(session, settings)
    console.print(f"[green]已封存 {count} 条审计链[/green]（公钥指纹 {seals.published_key(settings).key_id}）")


@app.command("verify-bundle")
def verify_bundle(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="一事一档证据包（.zip）")) -> None:
    """Re-check a decision file's evidence bundle offline (no database): attachments, audit links,
    notice hashes, vote arithmetic and the rule checks; exit 1 naming what failed."""
    from app.cli import bundle

    if not bundle.run(console, file):
        raise typer.Exit(1)


def _int_or_none(text: str) -> int | None:
    return int(text) if text.isdigit() else None


@app.command("import-roster")
def import_roster(
    village: str = typer.Argument(..., help="村的网址名"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="名册文件（CSV 或 XLSX）"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查，不导入"),
    codes_csv: Path | None = typer.Option(None, "--codes", help="把新账号的激活码另存为 CSV"),
) -> None:
    """Import a village roster from the shell (all or nothing), with a progress bar."""
    from app.cli import roster as roster_cli

    roster_cli.run(console, get_settings(), village, file, dry_run=dry_run, codes_csv=codes_csv)


def main() -> None:
    from app.services import flows

    flows.register()  # the demo and the roster import run the same use cases as the app
    app()


if __name__ == "__main__":
    main()
