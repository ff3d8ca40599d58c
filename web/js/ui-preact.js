// @ts-check
// What the pages drawn with Preact + htm share (the court's page; the review page draws its own):
// ui.js's loading / error (with retry) / empty states, badges and cards as Preact trees, a part of a
// page loaded from the API, and `fromDom`, which puts a part that a shared module builds with ui.js's
// h() (confirmation.js's steps and decision, agreement.js's signers) in a Preact tree as it is.

import { h } from 'preact';
import { html } from 'htm/preact';
import { useLayoutEffect, useMemo, useRef } from 'preact/hooks';
import { t, getLang } from './i18n.js';
import { errorMessage } from './ui.js';

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

// ------------------------------------------------------------------ the party agreement, the consent card (recording.js)
// (moved here from partyagreement.js so that both use the one Mount)

/**
 * A node built elsewhere with ui.js's h() (the key binding, the signature pad, a code's status
 * line), put in its host and left alone by Preact. `make` runs again only when one of `deps` or
 * the language changes. A node shown elsewhere (the key binding,
 * on the party page's key card) is taken back only while this view is shown.
 * @param {{ make: () => Node | null, deps?: unknown[], class?: string }} props
 */
export function Mount({ make, deps = [], class: className }) {
  const node = useMemo(make, [...deps, getLang()]);
  const host = useRef(/** @type {HTMLDivElement | null} */ (null));
  useLayoutEffect(() => {
    const el = host.current;
    if (el && node && node.parentNode !== el && (el.isConnected || !node.isConnected)) el.replaceChildren(node);
  });
  return html`<div class=${className} ref=${host}></div>`;
}

/**
 * A part built with ui.js's h() that draws itself into its `el` (the key binding, keybind.js), drawn
 * again (in the page's language) for a Mount; the control in it that had focus keeps it.
 * @param {{ el: HTMLElement, render: () => void }} part
 */
export function redrawn(part) {
  const active = document.activeElement;
  const focused = active instanceof HTMLElement && part.el.contains(active) ? active.dataset.testid : null;
  part.render();
  if (focused) /** @type {HTMLElement | null} */ (part.el.querySelector(`[data-testid="${focused}"]`))?.focus();
  return part.el;
}
