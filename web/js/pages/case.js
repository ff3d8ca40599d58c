// @ts-check
// /cases/<id>: one case — details, parties, booking and managing sessions and party links,
// the agreement, judicial confirmation, the case files, the notification outbox, the case history
// and the evidence records.
// The page's <main> is drawn with Preact + htm, as the court's page is: every section is a component
// drawn from the page's store (`store`: the parts loaded from the API, and each form's values and
// errors), and `draw()` redraws them all when something arrives or changes, or the language does,
// keeping what the mediator typed and where the focus is. The agreement panel, the confirmation
// panel, the identity checks and the case files are other modules' elements, kept in place (mount.js's `Mount`);
// each draws itself, in the new language too.

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import { dictionaries, partyRole, t, tv, fmtDateTime, fmtDayLong, fmtShortDateTime, fmtTime, fmtAmount, getLang, tzName, tzOptionLabel } from '../i18n.js';
import '../case-i18n.js';
import '../evidence-i18n.js';
import '../transcript-i18n.js';
import { addDays, dateIn, timeIn, todayIn, localToIso, isValidTimeZone, browserTimeZone, weekdayOf } from '../time.js';
import { h, replace, optionsFrom, errorMessage, toast, confirmDialog, initStaffPage, staffHeader, skipLink, errorState, saveBlob } from '../ui.js';
import { Mount } from '../mount.js';
import { CLOCK_BADGES, Part, Section, badge, empty, loading, loadError, staffFrame, FormField, FormStateMessage, CopyButton, formState, clearErrors, showApiError, focusInvalid } from '../ui-preact.js';
import '../live-i18n.js';
import { AgreementPanel, AgreementText, SignerList } from '../agreement.js';
import { ConfirmationPanel } from '../confirmation.js';
import { CaseObligations } from '../obligations.js';
import { CaseClosing } from '../closing.js';
import { CaseArchive, archivedNotice } from '../archive.js';
import { CaseFiles } from '../casefiles.js';
import { particularsFields, particularsValues, readParticulars, particularsLine, missingNotice, ParticularsEditor, particularsForm, showParticularsErrors } from '../particulars.js';
import { IdentityPanel } from '../idcheck.js';
import { CaseReferrals, CaseReferralsSection } from '../referrals.js';
import { CaseMediators, CaseMediatorsSection } from '../mediators.js';
import { sourceWords } from '../registration.js';
import '../supervision-i18n.js';
import { Instructions, IssueForm, instructionsOf } from '../supervision.js';
import { ExtensionsBody, extendedLine, extensionsOf } from '../extensions.js';
import { TranscriptsBody, transcriptsOf } from '../transcripts.js';
import { WillingnessSection, willingnessOf } from '../willingness.js';
import { outboxState } from '../outbox.js';

/** @typedef {import('../ui-preact.js').FormState} FormState */

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML
const DURATIONS = [30, 60, 90, 120];
const ID_METHODS = ['id_card_on_video', 'face_to_face', 'document_upload', 'phone_callback'];
const ID_RESULTS = ['confirmed', 'not_confirmed'];
const EVIDENCE_POLL_MS = 1500;
const EVIDENCE_POLL_MAX = 20;
// Field names in the API's errors about a session → the names of our controls.
const SESSION_FIELDS = { starts_at: 'time', duration_minutes: 'duration_minutes', timezone: 'timezone', mediator_id: 'mediator_id' };

const caseId = decodeURIComponent((location.pathname.match(/^\/cases\/([^/]+)/) || [])[1] || '');

/** @param {any} d */
const itemsOf = (d) => /** @type {any[]} */ ((d && d.items) || []);

const store = {
  user: /** @type {any} */ (null),
  tz: 'Asia/Shanghai',
  meta: /** @type {any} */ (null),
  csrf: /** @type {string | null} */ (null),
  mediators: /** @type {any[]} */ ([]),
  kase: new Part(() => api.getCase(caseId), draw),
  outbox: new Part(() => api.caseOutbox(caseId).then(itemsOf), draw),
  history: new Part(() => api.caseHistory(caseId).then(itemsOf), draw),
  evidence: new Part(() => api.request('GET', `/cases/${encodeURIComponent(caseId)}/evidence`).then(itemsOf), draw),
  supervision: new Part(() => instructionsOf(caseId), draw), // supervisors' instructions and the replies (#21)
  extensions: new Part(() => extensionsOf(caseId), draw), // the parties' agreement to extend the mediation period (#21)
  transcripts: new Part(() => transcriptsOf(caseId), draw), // the sessions' mediation records and their signatures (#22)
  willingness: new Part(() => willingnessOf(caseId), draw), // whether the other side agrees to mediation (#21)
  agreement: new Part(() => api.getAgreement(caseId), draw), // a supervisor's read of the agreement (a mediator has its panel)
  exported: /** @type {{ filename: string, manifestHash: string } | null} */ (null), // the last export
  exporting: false,
  booked: /** @type {any} */ (null), // {session, links} right after booking
  issued: new Map(), // `${sessionId}:${partyId}` → link answer of a re-issue
  reissuing: new Set(), // `${sessionId}:${partyId}` being re-issued
  recorded: new Set(), // session ids with a recording to watch
  // The forms: what is typed in them, and what is wrong.
  addParty: formState(),
  book: /** @type {FormState | null} */ (null), // made with the case (its mediator is the default)
  reschedule: /** @type {Map<string, FormState>} */ (new Map()), // session id → its open reschedule form
  particulars: /** @type {Map<string, FormState>} */ (new Map()), // party id → their particulars form
  saved: /** @type {Map<string, number>} */ (new Map()), // party id → times saved (a saved editor folds)
  idcheck: formState(),
};

/** The case, once loaded. @returns {any} */
const kase = () => store.kase.data;

const linkKey = (sid, pid) => `${sid}:${pid}`;

// The agreement panel, the confirmation panel, the identity checks and the case files (agreement.js,
// confirmation.js, idcheck.js, casefiles.js) keep their own elements.
/** @type {AgreementPanel | null} */
let agreementPanel = null;
/** @type {CaseObligations | null} the sealed agreement's obligations and their performance (#22) */
let caseObligations = null;
/** @type {CaseClosing | null} follow-up visits and closing the case (结案, #22) */
let caseClosing = null;
/** @type {CaseArchive | null} archiving the closed case (归档, #22) */
let caseArchive = null;
/** @type {CaseFiles | null} */
let caseFiles = null;
/** @type {ConfirmationPanel | null} */
let confirmationPanel = null; // judicial confirmation, shown once the agreement is in effect
/** @type {IdentityPanel | null} */
let identityPanel = null; // who cannot receive codes, who is checked and bound (#18)
/** @type {CaseReferrals | null} */
let referrals = null; // referrals to other organisations, and their results (#21)
/** @type {CaseMediators | null} */
let mediatorsPanel = null; // who mediates, their disclosures, the parties' requests (#21)

/** The page's <main>, where Preact draws. */
let root = /** @type {HTMLElement | null} */ (null);

/** Redraw the page from the store (synchronously: focus can be set right after). */
function draw() {
  if (root) render(html`<${Page} />`, root);
}

/** @param {string} selector */
function focus(selector) {
  /** @type {HTMLElement | null} */ (document.querySelector(selector))?.focus();
}

/**
 * Submit a form of the store: its button waits (and says so) while `run` does.
 * @param {FormState} form @param {() => Promise<void>} run
 */
async function submitting(form, run) {
  form.busy = true;
  draw();
  try {
    await run();
  } finally {
    form.busy = false;
    draw();
  }
}

/** @param {FormState} form @param {string} label @param {string} [testid] */
const submitButton = (form, label, testid) =>
  html`<button type="submit" class="primary" disabled=${form.busy} data-testid=${testid}>${form.busy ? t('common.submitting') : label}</button>`;

// ------------------------------------------------------------------ loading

let evidencePollTimer = /** @type {any} */ (null);
let evidencePolls = 0;

async function loadEvidence({ poll = false } = {}) {
  if (!poll) evidencePolls = 0;
  await store.evidence.load();
  // Records usually reach the log within a second: look again until every one has its index.
  clearTimeout(evidencePollTimer);
  if ((store.evidence.data || []).some((r) => r.log_index == null) && evidencePolls < EVIDENCE_POLL_MAX) {
    evidencePolls += 1;
    evidencePollTimer = setTimeout(() => loadEvidence({ poll: true }), EVIDENCE_POLL_MS);
  }
}

async function loadRecordings() {
  try {
    const data = await api.request('GET', `/cases/${encodeURIComponent(caseId)}/recordings`);
    store.recorded = new Set(itemsOf(data).filter((r) => r.status !== 'deleted').map((r) => r.session_id));
  } catch {
    store.recorded = new Set(); // no link then; the rest of the page works
  }
  draw();
}

/**
 * Read because a referral shares the case with my organisation (server/domain/cases.py,
 * referral_sharing): the page shows what such a reader may see, and offers no change.
 */
function sharedOnly() {
  if (supervisor()) return false; // a supervisor reads the whole case of their subtree (read only)
  const k = kase();
  const mine = store.user && store.user.organisation && store.user.organisation.id;
  return Boolean(k && k.organisation && k.organisation.id !== mine);
}

/**
 * Read through a referral, and yet one of the case's mediators: an assisting organisation's mediator
 * assigned to it (a co-mediator, server/domain/assignment.py; #21). They see who mediates, sign
 * their disclosure and join the case's video sessions from here; the rest stays the lead's.
 */
function coMediatingHere() {
  const v = mediatorsPanel && mediatorsPanel.view.data;
  return Boolean(v && store.user && v.mediators.some((/** @type {any} */ m) => m.id === store.user.id));
}

/** Submitted for judicial confirmation: the server refuses every change, so the page offers none. */
function beforeCourt() {
  return Boolean(kase() && kase().before_court);
}

/** A supervisor reads the case and instructs its mediator; the server refuses them every change. */
function supervisor() {
  return Boolean(store.user && store.user.role === 'supervisor');
}

/** Archived (归档, archive.js): the server refuses every change of it, for everyone. */
function archived() {
  return Boolean(kase() && kase().archived_at);
}

/** Nothing of the case can be changed from this page: it is before the court or archived, or the reader supervises. */
function readOnly() {
  return beforeCourt() || archived() || supervisor();
}

/** A party added: the identity panel lists them too. */
function partiesChanged() {
  const ids = ((kase() && kase().parties) || []).map((p) => p.id).join(' ');
  if (identityPanel && identityPanel.partyIds !== undefined && identityPanel.partyIds !== ids) identityPanel.load();
  if (identityPanel) identityPanel.partyIds = ids;
}

/** After a change: fetch the case again and refresh what depends on it. */
async function refresh() {
  const wasBeforeCourt = beforeCourt();
  await store.kase.load();
  partiesChanged();
  if (beforeCourt() !== wasBeforeCourt && caseFiles) caseFiles.render(); // the application was submitted meanwhile: no upload
  if (sharedOnly()) {
    // A reader through a referral (a co-mediator signing their disclosure, say) sees the history, not the rest.
    store.history.load();
    return;
  }
  if (!supervisor()) store.outbox.load();
  store.history.load();
  store.supervision.load();
  loadExtensions();
  store.transcripts.load();
  store.willingness.load();
  loadEvidence();
  if (beforeCourt() !== wasBeforeCourt && caseFiles) caseFiles.load();
}

const EXTENSION_POLL_MS = 5000;
let extensionTimer = /** @type {any} */ (null);

/** The proposals to extend; while one waits for the parties, look again now and then to show who has agreed. */
async function loadExtensions() {
  clearTimeout(extensionTimer);
  const before = JSON.stringify(store.extensions.data);
  if (document.visibilityState === 'visible' || store.extensions.status !== 'ready') await store.extensions.load();
  const data = store.extensions.data;
  // The clock moved (every party signed): the case's clocks say so too.
  if (before !== 'null' && data && JSON.stringify(data) !== before && data.extended) store.kase.load();
  const items = (data && data.items) || [];
  if (items[0] && items[0].status === 'proposed') extensionTimer = setTimeout(loadExtensions, EXTENSION_POLL_MS);
}

// ------------------------------------------------------------------ helpers

function timezoneOptions(selected) {
  const zones = [...((store.meta && store.meta.timezones) || [])];
  if (selected && !zones.includes(selected)) zones.unshift(selected);
  if (!zones.length) zones.push('Asia/Shanghai');
  return zones.map((z) => ({ value: z, label: tzOptionLabel(z) }));
}

function durationOptions(current) {
  const list = [...DURATIONS];
  if (current && !list.includes(current)) list.push(current);
  return list.sort((a, b) => a - b).map((n) => ({ value: String(n), label: t('duration.minutes', { n }) }));
}

function partyName(id) {
  const p = ((kase() && kase().parties) || []).find((x) => x.id === id);
  return p ? p.name : '';
}

/** Next working day at least one day ahead, in `tz`: a sensible default for booking. */
function defaultBookingDate(tz) {
  let d = addDays(todayIn(tz), 1);
  while (weekdayOf(d) >= 5) d = addDays(d, 1);
  return d;
}

function conflictMessage(err) {
  const c = err.details && err.details.conflict;
  if (!c) return t('book.conflict_generic');
  return t('book.conflict', {
    case: c.case_number || '?',
    start: c.starts_at ? fmtDateTime(c.starts_at, store.tz) : '?',
    end: c.ends_at ? fmtTime(c.ends_at, store.tz) : '?',
  });
}

function outboxTime(m) {
  if (m.status === 'delivered' && m.delivered_at) return t('outbox.delivered', { time: fmtDateTime(m.delivered_at, store.tz) });
  if (m.status === 'sent' && m.sent_at) return t('outbox.sent', { time: fmtDateTime(m.sent_at, store.tz) });
  return t('outbox.created', { time: fmtDateTime(m.created_at, store.tz) });
}

const DATE_KEYS = /(^at$|_at$|^starts|^ends)/;
const WORD_VALUE = /^[a-z][a-z_ +]*[a-z]$/;
const SKIP_KEYS = new Set(['id', 'token', 'url', 'party_id', 'name', 'role', 'starts_at', 'ends_at', 'timezone', 'mediator', 'case_number']);

/** The words for a reason mediation ended, from /meta (the code itself if /meta is not loaded). */
function endReason(code) {
  // A case ended before the grounds of art. 25 carries an older reason: the ground it is (outcomes.LEGACY).
  const legacy = (store.meta && store.meta.mediation_end_legacy) || {};
  const wanted = legacy[code] || code;
  const found = ((store.meta && store.meta.mediation_end_reasons) || []).find((r) => r.code === wanted);
  return found ? (getLang() === 'en' ? found.en : found.zh) : String(code);
}

/** A short, readable line from an event's data (party, time, reason…). */
function describeData(e) {
  const data = e.data;
  if (!data || typeof data !== 'object') return '';
  const out = [];
  const who = data.name || data.party_name || (data.party_id ? partyName(data.party_id) : '');
  if (who) out.push(data.role ? t('paren', { a: who, b: partyRole(data) }) : who);
  if (data.starts_at && !Number.isNaN(Date.parse(data.starts_at))) {
    out.push(data.ends_at ? `${fmtDateTime(data.starts_at, store.tz)}–${fmtTime(data.ends_at, store.tz)}` : fmtDateTime(data.starts_at, store.tz));
  }
  if (data.timezone && data.timezone !== store.tz) out.push(tzName(data.timezone));
  if (data.mediator && data.mediator !== e.actor_name) out.push(data.mediator);
  for (const [k, v] of Object.entries(data)) {
    if (v == null || v === '' || typeof v === 'object' || SKIP_KEYS.has(k) || k.endsWith('_id')) continue;
    if (k === 'what') continue; // a court's read of the case, by route: the court's access log says it in words
    let text = String(v);
    if (k === 'dispute_type') text = tv('dispute', v);
    else if (k === 'source') text = sourceWords(store.meta, v);
    else if (k === 'collective') text = v ? t('case.collective') : '';
    else if (k === 'applicants' || k === 'respondents') text = `${tv('partyrole', k.slice(0, -1))} ${v}`;
    else if (k === 'status' || k === 'decision') text = e.kind.startsWith('confirmation') ? tv('conf.status', v) : tv('status', v);
    else if (k === 'ground') text = tv('conf.ground', v);
    else if (k === 'reason' && e.kind === 'mediation_ended') text = endReason(v);
    else if (WORD_VALUE.test(text)) {
      // A word of the server's (a method, a reason code): said in the reader's language, or not at all.
      const key = `history.value.${text.replace(/[ +]/g, '_')}`;
      if (!(key in dictionaries[getLang()])) continue;
      text = t(key);
    } else if (k === 'duration_minutes') text = t('duration.minutes', { n: v });
    else if (DATE_KEYS.test(k) && typeof v === 'string' && !Number.isNaN(Date.parse(v))) text = fmtDateTime(v, store.tz);
    if (text) out.push(text);
  }
  return out.join(' · ');
}

/** Who made a record: the party's name, the current user's name, else their role. */
function evidenceActor(actor) {
  if (!actor) return '';
  if (actor.kind === 'party') {
    const name = partyName(actor.id);
    const role = actor.role ? tv('partyrole', actor.role) : '';
    return name ? (role ? t('paren', { a: name, b: role }) : name) : role || tv('actor', 'party');
  }
  if (actor.kind === 'staff') {
    const u = store.user;
    if (u && actor.id === u.id) return t('evidence.actor.you', { name: u.display_name || u.username });
    if (kase() && kase().mediator && kase().mediator.id === actor.id) return kase().mediator.display_name;
    return actor.role ? tv('role', actor.role) : tv('actor', 'staff');
  }
  if (actor.kind === 'platform') return t('evidence.actor.platform');
  return tv('evidence.actor', actor.kind);
}

/** The file name from a Content-Disposition header, if any. */
function dispositionName(header) {
  const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(header || '');
  if (!m) return null;
  try {
    return m[1] ? decodeURIComponent(m[1]) : m[2];
  } catch {
    return m[2] || null;
  }
}

/** POST for a file (api.js speaks JSON only): the body as a Blob, the file name and the manifest hash. */
async function postForFile(path, retry = true) {
  const headers = { Accept: 'application/zip, application/json' };
  if (store.csrf) headers['X-CSRF-Token'] = store.csrf;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method: 'POST', headers, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new api.ApiError(0, 'network_error', (e && e.message) || 'Network error');
  }
  if (!res.ok) {
    let e = {};
    try {
      const data = await res.json();
      e = (data && data.error) || {};
    } catch {
      /* not JSON */
    }
    if (res.status === 403 && retry && /csrf/i.test(`${e.code || ''} ${e.message || ''}`)) {
      const me = await api.me();
      store.csrf = (me && me.csrf_token) || store.csrf;
      return postForFile(path, false);
    }
    throw new api.ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, e.fields, e);
  }
  return {
    blob: await res.blob(),
    filename: dispositionName(res.headers.get('Content-Disposition')) || `evidence-${caseId}.zip`,
    manifestHash: res.headers.get('X-Manifest-SHA256') || '',
  };
}

/**
 * Show a booking/rescheduling error on its form: a clash with another session, or what is wrong.
 * @param {FormState} form @param {any} err
 */
function showSessionError(form, err) {
  if (err.status === 409 && err.code === 'conflict') {
    clearErrors(form);
    form.message = () => conflictMessage(err);
    form.testid = 'booking-conflict';
    return;
  }
  showApiError(form, err, { rename: SESSION_FIELDS });
}

/** The values of the date, time, duration and zone controls. @param {string} date @param {string} time @param {number} duration @param {string} tz */
const whenValues = (date, time, duration, tz) => ({ date, time, duration_minutes: String(duration), timezone: tz });

/**
 * Date, time, duration and zone controls shared by the booking and rescheduling forms.
 * @param {FormState} form @param {string} prefix @param {string} tz the zone the form was opened in
 */
function whenFields(form, prefix, tz) {
  const v = form.values;
  const at = { form, idPrefix: prefix };
  return html`
    <${FormField} ...${at} label=${t('book.date')} name="date" type="date" required attrs=${{ min: todayIn(tz) }} />
    <${FormField} ...${at} label=${t('book.time')} name="time" type="time" required attrs=${{ step: 300 }} />
    <${FormField} ...${at} label=${t('book.duration')} name="duration_minutes" kind="select" options=${durationOptions(Number(v.duration_minutes))} />
    <${FormField} ...${at} label=${t('book.timezone')} name="timezone" kind="select" options=${timezoneOptions(v.timezone)} className="tz-field" />`;
}

/** Read and check the when-fields; returns {starts_at, duration_minutes, timezone} or null (the form says why). @param {FormState} form */
function readWhen(form) {
  const v = form.values;
  if (!v.date) form.fields.date = () => t('error.field.required');
  if (!v.time) form.fields.time = () => t('error.field.required');
  if (!v.date || !v.time) {
    form.message = () => t('error.invalid_input');
    return null;
  }
  return { starts_at: localToIso(v.date, v.time, v.timezone), duration_minutes: Number(v.duration_minutes), timezone: v.timezone };
}

/** A party as a choice: "张三（申请人）". */
const partyOption = (p) => ({ value: p.id, label: t('paren', { a: p.name, b: partyRole(p) }) });

// ------------------------------------------------------------------ details

/** @param {string} label @param {any} value @param {string} [testid] */
const row = (label, value, testid) => (value ? html`<dt>${label}</dt><dd data-testid=${testid}>${value}</dd>` : null);

function Details({ k }) {
  return html`<${Section} id="details" title=${t('case.details')}>
    <div id="details-body">
      <dl class="details">
        ${row(t('case.number'), k.case_number, 'case-number')}
        ${row(t('case.type'), tv('dispute', k.dispute_type))}
        ${row(t('case.source'), k.source ? [sourceWords(store.meta, k.source), k.source_reference ? ` · ${t('case.source_reference')} ${k.source_reference}` : ''].join('') : null, 'case-source')}
        ${row(t('case.registered_on'), k.registered_on ? fmtDayLong(k.registered_on) : null, 'case-registered-on')}
        ${row(t('case.collective'), k.collective ? t('case.applicants.count', { n: k.applicant_count }) : null, 'case-collective')}
        ${row(t('case.status'), tv('status', k.status))}
        ${row(t('case.amount'), k.amount_in_dispute ? fmtAmount(k.amount_in_dispute) : null)}
        ${row(t('case.mediator'), k.mediator && k.mediator.display_name)}
        ${row(t('case.organisation'), k.organisation && k.organisation.name)}
        ${row(t('case.created'), k.created_at ? fmtDateTime(k.created_at, store.tz) : null)}
        ${row(t('case.summary'), k.summary)}
      </dl>
      <${Clocks} clocks=${k.clocks || []} />
    </div>
  </${Section}>`;
}

/** How each clock's state looks (a badge's kind). */

/**
 * The case's clocks (server/domain/clocks.py): the last day in Beijing time, the state, the legal
 * source, and what to do when one is overdue. Names and sources come from the API in both languages.
 * @param {{ clocks: any[] }} props
 */
function Clocks({ clocks }) {
  if (!clocks.length) return null;
  const en = getLang() === 'en';
  return html`<div class="clocks">
    <h3>${t('clock.title')}</h3>
    <ul class="clock-list">
      ${clocks.map(
        (c) => html`<li key=${c.name} class=${`clock clock-${c.state}`} data-testid=${`clock-${c.name}`} data-state=${c.state}>
          <p class="clock-head">
            <strong>${en ? c.label_en : c.label_zh}</strong>
            ${' '}${badge(t(c.state === 'met' && c.met_late ? 'clock.state.met_late' : `clock.state.${c.state}`), CLOCK_BADGES[c.state] || '')}
          </p>
          <p class="clock-due">${t('clock.due', { date: fmtDayLong(c.due_date) })}${c.extended ? html` · <span data-testid="clock-extended">${extendedLine(c)}</span>` : ''}</p>
          ${c.estimated ? html`<p class="clock-estimated" data-testid="clock-estimated">${t('clock.estimated')}</p>` : null}
          ${c.state === 'overdue' ? html`<p class="clock-next">${t(`clock.next.${c.name}`)}</p>` : null}
          <p class="clock-source">${t('clock.source', { source: en ? c.source_en : c.source_zh })}</p>
        </li>`,
      )}
    </ul>
  </div>`;
}

// ------------------------------------------------------------------ parties

const addPartyValues = () => ({ role: '', invited_as: '', name: '', phone: '', email: '', id_number: '', represents_party_id: '', ...particularsValues() });

async function addParty(ev) {
  ev.preventDefault();
  const button = ev.currentTarget.querySelector('button[type="submit"]');
  const form = store.addParty;
  clearErrors(form);
  const v = form.values;
  /** @type {Record<string, any>} */
  const body = { role: v.role, name: String(v.name).trim(), phone: String(v.phone).trim() };
  for (const k of ['role', 'name', 'phone']) if (!body[k]) form.fields[k] = () => t('error.field.required');
  if (Object.keys(form.fields).length) {
    form.message = () => t('error.invalid_input');
    draw();
    return focusInvalid(button);
  }
  const email = String(v.email).trim();
  const idNumber = String(v.id_number).trim();
  if (email) body.email = email;
  if (idNumber) body.id_number = idNumber;
  if (v.represents_party_id) body.represents_party_id = v.represents_party_id;
  if (v.role === 'invited') body.invited_as = v.invited_as || null;
  Object.assign(body, readParticulars(v));
  await submitting(form, async () => {
    try {
      const party = await api.addParty(caseId, body);
      store.addParty = formState(addPartyValues());
      toast(t(party.role === 'invited' ? 'party.invited' : 'party.added', { name: party.name }));
      await refresh();
      focus('#ap-role');
    } catch (err) {
      showParticularsErrors(form, err);
    }
  });
  focusInvalid(button);
}

function AddPartyForm({ parties }) {
  const form = store.addParty;
  const roles = (store.meta && store.meta.party_roles) || ['applicant', 'respondent', 'agent', 'interpreter'];
  const at = { form, idPrefix: 'ap' };
  return html`<form id="add-party-form" class="grid-form" novalidate aria-busy=${form.busy ? 'true' : undefined} onSubmit=${addParty}>
    <${FormStateMessage} form=${form} />
    <${FormField} ...${at} label=${t('party.role')} name="role" kind="select" required placeholder=${t('common.select')} options=${optionsFrom(roles, 'partyrole')}
      onChange=${draw} />
    ${form.values.role === 'invited'
      ? html`<${FormField} ...${at} label=${t('party.invited_as')} name="invited_as" kind="select" required placeholder=${t('common.select')}
          options=${optionsFrom((store.meta && store.meta.invited_as) || [], 'invitedas')} hint=${t('party.invited_as.hint')} />`
      : null}
    <${FormField} ...${at} label=${t('party.name')} name="name" required attrs=${{ maxlength: 100, autocomplete: 'off' }} />
    <${FormField} ...${at} label=${t('party.phone')} name="phone" type="tel" required attrs=${{ maxlength: 32, inputmode: 'tel', autocomplete: 'off' }} />
    <${FormField} ...${at} label=${t('party.email')} name="email" type="email" optional attrs=${{ maxlength: 254, autocomplete: 'off' }} />
    <${FormField} ...${at} label=${t('party.id_number')} name="id_number" optional hint=${t('party.id_number.hint')} attrs=${{ maxlength: 32, autocomplete: 'off', spellcheck: false }} />
    <${FormField} ...${at} label=${t('party.represents')} name="represents_party_id" kind="select" optional
      options=${[{ value: '', label: t('party.represents.none') }, ...parties.map(partyOption)]} />
    <details class="wide party-particulars">
      <summary>${t('party.particulars.title')}</summary>
      <p class="hint">${t('party.particulars.hint')}</p>
      <div class="grid-form">${particularsFields(form, 'ap')}</div>
    </details>
    <div class="actions wide">${submitButton(form, t('party.add.submit'))}</div>
  </form>`;
}

/** A party's particulars editor, with what is typed in it kept in the store. */
function particularsEditor(p) {
  let form = store.particulars.get(p.id);
  if (!form) store.particulars.set(p.id, (form = particularsForm(p)));
  const onSaved = async () => {
    store.particulars.delete(p.id);
    store.saved.set(p.id, (store.saved.get(p.id) || 0) + 1);
    await refresh();
  };
  return html`<${ParticularsEditor} key=${`${p.id}:${store.saved.get(p.id) || 0}`} caseId=${caseId} p=${p} form=${form} onSaved=${onSaved} redraw=${draw} />`;
}

function Parties({ k }) {
  const parties = k.parties || [];
  const party = (p) => html`<li key=${p.id} class="party-item">
    <p class="party-line"><strong>${p.name}</strong> ${badge(partyRole(p), `role-${p.role}`)}</p>
    <p class="muted">
      ${[
        p.phone,
        p.email,
        p.id_number_masked ? `${t('party.id_number')} ${p.id_number_masked}` : null,
        p.represents_party_id ? t('party.represents.value', { name: partyName(p.represents_party_id) }) : null,
      ]
        .filter(Boolean)
        .join(' · ')}
    </p>
    ${particularsLine(p) ? html`<p class="muted" data-testid="party-particulars-line">${particularsLine(p)}</p>` : null}
    ${missingNotice(p)}
    ${readOnly() ? null : particularsEditor(p)}
  </li>`;
  return html`<${Section} id="parties" title=${t('parties.title')}>
    <div id="parties-body">
      ${parties.length ? html`<ul class="party-list" data-testid="party-list">${parties.map(party)}</ul>` : empty(t('parties.empty'))}
    </div>
    <${Mount} class="kept" make=${() => identityPanel?.el ?? null} deps=${[identityPanel]} />
    ${readOnly() ? null : html`<h3>${t('party.add.title')}</h3><${AddPartyForm} parties=${parties} />`}
  </${Section}>`;
}

// ------------------------------------------------------------------ sessions

/** The booking form, made with the case: the next working day at 10:00, with the case's mediator. */
function bookForm() {
  if (!store.book) {
    const k = kase();
    store.book = formState({
      ...whenValues(defaultBookingDate(store.tz), '10:00', 60, store.tz),
      mediator_id: (k && k.mediator && k.mediator.id) || store.user.id,
    });
  }
  return store.book;
}

async function book(ev) {
  ev.preventDefault();
  const button = ev.currentTarget.querySelector('button[type="submit"]');
  const form = bookForm();
  clearErrors(form);
  const when = readWhen(form);
  if (!when) {
    draw();
    return focusInvalid(button);
  }
  /** @type {Record<string, any>} */
  const body = { ...when };
  if (store.mediators.length > 1 && form.values.mediator_id) body.mediator_id = form.values.mediator_id;
  let booked = /** @type {boolean} */ (false);
  await submitting(form, async () => {
    try {
      store.booked = await api.bookSession(caseId, body);
      await refresh();
      booked = true;
    } catch (err) {
      showSessionError(form, err);
    }
  });
  const panel = booked && document.getElementById('booked-panel');
  if (panel) {
    panel.scrollIntoView({ block: 'nearest' });
    panel.querySelector('h3')?.focus();
  } else if (!booked) focusInvalid(button);
}

function BookingForm({ k }) {
  const form = bookForm();
  const mediators = store.mediators;
  return html`<form id="book-form" class="grid-form" novalidate aria-busy=${form.busy ? 'true' : undefined} onSubmit=${book}>
    <${FormStateMessage} form=${form} />
    <p id="book-no-parties" class="notice info wide" hidden=${(k.parties || []).length > 0}>${t('book.no_parties')}</p>
    ${whenFields(form, 'bk', store.tz)}
    ${mediators.length > 1
      ? html`<${FormField} form=${form} idPrefix="bk" label=${t('book.mediator')} name="mediator_id" kind="select" options=${mediators.map((m) => ({ value: m.id, label: m.display_name }))} />`
      : null}
    <div class="actions wide">${submitButton(form, t('book.submit'))}</div>
  </form>`;
}

/** A party link with its Copy button (data-testid party-link / copy-link); with telephony (#25), the
 * number to dial and the link's PIN (data-testid phone-pin), which the server tells only when issuing. */
function LinkBox({ link }) {
  const name = link.party_name || partyName(link.party_id);
  let code = /** @type {Element | null} */ (null);
  return html`<div class="link-box">
    <p class="link-label">${t('link.label', { name, role: tv('partyrole', link.role) })}</p>
    <div class="link-row">
      <code class="link-text" data-testid="party-link" tabindex="0" ref=${(el) => (code = el)}>${link.url}</code>
      <${CopyButton} source=${() => code} getText=${() => link.url} testid="copy-link" ariaLabel=${t('link.copy_label', { name })} className="primary" />
    </div>
    ${link.phone
      ? html`<p class="link-phone" data-testid="phone-pin">${t('link.phone', { number: link.phone.number, pin: link.phone.pin })}</p>
          <p class="muted small">${t('link.phone.note')}</p>`
      : null}
  </div>`;
}

function bookedPanel() {
  const b = store.booked;
  if (!b) return null;
  const links = b.links || [];
  const dismiss = () => {
    store.booked = null;
    draw();
    focus('#bk-date');
  };
  return html`<div id="booked-panel" class="booked-panel" data-testid="booked-panel">
    <h3 tabindex="-1">${t('book.success')}</h3>
    <p class="muted">${fmtDateTime(b.session.starts_at, store.tz)} – ${fmtTime(b.session.ends_at, store.tz)}</p>
    <p class="warning-note">${t('link.warning')}</p>
    ${links.length ? links.map((l) => html`<${LinkBox} key=${l.party_id} link=${l} />`) : empty(t('book.links.none'))}
    <div class="actions"><button type="button" class="secondary" onClick=${dismiss}>${t('book.dismiss')}</button></div>
  </div>`;
}

/** A session's reschedule form, open with its time as it is. */
function rescheduleValues(s) {
  const tz = s.timezone || store.tz;
  const start = new Date(s.starts_at);
  const duration = s.duration_minutes || Math.round((new Date(s.ends_at).getTime() - start.getTime()) / 60000);
  return formState({ ...whenValues(dateIn(start, tz), timeIn(start, tz), duration, tz), reason: '' });
}

function RescheduleForm({ s, form }) {
  const prefix = `rs-${s.id}`;
  const submit = async (ev) => {
    ev.preventDefault();
    const button = ev.currentTarget.querySelector('button[type="submit"]');
    clearErrors(form);
    const when = readWhen(form);
    if (!when) {
      draw();
      return focusInvalid(button);
    }
    const reason = String(form.values.reason).trim();
    let done = false;
    await submitting(form, async () => {
      try {
        await api.rescheduleSession(s.id, { ...when, ...(reason ? { reason } : {}) });
        store.reschedule.delete(s.id);
        toast(t('session.rescheduled'));
        done = true;
        await refresh();
      } catch (err) {
        showSessionError(form, err);
      }
    });
    if (!done) focusInvalid(button);
  };
  const cancel = () => {
    store.reschedule.delete(s.id);
    draw();
    focus(`[data-reschedule="${CSS.escape(s.id)}"]`);
  };
  return html`<form class="grid-form reschedule-form" novalidate aria-label=${t('session.reschedule.title')} aria-busy=${form.busy ? 'true' : undefined} onSubmit=${submit}>
    <h4 class="wide">${t('session.reschedule.title')}</h4>
    <${FormStateMessage} form=${form} />
    ${whenFields(form, prefix, s.timezone || store.tz)}
    <${FormField} form=${form} idPrefix=${prefix} label=${t('session.reschedule.reason')} name="reason" optional className="wide" attrs=${{ maxlength: 500 }} />
    <div class="actions wide">
      ${submitButton(form, t('session.reschedule.submit'))}
      <button type="button" class="secondary" onClick=${cancel}>${t('common.cancel')}</button>
    </div>
  </form>`;
}

async function onCancelSession(s) {
  const res = await confirmDialog({
    title: t('session.cancel.title'),
    message: `${fmtDateTime(s.starts_at, store.tz)}. ${t('session.cancel.message')}`,
    confirmLabel: t('session.cancel.submit'),
    cancelLabel: t('session.cancel.keep'),
    danger: true,
    input: { label: t('session.cancel.reason'), name: 'reason' },
  });
  if (!res.ok) return;
  try {
    await api.cancelSession(s.id, res.value ? { reason: res.value } : {});
    // Links of a cancelled session no longer work: stop showing them.
    for (const key of [...store.issued.keys()]) if (key.startsWith(`${s.id}:`)) store.issued.delete(key);
    if (store.booked && store.booked.session.id === s.id) store.booked = null;
    store.reschedule.delete(s.id);
    toast(t('session.cancelled'));
    await refresh();
  } catch (err) {
    toast(errorMessage(err), 'error', 7000);
  }
}

async function onReissue(s, p) {
  const key = linkKey(s.id, p.party_id);
  store.reissuing.add(key);
  draw();
  try {
    const link = await api.issueLink(s.id, p.party_id);
    store.issued.set(key, link);
    if (store.booked && store.booked.session.id === s.id) {
      store.booked.links = (store.booked.links || []).filter((l) => l.party_id !== p.party_id);
    }
    toast(t('link.issued', { name: p.name }));
    store.reissuing.delete(key);
    await refresh();
    focus(`[data-party-row="${CSS.escape(key)}"] [data-testid="copy-link"]`);
  } catch (err) {
    store.reissuing.delete(key);
    draw();
    toast(errorMessage(err), 'error', 7000);
  }
}

async function onRevoke(s, p) {
  const res = await confirmDialog({
    title: t('link.revoke.title', { name: p.name }),
    message: t('link.revoke.message', { name: p.name }),
    confirmLabel: t('link.revoke'),
    danger: true,
  });
  if (!res.ok) return;
  try {
    await api.revokeLink(s.id, p.party_id);
    store.issued.delete(linkKey(s.id, p.party_id));
    if (store.booked && store.booked.session.id === s.id) {
      store.booked.links = (store.booked.links || []).filter((l) => l.party_id !== p.party_id);
    }
    toast(t('link.revoked', { name: p.name }));
    await refresh();
  } catch (err) {
    toast(errorMessage(err), 'error', 7000);
  }
}

function toggleReschedule(s) {
  if (store.reschedule.has(s.id)) store.reschedule.delete(s.id);
  else store.reschedule.set(s.id, rescheduleValues(s));
  draw();
  focus(`#rs-${CSS.escape(s.id)}-date`);
}

const LINK_TONE = { active: 'ok', revoked: 'warn', expired: 'muted', none: 'muted' };

function SessionCard({ s }) {
  const scheduled = s.status === 'scheduled';
  const past = new Date(s.ends_at) <= new Date();
  const differentZone = s.timezone && s.timezone !== store.tz;
  const statusKind = scheduled ? (past ? 'muted' : 'ok') : 'warn';
  const open = store.reschedule.get(s.id);
  const partyRow = (p) => {
    const key = linkKey(s.id, p.party_id);
    const issued = store.issued.get(key);
    return html`<li key=${p.party_id} class="party-link-row" data-party-row=${key}>
      <div class="party-link-head">
        <strong>${p.name}</strong>
        <span class="muted">${tv('partyrole', p.role)}</span>
        ${badge(tv('linkstatus', p.link_status), LINK_TONE[p.link_status] || 'muted')}
        ${p.link_status === 'active' && p.link_expires_at ? html`<span class="muted small">${t('link.expires', { time: fmtDateTime(p.link_expires_at, store.tz) })}</span>` : null}
      </div>
      <div class="actions" hidden=${supervisor() || archived()}>
        ${scheduled && !past
          ? html`<button type="button" class="secondary small-btn" disabled=${store.reissuing.has(key)} onClick=${() => onReissue(s, p)}>${t('link.reissue')}</button>`
          : null}
        ${scheduled && p.link_status === 'active' ? html`<button type="button" class="danger-outline small-btn" onClick=${() => onRevoke(s, p)}>${t('link.revoke')}</button>` : null}
        <a class="button secondary small-btn" href=${api.partyCalendarUrl(s.id, p.party_id)} download=${`mediation-${s.case_number || ''}.ics`} aria-label=${t('link.ics.label', { name: p.name })}>${t('link.ics')}</a>
      </div>
      ${issued && scheduled ? html`<${LinkBox} link=${issued} />` : null}
    </li>`;
  };
  return html`<article class=${scheduled ? 'session-card' : 'session-card cancelled'} data-testid="session-card" data-session-id=${s.id}>
    <header class="session-head">
      <h3>${fmtDateTime(s.starts_at, store.tz)}–${fmtTime(s.ends_at, store.tz)}</h3>
      ${badge(tv('status', s.status), statusKind)}
    </header>
    ${differentZone ? html`<p class="muted">${t('session.local_note', { time: fmtDateTime(s.starts_at, s.timezone), tz: tzName(s.timezone, new Date(s.starts_at)) })}</p>` : null}
    <p class="muted">${t('session.mediator', { name: (s.mediator && s.mediator.display_name) || '' })}</p>
    ${s.cancel_reason ? html`<p class="muted">${`${t('session.cancel.reason')}：${s.cancel_reason}`}</p>` : null}
    ${scheduled && !past && !supervisor() && !archived()
      ? html`<div class="actions">
          <a class="button primary" href=${`/live/${encodeURIComponent(s.id)}`} data-testid="join-live">${t('live.join.staff')}</a>
          ${beforeCourt()
            ? null
            : html`<button type="button" class="secondary" aria-expanded=${String(Boolean(open))} data-reschedule=${s.id} onClick=${() => toggleReschedule(s)}>${t('session.reschedule')}</button>
                <button type="button" class="danger-outline" onClick=${() => onCancelSession(s)}>${t('session.cancel')}</button>`}
        </div>`
      : null}
    ${open && scheduled && !readOnly() ? html`<${RescheduleForm} s=${s} form=${open} />` : null}
    ${store.recorded.has(s.id) && !supervisor()
      ? html`<p class="actions"><a class="button secondary" href=${`/review/${encodeURIComponent(s.id)}`} data-testid="review-link">${`▶ ${t('session.review')}`}</a></p>`
      : null}
    <ul class="party-links">${(s.parties || []).map(partyRow)}</ul>
  </article>`;
}

function Sessions({ k }) {
  const sessions = [...(k.sessions || [])].sort((a, b) => b.starts_at.localeCompare(a.starts_at));
  // Upcoming first (soonest first), then past and cancelled (latest first).
  const now = new Date().toISOString();
  const upcoming = sessions.filter((s) => s.status === 'scheduled' && s.ends_at > now).reverse();
  const rest = sessions.filter((s) => !(s.status === 'scheduled' && s.ends_at > now));
  return html`<${Section} id="sessions" title=${t('sessions.title')}>
    ${readOnly() ? null : html`<h3>${t('book.title')}</h3><${BookingForm} k=${k} />`}
    <div id="sessions-body" class="sessions-body">
      ${bookedPanel()}
      ${sessions.length
        ? html`<div class="session-list">${[...upcoming, ...rest].map((s) => html`<${SessionCard} key=${s.id} s=${s} />`)}</div>`
        : empty(t('sessions.empty'))}
    </div>
  </${Section}>`;
}

/** The sessions a co-mediator of another organisation hosts (coMediatingHere): when, who leads, and the way in. */
function HostedSessions({ k }) {
  const now = new Date().toISOString();
  const upcoming = [...(k.sessions || [])].filter((s) => s.status === 'scheduled' && s.ends_at > now).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  return html`<${Section} id="sessions" title=${t('sessions.title')}>
    <p class="muted">${t('sessions.co_host')}</p>
    ${upcoming.length
      ? html`<div class="session-list">${upcoming.map(
          (s) => html`<article key=${s.id} class="session-card" data-testid="session-card" data-session-id=${s.id}>
            <header class="session-head"><h3>${fmtDateTime(s.starts_at, store.tz)}–${fmtTime(s.ends_at, store.tz)}</h3></header>
            <p class="muted">${t('session.mediator', { name: (s.mediator && s.mediator.display_name) || '' })}</p>
            <div class="actions"><a class="button primary" href=${`/live/${encodeURIComponent(s.id)}`} data-testid="join-live">${t('live.join.staff')}</a></div>
          </article>`,
        )}</div>`
      : empty(t('sessions.co_host.none'))}
  </${Section}>`;
}

// ------------------------------------------------------------------ outbox & history

function OutboxMessage({ m }) {
  let body = /** @type {Element | null} */ (null);
  // A one-time code is never shown to staff: the server withholds it, the page says so in words.
  // Scrolls when long: focusable, so it can be scrolled from the keyboard (WCAG 2.1.1).
  return html`<li class="msg">
    <div class="msg-head">
      ${badge(tv('channel', m.channel), 'muted')}
      <span class="msg-to">${t('outbox.to', { to: [partyName(m.party_id), m.recipient].filter(Boolean).join(' ') })}</span>
      ${outboxState(m)}
      <span class="muted small">${outboxTime(m)}</span>
    </div>
    ${m.subject ? html`<p class="msg-subject">${m.subject}</p>` : null}
    <pre class="msg-body" tabindex="0" ref=${(el) => (body = el)}>${m.kind === 'otp' ? t('outbox.otp_hidden') : m.body || ''}</pre>
    <div class="actions"><${CopyButton} label=${t('outbox.copy')} source=${() => body} getText=${() => m.body || ''} testid="copy-message" /></div>
  </li>`;
}

function outboxBody() {
  return store.outbox.view((data) => {
    const intro = html`<p class="muted">${t('outbox.intro')}</p>`;
    if (!data.length) return html`${intro}${empty(t('outbox.empty'))}`;
    const items = [...data].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    return html`${intro}<ul class="outbox">${items.map((m) => html`<${OutboxMessage} key=${m.id} m=${m} />`)}</ul>`;
  });
}

function historyBody() {
  return store.history.view((data) => {
    if (!data.length) return empty(t('history.empty'));
    const items = [...data].sort((a, b) => (b.at || '').localeCompare(a.at || ''));
    return html`<ol class="history">
      ${items.map(
        (e) => html`<li>
          <time datetime=${e.at}>${fmtShortDateTime(e.at, store.tz)}</time>
          <span class="history-kind">${tv('history', e.kind)}</span>
          <span class="muted">${[e.actor_kind === 'system' || !e.actor_name ? tv('actor', e.actor_kind) : e.actor_name, describeData(e)].filter(Boolean).join(' · ')}</span>
        </li>`,
      )}
    </ol>`;
  });
}

// ------------------------------------------------------------------ evidence

function evidenceBody() {
  const ev = store.evidence;
  if (ev.status === 'error') return loadError(ev.error, () => loadEvidence());
  return ev.view((data) => {
    if (!data.length) return empty(t('evidence.empty'));
    const items = [...data].sort((a, b) => b.seq - a.seq);
    return html`<ol class="evidence-list" data-testid="evidence-list">
      ${items.map(
        (r) => html`<li key=${r.seq} class="evidence-item" data-testid="evidence-record" data-type=${r.type} data-seq=${String(r.seq)}>
          <span class="evidence-seq">${t('evidence.seq', { seq: r.seq })}</span>
          <span class="evidence-type">${tv('evidence.type', r.type)}</span>
          ${r.time ? html`<time class="evidence-time" datetime=${r.time}>${fmtShortDateTime(r.time, store.tz)}</time>` : null}
          <span class="evidence-actor muted">${evidenceActor(r.actor)}</span>
          ${r.log_index != null ? badge(t('evidence.logged', { index: r.log_index }), 'ok') : html`<span class="badge muted" role="status">${t('evidence.pending')}</span>`}
        </li>`,
      )}
    </ol>`;
  });
}

const idcheckValues = () => ({ party_id: '', method: ID_METHODS[0], result: ID_RESULTS[0], note: '' });

async function checkIdentity(ev) {
  ev.preventDefault();
  const button = ev.currentTarget.querySelector('button[type="submit"]');
  const form = store.idcheck;
  const parties = (kase() && kase().parties) || [];
  clearErrors(form);
  const v = form.values;
  if (!v.party_id) {
    form.fields.party_id = () => (parties.length ? t('error.field.required') : t('idcheck.no_parties'));
    form.message = () => t('error.invalid_input');
    draw();
    return focus('#ic-party_id');
  }
  /** @type {Record<string, any>} */
  const body = { party_id: v.party_id, method: v.method, result: v.result };
  const note = String(v.note).trim();
  if (note) body.note = note;
  await submitting(form, async () => {
    try {
      await api.request('POST', `/cases/${encodeURIComponent(caseId)}/identity-checks`, { body });
      const name = partyName(body.party_id);
      form.values.note = '';
      form.kind = 'success';
      form.message = () => t('idcheck.done', { name });
      toast(t('idcheck.done', { name }));
      await loadEvidence();
      store.history.load();
    } catch (err) {
      showApiError(form, err);
    }
  });
  focusInvalid(button);
}

function IdentityCheckForm() {
  const form = store.idcheck;
  const parties = (kase() && kase().parties) || [];
  const at = { form, idPrefix: 'ic' };
  return html`<form id="idcheck-form" class="grid-form" novalidate aria-labelledby="idcheck-title" aria-busy=${form.busy ? 'true' : undefined} onSubmit=${checkIdentity}>
    <h3 id="idcheck-title" class="wide">${t('idcheck.title')}</h3>
    <${FormStateMessage} form=${form} />
    <${FormField} ...${at} label=${t('idcheck.party')} name="party_id" kind="select" required placeholder=${t('common.select')} options=${parties.map(partyOption)} />
    <${FormField} ...${at} label=${t('idcheck.method')} name="method" kind="select" required options=${optionsFrom(ID_METHODS, 'idmethod')} />
    <${FormField} ...${at} label=${t('idcheck.result')} name="result" kind="select" required options=${optionsFrom(ID_RESULTS, 'idresult')} />
    <${FormField} ...${at} label=${t('idcheck.note')} name="note" optional attrs=${{ maxlength: 500, autocomplete: 'off' }} />
    <div class="actions wide">${submitButton(form, t('idcheck.submit'), 'idcheck-submit')}</div>
  </form>`;
}

async function onExport() {
  store.exporting = true;
  draw();
  try {
    const file = await postForFile(`/cases/${encodeURIComponent(caseId)}/evidence/bundle`);
    saveBlob(file.blob, file.filename);
    store.exported = { filename: file.filename, manifestHash: file.manifestHash };
    loadEvidence();
    store.history.load();
  } catch (err) {
    toast(t('export.failed', { message: errorMessage(err) }), 'error', 7000);
  } finally {
    store.exporting = false;
    draw();
  }
}

function exportResult() {
  const x = store.exported;
  if (!x) return null;
  return html`<p class="notice ok-notice" role="status">${t('export.done', { file: x.filename })}</p>
    ${x.manifestHash ? html`<p class="manifest-line">${t('export.hash')}<code class="manifest-hash" data-testid="manifest-hash">${x.manifestHash}</code></p>` : null}`;
}

function Evidence() {
  return html`<${Section} id="evidence" title=${t('evidence.title')}>
    <p class="muted">${t('evidence.intro')}</p>
    <div class="evidence-toolbar">
      <button type="button" class="secondary small-btn" data-testid="evidence-refresh" onClick=${() => loadEvidence()}>${t('evidence.refresh')}</button>
    </div>
    <div id="evidence-body" aria-live="polite">${evidenceBody()}</div>
    ${supervisor() || archived() ? null : html`<${IdentityCheckForm} />`}
    <div class="export-box" hidden=${supervisor()}>
      <h3>${t('export.button')}</h3>
      <p>${t('evidence.bundle.why')}</p>
      <div class="actions">
        <button type="button" class="primary" disabled=${store.exporting} data-testid="export-bundle" onClick=${onExport}>${store.exporting ? t('export.busy') : t('export.button')}</button>
      </div>
      <div id="export-result">${exportResult()}</div>
    </div>
  </${Section}>`;
}

// ------------------------------------------------------------------ page

/** The case's supervision: instructions and replies; a supervisor issues one, its mediators answer. */
function Supervision({ k }) {
  const part = store.supervision;
  const items = /** @type {any[]} */ (part.data || []);
  if (!supervisor() && part.status === 'ready' && !items.length) return null; // nothing to answer
  const reload = () => {
    part.load();
    store.history.load();
    loadEvidence();
  };
  const canReply = store.user.role === 'mediator' && !archived();
  return html`<${Section} id="supervision" title=${t('sup.section')}>
    ${canReply && items.some((i) => i.awaiting_reply) ? html`<p class="notice" role="status">${t('sup.mediator_note')}</p>` : null}
    <div id="supervision-body" aria-live="polite">${part.view(() => html`<${Instructions} items=${items} tz=${store.tz} canReply=${canReply} onChanged=${reload} />`)}</div>
    ${supervisor() && !archived() ? html`<h3>${t('sup.issue.title')}</h3><${IssueForm} key=${k.id} caseId=${k.id} number=${k.case_number} onDone=${reload} />` : null}
  </${Section}>`;
}

/** The sessions' mediation records (transcripts.js): the case's mediators close them after the session, a supervisor reads. */
function Transcripts({ k }) {
  const part = store.transcripts;
  return html`<${Section} id="transcripts" title=${t('tr.title')}>
    <div id="transcripts-body" aria-live="polite">${part.view((data) => html`<${TranscriptsBody} data=${data} tz=${store.tz}
      canClose=${k.status === 'open' && !readOnly() && store.user.role === 'mediator'} onChanged=${() => { store.transcripts.load(); store.history.load(); loadEvidence(); }} />`)}</div>
  </${Section}>`;
}

/** Extending the mediation period by every party's agreement (extensions.js): the case's mediators propose, a supervisor reads. */
function Extensions({ k }) {
  const part = store.extensions;
  return html`<${Section} id="extension" title=${t('ext.title')}>
    <div id="extension-body" aria-live="polite">${part.view((data) => html`<${ExtensionsBody} caseId=${k.id} data=${data} open=${k.status === 'open' && !beforeCourt()}
      canAct=${!readOnly() && store.user.role === 'mediator'} tz=${store.tz} onChanged=${() => { loadExtensions(); store.kase.load(); store.history.load(); }} />`)}</div>
  </${Section}>`;
}

/** The agreement as a supervisor reads it: its state, its text, who signed, its PDFs (the court's page shows it so too). */
function AgreementRead() {
  const body = store.agreement.view((data) => {
    const v = data && data.agreement;
    if (!v) return empty(t('sup.agreement.none'));
    const pdf = v.pdf || {};
    return html`<p>${badge(tv('agr.status', v.status), v.status === 'effective' ? 'ok' : 'warn')}</p>
      <details class="agr-preview"><summary>${t('agr.final.text')}</summary><${AgreementText} view=${v} testid="sup-agreement-text" /></details>
      <${SignerList} view=${v} tz=${store.tz} />
      <div class="actions">
        ${pdf.signed ? html`<a class="button primary" href=${pdf.signed} download="">${t('agr.pdf.signed')}</a>` : null}
        ${pdf.agreement ? html`<a class="button secondary" href=${pdf.agreement} download="">${t('agr.pdf.agreement')}</a>` : null}
      </div>`;
  });
  return html`<${Section} id="agreement" title=${t('agr.title')}><div id="agreement-body" data-testid="sup-agreement">${body}</div></${Section}>`;
}

function Page() {
  const home = supervisor() ? '/supervision' : '/mediator';
  const back = html`<p><a href=${home} class="back">${`‹ ${supervisor() ? t('sup.title') : t('case.back')}`}</a></p>`;
  const kv = store.kase;
  if (kv.status === 'loading') return html`${back}${loading()}`;
  if (kv.status === 'error') {
    document.title = t('app.name');
    const notFound = kv.error && [403, 404].includes(kv.error.status);
    return html`${back}${notFound ? html`<div class="card"><p>${t('case.not_found')}</p></div>` : loadError(kv.error, () => kv.load())}`;
  }
  const k = kv.data;
  document.title = `${t('case.title', { number: k.case_number })} · ${t('app.name')}`;
  const title = html`<h1 id="case-title">${t('case.title', { number: k.case_number })} ${badge(tv('status', k.status), `status-${k.status}`)}</h1>`;
  const referred = referrals ? html`<${CaseReferralsSection} panel=${referrals} k=${k} supervising=${supervisor()} />` : null;
  if (sharedOnly()) {
    const coMediating = mediatorsPanel && coMediatingHere();
    return html`${back}${title}
      <div class="two-col"><${Details} k=${k} />${referred}</div>
      ${coMediating ? html`<${CaseMediatorsSection} panel=${mediatorsPanel} k=${k} writable=${false} /><${HostedSessions} k=${k} />` : null}
      <${Section} id="history" title=${t('history.title')}><div id="history-body">${historyBody()}</div></${Section}>`;
  }
  return html`${back}${title}
    ${beforeCourt() ? html`<p class="notice" role="status" data-testid="case-before-court">${t('case.before_court')}</p>` : null}
    ${supervisor() ? html`<p class="notice" role="status" data-testid="case-supervisor">${t('sup.reads_only')}</p>` : null}
    ${archivedNotice(k, store.tz)}
    <${Supervision} k=${k} />
    <div class="two-col"><${Details} k=${k} /><${Parties} k=${k} /></div>
    <${Extensions} k=${k} />
    <${WillingnessSection} caseId=${k.id} data=${store.willingness.data} kase=${k} tz=${store.tz} canAsk=${!readOnly()} onDone=${refresh} />
    ${mediatorsPanel ? html`<${CaseMediatorsSection} panel=${mediatorsPanel} k=${k} writable=${!readOnly()} />` : null}
    ${referred}
    <${Sessions} k=${k} />
    <${Transcripts} k=${k} />
    ${supervisor()
      ? html`<${AgreementRead} />`
      : html`<${Mount} class="kept" make=${() => agreementPanel?.el ?? null} deps=${[agreementPanel]} />`}
    ${caseObligations ? caseObligations.view() : null}
    ${caseClosing ? caseClosing.view() : null}
    ${caseArchive ? caseArchive.view() : null}
    <${Mount} class="kept" make=${() => confirmationPanel?.el ?? null} deps=${[confirmationPanel]} />
    ${caseFiles ? html`<${Section} id="files" title=${t('files.title')}><${Mount} class="kept" make=${() => caseFiles?.el ?? null} deps=${[caseFiles]} /></${Section}>` : null}
    ${supervisor()
      ? html`<${Section} id="history" title=${t('history.title')}><div id="history-body">${historyBody()}</div></${Section}>`
      : html`<div class="two-col">
          <${Section} id="outbox" title=${t('outbox.title')}><div id="outbox-body">${outboxBody()}</div></${Section}>
          <${Section} id="history" title=${t('history.title')}><div id="history-body">${historyBody()}</div></${Section}>
        </div>`}
    <${Evidence} />`;
}

/** ui.js's skip link and staff header, drawn again on a change of language. */
const frame = () => [skipLink(), staffHeader(store.user)];

async function main() {
  const me = await initStaffPage();
  store.user = me.user;
  store.csrf = me.csrf_token || null;
  store.tz = isValidTimeZone(me.user.timezone) ? me.user.timezone : browserTimeZone();
  store.addParty = formState(addPartyValues());
  store.idcheck = formState(idcheckValues());
  const [meta, mediators] = await Promise.all([
    api.meta().catch(() => null),
    api.listMediators().then(itemsOf).catch(() => []),
    store.kase.load(),
  ]);
  store.meta = meta;
  store.mediators = mediators;
  const ready = store.kase.status === 'ready';
  if (ready) referrals = new CaseReferrals({ caseId, user: store.user, tz: store.tz, changed: draw, onCaseChange: refresh });
  const shared = ready && sharedOnly();
  if (ready && shared && store.user.role === 'mediator') {
    // Whether I co-mediate the case for an assisting organisation (coMediatingHere): who mediates says so.
    mediatorsPanel = new CaseMediators({ caseId, user: store.user, tz: store.tz, changed: draw, onCaseChange: refresh });
  }
  if (ready && !shared) {
    mediatorsPanel = new CaseMediators({ caseId, user: store.user, tz: store.tz, changed: draw, onCaseChange: refresh });
    const getCase = () => kase();
    const onStatusChange = () => {
      refresh();
      /** @type {CaseFiles} */ (caseFiles).load();
      /** @type {ConfirmationPanel} */ (confirmationPanel).load();
      caseObligations?.load();
      caseClosing?.load();
    };
    // A supervisor reads the case, its files, history, evidence and agreement (AgreementRead); the
    // agreement, confirmation and identity panels are its mediator's tools.
    if (!supervisor()) {
      identityPanel = new IdentityPanel({ caseId, user: store.user, tz: store.tz, mode: 'case', level: 'h3' });
      agreementPanel = new AgreementPanel({ caseId, user: store.user, tz: store.tz, meta, getCase, onCaseChange: refresh, onStatusChange });
      // An attestation on paper that completes the application puts the case before the court (#25): the page looks again.
      confirmationPanel = new ConfirmationPanel({ caseId, userId: () => store.user.id, tz: store.tz, meta, onSubmitted: refresh });
    }
    caseObligations = new CaseObligations({ caseId, userId: store.user.id, tz: store.tz, canAct: !readOnly() && store.user.role === 'mediator', render: draw, onChanged: () => { caseClosing?.load(); store.history.load(); } });
    // The case's mediators (a co-mediator too) record visits and close it, before a court or not.
    const closes = () => store.user.role === 'mediator' && (!sharedOnly() || coMediatingHere()) && !archived();
    caseClosing = new CaseClosing({ caseId, tz: store.tz, canAct: closes, render: draw, onChanged: () => { caseObligations?.load(); store.history.load(); caseFiles?.load(); caseArchive?.load(); } });
    // The case's own mediators archive it once closed; then it reads only (its notice says until when).
    caseArchive = new CaseArchive({ caseId, canAct: () => store.user.role === 'mediator' && !sharedOnly(), render: draw,
      onChanged: () => { refresh().then(() => caseFiles?.render()); caseClosing?.load(); } });
    caseFiles = new CaseFiles({
      mode: 'staff',
      caseId,
      getParties: () => (kase() && kase().parties) || [],
      tz: store.tz,
      maxBytes: meta && meta.max_upload_bytes,
      isLocked: readOnly,
    });
    partiesChanged();
  }
  // The header is ui.js's (shared by the staff pages), drawn again on a change of language; Preact draws <main>.
  const main = h('main', { id: 'main', class: 'container' });
  root = main;
  staffFrame(app, frame, main, draw);
  draw();
  if (shared) {
    /** @type {CaseReferrals} */ (referrals).load();
    if (mediatorsPanel) mediatorsPanel.load();
    store.history.load();
  } else if (ready) {
    /** @type {CaseReferrals} */ (referrals).load();
    /** @type {CaseMediators} */ (mediatorsPanel).load();
    if (agreementPanel) agreementPanel.load();
    if (confirmationPanel) confirmationPanel.load();
    /** @type {CaseFiles} */ (caseFiles).load();
    caseObligations?.load();
    caseClosing?.load();
    caseArchive?.load();
    if (supervisor()) store.agreement.load();
    else {
      store.outbox.load();
      loadRecordings();
    }
    store.history.load();
    store.supervision.load();
    loadExtensions();
    store.transcripts.load();
    store.willingness.load();
    loadEvidence();
  }
}

// While the other side's answer is awaited, ask now and then: an answer (or the deadline passing)
// may end the case, and the mediator sees it without reloading.
const WILLINGNESS_POLL_MS = 20_000;
setInterval(async () => {
  const part = store.willingness;
  if (document.visibilityState !== 'visible' || !part.data || part.data.state !== 'waiting') return;
  const before = JSON.stringify(part.data);
  await part.load();
  if (JSON.stringify(part.data) !== before) refresh();
}, WILLINGNESS_POLL_MS);

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
