"""Comments as the API shows them: validated from the service's views (`services.comments.CommentView`,
`ReportedComment`, `CommentVersionView`), the ones the proposal page shows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.services.comments import CommentView, ReportedComment
from schemas.common import Id, Text, out_model

# The service trims and checks the real limits (5,000 characters of text, 500 of a reason) with a
# Chinese message; these only bound what the server is asked to read.
BODY_LIMIT = 10_000
REASON_LIMIT = 1_000


class CommentIn(BaseModel):
    body: Text = Field(max_length=BODY_LIMIT)
    parent_id: Id | None = None


class CommentEditIn(BaseModel):
    body: Text = Field(max_length=BODY_LIMIT)


class HideIn(BaseModel):
    reason: Text = Field(default="", max_length=REASON_LIMIT)


class ReportIn(BaseModel):
    reason: Text | None = Field(default=None, max_length=REASON_LIMIT)


CommentOut = out_model(CommentView, "CommentOut", descriptions={
    "body": "null when the comment is hidden and the viewer may not see hidden text",
}, extra={"hidden_notice": (str | None, Field(
    description="此评论已被村委会隐藏，理由：… (shown in the comment's place)"))})


class CommentVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    body: str
    written_at: datetime


ReportedCommentOut = out_model(ReportedComment, "ReportedCommentOut", extra={"body_html": (str, Field())})


class ReportedOut(BaseModel):
    reported: bool = True
