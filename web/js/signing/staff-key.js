// @ts-check
// A staff member signs a prepared statement with their own key (a device key in this browser, or a
// passkey), bringing the key into the case first when it is not bound yet (a `key_bound` record
// signed by the key: server/domain/staffkeys.py). Used by the identity check (idcheck.js), and,
// with the choice among the registered keys (`StaffSigner`), by the mediator's signature on the
// agreement (agreement.js) and the judge's decision (pages/court.js).

import { html } from 'htm/preact';
import * as api from '../api.js';
import { ApiError } from '../api.js';
import { t, fmtShortDateTime } from '../i18n.js';
import '../agreement-i18n.js';
import '../identity-i18n.js';
import { deviceKeyId, getOrCreateDeviceKey, signWithDeviceKey, signWithPasskey, b64Decode } from '../keys.js';
import { h, errorMessage } from '../ui.js';
import { messageLine } from './message.js';

/** @typedef {import('./message.js').Message} Message */
/**
 * A key registered on the staff member's account (GET /auth/keys).
 * @typedef {{ key_id: string, alg: string, registered_at?: string }} StaffKey
 */

/** The name of a staff member's device key in this browser's key store (keys.js). */
export const staffKeyName = (/** @type {string} */ userId) => `staff-${userId}`;

/**
 * The key to sign with: the device key of this browser if it is registered on the account, else
 * a passkey; null when there is none here (`elsewhere`: keys exist, but on another device).
 * @param {string} userId
 * @returns {Promise<{ key: { key_id: string, alg: string } | null, elsewhere: boolean }>}
 */
export async function chooseKey(userId) {
  const items = ((await api.myKeys()) || {}).items || [];
  let local = null;
  try {
    local = await getOrCreateDeviceKey(staffKeyName(userId));
  } catch {
    local = null; // no WebCrypto here: a passkey may still do
  }
  const device = local ? items.find((/** @type {any} */ k) => k.key_id === local.keyId) : null;
  const passkey = items.filter((/** @type {any} */ k) => k.alg === 'webauthn').pop();
  const key = device || passkey || null;
  return { key, elsewhere: !key && items.length > 0 };
}

/**
 * Make a device key in this browser and register it on the account (registered already: fine).
 * @param {string} userId
 */
export async function registerDeviceKey(userId) {
  const info = await getOrCreateDeviceKey(staffKeyName(userId));
  try {
    await api.registerStaffDeviceKey(info.spkiB64);
  } catch (err) {
    if (/** @type {any} */ (err).status !== 409) throw err;
  }
  return info.keyId;
}

/**
 * `{signature}` or `{credential}` for a prepared statement.
 * @param {any} prepared
 * @param {{ key_id: string, alg: string }} key
 * @param {string} userId
 */
export async function signPrepared(prepared, key, userId) {
  if (key.alg === 'webauthn' || prepared.options) return { credential: await signWithPasskey(prepared.options) };
  const name = staffKeyName(userId);
  const own = await getOrCreateDeviceKey(name);
  if (own.keyId !== key.key_id) throw new Error('elsewhere');
  return { signature: await signWithDeviceKey(name, b64Decode(prepared.statement)) };
}

/**
 * Bind `key` to the case if it is not yet (409: bound already).
 * @param {string} caseId
 * @param {{ key_id: string, alg: string }} key
 * @param {string} userId
 */
export async function bindToCase(caseId, key, userId) {
  let binding = null;
  try {
    binding = await api.prepareStaffKeyBinding(caseId, key.key_id);
  } catch (err) {
    if (/** @type {any} */ (err).status !== 409) throw err;
  }
  if (binding) await api.completeStaffSignature(binding.challenge, await signPrepared(binding, key, userId));
}

/**
 * Why a signature could not be made, in words. `apiText` says it for a refusal of the server.
 * @param {unknown} err
 * @param {(err: any) => string} apiText
 * @returns {string}
 */
export function signErrorText(err, apiText) {
  if (err instanceof ApiError) return apiText(err);
  if (err && /** @type {Error} */ (err).message === 'elsewhere') return t('agr.key.elsewhere');
  if (err && /** @type {Error} */ (err).name === 'NotAllowedError') return t('key.passkey.failed');
  return t('key.unsupported');
}

/**
 * A key as the choice among keys names it: the kind (a device key: whether it is this browser's),
 * when it was registered, the start of its id.
 * @param {StaffKey} k
 * @param {string} tz
 * @param {string | null} [here] the id of this browser's device key
 */
export function keyLabel(k, tz, here = null) {
  return [
    k.alg === 'webauthn' ? t('agr.key.passkey') : k.key_id === here ? t('agr.key.device.here') : t('agr.key.device'),
    k.registered_at ? t('agr.key.registered', { time: fmtShortDateTime(k.registered_at, tz) }) : null,
    `${k.key_id.slice(0, 8)}…`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * The staff member's keys, the one chosen to sign with, and the signature under way: what the
 * mediator's agreement panel and the judge's decision share. The page draws it (`choices`,
 * `messageLine`) and is told to redraw through `onChange`.
 */
export class StaffSigner {
  /** @param {{ userId: () => string, onChange: () => void }} options */
  constructor({ userId, onChange }) {
    this.userId = userId;
    this.onChange = onChange;
    /** @type {StaffKey[] | null} the registered keys, once loaded */
    this.keys = null;
    /** @type {string | null} */
    this.choice = null;
    /** @type {string | null} the id of this browser's device key, once loaded (null: none here) */
    this.here = null;
    this.busy = false;
    /** @type {Message | null} */
    this.message = null;
  }

  /**
   * Load the registered keys. Unless the choice is still there, the one chosen is this browser's
   * device key, else the last passkey, else the last key (which cannot sign here: the page says so
   * and offers to make one, `canSignHere`).
   */
  async load() {
    try {
      const data = await api.myKeys();
      const keys = /** @type {StaffKey[]} */ ((data && data.items) || []);
      try {
        this.here = await deviceKeyId(staffKeyName(this.userId()));
      } catch {
        this.here = null; // no WebCrypto here: a passkey may still do
      }
      this.keys = keys;
      if (!keys.some((k) => k.key_id === this.choice)) {
        const preferred = keys.find((k) => k.key_id === this.here) || keys.filter((k) => k.alg === 'webauthn').pop() || keys[keys.length - 1];
        this.choice = preferred ? preferred.key_id : null;
      }
    } catch (err) {
      this.keys = [];
      this.message = { kind: 'error', text: errorMessage(err) };
    }
    this.onChange();
  }

  /** The chosen key, if any. */
  chosen() {
    return (this.keys || []).find((k) => k.key_id === this.choice);
  }

  /** Whether a registered key can sign in this browser: its device key, or a passkey. */
  canSignHere() {
    return (this.keys || []).some((k) => k.key_id === this.here || k.alg === 'webauthn');
  }

  /** Make a device key in this browser, register it on the account and choose it; the keys are loaded again. */
  async register() {
    this.busy = true;
    this.message = null;
    this.onChange();
    try {
      this.choice = await registerDeviceKey(this.userId());
      this.message = { kind: 'info', text: t('agr.key.registered.done') };
    } catch (err) {
      this.message = { kind: 'error', text: err instanceof ApiError ? errorMessage(err) : t('key.unsupported') };
    }
    this.busy = false;
    this.keys = null;
    await this.load();
  }

  /**
   * Sign with `key` in case `caseId`: bind the key to the case (once), `prepare` the statement,
   * sign and send it. True when done; else the message says why (`apiText` for the server's refusals).
   * @param {{ caseId: string, key: StaffKey, prepare: () => Promise<{ challenge: string }>, apiText: (err: any) => string }} options
   * @returns {Promise<boolean>}
   */
  async sign({ caseId, key, prepare, apiText }) {
    const userId = this.userId();
    this.busy = true;
    this.message = null;
    this.onChange();
    let done = false;
    try {
      await bindToCase(caseId, key, userId);
      const prepared = await prepare();
      await api.completeStaffSignature(prepared.challenge, await signPrepared(prepared, key, userId));
      done = true;
    } catch (err) {
      this.message = { kind: 'error', text: signErrorText(err, apiText) };
    }
    this.busy = false;
    return done;
  }

  /**
   * The registered keys to choose from (radio buttons), or a line saying there is none.
   * @param {{ name: string, testid: string, none: HTMLElement, tz: string }} options
   * @returns {HTMLElement}
   */
  choices({ name, testid, none, tz }) {
    const keys = this.keys || [];
    if (!keys.length) return none;
    return h(
      'fieldset',
      { class: 'agr-keys' },
      h('legend', null, t('agr.key.choose')),
      keys.map((k) =>
        h(
          'label',
          { class: 'agr-key' },
          h('input', {
            type: 'radio',
            name,
            value: k.key_id,
            checked: k.key_id === this.choice,
            dataset: { testid },
            onchange: () => {
              this.choice = k.key_id;
            },
          }),
          h('span', null, keyLabel(k, tz, this.here)),
        ),
      ),
    );
  }

  /**
   * The same choice drawn by Preact (agreement.js): choosing a key redraws (`onChange`), so that
   * the drawn choice is the chosen one. `choices` stays for the pages built with h() until they move.
   * @param {{ name: string, testid: string, none: any, tz: string }} options
   */
  keyChoices({ name, testid, none, tz }) {
    const keys = this.keys || [];
    if (!keys.length) return none;
    const choose = (/** @type {string} */ keyId) => {
      this.choice = keyId;
      this.onChange();
    };
    return html`<fieldset class="agr-keys">
      <legend>${t('agr.key.choose')}</legend>
      ${keys.map(
        (k) => html`<label class="agr-key">
          <input type="radio" name=${name} value=${k.key_id} checked=${k.key_id === this.choice} data-testid=${testid} onChange=${() => choose(k.key_id)} />
          <span>${keyLabel(k, tz, this.here)}</span>
        </label>`,
      )}
    </fieldset>`;
  }

  /**
   * The message line of the signature.
   * @param {{ testid: string, focusable?: boolean }} options
   */
  messageLine(options) {
    return messageLine(this.message, options);
  }
}
