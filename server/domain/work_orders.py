"""Work orders from a hotline (12345 派单): received by key, registered or joined, answered with the result.

A one-stop dispute centre takes the disputes the city's 12345 hotline dispatches to it ("受理—分流—
办理—督办—反馈", issue #21). The hotline's own system sends each order to this platform; a person
never types it in again. So:

- an administrator issues the organisation a **key** for that system (only its SHA-256 is kept, the
  key is shown once), naming the clerk in whose name orders are received (the case's first
  mediator, who then refers it or assigns its mediators);
- an **order** becomes a case registered with source ``hotline_order`` and the order number as its
  source reference (``case_registered``, the same record the window writes), and the answer
  carries the case number;
- a **repeated order** (重复件: the caller rings again about the same dispute, or a neighbour
  about the same wall) joins the open case it repeats instead of registering a second one:
  either the hotline names the order it repeats (``related_order_number``), or the caller's phone,
  the dispute type and the other side's name match an open case that came from this hotline's
  orders. Joining is its own record (``work_order_joined``), and a caller who is not yet a party
  becomes an applicant;
- the **same order sent again** (the hotline retrying after a timeout) is answered as the first
  time and changes nothing; a different order under a number already used is refused (409);
- the hotline reads the **result** through the same interface, by order number (反馈): where
  the case is, who handles it and how it ended, in words its operators can read out to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain import history, registration
from server.domain.cases import Cases, Registration
from server.domain.ledger import Ledger
from server.domain.outcomes import ground_of
from server.domain.principal import Principal, Staff, System, require_admin
from server.domain.registration import Registrant
from server.domain.vocabulary import DISPUTE_TYPES
from server.errors import Conflict, FieldError, InvalidInput, NotAuthenticated, NotFound
from server.models import Case, HotlineKey, Organisation, Party, User, WorkOrder, utcnow

KEY_PREFIX = "mdh_"
SCHEME = "Bearer "
MAX_LABEL = 100

#: What a case's state is called when the hotline reads it out to the caller: (Chinese, English).
STATUS_WORDS = {
    "open": ("正在调解", "Being mediated"),
    "settled": ("调解成功，已达成调解协议", "Settled: an agreement was reached"),
    "failed": ("调解终止，未达成协议", "Mediation ended without an agreement"),
}


@dataclass(frozen=True)
class Person:
    """The caller, or the other side, as the hotline's order names them."""

    name: str
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Order:
    """One work order as the hotline sends it."""

    order_number: str
    caller: Person
    content: str
    dispute_type: str = "other"
    respondent: Person | None = None
    related_order_number: str | None = None

    def digest(self) -> str:
        """What tells a resend of this order from a different order under the same number."""
        fields = {
            "order_number": self.order_number,
            "caller": [self.caller.name, self.caller.phone, self.caller.address],
            "content": self.content,
            "dispute_type": self.dispute_type,
            "respondent": [self.respondent.name, self.respondent.phone, self.respondent.address] if self.respondent else None,
            "related": self.related_order_number,
        }
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    key: HotlineKey
    receiver: User
    secret: str | None = None  # only when just issued


@dataclass(frozen=True)
class OrderResult:
    """What the hotline is told about an order: at once on receiving it, and whenever it asks again."""

    order: WorkOrder
    case: Case
    handled_by: Organisation
    mediator: User
    #: received now (``registered`` / ``joined``), or the same order sent again (``already_received``).
    outcome: str = "already_received"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _same_name(a: str | None, b: str | None) -> bool:
    return bool(a and b) and "".join((a or "").split()) == "".join((b or "").split())


class WorkOrders:
    def __init__(self, maker: async_sessionmaker[AsyncSession], ledger: Ledger, cases: Cases) -> None:
        self._maker = maker
        self._ledger = ledger
        self._cases = cases

    # --- keys (the organisation's administrator) ---------------------------------------------------

    async def issue_key(self, principal: Principal | None, organisation_id: str, *, label: str, receiver_id: str) -> IssuedKey:
        admin = require_admin(principal)
        label = label.strip()
        if not label or len(label) > MAX_LABEL:
            raise InvalidInput("name the hotline", [FieldError("label", f"1 to {MAX_LABEL} characters", "required")])
        async with self._maker() as db, db.begin():
            organisation = await db.get(Organisation, organisation_id)
            if organisation is None:
                raise NotFound("no such organisation", reason="no_such_organisation")
            receiver = await db.get(User, receiver_id)
            if (
                receiver is None
                or receiver.role != "mediator"
                or receiver.organisation_id != organisation.id
                or not receiver.is_active
            ):
                raise InvalidInput(
                    "orders are received by a mediator of the organisation",
                    [FieldError("receiver_id", "a mediator of this organisation", "mediator_of_org")],
                )
            prefix = secrets.token_hex(6)
            secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
            key = HotlineKey(
                organisation_id=organisation.id,
                label=label,
                receiver_id=receiver.id,
                prefix=prefix,
                key_hash=_hash(secret),
                created_by=admin.user_id if isinstance(admin, Staff) else None,
            )
            db.add(key)
            await db.flush()
            return IssuedKey(key, receiver, secret)

    async def keys(self, principal: Principal | None, organisation_id: str) -> list[IssuedKey]:
        require_admin(principal)
        async with self._maker() as db:
            if await db.get(Organisation, organisation_id) is None:
                raise NotFound("no such organisation", reason="no_such_organisation")
            rows = await db.execute(
                select(HotlineKey, User)
                .join(User, User.id == HotlineKey.receiver_id)
                .where(HotlineKey.organisation_id == organisation_id)
                .order_by(HotlineKey.created_at)
            )
            return [IssuedKey(key, receiver) for key, receiver in rows.all()]

    async def revoke_key(self, principal: Principal | None, key_id: str) -> None:
        require_admin(principal)
        async with self._maker() as db, db.begin():
            key = await db.get(HotlineKey, key_id)
            if key is None:
                raise NotFound("no such key", reason="no_such_hotline_key")
            if key.revoked_at is None:
                key.revoked_at = utcnow()

    async def authenticate(self, authorization: str | None) -> HotlineKey:
        """The key an ``Authorization: Bearer mdh_…`` header names, if it is one issued and not revoked."""
        if not authorization or not authorization.startswith(SCHEME):
            raise NotAuthenticated("send the hotline key: Authorization: Bearer mdh_…", reason="hotline_key_needed")
        secret = authorization[len(SCHEME) :].strip()
        parts = secret[len(KEY_PREFIX) :].split("_", 1) if secret.startswith(KEY_PREFIX) else []
        async with self._maker() as db, db.begin():
            key = await db.scalar(select(HotlineKey).where(HotlineKey.prefix == parts[0])) if len(parts) == 2 else None
            if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, _hash(secret)):
                raise NotAuthenticated("this hotline key is not valid or was revoked", reason="hotline_key_invalid")
            key.last_used_at = utcnow()
            return key

    # --- orders (the hotline's system) -------------------------------------------------------------

    async def receive(self, key: HotlineKey, order: Order) -> OrderResult:
        """Register the order as a case, join it to the case it repeats, or answer a resend as before."""
        errors = registration.check([self._registrant(order.caller, "applicant")], "caller")
        if order.respondent is not None:
            errors += registration.check([self._registrant(order.respondent, "respondent")], "respondent")
        if order.dispute_type not in DISPUTE_TYPES:
            errors.append(FieldError("dispute_type", "not one of " + ", ".join(DISPUTE_TYPES), "choice"))
        if errors:  # the form's rows are the order's own fields: caller.phone, not caller.0.phone
            raise InvalidInput(
                "the order is not complete", [FieldError(e.field.replace(".0.", "."), e.reason, e.code, e.params) for e in errors]
            )
        digest = order.digest()
        async with self._maker() as db, db.begin():
            same = await db.scalar(
                select(WorkOrder).where(
                    WorkOrder.organisation_id == key.organisation_id, WorkOrder.order_number == order.order_number
                )
            )
            if same is not None:
                if same.content_hash != digest:
                    raise Conflict(
                        f"order {order.order_number} was received already with other contents",
                        reason="order_number_taken",
                        order_number=order.order_number,
                    )
                return await self._result(db, same)
            organisation = await db.get(Organisation, key.organisation_id)
            receiver = await db.get(User, key.receiver_id)
            assert organisation is not None and receiver is not None
            by = System(name=f"{key.label}（工单 {order.order_number}）")
            repeated = await self._repeated(db, key, order)
            if repeated is not None:
                row = WorkOrder(
                    organisation_id=key.organisation_id, key_id=key.id, order_number=order.order_number, case_id=repeated.id,
                    joined=True, caller_phone=order.caller.phone or "", content=order.content, content_hash=digest,
                )  # fmt: skip
                db.add(row)
                await self._join(db, key, order, repeated, by)
                return await self._result(db, row, "joined")
            today = datetime.now(ZoneInfo(organisation.timezone)).date()
            people = [self._registrant(order.caller, "applicant")]
            if order.respondent is not None:
                people.append(self._registrant(order.respondent, "respondent"))
            case, _, _ = await self._cases.write_registration(
                db,
                Registration(
                    organisation_id=organisation.id,
                    case_number=await self._next_number(db, organisation.id, today),
                    dispute_type=order.dispute_type,
                    summary=order.content,
                    source="hotline_order",
                    source_reference=order.order_number,
                    registered_on=today,
                    people=people,
                    applicant_count=1,
                ),
                mediator=receiver,
                by=by,
                actor={"kind": "platform", "id": f"hotline_key:{key.id}", "role": "hotline"},
                registered_by=key.label,
                created_by=receiver.id,
            )
            row = WorkOrder(
                organisation_id=key.organisation_id, key_id=key.id, order_number=order.order_number, case_id=case.id,
                caller_phone=order.caller.phone or "", content=order.content, content_hash=digest,
            )  # fmt: skip
            db.add(row)
            await db.flush()
            return await self._result(db, row, "registered")

    async def result(self, key: HotlineKey, order_number: str) -> OrderResult:
        async with self._maker() as db:
            row = await db.scalar(
                select(WorkOrder).where(WorkOrder.organisation_id == key.organisation_id, WorkOrder.order_number == order_number)
            )
            if row is None:
                raise NotFound(f"no order {order_number} was received from this hotline", reason="no_such_order")
            return await self._result(db, row)

    # --- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _registrant(person: Person, role: str) -> Registrant:
        return Registrant(role=role, name=person.name.strip(), phone=(person.phone or "").strip(), address=person.address or None)

    async def _repeated(self, db: AsyncSession, key: HotlineKey, order: Order) -> Case | None:
        """The open case this order repeats, if any (the module's docstring says how it is found)."""
        if order.related_order_number:
            earlier = await db.scalar(
                select(WorkOrder).where(
                    WorkOrder.organisation_id == key.organisation_id, WorkOrder.order_number == order.related_order_number
                )
            )
            if earlier is None:
                raise InvalidInput(
                    f"no order {order.related_order_number} was received from this hotline",
                    [FieldError("related_order_number", "an order received before", "not_found")],
                )
            case = await db.get(Case, earlier.case_id)
            return case if case is not None and case.status == "open" else None
        if not order.caller.phone:
            return None
        candidates = await db.scalars(
            select(Case)
            .join(WorkOrder, WorkOrder.case_id == Case.id)
            .where(
                WorkOrder.organisation_id == key.organisation_id,
                WorkOrder.caller_phone == order.caller.phone.strip(),
                Case.status == "open",
                Case.dispute_type == order.dispute_type,
            )
            .order_by(Case.created_at)
        )
        for case in candidates.unique():
            respondents = list(await db.scalars(select(Party.name).where(Party.case_id == case.id, Party.role == "respondent")))
            if order.respondent is None and not respondents:
                return case
            if order.respondent is not None and any(_same_name(order.respondent.name, name) for name in respondents):
                return case
        return None

    async def _join(self, db: AsyncSession, key: HotlineKey, order: Order, case: Case, by: System) -> None:
        phones = set(await db.scalars(select(Party.phone).where(Party.case_id == case.id)))
        added = None
        if order.caller.phone and order.caller.phone.strip() not in phones:
            added = self._registrant(order.caller, "applicant")
            db.add(added.party(case.id, utcnow()))
            await db.flush()
        history.record(db, case.id, by, "work_order_joined", order_number=order.order_number, applicant_added=added is not None)
        await self._ledger.append_platform(
            db,
            type="work_order_joined",
            case=case.id,
            actor={"kind": "platform", "id": f"hotline_key:{key.id}", "role": "hotline"},
            data={
                "hotline": key.label,
                "order_number": order.order_number,
                "related_order_number": order.related_order_number,
                "caller": self._registrant(order.caller, "applicant").as_registered(),
                "content": order.content,
                "applicant_added": added.as_registered() if added else None,
            },
            public={"applicant_added": added is not None},
        )

    async def _next_number(self, db: AsyncSession, organisation_id: str, today: date) -> str:
        """The next free number of the year for a case registered from an order: （2026）热线调字第12号."""
        start = f"（{today.year}）热线调字第"
        taken = await db.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.organisation_id == organisation_id, Case.case_number.startswith(start))
        )
        n = int(taken or 0) + 1
        while await db.scalar(
            select(Case.id).where(Case.organisation_id == organisation_id, Case.case_number == f"{start}{n}号")
        ):
            n += 1
        return f"{start}{n}号"

    async def _result(self, db: AsyncSession, row: WorkOrder, outcome: str = "already_received") -> OrderResult:
        case = await db.get(Case, row.case_id)
        assert case is not None
        handled_by = await db.get(Organisation, case.organisation_id)
        mediator = await db.get(User, case.mediator_id)
        assert handled_by is not None and mediator is not None
        return OrderResult(row, case, handled_by, mediator, outcome)


def result_words(result: OrderResult) -> dict[str, str | None]:
    """The case's state and, once it ended, why: the words an operator reads out to the caller."""
    case = result.case
    zh, en = STATUS_WORDS.get(case.status, (case.status, case.status))
    ground = ground_of(case.outcome_reason)  # 在线调解规则 art. 25's ground the mediation ended on
    return {
        "status_words": zh,
        "status_words_en": en,
        "reason_words": ground.zh if ground else None,
        "reason_words_en": ground.en if ground else None,
    }
