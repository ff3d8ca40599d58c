// @ts-check
// The mediators of a case on the case page (issue #21): who mediates (a lead and co-mediators,
// People's Mediation Law art. 19), each one's conflict-of-interest disclosure (在线调解规则 art. 13),
// signed with the mediator's own key (signing/staff-key.js) and reminded until signed, the form that
// assigns a mediator, and the parties' requests for another mediator (art. 14) with their decisions.
// Forms keep their values and errors in the panel's state, drawn again by the page's `changed()`.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, tv, fmtShortDateTime } from './i18n.js';
import './mediators-i18n.js';
import { RequestItem } from './partymediators.js';
import { MessageLine } from './signing/message.js';
import { StaffSigner } from './signing/staff-key.js';
import { errorMessage, toast } from './ui.js';
import { Part, Section, badge, FormField, FormStateMessage, formState, clearErrors, sendForm, submitButton } from './ui-preact.js';

/** @typedef {import('./ui-preact.js').FormState} FormState */

const ROLES = ['co', 'lead'];

/** @param {any} d @returns {any[]} */
const itemsOf = (d) => (d && d.items) || [];

/** A mediator's disclosure as one line. @param {any} m */
export function disclosureLine(m) {
  const d = m.disclosure;
  if (!d) return html`<span data-testid="disclosure-state" data-state="missing">${badge(t('mdr.disclosure.missing'), 'warn')}</span>`;
  return html`<span data-testid="disclosure-state" data-state=${d.conflict ? 'conflict' : 'none'}>${d.conflict
    ? t('mdr.disclosure.conflict', { text: d.statement })
    : t('mdr.disclosure.none')}</span>`;
}

export class CaseMediators {
  /** @param {{ caseId: string, user: any, tz: string, changed: () => void, onCaseChange: () => void }} options */
  constructor({ caseId, user, tz, changed, onCaseChange }) {
    this.caseId = caseId;
    this.user = user;
    this.tz = tz;
    this.changed = changed;
    this.onCaseChange = onCaseChange;
    this.view = new Part(() => api.request('GET', `/cases/${encodeURIComponent(caseId)}/mediators`), changed);
    this.directory = new Part(() => api.request('GET', '/mediator-directory').then(itemsOf), changed);
    this.assignForm = formState({ mediator_id: '', role: 'co' });
    this.disclosure = formState({ conflict: '', statement: '' });
    this.signer = new StaffSigner({ userId: () => this.user.id, onChange: changed });
    /** @type {Map<string, { grant: FormState, refuse: FormState }>} */
    this.decisions = new Map();
  }

  load() {
    this.view.load();
    if (this.user.role === 'mediator') {
      if (this.directory.status !== 'ready') this.directory.load();
      if (this.signer.keys === null) this.signer.load();
    }
  }

  /** @param {any} r */
  decisionOf(r) {
    if (!this.decisions.has(r.id)) {
      this.decisions.set(r.id, { grant: formState({ replacement_id: (r.preferred && r.preferred.id) || '' }), refuse: formState({ reason: '' }) });
    }
    return /** @type {{ grant: FormState, refuse: FormState }} */ (this.decisions.get(r.id));
  }

  /** Am I assigned and yet to sign? */
  awaitingMe() {
    const v = this.view.data;
    return Boolean(v && v.awaiting_disclosure.includes(this.user.id));
  }
}

/** @param {{ panel: CaseMediators }} props */
function DisclosureForm({ panel }) {
  const form = panel.disclosure;
  const signer = panel.signer;
  const key = signer.chosen();
  const conflict = form.values.conflict;
  const onSubmit = async (/** @type {any} */ ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!conflict) form.fields.conflict = () => t('error.field.required');
    if (conflict === 'yes' && !String(form.values.statement || '').trim()) form.fields.statement = () => t('error.field.required');
    if (Object.keys(form.fields).length || !key) {
      form.message = () => t('error.invalid_input');
      panel.changed();
      return;
    }
    const body = { key_id: key.key_id, conflict: conflict === 'yes', statement: conflict === 'yes' ? String(form.values.statement).trim() : '' };
    const done = await signer.sign({
      caseId: panel.caseId,
      key,
      prepare: () => api.request('POST', `/cases/${encodeURIComponent(panel.caseId)}/disclosures`, { body }),
      apiText: (err) => errorMessage(err),
    });
    if (done) {
      form.values = { conflict: '', statement: '' };
      form.kind = 'success';
      form.message = () => t('mdr.disclosure.done');
      toast(t('mdr.disclosure.done'));
      panel.view.load();
      panel.onCaseChange();
    }
    panel.changed();
  };
  const choose = (/** @type {string} */ v) => {
    form.values.conflict = v;
    panel.changed();
  };
  const make = html`<button type="button" class="secondary" disabled=${signer.busy} onClick=${() => signer.register()} data-testid="disclosure-make-key">${t('mdr.key.make')}</button>`;
  const none = html`<div class="notice"><p>${t('mdr.key.none')}</p>${make}</div>`;
  const elsewhere = (signer.keys || []).length && !signer.canSignHere() ? html`<div class="wide notice"><p>${t('mdr.key.elsewhere')}</p>${make}</div>` : null;
  const wrongConflict = form.fields.conflict;
  return html`<form class="grid-form disclosure-form" novalidate aria-labelledby="disclosure-title" onSubmit=${onSubmit} data-testid="disclosure-form">
    <h3 id="disclosure-title" class="wide">${t('mdr.disclosure.title')}</h3>
    <${FormStateMessage} form=${form} />
    <fieldset class="wide" aria-invalid=${wrongConflict ? 'true' : undefined}>
      <legend>${t('mdr.disclosure.question')}</legend>
      <label class="choice"><input type="radio" name="conflict" value="no" checked=${conflict === 'no'} onChange=${() => choose('no')} data-testid="disclosure-no" /> ${t('mdr.disclosure.no')}</label>
      <label class="choice"><input type="radio" name="conflict" value="yes" checked=${conflict === 'yes'} onChange=${() => choose('yes')} data-testid="disclosure-yes" /> ${t('mdr.disclosure.yes')}</label>
      ${wrongConflict ? html`<p class="field-error" role="alert">${wrongConflict()}</p>` : null}
    </fieldset>
    ${conflict === 'yes'
      ? html`<${FormField} form=${form} idPrefix="disclosure" label=${t('mdr.disclosure.statement')} name="statement" kind="textarea" required className="wide"
          hint=${t('mdr.disclosure.statement.hint')} attrs=${{ maxlength: 2000 }} />`
      : null}
    <p class="wide declaration">${t('mdr.disclosure.declaration')}</p>
    <div class="wide">${signer.keyChoices({ name: 'disclosure-key', testid: 'disclosure-key', none, tz: panel.tz })}</div>
    ${elsewhere}
    <${MessageLine} m=${signer.message} testid="disclosure-sign-message" />
    <div class="actions wide">
      <button type="submit" class="primary" disabled=${signer.busy || !key} data-testid="disclosure-sign">${signer.busy ? t('common.submitting') : t('mdr.disclosure.sign')}</button>
    </div>
  </form>`;
}

/** @param {{ panel: CaseMediators }} props */
function AssignForm({ panel }) {
  const form = panel.assignForm;
  const v = panel.view.data;
  const current = new Set(v ? v.mediators.map((/** @type {any} */ m) => m.id) : []);
  const choices = /** @type {any[]} */ (panel.directory.data || []).filter((m) => !current.has(m.id) || form.values.role === 'lead');
  const onSubmit = (/** @type {any} */ ev) =>
    sendForm(ev, form, ['mediator_id'], panel.changed, async () => {
      const chosen = choices.find((m) => m.id === form.values.mediator_id);
      await api.request('POST', `/cases/${encodeURIComponent(panel.caseId)}/mediators`, { body: { mediator_id: form.values.mediator_id, role: form.values.role } });
      const name = chosen ? chosen.display_name : '';
      form.values = { mediator_id: '', role: 'co' };
      form.kind = 'success';
      form.message = () => t('mdr.assign.done', { name });
      toast(t('mdr.assign.done', { name }));
      panel.view.load();
      panel.onCaseChange();
    });
  return html`<form class="grid-form" novalidate aria-labelledby="assign-title" onSubmit=${onSubmit} data-testid="assign-form">
    <h3 id="assign-title" class="wide">${t('mdr.assign.title')}</h3>
    <${FormStateMessage} form=${form} />
    <${FormField} form=${form} idPrefix="assign" label=${t('mdr.assign.mediator')} name="mediator_id" kind="select" required placeholder=${t('common.select')}
      options=${choices.map((m) => ({ value: m.id, label: m.display_name }))} />
    <${FormField} form=${form} idPrefix="assign" label=${t('mdr.assign.role')} name="role" kind="select" required hint=${t('mdr.assign.role.hint')}
      options=${ROLES.map((r) => ({ value: r, label: tv('mdr.role', r) }))} onChange=${() => panel.changed()} />
    <div class="actions wide">${submitButton(form, t('mdr.assign.submit'), 'assign-submit')}</div>
  </form>`;
}

/** @param {{ panel: CaseMediators, r: any }} props */
function DecideForms({ panel, r }) {
  const { grant, refuse } = panel.decisionOf(r);
  const directory = /** @type {any[]} */ (panel.directory.data || []).filter((m) => !r.mediator || m.id !== r.mediator.id);
  const decided = () => {
    toast(t('mdr.decide.done'));
    panel.view.load();
    panel.onCaseChange();
  };
  const url = `/mediator-changes/${encodeURIComponent(r.id)}/decision`;
  const onGrant = (/** @type {any} */ ev) =>
    sendForm(ev, grant, ['replacement_id'], panel.changed, async () => {
      await api.request('POST', url, { body: { grant: true, replacement_id: grant.values.replacement_id } });
      decided();
    });
  const onRefuse = (/** @type {any} */ ev) =>
    sendForm(ev, refuse, ['reason'], panel.changed, async () => {
      await api.request('POST', url, { body: { grant: false, reason: String(refuse.values.reason).trim() } });
      decided();
    });
  return html`<div class="two-col">
    <form class="grid-form" novalidate aria-label=${t('mdr.decide.grant')} onSubmit=${onGrant} data-testid="grant-form">
      <${FormStateMessage} form=${grant} />
      <${FormField} form=${grant} idPrefix=${`grant-${r.id}`} label=${t('mdr.decide.replacement')} name="replacement_id" kind="select" required
        placeholder=${t('common.select')} options=${directory.map((m) => ({ value: m.id, label: m.display_name }))} />
      <div class="actions">${submitButton(grant, t('mdr.decide.grant'), 'grant-change')}</div>
    </form>
    <form class="grid-form" novalidate aria-label=${t('mdr.decide.refuse')} onSubmit=${onRefuse} data-testid="refuse-form">
      <${FormStateMessage} form=${refuse} />
      <${FormField} form=${refuse} idPrefix=${`refuse-${r.id}`} label=${t('mdr.decide.refuse_reason')} name="reason" kind="textarea" required attrs=${{ maxlength: 2000 }} />
      <div class="actions">${submitButton(refuse, t('mdr.decide.refuse'), 'refuse-change')}</div>
    </form>
  </div>`;
}

/**
 * The case page's 调解员 section. A mediator of the case's organisation assigns and decides; an
 * assigned mediator signs their disclosure; a supervisor reads.
 * @param {{ panel: CaseMediators, k: any, writable: boolean }} props
 */
export function CaseMediatorsSection({ panel, k, writable }) {
  const me = panel.user;
  const v = panel.view.data;
  const assignedToMe = Boolean(v && v.mediators.some((/** @type {any} */ m) => m.id === me.id));
  const body = panel.view.view((data) =>
    html`<ol class="mediator-list" data-testid="case-mediators">
      ${data.mediators.map(
        (/** @type {any} */ m) => html`<li key=${m.id} class="mediator-item" data-testid="case-mediator" data-role=${m.role}>
          <strong>${m.display_name}</strong> ${badge(tv('mdr.role', m.role), m.role === 'lead' ? 'ok' : '')}
          ${m.chosen_by ? html` <span class="muted small">${t('mdr.chosen_by', { name: m.chosen_by })}</span>` : null}
          <p class="small">${disclosureLine(m)}</p>
        </li>`,
      )}
    </ol>`,
  );
  const requests = v ? /** @type {any[]} */ (v.requests) : [];
  return html`<${Section} id="mediators" title=${t('mdr.title')}>
    ${panel.awaitingMe() ? html`<p class="notice" role="status" data-testid="disclosure-reminder">${t('mdr.disclosure.reminder', { name: me.display_name })}</p>` : null}
    <p class="muted">${t('mdr.intro')}</p>
    <div id="mediators-body" aria-live="polite">${body}</div>
    ${requests.length
      ? html`<h3>${t('mdr.requests.title')}</h3>
          <ol class="mediator-requests">${requests.map(
            (r) => html`<${RequestItem} key=${r.id} r=${r} tz=${panel.tz} />${writable && r.status === 'pending' && k.status === 'open' ? html`<${DecideForms} key=${`d-${r.id}`} panel=${panel} r=${r} />` : null}`,
          )}</ol>`
      : null}
    ${assignedToMe && me.role === 'mediator' && k.status === 'open' ? html`${panel.awaitingMe() ? null : html`<p class="muted small">${t('mdr.disclosure.again')}</p>`}<${DisclosureForm} panel=${panel} />` : null}
    ${writable && k.status === 'open' ? html`<${AssignForm} panel=${panel} />` : null}
  </${Section}>`;
}
