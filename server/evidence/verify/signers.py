"""Who signed each record: step (d) of FORMAT.md.

A signature counts when it verifies over the record's statement with a key valid at the
record's time: a platform key listed in keys.json, or a person's key that an earlier
`key_bound` record of this case bound to the record's actor. A binding needs the new key's own
signature (proof of possession) and the platform's; one `video_witnessed` needs a fresh identity
check on video signed by the checking mediator's own key.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.evidence import bundle as bz
from server.evidence.records import (
    USER_VERIFIED_TYPES,
    WITNESS_WINDOW_SECONDS,
    KeyInfo,
    Record,
    RecordError,
    SignatureError,
    parse_time,
    sha256_hex,
)
from server.evidence.signatures import verify_signature
from server.evidence.verify.findings import Signer
from server.evidence.verify.reading import Reading, parse_key

PLATFORM_PURPOSES = frozenset({"platform", "recorder", "log"})
PLATFORM_SIGNED_TYPES = frozenset({"case_registered", "case_opened", "checkpoint_witnessed"})
_SIGNATURE_ERRORS = (SignatureError, ValueError, TypeError, KeyError, AttributeError, ImportError)  # what hostile sigs provoke


def _same_person(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    return a.get("kind") == b.get("kind") and a.get("id") == b.get("id")


def _method(info: KeyInfo) -> str:
    if info.purpose == "person":
        return "passkey" if info.alg == "webauthn" else "device_key"
    return f"{info.purpose}_key"


class SignatureCheck:
    """Checks every record's signatures and the key bindings they rest on, in record order."""

    def __init__(self, bundle: Reading) -> None:
        self.bundle, self.problem = bundle, bundle.problem
        self.offered: set[str] = set()  # keys that key_bound records carry, bound or not
        self.bound: dict[str, tuple[KeyInfo, int]] = {}
        self.witnessed_by: dict[int, int] = {}  # identity check seq -> the video_witnessed binding that used it

    def check(self) -> None:
        for seq in sorted(self.bundle.records):
            record, claim = self.bundle.records[seq], self.bundle.records[seq].claim
            new = self._key_to_bind(record) if claim.type == "key_bound" and claim.case == self.bundle.case else None
            signers = [s for s in (self._signature(record, sig, new) for sig in record.sigs) if s is not None]
            self.bundle.summaries[seq].signers = signers
            if not signers:
                self.problem("record_unsigned", seq=seq)
            platform = any(s.method == "platform_key" for s in signers)
            if claim.type in PLATFORM_SIGNED_TYPES and not platform:
                self.problem("platform_signature_missing", seq=seq, type=claim.type)
            if new is not None and claim.public.get("method") == "video_witnessed":
                gap = self._witness_gap(record)
                if gap is not None:
                    ref = claim.public.get("identity_check")
                    self.problem(
                        "key_unbound", seq=seq, key=new.id, why=gap, check=ref.get("seq") if isinstance(ref, dict) else None
                    )
                    continue
            if new is not None:
                self._bind(record, new, signers, platform)

    def _witness_gap(self, record: Record) -> str | None:
        """Why a `video_witnessed` binding does not stand, or None when it does.

        It must name an earlier `identity_checked` record of this case that confirmed this party
        by their ID card on video, signed by the checking mediator's own key bound to the case
        (not by the platform), at most WITNESS_WINDOW_SECONDS before, and used by no other binding.
        """
        ref = record.claim.public.get("identity_check")
        seq = ref.get("seq") if isinstance(ref, dict) else None
        check = self.bundle.records.get(seq) if isinstance(seq, int) and seq < record.seq else None
        if check is None or check.claim.type != "identity_checked" or not isinstance(ref, dict):
            return "no_check"
        public, actor = check.claim.public, check.claim.actor
        subject: dict[str, str] = public["subject"] if isinstance(public.get("subject"), dict) else {}
        if not _same_person(subject, record.claim.actor) or public.get("method") != "id_card_on_video":
            return "check_other"
        if public.get("result") != "confirmed":
            return "check_other"
        checked_by: dict[str, str] = ref["checked_by"] if isinstance(ref.get("checked_by"), dict) else {}
        own = any(
            s.method in ("device_key", "passkey") and _same_person(s.holder, actor)
            for s in self.bundle.summaries[check.seq].signers
        )
        if actor.get("kind") != "staff" or actor.get("role") != "mediator" or not _same_person(actor, checked_by) or not own:
            return "check_unsigned"
        try:
            late = (parse_time(record.claim.time) - parse_time(check.claim.time)).total_seconds() > WITNESS_WINDOW_SECONDS
        except RecordError:
            late = True
        if late:
            return "check_late"
        if check.seq in self.witnessed_by:
            return "check_reused"
        self.witnessed_by[check.seq] = record.seq
        return None

    def _key_to_bind(self, record: Record) -> KeyInfo | None:
        """The KeyInfo a `key_bound` record carries, if it is a person's key for the record's actor."""
        seq = record.seq
        try:
            info = parse_key(record.claim.public.get("key"))
        except RecordError as exc:
            self.problem("key_unbound", seq=seq, why="bad_key", detail=str(exc))
            return None
        self.offered.add(info.id)
        if info.purpose != "person":
            self.problem("key_unbound", seq=seq, key=info.id, why="bad_key", detail=f"purpose is {info.purpose}, not person")
            return None
        if not _same_person(info.holder, record.claim.actor):
            self.problem(
                "signature_misbound", seq=seq, key=info.id, holder=self._who(info.holder), actor=self._who(record.claim.actor)
            )
            return None
        return info

    def _bind(self, record: Record, info: KeyInfo, signers: list[Signer], platform: bool) -> None:
        if not any(s.key == info.id for s in signers):
            self.problem("key_unbound", seq=record.seq, key=info.id, why="no_pop")
        elif not platform:
            self.problem("key_unbound", seq=record.seq, key=info.id, why="no_platform")
        elif info.id in self.bound and not _same_person(self.bound[info.id][0].holder, info.holder):
            self.problem("key_unbound", seq=record.seq, key=info.id, why="rebound")
        else:
            self.bound.setdefault(info.id, (info, record.seq))
            listed = self.bundle.keys.get(info.id)
            if listed is not None and not _same_person(listed.holder, info.holder):
                self.problem("key_substituted", key=info.id, file=bz.KEYS, why="differs", seq=record.seq)

    def _signature(self, record: Record, sig: dict[str, str], new: KeyInfo | None) -> Signer | None:
        """Check one signature; returns who signed, or None after reporting why it does not count."""
        seq, claim, kid = record.seq, record.claim, str(sig.get("key"))[:64]
        info = self._signing_key(record, kid, new, str(sig.get("alg")))
        if info is None:
            return None
        try:
            verify_signature(sig, info, self.bundle.statements[seq], user_verified=claim.type in USER_VERIFIED_TYPES)
        except _SIGNATURE_ERRORS as exc:
            self.problem("signature_invalid", seq=seq, key=kid, detail=str(exc))
            return None
        if not info.valid_at(parse_time(claim.time)):
            self.problem("key_not_valid", seq=seq, key=kid, time=claim.time)
            return None
        if info.purpose == "person" and not _same_person(info.holder, claim.actor):
            self.problem("signature_misbound", seq=seq, key=kid, holder=self._who(info.holder), actor=self._who(claim.actor))
            return None
        name = self.bundle.names.get((info.holder.get("kind", ""), info.holder.get("id", "")))
        return Signer(kid, _method(info), dict(info.holder), name)

    def _signing_key(self, record: Record, kid: str, new: KeyInfo | None, alg: str) -> KeyInfo | None:
        """The key a signature may use: the key being bound, a key bound earlier, or a platform key."""
        if new is not None and kid == new.id:
            return new
        if kid in self.bound:
            info, since = self.bound[kid]
            if since < record.seq:
                return info
            self.problem("key_unbound", seq=record.seq, key=kid, why="not_bound")
            return None
        listed = self.bundle.keys.get(kid)
        if listed is not None and listed.purpose in PLATFORM_PURPOSES:
            return listed
        if listed is not None:
            self.problem("key_unbound", seq=record.seq, key=kid, why="not_bound")
            return None
        if kid in self.bundle.replaced:  # already reported against keys.json
            return None
        if record.claim.type == "key_bound" or kid in self.offered:
            self.problem("key_unbound", seq=record.seq, key=kid, why="not_bound")
            return None
        other = self._stand_in(alg)
        if other is not None:
            self.problem("key_substituted", seq=record.seq, key=kid, file=bz.KEYS, why="missing", other=other)
        else:
            self.problem("key_unknown", seq=record.seq, key=kid)
        return None

    def _stand_in(self, alg: str) -> str | None:
        """A platform key no record names, of the missing key's algorithm, in a keys.json not shown intact.

        That is what swapping a platform key looks like; an intact, logged keys.json means the
        signature was made with a key the platform never had (key_unknown) instead.
        """
        bundle = self.bundle
        export, hashes = bundle.records.get(bundle.export_seq or 0), (bundle.manifest or {}).get("files", {})
        logged = export is not None and export.claim.public.get("manifest_hash") == sha256_hex(bundle.files.get(bz.MANIFEST, b""))
        if logged and hashes.get(bz.KEYS) == sha256_hex(bundle.files.get(bz.KEYS, b"")):
            return None
        named = {str(sig.get("key")) for r in bundle.records.values() for sig in r.sigs}
        for other in bundle.keys.values():
            if other.purpose in ("platform", "recorder") and other.alg == alg and other.id not in named:
                return other.id
        return None

    def _who(self, holder: Mapping[str, str]) -> str:
        name = self.bundle.names.get((holder.get("kind", ""), holder.get("id", "")))
        return f"{name} ({holder.get('id')})" if name else f"{holder.get('kind')} {holder.get('id')}"
