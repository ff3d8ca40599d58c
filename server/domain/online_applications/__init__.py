"""A party applies for mediation online (当事人申请), from a public page a QR code opens.

People's Mediation Law art. 17: a party may apply to a people's mediation committee; the
Ministry's application form (人民调解申请书) names the applicant and the other side, what happened and
what the applicant asks (请求事项). The page is an open door, so:

- the application counts only once the applicant types the code sent to their phone
  (``server/domain/codes.py`` ``send_phone_code``; with no SMS service nothing is stored and the page
  says to apply at the window: it never says a message was sent when none was);
- submissions are limited per client address and per phone (``LIMITS``), with a 429 saying why and
  when to try again, besides the per-number limits of every code;
- an application never confirmed expires (``UNCONFIRMED_TTL``, 24 hours) without becoming a case; it
  is never shown to staff, and it is deleted with the next submission after that.

A confirmed application waits in its organisation's queue. The organisation answers within three
working days (在线调解规则 art. 12; ``clocks.acceptance_clock``). Its mediator accepts it: the case is
registered (``Cases.register``, source ``party_application``, the parties as applied, the case number
typed by staff as at the window, a mediator chosen) with the application's id as the case's id, and
the case's log holds ``case_registered`` then ``case_accepted`` (the application's time, its
confirmation and the clock); then the other side is asked whether they agree
(``willingness.ask_other_side``). Or the mediator declines it, with the reason and the routes still
open to the applicant (``case_declined``).

Either way the applicant is told by text message on the phone they confirmed, in the same
transaction as the answer (the outbox delivers it once it commits; a retried answer is refused, and
the message's key is the application's, so never two): the answer, the case number and mediator or
the reason's gist, and a link to their status page, which lists the routes still open. The link
shown when they confirmed is kept only as its hash, so the text carries a second token to the same
page (``notice_token_hash``). Staff see what became of the text beside the answer
(``ApplicationView.notice``): taken by the provider, delivered, failed and why, or only recorded
because no SMS service or template sends it.

Where a refusal lives. A declined application never becomes a case, yet the refusal is an act of the
organisation the applicant may need to show (a court or another organisation asks whether mediation
was tried, 人民调解法 art. 26 tells the parties their other routes). The evidence ledger keys its
chains by a 36-character id with no reference to the cases table (``EvidenceChain.case_id``), so the
``case_declined`` record is the first record of the chain under the application's own id: signed by
the platform, sequenced and covered by the log's checkpoints like every case record, and found again
from the application row (``MediationApplication.id``). An accepted application's case takes that
same id, so one id names the application's chain whether it ends in a refusal or goes on as a case.
"""

from server.domain.online_applications.answering import Answers
from server.domain.online_applications.applying import OnlineApplications
from server.domain.online_applications.form import (
    DECLINE_ROUTES,
    LIMITS,
    ApplicationForm,
    ApplicationView,
    Door,
    Submitted,
)

__all__ = ["DECLINE_ROUTES", "LIMITS", "Answers", "ApplicationForm", "ApplicationView", "Door", "OnlineApplications", "Submitted"]
