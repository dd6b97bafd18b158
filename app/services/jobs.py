"""Timed work (定时任务): closing votes at their closing time, sealing the audit chains every day,
telling people what concerns them and sending it on by SMS and e-mail (services/fanout.py, outbox.py).

`run_due` runs each job that is due, once, whichever worker gets there first: a job takes a lease on
its `job_run` row with one conditional UPDATE (atomic on both engines) before it runs, and gives it
back with the time it ran. `cunyi serve` runs `run_due` every minute from an in-process scheduler
(APScheduler); `cunyi jobs run-due` does the same from cron.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import utcnow
from app.config import Settings
from app.domain.calendar import to_local
from app.models import JobRun
from app.services import cases, decision_files, fanout, outbox, rendering, seals, votes

log = logging.getLogger("cunyi.jobs")
LEASE = timedelta(minutes=10)


def every(minutes: int) -> Callable[[datetime | None, datetime], bool]:
    return lambda last, now: last is None or now - last >= timedelta(minutes=minutes)


def daily_at(hour: int) -> Callable[[datetime | None, datetime], bool]:
    """Once a Beijing day, from `hour` o'clock Beijing time on."""
    def due(last: datetime | None, now: datetime) -> bool:
        local = to_local(now)
        return local.hour >= hour and (last is None or to_local(last).date() < local.date())
    return due


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    due: Callable[[datetime | None, datetime], bool]
    run: Callable[[Session, Settings], str]


def _close_votes(session: Session, settings: Settings) -> str:
    return f"结束表决 {votes.close_due(session)} 次"


def _seal(session: Session, settings: Settings) -> str:
    return f"封存审计链 {seals.seal_all(session, settings)} 条"


def _verify(session: Session, settings: Settings) -> str:
    chains, broken = seals.check_all(session, settings)
    if broken:
        log.error("audit verification: %d of %d chains broken", broken, chains)
    return f"完整核验审计链 {chains} 条，断裂 {broken} 条"


def _fanout(session: Session, settings: Settings) -> str:
    return f"通知 {fanout.run(session)} 人次"


def _remind(session: Session, settings: Settings) -> str:
    return f"提醒 {fanout.remind_closing(session)} 人投票"


def _deliver(session: Session, settings: Settings) -> str:
    return outbox.deliver_due(session, settings).text()


def _digest(session: Session, settings: Settings) -> str:
    return "每日汇总：" + outbox.send_digests(session, settings).text()


JOBS = [
    Job("close_votes", "到时结束表决", every(1), _close_votes),
    Job("fanout", "把新动态通知到相关的人", every(1), _fanout),
    Job("remind_votes", "表决结束前一天提醒还没投票的人", every(10), _remind),
    Job("deliver", "发送短信和邮件（重试失败的）", every(1), _deliver),
    Job("digest", "每天 18 点发送消息汇总邮件", daily_at(18), _digest),
    Job("seal", "每天封存审计链", daily_at(2), _seal),
    Job("verify", "每天完整核验审计链", daily_at(3), _verify),
    Job("verdicts", "更新各事项的合规结论", every(10),
        lambda session, _: f"更新合规结论 {decision_files.refresh_verdicts(session)} 件"),
    Job("escalate", "逾期质询转乡镇", every(10), lambda session, _: f"转乡镇处理 {cases.escalate_due(session)} 条质询"),
    Job("render", "按新版排版重排正文", every(10),
        lambda session, _: f"渲染正文 {rendering.refresh_stale(session)} 条"),
]


def _lease(session: Session, name: str, now: datetime, due: Callable[[datetime | None, datetime], bool]) -> bool:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(JobRun).values(name=name, last_result="").on_conflict_do_nothing())
    session.commit()
    row = session.get(JobRun, name)
    session.refresh(row)
    if not due(row.last_run_at, now):
        return False
    taken = session.execute(update(JobRun).where(
        JobRun.name == name, or_(JobRun.leased_until.is_(None), JobRun.leased_until < now),
        JobRun.last_run_at.is_(None) if row.last_run_at is None else JobRun.last_run_at == row.last_run_at,
    ).values(leased_until=now + LEASE))
    session.commit()
    return taken.rowcount == 1


def run_due(engine: Engine, settings: Settings, *, only: str | None = None) -> list[tuple[str, str]]:
    """Run what is due now; returns (job, what it did) for each job that ran."""
    ran = []
    for job in JOBS:
        if only is not None and job.name != only:
            continue
        now = utcnow()
        with Session(engine, expire_on_commit=False) as session:
            if not _lease(session, job.name, now, job.due if only is None else (lambda last, at: True)):
                continue
            try:
                result = job.run(session, settings)
            except Exception as exc:  # a failed job gives its lease back and is tried again next time
                session.rollback()
                log.exception("job %s failed", job.name)
                result = f"失败：{type(exc).__name__}"
                session.execute(update(JobRun).where(JobRun.name == job.name)
                                .values(leased_until=None, last_result=result[:200]))
                session.commit()
                ran.append((job.name, result))
                continue
            session.execute(update(JobRun).where(JobRun.name == job.name)
                            .values(leased_until=None, last_run_at=now, last_result=result[:200]))
            session.commit()
            ran.append((job.name, result))
    return ran


def start_scheduler(engine: Engine, settings: Settings):
    """The in-process scheduler of `cunyi serve`: `run_due` every minute (each worker runs one; the
    leases keep a job to one worker at a time)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(run_due, "interval", minutes=1, args=[engine, settings], id="run_due",
                      next_run_time=utcnow() + timedelta(seconds=5))
    scheduler.start()
    return scheduler
