// @ts-check
// The one-time code a party is texted (or mailed) and types in, shared by every place a code is
// asked for (key binding: keybind.js; signing the agreement and the application for confirmation:
// party-flow.js): the input that takes six digits, reading what was typed, what a wrong code
// means, and the truth about the message that carries the code.
//
// Asking for a code only queues a message; a sender then hands it to the SMS provider (or the
// mail server), and the provider may later report it delivered or failed. So the line says
// 正在发送 until the server says otherwise (GET /party/messages/{id}), then 已发出 / 已送达 /
// 发送失败 (with the reason) / 没有发出, and never "已发送" for a message that only sits in the outbox.

import { html } from 'htm/preact';
import * as api from '../api.js';
import { t } from '../i18n.js';
import '../code-i18n.js';
import '../identity-i18n.js';
import { h } from '../ui.js';

/** How many digits a code has (server/domain/keybinding.py). */
const DIGITS = 6;

/** What an input keeps of what was typed or pasted: digits, at most six. @param {string} typed */
const digitsOf = (typed) => typed.replace(/\D+/g, '').slice(0, DIGITS);

/**
 * The field for a code: its label, the input (digits only, at most six, the browser's one-time-code
 * autofill) and a hint under it (`${id}-hint`, which describes the input). What is typed goes to
 * `onInput` as digits.
 * @param {{ id: string, testid: string, label: string, hint: string, value: string, onInput: (digits: string) => void, invalid?: boolean, disabled?: boolean }} options
 * @returns {HTMLElement}
 */
export function codeField({ id, testid, label, hint, value, onInput, invalid = false, disabled = false }) {
  const input = /** @type {HTMLInputElement} */ (
    h('input', {
      id,
      name: 'code',
      class: 'code-input',
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]*',
      maxlength: DIGITS,
      spellcheck: 'false',
      'aria-describedby': `${id}-hint`,
      'aria-invalid': invalid ? 'true' : null,
      disabled,
      value,
      dataset: { testid },
    })
  );
  input.addEventListener('input', () => {
    const digits = digitsOf(input.value);
    if (digits !== input.value) input.value = digits;
    onInput(digits);
  });
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, h('p', { class: 'hint', id: `${id}-hint` }, hint));
}

/**
 * The same field as a Preact component (pages drawn with htm): the digits live with the caller
 * (`value`), so a redraw or a change of language keeps them, and the input keeps its focus.
 * @param {{ id: string, testid: string, label: string, hint: string, value: string, onInput: (digits: string) => void, invalid?: boolean, disabled?: boolean }} props
 */
export function CodeField({ id, testid, label, hint, value, onInput, invalid = false, disabled = false }) {
  /** @param {Event} ev */
  const typed = (ev) => {
    const input = /** @type {HTMLInputElement} */ (ev.currentTarget);
    const digits = digitsOf(input.value);
    if (digits !== input.value) input.value = digits;
    onInput(digits);
  };
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} name="code" class="code-input" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" maxlength=${DIGITS}
      spellcheck=${false} aria-describedby=${`${id}-hint`} aria-invalid=${invalid ? 'true' : undefined} disabled=${disabled} value=${value}
      data-testid=${testid} onInput=${typed} />
    <p class="hint" id=${`${id}-hint`}>${hint}</p>
  </div>`;
}

/**
 * The code as typed, without spaces, if it is six digits; else null (the page says 'key.code.invalid').
 * @param {string | null | undefined} typed
 * @returns {string | null}
 */
export function typedCode(typed) {
  const code = (typed || '').replace(/\s+/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

/**
 * How many tries are left after a wrong code (a 422 on the field `code`: "wrong code; 2 tries
 * left"), or null when the answer does not say.
 * @param {any} err an ApiError
 * @returns {number | null}
 */
export function triesLeft(err) {
  const f = (err && err.fields && err.fields[0]) || {};
  const m = /(\d+)\s*tr(y|ies)\s*left/i.exec(f.reason || (err && err.message) || '');
  return m ? Number(m[1]) : null;
}

/**
 * The message for a wrong code: with the tries left when the answer says how many.
 * @param {any} err an ApiError (422)
 * @returns {{ kind: string, key: string, vars?: Record<string, unknown> }}
 */
export function wrongCodeMessage(err) {
  const n = triesLeft(err);
  return n != null ? { kind: 'error', key: 'key.wrong_code', vars: { n } } : { kind: 'error', key: 'key.wrong_code.generic' };
}

/** How often to ask, and for how long: quickly at first, then less often. */
const FIRST_MS = 1500;
const LATER_MS = 5000;
const QUICK_FOR_MS = 30_000;
const GIVE_UP_MS = 5 * 60_000;
const SETTLED = new Set(['delivered', 'failed', 'not_sent']);

/** @type {WeakMap<object, CodeStatus>} */
const lines = new WeakMap();

/**
 * The status line of the code described by `sent` ({channel, sent_to, message_id}, as the API
 * answers a request for a code). The same element comes back for the same `sent` object, so a
 * page may call this on every render; it keeps asking the server until the message settles.
 * @param {{channel?: string, sent_to?: string, message_id?: number} | null | undefined} sent
 * @param {{testid: string}} options
 * @returns {HTMLElement | null}
 */
export function codeStatusLine(sent, { testid }) {
  if (!sent) return null;
  let line = lines.get(sent);
  if (!line) {
    line = new CodeStatus(sent, testid);
    lines.set(sent, line);
  }
  return line.el;
}

class CodeStatus {
  /**
   * @param {{channel?: string, sent_to?: string, message_id?: number}} sent
   * @param {string} testid
   */
  constructor(sent, testid) {
    this.channel = sent.channel || 'sms';
    this.to = sent.sent_to || '';
    this.id = sent.message_id;
    this.status = 'sending';
    /** @type {string | null} */
    this.reason = null;
    this.started = Date.now();
    this.el = h('p', { class: 'key-sent code-status', role: 'status', dataset: { testid, status: 'sending' } });
    this.render();
    if (this.id != null) this.later(FIRST_MS);
  }

  /** @param {number} ms */
  later(ms) {
    setTimeout(() => this.ask(), ms);
  }

  async ask() {
    const age = Date.now() - this.started;
    // A line no longer on the page (the party moved on) stops asking.
    if (age > GIVE_UP_MS || (!this.el.isConnected && age > FIRST_MS * 4)) return;
    try {
      const s = await api.request('GET', `/party/messages/${encodeURIComponent(String(this.id))}`);
      this.status = s.status;
      this.reason = s.reason || null;
      if (s.sent_to) this.to = s.sent_to;
      this.render();
      if (SETTLED.has(this.status)) return;
    } catch (err) {
      if (err instanceof api.ApiError && (err.status === 404 || err.status === 401 || err.status === 403)) return;
      // A network blip: keep the last known status and ask again.
    }
    this.later(age < QUICK_FOR_MS ? FIRST_MS : LATER_MS);
  }

  render() {
    const vars = { to: this.to };
    let text;
    if (this.status === 'sent') text = t(`code.status.sent.${this.channel === 'email' ? 'email' : 'sms'}`, vars);
    else if (this.status === 'delivered') text = t('code.status.delivered', vars);
    else if (this.status === 'failed') text = t('code.status.failed', { ...vars, reason: t(`code.reason.${this.reason || 'service'}`) });
    else if (this.status === 'not_sent') text = t('code.status.not_sent', vars);
    else text = t(`code.status.sending.${this.channel === 'email' ? 'email' : 'sms'}`, vars);
    this.el.textContent = text;
    this.el.dataset.status = this.status;
    this.el.classList.toggle('code-status-failed', this.status === 'failed' || this.status === 'not_sent');
  }
}
