// @ts-check
// /cases/<id>: one case — details, parties, booking and managing sessions and party links,
// the notification outbox and the case history.

import * as api from '../api.js';
import {
  dictionaries,
  t,
  tv,
  fmtDateTime,
  fmtShortDateTime,
  fmtTime,
  fmtAmount,
  getLang,
  tzName,
  tzOptionLabel,
} from '../i18n.js';
import '../case-i18n.js';
import '../evidence-i18n.js';
import { addDays, dateIn, timeIn, todayIn, localToIso, isValidTimeZone, browserTimeZone, weekdayOf } from '../time.js';
import {
  h,
  replace,
  field,
  optionsFrom,
  errorMessage,
  showFormErrors,
  clearFormErrors,
  setFieldError,
  formMessage,
  whileSubmitting,
  toast,
  copyButton,
  confirmDialog,
  rerenderOnLangChange,
  initStaffPage,
  staffHeader,
  skipLink,
  section,
  badge,
  emptyState,
  loadingState,
  errorState,
} from '../ui.js';
import '../live-i18n.js';
import { AgreementPanel } from '../agreement.js';
import { ConfirmationPanel } from '../confirmation.js';
import { CaseFiles } from '../casefiles.js';
import { particularsFields, readParticulars, particularsLine, missingNotice, particularsEditor, showParticularsErrors } from '../particulars.js';
import { IdentityPanel } from '../idcheck.js';

// The link to watch a recorded session (/review/<session id>) and its line in the history.

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML
const DURATIONS = [30, 60, 90, 120];

const caseId = decodeURIComponent((location.pathname.match(/^\/cases\/([^/]+)/) || [])[1] || '');

/**
 * What the API answered (its JSON as it came), how each list is loading, and what the page remembers.
 * @typedef {{status: string, items: any[], error: any}} Loaded
 * @type {{
 *   user: any, tz: string, meta: any, kase: any, loadError: any, mediators: any[], outbox: Loaded, history: Loaded,
 *   evidence: Loaded, exported: {filename: string, manifestHash: string} | null, csrf: string | null, booked: any,
 *   issued: Map<string, any>, rescheduling: Set<string>, recorded: Set<string>,
 * }}
 */
const state = {
  user: null,
  tz: 'Asia/Shanghai',
  meta: null,
  kase: null,
  loadError: null,
  mediators: [],
  outbox: { status: 'loading', items: [], error: null },
  history: { status: 'loading', items: [], error: null },
  evidence: { status: 'loading', items: [], error: null },
  exported: null, // {filename, manifestHash} of the last export
  csrf: null,
  booked: null, // {session, links} right after booking
  issued: new Map(), // `${sessionId}:${partyId}` → link answer of a re-issue
  rescheduling: new Set(), // session ids whose reschedule form is open
  recorded: new Set(), // session ids with a recording to watch
};

const linkKey = (sid, pid) => `${sid}:${pid}`;

// The agreement panel and the case files (agreement.js, casefiles.js) keep their own elements.
/** @type {any} */
let agreementPanel = null;
/** @type {CaseFiles | null} */
let caseFiles = null;
/** @type {ConfirmationPanel | null} */
let confirmationPanel = null; // judicial confirmation (confirmation.js), shown once the agreement is in effect
/** @type {IdentityPanel | null} */
let identityPanel = null; // who cannot receive codes, who is checked and bound (idcheck.js, #18)

// ------------------------------------------------------------------ loading

async function loadCase() {
  try {
    state.kase = await api.getCase(caseId);
    state.loadError = null;
  } catch (err) {
    state.loadError = err;
  }
}

async function loadOutbox() {
  try {
    const data = await api.caseOutbox(caseId);
    state.outbox = { status: 'ready', items: data.items || [], error: null };
  } catch (err) {
    state.outbox = { status: 'error', items: [], error: err };
  }
  renderOutbox();
}

async function loadHistory() {
  try {
    const data = await api.caseHistory(caseId);
    state.history = { status: 'ready', items: data.items || [], error: null };
  } catch (err) {
    state.history = { status: 'error', items: [], error: err };
  }
  renderHistory();
}

async function loadRecordings() {
  try {
    const data = await api.request('GET', `/cases/${encodeURIComponent(caseId)}/recordings`);
    state.recorded = new Set((data.items || []).filter((r) => r.status !== 'deleted').map((r) => r.session_id));
  } catch {
    state.recorded = new Set(); // no link then; the rest of the page works
  }
  renderSessions();
}

/** Submitted for judicial confirmation: the server refuses every change, so the page offers none. */
function beforeCourt() {
  return Boolean(state.kase && state.kase.before_court);
}

function beforeCourtNote() {
  return h('p', { class: 'notice', role: 'status', dataset: { testid: 'case-before-court' } }, t('case.before_court'));
}

/** After a change: fetch the case again and refresh what depends on it. */
async function refresh() {
  const wasBeforeCourt = beforeCourt();
  await loadCase();
  if (beforeCourt() !== wasBeforeCourt) {
    render(); // the forms go (the application was submitted meanwhile)
    loadOutbox();
    loadHistory();
    loadEvidence();
    /** @type {CaseFiles} */ (caseFiles).load(); // made at start, with the case
    return;
  }
  renderDetails();
  renderParties();
  renderSessions();
  loadOutbox();
  loadHistory();
  loadEvidence();
}

// ------------------------------------------------------------------ helpers

function timezoneOptions(selected) {
  const zones = [...((state.meta && state.meta.timezones) || [])];
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
  const p = ((state.kase && state.kase.parties) || []).find((x) => x.id === id);
  return p ? p.name : '';
}

/** Next working day at least one day ahead, in `tz`: a sensible default for booking. */
function defaultBookingDate(tz) {
  let d = addDays(todayIn(tz), 1);
  while (weekdayOf(d) >= 5) d = addDays(d, 1);
  return d;
}

/** Field names in API errors → names of our controls. */
function mapSessionFields(err) {
  const map = { starts_at: 'time', duration_minutes: 'duration_minutes', timezone: 'timezone', mediator_id: 'mediator_id' };
  return {
    ...err,
    status: err.status,
    code: err.code,
    message: err.message,
    fields: (err.fields || []).map((f) => ({ ...f, field: map[String(f.field).split('.').pop()] || f.field })),
  };
}

function conflictMessage(err) {
  const c = err.details && err.details.conflict;
  if (!c) return t('book.conflict_generic');
  return t('book.conflict', {
    case: c.case_number || '?',
    start: c.starts_at ? fmtDateTime(c.starts_at, state.tz) : '?',
    end: c.ends_at ? fmtTime(c.ends_at, state.tz) : '?',
  });
}

/** Show a booking/rescheduling error on its form. */
function showSessionError(form, err) {
  if (err.status === 409 && err.code === 'conflict') {
    showFormErrors(form, { fields: [] }, conflictMessage(err));
    form.querySelector('.form-message').dataset.testid = 'booking-conflict';
    return;
  }
  if (err.fields && err.fields.length) {
    showFormErrors(form, mapSessionFields(err), errorMessage(err));
    return;
  }
  showFormErrors(form, err);
}

/** Date, time, duration and zone controls shared by the booking and rescheduling forms. */
function whenFields(prefix, { date, time, duration, tz }) {
  return [
    field({ label: t('book.date'), name: 'date', type: 'date', required: true, idPrefix: prefix, value: date, attrs: { min: todayIn(tz) } }),
    field({ label: t('book.time'), name: 'time', type: 'time', required: true, idPrefix: prefix, value: time, attrs: { step: 300 } }),
    field({ label: t('book.duration'), name: 'duration_minutes', kind: 'select', idPrefix: prefix, options: durationOptions(duration), value: String(duration) }),
    field({ label: t('book.timezone'), name: 'timezone', kind: 'select', idPrefix: prefix, options: timezoneOptions(tz), value: tz, className: 'tz-field' }),
  ];
}

/** Read and check the when-fields; returns {starts_at, duration_minutes, timezone} or null. */
function readWhen(form) {
  const f = form.elements;
  let bad = false;
  if (!f.date.value) bad = setFieldError(form, 'date', t('error.field.required')) || bad;
  if (!f.time.value) bad = setFieldError(form, 'time', t('error.field.required')) || bad;
  if (bad) {
    formMessage(form, t('error.invalid_input'));
    form.querySelector('[aria-invalid="true"]').focus();
    return null;
  }
  const tz = f.timezone.value;
  return { starts_at: localToIso(f.date.value, f.time.value, tz), duration_minutes: Number(f.duration_minutes.value), timezone: tz };
}

// ------------------------------------------------------------------ details

function renderDetails() {
  const host = document.getElementById('details-body');
  const title = document.getElementById('case-title');
  const k = state.kase;
  if (!host || !k) return;
  if (title) replace(title, t('case.title', { number: k.case_number }), ' ', badge(tv('status', k.status), `status-${k.status}`));
  document.title = `${t('case.title', { number: k.case_number })} · ${t('app.name')}`;
  const row = (label, value, testid) => (value ? [h('dt', null, label), h('dd', { dataset: testid ? { testid } : undefined }, value)] : null);
  replace(
    host,
    h(
      'dl',
      { class: 'details' },
      row(t('case.number'), k.case_number, 'case-number'),
      row(t('case.type'), tv('dispute', k.dispute_type)),
      row(t('case.status'), tv('status', k.status)),
      row(t('case.amount'), k.amount_in_dispute ? fmtAmount(k.amount_in_dispute) : null),
      row(t('case.mediator'), k.mediator && k.mediator.display_name),
      row(t('case.organisation'), k.organisation && k.organisation.name),
      row(t('case.created'), k.created_at ? fmtDateTime(k.created_at, state.tz) : null),
      row(t('case.summary'), k.summary),
    ),
  );
}

// ------------------------------------------------------------------ parties

function renderParties() {
  const host = document.getElementById('parties-body');
  const k = state.kase;
  if (!host || !k) return;
  const parties = k.parties || [];
  replace(
    host,
    parties.length
      ? h(
          'ul',
          { class: 'party-list', dataset: { testid: 'party-list' } },
          parties.map((p) =>
            h(
              'li',
              { class: 'party-item' },
              h('p', { class: 'party-line' }, h('strong', null, p.name), ' ', badge(tv('partyrole', p.role), `role-${p.role}`)),
              h(
                'p',
                { class: 'muted' },
                [
                  p.phone,
                  p.email,
                  p.id_number_masked ? `${t('party.id_number')} ${p.id_number_masked}` : null,
                  p.represents_party_id ? t('party.represents.value', { name: partyName(p.represents_party_id) }) : null,
                ]
                  .filter(Boolean)
                  .join(' · '),
              ),
              particularsLine(p) ? h('p', { class: 'muted', dataset: { testid: 'party-particulars-line' } }, particularsLine(p)) : null,
              missingNotice(p),
              beforeCourt() ? null : particularsEditor(caseId, p, refresh),
            ),
          ),
        )
      : emptyState(t('parties.empty')),
  );
  // Keep the "represents" choices in step with the list.
  const sel = /** @type {HTMLSelectElement | null} */ (document.getElementById('ap-represents_party_id'));
  if (sel) {
    const keep = sel.value;
    replace(sel, h('option', { value: '' }, t('party.represents.none')), parties.map((p) => h('option', { value: p.id }, t('paren', { a: p.name, b: tv('partyrole', p.role) }))));
    sel.value = keep;
  }
  const icSel = /** @type {HTMLSelectElement | null} */ (document.getElementById('ic-party_id'));
  if (icSel) {
    const keep = icSel.value;
    replace(icSel, h('option', { value: '' }, t('common.select')), parties.map((p) => h('option', { value: p.id }, t('paren', { a: p.name, b: tv('partyrole', p.role) }))));
    icSel.value = keep;
  }
  const hint = document.getElementById('book-no-parties');
  if (hint) hint.hidden = parties.length > 0;
  // A party added: the identity panel lists them too.
  const ids = parties.map((p) => p.id).join(' ');
  if (identityPanel && identityPanel.partyIds !== undefined && identityPanel.partyIds !== ids) identityPanel.load();
  if (identityPanel) identityPanel.partyIds = ids;
}

function addPartyForm() {
  const roles = (state.meta && state.meta.party_roles) || ['applicant', 'respondent', 'agent', 'interpreter'];
  const form = h(
    'form',
    { id: 'add-party-form', class: 'grid-form', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    field({ label: t('party.role'), name: 'role', kind: 'select', required: true, idPrefix: 'ap', placeholder: t('common.select'), options: optionsFrom(roles, 'partyrole') }),
    field({ label: t('party.name'), name: 'name', required: true, idPrefix: 'ap', attrs: { maxlength: 100, autocomplete: 'off' } }),
    field({ label: t('party.phone'), name: 'phone', type: 'tel', required: true, idPrefix: 'ap', attrs: { maxlength: 32, inputmode: 'tel', autocomplete: 'off' } }),
    field({ label: t('party.email'), name: 'email', type: 'email', optional: true, idPrefix: 'ap', attrs: { maxlength: 254, autocomplete: 'off' } }),
    field({ label: t('party.id_number'), name: 'id_number', optional: true, idPrefix: 'ap', hint: t('party.id_number.hint'), attrs: { maxlength: 32, autocomplete: 'off', spellcheck: 'false' } }),
    field({
      label: t('party.represents'),
      name: 'represents_party_id',
      kind: 'select',
      optional: true,
      idPrefix: 'ap',
      options: [{ value: '', label: t('party.represents.none') }, ...((state.kase && state.kase.parties) || []).map((p) => ({ value: p.id, label: t('paren', { a: p.name, b: tv('partyrole', p.role) }) }))],
    }),
    h('details', { class: 'wide party-particulars' }, h('summary', null, t('party.particulars.title')), h('p', { class: 'hint' }, t('party.particulars.hint')), h('div', { class: 'grid-form' }, particularsFields('ap'))),
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'primary' }, t('party.add.submit'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const f = form.elements;
    const body = { role: f.role.value, name: f.name.value.trim(), phone: f.phone.value.trim() };
    let bad = false;
    for (const k of ['role', 'name', 'phone']) if (!body[k]) bad = setFieldError(form, k, t('error.field.required')) || bad;
    if (bad) {
      formMessage(form, t('error.invalid_input'));
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    const email = f.email.value.trim();
    const idNumber = f.id_number.value.trim();
    if (email) body.email = email;
    if (idNumber) body.id_number = idNumber;
    if (f.represents_party_id.value) body.represents_party_id = f.represents_party_id.value;
    Object.assign(body, readParticulars(form));
    await whileSubmitting(form, async () => {
      try {
        const party = await api.addParty(caseId, body);
        form.reset();
        toast(t('party.added', { name: party.name }));
        await refresh();
        f.role.focus();
      } catch (err) {
        showParticularsErrors(form, err);
      }
    });
  });
  return form;
}

// ------------------------------------------------------------------ sessions

function bookingForm() {
  const k = state.kase;
  const tz = state.tz;
  const mediators = state.mediators || [];
  const form = h(
    'form',
    { id: 'book-form', class: 'grid-form', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    h('p', { id: 'book-no-parties', class: 'notice info wide', hidden: ((k && k.parties) || []).length > 0 }, t('book.no_parties')),
    whenFields('bk', { date: defaultBookingDate(tz), time: '10:00', duration: 60, tz }),
    mediators.length > 1
      ? field({
          label: t('book.mediator'),
          name: 'mediator_id',
          kind: 'select',
          idPrefix: 'bk',
          options: mediators.map((m) => ({ value: m.id, label: m.display_name })),
          value: (k && k.mediator && k.mediator.id) || state.user.id,
        })
      : null,
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'primary' }, t('book.submit'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const when = readWhen(form);
    if (!when) return;
    /** @type {Record<string, any>} */
    const body = { ...when };
    const m = form.elements.mediator_id;
    if (m && m.value) body.mediator_id = m.value;
    await whileSubmitting(form, async () => {
      try {
        state.booked = await api.bookSession(caseId, body);
        await refresh();
        const panel = document.getElementById('booked-panel');
        if (panel) {
          panel.scrollIntoView({ block: 'nearest' });
          panel.querySelector('h3')?.focus();
        }
      } catch (err) {
        showSessionError(form, err);
      }
    });
  });
  return form;
}

/** A party link with its Copy button (data-testid party-link / copy-link). */
function linkBox(link) {
  const name = link.party_name || partyName(link.party_id);
  const code = h('code', { class: 'link-text', dataset: { testid: 'party-link' }, tabindex: '0' }, link.url);
  return h(
    'div',
    { class: 'link-box' },
    h('p', { class: 'link-label' }, t('link.label', { name, role: tv('partyrole', link.role) })),
    h(
      'div',
      { class: 'link-row' },
      code,
      copyButton({ sourceEl: code, getText: () => link.url, testid: 'copy-link', ariaLabel: t('link.copy_label', { name }), className: 'primary' }),
    ),
  );
}

function bookedPanel() {
  const b = state.booked;
  if (!b) return null;
  const links = b.links || [];
  return h(
    'div',
    { id: 'booked-panel', class: 'booked-panel', dataset: { testid: 'booked-panel' } },
    h('h3', { tabindex: '-1' }, t('book.success')),
    h('p', { class: 'muted' }, fmtDateTime(b.session.starts_at, state.tz), ' – ', fmtTime(b.session.ends_at, state.tz)),
    h('p', { class: 'warning-note' }, t('link.warning')),
    links.length ? links.map(linkBox) : emptyState(t('book.links.none')),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            state.booked = null;
            renderSessions();
            document.getElementById('bk-date')?.focus();
          },
        },
        t('book.dismiss'),
      ),
    ),
  );
}

function rescheduleForm(s) {
  const tz = s.timezone || state.tz;
  const start = new Date(s.starts_at);
  const duration = s.duration_minutes || Math.round((new Date(s.ends_at).getTime() - start.getTime()) / 60000);
  const prefix = `rs-${s.id}`;
  const form = h(
    'form',
    { class: 'grid-form reschedule-form', novalidate: true, 'aria-label': t('session.reschedule.title') },
    h('h4', { class: 'wide' }, t('session.reschedule.title')),
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    whenFields(prefix, { date: dateIn(start, tz), time: timeIn(start, tz), duration, tz }),
    field({ label: t('session.reschedule.reason'), name: 'reason', optional: true, idPrefix: prefix, className: 'wide', attrs: { maxlength: 500 } }),
    h(
      'div',
      { class: 'actions wide' },
      h('button', { type: 'submit', class: 'primary' }, t('session.reschedule.submit')),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            state.rescheduling.delete(s.id);
            renderSessions();
            /** @type {HTMLElement | null} */ (document.querySelector(`[data-reschedule="${CSS.escape(s.id)}"]`))?.focus();
          },
        },
        t('common.cancel'),
      ),
    ),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const when = readWhen(form);
    if (!when) return;
    const reason = form.elements.reason.value.trim();
    await whileSubmitting(form, async () => {
      try {
        await api.rescheduleSession(s.id, { ...when, ...(reason ? { reason } : {}) });
        state.rescheduling.delete(s.id);
        toast(t('session.rescheduled'));
        await refresh();
      } catch (err) {
        showSessionError(form, err);
      }
    });
  });
  return form;
}

async function onCancelSession(s) {
  const res = await confirmDialog({
    title: t('session.cancel.title'),
    message: `${fmtDateTime(s.starts_at, state.tz)}. ${t('session.cancel.message')}`,
    confirmLabel: t('session.cancel.submit'),
    cancelLabel: t('session.cancel.keep'),
    danger: true,
    input: { label: t('session.cancel.reason'), name: 'reason' },
  });
  if (!res.ok) return;
  try {
    await api.cancelSession(s.id, res.value ? { reason: res.value } : {});
    // Links of a cancelled session no longer work: stop showing them.
    for (const key of [...state.issued.keys()]) if (key.startsWith(`${s.id}:`)) state.issued.delete(key);
    if (state.booked && state.booked.session.id === s.id) state.booked = null;
    toast(t('session.cancelled'));
    await refresh();
  } catch (err) {
    toast(errorMessage(err), 'error', 7000);
  }
}

async function onReissue(s, p, button) {
  button.disabled = true;
  try {
    const link = await api.issueLink(s.id, p.party_id);
    state.issued.set(linkKey(s.id, p.party_id), link);
    if (state.booked && state.booked.session.id === s.id) {
      state.booked.links = (state.booked.links || []).filter((l) => l.party_id !== p.party_id);
    }
    toast(t('link.issued', { name: p.name }));
    await refresh();
    /** @type {HTMLElement | null} */ (document.querySelector(`[data-party-row="${CSS.escape(linkKey(s.id, p.party_id))}"] [data-testid="copy-link"]`))?.focus();
  } catch (err) {
    button.disabled = false;
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
    state.issued.delete(linkKey(s.id, p.party_id));
    if (state.booked && state.booked.session.id === s.id) {
      state.booked.links = (state.booked.links || []).filter((l) => l.party_id !== p.party_id);
    }
    toast(t('link.revoked', { name: p.name }));
    await refresh();
  } catch (err) {
    toast(errorMessage(err), 'error', 7000);
  }
}

function sessionCard(s) {
  const scheduled = s.status === 'scheduled';
  const past = new Date(s.ends_at) <= new Date();
  const differentZone = s.timezone && s.timezone !== state.tz;
  const statusKind = scheduled ? (past ? 'muted' : 'ok') : 'warn';
  return h(
    'article',
    { class: ['session-card', !scheduled && 'cancelled'], dataset: { testid: 'session-card', sessionId: s.id } },
    h(
      'header',
      { class: 'session-head' },
      h('h3', null, fmtDateTime(s.starts_at, state.tz), '–', fmtTime(s.ends_at, state.tz)),
      badge(tv('status', s.status), statusKind),
    ),
    differentZone
      ? h('p', { class: 'muted' }, t('session.local_note', { time: fmtDateTime(s.starts_at, s.timezone), tz: tzName(s.timezone, new Date(s.starts_at)) }))
      : null,
    h('p', { class: 'muted' }, t('session.mediator', { name: (s.mediator && s.mediator.display_name) || '' })),
    s.cancel_reason ? h('p', { class: 'muted' }, `${t('session.cancel.reason')}：${s.cancel_reason}`) : null,
    scheduled && !past
      ? h(
          'div',
          { class: 'actions' },
          h('a', { class: 'button primary', href: `/live/${encodeURIComponent(s.id)}`, dataset: { testid: 'join-live' } }, t('live.join.staff')),
          beforeCourt()
            ? null
            : h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-expanded': String(state.rescheduling.has(s.id)),
                  dataset: { reschedule: s.id },
                  onclick: () => {
                    if (state.rescheduling.has(s.id)) state.rescheduling.delete(s.id);
                    else state.rescheduling.add(s.id);
                    renderSessions();
                    const f = document.getElementById(`rs-${s.id}-date`);
                    if (f) f.focus();
                  },
                },
                t('session.reschedule'),
              ),
          beforeCourt() ? null : h('button', { type: 'button', class: 'danger-outline', onclick: () => onCancelSession(s) }, t('session.cancel')),
        )
      : null,
    state.rescheduling.has(s.id) && scheduled && !beforeCourt() ? rescheduleForm(s) : null,
    state.recorded.has(s.id)
      ? h(
          'p',
          { class: 'actions' },
          h('a', { class: 'button secondary', href: `/review/${encodeURIComponent(s.id)}`, dataset: { testid: 'review-link' } }, `▶ ${t('session.review')}`),
        )
      : null,
    h(
      'ul',
      { class: 'party-links' },
      (s.parties || []).map((p) => {
        const issued = state.issued.get(linkKey(s.id, p.party_id));
        const statusKind2 = { active: 'ok', revoked: 'warn', expired: 'muted', none: 'muted' }[p.link_status] || 'muted';
        return h(
          'li',
          { class: 'party-link-row', dataset: { partyRow: linkKey(s.id, p.party_id) } },
          h(
            'div',
            { class: 'party-link-head' },
            h('strong', null, p.name),
            h('span', { class: 'muted' }, tv('partyrole', p.role)),
            badge(tv('linkstatus', p.link_status), statusKind2),
            p.link_status === 'active' && p.link_expires_at ? h('span', { class: 'muted small' }, t('link.expires', { time: fmtDateTime(p.link_expires_at, state.tz) })) : null,
          ),
          h(
            'div',
            { class: 'actions' },
            scheduled && !past
              ? h('button', { type: 'button', class: 'secondary small-btn', onclick: (ev) => onReissue(s, p, ev.currentTarget) }, t('link.reissue'))
              : null,
            scheduled && p.link_status === 'active'
              ? h('button', { type: 'button', class: 'danger-outline small-btn', onclick: () => onRevoke(s, p) }, t('link.revoke'))
              : null,
            h(
              'a',
              { class: 'button secondary small-btn', href: api.partyCalendarUrl(s.id, p.party_id), download: `mediation-${s.case_number || ''}.ics`, 'aria-label': t('link.ics.label', { name: p.name }) },
              t('link.ics'),
            ),
          ),
          issued && scheduled ? linkBox(issued) : null,
        );
      }),
    ),
  );
}

function renderSessions() {
  const host = document.getElementById('sessions-body');
  const k = state.kase;
  if (!host || !k) return;
  const sessions = [...(k.sessions || [])].sort((a, b) => b.starts_at.localeCompare(a.starts_at));
  // Upcoming first (soonest first), then past and cancelled (latest first).
  const now = new Date().toISOString();
  const upcoming = sessions.filter((s) => s.status === 'scheduled' && s.ends_at > now).reverse();
  const rest = sessions.filter((s) => !(s.status === 'scheduled' && s.ends_at > now));
  replace(
    host,
    bookedPanel(),
    sessions.length ? h('div', { class: 'session-list' }, [...upcoming, ...rest].map(sessionCard)) : emptyState(t('sessions.empty')),
  );
}

// ------------------------------------------------------------------ outbox & history

/**
 * What became of a message, said plainly (#18): recorded only (pass it on yourself), handed to the
 * SMS provider / forwarder / mail server, delivered, or failed with the reason. Never "sent" for a
 * message that only sits in the outbox.
 */
function outboxState(m) {
  let text;
  let tone = 'muted';
  if (m.status === 'recorded') {
    text = t('outbox.state.recorded');
    tone = 'warn';
  } else if (m.status === 'delivered') {
    text = t('outbox.state.delivered');
    tone = 'ok';
  } else if (m.status === 'failed') {
    text = m.failure_reason ? t('outbox.state.failed', { reason: m.failure_reason }) : t('outbox.state.failed.unknown');
    tone = 'warn';
  } else if (m.status === 'sent') {
    text = t(m.provider === 'smtp' ? 'outbox.state.sent.email' : m.provider === 'spool' ? 'outbox.state.sent.spool' : 'outbox.state.sent.sms');
  } else {
    text = m.attempts > 0 && m.failure_reason ? t('outbox.state.retrying', { reason: m.failure_reason }) : t('outbox.state.pending');
  }
  const el = badge(text, tone);
  el.dataset.testid = 'outbox-state';
  el.dataset.status = m.status;
  const detail = [m.error_code, m.provider_message_id && t('outbox.provider_id', { id: m.provider_message_id })].filter(Boolean).join(' · ');
  if (detail) el.title = detail;
  return m.status === 'recorded' && m.failure_reason ? [el, h('span', { class: 'muted small' }, m.failure_reason)] : el;
}

function outboxTime(m) {
  if (m.status === 'delivered' && m.delivered_at) return t('outbox.delivered', { time: fmtDateTime(m.delivered_at, state.tz) });
  if (m.status === 'sent' && m.sent_at) return t('outbox.sent', { time: fmtDateTime(m.sent_at, state.tz) });
  return t('outbox.created', { time: fmtDateTime(m.created_at, state.tz) });
}

function renderOutbox() {
  const host = document.getElementById('outbox-body');
  if (!host) return;
  const o = state.outbox;
  if (o.status === 'loading') return replace(host, loadingState());
  if (o.status === 'error') return replace(host, errorState(o.error, loadOutbox));
  if (!o.items.length) return replace(host, h('p', { class: 'muted' }, t('outbox.intro')), emptyState(t('outbox.empty')));
  const items = [...o.items].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  replace(
    host,
    h('p', { class: 'muted' }, t('outbox.intro')),
    h(
      'ul',
      { class: 'outbox' },
      items.map((m) => {
        // A one-time code is never shown to staff: the server withholds it, the page says so in words.
        // Scrolls when long: focusable, so it can be scrolled from the keyboard (WCAG 2.1.1).
        const body = h('pre', { class: 'msg-body', tabindex: '0' }, m.kind === 'otp' ? t('outbox.otp_hidden') : m.body || '');
        return h(
          'li',
          { class: 'msg' },
          h(
            'div',
            { class: 'msg-head' },
            badge(tv('channel', m.channel), 'muted'),
            h('span', { class: 'msg-to' }, t('outbox.to', { to: [partyName(m.party_id), m.recipient].filter(Boolean).join(' ') })),
            outboxState(m),
            h('span', { class: 'muted small' }, outboxTime(m)),
          ),
          m.subject ? h('p', { class: 'msg-subject' }, m.subject) : null,
          body,
          h('div', { class: 'actions' }, copyButton({ label: t('outbox.copy'), sourceEl: body, getText: () => m.body || '', testid: 'copy-message' })),
        );
      }),
    ),
  );
}

const DATE_KEYS = /(^at$|_at$|^starts|^ends)/;
const WORD_VALUE = /^[a-z][a-z_ +]*[a-z]$/;
const SKIP_KEYS = new Set(['id', 'token', 'url', 'party_id', 'name', 'role', 'starts_at', 'ends_at', 'timezone', 'mediator', 'case_number']);

/** The words for a reason mediation ended, from /meta (the code itself if /meta is not loaded). */
function endReason(code) {
  const found = ((state.meta && state.meta.mediation_end_reasons) || []).find((r) => r.code === code);
  return found ? (getLang() === 'en' ? found.en : found.zh) : String(code);
}

/** A short, readable line from an event's data (party, time, reason…). */
function describeData(e) {
  const data = e.data;
  if (!data || typeof data !== 'object') return '';
  const out = [];
  const who = data.name || data.party_name || (data.party_id ? partyName(data.party_id) : '');
  if (who) out.push(data.role ? t('paren', { a: who, b: tv('partyrole', data.role) }) : who);
  if (data.starts_at && !Number.isNaN(Date.parse(data.starts_at))) {
    out.push(data.ends_at ? `${fmtDateTime(data.starts_at, state.tz)}–${fmtTime(data.ends_at, state.tz)}` : fmtDateTime(data.starts_at, state.tz));
  }
  if (data.timezone && data.timezone !== state.tz) out.push(tzName(data.timezone));
  if (data.mediator && data.mediator !== e.actor_name) out.push(data.mediator);
  for (const [k, v] of Object.entries(data)) {
    if (v == null || v === '' || typeof v === 'object' || SKIP_KEYS.has(k) || k.endsWith('_id')) continue;
    if (k === 'what') continue; // a court's read of the case, by route: the court's access log says it in words
    let text = String(v);
    if (k === 'dispute_type') text = tv('dispute', v);
    else if (k === 'status' || k === 'decision') text = e.kind.startsWith('confirmation') ? tv('conf.status', v) : tv('status', v);
    else if (k === 'ground') text = tv('conf.ground', v);
    else if (k === 'reason' && e.kind === 'mediation_ended') text = endReason(v);
    else if (WORD_VALUE.test(text)) {
      // A word of the server's (a method, a reason code): said in the reader's language, or not at all.
      const key = `history.value.${text.replace(/[ +]/g, '_')}`;
      if (!(key in dictionaries[getLang()])) continue;
      text = t(key);
    } else if (k === 'duration_minutes') text = t('duration.minutes', { n: v });
    else if (DATE_KEYS.test(k) && typeof v === 'string' && !Number.isNaN(Date.parse(v))) text = fmtDateTime(v, state.tz);
    out.push(text);
  }
  return out.join(' · ');
}

function renderHistory() {
  const host = document.getElementById('history-body');
  if (!host) return;
  const hs = state.history;
  if (hs.status === 'loading') return replace(host, loadingState());
  if (hs.status === 'error') return replace(host, errorState(hs.error, loadHistory));
  if (!hs.items.length) return replace(host, emptyState(t('history.empty')));
  const items = [...hs.items].sort((a, b) => (b.at || '').localeCompare(a.at || ''));
  replace(
    host,
    h(
      'ol',
      { class: 'history' },
      items.map((e) =>
        h(
          'li',
          null,
          h('time', { datetime: e.at }, fmtShortDateTime(e.at, state.tz)),
          h('span', { class: 'history-kind' }, tv('history', e.kind)),
          h('span', { class: 'muted' }, [e.actor_kind === 'system' || !e.actor_name ? tv('actor', e.actor_kind) : e.actor_name, describeData(e)].filter(Boolean).join(' · ')),
        ),
      ),
    ),
  );
}

// ------------------------------------------------------------------ evidence

const ID_METHODS = ['id_card_on_video', 'face_to_face', 'document_upload', 'phone_callback'];
const ID_RESULTS = ['confirmed', 'not_confirmed'];
const EVIDENCE_POLL_MS = 1500;
const EVIDENCE_POLL_MAX = 20;

let evidencePollTimer = null;
let evidencePolls = 0;

async function loadEvidence({ poll = false } = {}) {
  if (!poll) evidencePolls = 0;
  try {
    const data = await api.request('GET', `/cases/${encodeURIComponent(caseId)}/evidence`);
    state.evidence = { status: 'ready', items: (data && data.items) || [], error: null };
  } catch (err) {
    if (!poll || state.evidence.status !== 'ready') state.evidence = { status: 'error', items: [], error: err };
  }
  renderEvidence();
  // Records usually reach the log within a second: look again until every one has its index.
  clearTimeout(evidencePollTimer);
  if (state.evidence.items.some((r) => r.log_index == null) && evidencePolls < EVIDENCE_POLL_MAX) {
    evidencePolls += 1;
    evidencePollTimer = setTimeout(() => loadEvidence({ poll: true }), EVIDENCE_POLL_MS);
  }
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
    const u = state.user;
    if (u && actor.id === u.id) return t('evidence.actor.you', { name: u.display_name || u.username });
    if (state.kase && state.kase.mediator && state.kase.mediator.id === actor.id) return state.kase.mediator.display_name;
    return actor.role ? tv('role', actor.role) : tv('actor', 'staff');
  }
  if (actor.kind === 'platform') return t('evidence.actor.platform');
  return tv('evidence.actor', actor.kind);
}

function renderEvidence() {
  const host = document.getElementById('evidence-body');
  if (!host) return;
  const ev = state.evidence;
  if (ev.status === 'loading') return replace(host, loadingState());
  if (ev.status === 'error') return replace(host, errorState(ev.error, () => loadEvidence()));
  if (!ev.items.length) return replace(host, emptyState(t('evidence.empty')));
  const items = [...ev.items].sort((a, b) => b.seq - a.seq);
  replace(
    host,
    h(
      'ol',
      { class: 'evidence-list', dataset: { testid: 'evidence-list' } },
      items.map((r) =>
        h(
          'li',
          { class: 'evidence-item', dataset: { testid: 'evidence-record', type: r.type, seq: String(r.seq) } },
          h('span', { class: 'evidence-seq' }, t('evidence.seq', { seq: r.seq })),
          h('span', { class: 'evidence-type' }, tv('evidence.type', r.type)),
          r.time ? h('time', { class: 'evidence-time', datetime: r.time }, fmtShortDateTime(r.time, state.tz)) : null,
          h('span', { class: 'evidence-actor muted' }, evidenceActor(r.actor)),
          r.log_index != null
            ? badge(t('evidence.logged', { index: r.log_index }), 'ok')
            : h('span', { class: 'badge muted', role: 'status' }, t('evidence.pending')),
        ),
      ),
    ),
  );
}

function identityCheckForm() {
  const parties = (state.kase && state.kase.parties) || [];
  const form = h(
    'form',
    { id: 'idcheck-form', class: 'grid-form', novalidate: true, 'aria-labelledby': 'idcheck-title' },
    h('h3', { id: 'idcheck-title', class: 'wide' }, t('idcheck.title')),
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    field({
      label: t('idcheck.party'),
      name: 'party_id',
      kind: 'select',
      required: true,
      idPrefix: 'ic',
      placeholder: t('common.select'),
      options: parties.map((p) => ({ value: p.id, label: t('paren', { a: p.name, b: tv('partyrole', p.role) }) })),
    }),
    field({ label: t('idcheck.method'), name: 'method', kind: 'select', required: true, idPrefix: 'ic', options: optionsFrom(ID_METHODS, 'idmethod'), value: ID_METHODS[0] }),
    field({ label: t('idcheck.result'), name: 'result', kind: 'select', required: true, idPrefix: 'ic', options: optionsFrom(ID_RESULTS, 'idresult'), value: ID_RESULTS[0] }),
    field({ label: t('idcheck.note'), name: 'note', optional: true, idPrefix: 'ic', attrs: { maxlength: 500, autocomplete: 'off' } }),
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'primary', dataset: { testid: 'idcheck-submit' } }, t('idcheck.submit'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const f = form.elements;
    if (!f.party_id.value) {
      setFieldError(form, 'party_id', parties.length ? t('error.field.required') : t('idcheck.no_parties'));
      formMessage(form, t('error.invalid_input'));
      f.party_id.focus();
      return;
    }
    const body = { party_id: f.party_id.value, method: f.method.value, result: f.result.value };
    const note = f.note.value.trim();
    if (note) body.note = note;
    await whileSubmitting(form, async () => {
      try {
        await api.request('POST', `/cases/${encodeURIComponent(caseId)}/identity-checks`, { body });
        const name = partyName(body.party_id);
        f.note.value = '';
        formMessage(form, t('idcheck.done', { name }), 'success');
        toast(t('idcheck.done', { name }));
        await loadEvidence();
        loadHistory();
      } catch (err) {
        showFormErrors(form, err);
      }
    });
  });
  return form;
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
  if (state.csrf) headers['X-CSRF-Token'] = state.csrf;
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
      state.csrf = (me && me.csrf_token) || state.csrf;
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

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function renderExportResult() {
  const host = document.getElementById('export-result');
  if (!host) return;
  const x = state.exported;
  if (!x) return replace(host);
  replace(
    host,
    h('p', { class: 'notice ok-notice', role: 'status' }, t('export.done', { file: x.filename })),
    x.manifestHash
      ? h(
          'p',
          { class: 'manifest-line' },
          t('export.hash'),
          h('code', { class: 'manifest-hash', dataset: { testid: 'manifest-hash' } }, x.manifestHash),
        )
      : null,
  );
}

async function onExport(button) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = t('export.busy');
  try {
    const file = await postForFile(`/cases/${encodeURIComponent(caseId)}/evidence/bundle`);
    saveBlob(file.blob, file.filename);
    state.exported = { filename: file.filename, manifestHash: file.manifestHash };
    renderExportResult();
    loadEvidence();
    loadHistory();
  } catch (err) {
    toast(t('export.failed', { message: errorMessage(err) }), 'error', 7000);
  } finally {
    if (button.isConnected) {
      button.disabled = false;
      button.textContent = label;
    }
  }
}

function evidenceSection() {
  const exportButton = h('button', { type: 'button', class: 'primary', dataset: { testid: 'export-bundle' } }, t('export.button'));
  exportButton.addEventListener('click', () => onExport(exportButton));
  return section(
    'evidence',
    t('evidence.title'),
    h('p', { class: 'muted' }, t('evidence.intro')),
    h(
      'div',
      { class: 'evidence-toolbar' },
      h('button', { type: 'button', class: 'secondary small-btn', onclick: () => loadEvidence(), dataset: { testid: 'evidence-refresh' } }, t('evidence.refresh')),
    ),
    h('div', { id: 'evidence-body', 'aria-live': 'polite' }),
    identityCheckForm(),
    h(
      'div',
      { class: 'export-box' },
      h('h3', null, t('export.button')),
      h('p', null, t('evidence.bundle.why')),
      h('div', { class: 'actions' }, exportButton),
      h('div', { id: 'export-result' }),
    ),
  );
}

// ------------------------------------------------------------------ page

function render() {
  if (state.loadError) {
    document.title = t('app.name');
    const notFound = state.loadError.status === 404 || state.loadError.status === 403;
    replace(
      app,
      skipLink(),
      staffHeader(state.user),
      h(
        'main',
        { id: 'main', class: 'container' },
        h('p', null, h('a', { href: '/mediator', class: 'back' }, `‹ ${t('case.back')}`)),
        notFound
          ? h('div', { class: 'card' }, h('p', null, t('case.not_found')))
          : errorState(state.loadError, async () => {
              await loadCase();
              render();
            }),
      ),
    );
    return;
  }
  replace(
    app,
    skipLink(),
    staffHeader(state.user),
    h(
      'main',
      { id: 'main', class: 'container' },
      h('p', null, h('a', { href: '/mediator', class: 'back' }, `‹ ${t('case.back')}`)),
      h('h1', { id: 'case-title' }),
      beforeCourt() ? beforeCourtNote() : null,
      h(
        'div',
        { class: 'two-col' },
        section('details', t('case.details'), h('div', { id: 'details-body' })),
        section(
          'parties',
          t('parties.title'),
          h('div', { id: 'parties-body' }),
          identityPanel && identityPanel.el,
          beforeCourt() ? null : [h('h3', null, t('party.add.title')), addPartyForm()],
        ),
      ),
      section('sessions', t('sessions.title'), beforeCourt() ? null : [h('h3', null, t('book.title')), bookingForm()], h('div', { id: 'sessions-body', class: 'sessions-body' })),
      agreementPanel && agreementPanel.el,
      confirmationPanel && confirmationPanel.el,
      caseFiles && section('files', t('files.title'), caseFiles.el),
      h(
        'div',
        { class: 'two-col' },
        section('outbox', t('outbox.title'), h('div', { id: 'outbox-body' })),
        section('history', t('history.title'), h('div', { id: 'history-body' })),
      ),
      evidenceSection(),
    ),
  );
  renderDetails();
  renderParties();
  renderSessions();
  renderOutbox();
  renderHistory();
  renderEvidence();
  renderExportResult();
}

async function main() {
  const me = await initStaffPage();
  state.user = me.user;
  state.csrf = me.csrf_token || null;
  state.tz = isValidTimeZone(me.user.timezone) ? me.user.timezone : browserTimeZone();
  const [meta, mediators] = await Promise.all([
    api.meta().catch(() => null),
    api.listMediators().then((d) => d.items || []).catch(() => []),
    loadCase(),
  ]);
  state.meta = meta;
  state.mediators = mediators;
  if (!state.loadError) {
    const getCase = () => state.kase;
    const onStatusChange = () => {
      refresh();
      /** @type {CaseFiles} */ (caseFiles).load();
      /** @type {ConfirmationPanel} */ (confirmationPanel).load();
    };
    identityPanel = new IdentityPanel({ caseId, user: state.user, tz: state.tz, mode: 'case', level: 'h3' });
    agreementPanel = new AgreementPanel({ caseId, user: state.user, tz: state.tz, meta, getCase, onCaseChange: refresh, onStatusChange });
    confirmationPanel = new ConfirmationPanel({ caseId, tz: state.tz, meta });
    caseFiles = new CaseFiles({
      mode: 'staff',
      caseId,
      getParties: () => (state.kase && state.kase.parties) || [],
      tz: state.tz,
      maxBytes: meta && meta.max_upload_bytes,
      isLocked: beforeCourt,
    });
  }
  render();
  rerenderOnLangChange(app, render);
  if (!state.loadError) {
    agreementPanel.load();
    /** @type {ConfirmationPanel} */ (confirmationPanel).load();
    /** @type {CaseFiles} */ (caseFiles).load();
    loadOutbox();
    loadHistory();
    loadEvidence();
    loadRecordings();
  }
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
