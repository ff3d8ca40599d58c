// @ts-check
// The mediator dashboard's queue of parties' online applications (issue #21), drawn as the incoming
// referrals are (referrals.js): each confirmed application with the day by which the organisation must
// answer (3 working days, 在线调解规则 art. 12), a form to accept it (the case number typed as at the
// window, the dispute type, the mediator: by default the one the applicant asked for) and one to
// decline it (the reason, and the routes still open to the applicant). An answered application stays
// on the page as a card saying what became of the text telling the applicant (outbox.js: handed to the
// SMS provider, delivered, failed and why, or only recorded because nothing here sends it), followed
// until it is handed on. A link to the organisation's printable QR poster sits under the queue, so
// staff find it where the applications arrive.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, fmtDayLong, fmtShortDateTime } from './i18n.js';
import './apply-i18n.js';
import './case-i18n.js';
import { DISPUTES } from './registration.js';
import { optionsFrom, toast } from './ui.js';
import { CLOCK_BADGES, Part, Section, badge, FormField, FormStateMessage, formState, sendForm } from './ui-preact.js';
import { NoticeState } from './outbox.js';

/** @typedef {import('./ui-preact.js').FormState} FormState */

const ROUTES = ['court', 'arbitration', 'administrative', 'other_organisation'];
// An answer's text is followed until a sender has it: the outbox's round runs every few seconds.
const FOLLOW_MS = 3_000;
const FOLLOW_TRIES = 40;

/** Whether a sender is still to take one of the notice's messages. @param {any} a an answered application */
const stillSending = (a) =>
  ((a.notice && a.notice.messages) || []).some((/** @type {any} */ m) => ['pending', 'sending'].includes(m.status) && !m.undelivered);

/** Confirmed applications awaiting my organisation's answer. */
export class IncomingApplications {
  /** @param {{ user: any, tz: string, changed: () => void, onDecided?: () => void }} options */
  constructor({ user, tz, changed, onDecided }) {
    this.user = user;
    this.tz = tz;
    this.changed = changed;
    this.onDecided = onDecided || (() => {});
    this.list = new Part(() => api.request('GET', '/applications').then((d) => (d && d.items) || []), changed);
    /** @type {any[]} */
    this.mediators = [];
    /** @type {Map<string, { accept: FormState, decline: FormState }>} */
    this.forms = new Map();
    /** @type {any[]} answered here, newest first, with what became of the text to the applicant */
    this.answered = [];
  }

  /** An answer just given: keep its card, and follow its text until a sender has it. @param {any} a */
  keep(a) {
    this.answered = [a, ...this.answered.filter((x) => x.id !== a.id)];
    this.follow(a.id, 0);
  }

  /** @param {string} id @param {number} tries */
  follow(id, tries) {
    const a = this.answered.find((x) => x.id === id);
    if (!a || !stillSending(a) || tries >= FOLLOW_TRIES) return;
    setTimeout(async () => {
      try {
        const fresh = await api.request('GET', `/applications/${encodeURIComponent(id)}`);
        this.answered = this.answered.map((x) => (x.id === id ? { ...fresh, case: { ...x.case, ...fresh.case } } : x));
        this.changed();
      } catch {
        // Asked again on the next try.
      }
      this.follow(id, tries + 1);
    }, FOLLOW_MS);
  }

  /** @param {string} id */
  dismiss(id) {
    this.answered = this.answered.filter((x) => x.id !== id);
    this.changed();
  }

  async load() {
    const [mediators] = await Promise.all([api.listMediators().then((d) => (d && d.items) || []).catch(() => []), this.list.load()]);
    this.mediators = mediators;
    this.changed();
  }

  /** @param {any} a */
  formsOf(a) {
    if (!this.forms.has(a.id)) {
      const mediator = (a.preferred_mediator && a.preferred_mediator.id) || (this.user && this.user.id) || '';
      this.forms.set(a.id, {
        accept: formState({ case_number: '', dispute_type: '', mediator_id: mediator }),
        decline: formState({ reason: '', ...Object.fromEntries(ROUTES.map((r) => [r, ''])) }),
      });
    }
    return /** @type {{ accept: FormState, decline: FormState }} */ (this.forms.get(a.id));
  }
}

/** @param {{ inbox: IncomingApplications, a: any, meta: any }} props */
function Application({ inbox, a, meta }) {
  const { accept, decline } = inbox.formsOf(a);
  const types = (meta && meta.dispute_types) || DISPUTES;
  const done = (/** @type {string} */ text) => {
    toast(text);
    inbox.list.load();
    inbox.onDecided();
  };
  const onAccept = (/** @type {any} */ ev) =>
    sendForm(ev, accept, [], inbox.changed, async () => {
      const v = accept.values;
      const made = await api.request('POST', `/applications/${encodeURIComponent(a.id)}/accept`, {
        body: { case_number: String(v.case_number).trim(), dispute_type: v.dispute_type, mediator_id: v.mediator_id || null },
      });
      inbox.keep(made);
      done(t('apply.queue.accepted', { number: made.case.case_number }));
    });
  const onDecline = (/** @type {any} */ ev) =>
    sendForm(ev, decline, [], inbox.changed, async () => {
      const v = decline.values;
      const routes = ROUTES.filter((r) => v[r] === 'on');
      inbox.keep(await api.request('POST', `/applications/${encodeURIComponent(a.id)}/decline`, { body: { reason: String(v.reason).trim(), routes } }));
      done(t('apply.queue.declined'));
    });
  const mediators = inbox.mediators.map((m) => ({ value: m.id, label: m.display_name }));
  const others = a.respondents.map((/** @type {any} */ r) => [r.name, r.phone].filter(Boolean).join(' ')).join('；');
  return html`<li class="referral-item" data-testid="incoming-application" data-applicant=${a.applicant.name}>
    <p class="referral-head"><strong>${t('apply.queue.applicant', { name: a.applicant.name, phone: a.applicant.phone })}</strong></p>
    <p class="muted small">${fmtShortDateTime(a.confirmed_at, inbox.tz)}${a.centre_assigns ? ` · ${t('apply.queue.centre')}` : ''}</p>
    ${a.answer_due_date
      ? html`<p class="notice" data-testid="application-due" data-state=${a.acceptance_state}>${t('apply.queue.due', { date: fmtDayLong(a.answer_due_date) })}
          ${['due_today', 'overdue'].includes(a.acceptance_state) ? html` ${badge(t(`clock.state.${a.acceptance_state}`), CLOCK_BADGES[a.acceptance_state])}` : null}</p>`
      : null}
    <p>${t('apply.queue.others', { names: others })}</p>
    <p>${t('apply.queue.facts', { text: a.facts })}</p>
    <p>${t('apply.queue.requests', { text: a.requests })}</p>
    ${a.preferred_mediator ? html`<p>${t('apply.queue.preferred', { name: a.preferred_mediator.display_name })}</p>` : null}
    ${a.files && a.files.length
      ? html`<p>${t('apply.queue.files')}</p>
          <ul data-testid="application-files">${a.files.map((/** @type {any} */ f) => html`<li key=${f.id}><a href=${f.url} target="_blank" rel="noopener">${f.name}</a></li>`)}</ul>`
      : null}
    <div class="two-col">
      <form class="grid-form" novalidate aria-label=${`${t('apply.queue.accept')} ${a.applicant.name}`} onSubmit=${onAccept} data-testid="accept-application">
        <${FormStateMessage} form=${accept} />
        <${FormField} form=${accept} idPrefix=${`app-${a.id}`} label=${t('apply.queue.number')} name="case_number" required attrs=${{ maxlength: 64 }} />
        <${FormField} form=${accept} idPrefix=${`app-${a.id}`} label=${t('apply.queue.type')} name="dispute_type" kind="select" required
          placeholder=${t('common.select')} options=${optionsFrom(types, 'dispute')} />
        <${FormField} form=${accept} idPrefix=${`app-${a.id}`} label=${t('apply.queue.mediator')} name="mediator_id" kind="select" required options=${mediators} />
        <div class="actions"><button type="submit" class="primary" disabled=${accept.busy} data-testid="accept-application-submit">${t('apply.queue.accept')}</button></div>
      </form>
      <form class="grid-form" novalidate aria-label=${`${t('apply.queue.decline')} ${a.applicant.name}`} onSubmit=${onDecline} data-testid="decline-application">
        <${FormStateMessage} form=${decline} />
        <${FormField} form=${decline} idPrefix=${`dec-${a.id}`} label=${t('apply.queue.reason')} name="reason" kind="textarea" required attrs=${{ maxlength: 4000 }} />
        <fieldset><legend>${t('apply.queue.routes')}</legend>
          ${ROUTES.map(
            (r) => html`<label key=${r} class="check"><input type="checkbox" name=${r} checked=${decline.values[r] === 'on'}
              onChange=${(/** @type {any} */ ev) => { decline.values[r] = ev.currentTarget.checked ? 'on' : ''; }} /> ${t(`apply.route.${r}`)}</label>`,
          )}
          ${decline.fields.routes ? html`<p class="field-error">${decline.fields.routes()}</p>` : null}
        </fieldset>
        <div class="actions"><button type="submit" class="secondary" disabled=${decline.busy} data-testid="decline-application-submit">${t('apply.queue.decline')}</button></div>
      </form>
    </div>
  </li>`;
}

/**
 * An application answered here: the answer, and what became of the text telling the applicant.
 * @param {{ inbox: IncomingApplications, a: any }} props
 */
function Answered({ inbox, a }) {
  const accepted = a.status === 'accepted';
  return html`<li class="referral-item" data-testid="answered-application" data-status=${a.status} data-applicant=${a.applicant.name}>
    <p role="status">${accepted
      ? html`${t('apply.answered.accepted', { name: a.applicant.name, number: a.case.case_number })}
          ${a.case_id ? html` <a href=${`/cases/${encodeURIComponent(a.case_id)}`}>${t('apply.answered.open_case')}</a>` : null}`
      : t('apply.answered.declined', { name: a.applicant.name })}</p>
    <p data-testid="answered-notice">${t('apply.answered.told')} <${NoticeState} notice=${a.notice} /></p>
    <div class="actions"><button type="button" class="secondary" onClick=${() => inbox.dismiss(a.id)}>${t('apply.answered.dismiss')}</button></div>
  </li>`;
}

/**
 * The dashboard's "applications from parties": the queue when there is one, the applications just
 * answered, and the poster link always.
 * @param {{ inbox: IncomingApplications, meta: any }} props
 */
export function ApplicationsSection({ inbox, meta }) {
  const part = inbox.list;
  const org = inbox.user && inbox.user.organisation;
  const items = part.status === 'ready' ? /** @type {any[]} */ (part.data) : [];
  const poster = org ? html`<p class="muted small"><a href=${`/apply/${encodeURIComponent(org.id)}/poster`} target="_blank" rel="noopener" data-testid="apply-poster">${t('apply.queue.poster')}</a></p>` : null;
  const answered = inbox.answered.length
    ? html`<ul class="referral-list" data-testid="answered-applications">${inbox.answered.map((a) => html`<${Answered} key=${a.id} inbox=${inbox} a=${a} />`)}</ul>`
    : null;
  if (!answered && (part.status === 'loading' || (part.status === 'ready' && !items.length))) return poster;
  return html`<${Section} id="applications" title=${t('apply.queue.title')}>
    ${part.status === 'ready' && !items.length ? null : part.view((list) => html`<ul class="referral-list">${list.map((a) => html`<${Application} key=${a.id} inbox=${inbox} a=${a} meta=${meta} />`)}</ul>`)}
    ${answered}
    ${poster}
  </${Section}>`;
}
