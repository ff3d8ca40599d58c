// @ts-check
// Referrals between organisations (移送/分流, issue #21), drawn with Preact + htm for the case page
// (its history, the form that refers the case, an assisting organisation's result) and the mediator's
// dashboard (referrals awaiting the organisation's decision: accept, choosing the mediator, or return,
// saying why). Each keeps its forms' values and errors in its own state, drawn again by the page's
// `changed()`, so a redraw or a change of language keeps what was typed.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, tv, fmtDayLong, fmtShortDateTime } from './i18n.js';
import './referral-i18n.js';
import { optionsFrom, toast } from './ui.js';
import { Part, Section, badge, empty, FormField, FormStateMessage, formState, sendForm, submitButton } from './ui-preact.js';

/** @typedef {import('./ui-preact.js').FormState} FormState */

const ROLES = ['lead', 'assisting'];
const STAGES = ['before_filing', 'after_filing'];

/** @param {any} d @returns {any[]} */
const itemsOf = (d) => (d && d.items) || [];

const referValues = () => ({ to_organisation_id: '', role: 'lead', reason: '', task: '', court_stage: '' });

/** @param {any} user @returns {string | null} */
const orgOf = (user) => (user && user.organisation && user.organisation.id) || null;

/** One referral as it stands: who sent it where, when, why, and what became of it. @param {{ r: any, tz: string }} props */
export function ReferralItem({ r, tz }) {
  const when = (/** @type {string | null} */ at) => (at ? fmtShortDateTime(at, tz) : '');
  const name = (/** @type {any} */ who) => (who && who.display_name) || '';
  const court = r.court_report;
  return html`<li key=${r.id} class="referral-item" data-testid="referral" data-status=${r.status} data-role=${r.role}>
    <p class="referral-head">
      <strong>${t('ref.line', { from: r.from_organisation.name, to: r.to_organisation.name, role: tv('ref.role', r.role) })}</strong>
      ${' '}${badge(tv('ref.status', r.status), r.status === 'returned' ? 'warn' : r.status === 'accepted' ? 'ok' : 'muted')}
    </p>
    <p class="muted small">${t('ref.sent_by', { name: name(r.referred_by), time: when(r.referred_at) })}${r.court_stage ? ` · ${tv('ref.stage', r.court_stage)}` : ''}</p>
    <p>${t('ref.reason', { text: r.reason })}</p>
    ${r.task ? html`<p>${t('ref.task', { text: r.task })}</p>` : null}
    ${r.status === 'accepted' ? html`<p>${t('ref.accepted_by', { name: name(r.decided_by), time: when(r.decided_at) })}</p>` : null}
    ${r.mediator ? html`<p data-testid="referral-mediator">${t(r.role === 'lead' ? 'ref.mediator' : 'ref.co_mediator', { name: name(r.mediator) })}</p>` : null}
    ${r.status === 'returned' ? html`<p data-testid="referral-returned">${t('ref.returned_by', { name: name(r.decided_by), time: when(r.decided_at), text: r.return_reason || '' })}</p>` : null}
    ${r.role === 'assisting' && r.status === 'accepted'
      ? html`<p data-testid="referral-result">${r.result ? t('ref.result', { name: name(r.reported_by), time: when(r.reported_at), text: r.result }) : t('ref.no_result')}</p>`
      : null}
    ${court
      ? html`<p class="notice" data-testid="court-report">${court.report
          ? html`${t('ref.court.reported', { name: court.report.made_by || '', time: when(court.report.made_at), court: court.court })} <a href=${court.report.url} download="" data-testid="court-report-pdf">${t('ref.court.pdf')}</a>`
          : court.due ? t('ref.court.due', { court: court.court, outcome: tv('status', court.outcome) }) : t('ref.court.waiting', { court: court.court })}</p>`
      : null}
  </li>`;
}

// ------------------------------------------------------------------ the case page

/** A case's referrals, the form that refers it, and the result forms of the organisations assisting on it. */
export class CaseReferrals {
  /** @param {{ caseId: string, user: any, tz: string, changed: () => void, onCaseChange: () => void }} options */
  constructor({ caseId, user, tz, changed, onCaseChange }) {
    this.caseId = caseId;
    this.user = user;
    this.tz = tz;
    this.changed = changed;
    this.onCaseChange = onCaseChange;
    this.list = new Part(() => api.request('GET', `/cases/${encodeURIComponent(caseId)}/referrals`).then(itemsOf), changed);
    this.destinations = new Part(() => api.request('GET', '/referrals/destinations').then(itemsOf), changed);
    this.form = formState(referValues());
    /** @type {Map<string, FormState>} referral id → its result form */
    this.reports = new Map();
  }

  load() {
    this.list.load();
    if (this.destinations.status !== 'ready') this.destinations.load();
  }

  /** @param {string} id */
  report(id) {
    if (!this.reports.has(id)) this.reports.set(id, formState({ result: '' }));
    return /** @type {FormState} */ (this.reports.get(id));
  }
}

/** @param {{ panel: CaseReferrals, k: any }} props */
function ReferForm({ panel, k }) {
  const form = panel.form;
  const court = k.organisation && k.organisation.kind === 'court';
  const at = { form, idPrefix: 'ref' };
  const orgs = panel.destinations.status === 'ready' ? /** @type {any[]} */ (panel.destinations.data) : [];
  const onSubmit = (/** @type {any} */ ev) =>
    sendForm(ev, form, court ? ['to_organisation_id', 'reason', 'court_stage'] : ['to_organisation_id', 'reason'], panel.changed, async () => {
      const v = form.values;
      /** @type {Record<string, any>} */
      const body = { to_organisation_id: v.to_organisation_id, role: v.role, reason: String(v.reason).trim(), task: String(v.task).trim() };
      if (court) body.court_stage = v.court_stage;
      const made = await api.request('POST', `/cases/${encodeURIComponent(panel.caseId)}/referrals`, { body });
      const name = made.to_organisation.name;
      form.values = referValues();
      form.kind = 'success';
      form.message = () => t('ref.form.done', { name });
      toast(t('ref.form.done', { name }));
      panel.list.load();
      panel.onCaseChange();
    });
  return html`<form id="refer-form" class="grid-form" novalidate aria-labelledby="refer-title" aria-busy=${form.busy ? 'true' : undefined} onSubmit=${onSubmit}>
    <h3 id="refer-title" class="wide">${t('ref.form.title')}</h3>
    <${FormStateMessage} form=${form} />
    <${FormField} ...${at} label=${t('ref.form.to')} name="to_organisation_id" kind="select" required placeholder=${t('common.select')}
      options=${orgs.map((o) => ({ value: o.id, label: o.name }))} />
    <${FormField} ...${at} label=${t('ref.form.role')} name="role" kind="select" required options=${optionsFrom(ROLES, 'ref.role')} hint=${t('ref.form.role.hint')} />
    ${court ? html`<${FormField} ...${at} label=${t('ref.form.stage')} name="court_stage" kind="select" required placeholder=${t('common.select')} options=${optionsFrom(STAGES, 'ref.stage')} />` : null}
    <${FormField} ...${at} label=${t('ref.form.reason')} name="reason" kind="textarea" required className="wide" attrs=${{ maxlength: 2000 }} />
    <${FormField} ...${at} label=${t('ref.form.task')} name="task" kind="textarea" className="wide" hint=${t('ref.form.task.hint')} attrs=${{ maxlength: 2000 }} />
    <div class="actions wide">${submitButton(form, t('ref.form.submit'), 'refer-submit')}</div>
  </form>`;
}

/** @param {{ panel: CaseReferrals, r: any }} props */
function ReportForm({ panel, r }) {
  const form = panel.report(r.id);
  const onSubmit = (/** @type {any} */ ev) =>
    sendForm(ev, form, ['result'], panel.changed, async () => {
      await api.request('POST', `/referrals/${encodeURIComponent(r.id)}/result`, { body: { result: String(form.values.result).trim() } });
      form.values.result = '';
      form.kind = 'success';
      form.message = () => t('ref.report.done');
      toast(t('ref.report.done'));
      panel.list.load();
      panel.onCaseChange();
    });
  return html`<form class="grid-form" novalidate aria-labelledby=${`report-${r.id}-title`} onSubmit=${onSubmit} data-testid="report-form">
    <h3 id=${`report-${r.id}-title`} class="wide">${t('ref.report.title')}</h3>
    <p class="wide">${t('ref.task', { text: r.task })}</p>
    <${FormStateMessage} form=${form} />
    <${FormField} form=${form} idPrefix=${`report-${r.id}`} label=${t('ref.report.result')} name="result" kind="textarea" required className="wide" attrs=${{ maxlength: 2000 }} />
    <div class="actions wide">${submitButton(form, t('ref.report.submit'), 'report-submit')}</div>
  </form>`;
}

/** The handling organisation's mediator writes the result report to the referring court (特邀调解规定 art. 26). @param {{ panel: CaseReferrals, r: any }} props */
function CourtReportForm({ panel, r }) {
  const form = panel.report(`court-${r.id}`);
  const onSubmit = (/** @type {any} */ ev) =>
    sendForm(ev, form, [], panel.changed, async () => {
      await api.request('POST', `/referrals/${encodeURIComponent(r.id)}/report`);
      form.kind = 'success';
      form.message = () => t('ref.court.made', { court: r.court_report.court });
      toast(t('ref.court.made', { court: r.court_report.court }));
      panel.list.load();
    });
  return html`<form class="grid-form" novalidate onSubmit=${onSubmit} data-testid="court-report-form">
    <p class="wide">${t('ref.court.make.intro', { court: r.court_report.court })}</p>
    <${FormStateMessage} form=${form} />
    <div class="actions wide">${submitButton(form, t('ref.court.make'), 'court-report-make')}</div>
  </form>`;
}

/**
 * The case page's 移送/分流 section. `k` is the case; its lead organisation's staff may refer it while it
 * is open (and not before a court); others read it because a referral lets them.
 * @param {{ panel: CaseReferrals, k: any, supervising?: boolean }} props  (a supervisor reads it: no forms)
 */
export function CaseReferralsSection({ panel, k, supervising = false }) {
  const mine = orgOf(panel.user);
  const own = Boolean(k.organisation && mine === k.organisation.id);
  const list = /** @type {any[]} */ (panel.list.status === 'ready' ? panel.list.data : []);
  const awaiting = list.some((r) => r.status === 'pending' && r.to_organisation.id === mine);
  const toReport = list.filter((r) => r.role === 'assisting' && r.status === 'accepted' && !r.result && r.to_organisation.id === mine);
  // A court's referral whose mediation has ended: the handling organisation's mediator writes the report.
  const courtOwed = own && panel.user && panel.user.role === 'mediator' ? list.filter((r) => r.court_report && r.court_report.due && !r.court_report.report) : [];
  const body = panel.list.view((items) =>
    items.length
      ? html`<ol class="referral-list" data-testid="referral-list">${items.map((r) => html`<${ReferralItem} key=${r.id} r=${r} tz=${panel.tz} />`)}</ol>`
      : empty(t('ref.empty')),
  );
  return html`<${Section} id="referrals" title=${t('ref.title')}>
    ${supervising ? null : own ? html`<p class="muted">${t('ref.intro')}</p>` : html`<p class="notice" role="status" data-testid="referral-shared">${t('ref.shared')}</p>`}
    ${awaiting ? html`<p class="notice" data-testid="referral-awaiting">${t('ref.pending_here')} <a href="/mediator#referrals">${t('ref.pending_here.link')}</a></p>` : null}
    <h3>${t('ref.history')}</h3>
    <div id="referrals-body" aria-live="polite">${body}</div>
    ${supervising ? null : toReport.map((r) => html`<${ReportForm} key=${r.id} panel=${panel} r=${r} />`)}
    ${supervising ? null : courtOwed.map((r) => html`<${CourtReportForm} key=${`court-${r.id}`} panel=${panel} r=${r} />`)}
    ${own && !supervising && k.status === 'open' && !k.before_court ? html`<${ReferForm} panel=${panel} k=${k} />` : null}
  </${Section}>`;
}

// ------------------------------------------------------------------ the dashboard

/** Referrals awaiting my organisation's decision, with an accept and a return form each. */
export class IncomingReferrals {
  /** @param {{ user: any, tz: string, changed: () => void, onDecided?: () => void }} options */
  constructor({ user, tz, changed, onDecided }) {
    this.user = user;
    this.tz = tz;
    this.changed = changed;
    this.onDecided = onDecided || (() => {});
    this.list = new Part(() => api.request('GET', '/referrals', { query: { box: 'incoming' } }).then(itemsOf), changed);
    /** @type {any[]} */
    this.mediators = [];
    /** @type {Map<string, { accept: FormState, back: FormState }>} */
    this.forms = new Map();
  }

  async load() {
    const [mediators] = await Promise.all([api.listMediators().then(itemsOf).catch(() => []), this.list.load()]);
    this.mediators = mediators;
    this.changed();
  }

  /**
   * A lead's form starts with me as the mediator in charge; an assisting one's with nobody: naming
   * a mediator there makes them a co-mediator of the case (server/domain/assignment.py), a choice.
   * @param {string} id @param {string} role
   */
  formsOf(id, role) {
    if (!this.forms.has(id)) {
      const me = role === 'lead' && this.user && this.user.role === 'mediator' ? this.user.id : '';
      this.forms.set(id, { accept: formState({ mediator_id: me }), back: formState({ reason: '' }) });
    }
    return /** @type {{ accept: FormState, back: FormState }} */ (this.forms.get(id));
  }
}

/** @param {{ inbox: IncomingReferrals, r: any }} props */
function Incoming({ inbox, r }) {
  const { accept, back } = inbox.formsOf(r.id, r.role);
  const number = r.case.case_number;
  const decided = (/** @type {string} */ key) => {
    toast(t(key, { number }));
    inbox.list.load();
    inbox.onDecided();
  };
  const onAccept = (/** @type {any} */ ev) =>
    sendForm(ev, accept, r.role === 'lead' ? ['mediator_id'] : [], inbox.changed, async () => {
      const body = r.role === 'lead' || accept.values.mediator_id ? { mediator_id: accept.values.mediator_id } : {};
      await api.request('POST', `/referrals/${encodeURIComponent(r.id)}/accept`, { body });
      decided('ref.inbox.accepted');
    });
  const onReturn = (/** @type {any} */ ev) =>
    sendForm(ev, back, ['reason'], inbox.changed, async () => {
      await api.request('POST', `/referrals/${encodeURIComponent(r.id)}/return`, { body: { reason: String(back.values.reason).trim() } });
      decided('ref.inbox.returned');
    });
  const mediators = inbox.mediators.map((m) => ({ value: m.id, label: m.display_name }));
  return html`<li class="referral-item" data-testid="incoming-referral" data-case=${number}>
    <p class="referral-head">
      <a href=${`/cases/${encodeURIComponent(r.case.id)}`} class="case-number" data-testid="incoming-case">${number}</a>
      ${' '}${badge(tv('ref.role', r.role))}
    </p>
    <p class="muted small">${t('ref.inbox.from', { from: r.from_organisation.name, role: tv('ref.role', r.role), time: fmtShortDateTime(r.referred_at, inbox.tz) })}
      · ${t('ref.sent_by', { name: (r.referred_by && r.referred_by.display_name) || '', time: fmtShortDateTime(r.referred_at, inbox.tz) })}</p>
    ${r.acceptance_due_date ? html`<p class="notice" data-testid="referral-due">${t('ref.inbox.due', { date: fmtDayLong(r.acceptance_due_date) })}</p>` : null}
    ${r.case.summary ? html`<p class="case-summary">${r.case.summary}</p>` : null}
    <p>${t('ref.reason', { text: r.reason })}</p>
    ${r.task ? html`<p>${t('ref.task', { text: r.task })}</p>` : null}
    <div class="two-col">
      <form class="grid-form" novalidate aria-label=${`${t('ref.inbox.accept')} ${number}`} onSubmit=${onAccept} data-testid="accept-form">
        <${FormStateMessage} form=${accept} />
        ${r.role === 'lead'
          ? html`<${FormField} form=${accept} idPrefix=${`acc-${r.id}`} label=${t('ref.inbox.mediator')} name="mediator_id" kind="select" required
              placeholder=${t('common.select')} options=${mediators} hint=${t('ref.inbox.mediator.hint')} />`
          : html`<${FormField} form=${accept} idPrefix=${`acc-${r.id}`} label=${t('ref.inbox.co_mediator')} name="mediator_id" kind="select" optional
              placeholder=${t('ref.inbox.co_mediator.none')} options=${mediators} hint=${t('ref.inbox.co_mediator.hint')} />`}
        <div class="actions">${submitButton(accept, t('ref.inbox.accept'), 'accept-referral')}</div>
      </form>
      <form class="grid-form" novalidate aria-label=${`${t('ref.inbox.return')} ${number}`} onSubmit=${onReturn} data-testid="return-form">
        <${FormStateMessage} form=${back} />
        <${FormField} form=${back} idPrefix=${`ret-${r.id}`} label=${t('ref.inbox.return_reason')} name="reason" kind="textarea" required
          hint=${t('ref.inbox.return.hint')} attrs=${{ maxlength: 2000 }} />
        <div class="actions">${submitButton(back, t('ref.inbox.return'), 'return-referral')}</div>
      </form>
    </div>
  </li>`;
}

/**
 * The dashboard's "referrals awaiting decision": drawn only when there are some (or they failed to load).
 * @param {{ inbox: IncomingReferrals }} props
 */
export function IncomingSection({ inbox }) {
  const part = inbox.list;
  if (part.status === 'loading' || (part.status === 'ready' && !(/** @type {any[]} */ (part.data).length))) return null;
  return html`<${Section} id="referrals" title=${t('ref.inbox.title')}>
    ${part.view((items) => html`<ul class="referral-list">${items.map((r) => html`<${Incoming} key=${r.id} inbox=${inbox} r=${r} />`)}</ul>`)}
  </${Section}>`;
}

// ------------------------------------------------------------------ the court's inbox

/** Referrals my organisation made (a court's 委派 and 委托), each with what became of it. */
export class SentReferrals {
  /** @param {{ tz: string, changed: () => void }} options */
  constructor({ tz, changed }) {
    this.tz = tz;
    this.list = new Part(() => api.request('GET', '/referrals', { query: { box: 'sent' } }).then(itemsOf), changed);
  }
}

/**
 * The cases my organisation referred, with their results (a court is owed a written report once
 * mediation ends, 特邀调解规定 art. 26): drawn only when there are some.
 * @param {{ sent: SentReferrals }} props
 */
export function SentSection({ sent }) {
  const part = sent.list;
  if (part.status === 'loading' || (part.status === 'ready' && !(/** @type {any[]} */ (part.data).length))) return null;
  return html`<${Section} id="sent-referrals" title=${t('ref.sent.title')}>
    ${part.view(
      (items) => html`<ul class="referral-list" data-testid="sent-referrals">
        ${items.map(
          (r) => html`<li key=${r.id} class="referral-case">
            <a href=${`/cases/${encodeURIComponent(r.case.id)}`} class="case-number">${r.case.case_number}</a>
            ${' '}${badge(tv('status', r.case.status), `status-${r.case.status}`)}
            <ul class="referral-list"><${ReferralItem} r=${r} tz=${sent.tz} /></ul>
          </li>`,
        )}
      </ul>`,
    )}
  </${Section}>`;
}
