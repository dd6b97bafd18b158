"""A matter's notice stage (公示) waits for every objection to be answered, across corrections.

The rule (domain/notices.stage_complete): the latest version of the stage's notice is published,
its window is over, and no objection raised against any version is left without a reply."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.domain import notices as N
from app.models import Proposal
from tests.api.test_notices import VILLAGE_NOTICE, proposal_at_vote, published
from tests.factories import Staff, now, ok, refused

HELD = "还有质询没有答复"


@pytest.mark.parametrize("published_, ended, unanswered, done", [
    (False, False, 0, False),
    (True, False, 0, False),
    (True, True, 1, False),
    (True, True, 0, True),
    (True, False, 2, False),
])
def test_the_rule_at_its_edges(published_, ended, unanswered, done):
    assert N.stage_complete(published=published_, window_ended=ended, unanswered_objections=unanswered) is done


def _matter_in_notice_stage(api, db, s: Staff, title: str) -> int:
    pid = proposal_at_vote(api, db, s, title)
    db.execute(update(Proposal).where(Proposal.id == pid).values(state="notice", stage_entered_at=now()))
    db.commit()
    return pid


def advance(api, s: Staff, pid: int):
    return api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"})


def test_an_unanswered_objection_holds_the_stage_until_it_is_answered(api, world, db, clock):
    s = Staff(world)
    pid = _matter_in_notice_stage(api, db, s, "修建村民活动室")
    notice = published(api, s, {**VILLAGE_NOTICE, "proposal_id": pid})
    objection = ok(api.post(f"/notices/{notice['id']}/objections", s.villager, {"body": "预算为什么这么高？"}), 201)
    clock.travel(days=16)
    refused(advance(api, s, pid), 409, HELD)
    ok(api.post(f"/objections/{objection['id']}/reply", s.committee, {"body": "含两年的维护费用，明细已附。"}))
    assert ok(advance(api, s, pid))["state"] == "review"


def test_a_correction_carries_the_earlier_versions_objections_and_its_own_window(api, world, db, clock):
    s = Staff(world)
    pid = _matter_in_notice_stage(api, db, s, "修建村卫生室")
    first = published(api, s, {**VILLAGE_NOTICE, "proposal_id": pid})
    objection = ok(api.post(f"/notices/{first['id']}/objections", s.neighbour, {"body": "中标价写错了吧？"}), 201)
    clock.travel(days=3)
    correction = ok(api.post(f"/notices/{first['id']}/revise", s.committee,
                             {"title": first["title"], "body": first["body"] + "\n\n更正：中标价 56 万元。"}), 201)
    ok(api.post(f"/notices/{correction['id']}/submit", s.committee))
    ok(api.post(f"/notices/{correction['id']}/review", s.supervisor, {"approve": True}))
    ok(api.post(f"/notices/{correction['id']}/publish", s.committee))
    clock.travel(days=13)  # the first window (15 days) is over, the correction's is not
    refused(advance(api, s, pid), 409)
    clock.travel(days=3)  # both windows are over, the objection on the first version is still open
    refused(advance(api, s, pid), 409, HELD)
    ok(api.post(f"/objections/{objection['id']}/reply", s.committee, {"body": "已更正为 56 万元。"}))
    assert ok(advance(api, s, pid))["state"] == "review"


def test_the_reply_deadline_is_not_a_way_around_the_hold(api, world, db, clock):
    s = Staff(world)
    pid = _matter_in_notice_stage(api, db, s, "修建垃圾收集点")
    notice = published(api, s, {**VILLAGE_NOTICE, "proposal_id": pid})
    ok(api.post(f"/notices/{notice['id']}/objections", s.villager, {"body": "选址离水井太近。"}), 201)
    clock.travel(days=30)  # past the window and the reply deadline: overdue on the dashboard, still holding
    refused(advance(api, s, pid), 409, HELD)
