"""The law as data: each law's editions (in force from, until) and, per edition, the article the
rulebook cites for each provision, with its words and where the number came from.

Adding the next edition of a law touches only this module's data: append an `Edition` to
`EDITIONS`, and give each provision in `PROVISIONS` an `Article` for it (a number that cannot be
established yet is `None`, with a note). If a threshold itself changes, add the new value to that
threshold's `changes` in `rulebook.py` (data too). No function needs to change.

Sources (cited, not copied):
- [K2025] 《中华人民共和国村民委员会组织法》, consolidated text after the 2025 amendment
  (根据2025年10月28日…《关于修改〈中华人民共和国村民委员会组织法〉的决定》第二次修正), published with
  主席令第五十九号 by 新疆维吾尔自治区司法厅 (sft.xinjiang.gov.cn/xjsft/flfggz/202511/
  f33edd43e5a149d5a479ec4d0a106ddf.shtml); read in the copy kept in the public repository
  edison-ai-519/InquiryTeachingPythonService (data/knowledge_sources/e5ac70acd0365ab8ae83d8a246b04ba6/
  中华人民共和国村民委员会组织法（2025年修正）.txt, commit 67536a2244bb). 7 chapters, 第一条 to 第五十条;
  its cross-references follow the new numbers (第二十三条 refers to 第十八条 for the election,
  第三十五条 to 第二十七条、第二十八条). The 2025 numbers and words below come from it.
- [X2025] 全国人民代表大会常务委员会关于修改《中华人民共和国村民委员会组织法》的决定, adopted
  2025-10-28, released by Xinhua (新华社北京10月28日电); read in a mirror of the Xinhua release
  (m.av069.com/news/guonei/2025-10-29/1791614.html), items 一 to 三 only: they rewrite 第一条,
  第二条第一款 and 第四条, in the words [K2025] has.
- [P2025] lawinfochina.com/display.aspx?id=45907&lib=law: 主席令第五十九号, the decision in force
  from 2026-01-01.
- [C2025] 中新社 2025-10-28 (谢雁冰): the decision is in force from 2026-01-01.
- [S2025] cssn.cn 2025-12-03 (skgz/bwyc/202512/t20251203_5953685): amended by 修正; 6 chapters and
  41 articles became 7 chapters and 50, with a new chapter 村民委员会工作的保障 — as in [K2025].
- [R2025] reportify.ai/news/1180714547879743488 (a summary of the Xinhua release): new 第五条 and
  第七条, the old 第六条 becomes 第八条 — as in [K2025].
- [Z2025] zhongli-tech.com/new/716613199088062464 and [D2025] 中评社 2025-10-24 (on the second-reading
  draft): the supervisory provision is the new 第三十七条, its members may attend the 村民代表会议,
  it reports violations to the government and 监察机关 — as in [K2025].
- [L2018] 《村民委员会组织法》（2018年修正）, consolidated text (LawRefBook/Laws,
  宪法相关法/村民委员会组织法(2018-12-29).md); the 2018 decision took effect on promulgation.
- [T2018] 《农村土地承包法》（2018年修正）, adopted 2018-12-29, in force 2019-01-01.

What the 2025 edition changed for the provisions cited here ([K2025] against [L2018]): no
fraction. The 1/10 and 1/3 for convening a 村民会议, its quorum (过半数 / 三分之二以上的户) and
majority, the 村民代表会议's 1/5, 2/3 and majority, and the 村民小组会议's 2/3 and majority read as
before; so no `Spec` in rulebook.py has `changes`. What did change is in the words below: a
村民会议 is called 提前十日 (before: 十天), 遇有特殊情况 at short notice, and meets at least once a
year; 村务公开 must stay posted 不少于十五日 (new); the supervisory body's term equals the
committee's, its members may attend the 村民代表会议 as well, and it reports violations to the
township or county government and the 监察机关. The renumbering is not one shift: +4 for the old
第二十一条 to 第二十八条, +5 for the old 第二十九条 to 第三十三条 (the new 第三十三条, on 协商, comes
before them).

What is NOT established: [K2025] was read in a copy of the 司法厅 publication, not in the
国家法律法规数据库 (flk.npc.gov.cn) itself, and the decision's items after 三 were not read. The
reports above agree with it wherever they overlap; none contradicts it.
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
            "[K2025] 2025-10-28 第二次修正；[X2025] 2025-10-28 通过；[P2025][C2025] 自 2026-01-01 起施行"),
    Edition(LAND, LAND_2018, date(2018, 12, 29), date(2019, 1, 1), None,
            "[T2018] 2018-12-29 修正，2019-01-01 起施行"),
)


def _cwh(key: str, topic: str, a2018: str, words2018: str, a2025: str, words2025: str,
         note2025: str) -> Provision:
    return Provision(key, CWH, topic, (
        (CWH_2018, Article(a2018, words2018, "[L2018]")),
        (CWH_2025, Article(a2025, words2025, f"[K2025]；{note2025}")),
    ))


PROVISIONS: dict[str, Provision] = {p.key: p for p in (
    _cwh("cwh.assembly_convene", "召集村民会议",
         "第二十一条", "有十分之一以上的村民或者三分之一以上的村民代表提议，应当召集村民会议；"
         "召集村民会议，应当提前十天通知村民",
         "第二十五条", "有十分之一以上的村民或者三分之一以上的村民代表提议，应当召集村民会议；"
         "提前十日通知，遇有特殊情况的，可以临时通知；每年至少召开一次",
         "原第二十一条，提议的门槛未变；通知期由“十天”写作“十日”，新增临时通知和每年至少召开一次"),
    _cwh("cwh.assembly", "召开村民会议的到会人数和表决",
         "第二十二条", "本村十八周岁以上村民的过半数，或者本村三分之二以上的户的代表参加；到会人员的过半数通过",
         "第二十六条", "本村十八周岁以上村民的过半数，或者本村三分之二以上的户的代表参加；到会人员的过半数通过",
         "原第二十二条，未改动"),
    _cwh("cwh.representatives", "村民代表会议的召集、到会人数和表决",
         "第二十六条", "有五分之一以上的村民代表提议，应当召集；三分之二以上的组成人员参加方可召开；"
         "到会人员的过半数同意",
         "第三十条", "有五分之一以上的村民代表提议，应当召集；三分之二以上的组成人员参加方可召开；"
         "到会人员的过半数同意",
         "原第二十六条，未改动"),
    _cwh("cwh.group", "召开村民小组会议的到会人数和表决",
         "第二十八条", "本村民小组十八周岁以上的村民三分之二以上，或者三分之二以上的户的代表参加；到会人员的过半数同意",
         "第三十二条", "本村民小组十八周岁以上的村民三分之二以上，或者三分之二以上的户的代表参加；到会人员的过半数同意",
         "原第二十八条，门槛在第二款，未改动；新增第一款（村民小组在村民委员会的组织下开展活动）"),
    _cwh("cwh.charter", "村民自治章程、村规民约的制定、修改和备案",
         "第二十七条", "村民会议可以制定和修改村民自治章程、村规民约，并报乡、民族乡、镇的人民政府备案",
         "第三十一条", "村民会议可以制定和修改村民自治章程、村规民约，并报乡、民族乡、镇的人民政府备案；"
         "违反宪法、法律、法规或者公序良俗的，由乡、民族乡、镇的人民政府责令改正",
         "原第二十七条，未改动"),
    _cwh("cwh.openness", "村务公开的期限",
         "第三十条", "一般事项至少每季度公布一次；财务收支情况应当每月公布一次；重大事项应当随时公布",
         "第三十五条", "一般事项至少每季度公布一次；财务收支情况应当每月公布一次；重大事项应当随时公布；"
         "公布的期限不得少于十五日",
         "原第三十条，公布的周期未变；新增公布期限不少于十五日，可以采用现代信息技术公开"),
    _cwh("cwh.report", "村民对村务公开问题的反映",
         "第三十一条", "村民有权向乡、民族乡、镇的人民政府或者县级人民政府及其有关主管部门反映",
         "第三十六条", "村民有权向乡、民族乡、镇的人民政府或者县级人民政府及其有关主管部门反映",
         "原第三十一条，未改动"),
    _cwh("cwh.supervision", "村务监督机构",
         "第三十二条", "村民委员会成员及其近亲属不得担任村务监督机构成员；可以列席村民委员会会议",
         "第三十七条", "村民委员会成员及其近亲属不得担任村务监督机构成员；任期与村民委员会的任期相同；"
         "成员可以列席村民委员会会议和村民代表会议；发现违纪违法行为，应当向乡镇或者县级人民政府和监察机关反映",
         "原第三十二条，改写：增加任期、列席村民代表会议、参与协商和向监察机关反映"),
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
