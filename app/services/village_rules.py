"""A village's own rules (村规民约, 村民自治章程): the register, its versions, their adoption by the
villagers' assembly, their publication on the board and their filing with the township.

Who does what: anyone reads the rules and their adopted versions (they are public law of the village);
the committee drafts a rule or a new version, edits the draft, and records its adoption by a closed,
passing vote of the 村民会议 (rules: app/domain/village_rules.py), which drafts its publication for the
board (reviewed and published as every village notice); the township's monitors file the adopted
version (备案, a number in the township's one filing series) or order it corrected (责令改正) with a
reason the village sees. Every step is audited in the village's chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from app.clock import utcnow
from app.domain import rulebook as R
from app.domain import village_rules as VR
from app.domain.calendar import format_date, local_date_of
from app.domain.roles import COMMITTEE
from app.models import Council, Filing, Township, Village, VillageRule, VillageRuleVersion, VoteSession
from app.services import access, audit, filings, notices
from app.services.access import Actor, require, require_login
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, invalid_fields


def manages(actor: Actor | None, village: Village) -> bool:
    return actor is not None and actor.has(village.id, COMMITTEE)


def _oversees(actor: Actor | None, village: Village) -> bool:
    return actor is not None and (actor.is_admin or actor.monitors(village))


@dataclass
class RuleRow:
    rule: VillageRule
    current: VillageRuleVersion | None  # the latest adopted version (filed, awaiting filing or returned)
    draft: VillageRuleVersion | None  # a draft in hand (the committee's view only)

    @property
    def kind_name(self) -> str:
        return VR.KINDS[self.rule.kind]


def register(session: Session, actor: Actor | None, village: Village) -> list[RuleRow]:
    """The village's rules with their current versions (two queries); drafts for the committee only."""
    rules = list(session.execute(select(VillageRule).where(VillageRule.village_id == village.id)
                                 .order_by(VillageRule.kind, VillageRule.title)).scalars())
    versions = list(session.execute(select(VillageRuleVersion).where(
        VillageRuleVersion.village_id == village.id).order_by(VillageRuleVersion.number)).scalars())
    insider = manages(actor, village)
    rows = []
    for rule in rules:
        mine = [v for v in versions if v.rule_id == rule.id]
        adopted = [v for v in mine if v.state != VR.DRAFT]
        drafts = [v for v in mine if v.state == VR.DRAFT]
        if adopted or insider:
            rows.append(RuleRow(rule, adopted[-1] if adopted else None, drafts[-1] if drafts and insider else None))
    return rows


@dataclass
class RuleView:
    village: Village
    rule: VillageRule
    versions: list[VillageRuleVersion]  # newest first; drafts for the committee only
    votes: dict[int, VoteSession]  # the adopting votes
    numbers: dict[int, str]  # version id -> filing number
    eligible: list[VoteSession]  # closed, passing votes of the assembly the committee may adopt by
    manages: bool
    oversees: bool
    citation: str
    sees_votes: bool = False  # the adopting vote's page is the village's insiders' (access.insider)

    @property
    def kind_name(self) -> str:
        return VR.KINDS[self.rule.kind]

    @property
    def draft(self) -> VillageRuleVersion | None:
        return next((v for v in self.versions if v.state == VR.DRAFT), None)

    @property
    def current(self) -> VillageRuleVersion | None:
        """The version in force: the latest adopted one."""
        return next((v for v in self.versions if v.state != VR.DRAFT), None)


def _rule(session: Session, village: Village, rule_id: int) -> VillageRule:
    rule = session.get(VillageRule, rule_id)
    if rule is None or rule.village_id != village.id:
        raise NotFound("找不到这份村规民约")
    return rule


def rule_view(session: Session, actor: Actor | None, village: Village, rule_id: int) -> RuleView:
    """One rule with its versions, the votes that adopted them and their filing numbers (five queries)."""
    rule = _rule(session, village, rule_id)
    insider, oversees = manages(actor, village), _oversees(actor, village)
    versions = [v for v in session.execute(select(VillageRuleVersion).where(VillageRuleVersion.rule_id == rule.id)
                                           .order_by(VillageRuleVersion.number.desc())).scalars()
                if v.state != VR.DRAFT or insider]
    if not versions:
        raise NotFound("找不到这份村规民约")
    ids = [v.vote_session_id for v in versions if v.vote_session_id]
    votes = {vs.id: vs for vs in session.execute(select(VoteSession).where(VoteSession.id.in_(ids))).scalars()} \
        if ids else {}
    numbers = dict(session.execute(select(Filing.rule_version_id, Filing.number).where(
        Filing.rule_version_id.in_([v.id for v in versions]))).all())
    eligible = _eligible(session, village) if insider else []
    return RuleView(village, rule, versions, votes, numbers, eligible, insider, oversees,
                    R.source_of("cwh.charter", local_date_of(utcnow())).cite, sees_votes=access.insider(actor, village))


def _eligible(session: Session, village: Village) -> list[VoteSession]:
    """The village's closed votes of its 村民会议 that passed, newest first (at most 50)."""
    rows = session.execute(select(VoteSession).join(Council, Council.id == VoteSession.council_id).where(
        VoteSession.village_id == village.id, VoteSession.state == "closed", Council.kind == R.ASSEMBLY)
        .order_by(VoteSession.closed_at.desc()).limit(50)).scalars()
    return [vs for vs in rows if (vs.result or {}).get("passed")]


# --- the committee ---------------------------------------------------------------------------------

def create(session: Session, actor: Actor | None, village: Village, *, kind: str, title: str, body: str,
           note: str = "") -> VillageRule:
    """A new rule with its first version as a draft."""
    actor = require(actor, village, COMMITTEE)
    if errors := VR.check_draft(kind, title, body, note or ""):
        raise invalid_fields(errors)
    title = title.strip()
    if session.execute(select(VillageRule.id).where(VillageRule.village_id == village.id,
                                                     VillageRule.title == title)).first() is not None:
        raise Conflict("本村已有同名的规约，请在它下面修订新版本")
    now = utcnow()
    rule = VillageRule(village_id=village.id, kind=kind, title=title, created_by=actor.id, created_at=now)
    session.add(rule)
    session.flush()
    version = VillageRuleVersion(village_id=village.id, rule_id=rule.id, number=1, body=body, note=(note or "").strip(),
                                 created_by=actor.id, created_at=now)
    session.add(version)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="village_rule.create",
                 entity="village_rule", entity_id=rule.id, data={"kind": kind, "title": title})
    session.commit()
    return rule


def add_version(session: Session, actor: Actor | None, village: Village, rule_id: int, *, body: str,
                note: str = "") -> VillageRuleVersion:
    """A new draft version of a rule (a revision, 修订); one draft at a time."""
    actor = require(actor, village, COMMITTEE)
    rule = _rule(session, village, rule_id)
    if errors := VR.check_draft(None, None, body, note or ""):
        raise invalid_fields(errors)
    numbers = list(session.execute(select(VillageRuleVersion.number, VillageRuleVersion.state).where(
        VillageRuleVersion.rule_id == rule.id)).all())
    if any(state == VR.DRAFT for _, state in numbers):
        raise Conflict("已有一份修订草稿，请先修改或通过它")
    version = VillageRuleVersion(village_id=village.id, rule_id=rule.id, number=max(n for n, _ in numbers) + 1,
                                 body=body, note=(note or "").strip(), created_by=actor.id)
    session.add(version)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="village_rule.version",
                 entity="village_rule", entity_id=rule.id, data={"number": version.number})
    session.commit()
    return version


def _version(session: Session, village: Village, rule_id: int, version_id: int) -> tuple[VillageRule,
                                                                                           VillageRuleVersion]:
    rule = _rule(session, village, rule_id)
    version = session.get(VillageRuleVersion, version_id)
    if version is None or version.rule_id != rule.id:
        raise NotFound("找不到这一版")
    return rule, version


def edit_draft(session: Session, actor: Actor | None, village: Village, rule_id: int, version_id: int, *,
               body: str, note: str = "") -> VillageRuleVersion:
    actor = require(actor, village, COMMITTEE)
    rule, version = _version(session, village, rule_id, version_id)
    if version.state != VR.DRAFT:
        raise Conflict("已通过的版本不能修改；请修订新版本")
    if errors := VR.check_draft(None, None, body, note or ""):
        raise invalid_fields(errors)
    version.body, version.note = body, (note or "").strip()
    session.add(version)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="village_rule.edit",
                 entity="village_rule", entity_id=rule.id, data={"number": version.number})
    session.commit()
    return version


def adopt(session: Session, actor: Actor | None, village: Village, rule_id: int, version_id: int,
          vote_session_id: int) -> VillageRuleVersion:
    """Record that a closed, passing vote of the 村民会议 adopted this draft: its text is fixed (hash),
    and its publication is drafted for the board (reviewed by the supervisors, then published)."""
    actor = require(actor, village, COMMITTEE)
    rule, version = _version(session, village, rule_id, version_id)
    if version.state != VR.DRAFT:
        raise Conflict("这一版已经通过")
    vs = session.get(VoteSession, vote_session_id)
    council = session.get(Council, vs.council_id) if vs is not None else None
    if vs is None or council is None:
        raise Invalid("请选择通过这一版的表决", field="vote_session_id")
    problem = VR.adoption_problem(VR.VoteFacts(vs.village_id == village.id, vs.state,
                                               (vs.result or {}).get("passed"), council.kind))
    if problem:
        raise Invalid(problem, field="vote_session_id")
    version.state, version.vote_session_id, version.adopted_at = VR.ADOPTED, vs.id, vs.closed_at
    version.content_hash = VR.content_hash(rule.title, version.number, version.body)
    cite = R.source_of("cwh.charter", local_date_of(vs.closed_at or utcnow())).cite
    notice = notices.create(
        session, actor, village, category="village",
        title=f"{VR.KINDS[rule.kind]}《{rule.title}》（第 {version.number} 版）"[:120],
        body=f"{version.body}\n\n---\n\n经 {format_date(vs.closed_at)} 村民会议表决通过（表决：{vs.question}）。"
             f"{cite}，本村民会议制定和修改村民自治章程、村规民约，并报乡镇人民政府备案。\n\n"
             f"条文指纹（SHA-256）：{version.content_hash}")
    version.notice_id = notice.id
    session.add(version)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="village_rule.adopt",
                 entity="village_rule", entity_id=rule.id,
                 data={"number": version.number, "vote": vs.id, "content_hash": version.content_hash,
                       "notice": notice.id})
    session.commit()
    return version


# --- the township ---------------------------------------------------------------------------------

def _overseen(session: Session, actor: Actor | None, village: Village) -> tuple[Actor, Township]:
    actor = require_login(actor)
    if not _oversees(actor, village):
        if actor.is_member(village.id):
            raise Forbidden("只有乡镇监督员可以备案或责令改正")
        raise NotFound("找不到这份村规民约")
    return actor, session.get(Township, village.township_id)


def file(session: Session, actor: Actor | None, village: Village, rule_id: int, version_id: int,
         note: str = "") -> Filing:
    """备案: an adopted version gets the township's next filing number."""
    actor, township = _overseen(session, actor, village)
    rule, version = _version(session, village, rule_id, version_id)
    if version.state != VR.ADOPTED:
        raise Conflict("只有已通过、待备案的版本可以备案")
    note = (note or "").strip()
    if len(note) > 500:
        raise Invalid("备案意见最多 500 个字", field="note")
    filing = filings.new_filing(session, township, village, actor, note, rule_version_id=version.id)
    version.state = VR.FILED
    session.add(version)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="village_rule.file",
                 entity="village_rule", entity_id=rule.id, data={"number": version.number, "filing": filing.number})
    session.commit()
    return filing


def order_correction(session: Session, actor: Actor | None, village: Village, rule_id: int, version_id: int,
                     reason: str) -> VillageRuleVersion:
    """责令改正: the township will not file an adopted version; the village sees why and adopts a new one."""
    actor, _ = _overseen(session, actor, village)
    rule, version = _version(session, village, rule_id, version_id)
    if version.state != VR.ADOPTED:
        raise Conflict("只有已通过、待备案的版本可以责令改正")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请写明需要改正的地方", field="reason")
    if len(reason) > 500:
        raise Invalid("理由最多 500 个字", field="reason")
    version.state, version.returned_reason, version.returned_by, version.returned_at = \
        VR.RETURNED, reason, actor.id, utcnow()
    session.add(version)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="village_rule.return",
                 entity="village_rule", entity_id=rule.id, data={"number": version.number, "reason": reason})
    session.commit()
    return version


def awaiting_filing(session: Session, village_ids: list[int]) -> dict[int, int]:
    """Per village, adopted versions the township has neither filed nor returned (one query)."""
    if not village_ids:
        return {}
    return dict(session.execute(select(VillageRuleVersion.village_id, func.count()).where(
        VillageRuleVersion.village_id.in_(village_ids), VillageRuleVersion.state == VR.ADOPTED)
        .group_by(VillageRuleVersion.village_id)).all())
