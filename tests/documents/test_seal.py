from __future__ import annotations

import datetime as dt
import io
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from server.documents.agreement_pdf import render_agreement
from server.documents.seal import Seal, SealAuthority, SealError, check_seal, seal_pdf

from .samples import make_doc

ORG_ID = "0b7a2f1e-1111-4c2d-9e7a-5f0c3d2b1a00"
ORG_NAME = "朝阳区人民调解委员会"


@pytest.fixture(scope="module")
def agreement_pdf() -> bytes:
    return render_agreement(make_doc())


@pytest.fixture
def authority(tmp_path: Path) -> SealAuthority:
    return SealAuthority.open(tmp_path / "seals")


async def seal(pdf: bytes, the_seal: Seal) -> bytes:
    return await seal_pdf(pdf, the_seal, reason="调解协议书盖章", location="北京市朝阳区", name=ORG_NAME)


@pytest.fixture
async def sealed(authority: SealAuthority, agreement_pdf: bytes) -> bytes:
    return await seal(agreement_pdf, authority.seal_for(ORG_ID, ORG_NAME))


def test_a_sealed_pdf_checks_out(authority: SealAuthority, sealed: bytes, agreement_pdf: bytes) -> None:
    check = check_seal(sealed, authority.trust_roots())
    assert (check.intact, check.trusted, check.covers_whole_file) == (True, True, True)
    assert check.signer == ORG_NAME
    assert check.signed_at is not None
    assert ORG_NAME in check.summary and "Seal by" in check.summary
    # An incremental update: the parties' signed bytes are still the first bytes of the file.
    assert sealed.startswith(agreement_pdf)


async def test_check_seal_works_inside_an_event_loop(authority: SealAuthority, sealed: bytes) -> None:
    assert check_seal(sealed, authority.trust_roots()).trusted


def test_one_changed_byte_breaks_the_seal(authority: SealAuthority, sealed: bytes) -> None:
    at = sealed.index(b"(mediate)")  # the Creator entry, inside the signed range
    tampered = sealed[: at + 1] + b"M" + sealed[at + 2 :]
    check = check_seal(tampered, authority.trust_roots())
    assert not check.intact and not check.trusted
    assert "印章无效" in check.summary


def test_bytes_appended_after_sealing_are_reported(authority: SealAuthority, sealed: bytes) -> None:
    check = check_seal(sealed + b"\n% added later\n", authority.trust_roots())
    assert not (check.intact and check.covers_whole_file)
    assert not check.covers_whole_file


def test_an_update_appended_after_sealing_is_reported(authority: SealAuthority, sealed: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    check = check_seal(out.getvalue(), authority.trust_roots())
    assert check.intact and not check.covers_whole_file
    # pyHanko's difference analysis finds that the update touched the document catalogue.
    assert "changed after sealing" in check.summary


def test_another_platforms_roots_do_not_trust_the_seal(tmp_path: Path, sealed: bytes) -> None:
    stranger = SealAuthority.open(tmp_path / "elsewhere")
    check = check_seal(sealed, stranger.trust_roots())
    assert check.intact and not check.trusted
    assert "trusted root" in check.summary


@pytest.mark.parametrize("pdf", [b"", b"garbage, not a PDF", b"%PDF-1.4\n1 0 obj\n<<"])
def test_bad_input_gives_all_false(authority: SealAuthority, pdf: bytes) -> None:
    check = check_seal(pdf, authority.trust_roots())
    assert (check.intact, check.trusted, check.covers_whole_file, check.signer) == (False, False, False, "")
    assert check.summary


def test_an_unsigned_pdf_has_no_seal(authority: SealAuthority, agreement_pdf: bytes) -> None:
    check = check_seal(agreement_pdf, authority.trust_roots())
    assert (check.intact, check.trusted, check.covers_whole_file) == (False, False, False)
    assert "no seal" in check.summary


def test_a_cut_off_sealed_pdf_gives_all_false(authority: SealAuthority, sealed: bytes) -> None:
    check = check_seal(sealed[: len(sealed) // 2], authority.trust_roots())
    assert (check.intact, check.trusted, check.covers_whole_file) == (False, False, False)


async def test_a_sealed_pdf_cannot_be_sealed_again(authority: SealAuthority, sealed: bytes) -> None:
    with pytest.raises(SealError):
        await seal(sealed, authority.seal_for(ORG_ID, ORG_NAME))


@pytest.mark.parametrize("pdf", [b"", b"garbage, not a PDF", b"%PDF-1.4\n1 0 obj\n<<"])
async def test_sealing_something_that_is_not_a_pdf_is_a_seal_error(authority: SealAuthority, pdf: bytes) -> None:
    with pytest.raises(SealError):
        await seal(pdf, authority.seal_for(ORG_ID, ORG_NAME))


def test_certificates_say_who_issued_what(authority: SealAuthority) -> None:
    ca = x509.load_pem_x509_certificate(authority.ca_certificate_pem())
    assert ca.subject.rfc4514_string() == "CN=mediate platform seal CA" == ca.issuer.rfc4514_string()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ca_usage.key_cert_sign and ca_usage.crl_sign
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days >= 20 * 365

    the_seal = authority.seal_for(ORG_ID, ORG_NAME)
    cert = x509.load_pem_x509_certificate(the_seal.certificate_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ORG_NAME
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ORG_NAME
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == ORG_ID
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    purposes = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36") in purposes  # document signing (RFC 9336)
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in purposes  # without it NSS/poppler refuse the certificate
    assert 5 * 365 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 5 * 366
    assert the_seal.chain_pem == [authority.ca_certificate_pem()]
    assert the_seal.certificate_sha256() == cert.fingerprint(hashes.SHA256()).hex()


def test_the_seal_is_made_once_and_kept(tmp_path: Path) -> None:
    directory = tmp_path / "seals"
    first = SealAuthority.open(directory).seal_for(ORG_ID, ORG_NAME)
    again = SealAuthority.open(directory).seal_for(ORG_ID, ORG_NAME)
    assert again.certificate_pem == first.certificate_pem
    assert again.key_path.read_bytes() == first.key_path.read_bytes()
    assert SealAuthority.open(directory).ca_certificate_pem() == SealAuthority.open(directory).ca_certificate_pem()

    files = [p for p in directory.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"key.pem", "cert.pem", "chain.pem"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in [directory, *(p for p in directory.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    assert not [p for p in files if p.name.endswith(".tmp")]


def test_a_renamed_organisation_gets_a_new_seal_and_the_old_key_is_kept(authority: SealAuthority) -> None:
    old = authority.seal_for(ORG_ID, ORG_NAME)
    old_key = old.key_path.read_bytes()
    new = authority.seal_for(ORG_ID, "朝阳区望京街道人民调解委员会")
    cert = x509.load_pem_x509_certificate(new.certificate_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "朝阳区望京街道人民调解委员会"
    assert [p.read_bytes() for p in new.key_path.parent.glob("key.pem.replaced-*")] == [old_key]
    assert new.key_path.read_bytes() != old_key


def test_bad_organisation_ids_are_refused(authority: SealAuthority) -> None:
    for bad in ("../ca", "", "a/b", "x" * 100):
        with pytest.raises(SealError):
            authority.seal_for(bad, ORG_NAME)


def _outside_ca(
    key_usage_content_commitment: bool = True,
) -> tuple[bytes, bytes, bytes, bytes]:
    """A root, and a leaf certificate and key issued by it: what a commercial CA would hand over."""
    now = dt.datetime.now(dt.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Trust Services Root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ORG_NAME)]))
        .issuer_name(root_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, key_usage_content_commitment, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = leaf_key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return (
        leaf.public_bytes(pem),
        key_pem,
        root.public_bytes(pem),
        root_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def test_install_refuses_a_key_that_does_not_match(authority: SealAuthority) -> None:
    before = authority.seal_for(ORG_ID, ORG_NAME)
    cert_pem, _, root_pem, root_key_pem = _outside_ca()
    with pytest.raises(SealError, match="does not match"):
        authority.install(ORG_ID, cert_pem, root_key_pem, root_pem)
    assert authority.seal_for(ORG_ID, ORG_NAME).certificate_pem == before.certificate_pem
    assert not list(before.key_path.parent.glob("*.replaced-*"))


def test_install_refuses_a_certificate_without_non_repudiation(authority: SealAuthority) -> None:
    cert_pem, key_pem, root_pem, _ = _outside_ca(key_usage_content_commitment=False)
    with pytest.raises(SealError, match="nonRepudiation"):
        authority.install(ORG_ID, cert_pem, key_pem, root_pem)


async def test_an_installed_seal_replaces_the_generated_one(authority: SealAuthority, agreement_pdf: bytes) -> None:
    generated = authority.seal_for(ORG_ID, ORG_NAME)
    old_key = generated.key_path.read_bytes()
    cert_pem, key_pem, root_pem, _ = _outside_ca()

    installed = authority.install(ORG_ID, cert_pem, key_pem, root_pem)

    assert installed.certificate_pem == cert_pem
    assert authority.seal_for(ORG_ID, ORG_NAME).certificate_pem == cert_pem  # installed seals are never reissued
    folder = generated.key_path.parent
    assert [p.read_bytes() for p in folder.glob("key.pem.replaced-*")] == [old_key]
    assert [p.read_bytes() for p in folder.glob("cert.pem.replaced-*")] == [generated.certificate_pem]
    assert stat.S_IMODE(installed.key_path.stat().st_mode) == 0o600
    roots = authority.trust_roots()
    assert authority.ca_certificate_pem() in roots and root_pem in roots

    check = check_seal(await seal(agreement_pdf, installed), roots)
    assert (check.intact, check.trusted, check.covers_whole_file) == (True, True, True)
    assert not check_seal(await seal(agreement_pdf, installed), [authority.ca_certificate_pem()]).trusted


def test_poppler_also_trusts_the_seal(authority: SealAuthority, sealed: bytes, tmp_path: Path) -> None:
    """A second, independent validator (poppler with NSS), as Linux PDF viewers use it."""
    nss = tmp_path / "nss"
    nss.mkdir()
    (tmp_path / "ca.pem").write_bytes(authority.ca_certificate_pem())
    (tmp_path / "sealed.pdf").write_bytes(sealed)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "ca", "-t", "C,C,C", "-i", str(tmp_path / "ca.pem")], check=True)
    report = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(tmp_path / "sealed.pdf")], check=False, capture_output=True, text=True
    ).stdout
    assert "Signature is Valid" in report
    assert "Certificate is Trusted" in report
    assert ORG_NAME in report
