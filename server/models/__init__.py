"""Database tables, grouped by what they hold; every one is importable from here.

`from server.models import X` is how the rest of the project reaches a table, and importing this
package imports every module below, so that `Base.metadata` (which Alembic's env.py compares
against the migrations) holds every table.

Ids are random UUIDs (text) and times are stored as UTC: see `base.py`.
"""

from __future__ import annotations

from server.models.accounts import (
    DEFAULT_CASE_FILE_RETENTION_YEARS,
    DEFAULT_RETENTION_DAYS,
    AuthSession,
    AvailabilityException,
    AvailabilityRule,
    LoginThrottle,
    Organisation,
    User,
)
from server.models.agreements import (
    Agreement,
    AgreementComment,
    AgreementDelivery,
    AgreementSignature,
    AgreementVersion,
    CaseDocument,
)
from server.models.applications import ApplicationFile, MediationApplication
from server.models.assignment import CaseMediator, MediatorChangeRequest, MediatorDisclosure, MediatorProfile
from server.models.base import NAMING, Base, UTCDateTime, new_id, utcnow
from server.models.cases import Case, CaseEvent, ChatLine, MediationSession, Party, PartyLink
from server.models.confirmation import ConfirmationApplication, ConfirmationSigner, CourtCaseCounter, JudgeNote
from server.models.evidence import (
    EvidenceBody,
    EvidenceChain,
    EvidenceChallenge,
    EvidenceKey,
    EvidenceKeyCase,
    EvidencePending,
    LogCheckpoint,
    LogCosignature,
    LogEntry,
    LogNode,
)
from server.models.extensions import DeadlineExtension, ExtensionSigner
from server.models.obligations import FollowUp, Obligation
from server.models.outbox import OutboxMessage
from server.models.recordings import Recording, RecordingFile, RecordingSegment
from server.models.referrals import Referral
from server.models.satisfaction import Complaint, SatisfactionRating
from server.models.statistics import StatisticsSnapshot
from server.models.supervision import SupervisionInstruction
from server.models.transcripts import MediationRecord, TranscriptChoice, TranscriptSigner, TranscriptVersion
from server.models.willingness import WillingnessQuestion
from server.models.work_orders import HotlineKey, WorkOrder

__all__ = [
    "DEFAULT_CASE_FILE_RETENTION_YEARS",
    "DEFAULT_RETENTION_DAYS",
    "NAMING",
    "Agreement",
    "AgreementComment",
    "AgreementDelivery",
    "AgreementSignature",
    "AgreementVersion",
    "ApplicationFile",
    "AuthSession",
    "AvailabilityException",
    "AvailabilityRule",
    "Base",
    "Case",
    "CaseDocument",
    "CaseEvent",
    "CaseMediator",
    "ChatLine",
    "Complaint",
    "ConfirmationApplication",
    "ConfirmationSigner",
    "CourtCaseCounter",
    "DeadlineExtension",
    "EvidenceBody",
    "EvidenceChain",
    "EvidenceChallenge",
    "EvidenceKey",
    "EvidenceKeyCase",
    "EvidencePending",
    "ExtensionSigner",
    "FollowUp",
    "HotlineKey",
    "JudgeNote",
    "LogCheckpoint",
    "LogCosignature",
    "LogEntry",
    "LogNode",
    "LoginThrottle",
    "MediationApplication",
    "MediationRecord",
    "MediationSession",
    "MediatorChangeRequest",
    "MediatorDisclosure",
    "MediatorProfile",
    "Obligation",
    "Organisation",
    "OutboxMessage",
    "Party",
    "PartyLink",
    "Recording",
    "RecordingFile",
    "RecordingSegment",
    "Referral",
    "SatisfactionRating",
    "StatisticsSnapshot",
    "SupervisionInstruction",
    "TranscriptChoice",
    "TranscriptSigner",
    "TranscriptVersion",
    "UTCDateTime",
    "User",
    "WillingnessQuestion",
    "WorkOrder",
    "new_id",
    "utcnow",
]
