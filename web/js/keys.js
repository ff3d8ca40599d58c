// @ts-check
// Keys that only the party controls (Electronic Signature Law art. 13), in the browser.
//
// - Passkeys (WebAuthn) where the browser has them: the server makes the options JSON
//   (server/evidence/webauthn.py), this module runs the ceremony and hands back the
//   credential as JSON for the server to verify.
// - Device keys elsewhere: a non-extractable ECDSA P-256 key made by WebCrypto and kept in
//   IndexedDB (database "mediate-keys", store "keys", key = the name given). Only the public
//   key ever leaves the browser, as SPKI; signatures are WebCrypto's raw r‖s (IEEE P1363),
//   which is what FORMAT.md's "es256" signatures are.
//
// No bundler and no dependencies. The only module state is the IndexedDB connection.

const DB_NAME = 'mediate-keys';
const DB_VERSION = 1;
const STORE = 'keys';
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' };
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' };

/**
 * @typedef {ArrayBuffer | ArrayBufferView} Bytes
 * @typedef {{ keyId: string, spkiB64: string, created: boolean }} DeviceKeyInfo
 *   keyId: FORMAT.md's key id, hex(SHA-256(SPKI))[:32]; spkiB64: the SPKI DER in standard base64;
 *   created: true when this call made the key.
 * @typedef {{ privateKey: CryptoKey, publicKey: CryptoKey, createdAt: string }} StoredDeviceKey
 */

// -- encodings --------------------------------------------------------------------------

/**
 * @param {Bytes} data
 * @returns {Uint8Array<ArrayBuffer>} (never a SharedArrayBuffer's view: WebCrypto refuses those)
 */
function toBytes(data) {
  if (data instanceof Uint8Array) return /** @type {Uint8Array<ArrayBuffer>} */ (data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(/** @type {ArrayBuffer} */ (data.buffer), data.byteOffset, data.byteLength);
  throw new TypeError('expected an ArrayBuffer or a typed array');
}

/**
 * Standard base64 with padding (FORMAT.md "b64").
 * @param {Bytes} data
 * @returns {string}
 */
export function b64Encode(data) {
  const bytes = toBytes(data);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Standard base64 (padding optional) to bytes.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function b64Decode(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new TypeError('not base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * URL-safe base64 without padding (FORMAT.md "b64url", and WebAuthn's JSON encoding).
 * @param {Bytes} data
 * @returns {string}
 */
export function b64urlEncode(data) {
  return b64Encode(data).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * @param {string} text
 * @returns {Uint8Array}
 */
export function b64urlDecode(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new TypeError('not base64url');
  }
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return b64Decode(padded);
}

/**
 * FORMAT.md's key id: hex(SHA-256(SPKI DER))[:32].
 * @param {Bytes} spki
 * @returns {Promise<string>}
 */
export async function keyIdOf(spki) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', toBytes(spki)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('').slice(0, 32);
}

// -- passkeys ---------------------------------------------------------------------------

/**
 * Whether passkeys can be offered here.
 *
 * The WebAuthn API needs a secure context (https, or http://localhost). With a platform
 * authenticator (Windows Hello, Touch ID, Android screen lock) the answer is true. Without
 * one, a security key or a phone could still be used, which cannot be detected: by default
 * the answer is then still true; pass `{ platformOnly: true }` to require this device itself
 * (the party pages use device keys rather than send a layperson looking for a security key).
 * @param {{ platformOnly?: boolean }} [options]
 * @returns {Promise<boolean>}
 */
export async function passkeysAvailable({ platformOnly = false } = {}) {
  if (typeof window === 'undefined' || !window.isSecureContext) return false;
  if (typeof window.PublicKeyCredential !== 'function' || !navigator.credentials) return false;
  let platform = false;
  try {
    platform = await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable();
  } catch {
    platform = false;
  }
  return platform || !platformOnly;
}

/**
 * @param {string | object} optionsJson
 * @returns {any}
 */
function parseJson(optionsJson) {
  return typeof optionsJson === 'string' ? JSON.parse(optionsJson) : structuredClone(optionsJson);
}

/**
 * @param {any} descriptors
 * @returns {PublicKeyCredentialDescriptor[] | undefined}
 */
function decodeDescriptors(descriptors) {
  if (!Array.isArray(descriptors)) return undefined;
  return descriptors.map((d) => ({ ...d, id: b64urlDecode(d.id) }));
}

/**
 * PublicKeyCredentialCreationOptionsJSON to the options create() takes, for browsers
 * without PublicKeyCredential.parseCreationOptionsFromJSON.
 * @param {any} json
 * @returns {PublicKeyCredentialCreationOptions}
 */
function decodeCreationOptions(json) {
  const options = { ...json, challenge: b64urlDecode(json.challenge), user: { ...json.user, id: b64urlDecode(json.user.id) } };
  const exclude = decodeDescriptors(json.excludeCredentials);
  if (exclude) options.excludeCredentials = exclude;
  return options;
}

/**
 * PublicKeyCredentialRequestOptionsJSON to the options get() takes.
 * @param {any} json
 * @returns {PublicKeyCredentialRequestOptions}
 */
function decodeRequestOptions(json) {
  const options = { ...json, challenge: b64urlDecode(json.challenge) };
  const allow = decodeDescriptors(json.allowCredentials);
  if (allow) options.allowCredentials = allow;
  return options;
}

/**
 * The credential as RegistrationResponseJSON / AuthenticationResponseJSON (WebAuthn L3 §5.1.8),
 * by toJSON() where the browser has it, else encoded here the same way.
 * @param {PublicKeyCredential} credential
 * @returns {Record<string, any>}
 */
function credentialToJSON(credential) {
  const native = /** @type {any} */ (credential).toJSON;
  if (typeof native === 'function') return native.call(credential);
  const response = /** @type {any} */ (credential.response);
  /** @type {Record<string, any>} */
  const out = {
    id: credential.id,
    rawId: b64urlEncode(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: b64urlEncode(response.clientDataJSON) },
  };
  if ('attestationObject' in response) {
    out.response.attestationObject = b64urlEncode(response.attestationObject);
    out.response.transports = typeof response.getTransports === 'function' ? response.getTransports() : [];
  } else {
    out.response.authenticatorData = b64urlEncode(response.authenticatorData);
    out.response.signature = b64urlEncode(response.signature);
    if (response.userHandle) out.response.userHandle = b64urlEncode(response.userHandle);
  }
  return out;
}

/**
 * Register a passkey: `navigator.credentials.create` with the server's options.
 * @param {string | object} optionsJson PublicKeyCredentialCreationOptionsJSON from the server
 * @returns {Promise<Record<string, any>>} RegistrationResponseJSON, to send back as it is
 */
export async function createPasskey(optionsJson) {
  const json = parseJson(optionsJson);
  const parse = /** @type {any} */ (globalThis.PublicKeyCredential)?.parseCreationOptionsFromJSON;
  const publicKey = typeof parse === 'function' ? parse.call(PublicKeyCredential, json) : decodeCreationOptions(json);
  const credential = await navigator.credentials.create({ publicKey });
  if (!(credential instanceof PublicKeyCredential)) throw new Error('no passkey was created');
  return credentialToJSON(credential);
}

/**
 * Sign with a passkey: `navigator.credentials.get` with the server's options, whose challenge
 * is SHA-256 of the statement being signed.
 * @param {string | object} optionsJson PublicKeyCredentialRequestOptionsJSON from the server
 * @returns {Promise<Record<string, any>>} AuthenticationResponseJSON, to send back as it is
 */
export async function signWithPasskey(optionsJson) {
  const json = parseJson(optionsJson);
  const parse = /** @type {any} */ (globalThis.PublicKeyCredential)?.parseRequestOptionsFromJSON;
  const publicKey = typeof parse === 'function' ? parse.call(PublicKeyCredential, json) : decodeRequestOptions(json);
  const credential = await navigator.credentials.get({ publicKey });
  if (!(credential instanceof PublicKeyCredential)) throw new Error('no passkey signed');
  return credentialToJSON(credential);
}

// -- device keys ------------------------------------------------------------------------

/** @type {Promise<IDBDatabase> | null} */
let dbPromise = null;

/** @returns {Promise<IDBDatabase>} */
function openDb() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the database, or the browser closing it: let go, reopen on next use.
      db.onversionchange = () => {
        db.close();
        dbPromise = null;
      };
      db.onclose = () => {
        dbPromise = null;
      };
      resolve(db);
    };
    request.onerror = () => {
      dbPromise = null;
      reject(request.error);
    };
    // No onblocked: with one schema version it cannot fire; after an upgrade, older tabs
    // close their connection in onversionchange above and the open then proceeds.
  });
  return dbPromise;
}

/**
 * Run one request in its own transaction; resolves with its result once the transaction commits.
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest} operation
 * @returns {Promise<any>}
 */
async function inStore(mode, operation) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = operation(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request.result);
    tx.onabort = () => reject(tx.error ?? request.error ?? new Error('key store transaction aborted'));
  });
}

/**
 * @param {string} name
 * @returns {Promise<StoredDeviceKey | null>}
 */
async function loadDeviceKey(name) {
  const stored = await inStore('readonly', (store) => store.get(name));
  if (stored === undefined) return null;
  const { privateKey, publicKey } = stored ?? {};
  const fits = (/** @type {unknown} */ k) =>
    k instanceof CryptoKey && k.algorithm.name === 'ECDSA' && /** @type {EcKeyAlgorithm} */ (k.algorithm).namedCurve === 'P-256';
  if (!fits(privateKey) || !fits(publicKey)) throw new Error(`the stored device key ${JSON.stringify(name)} is not an ECDSA P-256 key pair`);
  return stored;
}

/**
 * @param {StoredDeviceKey} stored
 * @param {boolean} created
 * @returns {Promise<DeviceKeyInfo>}
 */
async function describe(stored, created) {
  const spki = await crypto.subtle.exportKey('spki', stored.publicKey);
  return { keyId: await keyIdOf(spki), spkiB64: b64Encode(spki), created };
}

function needWebCrypto() {
  if (!globalThis.crypto?.subtle || typeof indexedDB === 'undefined') {
    throw new Error('device keys need WebCrypto and IndexedDB, which browsers give only to https pages');
  }
}

/**
 * The id of the device key called `name` in this browser, or null when there is none (none is made).
 * @param {string} name
 * @returns {Promise<string | null>}
 */
export async function deviceKeyId(name) {
  needWebCrypto();
  const stored = await loadDeviceKey(name);
  return stored ? (await describe(stored, false)).keyId : null;
}

/**
 * The device key called `name`, made now if there is none: a non-extractable ECDSA P-256 key
 * pair kept in IndexedDB. The private key cannot be read out, not even by this page.
 * @param {string} name e.g. "party:<id>"
 * @returns {Promise<DeviceKeyInfo>}
 */
export async function getOrCreateDeviceKey(name) {
  needWebCrypto();
  const existing = await loadDeviceKey(name);
  if (existing) return describe(existing, false);
  const pair = /** @type {CryptoKeyPair} */ (
    await crypto.subtle.generateKey(ECDSA_P256, false /* non-extractable */, ['sign', 'verify'])
  );
  /** @type {StoredDeviceKey} */
  const stored = { privateKey: pair.privateKey, publicKey: pair.publicKey, createdAt: new Date().toISOString() };
  try {
    // add(), not put(): if another tab made one meanwhile, keep theirs and never overwrite a key.
    await inStore('readwrite', (store) => store.add(stored, name));
  } catch (error) {
    if (/** @type {any} */ (error)?.name !== 'ConstraintError') throw error;
    const winner = await loadDeviceKey(name);
    if (!winner) throw error;
    return describe(winner, false);
  }
  // Ask the browser not to evict the key store under storage pressure (best effort).
  navigator.storage?.persist?.()?.catch(() => false);
  return describe(stored, true);
}

/**
 * Sign the statement bytes with the device key `name`.
 * @param {string} name
 * @param {Bytes} statementBytes the exact statement (JCS bytes of the claim)
 * @returns {Promise<string>} base64 of the 64-byte r‖s signature (IEEE P1363), as WebCrypto returns it
 */
export async function signWithDeviceKey(name, statementBytes) {
  needWebCrypto();
  const stored = await loadDeviceKey(name);
  if (!stored) throw new Error(`no device key ${JSON.stringify(name)} in this browser`);
  const signature = await crypto.subtle.sign(ECDSA_SHA256, stored.privateKey, toBytes(statementBytes));
  return b64Encode(signature);
}

/**
 * Delete the device key `name` from this browser (it can never be used again).
 * @param {string} name
 * @returns {Promise<void>}
 */
export async function forgetDeviceKey(name) {
  needWebCrypto();
  await inStore('readwrite', (store) => store.delete(name));
}
