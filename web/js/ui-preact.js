// @ts-check
// What the pages drawn with Preact + htm share (the court's page; the review page draws its own):
// ui.js's loading / error (with retry) / empty states, badges and cards as Preact trees, a part of a
// page loaded from the API, and `fromDom`, which puts a part that a shared module builds with ui.js's
// h() (confirmation.js's steps and decision, agreement.js's signers) in a Preact tree as it is.

import { h } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t, getLang, setLang, onLangChange } from './i18n.js';
import { copyText, errorMessage, fieldMessage, replace, toast } from './ui.js';

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
    // Which load (or `set`) is the newest: an answer that left before a newer one is dropped, so a
    // slow reload cannot bring back what a save just replaced.
    this.generation = 0;
  }

  async load() {
    const generation = ++this.generation;
    let data;
    try {
      data = await this.fetch();
    } catch (err) {
      if (generation !== this.generation) return;
      if (this.status !== 'ready') {
        this.status = 'error';
        this.error = err;
      }
      this.changed();
      return;
    }
    if (generation !== this.generation) return;
    this.data = data;
    this.status = 'ready';
    this.error = null;
    this.changed();
  }

  /**
   * What the server answered to a change (a save's answer is the newest state): any load still on
   * its way is dropped when it comes back.
   * @param {T} data
   */
  set(data) {
    this.generation += 1;
    this.data = data;
    this.status = 'ready';
    this.error = null;
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

// ------------------------------------------------------------------ forms and the staff frame
// (pages/login.js, verify.js, admin.js, mediator.js): Preact versions of ui.js's skip link, form field
// (with what setFieldError shows under it), form message and showFormErrors, of i18n.js's language
// button, and the staff page's frame kept above a <main> that Preact draws.

/** ui.js's skipLink(). */
export const SkipLink = () => html`<a class="skip-link" href="#main">${t('app.skip')}</a>`;

/**
 * i18n.js's langSwitchButton(): the same button, drawn by the page (which redraws on the change, so
 * the button stays the same element and keeps focus). @param {{ className?: string }} props
 */
export function LangSwitch({ className = 'lang-switch' }) {
  const other = getLang() === 'zh' ? 'en' : 'zh';
  return html`<button type="button" class=${className} data-testid="lang-switch" aria-label=${t('lang.switch.label')}
    lang=${other === 'en' ? 'en' : 'zh-CN'} onClick=${() => setLang(getLang() === 'zh' ? 'en' : 'zh')}>${t('lang.switch')}</button>`;
}

/**
 * What a form says is wrong (as ui.js's formMessage and setFieldError show it): a message at its top,
 * and one under each control, by the control's name (a string, or fieldMessage's text and link).
 * @typedef {{ message: string, fields: Record<string, any> }} FormErrors
 */

/** A form with nothing wrong. @returns {FormErrors} */
export const noErrors = () => ({ message: '', fields: {} });

const textOf = (/** @type {any} */ message) => (Array.isArray(message) ? message.filter((x) => typeof x === 'string').join('').trim() : message);

/**
 * ui.js's showFormErrors() as data: an API error's fields under the controls named `names` (its
 * field "body.name" under "name"), the others in the message after `summary` (else the error's message).
 * Made when drawn, so a change of language re-words it.
 * @param {any} err @param {string[]} names @param {string} [summary]
 * @returns {FormErrors}
 */
export function formErrors(err, names, summary) {
  /** @type {Record<string, any>} */
  const fields = {};
  const unmatched = [];
  for (const f of (err && err.fields) || []) {
    const path = String(f.field);
    const name = [path, path.split(/[.[\]]/).filter(Boolean).pop()].find((n) => n && names.includes(n));
    const message = fieldMessage(f);
    if (name) fields[name] = fields[name] ? [fields[name], ' ', message].flat() : message;
    else unmatched.push(textOf(message));
  }
  return { message: [summary || errorMessage(err), ...unmatched].filter(Boolean).join(' '), fields };
}

/**
 * ui.js's form message line (role=alert; hidden when empty). No text node is left when empty, so the
 * next message is new text, read out again.
 * @param {{ text?: string, kind?: string, testid?: string }} props
 */
export const FormMessage = ({ text, kind = 'error', testid }) =>
  html`<div class=${text ? `form-message ${kind}` : 'form-message'} role="alert" hidden=${!text} data-testid=${(text && testid) || undefined}>${text || null}</div>`;

/**
 * The message under a control that is wrong, and the attributes that point the control at it.
 * @param {any} error a string, or fieldMessage's text and link; nothing when the control is right
 * @param {string} id the error's element's id
 * @param {string} [hint] the id of the control's hint
 */
export function fieldError(error, id, hint) {
  return {
    attrs: { 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': [hint, error && id].filter(Boolean).join(' ') || undefined },
    message: error ? html`<p class="field-error" id=${id}>${fromDom(error)}</p>` : null,
  };
}

/**
 * ui.js's field(): a labelled input, select or textarea (id `${idPrefix}-${name}`), its hint and its
 * error. Controlled when `value` is given (`onInput` is told each change); without a value (a
 * password) what is typed stays in the control alone, which a redraw keeps as it is.
 * @param {{
 *   label: Children, name: string, kind?: 'input' | 'select' | 'textarea', type?: string, required?: boolean,
 *   optional?: boolean, hint?: Children, options?: {value: any, label: any}[], placeholder?: string,
 *   value?: string, attrs?: Record<string, any>, idPrefix?: string, className?: string, error?: any,
 *   onInput?: (value: string) => void,
 * }} props
 */
export function Field({ label, name, kind = 'input', type = 'text', required = false, optional = false, hint, options = [], placeholder, value, attrs = {}, idPrefix = 'f', className, error, onInput }) {
  const id = `${idPrefix}-${name}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const wrong = fieldError(error, `${id}-err`, hintId);
  const changed = onInput && ((/** @type {any} */ ev) => onInput(ev.currentTarget.value));
  /** @type {Record<string, any>} */
  const props = { id, name, required, ...wrong.attrs, ...attrs };
  if (value !== undefined) props.value = value;
  let control;
  if (kind === 'select') {
    control = html`<select ...${props} onChange=${changed}>
      ${placeholder != null ? html`<option value="">${placeholder}</option>` : null}
      ${options.map((o) => html`<option key=${o.value} value=${o.value}>${o.label}</option>`)}
    </select>`;
  } else if (kind === 'textarea') {
    control = html`<textarea rows="3" placeholder=${placeholder} ...${props} onInput=${changed}></textarea>`;
  } else {
    control = html`<input type=${type} placeholder=${placeholder} ...${props} onInput=${changed} />`;
  }
  return html`<div class=${className ? `field ${className}` : 'field'}>
    <label for=${id}>${label}${optional ? html`<span class="optional">${` ${t('common.optional')}`}</span>` : null}</label>
    ${control}
    ${hint ? html`<p class="hint" id=${hintId}>${hint}</p>` : null}
    ${wrong.message}
  </div>`;
}

/**
 * A staff page's frame, ui.js's skip link and header as `frame()` builds them, above `main`, where the
 * page draws with Preact. On a change of language the frame is built again (the header's control that
 * had focus keeps it) and `draw()` redraws main.
 * @param {HTMLElement} app @param {() => HTMLElement[]} frame @param {HTMLElement} main @param {() => void} draw
 */
export function staffFrame(app, frame, main, draw) {
  let top = frame();
  replace(app, top, main);
  onLangChange(() => {
    const active = document.activeElement;
    const focused = active instanceof HTMLElement && top.some((el) => el.contains(active)) ? active.dataset.testid : null;
    for (const el of top) el.remove();
    top = frame();
    main.before(...top);
    const again = focused && top.map((el) => (el.dataset.testid === focused ? el : el.querySelector(`[data-testid="${focused}"]`))).find(Boolean);
    if (again) /** @type {HTMLElement} */ (again).focus();
    draw();
  });
}

// ------------------------------------------------------------------ the mediator's case page (pages/case.js, particulars.js)
// Forms whose values and errors live in a store (`FormState`), drawn with Field and FormMessage
// above, so a redraw or a change of language keeps what was typed; errors are kept as functions
// that say them, so they are said again in the new language.

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

/**
 * A form's submit button, saying it is being sent while it is.
 * @param {FormState} form @param {string} label @param {string} testid @param {string} [kind] its class
 */
export const submitButton = (form, label, testid, kind = 'primary') =>
  html`<button type="submit" class=${kind} disabled=${form.busy} data-testid=${testid}>${form.busy ? t('common.submitting') : label}</button>`;

/**
 * Send a form: mark the required controls left empty, else `run()`, showing the API's refusal on the
 * form; the first control marked wrong gets the focus.
 * @param {any} ev @param {FormState} form @param {string[]} required @param {() => void} changed @param {() => Promise<void>} run
 */
export async function sendForm(ev, form, required, changed, run) {
  ev.preventDefault();
  const button = ev.currentTarget.querySelector('button[type="submit"]');
  clearErrors(form);
  for (const name of required) if (!String(form.values[name] || '').trim()) form.fields[name] = () => t('error.field.required');
  if (Object.keys(form.fields).length) {
    form.message = () => t('error.invalid_input');
    changed();
    focusInvalid(button);
    return;
  }
  form.busy = true;
  changed();
  try {
    await run();
  } catch (err) {
    showApiError(form, err);
  } finally {
    form.busy = false;
    changed();
  }
  focusInvalid(button);
}

/** @param {any} message */
const words = (message) => (Array.isArray(message) ? message.filter((x) => typeof x === 'string').join('').trim() : message);

/** Focus the first control marked wrong in the form holding `el` (after the redraw that marks it). @param {Element | null} el */
export function focusInvalid(el) {
  const form = el && el.closest('form');
  /** @type {HTMLElement | null | undefined} */ (form && form.querySelector('[aria-invalid="true"]'))?.focus();
}

/** The form message of a `FormState` (FormMessage above, said when drawn). @param {{ form: FormState }} props */
export const FormStateMessage = ({ form }) => html`<${FormMessage} text=${form.message ? form.message() : ''} kind=${form.kind} testid=${form.testid} />`;

/**
 * Field above, its value in `form.values[name]` and what is wrong with it in `form.fields[name]`.
 * `onChange` is told each new value, for a field that changes what the form shows (draw again).
 * @param {{ form: FormState, name: string, onChange?: (value: string) => void } & Record<string, any>} props
 */
export function FormField({ form, name, onChange, ...rest }) {
  const [, redraw] = useState(0);
  const say = form.fields[name];
  const value = form.values[name] == null ? '' : String(form.values[name]);
  const input = (/** @type {string} */ v) => {
    form.values[name] = v;
    // The field's message was about what was there before ("此项必填" under a name now typed): it
    // goes as the field changes, the others' stay, and the next submit checks everything again.
    if (form.fields[name]) {
      delete form.fields[name];
      redraw((n) => n + 1);
    }
    if (onChange) onChange(v);
  };
  return html`<${Field} ...${rest} name=${name} value=${value} error=${say ? say() : undefined} onInput=${input} />`;
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

/** A clock's state (server/domain/clocks.py) as its badge's class: the case page and the supervision board. */
export const CLOCK_BADGES = /** @type {Record<string, string>} */ ({ running: '', due_today: 'warn', overdue: 'bad', met: 'ok' });
