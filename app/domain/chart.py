"""Charts of accounts (会计科目表) as data, and the rules of a village's own sub-accounts.

Two charts, chosen per village and fixed once its first voucher is posted:

- "2023": 《农村集体经济组织会计制度》（财政部 财会〔2023〕14号，2024年1月1日起施行）, the default.
  Its appendix sets 42 accounts in five classes (the Ministry's own answers on the regulation, 2023-09).
  The codes and names below follow the appendix's 会计科目名称和编号 as reproduced, in the appendix's
  order, by village bookkeeping projects that checked them against the Ministry's PDF; 102 银行存款
  and 514 公益支出 were confirmed again from real village books. The contra accounts (133, 152, 162)
  keep credit balances, as their 使用说明 say ("期末贷方余额"). The transition rules, 财会〔2023〕20号
  《农村集体经济组织新旧会计制度有关衔接问题的处理规定》, map each old account to its new one.
- "2004": 《村集体经济组织会计制度》（财会〔2004〕12号，2005年1月1日起施行，2024年废止）, for
  villages whose books still run on it: its 33 accounts, plus the three its note under the chart
  lets a village add (161 无形资产, 171 拨付所属单位资金, 241 专项应付款).

一事一议 money has its own liability account, 231 一事一议资金, in both charts.

A village may add sub-accounts (明细科目) under any account: two more digits per level (11201 under
112 应收款, 1120101 under 11201), up to three levels below the statutory account, which keeps its code,
name, class and side. Only the last level (a leaf) takes voucher lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.books import CREDIT, DEBIT

ASSET, LIABILITY, EQUITY, COST, PNL = "asset", "liability", "equity", "cost", "pnl"
KINDS = {ASSET: "资产类", LIABILITY: "负债类", EQUITY: "所有者权益类", COST: "成本类", PNL: "损益类"}

SUB_DIGITS = 2
MAX_DEPTH = 3  # levels of 明细科目 below a statutory account
NAME_MAX = 40


@dataclass(frozen=True)
class ChartAccount:
    code: str
    name: str
    kind: str
    side: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    citation: str
    in_force: date
    accounts: tuple[ChartAccount, ...]
    cash: tuple[str, ...]  # money in hand: 库存现金 / 现金 and 银行存款
    fund: str  # 一事一议资金

    def account(self, code: str) -> ChartAccount | None:
        return next((a for a in self.accounts if a.code == code), None)

    def income(self) -> tuple[str, ...]:
        """损益 accounts on the credit side: what the village earned or received (收入)."""
        return tuple(a.code for a in self.accounts if a.kind == PNL and a.side == CREDIT)

    def expense(self) -> tuple[str, ...]:
        """损益 accounts on the debit side: what it spent (支出、费用)."""
        return tuple(a.code for a in self.accounts if a.kind == PNL and a.side == DEBIT)


def _accounts(kind: str, rows: str) -> tuple[ChartAccount, ...]:
    """"101 库存现金 借" per line → accounts of one class."""
    out = []
    for line in rows.strip().splitlines():
        code, name, side = line.split()
        out.append(ChartAccount(code, name, kind, DEBIT if side == "借" else CREDIT))
    return tuple(out)


CHART_2023 = Chart(
    key="2023",
    title="农村集体经济组织会计制度（2023）",
    citation="《农村集体经济组织会计制度》（财会〔2023〕14号）附录 会计科目名称和编号",
    in_force=date(2024, 1, 1),
    accounts=_accounts(ASSET, """
        101 库存现金 借
        102 银行存款 借
        111 短期投资 借
        112 应收款 借
        113 内部往来 借
        121 库存物资 借
        131 消耗性生物资产 借
        132 生产性生物资产 借
        133 生产性生物资产累计折旧 贷
        134 公益性生物资产 借
        141 长期投资 借
        151 固定资产 借
        152 累计折旧 贷
        153 在建工程 借
        154 固定资产清理 借
        161 无形资产 借
        162 累计摊销 贷
        171 长期待摊费用 借
        181 待处理财产损溢 借
    """) + _accounts(LIABILITY, """
        201 短期借款 贷
        211 应付款 贷
        212 应付工资 贷
        213 应付劳务费 贷
        214 应交税费 贷
        221 长期借款及应付款 贷
        231 一事一议资金 贷
        241 专项应付款 贷
    """) + _accounts(EQUITY, """
        301 资本 贷
        311 公积公益金 贷
        321 本年收益 贷
        322 收益分配 贷
    """) + _accounts(COST, """
        401 生产（劳务）成本 借
    """) + _accounts(PNL, """
        501 经营收入 贷
        502 投资收益 贷
        503 补助收入 贷
        504 其他收入 贷
        511 经营支出 借
        512 税金及附加 借
        513 管理费用 借
        514 公益支出 借
        515 其他支出 借
        521 所得税费用 借
    """),
    cash=("101", "102"),
    fund="231",
)

CHART_2004 = Chart(
    key="2004",
    title="村集体经济组织会计制度（2004）",
    citation="《村集体经济组织会计制度》（财会〔2004〕12号）三、会计科目",
    in_force=date(2005, 1, 1),
    accounts=_accounts(ASSET, """
        101 现金 借
        102 银行存款 借
        111 短期投资 借
        112 应收款 借
        113 内部往来 借
        121 库存物资 借
        131 牲畜（禽）资产 借
        132 林木资产 借
        141 长期投资 借
        151 固定资产 借
        152 累计折旧 贷
        153 固定资产清理 借
        154 在建工程 借
        161 无形资产 借
        171 拨付所属单位资金 借
    """) + _accounts(LIABILITY, """
        201 短期借款 贷
        202 应付款 贷
        211 应付工资 贷
        212 应付福利费 贷
        221 长期借款及应付款 贷
        231 一事一议资金 贷
        241 专项应付款 贷
    """) + _accounts(EQUITY, """
        301 资本 贷
        311 公积公益金 贷
        321 本年收益 贷
        322 收益分配 贷
    """) + _accounts(COST, """
        401 生产（劳务）成本 借
    """) + _accounts(PNL, """
        501 经营收入 贷
        502 经营支出 借
        511 发包及上交收入 贷
        521 农业税附加返还收入 贷
        522 补助收入 贷
        531 其他收入 贷
        541 管理费用 借
        551 其他支出 借
        561 投资收益 贷
    """),
    cash=("101", "102"),
    fund="231",
)

CHARTS: dict[str, Chart] = {CHART_2023.key: CHART_2023, CHART_2004.key: CHART_2004}
DEFAULT_CHART = CHART_2023.key


# --- a village's sub-accounts ------------------------------------------------------------------------

def check_sub_account(parent_code: str, parent_depth: int, code: str, name: str, taken: set[str]) -> str | None:
    """Why a sub-account may not be added under `parent_code` (None when it may).

    `parent_depth` is 0 for a statutory account, 1 for its first level of 明细科目, and so on."""
    code, name = (code or "").strip(), (name or "").strip()
    if parent_depth >= MAX_DEPTH:
        return f"明细科目最多 {MAX_DEPTH} 级"
    if not name:
        return "请填写科目名称"
    if len(name) > NAME_MAX:
        return f"科目名称最多 {NAME_MAX} 个字"
    if not (code.isascii() and code.isdigit()) or len(code) != len(parent_code) + SUB_DIGITS \
            or not code.startswith(parent_code):
        return f"明细科目编号是上级编号 {parent_code} 后面加两位数字，例如 {parent_code}01"
    if code.endswith("00"):
        return "明细科目编号的最后两位从 01 开始"
    if code in taken:
        return f"科目编号 {code} 已经有了"
    return None


def next_sub_code(parent_code: str, taken: set[str]) -> str | None:
    """The first free code under a parent (for the form's suggestion), or None when all 99 are used."""
    for n in range(1, 100):
        code = f"{parent_code}{n:02d}"
        if code not in taken:
            return code
    return None
