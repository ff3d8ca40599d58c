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

import * as api from '../api.js';
import { t, tv, getLang, fmtDateTime, fmtShortDateTime } from '../i18n.js';
import '../agreement-i18n.js';
import '../confirmation-i18n.js';
import '../evidence-i18n.js';
import { isValidTimeZone, browserTimeZone, addDays, todayIn, localToIso } from '../time.js';
import { signerList, agreementText } from '../agreement.js';
import { DECIDED, groundName, rejectionGroundName, statusBadge, statusSteps, applicantList, decisionBox, rulingUrl } from '../confirmation.js';
import { reasonOf } from '../signing/message.js';
import { StaffSigner } from '../signing/staff-key.js';
import { fmtBytes } from '../casefiles.js';
import {
  h,
  replace,
  badge,
  emptyState,
  loadingState,
  errorState,
  errorMessage,
  fieldMessage,
  toast,
  confirmDialog,
  clearFormErrors,
  setFieldError,
  formMessage,
  whileSubmitting,
  rerenderOnLangChange,
  initStaffPage,
  staffHeader,
  skipLink,
  section,
} from '../ui.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML
const appId = decodeURIComponent((location.pathname.match(/^\/court\/applications\/([^/]+)/) || [])[1] || '');
// Applications a judge can decide: accepted first (server/domain/confirmation/decision.py DECIDABLE).
const DECIDABLE = ['accepted', 'under_review', 'hearing_scheduled'];
const FILTERS = ['all', 'open', 'received', 'accepted', 'under_review', 'hearing_scheduled', 'confirmed', 'rejected'];
const NOTE_MAX = 5000;
const REASONS_MAX = 5000;

const loading = () => ({ status: 'loading', data: null, error: null });

const state = {
  user: null,
  tz: 'Asia/Shanghai',
  meta: null,
  filter: 'all',
  list: loading(),
  view: loading(), // the application
  kase: loading(),
  agreement: loading(),
  history: loading(),
  evidence: loading(),
  recordings: loading(),
  log: loading(),
  judges: [], // the judges of the court (GET /court/judges), to assign to
  decision: { choice: null, grounds: new Set(), reasons: '', clerk: '' },
  // The judge's keys and signature (signing/staff-key.js).
  signer: new StaffSigner({ userId: () => state.user.id, onChange: () => renderDecision() }),
  handleMessage: null, // {kind, text}
};

const mine = (v) => Boolean(v && v.judge && state.user && v.judge.id === state.user.id);
const lang = () => getLang();

/** Fill `state[name]` from `fetch()`, then redraw with `draw`. */
async function loadInto(name, fetch, draw) {
  try {
    state[name] = { status: 'ready', data: await fetch(), error: null };
  } catch (err) {
    if (state[name].status !== 'ready') state[name] = { status: 'error', data: null, error: err };
  }
  if (draw) draw();
}

/** The loading / error / empty states of a part, else `build(data)`. */
function stateOf(part, build, retry) {
  if (part.status === 'loading') return loadingState();
  if (part.status === 'error') return errorState(part.error, retry);
  return build(part.data);
}

function fill(id, ...children) {
  const host = document.getElementById(id);
  if (host) replace(host, ...children);
}

// ------------------------------------------------------------------ the inbox

function filterParam() {
  const f = new URLSearchParams(location.search).get('status');
  return f && FILTERS.includes(f) ? f : 'all';
}

function partiesOf(a) {
  return (a.signers || []).map((s) => s.name).filter(Boolean).join('、');
}

function matches(a, filter) {
  if (filter === 'all') return true;
  if (filter === 'open') return !DECIDED.has(a.status);
  return a.status === filter;
}

/** A table cell with its column's name (shown before it on a phone, where rows become blocks). */
function cell(column, ...children) {
  return h('td', { dataset: { label: t(`court.col.${column}`) } }, h('span', { class: 'court-cell' }, children));
}

function renderInboxList() {
  fill(
    'inbox-body',
    stateOf(
      state.list,
      (data) => {
        const items = ((data && data.items) || []).filter((a) => matches(a, state.filter));
        const total = ((data && data.items) || []).length;
        if (!items.length) return emptyState(total ? t('court.inbox.none.filter') : t('court.inbox.none'));
        return [
          h('p', { class: 'muted', role: 'status', dataset: { testid: 'court-count' } }, t('court.inbox.count', { n: items.length })),
          h(
            'table',
            { class: 'court-table', dataset: { testid: 'court-inbox' } },
            h('caption', { class: 'sr-only' }, t('court.inbox.title')),
            h(
              'thead',
              null,
              h('tr', null, ['case', 'org', 'parties', 'status', 'submitted', 'judge'].map((c) => h('th', { scope: 'col' }, t(`court.col.${c}`)))),
            ),
            h(
              'tbody',
              null,
              items.map((a) =>
                h(
                  'tr',
                  { dataset: { testid: 'court-app-row', applicationId: a.id, status: a.status } },
                  cell('case', h('a', { href: `/court/applications/${encodeURIComponent(a.id)}`, class: 'court-app-link', dataset: { testid: 'court-app-link' } }, a.case_number || a.id)),
                  cell('org', a.organisation || ''),
                  cell('parties', partiesOf(a)),
                  cell('status', statusBadge(a.status)),
                  cell('submitted', a.submitted_at ? fmtShortDateTime(a.submitted_at, state.tz) : '—'),
                  cell('judge', a.judge ? [a.judge.name, mine(a) ? h('span', { class: 'muted' }, ` ${t('court.judge.me')}`) : null] : h('span', { class: 'muted' }, t('court.judge.none'))),
                ),
              ),
            ),
          ),
        ];
      },
      loadList,
    ),
  );
  if (state.list.status === 'error' && state.list.error.status === 403) fill('inbox-body', h('p', { class: 'notice', dataset: { testid: 'court-forbidden' } }, t('court.forbidden')));
}

async function loadList() {
  await loadInto('list', () => api.courtApplications(), renderInboxList);
}

function inboxView() {
  const select = h(
    'select',
    { id: 'court-filter', name: 'status', dataset: { testid: 'court-filter' } },
    FILTERS.map((f) => h('option', { value: f }, t(`court.filter.${f}`))),
  );
  select.value = state.filter;
  select.addEventListener('change', () => {
    state.filter = select.value;
    const url = new URL(location.href);
    if (state.filter === 'all') url.searchParams.delete('status');
    else url.searchParams.set('status', state.filter);
    history.replaceState(null, '', url);
    renderInboxList();
  });
  return [
    h('h1', null, t('court.inbox.title')),
    h('p', { class: 'muted' }, t('court.inbox.intro', { court: (state.user.organisation && state.user.organisation.name) || '' })),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'inbox-title' },
      h('h2', { id: 'inbox-title', class: 'sr-only' }, t('court.inbox.title')),
      h(
        'div',
        { class: 'court-toolbar' },
        h('div', { class: 'field' }, h('label', { for: 'court-filter' }, t('court.filter')), select),
        h('button', { type: 'button', class: 'secondary', onclick: () => loadList(), dataset: { testid: 'court-refresh' } }, t('evidence.refresh')),
      ),
      h('div', { id: 'inbox-body', 'aria-live': 'polite' }),
    ),
  ];
}

// ------------------------------------------------------------------ one application

function caseId() {
  return state.view.data && state.view.data.case_id;
}

/** A party's name: from the case, else from the application's signers (both parties sign it). */
function partyName(id) {
  const k = state.kase.data;
  const p = ((k && k.parties) || []).find((x) => x.id === id);
  if (p) return p.name;
  const s = ((state.view.data && state.view.data.signers) || []).find((x) => x.party_id === id);
  return s ? s.name : '';
}

async function loadApplication() {
  await loadInto('view', () => api.courtApplication(appId));
}

/** Everything about the case, then the access log (which then lists these reads too). */
async function loadCaseParts() {
  const id = caseId();
  if (!id) return;
  await Promise.all([
    loadInto('kase', () => api.getCase(id), () => {
      renderIdentity();
      renderHistory();
      renderRecordings();
    }),
    loadInto('agreement', () => api.getAgreement(id), renderAgreement),
    loadInto('history', () => api.caseHistory(id), () => {
      renderIdentity();
      renderHistory();
    }),
    loadInto('evidence', () => api.caseEvidence(id), renderHistory),
    loadInto('recordings', () => api.caseRecordings(id), renderRecordings),
    loadJudges(),
  ]);
  await loadLog();
}

async function loadJudges() {
  try {
    const data = await api.courtJudges();
    state.judges = (data && data.items) || [];
  } catch {
    state.judges = []; // "assign to me" still works
  }
  renderHandling();
}

async function loadLog() {
  await loadInto('log', () => api.applicationAccessLog(appId), renderLog);
}

/** After a change: the application again, and what shows it. */
async function refreshApplication() {
  await loadApplication();
  renderApplicationParts();
  loadLog();
}

function renderApplicationParts() {
  renderTitle();
  renderSummary();
  renderVerification();
  renderApplicants();
  renderMaterials();
  renderHandling();
  renderNotes();
  renderDecision();
}

function renderTitle() {
  const v = state.view.data;
  if (!v) return;
  document.title = `${t('court.app.title', { number: v.case_number || '' })} · ${t('app.name')}`;
  fill('court-title', t('court.app.title', { number: v.case_number || '' }), ' ', statusBadge(v.status));
}

function row(label, value, testid) {
  return value ? [h('dt', null, label), h('dd', { dataset: testid ? { testid } : undefined }, value)] : null;
}

function renderSummary() {
  const v = state.view.data;
  if (!v) return;
  fill(
    'summary-body',
    h(
      'dl',
      { class: 'details' },
      row(t('court.case_number'), v.case_number, 'court-case-number'),
      row(t('court.court_case_number'), v.court_case_number || t('court.court_case_number.none'), 'court-court-case-number'),
      row(t('court.col.org'), v.organisation, 'court-org'),
      row(t('conf.court'), v.court && v.court.name),
      row(t('conf.ground'), groundName(v.ground, state.meta), 'court-ground'),
      row(t('conf.submitted'), v.submitted_at ? fmtDateTime(v.submitted_at, state.tz) : null),
      row(t('conf.judge'), v.judge ? v.judge.name : t('court.judge.none'), 'court-judge'),
      row(t('conf.hearing'), v.hearing ? fmtDateTime(v.hearing.starts_at, state.tz) : null, 'court-hearing'),
    ),
    v.status !== 'awaiting_cosign' ? statusSteps(v, state.tz) : null,
  );
}

/**
 * The Chinese report with its identifiers set as code: a file in the bundle (manifest.json), a key
 * or the log's name, an option of `mediate verify`. They are what the judge compares or types, not
 * words to translate; a Chinese report has no Latin letters otherwise (server/evidence/verify/report.py).
 */
function withCode(text) {
  if (lang() === 'en') return text;
  const out = [];
  let last = 0;
  for (const m of String(text).matchAll(/(?:--)?[A-Za-z][A-Za-z0-9_.:/+=@-]*/g)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(h('code', null, m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function renderVerification() {
  const v = state.view.data;
  if (!v) return;
  const ver = v.verification;
  if (!ver) return fill('verify-body', emptyState(t('court.verify.none')));
  const report = lang() === 'en' ? ver.report_en || ver.report_zh : ver.report_zh || ver.report_en;
  // The report (server/evidence/verify/report.py render): the verdict and the bundle first, then numbered
  // sections separated by blank lines, each under its title. The verdict stays in view; the
  // sections fold (open when something is wrong).
  const [head, ...blocks] = String(report || '').trim().split(/\n\s*\n/);
  const [verdict, ...headRest] = (head || '').split('\n');
  fill(
    'verify-body',
    h(
      'div',
      { class: ['court-verify', ver.ok ? 'ok' : 'bad'], dataset: { testid: 'court-verification', ok: String(Boolean(ver.ok)) } },
      h('p', { class: 'court-verify-head' }, badge(ver.ok ? `✓ ${t('court.verify.ok')}` : `✕ ${t('court.verify.bad')}`, ver.ok ? 'ok' : 'bad'), ' ', h('strong', null, ver.ok ? t('court.verify.ok.text') : t('court.verify.bad.text'))),
      h(
        'div',
        { class: 'court-verify-report', dataset: { testid: 'court-verify-report' } },
        h('p', { class: 'court-verify-verdict' }, withCode(verdict || '')),
        headRest.length ? h('p', { class: 'muted small' }, withCode(headRest.join('\n'))) : null,
        blocks.map((block) => {
          const [title, ...body] = block.split('\n');
          return h(
            'details',
            { class: 'agr-preview court-verify-section', open: !ver.ok },
            h('summary', null, withCode(title)),
            h('div', { class: 'court-verify-body' }, withCode(body.join('\n'))),
          );
        }),
      ),
    ),
    h('p', { class: 'hint' }, t('court.verify.how')),
  );
}

function renderAgreement() {
  fill(
    'agreement-body',
    stateOf(
      state.agreement,
      (data) => {
        const v = data && data.agreement;
        if (!v) return emptyState(t('court.agreement.none'));
        const pdf = v.pdf || {};
        return [
          h('p', null, badge(tv('agr.status', v.status), v.status === 'effective' ? 'ok' : 'warn'), ' ', v.sealed_at ? t('agr.sealed.at', { time: fmtDateTime(v.sealed_at, state.tz) }) : null),
          v.verify_code ? h('p', null, t('agr.verify.code'), ' ', h('code', { class: 'agr-verify-code' }, v.verify_code)) : null,
          h('details', { class: 'agr-preview', open: true }, h('summary', null, t('agr.final.text')), agreementText(v, { testid: 'court-agreement-text' })),
          h(
            'div',
            { class: 'actions' },
            pdf.signed ? h('a', { class: 'button primary', href: pdf.signed, download: '', dataset: { testid: 'court-agr-pdf-signed' } }, t('agr.pdf.signed')) : null,
            pdf.agreement ? h('a', { class: 'button secondary', href: pdf.agreement, download: '', dataset: { testid: 'court-agr-pdf' } }, t('agr.pdf.agreement')) : null,
          ),
          v.pdf_sha256 ? h('p', { class: 'muted small agr-hash' }, t('agr.pdf.sha'), ' ', h('code', null, v.pdf_sha256)) : null,
          h('h3', null, t('court.agreement.signers')),
          signerList(v, state.tz),
        ];
      },
      () => loadInto('agreement', () => api.getAgreement(caseId()), renderAgreement),
    ),
  );
}

function renderApplicants() {
  const v = state.view.data;
  if (!v) return;
  fill('applicants-body', h('p', { class: 'muted' }, t('court.applicants.intro')), applicantList(v, state.tz));
}

function renderMaterials() {
  const v = state.view.data;
  if (!v) return;
  const items = v.materials || [];
  if (!items.length) return fill('materials-body', emptyState(t('court.materials.none')));
  fill(
    'materials-body',
    h(
      'ul',
      { class: 'file-list', dataset: { testid: 'court-materials' } },
      items.map((m) =>
        h(
          'li',
          { class: 'file-item', dataset: { testid: 'court-material', kind: m.kind || '' } },
          h(
            'p',
            { class: 'file-line' },
            m.url ? h('a', { href: m.url, target: '_blank', rel: 'noopener', class: 'file-name' }, m.name || m.kind) : h('span', { class: 'file-name' }, m.name || m.kind),
            m.kind ? [' ', badge(tv('files.kind', m.kind), m.kind === 'upload' ? '' : 'ok')] : null,
          ),
          h('p', { class: 'muted small file-meta' }, [m.bytes != null ? fmtBytes(m.bytes) : null].filter(Boolean).join(' · '), m.sha256 ? h('span', { class: 'hash' }, `SHA-256 ${m.sha256}`) : null),
        ),
      ),
    ),
  );
}

/** Each session with a recording, and the link to watch it (/review/<session id>). */
function renderRecordings() {
  fill(
    'recordings-body',
    stateOf(
      state.recordings,
      (data) => {
        const items = ((data && data.items) || []).filter((r) => r.status !== 'deleted');
        if (!items.length) return emptyState(t('court.recordings.none'));
        const sessions = new Map();
        for (const r of items) {
          if (!sessions.has(r.session_id)) sessions.set(r.session_id, []);
          sessions.get(r.session_id).push(r);
        }
        const known = ((state.kase.data && state.kase.data.sessions) || []).reduce((m, s) => m.set(s.id, s), new Map());
        return h(
          'ul',
          { class: 'court-list', dataset: { testid: 'court-recordings' } },
          [...sessions].map(([sid, recs]) => {
            const s = known.get(sid);
            const start = (s && s.starts_at) || recs[recs.length - 1].started_at;
            return h(
              'li',
              { class: 'court-list-item' },
              h('span', null, t('court.recordings.session', { time: start ? fmtDateTime(start, state.tz) : '', n: recs.length })),
              // ?application= brings the judge back here from the review page.
              h(
                'a',
                {
                  class: 'button secondary',
                  href: `/review/${encodeURIComponent(sid)}?application=${encodeURIComponent(appId)}`,
                  dataset: { testid: 'court-review-link' },
                },
                t('court.recordings.watch'),
              ),
            );
          }),
        );
      },
      () => loadInto('recordings', () => api.caseRecordings(caseId()), renderRecordings),
    ),
    h('p', { class: 'hint' }, t('court.logged')),
  );
}

/** The identity checks the mediator recorded (from the history), one line each. */
function renderIdentity() {
  fill(
    'identity-body',
    stateOf(
      state.history,
      (data) => {
        const checks = ((data && data.items) || []).filter((e) => e.kind === 'identity_checked');
        if (!checks.length) return emptyState(t('court.identity.none'));
        return h(
          'ul',
          { class: 'court-list', dataset: { testid: 'court-identity' } },
          checks.map((e) => {
            const d = e.data || {};
            const ok = d.result === 'confirmed';
            return h(
              'li',
              { class: 'court-list-item' },
              h('span', null, h('strong', null, partyName(d.party_id) || d.name || ''), ' ', badge(tv('idresult', d.result), ok ? 'ok' : 'bad')),
              h('span', { class: 'muted' }, [tv('idmethod', d.method), e.actor_name, fmtShortDateTime(e.at, state.tz)].filter(Boolean).join(' · ')),
            );
          }),
        );
      },
      () => loadInto('history', () => api.caseHistory(caseId()), renderIdentity),
    ),
  );
}

/** Who did it: their name, or "系统" for the platform itself. */
function actorName(e) {
  return e.actor_name && e.actor_name !== 'system' ? e.actor_name : tv('actor', e.actor_kind);
}

function renderHistory() {
  const historyList = stateOf(
    state.history,
    (data) => {
      const items = [...((data && data.items) || [])].sort((a, b) => (b.at || '').localeCompare(a.at || ''));
      if (!items.length) return emptyState(t('history.empty'));
      return h(
        'ol',
        { class: 'history', dataset: { testid: 'court-history' } },
        items.map((e) =>
          h(
            'li',
            null,
            h('time', { datetime: e.at }, fmtShortDateTime(e.at, state.tz)),
            h('span', { class: 'history-kind' }, tv('history', e.kind)),
            h('span', { class: 'muted' }, [actorName(e), e.data && e.data.party_id ? partyName(e.data.party_id) : null].filter(Boolean).join(' · ')),
          ),
        ),
      );
    },
    () => loadInto('history', () => api.caseHistory(caseId()), renderHistory),
  );
  const evidenceList = stateOf(
    state.evidence,
    (data) => {
      const items = [...((data && data.items) || [])].sort((a, b) => b.seq - a.seq);
      if (!items.length) return emptyState(t('evidence.empty'));
      return h(
        'ol',
        { class: 'evidence-list', dataset: { testid: 'court-evidence' } },
        items.map((r) =>
          h(
            'li',
            { class: 'evidence-item' },
            h('span', { class: 'evidence-seq' }, t('evidence.seq', { seq: r.seq })),
            h('span', { class: 'evidence-type' }, tv('evidence.type', r.type)),
            r.time ? h('time', { class: 'evidence-time', datetime: r.time }, fmtShortDateTime(r.time, state.tz)) : null,
            h('span', { class: 'evidence-actor muted' }, r.actor ? (r.actor.kind === 'party' ? partyName(r.actor.id) || tv('actor', 'party') : r.actor.role ? tv('role', r.actor.role) : tv('actor', r.actor.kind)) : ''),
            r.log_index != null ? badge(t('evidence.logged', { index: r.log_index }), 'ok') : h('span', { class: 'badge muted' }, t('evidence.pending')),
          ),
        ),
      );
    },
    () => loadInto('evidence', () => api.caseEvidence(caseId()), renderHistory),
  );
  fill(
    'history-body',
    h('details', { class: 'agr-preview court-more' }, h('summary', { dataset: { testid: 'court-history-open' } }, t('court.history.show')), historyList),
    h('details', { class: 'agr-preview court-more' }, h('summary', null, t('court.evidence.show')), evidenceList),
  );
}

// ------------------------------------------------------------------ handling: judge, status

function renderHandling() {
  const v = state.view.data;
  if (!v) return;
  const decided = DECIDED.has(v.status);
  const msg = state.handleMessage
    ? h('p', { class: ['key-message', `key-message-${state.handleMessage.kind}`], role: state.handleMessage.kind === 'error' ? 'alert' : 'status', dataset: { testid: 'court-handle-message' } }, state.handleMessage.text)
    : null;
  const button = (label, testid, onclick, { disabled = false, kind = 'secondary' } = {}) => h('button', { type: 'button', class: kind, disabled, onclick, dataset: { testid } }, label);
  // Another judge of the court (GET /court/judges), when there is more than one.
  const others = state.judges.filter((j) => !v.judge || j.id !== v.judge.id);
  let assign = null;
  if (!decided && state.judges.length > 1 && others.length) {
    const select = h(
      'select',
      { id: 'court-assign-judge', name: 'judge_id', dataset: { testid: 'court-assign-judge' } },
      others.map((j) => h('option', { value: j.id }, j.id === state.user.id ? `${j.name} ${t('court.judge.me')}` : j.name)),
    );
    assign = h(
      'form',
      { class: 'court-assign', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'court-assign-judge' }, t('court.assign.to')), select),
      h('button', { type: 'submit', class: 'secondary', dataset: { testid: 'court-assign' } }, t('court.assign')),
    );
    assign.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const judge = state.judges.find((j) => j.id === select.value);
      act(() => api.assignApplication(appId, select.value), t('court.assign.done.to', { name: judge ? judge.name : '' }));
    });
  }
  fill(
    'handling-body',
    h('p', null, t('court.judge.label'), h('strong', { dataset: { testid: 'court-judge-name' } }, v.judge ? v.judge.name : t('court.judge.none')), mine(v) ? h('span', { class: 'muted' }, ` ${t('court.judge.me')}`) : null),
    msg,
    assign,
    decided
      ? h('p', { class: 'muted' }, t('court.handle.decided'))
      : h(
          'div',
          { class: 'actions' },
          mine(v) ? null : button(t('court.assign.me'), 'court-assign-me', () => act(() => api.assignApplication(appId, state.user.id), t('court.assign.done'))),
          // Only the steps open from here (received → accepted → under review).
          v.status === 'received' ? button(t('court.accept'), 'court-accept', () => act(() => api.setApplicationStatus(appId, 'accepted'), t('court.accept.done')), { kind: 'primary' }) : null,
          ['received', 'accepted'].includes(v.status) ? button(t('court.review'), 'court-under-review', () => act(() => api.setApplicationStatus(appId, 'under_review'), t('court.review.done')), { kind: v.status === 'accepted' ? 'primary' : 'secondary' }) : null,
        ),
    decided ? null : h('p', { class: 'hint' }, t('court.handle.hint')),
    hearingBox(v),
  );
}

/** The video hearing: when it is and the way in for the judge (its host), or a form to schedule one. */
function hearingBox(v) {
  if (v.hearing) {
    return h(
      'div',
      { class: 'court-hearing', dataset: { testid: 'court-hearing-box' } },
      h('p', null, t('court.hearing.at', { time: fmtDateTime(v.hearing.starts_at, state.tz) })),
      DECIDED.has(v.status) ? null : h('a', { class: 'button secondary', href: `/live/${encodeURIComponent(v.hearing.session_id)}`, dataset: { testid: 'court-hearing-join' } }, t('court.hearing.join')),
    );
  }
  if (!['accepted', 'under_review'].includes(v.status)) return null;
  const form = h(
    'form',
    { class: 'grid-form court-hearing-form', novalidate: true, dataset: { testid: 'court-hearing-form' } },
    h('p', { class: 'wide muted' }, t('court.hearing.intro')),
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    h('div', { class: 'field' }, h('label', { for: 'court-hearing-date' }, t('court.hearing.date')), h('input', { id: 'court-hearing-date', name: 'date', type: 'date', required: true, min: todayIn(state.tz), value: addDays(todayIn(state.tz), 7) })),
    h('div', { class: 'field' }, h('label', { for: 'court-hearing-time' }, t('court.hearing.time')), h('input', { id: 'court-hearing-time', name: 'time', type: 'time', required: true, step: 300, value: '10:00' })),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'court-hearing-duration' }, t('court.hearing.duration')),
      h('select', { id: 'court-hearing-duration', name: 'duration_minutes' }, [30, 60, 90].map((n) => h('option', { value: String(n) }, t('duration.minutes', { n })))),
    ),
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'secondary', dataset: { testid: 'court-hearing-submit' } }, t('court.hearing.submit'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const f = form.elements;
    let bad = false;
    if (!f.date.value) bad = setFieldError(form, 'date', t('error.field.required')) || bad;
    if (!f.time.value) bad = setFieldError(form, 'time', t('error.field.required')) || bad;
    const startsAt = bad ? null : localToIso(f.date.value, f.time.value, state.tz);
    if (startsAt && Date.parse(startsAt) <= Date.now()) bad = setFieldError(form, 'date', t('court.hearing.past')) || bad;
    if (bad) {
      formMessage(form, t('error.invalid_input'));
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    const body = { starts_at: startsAt, duration_minutes: Number(f.duration_minutes.value), timezone: state.tz };
    await whileSubmitting(form, async () => {
      try {
        const view = await api.scheduleHearing(appId, body);
        state.view = { status: 'ready', data: { ...state.view.data, ...view }, error: null };
        state.handleMessage = { kind: 'info', text: t('court.hearing.done') };
        toast(t('court.hearing.done'));
        renderApplicationParts();
        loadLog();
        loadInto('recordings', () => api.caseRecordings(v.case_id), renderRecordings);
        /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="court-handle-message"]'))?.focus();
      } catch (err) {
        clearFormErrors(form);
        for (const x of err.fields || []) setFieldError(form, x.field === 'starts_at' ? 'date' : x.field, x.reason);
        formMessage(form, errorMessage(err));
      }
    });
  });
  return h('details', { class: 'agr-preview court-hearing-details' }, h('summary', { dataset: { testid: 'court-hearing-open' } }, t('court.hearing.title')), form);
}

/** A handling action (assign, status): the new view, a toast, the access log again. */
async function act(call, done) {
  const host = document.getElementById('handling-body');
  host?.querySelectorAll('button').forEach((b) => {
    b.disabled = true;
  });
  try {
    // The answer is the view (without the verification, which stays as it was): no need to read it again.
    const view = await call();
    if (view && view.id) state.view = { status: 'ready', data: { ...state.view.data, ...view }, error: null };
    state.handleMessage = { kind: 'info', text: done };
    toast(done);
    renderApplicationParts();
    loadLog();
  } catch (err) {
    state.handleMessage = { kind: 'error', text: reasonOf(err) === 'no_court_code' ? t('court.error.no_court_code') : errorMessage(err) };
    renderHandling();
  }
  /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="court-handle-message"]'))?.focus();
}

// ------------------------------------------------------------------ notes (court only)

/** A note's author: a name (as the server gives it), or `{name}`. */
function noteAuthor(n) {
  const a = n.author_name || n.author;
  return a && typeof a === 'object' ? a.name : a;
}

function renderNotes() {
  const v = state.view.data;
  if (!v) return;
  const notes = [...(v.notes || [])].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  const form = h(
    'form',
    { class: 'court-note-form', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'court-note' }, t('court.notes.new')),
      h('textarea', { id: 'court-note', name: 'text', rows: 3, maxlength: NOTE_MAX, 'aria-describedby': 'court-note-hint', dataset: { testid: 'court-note-text' } }),
      h('p', { class: 'hint', id: 'court-note-hint' }, t('court.notes.hint')),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', dataset: { testid: 'court-note-save' } }, t('court.notes.save'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const text = form.elements.text.value.trim();
    if (!text) {
      setFieldError(form, 'text', t('error.field.required'));
      formMessage(form, t('error.invalid_input'));
      form.elements.text.focus();
      return;
    }
    await whileSubmitting(form, async () => {
      try {
        const note = await api.addApplicationNote(appId, text);
        form.elements.text.value = '';
        toast(t('court.notes.saved'));
        state.view.data = { ...state.view.data, notes: [...(state.view.data.notes || []), note] };
        renderNotes();
        document.getElementById('court-note')?.focus();
      } catch (err) {
        clearFormErrors(form);
        for (const f of err.fields || []) setFieldError(form, f.field, fieldMessage(f));
        formMessage(form, errorMessage(err));
      }
    });
  });
  fill(
    'notes-body',
    notes.length
      ? h(
          'ul',
          { class: 'court-notes', dataset: { testid: 'court-notes' } },
          notes.map((n) =>
            h(
              'li',
              { class: 'court-note', dataset: { testid: 'court-note' } },
              h('p', { class: 'court-note-head muted small' }, [noteAuthor(n), n.created_at ? fmtShortDateTime(n.created_at, state.tz) : null].filter(Boolean).join(' · ')),
              h('p', { class: 'court-note-text' }, n.text),
            ),
          ),
        )
      : emptyState(t('court.notes.none')),
    form,
  );
}

// ------------------------------------------------------------------ access log

// What was opened: the application, or the route the court read ("GET /cases/{case_id}/history").
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

function logCell(column, ...children) {
  return h('td', { dataset: { label: t(`court.log.${column}`) } }, h('span', { class: 'court-cell' }, children));
}

/** In words; a route or kind this page has no words for is "other" (never the route itself). */
function logWhat(what) {
  if (!what) return t('court.log.kind.other');
  const code = LOG_WHAT[what];
  return code ? t(`court.log.kind.${code}`) : t('court.log.kind.other');
}

function renderLog() {
  fill(
    'log-body',
    stateOf(
      state.log,
      (data) => {
        const items = [...((data && data.items) || [])].sort((a, b) => (b.at || '').localeCompare(a.at || ''));
        if (!items.length) return emptyState(t('court.log.none'));
        const cols = items.some((e) => e.detail) ? ['at', 'who', 'what', 'detail'] : ['at', 'who', 'what'];
        return h(
          'table',
          { class: 'court-table court-log', dataset: { testid: 'court-access-log' } },
          h('caption', { class: 'sr-only' }, t('court.log.title')),
          h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, t(`court.log.${c}`))))),
          h(
            'tbody',
            null,
            items.map((e) =>
              h(
                'tr',
                { dataset: { testid: 'court-log-row' } },
                logCell('at', e.at ? fmtShortDateTime(e.at, state.tz) : ''),
                logCell('who', e.who || ''),
                logCell('what', logWhat(e.what)),
                cols.includes('detail') ? logCell('detail', typeof e.detail === 'object' && e.detail ? JSON.stringify(e.detail) : e.detail || '') : null,
              ),
            ),
          ),
        );
      },
      loadLog,
    ),
  );
}

// ------------------------------------------------------------------ the decision

function renderDecision() {
  const v = state.view.data;
  if (!v) return;
  if (DECIDED.has(v.status)) {
    fill('decision-body', decisionBox(v, { tz: state.tz, meta: state.meta, url: rulingUrl(v, api.courtRulingUrl(appId)), routes: false }));
    return;
  }
  if (v.status === 'awaiting_cosign') return fill('decision-body', emptyState(t('court.decision.not_yet')));
  if (!DECIDABLE.includes(v.status)) return fill('decision-body', h('p', { class: 'notice', dataset: { testid: 'court-accept-first' } }, t('court.decision.accept_first')));
  const signer = state.signer;
  if (signer.keys === null) {
    fill('decision-body', loadingState());
    signer.load();
    return;
  }
  const d = state.decision;
  const grounds = (state.meta && state.meta.rejection_grounds) || [];
  const choice = (value, label, hint) =>
    h(
      'label',
      { class: ['court-choice', value] },
      h('input', {
        type: 'radio',
        name: 'decision',
        value,
        checked: d.choice === value,
        dataset: { testid: `court-decide-${value}` },
        onchange: () => {
          d.choice = value;
          renderDecision();
          /** @type {HTMLElement | null} */ (document.querySelector(`[data-testid="court-decide-${value}"]`))?.focus();
        },
      }),
      h('span', null, h('strong', null, label), h('span', { class: 'hint' }, hint)),
    );
  const reasons = h('textarea', {
    id: 'court-reasons',
    name: 'reasons',
    rows: 5,
    maxlength: REASONS_MAX,
    required: true,
    'aria-describedby': 'court-reasons-hint',
    dataset: { testid: 'court-reasons' },
  });
  reasons.value = d.reasons;
  reasons.addEventListener('input', () => {
    d.reasons = reasons.value;
  });
  const clerk = h('input', { id: 'court-clerk', name: 'clerk', maxlength: 100, autocomplete: 'off', 'aria-describedby': 'court-clerk-hint', dataset: { testid: 'court-clerk' } });
  clerk.value = d.clerk || '';
  clerk.addEventListener('input', () => {
    d.clerk = clerk.value;
  });
  const form = h(
    'form',
    { class: 'court-decision-form', novalidate: true, dataset: { testid: 'court-decision-form' } },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    h(
      'fieldset',
      { class: 'court-choices' },
      h('legend', null, t('court.decision.choose')),
      choice('confirmed', t('court.decide.confirmed'), t('court.decide.confirmed.hint')),
      choice('rejected', t('court.decide.rejected'), t('court.decide.rejected.hint')),
    ),
    d.choice === 'rejected'
      ? h(
          'fieldset',
          { class: 'court-grounds', id: 'court-grounds', 'aria-describedby': 'court-grounds-hint', dataset: { testid: 'court-grounds' } },
          h('legend', null, t('court.grounds')),
          h('p', { class: 'hint', id: 'court-grounds-hint' }, t('court.grounds.hint')),
          grounds.map((g) =>
            h(
              'label',
              { class: 'court-ground' },
              h('input', {
                type: 'checkbox',
                name: 'grounds',
                value: g.code,
                checked: d.grounds.has(g.code),
                dataset: { testid: 'court-ground' },
                onchange: (ev) => {
                  if (ev.target.checked) d.grounds.add(g.code);
                  else d.grounds.delete(g.code);
                },
              }),
              h('span', null, rejectionGroundName(g.code, state.meta)),
            ),
          ),
        )
      : null,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'court-reasons' }, t('court.reasons')),
      reasons,
      h('p', { class: 'hint', id: 'court-reasons-hint' }, d.choice === 'rejected' ? t('court.reasons.hint.rejected') : t('court.reasons.hint')),
    ),
    h('div', { class: 'field' }, h('label', { for: 'court-clerk' }, t('court.clerk'), h('span', { class: 'optional' }, ` ${t('common.optional')}`)), clerk, h('p', { class: 'hint', id: 'court-clerk-hint' }, t('court.clerk.hint'))),
    h('h3', null, t('court.sign.title')),
    h('p', { class: 'muted' }, t('court.sign.intro')),
    signer.choices({ name: 'key', testid: 'court-key', none: h('p', { dataset: { testid: 'court-no-key' } }, t('court.key.none')), tz: state.tz }),
    signer.messageLine({ testid: 'court-sign-message', focusable: true }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', disabled: signer.busy, dataset: { testid: 'court-sign' } }, signer.busy ? t('agr.sign.busy') : t('court.sign')),
      h('button', { type: 'button', class: 'secondary', disabled: signer.busy, onclick: () => registerDeviceKey(), dataset: { testid: 'court-key-register' } }, t('agr.key.register')),
    ),
    h('p', { class: 'hint' }, t('agr.key.register.hint')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    decide(form);
  });
  fill('decision-body', form);
}

/** Make a device key in this browser and register it on the account (as the mediator's panel does). */
async function registerDeviceKey() {
  await state.signer.register();
  /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="court-sign"]'))?.focus();
}
async function decide(form) {
  const v = state.view.data;
  const d = state.decision;
  clearFormErrors(form);
  let bad = false;
  /** A group of choices left empty: the message under its legend, the group marked invalid. */
  const groupError = (fs, text) => {
    const id = `${fs.className.split(' ')[0]}-err`;
    fs.setAttribute('aria-invalid', 'true');
    fs.setAttribute('aria-describedby', [fs.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
    fs.append(h('p', { class: 'field-error', id }, text));
    return true;
  };
  if (!d.choice) bad = groupError(form.querySelector('.court-choices'), t('court.decision.required'));
  const grounds = [...d.grounds];
  const reasons = d.reasons.trim();
  if (d.choice === 'rejected') {
    if (!grounds.length) bad = groupError(form.querySelector('#court-grounds'), t('court.grounds.required'));
  }
  // A ruling gives its reasons, whichever way it goes.
  if (d.choice && !reasons) bad = setFieldError(form, 'reasons', d.choice === 'rejected' ? t('court.reasons.required.rejected') : t('court.reasons.required')) || bad;
  const key = state.signer.chosen();
  if (!bad && !key) {
    formMessage(form, t('court.key.required'));
    form.querySelector('[data-testid="court-key-register"]')?.focus();
    return;
  }
  if (bad) {
    formMessage(form, t('error.invalid_input'));
    const first = form.querySelector('[aria-invalid="true"]');
    (first && first.tagName === 'FIELDSET' ? first.querySelector('input') : first)?.focus();
    return;
  }
  const groundNames = grounds.map((g) => rejectionGroundName(g, state.meta)).join('；');
  const ok = await confirmDialog({
    title: d.choice === 'confirmed' ? t('court.confirm.title.confirmed') : t('court.confirm.title.rejected'),
    message:
      d.choice === 'confirmed'
        ? t('court.confirm.text.confirmed', { number: v.case_number || '', org: v.organisation || '' })
        : t('court.confirm.text.rejected', { number: v.case_number || '', grounds: groundNames, reasons: reasons.replace(/[。．.！!？?\s]+$/u, '') }),
    confirmLabel: d.choice === 'confirmed' ? t('court.confirm.ok.confirmed') : t('court.confirm.ok.rejected'),
    danger: d.choice === 'rejected',
  });
  if (!ok.ok) return;
  const body = { decision: d.choice, grounds: d.choice === 'rejected' ? grounds : [], reasons, key_id: key.key_id };
  if ((d.clerk || '').trim()) body.clerk = d.clerk.trim();
  const done = await state.signer.sign({
    caseId: v.case_id,
    key,
    prepare: () => api.prepareDecision(appId, body),
    apiText: (err) => (reasonOf(err) === 'decided' ? t('court.decision.already') : errorMessage(err)),
  });
  if (done) toast(d.choice === 'confirmed' ? t('court.decided.confirmed') : t('court.decided.rejected'));
  await refreshApplication();
  /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="conf-decision"] h3') || document.querySelector('[data-testid="court-sign-message"]'))?.focus();
}

// ------------------------------------------------------------------ page

function applicationView() {
  const v = state.view;
  const back = h('p', null, h('a', { href: '/court', class: 'back', dataset: { testid: 'court-back' } }, `‹ ${t('court.back')}`));
  if (v.status === 'loading') return [back, loadingState()];
  if (v.status === 'error') {
    const notFound = v.error && [403, 404].includes(v.error.status);
    return [back, notFound ? h('div', { class: 'card' }, h('p', null, t('court.app.not_found'))) : errorState(v.error, () => main())];
  }
  const courtOnly = badge(t('court.only'), 'warn');
  return [
    back,
    h('h1', { id: 'court-title' }),
    h(
      'div',
      { class: 'two-col' },
      section('summary', t('court.summary'), h('div', { id: 'summary-body' })),
      section('handling', t('court.handling'), h('div', { id: 'handling-body', 'aria-live': 'polite' })),
    ),
    section('verify', t('court.verify.title'), h('div', { id: 'verify-body' })),
    section('agreement', t('agr.title'), h('div', { id: 'agreement-body' })),
    h(
      'div',
      { class: 'two-col' },
      section('applicants', t('court.applicants'), h('div', { id: 'applicants-body' })),
      section('identity', t('court.identity'), h('div', { id: 'identity-body' })),
    ),
    h(
      'div',
      { class: 'two-col' },
      section('materials', t('court.materials'), h('div', { id: 'materials-body' })),
      section('recordings', t('court.recordings'), h('div', { id: 'recordings-body' })),
    ),
    section('history', t('court.history'), h('div', { id: 'history-body' })),
    h(
      'section',
      { id: 'notes', class: 'card court-private', 'aria-labelledby': 'notes-title', dataset: { testid: 'court-notes-card' } },
      h('h2', { id: 'notes-title' }, t('court.notes'), ' ', courtOnly),
      h('p', { class: 'muted' }, t('court.notes.intro')),
      h('div', { id: 'notes-body' }),
    ),
    section('decision', t('court.decision'), h('div', { id: 'decision-body' })),
    section('log', t('court.log.title'), h('p', { class: 'muted' }, t('court.log.intro')), h('div', { id: 'log-body' })),
  ];
}

function render() {
  if (!appId) document.title = `${t('court.inbox.title')} · ${t('app.name')}`;
  const header = staffHeader(state.user);
  // On the court's pages the brand leads to the court's inbox (ui.js's homeFor knows /mediator and /admin only).
  if (state.user.role === 'judge') header.querySelector('.brand')?.setAttribute('href', '/court');
  replace(app, skipLink(), header, h('main', { id: 'main', class: 'container court-main' }, appId ? applicationView() : inboxView()));
  if (appId) {
    if (state.view.status !== 'ready') return;
    renderApplicationParts();
    renderAgreement();
    renderIdentity();
    renderHistory();
    renderRecordings();
    renderLog();
  } else renderInboxList();
}

async function main() {
  const me = await initStaffPage();
  state.user = me.user;
  state.tz = isValidTimeZone(me.user.timezone) ? me.user.timezone : browserTimeZone();
  state.filter = filterParam();
  state.meta = await api.meta().catch(() => null);
  if (appId) {
    state.view = loading();
    render();
    await loadApplication();
    render();
    if (state.view.status === 'ready') await loadCaseParts();
  } else {
    render();
    await loadList();
  }
}

rerenderOnLangChange(app, () => {
  if (state.user) render();
});
main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
