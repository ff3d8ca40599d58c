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
//
// Drawn with Preact + htm, as pages/review.js (issue #20): `state` is the store and `render()` draws
// it again; a redraw (a part arriving, a new phase, a change of language) changes only what
// differs, so focus and what the party typed stay. The parts that keep their own elements (the live
// room, the agreement, the confirmation card, the key binding, the case files) are put in the tree
// as they are (mount.js). ui.js is not imported here: the first screen does not need it (the parts
// loaded after it bring it).

import { html, render as draw } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api.js';
import { t, tv, langSwitchButton, fmtPartyDateTime, fmtCountdown, onLangChange } from '../i18n.js';
import '../identity-i18n.js';
import '../live-i18n.js';
import { Mount, keepingFocus } from '../mount.js';
import '../party-i18n.js';
import { WillingnessCard } from '../partywillingness.js';
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
      import('../transcript.js'),
      import('socket.io-client'),
      import('../ui.js'),
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
  extension: once(() => Promise.all([import('../partyextension.js'), stylesheet(new URL('../../css/agreement.css', import.meta.url))]).then(([m]) => m)),
  performance: once(() => Promise.all([import('../partyperformance.js'), stylesheet(new URL('../../css/agreement.css', import.meta.url))]).then(([m]) => m)),
  transcript: once(() => Promise.all([import('../partytranscript.js'), stylesheet(new URL('../../css/agreement.css', import.meta.url))]).then(([m]) => m)),
  satisfaction: once(() => Promise.all([import('../partysatisfaction.js'), stylesheet(new URL('../../css/agreement.css', import.meta.url))]).then(([m]) => m)),
  files: once(() => Promise.all([import('../casefiles.js'), stylesheet(new URL('../../css/files.css', import.meta.url))]).then(([m]) => m)),
  keys: once(() => import('../keybind.js')),
  mediators: once(() =>
    Promise.all([import('../partymediators.js'), stylesheet(new URL('../../css/mediators.css', import.meta.url))]).then(([m]) => m),
  ),
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
 *   data: any, error: any, loading: boolean, live: any, agreement: any, reading: boolean, files: any, mediators: any,
 *   confirmation: any, extension: any, performance: any, transcript: any, satisfaction: any, started: boolean, entering: boolean, noVideo: boolean, lastKnown: any, resumeTried: boolean,
 * }}
 */
const state = { data: null, error: null, loading: true, live: null, agreement: null, reading: false, files: null, mediators: null, confirmation: null, extension: null, performance: null, transcript: null, satisfaction: null, started: false, entering: false, noVideo: false, lastKnown: null, resumeTried: false };
let lastRefresh = 0;

/** @param {...(string | false | null | undefined)} names */
const cls = (...names) => names.filter(Boolean).join(' ');

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

/**
 * The countdown, drawn again every second on its own. When the phase it was drawn for is over
 * (e.g. the session started), what to do now changes too: the page asks /party/me again.
 * @param {{ p: string | null }} props
 */
function Countdown({ p }) {
  const [, setNow] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      if (phase() !== p) {
        if (!state.loading) load();
        return;
      }
      setNow(Date.now());
    }, 1000);
    return () => clearInterval(timer);
  }, [p]);
  const [label, value] = countdownParts();
  // A space between the two so the text reads as one sentence to screen readers and tests.
  return html`<p class=${`countdown countdown-${p}`} role="timer" aria-live="off" data-testid="countdown" data-phase=${p}>
    <span class="cd-label">${label}</span>${value === undefined ? null : [' ', html`<span class="cd-value">${value}</span>`]}
  </p>`;
}

/** The language button (i18n.js's own, which keeps its words in the page's language), made once. */
let langButton = /** @type {HTMLButtonElement | null} */ (null);
const langSwitch = () => {
  if (!langButton) langButton = langSwitchButton({ className: 'lang-switch big' });
  return langButton;
};

function header() {
  return html`<header class=${cls('party-header', state.live && 'wide')}>
    <p class="brand"><span class="brand-mark" aria-hidden="true">调</span>${t('party.page.title')}</p>
    <${Mount} class="lang-switch-host" make=${langSwitch} />
  </header>`;
}

function errorView() {
  const err = state.error;
  const network = err && err.status === 0;
  // A link that died while the page was open (the session cancelled or moved): whom to call.
  return html`<div class="party-card error-card" role="alert">
    <h1>${t('party.error.title')}</h1>
    <p class="lead">${network ? t('party.error.network') : t('party.error.link')}</p>
    ${!network && state.lastKnown ? contactLine(state.lastKnown) : null}
    ${network ? html`<button type="button" class="primary big" onClick=${() => load()}>${t('common.retry')}</button>` : null}
  </div>`;
}

// ------------------------------------------------------------------ what to do now

/** "您的调解员：刘调解员 · 电话 138…": whom to call when the path needs a person. */
function contactLine(mediator) {
  if (!mediator || !mediator.display_name) return null;
  return html`<p class="now-contact" data-testid="now-contact">
    ${t('party.now.contact', { name: mediator.display_name })}${mediator.phone
      ? [' · ', t('party.now.contact.phone'), ' ', html`<a href=${`tel:${mediator.phone}`}>${mediator.phone}</a>`]
      : null}
  </p>`;
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
  return html`<section class=${cls('party-card', 'now-card', primary && 'now-primary', now.urgent && 'now-urgent')} aria-labelledby="now-title"
    data-testid="now-card" data-step=${now.step}>
    <h2 id="now-title" class="now-title">${t('party.now.title')}${now.urgent ? [' ', html`<span class="badge warn" data-testid="now-urgent">${t('party.now.urgent')}</span>`] : null}</h2>
    <p class="now-text lead" data-testid="now-text">${text}</p>
    ${usable
      ? html`<button type="button" class=${cls(primary ? 'primary' : 'secondary', 'big', 'block')} onClick=${action[1]} data-testid=${action[2]}>${t(action[0])}</button>`
      : null}
    ${now.step === 'join_before' ? html`<p class="hint">${t('live.join.hint')}</p>` : null}
    ${NOW_CONTACT.has(now.step) ? contactLine(d.mediator) : null}
  </section>`;
}

/** @param {string} label @param {unknown} value @param {string} testid */
function infoRow(label, value, testid) {
  return html`<div class="info-row"><dt>${label}</dt><dd data-testid=${testid}>${value}</dd></div>`;
}

function prepareList() {
  const items = ['id', 'evidence', 'quiet', 'battery', 'network', 'earphones'];
  return html`<section class="party-card prepare" aria-labelledby="prepare-title">
    <h2 id="prepare-title">${t('party.prepare.title')}</h2>
    <ul class="prepare-list" data-testid="prepare-list">
      ${items.map((key) => html`<li key=${key} data-item=${key}>${t(`party.prepare.${key}`)}</li>`)}
    </ul>
  </section>`;
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
    keys.onChange(() => render());
    render();
  }
  return keys;
}

/** The key binding keeps its own element (drawn again here only in another language). */
function keyCard() {
  if (!keys) return null; // drawn once keybind.js has loaded, just after the first screen
  const k = keys;
  return html`<section id="key-card" class=${cls('party-card', 'key-card', k.stage === 'done' && 'key-card-done')} aria-labelledby="key-title" data-testid="key-card">
    <h2 id="key-title">${t('key.title')}</h2>
    <${Mount} class="key-bind-host" make=${() => keepingFocus(k.el, () => k.render())} deps=${[k]} />
  </section>`;
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
  // Who mediates, the organisation's directory, a request for another mediator (#21).
  parts.mediators().then(({ PartyMediators, PartyMediatorsCard }) => {
    state.mediators = { panel: new PartyMediators({ changed: () => render(), organisation: d.organisation.name, tz: d.session.timezone }), Card: PartyMediatorsCard };
    state.mediators.panel.load();
    render();
  }, () => {});
  probeAgreement(d);
  probeConfirmation(d);
  startExtension(d);
  startPerformance(d);
  startTranscript(d);
  startSatisfaction(d);
}

/** 履行情况 (partyperformance.js): what this party owes and is owed once the agreement is in force; drawn only when there is any. */
async function startPerformance(d) {
  if (state.performance) return;
  let PartyPerformance, partyKeys;
  try {
    [{ PartyPerformance }, partyKeys] = await Promise.all([parts.performance(), ensureKeys(d.party.id)]);
  } catch {
    return; // the code did not arrive: the card is not shown, the rest of the page works
  }
  if (state.performance) return;
  state.performance = new PartyPerformance({ party: d.party, keys: partyKeys });
  state.performance.start();
  render();
}

/** The mediation record (partytranscript.js): a card for each session's record once the mediator closes it. */
async function startTranscript(d) {
  if (state.transcript) return;
  let PartyTranscript, partyKeys;
  try {
    [{ PartyTranscript }, partyKeys] = await Promise.all([parts.transcript(), ensureKeys(d.party.id)]);
  } catch {
    return; // the code did not arrive: the card is not shown, the rest of the page works
  }
  if (state.transcript) return;
  state.transcript = new PartyTranscript({ party: d.party, keys: partyKeys, tz: (d.session && d.session.timezone) || 'Asia/Shanghai' });
  state.transcript.start();
  render();
}

/** Extending the mediation period (partyextension.js): a card once the mediator proposes a later last day. */
async function startExtension(d) {
  if (state.extension) return;
  let PartyExtension, partyKeys;
  try {
    [{ PartyExtension }, partyKeys] = await Promise.all([parts.extension(), ensureKeys(d.party.id)]);
  } catch {
    return; // the code did not arrive: the card is not shown, the rest of the page works
  }
  if (state.extension) return;
  state.extension = new PartyExtension({ party: d.party, keys: partyKeys, mediator: d.mediator && d.mediator.display_name });
  state.extension.start();
  render();
}

/** Rating the mediation and complaining (partysatisfaction.js, #22): shown to the parties themselves. */
async function startSatisfaction(d) {
  if (state.satisfaction) return;
  let PartySatisfaction, partyKeys;
  try {
    [{ PartySatisfaction }, partyKeys] = await Promise.all([parts.satisfaction(), ensureKeys(d.party.id)]);
  } catch {
    return; // the code did not arrive: the card is not shown, the rest of the page works
  }
  if (state.satisfaction) return;
  state.satisfaction = new PartySatisfaction({ party: d.party, keys: partyKeys, tz: d.session.timezone });
  state.satisfaction.start();
  render();
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
  const files = state.files;
  return html`<section class="party-card files-card" aria-labelledby="files-title">
    <h2 id="files-title">${t('files.title')}</h2>
    <${Mount} class="files-host" make=${() => files.el} deps=${[files]} />
  </section>`;
}

/** The way into the live session: a device check, then the waiting room. */
function joinCard() {
  return html`<section class="party-card join-card" aria-labelledby="join-title">
    <h2 id="join-title" class="sr-only">${t('live.title')}</h2>
    <button type="button" class="primary big block join-button" onClick=${() => enterLive()} disabled=${state.entering}
      aria-busy=${state.entering ? 'true' : null} data-testid="join-live">${t('live.join')}</button>
    <p class="hint">${t('live.join.hint')}</p>
  </section>`;
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
    // ui.js came with the parts loaded after the first screen (keybind.js, casefiles.js).
    import('../ui.js').then(({ toast }) => toast(t('refused.network_error'), 'error', 8000), () => {});
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
function noVideoHelp() {
  const template = /** @type {HTMLTemplateElement | null} */ (document.getElementById('no-video-help'));
  return template ? /** @type {DocumentFragment} */ (template.content.cloneNode(true)).firstElementChild : null;
}

function mainView() {
  const d = state.data;
  const s = d.session;
  const p = phase();
  const minutes = Math.round((Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 60000);
  // The step at the top carries the join button when joining is what to do now.
  // The main action comes first after it: on a phone it is the one thing above the fold (issue #18).
  const joinOnTop = d.now && (d.now.step === 'join_before' || d.now.step === 'join_now');
  const { agreement, confirmation, extension, performance, transcript, satisfaction } = state;
  // A question awaiting this respondent's answer goes first; otherwise the other side's answer follows the step.
  const asking = d.willingness && d.willingness.mine && !d.willingness.mine.answer;
  return html`<h1 class="greeting">${t('party.greeting', { name: d.party.name })}</h1>
    ${asking ? willingnessCard() : null}
    ${nowCard()}
    ${d.willingness && !asking ? willingnessCard() : null}
    ${p === 'cancelled'
      ? html`<div class="notice cancelled-notice" role="alert" data-testid="cancelled-notice">${t('party.cancelled.notice')}</div>`
      : html`<p class="lead">${t('party.intro')}</p>`}
    ${(p === 'before' || p === 'started') && !joinOnTop ? joinCard() : null}
    <section class=${cls('party-card', 'main-card', `phase-${p}`)} aria-labelledby="when-title">
      <${Countdown} p=${p} />
      <h2 id="when-title" class="label">${t('party.when')}</h2>
      <p class=${cls('when', p === 'cancelled' && 'struck')} data-testid="session-time">${fmtPartyDateTime(s.starts_at, s.timezone)}</p>
      ${minutes > 0 ? html`<p class="muted">${t('party.duration', { n: minutes })}</p>` : null}
      <dl class="info">
        ${infoRow(t('party.org'), d.organisation.name, 'organisation')}
        ${infoRow(t('party.case'), d.case.case_number, 'case-number')}
        ${infoRow(t('party.type'), tv('dispute', d.case.dispute_type), 'dispute-type')}
        ${infoRow(t('party.mediator'), d.mediator.display_name, 'mediator-name')}
        ${infoRow(t('party.your_role'), tv('partyrole', d.party.role), 'party-role')}
      </dl>
      ${p === 'before' || p === 'started' ? html`<p class="join-hint">${t('party.join_hint')}</p>` : null}
      ${p === 'before' && d.calendar_url
        ? html`<div class="calendar">
            <a class="calendar-link" href=${d.calendar_url} download="mediation.ics" data-testid="add-to-calendar">${t('party.calendar')}</a>
            <p class="hint">${t('party.calendar.hint')}</p>
          </div>`
        : null}
    </section>
    ${agreement ? html`<${Mount} key="agreement-card" class="agr-entry-slot" make=${() => agreement.entryEl} deps=${[agreement]} />` : null}
    ${confirmation ? html`<${Mount} key="confirmation-card" class="conf-slot" make=${() => confirmation.el} deps=${[confirmation]} />` : null}
    ${extension ? html`<${Mount} key="extension-card" class="ext-slot" make=${() => extension.el} deps=${[extension]} />` : null}
    ${performance ? html`<${Mount} key="performance-card" class="perf-slot" make=${() => performance.el} deps=${[performance]} />` : null}
    ${transcript ? html`<${Mount} key="transcript-card" class="tr-slot" make=${() => transcript.el} deps=${[transcript]} />` : null}
    ${satisfaction ? html`<${Mount} key="satisfaction-card" class="sat-slot" make=${() => satisfaction.el} deps=${[satisfaction]} />` : null}
    ${p !== 'cancelled' ? keyCard() : null}
    ${p === 'before' || p === 'started' ? prepareList() : null}
    ${state.files ? filesCard() : null}
    ${state.mediators ? html`<${state.mediators.Card} panel=${state.mediators.panel} />` : null}
    <p class="help">${t('party.help')}</p>`;
}

// ------------------------------------------------------------------ does the other side agree to mediation

/** The question (a respondent) or the other side's answers (an applicant): server/domain/willingness.py. */
function willingnessCard() {
  const d = state.data;
  const answered = (/** @type {any} */ view) => {
    state.data = { ...state.data, willingness: view, case: { ...state.data.case, status: view.case_status } };
    render();
  };
  return html`<${WillingnessCard} w=${d.willingness} booked=${Boolean(d.session)} onAnswered=${answered} />`;
}

/** A link of the case that belongs to no session yet: the question, or what became of it, is the page. */
function questionView() {
  const d = state.data;
  return html`<h1 class="greeting">${t('party.greeting', { name: d.party.name })}</h1>
    ${d.willingness ? willingnessCard() : html`<p class="help">${t('party.help')}</p>`}`;
}

/** What is in <main>: the live room or the agreement (each keeps its own elements), or the page. */
function mainContent() {
  const { live, agreement } = state;
  if (live) return html`<${Mount} key="live" class="live-slot" make=${() => live.el} deps=${[live]} />`;
  if (state.reading && agreement && state.data) return html`<${Mount} key="agreement" class="agr-view-slot" make=${() => agreement.el} deps=${[agreement]} />`;
  if (state.noVideo) return html`<${Mount} key="no-video" class="no-video-host" make=${noVideoHelp} />`;
  if (state.loading && !state.data) return html`<p class="loading" role="status">${t('common.loading')}</p>`;
  if (state.error && !state.data) return errorView();
  if (!state.data.session) return questionView();
  return mainView();
}

function render() {
  document.title = t('party.page.title');
  // (Preact's render takes any child, a list included; its types say a VNode.)
  draw(
    /** @type {any} */ (html`${header()}<main id="main" class=${cls('party-main', state.live && 'live-wrap')}>${mainContent()}</main>`),
    app,
  );
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
  if (state.data && state.data.party && state.data.session && !state.resumeTried && !state.live) {
    // Reloaded during the session after the device check: straight back to the room.
    state.resumeTried = true;
    const p = phase();
    const saved = p === 'before' || p === 'started' ? rememberedCheck(state.data) : null;
    if (p === 'ended' || p === 'cancelled') forgetCheck(state.data);
    if (saved && videoSupported()) {
      initAgreement(state.data);
      enterLive(saved);
      return;
    }
  }
  render();
  // (A link with no session asks a question only: no agreement, files or live room behind it.)
  if (state.data && state.data.party && state.data.session) initAgreement(state.data);
  // The session is under way: have the live room ready for the party's press.
  if (phase() === 'started' && videoSupported()) parts.live().catch(() => {});
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && Date.now() - lastRefresh > 60 * 1000) load();
});
setInterval(() => {
  if (document.visibilityState === 'visible') load();
}, REFRESH_MS);

// The page's own words follow the language; the parts with their own elements redraw themselves.
onLangChange(() => render());
app.replaceChildren(); // the page's "正在加载…" (party.html), which browsercheck.js watches for
load();
