// @ts-check
// What the pages drawn with Preact + htm share (the court's page; the review page draws its own):
// ui.js's loading / error (with retry) / empty states, badges and cards as Preact trees, a part of a
// page loaded from the API, and `fromDom`, which puts a part that a shared module builds with ui.js's
// h() (confirmation.js's steps and decision, agreement.js's signers) in a Preact tree as it is.

import { h } from 'preact';
import { html } from 'htm/preact';
import { t } from './i18n.js';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, fieldMessage, copyText, toast } from './ui.js';

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

// ------------------------------------------------------------------ the mediator's case page (pages/case.js, particulars.js)
// Forms whose values and errors live in a store (`FormState`), drawn as ui.js's field(), formMessage()
// and setFieldError() draw them, so a redraw or a change of language keeps what was typed; errors are
// kept as functions that say them, so they are said again in the new language.

/**
 * @typedef {() => any} Say words said when drawn (a string, or text with a link)
 * @typedef {{ values: Record<string, any>, message: Say | null, kind: string, testid?: string, fields: Record<string, Say | undefined>, busy: boolean }} FormState
 */

/** @param {Record<string, any>} [values] @returns {FormState} */
export const formState = (values = {}) => ({ values: { ...values }, message: null, kind: 'error', fields: {}, busy: false });

/** No message, no field marked. @param {FormState} form */
export function clearErrors(form) {
  form.message = null;
  form.kind = 'error';
  form.testid = undefined;
  form.fields = {};
}

/**
 * An API error on a form (ui.js's showFormErrors): each field's message under its control (by its
 * name, "body.name" → "name", through `rename`), the rest in the message at the top.
 * @param {FormState} form @param {any} err @param {{ summary?: Say, rename?: Record<string, string> }} [options]
 */
export function showApiError(form, err, { summary, rename = {} } = {}) {
  clearErrors(form);
  /** @type {any[]} */
  const unmatched = [];
  for (const f of (err && err.fields) || []) {
    const names = [String(f.field), String(f.field).split(/[.[\]]/).filter(Boolean).pop() || ''].map((n) => rename[n] || n);
    const name = names.find((n) => n in form.values);
    if (name) form.fields[name] = () => fieldMessage(f);
    else unmatched.push(f);
  }
  const text = summary || (() => errorMessage(err));
  form.message = () => [text(), ...unmatched.map((f) => words(fieldMessage(f)))].filter(Boolean).join(' ');
}

/** @param {any} message */
const words = (message) => (Array.isArray(message) ? message.filter((x) => typeof x === 'string').join('').trim() : message);

/** Focus the first control marked wrong in the form holding `el` (after the redraw that marks it). @param {Element | null} el */
export function focusInvalid(el) {
  const form = el && el.closest('form');
  /** @type {HTMLElement | null | undefined} */ (form && form.querySelector('[aria-invalid="true"]'))?.focus();
}

/** ui.js's formMessage. @param {{ form: FormState }} props */
export const FormMessage = ({ form }) => {
  const text = form.message ? form.message() : '';
  return html`<div class=${text ? `form-message ${form.kind}` : 'form-message'} role="alert" hidden=${!text} data-testid=${(text && form.testid) || undefined}>${text}</div>`;
};

/**
 * ui.js's field(): a label, the control (its value from `form.values[name]`), its hint and what is
 * wrong with it.
 * @param {{
 *   form: FormState, label: Children, name: string, kind?: 'input' | 'select' | 'textarea', type?: string,
 *   required?: boolean, optional?: boolean, hint?: Children, options?: { value: string, label: string }[],
 *   placeholder?: string, idPrefix?: string, className?: string, attrs?: Record<string, any>,
 * }} props
 */
export function Field({ form, label, name, kind = 'input', type = 'text', required = false, optional = false, hint, options = [], placeholder, idPrefix = 'f', className, attrs = {} }) {
  const id = `${idPrefix}-${name}`;
  const hintId = hint ? `${id}-hint` : null;
  const say = form.fields[name];
  const described = [hintId, say && `${id}-err`].filter(Boolean).join(' ') || undefined;
  const value = form.values[name] == null ? '' : String(form.values[name]);
  const set = (/** @type {any} */ ev) => {
    form.values[name] = ev.currentTarget.value;
  };
  const common = { id, name, required, 'aria-describedby': described, 'aria-invalid': say ? 'true' : undefined, ...attrs };
  let control;
  if (kind === 'select') {
    control = html`<select ...${common} value=${value} onChange=${set}>
      ${placeholder != null ? html`<option value="">${placeholder}</option>` : null}
      ${options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
    </select>`;
  } else if (kind === 'textarea') {
    control = html`<textarea rows="3" placeholder=${placeholder} ...${common} value=${value} onInput=${set}></textarea>`;
  } else {
    control = html`<input type=${type} placeholder=${placeholder} ...${common} value=${value} onInput=${set} />`;
  }
  return html`<div class=${className ? `field ${className}` : 'field'}>
    <label for=${id}>${label}${optional ? html`<span class="optional">${` ${t('common.optional')}`}</span>` : null}</label>
    ${control}
    ${hint ? html`<p class="hint" id=${hintId}>${hint}</p>` : null}
    ${say ? html`<p class="field-error" id=${`${id}-err`}>${fromDom(say())}</p>` : null}
  </div>`;
}

/**
 * ui.js's copyButton: copies `getText()`, else selects the text of `source()` to copy by hand.
 * @param {{ label?: string, ariaLabel?: string, getText: () => string, source?: () => Element | null, testid?: string, className?: string }} props
 */
export function CopyButton({ label, ariaLabel, getText, source, testid, className = 'secondary' }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return undefined;
    const timer = setTimeout(() => setDone(false), 2000);
    return () => clearTimeout(timer);
  }, [done]);
  const copy = async () => {
    const el = source ? source() : null;
    if (await copyText(getText(), el)) {
      setDone(true);
      toast(t('common.copied'));
    } else {
      if (el) window.getSelection()?.selectAllChildren(el);
      toast(t('common.copy_failed'), 'info', 7000);
    }
  };
  return html`<button type="button" class=${`copy ${className}${done ? ' done' : ''}`} aria-label=${ariaLabel} data-testid=${testid} onClick=${copy}>
    ${done ? t('common.copied') : label || t('common.copy')}
  </button>`;
}

/** An element another module keeps and draws (agreement.js's panel, the case files…), in place. @param {{ el: Node | null | undefined }} props */
export function Keep({ el }) {
  const host = useRef(/** @type {HTMLDivElement | null} */ (null));
  useLayoutEffect(() => {
    const at = host.current;
    if (at && el && el.parentNode !== at) at.replaceChildren(el);
  });
  return el ? html`<div class="kept" ref=${host}></div>` : null;
}
