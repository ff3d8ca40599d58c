// @ts-check
// /party: what a party sees after opening their personal link. Large, plain, phone first.
//
// Loading (issue #18, "a weak rural network"): on 400 kbit/s with 400 ms per request every byte
// imported here is waited for before the party sees anything. So this module imports statically
// only what the first screen needs (the party's data comes inside the page itself, see
// `embeddedData`), and everything else with import() when it is needed, through `parts` below:
// the live room when the party presses 进入视频调解, the agreement and confirmation cards when
// the server says they exist, the key card and the case files just after the first screen.
// Keep it that way: a new static import here is paid for by every party on every first visit
// (`mediate bench party-page` shows the cost).

import * as api from '../api.js';
import { t, tv, langSwitchButton, fmtPartyDateTime, fmtCountdown } from '../i18n.js';
import '../identity-i18n.js';
import { h, replace, rerenderOnLangChange, toast } from '../ui.js';
import '../live-i18n.js';
import '../party-i18n.js';
import { forgetCheck, rememberedCheck } from '../rejoin.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML

// Opened from the link in a message, the page came straight from /j/<token> (server/http/pages.py):
// the address bar shows /party, so a reload or a bookmark uses the cookie, never the token.
if (location.pathname.startsWith('/j/')) history.replaceState(history.state, '', '/party');
const REFRESH_MS = 5 * 60 * 1000;
// How often to ask whether an agreement or an application exists yet, until one does (the
// cards then poll by themselves). As often as the agreement card polls, so a draft the mediator
// starts shows up as quickly as before.
const AGREEMENT_PROBE_MS = 3000;
const CONFIRMATION_PROBE_MS = 15_000;

// ------------------------------------------------------------------ loading parts when needed

const loadedStyles = new Map();

/** Adds a stylesheet once; resolves when it has loaded (or failed: the page still works). */
function stylesheet(url) {
  const href = String(url);
  if (!loadedStyles.has(href)) {
    loadedStyles.set(
      href,
      new Promise((/** @type {(value?: unknown) => void} */ resolve) => {
        const link = document.createElement('link');
        link.rel = 'stylesheet';
        link.href = href;
        link.onload = link.onerror = () => resolve();
        document.head.append(link);
      }),
    );
  }
  return loadedStyles.get(href);
}

/**
 * Each part of the page with its module and stylesheet, imported once, on first need. The
 * stylesheet URLs are written `new URL('…', import.meta.url)` so that the server versions them
 * like imports (server/http/assets.py).
 */
const parts = {
  live: once(() =>
    Promise.all([
      import('../partylive.js'),
      stylesheet(new URL('../../css/live.css', import.meta.url)),
      // partylive.js's own imports, asked for at once rather than one level per round trip
      // (a module missing here costs a round trip, nothing more).
      import('../devicecheck.js'),
      import('../room.js'),
      import('../room-tiles.js'),
      import('../rtc.js'),
      import('../recording.js'),
      import('../signaling.js'),
      import('socket.io-client'),
      import('preact'),
      import('htm/preact'),
      import('preact/hooks'),
    ]).then(([m]) => m),
  ),
  agreement: once(() =>
    Promise.all([import('../partyagreement.js'), stylesheet(new URL('../../css/agreement.css', import.meta.url))]).then(([m]) => m),
  ),
  confirmation: once(() =>
    Promise.all([
      import('../partyconfirmation.js'),
      stylesheet(new URL('../../css/agreement.css', import.meta.url)),
      stylesheet(new URL('../../css/confirmation.css', import.meta.url)),
    ]).then(([m]) => m),
  ),
  files: once(() => Promise.all([import('../casefiles.js'), stylesheet(new URL('../../css/files.css', import.meta.url))]).then(([m]) => m)),
  keys: once(() => import('../keybind.js')),
};

function once(load) {
  let promise = null;
  return () => {
    if (!promise) {
      promise = load().catch((err) => {
        promise = null; // a dropped connection: the next need tries again
        throw err;
      });
    }
    return promise;
  };
}

/** The /party/me answer the server put inside the page (so the first screen needs no request), once. */
function embeddedData() {
  const el = document.getElementById('party-data');
  if (!el) return null;
  el.remove();
  try {
    return JSON.parse(el.textContent);
  } catch {
    return null;
  }
}

/** Whether this browser can reach the camera and microphone (the device check needs it). */
function captureSupported() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/** Whether this browser can take part in a video session at all (camera, microphone, WebRTC). */
function videoSupported() {
  return captureSupported() && Boolean(window.RTCPeerConnection);
}

/**
 * What the API answered (its JSON as it came), the parts of the page that keep their own elements, and
 * where the party is.
 * @type {{
 *   data: any, error: any, loading: boolean, live: any, agreement: any, reading: boolean, files: any,
 *   confirmation: any, started: boolean, entering: boolean, noVideo: boolean, lastKnown: any, resumeTried: boolean,
 * }}
 */
const state = { data: null, error: null, loading: true, live: null, agreement: null, reading: false, files: null, confirmation: null, started: false, entering: false, noVideo: false, lastKnown: null, resumeTried: false };
let ticker = null;
let lastRefresh = 0;

function phase(now = Date.now()) {
  const s = state.data && state.data.session;
  if (!s) return null;
  if (s.status === 'cancelled') return 'cancelled';
  // Ended by the mediator, whatever the clock says: nothing to join any more.
  if (s.status === 'ended') return 'ended';
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
  const el = /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="countdown"]'));
  if (!el) return;
  const p = phase();
  if (el.dataset.phase !== p) {
    if (!state.loading) load(); // the phase changed (e.g. the session started): what to do now changes too
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
    // A link that died while the page was open (the session cancelled or moved): whom to call.
    !network && state.lastKnown ? contactLine(state.lastKnown) : null,
    network ? h('button', { type: 'button', class: 'primary big', onclick: () => load() }, t('common.retry')) : null,
  );
}

// ------------------------------------------------------------------ what to do now

/** "您的调解员：刘调解员 · 电话 138…": whom to call when the path needs a person. */
function contactLine(mediator) {
  if (!mediator || !mediator.display_name) return null;
  return h(
    'p',
    { class: 'now-contact', dataset: { testid: 'now-contact' } },
    t('party.now.contact', { name: mediator.display_name }),
    mediator.phone ? [' · ', t('party.now.contact.phone'), ' ', h('a', { href: `tel:${mediator.phone}` }, mediator.phone)] : null,
  );
}

const daysText = (n) => (n == null ? '' : n <= 1 ? t('party.now.last_day') : t('party.now.days', { n }));

/** Open the agreement's view (the page's reading mode, or over the live room). */
function openAgreement() {
  if (state.agreement) state.agreement.show();
}

/** Take the party to the confirmation card and its button. */
function openConfirmation() {
  const card = document.querySelector('[data-testid="confirmation-card"]');
  if (!card) return;
  card.scrollIntoView({ block: 'start', behavior: 'smooth' });
  /** @type {HTMLElement | null} */ (card.querySelector('[data-testid="conf-apply"], [data-testid="conf-cosign"], a.button') || card.querySelector('h2'))?.focus({ preventScroll: true });
}

const NOW_ACTIONS = {
  join_before: ['live.join', () => enterLive(), 'join-live'],
  join_now: ['live.join', () => enterLive(), 'join-live'],
  sign: ['party.now.sign.button', openAgreement, 'now-open-agreement'],
  sign_wait: ['party.now.agreement.button', openAgreement, 'now-open-agreement'],
  sign_closed: ['party.now.agreement.button', openAgreement, 'now-open-agreement'],
  draft: ['party.now.draft.button', openAgreement, 'now-open-agreement'],
  sealed: ['party.now.sealed.button', openAgreement, 'now-open-agreement'],
  apply: ['party.now.apply.button', openConfirmation, 'now-open-confirmation'],
  apply_resume: ['party.now.apply_resume.button', openConfirmation, 'now-open-confirmation'],
  cosign: ['party.now.cosign.button', openConfirmation, 'now-open-confirmation'],
  cosign_wait: ['party.now.confirmation.button', openConfirmation, 'now-open-confirmation'],
  with_court: ['party.now.confirmation.button', openConfirmation, 'now-open-confirmation'],
  hearing: ['party.now.confirmation.button', openConfirmation, 'now-open-confirmation'],
  ruling: ['party.now.ruling.button', openConfirmation, 'now-open-confirmation'],
};
/** Steps where the next move is a person's: the mediator's name and number go with them. */
const NOW_CONTACT = new Set(['session_over', 'cancelled', 'mediation_failed', 'sign_closed', 'confirmation_lapsed', 'next_session']);
/** Primary steps: the party has something to do (others are news). */
const NOW_PRIMARY = new Set(['join_before', 'join_now', 'sign', 'apply', 'apply_resume', 'cosign', 'ruling']);

/**
 * The one step at the top of the page (GET /party/me `now`, server/domain/party_path.py): where a
 * party lands from a message ("your agreement is ready to sign", "张三 applied: co-sign by …").
 */
function nowCard() {
  const d = state.data;
  const now = d.now;
  if (!now) return null;
  const tz = d.session.timezone;
  const step = now.step === 'ruling' ? `ruling.${now.result === 'confirmed' ? 'confirmed' : 'rejected'}` : now.step;
  const vars = {
    time: now.at ? fmtPartyDateTime(now.at, tz) : '',
    days: daysText(now.days_left),
    name: now.name || '',
    court: now.court || '',
    mediator: d.mediator.display_name,
  };
  const text = now.step === 'sign_wait' && !now.name ? t('party.now.sign_wait.nobody') : t(`party.now.${step}`, vars);
  const action = NOW_ACTIONS[now.step];
  const usable = action && (action[2] !== 'now-open-agreement' || state.agreement) && (action[2] !== 'now-open-confirmation' || state.confirmation);
  const primary = NOW_PRIMARY.has(now.step);
  return h(
    'section',
    { class: ['party-card', 'now-card', primary && 'now-primary', now.urgent && 'now-urgent'], 'aria-labelledby': 'now-title', dataset: { testid: 'now-card', step: now.step } },
    h('h2', { id: 'now-title', class: 'now-title' }, t('party.now.title'), now.urgent ? [' ', h('span', { class: 'badge warn', dataset: { testid: 'now-urgent' } }, t('party.now.urgent'))] : null),
    h('p', { class: 'now-text lead', dataset: { testid: 'now-text' } }, text),
    usable
      ? h('button', { type: 'button', class: [primary ? 'primary' : 'secondary', 'big', 'block'], onclick: action[1], dataset: { testid: action[2] } }, t(action[0]))
      : null,
    now.step === 'join_before' ? h('p', { class: 'hint' }, t('live.join.hint')) : null,
    NOW_CONTACT.has(now.step) ? contactLine(d.mediator) : null,
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

/** Resolves with the party's KeyBinding, loading keybind.js the first time. */
async function ensureKeys(partyId) {
  if (keys && keys.partyId === partyId) return keys;
  const { KeyBinding } = await parts.keys();
  if (!keys || keys.partyId !== partyId) {
    keys = new KeyBinding({ partyId });
    keys.onChange(() => renderKeyCard());
    render();
  }
  return keys;
}

function keyCard() {
  if (!keys) return null; // drawn once keybind.js has loaded, just after the first screen
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

/**
 * The agreement (partyagreement.js, polled once it exists), judicial confirmation
 * (partyconfirmation.js, once the agreement is in effect) and the case files, started once the
 * party is known. The agreement and confirmation modules are loaded only when the server says
 * there is something to show (`probeAgreement`, `probeConfirmation`).
 */
function initAgreement(d) {
  if (state.started) return;
  state.started = true;
  ensureKeys(d.party.id).catch(() => {});
  parts.files().then(({ CaseFiles }) => {
    state.files = new CaseFiles({ mode: 'party', self: d.party, tz: d.session.timezone, big: true });
    state.files.load();
    render();
  }, () => {});
  probeAgreement(d);
  probeConfirmation(d);
}

async function probeAgreement(d) {
  if (state.agreement) return;
  // /party/me says whether there is an agreement; between its reloads, ask the agreement route.
  let found = Boolean(state.data && state.data.agreement);
  if (!found && document.visibilityState === 'visible') {
    try {
      const data = await api.partyAgreement();
      found = Boolean(data && data.agreement);
    } catch (err) {
      if ([401, 403, 404, 410].includes(err.status)) return; // no agreement routes, or the link ended
    }
  }
  if (!found) {
    setTimeout(() => probeAgreement(d), AGREEMENT_PROBE_MS);
    return;
  }
  let PartyAgreement, partyKeys;
  try {
    [{ PartyAgreement }, partyKeys] = await Promise.all([parts.agreement(), ensureKeys(d.party.id)]);
  } catch {
    setTimeout(() => probeAgreement(d), AGREEMENT_PROBE_MS); // the code did not arrive: try again
    return;
  }
  if (state.agreement) return;
  state.agreement = new PartyAgreement({
    party: d.party,
    tz: d.session.timezone,
    keys: partyKeys,
    // In the live room the agreement opens over the video (partylive.js); elsewhere in place of the page.
    onOpen: () => {
      if (state.live) state.live.openAgreement();
      else {
        state.reading = true;
        render();
      }
    },
    onClose: () => {
      if (state.live) state.live.closeAgreement();
      else {
        state.reading = false;
        render();
      }
    },
  });
  state.agreement.start();
  // What to do now follows the agreement as it moves on; the room shows it a button away.
  refreshOnChange(state.agreement);
  if (state.live) state.live.setAgreement(state.agreement);
  render();
}

/** Judicial confirmation: a card of its own once the agreement is in effect (People's Mediation Law art. 33). */
async function probeConfirmation(d) {
  if (state.confirmation) return;
  let found = Boolean(state.data && state.data.confirmation);
  if (!found && document.visibilityState === 'visible') {
    try {
      const data = await api.partyConfirmation();
      found = Boolean(data && (data.effective_at || data.application));
    } catch (err) {
      if ([401, 403, 404, 410].includes(err.status)) return;
    }
  }
  if (!found) {
    setTimeout(() => probeConfirmation(d), CONFIRMATION_PROBE_MS);
    return;
  }
  let PartyConfirmation, partyKeys;
  try {
    [{ PartyConfirmation }, partyKeys] = await Promise.all([parts.confirmation(), ensureKeys(d.party.id)]);
  } catch {
    setTimeout(() => probeConfirmation(d), CONFIRMATION_PROBE_MS);
    return;
  }
  if (state.confirmation) return;
  state.confirmation = new PartyConfirmation({ party: d.party, tz: d.session.timezone, keys: partyKeys });
  state.confirmation.start();
  refreshOnChange(state.confirmation);
  render();
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
    h(
      'button',
      { type: 'button', class: 'primary big block join-button', onclick: () => enterLive(), disabled: state.entering, 'aria-busy': state.entering ? 'true' : null, dataset: { testid: 'join-live' } },
      t('live.join'),
    ),
    h('p', { class: 'hint' }, t('live.join.hint')),
  );
}

/**
 * The way into the live session; loads the live room (partylive.js, live.css) first. `resume`:
 * the device check remembered from before a reload (rejoin.js), so the party goes straight back in.
 * @param {{audioOnly: boolean, camera: string, microphone: string} | null} [resume]
 */
async function enterLive(resume = null) {
  if (state.live || state.entering) return;
  if (!captureSupported()) {
    // No camera access at all (an old in-app browser, a page not on HTTPS): nothing to check.
    state.noVideo = true;
    render();
    return;
  }
  state.entering = true;
  render();
  try {
    const [{ PartyLive }, partyKeys] = await Promise.all([parts.live(), ensureKeys(state.data.party.id)]);
    state.live = new PartyLive(state.data, { keys: partyKeys, agreement: state.agreement, onExit: exitLive });
    if (!videoSupported()) helpAfterDeviceCheck(state.live);
  } catch {
    // The live room did not arrive (a dropped connection): the button works again.
    state.entering = false;
    render();
    toast(t('refused.network_error'), 'error', 8000);
    return;
  }
  state.entering = false;
  render();
  window.scrollTo(0, 0);
  state.live.start({ resume });
}

/** Back from the live session's end to the page, whose top says what comes next. */
function exitLive() {
  state.live = null;
  load();
  window.scrollTo(0, 0);
}

/**
 * A browser with a camera but no WebRTC (some WebViews, WebKit builds without it): the device
 * check still runs (the party sees their camera and microphone work), then, instead of a waiting
 * room that could never connect, the help says what to do.
 */
function helpAfterDeviceCheck(live) {
  live.checked = ({ stream }) => {
    if (stream) for (const track of stream.getTracks()) track.stop();
    live.finish('left');
    state.live = null;
    state.noVideo = true;
    render();
  };
}

/** The bilingual help of party.html (also shown by its classic script to browsers that cannot run this page). */
function noVideoView() {
  const template = /** @type {HTMLTemplateElement | null} */ (document.getElementById('no-video-help'));
  const el = h('div', { class: 'no-video-host' });
  if (template) el.append(template.content.cloneNode(true));
  return el;
}

function mainView() {
  const d = state.data;
  const s = d.session;
  const p = phase();
  const minutes = Math.round((Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 60000);
  // The step at the top carries the join button when joining is what to do now.
  const joinOnTop = d.now && (d.now.step === 'join_before' || d.now.step === 'join_now');
  return [
    h('h1', { class: 'greeting' }, t('party.greeting', { name: d.party.name })),
    nowCard(),
    p === 'cancelled'
      ? h('div', { class: 'notice cancelled-notice', role: 'alert', dataset: { testid: 'cancelled-notice' } }, t('party.cancelled.notice'))
      : h('p', { class: 'lead' }, t('party.intro')),
    // The main action first: on a phone it is the one thing above the fold (issue #18).
    (p === 'before' || p === 'started') && !joinOnTop ? joinCard() : null,
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
            h('a', { class: 'calendar-link', href: d.calendar_url, download: 'mediation.ics', dataset: { testid: 'add-to-calendar' } }, t('party.calendar')),
            h('p', { class: 'hint' }, t('party.calendar.hint')),
          )
        : null,
    ),
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
  if (state.noVideo) body = noVideoView();
  else if (state.loading && !state.data) body = h('p', { class: 'loading', role: 'status' }, t('common.loading'));
  else if (state.error && !state.data) body = errorView();
  else body = mainView();
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  const focused = active && active.dataset && active.dataset.testid;
  replace(app, header(), h('main', { id: 'main', class: 'party-main' }, body));
  if (focused) /** @type {HTMLElement | null} */ (app.querySelector(`[data-testid="${focused}"]`))?.focus();
}

let refreshTimer = null;

/** Ask /party/me again when `module`'s phase changes (its own polling sees it first). */
function refreshOnChange(module) {
  let seen;
  module.onPhase((p) => {
    if (seen !== undefined && p !== seen) {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => load(), 300);
    }
    seen = p;
  });
}

async function load() {
  state.loading = true;
  lastRefresh = Date.now();
  if (!state.data) render();
  try {
    state.data = embeddedData() || (await api.partyMe());
    state.error = null;
    state.lastKnown = state.data.mediator;
  } catch (err) {
    state.error = err;
    // A revoked or expired link: stop showing old details.
    if (err.status && err.status !== 0) state.data = null;
  }
  state.loading = false;
  if (state.data && state.data.party && !state.resumeTried && !state.live) {
    // Reloaded during the session after the device check: straight back to the room.
    state.resumeTried = true;
    const p = phase();
    const saved = p === 'before' || p === 'started' ? rememberedCheck(state.data) : null;
    if (p === 'ended' || p === 'cancelled') forgetCheck(state.data);
    if (saved && videoSupported()) {
      initAgreement(state.data);
      startTicker();
      enterLive(saved);
      return;
    }
  }
  render();
  if (state.data && state.data.party) initAgreement(state.data);
  if (state.data) startTicker();
  // The session is under way: have the live room ready for the party's press.
  if (phase() === 'started' && videoSupported()) parts.live().catch(() => {});
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && Date.now() - lastRefresh > 60 * 1000) load();
});
setInterval(() => {
  if (document.visibilityState === 'visible') load();
}, REFRESH_MS);

rerenderOnLangChange(app, render);
load();
