"""Keys and certificates for organisations' seals, kept as PEM files.

A platform certificate authority (created on first use) issues each organisation's seal
certificate, so a court can pin one root and check every organisation's seal offline. An
organisation that has a certificate from a real CA installs it instead (SealAuthority.install).

Keys are ECDSA P-256. It gives 128-bit security for the whole 20-year life of the CA (RSA-2048
gives 112 bits, which NIST accepts only until 2030), generates in well under a millisecond (RSA-2048
takes 40-80 ms here, a stall of the event loop on each organisation's first seal), and is what the
parties' device keys already use. PAdES allows ECDSA, and pyHanko and poppler validate it (both
checked by tests/documents/test_seal.py); mainstream readers such as Acrobat support it too, but
that could not be tried here. An organisation whose software insists on RSA installs an RSA
certificate, which install() accepts.

Files: <dir>/ca/{key,cert}.pem and <dir>/seals/<organisation id>/{key,cert,chain}.pem, every file
mode 0600 and every directory 0700, each written atomically (temporary file, fsync, rename). A
lock file serialises creation and replacement across processes. Key material is never deleted:
a replaced file is renamed with a timestamp suffix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_COMMON_NAME = "mediate platform seal CA"
CA_YEARS = 20
SEAL_YEARS = 5
# Extended key usage: id-kp-documentSigning (RFC 9336), which pyHanko accepts (its default policy
# for PDF signatures checks keyUsage nonRepudiation and lets any extended key usage through), plus
# emailProtection. NSS, and so poppler's pdfsig and the Linux PDF viewers built on it, refuses a
# certificate whose only purpose is documentSigning ("Certificate type not approved for
# application") and accepts it with emailProtection beside it. emailProtection is also, as far as
# we know (not tried here), among the purposes Adobe Acrobat accepts for signing certificates.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
SEAL_PURPOSES = [DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]
# X.509's upper bound for commonName and organizationName (RFC 5280, ub-common-name).
NAME_LIMIT = 64
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class SealError(Exception):
    """A seal cannot be created, installed or applied; the message says why."""


@dataclass(frozen=True)
class Seal:
    organisation_id: str
    certificate_pem: bytes
    chain_pem: list[bytes]  # issuer certificates, nearest first (the platform CA for generated seals)
    key_path: Path

    def certificate_sha256(self) -> str:
        """The certificate's fingerprint, as shown in certificate viewers and pinned in records."""
        der = x509.load_pem_x509_certificate(self.certificate_pem).public_bytes(serialization.Encoding.DER)
        return hashlib.sha256(der).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _spki(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _archive(path: Path, stamp: str) -> None:
    """Move a file aside instead of deleting it: an old key may be needed to explain an old seal."""
    if not path.exists():
        return
    target = path.with_name(f"{path.name}.replaced-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.replaced-{stamp}-{n}")
    os.rename(path, target)


def _topmost(certs: list[x509.Certificate]) -> x509.Certificate:
    """The end of a chain: the certificate whose issuer is not in the list (the root, if it was given)."""
    subjects = {c.subject for c in certs}
    for cert in reversed(certs):
        if cert.issuer == cert.subject or cert.issuer not in subjects:
            return cert
    return certs[-1]


class SealAuthority:
    def __init__(self, directory: Path, ca_certificate: x509.Certificate) -> None:
        self.directory = directory
        self._ca_certificate = ca_certificate

    @classmethod
    def open(cls, directory: Path) -> SealAuthority:
        """Open the seal directory, creating the platform CA on first use."""
        _private_dir(directory)
        with _locked(directory):
            ca_dir = directory / "ca"
            cert_path = ca_dir / "cert.pem"
            if not cert_path.exists():
                _private_dir(ca_dir)
                key = ec.generate_private_key(ec.SECP256R1())
                cert = _issue_ca(key)
                _write_atomic(ca_dir / "key.pem", _key_pem(key))
                _write_atomic(cert_path, _cert_pem(cert))
            return cls(directory, x509.load_pem_x509_certificate(cert_path.read_bytes()))

    def ca_certificate_pem(self) -> bytes:
        return _cert_pem(self._ca_certificate)

    def _seal_dir(self, organisation_id: str) -> Path:
        if not _ID.fullmatch(organisation_id):
            raise SealError(f"organisation id {organisation_id!r} is not a plain identifier (letters, digits, '-')")
        return self.directory / "seals" / organisation_id

    def _load(self, organisation_id: str) -> Seal | None:
        folder = self._seal_dir(organisation_id)
        cert_path, key_path, chain_path = folder / "cert.pem", folder / "key.pem", folder / "chain.pem"
        if not (cert_path.exists() and key_path.exists()):
            return None
        chain = x509.load_pem_x509_certificates(chain_path.read_bytes()) if chain_path.exists() else []
        return Seal(organisation_id, cert_path.read_bytes(), [_cert_pem(c) for c in chain], key_path)

    def seal_for(self, organisation_id: str, organisation_name: str) -> Seal:
        """The organisation's seal, issued by the platform CA on first use and reused after.

        A generated seal is issued anew (the old files kept) when the organisation's name has
        changed or the certificate has less than 30 days left; an installed one is never replaced.
        """
        folder = self._seal_dir(organisation_id)
        with _locked(self.directory):
            seal = self._load(organisation_id)
            if seal is not None and not self._stale(seal, organisation_name):
                return seal
            ca_key = serialization.load_pem_private_key((self.directory / "ca" / "key.pem").read_bytes(), password=None)
            assert isinstance(ca_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
            key = ec.generate_private_key(ec.SECP256R1())
            cert = _issue_seal(organisation_id, organisation_name, key, ca_key, self._ca_certificate)
            self._store(folder, cert, key, [self._ca_certificate])
            loaded = self._load(organisation_id)
            assert loaded is not None
            return loaded

    def _stale(self, seal: Seal, organisation_name: str) -> bool:
        cert = x509.load_pem_x509_certificate(seal.certificate_pem)
        if cert.issuer != self._ca_certificate.subject:
            return False
        renamed = _common_name(cert) != organisation_name[:NAME_LIMIT]
        expiring = cert.not_valid_after_utc - _now() < dt.timedelta(days=30)
        return renamed or expiring

    def _store(self, folder: Path, cert: x509.Certificate, key: PrivateKey, chain: list[x509.Certificate]) -> None:
        _private_dir(folder.parent)
        _private_dir(folder)
        stamp = _now().strftime("%Y%m%dT%H%M%SZ")
        for name in ("key.pem", "cert.pem", "chain.pem"):
            _archive(folder / name, stamp)
        _write_atomic(folder / "key.pem", _key_pem(key))
        _write_atomic(folder / "cert.pem", _cert_pem(cert))
        if chain:
            _write_atomic(folder / "chain.pem", b"".join(_cert_pem(c) for c in chain))

    def install(self, organisation_id: str, cert_pem: bytes, key_pem: bytes, chain_pem: bytes | None = None) -> Seal:
        """Replace the generated seal with a certificate from a real CA (the old files are kept)."""
        folder = self._seal_dir(organisation_id)
        cert, key, chain = _check_installable(cert_pem, key_pem, chain_pem)
        with _locked(self.directory):
            self._store(folder, cert, key, chain)
            loaded = self._load(organisation_id)
            assert loaded is not None
            return loaded

    def trust_roots(self) -> list[bytes]:
        """The platform CA, and the top of every installed seal's chain (deduplicated).

        A chain that stops short of its root pins its topmost certificate instead; an installed
        certificate with no chain is pinned only if it is self-signed.
        """
        roots = [self._ca_certificate]
        for cert_path in sorted((self.directory / "seals").glob("*/cert.pem")):
            chain_path = cert_path.with_name("chain.pem")
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            chain = x509.load_pem_x509_certificates(chain_path.read_bytes()) if chain_path.exists() else []
            if chain or cert.issuer == cert.subject:
                roots.append(_topmost([cert, *chain]))
        unique: dict[bytes, bytes] = {}
        for root in roots:
            unique.setdefault(root.fingerprint(hashes.SHA256()), _cert_pem(root))
        return list(unique.values())


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _issue_ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME)])
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS + CA_YEARS // 4))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _issue_seal(
    organisation_id: str,
    organisation_name: str,
    key: ec.EllipticCurvePrivateKey,
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
) -> x509.Certificate:
    # Longer names are cut at X.509's 64-character limit; no Chinese organisation name comes close.
    shown = organisation_name[:NAME_LIMIT]
    if not shown.strip():
        raise SealError("an organisation needs a name to be put on its seal")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, shown),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, shown),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, organisation_id),
        ]
    )
    now = _now()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=365 * SEAL_YEARS + 1), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(SEAL_PURPOSES), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _check_installable(
    cert_pem: bytes, key_pem: bytes, chain_pem: bytes | None
) -> tuple[x509.Certificate, PrivateKey, list[x509.Certificate]]:
    """Refuse what would make every later seal fail, before anything on disk changes."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        chain = x509.load_pem_x509_certificates(chain_pem) if chain_pem and chain_pem.strip() else []
    except ValueError as exc:
        raise SealError(f"not a PEM certificate: {exc}") from exc
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError as exc:
        raise SealError("the private key is encrypted; decrypt it before installing it") from exc
    except ValueError as exc:
        raise SealError(f"not a PEM private key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SealError("only RSA and ECDSA keys can seal PDFs here")
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise SealError("the private key does not match the certificate's public key")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.content_commitment:
        raise SealError("the certificate lacks the nonRepudiation key usage that PDF seal validators require")
    if cert.not_valid_after_utc <= _now():
        raise SealError(f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    for child, issuer in zip([cert, *chain], chain, strict=False):
        try:
            child.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise SealError(
                f"the chain does not verify: {_common_name(child)!r} is not issued by {_common_name(issuer)!r}"
            ) from exc
    return cert, key, chain
