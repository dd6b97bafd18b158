"""记账凭证: the accountant drafts, a committee member other than the preparer reviews, the committee
posts. Posting numbers the voucher within its month (记字第 N 号, no gaps); a posted voucher never
changes (the database refuses it) and is corrected by a reversing voucher that cites it.

Receipts (原始凭证: photos and PDFs) are attachments owned by the voucher, added while it is not yet
posted. Who sees a voucher: the book keepers, the supervisory and party committees and the township's
monitors always; the village's other members once the month's finance notice is published, and then
the receipts too; everyone else the summaries and amounts of a published month (as the notice shows
them), and the receipts only where the village made them public.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, update
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.config import Settings
from app.domain import books as B
from app.domain.roles import COMMITTEE
from app.models import (
    Account,
    AccountPeriod,
    Attachment,
    Contract,
    Ledger,
    Notice,
    Proposal,
    User,
    Village,
    Voucher,
    VoucherLine,
)
from app.services import access, attachments, audit, books, notifications, places
from app.services.access import Actor, require
from app.services.attachments import OwnerRules
from app.services.errors import Conflict, Invalid, NotFound, invalid_fields
from app.services.pagination import Page, paginate

PUBLISHED_NOTICE = ("published", "closed")


@dataclass(frozen=True)
class VoucherIn:
    voucher_date: date | None
    summary: str
    lines: list[B.Line]
    proposal_id: int | None = None
    contract_id: int | None = None  # the contract (发包、租赁) it belongs to


# --- who sees what -------------------------------------------------------------------------------

def published_periods(session: Session, village_id: int, periods: Iterable[str]) -> set[str]:
    """Those of the months that are closed with their finance notice published (then their vouchers
    are public): one query for any number of months."""
    wanted = set(periods)
    if not wanted:
        return set()
    return set(session.execute(
        select(AccountPeriod.period).join(Notice, Notice.id == AccountPeriod.notice_id)
        .where(AccountPeriod.village_id == village_id, AccountPeriod.period.in_(wanted),
               AccountPeriod.state == B.CLOSED, Notice.state.in_(PUBLISHED_NOTICE))).scalars())


def _public(session: Session, village_id: int, vouchers: list) -> set[int]:
    """Which of these vouchers (rows or objects with id, state, period) everyone may see: posted, in a
    month whose finance notice is published."""
    posted = [v for v in vouchers if v.state == B.POSTED]
    public = published_periods(session, village_id, {v.period for v in posted})
    return {v.id for v in posted if v.period in public}


def _visible(session: Session, actor: Actor | None, village: Village, voucher: Voucher) -> bool:
    return books.is_reader(actor, village) or voucher.id in _public(session, village.id, [voucher])


def visible_ids(session: Session, actor: Actor | None, village: Village, ids: Iterable[int]) -> set[int]:
    """Which of these vouchers of the village this person may open (`get`'s rule, for a page of links):
    two queries at most."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = session.execute(select(Voucher.id, Voucher.state, Voucher.period)
                           .where(Voucher.village_id == village.id, Voucher.id.in_(wanted))).all()
    return {row.id for row in rows} if books.is_reader(actor, village) else _public(session, village.id, rows)


def get(session: Session, actor: Actor | None, voucher_id: int) -> tuple[Voucher, Village]:
    voucher = session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound("找不到这张凭证")
    village = places.get_village(session, voucher.village_id)
    if not _visible(session, actor, village, voucher):
        raise NotFound("找不到这张凭证")
    return voucher, village


def receipts_visible(session: Session, actor: Actor | None, village: Village) -> bool:
    """Receipt images: the village's members (and monitors) by default; everyone if the village says so."""
    if access.insider(actor, village):
        return True
    ledger = books.ledger_of(session, village)
    return ledger is not None and ledger.receipts_public


# --- writing -------------------------------------------------------------------------------------

def _check(session: Session, village: Village, ledger: Ledger, data: VoucherIn) -> dict[str, Account]:
    by_code, leaves = books.leaf_codes(session, village.id)
    problems = B.check_voucher(data.voucher_date, data.summary, data.lines, leaves, set(by_code))
    errors = {p.field: p.message for p in problems}
    day = data.voucher_date
    if day is not None and "date" not in errors:
        period = B.period_of(day)
        if period < ledger.first_period:
            errors["date"] = f"账簿从 {B.period_label(ledger.first_period)} 开始，凭证日期不能更早"
        elif day > local_today():
            errors["date"] = "凭证日期不能晚于今天"
        elif _closed(session, village.id, period):
            errors["date"] = f"{B.period_label(period)}已经结账，不能再做这个月的凭证"
    if data.proposal_id is not None:
        proposal = session.get(Proposal, data.proposal_id)
        if proposal is None or proposal.village_id != village.id:
            errors["proposal_id"] = "关联的事项不存在"
    if data.contract_id is not None:
        contract = session.get(Contract, data.contract_id)
        if contract is None or contract.village_id != village.id:
            errors["contract_id"] = "关联的合同不存在"
    if errors:
        raise invalid_fields(errors)
    return by_code


def _closed(session: Session, village_id: int, period: str) -> bool:
    return session.execute(select(func.count()).select_from(AccountPeriod).where(
        AccountPeriod.village_id == village_id, AccountPeriod.period == period,
        AccountPeriod.state == B.CLOSED)).scalar_one() > 0


def _write_lines(session: Session, voucher: Voucher, lines: list[B.Line], by_code: dict[str, Account]) -> None:
    for n, line in enumerate(lines, start=1):
        session.add(VoucherLine(voucher_id=voucher.id, village_id=voucher.village_id, period=voucher.period,
                                lineno=n, account_id=by_code[line.account].id, summary=line.summary.strip(),
                                debit=line.debit, credit=line.credit))


def _lines_data(lines: list[B.Line]) -> list[dict]:
    return [{"account": ln.account, "debit": ln.debit, "credit": ln.credit} for ln in lines]


def create(session: Session, actor: Actor | None, village: Village, data: VoucherIn, *,
           reverses: Voucher | None = None) -> Voucher:
    """A draft voucher (the accountant's or the committee's); checked whole, refused whole."""
    actor = require(actor, village, *books.KEEPERS)
    ledger = books.require_ledger(session, village)
    by_code = _check(session, village, ledger, data)
    now = utcnow()
    voucher = Voucher(village_id=village.id, period=B.period_of(data.voucher_date), voucher_date=data.voucher_date,
                      summary=data.summary.strip(), total=B.totals(data.lines)[0], proposal_id=data.proposal_id,
                      contract_id=data.contract_id,
                      reverses_id=reverses.id if reverses else None, prepared_by=actor.id, created_at=now,
                      updated_at=now)
    session.add(voucher)
    session.flush()
    _write_lines(session, voucher, data.lines, by_code)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="voucher.create", entity="voucher",
                 entity_id=voucher.id, data={"date": voucher.voucher_date.isoformat(), "summary": voucher.summary,
                                             "total": voucher.total, "lines": _lines_data(data.lines),
                                             "reverses": voucher.reverses_id})
    session.commit()
    return voucher


def _editable(session: Session, actor: Actor | None, voucher_id: int) -> tuple[Voucher, Village, Actor]:
    voucher, village = get(session, actor, voucher_id)
    actor = require(actor, village, *books.KEEPERS)
    if voucher.state == B.POSTED:
        raise Conflict("已记账的凭证不能修改；如有错误请做红字冲销凭证")
    return voucher, village, actor


def update_draft(session: Session, actor: Actor | None, voucher_id: int, data: VoucherIn) -> Voucher:
    """Change a voucher not yet posted; a reviewed one goes back to waiting for review."""
    voucher, village, actor = _editable(session, actor, voucher_id)
    if voucher.reverses_id is not None:
        raise Conflict("红字冲销凭证照原凭证生成，不能修改；不要了可以删除")
    ledger = books.require_ledger(session, village)
    by_code = _check(session, village, ledger, data)
    for line in session.execute(select(VoucherLine).where(VoucherLine.voucher_id == voucher.id)).scalars():
        session.delete(line)
    session.flush()
    voucher.voucher_date, voucher.period = data.voucher_date, B.period_of(data.voucher_date)
    voucher.summary, voucher.total = data.summary.strip(), B.totals(data.lines)[0]
    voucher.proposal_id, voucher.contract_id = data.proposal_id, data.contract_id
    voucher.state, voucher.reviewed_by, voucher.reviewed_at = B.DRAFT, None, None
    voucher.updated_at = utcnow()
    _write_lines(session, voucher, data.lines, by_code)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="voucher.update", entity="voucher",
                 entity_id=voucher.id, data={"date": voucher.voucher_date.isoformat(), "summary": voucher.summary,
                                             "total": voucher.total, "lines": _lines_data(data.lines)})
    session.commit()
    return voucher


def delete_draft(session: Session, actor: Actor | None, voucher_id: int) -> None:
    """A voucher never posted may be thrown away (with its receipts); it never had a number."""
    voucher, village, actor = _editable(session, actor, voucher_id)
    for line in session.execute(select(VoucherLine).where(VoucherLine.voucher_id == voucher.id)).scalars():
        session.delete(line)
    for attachment in session.execute(select(Attachment).where(Attachment.owner_type == "voucher",
                                                               Attachment.owner_id == voucher.id)).scalars():
        session.delete(attachment)
    session.flush()
    session.delete(voucher)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="voucher.delete", entity="voucher",
                 entity_id=voucher_id, data={"summary": voucher.summary, "total": voucher.total})
    session.commit()


def _move(session: Session, voucher: Voucher, old: str, **values) -> None:
    moved = session.execute(update(Voucher).where(Voucher.id == voucher.id, Voucher.state == old)
                            .values(updated_at=utcnow(), **values))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("凭证的状态刚刚变了，请刷新后再看")


def review(session: Session, actor: Actor | None, voucher_id: int) -> Voucher:
    """审核: a committee member other than the one who prepared it."""
    voucher, village = get(session, actor, voucher_id)
    actor = require(actor, village, COMMITTEE)
    if voucher.state != B.DRAFT:
        raise Conflict("只有待审核的凭证可以审核")
    if voucher.prepared_by == actor.id:
        raise Conflict("制单人不能审核自己做的凭证，请另一位村委会成员审核")
    _move(session, voucher, B.DRAFT, state=B.REVIEWED, reviewed_by=actor.id, reviewed_at=utcnow(), review_note=None)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="voucher.review", entity="voucher",
                 entity_id=voucher.id, data={"total": voucher.total})
    session.commit()
    session.refresh(voucher)
    return voucher


def return_voucher(session: Session, actor: Actor | None, voucher_id: int, note: str) -> Voucher:
    """退回: a committee member sends a draft or reviewed voucher back to its preparer with a note."""
    voucher, village = get(session, actor, voucher_id)
    actor = require(actor, village, COMMITTEE)
    note = (note or "").strip()
    if not note:
        raise Invalid("请写明退回的原因", field="note")
    if len(note) > 200:
        raise Invalid("退回意见最多 200 个字", field="note")
    if voucher.state == B.POSTED:
        raise Conflict("已记账的凭证不能退回；如有错误请做红字冲销凭证")
    _move(session, voucher, voucher.state, state=B.DRAFT, reviewed_by=None, reviewed_at=None, review_note=note)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="voucher.return", entity="voucher",
                 entity_id=voucher.id, data={"note": note})
    notifications.notify(session, voucher.prepared_by, village.id, f"凭证“{voucher.summary}”被退回：{note}",
                         f"/v/{village.slug}/accounts/vouchers/{voucher.id}")
    session.commit()
    session.refresh(voucher)
    return voucher


def post(session: Session, actor: Actor | None, voucher_id: int) -> Voucher:
    """记账: the committee posts a reviewed voucher; it takes the next number of its month."""
    voucher, village = get(session, actor, voucher_id)
    actor = require(actor, village, COMMITTEE)
    if voucher.state != B.REVIEWED:
        raise Conflict("凭证要先审核才能记账" if voucher.state == B.DRAFT else "这张凭证已经记账了")
    _post(session, actor, village, voucher, B.REVIEWED)
    session.commit()
    session.refresh(voucher)
    return voucher


def _post(session: Session, actor: Actor, village: Village, voucher: Voucher, old: str) -> int:
    """Number the voucher in its month under the books' lock and post it (no commit)."""
    books.lock(session, village.id)
    if _closed(session, village.id, voucher.period):
        session.rollback()
        raise Conflict(f"{B.period_label(voucher.period)}已经结账，不能再记账")
    number = (session.execute(select(func.max(Voucher.number)).where(
        Voucher.village_id == village.id, Voucher.period == voucher.period)).scalar_one() or 0) + 1
    _move(session, voucher, old, state=B.POSTED, number=number, posted_by=actor.id, posted_at=utcnow())
    audit.record(session, village_id=village.id, actor_id=actor.id, action="voucher.post", entity="voucher",
                 entity_id=voucher.id, data={"period": voucher.period, "number": number, "total": voucher.total})
    return number


def record_posted(session: Session, actor: Actor, village: Village, data: VoucherIn) -> Voucher:
    """A voucher another record makes and posts at once (a 一事一议 receipt, a contract's instalment):
    checked like any, numbered in its month, no commit. The record itself is its original voucher."""
    ledger = books.require_ledger(session, village)
    by_code = _check(session, village, ledger, data)
    now = utcnow()
    voucher = Voucher(village_id=village.id, period=B.period_of(data.voucher_date), voucher_date=data.voucher_date,
                      summary=data.summary.strip(), total=B.totals(data.lines)[0], proposal_id=data.proposal_id,
                      contract_id=data.contract_id,
                      prepared_by=actor.id, created_at=now, updated_at=now)
    session.add(voucher)
    session.flush()
    _write_lines(session, voucher, data.lines, by_code)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="voucher.create", entity="voucher",
                 entity_id=voucher.id, data={"date": voucher.voucher_date.isoformat(), "summary": voucher.summary,
                                             "total": voucher.total, "lines": _lines_data(data.lines),
                                             "automatic": True})
    _post(session, actor, village, voucher, B.DRAFT)
    session.refresh(voucher)
    return voucher


def reverse(session: Session, actor: Actor | None, voucher_id: int, voucher_date: date | None = None) -> Voucher:
    """红字冲销: a draft voucher in an open month that undoes a posted one line for line and cites it."""
    original, village = get(session, actor, voucher_id)
    require(actor, village, *books.KEEPERS)
    if original.state != B.POSTED:
        raise Conflict("只有已记账的凭证需要冲销；没记账的直接修改或删除")
    if original.reverses_id is not None:
        raise Conflict("这张凭证本身就是冲销凭证，不能再冲销")
    existing = session.execute(select(Voucher.id).where(Voucher.reverses_id == original.id)).scalar_one_or_none()
    if existing is not None:
        raise Conflict("这张凭证已经做过冲销凭证了")
    lines = lines_of(session, original)
    summary = f"冲销{original.period[:4]}年{int(original.period[5:])}月记字第{original.number}号凭证"
    data = VoucherIn(voucher_date or local_today(), summary,
                     B.reversing([B.Line(ln.code, ln.debit, ln.credit, ln.summary) for ln in lines]),
                     original.proposal_id, original.contract_id)
    return create(session, actor, village, data, reverses=original)


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineView:
    lineno: int
    code: str
    account: str  # the full name: "应收款—张三"
    summary: str
    debit: int
    credit: int


def lines_of(session: Session, voucher: Voucher) -> list[LineView]:
    rows = session.execute(
        select(VoucherLine, Account.code, Account.name, Account.top_code)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(VoucherLine.voucher_id == voucher.id).order_by(VoucherLine.lineno)
    ).all()
    names = _full_names(session, voucher.village_id, {top for *_, top in rows})
    return [LineView(ln.lineno, code, names.get(code, name), ln.summary, ln.debit, ln.credit)
            for ln, code, name, _ in rows]


def _full_names(session: Session, village_id: int, tops: set[str]) -> dict[str, str]:
    """"应收款—张三" for every account under the given statutory accounts (one query)."""
    if not tops:
        return {}
    rows = session.execute(select(Account.code, Account.name).where(
        Account.village_id == village_id, Account.top_code.in_(tops))).all()
    by_code = dict(rows)
    out = {}
    for code, _ in rows:
        parts, c = [], code
        while c:
            if c in by_code:
                parts.append(by_code[c])
            c = c[:-2] if len(c) > 3 else ""
        out[code] = "—".join(reversed(parts))
    return out


@dataclass
class VoucherView:
    voucher: Voucher
    lines: list[LineView]
    preparer: str
    reviewer: str | None
    poster: str | None
    receipts: list[Attachment] | None  # None: this viewer may not see them
    receipt_count: int
    reverses: Voucher | None
    reversed_by: Voucher | None
    proposal_title: str | None
    contract_title: str | None = None
    caps: dict[str, bool] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return B.voucher_label(self.voucher.number)


def capabilities(session: Session, actor: Actor | None, village: Village, voucher: Voucher,
                 reversed_by: Voucher | None) -> dict[str, bool]:
    keeper = actor is not None and (actor.is_admin or actor.has(village.id, *books.KEEPERS))
    committee = actor is not None and (actor.is_admin or actor.has(village.id, COMMITTEE))
    open_ = voucher.state != B.POSTED
    return {
        "edit": keeper and open_ and voucher.reverses_id is None,
        "delete": keeper and open_,
        "attach": keeper and open_,
        "review": committee and voucher.state == B.DRAFT and actor is not None and actor.id != voucher.prepared_by,
        "return": committee and open_,
        "post": committee and voucher.state == B.REVIEWED,
        "reverse": keeper and voucher.state == B.POSTED and voucher.reverses_id is None and reversed_by is None,
    }


def view(session: Session, actor: Actor | None, voucher_id: int) -> tuple[VoucherView, Village]:
    voucher, village = get(session, actor, voucher_id)
    ids = {voucher.prepared_by, voucher.reviewed_by, voucher.posted_by} - {None}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    receipts = list(session.execute(select(Attachment).where(
        Attachment.owner_type == "voucher", Attachment.owner_id == voucher.id).order_by(Attachment.id)).scalars())
    reverses = session.get(Voucher, voucher.reverses_id) if voucher.reverses_id else None
    reversed_by = session.execute(select(Voucher).where(Voucher.reverses_id == voucher.id)).scalar_one_or_none()
    proposal = session.get(Proposal, voucher.proposal_id) if voucher.proposal_id else None
    shown = receipts if receipts_visible(session, actor, village) else None
    contract = session.get(Contract, voucher.contract_id) if voucher.contract_id else None
    result = VoucherView(voucher, lines_of(session, voucher), names.get(voucher.prepared_by, ""),
                         names.get(voucher.reviewed_by), names.get(voucher.posted_by), shown, len(receipts),
                         reverses, reversed_by, proposal.title if proposal else None,
                         f"{contract.subject}（{contract.counterparty}）" if contract else None)
    result.caps = capabilities(session, actor, village, voucher, reversed_by)
    return result, village


@dataclass(frozen=True)
class VoucherRow:
    voucher: Voucher
    receipts: int


def list_vouchers(session: Session, actor: Actor | None, village: Village, *, period: str | None = None,
                  state: str | None = None, page: int = 1, per_page: int = 20) -> Page[VoucherRow]:
    """Vouchers, newest month first and by number within it; drafts first for the book keepers."""
    books.require_ledger(session, village)
    reader = books.is_reader(actor, village)
    if state is not None and state not in B.VOUCHER_STATES:
        raise Invalid("状态只能是 draft、reviewed 或 posted", field="state")
    receipts = (select(func.count(Attachment.id)).where(Attachment.owner_type == "voucher",
                                                       Attachment.owner_id == Voucher.id)
                .correlate(Voucher).scalar_subquery())
    stmt = select(Voucher, receipts).where(Voucher.village_id == village.id)
    if period is not None:
        stmt = stmt.where(Voucher.period == period)
    if state is not None:
        stmt = stmt.where(Voucher.state == state)
    if not reader:
        published = (select(AccountPeriod.period).join(Notice, Notice.id == AccountPeriod.notice_id)
                     .where(AccountPeriod.village_id == village.id, AccountPeriod.state == B.CLOSED,
                            Notice.state.in_(PUBLISHED_NOTICE)))
        stmt = stmt.where(Voucher.state == B.POSTED, Voucher.period.in_(published))
    stmt = stmt.order_by(Voucher.period.desc(), Voucher.number.is_(None).desc(), Voucher.number.desc(),
                         Voucher.id.desc())
    raw = paginate(session, stmt, page, per_page, scalars=False)
    return Page([VoucherRow(v, n) for v, n in raw.items], raw.total, raw.page, raw.per_page)


def waiting(session: Session, village_id: int) -> dict[str, int]:
    """How many vouchers wait, by state (drafts to review, reviewed to post)."""
    rows = session.execute(select(Voucher.state, func.count()).where(
        Voucher.village_id == village_id, Voucher.state != B.POSTED).group_by(Voucher.state)).all()
    return {state: n for state, n in rows}


# --- receipts: a voucher owns its 原始凭证 -----------------------------------------------------

def _see(session: Session, actor: Actor | None, voucher_id: int) -> int:
    voucher, village = get(session, actor, voucher_id)
    if not receipts_visible(session, actor, village):
        raise NotFound("找不到这张凭证")
    return village.id


def _attach(session: Session, actor: Actor | None, voucher_id: int) -> int:
    voucher, village = get(session, actor, voucher_id)
    require(actor, village, *books.KEEPERS)
    if voucher.state == B.POSTED:
        raise Conflict("已记账的凭证不能再加原始凭证")
    return village.id


ATTACHMENT_OWNER = OwnerRules("凭证", _see, _attach)


def parse_lines(rows: list[tuple[str, str, str, str]]) -> tuple[list[B.Line], dict[str, str]]:
    """Form rows (account, debit text, credit text, summary) → lines, skipping rows left empty, and
    the amount errors by field ("lines.N.amount")."""
    lines: list[B.Line] = []
    errors: dict[str, str] = {}
    for account, debit_text, credit_text, summary in rows:
        account = (account or "").strip().split(" ")[0]
        if not account and not (debit_text or "").strip() and not (credit_text or "").strip():
            continue
        n = len(lines) + 1
        try:
            debit = B.parse_amount(debit_text) or 0
            credit = B.parse_amount(credit_text) or 0
        except ValueError as exc:
            errors[f"lines.{n}.amount"] = f"第 {n} 行：{exc}"
            debit = credit = 0
        lines.append(B.Line(account, debit, credit, (summary or "").strip()))
    return lines, errors


def refuse(errors: dict[str, str]) -> None:
    if errors:
        raise invalid_fields(errors)


def receipt_file(session: Session, settings: Settings, actor: Actor | None, slug: str, voucher_id: int,
                 attachment_id: int):
    """One receipt of a voucher in the village of the address, for whoever may see its receipts (the
    village's members; everyone where the village made them public); 404 otherwise."""
    attachment, path = attachments.get_for_download_in(session, settings, actor, slug, attachment_id)
    if attachment.owner_type != "voucher" or attachment.owner_id != voucher_id:
        raise NotFound("找不到这个附件")
    return attachment, path
