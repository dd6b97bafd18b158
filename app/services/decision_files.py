"""The decision file (一事一档) of one matter: its facts read from the database in a constant number of
queries, the steps and checks `app.domain.decision` computes from them, and the evidence bundle (a
ZIP with `manifest.json` and the attachments) that `cunyi verify-bundle` re-checks offline.

Who sees it: whoever may see the matter (its village's members and the township's monitors; a draft
only its author). Names: office holders (村委会, 党组织, 监委会, 报账员, the township's monitors) in
full, everyone else masked (李**), in the page, the print sheet and the bundle alike. A vote's papers
(proxies' authorizations, the photo of the paper count) carry personal data and are in the bundle
only for those who oversee votes. Reads only: nothing here writes, not even a vote past its close
(that vote is shown as not closed yet).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.config import Settings
from app.domain import decision as D
from app.domain import decision_facts as DF
from app.domain import procedures as P
from app.domain.calendar import local_date_of
from app.domain.people import mask_name
from app.domain.roles import (
    ACCOUNTANT,
    ADMIN_LABEL,
    COMMITTEE,
    MONITOR_LABEL,
    PARTY_COMMITTEE,
    SUPERVISOR,
    VILLAGER,
    role_labels,
)
from app.models import (
    Attachment,
    AuditEvent,
    Ballot,
    BallotBox,
    Cosignature,
    Council,
    Elector,
    Filing,
    FundPayment,
    MemberRole,
    Membership,
    Notice,
    Objection,
    PaperAttendance,
    PaperTally,
    Proposal,
    ProposalTransition,
    TownshipMonitor,
    User,
    Village,
    VoteSession,
)
from app.services import attachments, funds, places, proposals, village_settings, votes
from app.services.access import Actor
from app.services.notices import VISIBLE

OFFICES = frozenset({COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, ACCOUNTANT})
SYSTEM = "系统（自动）"


@dataclass
class DecisionFile:
    """One matter's file as this viewer may see it."""

    village: Village
    proposal: Proposal
    matter: DF.Matter
    file: D.File
    attachments: list[Attachment]
    events: list[AuditEvent]
    generated_at: datetime

    @property
    def procedure_name(self) -> str:
        return P.PROCEDURES[self.proposal.procedure].name

    @property
    def state_name(self) -> str:
        return proposals.state_label(self.proposal)

    @property
    def votes(self) -> list[DF.Vote]:
        return self.matter.votes

    @property
    def notices(self) -> list[DF.Notice]:
        return self.matter.notices


def file_of(session: Session, actor: Actor | None, proposal_id: int) -> DecisionFile:
    """The file of a matter the actor may see (404 otherwise; 401 without a login)."""
    proposal, village = proposals.get(session, actor, proposal_id)
    return _build(session, actor, proposal, village)


def file_in(session: Session, actor: Actor | None, slug: str, proposal_id: int) -> DecisionFile:
    """As `file_of`, through the village in the address (another village's matter: 404)."""
    proposal, village = proposals.get_in(session, actor, slug, proposal_id)
    return _build(session, actor, proposal, village)


# --- who, as the viewer may see them -------------------------------------------------------------

def _people(session: Session, village: Village, ids: set[int | None]) -> dict[int | None, str]:
    """"role name" for each person (three queries): office holders by name, others masked."""
    wanted = {i for i in ids if i is not None}
    out: dict[int | None, str] = {None: SYSTEM}
    if not wanted:
        return out
    users = {u.id: u for u in session.execute(select(User).where(User.id.in_(wanted))).scalars()}
    held: dict[int, set[str]] = {}
    for uid, role in session.execute(
            select(Membership.user_id, MemberRole.role).join(MemberRole, MemberRole.membership_id == Membership.id)
            .where(Membership.user_id.in_(wanted), Membership.village_id == village.id)).all():
        held.setdefault(uid, set()).add(role)
    monitors = set(session.execute(select(TownshipMonitor.user_id).where(
        TownshipMonitor.user_id.in_(wanted), TownshipMonitor.township_id == village.township_id)).scalars())
    for uid in wanted:
        user, roles = users.get(uid), held.get(uid, set())
        if user is None:
            out[uid] = "（已注销）"
            continue
        if not roles and (user.is_admin or uid in monitors):
            label, full = (ADMIN_LABEL if user.is_admin else MONITOR_LABEL), True
        else:
            label, full = role_labels(roles - {VILLAGER}) or role_labels({VILLAGER}), bool(roles & OFFICES)
        out[uid] = f"{label} {user.name if full else mask_name(user.name)}"
    return out


# --- reading the facts ------------------------------------------------------------------------------

def _sees_papers(actor: Actor | None, village: Village) -> bool:
    return actor is not None and (actor.has(village.id, *votes.OVERSEERS) or actor.monitors(village))


def _build(session: Session, actor: Actor | None, proposal: Proposal, village: Village) -> DecisionFile:
    now = utcnow()
    moves = list(session.execute(select(ProposalTransition).where(ProposalTransition.proposal_id == proposal.id)
                                 .order_by(ProposalTransition.id)).scalars())
    sessions = votes.sessions_for(session, proposal)
    sids = [s.id for s in sessions]
    notice_rows = list(session.execute(select(Notice).where(Notice.proposal_id == proposal.id,
                                                            Notice.state.in_(VISIBLE)).order_by(Notice.id)).scalars())
    nids = [n.id for n in notice_rows]
    objections = list(session.execute(select(Objection).where(Objection.notice_id.in_(nids))
                                      .order_by(Objection.id)).scalars()) if nids else []
    owners = [and_(Attachment.owner_type == "proposal", Attachment.owner_id == proposal.id)]
    if nids:
        owners.append(and_(Attachment.owner_type == "notice", Attachment.owner_id.in_(nids)))
    if sids and _sees_papers(actor, village):
        owners.append(and_(Attachment.owner_type == "vote", Attachment.owner_id.in_(sids)))
    files = list(session.execute(select(Attachment).where(Attachment.village_id == village.id, or_(*owners))
                                 .order_by(Attachment.id)).scalars())
    ids = {proposal.author_id, *(t.actor_id for t in moves), *(o.author_id for o in objections),
           *(o.replied_by for o in objections), *(n.published_by for n in notice_rows),
           *(n.reviewed_by for n in notice_rows)}
    who = _people(session, village, ids)
    settings = village_settings.settings_of(session, village)
    proc = P.PROCEDURES[proposal.procedure]
    matter = DF.Matter(
        id=proposal.id, title=proposal.title, procedure=proposal.procedure, state=proposal.state,
        author=who[proposal.author_id], created_at=proposal.created_at, submitted_at=proposal.submitted_at,
        budget_fen=proposal.budget_fen, per_capita_fen=proposal.per_capita_fen, labour_days=proposal.labour_days,
        exemptions=proposal.exemptions, comments=proposal.comment_count,
        min_days={s.key: settings.stage_days(proposal.procedure, s.key) for s in proc.stages}, as_of=now,
        moves=[DF.Move(t.action, t.from_state, t.to_state, t.created_at, who[t.actor_id], t.note) for t in moves],
        cosign=_cosign(session, proposal, village, moves), votes=_votes(session, sessions),
        notices=_notices(notice_rows, objections, files, who),
        filing=_filing(moves, who, session.execute(select(Filing.number).where(
            Filing.proposal_id == proposal.id)).scalar_one_or_none()),
        fund=_fund(session, actor, proposal, settings),
    )
    matter = DF.load(DF.Matter, DF.dump(matter))  # exactly the facts the bundle carries, times in UTC
    events = _events(session, village, proposal, sids, nids, [o.id for o in objections], [f.id for f in files])
    return DecisionFile(village, proposal, matter, D.evaluate(matter), files, events, now)


def _cosign(session: Session, proposal: Proposal, village: Village, moves: list[ProposalTransition]
            ) -> DF.Cosign | None:
    """Support when it crossed the threshold (the "cosigned" move), or today while co-signing."""
    crossed = next((t for t in reversed(moves) if t.action == "cosigned"), None)
    stage = proposals.stage_of(proposal)
    if crossed is None and (stage is None or stage.kind is not P.Kind.COSIGN):
        return None
    where = [Cosignature.proposal_id == proposal.id]
    if crossed is not None:
        where.append(Cosignature.created_at <= crossed.created_at)
    total, reps = session.execute(select(func.count(Cosignature.id),
                                         func.count(Cosignature.id).filter(Cosignature.as_representative))
                                  .where(*where)).one()
    day = local_date_of(crossed.created_at) if crossed is not None else local_today()
    head = places.facts(session, village.id, on=day)
    return DF.Cosign(total, reps, head.adults, head.representatives, day)


def _votes(session: Session, sessions: list[VoteSession]) -> list[DF.Vote]:
    """Every vote of the matter; counts and receipts only once a vote is closed (secrecy before)."""
    if not sessions:
        return []
    sids = [s.id for s in sessions]
    closed = [s.id for s in sessions if s.state == "closed"]
    councils = {c.id: c for c in session.execute(select(Council).where(
        Council.id.in_({s.council_id for s in sessions}))).scalars()}
    electors: dict[int, list[int]] = {}
    for sid, uid in session.execute(select(Elector.vote_session_id, Elector.user_id)
                                    .where(Elector.vote_session_id.in_(sids))).all():
        electors.setdefault(sid, []).append(uid)
    counts: dict[int, dict[int, int]] = {}
    receipts: dict[int, list[str]] = {}
    if closed:
        for box in (BallotBox, Ballot):
            for sid, choice, n in session.execute(select(box.vote_session_id, box.choice, func.count())
                                                  .where(box.vote_session_id.in_(closed))
                                                  .group_by(box.vote_session_id, box.choice)).all():
                counts.setdefault(sid, {})[choice] = n
            for sid, receipt in session.execute(select(box.vote_session_id, box.receipt)
                                                .where(box.vote_session_id.in_(closed))).all():
                receipts.setdefault(sid, []).append(receipt)
    papers = {p.vote_session_id: p for p in session.execute(select(PaperTally).where(
        PaperTally.vote_session_id.in_(sids))).scalars()}
    signed = dict(session.execute(select(PaperAttendance.vote_session_id, func.count())
                                  .where(PaperAttendance.vote_session_id.in_(sids))
                                  .group_by(PaperAttendance.vote_session_id)).all())
    out = []
    for s in sessions:
        c = councils[s.council_id]
        council = DF.Council(c.kind, c.name, [c.quorum_num or 1, c.quorum_den or 2], c.quorum_inclusive,
                             [c.pass_num or 1, c.pass_den or 2], c.pass_inclusive) if c.kind == "custom" \
            else DF.Council(c.kind, c.name)
        is_closed = s.id in closed
        box = [counts.get(s.id, {}).get(i, 0) for i in range(len(s.options))] if is_closed else []
        codes = sorted(receipts.get(s.id, []))
        paper = papers.get(s.id)
        result = {k: v for k, v in (s.result or {}).items() if k != "duplicates"} if is_closed and s.result else None
        out.append(DF.Vote(
            id=s.id, stage=s.stage, council=council, question=s.question, options=list(s.options), secret=s.secret,
            special_rule=s.special_rule, state=s.state, opens_at=s.opens_at, opened_at=s.opened_at,
            closed_at=s.closed_at, electorate=sorted(electors.get(s.id, [])), electorate_size=s.electorate_size,
            households=s.households_total, fingerprint=s.fingerprint, box_counts=box, receipts=codes,
            box_hash=DF.box_hash(s.id, list(s.options), box, codes) if is_closed else None,
            paper=DF.Paper(list(paper.counts), paper.invalid, signed.get(s.id, 0), paper.confirmed_at is not None)
            if paper is not None and is_closed else None,
            result=result,
        ))
    return out


def _notices(rows: list[Notice], objections: list[Objection], files: list[Attachment],
             who: dict[int | None, str]) -> list[DF.Notice]:
    hashes: dict[int, list[str]] = {}
    for f in files:
        if f.owner_type == "notice":
            hashes.setdefault(f.owner_id, []).append(f.sha256)
    raised: dict[int, list[DF.Objection]] = {}
    for o in objections:
        raised.setdefault(o.notice_id, []).append(DF.Objection(
            o.id, who[o.author_id], o.body, o.created_at, o.due_at, o.reply,
            who[o.replied_by] if o.replied_by else None, o.replied_at))
    return [DF.Notice(
        id=n.id, stage=n.proposal_stage, category=n.category, kind=n.kind, title=n.title, body=n.body,
        attachments=sorted(hashes.get(n.id, [])), content_hash=n.content_hash, days=n.days,
        published_at=n.published_at, window_from=n.window_from, window_until=n.window_until,
        published_by=who[n.published_by], reviewed_by=who[n.reviewed_by] if n.reviewed_by else None,
        supersedes_id=n.supersedes_id, objections=raised.get(n.id, []),
    ) for n in rows]


def _filing(moves: list[ProposalTransition], who: dict[int | None, str], number: str | None = None
            ) -> DF.Filing | None:
    """The township's review (乡镇审核备案): the move that took the matter out of its review stage,
    with its filing number (services/filings.py)."""
    for t in reversed(moves):
        if t.action == P.Action.ADVANCE and t.from_state == "review":
            return DF.Filing(who[t.actor_id], t.created_at, number, t.note)
    return None


def _fund(session: Session, actor: Actor | None, proposal: Proposal, settings) -> DF.Fund | None:
    summary = funds.summary(session, actor, proposal.id) if proposal.procedure == funds.PROCEDURE else None
    if summary is None:
        return None
    first = session.execute(select(func.min(FundPayment.received_on)).where(
        FundPayment.proposal_id == proposal.id)).scalar_one()
    return DF.Fund(summary.per_capita, summary.labour_days, settings.per_capita_cap_fen, settings.labour_days_cap,
                   summary.households, summary.due, summary.paid, summary.account.raised, summary.account.spent,
                   summary.labour_due, summary.labour_done, first)


def _events(session: Session, village: Village, proposal: Proposal, sids: list[int], nids: list[int],
            oids: list[int], aids: list[int]) -> list[AuditEvent]:
    """The chain's events about this matter, its votes, notices, objections and attachments."""
    about = [and_(AuditEvent.entity == "proposal", AuditEvent.entity_id == str(proposal.id))]
    for entity, keys in (("vote", sids), ("notice", nids), ("objection", oids), ("attachment", aids)):
        if keys:
            about.append(and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_([str(k) for k in keys])))
    return list(session.execute(select(AuditEvent).where(AuditEvent.village_id == village.id, or_(*about))
                                .order_by(AuditEvent.seq)).scalars())


# --- the evidence bundle ----------------------------------------------------------------------------

def step_json(step: D.Step) -> dict:
    """A step as the manifest lists it: its checks by key (they are listed in full under "checks")."""
    return {**DF.dump(step), "checks": [c.key for c in step.checks]}


def manifest(view: DecisionFile) -> dict:
    """manifest.json (docs/decision-bundle.md): the facts, what the file concluded from them, the chain's
    events with their links, and the attachments with their SHA-256."""
    facts = DF.dump(view.matter)
    p, v = view.proposal, view.village
    return {
        "format": DF.FORMAT,
        "generated_at": DF.dump(view.generated_at),
        "village": {"id": v.id, "name": v.name, "slug": v.slug},
        "proposal": {**{k: val for k, val in facts.items() if k not in ("votes", "notices")},
                     "body": p.body, "category": p.category, "procedure_name": view.procedure_name,
                     "state_name": view.state_name},
        "votes": facts["votes"],
        "notices": facts["notices"],
        "steps": [step_json(s) for s in view.file.steps],
        "checks": DF.dump(view.file.checks),
        "summary": {"code": view.file.summary, "name": view.file.summary_name, "counts": view.file.counts},
        "audit_events": [{"seq": e.seq, "village_id": e.village_id, "actor_id": e.actor_id, "action": e.action,
                          "entity": e.entity, "entity_id": e.entity_id,
                          "payload": bytes(e.payload).decode("utf-8"), "prev_hash": e.prev_hash, "hash": e.hash}
                         for e in view.events],
        "attachments": [{"id": a.id, "owner_type": a.owner_type, "owner_id": a.owner_id, "filename": a.filename,
                         "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
                         "path": f"files/{a.sha256}"} for a in view.attachments],
    }


README = """一事一档证据包（{title}）

manifest.json：事项的全过程记录、检查结论、表决和公示的证据、审计链事件和附件清单。
files/：附件原件，文件名是它的 SHA-256。

离线核验：cunyi verify-bundle 本文件.zip
格式说明见村议的 docs/decision-bundle.md。
"""


def bundle(settings: Settings, view: DecisionFile) -> tuple[str, BinaryIO]:
    """The ZIP (manifest.json, README.txt, files/<sha256>) as an open file at its start, and its name.
    A file missing from storage is listed and left out: the verifier names it."""
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - handed to the caller
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest(view), ensure_ascii=False, indent=1))
        zf.writestr("README.txt", README.format(title=view.proposal.title))
        for sha in sorted({a.sha256 for a in view.attachments}):
            path = attachments.path_of(settings, sha)
            if path.is_file():
                zf.write(path, f"files/{sha}")
    out.seek(0)
    return f"一事一档-{view.proposal.id}.zip", out


def bundle_of(session: Session, settings: Settings, actor: Actor | None, proposal_id: int) -> tuple[str, BinaryIO]:
    return bundle(settings, file_of(session, actor, proposal_id))


def bundle_in(session: Session, settings: Settings, actor: Actor | None, slug: str, proposal_id: int
              ) -> tuple[str, BinaryIO]:
    return bundle(settings, file_in(session, actor, slug, proposal_id))


# --- the verdicts kept on each matter, for the township's dashboard --------------------------------

def stale_verdict(now: datetime):
    """The matters whose kept verdict no longer holds: `D.verdict_current` negated, in SQL (the job
    selects them; tests/api/test_queue.py checks the two agree case by case)."""
    return or_(Proposal.verdict_at.is_(None), Proposal.updated_at > Proposal.verdict_at,
               and_(Proposal.verdict_at < now - D.VERDICT_EVERY,
                    or_(Proposal.state.not_in(D.FINAL), Proposal.stage_entered_at > now - D.VERDICT_SETTLE)))


def _reader() -> Actor:
    """Who computes the kept verdicts: sees every fact, as an admin would; never stored or audited."""
    return Actor(user=User(id=0, name="系统", phone="", is_admin=True))


def verdict_of(session: Session, actor: Actor | None, proposal: Proposal) -> tuple[str, list[str]]:
    """The matter's verdict as (summary name, labels of the checks not met): the one the `verdicts` job
    kept while it holds (`D.verdict_current`); else from its file, built now."""
    kept = proposal.verdict is not None and proposal.failed_labels is not None
    if kept and D.verdict_current(proposal.verdict_at, proposal.updated_at, proposal.state,
                                  proposal.stage_entered_at, utcnow()):
        return D.SUMMARIES[proposal.verdict], list(proposal.failed_labels)
    file = file_of(session, actor, proposal.id).file
    return file.summary_name, file.not_met


def refresh_verdicts(session: Session, *, batch: int = 100) -> int:
    """Recompute the decision-file verdict of every matter that may have changed since it was kept:
    never computed, changed since, still under way (hourly), or finished within D.VERDICT_SETTLE.
    Commits per batch; returns how many were computed."""
    now = utcnow()
    ids = list(session.execute(select(Proposal.id).where(Proposal.state != P.DRAFT, stale_verdict(now))
                               .order_by(Proposal.id)).scalars())
    reader, villages = _reader(), {}
    for start in range(0, len(ids), batch):
        for proposal in session.execute(select(Proposal).where(Proposal.id.in_(ids[start:start + batch]))).scalars():
            village = villages.get(proposal.village_id) or places.get_village(session, proposal.village_id)
            villages[village.id] = village
            view = _build(session, reader, proposal, village)
            failed = view.file.not_met
            session.execute(update(Proposal).where(Proposal.id == proposal.id).values(
                verdict=view.file.summary, failed_checks=len(failed), failed_labels=failed, verdict_at=now))
        session.commit()
    return len(ids)
