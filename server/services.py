"""The domain services an app holds, beside the composition root (server/app.py) that builds them.

Both the HTTP layer (server/http/) and the live session (signaling/) stand on this container;
neither reaches into the other for it. Handlers reach it through one typed key.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from server.domain.accounts import Accounts
from server.domain.agreements import Agreements
from server.domain.agreements.sealer import Sealer
from server.domain.archive import Archive
from server.domain.assignment import Assignment
from server.domain.booking import Booking
from server.domain.case_file import Dossiers
from server.domain.cases import Cases
from server.domain.chat import ChatLog
from server.domain.closing import Closing
from server.domain.codes import PartyMessages
from server.domain.confirmation import Confirmations
from server.domain.consent import Consents
from server.domain.court_reports import CourtReports
from server.domain.directory import Directory
from server.domain.documents import CaseFiles
from server.domain.enforcement import Enforcement
from server.domain.evidence import Evidence
from server.domain.exports import Exports
from server.domain.extensions import Extensions
from server.domain.filing import FilingPackages
from server.domain.group_commit import GroupCommit
from server.domain.keybinding import KeyBinding
from server.domain.ledger import Ledger
from server.domain.links import Links
from server.domain.notifications import Outbox
from server.domain.online_applications import Answers, OnlineApplications
from server.domain.outcomes import Outcomes
from server.domain.performance import Performance
from server.domain.recording_choice import RecordingChoices
from server.domain.recordings import Recordings
from server.domain.referrals import Referrals
from server.domain.review import Review
from server.domain.satisfaction import Satisfaction
from server.domain.staffkeys import StaffKeys
from server.domain.statistics.service import Statistics
from server.domain.statistics.snapshots import Snapshots
from server.domain.supervision import Supervision
from server.domain.transcripts import Transcripts
from server.domain.willingness import Willingness
from server.domain.witnessed import Witnessed
from server.domain.work_orders import WorkOrders
from server.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    accounts: Accounts
    cases: Cases
    booking: Booking
    links: Links
    outbox: Outbox
    ledger: Ledger
    #: Request transactions committed together (server/domain/group_commit.py).
    group_commit: GroupCommit
    keys: KeyBinding
    evidence: Evidence
    staff_keys: StaffKeys
    chat: ChatLog
    consents: Consents
    recordings: Recordings
    review: Review
    exports: Exports
    agreements: Agreements
    sealer: Sealer  # the organisations' (and courts') seals, and the documents they seal
    case_files: CaseFiles
    outcomes: Outcomes
    confirmations: Confirmations
    witnessed: Witnessed  # keys bound under the mediator's check on video (#18)
    messages: PartyMessages
    referrals: Referrals  # cases sent between organisations (#21)
    supervision: Supervision  # supervisors' board, instructions and the mediators' replies (#21)
    statistics: Statistics  # the ledger (台账) and the statistics of an organisation or its subtree (#23)
    statistics_snapshots: Snapshots  # the signed monthly statistics snapshots and their export for an audit (#23)
    work_orders: WorkOrders  # a hotline's work orders (12345 派单) and the keys they come with (#21)
    extensions: Extensions  # the parties' agreement to extend the mediation period (#21)
    online_applications: OnlineApplications  # a party applies from the public page (#21)
    application_answers: Answers  # staff's queue of applications and their answer (#21)
    court_reports: CourtReports  # the written result report to a referring court (#21)
    filing: FilingPackages  # a failed case's materials for a court's online filing (#21)
    willingness: Willingness  # whether the other side agrees to mediation (#21)
    assignment: Assignment  # the mediators of a case, their disclosures, parties' requests (#21)
    directory: Directory  # the directory of mediators parties choose from (#21)
    performance: Performance  # what a sealed agreement binds the parties to perform, and its performance (#22)
    enforcement: Enforcement  # the payee's pre-filled application for enforcement after a confirmation ruling (#22)
    transcripts: Transcripts  # the mediation record written live, closed in versions, signed by the parties (#22)
    recording_choices: RecordingChoices  # the parties' signed choice that a recording stands for the record (#22)
    satisfaction: Satisfaction  # parties' ratings of the mediation and complaints to the supervisors (#22)
    closing: Closing  # follow-up visits after the agreement and closing the case (结案, #22)
    dossiers: Dossiers  # the case file of a closed case (人民调解卷宗, #22)
    archive: Archive  # archiving a closed case (归档) and destroying its file after the retention (#22)


SERVICES: web.AppKey[Services] = web.AppKey("services", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]
