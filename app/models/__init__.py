"""All tables. Import this package before using SQLModel.metadata."""

from app.models.assisted import AssistedAct
from app.models.attachments import Attachment
from app.models.audit import PLATFORM_CHAIN, AuditCheck, AuditEvent, AuditHead, AuditPrivate, JobRun, Seal
from app.models.auth import ActivationCode, SecurityEvent, UserSession
from app.models.base import utcnow
from app.models.books import Account, AccountPeriod, Ledger, PeriodBalance, Voucher, VoucherLine
from app.models.cases import Filing, Report, ReportReply, TownshipCase
from app.models.funds import (
    Contract,
    FixedAsset,
    FundExemption,
    FundObligation,
    FundPayment,
    Instalment,
    LabourRecord,
)
from app.models.meetings import (
    ConveneRequest,
    ConveneSignature,
    Meeting,
    MeetingAttendance,
    MeetingItem,
    MeetingVote,
)
from app.models.notices import Notice, Objection
from app.models.notifications import Delivery, FanoutCursor, Notification, NotificationSetting
from app.models.people import MemberRole, Membership, TownshipMonitor, User
from app.models.places import County, Household, Township, Village, VillagerGroup
from app.models.proposals import (
    Comment,
    CommentReport,
    CommentVersion,
    Cosignature,
    Proposal,
    ProposalTransition,
)
from app.models.village_rules import VillageRule, VillageRuleVersion
from app.models.votes import (
    Ballot,
    BallotBox,
    BallotRegister,
    Council,
    CouncilMember,
    Elector,
    PaperAttendance,
    PaperTally,
    Proxy,
    VoteSession,
)

__all__ = [
    "AssistedAct",
    "ConveneRequest",
    "ConveneSignature",
    "Meeting",
    "MeetingAttendance",
    "MeetingItem",
    "MeetingVote",
    "VillageRule",
    "VillageRuleVersion",
    "Filing",
    "Report",
    "ReportReply",
    "TownshipCase",
    "JobRun",
    "AuditPrivate",
    "Seal",
    "Contract",
    "FixedAsset",
    "FundExemption",
    "FundObligation",
    "FundPayment",
    "Instalment",
    "LabourRecord",
    "Account",
    "AccountPeriod",
    "Ledger",
    "PeriodBalance",
    "Voucher",
    "VoucherLine",
    "Notice",
    "Objection",
    "Ballot",
    "BallotBox",
    "BallotRegister",
    "Council",
    "CouncilMember",
    "Elector",
    "PaperAttendance",
    "PaperTally",
    "Proxy",
    "VoteSession",
    "Attachment",
    "Comment",
    "CommentReport",
    "CommentVersion",
    "Cosignature",
    "Delivery",
    "FanoutCursor",
    "Notification",
    "NotificationSetting",
    "Proposal",
    "ProposalTransition",
    "PLATFORM_CHAIN",
    "ActivationCode",
    "AuditCheck",
    "AuditEvent",
    "AuditHead",
    "County",
    "Household",
    "MemberRole",
    "Membership",
    "SecurityEvent",
    "Township",
    "TownshipMonitor",
    "User",
    "UserSession",
    "Village",
    "VillagerGroup",
    "utcnow",
]
