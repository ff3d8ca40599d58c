// @ts-check
// A party signs a prepared statement with their own key, bound to the case before (keybind.js):
// every party's card that asks for a signature (the agreement: partyagreement.js; the application
// for judicial confirmation: partyconfirmation.js; an extension, the mediation record and its
// recording's choice, a performance answer, a rating or a complaint) goes through the same steps
// (server/domain/party_signing.py):
//
//   idle → preparing (the page asks the server to prepare the statement) →
//     a passkey:                  signing → done
//     a device key, a code sent:  code (the party types it) → signing → done
//     a device key, no code:      signing → done (no code can reach the party; the record says so)
//     the key is on another device, or none is bound: no_key (the page binds one first)
//
// This object holds the steps' state (stage, the prepared statement, the typed code, the message)
// and runs them: starting (`start`), binding a key first (`bindKey`, `keyFirst`, `keyBound`), the
// code, saying a failure (`showFailure`); the page draws it (`codeForm`) and says what preparing,
// completing and failing mean for it.

import { html } from 'htm/preact';
import { ApiError } from '../api.js';
import { getOrCreateDeviceKey, signWithDeviceKey, signWithPasskey, b64Decode } from '../keys.js';
import { t } from '../i18n.js';
import '../agreement-i18n.js';
import '../identity-i18n.js';
import { errorMessage } from '../ui.js';
import { Mount } from '../mount.js';
import { CodeField, codeStatusLine, typedCode, wrongCodeMessage } from './code-input.js';
import { MessageLine, reasonOf } from './message.js';

/** @typedef {import('./message.js').Message} Message */
/** @typedef {'idle' | 'preparing' | 'no_key' | 'code' | 'signing'} Stage */
/**
 * A statement prepared for the party's signature (server/http/AGREEMENT_API.md, "Party"):
 * `options` for a passkey; `statement` (base64) for a device key, with `otp` ({channel, sent_to,
 * message_id}) when a code was sent.
 * @typedef {{ challenge: string, statement?: string, options?: any, key?: { id: string, alg: string } | null, otp?: any }} Prepared
 */
/** @typedef {{ signature: string, code?: string } | { credential: any }} Proof */

/**
 * The name of a party's device key in this browser's key store (keys.js).
 * @param {string} partyId
 */
export const deviceKeyName = (partyId) => `party-${partyId}`;

/**
 * @typedef {object} PartySigningOptions
 * @property {string} partyId
 * @property {string} prefix the pages' test ids start with it (`agr`, `conf`, `ext`…): `${prefix}-sign-code`…
 * @property {import('../keybind.js').KeyBinding | null} [keys] the page's key card, where a key is bound first
 * @property {string} [inputId] the id of the code input (`${prefix}-sign-code`)
 * @property {string} boundNote the note "your key is bound, signing goes on", kept when signing starts
 * @property {boolean} [passkeyClears] a passkey clears that note too (the agreement's page)
 * @property {string} lateReason a 410 with this reason is too late, not "ask again"
 * @property {string} [messageTestid] the test id of the message line (`${prefix}-message`)
 * @property {string} [againFocus] what takes focus after "ask again" (the message line)
 * @property {() => string} cancelFocus what takes focus after the code step is cancelled
 * @property {() => void} render redraw the page's part
 * @property {(testid: string) => void} focus
 * @property {(proof: Proof) => Promise<void>} complete send the proof (`prepared.challenge`), then say it is done
 * @property {(err: unknown) => Promise<void>} failed say what went wrong (`failure` does the common part)
 * @property {() => void} elsewhere the key bound in this case is on another device: bind this one
 */

/** Bring the page's key card (party.js) into view, its first button focused: a key is bound there before signing. */
export function toKeyCard() {
  const card = document.getElementById('key-card');
  if (!card) return;
  card.scrollIntoView({ block: 'start', behavior: 'smooth' });
  /** @type {HTMLElement | null} */ (card.querySelector('[data-testid="key-send"]'))?.focus({ preventScroll: true });
}

export class PartySigning {
  /** @param {PartySigningOptions} options */
  constructor(options) {
    const messageTestid = options.messageTestid || `${options.prefix}-message`;
    /** @type {PartySigningOptions & { inputId: string, messageTestid: string, againFocus: string }} */
    this.options = { ...options, inputId: options.inputId || `${options.prefix}-sign-code`, messageTestid, againFocus: options.againFocus || messageTestid };
    /** @type {Stage} */
    this.stage = 'idle';
    /** @type {Prepared | null} */
    this.prepared = null;
    this.code = '';
    /** @type {Message | null} */
    this.message = null;
  }

  /** Preparing or signing: the buttons wait. */
  get busy() {
    return this.stage === 'preparing' || this.stage === 'signing';
  }

  /** Start preparing (false when already under way). */
  begin() {
    if (this.busy) return false;
    this.stage = 'preparing';
    this.options.render();
    return true;
  }

  /**
   * Start: ask the server to prepare the statement (`prepare`), then sign it; a refusal goes to the
   * page's `failed`. `prepare` gives null when the page dealt with the answer itself.
   * @param {() => Promise<Prepared | null>} prepare
   */
  async start(prepare) {
    if (!this.begin()) return;
    let prepared;
    try {
      prepared = await prepare();
    } catch (err) {
      await this.options.failed(err);
      return;
    }
    if (prepared) await this.withPrepared(prepared);
  }

  /** The prepared statement's challenge, which the proof is sent to. */
  get challenge() {
    return /** @type {Prepared} */ (this.prepared).challenge;
  }

  /** Back to the start, the prepared statement dropped. */
  reset() {
    this.prepared = null;
    this.code = '';
    this.stage = 'idle';
  }

  /**
   * No key of this device is bound to the case: back to the start, and the page's key card comes
   * into view to bind one (saying why when `messageKey` is given); `keyBound` goes on from there.
   * @param {string | null} [messageKey]
   */
  bindKey(messageKey = null) {
    const keys = this.options.keys;
    this.reset();
    this.stage = 'no_key';
    this.message = null;
    // A card the party is already binding with (a code asked for, or on its way) is left as it is: on a
    // slow line the answer that brings us here can come after they pressed "send the code". A card
    // already at its start with nothing to say is not redrawn either: a redraw replaces its button,
    // and a tap whose press and release straddle it is lost.
    const pristine = keys && keys.stage === 'idle' && !keys.message && !messageKey;
    if (keys && keys.stage !== 'code' && !keys.busy && !pristine) keys.reset(messageKey ? { kind: 'info', key: messageKey } : null);
    this.options.render();
    toKeyCard();
  }

  /**
   * A key was just bound through the key card: true when this flow was waiting for one (its note
   * then says so), and the page starts again.
   */
  keyBound() {
    if (this.stage !== 'no_key') return false;
    this.message = { kind: 'info', key: this.options.boundNote };
    this.stage = 'idle';
    return true;
  }

  /**
   * The step "bind a key on this device first" (stage `no_key`), a Preact tree: the message line
   * (unless the page draws it elsewhere: `message` false), the note, and the button that brings the
   * key card into view. `texts`: the page's words, already translated.
   * @param {{ first: string, go: string, message?: boolean }} texts
   */
  keyFirst({ first, go, message = true }) {
    const p = this.options.prefix;
    return html`${message ? this.messageLine() : null}
      <p class=${`notice ${p}-key-first`} role="status" data-testid=${`${p}-key-first`}>${first}</p>
      <button type="button" class="secondary big block" onClick=${toKeyCard} data-testid=${`${p}-to-key`}>${go}</button>`;
  }

  /** Keep the note that the key was just bound; drop any other message. */
  clearMessage() {
    if (this.message && this.message.key !== this.options.boundNote) this.message = null;
  }

  /**
   * A prepared statement: a passkey signs at once; a device key needs the code, when one was sent.
   * @param {Prepared} r
   */
  async withPrepared(r) {
    const o = this.options;
    this.prepared = r;
    if (r && (r.options || (r.key && r.key.alg === 'webauthn'))) {
      this.stage = 'signing';
      if (o.passkeyClears) this.message = null;
      o.render();
      try {
        const credential = await signWithPasskey(r.options);
        await o.complete({ credential });
      } catch (err) {
        await o.failed(err);
      }
      return;
    }
    try {
      const own = await getOrCreateDeviceKey(deviceKeyName(o.partyId));
      if (r.key && own.keyId !== r.key.id) {
        // The key bound in this case is on another phone or browser: bind this one.
        o.elsewhere();
        return;
      }
    } catch (err) {
      await o.failed(err);
      return;
    }
    if (!r.otp) {
      // No code was sent (none can reach the party): the device key signs alone, as the record says.
      this.stage = 'signing';
      this.clearMessage();
      o.render();
      try {
        await o.complete({ signature: await signWithDeviceKey(deviceKeyName(o.partyId), b64Decode(/** @type {string} */ (r.statement))) });
      } catch (err) {
        await o.failed(err);
      }
      return;
    }
    this.stage = 'code';
    this.code = '';
    this.clearMessage();
    o.render();
    o.focus(`${o.prefix}-sign-code`);
  }

  /** The code typed: sign with the device key and send both. */
  async finishDevice() {
    const o = this.options;
    const codeTestid = `${o.prefix}-sign-code`;
    const code = typedCode(this.code);
    if (!code) {
      this.message = { kind: 'error', key: 'key.code.invalid' };
      o.render();
      o.focus(codeTestid);
      return;
    }
    this.stage = 'signing';
    this.message = null;
    o.render();
    try {
      const prepared = /** @type {Prepared} */ (this.prepared);
      const signature = await signWithDeviceKey(deviceKeyName(o.partyId), b64Decode(/** @type {string} */ (prepared.statement)));
      await o.complete({ code, signature });
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        // A wrong code: type it again (the same request stays open).
        this.stage = 'code';
        const f = (err.fields && err.fields[0]) || {};
        this.message = f.field && f.field !== 'code' ? { kind: 'error', text: errorMessage(err) } : wrongCodeMessage(err);
        o.render();
        o.focus(codeTestid);
        return;
      }
      if (err instanceof ApiError && (err.status === 429 || (err.status === 410 && reasonOf(err) !== o.lateReason) || err.status === 404)) {
        this.prepared = null;
        this.stage = 'idle';
        this.message = { kind: 'error', key: 'agr.party.err.again' };
        o.render();
        o.focus(o.againFocus);
        return;
      }
      await o.failed(err);
    }
  }

  /** Cancel the code step; focus goes back to the button that started it. */
  cancel() {
    this.reset();
    this.message = null;
    this.options.render();
    this.options.focus(this.options.cancelFocus());
  }

  /**
   * The common part of a failure: back to the start, and whether the server says no key is bound
   * (409 `no_key`: the page binds one first). Returns the reason of the answer otherwise.
   * @param {unknown} err
   * @returns {{ noKey: boolean, reason: string | null }}
   */
  failure(err) {
    const reason = reasonOf(err);
    this.reset();
    return { noKey: err instanceof ApiError && err.status === 409 && reason === 'no_key', reason };
  }

  /**
   * A failure of the signing calls, said on a card whose key card binds keys (`bindKey`): back to
   * the start; when no key is bound, the key card takes over. Otherwise the card's own words for a
   * refusal it knows (`known`: a message, or null), after which what changed is loaded again
   * (`reload`; after any failure with `reloadAlways`), or the common words (`otherError`); then the
   * message line is drawn and takes focus.
   * @param {unknown} err
   * @param {{ known?: (reason: string | null) => Message | null, reload: () => Promise<void>, reloadAlways?: boolean }} how
   */
  async showFailure(err, { known = () => null, reload, reloadAlways = false }) {
    const { noKey, reason } = this.failure(err);
    if (noKey) {
      this.bindKey();
      return;
    }
    const message = known(reason);
    this.message = message || PartySigning.otherError(err);
    if (message || reloadAlways) await reload();
    this.options.render();
    this.options.focus(this.options.messageTestid);
  }

  /**
   * The message for an error none of the page's own cases covers.
   * @param {unknown} err
   * @returns {Message}
   */
  static otherError(err) {
    if (err instanceof ApiError) return { kind: 'error', text: errorMessage(err) };
    if (err && /** @type {Error} */ (err).name === 'NotAllowedError') return { kind: 'error', key: 'key.passkey.failed' };
    return { kind: 'error', key: 'key.unsupported' };
  }

  /**
   * The form to type the code in (stage `code`), a Preact tree (the digits live in `code`, so a
   * redraw or a change of language keeps them). `texts`: the page's words, already translated.
   * @param {{ formClass: string, meaning: string, hint: string, confirm: string }} texts
   */
  codeForm({ formClass, meaning, hint, confirm }) {
    const o = this.options;
    const p = o.prefix;
    const busy = this.busy;
    const sent = /** @type {Prepared} */ (this.prepared).otp;
    return html`<form class=${formClass} novalidate onSubmit=${(/** @type {Event} */ ev) => (ev.preventDefault(), this.finishDevice())}>
      ${sent ? html`<${Mount} make=${() => codeStatusLine(sent, { testid: `${p}-code-sent` })} deps=${[sent]} />` : null}
      <p class="hint">${meaning}</p>
      <${CodeField} id=${o.inputId} testid=${`${p}-sign-code`} label=${t('key.code')} hint=${hint} value=${this.code}
        onInput=${(/** @type {string} */ digits) => (this.code = digits)} />
      ${this.messageLine()}
      <button type="submit" class="primary big block" disabled=${busy} data-testid=${`${p}-sign-confirm`}>${busy ? t('agr.party.signing') : confirm}</button>
      <button type="button" class="secondary block agr-cancel" disabled=${busy} data-testid=${`${p}-sign-cancel`} onClick=${() => this.cancel()}>${t('common.cancel')}</button>
    </form>`;
  }

  /** The message line, focusable (pages move focus to it), a Preact tree. */
  messageLine() {
    return html`<${MessageLine} m=${this.message} testid=${this.options.messageTestid} focusable />`;
  }
}
