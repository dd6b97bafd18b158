"""What a vote looks like to its viewer: the views the vote pages and the vote API show.

Each view gathers, for one viewer, what a page or an answer shows about votes: the vote page (status,
the viewer's ballot, proxies, the paper tally, then the result and the public ballot box), the form
that creates or edits a vote, the printable result sheet, the proposal page's list of its votes, and
the API's vote. The buttons they show follow `votes.capabilities`; the services check again.
Secrecy holds here too: before close no view carries a count, only turnout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.clock import utcnow
from app.domain import procedures as P
from app.domain import rulebook as R
from app.models import Attachment, Council, Elector, Household, Proposal, User, Village, VoteSession
from app.services import access, attachments, ballots, councils, paper_tallies, places, proposals, votes
from app.services.access import Actor, require
from app.services.councils import CouncilView, Person, RuleText, rule_text
from app.services.errors import Conflict, Invalid, NotFound
from app.services.pagination import Page, paginate
from app.services.paper_tallies import PaperView

STATE_NAMES = {"draft": "未开始", "open": "进行中", "closed": "已结束"}
BOX_PAGE = 100  # ballots per page of the public ballot box


# --- the vote page --------------------------------------------------------------------------

@dataclass
class BoxPage:
    """The public box after close, as two lists that never meet: the receipts (sorted, one page) and
    the online choices (counted; a roll-call vote's named for the village's members)."""

    receipts: list[str]
    counts: list[tuple[str, int]]  # (option, online ballots)
    named: list[dict] | None  # roll-call, the village's members: (voter, choice_label), one page
    total: int
    page: int
    pages: int


@dataclass
class ReceiptLookup:
    code: str
    found: bool  # the receipt is in the box: the ballot was counted (what it said is not told)
    message: str | None


@dataclass(kw_only=True)
class _VoteSheet:
    """What the vote page and its printed sheet both show."""

    village: Village
    proposal: Proposal
    vs: VoteSession
    council: Council
    kind_name: str
    rule: RuleText


@dataclass(kw_only=True)
class VotePage(_VoteSheet):
    special_name: str | None
    state_name: str
    caps: votes.VoteCaps
    started: bool
    is_open: bool
    accepting: bool  # open and within its times: ballots are taken
    not_yet: bool  # open, but before its opening time
    closed: bool
    turnout: int
    elector: bool  # the viewer is on the frozen list
    mine: dict | None  # the viewer's own ballot
    my_proxy: dict | None  # the viewer's written proxy, if any
    can_cast: bool
    held: list[dict]  # proxies the viewer holds, with whether each principal has voted
    proxies: list[dict]
    proxy_scans: dict[int, Attachment]  # the written authorizations, for those who oversee
    electorate: list[Person]  # for the clerk's proxy and sign-in forms
    paper: PaperView | None
    result: dict | None
    box: BoxPage | None
    lookup: ReceiptLookup | None
    max_mb: int


def _is_elector(session: Session, vs: VoteSession, user_id: int) -> bool:
    return session.execute(select(Elector.user_id).where(Elector.vote_session_id == vs.id,
                                                         Elector.user_id == user_id)).first() is not None


def _electorate_by_household(session: Session, vs: VoteSession) -> list[Person]:
    """The frozen electorate with household numbers (names repeat in a village; 户号 tells them apart)."""
    rows = session.execute(
        select(User.id, User.name, Household.number)
        .join(Elector, Elector.user_id == User.id)
        .join(Household, Household.id == Elector.household_id, isouter=True)
        .where(Elector.vote_session_id == vs.id)
        .order_by(Household.number, User.name, User.id)
    ).all()
    return [Person(*row) for row in rows]


def _box(session: Session, actor: Actor, vs: VoteSession, page: int) -> BoxPage:
    codes = ballots.receipts(session, actor, vs.id, page, BOX_PAGE)
    named = None
    if not vs.secret:
        choices = ballots.ballot_box(session, actor, vs.id, codes.page, BOX_PAGE)
        if choices.items and "voter" in choices.items[0]:
            named = choices.items
    return BoxPage(receipts=codes.items, counts=ballots.online_counts(session, vs), named=named,
                   total=codes.total, page=codes.page, pages=codes.pages)


def _lookup(session: Session, vs: VoteSession, receipt: str, closed: bool) -> ReceiptLookup | None:
    code = receipt.strip()
    if not closed:
        return ReceiptLookup(code, False, "表决结束后才能查回执")
    if not code:
        return None
    found = ballots.find_receipt(session, vs.id, code)
    return ReceiptLookup(code, found, None if found else "没有找到这个回执码，请核对后再查")


def vote_page(session: Session, actor: Actor, slug: str, sid: int, *, receipt: str | None = None,
              page: int = 1) -> VotePage:
    """The vote page for this viewer; `receipt` is a receipt code to look up, `page` the ballot box's page."""
    vs, proposal, village = votes.find(session, actor, slug, sid)
    now = utcnow()
    council, rule = votes.rule_of(session, vs)
    caps = votes.capabilities(actor, village, vs)
    started, is_open, closed = vs.state != "draft", vs.state == "open", vs.state == "closed"
    accepting = is_open and vs.opens_at <= now < vs.closes_at

    mine = ballots.my_ballot(session, actor, vs.id) if caps.member and started else None
    elector = caps.member and started and _is_elector(session, vs, actor.id)
    all_proxies = paper_tallies.proxies(session, vs) if started else []
    held = [p for p in all_proxies if p["proxy_id"] == actor.id]
    if held:
        done = ballots.voted_among(session, vs, [p["voter_id"] for p in held])
        for p in held:
            p["voted"] = p["voter_id"] in done
    my_proxy = next((p for p in all_proxies if p["voter_id"] == actor.id), None)
    can_cast = bool(accepting and elector and mine is not None
                    and (not mine["voted"] or (not vs.secret and vs.allow_change)))
    box = _box(session, actor, vs, page) if closed else None
    lookup = _lookup(session, vs, receipt, closed) if receipt is not None else None
    electorate = _electorate_by_household(session, vs) if caps.record else []
    paper = paper_tallies.paper_view(session, vs) if started else None
    scans = ({a.id: a for a in attachments.list_for(session, "vote", vs.id)}
             if all_proxies and caps.oversee else {})
    return VotePage(
        village=village, proposal=proposal, vs=vs, council=council,
        kind_name=R.COUNCIL_KINDS.get(council.kind, council.kind), rule=rule_text(rule),
        special_name=R.SPECIAL_RULES[vs.special_rule][0] if vs.special_rule in R.SPECIAL_RULES else None,
        state_name=STATE_NAMES.get(vs.state, vs.state), caps=caps, started=started, is_open=is_open,
        accepting=accepting, not_yet=is_open and now < vs.opens_at, closed=closed,
        turnout=ballots.turnout(session, vs) if started else 0, elector=elector, mine=mine, my_proxy=my_proxy,
        can_cast=can_cast, held=held, proxies=all_proxies if caps.see_proxies else [], proxy_scans=scans,
        electorate=electorate, paper=paper, result=vs.result if closed else None, box=box, lookup=lookup,
        max_mb=attachments.MAX_BYTES // (1024 * 1024),
    )


# --- the printable result sheet ---------------------------------------------------------------

@dataclass(kw_only=True)
class PrintPage(_VoteSheet):
    result: dict
    paper: PaperView | None  # only once confirmed
    printed_at: datetime


def print_page(session: Session, actor: Actor, slug: str, sid: int) -> PrintPage:
    vs, proposal, village = votes.find(session, actor, slug, sid)
    if vs.state != "closed":
        raise Conflict("表决结束后才能打印结果")
    council, rule = votes.rule_of(session, vs)
    paper = paper_tallies.paper_view(session, vs)
    return PrintPage(village=village, proposal=proposal, vs=vs, council=council,
                     kind_name=R.COUNCIL_KINDS.get(council.kind, council.kind), rule=rule_text(rule),
                     result=vs.result, paper=paper if paper and paper.tally.confirmed_at else None,
                     printed_at=utcnow())


# --- creating and editing a vote ----------------------------------------------------------------

@dataclass
class VoteFormPage:
    village: Village
    proposal: Proposal
    vs: VoteSession | None  # None: a new vote
    councils: list[CouncilView]  # those that may decide the proposal's current stage
    council_hint: str | None  # which kinds may, when the stage says
    specials: dict[str, tuple[str, str]]  # special rule → (name, threshold)
    window: tuple[datetime, datetime]  # a new vote's default times: from now, for a week


def find_proposal(session: Session, actor: Actor, slug: str, pid: int) -> tuple[Proposal, Village]:
    """A proposal found under its own village only (404 under any other)."""
    village = places.get_village_by_slug(session, slug)
    proposal, home = proposals.get(session, actor, pid)
    if home.id != village.id:
        raise NotFound("找不到这个事项")
    return proposal, village


def vote_form(session: Session, actor: Actor, proposal: Proposal, village: Village,
              vs: VoteSession | None = None) -> VoteFormPage:
    stage = proposals.stage_of(proposal)
    allowed = votes.STAGE_COUNCILS.get((proposal.procedure, stage.key)) if stage else None
    views = councils.list_councils(session, actor, village)
    now = utcnow().replace(second=0, microsecond=0)
    return VoteFormPage(
        village=village, proposal=proposal, vs=vs,
        councils=[v for v in views if not allowed or v.council.kind in allowed],
        council_hint="、".join(R.COUNCIL_KINDS[k] for k in allowed) if allowed else None,
        specials={k: (name, f"{m.threshold.text}同意") for k, (name, m) in R.SPECIAL_RULES.items()},
        window=(now, now + timedelta(days=7)),
    )


def new_vote_form(session: Session, actor: Actor, slug: str, pid: int) -> VoteFormPage:
    proposal, village = find_proposal(session, actor, slug, pid)
    require(actor, village, *votes.RUNNERS)
    return vote_form(session, actor, proposal, village)


def edit_vote_form(session: Session, actor: Actor, slug: str, sid: int) -> VoteFormPage:
    """The form for a vote not yet opened (409 once it has)."""
    vs, proposal, village = votes.find(session, actor, slug, sid)
    require(actor, village, *votes.RUNNERS)
    if vs.state != "draft":
        raise Conflict("表决已经开始，名单和表决事项已锁定，不能修改")
    return vote_form(session, actor, proposal, village, vs)


# --- the proposal page's vote section ---------------------------------------------------------

@dataclass
class VotePanelRow:
    session: VoteSession
    state: str
    council: str
    turnout: int | None  # while open
    result: dict | None  # once closed


@dataclass
class VotePanel:
    sessions: list[VotePanelRow]
    in_vote: bool  # the proposal is in a vote stage
    pending: bool  # a vote of this stage is not closed yet
    can_start: bool
    new_url: str


def panel_for_proposal(session: Session, actor: Actor, proposal: Proposal, village: Village) -> VotePanel:
    """The proposal page's list of its votes: state, turnout while open, the outcome after close;
    and whether the viewer may start one now."""
    sessions = votes.sessions_for(session, proposal)
    by_id = {c.id: c for c in session.execute(select(Council).where(
        Council.id.in_({s.council_id for s in sessions}))).scalars()} if sessions else {}
    rows = []
    for s in sessions:
        council = by_id.get(s.council_id)
        rows.append(VotePanelRow(
            session=s, state=STATE_NAMES.get(s.state, s.state), council=council.name if council else "",
            turnout=ballots.turnout(session, s) if s.state == "open" else None,
            result=s.result if s.state == "closed" else None,
        ))
    stage = proposals.stage_of(proposal)
    in_vote = stage is not None and stage.kind is P.Kind.VOTE
    pending = in_vote and any(s.stage == stage.key and s.state != "closed" for s in sessions)
    return VotePanel(sessions=rows, in_vote=in_vote, pending=pending,
                     can_start=in_vote and not pending and votes.capabilities(actor, village).run,
                     new_url=f"/v/{village.slug}/proposals/{proposal.id}/votes/new")


# --- the API's vote ---------------------------------------------------------------------------

@dataclass
class VoteView:
    vs: VoteSession
    council: Council
    rule: R.CouncilRule
    result: dict | None  # once closed; without the names of people counted once for outsiders
    my_ballot: dict | None  # for a logged-in member of the village
    turnout: int


def vote_view(session: Session, actor: Actor | None, vs: VoteSession, insider: bool) -> VoteView:
    council, rule = votes.rule_of(session, vs)
    result = votes.result_for(vs, insider)
    mine = None
    if actor is not None and actor.is_member(vs.village_id):
        mine = ballots.my_ballot(session, actor, vs.id)
    return VoteView(vs=vs, council=council, rule=rule, result=result, my_ballot=mine,
                    turnout=ballots.turnout(session, vs))


def read_vote(session: Session, actor: Actor | None, sid: int) -> VoteView:
    """A vote for the API: turnout always, the result once closed; closed votes are public."""
    vs, _, insider = votes.read_session(session, actor, sid)
    return vote_view(session, actor, vs, insider)



# --- lists of votes (the API) -----------------------------------------------------------------

def _page_of_views(session: Session, actor: Actor | None, stmt, page: int, per_page: int) -> Page:
    """A page of votes as the API shows each (read through `votes.read_session`, so a vote past its
    close is closed and counted first, as when it is read alone)."""
    result = paginate(session, stmt, page, per_page)
    views = []
    for vs in result.items:
        vs, _, insider = votes.read_session(session, actor, vs.id)
        views.append(vote_view(session, actor, vs, insider))
    result.items = views
    return result


def village_votes(session: Session, actor: Actor | None, village: Village, page: int = 1,
                  per_page: int = 20, state: str | None = None) -> Page:
    """The village's votes, newest first, or those in one state: its members, the township's monitors
    and admins see every vote; anyone else the closed ones (public, as each closed vote is)."""
    if state is not None and state not in STATE_NAMES:
        raise Invalid("没有这个状态", field="state")
    stmt = select(VoteSession).where(VoteSession.village_id == village.id)
    if not access.insider(actor, village):
        stmt = stmt.where(VoteSession.state == "closed")
    if state is not None:
        stmt = stmt.where(VoteSession.state == state)
    return _page_of_views(session, actor, stmt.order_by(VoteSession.id.desc()), page, per_page)


def proposal_votes(session: Session, actor: Actor | None, pid: int, page: int = 1, per_page: int = 20) -> Page:
    """A proposal's votes, oldest first, for those who may see the proposal (its members and monitors)."""
    proposal, _ = proposals.get(session, actor, pid)
    stmt = select(VoteSession).where(VoteSession.proposal_id == proposal.id).order_by(VoteSession.id)
    return _page_of_views(session, actor, stmt, page, per_page)


@dataclass
class VoteBrief:
    """A vote as a proposal's answer lists it."""

    id: int
    stage: str
    question: str
    secret: bool
    state: str
    opens_at: datetime
    closes_at: datetime
    passed: bool | None  # once closed


def briefs_for_proposal(session: Session, actor: Actor | None, pid: int) -> list[VoteBrief]:
    """A proposal's votes, oldest first, for its answer (those who may see the proposal)."""
    proposal, _ = proposals.get(session, actor, pid)
    return [VoteBrief(id=s.id, stage=s.stage, question=s.question, secret=s.secret, state=s.state,
                      opens_at=s.opens_at, closes_at=s.closes_at,
                      passed=bool(s.result.get("passed")) if s.state == "closed" and s.result else None)
            for s in votes.sessions_for(session, proposal)]
