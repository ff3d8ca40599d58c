// /party: what a party sees after opening their personal link. Large, plain, phone first.

import * as api from '../api.js';
import { t, tv, langSwitchButton, fmtPartyDateTime, fmtCountdown } from '../i18n.js';
import { KeyBinding } from '../keybind.js';
import { h, replace, rerenderOnLangChange } from '../ui.js';
import '../live-i18n.js';
import { PartyLive } from '../partylive.js';
import { PartyAgreement } from '../partyagreement.js';
import { PartyConfirmation } from '../partyconfirmation.js';
import { CaseFiles } from '../casefiles.js';

const app = document.getElementById('app');
const REFRESH_MS = 5 * 60 * 1000;

const state = { data: null, error: null, loading: true, live: null, agreement: null, reading: false, files: null, confirmation: null };
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

/** The party's key binding (keybind.js), made once the party is known; shared with the live session. */
let keys = null;

function initKey(partyId) {
  if (keys && keys.partyId === partyId) return;
  keys = new KeyBinding({ partyId });
  keys.onChange(() => renderKeyCard());
}

function keyCard() {
  keys.render();
  return h(
    'section',
    { id: 'key-card', class: ['party-card', 'key-card', keys.stage === 'done' && 'key-card-done'], 'aria-labelledby': 'key-title', dataset: { testid: 'key-card' } },
    h('h2', { id: 'key-title' }, t('key.title')),
    keys.el,
  );
}

function renderKeyCard() {
  const el = document.getElementById('key-card');
  if (!el) return;
  el.classList.toggle('key-card-done', keys.stage === 'done');
  if (!el.contains(keys.el)) el.append(keys.el);
}

// ------------------------------------------------------------------ agreement and case files

/** The agreement (partyagreement.js, polled) and the case files, made once the party is known. */
function initAgreement(d) {
  if (state.agreement) return;
  const tz = d.session.timezone;
  state.agreement = new PartyAgreement({
    party: d.party,
    tz,
    keys,
    onOpen: () => {
      state.reading = true;
      render();
    },
    onClose: () => {
      state.reading = false;
      render();
    },
  });
  state.agreement.start();
  // Judicial confirmation (partyconfirmation.js): a card of its own once the agreement is in effect.
  state.confirmation = new PartyConfirmation({ party: d.party, tz, keys });
  state.confirmation.start();
  state.files = new CaseFiles({ mode: 'party', self: d.party, tz, big: true });
  state.files.load();
}

function filesCard() {
  return h('section', { class: 'party-card files-card', 'aria-labelledby': 'files-title' }, h('h2', { id: 'files-title' }, t('files.title')), state.files.el);
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
  state.live = new PartyLive(state.data, { keys });
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
    state.agreement ? state.agreement.entryEl : null,
    state.confirmation ? state.confirmation.el : null,
    p !== 'cancelled' ? keyCard() : null,
    p === 'before' || p === 'started' ? prepareList() : null,
    state.files ? filesCard() : null,
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
  if (state.reading && state.agreement && state.data) {
    const main = app.querySelector('main.party-main');
    if (main && main.contains(state.agreement.el)) app.querySelector('.party-header')?.replaceWith(header());
    else replace(app, header(), h('main', { id: 'main', class: 'party-main' }, state.agreement.el));
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
  if (state.data && state.data.party) {
    initKey(state.data.party.id);
    initAgreement(state.data);
  }
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
