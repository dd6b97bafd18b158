"""Demo matters for the demo villages: proposals in every stage of each procedure, with
co-signatures, comment threads, the meetings that voted on them and the notices that published the
results. Made up, like the rest of the demo.

Every matter is lived through the real services on a clock set back in time (`clock.frozen` on a
moving moment, `Days`): drafted, submitted, co-signed and discussed; moved on by the role its stage
names, once the stage's days are over; decided at a meeting of the council the stage needs (the sign-in
sheet and the paper count entered by the clerk and confirmed by the director), the result published
for its days after the supervisory committee's review; filed by the township; accepted by the
supervisory committee. So each matter's history runs forward in time, never past now, and no matter
leaves a vote stage without a passed vote, nor a notice stage before its notice's window has ended.
The matters are lived one after another in the order they started, so the township's filing numbers
follow their dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.demo.books import FUND_MATTER
from app.demo.votes import LAND, councils_of
from app.domain import notices as N
from app.domain import procedures as P
from app.domain import rulebook as R
from app.domain.books import period_of, previous_period
from app.domain.calendar import from_local, local_date_of
from app.domain.people import adult_born_on_or_before
from app.domain.proposals import ProposalDraft
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR
from app.models import MemberRole, Membership, Notice, Proposal, User, Village, VoteSession
from app.services import comments, filings, notices, paper_tallies, proposals, village_settings, votes
from app.services.access import Actor, load_actor

RULES_MATTER = "修订《杏花村村规民约》"  # decided by the 村民会议, which alone makes the village's rules
CHAIR = "13800000001"  # 李建国: committee director, party committee
CLERK = "13800000002"  # 王秀英: committee clerk
SUPERVISOR_PHONE = "13800000004"  # 赵监委: village supervisory committee
MONITOR = "13800000009"  # 郑监督: the township's monitor

# (procedure, target state, title, category, author phone, body, budget ¥, per-capita ¥)
MATTERS = [
    ("yishiyiyi", "cosign", "修建村东头便民桥", "facilities", "13800000007",
     "村东头的小河每到汛期就涨水，老人孩子过河很危险。建议修一座 4 米宽的水泥便民桥。", 80000, 15),
    ("yishiyiyi", "deliberation", "硬化村东头道路", "facilities", "13800000001",
     "## 方案\n\n- 项目：硬化村东头至大路口道路 300 米\n- 预算：6 万元，其中上级奖补 4 万元\n"
     "- 人均筹资 15 元，每人投劳 1 天\n- 减免：五保户、现役军人家庭", 60000, 15),
    ("yishiyiyi", "vote", "安装村道路灯 40 盏", "facilities", "13800000001",
     "村里主干道晚上没有照明。计划安装太阳能路灯 40 盏，预算 4.8 万元。", 48000, 10),
    ("yishiyiyi", "notice", "修缮村文化室屋顶", "facilities", "13800000002",
     "文化室屋顶漏雨，需要更换瓦面和防水层。", 26000, 8),
    ("yishiyiyi", "review", "清理村前水塘淤泥", "fundraising", "13800000001",
     "水塘淤积严重，影响灌溉和排涝。请专业队清淤，村民投劳配合。", 30000, 12),
    ("yishiyiyi", "implementation", "新建垃圾集中收集点", "facilities", "13800000002",
     "在三个村民小组各建一个垃圾收集点，由保洁员每日清运。", 36000, 10),
    ("yishiyiyi", "acceptance", "修复第二组灌溉水渠", "facilities", "13800000001",
     "第二组 800 米灌溉水渠破损，已按方案修复，等待村务监督委员会验收。", 42000, 15),
    ("yishiyiyi", "closed", "村小学门口安装减速带", "facilities", "13800000002",
     "已完工并验收，结果已公开。", 5000, 0),
    ("sizheng", "party_proposal", "村集体鱼塘重新发包", "assets", "13800000001",
     "现承包合同年底到期，党支部提议公开竞价重新发包。", None, None),
    ("sizheng", "joint_meeting", "村级光伏项目收益分配", "subsidy", "13800000001",
     "光伏电站每年收益约 6 万元，拟定分配方案。", None, None),
    ("sizheng", "resolution", "土地流转给合作社种植茶叶", "land", "13800000001",
     "拟将后山 200 亩荒地流转给茶叶合作社，期限 15 年。", None, None),
    ("simple", "deliberation", "春节文艺晚会安排", "other", "13800000002", "今年晚会在文化广场举办，欢迎报名节目。",
     None, None),
    ("simple", "closed", "更换村委会办公电脑", "assets", "13800000002", "已按程序采购并公开。", 9000, None),
    ("simple", "closed", RULES_MATTER, "other", "13800000001",
     "村规民约第十二条（红白喜事）拟修改为：婚丧事宜从简办理，宴席不超过 20 桌，不燃放大型烟花。"
     "修改稿已在公开栏征求意见，提请村民会议表决。", None, None),
]

# How many days before today each matter was drafted (09:00 Beijing time), chosen so each stands in
# its target stage today: in the vote stage two days, the notice in its window, under review two days,
# accepting for weeks, closed for weeks; `w` is a notice's posting days (the law's floor, at least 7).
# A 一事一议 matter: deliberation 7 days, the meeting 2 days later, the notice published the next day
# and closed the day after its window, the township's filing 3 days later (`filed_after`), 30 days
# of work, 5 of acceptance, then its result published for its own window.
STARTED_DAYS_AGO: dict[str, tuple[int, int]] = {  # title: (days, and how many windows more)
    "修建村东头便民桥": (8, 0), "硬化村东头道路": (3, 0), "安装村道路灯 40 盏": (9, 0), "修缮村文化室屋顶": (13, 0),
    "清理村前水塘淤泥": (13, 1), "修复第二组灌溉水渠": (63, 1), "村小学门口安装减速带": (76, 2),
    "村集体鱼塘重新发包": (2, 0), "村级光伏项目收益分配": (6, 0),
    "春节文艺晚会安排": (2, 0), "更换村委会办公电脑": (23, 1), RULES_MATTER: (30, 1),
}
# The land matter reaches its 村民代表会议 before that meeting (app/demo/votes.py: 2025-12-18).
LAND_STARTED = date(2025, 11, 20)
# The waste-collection matter's money is collected last month (app/demo/books.py); the township files
# it first, on the month's 2nd: it is drafted `filed_after` days before.


def filed_after(w: int) -> int:
    """Days from a 一事一议 matter's draft to the township's filing, with notices posted `w` days."""
    return 14 + w


# Which council decides each vote stage at its meeting (the simple procedure: the village's own body).
MEETING_COUNCIL = {("yishiyiyi", "vote"): R.REPRESENTATIVES, ("sizheng", "party_review"): R.PARTY,
                   ("sizheng", "resolution"): R.REPRESENTATIVES, ("simple", "vote"): R.CUSTOM}
# Days a stage lasts before it is moved on (at least the village's minimum).
STAYS = {P.Kind.DELIBERATION: 2, P.Kind.IMPLEMENTATION: 30, P.Kind.ACCEPTANCE: 5}
RESULT_TODO = "请村委会补充：完成情况、实际收支、验收意见。"


class Days:
    """The demo's moving clock: every service call in a matter happens at `now`, which only moves
    forward and never past the moment the demo is built."""

    def __init__(self, day: date, hour: int = 9, limit: datetime | None = None) -> None:
        self.limit = limit or clock.utcnow()
        self.now = self._check(from_local(datetime(day.year, day.month, day.day, hour)))

    def __call__(self) -> datetime:
        return self.now

    def _check(self, moment: datetime) -> datetime:
        if moment > self.limit:
            raise RuntimeError(f"demo plan runs past now: {moment:%Y-%m-%d %H:%M}")
        return moment

    def later(self, **delta: float) -> None:
        self.now = self._check(self.now + timedelta(**delta))

    def on(self, day: date, hour: int, minute: int = 0) -> None:
        """At hour:minute (Beijing time) of `day`, or half an hour from now if that has passed."""
        moment = from_local(datetime(day.year, day.month, day.day, hour, minute))
        self.now = self._check(max(moment, self.now + timedelta(minutes=30)))

    @property
    def today(self) -> date:
        return local_date_of(self.now)


@dataclass
class Crew:
    """Who acts in the demo village: the committee's director and clerk, the supervisory committee,
    the township's monitor, the councils."""

    chair: Actor
    clerk: Actor
    supervisor: Actor
    monitor: Actor
    councils: dict

    def mover(self, stage: P.Stage) -> Actor:
        role = stage.movers[0]
        return {COMMITTEE: self.chair, PARTY_COMMITTEE: self.chair, SUPERVISOR: self.supervisor}.get(
            role, self.monitor)


def _actor(session: Session, phone: str) -> Actor:
    user = session.execute(select(User).where(User.phone == phone)).scalar_one()
    return load_actor(session, user)


def _started(title: str, today: date) -> date:
    window = max(N.default_days(N.VILLAGE, today - timedelta(days=180)), N.default_days(N.VILLAGE, today))
    if title == LAND:
        return LAND_STARTED
    if title == FUND_MATTER:
        last_month = previous_period(period_of(today))
        return date(int(last_month[:4]), int(last_month[5:]), 2) - timedelta(days=filed_after(window))
    fixed, windows = STARTED_DAYS_AGO[title]
    return today - timedelta(days=fixed + windows * window)


def load(session: Session, village: Village) -> None:
    villagers = list(session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .join(MemberRole, (MemberRole.membership_id == Membership.id) & (MemberRole.role == "villager"))
        .where(Membership.village_id == village.id, User.status == "active",
               User.birth_date <= adult_born_on_or_before(clock.local_today()))
        .order_by(User.id)
    ).scalars())
    voices = [load_actor(session, u) for u in villagers[10:40]]
    today = clock.local_today()
    plan = []
    for i, matter in enumerate(MATTERS):
        author = _actor(session, matter[4])
        if author.village_id == village.id:
            plan.append((_started(matter[2], today), i, author, matter))
    if not plan:
        return
    plan.sort(key=lambda p: (p[0], p[1]))
    limit = clock.utcnow()
    eve = plan[0][0] - timedelta(days=1)
    with clock.frozen(from_local(datetime(eve.year, eve.month, eve.day, 10))):  # the councils, before any matter
        crew = Crew(_actor(session, CHAIR), _actor(session, CLERK), _actor(session, SUPERVISOR_PHONE),
                    _actor(session, MONITOR), councils_of(session, village))
    for started, i, author, matter in plan:
        days = Days(started, limit=limit)
        with clock.frozen(days):
            _live(session, village, crew, author, voices[i % 5:], matter, days)


def _live(session: Session, village: Village, crew: Crew, author: Actor, voices: list[Actor], matter: tuple,
          days: Days) -> None:
    """One matter from its draft to its target stage."""
    procedure, target, title, category, _, body, budget, per_capita = matter
    draft = ProposalDraft(title=title, body=body, category=category, procedure=procedure,
                          budget_fen=budget * 100 if budget else None,
                          per_capita_fen=per_capita * 100 if per_capita is not None else None,
                          labour_days=1 if procedure == "yishiyiyi" else None,
                          exemptions="五保户、现役军人家庭" if procedure == "yishiyiyi" else None)
    proposal = proposals.create(session, author, village, draft)
    days.later(minutes=30)
    proposal = proposals.transition(session, author, proposal.id, P.Action.SUBMIT.value)
    if proposal.state == "cosign":
        for n, voice in enumerate(voices[:8]):  # two a day, morning and evening
            days.on(days.today + timedelta(days=1 - n % 2), 10 if n % 2 == 0 else 19)
            proposals.cosign(session, voice, proposal.id)
    if proposals.comments_open(proposal):
        _discuss(session, proposal, voices, author, days)
    _walk(session, village, proposal, target, crew, days)


def _walk(session: Session, village: Village, proposal: Proposal, target: str, crew: Crew, days: Days) -> None:
    """Move a submitted proposal stage by stage to `target`, each step by the role its stage names."""
    proc = P.PROCEDURES[proposal.procedure]
    while proposal.state != target:
        stage = proc.stage(proposal.state)
        entered = local_date_of(proposal.stage_entered_at)
        if stage.kind is P.Kind.VOTE:
            _meeting(session, proposal, stage, crew, days, entered + timedelta(days=2))
            days.later(hours=2)
        elif stage.kind is P.Kind.NOTICE:
            notice = _publish(session, _notice_for(session, proposal, stage.key), crew, days)
            _close_after_window(session, notice, crew, days)
        elif stage.kind is P.Kind.REVIEW:
            days.on(entered + timedelta(days=3), 9)
            filings.file(session, crew.monitor, proposal.id, "筹资筹劳方案符合规定，同意备案。")
            session.refresh(proposal)
            continue
        else:
            least = village_settings.settings_of(session, village).stage_days(proposal.procedure, stage.key)
            days.on(entered + timedelta(days=max(least, STAYS.get(stage.kind, 2))), 16)
        proposal = proposals.transition(session, crew.mover(stage), proposal.id, P.Action.ADVANCE.value)
    stage = proposals.stage_of(proposal)
    if stage is not None and stage.kind is P.Kind.NOTICE:  # in its window today
        _publish(session, _notice_for(session, proposal, stage.key), crew, days)
    if proposal.state == P.CLOSED and proposal.procedure == "yishiyiyi":  # 实施结果公开 after acceptance
        result = session.execute(select(Notice).where(
            Notice.proposal_id == proposal.id, Notice.kind == "implementation", Notice.state == N.DRAFT)
            .order_by(Notice.id)).scalars().first()
        if result is not None:
            days.later(hours=2)
            notices.edit(session, crew.clerk, result.id, title=result.title, days=result.days,
                         body=result.body.replace(RESULT_TODO, _result_text(proposal)))
            notice = _publish(session, result, crew, days)
            if notice.window_until + timedelta(days=1) < days.limit:
                _close_after_window(session, notice, crew, days)


def _meeting(session: Session, proposal: Proposal, stage: P.Stage, crew: Crew, days: Days, day: date) -> VoteSession:
    """The council meets on `day`: the vote opens at 09:00, the clerk enters the sign-in sheet and the
    show of hands, the director confirms it, and the director closes the vote at noon. One member is
    away when the council has six or more; one votes against when the rest still carry it."""
    kind = R.ASSEMBLY if proposal.title == RULES_MATTER else MEETING_COUNCIL[(proposal.procedure, stage.key)]
    council = crew.councils[kind]
    days.on(day, 9)
    vs = votes.create_session(
        session, crew.chair, proposal.id, council_id=council.id, question=_question(proposal, stage),
        options=None, secret=False, allow_change=False, opens_at=days.now, closes_at=days.now + timedelta(hours=3))
    votes.open_session(session, crew.chair, vs.id)
    electors = [uid for uid, _ in votes.electorate(session, vs)]
    present = electors[:-1] if len(electors) >= 6 else electors
    against = 1 if (len(present) - 1) * 2 > len(electors) else 0
    counts = [len(present) - against, against, 0]
    days.later(hours=2)
    paper_tallies.record_paper(
        session, crew.clerk, vs.id, present_user_ids=present, counts=counts, invalid=0,
        minutes=(f"{council.name}应到 {len(electors)} 人，签到 {len(present)} 人。举手表决：同意 {counts[0]} 人，"
                 f"反对 {counts[1]} 人，弃权 0 人。"))
    days.later(minutes=20)
    paper_tallies.confirm_paper(session, crew.chair, vs.id)
    days.later(minutes=40)
    return votes.close_session(session, crew.chair, vs.id)


def _question(proposal: Proposal, stage: P.Stage) -> str:
    if stage.key == "party_review":
        return f"是否同意将《{proposal.title}》的方案提交村民（代表）会议决议？"
    if proposal.budget_fen:
        return f"是否同意《{proposal.title}》的方案（预算 {proposal.budget_fen // 100} 元）？"
    return f"是否同意《{proposal.title}》的方案？"


def _notice_for(session: Session, proposal: Proposal, stage: str) -> Notice:
    """The draft the closed vote left for this notice stage (services/notice_drafts.draft_resolution)."""
    return session.execute(select(Notice).where(
        Notice.proposal_id == proposal.id, Notice.proposal_stage == stage, Notice.state == N.DRAFT)
        .order_by(Notice.id.desc())).scalars().first()


def _publish(session: Session, notice: Notice, crew: Crew, days: Days) -> Notice:
    """The clerk submits the draft, the supervisory committee approves it the next morning, the
    director publishes it an hour later."""
    days.later(hours=1)
    notices.submit(session, crew.clerk, notice.id)
    days.on(days.today + timedelta(days=1), 10)
    notices.review(session, crew.supervisor, notice.id, approve=True)
    days.later(hours=1)
    return notices.publish(session, crew.chair, notice.id)


def _close_after_window(session: Session, notice: Notice, crew: Crew, days: Days) -> None:
    """The morning after the window ends, the committee closes the notice (办结)."""
    days.on(local_date_of(notice.window_until) + timedelta(days=1), 9, 30)
    notices.close(session, crew.chair, notice.id)
    days.later(minutes=30)


def _result_text(proposal: Proposal) -> str:
    spent = (proposal.budget_fen or 0) * 97 // 100
    return (f"完成情况：已按方案完工。实际支出 {spent // 100:,} 元，在预算之内，票据已入账。"
            "验收意见：村务监督委员会现场验收合格。")


def _discuss(session: Session, proposal: Proposal, voices: list[Actor], author: Actor, days: Days) -> None:
    """A thread over the first days of the discussion, some hours apart."""
    def step() -> None:
        days.later(hours=3)

    step()
    first = comments.add(session, voices[0], proposal.id, "支持！这件事早该办了，我家出工没问题。")
    step()
    comments.add(session, voices[1], proposal.id, "预算能不能再细一点？材料费和人工费分开列。")
    days.on(days.today + timedelta(days=1), 9)
    comments.add(session, author, proposal.id, "好的，下次开会前把明细表贴到公开栏。", parent_id=first.id)
    step()
    edited = comments.add(session, voices[2], proposal.id, "建议晚上施工，白天大家要干农活。")
    days.later(minutes=10)
    comments.edit(session, voices[2], edited.id, "建议农闲时施工，白天大家要干农活。")
    if proposal.title == "硬化村东头道路":
        step()
        rude = comments.add(session, voices[3], proposal.id, "村干部肯定从中捞钱！谁同意谁就是傻子！")
        days.later(hours=1)
        comments.hide(session, author, rude.id, "含有人身攻击。对账目有疑问请向村务监督委员会质询。")


def load_all(session: Session) -> None:
    for village in session.execute(select(Village).order_by(Village.id)).scalars():
        load(session, village)
