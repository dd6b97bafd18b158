"""Demo matters for the demo villages: proposals in every stage of each procedure, with
co-signatures and comment threads. Made up, like the rest of the demo.

Proposals are raised and discussed through the real services; to show later stages without
waiting weeks, their history is written with past dates through the same `_move` the services use.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.clock import utcnow
from app.domain import procedures as P
from app.domain.people import adult_born_on_or_before
from app.domain.proposals import ProposalDraft
from app.models import MemberRole, Membership, Proposal, User, Village
from app.services import comments, proposals
from app.services.access import Actor, load_actor

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
]


def _actor(session: Session, phone: str) -> Actor:
    user = session.execute(select(User).where(User.phone == phone)).scalar_one()
    return load_actor(session, user)


def _walk(session: Session, proposal: Proposal, actor: Actor, target: str, days_ago: int) -> None:
    """Move a submitted proposal stage by stage to `target`, dating each step in the past."""
    proc = P.PROCEDURES[proposal.procedure]
    when = utcnow() - timedelta(days=days_ago)
    while proposal.state != target:
        when += timedelta(days=max(1, proc.stage(proposal.state).default_days))
        proposals._move(session, proposal, actor.id, P.Action.ADVANCE.value, proc.after(proposal.state).key,
                        None, min(when, utcnow()))
    session.commit()


def load(session: Session, village: Village) -> None:
    villagers = list(session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .join(MemberRole, (MemberRole.membership_id == Membership.id) & (MemberRole.role == "villager"))
        .where(Membership.village_id == village.id, User.status == "active",
               User.birth_date <= adult_born_on_or_before(clock.local_today()))
        .order_by(User.id)
    ).scalars())
    voices = [load_actor(session, u) for u in villagers[10:40]]
    for i, (procedure, target, title, category, phone, body, budget, per_capita) in enumerate(MATTERS):
        author = _actor(session, phone)
        if author.village_id != village.id:
            continue
        draft = ProposalDraft(title=title, body=body, category=category, procedure=procedure,
                              budget_fen=budget * 100 if budget else None,
                              per_capita_fen=per_capita * 100 if per_capita is not None else None,
                              labour_days=1 if procedure == "yishiyiyi" else None,
                              exemptions="五保户、现役军人家庭" if procedure == "yishiyiyi" else None)
        proposal = proposals.create(session, author, village, draft)
        proposal = proposals.transition(session, author, proposal.id, P.Action.SUBMIT.value)
        if proposal.state == "cosign":
            for voice in voices[:8]:
                proposals.cosign(session, voice, proposal.id)
        if proposals.comments_open(proposal):
            _discuss(session, proposal, voices[i % 5:], author)
        if target != proposal.state:
            _walk(session, proposal, author if procedure != "sizheng" else author, target, 60 - 4 * i)


def _discuss(session: Session, proposal: Proposal, voices: list[Actor], author: Actor) -> None:
    first = comments.add(session, voices[0], proposal.id, "支持！这件事早该办了，我家出工没问题。")
    comments.add(session, voices[1], proposal.id, "预算能不能再细一点？材料费和人工费分开列。")
    comments.add(session, author, proposal.id, "好的，下次开会前把明细表贴到公开栏。", parent_id=first.id)
    edited = comments.add(session, voices[2], proposal.id, "建议晚上施工，白天大家要干农活。")
    comments.edit(session, voices[2], edited.id, "建议农闲时施工，白天大家要干农活。")
    if proposal.title == "硬化村东头道路":
        rude = comments.add(session, voices[3], proposal.id, "村干部肯定从中捞钱！谁同意谁就是傻子！")
        committee = author
        comments.hide(session, committee, rude.id, "含有人身攻击。对账目有疑问请向村务监督委员会质询。")


def load_all(session: Session) -> None:
    for village in session.execute(select(Village).order_by(Village.id)).scalars():
        load(session, village)
