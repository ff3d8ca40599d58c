// @ts-check
// A term's structured obligation on the case page (server/domain/agreements/obligation.py): the
// editor's copy of it (amounts typed in yuan, sent in fen), the list the mediator checks before
// making a version final, and, once the agreement is in force, the case's obligations with their
// status (server/domain/performance.py): overdue ones marked, and "record a confirmation given on
// video" (the mediator's own record, never shown as the party's signature).

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, fmtDayLong, fmtAmount, fmtDateTime, getLang, partyRole } from './i18n.js';
import './agreement-i18n.js';
import './performance-i18n.js';
import './closing-i18n.js';
import { outboxState } from './outbox.js';
import { toast, errorMessage } from './ui.js';
import { badge } from './ui-preact.js';
import { StaffSigner } from './signing/staff-key.js';
import { MessageLine } from './signing/message.js';

export const KINDS = ['pay', 'deliver', 'repair', 'apologise', 'move_out', 'other'];
const BADGE = /** @type {Record<string, string>} */ ({ performed: 'ok', overdue: 'bad', disputed: 'warn', reported: 'warn' });

/**
 * The editor's copy: amounts as typed (yuan).
 * @typedef {{ debtor: string, creditor: string, kind: string, what: string, amount: string, instalments: { due: string, amount: string }[] }} EditedObligation
 */

/** fen → "12000.00" @param {number | null | undefined} fen */
const yuanText = (fen) => (fen == null ? '' : (fen / 100).toFixed(2));

/** "12000.5" → 1200050; anything else (empty, letters, three decimals) → NaN, for the server to refuse by field. @param {string} text */
export function toFen(text) {
  const s = String(text || '').trim().replace(/[,，\s]/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return Number.NaN;
  const [whole, part = ''] = s.split('.');
  return Number(whole) * 100 + Number(part.padEnd(2, '0'));
}

/** @param {any} ob the server's obligation, or none @returns {EditedObligation | null} */
export function obligationForEditor(ob) {
  if (!ob) return null;
  return {
    debtor: ob.debtor || '',
    creditor: ob.creditor || '',
    kind: ob.kind || 'pay',
    what: ob.what || '',
    amount: yuanText(ob.amount_fen),
    instalments: (ob.instalments || []).map((/** @type {any} */ i) => ({ due: i.due || '', amount: yuanText(i.amount_fen) })),
  };
}

/** A new obligation for a term: the respondent pays the applicant, one instalment. @param {any[]} parties */
export function newObligation(parties) {
  const of = (/** @type {string} */ role) => (parties.find((p) => p.role === role) || {}).id || '';
  return { debtor: of('respondent'), creditor: of('applicant'), kind: 'pay', what: '', amount: '', instalments: [{ due: '', amount: '' }] };
}

/**
 * What the server takes: amounts in fen (a typed amount that is not a number is sent as it was
 * typed, so the server names the field); a payment of one instalment needs no amount of its own.
 * @param {EditedObligation} e
 */
export function obligationForServer(e) {
  const pay = e.kind === 'pay';
  const fen = (/** @type {string} */ text) => {
    const n = toFen(text);
    return Number.isNaN(n) ? text : n;
  };
  return {
    debtor: e.debtor,
    creditor: e.creditor,
    kind: e.kind,
    what: e.what.trim(),
    amount_fen: pay ? fen(e.amount) : null,
    instalments: e.instalments.map((i) => ({
      due: i.due,
      amount_fen: pay && (e.instalments.length > 1 || i.amount.trim()) ? fen(i.amount) : null,
    })),
  };
}

/** A party by id, as "被申请人 李四". @param {any[]} parties @param {string} id */
function named(parties, id) {
  const p = parties.find((x) => x.id === id);
  return p ? `${partyRole(p)} ${p.name}` : '';
}

/**
 * The obligations of a version's content, as the mediator checks them before making it final.
 * @param {{ content: any, parties: any[] }} props
 */
export function ObligationsPreview({ content, parties }) {
  const terms = (content && content.terms) || [];
  const rows = terms.flatMap((/** @type {any} */ term, /** @type {number} */ i) => (term.obligation ? [{ n: i + 1, ob: term.obligation }] : []));
  if (!rows.length) return null;
  return html`<div class="perf-preview" data-testid="agr-obligations">
    <p>${t('perf.final.list')}</p>
    <ul class="perf-list">
      ${rows.map(
        ({ n, ob }) => html`<li key=${n} class="perf-item">
          <strong>${t('agr.term.n', { n })}</strong> ${t('perf.case.who', { debtor: named(parties, ob.debtor), creditor: named(parties, ob.creditor) })} · ${t(`perf.kind.${ob.kind}`)}${ob.what ? `：${ob.what}` : ''}
          ${ob.amount_fen != null ? html` · ${fmtAmount(ob.amount_fen / 100)}` : null}
          <ol>
            ${(ob.instalments || []).map(
              (/** @type {any} */ i, /** @type {number} */ k) => html`<li key=${k}>${t('perf.due', { date: fmtDayLong(i.due) })}${i.amount_fen != null ? ` · ${fmtAmount(i.amount_fen / 100)}` : ''}</li>`,
            )}
          </ol>
        </li>`,
      )}
    </ul>
  </div>`;
}

/** @param {any} o */
function statusBadge(o) {
  return badge(t(`perf.status.${o.status}`), BADGE[o.status] || '');
}

/**
 * The case's obligations once the agreement is in force, for the case page. `load()` asks the
 * server; `view()` draws them; a mediator records a confirmation given on video.
 */
export class CaseObligations {
  /** @param {{ caseId: string, userId: string, tz: string, canAct: boolean, render: () => void, onChanged?: () => void }} options */
  constructor({ caseId, userId, tz, canAct, render, onChanged }) {
    this.caseId = caseId;
    /** The mediator's own key signs the record (signing/staff-key.js): it is theirs, not the party's signature. */
    this.signer = new StaffSigner({ userId: () => userId, onChange: render });
    this.tz = tz;
    this.canAct = canAct;
    this.rerender = render;
    /** Told once a confirmation is recorded: what depends on the obligations (closing, the history) reads them again. */
    this.onChanged = onChanged || (() => {});
    /** @type {any[] | null} */
    this.items = null;
    this.open = /** @type {string | null} */ (null);
    this.note = '';
    this.busy = false;
    this.message = /** @type {{ id: string, kind: string, text: string } | null} */ (null);
  }

  async load() {
    try {
      this.items = (await api.request('GET', `/cases/${encodeURIComponent(this.caseId)}/obligations`)).items;
    } catch {
      /* keep what we have; the agreement panel says why the case cannot be read */
    }
    this.rerender();
  }

  get overdue() {
    return (this.items || []).filter((o) => o.overdue && o.status !== 'performed').length;
  }

  view() {
    const items = this.items;
    if (!items || !items.length) return null;
    const late = this.overdue;
    return html`<section class="card perf-case" aria-labelledby="perf-case-title" data-testid="case-obligations">
      <h2 id="perf-case-title">${t('perf.case.title')} ${late ? badge(t('perf.case.overdue', { n: late }), 'bad') : null}</h2>
      <ul class="perf-list">${items.map((o) => this.item(o))}</ul>
    </section>`;
  }

  /** @param {any} o */
  item(o) {
    const m = this.message && this.message.id === o.id ? this.message : null;
    const thing = o.amount_fen != null ? fmtAmount(o.amount_fen / 100) : `${t(`perf.kind.${o.kind}`)}${o.what ? `：${o.what}` : ''}`;
    return html`<li key=${o.id} class="perf-item" data-testid="case-obligation" data-status=${o.status}>
      <p class="perf-head"><strong>${getLang() === 'en' ? o.label.en : o.label.zh}</strong> ${statusBadge(o)}</p>
      <p>${t('perf.case.who', { debtor: o.debtor.name, creditor: o.creditor.name })} · <span class="perf-thing">${thing}</span> · ${t('perf.due', { date: fmtDayLong(o.due_date) })}</p>
      ${o.status === 'reported' ? html`<p>${t('perf.reported.at', { name: o.debtor.name, time: fmtDateTime(o.reported_at, this.tz) })}</p>` : null}
      ${o.proof ? html`<p><a href=${`/api/v1/documents/${encodeURIComponent(o.proof.id)}`} target="_blank" rel="noopener">${t('perf.proof', { name: o.proof.name })}</a></p>` : null}
      ${o.dispute_reason && o.status !== 'performed' ? html`<p class="notice">${t('perf.disputed.reason', { reason: o.dispute_reason })}</p>` : null}
      ${o.status === 'performed'
        ? html`<p class="agr-done" data-testid="case-obligation-performed">${`✓ ${t(o.confirm_method === 'over_video' ? 'perf.performed.video' : 'perf.performed.key', { name: o.creditor.name })}`}</p>`
        : null}
      ${this.reminders(o)}
      ${m ? html`<p class=${`key-message key-message-${m.kind}`} role=${m.kind === 'error' ? 'alert' : 'status'}>${m.text}</p>` : null}
      ${this.canAct && o.status !== 'performed' ? this.videoForm(o) : null}
    </li>`;
  }

  /** The reminders of its last day sent to the one who owes, and what became of each; or why none can be (say only what happened). @param {any} o */
  reminders(o) {
    if (o.status === 'performed') return null;
    const sent = /** @type {any[]} */ (o.reminders || []);
    return html`${sent.map((r) => html`<p key=${r.id} class="small" data-testid="case-obligation-reminder">${t('perf.reminder.sent', { days: r.days, channel: t(`perf.reminder.channel.${r.channel}`) })}${outboxState(r)}</p>`)}
      ${o.reminder_unreachable ? html`<p class="notice small" data-testid="case-obligation-unreachable">${t('perf.reminder.unreachable', { name: o.debtor.name })}</p>` : null}`;
  }

  /** @param {any} o */
  videoForm(o) {
    if (this.open !== o.id) {
      const open = () => {
        this.open = o.id;
        this.note = '';
        this.signer.message = null;
        this.rerender();
        if (this.signer.keys === null) this.signer.load();
      };
      return html`<button type="button" class="secondary" data-testid="case-obligation-video" onClick=${open}>${t('perf.case.video')}</button>`;
    }
    const signer = this.signer;
    const submit = (/** @type {Event} */ ev) => (ev.preventDefault(), this.recordVideo(o));
    const make = html`<button type="button" class="secondary" disabled=${signer.busy} onClick=${() => signer.register()} data-testid="case-obligation-make-key">${t('perf.case.key.make')}</button>`;
    const none = html`<div class="notice"><p>${t('perf.case.key.none')}</p>${make}</div>`;
    return html`<form class="perf-report-form" novalidate onSubmit=${submit}>
      <label for=${`perf-video-${o.id}`}>${t('perf.case.video.note')}</label>
      <textarea id=${`perf-video-${o.id}`} maxlength="500" data-testid="case-obligation-video-note" value=${this.note} onInput=${(/** @type {any} */ ev) => (this.note = ev.currentTarget.value)}></textarea>
      ${signer.keyChoices({ name: `perf-video-key-${o.id}`, testid: 'case-obligation-video-key', none, tz: this.tz })}
      ${(signer.keys || []).length ? html`<div>${make}</div>` : null}
      <${MessageLine} m=${signer.message} testid="case-obligation-video-message" />
      <div class="actions">
        <button type="submit" class="primary" disabled=${this.busy || signer.busy || !signer.chosen()} data-testid="case-obligation-video-send">${t('perf.case.video.send')}</button>
        <button type="button" class="secondary" disabled=${this.busy} onClick=${() => ((this.open = null), this.rerender())}>${t('common.cancel')}</button>
      </div>
    </form>`;
  }

  /** Sign the record with the chosen key (bound to the case first if it is not yet). @param {any} o */
  async recordVideo(o) {
    const key = this.signer.chosen();
    if (this.busy || !key) return;
    this.busy = true;
    this.rerender();
    const path = `/cases/${encodeURIComponent(this.caseId)}/obligations/${encodeURIComponent(o.id)}/confirmed-over-video`;
    const done = await this.signer.sign({
      caseId: this.caseId,
      key,
      prepare: () => api.request('POST', path, { body: { key_id: key.key_id, note: this.note.trim() } }),
      apiText: (err) => errorMessage(err),
    });
    this.busy = false;
    if (done) {
      const text = t('perf.case.video.done', { name: o.creditor.name });
      this.message = { id: o.id, kind: 'success', text };
      this.open = null;
      toast(text);
      this.onChanged();
    }
    await this.load();
  }
}
