// /party: what a party sees after opening their personal link. Large, plain, phone first.

import * as api from '../api.js';
import { ApiError } from '../api.js';
import { t, tv, langSwitchButton, fmtPartyDateTime, fmtCountdown } from '../i18n.js';
import { getOrCreateDeviceKey, signWithDeviceKey, passkeysAvailable, createPasskey, signWithPasskey, b64Decode } from '../keys.js';
import { h, replace, rerenderOnLangChange } from '../ui.js';
import '../live-i18n.js';
import { PartyLive } from '../partylive.js';

const app = document.getElementById('app');
const REFRESH_MS = 5 * 60 * 1000;

const state = { data: null, error: null, loading: true, live: null };
let ticker = null;
let lastRefresh = 0;

function phase(now = Date.now()) {
  const s = state.data && state.data.session;
  if (!s) return null;
  if (s.status === 'cancelled') return 'cancelled';
  if (now < Date.parse(s.starts_at)) return 'before';
  if (now < Date.parse(s.ends_at)) return 'started';
  return 'ended';
}

/** [label, value]: "距离调解开始还有" and "2天 3小时 15分 08秒", or a single status line. */
function countdownParts(now = Date.now()) {
  const p = phase(now);
  if (p === 'before') return [t('party.countdown.before'), fmtCountdown(Date.parse(state.data.session.starts_at) - now)];
  if (p === 'started') return [t('party.countdown.started')];
  if (p === 'ended') return [t('party.countdown.ended')];
  if (p === 'cancelled') return [t('party.countdown.cancelled')];
  return [''];
}

function fillCountdown(el) {
  const [label, value] = countdownParts();
  if (value === undefined) {
    replace(el, h('span', { class: 'cd-label' }, label));
    return;
  }
  const valueEl = el.querySelector('.cd-value');
  if (valueEl && el.querySelector('.cd-label').textContent === label) {
    valueEl.textContent = value;
    return;
  }
  // A space between the two so the text reads as one sentence to screen readers and tests.
  replace(el, h('span', { class: 'cd-label' }, label), ' ', h('span', { class: 'cd-value' }, value));
}

function fillCountdownEl(el) {
  fillCountdown(el);
  return el;
}

function tick() {
  const el = document.querySelector('[data-testid="countdown"]');
  if (!el) return;
  const p = phase();
  if (el.dataset.phase !== p) {
    render(); // the phase changed (e.g. the session started): redraw the card
    return;
  }
  fillCountdown(el);
}

function startTicker() {
  if (ticker) clearInterval(ticker);
  ticker = setInterval(tick, 1000);
}

function header() {
  return h(
    'header',
    { class: ['party-header', state.live && 'wide'] },
    h('p', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '调'), t('party.page.title')),
    langSwitchButton({ className: 'lang-switch big' }),
  );
}

function errorView() {
  const err = state.error;
  const network = err && err.status === 0;
  return h(
    'div',
    { class: 'party-card error-card', role: 'alert' },
    h('h1', null, t('party.error.title')),
    h('p', { class: 'lead' }, network ? t('party.error.network') : t('party.error.link')),
    network ? h('button', { type: 'button', class: 'primary big', onclick: () => load() }, t('common.retry')) : null,
  );
}

function infoRow(label, value, testid) {
  return h('div', { class: 'info-row' }, h('dt', null, label), h('dd', { dataset: testid ? { testid } : undefined }, value));
}

function prepareList() {
  const items = ['id', 'evidence', 'quiet', 'battery', 'network', 'earphones'];
  return h(
    'section',
    { class: 'party-card prepare', 'aria-labelledby': 'prepare-title' },
    h('h2', { id: 'prepare-title' }, t('party.prepare.title')),
    h(
      'ul',
      { class: 'prepare-list', dataset: { testid: 'prepare-list' } },
      items.map((key) => h('li', { dataset: { item: key } }, t(`party.prepare.${key}`))),
    ),
  );
}

// ------------------------------------------------------------------ signing key

const key = {
  stage: 'idle', // idle | code | done
  mode: 'device', // device | passkey
  busy: null, // null | 'send' | 'passkey' | 'confirm'
  challenge: null,
  statement: null, // base64 of the exact bytes to sign (device keys)
  creationOptions: null, // passkey: WebAuthn creation options
  requestOptions: null, // passkey: options to sign the binding statement, once registered
  sentTo: '',
  expiresAt: null,
  code: '',
  message: null, // {kind, key, vars}, translated at render time
  passkeys: false,
  bound: null, // {key_id, alg, at} once confirmed
  partyId: null,
  csrfReady: false,
};

const boundStorageKey = (partyId) => `mediate.signing-key.${partyId}`;
const deviceKeyName = (partyId) => `party-${partyId}`;

function readBound(partyId) {
  try {
    const raw = localStorage.getItem(boundStorageKey(partyId));
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function rememberBound(partyId, info) {
  try {
    localStorage.setItem(boundStorageKey(partyId), JSON.stringify(info));
  } catch {
    /* storage may be blocked; the card then shows the button again after a reload */
  }
}

/** Called once the party is known: restore a confirmed key, see whether passkeys can be offered. */
function initKey(partyId) {
  if (key.partyId === partyId) return;
  key.partyId = partyId;
  key.bound = readBound(partyId);
  key.stage = key.bound ? 'done' : 'idle';
  passkeysAvailable({ platformOnly: true })
    .then((ok) => {
      key.passkeys = ok;
      if (ok && key.stage === 'idle') renderKeyCard();
    })
    .catch(() => {});
}

async function ensureCsrf() {
  if (key.csrfReady) return;
  await api.me();
  key.csrfReady = true;
}

/** A message for an error of the binding calls. */
function keyErrorMessage(err) {
  if (!(err instanceof ApiError)) return { kind: 'error', key: 'key.unsupported' };
  if (err.status === 0) return { kind: 'error', key: 'error.network' };
  if (err.status === 422) {
    const reason = (err.fields && err.fields[0] && err.fields[0].reason) || '';
    const field = err.fields && err.fields[0] && err.fields[0].field;
    const m = /(\d+)\s*tr(y|ies)\s*left/i.exec(reason);
    if (m) return { kind: 'error', key: 'key.wrong_code', vars: { n: Number(m[1]) } };
    if (/wrong code/i.test(`${reason} ${err.message}`)) return { kind: 'error', key: 'key.wrong_code.generic' };
    if (field === 'credential') return { kind: 'error', key: 'key.passkey.failed' };
    return { kind: 'error', key: 'error.generic', vars: { message: reason || err.message } };
  }
  if (err.status === 429) return { kind: 'error', key: key.stage === 'code' ? 'key.too_many' : 'key.rate_limited', restart: key.stage === 'code' };
  if (err.status === 410) return { kind: 'error', key: 'key.expired', restart: true };
  if (err.status === 404) return { kind: 'error', key: 'key.start_again', restart: true };
  return { kind: 'error', key: 'error.generic', vars: { message: err.message || err.code } };
}

function focusKey(testid, select = false) {
  const el = document.querySelector(`[data-testid="${testid}"]`);
  if (el) {
    el.focus();
    if (select && el.select) el.select();
  }
}

async function sendCode(mode) {
  if (key.busy) return;
  key.busy = mode === 'passkey' ? 'passkey' : 'send';
  key.message = null;
  renderKeyCard();
  let next = 'key-send';
  try {
    await ensureCsrf();
    let r;
    if (mode === 'passkey') {
      r = await api.request('POST', '/party/keys/passkey');
      key.creationOptions = r.options;
      key.requestOptions = null;
      key.statement = null;
    } else {
      const info = await getOrCreateDeviceKey(deviceKeyName(key.partyId));
      r = await api.request('POST', '/party/keys/device', { body: { spki: info.spkiB64 } });
      key.statement = r.statement;
    }
    key.mode = mode;
    key.challenge = r.challenge;
    key.sentTo = r.sent_to || '';
    key.expiresAt = r.expires_at || null;
    key.code = '';
    key.stage = 'code';
    key.message = null;
    next = 'key-code';
  } catch (err) {
    key.message = keyErrorMessage(err);
    if (key.stage === 'code') next = 'key-resend';
  } finally {
    key.busy = null;
    renderKeyCard();
    focusKey(next);
  }
}

function expired() {
  return key.expiresAt && Date.now() > Date.parse(key.expiresAt);
}

async function confirmCode() {
  if (key.busy) return;
  const code = (key.code || '').replace(/\s+/g, '');
  if (!/^\d{6}$/.test(code)) {
    key.message = { kind: 'error', key: 'key.code.invalid' };
    renderKeyCard();
    focusKey('key-code', true);
    return;
  }
  if (expired()) {
    key.message = { kind: 'error', key: 'key.expired' };
    renderKeyCard();
    focusKey('key-resend');
    return;
  }
  key.busy = 'confirm';
  key.message = null;
  renderKeyCard();
  let next = 'key-code';
  try {
    await ensureCsrf();
    const ch = encodeURIComponent(key.challenge);
    let done;
    if (key.mode === 'passkey') {
      if (!key.requestOptions) {
        const credential = await createPasskey(key.creationOptions);
        const reg = await api.request('POST', `/party/keys/passkey/${ch}/register`, { body: { code, credential } });
        key.requestOptions = reg.options;
      }
      const assertion = await signWithPasskey(key.requestOptions);
      done = await api.request('POST', `/party/keys/passkey/${ch}/bind`, { body: { credential: assertion } });
    } else {
      const signature = await signWithDeviceKey(deviceKeyName(key.partyId), b64Decode(key.statement));
      done = await api.request('POST', `/party/keys/device/${ch}`, { body: { code, signature } });
    }
    key.bound = { key_id: done.key_id, alg: done.alg, at: new Date().toISOString() };
    rememberBound(key.partyId, key.bound);
    key.stage = 'done';
    key.message = null;
    next = 'key-done';
  } catch (err) {
    const msg =
      err instanceof ApiError
        ? keyErrorMessage(err)
        : key.mode === 'passkey'
          ? { kind: 'error', key: 'key.passkey.failed' }
          : { kind: 'error', key: 'key.unsupported' };
    key.message = msg;
    if (msg.restart) {
      // The code is used up or expired: a new one is needed.
      key.challenge = null;
      key.requestOptions = null;
      key.code = '';
      next = 'key-resend';
    }
  } finally {
    key.busy = null;
    renderKeyCard();
    focusKey(next, next === 'key-code');
  }
}

function keyMessage() {
  const m = key.message;
  if (!m) return null;
  return h(
    'p',
    { class: ['key-message', `key-message-${m.kind}`], role: m.kind === 'error' ? 'alert' : 'status', dataset: { testid: 'key-message' } },
    t(m.key, m.vars || {}),
  );
}

function keyCardBody() {
  if (key.stage === 'done') {
    return [
      h('p', { class: 'key-done', tabindex: '-1', dataset: { testid: 'key-done' } }, t('key.done')),
      h('p', null, t('key.done.text')),
    ];
  }
  const intro = [h('p', null, t('key.why')), h('p', { class: 'key-private' }, t('key.private'))];
  if (key.stage === 'idle') {
    return [
      intro,
      h('p', null, t('key.how')),
      keyMessage(),
      h(
        'button',
        { type: 'button', class: 'primary big block', disabled: Boolean(key.busy), onclick: () => sendCode('device'), dataset: { testid: 'key-send' } },
        key.busy === 'send' ? t('key.sending') : t('key.send'),
      ),
      key.passkeys
        ? h(
            'div',
            { class: 'key-passkey' },
            h(
              'button',
              { type: 'button', class: 'secondary big block', disabled: Boolean(key.busy), onclick: () => sendCode('passkey'), dataset: { testid: 'key-passkey' } },
              key.busy === 'passkey' ? t('key.sending') : t('key.passkey'),
            ),
            h('p', { class: 'hint' }, t('key.passkey.hint')),
          )
        : null,
    ];
  }
  // stage 'code'
  const input = h('input', {
    id: 'key-code',
    name: 'code',
    class: 'code-input',
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]*',
    maxlength: 6,
    spellcheck: 'false',
    'aria-describedby': 'key-code-hint',
    'aria-invalid': key.message && key.message.kind === 'error' && key.challenge ? 'true' : null,
    disabled: !key.challenge || key.busy === 'confirm',
    value: key.code,
    dataset: { testid: 'key-code' },
  });
  input.addEventListener('input', () => {
    const digits = input.value.replace(/\D+/g, '').slice(0, 6);
    if (digits !== input.value) input.value = digits;
    key.code = digits;
  });
  const form = h(
    'form',
    { class: 'key-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'key-code' }, t('key.code')), input, h('p', { class: 'hint', id: 'key-code-hint' }, t('key.code.hint'))),
    keyMessage(),
    h(
      'button',
      { type: 'submit', class: 'primary big block', disabled: !key.challenge || Boolean(key.busy), dataset: { testid: 'key-confirm' } },
      key.busy === 'confirm' ? t('key.confirming') : t('key.confirm'),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    confirmCode();
  });
  return [
    intro,
    key.challenge
      ? h('p', { class: 'key-sent', role: 'status', dataset: { testid: 'key-sent' } }, t('key.sent', { phone: key.sentTo }))
      : null,
    form,
    h(
      'button',
      { type: 'button', class: 'secondary block key-resend', disabled: Boolean(key.busy), onclick: () => sendCode(key.mode), dataset: { testid: 'key-resend' } },
      key.busy === 'send' || key.busy === 'passkey' ? t('key.sending') : t('key.resend'),
    ),
  ];
}

function keyCard() {
  return h(
    'section',
    { id: 'key-card', class: ['party-card', 'key-card', key.stage === 'done' && 'key-card-done'], 'aria-labelledby': 'key-title', dataset: { testid: 'key-card' } },
    h('h2', { id: 'key-title' }, t('key.title')),
    keyCardBody(),
  );
}

function renderKeyCard() {
  const el = document.getElementById('key-card');
  if (el) el.replaceWith(keyCard());
}

/** The way into the live session: a device check, then the waiting room. */
function joinCard() {
  return h(
    'section',
    { class: 'party-card join-card', 'aria-labelledby': 'join-title' },
    h('h2', { id: 'join-title', class: 'sr-only' }, t('live.title')),
    h('button', { type: 'button', class: 'primary big block join-button', onclick: enterLive, dataset: { testid: 'join-live' } }, t('live.join')),
    h('p', { class: 'hint' }, t('live.join.hint')),
  );
}

function enterLive() {
  if (state.live) return;
  state.live = new PartyLive(state.data);
  render();
  window.scrollTo(0, 0);
  state.live.start();
}

function mainView() {
  const d = state.data;
  const s = d.session;
  const p = phase();
  const minutes = Math.round((Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 60000);
  return [
    h('h1', { class: 'greeting' }, t('party.greeting', { name: d.party.name })),
    p === 'cancelled'
      ? h('div', { class: 'notice cancelled-notice', role: 'alert', dataset: { testid: 'cancelled-notice' } }, t('party.cancelled.notice'))
      : h('p', { class: 'lead' }, t('party.intro')),
    h(
      'section',
      { class: ['party-card', 'main-card', `phase-${p}`], 'aria-labelledby': 'when-title' },
      fillCountdownEl(h('p', { class: ['countdown', `countdown-${p}`], role: 'timer', 'aria-live': 'off', dataset: { testid: 'countdown', phase: p } })),
      h('h2', { id: 'when-title', class: 'label' }, t('party.when')),
      h('p', { class: ['when', p === 'cancelled' && 'struck'], dataset: { testid: 'session-time' } }, fmtPartyDateTime(s.starts_at, s.timezone)),
      minutes > 0 ? h('p', { class: 'muted' }, t('party.duration', { n: minutes })) : null,
      h(
        'dl',
        { class: 'info' },
        infoRow(t('party.org'), d.organisation.name, 'organisation'),
        infoRow(t('party.case'), d.case.case_number, 'case-number'),
        infoRow(t('party.type'), tv('dispute', d.case.dispute_type), 'dispute-type'),
        infoRow(t('party.mediator'), d.mediator.display_name, 'mediator-name'),
        infoRow(t('party.your_role'), tv('partyrole', d.party.role), 'party-role'),
      ),
      p === 'before' || p === 'started' ? h('p', { class: 'join-hint' }, t('party.join_hint')) : null,
      p === 'before' && d.calendar_url
        ? h(
            'div',
            { class: 'calendar' },
            h('a', { class: 'button primary big block', href: d.calendar_url, download: 'mediation.ics', dataset: { testid: 'add-to-calendar' } }, t('party.calendar')),
            h('p', { class: 'hint' }, t('party.calendar.hint')),
          )
        : null,
    ),
    p === 'before' || p === 'started' ? joinCard() : null,
    p !== 'cancelled' ? keyCard() : null,
    p === 'before' || p === 'started' ? prepareList() : null,
    h('p', { class: 'help' }, t('party.help')),
  ];
}

function render() {
  document.title = t('party.page.title');
  if (state.live) {
    // The live session keeps its own elements (videos must not restart): only the header is redrawn.
    const main = app.querySelector('main.live-wrap');
    if (main && main.contains(state.live.el)) app.querySelector('.party-header')?.replaceWith(header());
    else replace(app, header(), h('main', { id: 'main', class: 'party-main live-wrap' }, state.live.el));
    return;
  }
  let body;
  if (state.loading && !state.data) body = h('p', { class: 'loading', role: 'status' }, t('common.loading'));
  else if (state.error && !state.data) body = errorView();
  else body = mainView();
  const focused = document.activeElement && document.activeElement.dataset && document.activeElement.dataset.testid;
  replace(app, header(), h('main', { id: 'main', class: 'party-main' }, body));
  if (focused) app.querySelector(`[data-testid="${focused}"]`)?.focus();
}

async function load() {
  state.loading = true;
  lastRefresh = Date.now();
  if (!state.data) render();
  try {
    state.data = await api.partyMe();
    state.error = null;
  } catch (err) {
    state.error = err;
    // A revoked or expired link: stop showing old details.
    if (err.status && err.status !== 0) state.data = null;
  }
  state.loading = false;
  if (state.data && state.data.party) initKey(state.data.party.id);
  render();
  if (state.data) startTicker();
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && Date.now() - lastRefresh > 60 * 1000) load();
});
setInterval(() => {
  if (document.visibilityState === 'visible') load();
}, REFRESH_MS);

rerenderOnLangChange(app, render);
load();
