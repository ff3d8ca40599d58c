// @ts-check
// The supervisors' side of ratings and complaints (server/domain/satisfaction.py, #22), on the
// supervision board (pages/supervision.js): the parties' complaints addressed to the supervisor's
// organisation or those below it, each with the form to answer it once; and each mediator's record
// of ratings (count, average, comments with the case number, never a party's name). The answer's
// text stays in its form's own state through every redraw (the form is keyed by the complaint).

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import * as api from './api.js';
import { t, fmtDateTime } from './i18n.js';
import './satisfaction-i18n.js';
import { toast } from './ui.js';
import { Field, FormMessage, badge, empty, formErrors, noErrors } from './ui-preact.js';

/** The supervisor's answer to one complaint. @param {{ item: any, onDone: () => void }} props */
function AnswerForm({ item, onDone }) {
  const [text, setText] = useState('');
  const [errors, setErrors] = useState(noErrors());
  const [busy, setBusy] = useState(false);
  const submit = async (/** @type {any} */ ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (!text.trim()) {
      setErrors({ message: '', fields: { text: t('error.field.required') } });
      /** @type {HTMLElement | null} */ (form.querySelector('textarea'))?.focus();
      return;
    }
    setBusy(true);
    setErrors(noErrors());
    try {
      await api.request('POST', `/supervision/complaints/${encodeURIComponent(item.id)}/answer`, { body: { text: text.trim() } });
      setText('');
      toast(t('sup.complaint.done'));
      onDone();
    } catch (err) {
      setErrors(formErrors(err, ['text']));
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="sup-answer" novalidate onSubmit=${submit} data-testid="cmp-answer-form">
    <${FormMessage} text=${errors.message} />
    <${Field} kind="textarea" label=${t('sup.complaint.answer')} name="text" idPrefix=${`cmp-${item.id}`} required hint=${t('sup.complaint.answer.hint')}
      value=${text} error=${errors.fields.text} attrs=${{ maxlength: 2000, 'data-testid': 'cmp-answer-text' }} onInput=${(/** @type {string} */ v) => setText(v)} />
    <button type="submit" class="primary" disabled=${busy} data-testid="cmp-answer-submit">${busy ? t('common.submitting') : t('sup.complaint.send')}</button>
  </form>`;
}

/**
 * The complaints addressed to the supervisor's subtree (GET /supervision/complaints), newest first.
 * @param {{ items: any[], tz: string, onDone: () => void }} props
 */
export function Complaints({ items, tz, onDone }) {
  if (!items.length) return empty(t('sup.complaints.none'));
  return html`<ul class="sup-complaints" data-testid="sup-complaints">
    ${items.map(
      (c) => html`<li key=${c.id} class="sup-complaint" data-testid="sup-complaint">
        <p><strong>${t('sup.complaint.head', { party: c.party.name, about: t(`cmp.about.${c.about}`), case: c.case_number, mediator: c.mediator.display_name, time: fmtDateTime(c.filed_at, tz) })}</strong>
          ${c.answer ? null : badge(t('cmp.unanswered', { org: c.organisation.name }), 'warn')}</p>
        <p class="muted small">${t('sup.complaint.to', { org: c.organisation.name })}</p>
        <blockquote data-testid="sup-complaint-text">${c.text}</blockquote>
        ${c.answer
          ? html`<p data-testid="sup-complaint-answered">${t('sup.complaint.answered', { name: c.answered_by.display_name, time: fmtDateTime(c.answered_at, tz), text: c.answer })}</p>`
          : html`<${AnswerForm} key=${`answer-${c.id}`} item=${c} onDone=${onDone} />`}
      </li>`,
    )}
  </ul>`;
}

/**
 * Each mediator's ratings (GET /supervision/mediators), 在线调解规则 art. 27.
 * @param {{ items: any[], tz: string }} props
 */
export function MediatorRatings({ items, tz }) {
  return html`<ul class="sup-ratings" data-testid="sup-ratings">
    ${items.map(
      (r) => html`<li key=${r.mediator.id} class="sup-rating" data-testid="sup-rating" data-mediator=${r.mediator.display_name}>
        <p><strong>${r.mediator.display_name}</strong> <span class="muted small">${r.organisation.name}</span></p>
        <p data-testid="sup-rating-summary">${r.count
          ? `${t('sup.ratings.count', { n: r.count })} · ${t('sup.ratings.average', { avg: r.average })}`
          : t('sup.ratings.none')}</p>
        ${r.ratings.length
          ? html`<ul class="sup-rating-list">${r.ratings.map(
              (/** @type {any} */ x, /** @type {number} */ i) => html`<li key=${i}>
                ${t('sup.ratings.item', { words: t(`sat.star.${x.stars}`), stars: x.stars, case: x.case_number, time: fmtDateTime(x.rated_at, tz) })}
                ${x.comment ? html`<blockquote data-testid="sup-rating-comment">${x.comment}</blockquote>` : null}
              </li>`,
            )}</ul>`
          : null}
      </li>`,
    )}
  </ul>`;
}
