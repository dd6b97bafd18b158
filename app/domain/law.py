"""The law as data: each law's editions (in force from, until) and, per edition, the article the
rulebook cites for each provision, with its words and where the number came from.

Adding the next edition of a law touches only this module's data: append an `Edition` to
`EDITIONS`, and give each provision in `PROVISIONS` an `Article` for it (a number that cannot be
established yet is `None`, with a note). If a threshold itself changes, add the new value to that
threshold's `changes` in `rulebook.py` (data too). No function needs to change.

Sources (cited, not copied):
- [X2025] 全国人民代表大会常务委员会关于修改《中华人民共和国村民委员会组织法》的决定, adopted
  2025-10-28, released by Xinhua (新华社北京10月28日电); read in a mirror of the Xinhua release
  (m.av069.com/news/guonei/2025-10-29/1791614.html), of which only items 一 to 三 could be read:
  一 rewrites 第一条, 二 rewrites 第二条第一款, 三 rewrites 第四条 (no insertion among them).
- [R2025] reportify.ai/news/1180714547879743488, a summary of the Xinhua release: a new 第五条
  (基层群众自治指导监督部门) and a new 第七条 (表彰、奖励) are inserted; the old 第六条 (composition,
  women members) becomes 第八条. So articles from the old 第六条 on move by at least two.
- [C2025] 中新社 2025-10-28 (谢雁冰): the decision is in force from 2026-01-01.
- [S2025] cssn.cn 2025-12-03 (skgz/bwyc/202512/t20251203_5953685): the law was amended by
  修正 (so the edition is "2025年修正"); 6 chapters and 41 articles became 7 chapters and 50
  articles, with a new chapter 村民委员会工作的保障.
- [D2025] 中评社 2025-10-24, quoting the CCDI site on the second-reading draft: the village
  supervisory body's term is set, its members may attend the 村民代表会议, and it shall report
  violations harming villagers to the people's government and the supervisory organs (监察机关).
- [Z2025] zhongli-tech.com/new/716613199088062464 (secondary, not corroborated): the supervisory
  provision is the new 第三十七条, members may attend committee and representatives' meetings and
  report directly to 监察机关; committee members and their close relatives may not serve on it.
- [L2018] 《村民委员会组织法》（2018年修正）, consolidated text (LawRefBook/Laws,
  宪法相关法/村民委员会组织法(2018-12-29).md); the 2018 decision took effect on promulgation.
- [T2018] 《农村土地承包法》（2018年修正）, adopted 2018-12-29, in force 2019-01-01.

What is NOT established: the 2025 edition's article numbers for the provisions cited here. Between
the old 第六条 (+2, [R2025]) and the end (+9 net, [S2025]) the shift of the old 第二十一条 to
第三十二条 could not be read from any source found: the decision's later items (which articles are
inserted where) were not reachable. [Z2025] alone implies +5 for the old 第三十二条 (→ 第三十七条);
if +5 held for the whole of chapters 4 and 5, the old 第二十一、二十二、二十六、二十八、三十、三十一条
would be 第二十六、二十七、三十一、三十三、三十五、三十六条 — a hypothesis, not used. Those numbers
are therefore `None` below and citations say "条号待核" until someone checks the consolidated
2025 text and fills them in here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CWH = "村民委员会组织法"
LAND = "农村土地承包法"
CWH_2018 = "2018年修正"
CWH_2025 = "2025年修正"
LAND_2018 = "2018年修正"


@dataclass(frozen=True)
class Edition:
    law: str
    name: str  # "2018年修正": as it is cited, in （）
    adopted: date
    valid_from: date  # the first day in force (Beijing calendar)
    valid_until: date | None  # the last day in force; None while still in force
    source: str

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class Article:
    number: str | None  # "第二十二条"; None: not established (see the note)
    words: str | None  # the threshold's words in this edition, short; None: not read
    note: str  # where the number and words come from, how a renumbering was derived


@dataclass(frozen=True)
class Provision:
    key: str
    law: str
    topic: str  # what it governs, for a citation without a number: "召开村民会议的到会人数和表决"
    articles: tuple[tuple[str, Article], ...]  # (edition name, its article)

    def article(self, edition: str) -> Article:
        for name, art in self.articles:
            if name == edition:
                return art
        return Article(None, None, f"本版本（{edition}）的条号尚未录入")


# Oldest first; each law's editions must not overlap (tests check it).
EDITIONS: tuple[Edition, ...] = (
    Edition(CWH, CWH_2018, date(2018, 12, 29), date(2018, 12, 29), date(2025, 12, 31),
            "[L2018]; 2018-12-29 修正决定自公布之日起施行；至 2025年修正施行前一日"),
    Edition(CWH, CWH_2025, date(2025, 10, 28), date(2026, 1, 1), None,
            "[X2025] 2025-10-28 通过；[C2025] 自 2026-01-01 起施行；[S2025] 修正"),
    Edition(LAND, LAND_2018, date(2018, 12, 29), date(2019, 1, 1), None,
            "[T2018] 2018-12-29 修正，2019-01-01 起施行"),
)

_UNREAD = "2025年修正文本中的条号未能从可查到的来源确定（见本模块说明）"


def _cwh(key: str, topic: str, a2018: str, words2018: str, note2025: str) -> Provision:
    return Provision(key, CWH, topic, (
        (CWH_2018, Article(a2018, words2018, "[L2018]")),
        (CWH_2025, Article(None, None, f"{_UNREAD}；{note2025}")),
    ))


PROVISIONS: dict[str, Provision] = {p.key: p for p in (
    _cwh("cwh.assembly_convene", "召集村民会议", "第二十一条",
         "有十分之一以上的村民或者三分之一以上的村民代表提议，应当召集村民会议",
         "原第二十一条；[X2025] 可读部分未修改其门槛，未见其他来源报道改动"),
    _cwh("cwh.assembly", "召开村民会议的到会人数和表决", "第二十二条",
         "本村十八周岁以上村民的过半数，或者本村三分之二以上的户的代表参加；到会人员的过半数通过",
         "原第二十二条；未见来源报道门槛改动"),
    _cwh("cwh.representatives", "村民代表会议的召集、到会人数和表决", "第二十六条",
         "有五分之一以上的村民代表提议，应当召集；三分之二以上的组成人员参加方可召开；到会人员的过半数同意",
         "原第二十六条；[D2025] 仅报道村务监督机构成员可以列席，未见门槛改动"),
    _cwh("cwh.group", "召开村民小组会议的到会人数和表决", "第二十八条",
         "本村民小组十八周岁以上的村民三分之二以上，或者三分之二以上的户的代表参加；到会人员的过半数同意",
         "原第二十八条；未见来源报道门槛改动"),
    _cwh("cwh.openness", "村务公开的期限", "第三十条",
         "一般事项至少每季度公布一次；财务收支情况应当每月公布一次；重大事项应当随时公布",
         "原第三十条；未见来源报道期限改动"),
    _cwh("cwh.report", "村民对村务公开问题的反映", "第三十一条",
         "村民有权向乡、民族乡、镇的人民政府或者县级人民政府及其有关主管部门反映",
         "原第三十一条"),
    Provision("cwh.supervision", CWH, "村务监督机构", (
        (CWH_2018, Article("第三十二条", "村民委员会成员及其近亲属不得担任村务监督机构成员；可以列席村民委员会会议",
                           "[L2018]")),
        (CWH_2025, Article(None, None,
                           f"{_UNREAD}；原文未读到。据 [D2025]（二审稿）与 [Z2025] 的报道：成员可以列席村民委员会会议"
                           "和村民代表会议，向人民政府和监察机关反映违纪违法行为，村民委员会成员及其近亲属不得担任；"
                           "[Z2025] 称为第三十七条，未经印证")),
    )),
    Provision("land.outsiders", LAND, "土地发包给本集体经济组织以外的单位或者个人", (
        (LAND_2018, Article("第五十二条",
                            "事先经本集体经济组织成员的村民会议三分之二以上成员或者三分之二以上村民代表的同意",
                            "[T2018]")),
    )),
)}


def editions_of(law: str) -> list[Edition]:
    return [e for e in EDITIONS if e.law == law]


def edition_on(law: str, day: date) -> Edition:
    """The edition of `law` in force on `day` (Beijing calendar). Before the first edition recorded
    here, the first one answers (no decision in this system predates it)."""
    editions = editions_of(law)
    for edition in editions:
        if edition.in_force(day):
            return edition
    return editions[0] if day < editions[0].valid_from else editions[-1]
