// @ts-check
// Extending the mediation period by every party's agreement (server/domain/extensions.py), as staff
// see it: the case page's section (the mediator proposes a new last day with a reason, sees who has
// agreed, who has not and who declined, what became of the text telling each party (outbox.js), and
// may withdraw a proposal until it takes effect; a supervisor reads it), and the line "已延长至 X月X日（双方同意）" that the case page, the mediator's
// case list and the supervision board show under a clock the parties extended.

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import * as api from './api.js';
import { t, fmtDateTime, fmtDayLong, locale } from './i18n.js';
import './extension-i18n.js';
import { toast, confirmDialog } from './ui.js';
import { Field, FormMessage, badge, formErrors, noErrors } from './ui-preact.js';
import { NoticeState } from './outbox.js';

/** A case's proposals (GET /cases/<id>/extensions): {last_day, extended, items}. @param {string} caseId */
export const extensionsOf = (caseId) => api.request('GET', `/cases/${encodeURIComponent(caseId)}/extensions`);

/**
 * A calendar day ("YYYY-MM-DD") as month and day: 1月10日, January 10.
 * @param {string} day
 */
export function monthDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', month: 'long', day: 'numeric' }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

/**
 * "已延长至 1月10日（双方同意）" for a mediation clock the parties extended, else null.
 * @param {any} clock the API's clock (server/http/views.py `clock`)
 */
export const extendedLine = (clock) => (clock && clock.extended ? t('ext.extended_to', { date: monthDay(clock.due_date) }) : null);

const STATUS_BADGE = /** @type {Record<string, string>} */ ({ proposed: 'warn', extended: 'ok', declined: 'bad', withdrawn: '' });

/** @param {any} s a signer @param {string} tz */
function signerState(s, tz) {
  if (s.declined) return badge(t('ext.signer.declined'), 'bad');
  if (s.signed_at) return badge(t('ext.signer.signed', { time: fmtDateTime(s.signed_at, tz) }), 'ok');
  return badge(t('ext.signer.waiting'), 'warn');
}

/**
 * One proposal: the day, the reason, who proposed it, each party's answer, and what came of it.
 * @param {{ item: any, tz: string, canWithdraw: boolean, onChanged: () => void }} props
 */
function Proposal({ item, tz, canWithdraw, onChanged }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const waiting = item.signers.filter((/** @type {any} */ s) => !s.signed_at).map((/** @type {any} */ s) => s.name);
  const withdraw = async () => {
    if (!(await confirmDialog({ title: t('ext.withdraw'), message: t('ext.withdraw.confirm'), confirmLabel: t('ext.withdraw'), danger: true })).ok) return;
    setBusy(true);
    setError('');
    try {
      await api.request('POST', `/cases/${encodeURIComponent(item.case_id)}/extensions/${encodeURIComponent(item.id)}/withdraw`, { body: {} });
      toast(t('ext.withdraw.done'));
      onChanged();
    } catch (err) {
      setError(formErrors(err, []).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="ext-proposal" data-testid="ext-proposal" data-status=${item.status}>
    <p class="ext-head"><strong>${t('ext.proposal', { date: fmtDayLong(item.to_date) })}</strong> ${badge(t(`ext.status.${item.status}`), STATUS_BADGE[item.status] || '')}</p>
    <p class="muted">${t('ext.proposal.by', { name: item.proposed_by.display_name, time: fmtDateTime(item.proposed_at, tz) })}</p>
    <p>${t('ext.reason', { reason: item.reason })}</p>
    <ul class="ext-signers" data-testid="ext-signers">
      ${item.signers.map(
        (/** @type {any} */ s) => html`<li key=${s.party_id} data-testid="ext-signer" data-signed=${s.signed_at ? 'yes' : s.declined ? 'declined' : 'no'}>
          ${s.name} ${signerState(s, tz)}
          ${s.notice ? html`<span class="ext-notice muted small" data-testid="ext-notice">${t('ext.signer.notice')} <${NoticeState} notice=${s.notice} /></span>` : null}
        </li>`,
      )}
    </ul>
    ${item.status === 'extended' ? html`<p class="notice ok" role="status" data-testid="ext-extended">${t('ext.extended.note', { date: fmtDayLong(item.to_date), seq: item.seq })}</p>` : null}
    ${item.status === 'declined' && item.declined_by
      ? html`<p class="notice" role="status" data-testid="ext-declined">${t('ext.declined.note', { name: item.declined_by.name })}</p>
          ${item.decline_reason ? html`<p>${t('ext.declined.reason', { name: item.declined_by.name, reason: item.decline_reason })}</p>` : null}`
      : null}
    ${item.status === 'proposed' && waiting.length ? html`<p class="hint" data-testid="ext-waiting">${t('ext.waiting.note', { names: waiting.join('、') })}</p>` : null}
    <${FormMessage} text=${error} />
    ${item.status === 'proposed' && canWithdraw
      ? html`<div class="actions"><button type="button" class="secondary" disabled=${busy} onClick=${withdraw} data-testid="ext-withdraw">${t('ext.withdraw')}</button></div>`
      : null}
  </div>`;
}

/**
 * The mediator's form: the new last day and why.
 * @param {{ caseId: string, lastDay: string, onDone: () => void }} props
 */
function ProposeForm({ caseId, lastDay, onDone }) {
  const [state, setState] = useState({ values: { to_date: '', reason: '' }, errors: noErrors(), busy: false });
  /** @param {Partial<typeof state>} change */
  const patch = (change) => setState((s) => ({ ...s, ...change }));
  /** @param {string} name @param {string} value */
  const set = (name, value) => setState((s) => ({ ...s, values: { ...s.values, [name]: value } }));
  const submit = async (/** @type {any} */ ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const v = state.values;
    /** @type {Record<string, string>} */
    const fields = {};
    if (!v.to_date) fields.to_date = t('error.field.required');
    if (!v.reason.trim()) fields.reason = t('error.field.required');
    if (Object.keys(fields).length) {
      patch({ errors: { message: '', fields } });
      /** @type {HTMLElement | null} */ (form.querySelector(`[name="${Object.keys(fields)[0]}"]`))?.focus();
      return;
    }
    patch({ busy: true, errors: noErrors() });
    try {
      await api.request('POST', `/cases/${encodeURIComponent(caseId)}/extensions`, { body: { to_date: v.to_date, reason: v.reason.trim() } });
      patch({ busy: false, values: { to_date: '', reason: '' } });
      toast(t('ext.propose.done'));
      onDone();
    } catch (err) {
      patch({ busy: false, errors: formErrors(err, ['to_date', 'reason']) });
      /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))?.focus();
    }
  };
  const prefix = `ext-${caseId}`;
  return html`<form class="ext-propose grid-form" novalidate aria-label=${t('ext.propose.title')} onSubmit=${submit} data-testid="ext-propose-form">
    <${FormMessage} text=${state.errors.message} />
    <${Field} type="date" label=${t('ext.propose.to')} name="to_date" idPrefix=${prefix} required hint=${t('ext.propose.to.hint')}
      value=${state.values.to_date} error=${state.errors.fields.to_date} attrs=${{ min: lastDay, 'data-testid': 'ext-to-date' }} onInput=${(/** @type {string} */ x) => set('to_date', x)} />
    <${Field} kind="textarea" label=${t('ext.propose.reason')} name="reason" idPrefix=${prefix} className="wide" required hint=${t('ext.propose.reason.hint')}
      value=${state.values.reason} error=${state.errors.fields.reason} attrs=${{ maxlength: 2000, 'data-testid': 'ext-reason' }} onInput=${(/** @type {string} */ x) => set('reason', x)} />
    <div class="actions wide">
      <button type="submit" class="primary" disabled=${state.busy} data-testid="ext-propose">${state.busy ? t('common.submitting') : t('ext.propose.submit')}</button>
    </div>
  </form>`;
}

/**
 * The section's body: the law in a line, the current last day, the newest proposal, the form (for
 * the case's mediators while the case is open and nothing waits), and earlier proposals folded.
 * @param {{ caseId: string, data: any, open: boolean, canAct: boolean, tz: string, onChanged: () => void }} props
 */
export function ExtensionsBody({ caseId, data, open, canAct, tz, onChanged }) {
  const items = /** @type {any[]} */ (data.items || []);
  const [latest, ...earlier] = items;
  const pending = latest && latest.status === 'proposed';
  return html`<div class="ext-body" data-testid="ext-body">
    <p class="hint">${t('ext.law')}</p>
    <p data-testid="ext-last-day">${t('ext.last_day', { date: fmtDayLong(data.last_day) })}${data.extended ? html` · <strong>${t('ext.extended_to', { date: monthDay(data.last_day) })}</strong>` : null}</p>
    ${latest ? html`<${Proposal} key=${latest.id} item=${latest} tz=${tz} canWithdraw=${canAct} onChanged=${onChanged} />` : html`<p class="muted">${t('ext.none')}</p>`}
    ${!open ? html`<p class="muted">${t('ext.closed')}</p>` : null}
    ${open && canAct && !pending ? html`<h3>${t('ext.propose.title')}</h3><${ProposeForm} key=${caseId} caseId=${caseId} lastDay=${data.last_day} onDone=${onChanged} />` : null}
    ${earlier.length
      ? html`<details class="ext-earlier"><summary>${t('ext.earlier')}</summary>
          ${earlier.map((/** @type {any} */ item) => html`<${Proposal} key=${item.id} item=${item} tz=${tz} canWithdraw=${false} onChanged=${onChanged} />`)}
        </details>`
      : null}
  </div>`;
}
