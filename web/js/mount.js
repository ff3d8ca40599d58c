// @ts-check
// A node that lives outside a Preact tree, put in it as it is: an element built with ui.js's h()
// (the key binding, a code's status line), or one a module keeps across redraws (the live room's
// videos, the signature pad's canvas, the agreement's own view). Preact draws its host and leaves
// the node alone. Apart from ui-preact.js, which imports ui.js: the party's page draws its first
// screen with this and without ui.js (what a party on a weak network waits for, issue #18).

import { html } from 'htm/preact';
import { useLayoutEffect, useMemo, useRef } from 'preact/hooks';
import { getLang } from './i18n.js';

/**
 * `make` runs again only when one of `deps` or the language changes. A node shown elsewhere (the
 * key binding, on the party page's key card and in the agreement's view) is taken back only while
 * this host is in the page. Give a Mount that takes the place of another a `key` of its own:
 * Preact keeps an unkeyed component of the same type, with what it made, when the siblings change.
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
 * Calls `redraw` (which builds `el`'s content again, e.g. in another language) and gives the focus
 * back to the control in `el` that had it (found again by its data-testid); returns `el`.
 * @template {HTMLElement} E
 * @param {E} el
 * @param {() => void} redraw
 * @returns {E}
 */
export function keepingFocus(el, redraw) {
  const active = document.activeElement;
  const focused = active instanceof HTMLElement && el.contains(active) ? active.dataset.testid : null;
  redraw();
  if (focused) /** @type {HTMLElement | null} */ (el.querySelector(`[data-testid="${focused}"]`))?.focus();
  return el;
}
