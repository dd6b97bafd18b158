"""Where features meet: the one seam between proposals, votes, notices and attachments.

As Netflix Dispatch keeps cross-domain sequences in `flows.py`, every "when X happens in one feature,
Y happens in another" of Cunyi is written here, and nowhere else:

- a proposal in a vote stage asks for the outcome of its vote (votes.stage_outcome), and before it
  moves has its vote closed if time has run out (votes.settle_stage);
- a proposal in a notice stage asks whether its notice is published and its window over
  (notice_drafts.stage_done);
- a proposal leaving an acceptance or implementation stage drafts its 实施结果公开
  (notice_drafts.draft_implementation_result);
- a vote that closes drafts its 决议公开 (notice_drafts.draft_resolution);
- a month of the books that closes drafts its 财务收支公开 (notice_drafts.draft_finance);
- a 一事一议 matter's 实施结果公开 carries its fund's account (funds.account_text);
- each owner of attachments declares who may see and add its files (`ATTACHMENT_OWNER` in
  proposals, notices, votes, vouchers — receipts —, meetings — sign-in sheets, minutes — and assisted
  acts — the scan of a signed paper co-sign sheet);
  attachments imports none of them.

`register()` wires these once, from the app factory, the CLI and the test set-up. It is idempotent.
The township's decision files plug in here.
"""

from __future__ import annotations

from app.services import (
    assisted,
    attachments,
    funds,
    meetings,
    notice_drafts,
    notices,
    periods,
    proposals,
    votes,
    vouchers,
)


def _connect(hooks: list, hook) -> None:
    if hook not in hooks:
        hooks.append(hook)


def register() -> None:
    """Connect the features. Safe to call more than once."""
    _connect(proposals.VOTE_OUTCOME, votes.stage_outcome)
    _connect(proposals.BEFORE_DECIDE, votes.settle_stage)
    _connect(proposals.NOTICE_DONE, notice_drafts.stage_done)
    _connect(proposals.AFTER_MOVE, notice_drafts.draft_implementation_result)
    _connect(votes.AFTER_CLOSE, notice_drafts.draft_resolution)
    attachments.register_owner("proposal", proposals.ATTACHMENT_OWNER)
    attachments.register_owner("notice", notices.ATTACHMENT_OWNER)
    attachments.register_owner("vote", votes.ATTACHMENT_OWNER)
    _connect(periods.AFTER_CLOSE, notice_drafts.draft_finance)
    _connect(notice_drafts.RESULT_SECTIONS, funds.account_text)
    attachments.register_owner("voucher", vouchers.ATTACHMENT_OWNER)
    attachments.register_owner("meeting", meetings.ATTACHMENT_OWNER)
    attachments.register_owner(assisted.OWNER, assisted.ATTACHMENT_OWNER)
