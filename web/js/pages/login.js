// @ts-check
// /login: staff sign-in.

import * as api from '../api.js';
import { langSwitchButton, t, fmtWait } from '../i18n.js';
import '../login-i18n.js';
import {
  h,
  replace,
  field,
  formMessage,
  clearFormErrors,
  errorMessage,
  homeFor,
  rerenderOnLangChange,
  skipLink,
} from '../ui.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML
let lastError = null; // remembered so a language switch re-words the message
let current = null; // /auth/me answer if already logged in

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

function render() {
  document.title = `${t('login.title')} · ${t('app.name')}`;
  const form = h(
    'form',
    { id: 'login-form', class: 'stack', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    field({
      label: t('login.username'),
      name: 'username',
      required: true,
      idPrefix: 'login',
      attrs: { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' },
    }),
    field({
      label: t('login.password'),
      name: 'password',
      type: 'password',
      required: true,
      idPrefix: 'login',
      attrs: { autocomplete: 'current-password' },
    }),
    h('button', { type: 'submit', class: 'primary block' }, t('login.submit')),
  );
  form.addEventListener('submit', onSubmit);

  replace(
    app,
    skipLink(),
    h(
      'main',
      { id: 'main', class: 'login-main' },
      h(
        'div',
        { class: 'login-card card' },
        h(
          'div',
          { class: 'login-top' },
          h('p', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '调'), t('app.name')),
          langSwitchButton(),
        ),
        h('h1', null, t('login.title')),
        h('p', { class: 'muted' }, t('login.subtitle')),
        current
          ? h(
              'div',
              { class: 'notice info' },
              h('p', null, t('login.already', { name: current.user.display_name || current.user.username })),
              h('a', { class: 'button secondary', href: safeNext() || homeFor(current.user) }, t('login.continue')),
            )
          : null,
        form,
        h('p', { class: 'hint party-hint' }, t('login.party_hint')),
      ),
    ),
  );
  if (lastError) formMessage(form, messageFor(lastError), 'error');
}

async function onSubmit(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  clearFormErrors(form);
  lastError = null;
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  let missing = false;
  for (const [name, value] of [['username', username], ['password', password]]) {
    if (!value) {
      const control = form.elements[name];
      control.setAttribute('aria-invalid', 'true');
      control.closest('.field').append(h('p', { class: 'field-error', id: `login-${name}-err` }, t('error.field.required')));
      control.setAttribute('aria-describedby', `login-${name}-err`);
      missing = true;
    }
  }
  if (missing) {
    form.querySelector('[aria-invalid="true"]').focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  button.textContent = t('login.submitting');
  try {
    const data = await api.login(username, password);
    location.assign(safeNext() || homeFor(data.user));
  } catch (err) {
    lastError = err;
    button.disabled = false;
    button.textContent = t('login.submit');
    formMessage(form, messageFor(err), 'error');
    form.elements.password.value = '';
    form.elements.password.focus();
  }
}

async function main() {
  try {
    const me = await api.me();
    if (me && me.kind === 'staff') current = me;
  } catch {
    /* not logged in: the normal case */
  }
  render();
  rerenderOnLangChange(app, render);
  if (!current) document.getElementById('login-username')?.focus();
}

main();
