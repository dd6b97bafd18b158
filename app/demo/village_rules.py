"""The demo village's 村规民约: drafted by the committee, adopted by the 村民会议 that decided the matter
`RULES_MATTER`, and published on the board after the supervisory committee's review. It waits for the
township's filing (备案), so the township's monitor finds it on the dashboard. Lived through the real
services on a clock set back to the meeting's days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.demo.proposals import CHAIR, CLERK, RULES_MATTER, SUPERVISOR_PHONE, _actor
from app.models import Proposal, Village, VoteSession
from app.services import notices, village_rules

TEXT = """第一章 总则

第一条 为推进村民自治，建设文明和谐的杏花村，依据法律法规，结合本村实际，制定本村规民约。

第二章 社会秩序

第二条 村民应当遵纪守法，邻里和睦，互谅互让。
第三条 爱护村道、路灯、水渠等公共设施，损坏的照价赔偿。

第三章 村风民俗

第十二条 婚丧事宜从简办理，宴席不超过 20 桌，不燃放大型烟花。

第四章 附则

第十三条 本村规民约经村民会议表决通过，报镇人民政府备案后施行。"""


def load(session: Session) -> None:
    village = session.execute(select(Village).where(Village.slug == "xinghua")).scalar_one_or_none()
    matter = session.execute(select(Proposal).where(Proposal.title == RULES_MATTER)).scalar_one_or_none()
    if village is None or matter is None:
        return
    vote = session.execute(select(VoteSession).where(VoteSession.proposal_id == matter.id,
                                                     VoteSession.state == "closed")).scalars().first()
    if vote is None:
        return
    chair, clerk, supervisor = (_actor(session, p) for p in (CHAIR, CLERK, SUPERVISOR_PHONE))
    with clock.frozen(vote.opens_at - timedelta(days=12)):
        rule = village_rules.create(session, chair, village, kind="code", title="杏花村村规民约", body=TEXT,
                                    note="修改第十二条（红白喜事）")
    version = village_rules.rule_view(session, chair, village, rule.id).versions[0]
    with clock.frozen(vote.closed_at + timedelta(hours=1)):
        version = village_rules.adopt(session, chair, village, rule.id, version.id, vote.id)
    with clock.frozen(vote.closed_at + timedelta(hours=2)):
        notices.submit(session, clerk, version.notice_id)
    with clock.frozen(vote.closed_at + timedelta(days=1)):
        notices.review(session, supervisor, version.notice_id, approve=True)
    with clock.frozen(vote.closed_at + timedelta(days=1, hours=1)):
        notices.publish(session, chair, version.notice_id)
