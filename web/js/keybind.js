// A party binds their own signing key to the case (Electronic Signature Law art. 13): a device
// key made by WebCrypto (keys.js) or a passkey, proven by a one-time code texted to the phone
// number the mediator registered. Shared by the party page's key card and the consent card of
// the live session, which needs a bound key before the party can sign their consent.
//
// The flow: POST /party/keys/device {spki} → statement and challenge, an SMS code is sent;
// the party types the code, the browser signs the statement → POST /party/keys/device/{challenge}
// {code, signature}. Passkeys: POST /party/keys/passkey → creation options; register with the
// code, then sign the binding statement → /register and /bind.

import * as api from './api.js';
import { ApiError } from './api.js';
import { t } from './i18n.js';
import { getOrCreateDeviceKey, signWithDeviceKey, passkeysAvailable, createPasskey, signWithPasskey, b64Decode } from './keys.js';
import { h, replace } from './ui.js';

/** The name of a party's device key in this browser's key store (keys.js). */
export const deviceKeyName = (partyId) => `party-${partyId}`;

const boundStorageKey = (partyId) => `mediate.signing-key.${partyId}`;

function readBound(partyId) {
  try {
    const raw = localStorage.getItem(boundStorageKey(partyId));
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function writeBound(partyId, info) {
  try {
    if (info) localStorage.setItem(boundStorageKey(partyId), JSON.stringify(info));
    else localStorage.removeItem(boundStorageKey(partyId));
  } catch {
    /* storage may be blocked; the card then shows the button again after a reload */
  }
}

let csrfReady = false;

async function ensureCsrf() {
  if (csrfReady) return;
  await api.me();
  csrfReady = true;
}

/**
 * The binding flow of one party, with its own element (`el`), redrawn in place. Pages put `el`
 * where they want it (one place at a time) and hear of changes through `onChange`.
 */
export class KeyBinding {
  constructor({ partyId }) {
    this.partyId = partyId;
    this.listeners = new Set();
    this.boundListeners = new Set();
    this.stage = 'idle'; // idle | code | done
    this.mode = 'device'; // device | passkey
    this.busy = null; // null | 'send' | 'passkey' | 'confirm'
    this.challenge = null;
    this.statement = null; // base64 of the exact bytes to sign (device keys)
    this.creationOptions = null; // passkey: WebAuthn creation options
    this.requestOptions = null; // passkey: options to sign the binding statement, once registered
    this.sentTo = '';
    this.expiresAt = null;
    this.code = '';
    this.message = null; // {kind, key, vars}, translated at render time
    this.passkeys = false;
    this.bound = readBound(partyId); // {key_id, alg, at} once confirmed
    if (this.bound) this.stage = 'done';
    this.el = h('div', { class: 'key-bind' });
    this.render();
    passkeysAvailable({ platformOnly: true })
      .then((ok) => {
        this.passkeys = ok;
        if (ok && this.stage === 'idle') this.update();
      })
      .catch(() => {});
  }

  /** Listen to every redraw (e.g. to restyle the card around `el`); returns an unsubscribe function. */
  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Called with {key_id, alg, at} once the server confirmed a binding; returns an unsubscribe function. */
  onBound(fn) {
    this.boundListeners.add(fn);
    return () => this.boundListeners.delete(fn);
  }

  /** Forget a binding this browser remembered (the server has none): start again from the button. */
  reset(message = null) {
    this.bound = null;
    writeBound(this.partyId, null);
    this.stage = 'idle';
    this.challenge = null;
    this.requestOptions = null;
    this.code = '';
    this.message = message;
    this.update();
  }

  update() {
    this.render();
    for (const fn of [...this.listeners]) fn(this);
  }

  focus(testid, select = false) {
    const el = this.el.querySelector(`[data-testid="${testid}"]`);
    if (el) {
      el.focus();
      if (select && el.select) el.select();
    }
  }

  /** A message for an error of the binding calls. */
  errorMessage(err) {
    if (!(err instanceof ApiError)) return { kind: 'error', key: 'key.unsupported' };
    if (err.status === 0) return { kind: 'error', key: 'error.network' };
    if (err.status === 422) {
      const reason = (err.fields && err.fields[0] && err.fields[0].reason) || '';
      const field = err.fields && err.fields[0] && err.fields[0].field;
      const m = /(\d+)\s*tr(y|ies)\s*left/i.exec(reason);
      if (m) return { kind: 'error', key: 'key.wrong_code', vars: { n: Number(m[1]) } };
      if (/wrong code/i.test(`${reason} ${err.message}`)) return { kind: 'error', key: 'key.wrong_code.generic' };
      if (field === 'credential') return { kind: 'error', key: 'key.passkey.failed' };
      return { kind: 'error', key: 'error.generic', vars: { message: reason || err.message } };
    }
    if (err.status === 429) return { kind: 'error', key: this.stage === 'code' ? 'key.too_many' : 'key.rate_limited', restart: this.stage === 'code' };
    if (err.status === 410) return { kind: 'error', key: 'key.expired', restart: true };
    if (err.status === 404) return { kind: 'error', key: 'key.start_again', restart: true };
    return { kind: 'error', key: 'error.generic', vars: { message: err.message || err.code } };
  }

  async sendCode(mode) {
    if (this.busy) return;
    this.busy = mode === 'passkey' ? 'passkey' : 'send';
    this.message = null;
    this.update();
    let next = 'key-send';
    try {
      await ensureCsrf();
      let r;
      if (mode === 'passkey') {
        r = await api.request('POST', '/party/keys/passkey');
        this.creationOptions = r.options;
        this.requestOptions = null;
        this.statement = null;
      } else {
        const info = await getOrCreateDeviceKey(deviceKeyName(this.partyId));
        r = await api.request('POST', '/party/keys/device', { body: { spki: info.spkiB64 } });
        this.statement = r.statement;
      }
      this.mode = mode;
      this.challenge = r.challenge;
      this.sentTo = r.sent_to || '';
      this.expiresAt = r.expires_at || null;
      this.code = '';
      this.stage = 'code';
      this.message = null;
      next = 'key-code';
    } catch (err) {
      this.message = this.errorMessage(err);
      if (this.stage === 'code') next = 'key-resend';
    } finally {
      this.busy = null;
      this.update();
      this.focus(next);
    }
  }

  expired() {
    return this.expiresAt && Date.now() > Date.parse(this.expiresAt);
  }

  async confirmCode() {
    if (this.busy) return;
    const code = (this.code || '').replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) {
      this.message = { kind: 'error', key: 'key.code.invalid' };
      this.update();
      this.focus('key-code', true);
      return;
    }
    if (this.expired()) {
      this.message = { kind: 'error', key: 'key.expired' };
      this.update();
      this.focus('key-resend');
      return;
    }
    this.busy = 'confirm';
    this.message = null;
    this.update();
    let next = 'key-code';
    let bound = false;
    try {
      await ensureCsrf();
      const ch = encodeURIComponent(this.challenge);
      let done;
      if (this.mode === 'passkey') {
        if (!this.requestOptions) {
          const credential = await createPasskey(this.creationOptions);
          const reg = await api.request('POST', `/party/keys/passkey/${ch}/register`, { body: { code, credential } });
          this.requestOptions = reg.options;
        }
        const assertion = await signWithPasskey(this.requestOptions);
        done = await api.request('POST', `/party/keys/passkey/${ch}/bind`, { body: { credential: assertion } });
      } else {
        const signature = await signWithDeviceKey(deviceKeyName(this.partyId), b64Decode(this.statement));
        done = await api.request('POST', `/party/keys/device/${ch}`, { body: { code, signature } });
      }
      this.bound = { key_id: done.key_id, alg: done.alg, at: new Date().toISOString() };
      writeBound(this.partyId, this.bound);
      this.stage = 'done';
      this.message = null;
      next = 'key-done';
      bound = true;
    } catch (err) {
      const msg =
        err instanceof ApiError
          ? this.errorMessage(err)
          : this.mode === 'passkey'
            ? { kind: 'error', key: 'key.passkey.failed' }
            : { kind: 'error', key: 'key.unsupported' };
      this.message = msg;
      if (msg.restart) {
        // The code is used up or expired: a new one is needed.
        this.challenge = null;
        this.requestOptions = null;
        this.code = '';
        next = 'key-resend';
      }
    } finally {
      this.busy = null;
      this.update();
      this.focus(next, next === 'key-code');
    }
    if (bound) for (const fn of [...this.boundListeners]) fn(this.bound);
  }

  messageEl() {
    const m = this.message;
    if (!m) return null;
    return h(
      'p',
      { class: ['key-message', `key-message-${m.kind}`], role: m.kind === 'error' ? 'alert' : 'status', dataset: { testid: 'key-message' } },
      t(m.key, m.vars || {}),
    );
  }

  body() {
    if (this.stage === 'done') {
      return [
        h('p', { class: 'key-done', tabindex: '-1', dataset: { testid: 'key-done' } }, t('key.done')),
        h('p', null, t('key.done.text')),
      ];
    }
    const intro = [h('p', null, t('key.why')), h('p', { class: 'key-private' }, t('key.private'))];
    if (this.stage === 'idle') {
      return [
        intro,
        h('p', null, t('key.how')),
        this.messageEl(),
        h(
          'button',
          { type: 'button', class: 'primary big block', disabled: Boolean(this.busy), onclick: () => this.sendCode('device'), dataset: { testid: 'key-send' } },
          this.busy === 'send' ? t('key.sending') : t('key.send'),
        ),
        this.passkeys
          ? h(
              'div',
              { class: 'key-passkey' },
              h(
                'button',
                { type: 'button', class: 'secondary big block', disabled: Boolean(this.busy), onclick: () => this.sendCode('passkey'), dataset: { testid: 'key-passkey' } },
                this.busy === 'passkey' ? t('key.sending') : t('key.passkey'),
              ),
              h('p', { class: 'hint' }, t('key.passkey.hint')),
            )
          : null,
      ];
    }
    // stage 'code'
    const input = h('input', {
      id: 'key-code',
      name: 'code',
      class: 'code-input',
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]*',
      maxlength: 6,
      spellcheck: 'false',
      'aria-describedby': 'key-code-hint',
      'aria-invalid': this.message && this.message.kind === 'error' && this.challenge ? 'true' : null,
      disabled: !this.challenge || this.busy === 'confirm',
      value: this.code,
      dataset: { testid: 'key-code' },
    });
    input.addEventListener('input', () => {
      const digits = input.value.replace(/\D+/g, '').slice(0, 6);
      if (digits !== input.value) input.value = digits;
      this.code = digits;
    });
    const form = h(
      'form',
      { class: 'key-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'key-code' }, t('key.code')), input, h('p', { class: 'hint', id: 'key-code-hint' }, t('key.code.hint'))),
      this.messageEl(),
      h(
        'button',
        { type: 'submit', class: 'primary big block', disabled: !this.challenge || Boolean(this.busy), dataset: { testid: 'key-confirm' } },
        this.busy === 'confirm' ? t('key.confirming') : t('key.confirm'),
      ),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.confirmCode();
    });
    return [
      intro,
      this.challenge ? h('p', { class: 'key-sent', role: 'status', dataset: { testid: 'key-sent' } }, t('key.sent', { phone: this.sentTo })) : null,
      form,
      h(
        'button',
        { type: 'button', class: 'secondary block key-resend', disabled: Boolean(this.busy), onclick: () => this.sendCode(this.mode), dataset: { testid: 'key-resend' } },
        this.busy === 'send' || this.busy === 'passkey' ? t('key.sending') : t('key.resend'),
      ),
    ];
  }

  /** Redraw `el` (after a change, or in another language). */
  render() {
    replace(this.el, this.body());
  }
}
