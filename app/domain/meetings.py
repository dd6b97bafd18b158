"""Meetings (会议) and requests to convene them (提议召集): the pure rules, by the law in force on the day.

- Notice (通知). A 村民会议 is called with notice ten days ahead: 2018 第二十一条 "提前十天通知村民",
  2025 第二十五条 "提前十日通知，遇有特殊情况的，可以临时通知". Counted on the Beijing calendar from the
  day of announcing to the meeting's day. Short notice (临时通知) with its special circumstance is
  the 2025 edition's; the 2018 text knew none. The law sets no period for other bodies: the village
  gives the notice it is used to (NO_LAW_DAYS is shown as advice, never enforced).
- Cadence. 村民会议 每年至少召开一次 (2025 第二十五条); 村民代表会议 每季度召开一次 (2018 第二十六条,
  2025 第三十条).
- Supervisors attend (列席) without a vote: 村民委员会会议 under both editions (2018 第三十二条, here the
  两委联席会议), and 村民代表会议 too from the 2025 edition (第三十七条).
- Check-in by phone: a six-digit code shown at the meeting, opened at most an hour before it starts,
  valid until four hours after the start; only its SHA-256 (salted with the meeting) is kept.
- Requests to convene: thresholds and their citations come from `rulebook` (CONVENE_*); a request that
  met them and was not convened within UNCONVENED_DAYS shows on the township's dashboard.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain import law as L
from app.domain import rulebook as R
from app.domain.text import is_blank
from app.domain.text import problem as text_problem

DRAFT, ANNOUNCED, HELD, CANCELLED = "draft", "announced", "held", "cancelled"
STATES = {DRAFT: "草稿", ANNOUNCED: "已通知", HELD: "已召开", CANCELLED: "已取消"}

PAPER, PHONE, OBSERVER = "paper", "phone", "observer"
HOW = {PAPER: "纸质签到", PHONE: "手机签到", OBSERVER: "列席"}

PETITION_KINDS = {R.ASSEMBLY: "村民会议", R.REPRESENTATIVES: "村民代表会议"}
OPEN, CONVENED, CLOSED = "open", "convened", "closed"
PETITION_STATES = {OPEN: "征集中", CONVENED: "已召集", CLOSED: "已关闭"}
UNCONVENED_DAYS = 30

# The notice the law sets for a 村民会议, per edition (2018: 十天; 2025: 十日), and whether that
# edition allows short notice (临时通知) in special circumstances.
ASSEMBLY_NOTICE_DAYS: dict[str, int] = {L.CWH_2018: 10, L.CWH_2025: 10}
SHORT_NOTICE: dict[str, bool] = {L.CWH_2018: False, L.CWH_2025: True}
NO_LAW_DAYS = 3  # the notice shown as customary where the law sets none
CADENCE: dict[str, tuple[str, str]] = {  # kind -> (how often, provision)
    R.ASSEMBLY: ("每年至少召开一次", "cwh.assembly_convene"),
    R.REPRESENTATIVES: ("每季度召开一次", "cwh.representatives"),
}
# Bodies whose meetings supervisors attend (列席), from that edition on.
OBSERVED_FROM: dict[str, str] = {R.JOINT: L.CWH_2018, R.REPRESENTATIVES: L.CWH_2025}

CODE_DIGITS = 6
# Wrong codes a person may type for one meeting in CHECKIN_WINDOW_MINUTES: then check-in waits (a
# million codes cannot be tried from a phone; the paper sheet is always there).
CHECKIN_TRIES = 5
CHECKIN_WINDOW_MINUTES = 15
OPENS_BEFORE = timedelta(hours=1)
LASTS = timedelta(hours=4)

TITLE_MAX, PLACE_MAX, ITEM_MAX, ITEMS_MAX, REASON_MAX, MINUTES_MAX = 60, 60, 200, 30, 500, 20_000


@dataclass(frozen=True)
class NoticeRule:
    days: int  # the least days of notice the law sets; 0: none
    short_allowed: bool  # 临时通知 allowed in special circumstances
    source: R.Source | None  # what to cite; None where the law sets no period


def notice_rule(kind: str, on: date) -> NoticeRule:
    """The notice a meeting of a `kind` body needs when announced on `on` (Beijing calendar)."""
    if kind != R.ASSEMBLY:
        return NoticeRule(0, True, None)
    source = R.source_of("cwh.assembly_convene", on)
    return NoticeRule(ASSEMBLY_NOTICE_DAYS[source.edition], SHORT_NOTICE[source.edition], source)


def notice_problem(kind: str, meeting_day: date, today: date, short_reason: str | None) -> str | None:
    """Why a meeting on `meeting_day` cannot be announced `today`, or None."""
    if meeting_day < today:
        return "会议日期已经过了，请改期"
    rule = notice_rule(kind, today)
    if not rule.days or (meeting_day - today).days >= rule.days:
        return None
    assert rule.source is not None
    earliest = today + timedelta(days=rule.days)
    if short_reason and short_reason.strip():
        if rule.short_allowed:
            return None
        return (f"{rule.source.cite}，召集村民会议应当提前{rule.days}天通知村民，没有临时通知的规定；"
                f"会议最早定在{earliest.month}月{earliest.day}日")
    return (f"{rule.source.cite}，召集村民会议应当提前{rule.days}日通知村民：会议最早定在"
            f"{earliest.month}月{earliest.day}日。遇有特殊情况需要临时通知的，请写明原因")


def cadence(kind: str, on: date) -> str | None:
    """"每年至少召开一次（依据…第二十五条）" for bodies the law gives a cadence to, else None."""
    if kind not in CADENCE:
        return None
    words, provision = CADENCE[kind]
    source = R.source_of(provision, on)
    if kind == R.ASSEMBLY and words not in (source.words or ""):
        return None  # the 2018 text set no yearly meeting
    return f"{words}（{source.cite}）"


def supervisors_attend(kind: str, on: date) -> R.Source | None:
    """The source that lets supervisors attend a meeting of a `kind` body on `on`, or None."""
    since = OBSERVED_FROM.get(kind)
    if since is None:
        return None
    source = R.source_of("cwh.supervision", on)
    order = [e.name for e in L.editions_of(L.CWH)]
    return source if order.index(source.edition) >= order.index(since) else None


def check_meeting(title: str | None, place: str | None, items: list[str]) -> dict[str, str]:
    """Field errors of a meeting's draft."""
    errors: dict[str, str] = {}
    title, place = (title or "").strip(), (place or "").strip()
    if is_blank(title):
        errors["title"] = "请填写会议名称"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"会议名称最多 {TITLE_MAX} 个字"
    elif (p := text_problem(title, multiline=False)) is not None:
        errors["title"] = "会议名称" + p
    if is_blank(place):
        errors["place"] = "请填写会议地点"
    elif len(place) > PLACE_MAX:
        errors["place"] = f"地点最多 {PLACE_MAX} 个字"
    elif (p := text_problem(place, multiline=False)) is not None:
        errors["place"] = "地点" + p
    if len(items) > ITEMS_MAX:
        errors["items"] = f"议程最多 {ITEMS_MAX} 项"
    elif any(len(i) > ITEM_MAX for i in items):
        errors["items"] = f"每项议程最多 {ITEM_MAX} 个字"
    elif any(text_problem(i, multiline=False) is not None for i in items):
        errors["items"] = "议程里有不能显示的字符"
    return errors


# --- check-in by phone --------------------------------------------------------------------------------

def checkin_open_problem(starts_at: datetime, now: datetime) -> str | None:
    if now < starts_at - OPENS_BEFORE:
        return "会议开始前一小时内才能开启手机签到"
    if now >= starts_at + LASTS:
        return "会议已经结束，不能再开启手机签到"
    return None


def checkin_until(starts_at: datetime) -> datetime:
    return starts_at + LASTS


def normalize_code(text: str | None) -> str:
    """What a person typed, as ASCII digits (full-width digits and spaces allowed)."""
    out = []
    for ch in text or "":
        if "０" <= ch <= "９":
            ch = chr(ord(ch) - ord("０") + ord("0"))
        if ch.isspace() or ch == "-":
            continue
        out.append(ch)
    return "".join(out)[:20]


def code_hash(meeting_id: int, code: str) -> str:
    return hashlib.sha256(f"meeting:{meeting_id}:{code}".encode()).hexdigest()


def code_matches(meeting_id: int, typed: str | None, stored: str | None) -> bool:
    code = normalize_code(typed)
    if not stored or len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        return False
    return hmac.compare_digest(code_hash(meeting_id, code), stored)


def checkin_problem(now: datetime, until: datetime | None, opened: bool) -> str | None:
    if not opened or until is None:
        return "会议还没有开启手机签到"
    if now >= until:
        return "签到时间已过，请找村委会在纸质签到表上登记"
    return None


# --- requests to convene ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    villagers: int  # signers who are adult villagers
    villagers_needed: int  # 0: this way does not apply (or nobody to count)
    representatives: int  # signers who are representatives
    representatives_needed: int
    villagers_rule: R.Threshold | None
    representatives_rule: R.Threshold

    @property
    def met(self) -> bool:
        by_villagers = self.villagers_needed > 0 and self.villagers >= self.villagers_needed
        by_reps = self.representatives_needed > 0 and self.representatives >= self.representatives_needed
        return by_villagers or by_reps

    @property
    def citation(self) -> str:
        return self.representatives_rule.cite

    @property
    def text(self) -> str:
        """"村民 12/30、村民代表 2/3" as the page shows it."""
        parts = []
        if self.villagers_rule is not None:
            parts.append(f"村民 {self.villagers}/{self.villagers_needed}")
        parts.append(f"村民代表 {self.representatives}/{self.representatives_needed}")
        return "、".join(parts)


def petition_progress(kind: str, villagers: int, representatives: int, adults: int, all_representatives: int,
                      on: date) -> Progress:
    """How far a request to convene a `kind` body is, by the law in force on `on`: a 村民会议 when
    ≥ 1/10 of the adult villagers or ≥ 1/3 of the representatives ask; a 村民代表会议 when ≥ 1/5 of
    the representatives ask."""
    if kind == R.ASSEMBLY:
        by_villagers = R.CONVENE_ASSEMBLY_VILLAGERS.on(on)
        by_reps = R.CONVENE_ASSEMBLY_REPRESENTATIVES.on(on)
        return Progress(villagers, by_villagers.needed(adults), representatives, by_reps.needed(all_representatives),
                        by_villagers, by_reps)
    if kind == R.REPRESENTATIVES:
        by_reps = R.CONVENE_REPRESENTATIVES.on(on)
        return Progress(0, 0, representatives, by_reps.needed(all_representatives), None, by_reps)
    raise ValueError(kind)


def check_petition(kind: str | None, reason: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in PETITION_KINDS:
        errors["kind"] = "请选择提议召开村民会议或村民代表会议"
    reason = (reason or "").strip()
    if is_blank(reason):
        errors["reason"] = "请写明提议召开会议的事由"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"事由最多 {REASON_MAX} 个字"
    elif (p := text_problem(reason)) is not None:
        errors["reason"] = "事由" + p
    return errors
