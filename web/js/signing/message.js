// @ts-check
// The one line under a signing step that says what happened ("验证码不正确…", "已签名"): an alert
// for an error, a status otherwise. Shared by the key binding, the party's signatures and the
// staff's signatures, so that the line reads and is announced the same everywhere. Also the
// reason a signing call was refused with. `messageLine` builds it with ui.js's h(), `MessageLine`
// draws it in a page drawn with Preact + htm.

import { html } from 'htm/preact';
import { ApiError } from '../api.js';
import { t } from '../i18n.js';
import { h } from '../ui.js';

/**
 * A message of a signing step: translated when drawn (`key`, `vars`), or already in words (`text`).
 * `restart` (key binding): the code is used up, a new one is needed.
 * @typedef {{ kind: string, key?: string, vars?: Record<string, unknown>, text?: string, restart?: boolean }} Message
 */

/**
 * The line for `m` (null when there is none). `focusable`: it can take focus (tabindex -1), for
 * pages that move focus to it after a failed step.
 * @param {Message | null | undefined} m
 * @param {{ testid: string, focusable?: boolean }} options
 * @returns {HTMLElement | null}
 */
export function messageLine(m, { testid, focusable = false }) {
  if (!m) return null;
  return h(
    'p',
    { class: ['key-message', `key-message-${m.kind}`], role: m.kind === 'error' ? 'alert' : 'status', tabindex: focusable ? '-1' : null, dataset: { testid } },
    m.text || t(/** @type {string} */ (m.key), m.vars || {}),
  );
}

/**
 * The same line as a Preact component, for the parts drawn with Preact; the element above stays
 * for the pages built with ui.js's h() until they move.
 * @param {{ m: Message | null | undefined, testid: string, focusable?: boolean }} props
 */
export function MessageLine({ m, testid, focusable = false }) {
  if (!m) return null;
  return html`<p class=${`key-message key-message-${m.kind}`} role=${m.kind === 'error' ? 'alert' : 'status'} tabindex=${focusable ? '-1' : undefined}
    data-testid=${testid}>${m.text || t(/** @type {string} */ (m.key), m.vars || {})}</p>`;
}

/**
 * The reason of a 409/410 answer ("stale", "final", "no_key", "deadline"…), if any.
 * @param {unknown} err
 * @returns {string | null}
 */
export const reasonOf = (err) => (err instanceof ApiError && err.details && err.details.reason) || null;
