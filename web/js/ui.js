// @ts-check
// Small DOM helpers shared by the pages: element building (text only, never raw HTML),
// form fields and their errors, toasts, copying, dialogs and the staff page header.

import * as api from './api.js';
import { ApiError } from './api.js';
import { langSwitchButton, t, tv, getLang, dictionaries, tzName } from './i18n.js';
import './errors-i18n.js';
import './code-i18n.js';

/** @type {Record<string, string>} */
const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escape text for HTML. (The pages build DOM nodes instead; this is for the odd string.)
 * @param {unknown} value
 */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * Build an element. Strings among `children` become text nodes, so user data is never parsed
 * as HTML. Attributes: `class`, `text`, `dataset`, `style` (object), `on<event>` functions,
 * `value`/`checked` as properties, booleans as presence.
 * The element comes back as `any`: the pages set and read what its tag has (`value`, `disabled`...).
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...Child} children
 * @returns {any}
 */
export function h(tag, attrs, ...children) {
  const el = /** @type {any} */ (document.createElement(tag));
  append(el, children);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = Boolean(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  return el;
}

/**
 * What may stand among an element's children: nodes, text, nothing (null, undefined, booleans), and
 * lists of these at any depth.
 * @typedef {Node | string | number | boolean | null | undefined | any[]} Child
 */

/**
 * @template {Node & ParentNode} E
 * @param {E} el
 * @param {Child[]} children
 * @returns {E}
 */
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false || c === true) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * Replace the children of `el`.
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uid = 0;
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

/**
 * A labelled form control. kind: 'input' (default), 'select', 'textarea'.
 * options for select: [{value, label}]. Returns the wrapper; the control has `name`.
 * @param {{
 *   label: any, name: string, kind?: string, type?: string, required?: boolean, optional?: boolean,
 *   hint?: any, options?: {value: any, label: any}[], placeholder?: any, value?: any,
 *   attrs?: Record<string, any>, idPrefix?: string, className?: string,
 * }} spec
 */
export function field({
  label,
  name,
  kind = 'input',
  type = 'text',
  required = false,
  optional = false,
  hint,
  options = [],
  placeholder,
  value,
  attrs = {},
  idPrefix = 'f',
  className,
}) {
  const id = `${idPrefix}-${name}`;
  const hintId = hint ? `${id}-hint` : null;
  let control;
  if (kind === 'select') {
    control = h(
      'select',
      { id, name, required, 'aria-describedby': hintId, ...attrs },
      placeholder != null ? h('option', { value: '' }, placeholder) : null,
      options.map((o) => h('option', { value: o.value }, o.label)),
    );
    if (value != null) control.value = value;
  } else if (kind === 'textarea') {
    control = h('textarea', { id, name, required, rows: 3, placeholder, 'aria-describedby': hintId, ...attrs });
    if (value != null) control.value = value;
  } else {
    control = h('input', { id, name, type, required, placeholder, 'aria-describedby': hintId, ...attrs });
    if (value != null) control.value = value;
  }
  return h(
    'div',
    { class: ['field', className] },
    h(
      'label',
      { for: id },
      label,
      optional ? h('span', { class: 'optional' }, ` ${t('common.optional')}`) : null,
    ),
    control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
  );
}

/**
 * Options for a <select> from a list of values and a translation prefix.
 * @param {string[] | null | undefined} values
 * @param {string} [prefix]
 */
export function optionsFrom(values, prefix) {
  return (values || []).map((v) => ({ value: v, label: prefix ? tv(prefix, v) : v }));
}

const hasKey = (/** @type {string} */ key) => key in dictionaries[getLang()] || key in dictionaries.zh;

/** An error's parameters as words: lists joined, a party role named. */
function wordsOf(params = {}) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(params || {})) {
    if (Array.isArray(v)) out[k] = v.join(getLang() === 'en' ? ', ' : '、');
    else if (k === 'role') out[k] = tv('partyrole', v);
    else if (k === 'timezone') out[k] = tzName(v);
    else out[k] = v;
  }
  return out;
}

/**
 * What is wrong with one field, in the reader's language (`field.<code>` in errors-i18n.js).
 * A string; for a booking outside the mediator's hours, also the link to where they are changed
 * (an array of text and a link, which `setFieldError` shows as it is).
 * @param {{code?: string, reason?: string, params?: Record<string, unknown>} | null | undefined} f
 */
export function fieldMessage(f) {
  if (!f) return '';
  if (f.code && hasKey(`field.${f.code}`)) {
    const text = t(`field.${f.code}`, wordsOf(f.params));
    if (f.code === 'outside_availability') {
      return [text, ' ', h('a', { href: '/mediator#availability', dataset: { testid: 'availability-link' } }, t('field.outside_availability.link'))];
    }
    return text;
  }
  // Never English in a Chinese page: the server's own words are for the English reader only.
  return getLang() === 'en' && f.reason ? f.reason : t('field.invalid');
}

const textOf = (/** @type {string | any[]} */ message) => (Array.isArray(message) ? message.filter((x) => typeof x === 'string').join('').trim() : message);

/**
 * The message to show for an error from the API (in the current language).
 * @param {any} err an ApiError, or whatever else was thrown
 * @returns {string}
 */
export function errorMessage(err) {
  if (!(err instanceof ApiError)) return getLang() === 'en' ? t('error.generic', { message: (err && err.message) || String(err) }) : t('error.page');
  if (err.status === 0) return t('error.network');
  const refused = codeRefusal(err); // asked for a code too often, or no channel reaches the party
  if (refused) return refused;
  const d = err.details || {};
  for (const reason of [d.need, d.reason]) {
    if (typeof reason === 'string' && hasKey(`err.${reason}`)) {
      const withCode = (err.fields || []).find((f) => f.code === reason);
      return t(`err.${reason}`, wordsOf({ ...d, ...(withCode ? withCode.params : {}) }));
    }
  }
  if (err.status >= 500) return t('error.server');
  if (err.code === 'invalid_input' && err.fields.length) {
    // One field wrong: say what; several: ask to look at the form.
    return err.fields.length === 1 && err.fields[0].code ? textOf(fieldMessage(err.fields[0])) : t('error.invalid_input');
  }
  /** @type {Record<string, string>} */
  const known = {
    forbidden: 'error.forbidden',
    not_found: 'error.not_found',
    invalid_state: 'error.invalid_state',
    gone: 'error.gone',
    conflict: 'error.conflict',
    too_many_attempts: 'error.too_many_attempts',
    not_authenticated: 'error.not_authenticated',
    invalid_credentials: 'err.wrong_password',
    too_large: 'error.too_large',
    unsupported_media_type: 'error.unsupported_media_type',
    malformed_json: 'error.bad_request',
    bad_request: 'error.bad_request',
    csrf_failed: 'error.csrf_failed',
    internal_error: 'error.server',
  };
  if (known[err.code]) return t(known[err.code]);
  if (err.status >= 500) return t('error.server');
  if (err.status === 403) return t('error.forbidden');
  if (err.status === 404) return t('error.not_found');
  if (err.status === 401) return t('error.not_authenticated');
  if (err.status === 422 || err.status === 400) return t('error.invalid_input');
  if (err.status === 409) return t('error.conflict');
  if (err.status === 410) return t('error.gone');
  if (err.status === 429) return t('error.too_many_attempts');
  return getLang() === 'en' ? t('error.generic', { message: err.message || err.code }) : t('error.invalid_state');
}

/**
 * Why a one-time code was not sent, in words (#18): asked too often (429, with how long to wait)
 * or no channel reaches the party (409 no_code_channel). Null for any other error.
 * @param {any} err
 * @returns {string | null}
 */
export function codeRefusal(err) {
  const reason = err && err.details && err.details.reason;
  if (err.status === 409 && reason === 'no_code_channel') return t('code.no_channel');
  if (err.status !== 429 || !['code_interval', 'codes_per_hour', 'codes_per_day'].includes(reason)) return null;
  const wait = Math.max(1, Number(err.retryAfter) || 60);
  const when = wait < 120 ? t('code.when.seconds', { n: wait }) : t('code.when.minutes', { n: Math.ceil(wait / 60) });
  return t(`code.wait.${reason}`, { when });
}

/**
 * @param {ParentNode} form
 * @param {string} fieldName
 * @returns {HTMLElement | null}
 */
function findControl(form, fieldName) {
  const names = [fieldName, String(fieldName).split(/[.[\]]/).filter(Boolean).pop()];
  for (const n of names) {
    const el = /** @type {HTMLElement | null} */ (form.querySelector(`[name="${CSS.escape(String(n))}"]`));
    if (el) return el;
  }
  return null;
}

/** @param {HTMLElement} form */
export function clearFormErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => {
    e.removeAttribute('aria-invalid');
    const ids = (e.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.endsWith('-err'));
    if (ids.length) e.setAttribute('aria-describedby', ids.join(' '));
    else e.removeAttribute('aria-describedby');
  });
  const msg = /** @type {HTMLElement | null} */ (form.querySelector('.form-message'));
  if (msg) {
    msg.textContent = '';
    msg.hidden = true;
    msg.className = 'form-message';
  }
}

/**
 * Mark one control as invalid with a message under it.
 * @param {HTMLElement} form
 * @param {string} name
 * @param {Child} reason
 */
export function setFieldError(form, name, reason) {
  const control = findControl(form, name);
  if (!control) return false;
  control.setAttribute('aria-invalid', 'true');
  const errId = `${control.id || nextId('c')}-err`;
  const describedBy = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  if (!describedBy.includes(errId)) describedBy.push(errId);
  control.setAttribute('aria-describedby', describedBy.join(' '));
  const wrapper = /** @type {Element} */ (control.closest('.field') || control.parentElement); // a control in a form has a parent
  wrapper.append(h('p', { class: 'field-error', id: errId }, reason));
  return true;
}

/**
 * Show a message at the top of a form (role=alert). kind: 'error' | 'success' | 'info'.
 * @param {HTMLElement} form
 * @param {string} text
 * @param {string} [kind]
 */
export function formMessage(form, text, kind = 'error') {
  let msg = /** @type {HTMLElement | null} */ (form.querySelector('.form-message'));
  if (!msg) {
    msg = /** @type {HTMLElement} */ (h('div', { class: 'form-message', role: 'alert' }));
    form.prepend(msg);
  }
  msg.className = `form-message ${kind}`;
  msg.textContent = text;
  msg.hidden = !text;
}

/**
 * Show an API error on a form: per-field messages from `fields`, a summary at the top.
 * @param {HTMLElement} form
 * @param {any} err
 * @param {string} [summary]
 */
export function showFormErrors(form, err, summary) {
  clearFormErrors(form);
  const unmatched = [];
  for (const f of (err && err.fields) || []) {
    const message = fieldMessage(f);
    if (!setFieldError(form, f.field, message)) unmatched.push(textOf(message));
  }
  const text = [summary || errorMessage(err), ...unmatched].filter(Boolean).join(' ');
  formMessage(form, text, 'error');
  const first = /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'));
  if (first) first.focus();
}

/**
 * Disable a form's submit button while `fn` runs.
 * @template T
 * @param {HTMLElement} form
 * @param {() => T | Promise<T>} fn
 * @param {string} [busyLabel]
 * @returns {Promise<T>}
 */
export async function whileSubmitting(form, fn, busyLabel = t('common.submitting')) {
  const button = /** @type {HTMLButtonElement | null} */ (form.querySelector('button[type="submit"]'));
  const label = button ? button.textContent : '';
  if (button) {
    button.disabled = true;
    button.textContent = busyLabel;
  }
  form.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    form.removeAttribute('aria-busy');
    if (button && button.isConnected) {
      button.disabled = false;
      button.textContent = label;
    }
  }
}

// ------------------------------------------------------------------ toasts

/** @returns {HTMLElement} */
function toastRegion() {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(/** @type {HTMLElement} */ (region));
  }
  return /** @type {HTMLElement} */ (region);
}

/**
 * @param {string} text
 * @param {string} [kind]
 * @param {number} [ms]
 */
export function toast(text, kind = 'success', ms = 4000) {
  const el = h('div', { class: `toast ${kind}` }, text);
  toastRegion().append(el);
  setTimeout(() => el.remove(), ms);
}

/**
 * Save a file the server answered (a POST's .zip) as the browser saves a download.
 * @param {Blob} blob
 * @param {string} filename
 */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ------------------------------------------------------------------ copying

/** @param {Node} el */
function selectText(el) {
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
    el.focus();
    el.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(el);
  const sel = /** @type {Selection} */ (window.getSelection()); // null only in a frame without a view
  sel.removeAllRanges();
  sel.addRange(range);
}

/**
 * Copy `text` to the clipboard. If the Clipboard API is unavailable or refused, select the
 * text in `sourceEl` so the user can copy it by hand. Resolves true when copied.
 * @param {string} text
 * @param {Node | null} [sourceEl]
 */
export async function copyText(text, sourceEl) {
  try {
    if (navigator.clipboard && window.isSecureContext !== false) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through */
  }
  if (sourceEl) {
    selectText(sourceEl);
    try {
      if (document.execCommand && document.execCommand('copy')) return true;
    } catch {
      /* ignore */
    }
  }
  return false;
}

/**
 * A copy button for the text of `sourceEl` (or `getText()`).
 * @param {{
 *   label?: string, ariaLabel?: string, getText?: () => string,
 *   sourceEl?: HTMLElement | (() => HTMLElement | null) | null, testid?: string, className?: string,
 * }} spec
 */
export function copyButton({ label = t('common.copy'), ariaLabel, getText, sourceEl, testid, className = 'secondary' }) {
  const b = h('button', { type: 'button', class: ['copy', className], 'aria-label': ariaLabel, dataset: testid ? { testid } : undefined }, label);
  b.addEventListener('click', async () => {
    const el = typeof sourceEl === 'function' ? sourceEl() : sourceEl;
    const text = getText ? getText() : el ? el.textContent : '';
    const ok = await copyText(text, el);
    if (ok) {
      b.textContent = t('common.copied');
      b.classList.add('done');
      toast(t('common.copied'));
      setTimeout(() => {
        if (b.isConnected) {
          b.textContent = label;
          b.classList.remove('done');
        }
      }, 2000);
    } else {
      if (el) selectText(el);
      toast(t('common.copy_failed'), 'info', 7000);
    }
  });
  return b;
}

// ------------------------------------------------------------------ dialogs

/**
 * A modal confirmation (native <dialog>: focus is trapped, Esc cancels).
 * With `input`, resolves `{ok, value}` else `{ok}`.
 * @param {{
 *   title: any, message?: any, confirmLabel?: string, cancelLabel?: string, danger?: boolean,
 *   input?: {name?: string, label: any},
 * }} spec
 * @returns {Promise<{ok: boolean, value?: string}>}
 */
export function confirmDialog({ title, message, confirmLabel = t('common.confirm'), cancelLabel = t('common.cancel'), danger = false, input }) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const inputEl = input ? h('input', { id: `${titleId}-in`, name: input.name || 'value', type: 'text', maxlength: 500 }) : null;
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: titleId }, title),
      message ? h('p', null, message) : null,
      input
        ? h('div', { class: 'field' }, h('label', { for: inputEl.id }, input.label, h('span', { class: 'optional' }, ` ${t('common.optional')}`)), inputEl)
        : null,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', value: 'ok', class: danger ? 'danger' : 'primary' }, confirmLabel),
        h('button', { type: 'submit', value: 'cancel', class: 'secondary', formnovalidate: true }, cancelLabel),
      ),
    );
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    document.body.append(dlg);
    dlg.addEventListener('close', () => {
      const ok = dlg.returnValue === 'ok';
      const value = inputEl ? inputEl.value.trim() : undefined;
      dlg.remove();
      resolve(input ? { ok, value } : { ok });
    });
    dlg.showModal();
    (inputEl || form.querySelector('button')).focus();
  });
}

// ------------------------------------------------------------------ staff pages

/**
 * Fetch /auth/me for a staff page. Not logged in (401) → the API module redirects to /login.
 * A party cookie is not a staff login either. Resolves with the staff `me`, or never.
 */
export async function initStaffPage() {
  api.redirectToLoginOn401(true);
  let me;
  try {
    me = await api.me();
  } catch (err) {
    if (err.redirecting) return new Promise(() => {});
    throw err;
  }
  if (!me || me.kind !== 'staff') {
    location.assign(api.loginUrl());
    return new Promise(() => {});
  }
  return me;
}

/**
 * Where a staff user belongs after logging in.
 * @param {{role?: string} | null | undefined} user
 */
export function homeFor(user) {
  if (user && user.role === 'admin') return '/admin';
  if (user && user.role === 'supervisor') return '/supervision';
  return user && user.role === 'judge' ? '/court' : '/mediator';
}

/**
 * The header shared by staff pages.
 * @param {any} user
 * @param {{title?: string}} [options]
 */
export function staffHeader(user, { title } = {}) {
  const logout = h('button', { type: 'button', class: 'secondary small-btn', dataset: { testid: 'logout' } }, t('common.logout'));
  logout.addEventListener('click', async () => {
    logout.disabled = true;
    try {
      await api.logout();
    } catch {
      /* logged out anyway as far as we are concerned */
    }
    location.assign('/login');
  });
  return h(
    'header',
    { class: 'site-header' },
    h(
      'div',
      { class: 'header-inner' },
      h('a', { class: 'brand', href: homeFor(user) }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '调'), t('app.name')),
      title ? h('span', { class: 'header-title' }, title) : null,
      h(
        'div',
        { class: 'header-user' },
        h(
          'span',
          { class: 'who' },
          h('strong', { dataset: { testid: 'user-name' } }, user.display_name || user.username),
          h('span', { class: 'muted' }, [tv('role', user.role), user.organisation && user.organisation.name].filter(Boolean).join(' · ')),
        ),
        langSwitchButton(),
        logout,
      ),
    ),
  );
}

export function skipLink() {
  return h('a', { class: 'skip-link', href: '#main' }, t('app.skip'));
}

/**
 * A section with a heading.
 * @param {string} id
 * @param {string} title
 * @param {...Child} children
 */
export function section(id, title, ...children) {
  const hid = `${id}-title`;
  return h('section', { id, class: 'card', 'aria-labelledby': hid }, h('h2', { id: hid }, title), ...children);
}

/**
 * @param {string} text
 * @param {string} [kind]
 */
export function badge(text, kind = '') {
  return h('span', { class: ['badge', kind] }, text);
}

export function loadingState() {
  return h('p', { class: 'loading', role: 'status' }, t('common.loading'));
}

/**
 * @param {any} err
 * @param {() => void} [onRetry]
 */
export function errorState(err, onRetry) {
  return h(
    'div',
    { class: 'error-box', role: 'alert' },
    h('p', null, t('error.load', { message: errorMessage(err) })),
    onRetry ? h('button', { type: 'button', class: 'secondary', onclick: onRetry }, t('common.retry')) : null,
  );
}

/**
 * Parse an amount typed by a person into "12000.00", or null if empty; throws on nonsense.
 * @param {unknown} raw
 */
export function normaliseAmount(raw) {
  const s = String(raw || '').trim().replace(/[,，\s¥￥元]/g, '');
  if (!s) return null;
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) throw new RangeError('amount');
  return `${m[1].replace(/^0+(?=\d)/, '')}.${(m[2] || '').padEnd(2, '0')}`;
}
