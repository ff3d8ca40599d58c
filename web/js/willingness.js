// @ts-check
// The case page's "does the other side agree to mediation" (server/domain/willingness.py): each
// respondent's answer, or "等待答复，截止 X月X日"; for a case registered at the window, the
// mediator's button to ask, with the last day to answer (by default the third working day).
// Sessions may be booked meanwhile: the section then says the other side has not agreed yet.

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import * as api from './api.js';
import { t, fmtDateTime, fmtDayHeader, getLang } from './i18n.js';
import './willingness-i18n.js';
import { toast } from './ui.js';
import { Field, FormMessage, Section, badge, formErrors, noErrors } from './ui-preact.js';

/** The answers of a case (GET /cases/<id>/willingness). @param {string} caseId @returns {Promise<any>} */
export const willingnessOf = (caseId) => api.request('GET', `/cases/${encodeURIComponent(caseId)}/willingness`);

const BADGES = /** @type {Record<string, string>} */ ({ accepted: 'ok', refused: 'bad', silent: 'bad' });

/** One respondent's answer, as a line of the list. @param {{ a: any, tz: string }} props */
function AnswerLine({ a, tz }) {
  const text = a.answer ? t(`wil.answer.${a.answer}`) : t('wil.answer.waiting', { day: fmtDayHeader(a.due_date) });
  return html`<li class="wil-answer" data-testid="wil-answer" data-answer=${a.answer || 'waiting'}>
    <strong>${a.name}</strong> ${badge(text, a.answer ? BADGES[a.answer] : 'warn')}
    ${a.reason ? html`<span class="muted"> ${t('wil.answer.reason', { reason: a.reason })}</span>` : null}
    ${a.answered_at && a.answer !== 'silent' ? html`<span class="muted"> · ${t('wil.answered_at', { time: fmtDateTime(a.answered_at, tz) })}</span>` : null}
  </li>`;
}

/** The mediator's ask: the last day, empty for the default. @param {{ caseId: string, onDone: () => void }} props */
function AskForm({ caseId, onDone }) {
  const [state, setState] = useState({ due: '', errors: noErrors(), busy: false });
  const submit = async (/** @type {any} */ ev) => {
    ev.preventDefault();
    setState((s) => ({ ...s, busy: true, errors: noErrors() }));
    try {
      await api.request('POST', `/cases/${encodeURIComponent(caseId)}/willingness`, { body: state.due ? { due_date: state.due } : {} });
      setState({ due: '', errors: noErrors(), busy: false });
      toast(t('wil.asked'));
      onDone();
    } catch (err) {
      setState((s) => ({ ...s, busy: false, errors: formErrors(err, ['due_date']) }));
    }
  };
  return html`<form class="wil-ask grid-form" novalidate onSubmit=${submit} data-testid="wil-ask-form">
    <${FormMessage} text=${state.errors.message} />
    <p class="hint wide">${t('wil.ask.hint')}</p>
    <${Field} type="date" label=${t('wil.due')} name="due_date" idPrefix=${`wil-${caseId}`} optional hint=${t('wil.due.hint')}
      value=${state.due} error=${state.errors.fields.due_date} attrs=${{ 'data-testid': 'wil-due' }} onInput=${(/** @type {string} */ v) => setState((s) => ({ ...s, due: v }))} />
    <div class="actions wide">
      <button type="submit" class="primary" disabled=${state.busy} data-testid="wil-ask">${state.busy ? t('common.submitting') : t('wil.ask')}</button>
    </div>
  </form>`;
}

/**
 * The section. `data`: the GET answer (null while loading); `canAsk`: the reader may change the case.
 * @param {{ caseId: string, data: any, kase: any, tz: string, canAsk: boolean, onDone: () => void }} props
 */
export function WillingnessSection({ caseId, data, kase, tz, canAsk, onDone }) {
  if (!data) return null;
  const answers = /** @type {any[]} */ (data.answers || []);
  const open = kase && kase.status === 'open';
  const respondents = ((kase && kase.parties) || []).filter((/** @type {any} */ p) => p.role === 'respondent');
  if (!answers.length && !(open && canAsk && respondents.length)) return null;
  return html`<${Section} id="willingness" title=${t('wil.section')}>
    <div id="willingness-body" aria-live="polite" data-testid="willingness" data-state=${data.state}>
      ${data.ended ? html`<p class="notice bad" role="status" data-testid="wil-ended">${t('wil.ended', { reason: getLang() === 'en' ? data.ended.en : data.ended.zh })}</p>` : null}
      ${data.state === 'waiting' && open ? html`<p class="notice" role="status" data-testid="wil-not-yet">${t('wil.not_yet_agreed')}</p>` : null}
      ${data.state === 'accepted' ? html`<p class="notice ok" role="status">${t('wil.all_agreed')}</p>` : null}
      ${answers.length ? html`<ul class="wil-answers plain-list">${answers.map((a) => html`<${AnswerLine} key=${a.id} a=${a} tz=${tz} />`)}</ul>` : html`<p class="empty">${t('wil.none')}</p>`}
      ${open && canAsk && respondents.length > answers.length ? html`<${AskForm} caseId=${caseId} onDone=${onDone} />` : null}
    </div>
  </${Section}>`;
}
