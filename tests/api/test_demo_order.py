"""The demo's matters hold together as a township monitor reads them (issue 12, item 8): each matter's
history runs forward in time and ends before the demo was built, no matter has left a vote stage
without a passed vote taken while it was in that stage, and none has left a notice stage before its
published notice's window was over. The decision file (一事一档) agrees: no 决事 step of a demo
matter says 没有表决记录 or fails its check.

The demo is loaded once per engine (SQLite, and PostgreSQL when CUNYI_TEST_DATABASE_URL is set), through
the service, as `cunyi demo` does.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app import demo
from app.cli import upgrade_database
from app.clock import utcnow
from app.db import make_engine
from app.domain import decision as D
from app.domain import procedures as P
from app.models import Comment, Cosignature, Notice, Proposal, ProposalTransition, User, VoteSession
from app.services import decision_files
from app.services.access import Actor
from tests.conftest import ENGINES, PG_URL, drop_pg_schema, fresh_url, make_settings


@pytest.fixture(scope="module", params=ENGINES)
def built(request, tmp_path_factory):
    """(engine, the moment the demo was built) for a fresh database holding the demo county."""
    tmp = tmp_path_factory.mktemp(f"demo-{request.param}")
    url, schema = fresh_url(request.param, tmp)
    settings = make_settings(url, tmp)
    engine = None
    try:
        upgrade_database(settings)
        engine = make_engine(settings)
        with Session(engine) as session:
            demo.load(session, settings)
        yield engine, utcnow()
    finally:
        if engine is not None:
            engine.dispose()
        if schema:
            drop_pg_schema(PG_URL, schema)


@pytest.fixture
def db(built):
    with Session(built[0], expire_on_commit=False) as session:
        yield session


def matters(db) -> list[Proposal]:
    rows = list(db.execute(select(Proposal).order_by(Proposal.id)).scalars())
    assert len(rows) >= 13, "the demo's matters are missing"
    return rows


def history(db, proposal: Proposal) -> list[ProposalTransition]:
    return list(db.execute(select(ProposalTransition).where(ProposalTransition.proposal_id == proposal.id)
                           .order_by(ProposalTransition.id)).scalars())


def visits(proposal: Proposal, moves: list[ProposalTransition]) -> list[tuple[str, datetime, ProposalTransition]]:
    """Each stage the matter left: (stage, when it entered it, the move that left it)."""
    out = []
    for before, move in zip(moves, moves[1:], strict=False):
        out.append((move.from_state, before.created_at, move))
    return out


def test_every_matter_s_history_runs_forward_and_ends_before_the_demo_was_built(db, built):
    built_at = built[1]
    for proposal in matters(db):
        moves = history(db, proposal)
        assert moves and moves[0].action == P.Action.SUBMIT, proposal.title
        times = [proposal.created_at] + [m.created_at for m in moves]
        assert times == sorted(times), (proposal.title, [(m.from_state, m.to_state, m.created_at) for m in moves])
        assert times[-1] <= built_at, proposal.title
        # each move starts where the last one ended
        assert [m.from_state for m in moves[1:]] == [m.to_state for m in moves[:-1]], proposal.title
        assert moves[-1].to_state == proposal.state and proposal.stage_entered_at == moves[-1].created_at
        # co-signatures and comments happen after the matter was raised, not after today
        for when in db.execute(select(Cosignature.created_at).where(Cosignature.proposal_id == proposal.id)).scalars():
            assert moves[0].created_at <= when <= built_at, proposal.title
        for when in db.execute(select(Comment.created_at).where(Comment.proposal_id == proposal.id)).scalars():
            assert moves[0].created_at <= when <= built_at, proposal.title


def test_no_matter_leaves_a_vote_stage_without_a_passed_vote_taken_in_it(db):
    left_a_vote = 0
    for proposal in matters(db):
        proc = P.PROCEDURES[proposal.procedure]
        sessions = list(db.execute(select(VoteSession).where(VoteSession.proposal_id == proposal.id)).scalars())
        for stage, entered, move in visits(proposal, history(db, proposal)):
            if stage not in {s.key for s in proc.stages} or proc.stage(stage).kind is not P.Kind.VOTE:
                continue
            left_a_vote += 1
            passed = [vs for vs in sessions if vs.stage == stage and vs.state == "closed" and vs.result
                      and vs.result.get("passed") and vs.result["quorum"]["met"]]
            assert passed, f"{proposal.title}: left {stage} for {move.to_state} without a passed vote"
            vs = passed[-1]
            assert entered <= vs.opened_at <= vs.closed_at <= move.created_at, (
                proposal.title, stage, entered, vs.opened_at, vs.closed_at, move.created_at)
            assert move.to_state != P.REJECTED
    assert left_a_vote >= 7  # 一事一议 matters past 决事, the land matter past 党员大会审议, the simple one


def test_no_matter_leaves_a_notice_stage_before_its_window_is_over(db):
    left_a_notice = 0
    for proposal in matters(db):
        proc = P.PROCEDURES[proposal.procedure]
        for stage, entered, move in visits(proposal, history(db, proposal)):
            if stage not in {s.key for s in proc.stages} or proc.stage(stage).kind is not P.Kind.NOTICE:
                continue
            left_a_notice += 1
            published = list(db.execute(select(Notice).where(
                Notice.proposal_id == proposal.id, Notice.proposal_stage == stage,
                Notice.published_at.is_not(None))).scalars())
            assert published, f"{proposal.title}: left {stage} with no notice published"
            assert all(entered <= n.published_at and n.window_until <= move.created_at for n in published), \
                proposal.title
            assert all(n.reviewed_by is not None for n in published), proposal.title  # 村务: reviewed first
    assert left_a_notice >= 5  # 一事一议 matters past 公示, the simple one past 公开


def test_the_decision_files_show_every_vote_stage_passed_with_its_vote(db):
    admin = Actor(user=db.execute(select(User).where(User.is_admin)).scalars().first())
    for proposal in matters(db):
        file = decision_files.file_of(db, admin, proposal.id).file
        for step in file.steps:
            if step.kind != P.Kind.VOTE.value or step.status != "done":
                continue
            assert step.verdict == D.MET, (proposal.title, step.name, [(c.label, c.detail) for c in step.checks])
            assert not any("没有表决记录" in c.detail for c in step.checks), proposal.title
