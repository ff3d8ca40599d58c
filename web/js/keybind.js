// @ts-check
// A party binds their own signing key to the case (Electronic Signature Law art. 13): a device
// key made by WebCrypto (keys.js) or a passkey, proven by a one-time code texted to the phone
// number the mediator registered. Shared by the party page's key card and the consent card of
// the live session, which needs a bound key before the party can sign their consent.
//
// The flow: POST /party/keys/device {spki} → statement and challenge, an SMS code is sent;
// the party types the code, the browser signs the statement → POST /party/keys/device/{challenge}
// {code, signature}. Passkeys: POST /party/keys/passkey → creation options; register with the
// code, then sign the binding statement → /register and /bind.
//
// Where no code can reach the party (GET /party/keys: no code channel), the card says so plainly
// and sends them to the video session; once the mediator has checked their ID card there, the card
// binds the key with no code under that check (POST /party/keys/witnessed/…, #18).

import * as api from './api.js';
import { ApiError } from './api.js';
import { t, fmtTime } from './i18n.js';
import './identity-i18n.js';
import { getOrCreateDeviceKey, signWithDeviceKey, passkeysAvailable, createPasskey, signWithPasskey, b64Decode } from './keys.js';
import { codeField, codeStatusLine, triesLeft, typedCode } from './signing/code-input.js';
import { messageLine } from './signing/message.js';
import { deviceKeyName } from './signing/party-flow.js';
import { codeRefusal, errorMessage, h, replace } from './ui.js';

/** The name of a party's device key in this browser's key store (signing/party-flow.js). */
export { deviceKeyName };

const boundStorageKey = (partyId) => `mediate.signing-key.${partyId}`;

/** How often the card asks whether the mediator has checked the party yet (no code can reach them). */
const STATUS_POLL_MS = 3000;

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
  /** @param {{ partyId: string }} options */
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
    // GET /party/keys: {key, code_channels, video_check}; {failed: true} if it could not be read.
    this.status = null;
    this.statusTimer = null;
    this.el = h('div', { class: 'key-bind' });
    this.render();
    this.loadStatus();
    passkeysAvailable({ platformOnly: true })
      .then((ok) => {
        this.passkeys = ok;
        if (ok && this.stage === 'idle') this.update();
      })
      .catch(() => {});
  }

  /**
   * Listen to every redraw (e.g. to restyle the card around `el`); returns an unsubscribe function.
   * @param {(binding: KeyBinding) => void} fn
   */
  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Called with {key_id, alg, at} once the server confirmed a binding; returns an unsubscribe function.
   * @param {(bound: { key_id: string, alg: string, at: string }) => void} fn
   */
  onBound(fn) {
    this.boundListeners.add(fn);
    return () => this.boundListeners.delete(fn);
  }

  /**
   * Forget a binding this browser remembered (the server has none): start again from the button.
   * @param {import('./signing/message.js').Message | null} [message] what the card says then
   */
  reset(message = null) {
    this.bound = null;
    writeBound(this.partyId, null);
    this.stage = 'idle';
    this.challenge = null;
    this.requestOptions = null;
    this.code = '';
    this.message = message;
    this.update();
    this.loadStatus();
  }

  /** No channel can carry a code to this party (as the server says). */
  noChannel() {
    return Boolean(this.status && !this.status.failed && !(this.status.code_channels || []).length);
  }

  /** The mediator's check on video, while it is open for this party. */
  videoCheck() {
    return (this.status && this.status.video_check) || null;
  }

  /**
   * Ask the server which path works: a code, or the mediator's check on video. While no code can
   * reach the party, or a check is open, ask again every few seconds, so the card moves on by
   * itself once the mediator has checked them.
   */
  async loadStatus() {
    clearTimeout(this.statusTimer);
    if (this.stage === 'done') return;
    if (this.status && document.visibilityState === 'hidden') {
      // A page in the background asks again when it is looked at.
      this.statusTimer = setTimeout(() => this.loadStatus(), STATUS_POLL_MS);
      return;
    }
    let status;
    try {
      status = await api.partyKeyStatus();
    } catch {
      status = this.status && !this.status.failed ? this.status : { failed: true };
    }
    const changed = JSON.stringify(status) !== JSON.stringify(this.status);
    this.status = status;
    if (changed && this.stage === 'idle' && !this.busy) this.update();
    if (this.stage !== 'done' && !status.failed && (this.noChannel() || this.videoCheck())) {
      this.statusTimer = setTimeout(() => this.loadStatus(), STATUS_POLL_MS);
    }
  }

  /** Bind a device key (or passkey) with no code, under the mediator's open check on video. */
  async bindWitnessed(mode) {
    if (this.busy) return;
    this.busy = 'witnessed';
    this.message = null;
    this.update();
    let bound = false;
    try {
      await ensureCsrf();
      let done;
      if (mode === 'passkey') {
        const r = await api.startWitnessedPasskey();
        const credential = await createPasskey(r.options);
        const reg = await api.registerWitnessedPasskey(r.challenge, credential);
        done = await api.bindWitnessedPasskey(r.challenge, await signWithPasskey(reg.options));
      } else {
        const name = deviceKeyName(this.partyId);
        const info = await getOrCreateDeviceKey(name);
        const r = await api.startWitnessedDeviceKey(info.spkiB64);
        done = await api.finishWitnessedDeviceKey(r.challenge, await signWithDeviceKey(name, b64Decode(r.statement)));
      }
      this.bound = { key_id: done.key_id, alg: done.alg, at: new Date().toISOString() };
      writeBound(this.partyId, this.bound);
      this.stage = 'done';
      this.message = null;
      bound = true;
    } catch (err) {
      if (err instanceof ApiError && [404, 409, 410].includes(err.status)) {
        // The check expired, was used or was withdrawn: the mediator checks again.
        this.message = { kind: 'error', key: 'key.witnessed.expired' };
        if (this.status) this.status = { ...this.status, video_check: null };
        this.loadStatus();
      } else if (err instanceof ApiError) {
        this.message = this.errorMessage(err);
      } else {
        this.message = { kind: 'error', key: mode === 'passkey' ? 'key.witnessed.passkey_failed' : 'key.unsupported' };
      }
    } finally {
      this.busy = null;
      this.update();
      this.focus(bound ? 'key-done' : this.videoCheck() ? 'key-witnessed-confirm' : 'key-message');
    }
    if (bound) for (const fn of [...this.boundListeners]) fn(this.bound);
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
    const refused = codeRefusal(err); // asked too often, or no channel reaches the party
    if (refused) return { kind: 'error', text: refused };
    if (err.status === 422) {
      const reason = (err.fields && err.fields[0] && err.fields[0].reason) || '';
      const field = err.fields && err.fields[0] && err.fields[0].field;
      const n = triesLeft(err);
      if (n != null) return { kind: 'error', key: 'key.wrong_code', vars: { n } };
      if (/wrong code/i.test(`${reason} ${err.message}`)) return { kind: 'error', key: 'key.wrong_code.generic' };
      if (field === 'credential') return { kind: 'error', key: 'key.passkey.failed' };
      return { kind: 'error', text: errorMessage(err) }; // the field's code, said in the page's language
    }
    if (err.status === 429) return { kind: 'error', key: this.stage === 'code' ? 'key.too_many' : 'key.rate_limited', restart: this.stage === 'code' };
    if (err.status === 410) return { kind: 'error', key: 'key.expired', restart: true };
    if (err.status === 404) return { kind: 'error', key: 'key.start_again', restart: true };
    return { kind: 'error', text: errorMessage(err) };
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
      this.sent = r; // {channel, sent_to, message_id}: signing/code-input.js says what became of it
      this.expiresAt = r.expires_at || null;
      this.code = '';
      this.stage = 'code';
      this.message = null;
      next = 'key-code';
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.details && err.details.reason === 'no_code_channel') {
        // No channel reaches the party after all: say so, and wait for the mediator's check.
        this.status = { ...(this.status && !this.status.failed ? this.status : {}), code_channels: [] };
        this.stage = 'idle';
        this.message = null;
        next = 'key-no-channel';
        this.loadStatus();
      } else {
        this.message = this.errorMessage(err);
        if (this.stage === 'code') next = 'key-resend';
      }
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
    const code = typedCode(this.code);
    if (!code) {
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
    return messageLine(this.message, { testid: 'key-message' });
  }

  body() {
    if (this.stage === 'done') {
      return [
        h('p', { class: 'key-done', tabindex: '-1', dataset: { testid: 'key-done' } }, t('key.done')),
        h('p', null, t('key.done.text')),
      ];
    }
    const intro = [h('p', null, t('key.why')), h('p', { class: 'key-private' }, t('key.private'))];
    if (this.stage === 'idle' && this.videoCheck()) {
      const check = this.videoCheck();
      return [
        h('p', { class: 'key-witnessed', role: 'status', tabindex: '-1', dataset: { testid: 'key-witnessed' } }, t('key.witnessed')),
        h('p', { class: 'hint' }, t('key.witnessed.by', { name: check.checked_by, time: fmtTime(check.expires_at) })),
        h('p', { class: 'key-private' }, t('key.private')),
        this.messageEl(),
        h(
          'button',
          { type: 'button', class: 'primary big block', disabled: Boolean(this.busy), onclick: () => this.bindWitnessed('device'), dataset: { testid: 'key-witnessed-confirm' } },
          this.busy === 'witnessed' ? t('key.witnessed.busy') : t('key.witnessed.confirm'),
        ),
        this.passkeys
          ? h(
              'div',
              { class: 'key-passkey' },
              h(
                'button',
                { type: 'button', class: 'secondary big block', disabled: Boolean(this.busy), onclick: () => this.bindWitnessed('passkey'), dataset: { testid: 'key-witnessed-passkey' } },
                t('key.witnessed.passkey'),
              ),
            )
          : null,
      ];
    }
    if (this.stage === 'idle' && this.noChannel()) {
      return [
        intro,
        h('p', { class: 'notice key-no-channel', role: 'status', tabindex: '-1', dataset: { testid: 'key-no-channel' } }, t('key.nochannel')),
        h('p', { class: 'hint' }, t('key.nochannel.next')),
        this.messageEl(),
      ];
    }
    if (this.stage === 'idle' && !this.status) {
      return [intro, h('p', { class: 'muted', role: 'status' }, t('key.checking'))];
    }
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
    const form = h(
      'form',
      { class: 'key-form', novalidate: true },
      codeField({
        id: 'key-code',
        testid: 'key-code',
        label: t('key.code'),
        hint: t('key.code.hint'),
        value: this.code,
        onInput: (digits) => {
          this.code = digits;
        },
        invalid: Boolean(this.message && this.message.kind === 'error' && this.challenge),
        disabled: !this.challenge || this.busy === 'confirm',
      }),
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
      this.challenge ? codeStatusLine(this.sent, { testid: 'key-sent' }) : null,
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
