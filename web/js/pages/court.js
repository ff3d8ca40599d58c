// @ts-check
// /court and /court/applications/<id>: the court's side of judicial confirmation
// (server/http/CONFIRMATION_API.md, "Judges"). The inbox lists the applications submitted to the
// judge's court (case number, committee, parties, status, submitted, judge) with a status filter.
// One application: what the verifier proves about the case's evidence in plain words, the
// agreement and its PDFs, who applied and signed, identity checks, the case history and evidence
// records, the case files, the recordings (each session's review page), assigning a judge,
// accepting and reviewing, the court's private notes, the access log, and the decision: confirm, or
// refuse on the statutory grounds with written reasons, signed with the judge's own key (bound to the
// case first) behind a dialog that repeats the decision; then the ruling to download.
// The page's <main> is drawn with Preact + htm, as the review page is: every section is a component
// drawn from the page's store (`store`, its parts loaded from the API), and `draw()` redraws them all
// when something arrives or changes, or the language does, keeping what the judge typed and where
// the focus is.

import { html, render } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import * as api from '../api.js';
import { t, tv, getLang, fmtDateTime, fmtShortDateTime } from '../i18n.js';
import '../agreement-i18n.js';
import '../confirmation-i18n.js';
import '../evidence-i18n.js';
import { isValidTimeZone, browserTimeZone, addDays, todayIn, localToIso } from '../time.js';
import { SignerList, AgreementText } from '../agreement.js';
import { DECIDED, groundName, rejectionGroundName, statusBadge, statusSteps, applicantList, decisionBox, rulingUrl } from '../confirmation.js';
import { MessageLine, reasonOf } from '../signing/message.js';
import { StaffSigner } from '../signing/staff-key.js';
import { fmtBytes } from '../casefiles.js';
import { h, replace, errorMessage, errorState, fieldMessage, toast, confirmDialog, initStaffPage, staffHeader, skipLink } from '../ui.js';
import { Part, Section, badge, empty, fromDom, loadError, loading, staffFrame } from '../ui-preact.js';
import { SentReferrals, SentSection } from '../referrals.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML
const appId = decodeURIComponent((location.pathname.match(/^\/court\/applications\/([^/]+)/) || [])[1] || '');
// Applications a judge can decide: accepted first (server/domain/confirmation/decision.py DECIDABLE).
const DECIDABLE = ['accepted', 'under_review', 'hearing_scheduled'];
const FILTERS = ['all', 'open', 'received', 'accepted', 'under_review', 'hearing_scheduled', 'confirmed', 'rejected'];
const NOTE_MAX = 5000;
const REASONS_MAX = 5000;

/**
 * What a form says is wrong (as ui.js's formMessage and setFieldError show it): a message at its top,
 * and one under each control, by the control's name.
 * @typedef {{ message: string, fields: Record<string, any> }} Errors
 */
/** @returns {Errors} */
const noErrors = () => ({ message: '', fields: {} });

/** The page's <main>, where Preact draws. */
let root = /** @type {HTMLElement | null} */ (null);

/** @returns {string} */
const caseId = () => store.view.data && store.view.data.case_id;

const store = {
  user: /** @type {any} */ (null),
  tz: 'Asia/Shanghai',
  meta: /** @type {any} */ (null),
  filter: 'all',
  list: new Part(() => api.courtApplications(), draw),
  view: new Part(() => api.courtApplication(appId), draw), // the application
  kase: new Part(() => api.getCase(caseId()), draw),
  agreement: new Part(() => api.getAgreement(caseId()), draw),
  history: new Part(() => api.caseHistory(caseId()), draw),
  evidence: new Part(() => api.caseEvidence(caseId()), draw),
  recordings: new Part(() => api.caseRecordings(caseId()), draw),
  log: new Part(() => api.applicationAccessLog(appId), draw),
  judges: /** @type {any[]} */ ([]), // the judges of the court (GET /court/judges), to assign to
  handleMessage: /** @type {{ kind: string, text: string } | null} */ (null),
  acting: false, // a handling action under way: its buttons wait
  assignTo: '',
  hearing: { date: '', time: '10:00', duration: '30', busy: false, errors: noErrors() },
  note: { text: '', busy: false, errors: noErrors() },
  decision: { choice: /** @type {string | null} */ (null), grounds: new Set(), reasons: '', clerk: '', errors: noErrors() },
  // The judge's keys and signature (signing/staff-key.js).
  signer: new StaffSigner({ userId: () => store.user.id, onChange: () => draw() }),
  sent: /** @type {SentReferrals | null} */ (null), // the cases the court referred, and their results (#21)
};

const mine = (v) => Boolean(v && v.judge && store.user && v.judge.id === store.user.id);

/** Redraw the page from the store (synchronously: focus can be set right after). */
function draw() {
  if (root) render(appId ? html`<${Application} />` : html`<${Inbox} />`, root);
}

/** @param {string} testid */
function focusOn(testid) {
  /** @type {HTMLElement | null} */ (document.querySelector(`[data-testid="${testid}"]`))?.focus();
}

/** A table cell with its column's name (shown before it on a phone, where rows become blocks). */
const cell = (label, content) => html`<td data-label=${label}><span class="court-cell">${content}</span></td>`;

/** A form's message line (ui.js's formMessage). @param {Errors} errors */
const formMessage = (errors) =>
  html`<div class=${errors.message ? 'form-message error' : 'form-message'} role="alert" hidden=${!errors.message}>${errors.message}</div>`;

/**
 * A control's (or a group's) attributes and the message under it when it is wrong (ui.js's setFieldError).
 * @param {Errors} errors @param {string} name @param {string} id @param {string} [hint] the id of its hint
 */
function invalid(errors, name, id, hint) {
  const text = errors.fields[name];
  return {
    attrs: { 'aria-invalid': text ? 'true' : undefined, 'aria-describedby': [hint, text && `${id}-err`].filter(Boolean).join(' ') || undefined },
    message: text ? html`<p class="field-error" id=${`${id}-err`}>${fromDom(text)}</p>` : null,
  };
}

/** An API error's fields by the name of their control ("body.text" → "text"), with `say` for each. */
function fieldsOf(err, say) {
  return Object.fromEntries(((err && err.fields) || []).map((f) => [String(f.field).split(/[.[\]]/).filter(Boolean).pop() || '', say(f)]));
}

// ------------------------------------------------------------------ the inbox

function filterParam() {
  const f = new URLSearchParams(location.search).get('status');
  return f && FILTERS.includes(f) ? f : 'all';
}

function matches(a, filter) {
  if (filter === 'all') return true;
  if (filter === 'open') return !DECIDED.has(a.status);
  return a.status === filter;
}

function inboxList() {
  const list = store.list;
  if (list.status === 'error' && list.error.status === 403) return html`<p class="notice" data-testid="court-forbidden">${t('court.forbidden')}</p>`;
  return list.view((data) => {
    const all = (data && data.items) || [];
    const items = all.filter((a) => matches(a, store.filter));
    if (!items.length) return empty(all.length ? t('court.inbox.none.filter') : t('court.inbox.none'));
    const col = (c) => t(`court.col.${c}`);
    const line = (a) => html`<tr key=${a.id} data-testid="court-app-row" data-application-id=${a.id} data-status=${a.status}>
      ${cell(col('case'), html`<a href=${`/court/applications/${encodeURIComponent(a.id)}`} class="court-app-link" data-testid="court-app-link">${a.case_number || a.id}</a>`)}
      ${cell(col('org'), a.organisation || '')}
      ${cell(col('parties'), (a.signers || []).map((s) => s.name).filter(Boolean).join('、'))}
      ${cell(col('status'), fromDom(statusBadge(a.status)))}
      ${cell(col('submitted'), a.submitted_at ? fmtShortDateTime(a.submitted_at, store.tz) : '—')}
      ${cell(col('judge'), a.judge ? [a.judge.name, mine(a) ? html`<span class="muted">${` ${t('court.judge.me')}`}</span>` : null] : html`<span class="muted">${t('court.judge.none')}</span>`)}
    </tr>`;
    return html`<p class="muted" role="status" data-testid="court-count">${t('court.inbox.count', { n: items.length })}</p>
      <table class="court-table" data-testid="court-inbox">
        <caption class="sr-only">${t('court.inbox.title')}</caption>
        <thead><tr>${['case', 'org', 'parties', 'status', 'submitted', 'judge'].map((c) => html`<th scope="col">${col(c)}</th>`)}</tr></thead>
        <tbody>${items.map(line)}</tbody>
      </table>`;
  });
}

function Inbox() {
  document.title = `${t('court.inbox.title')} · ${t('app.name')}`;
  const filter = (ev) => {
    store.filter = ev.currentTarget.value;
    const url = new URL(location.href);
    if (store.filter === 'all') url.searchParams.delete('status');
    else url.searchParams.set('status', store.filter);
    history.replaceState(null, '', url);
    draw();
  };
  return html`<h1>${t('court.inbox.title')}</h1>
    <p class="muted">${t('court.inbox.intro', { court: (store.user.organisation && store.user.organisation.name) || '' })}</p>
    <section class="card" aria-labelledby="inbox-title">
      <h2 id="inbox-title" class="sr-only">${t('court.inbox.title')}</h2>
      <div class="court-toolbar">
        <div class="field">
          <label for="court-filter">${t('court.filter')}</label>
          <select id="court-filter" name="status" data-testid="court-filter" value=${store.filter} onChange=${filter}>
            ${FILTERS.map((f) => html`<option value=${f}>${t(`court.filter.${f}`)}</option>`)}
          </select>
        </div>
        <button type="button" class="secondary" data-testid="court-refresh" onClick=${() => store.list.load()}>${t('evidence.refresh')}</button>
      </div>
      <div id="inbox-body" aria-live="polite">${inboxList()}</div>
    </section>
    ${store.sent ? html`<${SentSection} sent=${store.sent} />` : null}`;
}

// ------------------------------------------------------------------ one application

/** The application, then everything about its case. */
async function openApplication() {
  await store.view.load();
  if (store.view.status === 'ready') await loadCaseParts();
}

/** Everything about the case, then the access log (which then lists these reads too). */
async function loadCaseParts() {
  await Promise.all([store.kase.load(), store.agreement.load(), store.history.load(), store.evidence.load(), store.recordings.load(), loadJudges()]);
  await store.log.load();
}

async function loadJudges() {
  try {
    const data = await api.courtJudges();
    store.judges = (data && data.items) || [];
  } catch {
    store.judges = []; // "assign to me" still works
  }
  draw();
}

/** After a change: the application again, and the access log. */
async function refreshApplication() {
  await store.view.load();
  store.log.load();
}

/** A party's name: from the case, else from the application's signers (both parties sign it). */
function partyName(id) {
  const k = store.kase.data;
  const p = ((k && k.parties) || []).find((x) => x.id === id);
  if (p) return p.name;
  const s = ((store.view.data && store.view.data.signers) || []).find((x) => x.party_id === id);
  return s ? s.name : '';
}

const row = (label, value, testid) => (value ? html`<dt>${label}</dt><dd data-testid=${testid}>${value}</dd>` : null);

function Summary({ a }) {
  return html`<${Section} id="summary" title=${t('court.summary')}>
    <div id="summary-body">
      <dl class="details">
        ${row(t('court.case_number'), a.case_number, 'court-case-number')}
        ${row(t('court.court_case_number'), a.court_case_number || t('court.court_case_number.none'), 'court-court-case-number')}
        ${row(t('court.col.org'), a.organisation, 'court-org')}
        ${row(t('conf.court'), a.court && a.court.name)}
        ${row(t('conf.ground'), groundName(a.ground, store.meta), 'court-ground')}
        ${row(t('conf.submitted'), a.submitted_at ? fmtDateTime(a.submitted_at, store.tz) : null)}
        ${row(t('conf.judge'), a.judge ? a.judge.name : t('court.judge.none'), 'court-judge')}
        ${row(t('conf.hearing'), a.hearing ? fmtDateTime(a.hearing.starts_at, store.tz) : null, 'court-hearing')}
      </dl>
      ${a.status !== 'awaiting_cosign' ? fromDom(statusSteps(a, store.tz)) : null}
    </div>
  </${Section}>`;
}

/**
 * The Chinese report with its identifiers set as code: a file in the bundle (manifest.json), a key
 * or the log's name, an option of `mediate verify`. They are what the judge compares or types, not
 * words to translate; a Chinese report has no Latin letters otherwise (server/evidence/verify/report.py).
 * @param {string} text
 */
function withCode(text) {
  if (getLang() === 'en') return text;
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/(?:--)?[A-Za-z][A-Za-z0-9_.:/+=@-]*/g)) {
    const at = /** @type {number} */ (m.index);
    if (at > last) out.push(text.slice(last, at));
    out.push(html`<code>${m[0]}</code>`);
    last = at + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function Verification({ a }) {
  const ver = a.verification;
  let body = empty(t('court.verify.none'));
  if (ver) {
    const report = getLang() === 'en' ? ver.report_en || ver.report_zh : ver.report_zh || ver.report_en;
    // The report (server/evidence/verify/report.py render): the verdict and the bundle first, then numbered
    // sections separated by blank lines, each under its title. The verdict stays in view; the
    // sections fold (open when something is wrong).
    const [head, ...blocks] = String(report || '').trim().split(/\n\s*\n/);
    const [verdict, ...headRest] = (head || '').split('\n');
    const section = (block) => {
      const [title, ...lines] = block.split('\n');
      return html`<details class="agr-preview court-verify-section" open=${!ver.ok}>
        <summary>${withCode(title)}</summary>
        <div class="court-verify-body">${withCode(lines.join('\n'))}</div>
      </details>`;
    };
    body = html`<div class=${`court-verify ${ver.ok ? 'ok' : 'bad'}`} data-testid="court-verification" data-ok=${String(Boolean(ver.ok))}>
        <p class="court-verify-head">
          ${badge(ver.ok ? `✓ ${t('court.verify.ok')}` : `✕ ${t('court.verify.bad')}`, ver.ok ? 'ok' : 'bad')} <strong>${ver.ok ? t('court.verify.ok.text') : t('court.verify.bad.text')}</strong>
        </p>
        <div class="court-verify-report" data-testid="court-verify-report">
          <p class="court-verify-verdict">${withCode(verdict || '')}</p>
          ${headRest.length ? html`<p class="muted small">${withCode(headRest.join('\n'))}</p>` : null}
          ${blocks.map(section)}
        </div>
      </div>
      <p class="hint">${t('court.verify.how')}</p>`;
  }
  return html`<${Section} id="verify" title=${t('court.verify.title')}><div id="verify-body">${body}</div></${Section}>`;
}

function Agreement() {
  const body = store.agreement.view((data) => {
    const v = data && data.agreement;
    if (!v) return empty(t('court.agreement.none'));
    const pdf = v.pdf || {};
    return html`<p>${badge(tv('agr.status', v.status), v.status === 'effective' ? 'ok' : 'warn')} ${v.sealed_at ? t('agr.sealed.at', { time: fmtDateTime(v.sealed_at, store.tz) }) : null}</p>
      ${v.verify_code ? html`<p>${t('agr.verify.code')} <code class="agr-verify-code">${v.verify_code}</code></p>` : null}
      <details class="agr-preview" open><summary>${t('agr.final.text')}</summary><${AgreementText} view=${v} testid="court-agreement-text" /></details>
      <div class="actions">
        ${pdf.signed ? html`<a class="button primary" href=${pdf.signed} download="" data-testid="court-agr-pdf-signed">${t('agr.pdf.signed')}</a>` : null}
        ${pdf.agreement ? html`<a class="button secondary" href=${pdf.agreement} download="" data-testid="court-agr-pdf">${t('agr.pdf.agreement')}</a>` : null}
      </div>
      ${v.pdf_sha256 ? html`<p class="muted small agr-hash">${t('agr.pdf.sha')} <code>${v.pdf_sha256}</code></p>` : null}
      <h3>${t('court.agreement.signers')}</h3>
      <${SignerList} view=${v} tz=${store.tz} />`;
  });
  return html`<${Section} id="agreement" title=${t('agr.title')}><div id="agreement-body">${body}</div></${Section}>`;
}

function Applicants({ a }) {
  return html`<${Section} id="applicants" title=${t('court.applicants')}>
    <div id="applicants-body"><p class="muted">${t('court.applicants.intro')}</p>${fromDom(applicantList(a, store.tz))}</div>
  </${Section}>`;
}

/** The identity checks the mediator recorded (from the history), one line each. */
function Identity() {
  const body = store.history.view((data) => {
    const checks = ((data && data.items) || []).filter((e) => e.kind === 'identity_checked');
    if (!checks.length) return empty(t('court.identity.none'));
    const line = (e) => {
      const d = e.data || {};
      return html`<li class="court-list-item">
        <span><strong>${partyName(d.party_id) || d.name || ''}</strong> ${badge(tv('idresult', d.result), d.result === 'confirmed' ? 'ok' : 'bad')}</span>
        <span class="muted">${[tv('idmethod', d.method), e.actor_name, fmtShortDateTime(e.at, store.tz)].filter(Boolean).join(' · ')}</span>
      </li>`;
    };
    return html`<ul class="court-list" data-testid="court-identity">${checks.map(line)}</ul>`;
  });
  return html`<${Section} id="identity" title=${t('court.identity')}><div id="identity-body">${body}</div></${Section}>`;
}

function Materials({ a }) {
  const items = a.materials || [];
  const item = (m) => html`<li class="file-item" data-testid="court-material" data-kind=${m.kind || ''}>
    <p class="file-line">
      ${m.url ? html`<a href=${m.url} target="_blank" rel="noopener" class="file-name">${m.name || m.kind}</a>` : html`<span class="file-name">${m.name || m.kind}</span>`}
      ${m.kind ? [' ', badge(tv('files.kind', m.kind), m.kind === 'upload' ? '' : 'ok')] : null}
    </p>
    <p class="muted small file-meta">${m.bytes != null ? fmtBytes(m.bytes) : ''}${m.sha256 ? html`<span class="hash">SHA-256 ${m.sha256}</span>` : null}</p>
  </li>`;
  return html`<${Section} id="materials" title=${t('court.materials')}>
    <div id="materials-body">
      ${items.length ? html`<ul class="file-list" data-testid="court-materials">${items.map(item)}</ul>` : empty(t('court.materials.none'))}
    </div>
  </${Section}>`;
}

/** Each session with a recording, and the link to watch it (/review/<session id>). */
function Recordings() {
  const body = store.recordings.view((data) => {
    const items = ((data && data.items) || []).filter((r) => r.status !== 'deleted');
    if (!items.length) return empty(t('court.recordings.none'));
    /** @type {Map<string, any[]>} */
    const sessions = new Map();
    for (const r of items) sessions.set(r.session_id, [...(sessions.get(r.session_id) || []), r]);
    const known = new Map(((store.kase.data && store.kase.data.sessions) || []).map((s) => [s.id, s]));
    return html`<ul class="court-list" data-testid="court-recordings">
      ${[...sessions].map(([sid, recs]) => {
        const s = known.get(sid);
        const start = (s && s.starts_at) || recs[recs.length - 1].started_at;
        // ?application= brings the judge back here from the review page.
        return html`<li class="court-list-item">
          <span>${t('court.recordings.session', { time: start ? fmtDateTime(start, store.tz) : '', n: recs.length })}</span>
          <a class="button secondary" href=${`/review/${encodeURIComponent(sid)}?application=${encodeURIComponent(appId)}`} data-testid="court-review-link">${t('court.recordings.watch')}</a>
        </li>`;
      })}
    </ul>`;
  });
  return html`<${Section} id="recordings" title=${t('court.recordings')}>
    <div id="recordings-body">${body}<p class="hint">${t('court.logged')}</p></div>
  </${Section}>`;
}

/** Who did it: their name, or "系统" for the platform itself. */
function actorName(e) {
  return e.actor_name && e.actor_name !== 'system' ? e.actor_name : tv('actor', e.actor_kind);
}

function evidenceActor(a) {
  if (!a) return '';
  if (a.kind === 'party') return partyName(a.id) || tv('actor', 'party');
  return a.role ? tv('role', a.role) : tv('actor', a.kind);
}

function History() {
  const history = store.history.view((data) => {
    const items = [...((data && data.items) || [])].sort((a, b) => (b.at || '').localeCompare(a.at || ''));
    if (!items.length) return empty(t('history.empty'));
    return html`<ol class="history" data-testid="court-history">
      ${items.map(
        (e) => html`<li>
          <time datetime=${e.at}>${fmtShortDateTime(e.at, store.tz)}</time>
          <span class="history-kind">${tv('history', e.kind)}</span>
          <span class="muted">${[actorName(e), e.data && e.data.party_id ? partyName(e.data.party_id) : null].filter(Boolean).join(' · ')}</span>
        </li>`,
      )}
    </ol>`;
  });
  const evidence = store.evidence.view((data) => {
    const items = [...((data && data.items) || [])].sort((a, b) => b.seq - a.seq);
    if (!items.length) return empty(t('evidence.empty'));
    return html`<ol class="evidence-list" data-testid="court-evidence">
      ${items.map(
        (r) => html`<li class="evidence-item">
          <span class="evidence-seq">${t('evidence.seq', { seq: r.seq })}</span>
          <span class="evidence-type">${tv('evidence.type', r.type)}</span>
          ${r.time ? html`<time class="evidence-time" datetime=${r.time}>${fmtShortDateTime(r.time, store.tz)}</time>` : null}
          <span class="evidence-actor muted">${evidenceActor(r.actor)}</span>
          ${r.log_index != null ? badge(t('evidence.logged', { index: r.log_index }), 'ok') : html`<span class="badge muted">${t('evidence.pending')}</span>`}
        </li>`,
      )}
    </ol>`;
  });
  return html`<${Section} id="history" title=${t('court.history')}>
    <div id="history-body">
      <details class="agr-preview court-more"><summary data-testid="court-history-open">${t('court.history.show')}</summary>${history}</details>
      <details class="agr-preview court-more"><summary>${t('court.evidence.show')}</summary>${evidence}</details>
    </div>
  </${Section}>`;
}

// ------------------------------------------------------------------ handling: judge, status

/** A handling action (assign, status): the new view, a toast, the access log again. */
async function act(call, done) {
  store.acting = true;
  draw();
  try {
    // The answer is the view (without the verification, which stays as it was): no need to read it again.
    const view = await call();
    if (view && view.id) store.view.data = { ...store.view.data, ...view };
    store.handleMessage = { kind: 'info', text: done };
    toast(done);
    store.log.load();
  } catch (err) {
    store.handleMessage = { kind: 'error', text: reasonOf(err) === 'no_court_code' ? t('court.error.no_court_code') : errorMessage(err) };
  }
  store.acting = false;
  draw();
  focusOn('court-handle-message');
}

function Handling({ a }) {
  const decided = DECIDED.has(a.status);
  const m = store.handleMessage;
  const button = (label, testid, call, done, kind = 'secondary') =>
    html`<button type="button" class=${kind} disabled=${store.acting} data-testid=${testid} onClick=${() => act(call, done)}>${label}</button>`;
  // Another judge of the court (GET /court/judges), when there is more than one.
  const others = store.judges.filter((j) => !a.judge || j.id !== a.judge.id);
  // Only the steps open from here (received → accepted → under review).
  const steps = [
    a.status === 'received' ? button(t('court.accept'), 'court-accept', () => api.setApplicationStatus(appId, 'accepted'), t('court.accept.done'), 'primary') : null,
    ['received', 'accepted'].includes(a.status)
      ? button(t('court.review'), 'court-under-review', () => api.setApplicationStatus(appId, 'under_review'), t('court.review.done'), a.status === 'accepted' ? 'primary' : 'secondary')
      : null,
  ];
  const assign = (ev) => {
    ev.preventDefault();
    const id = ev.currentTarget.elements.judge_id.value;
    const judge = store.judges.find((j) => j.id === id);
    act(() => api.assignApplication(appId, id), t('court.assign.done.to', { name: judge ? judge.name : '' }));
  };
  return html`<${Section} id="handling" title=${t('court.handling')}>
    <div id="handling-body" aria-live="polite">
      <p>
        ${t('court.judge.label')}<strong data-testid="court-judge-name">${a.judge ? a.judge.name : t('court.judge.none')}</strong>
        ${mine(a) ? html`<span class="muted">${` ${t('court.judge.me')}`}</span>` : null}
      </p>
      ${m
        ? html`<p class=${`key-message key-message-${m.kind}`} role=${m.kind === 'error' ? 'alert' : 'status'} tabindex="-1" data-testid="court-handle-message">${m.text}</p>`
        : null}
      ${!decided && store.judges.length > 1 && others.length
        ? html`<form class="court-assign" novalidate onSubmit=${assign}>
            <div class="field">
              <label for="court-assign-judge">${t('court.assign.to')}</label>
              <select id="court-assign-judge" name="judge_id" data-testid="court-assign-judge"
                value=${others.some((j) => j.id === store.assignTo) ? store.assignTo : others[0].id} onChange=${(ev) => (store.assignTo = ev.currentTarget.value)}>
                ${others.map((j) => html`<option value=${j.id}>${j.id === store.user.id ? `${j.name} ${t('court.judge.me')}` : j.name}</option>`)}
              </select>
            </div>
            <button type="submit" class="secondary" disabled=${store.acting} data-testid="court-assign">${t('court.assign')}</button>
          </form>`
        : null}
      ${decided
        ? html`<p class="muted">${t('court.handle.decided')}</p>`
        : html`<div class="actions">
              ${mine(a) ? null : button(t('court.assign.me'), 'court-assign-me', () => api.assignApplication(appId, store.user.id), t('court.assign.done'))}
              ${steps}
            </div>
            <p class="hint">${t('court.handle.hint')}</p>`}
      <${Hearing} a=${a} />
    </div>
  </${Section}>`;
}

async function scheduleHearing(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const f = store.hearing;
  /** @type {Record<string, string>} */
  const fields = {};
  if (!f.date) fields.date = t('error.field.required');
  if (!f.time) fields.time = t('error.field.required');
  const startsAt = f.date && f.time ? localToIso(f.date, f.time, store.tz) : null;
  if (startsAt && Date.parse(startsAt) <= Date.now()) fields.date = t('court.hearing.past');
  f.errors = { message: Object.keys(fields).length ? t('error.invalid_input') : '', fields };
  if (f.errors.message) {
    draw();
    form.querySelector('[aria-invalid="true"]')?.focus();
    return;
  }
  f.busy = true;
  draw();
  let done = false;
  try {
    const view = await api.scheduleHearing(appId, { starts_at: startsAt, duration_minutes: Number(f.duration), timezone: store.tz });
    store.view.data = { ...store.view.data, ...view };
    store.handleMessage = { kind: 'info', text: t('court.hearing.done') };
    toast(t('court.hearing.done'));
    store.log.load();
    store.recordings.load();
    done = true;
  } catch (err) {
    f.errors = { message: errorMessage(err), fields: fieldsOf(err, (x) => x.reason) };
    if (f.errors.fields.starts_at) f.errors.fields.date = f.errors.fields.starts_at;
  }
  f.busy = false;
  draw();
  if (done) focusOn('court-handle-message');
}

/** The video hearing: when it is and the way in for the judge (its host), or a form to schedule one. */
function Hearing({ a }) {
  if (a.hearing) {
    const phone = a.hearing_phone || [];
    return html`<div class="court-hearing" data-testid="court-hearing-box">
      <p>${t('court.hearing.at', { time: fmtDateTime(a.hearing.starts_at, store.tz) })}</p>
      ${phone.length > 0 &&
      html`<div class="court-hearing-phone" data-testid="court-hearing-phone">
        <p>${t('court.hearing.phone', { number: phone[0].number })}</p>
        <ul>${phone.map((p) => html`<li data-party-id=${p.party_id}>${t('court.hearing.pin', { name: p.party_name, role: tv('partyrole', p.role), pin: p.pin })}</li>`)}</ul>
      </div>`}
      ${DECIDED.has(a.status)
        ? null
        : html`<a class="button secondary" href=${`/live/${encodeURIComponent(a.hearing.session_id)}`} data-testid="court-hearing-join">${t('court.hearing.join')}</a>`}
    </div>`;
  }
  if (!['accepted', 'under_review'].includes(a.status)) return null;
  const f = store.hearing;
  const date = invalid(f.errors, 'date', 'court-hearing-date');
  const time = invalid(f.errors, 'time', 'court-hearing-time');
  const duration = invalid(f.errors, 'duration_minutes', 'court-hearing-duration');
  return html`<details class="agr-preview court-hearing-details">
    <summary data-testid="court-hearing-open">${t('court.hearing.title')}</summary>
    <form class="grid-form court-hearing-form" novalidate data-testid="court-hearing-form" aria-busy=${f.busy ? 'true' : undefined} onSubmit=${scheduleHearing}>
      <p class="wide muted">${t('court.hearing.intro')}</p>
      ${formMessage(f.errors)}
      <div class="field">
        <label for="court-hearing-date">${t('court.hearing.date')}</label>
        <input id="court-hearing-date" name="date" type="date" required min=${todayIn(store.tz)} value=${f.date} onInput=${(ev) => (f.date = ev.currentTarget.value)} ...${date.attrs} />
        ${date.message}
      </div>
      <div class="field">
        <label for="court-hearing-time">${t('court.hearing.time')}</label>
        <input id="court-hearing-time" name="time" type="time" required step="300" value=${f.time} onInput=${(ev) => (f.time = ev.currentTarget.value)} ...${time.attrs} />
        ${time.message}
      </div>
      <div class="field">
        <label for="court-hearing-duration">${t('court.hearing.duration')}</label>
        <select id="court-hearing-duration" name="duration_minutes" value=${f.duration} onChange=${(ev) => (f.duration = ev.currentTarget.value)} ...${duration.attrs}>
          ${[30, 60, 90].map((n) => html`<option value=${String(n)}>${t('duration.minutes', { n })}</option>`)}
        </select>
        ${duration.message}
      </div>
      <div class="actions wide">
        <button type="submit" class="secondary" disabled=${f.busy || store.acting} data-testid="court-hearing-submit">${f.busy ? t('common.submitting') : t('court.hearing.submit')}</button>
      </div>
    </form>
  </details>`;
}

// ------------------------------------------------------------------ notes (court only)

/** A note's author: a name (as the server gives it), or `{name}`. */
function noteAuthor(n) {
  const a = n.author_name || n.author;
  return a && typeof a === 'object' ? a.name : a;
}

async function saveNote(ev) {
  ev.preventDefault();
  const n = store.note;
  const text = n.text.trim();
  n.errors = text ? noErrors() : { message: t('error.invalid_input'), fields: { text: t('error.field.required') } };
  n.busy = Boolean(text);
  draw();
  if (!text) return focusOn('court-note-text');
  try {
    const note = await api.addApplicationNote(appId, text);
    n.text = '';
    toast(t('court.notes.saved'));
    store.view.data = { ...store.view.data, notes: [...(store.view.data.notes || []), note] };
  } catch (err) {
    n.errors = { message: errorMessage(err), fields: fieldsOf(err, fieldMessage) };
  }
  n.busy = false;
  draw();
  focusOn('court-note-text');
}

function Notes({ a }) {
  const notes = [...(a.notes || [])].sort((x, y) => (y.created_at || '').localeCompare(x.created_at || ''));
  const n = store.note;
  const text = invalid(n.errors, 'text', 'court-note', 'court-note-hint');
  return html`<section id="notes" class="card court-private" aria-labelledby="notes-title" data-testid="court-notes-card">
    <h2 id="notes-title">${t('court.notes')} ${badge(t('court.only'), 'warn')}</h2>
    <p class="muted">${t('court.notes.intro')}</p>
    <div id="notes-body">
      ${notes.length
        ? html`<ul class="court-notes" data-testid="court-notes">
            ${notes.map(
              (x) => html`<li class="court-note" data-testid="court-note">
                <p class="court-note-head muted small">${[noteAuthor(x), x.created_at ? fmtShortDateTime(x.created_at, store.tz) : null].filter(Boolean).join(' · ')}</p>
                <p class="court-note-text">${x.text}</p>
              </li>`,
            )}
          </ul>`
        : empty(t('court.notes.none'))}
      <form class="court-note-form" novalidate aria-busy=${n.busy ? 'true' : undefined} onSubmit=${saveNote}>
        ${formMessage(n.errors)}
        <div class="field">
          <label for="court-note">${t('court.notes.new')}</label>
          <textarea id="court-note" name="text" rows="3" maxlength=${NOTE_MAX} data-testid="court-note-text" value=${n.text}
            onInput=${(ev) => (n.text = ev.currentTarget.value)} ...${text.attrs}></textarea>
          <p class="hint" id="court-note-hint">${t('court.notes.hint')}</p>
          ${text.message}
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled=${n.busy} data-testid="court-note-save">${n.busy ? t('common.submitting') : t('court.notes.save')}</button>
        </div>
      </form>
    </div>
  </section>`;
}

// ------------------------------------------------------------------ access log

// What was opened: the application, or the route the court read ("GET /cases/{case_id}/history").
/** @type {Record<string, string>} */
const LOG_WHAT = {
  application: 'application',
  'GET /cases/{case_id}': 'case',
  'GET /cases/{case_id}/history': 'history',
  'GET /cases/{case_id}/evidence': 'evidence',
  'POST /cases/{case_id}/evidence/bundle': 'bundle',
  'GET /cases/{case_id}/recordings': 'recordings',
  'GET /cases/{case_id}/agreement': 'agreement',
  'GET /cases/{case_id}/agreement/pdf': 'agreement_pdf',
  'GET /cases/{case_id}/documents': 'documents',
  'GET /documents/{document_id}': 'document',
  'GET /sessions/{session_id}/recordings': 'review',
  'GET /recordings/{recording_id}/participants/{participant_id}/video': 'recording',
  'POST /cases/{case_id}/keys/{key_id}/bind': 'key_bind',
  // Logged under their own kind, not as a read of a route.
  recording_viewed: 'recording_watched',
  evidence_exported: 'bundle_exported',
};

/** In words; a route or kind this page has no words for is "other" (never the route itself). */
function logWhat(what) {
  const code = what && LOG_WHAT[what];
  return code ? t(`court.log.kind.${code}`) : t('court.log.kind.other');
}

function AccessLog() {
  const body = store.log.view((data) => {
    const items = [...((data && data.items) || [])].sort((a, b) => (b.at || '').localeCompare(a.at || ''));
    if (!items.length) return empty(t('court.log.none'));
    const cols = items.some((e) => e.detail) ? ['at', 'who', 'what', 'detail'] : ['at', 'who', 'what'];
    const col = (c) => t(`court.log.${c}`);
    const detail = (d) => (typeof d === 'object' && d ? JSON.stringify(d) : d || '');
    return html`<table class="court-table court-log" data-testid="court-access-log">
      <caption class="sr-only">${t('court.log.title')}</caption>
      <thead><tr>${cols.map((c) => html`<th scope="col">${col(c)}</th>`)}</tr></thead>
      <tbody>
        ${items.map(
          (e) => html`<tr data-testid="court-log-row">
            ${cell(col('at'), e.at ? fmtShortDateTime(e.at, store.tz) : '')}${cell(col('who'), e.who || '')}${cell(col('what'), logWhat(e.what))}
            ${cols.includes('detail') ? cell(col('detail'), detail(e.detail)) : null}
          </tr>`,
        )}
      </tbody>
    </table>`;
  });
  return html`<${Section} id="log" title=${t('court.log.title')}><p class="muted">${t('court.log.intro')}</p><div id="log-body">${body}</div></${Section}>`;
}

// ------------------------------------------------------------------ the decision

/** Make a device key in this browser and register it on the account (as the mediator's panel does). */
async function registerDeviceKey() {
  await store.signer.register();
  focusOn('court-sign');
}

async function decide(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const v = store.view.data;
  const d = store.decision;
  /** @type {Record<string, string>} */
  const fields = {};
  if (!d.choice) fields.choice = t('court.decision.required');
  const grounds = [...d.grounds];
  const reasons = d.reasons.trim();
  if (d.choice === 'rejected' && !grounds.length) fields.grounds = t('court.grounds.required');
  // A ruling gives its reasons, whichever way it goes.
  if (d.choice && !reasons) fields.reasons = d.choice === 'rejected' ? t('court.reasons.required.rejected') : t('court.reasons.required');
  const bad = Object.keys(fields).length > 0;
  const key = store.signer.chosen();
  d.errors = { message: bad ? t('error.invalid_input') : key ? '' : t('court.key.required'), fields };
  draw();
  if (!key && !bad) return focusOn('court-key-register');
  if (bad) {
    const first = form.querySelector('[aria-invalid="true"]');
    return (first && first.tagName === 'FIELDSET' ? first.querySelector('input') : first)?.focus();
  }
  const groundNames = grounds.map((g) => rejectionGroundName(g, store.meta)).join('；');
  const ok = await confirmDialog({
    title: d.choice === 'confirmed' ? t('court.confirm.title.confirmed') : t('court.confirm.title.rejected'),
    message:
      d.choice === 'confirmed'
        ? t('court.confirm.text.confirmed', { number: v.case_number || '', org: v.organisation || '' })
        : t('court.confirm.text.rejected', { number: v.case_number || '', grounds: groundNames, reasons: reasons.replace(/[。．.！!？?\s]+$/u, '') }),
    confirmLabel: d.choice === 'confirmed' ? t('court.confirm.ok.confirmed') : t('court.confirm.ok.rejected'),
    danger: d.choice === 'rejected',
  });
  if (!ok.ok || !key) return;
  /** @type {Record<string, any>} */
  const body = { decision: d.choice, grounds: d.choice === 'rejected' ? grounds : [], reasons, key_id: key.key_id };
  if (d.clerk.trim()) body.clerk = d.clerk.trim();
  const done = await store.signer.sign({
    caseId: v.case_id,
    key,
    prepare: () => api.prepareDecision(appId, body),
    apiText: (err) => (reasonOf(err) === 'decided' ? t('court.decision.already') : errorMessage(err)),
  });
  if (done) toast(d.choice === 'confirmed' ? t('court.decided.confirmed') : t('court.decided.rejected'));
  await refreshApplication();
  /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="conf-decision"] h3') || document.querySelector('[data-testid="court-sign-message"]'))?.focus();
}

function decisionForm() {
  const d = store.decision;
  const signer = store.signer;
  const grounds = (store.meta && store.meta.rejection_grounds) || [];
  const choose = (value) => {
    d.choice = value;
    d.errors = noErrors();
    draw();
  };
  const choice = (value, label, hint) => html`<label class=${`court-choice ${value}`}>
    <input type="radio" name="decision" value=${value} checked=${d.choice === value} data-testid=${`court-decide-${value}`} onChange=${() => choose(value)} />
    <span><strong>${label}</strong><span class="hint">${hint}</span></span>
  </label>`;
  const toggle = (code) => (ev) => {
    if (ev.currentTarget.checked) d.grounds.add(code);
    else d.grounds.delete(code);
  };
  const choices = invalid(d.errors, 'choice', 'court-choices');
  const groundsError = invalid(d.errors, 'grounds', 'court-grounds', 'court-grounds-hint');
  const reasons = invalid(d.errors, 'reasons', 'court-reasons', 'court-reasons-hint');
  return html`<form class="court-decision-form" novalidate data-testid="court-decision-form" onSubmit=${decide}>
    ${formMessage(d.errors)}
    <fieldset class="court-choices" ...${choices.attrs}>
      <legend>${t('court.decision.choose')}</legend>
      ${choice('confirmed', t('court.decide.confirmed'), t('court.decide.confirmed.hint'))}
      ${choice('rejected', t('court.decide.rejected'), t('court.decide.rejected.hint'))}
      ${choices.message}
    </fieldset>
    ${d.choice === 'rejected'
      ? html`<fieldset class="court-grounds" id="court-grounds" data-testid="court-grounds" ...${groundsError.attrs}>
          <legend>${t('court.grounds')}</legend>
          <p class="hint" id="court-grounds-hint">${t('court.grounds.hint')}</p>
          ${grounds.map(
            (g) => html`<label class="court-ground" key=${g.code}>
              <input type="checkbox" name="grounds" value=${g.code} checked=${d.grounds.has(g.code)} data-testid="court-ground" onChange=${toggle(g.code)} />
              <span>${rejectionGroundName(g.code, store.meta)}</span>
            </label>`,
          )}
          ${groundsError.message}
        </fieldset>`
      : null}
    <div class="field">
      <label for="court-reasons">${t('court.reasons')}</label>
      <textarea id="court-reasons" name="reasons" rows="5" maxlength=${REASONS_MAX} required data-testid="court-reasons" value=${d.reasons}
        onInput=${(ev) => (d.reasons = ev.currentTarget.value)} ...${reasons.attrs}></textarea>
      <p class="hint" id="court-reasons-hint">${d.choice === 'rejected' ? t('court.reasons.hint.rejected') : t('court.reasons.hint')}</p>
      ${reasons.message}
    </div>
    <div class="field">
      <label for="court-clerk">${t('court.clerk')}<span class="optional">${` ${t('common.optional')}`}</span></label>
      <input id="court-clerk" name="clerk" maxlength="100" autocomplete="off" aria-describedby="court-clerk-hint" data-testid="court-clerk" value=${d.clerk}
        onInput=${(ev) => (d.clerk = ev.currentTarget.value)} />
      <p class="hint" id="court-clerk-hint">${t('court.clerk.hint')}</p>
    </div>
    <h3>${t('court.sign.title')}</h3>
    <p class="muted">${t('court.sign.intro')}</p>
    ${signer.keyChoices({ name: 'key', testid: 'court-key', none: html`<p data-testid="court-no-key">${t('court.key.none')}</p>`, tz: store.tz })}
    <${MessageLine} m=${signer.message} testid="court-sign-message" focusable=${true} />
    <div class="actions">
      <button type="submit" class="primary" disabled=${signer.busy} data-testid="court-sign">${signer.busy ? t('agr.sign.busy') : t('court.sign')}</button>
      <button type="button" class="secondary" disabled=${signer.busy} data-testid="court-key-register" onClick=${registerDeviceKey}>${t('agr.key.register')}</button>
    </div>
    <p class="hint">${t('agr.key.register.hint')}</p>
  </form>`;
}

function Decision({ a }) {
  const decidable = DECIDABLE.includes(a.status);
  const signer = store.signer;
  useEffect(() => {
    if (decidable && signer.keys === null) signer.load();
  }, [decidable]);
  let body;
  if (DECIDED.has(a.status)) body = fromDom(decisionBox(a, { tz: store.tz, meta: store.meta, url: rulingUrl(a, api.courtRulingUrl(appId)), routes: false }));
  else if (a.status === 'awaiting_cosign') body = empty(t('court.decision.not_yet'));
  else if (!decidable) body = html`<p class="notice" data-testid="court-accept-first">${t('court.decision.accept_first')}</p>`;
  else body = signer.keys === null ? loading() : decisionForm();
  return html`<${Section} id="decision" title=${t('court.decision')}><div id="decision-body">${body}</div></${Section}>`;
}

// ------------------------------------------------------------------ page

function Application() {
  const v = store.view;
  const back = html`<p><a href="/court" class="back" data-testid="court-back">‹ ${t('court.back')}</a></p>`;
  if (v.status === 'loading') return html`${back}${loading()}`;
  if (v.status === 'error') {
    const notFound = v.error && [403, 404].includes(v.error.status);
    return html`${back}${notFound ? html`<div class="card"><p>${t('court.app.not_found')}</p></div>` : loadError(v.error, openApplication)}`;
  }
  const a = v.data;
  document.title = `${t('court.app.title', { number: a.case_number || '' })} · ${t('app.name')}`;
  return html`${back}
    <h1 id="court-title">${t('court.app.title', { number: a.case_number || '' })} ${fromDom(statusBadge(a.status))}</h1>
    <div class="two-col"><${Summary} a=${a} /><${Handling} a=${a} /></div>
    <${Verification} a=${a} />
    <${Agreement} />
    <div class="two-col"><${Applicants} a=${a} /><${Identity} /></div>
    <div class="two-col"><${Materials} a=${a} /><${Recordings} /></div>
    <${History} />
    <${Notes} a=${a} />
    <${Decision} a=${a} />
    <${AccessLog} />`;
}

/** ui.js's skip link and staff header; on the court's pages the brand leads to the court's inbox. */
function frame() {
  const header = staffHeader(store.user);
  // (ui.js's homeFor knows /mediator and /admin only.)
  if (store.user.role === 'judge') header.querySelector('.brand')?.setAttribute('href', '/court');
  return [skipLink(), header];
}

async function main() {
  const me = await initStaffPage();
  store.user = me.user;
  store.tz = isValidTimeZone(me.user.timezone) ? me.user.timezone : browserTimeZone();
  store.filter = filterParam();
  store.hearing.date = addDays(todayIn(store.tz), 7);
  store.meta = await api.meta().catch(() => null);
  // The header is ui.js's (shared by the staff pages), drawn again on a change of language; Preact draws <main>.
  const main = h('main', { id: 'main', class: 'container court-main' });
  root = main;
  staffFrame(app, frame, main, draw);
  draw();
  if (!appId) {
    store.sent = new SentReferrals({ tz: store.tz, changed: draw }); // the cases the court referred (#21)
    store.sent.list.load();
  }
  await (appId ? openApplication() : store.list.load());
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
