// @ts-check
// Supervision on a case, shared by the supervisors' board (pages/supervision.js) and the case page
// (pages/case.js): a case's instructions (督办) with their replies (反馈), the supervisor's form to issue
// one, and the mediator's form to answer one. Each form keeps what is typed in its own state, which a
// redraw of the page (a poll, a change of language) keeps, since the forms are keyed by what they are for.

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import * as api from './api.js';
import { t, fmtDateTime } from './i18n.js';
import './supervision-i18n.js';
import { toast } from './ui.js';
import { Field, FormMessage, badge, formErrors, noErrors } from './ui-preact.js';

/** A case's instructions (GET /cases/<id>/supervision). @param {string} caseId @returns {Promise<any[]>} */
export const instructionsOf = (caseId) =>
  api.request('GET', `/cases/${encodeURIComponent(caseId)}/supervision`).then((d) => /** @type {any[]} */ ((d && d.items) || []));

/**
 * A form's state kept by the component: its values, what is wrong, whether it is being sent.
 * @param {Record<string, string>} values
 */
function useForm(values) {
  const [state, setState] = useState({ values, errors: noErrors(), busy: false });
  return {
    state,
    /** @param {string} name @param {string} value */
    set: (name, value) => setState((s) => ({ ...s, values: { ...s.values, [name]: value } })),
    /** @param {Partial<typeof state>} change */
    patch: (change) => setState((s) => ({ ...s, ...change })),
  };
}

/** The supervisor's form: what to do, and the day a reply is due. @param {{ caseId: string, number?: string, onDone: () => void }} props */
export function IssueForm({ caseId, number, onDone }) {
  const { state, set, patch } = useForm({ text: '', due_date: '' });
  const prefix = `sup-${caseId}`;
  const submit = async (/** @type {any} */ ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (!state.values.text.trim()) {
      patch({ errors: { message: '', fields: { text: t('error.field.required') } } });
      return;
    }
    patch({ busy: true, errors: noErrors() });
    try {
      /** @type {Record<string, string>} */
      const body = { text: state.values.text.trim() };
      if (state.values.due_date) body.due_date = state.values.due_date;
      await api.request('POST', `/cases/${encodeURIComponent(caseId)}/supervision`, { body });
      patch({ busy: false, values: { text: '', due_date: '' } });
      toast(t('sup.issue.done'));
      onDone();
    } catch (err) {
      patch({ busy: false, errors: formErrors(err, ['text', 'due_date']) });
      /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))?.focus();
    }
  };
  return html`<form class="sup-issue grid-form" novalidate aria-label=${number ? t('sup.issue.for', { number }) : t('sup.issue.title')} onSubmit=${submit} data-testid="sup-issue-form">
    <${FormMessage} text=${state.errors.message} />
    <${Field} kind="textarea" label=${t('sup.issue.text')} name="text" idPrefix=${prefix} className="wide" required hint=${t('sup.issue.text.hint')}
      value=${state.values.text} error=${state.errors.fields.text} attrs=${{ maxlength: 2000, 'data-testid': 'sup-issue-text' }} onInput=${(v) => set('text', v)} />
    <${Field} type="date" label=${t('sup.issue.due')} name="due_date" idPrefix=${prefix} optional
      value=${state.values.due_date} error=${state.errors.fields.due_date} attrs=${{ 'data-testid': 'sup-issue-due' }} onInput=${(v) => set('due_date', v)} />
    <div class="actions wide">
      <button type="submit" class="primary" disabled=${state.busy} data-testid="sup-issue-submit">${state.busy ? t('common.submitting') : t('sup.issue.submit')}</button>
    </div>
  </form>`;
}

/** The mediator's answer to one instruction. @param {{ item: any, onDone: () => void }} props */
function ReplyForm({ item, onDone }) {
  const { state, set, patch } = useForm({ text: '' });
  const submit = async (/** @type {any} */ ev) => {
    ev.preventDefault();
    if (!state.values.text.trim()) {
      patch({ errors: { message: '', fields: { text: t('error.field.required') } } });
      return;
    }
    patch({ busy: true, errors: noErrors() });
    try {
      await api.request('POST', `/supervision/${encodeURIComponent(item.id)}/reply`, { body: { text: state.values.text.trim() } });
      patch({ busy: false, values: { text: '' } });
      toast(t('sup.reply.done'));
      onDone();
    } catch (err) {
      patch({ busy: false, errors: formErrors(err, ['text']) });
    }
  };
  return html`<form class="sup-reply-form" novalidate onSubmit=${submit} data-testid="sup-reply-form">
    <${FormMessage} text=${state.errors.message} />
    <${Field} kind="textarea" label=${t('sup.reply.text')} name="text" idPrefix=${`sup-reply-${item.id}`} required hint=${t('sup.reply.hint')}
      value=${state.values.text} error=${state.errors.fields.text} attrs=${{ maxlength: 2000, 'data-testid': 'sup-reply-text' }} onInput=${(v) => set('text', v)} />
    <div class="actions"><button type="submit" class="primary" disabled=${state.busy} data-testid="sup-reply-submit">${state.busy ? t('common.submitting') : t('sup.reply.submit')}</button></div>
  </form>`;
}

/**
 * One instruction: its words, who gave it and when, its due date, and the reply or (for the case's
 * mediator) the form to give one.
 * @param {{ item: any, tz: string, canReply?: boolean, onChanged?: () => void }} props
 */
export function Instruction({ item, tz, canReply = false, onChanged = () => {} }) {
  const by = item.issued_by || {};
  const state = item.awaiting_reply
    ? badge(item.overdue ? t('sup.item.overdue') : t('sup.item.awaiting'), item.overdue ? 'warn' : 'muted')
    : null;
  return html`<li class="sup-item" data-testid="sup-item" data-awaiting=${item.awaiting_reply ? 'true' : 'false'}>
    <p class="sup-text" data-testid="sup-text">${item.text}</p>
    <p class="muted small">
      ${t('sup.item.by', { name: by.display_name || '', org: by.organisation || '', time: fmtDateTime(item.issued_at, tz) })}
      ${item.due_date ? ` · ${t('sup.item.due', { date: item.due_date })}` : ''} ${state}
    </p>
    ${item.reply
      ? html`<div class="sup-reply">
          <p class="muted small">${t('sup.item.replied', { name: (item.replied_by && item.replied_by.display_name) || '', time: fmtDateTime(item.replied_at, tz) })}</p>
          <p data-testid="sup-reply">${item.reply}</p>
        </div>`
      : null}
    ${item.awaiting_reply && canReply ? html`<${ReplyForm} item=${item} onDone=${onChanged} />` : null}
  </li>`;
}

/** A list of instructions, oldest first. @param {{ items: any[], tz: string, canReply?: boolean, onChanged?: () => void }} props */
export const Instructions = ({ items, tz, canReply = false, onChanged = () => {} }) =>
  items.length
    ? html`<ol class="sup-list">${items.map((i) => html`<${Instruction} key=${i.id} item=${i} tz=${tz} canReply=${canReply} onChanged=${onChanged} />`)}</ol>`
    : html`<p class="empty">${t('sup.section.none')}</p>`;
