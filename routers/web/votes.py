"""Council and vote pages (民主决事): the councils, the committee's vote form, the vote page (cast, receipt,
turnout, proxies, the paper tally, then the result and the public ballot box), the printable result sheet.

Post → redirect → flash. Bad input re-shows the form with the message and what was typed; a refusal
(wrong role, wrong moment) is a flash on the page the form came from.

Secrecy on the page. Before close nobody sees a count, only turnout. A secret ballot's receipt is
carried from the cast to the next page in a short-lived signed cookie scoped to that vote's path and
deleted as it is shown: the server keeps no (voter, receipt) pair, so the receipt is shown once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.clock import utcnow
from app.config import Settings
from app.domain import procedures as P
from app.domain import rulebook as R
from app.domain import votes as V
from app.domain.calendar import format_local, from_local
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR
from app.models import (
    Ballot,
    BallotRegister,
    Council,
    Elector,
    Household,
    Membership,
    PaperAttendance,
    Proposal,
    User,
    Village,
    VillagerGroup,
    VoteSession,
)
from app.services import attachments, places, proposals, votes
from app.services.access import Actor, require
from app.services.errors import Invalid, NotFound, ServiceError
from routers import cookies
from routers.deps import get_db, get_settings_dep, page_actor
from routers.templating import render
from routers.web.common import redirect

router = APIRouter()

RECEIPT_COOKIE = "cunyi_receipt"
BOX_PAGE = 100
STATE_NAMES = {"draft": "未开始", "open": "进行中", "closed": "已结束"}
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


# --- helpers ----------------------------------------------------------------------------------

def _village(db: Session, slug: str) -> Village:
    return places.get_village_by_slug(db, slug)


def _runner(actor: Actor, village: Village) -> bool:
    """Who creates, opens, closes and edits votes (the service's rule)."""
    return actor.has(village.id, COMMITTEE, PARTY_COMMITTEE)


def _clerk(actor: Actor, village: Village) -> bool:
    """Who records proxies and the paper tally, and confirms it (the service's rule)."""
    return actor.has(village.id, COMMITTEE)


def _overseer(actor: Actor, village: Village) -> bool:
    """Who sees the list of people counted once though they voted twice (online and on paper)."""
    return actor.has(village.id, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR) or actor.monitors(village)


def _load_vote(db: Session, actor: Actor, slug: str, sid: int) -> tuple[VoteSession, Proposal, Village]:
    vs, proposal, village = votes.get_session(db, actor, sid)
    if village.slug != slug:
        raise NotFound("找不到这次表决")
    return vs, proposal, village


def _load_proposal(db: Session, actor: Actor, slug: str, pid: int) -> tuple[Proposal, Village]:
    village = _village(db, slug)
    proposal, home = proposals.get(db, actor, pid)
    if home.id != village.id:
        raise NotFound("找不到这个事项")
    return proposal, village


def vote_url(village: Village, sid: int, anchor: str = "") -> str:
    return f"/v/{village.slug}/votes/{sid}" + (f"#{anchor}" if anchor else "")


def receipt_text(code: str | None) -> str:
    """Receipts are shown in two groups of five (ABCDE-FGHJK); the lookup accepts either form."""
    if not code:
        return ""
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


def to_input(value: datetime | None) -> str:
    return format_local(value, LOCAL_INPUT) if value else ""


def parse_local(text: str, field: str, label: str) -> datetime:
    """A datetime-local field, typed in Beijing time, as UTC."""
    try:
        value = datetime.strptime(text.strip(), LOCAL_INPUT)
    except ValueError:
        raise Invalid(f"请填写{label}（年-月-日 时:分）", field=field) from None
    return from_local(value)


def _invalid(errors: dict[str, str]) -> Invalid:
    return Invalid("；".join(errors.values()), errors=[{"field": k, "message": m} for k, m in errors.items()])


def _field_errors(exc: ServiceError) -> dict[str, str]:
    out = {e.get("field", ""): e.get("message", "") for e in exc.errors}
    if exc.field:
        out.setdefault(exc.field, exc.detail)
    return out


def rule_of(council: Council, special: str | None) -> R.CouncilRule:
    return R.with_special(votes.council_rule(council), special)


def rule_texts(rule: R.CouncilRule) -> dict:
    return {"quorum": rule.quorum_text, "passing": f"{rule.passing_text}同意", "citation": rule.citation,
            "summary": f"{rule.citation}：{rule.passing_text}同意"}


def _fraction_input(text: str) -> tuple[int, int] | None:
    """"2/3" → (2, 3); None when it is not a simple fraction."""
    cleaned = (text or "").replace("／", "/").replace(" ", "")
    num, sep, den = cleaned.partition("/")
    if not sep or not num.isdigit() or not den.isdigit() or not num.isascii() or not den.isascii():
        return None
    return int(num), int(den)


# --- small reads the pages need ---------------------------------------------------------------

@dataclass
class Person:
    id: int
    name: str
    household: str | None = None


def _village_people(db: Session, village: Village) -> list[Person]:
    """Everyone registered in the village, for picking a custom council's members."""
    rows = db.execute(
        select(User.id, User.name, Household.number)
        .join(Membership, Membership.user_id == User.id)
        .join(Household, Household.id == Membership.household_id, isouter=True)
        .where(Membership.village_id == village.id, User.status != "disabled")
        .order_by(Household.number, User.name, User.id)
    ).all()
    return [Person(*row) for row in rows]


def _electorate(db: Session, vs: VoteSession) -> list[Person]:
    """The frozen electorate with household numbers (names repeat in a village; 户号 tells them apart)."""
    rows = db.execute(
        select(User.id, User.name, Household.number)
        .join(Elector, Elector.user_id == User.id)
        .join(Household, Household.id == Elector.household_id, isouter=True)
        .where(Elector.vote_session_id == vs.id)
        .order_by(Household.number, User.name, User.id)
    ).all()
    return [Person(*row) for row in rows]


def _groups(db: Session, village: Village) -> list[VillagerGroup]:
    return list(db.execute(select(VillagerGroup).where(VillagerGroup.village_id == village.id)
                           .order_by(VillagerGroup.name)).scalars())


def _is_elector(db: Session, vs: VoteSession, user_id: int) -> bool:
    return db.execute(select(Elector.user_id).where(Elector.vote_session_id == vs.id,
                                                    Elector.user_id == user_id)).first() is not None


def _voted(db: Session, vs: VoteSession, user_ids: list[int]) -> set[int]:
    """Which of these people have a ballot (who, never what)."""
    if not user_ids:
        return set()
    table = BallotRegister if vs.secret else Ballot
    return set(db.execute(select(table.voter_id).where(table.vote_session_id == vs.id,
                                                       table.voter_id.in_(user_ids))).scalars())


def _names(db: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


# --- the receipt, carried once from the cast to the page -------------------------------------

def _receipt_path(village: Village, sid: int) -> str:
    return f"/v/{village.slug}/votes/{sid}"


def set_receipt(request: Request, response: Response, village: Village, sid: int, receipt: str,
                principal: str | None) -> None:
    value = cookies.encode(request, "receipt", {"s": sid, "r": receipt, "p": principal})
    response.set_cookie(RECEIPT_COOKIE, value, max_age=300, httponly=True, samesite="strict",
                        path=_receipt_path(village, sid))


def read_receipt(request: Request, sid: int) -> dict | None:
    body = cookies.decode(request, "receipt", request.cookies.get(RECEIPT_COOKIE))
    if body is None:
        return None
    if body.get("s") != sid or not isinstance(body.get("r"), str):
        return None
    return {"receipt": body["r"], "principal": body.get("p")}


# --- the proposal page's vote section ---------------------------------------------------------

def vote_panel(db: Session, actor: Actor, proposal: Proposal, village: Village) -> dict:
    """The proposal page's list of its votes: state, turnout while open, the outcome after close;
    and whether the committee may start one now."""
    sessions = votes.sessions_for(db, proposal)
    councils = {c.id: c for c in db.execute(select(Council).where(
        Council.id.in_({s.council_id for s in sessions}))).scalars()} if sessions else {}
    rows = []
    for s in sessions:
        council = councils.get(s.council_id)
        rows.append({
            "session": s,
            "state": STATE_NAMES.get(s.state, s.state),
            "council": council.name if council else "",
            "turnout": votes.turnout(db, s) if s.state == "open" else None,
            "result": s.result if s.state == "closed" else None,
        })
    stage = proposals.stage_of(proposal)
    in_vote = stage is not None and stage.kind is P.Kind.VOTE
    pending = in_vote and any(s.stage == stage.key and s.state != "closed" for s in sessions)
    return {"sessions": rows, "in_vote": in_vote, "pending": pending,
            "can_start": in_vote and not pending and _runner(actor, village),
            "new_url": f"/v/{village.slug}/proposals/{proposal.id}/votes/new"}


# --- councils ---------------------------------------------------------------------------------

def _council_page(request: Request, db: Session, actor: Actor, village: Village, values: dict | None = None,
                  error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    can_create = actor.has(village.id, COMMITTEE)
    values = values or {"kind": "", "name": "", "group_id": "", "members": [], "quorum": "2/3",
                        "quorum_inclusive": True, "passing": "1/2", "passing_inclusive": False}
    return render(request, "votes/councils.html", {
        "village": village,
        "councils": votes.list_councils(db, actor, village),
        "kinds": R.COUNCIL_KINDS,
        "kind_rules": {k: rule_texts(r) for k, r in R.RULES.items()},
        "can_create": can_create,
        "groups": _groups(db, village) if can_create else [],
        "people": _village_people(db, village) if can_create else [],
        "values": values,
        "error": error,
        "errors": errors or {},
        "rule_texts": rule_texts,
    }, status_code=status)


@router.get("/v/{slug}/councils")
def council_list(slug: str, request: Request, db: Session = Depends(get_db),
                 actor: Actor = Depends(page_actor)):
    village = _village(db, slug)
    require(actor, village, monitor=True)
    return _council_page(request, db, actor, village)


@router.post("/v/{slug}/councils")
async def council_create(slug: str, request: Request, db: Session = Depends(get_db),
                         actor: Actor = Depends(page_actor)):
    form = await request.form()
    village = await run_in_threadpool(_village, db, slug)
    require(actor, village, COMMITTEE)
    values = {
        "kind": str(form.get("kind") or "")[:20],
        "name": str(form.get("name") or "").strip()[:60],
        "group_id": str(form.get("group_id") or "")[:12],
        "members": [str(m)[:12] for m in form.getlist("members")][:5000],
        "quorum": str(form.get("quorum") or "").strip()[:12],
        "quorum_inclusive": bool(form.get("quorum_inclusive")),
        "passing": str(form.get("passing") or "").strip()[:12],
        "passing_inclusive": bool(form.get("passing_inclusive")),
    }
    try:
        quorum = passing = None
        if values["kind"] == R.CUSTOM:
            errors = {}
            q, p = _fraction_input(values["quorum"]), _fraction_input(values["passing"])
            if q is None:
                errors["quorum"] = "到会比例请写成“分子/分母”，如 2/3"
            if p is None:
                errors["passing"] = "通过比例请写成“分子/分母”，如 1/2"
            if errors:
                raise _invalid(errors)
            quorum = (q[0], q[1], values["quorum_inclusive"])
            passing = (p[0], p[1], values["passing_inclusive"])
        group_id = int(values["group_id"]) if values["group_id"].isdigit() else None
        member_ids = [int(m) for m in values["members"] if m.isdigit()]
        council = await run_in_threadpool(
            votes.create_council, db, actor, village, kind=values["kind"], name=values["name"], group_id=group_id,
            member_ids=member_ids, quorum=quorum, passing=passing)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.rollback()
        return await run_in_threadpool(_council_page, request, db, actor, village, values, exc.detail,
                                       _field_errors(exc), exc.status)
    return redirect(request, f"/v/{slug}/councils/{council.id}", f"已设立：{council.name}")


@router.get("/v/{slug}/councils/{cid}")
def council_page(slug: str, cid: int, request: Request, db: Session = Depends(get_db),
                 actor: Actor = Depends(page_actor)):
    council, village = votes.get_council(db, actor, cid)
    if village.slug != slug:
        raise NotFound("找不到这个议事机构")
    rule = votes.council_rule(council)
    group = db.get(VillagerGroup, council.group_id) if council.group_id else None
    return render(request, "votes/council.html", {
        "village": village,
        "council": council,
        "kind_name": R.COUNCIL_KINDS.get(council.kind, council.kind),
        "group": group,
        "rule": rule_texts(rule),
        "members": votes.council_members(db, council),
        "can_archive": council.archived_at is None and actor.has(village.id, COMMITTEE),
    })


@router.post("/v/{slug}/councils/{cid}/archive")
def council_archive(slug: str, cid: int, request: Request, db: Session = Depends(get_db),
                    actor: Actor = Depends(page_actor)):
    council, village = votes.get_council(db, actor, cid)
    if village.slug != slug:
        raise NotFound("找不到这个议事机构")
    try:
        votes.archive_council(db, actor, cid)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        return redirect(request, f"/v/{slug}/councils/{cid}", exc.detail, "error")
    return redirect(request, f"/v/{slug}/councils", f"已撤销{council.name}，它以往的表决记录不变")


# --- creating and editing a vote ----------------------------------------------------------------

def _allowed_councils(db: Session, actor: Actor, proposal: Proposal, village: Village) -> tuple[list, str | None]:
    stage = proposals.stage_of(proposal)
    allowed = votes.STAGE_COUNCILS.get((proposal.procedure, stage.key)) if stage else None
    views = votes.list_councils(db, actor, village)
    fits = [v for v in views if not allowed or v.council.kind in allowed]
    hint = "、".join(R.COUNCIL_KINDS[k] for k in allowed) if allowed else None
    return fits, hint


def _vote_form(request: Request, db: Session, actor: Actor, proposal: Proposal, village: Village, values: dict,
               *, vs: VoteSession | None = None, error: str | None = None, errors: dict | None = None,
               status: int = 200) -> Response:
    councils, hint = _allowed_councils(db, actor, proposal, village)
    return render(request, "votes/form.html", {
        "village": village,
        "proposal": proposal,
        "vs": vs,
        "councils": councils,
        "council_hint": hint,
        "specials": {k: (name, f"{m.threshold.text}同意") for k, (name, m) in R.SPECIAL_RULES.items()},
        "values": values,
        "error": error,
        "errors": errors or {},
        "rule_texts": rule_texts,
    }, status_code=status)


def _default_times() -> tuple[str, str]:
    now = utcnow().replace(second=0, microsecond=0)
    return to_input(now), to_input(now + timedelta(days=7))


class VoteForm:
    def __init__(
        self,
        council_id: str = Form(default="", max_length=12),
        question: str = Form(default="", max_length=600),
        options: str = Form(default="", max_length=2000),
        ballot: str = Form(default="secret", max_length=10),
        allow_change: str = Form(default="", max_length=2),
        opens_at: str = Form(default="", max_length=20),
        closes_at: str = Form(default="", max_length=20),
        special_rule: str = Form(default="", max_length=30),
    ):
        self.values = {"council_id": council_id, "question": question, "options": options,
                       "secret": ballot != "roll_call", "allow_change": bool(allow_change),
                       "opens_at": opens_at.strip(), "closes_at": closes_at.strip(), "special_rule": special_rule}

    def parsed(self) -> dict:
        v = self.values
        errors: dict[str, str] = {}
        times = {}
        for name, label in (("opens_at", "开始时间"), ("closes_at", "结束时间")):
            try:
                times[name] = parse_local(v[name], name, label)
            except Invalid as exc:
                errors[name] = exc.detail
        if not v["council_id"].isdigit():
            errors["council_id"] = "请选择表决的议事机构"
        if errors:
            raise _invalid(errors)
        options = [line.strip() for line in v["options"].splitlines() if line.strip()]
        return {"council_id": int(v["council_id"]), "question": v["question"], "options": options or None,
                "secret": v["secret"], "allow_change": v["allow_change"] and not v["secret"],
                "opens_at": times["opens_at"], "closes_at": times["closes_at"],
                "special_rule": v["special_rule"] or None}


@router.get("/v/{slug}/proposals/{pid}/votes/new")
def vote_new(slug: str, pid: int, request: Request, db: Session = Depends(get_db),
             actor: Actor = Depends(page_actor)):
    proposal, village = _load_proposal(db, actor, slug, pid)
    require(actor, village, COMMITTEE, PARTY_COMMITTEE)
    opens, closes = _default_times()
    councils, _ = _allowed_councils(db, actor, proposal, village)
    values = {"council_id": str(councils[0].council.id) if len(councils) == 1 else "",
              "question": f"是否同意《{proposal.title}》？", "options": "\n".join(V.APPROVE_OPTIONS),
              "secret": True, "allow_change": False, "opens_at": opens, "closes_at": closes, "special_rule": ""}
    return _vote_form(request, db, actor, proposal, village, values)


@router.post("/v/{slug}/proposals/{pid}/votes/new")
def vote_create(slug: str, pid: int, request: Request, form: VoteForm = Depends(), db: Session = Depends(get_db),
                actor: Actor = Depends(page_actor)):
    proposal, village = _load_proposal(db, actor, slug, pid)
    try:
        vs = votes.create_session(db, actor, proposal.id, **form.parsed())
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.rollback()
        return _vote_form(request, db, actor, proposal, village, form.values, error=exc.detail,
                          errors=_field_errors(exc), status=exc.status)
    return redirect(request, vote_url(village, vs.id), "表决已创建。核对无误后，请点“开始表决”")


@router.get("/v/{slug}/votes/{sid}/edit")
def vote_edit_form(slug: str, sid: int, request: Request, db: Session = Depends(get_db),
                   actor: Actor = Depends(page_actor)):
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    require(actor, village, COMMITTEE, PARTY_COMMITTEE)
    if vs.state != "draft":
        return redirect(request, vote_url(village, sid), "表决已经开始，名单和表决事项已锁定，不能修改", "error")
    values = {"council_id": str(vs.council_id), "question": vs.question, "options": "\n".join(vs.options),
              "secret": vs.secret, "allow_change": vs.allow_change, "opens_at": to_input(vs.opens_at),
              "closes_at": to_input(vs.closes_at), "special_rule": vs.special_rule or ""}
    return _vote_form(request, db, actor, proposal, village, values, vs=vs)


@router.post("/v/{slug}/votes/{sid}/edit")
def vote_edit(slug: str, sid: int, request: Request, form: VoteForm = Depends(), db: Session = Depends(get_db),
              actor: Actor = Depends(page_actor)):
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    # the council, secrecy and special rule are fixed at creation; the form shows them read-only
    form.values.update(council_id=str(vs.council_id), secret=vs.secret, allow_change=vs.allow_change,
                       special_rule=vs.special_rule or "")
    try:
        data = form.parsed()
        votes.edit_session(db, actor, sid, question=data["question"], options=data["options"],
                           opens_at=data["opens_at"], closes_at=data["closes_at"])
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.rollback()
        if exc.status == 409:
            return redirect(request, vote_url(village, sid), exc.detail, "error")
        vs, proposal, village = _load_vote(db, actor, slug, sid)
        return _vote_form(request, db, actor, proposal, village, form.values, vs=vs, error=exc.detail,
                          errors=_field_errors(exc), status=exc.status)
    return redirect(request, vote_url(village, sid), "表决内容已修改")


# --- the vote page ----------------------------------------------------------------------------

def _paper_view(db: Session, vs: VoteSession) -> dict | None:
    tally = votes.paper_tally(db, vs)
    if tally is None:
        return None
    names = _names(db, [tally.recorded_by, tally.confirmed_by])
    present = list(db.execute(select(PaperAttendance.user_id).where(
        PaperAttendance.vote_session_id == vs.id)).scalars())
    return {"tally": tally, "recorded_by": names.get(tally.recorded_by, ""),
            "confirmed_by": names.get(tally.confirmed_by, "") if tally.confirmed_by else "",
            "present": present, "counts": list(zip(vs.options, tally.counts, strict=False))}


def show_vote(request: Request, db: Session, actor: Actor, vs: VoteSession, proposal: Proposal, village: Village,
              *, error: str | None = None, form: str | None = None, values: dict | None = None,
              receipt_query: str | None = None, page: int = 1, status: int = 200) -> Response:
    now = utcnow()
    council = db.get(Council, vs.council_id)
    rule = rule_of(council, vs.special_rule)
    member = actor.is_member(village.id)
    runner, clerk = _runner(actor, village), _clerk(actor, village)
    started = vs.state != "draft"
    is_open = vs.state == "open"
    accepting = is_open and vs.opens_at <= now < vs.closes_at
    closed = vs.state == "closed"

    mine = votes.my_ballot(db, actor, vs.id) if member and started else None
    elector = member and started and _is_elector(db, vs, actor.id)
    all_proxies = votes.proxies(db, vs) if started else []
    held = [p for p in all_proxies if p["proxy_id"] == actor.id]
    if held:
        done = _voted(db, vs, [p["voter_id"] for p in held])
        for p in held:
            p["voted"] = p["voter_id"] in done
    my_proxy = next((p for p in all_proxies if p["voter_id"] == actor.id), None)
    can_cast = bool(accepting and elector and mine is not None
                    and (not mine["voted"] or (not vs.secret and vs.allow_change)))

    shown = read_receipt(request, vs.id)
    box = None
    lookup = None
    if closed:
        everything = votes.ballot_box(db, actor, vs.id)
        pages = max(1, -(-len(everything) // BOX_PAGE))
        page = min(max(page, 1), pages)
        box = {"rows": everything[(page - 1) * BOX_PAGE:page * BOX_PAGE], "total": len(everything), "page": page,
               "pages": pages, "has_names": any("voter" in b for b in everything[:1])}
    if receipt_query is not None:
        code = receipt_query.strip()
        if not closed:
            lookup = {"code": code, "found": None, "message": "表决结束后才能查回执"}
        elif code:
            choice = votes.find_receipt(db, vs.id, code)
            lookup = {"code": code, "found": choice,
                      "message": None if choice is not None else "没有找到这个回执码，请核对后再查"}

    electorate = _electorate(db, vs) if clerk and is_open else []
    paper = _paper_view(db, vs) if started else None
    attachments_by_id = ({a.id: a for a in attachments.list_for(db, "vote", vs.id)}
                         if all_proxies and _overseer(actor, village) else {})
    response = render(request, "votes/vote.html", {
        "village": village,
        "proposal": proposal,
        "vs": vs,
        "council": council,
        "kind_name": R.COUNCIL_KINDS.get(council.kind, council.kind),
        "rule": rule_texts(rule),
        "special_name": R.SPECIAL_RULES[vs.special_rule][0] if vs.special_rule in R.SPECIAL_RULES else None,
        "state_name": STATE_NAMES.get(vs.state, vs.state),
        "started": started,
        "is_open": is_open,
        "accepting": accepting,
        "not_yet": is_open and now < vs.opens_at,
        "closed": closed,
        "turnout": votes.turnout(db, vs) if started else 0,
        "member": member,
        "elector": elector,
        "mine": mine,
        "my_proxy": my_proxy,
        "can_cast": can_cast,
        "held": held,
        "proxies": all_proxies if (member or actor.is_admin or actor.monitors(village)) else [],
        "proxy_scans": attachments_by_id,
        "shown": shown,
        "receipt_text": receipt_text,
        "runner": runner,
        "clerk": clerk,
        "overseer": _overseer(actor, village),
        "electorate": electorate,
        "paper": paper,
        "result": vs.result if closed else None,
        "box": box,
        "box_query": urlencode({"receipt": receipt_query}) + "&" if receipt_query else "",
        "lookup": lookup,
        "error": error,
        "form": form,
        "values": values or {},
        "max_mb": attachments.MAX_BYTES // (1024 * 1024),
    }, status_code=status)
    if shown:
        response.delete_cookie(RECEIPT_COOKIE, path=_receipt_path(village, vs.id))
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/v/{slug}/votes/{sid}")
def vote_page(slug: str, sid: int, request: Request, receipt: str | None = Query(default=None, max_length=30),
              page: int = Query(default=1, ge=1, le=100_000), db: Session = Depends(get_db),
              actor: Actor = Depends(page_actor)):
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    return show_vote(request, db, actor, vs, proposal, village, receipt_query=receipt, page=page)


def _refused(request: Request, db: Session, actor: Actor, slug: str, sid: int, exc: ServiceError, form: str,
             values: dict, anchor: str, *, committee_form: bool = True) -> Response:
    """Bad input re-shows the vote page with the message by its form; a wrong moment is a flash. A
    committee form sent by someone else is an error page (403); a voter refused a ballot gets a flash."""
    if exc.status in (401, 404) or (exc.status == 403 and committee_form):
        raise exc
    db.rollback()
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    if exc.status == 422:
        return show_vote(request, db, actor, vs, proposal, village, error=exc.detail, form=form, values=values,
                         status=422)
    return redirect(request, vote_url(village, sid, anchor), exc.detail, "error")


@router.post("/v/{slug}/votes/{sid}/open")
def vote_open(slug: str, sid: int, request: Request, db: Session = Depends(get_db),
              actor: Actor = Depends(page_actor)):
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    try:
        vs = votes.open_session(db, actor, sid)
    except ServiceError as exc:
        return _refused(request, db, actor, slug, sid, exc, "open", {}, "")
    return redirect(request, vote_url(village, sid),
                    f"表决已开始：名单 {vs.electorate_size} 人已确定，表决事项已锁定")


@router.post("/v/{slug}/votes/{sid}/close")
def vote_close(slug: str, sid: int, request: Request, db: Session = Depends(get_db),
               actor: Actor = Depends(page_actor)):
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    try:
        vs = votes.close_session(db, actor, sid)
    except ServiceError as exc:
        return _refused(request, db, actor, slug, sid, exc, "close", {}, "")
    outcome = "通过" if vs.result and vs.result.get("passed") else "未通过"
    return redirect(request, vote_url(village, sid, "result"), f"表决已结束，结果：{outcome}")


@router.post("/v/{slug}/votes/{sid}/cast")
def vote_cast(slug: str, sid: int, request: Request, choice: str = Form(default="", max_length=3),
              on_behalf_of: str = Form(default="", max_length=12), db: Session = Depends(get_db),
              actor: Actor = Depends(page_actor)):
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    principal = int(on_behalf_of) if on_behalf_of.isdigit() else None
    values = {"choice": choice, "on_behalf_of": on_behalf_of}
    form_name = f"cast-{principal}" if principal else "cast"
    try:
        if not choice.isdigit():
            raise Invalid("请选择一个选项", field="choice")
        done = votes.cast(db, actor, sid, int(choice), on_behalf_of=principal)
    except ServiceError as exc:
        return _refused(request, db, actor, slug, sid, exc, form_name, values, "cast", committee_form=False)
    principal_name = _names(db, [principal]).get(principal) if principal and principal != actor.id else None
    if done.changed:
        message = "已改票"
    elif principal_name:
        message = f"已代{principal_name}投票"
    else:
        message = "投票成功"
    response = redirect(request, vote_url(village, sid, "receipt"), message)
    set_receipt(request, response, village, sid, done.receipt, principal_name)
    return response


@router.post("/v/{slug}/votes/{sid}/proxies")
async def vote_proxy(slug: str, sid: int, request: Request, db: Session = Depends(get_db),
                     settings: Settings = Depends(get_settings_dep), actor: Actor = Depends(page_actor)):
    form = await request.form()
    vs, proposal, village = await run_in_threadpool(_load_vote, db, actor, slug, sid)
    voter, proxy = str(form.get("voter_id") or "")[:12], str(form.get("proxy_id") or "")[:12]
    values = {"voter_id": voter, "proxy_id": proxy}
    try:
        require(actor, village, COMMITTEE)
        errors = {}
        if not voter.isdigit():
            errors["voter_id"] = "请选择委托人"
        if not proxy.isdigit():
            errors["proxy_id"] = "请选择受托人"
        if errors:
            raise _invalid(errors)
        attachment_id = None
        file = form.get("scan")
        if isinstance(file, UploadFile) and file.filename:
            data = await file.read(attachments.MAX_BYTES + 1)
            added = await run_in_threadpool(attachments.add, db, settings, actor, "vote", vs.id,
                                            f"委托书-{file.filename}", data)
            attachment_id = added.id
        await run_in_threadpool(votes.record_proxy, db, actor, sid, int(voter), int(proxy), attachment_id)
    except ServiceError as exc:
        return await run_in_threadpool(_refused, request, db, actor, slug, sid, exc, "proxy", values, "proxies")
    return redirect(request, vote_url(village, sid, "proxies"), "委托已登记")


@router.post("/v/{slug}/votes/{sid}/paper")
async def vote_paper(slug: str, sid: int, request: Request, db: Session = Depends(get_db),
                     settings: Settings = Depends(get_settings_dep), actor: Actor = Depends(page_actor)):
    form = await request.form()
    vs, proposal, village = await run_in_threadpool(_load_vote, db, actor, slug, sid)
    present = [str(p)[:12] for p in form.getlist("present")][:100_000]
    counts = [str(form.get(f"count_{i}") or "").strip()[:9] for i in range(len(vs.options))]
    values = {"present": present, "counts": counts, "invalid": str(form.get("invalid") or "").strip()[:9],
              "minutes": str(form.get("minutes") or "")[:5000]}
    try:
        require(actor, village, COMMITTEE)
        errors = {}
        if any(c and not (c.isascii() and c.isdigit()) for c in counts) or not all(counts):
            errors["counts"] = "请在每个选项后填写票数（整数，没有就填 0）"
        invalid = values["invalid"] or "0"
        if not (invalid.isascii() and invalid.isdigit()):
            errors["invalid"] = "废票数应为整数"
        if errors:
            raise _invalid(errors)
        photo_id = None
        file = form.get("photo")
        if isinstance(file, UploadFile) and file.filename:
            data = await file.read(attachments.MAX_BYTES + 1)
            added = await run_in_threadpool(attachments.add, db, settings, actor, "vote", vs.id,
                                            f"计票记录-{file.filename}", data)
            photo_id = added.id
        await run_in_threadpool(
            votes.record_paper, db, actor, sid, present_user_ids=[int(p) for p in present if p.isdigit()],
            counts=[int(c) for c in counts], invalid=int(invalid), minutes=values["minutes"].strip() or None,
            photo_id=photo_id)
    except ServiceError as exc:
        return await run_in_threadpool(_refused, request, db, actor, slug, sid, exc, "paper", values, "paper")
    return redirect(request, vote_url(village, sid, "paper"),
                    "纸质计票已录入，须由另一名村委会成员核对确认后才计入结果")


@router.post("/v/{slug}/votes/{sid}/paper/confirm")
def vote_paper_confirm(slug: str, sid: int, request: Request, db: Session = Depends(get_db),
                       actor: Actor = Depends(page_actor)):
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    try:
        votes.confirm_paper(db, actor, sid)
    except ServiceError as exc:
        return _refused(request, db, actor, slug, sid, exc, "confirm", {}, "paper")
    return redirect(request, vote_url(village, sid, "paper"), "纸质计票已确认，结束表决时计入结果")


# --- the printable result sheet ---------------------------------------------------------------

@router.get("/v/{slug}/votes/{sid}/print")
def vote_print(slug: str, sid: int, request: Request, db: Session = Depends(get_db),
               actor: Actor = Depends(page_actor)):
    vs, proposal, village = _load_vote(db, actor, slug, sid)
    if vs.state != "closed":
        return redirect(request, vote_url(village, sid), "表决结束后才能打印结果", "error")
    council = db.get(Council, vs.council_id)
    paper = _paper_view(db, vs)
    return render(request, "votes/print.html", {
        "village": village,
        "proposal": proposal,
        "vs": vs,
        "council": council,
        "kind_name": R.COUNCIL_KINDS.get(council.kind, council.kind),
        "rule": rule_texts(rule_of(council, vs.special_rule)),
        "result": vs.result,
        "paper": paper if paper and paper["tally"].confirmed_at else None,
        "printed_at": utcnow(),
    })

