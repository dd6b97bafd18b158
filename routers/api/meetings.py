"""Meetings (会议) and requests to convene (提议召集) through the API: the same actions as the pages."""

from __future__ import annotations

from fastapi import APIRouter, File, UploadFile

from app.services import attachments, meetings, petitions, places
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage, SettingsDep
from schemas.attachments import AttachmentOut
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.meetings import (
    AnnounceIn,
    AttendanceOut,
    CheckinOpenOut,
    CodeIn,
    ConveneIn,
    ItemIn,
    ItemOut,
    MeetingDetailOut,
    MeetingIn,
    MeetingOut,
    MinutesIn,
    PaperIn,
    PetitionIn,
    PetitionOut,
    ReasonIn,
    VoteLinkIn,
)

router = APIRouter(tags=["会议"], responses=PROBLEMS)


def _detail(view) -> MeetingDetailOut:
    m = view.meeting
    return MeetingDetailOut(
        **MeetingOut.model_validate(m).model_dump(), council_name=view.council.name,
        items=[ItemOut(position=i.position, proposal_id=i.proposal_id, text=p.title if p else i.text)
               for i, p in view.items],
        present=[AttendanceOut(user_id=a.user_id, name=n, how=a.how, at=a.at) for a, n in view.present],
        invited=[uid for uid, _ in view.invited], vote_session_ids=[vs.id for vs in view.votes],
        attachment_ids=[f.id for f in view.files], notice_days=view.notice_rule.days,
        citation=view.notice_rule.source.cite if view.notice_rule.source else None)


def _view(db, actor, village, mid: int) -> MeetingDetailOut:
    return _detail(meetings.meeting_view(db, actor, village, mid))


@router.get("/villages/{vid}/meetings", response_model=PageOut[MeetingOut])
def list_meetings(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20):
    """The village's meetings, latest first (its members and the township's monitors)."""
    village = places.get_village(db, vid)
    rows = page_list(meetings.list_meetings(db, actor, village), page, per_page)
    return page_out(MeetingOut, rows, lambda r: MeetingOut.model_validate(r.meeting))


@router.post("/villages/{vid}/meetings", response_model=MeetingDetailOut, status_code=201)
def create(vid: int, body: MeetingIn, db: DbSession, actor: CurrentActor):
    """A meeting as a draft with its agenda (the committee)."""
    village = places.get_village(db, vid)
    m = meetings.create(db, actor, village, council_id=body.council_id, title=body.title, starts_at=body.starts_at,
                        place=body.place, items=body.items, proposal_ids=body.proposal_ids)
    return _view(db, actor, village, m.id)


@router.get("/villages/{vid}/meetings/{mid}", response_model=MeetingDetailOut)
def detail(vid: int, mid: int, db: DbSession, actor: CurrentActor):
    """One meeting: agenda, notice, who signed in, invited supervisors, minutes, files, votes."""
    return _view(db, actor, places.get_village(db, vid), mid)


@router.post("/villages/{vid}/meetings/{mid}/items", response_model=MeetingDetailOut, status_code=201)
def add_item(vid: int, mid: int, body: ItemIn, db: DbSession, actor: CurrentActor):
    """One more agenda line or matter, while a draft (the committee)."""
    village = places.get_village(db, vid)
    meetings.add_item(db, actor, village, mid, text=body.text, proposal_id=body.proposal_id)
    return _view(db, actor, village, mid)


@router.post("/villages/{vid}/meetings/{mid}/announce", response_model=MeetingDetailOut)
def announce(vid: int, mid: int, body: AnnounceIn, db: DbSession, actor: CurrentActor):
    """Give notice: the announcement is drafted for the board and sent to review. A 村民会议 less than
    ten days ahead needs `short_notice` (临时通知, from the 2025 edition), else 422."""
    village = places.get_village(db, vid)
    meetings.announce(db, actor, village, mid, body.short_notice)
    return _view(db, actor, village, mid)


@router.post("/villages/{vid}/meetings/{mid}/cancel", response_model=MeetingDetailOut)
def cancel(vid: int, mid: int, body: ReasonIn, db: DbSession, actor: CurrentActor):
    village = places.get_village(db, vid)
    meetings.cancel(db, actor, village, mid, body.reason)
    return _view(db, actor, village, mid)


@router.post("/villages/{vid}/meetings/{mid}/checkin/open", response_model=CheckinOpenOut)
def open_checkin(vid: int, mid: int, db: DbSession, actor: CurrentActor):
    """A new six-digit code for check-in by phone, answered once (the committee; from an hour before)."""
    meeting, code = meetings.open_checkin(db, actor, places.get_village(db, vid), mid)
    return CheckinOpenOut(code=code, until=meeting.checkin_until)


@router.post("/villages/{vid}/meetings/{mid}/checkin", response_model=AttendanceOut, status_code=201)
def check_in(vid: int, mid: int, body: CodeIn, db: DbSession, actor: CurrentActor):
    """A member of the council, or an invited supervisor, checks in with the code during the meeting."""
    row = meetings.check_in(db, actor, places.get_village(db, vid), mid, body.code)
    return AttendanceOut(user_id=row.user_id, name=actor.user.name, how=row.how, at=row.at)


@router.post("/villages/{vid}/meetings/{mid}/paper", response_model=MeetingDetailOut)
def record_paper(vid: int, mid: int, body: PaperIn, db: DbSession, actor: CurrentActor):
    """Those who signed the paper sheet (the committee); upload its scan first as the meeting's file."""
    village = places.get_village(db, vid)
    meetings.record_paper(db, actor, village, mid, body.user_ids, body.scan_id)
    return _view(db, actor, village, mid)


@router.post("/villages/{vid}/meetings/{mid}/attachments", response_model=AttachmentOut, status_code=201)
def upload(vid: int, mid: int, db: DbSession, settings: SettingsDep, actor: CurrentActor,
           file: UploadFile = File(..., description="签到表扫描件、纪要附件：图片、PDF 或 Office 文档，最大 10 MB")):
    meetings.meeting_view(db, actor, places.get_village(db, vid), mid)  # 404 under another village
    data = file.file.read(attachments.MAX_BYTES + 1)
    return AttachmentOut.model_validate(attachments.add(db, settings, actor, "meeting", mid, file.filename, data))


@router.put("/villages/{vid}/meetings/{mid}/minutes", response_model=MeetingDetailOut)
def record_minutes(vid: int, mid: int, body: MinutesIn, db: DbSession, actor: CurrentActor):
    """The minutes (纪要); the meeting is then held."""
    village = places.get_village(db, vid)
    meetings.record_minutes(db, actor, village, mid, body.minutes)
    return _view(db, actor, village, mid)


@router.post("/villages/{vid}/meetings/{mid}/votes", response_model=MeetingDetailOut, status_code=201)
def link_vote(vid: int, mid: int, body: VoteLinkIn, db: DbSession, actor: CurrentActor):
    """A vote of the village taken at this meeting (a vote belongs to one meeting at most)."""
    village = places.get_village(db, vid)
    meetings.link_vote(db, actor, village, mid, body.vote_session_id)
    return _view(db, actor, village, mid)


# --- requests to convene --------------------------------------------------------------------------

def _petition(row) -> PetitionOut:
    r, p = row.request, row.progress
    return PetitionOut(id=r.id, village_id=r.village_id, kind=r.kind, reason=r.reason, state=r.state,
                       signatures=row.signatures, villagers=p.villagers, villagers_needed=p.villagers_needed,
                       representatives=p.representatives, representatives_needed=p.representatives_needed,
                       met=r.met_at is not None, met_at=r.met_at, citation=r.citation, meeting_id=r.meeting_id,
                       closed_reason=r.closed_reason, signed=row.signed)


def _one(db, actor, village, pid: int) -> PetitionOut:
    return next(_petition(r) for r in petitions.list_petitions(db, actor, village) if r.request.id == pid)


@router.get("/villages/{vid}/petitions", response_model=PageOut[PetitionOut])
def list_petitions(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20):
    """Requests to convene with their signatures against the law's thresholds (members and monitors)."""
    rows = page_list(petitions.list_petitions(db, actor, places.get_village(db, vid)), page, per_page)
    return page_out(PetitionOut, rows, _petition)


@router.post("/villages/{vid}/petitions", response_model=PetitionOut, status_code=201)
def create_petition(vid: int, body: PetitionIn, db: DbSession, actor: CurrentActor):
    """A request to convene, signed by its author (villagers: 村民会议; representatives: either)."""
    village = places.get_village(db, vid)
    request = petitions.create_petition(db, actor, village, kind=body.kind, reason=body.reason)
    return _one(db, actor, village, request.id)


@router.post("/villages/{vid}/petitions/{pid}/signatures", response_model=PetitionOut, status_code=201)
def sign(vid: int, pid: int, db: DbSession, actor: CurrentActor):
    """Sign once; the committee is told when the threshold in force is met."""
    return _petition(petitions.sign(db, actor, places.get_village(db, vid), pid))


@router.post("/villages/{vid}/petitions/{pid}/convene", response_model=PetitionOut)
def convene(vid: int, pid: int, body: ConveneIn, db: DbSession, actor: CurrentActor):
    """The committee links the meeting of the body asked for."""
    village = places.get_village(db, vid)
    petitions.convene(db, actor, village, pid, body.meeting_id)
    return _one(db, actor, village, pid)


@router.post("/villages/{vid}/petitions/{pid}/close", response_model=PetitionOut)
def close(vid: int, pid: int, body: ReasonIn, db: DbSession, actor: CurrentActor):
    """The committee closes a request that has not met the threshold, with a reason."""
    village = places.get_village(db, vid)
    petitions.close_petition(db, actor, village, pid, body.reason)
    return _one(db, actor, village, pid)
