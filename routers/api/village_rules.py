"""A village's own rules (村规民约、村民自治章程): the register and each rule's versions (public), the
committee's drafts and adoption by a 村民会议 vote, the township's filing (备案) and order to correct."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import places, village_rules
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.filings import FilingOut
from schemas.village_rules import (
    AdoptIn,
    NoteIn,
    ReasonIn,
    RuleDetailOut,
    RuleIn,
    RuleOut,
    VersionIn,
    VersionOut,
)

router = APIRouter(tags=["村规民约"], responses=PROBLEMS)


def _detail(view) -> RuleDetailOut:
    return RuleDetailOut(id=view.rule.id, village_id=view.rule.village_id, kind=view.rule.kind,
                         kind_name=view.kind_name, title=view.rule.title, citation=view.citation,
                         versions=[VersionOut.model_validate(v) for v in view.versions],
                         filings={v.number: view.numbers[v.id] for v in view.versions if v.id in view.numbers})


@router.get("/villages/{vid}/village-rules", response_model=PageOut[RuleOut])
def register(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20):
    """The village's rules with their versions in force (public); drafts for the committee."""
    village = places.get_village(db, vid)
    rows = page_list(village_rules.register(db, actor, village), page, per_page)
    return page_out(RuleOut, rows, lambda r: RuleOut(
        id=r.rule.id, village_id=r.rule.village_id, kind=r.rule.kind, kind_name=r.kind_name, title=r.rule.title,
        current=r.current and VersionOut.model_validate(r.current),
        draft=r.draft and VersionOut.model_validate(r.draft)))


@router.post("/villages/{vid}/village-rules", response_model=RuleDetailOut, status_code=201)
def create(vid: int, body: RuleIn, db: DbSession, actor: CurrentActor):
    """A new rule, its first version a draft (the committee)."""
    village = places.get_village(db, vid)
    rule = village_rules.create(db, actor, village, kind=body.kind, title=body.title, body=body.body, note=body.note)
    return _detail(village_rules.rule_view(db, actor, village, rule.id))


@router.get("/villages/{vid}/village-rules/{rid}", response_model=RuleDetailOut)
def detail(vid: int, rid: int, db: DbSession, actor: CurrentActor):
    """One rule, its versions newest first, and their filing numbers (public; drafts for the committee)."""
    village = places.get_village(db, vid)
    return _detail(village_rules.rule_view(db, actor, village, rid))


@router.post("/villages/{vid}/village-rules/{rid}/versions", response_model=VersionOut, status_code=201)
def add_version(vid: int, rid: int, body: VersionIn, db: DbSession, actor: CurrentActor):
    """A revision (修订) as a new draft version; one draft at a time (the committee)."""
    village = places.get_village(db, vid)
    return VersionOut.model_validate(village_rules.add_version(db, actor, village, rid, body=body.body,
                                                               note=body.note))


@router.put("/villages/{vid}/village-rules/{rid}/versions/{version_id}", response_model=VersionOut)
def edit_draft(vid: int, rid: int, version_id: int, body: VersionIn, db: DbSession, actor: CurrentActor):
    """Rewrite a draft version (an adopted one never changes: 409)."""
    village = places.get_village(db, vid)
    return VersionOut.model_validate(village_rules.edit_draft(db, actor, village, rid, version_id, body=body.body,
                                                              note=body.note))


@router.post("/villages/{vid}/village-rules/{rid}/versions/{version_id}/adopt", response_model=VersionOut)
def adopt(vid: int, rid: int, version_id: int, body: AdoptIn, db: DbSession, actor: CurrentActor):
    """Record the closed, passing 村民会议 vote that adopted this draft; its publication is drafted."""
    village = places.get_village(db, vid)
    return VersionOut.model_validate(village_rules.adopt(db, actor, village, rid, version_id, body.vote_session_id))


@router.post("/villages/{vid}/village-rules/{rid}/versions/{version_id}/filing", response_model=FilingOut,
             status_code=201)
def file(vid: int, rid: int, version_id: int, body: NoteIn, db: DbSession, actor: CurrentActor):
    """备案 by a monitor of the village's township: the next number of the township's filing series."""
    village = places.get_village(db, vid)
    return FilingOut.model_validate(village_rules.file(db, actor, village, rid, version_id, body.note))


@router.post("/villages/{vid}/village-rules/{rid}/versions/{version_id}/correction", response_model=VersionOut)
def order_correction(vid: int, rid: int, version_id: int, body: ReasonIn, db: DbSession, actor: CurrentActor):
    """责令改正 by a monitor of the village's township, with a reason the village sees."""
    village = places.get_village(db, vid)
    return VersionOut.model_validate(village_rules.order_correction(db, actor, village, rid, version_id,
                                                                    body.reason))
