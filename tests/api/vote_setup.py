"""What the API tests of councils, votes, ballots and paper tallies set up: a village with its
committee, a proposal at its vote stage, a council, an open vote."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.models import AuditEvent, Proposal
from tests.factories import Api, iso, now, ok


def village_of(world, villagers: int = 4, *roles: str, prefix: str = "村民"):
    """A village with two committee members (主任, 文书) and `villagers` adults with `roles`."""
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    clerk = world.member(village, "committee", name="文书")
    people = [world.member(village, *roles, name=f"{prefix}{i}") for i in range(villagers)]
    return village, committee, clerk, people


def proposal_at_vote(api: Api, db, village, committee, *, procedure: str = "yishiyiyi",
                     title: str = "硬化村东头道路") -> int:
    body = {"title": title, "body": "修 300 米水泥路。", "category": "facilities", "procedure": procedure}
    pid = ok(api.post(f"/villages/{village.id}/proposals", committee, body), 201)["id"]
    ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "submit"}))
    # the minimum days of deliberation have passed
    db.execute(update(Proposal).where(Proposal.id == pid).values(stage_entered_at=now() - timedelta(days=30)))
    db.commit()
    assert ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "advance"}))["state"] == "vote"
    return pid


def new_council(api: Api, village, committee, kind: str = "assembly", **extra) -> dict:
    return ok(api.post(f"/villages/{village.id}/councils", committee, {"kind": kind, **extra}), 201)


def new_vote(api: Api, pid: int, committee, council_id: int, *, secret: bool = True, allow_change: bool = False,
             opens_at: datetime | None = None, closes_at: datetime | None = None, **extra) -> dict:
    body = {"council_id": council_id, "question": "是否同意硬化村东头道路？", "secret": secret,
            "allow_change": allow_change, "opens_at": iso(opens_at or now() - timedelta(minutes=1)),
            "closes_at": iso(closes_at or now() + timedelta(days=1)), **extra}
    return ok(api.post(f"/proposals/{pid}/votes", committee, body), 201)


def open_vote(api: Api, world, db, *, villagers: int = 4, secret: bool = True, allow_change: bool = False,
              kind: str = "assembly", roles: tuple[str, ...] = ()):
    """A village, a proposal at its vote stage and an open vote of its assembly."""
    village, committee, clerk, people = village_of(world, villagers, *roles)
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee, kind)
    vote = new_vote(api, pid, committee, council["id"], secret=secret, allow_change=allow_change)
    vote = ok(api.post(f"/votes/{vote['id']}/open", committee))
    return village, committee, clerk, people, pid, vote


def cast(api: Api, sid: int, user, choice: int, **extra):
    return api.post(f"/votes/{sid}/ballots", user, {"choice": choice, **extra})


def audit_payloads(db, village_id: int) -> list[tuple[AuditEvent, dict]]:
    rows = db.execute(select(AuditEvent).where(AuditEvent.village_id == village_id).order_by(AuditEvent.seq))
    return [(e, json.loads(bytes(e.payload))) for e in rows.scalars()]
