"""The village's contracts (发包、租赁) with their instalments, and its fixed assets (三资台账).

A contract names what is let (a fish pond, land, a shop), to whom, for how long and for how much, the
income account its money goes to, and the vote or matter that approved it. Its instalments fall due
on dates: once due, the book keepers turn one into a receivable (借 应收款 贷 the income account) and,
when the money comes, into a receipt (借 银行存款 贷 应收款); both post by themselves. An instalment past
its date and not yet paid is overdue, on the contract list and the township's dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from app.clock import local_today
from app.domain import books as B
from app.domain.bounds import MAX_FEN
from app.domain.chart import PNL
from app.models import Contract, FixedAsset, Instalment, Proposal, Village, VoteSession, Voucher
from app.services import audit, books, vouchers
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid, NotFound, invalid_fields

KINDS = {"contract": "发包", "lease": "租赁"}
TEXT_MAX = 60
MAX_INSTALMENTS = 120
RECEIVABLE = "112"  # 应收款, in both charts


@dataclass(frozen=True)
class ContractIn:
    kind: str
    subject: str
    counterparty: str
    start_date: date | None
    end_date: date | None
    income_code: str
    schedule: list[tuple[date, int]]  # (due date, amount in fen)
    proposal_id: int | None = None
    vote_session_id: int | None = None
    note: str = ""


def _check(session: Session, village: Village, data: ContractIn) -> None:
    errors: dict[str, str] = {}
    if data.kind not in KINDS:
        errors["kind"] = "请选择发包或租赁"
    for key, label in (("subject", "标的"), ("counterparty", "承包方或承租方")):
        value = (getattr(data, key) or "").strip()
        if not value:
            errors[key] = f"请填写{label}"
        elif len(value) > TEXT_MAX:
            errors[key] = f"{label}最多 {TEXT_MAX} 个字"
    if data.start_date is None or data.end_date is None:
        errors["end_date"] = "请填写起止日期"
    elif data.end_date < data.start_date:
        errors["end_date"] = "结束日期不能早于开始日期"
    if len((data.note or "").strip()) > 500:
        errors["note"] = "备注最多 500 个字"
    by_code, leaves = books.leaf_codes(session, village.id)
    account = by_code.get((data.income_code or "").strip())
    if account is None or account.kind != PNL or account.side != B.CREDIT:
        errors["income_code"] = "收入科目要选收入类科目，例如 经营收入"
    elif account.code not in leaves:
        errors["income_code"] = "收入科目有明细科目，请选到最末一级"
    if not data.schedule:
        errors["schedule"] = "至少要有一期应收"
    elif len(data.schedule) > MAX_INSTALMENTS:
        errors["schedule"] = f"最多 {MAX_INSTALMENTS} 期"
    elif any(amount <= 0 or amount > MAX_FEN for _, amount in data.schedule):
        errors["schedule"] = "每期金额要大于 0"
    elif data.start_date and data.end_date and any(not data.start_date <= d <= data.end_date
                                                   for d, _ in data.schedule):
        errors["schedule"] = "每期的应收日期要在合同期内"
    if data.proposal_id is not None:
        proposal = session.get(Proposal, data.proposal_id)
        if proposal is None or proposal.village_id != village.id:
            errors["proposal_id"] = "关联的事项不存在"
    if data.vote_session_id is not None:
        vs = session.get(VoteSession, data.vote_session_id)
        if vs is None or vs.village_id != village.id:
            errors["vote_session_id"] = "关联的表决不存在"
    if errors:
        raise invalid_fields(errors)


def create_contract(session: Session, actor: Actor | None, village: Village, data: ContractIn) -> Contract:
    actor = require(actor, village, *books.KEEPERS)
    books.require_ledger(session, village)
    _check(session, village, data)
    contract = Contract(village_id=village.id, kind=data.kind, subject=data.subject.strip(),
                        counterparty=data.counterparty.strip(), start_date=data.start_date, end_date=data.end_date,
                        total=sum(a for _, a in data.schedule), income_code=data.income_code.strip(),
                        proposal_id=data.proposal_id, vote_session_id=data.vote_session_id,
                        note=(data.note or "").strip(), created_by=actor.id)
    session.add(contract)
    session.flush()
    for due, amount in sorted(data.schedule):
        session.add(Instalment(village_id=village.id, contract_id=contract.id, due_date=due, amount=amount))
    audit.record(session, village_id=village.id, actor_id=actor.id, action="contract.create", entity="contract",
                 entity_id=contract.id, data={"subject": contract.subject, "counterparty": contract.counterparty,
                                              "total": contract.total, "instalments": len(data.schedule)})
    session.commit()
    return contract


def get_contract(session: Session, actor: Actor | None, contract_id: int) -> tuple[Contract, Village]:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("找不到这份合同")
    village = session.get(Village, contract.village_id)
    require(actor, village, monitor=True)
    return contract, village


def _instalment(session: Session, actor: Actor | None, instalment_id: int) -> tuple[Instalment, Contract, Village]:
    instalment = session.get(Instalment, instalment_id)
    if instalment is None:
        raise NotFound("找不到这一期")
    contract, village = get_contract(session, actor, instalment.contract_id)
    return instalment, contract, village


def book_receivable(session: Session, actor: Actor | None, instalment_id: int) -> Instalment:
    """An instalment now due becomes a receivable: 借 应收款 贷 the contract's income account."""
    instalment, contract, village = _instalment(session, actor, instalment_id)
    actor = require(actor, village, *books.KEEPERS)
    if instalment.receivable_voucher_id is not None:
        raise Conflict("这一期已经记了应收")
    today = local_today()
    if instalment.due_date > today:
        raise Conflict("这一期还没到期")
    books.require_ledger(session, village)
    voucher = vouchers.record_posted(session, actor, village, vouchers.VoucherIn(
        today, f"确认{contract.subject}{KINDS[contract.kind]}款应收（{contract.counterparty}）"[:B.SUMMARY_MAX],
        [B.Line(_receivable(session, village.id), debit=instalment.amount),
         B.Line(books.posting_leaf(session, village.id, contract.income_code), credit=instalment.amount)],
        contract.proposal_id, contract.id))
    instalment.receivable_voucher_id = voucher.id
    audit.record(session, village_id=village.id, actor_id=actor.id, action="contract.receivable", entity="contract",
                 entity_id=contract.id, data={"instalment_id": instalment.id, "voucher_id": voucher.id})
    session.commit()
    return instalment


def record_payment(session: Session, actor: Actor | None, instalment_id: int, received_on: date | None = None
                   ) -> Instalment:
    """The money of a receivable came into the bank: 借 银行存款 贷 应收款."""
    instalment, contract, village = _instalment(session, actor, instalment_id)
    actor = require(actor, village, *books.KEEPERS)
    if instalment.receivable_voucher_id is None:
        raise Conflict("请先记这一期的应收")
    if instalment.payment_voucher_id is not None:
        raise Conflict("这一期已经收款了")
    ledger = books.require_ledger(session, village)
    chart = books.chart_of(ledger)
    voucher = vouchers.record_posted(session, actor, village, vouchers.VoucherIn(
        received_on or local_today(), f"收到{contract.subject}{KINDS[contract.kind]}款（{contract.counterparty}）"[:60],
        [B.Line(books.posting_leaf(session, village.id, chart.cash[1]), debit=instalment.amount),
         B.Line(_receivable(session, village.id), credit=instalment.amount)], contract.proposal_id, contract.id))
    instalment.payment_voucher_id = voucher.id
    audit.record(session, village_id=village.id, actor_id=actor.id, action="contract.payment", entity="contract",
                 entity_id=contract.id, data={"instalment_id": instalment.id, "voucher_id": voucher.id})
    session.commit()
    return instalment


def _receivable(session: Session, village_id: int) -> str:
    return books.posting_leaf(session, village_id, RECEIVABLE)


@dataclass(frozen=True)
class InstalmentRow:
    instalment: Instalment
    overdue: bool  # past its date and not paid
    due: bool  # its date has come (a receivable may be booked)


@dataclass(frozen=True)
class ContractRow:
    contract: Contract
    paid: int
    due_now: int  # due by today and not paid
    overdue: int  # instalments past their date and not paid
    next_due: date | None
    instalments: list[InstalmentRow]


def overdue(instalment: Instalment, today: date) -> bool:
    """An instalment past its date and not yet paid."""
    return instalment.payment_voucher_id is None and instalment.due_date < today


def _row(contract: Contract, rows: list[Instalment], today: date) -> ContractRow:
    unpaid = [i for i in rows if i.payment_voucher_id is None]
    return ContractRow(contract, sum(i.amount for i in rows if i.payment_voucher_id is not None),
                       sum(i.amount for i in unpaid if i.due_date <= today),
                       sum(1 for i in rows if overdue(i, today)),
                       min((i.due_date for i in unpaid if i.due_date > today), default=None),
                       [InstalmentRow(i, overdue(i, today), i.due_date <= today) for i in rows])


def contracts(session: Session, actor: Actor | None, village: Village) -> list[ContractRow]:
    """The village's contracts, newest first, with what is paid, due and overdue (two queries)."""
    require(actor, village, monitor=True)
    today = local_today()
    rows = list(session.execute(select(Contract).where(Contract.village_id == village.id)
                                .order_by(Contract.start_date.desc(), Contract.id.desc())).scalars())
    by_contract: dict[int, list[Instalment]] = {c.id: [] for c in rows}
    for inst in session.execute(select(Instalment).where(Instalment.village_id == village.id)
                                .order_by(Instalment.due_date)).scalars():
        by_contract.setdefault(inst.contract_id, []).append(inst)
    return [_row(c, by_contract[c.id], today) for c in rows]


def contract_view(session: Session, actor: Actor | None, contract_id: int) -> tuple[ContractRow, Village]:
    """One contract with its instalments and the same figures as the list."""
    contract, village = get_contract(session, actor, contract_id)
    return _row(contract, instalments(session, contract), local_today()), village


def instalments(session: Session, contract: Contract) -> list[Instalment]:
    return list(session.execute(select(Instalment).where(Instalment.contract_id == contract.id)
                                .order_by(Instalment.due_date)).scalars())


def overdue_by_village(session: Session, village_ids: list[int]) -> dict[int, int]:
    """Unpaid instalments past their date, per village (for the township's dashboard; one query)."""
    if not village_ids:
        return {}
    return dict(session.execute(select(Instalment.village_id, func.count()).where(
        Instalment.village_id.in_(village_ids), Instalment.payment_voucher_id.is_(None),
        Instalment.due_date < local_today()).group_by(Instalment.village_id)).all())


# --- fixed assets --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssetIn:
    name: str
    value: int
    acquired_on: date | None
    location: str = ""
    category: str = ""
    proposal_id: int | None = None
    note: str = ""


def add_asset(session: Session, actor: Actor | None, village: Village, data: AssetIn) -> FixedAsset:
    actor = require(actor, village, *books.KEEPERS)
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name or len(name) > TEXT_MAX:
        errors["name"] = f"请填写资产名称（最多 {TEXT_MAX} 个字）"
    if not 0 < data.value <= MAX_FEN:
        errors["value"] = "原值要大于 0"
    if data.acquired_on is None or data.acquired_on > local_today():
        errors["acquired_on"] = "请填写购建日期（不能晚于今天）"
    for key, limit in (("location", TEXT_MAX), ("category", 20), ("note", 200)):
        if len((getattr(data, key) or "").strip()) > limit:
            errors[key] = f"最多 {limit} 个字"
    if data.proposal_id is not None:
        proposal = session.get(Proposal, data.proposal_id)
        if proposal is None or proposal.village_id != village.id:
            errors["proposal_id"] = "关联的事项不存在"
    if errors:
        raise invalid_fields(errors)
    asset = FixedAsset(village_id=village.id, name=name, value=data.value, acquired_on=data.acquired_on,
                       location=(data.location or "").strip(), category=(data.category or "").strip(),
                       proposal_id=data.proposal_id, note=(data.note or "").strip(), created_by=actor.id)
    session.add(asset)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="asset.create", entity="asset",
                 entity_id=asset.id, data={"name": name, "value": data.value})
    session.commit()
    return asset


def dispose_asset(session: Session, actor: Actor | None, asset_id: int, on: date | None, note: str) -> FixedAsset:
    asset = session.get(FixedAsset, asset_id)
    if asset is None:
        raise NotFound("找不到这项资产")
    village = session.get(Village, asset.village_id)
    actor = require(actor, village, *books.KEEPERS)
    if asset.disposed_on is not None:
        raise Conflict("这项资产已经处置了")
    note = (note or "").strip()
    if not note:
        raise Invalid("请写明处置情况（报废、出售、毁损…）", field="note")
    on = on or local_today()
    if not asset.acquired_on <= on <= local_today():
        raise Invalid("处置日期要在购建日期之后，且不能晚于今天", field="disposed_on")
    asset.disposed_on, asset.note = on, note[:200]
    audit.record(session, village_id=village.id, actor_id=actor.id, action="asset.dispose", entity="asset",
                 entity_id=asset.id, data={"note": asset.note})
    session.commit()
    return asset


def assets(session: Session, actor: Actor | None, village: Village) -> list[FixedAsset]:
    require(actor, village, monitor=True)
    return list(session.execute(select(FixedAsset).where(FixedAsset.village_id == village.id)
                                .order_by(FixedAsset.disposed_on.is_not(None), FixedAsset.acquired_on.desc()))
                .scalars())


def voucher_of(session: Session, voucher_id: int | None) -> Voucher | None:
    return session.get(Voucher, voucher_id) if voucher_id else None
