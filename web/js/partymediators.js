// @ts-check
// The party's 调解员 card (issue #21): who mediates their dispute, the directory of their case's
// organisation (photo, languages, specialities, profile: 在线调解规则 art. 5) to choose from, and the
// request for another mediator (回避, art. 14) with the organisation's decision. Loaded by
// pages/party.js after the first screen; drawn by the page's Preact render, its form kept in `form`.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, tv, fmtShortDateTime } from './i18n.js';
import './mediators-i18n.js';
import { Part, badge, FormField, FormStateMessage, formState, clearErrors, showApiError, focusInvalid } from './ui-preact.js';

/** @typedef {import('./ui-preact.js').FormState} FormState */

/** A party's request and what became of it. @param {{ r: any, tz: string }} props */
export function RequestItem({ r, tz }) {
  const what = [r.mediator ? t('mdr.request.replace', { name: r.mediator.display_name }) : null, r.preferred ? t('mdr.request.prefer', { name: r.preferred.display_name }) : null]
    .filter(Boolean)
    .join('，');
  return html`<li class="mediator-request" data-testid="mediator-request" data-status=${r.status}>
    <p><strong>${t('mdr.request.line', { party: r.party.name || '', what })}</strong> ${badge(tv('mdr.status', r.status), r.status === 'refused' ? 'warn' : r.status === 'granted' ? 'ok' : 'muted')}</p>
    <p>${t('mdr.request.reason', { text: r.reason })}</p>
    <p class="muted small">${t('mdr.request.at', { time: fmtShortDateTime(r.requested_at, tz) })}</p>
    ${r.status === 'granted' ? html`<p data-testid="mediator-decision">${t('mdr.decision.granted', { name: r.decided_by || '', replacement: (r.replacement && r.replacement.display_name) || '' })}</p>` : null}
    ${r.status === 'refused' ? html`<p data-testid="mediator-decision">${t('mdr.decision.refused', { name: r.decided_by || '', text: r.decision_reason || '' })}</p>` : null}
  </li>`;
}


const blank = () => ({ mediator_id: '', preferred_id: '', reason: '' });

export class PartyMediators {
  /** @param {{ changed: () => void, organisation: string, tz: string }} options */
  constructor({ changed, organisation, tz }) {
    this.changed = changed;
    this.organisation = organisation;
    this.tz = tz;
    this.part = new Part(() => api.request('GET', '/party/mediators'), changed);
    this.form = formState(blank());
  }

  load() {
    return this.part.load();
  }

  /** "选择这位调解员": the form's preference, then the reason to write. @param {any} m */
  choose(m) {
    this.form.values.preferred_id = m.id;
    clearErrors(this.form);
    this.form.kind = 'info';
    this.form.message = () => t('mdr.party.chosen', { name: m.display_name });
    this.changed();
    /** @type {HTMLElement | null} */ (document.getElementById('change-reason'))?.focus();
  }

  /** @param {any} ev */
  async send(ev) {
    ev.preventDefault();
    const form = this.form;
    const button = ev.currentTarget.querySelector('button[type="submit"]');
    clearErrors(form);
    const v = form.values;
    if (!String(v.reason).trim()) form.fields.reason = () => t('error.field.required');
    if (!v.mediator_id && !v.preferred_id) form.fields.preferred_id = () => t('mdr.party.form.pick_one');
    if (Object.keys(form.fields).length) {
      form.message = () => t('error.invalid_input');
      this.changed();
      focusInvalid(button);
      return;
    }
    form.busy = true;
    this.changed();
    try {
      const body = { mediator_id: v.mediator_id || null, preferred_id: v.preferred_id || null, reason: String(v.reason).trim() };
      await api.request('POST', '/party/mediator-changes', { body });
      await this.part.load();
      form.values = blank();
      form.kind = 'success';
      form.message = () => t('mdr.party.form.done');
    } catch (err) {
      showApiError(form, err);
    } finally {
      form.busy = false;
      this.changed();
    }
    focusInvalid(button);
  }
}

/** One mediator of the directory. @param {{ m: any, panel: PartyMediators, current: boolean }} props */
function Entry({ m, panel, current }) {
  const list = (/** @type {string[]} */ codes, /** @type {string} */ prefix) => codes.map((c) => tv(prefix, c)).join('、');
  return html`<li class="directory-entry" data-testid="directory-entry">
    ${m.photo_url
      ? html`<img class="directory-photo" src=${m.photo_url} alt=${t('mdr.photo.alt', { name: m.display_name })} width="96" height="96" loading="lazy" />`
      : html`<span class="directory-photo placeholder" aria-hidden="true">${m.display_name.slice(0, 1)}</span>`}
    <div class="directory-text">
      <p class="directory-name">${m.display_name}</p>
      ${m.languages.length ? html`<p class="small">${t('mdr.languages', { list: list(m.languages, 'mdr.lang') })}</p>` : null}
      ${m.specialities.length ? html`<p class="small">${t('mdr.specialities', { list: list(m.specialities, 'dispute') })}</p>` : null}
      ${m.profile ? html`<p class="small muted">${m.profile}</p>` : null}
      ${current
        ? null
        : html`<button type="button" class="secondary" onClick=${() => panel.choose(m)} data-testid="choose-mediator">${t('mdr.party.choose')}</button>`}
    </div>
  </li>`;
}

/** The party's card. @param {{ panel: PartyMediators }} props */
export function PartyMediatorsCard({ panel }) {
  const body = panel.part.view((data) => {
    const current = new Set(data.mediators.map((/** @type {any} */ m) => m.id));
    const form = panel.form;
    const pending = data.requests.some((/** @type {any} */ r) => r.status === 'pending');
    return html`
      <h3>${t('mdr.party.current')}</h3>
      <ul class="current-mediators" data-testid="party-mediators">
        ${data.mediators.map((/** @type {any} */ m) => html`<li key=${m.id}><strong>${m.display_name}</strong> · ${tv('mdr.role', m.role)}</li>`)}
      </ul>
      ${data.requests.length
        ? html`<h3>${t('mdr.party.requests')}</h3>
            <ol class="mediator-requests" data-testid="party-requests">${data.requests.map((/** @type {any} */ r) => html`<${RequestItem} key=${r.id} r=${r} tz=${panel.tz} />`)}</ol>`
        : null}
      <h3>${t('mdr.party.directory', { org: panel.organisation })}</h3>
      <p class="hint">${t('mdr.party.directory.hint')}</p>
      <ul class="directory" data-testid="directory">
        ${data.directory.map((/** @type {any} */ m) => html`<${Entry} key=${m.id} m=${m} panel=${panel} current=${current.has(m.id)} />`)}
      </ul>
      ${pending
        ? html`<p class="notice" role="status" data-testid="change-pending">${t('mdr.party.pending')}</p>`
        : html`<form class="change-form" novalidate aria-labelledby="change-title" onSubmit=${(/** @type {any} */ ev) => panel.send(ev)} data-testid="change-form">
            <h3 id="change-title">${t('mdr.party.form.title')}</h3>
            <${FormStateMessage} form=${form} />
            <${FormField} form=${form} idPrefix="change" label=${t('mdr.party.form.replace')} name="mediator_id" kind="select"
              placeholder=${t('mdr.party.form.replace.none')} options=${data.mediators.map((/** @type {any} */ m) => ({ value: m.id, label: m.display_name }))} />
            <${FormField} form=${form} idPrefix="change" label=${t('mdr.party.form.prefer')} name="preferred_id" kind="select"
              placeholder=${t('mdr.party.form.prefer.none')}
              options=${data.directory.filter((/** @type {any} */ m) => !current.has(m.id)).map((/** @type {any} */ m) => ({ value: m.id, label: m.display_name }))} />
            <${FormField} form=${form} idPrefix="change" label=${t('mdr.party.form.reason')} name="reason" kind="textarea" required
              hint=${t('mdr.party.form.reason.hint')} attrs=${{ maxlength: 2000 }} />
            <button type="submit" class="primary big" disabled=${form.busy} data-testid="change-submit">${form.busy ? t('common.submitting') : t('mdr.party.form.submit')}</button>
          </form>`}`;
  });
  return html`<section class="party-card mediators-card" aria-labelledby="mediators-title" data-testid="mediators-card">
    <h2 id="mediators-title">${t('mdr.party.title')}</h2>
    ${body}
  </section>`;
}
