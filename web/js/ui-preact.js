// @ts-check
// What the pages drawn with Preact + htm share (the court's page; the review page draws its own):
// ui.js's loading / error (with retry) / empty states, badges and cards as Preact trees, a part of a
// page loaded from the API, and `fromDom`, which puts a part that a shared module builds with ui.js's
// h() (confirmation.js's steps and decision, agreement.js's signers) in a Preact tree as it is.

import { h } from 'preact';
import { html } from 'htm/preact';
import { t } from './i18n.js';
import { errorMessage, fieldMessage } from './ui.js';

/** @typedef {import('preact').ComponentChildren} Children */

export const loading = () => html`<p class="loading" role="status">${t('common.loading')}</p>`;

/** @param {string} text */
export const empty = (text) => html`<p class="empty">${text}</p>`;

/** @param {Children} text @param {string} [kind] */
export const badge = (text, kind = '') => html`<span class=${kind ? `badge ${kind}` : 'badge'}>${text}</span>`;

/** @param {any} err @param {() => void} [retry] */
export const loadError = (err, retry) => html`<div class="error-box" role="alert">
  <p>${t('error.load', { message: errorMessage(err) })}</p>
  ${retry && html`<button type="button" class="secondary" onClick=${retry}>${t('common.retry')}</button>`}
</div>`;

/** ui.js's section(): a card under its heading. @param {{ id: string, title: Children, children?: Children }} props */
export const Section = ({ id, title, children }) => html`<section id=${id} class="card" aria-labelledby=${`${id}-title`}>
  <h2 id=${`${id}-title`}>${title}</h2>
  ${children}
</section>`;

/**
 * A part of a page that the API gives: loading, then ready (`data`) or failed (`error`). `load()`
 * asks again and calls `changed` when answered; a reload that fails keeps what was shown.
 * @template T
 */
export class Part {
  /** @param {() => Promise<T>} fetch @param {() => void} changed */
  constructor(fetch, changed) {
    this.fetch = fetch;
    this.changed = changed;
    /** @type {'loading' | 'ready' | 'error'} */
    this.status = 'loading';
    /** @type {T | null} */
    this.data = null;
    /** @type {any} */
    this.error = null;
  }

  async load() {
    try {
      this.data = await this.fetch();
      this.status = 'ready';
      this.error = null;
    } catch (err) {
      if (this.status !== 'ready') {
        this.status = 'error';
        this.error = err;
      }
    }
    this.changed();
  }

  /**
   * Its loading or error state (with retry), else `build(data)`.
   * @param {(data: T) => Children} build
   * @returns {Children}
   */
  view(build) {
    if (this.status === 'loading') return loading();
    if (this.status === 'error') return loadError(this.error, () => this.load());
    return build(/** @type {T} */ (this.data));
  }
}

// Attributes that are there or not (`open=""` is open): as properties they are booleans.
const BOOLEAN = new Set(['open', 'hidden', 'disabled', 'checked', 'required', 'readonly', 'selected', 'multiple']);

/**
 * A node built with ui.js's h() as a Preact tree of the same elements, attributes and text, which
 * Preact then draws and compares like its own (focus, an opened <details>, survive a redraw). Only
 * for what is read: listeners and properties set on the node are not carried over.
 * @param {Node | string | null | undefined | false | any[]} node
 * @returns {Children}
 */
export function fromDom(node) {
  if (Array.isArray(node)) return node.map(fromDom);
  if (!node || typeof node === 'string') return node || null;
  if (node.nodeType === Node.TEXT_NODE) return node.textContent;
  if (!(node instanceof Element)) return null;
  /** @type {Record<string, any>} */
  const props = {};
  for (const { name, value } of node.attributes) props[name] = BOOLEAN.has(name) || value;
  return h(node.localName, props, ...[...node.childNodes].map(fromDom));
}

// ------------------------------------------------------------------ forms (the mediator's page)
// ui.js's field(), formMessage(), setFieldError() and showFormErrors() for a form drawn with Preact:
// what the user typed lives in the page's store (`value`, `onValue`), what is wrong with the form in
// an `Errors`, drawn with it, so a redraw (data arriving, a change of language) keeps both.

/**
 * What a form says is wrong: a message at its top, and one under each control, by the control's
 * name (a string, or ui.js's fieldMessage() text and link).
 * @typedef {{ message: string, fields: Record<string, any> }} Errors
 */

/** @returns {Errors} */
export const noErrors = () => ({ message: '', fields: {} });

/** A form's message line (ui.js's formMessage). @param {Errors} errors */
export const formMessage = (errors) =>
  html`<div class=${errors.message ? 'form-message error' : 'form-message'} role="alert" hidden=${!errors.message}>${errors.message}</div>`;

/**
 * An API error on a form with the controls `names` (ui.js's showFormErrors): each field's message
 * under its control (by the API's name or its last part, "body.summary" → "summary"), the others
 * joined to the message at the top, which is `summary` or the error's own.
 * @param {any} err @param {string[]} names @param {string} [summary]
 * @returns {Errors}
 */
export function apiErrors(err, names, summary) {
  /** @type {Record<string, any>} */
  const fields = {};
  const unmatched = [];
  for (const f of (err && err.fields) || []) {
    const path = String(f.field);
    const name = [path, path.split(/[.[\]]/).filter(Boolean).pop()].find((n) => n && names.includes(n));
    const message = fieldMessage(f);
    if (name) fields[name] = fields[name] ? [fields[name], ' ', message].flat() : message;
    else unmatched.push(Array.isArray(message) ? message.filter((x) => typeof x === 'string').join('').trim() : message);
  }
  return { message: [summary || errorMessage(err), ...unmatched].filter(Boolean).join(' '), fields };
}

/**
 * ui.js's field(): a labelled input, select or textarea (`kind`) with its hint and, when `error`
 * says what is wrong with it, the message under it (both in its aria-describedby). Its value is the
 * store's: `value`, and `onValue` with what the user types or picks.
 * @param {{
 *   label: Children, name: string, kind?: 'input' | 'select' | 'textarea', type?: string, required?: boolean,
 *   optional?: boolean, hint?: Children, options?: { value: string, label: Children }[], placeholder?: string,
 *   value: string, onValue: (value: string) => void, error?: any, attrs?: Record<string, any>, idPrefix?: string,
 *   className?: string,
 * }} props
 */
export function Field({ label, name, kind = 'input', type = 'text', required = false, optional = false, hint, options = [], placeholder, value, onValue, error, attrs = {}, idPrefix = 'f', className }) {
  const id = `${idPrefix}-${name}`;
  const hintId = hint ? `${id}-hint` : null;
  const control = {
    id,
    name,
    required,
    value,
    'aria-describedby': [hintId, error && `${id}-err`].filter(Boolean).join(' ') || undefined,
    'aria-invalid': error ? 'true' : undefined,
    ...attrs,
  };
  /** @param {any} ev */
  const set = (ev) => onValue(ev.currentTarget.value);
  let input;
  if (kind === 'select') {
    input = html`<select ...${control} onChange=${set}>
      ${placeholder != null ? html`<option value="">${placeholder}</option>` : null}
      ${options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
    </select>`;
  } else if (kind === 'textarea') input = html`<textarea rows="3" placeholder=${placeholder} ...${control} onInput=${set}></textarea>`;
  else input = html`<input type=${type} placeholder=${placeholder} ...${control} onInput=${set} />`;
  return html`<div class=${className ? `field ${className}` : 'field'}>
    <label for=${id}>${label}${optional ? html`<span class="optional">${` ${t('common.optional')}`}</span>` : null}</label>
    ${input}
    ${hint ? html`<p class="hint" id=${hintId}>${hint}</p>` : null}
    ${error ? html`<p class="field-error" id=${`${id}-err`}>${fromDom(error)}</p>` : null}
  </div>`;
}
