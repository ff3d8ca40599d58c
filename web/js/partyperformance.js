// @ts-check
// 履行情况 on the party's page (server/domain/performance.py): once the agreement is sealed, what I owe
// (each instalment with its last day; "I have done this" with an optional transfer screenshot or
// receipt, uploaded to the case file and shown to the one owed) and what I am owed (once the other
// side reports, "I received it", signed with my own key as the agreement was (signing/party-flow.js),
// or "not received" with a reason, signed too). Large buttons, one column: it is read on a phone.

import { html, render as draw } from 'htm/preact';
import * as api from './api.js';
import { ApiError } from './api.js';
import { t, onLangChange, fmtDayLong, fmtAmount, fmtDateTime, getLang } from './i18n.js';
import './agreement-i18n.js';
import './performance-i18n.js';
import { h, toast, errorMessage } from './ui.js';
import { badge } from './ui-preact.js';
import { PartySigning } from './signing/party-flow.js';

const POLL_MS = 15_000;
const TYPES = ['application/pdf', 'image/png', 'image/jpeg'];
const BADGE = /** @type {Record<string, string>} */ ({ performed: 'ok', overdue: 'bad', disputed: 'warn', reported: 'warn' });

/** @param {File} file */
function typeOf(file) {
  if (TYPES.includes(file.type)) return file.type;
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  return { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' }[ext] || file.type;
}

/** What an instalment asks: ¥5,000.00, or 赔礼道歉（书面）. @param {any} o */
export function owedThing(o) {
  if (o.amount_fen != null) return fmtAmount(o.amount_fen / 100);
  return o.what ? `${t(`perf.kind.${o.kind}`)}：${o.what}` : t(`perf.kind.${o.kind}`);
}

/** @param {any} o */
export function statusBadge(o) {
  return badge(t(`perf.status.${o.status}`), BADGE[o.status] || '');
}

/** The card; `el` stays the same element, drawn with Preact so a poll keeps a code or a reason being typed. */
export class PartyPerformance {
  /** @param {{ party: { id: string }, keys: import('./keybind.js').KeyBinding | null }} options */
  constructor({ party, keys }) {
    this.party = party;
    this.keys = keys;
    /** @type {{ owe: any[], owed: any[], enforcement?: any } | null} */
    this.data = null;
    /** The application for enforcement just made (a case-file document), and why making it failed. */
    this.enforcementDoc = /** @type {{ url: string, name: string } | null} */ (null);
    this.enforceError = '';
    /** The report form open (an obligation id), its note and whether it is sending. */
    this.reporting = /** @type {string | null} */ (null);
    this.note = '';
    this.sending = false;
    /** The answer being signed: which instalment, confirm or dispute, and the reason typed. */
    this.target = /** @type {{ id: string, answer: 'confirm' | 'dispute' } | null} */ (null);
    this.disputing = /** @type {string | null} */ (null);
    this.reason = '';
    this.notice = /** @type {{ id: string, kind: string, text: string } | null} */ (null);
    this.signing = new PartySigning({
      partyId: party.id,
      prefix: 'perf',
      keys,
      boundNote: 'perf.key.bound',
      lateReason: 'performed_already',
      cancelFocus: () => 'perf-message',
      render: () => this.render(),
      focus: (testid) => this.focus(testid),
      complete: (proof) => this.complete(proof),
      failed: (err) => this.failed(err),
      elsewhere: () => this.signing.bindKey('perf.key.elsewhere'),
    });
    this.pollTimer = /** @type {any} */ (null);
    this.el = h('div', { class: 'perf-host' });
    onLangChange(() => this.render());
    if (keys) keys.onBound(() => this.bound());
  }

  start() {
    this.poll();
  }

  async poll() {
    clearTimeout(this.pollTimer);
    if (document.visibilityState === 'visible' && !this.signing.busy && !this.sending) {
      await this.reload();
      this.render();
    }
    this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }

  async reload() {
    try {
      this.data = await api.request('GET', '/party/obligations');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err; // keep what we have when the link ended or the network dropped
    }
  }

  /** @param {string} testid */
  focus(testid) {
    const el = /** @type {HTMLElement | null} */ (this.el.querySelector(`[data-testid="${testid}"]`));
    if (el) el.focus();
    return el;
  }

  render() {
    const d = this.data;
    const any = d && (d.owe.length || d.owed.length);
    draw(/** @type {any} */ (any ? this.card(/** @type {any} */ (d)) : null), this.el);
  }

  /** @param {{ owe: any[], owed: any[], enforcement?: any }} d */
  card(d) {
    return html`<section class="party-card perf-card" aria-labelledby="perf-title" data-testid="performance-card">
      <h2 id="perf-title">${t('perf.title')}</h2>
      <p class="hint">${t('perf.intro')}</p>
      ${[...d.owe, ...d.owed].some((o) => o.case_closed) ? html`<p class="notice" data-testid="perf-case-closed">${t('perf.case_closed')}</p>` : null}
      ${d.owe.length
        ? html`<h3>${t('perf.owe.title')}</h3>
            <ul class="perf-list" data-testid="perf-owe">${d.owe.map((o) => this.oweItem(o))}</ul>`
        : null}
      ${d.owed.length
        ? html`<h3>${t('perf.owed.title')}</h3>
            <ul class="perf-list" data-testid="perf-owed">${d.owed.map((o) => this.owedItem(o))}</ul>`
        : null}
      ${d.enforcement ? this.enforcementBox(d.enforcement) : null}
    </section>`;
  }

  /**
   * After a court confirmed the agreement, what is overdue to me may be enforced: the platform fills in
   * the application, I sign it by hand and take it to that court (nothing is sent to the court from here).
   * @param {{ court: string, ruling_number: string, unpaid: number }} e
   */
  enforcementBox(e) {
    const doc = this.enforcementDoc;
    return html`<div class="perf-enforce" data-testid="perf-enforce">
      <h3>${t('perf.enforce.title')}</h3>
      <p>${t('perf.enforce.intro', { court: e.court, number: e.ruling_number, n: e.unpaid })}</p>
      <p class="hint">${t('perf.enforce.hand', { court: e.court })}</p>
      <button type="button" class="primary big block" disabled=${this.sending} data-testid="perf-enforce-make" onClick=${() => this.makeEnforcement()}>${t('perf.enforce.make')}</button>
      ${doc
        ? html`<p role="status"><a href=${doc.url} download=${doc.name} data-testid="perf-enforce-link">${t('perf.enforce.link', { name: doc.name })}</a></p>`
        : null}
      ${this.enforceError ? html`<p class="key-message key-message-error" role="alert" data-testid="perf-enforce-error">${this.enforceError}</p>` : null}
    </div>`;
  }

  async makeEnforcement() {
    if (this.sending) return;
    this.sending = true;
    this.enforceError = '';
    this.render();
    try {
      this.enforcementDoc = await api.request('POST', '/party/enforcement-application', { body: {} });
    } catch (err) {
      this.enforceError = errorMessage(err);
      await this.reload();
    } finally {
      this.sending = false;
    }
    this.render();
    const link = /** @type {HTMLAnchorElement | null} */ (this.focus('perf-enforce-link'));
    if (link) link.click();
  }

  /** @param {any} o @param {string} who */
  head(o, who) {
    return html`<p class="perf-head"><strong>${getLang() === 'en' ? o.label.en : o.label.zh}</strong> ${statusBadge(o)}</p>
      <p class="perf-thing" data-testid="perf-thing">${owedThing(o)}</p>
      <p>${t('perf.due', { date: fmtDayLong(o.due_date) })} · ${who}</p>
      ${o.status === 'overdue' ? html`<p class="notice" data-testid="perf-overdue">${t('perf.overdue.note')}</p>` : null}`;
  }

  /** @param {any} o */
  noticeFor(o) {
    const n = this.notice;
    return n && n.id === o.id
      ? html`<p class=${`key-message key-message-${n.kind}`} role=${n.kind === 'error' ? 'alert' : 'status'} tabindex="-1" data-testid="perf-notice">${n.text}</p>`
      : null;
  }

  /** Who confirmed it and how; `mine`: I am the one who confirmed. @param {any} o @param {boolean} mine */
  performedLine(o, mine) {
    if (o.status !== 'performed') return null;
    const key = `${o.confirm_method === 'over_video' ? 'perf.performed.video' : 'perf.performed.key'}${mine ? '.mine' : ''}`;
    return html`<p class="agr-done" data-testid="perf-performed">${`✓ ${t(key, { name: o.creditor.name })}`}</p>`;
  }

  /** What I owe: report it done, with a proof if I have one. @param {any} o */
  oweItem(o) {
    const open = this.reporting === o.id;
    const canReport = ['pending', 'disputed', 'overdue'].includes(o.status) && !o.case_closed;
    return html`<li key=${o.id} class="perf-item" data-testid="perf-item" data-status=${o.status}>
      ${this.head(o, t('perf.to', { name: o.creditor.name }))}
      ${o.dispute_reason && o.status !== 'performed' && o.status !== 'reported'
        ? html`<p class="notice" data-testid="perf-disputed">${t('perf.disputed.again', { reason: o.dispute_reason })}</p>`
        : null}
      ${o.status === 'reported' ? html`<p data-testid="perf-reported">${t('perf.reported.mine', { time: fmtDateTime(o.reported_at) })}</p>` : null}
      ${this.performedLine(o, false)}
      ${this.noticeFor(o)}
      ${canReport && !open
        ? html`<button type="button" class="primary big block" data-testid="perf-report" onClick=${() => ((this.reporting = o.id), (this.note = ''), this.render(), this.focus('perf-proof'))}>${t('perf.report')}</button>`
        : null}
      ${canReport && open ? this.reportForm(o) : null}
    </li>`;
  }

  /** @param {any} o */
  reportForm(o) {
    const submit = (/** @type {Event} */ ev) => {
      ev.preventDefault();
      this.report(o, /** @type {HTMLFormElement} */ (ev.currentTarget));
    };
    return html`<form class="perf-report-form" novalidate onSubmit=${submit}>
      <label class="file-choose">${t('perf.report.proof')}
        <input name="file" type="file" accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg" data-testid="perf-proof" />
      </label>
      <label for="perf-note">${t('perf.report.note')}</label>
      <textarea id="perf-note" maxlength="500" data-testid="perf-note" value=${this.note} onInput=${(/** @type {any} */ ev) => (this.note = ev.currentTarget.value)}></textarea>
      <button type="submit" class="primary big block" disabled=${this.sending} data-testid="perf-report-send">${this.sending ? t('perf.report.sending') : t('perf.report.send')}</button>
      <button type="button" class="secondary block" disabled=${this.sending} onClick=${() => ((this.reporting = null), this.render(), this.focus('perf-report'))}>${t('common.cancel')}</button>
    </form>`;
  }

  /** @param {any} o @param {HTMLFormElement} form */
  async report(o, form) {
    if (this.sending) return;
    const input = /** @type {HTMLInputElement} */ (form.elements.namedItem('file'));
    const file = input.files && input.files[0];
    if (file && !TYPES.includes(typeOf(file))) {
      this.notice = { id: o.id, kind: 'error', text: t('perf.report.type') };
      this.render();
      input.focus();
      return;
    }
    this.sending = true;
    this.notice = null;
    this.render();
    try {
      let proof = null;
      if (file) {
        const type = typeOf(file);
        const body = /** @type {File} */ (type === file.type ? file : new Blob([file], { type }));
        // The one owed sees the proof (and the case's mediators always do).
        proof = await api.uploadDocument('/party/documents', body, { name: file.name, visibleTo: [this.party.id, o.creditor.party_id] });
      }
      await api.request('POST', `/party/obligations/${encodeURIComponent(o.id)}/report`, {
        body: { note: this.note.trim(), ...(proof ? { proof_document_id: proof.id } : {}) },
      });
      this.reporting = null;
      const text = t('perf.report.done', { name: o.creditor.name });
      this.notice = { id: o.id, kind: 'success', text };
      toast(text);
      await this.reload();
    } catch (err) {
      this.notice = { id: o.id, kind: 'error', text: errorMessage(err) };
      await this.reload();
    } finally {
      this.sending = false;
    }
    this.render();
    this.focus('perf-notice');
  }

  /** What I am owed: once reported, confirm with my key or dispute with a reason. @param {any} o */
  owedItem(o) {
    const s = this.signing;
    const mine = this.target && this.target.id === o.id;
    const reported = o.status === 'reported';
    return html`<li key=${o.id} class="perf-item" data-testid="perf-item" data-status=${o.status}>
      ${this.head(o, t('perf.from', { name: o.debtor.name }))}
      ${reported
        ? html`<p data-testid="perf-reported">${t('perf.reported.at', { name: o.debtor.name, time: fmtDateTime(o.reported_at) })}</p>
            ${o.report_note ? html`<p>${t('perf.reported.note', { note: o.report_note })}</p>` : null}
            ${o.proof ? html`<p><a href=${`/api/v1/documents/${encodeURIComponent(o.proof.id)}`} target="_blank" rel="noopener" data-testid="perf-proof-link">${t('perf.proof', { name: o.proof.name })}</a></p>` : null}`
        : null}
      ${o.status === 'disputed' && o.dispute_reason ? html`<p class="notice">${t('perf.disputed.reason', { reason: o.dispute_reason })}</p>` : null}
      ${this.performedLine(o, true)}
      ${this.noticeFor(o)}
      ${o.case_closed ? null : mine ? this.signArea(o) : reported ? this.answerButtons(o) : null}
    </li>`;
  }

  /** @param {any} o */
  answerButtons(o) {
    const busy = this.signing.busy;
    if (this.disputing === o.id) {
      return html`<form class="perf-dispute" novalidate onSubmit=${(/** @type {Event} */ ev) => (ev.preventDefault(), this.answer(o, 'dispute'))}>
        <label for="perf-reason">${t('perf.dispute.reason')}</label>
        <textarea id="perf-reason" maxlength="500" required data-testid="perf-reason" value=${this.reason} onInput=${(/** @type {any} */ ev) => (this.reason = ev.currentTarget.value)}></textarea>
        <button type="submit" class="primary big block" disabled=${busy} data-testid="perf-dispute-send">${t('perf.dispute.send')}</button>
        <button type="button" class="secondary block" disabled=${busy} onClick=${() => ((this.disputing = null), this.render(), this.focus('perf-dispute'))}>${t('common.cancel')}</button>
      </form>`;
    }
    return html`<div class="perf-answer">
      <button type="button" class="primary big block" disabled=${busy} data-testid="perf-confirm" onClick=${() => this.answer(o, 'confirm')}>${t('perf.confirm')}</button>
      <p class="hint">${t(`perf.confirm.hint${this.keys && this.keys.noChannel() ? '.nocode' : ''}`)}</p>
      <button type="button" class="secondary big block" disabled=${busy} data-testid="perf-dispute" onClick=${() => ((this.disputing = o.id), (this.reason = ''), this.render(), this.focus('perf-reason'))}>${t('perf.dispute')}</button>
    </div>`;
  }

  /** @param {any} o */
  signArea(o) {
    const s = this.signing;
    if (s.stage === 'code' && s.prepared) {
      return s.codeForm({ formClass: 'agr-code-form perf-code-form', meaning: t('perf.code.meaning'), hint: t('perf.code.hint'), confirm: t('perf.sign.confirm') });
    }
    if (s.stage === 'no_key') return html`<div>${s.keyFirst({ first: t('perf.key.first'), go: t('perf.key.go') })}</div>`;
    return html`<div>${s.messageLine()}${o.status === 'reported' ? this.answerButtons(o) : null}</div>`;
  }

  // ---------------------------------------------------------------- signing

  async bound() {
    if (!this.target || !this.signing.keyBound()) return;
    const o = [...((this.data && this.data.owed) || [])].find((x) => this.target && x.id === this.target.id);
    if (o) await this.answer(o, this.target.answer);
  }

  /** @param {any} o @param {'confirm' | 'dispute'} answer */
  async answer(o, answer) {
    if (answer === 'dispute' && !this.reason.trim()) {
      this.focus('perf-reason');
      return;
    }
    this.target = { id: o.id, answer };
    this.notice = null;
    await this.signing.start(() =>
      api.request('POST', `/party/obligations/${encodeURIComponent(o.id)}/answer`, {
        body: { answer, reason: answer === 'dispute' ? this.reason.trim() : '' },
      }),
    );
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async complete(proof) {
    const s = this.signing;
    const target = /** @type {{ id: string, answer: string }} */ (this.target);
    await api.request('POST', `/party/obligations/answer/${encodeURIComponent(s.challenge)}`, { body: proof });
    s.reset();
    const text = t(target.answer === 'confirm' ? 'perf.confirm.done' : 'perf.dispute.done');
    this.notice = { id: target.id, kind: 'success', text };
    this.target = null;
    this.disputing = null;
    this.reason = '';
    toast(text);
    await this.reload();
    this.render();
    this.focus('perf-notice');
  }

  /** @param {unknown} err */
  async failed(err) {
    await this.signing.showFailure(err, {
      known: (reason) =>
        err instanceof ApiError && err.status === 409 && reason && ['performed_already', 'not_reported'].includes(reason) ? { kind: 'error', key: 'perf.err.gone' } : null,
      reload: () => this.reload(),
    });
  }
}
