"""The annual statements (年度会计报表) as data: 资产负债表 and 收益及收益分配表, per chart.

Each statement is a list of lines; a line adds (or subtracts) the balances of statutory accounts, or
sums earlier lines. The lines and their order follow the statements' 编制说明: for the 2004 chart those
of 《村集体经济组织会计制度》 四、会计报表 (货币资金 = 现金 + 银行存款, 应收款项 = 应收款 + 内部往来借方,
存货 = 库存物资 + 生产（劳务）成本, …); for the 2023 chart the same construction over its accounts (its
three new biological-asset accounts, 累计摊销, 长期待摊费用, 应付劳务费, 应交税费, 公益支出, 所得税费用).
A month not yet carried to 本年收益 is still balanced: the 损益 accounts' net is shown inside 未分配收益.

Balances come in on each account's normal side (debit for assets, credit for liabilities, …);
`figures()` turns them into the statement's amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.chart import ASSET, EQUITY, LIABILITY, PNL, Chart


@dataclass(frozen=True)
class Item:
    label: str
    plus: tuple[str, ...] = ()  # account codes added
    minus: tuple[str, ...] = ()  # account codes subtracted (contra accounts)
    total_of: tuple[str, ...] = ()  # labels of earlier items summed (a subtotal)
    level: int = 1  # 0 heading/total, 1 item, 2 detail
    special: str = ""  # "debit:113" etc. — see figures()


def _balance_sheet_2023() -> tuple[Item, ...]:
    return (
        Item("货币资金", ("101", "102")),
        Item("短期投资", ("111",)),
        Item("应收款项", ("112",), special="debit:113"),
        Item("存货", ("121", "401")),
        Item("消耗性生物资产", ("131",)),
        Item("流动资产合计", total_of=("货币资金", "短期投资", "应收款项", "存货", "消耗性生物资产"), level=0),
        Item("长期投资", ("141",)),
        Item("生产性生物资产净值", ("132",), ("133",)),
        Item("公益性生物资产", ("134",)),
        Item("固定资产原价", ("151",), level=2),
        Item("减：累计折旧", ("152",), level=2),
        Item("固定资产净值", ("151",), ("152",)),
        Item("在建工程", ("153",)),
        Item("固定资产清理", ("154",)),
        Item("无形资产净值", ("161",), ("162",)),
        Item("长期待摊费用", ("171",)),
        Item("待处理财产损溢", ("181",)),
        Item("非流动资产合计", total_of=("长期投资", "生产性生物资产净值", "公益性生物资产", "固定资产净值", "在建工程",
                                       "固定资产清理", "无形资产净值", "长期待摊费用", "待处理财产损溢"), level=0),
        Item("资产总计", total_of=("流动资产合计", "非流动资产合计"), level=0),
        Item("短期借款", ("201",)),
        Item("应付款项", ("211",), special="credit:113"),
        Item("应付工资", ("212",)),
        Item("应付劳务费", ("213",)),
        Item("应交税费", ("214",)),
        Item("流动负债合计", total_of=("短期借款", "应付款项", "应付工资", "应付劳务费", "应交税费"), level=0),
        Item("长期借款及应付款", ("221",)),
        Item("一事一议资金", ("231",)),
        Item("专项应付款", ("241",)),
        Item("非流动负债合计", total_of=("长期借款及应付款", "一事一议资金", "专项应付款"), level=0),
        Item("负债合计", total_of=("流动负债合计", "非流动负债合计"), level=0),
        Item("资本", ("301",)),
        Item("公积公益金", ("311",)),
        Item("未分配收益", ("321", "322"), special="pnl"),
        Item("所有者权益合计", total_of=("资本", "公积公益金", "未分配收益"), level=0),
        Item("负债和所有者权益总计", total_of=("负债合计", "所有者权益合计"), level=0),
    )


def _balance_sheet_2004() -> tuple[Item, ...]:
    return (
        Item("货币资金", ("101", "102")),
        Item("短期投资", ("111",)),
        Item("应收款项", ("112",), special="debit:113"),
        Item("存货", ("121", "401")),
        Item("流动资产合计", total_of=("货币资金", "短期投资", "应收款项", "存货"), level=0),
        Item("牲畜（禽）资产", ("131",)),
        Item("林木资产", ("132",)),
        Item("农业资产合计", total_of=("牲畜（禽）资产", "林木资产"), level=0),
        Item("长期投资", ("141", "171")),
        Item("固定资产原价", ("151",), level=2),
        Item("减：累计折旧", ("152",), level=2),
        Item("固定资产净值", ("151",), ("152",)),
        Item("固定资产清理", ("153",)),
        Item("在建工程", ("154",)),
        Item("无形资产", ("161",)),
        Item("长期资产合计", total_of=("长期投资", "固定资产净值", "固定资产清理", "在建工程", "无形资产"), level=0),
        Item("资产总计", total_of=("流动资产合计", "农业资产合计", "长期资产合计"), level=0),
        Item("短期借款", ("201",)),
        Item("应付款项", ("202",), special="credit:113"),
        Item("应付工资", ("211",)),
        Item("应付福利费", ("212",)),
        Item("流动负债合计", total_of=("短期借款", "应付款项", "应付工资", "应付福利费"), level=0),
        Item("长期借款及应付款", ("221",)),
        Item("一事一议资金", ("231",)),
        Item("专项应付款", ("241",)),
        Item("长期负债合计", total_of=("长期借款及应付款", "一事一议资金", "专项应付款"), level=0),
        Item("负债合计", total_of=("流动负债合计", "长期负债合计"), level=0),
        Item("资本", ("301",)),
        Item("公积公益金", ("311",)),
        Item("未分配收益", ("321", "322"), special="pnl"),
        Item("所有者权益合计", total_of=("资本", "公积公益金", "未分配收益"), level=0),
        Item("负债和所有者权益总计", total_of=("负债合计", "所有者权益合计"), level=0),
    )


def _income_2023() -> tuple[Item, ...]:
    return (
        Item("经营收入", ("501",)),
        Item("减：经营支出", ("511",)),
        Item("减：税金及附加", ("512",)),
        Item("减：管理费用", ("513",)),
        Item("加：投资收益", ("502",)),
        Item("经营收益", ("501", "502"), ("511", "512", "513"), level=0),
        Item("加：补助收入", ("503",)),
        Item("加：其他收入", ("504",)),
        Item("减：公益支出", ("514",)),
        Item("减：其他支出", ("515",)),
        Item("收益总额", ("501", "502", "503", "504"), ("511", "512", "513", "514", "515"), level=0),
        Item("减：所得税费用", ("521",)),
        Item("净收益", ("501", "502", "503", "504"), ("511", "512", "513", "514", "515", "521"), level=0),
    )


def _income_2004() -> tuple[Item, ...]:
    return (
        Item("经营收入", ("501",)),
        Item("加：发包及上交收入", ("511",)),
        Item("加：投资收益", ("561",)),
        Item("减：经营支出", ("502",)),
        Item("减：管理费用", ("541",)),
        Item("经营收益", ("501", "511", "561"), ("502", "541"), level=0),
        Item("加：农业税附加返还收入", ("521",)),
        Item("加：补助收入", ("522",)),
        Item("加：其他收入", ("531",)),
        Item("减：其他支出", ("551",)),
        Item("本年收益", ("501", "511", "561", "521", "522", "531"), ("502", "541", "551"), level=0),
    )


BALANCE_SHEETS = {"2023": _balance_sheet_2023(), "2004": _balance_sheet_2004()}
INCOME_STATEMENTS = {"2023": _income_2023(), "2004": _income_2004()}


@dataclass(frozen=True)
class Figure:
    label: str
    amount: int
    level: int


def figures(items: tuple[Item, ...], balances: dict[str, int], chart: Chart) -> list[Figure]:
    """The statement's amounts from the statutory accounts' balances (each on its normal side).

    `debit:113` adds 内部往来's balance when it is a debit (others owe the village) and `credit:113`
    when it is a credit; `pnl` adds the 损益 accounts' net (income − expense) not yet carried over."""
    done: dict[str, int] = {}
    out: list[Figure] = []
    for item in items:
        if item.total_of:
            amount = sum(done[label] for label in item.total_of)
        else:
            amount = sum(balances.get(c, 0) for c in item.plus) - sum(balances.get(c, 0) for c in item.minus)
        kind, _, code = item.special.partition(":")
        if kind == "debit":
            amount += max(balances.get(code, 0), 0)
        elif kind == "credit":
            amount += max(-balances.get(code, 0), 0)
        elif kind == "pnl":
            amount += sum(balances.get(c, 0) for c in chart.income()) - sum(balances.get(c, 0) for c in chart.expense())
        done[item.label] = amount
        out.append(Figure(item.label, amount, item.level))
    return out


def sheet_balances(out: list[Figure]) -> bool:
    """Whether 资产总计 equals 负债和所有者权益总计."""
    by = {f.label: f.amount for f in out}
    return by.get("资产总计") == by.get("负债和所有者权益总计")


KIND_ORDER = (ASSET, LIABILITY, EQUITY, PNL)
