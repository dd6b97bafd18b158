"""Proxies and paper tallies through the API, on both engines: proxies capped and cast on behalf, the
paper tally recorded by one committee member and confirmed by another, people counted once."""

from __future__ import annotations

from tests.api.vote_setup import audit_payloads, cast, open_vote, village_of
from tests.factories import items, ok, refused

# --- proxies --------------------------------------------------------------------------------

def test_proxies_are_capped_and_cast_on_behalf(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=7)
    sid = vote["id"]
    proxy, *voters = people
    path = f"/votes/{sid}/proxies"
    for voter in voters[:3]:
        row = ok(api.post(path, committee, {"voter_id": voter.id, "proxy_id": proxy.id}), 201)
        assert row == {"voter_id": voter.id, "voter": voter.name, "proxy_id": proxy.id, "proxy": proxy.name,
                       "attachment_id": None}
    refused(api.post(path, committee, {"voter_id": voters[3].id, "proxy_id": proxy.id}), 409, "最多接受 3 份委托")
    refused(api.post(path, committee, {"voter_id": voters[0].id, "proxy_id": voters[4].id}), 409, "委托过了")
    refused(api.post(path, committee, {"voter_id": voters[3].id, "proxy_id": voters[3].id}), 422)
    other, _, _, outsiders = village_of(world, 1)
    refused(api.post(path, committee, {"voter_id": voters[3].id, "proxy_id": outsiders[0].id}), 422, "本村")
    refused(api.post(path, proxy, {"voter_id": voters[3].id, "proxy_id": voters[4].id}), 403)

    listed = items(api.get(path, voters[5]))
    assert sorted(p["voter"] for p in listed) == sorted(v.name for v in voters[:3])
    refused(api.get(path), 401)
    refused(api.get(path, outsiders[0]), 404)

    ok(cast(api, sid, proxy, 0, on_behalf_of=voters[0].id), 201)
    refused(cast(api, sid, voters[0], 1), 409, "已经投过票")
    assert ok(api.get(f"/votes/{sid}/my-ballot", voters[0]))["cast_by_proxy"] is True
    refused(cast(api, sid, voters[4], 0, on_behalf_of=voters[1].id), 403, "书面委托")
    refused(cast(api, sid, proxy, 0, on_behalf_of=voters[3].id), 403)
    ok(cast(api, sid, proxy, 1), 201)  # and their own
    ok(cast(api, sid, voters[1], 2), 201)  # a voter may still vote in person
    refused(cast(api, sid, proxy, 0, on_behalf_of=voters[1].id), 409)
    ok(api.post(path, committee, {"voter_id": voters[5].id, "proxy_id": voters[1].id}), 201)
    refused(api.post(path, committee, {"voter_id": voters[1].id, "proxy_id": voters[4].id}), 409, "已经投过票")

    ok(api.post(f"/votes/{sid}/close", committee))
    result = ok(api.get(f"/votes/{sid}/result", committee))
    assert result["quorum"]["present"] == 3 and [c["count"] for c in result["counts"]] == [1, 1, 1]
    events = [p for e, p in audit_payloads(db, village.id) if e.action == "vote.ballot"]
    assert [p["data"] for p in events] == [{"on_behalf": True}, {"on_behalf": False}, {"on_behalf": False}]
    refused(api.post(path, committee, {"voter_id": voters[4].id, "proxy_id": voters[5].id}), 409, "已经结束")


# --- in-person meetings -----------------------------------------------------------------------

def test_paper_tally_needs_a_second_member_and_counts_people_once(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=6)
    sid = vote["id"]  # electorate 8: quorum needs more than 4 present
    ok(cast(api, sid, people[0], 0), 201)  # votes online, then also signs in at the meeting
    present = [p.id for p in people[:4]]  # four signed in: three paper ballots at most
    path = f"/votes/{sid}/paper-tally"
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [3, 1, 1], "invalid": 0}), 422,
            "超过签到人数")
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [2, 1, 0], "invalid": 1}), 422,
            "已在网上投票")
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [2, 1], "invalid": 0}), 422, "每个选项")
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [2, -1, 0], "invalid": 0}), 422)
    _, _, _, outsiders = village_of(world, 1)
    newcomer = world.member(village, name="新迁入")
    for stranger in (outsiders[0], newcomer):
        refused(api.post(path, committee, {"present_user_ids": [*present, stranger.id], "counts": [1, 0, 0],
                                           "invalid": 0}), 422, "不在本次表决的名单中")
    refused(api.post(path, people[1], {"present_user_ids": present, "counts": [1, 1, 0], "invalid": 1}), 403)
    refused(api.get(path, committee), 404, "还没有录入")
    refused(api.post(f"{path}/confirm", clerk), 409, "还没有录入")

    recorded = ok(api.post(path, committee, {"present_user_ids": present, "counts": [1, 1, 0], "invalid": 1,
                                             "minutes": "村委会议室，签到 4 人"}), 201)
    assert recorded["confirmed"] is False and len(recorded["present"]) == 4
    assert recorded["counts"] == [{"option": "同意", "count": 1}, {"option": "反对", "count": 1},
                                  {"option": "弃权", "count": 0}]
    refused(cast(api, sid, people[1], 0), 409, "现场")  # signed in: their paper ballot stands
    refused(api.post(f"/votes/{sid}/close", committee), 409, "确认")
    refused(api.post(f"{path}/confirm", committee), 409, "另一名")
    refused(api.post(f"{path}/confirm", people[1]), 403)
    confirmed = ok(api.post(f"{path}/confirm", clerk))
    assert confirmed["confirmed"] is True and confirmed["confirmed_by"] == clerk.id
    refused(api.post(f"{path}/confirm", clerk), 409, "确认过了")
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [1, 1, 0], "invalid": 0}), 409)
    assert ok(api.get(path, people[5]))["minutes"] == "村委会议室，签到 4 人"

    ok(cast(api, sid, people[4], 0), 201)  # one more online
    ok(api.post(f"/votes/{sid}/close", committee))
    result = ok(api.get(f"/votes/{sid}/result", people[5]))
    # five different people took part (people[0] signed in and voted online: counted once)
    quorum = result["quorum"]
    assert (quorum["required"], quorum["present"], quorum["met"]) == (5, 5, True)
    assert result["duplicates"] == [people[0].name]
    assert [c["count"] for c in result["counts"]] == [3, 1, 0] and result["invalid"] == 1
    assert result["passed"] is True  # 3 of 5 present
    assert ok(api.get(f"/votes/{sid}/result"))["duplicates"] is None  # names are not for the public
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [1, 1, 0], "invalid": 0}), 409)
