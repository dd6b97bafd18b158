"""The fan-out on both engines: each event in a village's audit record reaches the people it concerns,
once, never the one who acted; what services already tell directly is not told twice; running the
job again tells nobody again; the vote-closing reminder goes once to those who have not voted; and the
outbox gets a delivery only for the channels a person turned on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.domain import delivery as D
from app.models import Delivery, FanoutCursor, Notification, NotificationSetting
from app.services import fanout, jobs, notifications
from tests.api.test_notices import draft, published
from tests.api.vote_setup import cast, open_vote
from tests.factories import Staff, now, ok


def told(db, village, action: str) -> dict[int, list[str]]:
    """Who got a message about `action` in the village: user id → the texts."""
    out: dict[int, list[str]] = {}
    for uid, text in db.execute(select(Notification.user_id, Notification.text).where(
            Notification.village_id == village.id, Notification.event_key.like(f"{action}:%"))):
        out.setdefault(uid, []).append(text)
    return out


def run(db, village) -> int:
    return fanout.run(db, chains=[village.id])


def everyone(s: Staff) -> set[int]:
    return {u.id for u in (s.committee, s.party, s.supervisor, s.accountant, s.villager, s.neighbour)}


def test_a_notice_submitted_and_published_reaches_the_reviewers_then_every_member_once(api, world, db):
    s = Staff(world)
    notice = published(api, s)
    assert run(db, s.village) == 1 + 5
    # submitted: the supervisory committee only (the author is not a reviewer of their own notice)
    assert set(told(db, s.village, "notice.submit")) == {s.supervisor.id}
    # published: every member but the one who published it, each once
    publish = told(db, s.village, "notice.publish")
    assert set(publish) == everyone(s) - {s.committee.id}
    assert all(texts == [f"{s.village.name}发布了村务公开：《{notice['title']}》"] for texts in publish.values())
    # the approval was told by the notice service itself, to the author, and not again here
    mine = db.execute(select(Notification.text, Notification.event_key).where(
        Notification.user_id == s.committee.id)).all()
    assert [(t, k) for t, k in mine if "通过审核" in t] == [(f"《{notice['title']}》已通过审核，可以发布", None)]
    assert told(db, s.village, "notice.approve") == {}
    # a second run (and the job over every chain) tells nobody again
    assert run(db, s.village) == 0
    jobs.run_due(db.get_bind(), world.settings, only="fanout")
    assert {u: len(t) for u, t in told(db, s.village, "notice.publish").items()} == dict.fromkeys(publish, 1)
    cursor = db.get(FanoutCursor, s.village.id)
    db.refresh(cursor)
    assert cursor.seq > 0


def test_a_party_notice_is_published_without_review_and_told_to_members(api, world, db):
    s = Staff(world)
    nid = draft(api, s, s.party, {"category": "party", "title": "党费收缴情况", "body": "应缴 3 人，实缴 3 人。"})["id"]
    ok(api.post(f"/notices/{nid}/publish", s.party))
    run(db, s.village)
    assert told(db, s.village, "notice.submit") == {}
    assert set(told(db, s.village, "notice.publish")) == everyone(s) - {s.party.id}


def test_an_objection_reaches_the_publishers_of_its_notice(api, world, db):
    s = Staff(world)
    clerk = world.member(s.village, "committee", name="文书")
    notice = published(api, s)
    run(db, s.village)
    ok(api.post(f"/notices/{notice['id']}/objections", s.villager, {"body": "请说明中标价的来源。"}), 201)
    assert run(db, s.village) == 2
    raised = told(db, s.village, "objection.create")
    assert set(raised) == {s.committee.id, clerk.id}  # the committee publishes village notices
    assert raised[clerk.id] == [f"《{notice['title']}》收到一条质询，请及时答复"]


def test_a_vote_opened_reaches_its_electorate_but_the_one_who_opened_it(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=4)
    run(db, village)
    opened = told(db, village, "vote.open")
    assert set(opened) == {clerk.id, *(p.id for p in people)}
    assert all(t[0].startswith("表决开始了：是否同意硬化村东头道路？") for t in opened.values())


@pytest.mark.parametrize("secret", [True, False])
def test_a_vote_closing_within_a_day_reminds_only_those_who_have_not_voted_once(api, world, db, secret):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=3, secret=secret)
    ok(cast(api, vote["id"], people[0], 0), 201)
    fanout.remind_closing(db)
    key = f"vote.closing:{vote['id']}"
    reminded = dict(db.execute(select(Notification.user_id, Notification.text)
                               .where(Notification.event_key == key)).all())
    assert set(reminded) == {committee.id, clerk.id, people[1].id, people[2].id}
    assert "你还没有投票" in reminded[clerk.id]
    ok(cast(api, vote["id"], people[1], 1), 201)
    fanout.remind_closing(db)  # once per vote: nobody is reminded again
    again = db.execute(select(func.count()).select_from(Notification).where(Notification.event_key == key))
    assert again.scalar_one() == 4


def test_a_vote_closing_later_than_a_day_reminds_nobody_yet(api, world, db):
    from tests.api.vote_setup import new_council, new_vote, proposal_at_vote, village_of

    village, committee, clerk, people = village_of(world, 2)
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    vote = new_vote(api, pid, committee, council["id"], closes_at=now() + timedelta(days=3))
    ok(api.post(f"/votes/{vote['id']}/open", committee))
    fanout.remind_closing(db)
    assert not notifications.already_told(db, f"vote.closing:{vote['id']}")


def _village_of_twelve(world):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    people = [world.member(village, name=f"村民{i}") for i in range(11)]
    return village, committee, people


def test_a_matter_moved_or_returned_reaches_its_author_and_cosigners(api, world, db):
    village, committee, (author, cosigner, *_) = _village_of_twelve(world)
    body = {"title": "修村口的桥", "body": "桥面开裂，建议加固。", "category": "facilities", "procedure": "yishiyiyi"}
    pid = ok(api.post(f"/villages/{village.id}/proposals", author, body), 201)["id"]
    assert ok(api.post(f"/proposals/{pid}/transitions", author, {"action": "submit"}))["state"] == "cosign"
    ok(api.post(f"/proposals/{pid}/cosign", cosigner), 201)
    ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "return", "note": "请补上预算表"}))
    run(db, village)
    # enough co-signers moved it on by itself: the author is told, the co-signer who tipped it is not
    assert told(db, village, "proposal.cosigned") == {author.id: ["你提出或联署的《修村口的桥》进入“商事（公开商议）”"]}
    returned = told(db, village, "proposal.return")
    assert returned == dict.fromkeys((author.id, cosigner.id), ["你提出或联署的《修村口的桥》被退回修改：请补上预算表"])
    assert committee.id not in returned


def test_a_reply_reaches_the_author_of_the_comment_replied_to_and_a_comment_nobody(api, world, db):
    village, committee, (alice, bob, *_) = _village_of_twelve(world)
    from tests.factories import proposal_in_deliberation

    pid = proposal_in_deliberation(api.client, world, village, committee)
    first = ok(api.post(f"/proposals/{pid}/comments", alice, {"body": "同意，早该修了。"}), 201)
    ok(api.post(f"/proposals/{pid}/comments", bob, {"body": "我也同意。", "parent_id": first["id"]}), 201)
    ok(api.post(f"/proposals/{pid}/comments", alice, {"body": "谢谢。", "parent_id": first["id"]}), 201)  # own
    run(db, village)
    replies = told(db, village, "comment.create")
    assert set(replies) == {alice.id}
    assert replies[alice.id] == [f"{bob.name}回复了你在《修村口的路》下的评论"]


def test_stale_events_are_not_news(api, world, db, clock):
    s = Staff(world)
    published(api, s)
    clock.travel(days=3)
    assert run(db, s.village) == 0
    assert told(db, s.village, "notice.publish") == {}


# --- the outbox's channels -----------------------------------------------------------------------------


def _choose(db, user, **channels) -> None:
    row = NotificationSetting(user_id=user.id, **channels)
    db.merge(row)
    db.commit()


def deliveries_of(db, user) -> dict[str, str]:
    return dict(db.execute(select(Delivery.channel, Delivery.state).where(Delivery.user_id == user.id)).all())


def test_deliveries_are_enqueued_only_for_the_channels_a_person_turned_on(api, world, db):
    s = Staff(world)
    _choose(db, s.villager, sms=True)
    _choose(db, s.neighbour, email=True, digest=True, email_address="neighbour@example.com")
    _choose(db, s.accountant, email=True)  # no address: nothing can go by e-mail
    _choose(db, s.supervisor, sms=False, email=False, digest=False, email_address="sup@example.com")
    published(api, s)
    run(db, s.village)
    assert deliveries_of(db, s.villager) == {D.SMS: D.PENDING}
    assert deliveries_of(db, s.neighbour) == {D.EMAIL: D.PENDING, D.DIGEST: D.PENDING}
    assert deliveries_of(db, s.accountant) == {}
    assert deliveries_of(db, s.supervisor) == {}
    assert deliveries_of(db, s.party) == {}  # no row at all: everything off
    # one delivery per message and channel, however often it is told
    run(db, s.village)
    assert db.execute(select(func.count()).select_from(Delivery).where(Delivery.user_id == s.neighbour.id)) \
        .scalar_one() == 2


def test_a_direct_message_is_enqueued_with_it_for_the_channels_turned_on(world, db):
    s = Staff(world)
    _choose(db, s.villager, sms=True, digest=True, email_address="v@example.com")
    note = notifications.notify(db, s.villager.id, s.village.id, "你的评论已被隐藏，理由：无关", "/me/notifications")
    db.commit()
    rows = db.execute(select(Delivery).where(Delivery.notification_id == note.id)).scalars().all()
    assert {r.channel for r in rows} == {D.SMS, D.DIGEST}
    digest = next(r for r in rows if r.channel == D.DIGEST)
    assert digest.next_attempt_at == D.next_digest_at(digest.created_at)
    # nothing for a person with no choices
    other = notifications.notify(db, s.neighbour.id, s.village.id, "你好")
    db.commit()
    assert db.execute(select(Delivery).where(Delivery.notification_id == other.id)).first() is None


def test_a_notice_of_long_ago_entered_with_its_own_date_is_no_news(world, db):
    from app.services import audit
    from tests.api.test_notices import insert_published

    s = Staff(world)
    nid = insert_published(db, s.village.id, "village", now() - timedelta(days=200), title="上半年村务公开")
    audit.record(db, village_id=s.village.id, actor_id=s.committee.id, action="notice.publish", entity="notice",
                 entity_id=nid)  # recorded now, as an import of old notices does
    db.commit()
    assert run(db, s.village) == 0 and told(db, s.village, "notice.publish") == {}
    assert db.get(FanoutCursor, s.village.id) is not None  # read past, all the same


def test_two_fanout_runs_at_once_tell_each_member_once(api, world, db, database):
    import threading

    from sqlmodel import Session

    s = Staff(world)
    published(api, s)
    start = threading.Barrier(2)

    def worker():
        with Session(database.engine, expire_on_commit=False) as own:
            start.wait()
            fanout.run(own, chains=[s.village.id])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    publish = told(db, s.village, "notice.publish")
    assert {u: len(t) for u, t in publish.items()} == dict.fromkeys(everyone(s) - {s.committee.id}, 1)
