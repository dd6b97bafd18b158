"""The decision file (一事一档) as the API shows it: derived from `app.domain.decision` (steps, checks)
and `services.decision_files.DecisionFile` (the matter, its votes and notices, attachments, the
chain's events). The full facts, the bodies and the ballot box's receipts are in the bundle (.zip)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from app.domain import decision as D
from app.domain.audit_chain import action_label
from app.services.decision_files import DecisionFile
from schemas.common import out_model

CheckOut = out_model(D.Check, "DecisionCheckOut", extra={"verdict_name": (str, Field(description="符合、不符合…"))})
StepOut = out_model(D.Step, "DecisionStepOut", exclude=("checks",), extra={
    "verdict_name": (str, Field()),
    "checks": (list[CheckOut], Field()),  # type: ignore[valid-type]
})


class SummaryOut(BaseModel):
    code: str = Field(description="compliant / non_compliant / incomplete")
    name: str = Field(description="合规 / 不合规 / 未完成")
    counts: dict[str, int] = Field(description="checks per verdict")


class VoteEvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    stage: str
    council: str
    question: str
    state: str
    secret: bool
    electorate_size: int
    fingerprint: str | None
    box_counts: list[int] = Field(description="online ballots per option (after close)")
    box_hash: str | None
    result: dict | None


class NoticeEvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    stage: str | None
    kind: str
    title: str
    content_hash: str | None
    window_from: datetime | None
    window_until: datetime | None
    objections: int
    replied: int


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_type: str
    owner_id: int
    filename: str
    size: int
    sha256: str


class EventOut(BaseModel):
    """One of the chain's events about the matter (its votes, notices, objections and files too): who
    (the actor's id; none for the system or a secret ballot), what and when; the whole event with its
    payload is GET /villages/{vid}/audit?after={seq - 1}&per_page=1."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    actor_id: int | None
    action: str
    entity: str
    entity_id: str | None
    created_at: datetime
    prev_hash: str
    hash: str

    @computed_field(description="操作的中文名")
    @property
    def action_name(self) -> str:
        return action_label(self.action)


class DecisionFileOut(BaseModel):
    proposal_id: int
    village_id: int
    title: str
    procedure: str
    procedure_name: str
    state: str
    state_name: str
    generated_at: datetime
    summary: SummaryOut
    steps: list[StepOut]  # type: ignore[valid-type]
    votes: list[VoteEvidenceOut]
    notices: list[NoticeEvidenceOut]
    attachments: list[AttachmentOut]
    audit_events: list[EventOut]

    @classmethod
    def of(cls, view: DecisionFile) -> DecisionFileOut:
        p, f = view.proposal, view.file
        return cls(
            proposal_id=p.id, village_id=p.village_id, title=p.title, procedure=p.procedure,
            procedure_name=view.procedure_name, state=p.state, state_name=view.state_name,
            generated_at=view.generated_at,
            summary=SummaryOut(code=f.summary, name=f.summary_name, counts=f.counts),
            steps=[StepOut.model_validate(s) for s in f.steps],
            votes=[VoteEvidenceOut(id=v.id, stage=v.stage, council=v.council.name, question=v.question, state=v.state,
                                   secret=v.secret, electorate_size=v.electorate_size, fingerprint=v.fingerprint,
                                   box_counts=v.box_counts, box_hash=v.box_hash, result=v.result)
                   for v in view.votes],
            notices=[NoticeEvidenceOut(id=n.id, stage=n.stage, kind=n.kind, title=n.title, content_hash=n.content_hash,
                                       window_from=n.window_from, window_until=n.window_until,
                                       objections=len(n.objections),
                                       replied=sum(1 for o in n.objections if o.replied_at))
                     for n in view.notices],
            attachments=[AttachmentOut.model_validate(a) for a in view.attachments],
            audit_events=[EventOut.model_validate(e) for e in view.events],
        )
