"""web/js/keys.js in real Chromium: passkeys through Chromium's virtual authenticator, and device keys.

A tiny aiohttp app started here serves keys.js and a test page on http://localhost:<port>
(a secure context, so WebAuthn and WebCrypto work without TLS). What the browser produces is
checked with the same Python code that checks evidence: `server.evidence.webauthn` and
`signatures.verify_signature`. The project's server and the fixtures of tests/browser/conftest.py
are not used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import web

from server.evidence import webauthn
from server.evidence.records import (
    Claim,
    KeyInfo,
    SignatureError,
    b64,
    body_hash,
    key_id,
    make_body,
    timestamp,
    unb64url,
)
from server.evidence.signatures import verify_signature
from tests.browser.conftest import DISABLE_FEATURES

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
KEYS_JS = REPO / "web" / "js" / "keys.js"
RP_ID = "localhost"
HOLDER = {"kind": "party", "id": "p1", "role": "applicant"}
CHROMIUM_ARGS = [
    DISABLE_FEATURES,
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NO_BROWSER = (
    "Debian's chromium is needed for the browser tests but was not found (looked for `chromium` on PATH "
    "and /usr/bin/chromium). Run the README's test command, `bash scripts/test`, which installs it."
)
NO_PLAYWRIGHT = "Playwright's Python package is missing. Run `bash scripts/test`, which installs the test dependencies."

PAGE = """<!doctype html>
<html lang="zh-CN">
<meta charset="utf-8">
<title>keys.js test</title>
<script type="module">
  import * as keys from '/static/js/keys.js';
  window.keys = keys;
</script>
<p>keys.js test page</p>
</html>
"""

# Reads the stored private key straight from IndexedDB (not through keys.js) and tries to export it.
EXPORT_PRIVATE_KEY = """async (name) => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('mediate-keys');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const stored = await new Promise((resolve, reject) => {
    const r = db.transaction('keys').objectStore('keys').get(name);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  const key = stored.privateKey;
  const out = {extractable: key.extractable, type: key.type, usages: key.usages, exported: null, error: null};
  try {
    out.exported = keys.b64Encode(await crypto.subtle.exportKey('pkcs8', key));
  } catch (e) {
    out.error = e.name;
  }
  try {
    await crypto.subtle.exportKey('jwk', key);
    out.jwk = 'exported';
  } catch (e) {
    out.jwk = e.name;
  }
  return out;
}"""

# Removes the JSON helpers so that keys.js takes its own encoding path.
WITHOUT_JSON_HELPERS = """
  delete PublicKeyCredential.parseCreationOptionsFromJSON;
  delete PublicKeyCredential.parseRequestOptionsFromJSON;
  delete PublicKeyCredential.prototype.toJSON;
"""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def statement(kind: str = "agreement_version") -> bytes:
    body = make_body({"text": "双方同意：乙方于十日内赔偿甲方人民币三千元。"})
    return Claim(log="mediate.test/log", type=kind, case="case-1", actor=dict(HOLDER), body_hash=body_hash(body)).statement


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
async def origin() -> AsyncIterator[str]:
    """The test app on a free port; its origin is http://localhost:<port>."""

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", headers={"Cache-Control": "no-store"})

    async def keys_js(_: web.Request) -> web.Response:
        return web.Response(
            text=KEYS_JS.read_text(encoding="utf-8"), content_type="text/javascript", headers={"Cache-Control": "no-store"}
        )

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/static/js/keys.js", keys_js)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://localhost:{port}"
    finally:
        await runner.cleanup()


class MissingBrowser:
    """Stands in for Chromium when it cannot be started: the test's first use of it fails the test.

    (As in tests/browser/conftest.py: a FAILED test, never a skip, and not a setup error.)
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __getattr__(self, name: str) -> Any:
        pytest.fail(self.reason, pytrace=False)


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    executable = chromium_path()
    if executable is None:
        yield MissingBrowser(NO_BROWSER)
        return
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        yield MissingBrowser(NO_PLAYWRIGHT)
        return
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class Page:
    """A page with keys.js loaded as `window.keys`, collecting the page's own errors."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    async def load(self) -> None:
        await self.page.goto(self.origin + "/")
        await self.page.wait_for_function("() => window.keys !== undefined")

    async def run(self, script: str, arg: Any = None) -> Any:
        return await self.page.evaluate(script, arg)


@pytest.fixture
async def page(chromium: Any, origin: str) -> AsyncIterator[Page]:
    if isinstance(chromium, MissingBrowser):
        yield cast(Page, chromium)
        return
    context = await chromium.new_context()
    try:
        p = Page(await context.new_page(), origin)
        yield p
        assert p.errors == [], f"errors in the page: {p.errors}"
    finally:
        await context.close()


async def add_virtual_authenticator(page: Page) -> tuple[Any, str]:
    cdp = await page.page.context.new_cdp_session(page.page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    added = await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


# -- passkeys ---------------------------------------------------------------------------------


async def sign_with_passkey(page: Page, key: KeyInfo, stmt: bytes) -> dict[str, Any]:
    assert key.webauthn is not None
    options = webauthn.assertion_options(
        rp_id=RP_ID, challenge=sha256(stmt), credential_ids=[unb64url(key.webauthn["credential_id"])], require_uv=True
    )
    return dict(json.loads(await page.run("async (o) => JSON.stringify(await keys.signWithPasskey(o))", options)))


@pytest.mark.parametrize("json_helpers", ["native", "fallback"])
async def test_a_passkey_registers_and_signs_statements_that_verify_offline(page: Page, json_helpers: str) -> None:
    if json_helpers == "fallback":
        await page.page.add_init_script(WITHOUT_JSON_HELPERS)
    await page.load()
    native = await page.run("() => typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'")
    assert native == (json_helpers == "native")
    cdp, authenticator_id = await add_virtual_authenticator(page)
    assert await page.run("() => keys.passkeysAvailable({platformOnly: true})") is True

    # registration
    challenge = os.urandom(32)
    options = webauthn.registration_options(
        rp_id=RP_ID,
        rp_name="调解平台",
        user_id=os.urandom(16),
        user_name="p1",
        display_name="王阿姨",
        challenge=challenge,
        require_uv=True,
    )
    registration = await page.run("async (o) => JSON.stringify(await keys.createPasskey(o))", options)
    key = webauthn.verify_registration(
        registration,
        challenge=challenge,
        origin=page.origin,
        rp_id=RP_ID,
        require_uv=True,
        holder=HOLDER,
        valid_from=timestamp(),
    )
    assert key.alg == "webauthn" and key.id == key_id(key.spki)
    assert KeyInfo.from_json(key.to_json()) == key
    stored = (await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id}))["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"] is True

    # a signature over a statement
    assert key.webauthn is not None
    first = statement("agreement_version")
    assertion = await sign_with_passkey(page, key, first)
    count = webauthn.verify_assertion(
        assertion, key=key, challenge_hash=sha256(first), current_sign_count=int(key.webauthn["sign_count"]), require_uv=True
    )
    sig = webauthn.sig_from_assertion(assertion, key)
    verify_signature(sig, key, first, user_verified=True)
    verify_signature(json.loads(json.dumps(sig)), KeyInfo.from_json(key.to_json()), first, user_verified=True)

    # a second statement's signature is not a signature of the first
    second = statement("signature")
    assertion2 = await sign_with_passkey(page, key, second)
    count2 = webauthn.verify_assertion(
        assertion2, key=key, challenge_hash=sha256(second), current_sign_count=count, require_uv=True
    )
    sig2 = webauthn.sig_from_assertion(assertion2, key)
    verify_signature(sig2, key, second, user_verified=True)
    with pytest.raises(SignatureError, match="wrong challenge"):
        verify_signature(sig2, key, first, user_verified=True)

    # the first assertion again, online: Chromium's authenticator counts, so the replay shows
    assert count2 > count > int(key.webauthn["sign_count"])
    with pytest.raises(SignatureError, match="sign count"):
        webauthn.verify_assertion(assertion, key=key, challenge_hash=sha256(first), current_sign_count=count2, require_uv=True)


# -- device keys ------------------------------------------------------------------------------


async def sign_with_device_key(page: Page, name: str, stmt: bytes) -> dict[str, str]:
    signature = await page.run("([n, s]) => keys.signWithDeviceKey(n, keys.b64Decode(s))", [name, b64(stmt)])
    assert len(base64.b64decode(signature)) == 64  # IEEE P1363 r‖s
    return {"alg": "es256", "sig": signature}


async def test_a_device_key_is_kept_non_extractable_and_signs_after_a_reload(page: Page) -> None:
    name = "party:p1"
    await page.load()
    made = await page.run("(n) => keys.getOrCreateDeviceKey(n)", name)
    assert made["created"] is True
    spki = base64.b64decode(made["spkiB64"])
    key = KeyInfo(key_id(spki), "es256", spki, "person", HOLDER, timestamp())
    assert made["keyId"] == key.id
    assert key.public_key()  # an ECDSA P-256 public key, as KeyInfo requires for "es256"

    first = statement()
    verify_signature({"key": key.id, **await sign_with_device_key(page, name, first)}, key, first)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_signature({"key": key.id, **await sign_with_device_key(page, name, first)}, key, statement())

    # after a reload the same key is found in IndexedDB, and still signs
    await page.page.reload()
    await page.page.wait_for_function("() => window.keys !== undefined")
    again = await page.run("(n) => keys.getOrCreateDeviceKey(n)", name)
    assert again == {"keyId": key.id, "spkiB64": made["spkiB64"], "created": False}
    second = statement("signature")
    verify_signature({"key": key.id, **await sign_with_device_key(page, name, second)}, key, second)

    # the private key cannot be read out, not even by the page that holds it
    private = await page.run(EXPORT_PRIVATE_KEY, name)
    assert private["type"] == "private" and private["extractable"] is False and private["usages"] == ["sign"]
    assert private["exported"] is None and private["error"] == "InvalidAccessError"
    assert private["jwk"] == "InvalidAccessError"

    # forgetting the key: signing fails, and a new key is a different one
    await page.run("(n) => keys.forgetDeviceKey(n)", name)
    with pytest.raises(Exception, match="no device key"):
        await page.run("(n) => keys.signWithDeviceKey(n, new Uint8Array([1]))", name)
    fresh = await page.run("(n) => keys.getOrCreateDeviceKey(n)", name)
    assert fresh["created"] is True and fresh["keyId"] != key.id


async def test_concurrent_first_uses_make_one_device_key(page: Page) -> None:
    await page.load()
    results = await page.run("(n) => Promise.all([1, 2, 3].map(() => keys.getOrCreateDeviceKey(n)))", "party:p2")
    assert len({r["spkiB64"] for r in results}) == 1
    assert sum(r["created"] for r in results) == 1


async def test_base64_helpers_match_python(page: Page) -> None:
    await page.load()
    data = bytes(range(256)) + os.urandom(100_000)
    encoded = await page.run("(s) => keys.b64Encode(keys.b64urlDecode(s))", base64.urlsafe_b64encode(data).rstrip(b"=").decode())
    assert base64.b64decode(encoded) == data
    assert await page.run("(s) => keys.b64urlEncode(keys.b64Decode(s))", b64(b"\xfb\xff\xfe")) == "-__-"
    assert (
        await page.run("() => { try { keys.b64urlDecode('ab+/'); return 'accepted'; } catch (e) { return e.name; } }")
        == "TypeError"
    )
