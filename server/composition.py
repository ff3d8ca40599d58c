"""The domain services wired together: what every entry point (the server, the `mediate` command,
the benchmarks) builds first.

Kept apart from the HTTP application (server/app.py) so that a command such as `mediate org add`
or `mediate verify` loads no web server, Socket.IO or WebRTC code it never uses.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from recordings.crypto import MasterKey
from recordings.storage import DerivedFiles, LocalDerivedFiles, LocalStorage, Storage
from server import db
from server.domain import phone_pins
from server.domain.accounts import Accounts
from server.domain.agreements import Agreements
from server.domain.agreements.drafting import Drafting
from server.domain.agreements.paper import PAPER_PURPOSE, PaperSignatures
from server.domain.agreements.public import Public
from server.domain.agreements.sealer import AFTER_SEAL, Sealer
from server.domain.agreements.sealing import MediatorSigned, Sealing
from server.domain.agreements.signing import Signing
from server.domain.archive import Archive
from server.domain.assignment import DISCLOSURE_PURPOSE, Assignment, DisclosureSigned
from server.domain.booking import Booking
from server.domain.case_file import Dossiers
from server.domain.cases import Cases
from server.domain.chat import ChatLog
from server.domain.clocks import CONFIRMATION_WINDOW
from server.domain.closing import Closing
from server.domain.codes import PartyMessages
from server.domain.confirmation import Confirmations
from server.domain.confirmation.application import Applications
from server.domain.confirmation.court import Court
from server.domain.confirmation.decision import Decided, Decisions
from server.domain.confirmation.paper import PAPER_PURPOSE as APPLICATION_PAPER_PURPOSE
from server.domain.confirmation.paper import PaperApplications
from server.domain.consent import Consents
from server.domain.court_reports import CourtReports
from server.domain.directory import Directory
from server.domain.documents import CaseFiles
from server.domain.enforcement import Enforcement
from server.domain.evidence import Evidence
from server.domain.exports import Exports
from server.domain.extensions import Extensions
from server.domain.filing import FilingPackages
from server.domain.follow_through import PerformanceReminders
from server.domain.group_commit import GROUP_WRITERS, GroupCommit
from server.domain.keybinding import KeyBinding
from server.domain.keyring import Keyring
from server.domain.ledger import Ledger
from server.domain.links import Links
from server.domain.notifications import Outbox, Sender
from server.domain.online_applications import Answers, OnlineApplications
from server.domain.outcomes import Outcomes
from server.domain.overdue import OverdueNotices
from server.domain.performance import OVER_VIDEO_PURPOSE, Performance, VideoConfirmed
from server.domain.recording_choice import RecordingChoices
from server.domain.recordings import Recordings
from server.domain.referrals import Referrals
from server.domain.review import Review
from server.domain.satisfaction import Satisfaction
from server.domain.staffkeys import IDENTITY_PURPOSE, StaffKeys
from server.domain.statistics.service import Statistics
from server.domain.statistics.snapshots import Snapshots
from server.domain.supervision import Supervision
from server.domain.transcripts import Transcripts
from server.domain.turns import Turns
from server.domain.willingness import Willingness
from server.domain.witnessed import IdentityChecked, Witnessed
from server.domain.work_orders import WorkOrders
from server.domain.workdays import Workdays
from server.notify import senders_from
from server.services import Services
from server.settings import Settings
from server.settings.holidays import load_schedule


def witness_entry(vkey: str) -> dict[str, str]:
    """How a bundle names a configured witness (FORMAT.md, witnesses.json)."""
    return {"name": vkey.split("+", 1)[0], "vkey": vkey}


def recording_stores(settings: Settings) -> tuple[Storage, DerivedFiles]:
    """Where segments and derived files live: the recordings directory, or (``MEDIATE_S3_BUCKET``) an S3 bucket."""
    if settings.s3_bucket is None:
        root = settings.resolved_recordings_dir
        return LocalStorage(root), LocalDerivedFiles(root)
    # Imported here: aiobotocore costs every process (each `mediate` command, each server) about
    # 0.3 s to import, and only a server configured with a bucket uses it.
    from recordings.s3 import Bucket, S3Config, S3DerivedFiles, S3Storage

    bucket = Bucket(
        S3Config(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
            addressing_style=settings.s3_addressing_style,
            kind=settings.s3_kind,
        )
    )
    return S3Storage(bucket), S3DerivedFiles(bucket)


def make_services(settings: Settings, engine: AsyncEngine, senders: dict[str, Sender] | None = None) -> Services:
    # The phone PINs' key, made on first start if none is configured: every service takes it from here.
    settings = phone_pins.keyed(settings)
    maker = db.make_sessionmaker(engine)
    keyring = Keyring.open(settings.data_dir, settings.default_log_origin)
    ledger = Ledger(maker, keyring, engine.dialect.name, settings.ledger_interval_seconds)
    # Requests that change a case and append its record commit together (SQLite: one connection, one writer).
    group = GroupCommit(maker, ledger, writers=1 if engine.dialect.name == "sqlite" else GROUP_WRITERS)
    # China's working days (holidays and make-up workdays), for every clock counted in them.
    workdays = Workdays(load_schedule(settings.holidays_file))
    storage, derived = recording_stores(settings)
    recordings = Recordings(maker, ledger, storage, MasterKey.load(settings.recording_key, settings.data_dir))
    review = Review(maker, recordings, derived)
    staff_keys = StaffKeys(maker, ledger, settings)
    sealer = Sealer(settings, ledger.origin)
    evidence = Evidence(maker, ledger, [witness_entry(vkey) for vkey in settings.witnesses], recordings)
    agreements = Agreements(
        drafting=Drafting(maker, ledger, settings, sealer),
        signing=Signing(maker, ledger, settings, staff_keys),
        paper=PaperSignatures(maker, ledger, staff_keys),
        sealing=Sealing(maker, ledger, sealer),
        public=Public(maker),
    )
    applications = Applications(maker, ledger, settings, sealer)
    confirmations = Confirmations(
        applications=applications,
        paper=PaperApplications(maker, ledger, staff_keys, applications),
        court=Court(maker, settings, evidence),
        decisions=Decisions(maker, ledger, staff_keys, sealer),
    )
    # What a staff member's signature sets off, by its purpose: the mediator's signature of the
    # agreement is the last one, so it seals; a judge's signed decision becomes the court's ruling.
    staff_keys.hooks["agreement_sign"] = MediatorSigned(agreements.signing, agreements.sealing)
    staff_keys.hooks[PAPER_PURPOSE] = agreements.paper  # a party's signature on paper, attested (#25)
    staff_keys.hooks[APPLICATION_PAPER_PURPOSE] = confirmations.paper  # a party's co-signature of the application on paper (#25)
    staff_keys.hooks["confirmation_decide"] = Decided(confirmations.decisions)
    # A mediator's signed identity check opens (or closes) the party's window to bind a key.
    witnessed = Witnessed(maker, ledger, settings)
    statistics = Statistics(maker, workdays)
    staff_keys.hooks[IDENTITY_PURPOSE] = IdentityChecked(witnessed)
    cases = Cases(maker, ledger, workdays, group)
    # Whether the other side agrees to mediation; its round sends the questions and ends the silent cases.
    willingness = Willingness(maker, ledger, settings, workdays)
    # An assigned mediator's signed conflict-of-interest disclosure is kept for the case page.
    assignment = Assignment(maker, ledger, staff_keys)
    staff_keys.hooks[DISCLOSURE_PURPOSE] = DisclosureSigned(assignment)
    # A mediator's signed record that the one owed confirmed a performance on video marks it performed.
    performance = Performance(maker, ledger, settings, staff_keys)
    staff_keys.hooks[OVER_VIDEO_PURPOSE] = VideoConfirmed(performance)
    return Services(
        settings=settings,
        accounts=Accounts(maker, settings),
        cases=cases,
        booking=Booking(maker, settings, group),
        links=Links(maker, settings, group),
        outbox=Outbox(
            maker,
            settings,
            senders if senders is not None else senders_from(settings),
            [
                Turns(maker, settings, confirmation_window=CONFIRMATION_WINDOW, after_seal=AFTER_SEAL).queue_due,
                OverdueNotices(maker, workdays).queue_due,
                PerformanceReminders(maker, settings).queue_due,
                willingness.sweep,
            ],
        ),
        ledger=ledger,
        group_commit=group,
        keys=KeyBinding(maker, ledger, settings),
        evidence=evidence,
        staff_keys=staff_keys,
        chat=ChatLog(maker),
        consents=Consents(maker, ledger, settings, staff_keys),
        recordings=recordings,
        review=review,
        exports=Exports(maker, review),
        agreements=agreements,
        sealer=sealer,
        case_files=CaseFiles(maker, ledger, settings),
        outcomes=Outcomes(maker, ledger, workdays),
        confirmations=confirmations,
        witnessed=witnessed,
        messages=PartyMessages(maker),
        referrals=Referrals(maker, ledger, workdays),
        supervision=Supervision(maker, ledger, workdays),
        statistics=statistics,
        statistics_snapshots=Snapshots(maker, ledger, evidence, statistics, workdays),
        work_orders=WorkOrders(maker, ledger, cases),
        extensions=Extensions(maker, ledger, settings, workdays),
        online_applications=OnlineApplications(maker, settings, workdays),
        application_answers=Answers(maker, ledger, settings, cases, workdays),
        court_reports=CourtReports(maker, ledger, settings.pdf_font),
        filing=FilingPackages(maker, ledger, evidence, settings.pdf_font),
        willingness=willingness,
        assignment=assignment,
        directory=Directory(maker),
        performance=performance,
        enforcement=Enforcement(maker, ledger, settings),
        transcripts=Transcripts(maker, ledger, settings),
        recording_choices=RecordingChoices(maker, ledger, settings),
        satisfaction=Satisfaction(maker, ledger, settings),
        closing=Closing(maker, ledger, settings.pdf_font),
        dossiers=Dossiers(maker, ledger, settings.pdf_font),
        archive=Archive(maker, ledger, settings.pdf_font),
    )
