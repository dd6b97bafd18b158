"""The audit sequence under parallel audited writes, on both engines: real use cases (proposals and
notices drafted at once by many people in two villages) leave each village's chain numbered 1..n
without gaps or duplicates, every event linked to the one before, and the head on the last one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlmodel import Session

from app.domain import notices as N
from app.domain.proposals import ProposalDraft
from app.models import AuditEvent, AuditHead, User
from app.services import audit, notices, proposals
from app.services.access import load_actor

WRITES = 24  # per village


def seqs(db, village_id: int) -> list[int]:
    return list(db.execute(select(AuditEvent.seq).where(AuditEvent.village_id == village_id)
                           .order_by(AuditEvent.seq)).scalars())


def test_parallel_audited_writes_leave_gapless_verifying_chains(world, db, database):
    villages = [world.village(), world.village()]
    staff = {v.id: world.member(v, "committee", name="主任") for v in villages}
    before = {v.id: len(seqs(db, v.id)) for v in villages}
    jobs = [(villages[i % 2], i) for i in range(2 * WRITES)]
    start = threading.Barrier(len(jobs))

    def write(job) -> str:
        village, i = job
        start.wait()
        with Session(database.engine, expire_on_commit=False) as session:
            actor = load_actor(session, session.get(User, staff[village.id].id))
            if i % 4 < 2:
                proposals.create(session, actor, village, ProposalDraft(
                    title=f"修建便民设施{i}", body="方案", category="facilities", procedure="simple"))
            else:
                notices.create(session, actor, village, category=N.VILLAGE, title=f"公开{i}", body="内容")
        return "ok"

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        assert list(pool.map(write, jobs)) == ["ok"] * len(jobs)

    db.expire_all()
    for village in villages:
        n = before[village.id] + WRITES
        assert seqs(db, village.id) == list(range(1, n + 1))  # no gap, no duplicate
        result = audit.verify_chain(db, village.id)
        assert result.ok and result.checked == n, result
        head = db.get(AuditHead, village.id)
        assert (head.seq, head.hash) == (result.head_seq, result.head_hash)
        written = db.execute(select(AuditEvent.action).where(
            AuditEvent.village_id == village.id, AuditEvent.seq > before[village.id])).scalars().all()
        assert sorted(set(written)) == ["notice.create", "proposal.create"]
