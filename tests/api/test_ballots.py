"""Ballots through the API, on both engines: who may vote and when, secrecy, receipts and the public
ballot box, roll-call changes."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, inspect, select, update

from app.domain import votes as V
from app.models import BallotRegister, VoteSession
from app.services import votes
from tests.api.vote_setup import audit_payloads, cast, new_council, new_vote, open_vote, proposal_at_vote, village_of
from tests.factories import items, now, ok, refused


def test_who_may_vote(api, world, db):
    village, committee, clerk, people = village_of(world, 3)
    child = world.member(village, name="小孩", birth_date=date.today() - timedelta(days=365 * 17))
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    sid = new_vote(api, pid, committee, council["id"])["id"]
    opened = ok(api.post(f"/votes/{sid}/open", committee))
    assert opened["state"] == "open" and opened["electorate_size"] == 5  # 17 is not 18
    other, other_committee, _, outsiders = village_of(world, 1)
    monitor = world.monitor(village.township_id)
    nobody = world.user(name="无村籍")

    refused(cast(api, sid, child, 0), 403, "名单")
    refused(cast(api, sid, outsiders[0], 0), 404)
    refused(cast(api, sid, other_committee, 0), 404)
    refused(cast(api, sid, nobody, 0), 404)
    refused(cast(api, sid, monitor, 0), 403, "本村村民")
    refused(cast(api, sid, None, 0), 401)
    refused(cast(api, sid, people[0], 3), 422, "选项")
    refused(cast(api, sid, people[0], -1), 422)
    refused(api.post(f"/votes/{sid}/ballots", people[0], {"choice": "赞成"}), 422, "没有这个选项")
    refused(api.post(f"/votes/{sid}/ballots", people[0], {"choice": True}), 422)
    receipt = ok(cast(api, sid, people[0], 0), 201)
    assert set(receipt) == {"receipt", "changed", "choice", "choice_label"}
    assert len(receipt["receipt"]) == V.RECEIPT_LENGTH and (receipt["choice"], receipt["choice_label"]) == (0, "同意")
    assert receipt["changed"] is False
    refused(cast(api, sid, people[0], 1), 409, "已经投过票")
    assert ok(api.get(f"/votes/{sid}", people[1]))["turnout"] == 1
    # refusals wrote nothing: one ballot, one register row
    assert db.execute(select(func.count()).select_from(BallotRegister).where(
        BallotRegister.vote_session_id == sid)).scalar_one() == 1


def test_no_voting_before_the_opening_and_none_after_the_closing_time(api, world, db):
    village, committee, clerk, people = village_of(world, 4)
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    vote = new_vote(api, pid, committee, council["id"], opens_at=now() + timedelta(hours=1))
    sid = vote["id"]
    refused(cast(api, sid, people[0], 0), 409, "还没有开始")  # a draft
    ok(api.post(f"/votes/{sid}/open", committee))
    refused(cast(api, sid, people[0], 0), 409, "还没有开始")  # open, but before opens_at
    db.execute(update(VoteSession).where(VoteSession.id == sid).values(opens_at=now() - timedelta(minutes=1)))
    db.commit()
    ok(cast(api, sid, people[0], 0), 201)
    ok(cast(api, sid, people[1], 1), 201)
    refused(api.post(f"/votes/{sid}/open", committee), 409)

    # the closing time passes and nobody closes the vote
    db.execute(update(VoteSession).where(VoteSession.id == sid).values(closes_at=now() - timedelta(seconds=1)))
    db.commit()
    refused(cast(api, sid, people[2], 0), 409, "已经结束")
    assert ok(api.get(f"/votes/{sid}", people[3]))["state"] == "open"  # a read closes nothing ...
    votes.close_due(db)  # ... the close_votes job does
    seen = ok(api.get(f"/votes/{sid}", people[3]))
    assert seen["state"] == "closed" and seen["closed_at"] is not None
    assert [c["count"] for c in seen["result"]["counts"]] == [1, 1, 0]
    assert seen["result"]["quorum"]["present"] == 2
    refused(api.post(f"/votes/{sid}/close", committee), 409)
    refused(cast(api, sid, people[3], 0), 409, "已经结束")
    closes = [p for e, p in audit_payloads(db, village.id) if e.action == "vote.close"]
    assert len(closes) == 1 and closes[0]["data"]["automatic"] is True and closes[0]["actor_id"] is None


# --- secrecy, receipts and the public ballot box --------------------------------------------

def test_a_secret_vote_keeps_no_link_between_voter_and_choice(api, world, db, database):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=5)
    sid = vote["id"]
    choices = [(committee, 0), (clerk, 0), (people[0], 1), (people[1], 0), (people[2], 2)]
    receipts = {}
    for user, choice in choices:
        answer = ok(cast(api, sid, user, choice), 201)
        assert set(answer) == {"receipt", "changed", "choice", "choice_label"}
        assert answer["choice"] == choice  # the confirmation right after casting names the choice, once
        receipts[user.id] = answer["receipt"]
    refused(cast(api, sid, people[1], 1), 409, "无记名投票不能改票")

    # my ballot: voted, but neither the choice nor the receipt are kept with the voter
    mine = ok(api.get(f"/votes/{sid}/my-ballot", people[0]))
    assert mine == {"voted": True, "secret": True, "receipt": None, "cast_by_proxy": False}
    assert ok(api.get(f"/votes/{sid}/my-ballot", people[3]))["voted"] is False

    # before close: turnout only, for the committee and the monitor too; no result, no box
    monitor = world.monitor(village.township_id)
    for user in (committee, people[0], monitor):
        seen = ok(api.get(f"/votes/{sid}", user))
        assert seen["turnout"] == 5 and seen["result"] is None
        assert seen["my_ballot"] is None if user is monitor else "choice" not in seen["my_ballot"]
        refused(api.get(f"/votes/{sid}/result", user), 409, "表决结束后才公布结果")
        refused(api.get(f"/votes/{sid}/ballot-box", user), 409)
        # one receipt too: not yet, rather than "not found" (a voter would think theirs was lost)
        refused(api.get(f"/votes/{sid}/receipts/{receipts[committee.id]}", user), 409, "表决结束后才能查回执")
    refused(api.get(f"/votes/{sid}/result"), 401)
    refused(api.get(f"/votes/{sid}/receipts/{receipts[committee.id]}"), 404)  # the public: no such vote yet
    refused(api.get(f"/votes/{sid}"), 401)

    # the storage: the register and the box share nothing but the session
    inspector = inspect(database.engine)
    register = {c["name"] for c in inspector.get_columns("ballot_register")}
    box = {c["name"] for c in inspector.get_columns("ballot_box")}
    assert register & box == {"vote_session_id"}
    assert register == {"vote_session_id", "voter_id", "cast_by"} and box == {"id", "vote_session_id", "choice",
                                                                               "receipt"}

    closed = ok(api.post(f"/votes/{sid}/close", committee))
    assert closed["state"] == "closed" and closed["turnout"] == 5

    # the public ballot box (no login): the choices, without receipts, recount exactly to the result
    public = items(api.get(f"/votes/{sid}/ballot-box"))
    assert all(set(b) == {"choice", "choice_label", "voter"} and b["voter"] is None for b in public)
    result = ok(api.get(f"/votes/{sid}/result"))
    recount = Counter(b["choice_label"] for b in public)
    assert [{"option": o, "count": recount.get(o, 0)} for o in vote["options"]] == result["counts"]
    assert result["counts"] == [{"option": "同意", "count": 3}, {"option": "反对", "count": 1},
                                {"option": "弃权", "count": 1}]
    # the receipts, sorted, apart
    listed = [r["receipt"] for r in items(api.get(f"/votes/{sid}/receipts"))]
    assert listed == sorted(receipts.values())
    # committee members see the same box: no names in a secret vote
    assert items(api.get(f"/votes/{sid}/ballot-box", committee)) == public

    # every voter finds their own receipt: inclusion, never the choice
    for user, _ in choices:
        found = ok(api.get(f"/votes/{sid}/receipts/{receipts[user.id]}"))
        assert found == {"receipt": receipts[user.id], "included": True}
    lower = receipts[people[0].id].lower()
    assert ok(api.get(f"/votes/{sid}/receipts/{lower[:5]}-{lower[5:]}"))["included"] is True
    refused(api.get(f"/votes/{sid}/receipts/ZZZZZZZZZZ"), 404)
    refused(api.get("/votes/999999999/receipts/ZZZZZZZZZZ"), 404)

    # the audit record: ballots have no actor and no choice; no receipt is logged anywhere
    events = audit_payloads(db, village.id)
    ballots = [(e, p) for e, p in events if e.action.startswith("vote.ballot")]
    assert len(ballots) == 5
    for event, payload in ballots:
        assert event.actor_id is None and payload["actor_id"] is None
        assert payload["data"] == {"on_behalf": False}
    raw = b"".join(bytes(e.payload) for e, _ in events)
    assert not any(r.encode() in raw for r in receipts.values())
    voters = {u.id for u, _ in choices}
    for _, payload in events:
        data = payload["data"]
        assert not ("choice" in data and (data.get("voter_id") in voters or payload["actor_id"] in voters))
    # nor do the API's answers about the vote
    for user, _ in choices:
        text = api.get(f"/votes/{sid}", user).text + api.get(f"/votes/{sid}/my-ballot", user).text
        assert not any(r in text for r in receipts.values())


def test_roll_call_ballots_may_be_changed_when_allowed(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, secret=False, allow_change=True)
    sid = vote["id"]
    first = ok(cast(api, sid, people[0], 0), 201)
    assert first["changed"] is False
    second = ok(api.post(f"/votes/{sid}/ballots", people[0], {"choice": "反对"}), 201)  # by its label
    assert second == {"receipt": first["receipt"], "changed": True, "choice": 1, "choice_label": "反对"}
    mine = ok(api.get(f"/votes/{sid}/my-ballot", people[0]))
    assert mine == {"voted": True, "secret": False, "receipt": first["receipt"], "cast_by_proxy": False}
    ok(cast(api, sid, people[1], 0), 201)
    assert ok(api.get(f"/votes/{sid}", committee))["turnout"] == 2
    ok(api.post(f"/votes/{sid}/close", committee))
    refused(cast(api, sid, people[0], 2), 409, "已经结束")
    named = items(api.get(f"/votes/{sid}/ballot-box", people[2]))
    assert sorted((b["voter"], b["choice_label"]) for b in named) == [("村民0", "反对"), ("村民1", "同意")]
    public = items(api.get(f"/votes/{sid}/ballot-box"))
    assert all(b["voter"] is None for b in public) and len(public) == 2
    assert "receipt" not in public[0]
    # roll-call too: the look-up shows inclusion only
    assert ok(api.get(f"/votes/{sid}/receipts/{first['receipt']}")) == {"receipt": first["receipt"],
                                                                        "included": True}
    changes = [p for e, p in audit_payloads(db, village.id) if e.action == "vote.ballot_changed"]
    assert changes[0]["data"] == {"on_behalf": False, "voter_id": people[0].id, "choice": 1, "changed": True}


def test_roll_call_without_change_refuses_a_second_ballot(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, secret=False)
    assert vote["allow_change"] is False
    receipt = ok(cast(api, vote["id"], people[0], 0), 201)["receipt"]
    refused(cast(api, vote["id"], people[0], 1), 409, "不能改票")
    assert "choice" not in ok(api.get(f"/votes/{vote['id']}/my-ballot", people[0]))
    assert ok(api.get(f"/votes/{vote['id']}/my-ballot", people[0]))["receipt"] == receipt
