// @ts-check
// /login: staff sign-in. Drawn with Preact + htm (as the court's page is): the page is drawn from
// `store` and drawn again when something changes or the language does, so what is typed and where the
// focus is stay. The password is never kept by the page: it stays in its field (which a redraw keeps,
// a change of language included) until it is sent, and is cleared when refused.

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import { t, fmtWait, onLangChange } from '../i18n.js';
import '../login-i18n.js';
import { errorMessage, homeFor } from '../ui.js';
import { Field, FormMessage, LangSwitch, SkipLink } from '../ui-preact.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML

const store = {
  current: /** @type {any} */ (null), // /auth/me answer if already logged in
  username: '',
  missing: /** @type {string[]} */ ([]), // the fields left empty at the last try
  error: /** @type {any} */ (null), // the last refusal, remembered so a language switch re-words the message
  busy: false,
};

/**
 * Where to go after login: `next` only when it is a page of this site. It is resolved the way
 * the browser will resolve it when we navigate (WHATWG URL: tabs and newlines removed, "\\" read
 * as "/", "//host" another host), and kept only if it stays on this origin (#19: "/%09/evil.example"
 * passed a prefix check and then led elsewhere). A path that itself starts with "//" is refused
 * ("/.//evil.example" resolves to the path "//evil.example", which reads as another host if
 * ever used alone), and the answer is the whole resolved URL, never the path alone.
 */
function safeNext(next = new URLSearchParams(location.search).get('next')) {
  if (!next) return null;
  let url;
  try {
    url = new URL(next, location.origin);
  } catch {
    return null;
  }
  if (url.origin !== location.origin || url.pathname === '/login' || url.pathname.startsWith('//')) return null;
  return url.href;
}

function messageFor(err) {
  if (err.code === 'invalid_credentials' || err.status === 401) return t('login.invalid');
  if (err.code === 'too_many_attempts' || err.status === 429) {
    return t('login.too_many', { wait: fmtWait(err.retryAfter ?? err.details.retry_after ?? 60) });
  }
  return errorMessage(err);
}

function draw() {
  render(html`<${Login} />`, app);
}

function Login() {
  document.title = `${t('login.title')} · ${t('app.name')}`;
  const c = store.current;
  const missing = (/** @type {string} */ name) => (store.missing.includes(name) ? t('error.field.required') : undefined);
  return html`<${SkipLink} />
    <main id="main" class="login-main">
      <div class="login-card card">
        <div class="login-top">
          <p class="brand"><span class="brand-mark" aria-hidden="true">调</span>${t('app.name')}</p>
          <${LangSwitch} />
        </div>
        <h1>${t('login.title')}</h1>
        <p class="muted">${t('login.subtitle')}</p>
        ${c
          ? html`<div class="notice info">
              <p>${t('login.already', { name: c.user.display_name || c.user.username })}</p>
              <a class="button secondary" href=${safeNext() || homeFor(c.user)}>${t('login.continue')}</a>
            </div>`
          : null}
        <form id="login-form" class="stack" novalidate onSubmit=${submit}>
          <${FormMessage} text=${store.error ? messageFor(store.error) : ''} />
          <${Field} label=${t('login.username')} name="username" required idPrefix="login" value=${store.username} error=${missing('username')}
            attrs=${{ autocomplete: 'username', autocapitalize: 'none', spellcheck: false }} onInput=${(v) => (store.username = v)} />
          <${Field} label=${t('login.password')} name="password" type="password" required idPrefix="login" error=${missing('password')}
            attrs=${{ autocomplete: 'current-password' }} />
          <button type="submit" class="primary block" disabled=${store.busy}>${store.busy ? t('login.submitting') : t('login.submit')}</button>
        </form>
        <p class="hint party-hint">${t('login.party_hint')}</p>
      </div>
    </main>`;
}

async function submit(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  // Read from the fields themselves: a password manager may fill them without an input event.
  store.username = form.elements.username.value;
  const username = store.username.trim();
  const password = form.elements.password.value;
  store.error = null;
  store.missing = [username ? '' : 'username', password ? '' : 'password'].filter(Boolean);
  if (store.missing.length) {
    draw();
    form.querySelector('[aria-invalid="true"]').focus();
    return;
  }
  store.busy = true;
  draw();
  try {
    const data = await api.login(username, password);
    location.assign(safeNext() || homeFor(data.user));
  } catch (err) {
    store.error = err;
    store.busy = false;
    form.elements.password.value = '';
    draw();
    form.elements.password.focus();
  }
}

async function main() {
  try {
    const me = await api.me();
    if (me && me.kind === 'staff') store.current = me;
  } catch {
    /* not logged in: the normal case */
  }
  app.replaceChildren();
  draw();
  onLangChange(draw);
  if (!store.current) document.getElementById('login-username')?.focus();
}

main();
