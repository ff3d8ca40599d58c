// @ts-check
// The only module that talks to the server. JSON in, JSON out, cookies on the same origin,
// and the CSRF token (from /auth/me or the login answer) on every state-changing request.

const BASE = '/api/v1';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = null;
let redirectOn401 = false;

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} [message]
   * @param {any[]} [fields]
   * @param {Record<string, any>} [details]
   */
  constructor(status, code, message, fields = [], details = {}) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    /** @type {any[]} */
    this.fields = Array.isArray(fields) ? fields : [];
    /** @type {Record<string, any>} */
    this.details = details || {};
    /** @type {number | null} */
    this.retryAfter = null;
    this.redirecting = false;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Staff pages: a 401 sends the browser to the login page, then back here. */
export function redirectToLoginOn401(on = true) {
  redirectOn401 = on;
}

export function loginUrl(next = location.pathname + location.search + location.hash) {
  return `/login?next=${encodeURIComponent(next)}`;
}

/** The file name a Content-Disposition gives (RFC 6266: `filename*=UTF-8''…` before `filename="…"`). @param {string | null} header */
function fileNameOf(header) {
  if (!header) return '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="([^"]+)"/i.exec(header);
  return plain ? plain[1] : '';
}

async function readBody(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { _text: text };
  }
}

/**
 * Call the API. `path` is relative to /api/v1. Resolves with the decoded JSON (null for 204),
 * rejects with an ApiError (status 0 and code "network_error" when the server is unreachable).
 * @param {string} method
 * @param {string} path
 * `blob`: the answer is a file (e.g. a .zip): resolves with `{ blob, filename }` instead of JSON.
 * @param {{body?: any, query?: Record<string, any>, csrfRetry?: boolean, blob?: boolean}} [options]
 * @returns {Promise<any>}
 */
export async function request(method, path, { body, query, csrfRetry = true, blob = false } = {}) {
  let url = BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v != null && v !== '') params.set(k, v);
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  /** @type {RequestInit} */
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'network_error', (e && e.message) || 'Network error');
  }
  if (res.status === 204) return null;
  if (res.ok && blob) return { blob: await res.blob(), filename: fileNameOf(res.headers.get('Content-Disposition')) };
  const data = await readBody(res);
  if (res.ok) return data;

  /** @type {any} */
  const e = (data && typeof data.error === 'object' && data.error) || {};
  const err = new ApiError(
    res.status,
    e.code || `http_${res.status}`,
    e.message || (data && data._text) || res.statusText,
    e.fields,
    e,
  );
  const retryAfter = e.retry_after ?? res.headers.get('Retry-After');
  if (retryAfter != null && retryAfter !== '') err.retryAfter = Number(retryAfter);

  // A stale CSRF token (e.g. after logging in from another tab): refresh it once and retry.
  if (res.status === 403 && csrfRetry && UNSAFE.has(method) && /csrf/i.test(err.code + ' ' + err.message)) {
    try {
      await me();
      return await request(method, path, { body, query, csrfRetry: false, blob });
    } catch (retryErr) {
      if (retryErr instanceof ApiError) throw retryErr;
    }
  }
  if (res.status === 401 && redirectOn401 && !path.startsWith('/auth/login')) {
    err.redirecting = true;
    location.assign(loginUrl());
  }
  throw err;
}

/** @type {(path: string, query?: Record<string, any>) => Promise<any>} */
const get = (path, query) => request('GET', path, { query });
/** @type {(path: string, body?: any) => Promise<any>} */
const post = (path, body = {}) => request('POST', path, { body });
/** @type {(path: string, body: any) => Promise<any>} */
const put = (path, body) => request('PUT', path, { body });
/** @type {(path: string) => Promise<any>} */
const del = (path) => request('DELETE', path);
/** @type {(path: string, body: any) => Promise<any>} */
const patch = (path, body) => request('PATCH', path, { body });
/**
 * An id as one path segment.
 * @type {(v: string | number) => string}
 */
const id = (v) => encodeURIComponent(v);

// ------------------------------------------------------------------ auth

/** GET /auth/me; remembers the CSRF token. */
export async function me() {
  const data = await get('/auth/me');
  if (data && data.csrf_token) setCsrfToken(data.csrf_token);
  return data;
}

export async function login(username, password) {
  const data = await post('/auth/login', { username, password });
  if (data && data.csrf_token) setCsrfToken(data.csrf_token);
  return data;
}

export async function logout() {
  try {
    await post('/auth/logout');
  } finally {
    setCsrfToken(null);
  }
}

// ------------------------------------------------------------------ meta

let metaPromise = null;
export function meta() {
  if (!metaPromise) {
    metaPromise = get('/meta').catch((e) => {
      metaPromise = null;
      throw e;
    });
  }
  return metaPromise;
}

// ------------------------------------------------------------------ admin

export const listOrganisations = () => get('/organisations');
export const createOrganisation = (body) => post('/organisations', body);
/** `{region?, court_code?}`: "" or null clears one. */
export const updateOrganisation = (orgId, body) => patch(`/organisations/${id(orgId)}`, body);
export const listUsers = () => get('/users');
export const serverAddress = () => get('/server/address');
export const createUser = (body) => post('/users', body);
/** A hotline's keys for sending work orders (12345 派单) to an organisation. */
export const listHotlineKeys = (orgId) => get(`/organisations/${id(orgId)}/hotline-keys`);
/** `{label, receiver_id}`: the answer holds the key itself, this once. */
export const issueHotlineKey = (orgId, body) => post(`/organisations/${id(orgId)}/hotline-keys`, body);
export const revokeHotlineKey = (keyId) => del(`/hotline-keys/${id(keyId)}`);

// ------------------------------------------------------------------ mediators & availability

export const listMediators = () => get('/mediators');
export const getAvailability = (userId) => get(`/users/${id(userId)}/availability`);
export const putAvailability = (userId, body) => put(`/users/${id(userId)}/availability`, body);
export const addAvailabilityException = (userId, body) =>
  post(`/users/${id(userId)}/availability/exceptions`, body);
export const deleteAvailabilityException = (userId, exceptionId) =>
  del(`/users/${id(userId)}/availability/exceptions/${id(exceptionId)}`);

// ------------------------------------------------------------------ cases

export const listCases = () => get('/cases');
export const createCase = (body) => post('/cases', body);
export const getCase = (caseId) => get(`/cases/${id(caseId)}`);
export const addParty = (caseId, body) => post(`/cases/${id(caseId)}/parties`, body);
/** Only the fields given change (particulars, contact, ID number); "" or null clears one. */
export const updateParty = (caseId, partyId, body) => patch(`/cases/${id(caseId)}/parties/${id(partyId)}`, body);
export const caseHistory = (caseId) => get(`/cases/${id(caseId)}/history`);
export const caseOutbox = (caseId) => get(`/cases/${id(caseId)}/outbox`);

// ------------------------------------------------------------------ sessions

export const bookSession = (caseId, body) => post(`/cases/${id(caseId)}/sessions`, body);
export const listSessions = (from, to) => get('/sessions', { from, to });
export const getSession = (sessionId) => get(`/sessions/${id(sessionId)}`);
export const rescheduleSession = (sessionId, body) => post(`/sessions/${id(sessionId)}/reschedule`, body);
export const cancelSession = (sessionId, body = {}) => post(`/sessions/${id(sessionId)}/cancel`, body);
export const issueLink = (sessionId, partyId) => post(`/sessions/${id(sessionId)}/links/${id(partyId)}`);
export const revokeLink = (sessionId, partyId) => del(`/sessions/${id(sessionId)}/links/${id(partyId)}`);
export const partyCalendarUrl = (sessionId, partyId) =>
  `${BASE}/sessions/${id(sessionId)}/parties/${id(partyId)}/calendar.ics`;

// ------------------------------------------------------------------ party

export const partyMe = () => get('/party/me');

// ------------------------------------------------------------------ agreement (server/http/AGREEMENT_API.md)

const agreementPath = (caseId) => `/cases/${id(caseId)}/agreement`;

export const getAgreement = (caseId) => get(agreementPath(caseId));
export const createAgreement = (caseId, body = {}) => post(agreementPath(caseId), body);
/** Save the editor's content as a new version; 409 reason "stale" when `basedOn` is not the latest. */
export const saveAgreementVersion = (caseId, content, basedOn) =>
  post(`${agreementPath(caseId)}/versions`, { content, based_on: basedOn });
export const getAgreementVersion = (caseId, n) => get(`${agreementPath(caseId)}/versions/${id(n)}`);
export const agreementDiff = (caseId, from, to) => get(`${agreementPath(caseId)}/diff`, { from, to });
export const declareAgreementFinal = (caseId, version, deadline) => post(`${agreementPath(caseId)}/final`, { version, deadline });
/** The mediator's signature: the statement to sign with their key (bound to the case). */
export const prepareAgreementSignature = (caseId, keyId) => post(`${agreementPath(caseId)}/sign`, { key_id: keyId });
/** That I read the final text to a party (#25): `{party_id, method}`, method read_by_phone | read_in_session | read_in_person. */
export const recordAgreementReadAloud = (caseId, body) => post(`${agreementPath(caseId)}/read-aloud`, body);
/** My attestation of a party's signature on paper: `{party_id, document_id, key_id}`; complete with completeStaffSignature. */
export const preparePaperSignature = (caseId, body) => post(`${agreementPath(caseId)}/paper-signatures`, body);
export const setCaseOutcome = (caseId, body) => post(`/cases/${id(caseId)}/outcome`, body);
/** A failed case's package for a court's online filing (在线调解规则 art. 21): `{ blob, filename }`. */
export const makeFilingPackage = (caseId, body) => request('POST', `/cases/${id(caseId)}/filing-package`, { body, blob: true });

// ------------------------------------------------------------------ staff signing keys (server/http/staffkeys_api.py)

export const myKeys = () => get('/me/keys');
export const registerStaffDeviceKey = (spki) => post('/me/keys/device', { spki });
export const prepareStaffKeyBinding = (caseId, keyId) => post(`/cases/${id(caseId)}/keys/${id(keyId)}/bind`);
/** Complete a prepared staff statement: `{signature}` (device key) or `{credential}` (passkey). */
export const completeStaffSignature = (challenge, body) => post(`/signatures/${id(challenge)}`, body);

// ------------------------------------------------------------------ identity on video, codes that cannot reach (server/http/witnessed_api.py, #18)

/** The party's key, the channels a code can reach them on, and an open video check: `{key, code_channels, video_check}`. */
export const partyKeyStatus = () => get('/party/keys');
/** Each party of the case: `{party_id, name, role, has_id_number, code_channels, check, key, video_check}`. */
export const caseIdentityStatus = (caseId) => get(`/cases/${id(caseId)}/identity-status`);
/** The party's full ID number, for the check (each look is logged in the case history). */
export const revealIdNumber = (partyId) => get(`/parties/${id(partyId)}/identity`);
/** An identity check signed with my key: `{key_id, party_id, method, result, note?}`; complete with completeStaffSignature. */
export const prepareSignedIdentityCheck = (caseId, body) => post(`/cases/${id(caseId)}/identity-checks/signed`, body);
export const startWitnessedDeviceKey = (spki) => post('/party/keys/witnessed/device', { spki });
export const finishWitnessedDeviceKey = (challenge, signature) => post(`/party/keys/witnessed/device/${id(challenge)}`, { signature });
export const startWitnessedPasskey = () => post('/party/keys/witnessed/passkey');
export const registerWitnessedPasskey = (challenge, credential) => post(`/party/keys/witnessed/passkey/${id(challenge)}/register`, { credential });
export const bindWitnessedPasskey = (challenge, credential) => post(`/party/keys/witnessed/passkey/${id(challenge)}/bind`, { credential });

// ------------------------------------------------------------------ the party's agreement

export const partyAgreement = () => get('/party/agreement');
export const partyAgreementVersion = (n) => get(`/party/agreement/versions/${id(n)}`);
export const partyAgreementDiff = (from, to) => get('/party/agreement/diff', { from, to });
export const commentOnAgreement = (body) => post('/party/agreement/comments', body);
/** `textSha256`: the hash of the text the party was shown (refused with reason "text_mismatch" if not the final one). */
export const preparePartyAgreementSignature = (version, textSha256) =>
  post('/party/agreement/sign', textSha256 ? { version, text_sha256: textSha256 } : { version });
/** `{code, signature}` (device key) or `{credential}` (passkey), with `handwriting` if drawn. */
export const completePartyAgreementSignature = (challenge, body) => post(`/party/agreement/sign/${id(challenge)}`, body);

// ------------------------------------------------------------------ case files

export const caseDocuments = (caseId) => get(`/cases/${id(caseId)}/documents`);
export const partyDocuments = () => get('/party/documents');

/**
 * Upload one file as the raw request body (XMLHttpRequest, for its upload progress).
 * `path`: `/cases/<id>/documents` or `/party/documents`; `visibleTo`: null for everyone in the
 * case, else a list of party ids (may be empty: the mediator only). `onProgress(loaded, total)`.
 * Resolves with the new item; rejects with an ApiError as `request` does.
 * @param {string} path
 * @param {File} file (or a Blob, with `name`)
 * @param {{name?: string, visibleTo?: string[] | null, onProgress?: (loaded: number, total: number) => void}} [options]
 * @returns {Promise<any>}
 */
export function uploadDocument(path, file, { name, visibleTo = null, onProgress } = {}) {
  let url = `${BASE}${path}?name=${encodeURIComponent(name || file.name)}`;
  if (visibleTo) url += `&visible_to=${visibleTo.map(encodeURIComponent).join(',')}`;
  const send = (retry) =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.withCredentials = true;
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('Content-Type', file.type);
      if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
      if (onProgress) xhr.upload.addEventListener('progress', (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size));
      xhr.addEventListener('error', () => reject(new ApiError(0, 'network_error', 'Network error')));
      xhr.addEventListener('load', () => {
        let data = null;
        try {
          data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          data = { _text: xhr.responseText };
        }
        if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
        const e = (data && typeof data.error === 'object' && data.error) || {};
        const err = new ApiError(xhr.status, e.code || `http_${xhr.status}`, e.message || xhr.statusText, e.fields, e);
        if (xhr.status === 403 && retry && /csrf/i.test(`${err.code} ${err.message}`)) {
          me().then(() => send(false).then(resolve, reject), () => reject(err));
          return;
        }
        reject(err);
      });
      xhr.send(file);
    });
  return send(true);
}

// ------------------------------------------------------------------ judicial confirmation (server/http/CONFIRMATION_API.md)

/** The party's view: deadline, eligible courts, the application (or null) and `me`. */
export const partyConfirmation = () => get('/party/confirmation');
/** Start the application: 201 `{application, sign: prepared}` (the starting party's signature). */
export const applyForConfirmation = (courtId, ground) => post('/party/confirmation', { court_id: courtId, ground });
/** Prepare this party's signature (the co-signature, or the starter's if not completed). */
export const preparePartyConfirmationSignature = () => post('/party/confirmation/sign', {});
/** `{code, signature}` (device key) or `{credential}` (passkey) → `{seq, application}`. */
export const completePartyConfirmationSignature = (challenge, body) => post(`/party/confirmation/sign/${id(challenge)}`, body);
export const partyRulingUrl = () => `${BASE}/party/confirmation/ruling.pdf`;

export const caseConfirmation = (caseId) => get(`/cases/${id(caseId)}/confirmation`);
export const caseRulingUrl = (caseId) => `${BASE}/cases/${id(caseId)}/confirmation/ruling.pdf`;
/** The application printed for a party who co-signs it on paper (#25). */
export const casePaperFormUrl = (caseId) => `${BASE}/cases/${id(caseId)}/confirmation/paper-form.pdf`;
/** The mediator's attestation that a party co-signed the application on paper: `{ party_id, document_id, key_id }`. */
export const prepareApplicationPaperSignature = (caseId, body) => post(`/cases/${id(caseId)}/confirmation/paper-signatures`, body);
export const caseRecordings = (caseId) => get(`/cases/${id(caseId)}/recordings`);
export const caseEvidence = (caseId) => get(`/cases/${id(caseId)}/evidence`);

const courtPath = (appId) => `/court/applications/${id(appId)}`;

export const courtJudges = () => get('/court/judges');
export const courtApplications = () => get('/court/applications');
export const courtApplication = (appId) => get(courtPath(appId));
export const assignApplication = (appId, judgeId) => post(`${courtPath(appId)}/assign`, { judge_id: judgeId });
/** `status`: "accepted" or "under_review". */
export const setApplicationStatus = (appId, status) => post(`${courtPath(appId)}/status`, { status });
export const addApplicationNote = (appId, text) => post(`${courtPath(appId)}/notes`, { text });
/** A video hearing hosted by the judge: `{starts_at, duration_minutes, timezone}` → the view (hearing_scheduled). */
export const scheduleHearing = (appId, body) => post(`${courtPath(appId)}/hearing`, body);
/** The judge's decision: the statement to sign with `key_id` (bound to the case); complete with completeStaffSignature. */
export const prepareDecision = (appId, body) => post(`${courtPath(appId)}/decision`, body);
export const applicationAccessLog = (appId) => get(`${courtPath(appId)}/access-log`);
export const courtRulingUrl = (appId) => `${BASE}${courtPath(appId)}/ruling.pdf`;

// ------------------------------------------------------------------ verification (no login)

export const verifyAgreement = (code) => get(`/verify/${id(code)}`);

/**
 * PUT a file as the request's body (a mediator's photo for the directory, #21): resolves with the
 * answer, rejects with an ApiError as `request` does.
 * @param {string} path @param {File} file
 */
export async function putFile(path, file) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(BASE + path, { method: 'PUT', headers, body: file, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network_error', (e && /** @type {any} */ (e).message) || 'Network error');
  }
  const data = await readBody(res);
  if (res.ok) return data;
  const e = (data && typeof data.error === 'object' && data.error) || {};
  throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, e.fields, e);
}
