"""The world the authorization matrices (tests/api/test_authorization_matrix.py and
tests/web/test_web_authorization.py) probe: one of every object the app addresses by id, in one
village V, and the five callers that knock on it.

    township T ── village V: committee (two), supervisor, villager (the caller), neighbour; a monitor of T
    township T2 ─ village W: committee, villager; a monitor of T2

Objects of V: a proposal in deliberation (comments open) with a comment and an attachment; a
proposal at its vote stage with a council and an open vote; a second vote, closed, with a ballot
(its receipt) and a confirmed paper tally; a published notice with an objection (raised by the
neighbour) and a draft notice; its books (last month closed and published, a draft voucher this
month); a passed 一事一议 matter with its households' shares, a lease and a fixed asset; a draft meeting and a
request to convene; a comment the neighbour dictated, recorded by the committee and waiting for a
second member's confirmation (代录).

Also here: the route table of an app (`routes`), the path filler and the audit heads a refused call
must leave alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlmodel import Session

from app.clock import local_today
from app.domain.books import period_of, previous_period
from app.domain.procedures import PROCEDURES
from app.models import Membership, Proposal, Township, User, Village
from app.services import audit, cases, seals
from app.services.access import load_actor
from tests.api.vote_setup import new_council, new_vote, proposal_at_vote
from tests.factories import Api, World, ok, png, proposal_in_deliberation

# The five callers of the matrix, in the order of every row of expectations.
CALLERS = ("anonymous", "villager", "outsider", "other_committee", "other_monitor")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

VILLAGE_NOTICE = {"category": "village", "title": "村道硬化工程招标结果公示",
                  "body": "中标单位：某某建筑公司，中标价 58 万元。", "days": 15}


@dataclass
class MatrixWorld:
    db: Session
    T: int
    T2: int
    V: Village
    W: Village
    committee: User
    clerk: User
    supervisor: User
    villager: User
    neighbour: User
    monitor: User  # of T
    w_committee: User
    w_villager: User
    w_monitor: User  # of T2
    county_id: int  # T's county
    ids: dict[str, int | str] = field(default_factory=dict)
    client: Any = None  # the client the world was built with, and its API helper (cached tokens)
    api: Api | None = None
    browsers: dict = field(default_factory=dict)  # the web matrix's logged-in clients, by caller

    def caller(self, name: str) -> User | None:
        return {"anonymous": None, "villager": self.villager, "outsider": self.w_villager,
                "other_committee": self.w_committee, "other_monitor": self.w_monitor}[name]

    def heads(self) -> dict[str, int]:
        """The audit sequence of V, of W and of the platform chain (townships, monitors)."""
        self.db.expire_all()
        return {"V": audit.head(self.db, self.V.id)[0], "W": audit.head(self.db, self.W.id)[0],
                "platform": audit.head(self.db, 0)[0]}


def build(db: Session, settings, client) -> MatrixWorld:
    """Every object of V, set up through the API as its people would (about forty calls)."""
    world = World(db, settings)
    api = Api(client)
    t, t2 = world.township(), world.township()
    v, w = world.village(t), world.village(t2)
    committee = world.member(v, "committee", name="主任")
    clerk = world.member(v, "committee", name="文书")
    supervisor = world.member(v, "supervisor", name="监委会主任")
    villager = world.member(v, name="村民甲")
    neighbour = world.member(v, name="村民乙")
    m = MatrixWorld(db=db, T=t, T2=t2, V=v, W=w, committee=committee, clerk=clerk, supervisor=supervisor,
                    villager=villager, neighbour=neighbour, monitor=world.monitor(t),
                    w_committee=world.member(w, "committee", name="外村主任"),
                    w_villager=world.member(w, name="外村村民"), w_monitor=world.monitor(t2),
                    county_id=db.get(Township, t).county_id, client=client, api=api)
    ids = m.ids
    ids.update(vid=v.id, slug=v.slug, tid=t, member=neighbour.id, monitor_uid=m.monitor.id)

    # a proposal in deliberation: comments open; a comment by the committee and a file
    pid = proposal_in_deliberation(client, world, v, committee)
    ids["proposal"] = pid
    ids["comment"] = ok(api.post(f"/proposals/{pid}/comments", committee, {"body": "先把预算摊开说清楚。"}), 201)["id"]
    ids["attachment"] = ok(api.upload(f"/proposals/{pid}/attachments", committee, png()), 201)["id"]

    # a proposal at its vote stage, a council and an open vote (everyone above is in the electorate)
    ids["vote_proposal"] = proposal_at_vote(api, db, v, committee)
    ids["council"] = new_council(api, v, committee)["id"]
    vote = new_vote(api, ids["vote_proposal"], committee, ids["council"])
    ids["vote"] = ok(api.post(f"/votes/{vote['id']}/open", committee))["id"]

    # a closed vote: the neighbour voted online, the supervisor on paper (recorded and confirmed)
    closing = proposal_at_vote(api, db, v, committee, title="修建村口水塘护栏")
    done = new_vote(api, closing, committee, ids["council"])
    sid = ok(api.post(f"/votes/{done['id']}/open", committee))["id"]
    ids["receipt"] = ok(api.post(f"/votes/{sid}/ballots", neighbour, {"choice": 0}), 201)["receipt"]
    counts = [1] + [0] * (len(done["options"]) - 1)
    ok(api.post(f"/votes/{sid}/paper-tally", committee,
                {"present_user_ids": [supervisor.id], "counts": counts, "invalid": 0}), 201)
    ok(api.post(f"/votes/{sid}/paper-tally/confirm", clerk))
    assert ok(api.post(f"/votes/{sid}/close", committee))["state"] == "closed"
    ids["closed_vote"] = sid

    # a published notice with the neighbour's objection, and a draft
    nid = ok(api.post(f"/villages/{v.id}/notices", committee, VILLAGE_NOTICE), 201)["id"]
    ok(api.post(f"/notices/{nid}/submit", committee))
    ok(api.post(f"/notices/{nid}/review", supervisor, {"approve": True}))
    ok(api.post(f"/notices/{nid}/publish", committee))
    ids["notice"] = nid
    ids["objection"] = ok(api.post(f"/notices/{nid}/objections", neighbour, {"body": "中标价为什么比预算高？"}),
                          201)["id"]
    ids["draft_notice"] = ok(api.post(f"/villages/{v.id}/notices", committee, VILLAGE_NOTICE), 201)["id"]
    add_books(m)
    add_funds(m, world)
    add_cases(m)
    add_village_rules(m)
    add_meetings(m)
    add_assisted(m, settings)
    seals.seal_chain(db, settings, v.id)  # V's chain sealed once: its latest seal is public
    db.commit()
    return m


def add_meetings(m: MatrixWorld) -> None:
    """A draft meeting of V's council a week ahead ("meeting") and the neighbour's request to convene a
    村民会议 ("petition")."""
    from datetime import timedelta

    from app.clock import utcnow
    from app.services import meetings, petitions

    meeting = meetings.create(m.db, load_actor(m.db, m.committee), m.V, council_id=m.ids["council"], title="村民会议",
                              starts_at=utcnow() + timedelta(days=7), place="村部", items=["通报村务"])
    m.ids["meeting"] = meeting.id
    m.ids["petition"] = petitions.create_petition(m.db, load_actor(m.db, m.neighbour), m.V, kind="assembly",
                                                  reason="讨论村集体土地流转").id


def add_assisted(m: MatrixWorld, settings) -> None:
    """A comment the neighbour dictated, recorded by V's committee for them and waiting for a second
    member's confirmation ("assisted")."""
    from app.services import assisted

    act = assisted.record(m.db, settings, load_actor(m.db, m.committee), m.V, kind="comment",
                          user_id=m.neighbour.id, target_id=m.ids["proposal"], body="桥要修宽一点。")
    m.ids["assisted"] = act.id


def add_village_rules(m: MatrixWorld) -> None:
    """V's 村规民约 with its first version still a draft ("village_rule", "rule_version")."""
    from app.services import village_rules

    rule = village_rules.create(m.db, load_actor(m.db, m.committee), m.V, kind="code", title="村规民约",
                                body="第一条 爱护公共设施。")
    m.ids["village_rule"] = rule.id
    m.ids["rule_version"] = village_rules.rule_view(m.db, load_actor(m.db, m.committee), m.V, rule.id).versions[0].id


def add_cases(m: MatrixWorld) -> None:
    """An objection of V left unanswered past its deadline and escalated to the township ("case",
    "escalated_objection"), and a report (举报) the neighbour made ("report")."""
    from datetime import timedelta

    from app.clock import utcnow
    from app.models import Objection

    db, ids = m.db, m.ids
    late = utcnow() - timedelta(days=20)
    objection = Objection(village_id=m.V.id, notice_id=ids["notice"], author_id=m.neighbour.id,
                          body="账目什么时候公开？", created_at=late, due_at=late + timedelta(days=10))
    db.add(objection)
    db.commit()
    assert cases.escalate_due(db) >= 1
    ids["escalated_objection"] = objection.id
    ids["case"] = cases.case_of_objection(db, load_actor(db, m.neighbour), objection.id).case.id
    ids["report"] = cases.create_report(db, load_actor(db, m.neighbour), m.V, "村里的账有问题，请乡镇查一查。").id


def voucher_body(day: str) -> dict:
    return {"date": day, "summary": "收鱼塘承包费",
            "lines": [{"account": "102", "debit": 500_000}, {"account": "501", "credit": 500_000}]}


def contract_body() -> dict:
    """A lease from last month's first day for two years, one instalment due that day."""
    start = f"{previous_period(period_of(local_today()))}-01"
    return {"kind": "lease", "subject": "村东鱼塘", "counterparty": "王某", "start_date": start,
            "end_date": f"{int(start[:4]) + 2}{start[4:]}", "income_code": "501",
            "schedule": [{"due_date": start, "amount": 1_200_000}]}


def add_books(m: MatrixWorld) -> None:
    """V's books, through the API as its committee keeps them: opened last month with a sub-account
    (ids "account"), a voucher of last month posted ("voucher"), last month closed ("period") and its
    finance notice published, so the voucher and the month are public; a draft voucher this month
    ("draft_voucher"), whose month ("open_period") is the readers' only."""
    api, vid, ids = m.api, m.V.id, m.ids
    this = period_of(local_today())
    last = previous_period(this)
    ok(api.post(f"/villages/{vid}/ledger", m.committee, {"first_period": last}), 201)
    ids["account"] = ok(api.post(f"/villages/{vid}/accounts", m.committee,
                                 {"parent": "112", "code": "11201", "name": "张三"}), 201)["code"]
    posted = ok(api.post(f"/villages/{vid}/vouchers", m.committee, voucher_body(f"{last}-01")), 201)["id"]
    ok(api.post(f"/vouchers/{posted}/review", m.clerk))
    ok(api.post(f"/vouchers/{posted}/post", m.committee))
    nid = ok(api.post(f"/villages/{vid}/periods/{last}/close", m.committee))["notice_id"]
    ok(api.post(f"/notices/{nid}/submit", m.committee))
    ok(api.post(f"/notices/{nid}/review", m.supervisor, {"approve": True}))
    ok(api.post(f"/notices/{nid}/publish", m.committee))
    draft = ok(api.post(f"/villages/{vid}/vouchers", m.committee, voucher_body(local_today().isoformat())), 201)
    ids.update(voucher=posted, draft_voucher=draft["id"], period=last, open_period=this)


def add_funds(m: MatrixWorld, world: World) -> None:
    """A passed 一事一议 matter with its households' shares ("fund_proposal", a household "household"),
    a lease with an instalment due ("contract", "instalment") and a fixed asset ("asset")."""
    api, vid, ids, db = m.api, m.V.id, m.ids, m.db
    home = world.member(m.V, name="村民丙", household="M-1")
    pid = proposal_at_vote(api, db, m.V, m.committee, title="安装路灯")
    proposal = db.get(Proposal, pid)
    keys = [s.key for s in PROCEDURES["yishiyiyi"].stages]
    proposal.state, proposal.per_capita_fen, proposal.labour_days = keys[keys.index("vote") + 1], 1000, 1
    db.add(proposal)
    db.commit()
    ok(api.post(f"/proposals/{pid}/fund/obligations", m.committee))
    ids["fund_proposal"] = pid
    ids["household"] = db.execute(select(Membership.household_id).where(Membership.user_id == home.id)).scalar_one()
    contract = ok(api.post(f"/villages/{vid}/contracts", m.committee, contract_body()), 201)
    ids["contract"], ids["instalment"] = contract["id"], contract["instalments"][0]["id"]
    ids["asset"] = ok(api.post(f"/villages/{vid}/assets", m.committee,
                               {"name": "村部电脑", "value": 500_000, "acquired_on": local_today().isoformat()}),
                      201)["id"]


# --- the route table ------------------------------------------------------------------------------

def routes(app) -> list[tuple[str, str]]:
    """Every (method, path template) the app routes to a handler, HEAD aside.

    FastAPI 0.16x keeps included routers lazily (`app.routes` holds `_IncludedRouter` entries);
    `iter_route_contexts` is how its own OpenAPI generation walks them."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # an older FastAPI: the routes are flat
        contexts = [r for r in app.routes if isinstance(r, APIRoute)]
    else:
        contexts = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
    return sorted({(m, c.path) for c in contexts for m in (c.methods or ()) if m != "HEAD"})


PARAM = re.compile(r"{(\w+)}")


def fill(template: str, ids: dict, names: dict[str, str]) -> str:
    """The template with each {param} replaced by the id named for it (`names`: param → key of ids)."""
    return PARAM.sub(lambda mt: str(ids[names[mt.group(1)]]), template)


def split_key(key: str) -> tuple[str, str, str | None]:
    """'GET /votes/{sid} [closed]' → ('GET', '/votes/{sid}', 'closed')."""
    head, _, variant = key.partition(" [")
    method, _, path = head.partition(" ")
    return method, path, variant.rstrip("]") or None
