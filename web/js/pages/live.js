// @ts-check
// /live/<session id>: the mediator hosts a live video session — the waiting room (admit, hold,
// remove, with each person's device check and connection quality), everyone's video, per-person
// mute and stop-video, private talk (caucus, 背对背调解), recording with everyone's consent
// (start, stop, who has consented, why a start was refused or a recording stopped), chat, lock and end,
// and each party's identity: who cannot receive codes, the check of their ID card on video (idcheck.js).
// Drawn with Preact + htm (the room in room.js, the panels, the head and the end card here): a redraw
// or a change of language keeps the videos playing, the focus and what was typed.

import { html, render as draw } from 'htm/preact';
import * as api from '../api.js';
import { IdentityPanel } from '../idcheck.js';
import { PhoneConsentPanel } from '../phone-consent.js';
import { t, tv, fmtDateTime, fmtTime } from '../i18n.js';
import '../live-i18n.js';
import { recordingActive, recordingIndicator } from '../recording.js';
import { RoomUI, cls, consentBadge, roleLabel, signalingErrorMessage } from '../room.js';
import { MediaSession, openDevices } from '../rtc.js';
import { Signaling } from '../signaling.js';
import { TranscriptPanel } from '../transcript.js';
import { h, replace, toast, confirmDialog, initStaffPage, staffHeader, skipLink, errorState } from '../ui.js';
import { staffFrame } from '../ui-preact.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML
const sessionId = decodeURIComponent((location.pathname.match(/^\/live\/([^/]+)/) || [])[1] || '');

/**
 * @type {{
 *   user: any, tz: string, session: any, view: any, phase: string, refusal: any, refusalReason?: string | null, revoked: string | null | undefined,
 *   pick: Set<string>, busy: Set<string>, recMissing: {names?: any, message?: any} | null, recStopped: any,
 *   caucusMemory?: string | null, quality?: Record<string, any>, autoAsked?: boolean | null,
 * }}
 */
const state = {
  user: null,
  tz: 'Asia/Shanghai',
  session: null,
  view: null,
  phase: 'room', // room | ended | replaced | refused | revoked | left
  refusal: null,
  refusalReason: null, // its machine-readable cause: not_assigned (a mediator not assigned to the case), another_organisation
  revoked: null, // why the server ended the page: link_revoked, logged_out, account_disabled, session_cancelled …
  pick: new Set(), // participants chosen for a private talk
  busy: new Set(),
  recMissing: null, // record_start refused: {names} or {message}
  recStopped: null, // recording_stopped from the server: {reason, by, message}
  autoAsked: null, // "let parties straight in" as just switched, until the server's view says so
};

let signaling = null;
let media = null;
let room = null;
let identity = null; // the parties' identity checks (idcheck.js)
let transcript = null; // the mediation record being written (transcript.js)
const panels = {};

// ------------------------------------------------------------------ helpers

/** The caucus the host is in, as the server's view names it (survives a reload). */
function caucusId() {
  return state.view && state.view.caucus ? state.view.caucus.id : null;
}

function rememberCaucus(id) {
  state.caucusMemory = id;
}

const others = () => (state.view ? state.view.participants.filter((p) => p.id !== state.view.self.id) : []);

/** A host action on the signalling connection, with its button busy meanwhile and errors shown. */
async function act(key, work, done) {
  if (state.busy.has(key)) return;
  state.busy.add(key);
  renderPanels();
  try {
    await work();
    if (done) toast(done);
  } catch (err) {
    toast(signalingErrorMessage(err), 'error', 6000);
  } finally {
    state.busy.delete(key);
    renderPanels();
  }
}

/**
 * @param {string} label
 * @param {string} key
 * @param {() => any} work
 * @param {{kind?: string, testid?: string, done?: string, disabled?: boolean}} [options]
 */
function actionButton(label, key, work, { kind = 'secondary', testid, done, disabled = false } = {}) {
  return html`<button key=${key} type="button" class=${cls(kind, 'small-btn')} disabled=${disabled || state.busy.has(key)} data-testid=${testid}
    onClick=${() => act(key, work, done)}>${label}</button>`;
}

async function removePerson(p) {
  const res = await confirmDialog({
    title: t('host.remove.title', { name: p.name }),
    message: t('host.remove.text', { name: p.name }),
    confirmLabel: t('host.remove'),
    danger: true,
  });
  if (res.ok) await act(`remove:${p.id}`, () => signaling.call('remove', { participant_id: p.id }));
}

function deviceLine(p) {
  const d = p.device || {};
  if (!d.camera && !d.microphone) return t('host.device.none');
  return t('host.device', { camera: tv('host.device', d.camera), microphone: tv('host.device', d.microphone) });
}

// ------------------------------------------------------------------ recording

/** A refusal of record_start because someone admitted has not consented (PROTOCOL.md, Recording). */
const isConsentMissing = (err) => Boolean(err) && err.reason === 'consent_missing';

/** Who the server says has not consented (its `missing` list; else the names after the colon of its message). */
function missingFrom(err) {
  if (Array.isArray(err.missing) && err.missing.length) return { names: err.missing.join('、') };
  const message = err.message || '';
  const at = message.indexOf(': ');
  return at >= 0 ? { names: message.slice(at + 2).trim() } : { message };
}

async function startRecording() {
  state.recMissing = null;
  await act('record', async () => {
    try {
      await signaling.call('record_start', {});
      state.recStopped = null;
      toast(t('host.rec.started'));
    } catch (err) {
      if (!isConsentMissing(err)) throw err;
      state.recMissing = missingFrom(err);
    }
  });
  if (state.recMissing) panels.recording.querySelector('[data-testid="record-refused"]')?.focus();
  room.renderBanners();
}

/** A co-mediator's consent to their own recording, once another host started it (PROTOCOL.md, Recording). */
async function joinRecording() {
  await act('record', () => signaling.call('record_start', {}), t('host.rec.joined'));
}

async function stopRecording() {
  await act('record', () => signaling.call('record_stop', {}), t('host.rec.stopped'));
}

function recordingPanel() {
  const v = state.view;
  const active = recordingActive(v);
  const people = others().filter((p) => p.state !== 'removed');
  // A refusal is news only while someone in the room still has not consented.
  if (state.recMissing && !people.some((p) => p.state === 'admitted' && !p.consented)) state.recMissing = null;
  const missing = state.recMissing;
  const busy = state.busy.has('record');
  return html`<h2 id="recording-panel-title">${t('host.rec')}</h2>
    ${active ? recordingIndicator(v, { testid: 'host-recording-status' }) : html`<p class="muted small" data-testid="host-recording-status">${t('host.rec.off')}</p>`}
    ${!active && missing
      ? html`<p class="error-box" role="alert" tabindex="-1" data-testid="record-refused">
          ${missing.names ? t('host.rec.missing', { names: missing.names }) : t('host.rec.missing.raw', { message: missing.message })}
        </p>`
      : null}
    ${active && v && !v.self.consented
      ? html`<p class="notice" role="status" data-testid="record-self-missing">${t('host.rec.self_missing')}</p>
          <div class="actions">
            <button type="button" class="primary" disabled=${busy} data-testid="record-join" onClick=${joinRecording}>${t('host.rec.join')}</button>
          </div>`
      : null}
    <div class="actions">
      ${active
        ? html`<button type="button" class="danger" disabled=${busy} data-testid="record-stop" onClick=${stopRecording}>
            <span class="rec-stop-icon" aria-hidden="true"></span>${t('host.rec.stop')}
          </button>`
        : html`<button type="button" class="primary" disabled=${!v || busy} data-testid="record-start" onClick=${startRecording}>
            <span class="rec-dot" aria-hidden="true"></span>${t('host.rec.start')}
          </button>`}
    </div>
    <p class="muted small">${t('host.rec.rule')}</p>
    ${people.length
      ? html`<ul class="consent-list" data-testid="consent-list">
          ${people.map(
            (p) => html`<li key=${p.id} class="person-line" data-participant-id=${p.id}>
              <strong>${p.name}</strong><span class="badge">${roleLabel(p, v)}</span>${consentBadge(p)}${p.state !== 'admitted'
                ? html`<span class="badge muted">${room.personStatus(p)}</span>`
                : null}
            </li>`,
          )}
        </ul>`
      : null}`;
}

/** The top of the room after a recording stopped without the mediator asking. */
function stoppedBanner() {
  const s = state.recStopped;
  if (!s) return [];
  let text;
  if (s.reason === 'consent_withdrawn') text = s.by ? t('host.rec.withdrawn', { name: s.by }) : t('host.rec.withdrawn.someone');
  else if (s.reason === 'disk_full' || s.reason === 'write_error') text = t(`host.rec.failed.${s.reason}`);
  else text = t('host.rec.failed.other');
  const ok = () => {
    state.recStopped = null;
    room.renderBanners();
  };
  return [
    html`<div key="recording-stopped" class="live-banner rec-stopped" role="alert" data-testid="recording-stopped" data-reason=${s.reason || ''}>
      <span class="rec-stopped-text">${text}</span>
      <button type="button" class="secondary" data-testid="recording-stopped-ok" onClick=${ok}>${t('host.rec.stopped.ok')}</button>
    </div>`,
  ];
}

// ------------------------------------------------------------------ panels

function roomPanel() {
  const v = state.view;
  const locked = Boolean(v && v.locked);
  const auto = Boolean(v && v.admit_automatically);
  // While the switch's change is on its way, it shows what was asked for; the server's view has the last word.
  if (state.autoAsked != null && (!state.busy.has('auto') || state.autoAsked === auto)) state.autoAsked = null;
  /** @param {Event} e */
  const switched = (e) => {
    const on = /** @type {HTMLInputElement} */ (e.currentTarget).checked;
    state.autoAsked = on;
    act('auto', () => signaling.call('admit_automatically', { on }));
  };
  return html`<h2 id="room-panel-title">${t('host.room')}</h2>
    ${locked ? html`<p class="notice" role="status">${t('host.locked')}</p>` : null}
    <div class="actions">
      <button type="button" class="secondary small-btn" aria-pressed=${String(locked)} disabled=${!v || state.busy.has('lock')} data-testid="lock"
        onClick=${() => act('lock', () => signaling.call('lock', { on: !locked }))}>${locked ? t('host.unlock') : t('host.lock')}</button>
      <button type="button" class="danger small-btn" disabled=${!v} data-testid="end-session" onClick=${endSession}>${t('host.end')}</button>
    </div>
    <div class="field check">
      <input type="checkbox" id="admit-automatically" checked=${state.autoAsked ?? auto} disabled=${!v || state.busy.has('auto')}
        data-testid="admit-automatically" data-on=${String(auto)} onChange=${switched} />
      <label for="admit-automatically">${t('host.auto')}</label>
    </div>`;
}

function waitingPanel() {
  const v = state.view;
  const waiting = others().filter((p) => p.state === 'waiting' || p.state === 'held');
  return html`<h2 id="waiting-panel-title">${t('host.waiting')}${waiting.length ? html`<span class="count">${` (${waiting.length})`}</span>` : null}</h2>
    ${waiting.length
      ? html`<ul class="waiting-list" data-testid="waiting-list">
          ${waiting.map((p) => {
            const q = state.quality && state.quality[p.id];
            return html`<li key=${p.id} class="waiting-person" data-participant-id=${p.id}>
              <p class="person-line">
                <strong>${p.name}</strong><span class="badge">${roleLabel(p, v)}</span><span class=${cls('badge', p.online === false ? 'muted' : 'warn')}>${room.personStatus(p)}</span>${consentBadge(p)}
              </p>
              <p class="muted small" data-testid="device-line">${deviceLine(p)}</p>
              <p class="muted small" data-testid="quality-line">${q ? t('live.quality.label', { level: tv('live.quality', q.level) }) : t('host.quality.none')}</p>
              <div class="actions">
                ${actionButton(t('host.admit'), `admit:${p.id}`, () => signaling.call('admit', { participant_id: p.id }), {
                  kind: 'primary',
                  testid: 'admit',
                  disabled: p.online === false,
                  done: t('host.admitted', { name: p.name }),
                })}
                <button type="button" class="danger-outline small-btn" onClick=${() => removePerson(p)}>${t('host.remove')}</button>
              </div>
            </li>`;
          })}
        </ul>`
      : html`<p class="muted">${t('host.waiting.empty')}</p>`}`;
}

function caucusPanel() {
  const v = state.view;
  const title = html`<h2 id="caucus-panel-title">${t('host.caucus')}</h2>`;
  if (!v) return title;
  if (v.self.in_caucus) {
    const inIt = others().filter((p) => p.in_caucus && p.state !== 'removed');
    const id = caucusId() || state.caucusMemory;
    const end = () =>
      act('caucus', async () => {
        await signaling.call('caucus_end', { caucus_id: id });
        rememberCaucus(null);
      });
    return html`${title}
      <p class="notice" role="status" data-testid="caucus-active">${t('host.caucus.active', { names: inIt.map((p) => p.name).join('、') })}</p>
      ${id
        ? html`<button type="button" class="primary block" disabled=${state.busy.has('caucus')} data-testid="caucus-end" data-caucus-id=${id} onClick=${end}>
            ${t('host.caucus.end')}
          </button>`
        : html`<p class="error-box">${t('host.caucus.lost')}</p>`}`;
  }
  if (v.caucus) {
    // Another host's private talk (one at a time): this host is in the joint room and may end it.
    const inIt = others().filter((p) => p.in_caucus && p.state !== 'removed' && p.id !== v.caucus.host_id);
    const by = others().find((p) => p.id === v.caucus.host_id);
    const id = v.caucus.id;
    const end = () => act('caucus', () => signaling.call('caucus_end', { caucus_id: id }));
    return html`${title}
      <p class="notice" role="status" data-testid="caucus-active">${t('host.caucus.other', { host: by ? by.name : '', names: inIt.map((p) => p.name).join('、') })}</p>
      <button type="button" class="secondary block" disabled=${state.busy.has('caucus')} data-testid="caucus-end" data-caucus-id=${id} onClick=${end}>
        ${t('host.caucus.end.other')}
      </button>`;
  }
  const candidates = others().filter((p) => p.state === 'admitted' && !p.in_caucus && p.online !== false);
  for (const id of [...state.pick]) if (!candidates.some((p) => p.id === id)) state.pick.delete(id);
  const start = async () => {
    if (!state.pick.size) {
      toast(t('host.caucus.none'), 'error');
      return;
    }
    const id = `c${Date.now()}`;
    await act('caucus', async () => {
      await signaling.call('caucus_start', { caucus_id: id, member_ids: [...state.pick] });
      rememberCaucus(id);
      state.pick.clear();
    });
  };
  /** @param {string} id @param {Event} e */
  const pick = (id, e) => {
    if (/** @type {HTMLInputElement} */ (e.currentTarget).checked) state.pick.add(id);
    else state.pick.delete(id);
    renderPanels();
  };
  return html`${title}
    <p class="muted small">${t('host.caucus.intro')}</p>
    ${candidates.length
      ? html`<fieldset class="caucus-pick">
          <legend class="sr-only">${t('host.caucus')}</legend>
          ${candidates.map((p) => {
            const picked = state.pick.has(p.id);
            return html`<div key=${p.id} class="field check">
              <input type="checkbox" id=${`pick-${p.id}`} checked=${picked} data-testid="caucus-pick" data-participant-id=${p.id} data-picked=${String(picked)}
                onChange=${(/** @type {Event} */ e) => pick(p.id, e)} />
              <label for=${`pick-${p.id}`}>${`${p.name} · ${roleLabel(p, v)}`}</label>
            </div>`;
          })}
        </fieldset>`
      : html`<p class="muted">${t('host.caucus.nobody')}</p>`}
    <button type="button" class="primary block" disabled=${!candidates.length || state.busy.has('caucus')} data-testid="caucus-start" onClick=${start}>
      ${t('host.caucus.start')}
    </button>`;
}

/** Draw the side panels (each a Preact tree in its section) and the people list with its buttons. */
function renderPanels() {
  if (!room) return;
  draw(recordingPanel(), panels.recording);
  draw(roomPanel(), panels.room);
  draw(waitingPanel(), panels.waiting);
  draw(caucusPanel(), panels.caucus);
  if (identity) identity.setPresent(others().filter((p) => p.state === 'admitted' && p.role !== 'mediator').map((p) => p.id));
  room.renderPeople();
}

/** Buttons beside a person in the room (the list under the videos). */
function personActions(p) {
  // Hosts are peers (PROTOCOL.md, "Several hosts"): none holds, mutes or removes another.
  if (p.host || (p.state !== 'admitted' && p.state !== 'reconnecting')) return null;
  const sending = p.sending || [];
  return html`<div class="actions person-actions">
    ${actionButton(t('host.mute'), `mute:${p.id}:audio`, () => signaling.call('mute', { participant_id: p.id, kind: 'audio' }), {
      testid: 'mute-audio',
      disabled: !sending.includes('audio'),
    })}
    ${actionButton(t('host.stop_video'), `mute:${p.id}:video`, () => signaling.call('mute', { participant_id: p.id, kind: 'video' }), {
      testid: 'mute-video',
      disabled: !sending.includes('video'),
    })}
    ${actionButton(t('host.hold'), `hold:${p.id}`, () => signaling.call('hold', { participant_id: p.id }), { testid: 'hold', disabled: p.state !== 'admitted' })}
    <button type="button" class="danger-outline small-btn" data-testid="remove" onClick=${() => removePerson(p)}>${t('host.remove')}</button>
  </div>`;
}

// ------------------------------------------------------------------ session

async function endSession() {
  const res = await confirmDialog({ title: t('host.end.title'), message: t('host.end.text'), confirmLabel: t('host.end.ok'), danger: true });
  if (!res.ok) return;
  await act('end', async () => {
    await signaling.call('end', {});
    finish('ended');
  });
}

async function leave() {
  const res = await confirmDialog({
    title: t('live.leave.confirm.title'),
    confirmLabel: t('live.leave.confirm.ok'),
    cancelLabel: t('live.leave.confirm.stay'),
    danger: true,
  });
  if (res.ok) finish('left');
}

function finish(phase) {
  if (state.phase !== 'room') return;
  state.phase = phase;
  if (media) media.close();
  if (signaling) signaling.close();
  if (identity) identity.destroy();
  if (room) room.destroy();
  render();
  /** @type {HTMLElement | null} */ (app.querySelector('h1[tabindex="-1"]'))?.focus();
}

async function openMedia() {
  const found = await openDevices({ audio: true, video: true });
  media.useStream(found.stream, { micOn: found.microphone === 'ok', cameraOn: found.camera === 'ok' });
  const problems = [];
  if (found.camera !== 'ok') problems.push(`${t('check.camera')} ${t(`check.status.${found.camera}`)}`);
  if (found.microphone !== 'ok') problems.push(`${t('check.microphone')} ${t(`check.status.${found.microphone}`)}`);
  if (problems.length) toast(t('host.devices.failed', { problem: problems.join('，') }), 'error', 9000);
}

function connect() {
  signaling = new Signaling({ sessionId });
  media = new MediaSession(signaling, {
    onRemote: () => room && room.renderTiles(),
    onReset: () => room && room.renderTiles(),
    onLocal: () => {
      if (!room) return;
      room.renderControls();
      room.renderTiles();
      room.renderBanners();
    },
    onError: (err) => console.warn('media negotiation failed', err),
  });
  panels.recording = h('section', { class: 'live-panel host-panel recording-panel', 'aria-labelledby': 'recording-panel-title', dataset: { testid: 'recording-panel' } });
  panels.room = h('section', { class: 'live-panel host-panel', 'aria-labelledby': 'room-panel-title', dataset: { testid: 'room-panel' } });
  panels.waiting = h('section', { class: 'live-panel host-panel waiting-panel', 'aria-labelledby': 'waiting-panel-title', dataset: { testid: 'waiting-panel' } });
  panels.caucus = h('section', { class: 'live-panel host-panel', 'aria-labelledby': 'caucus-panel-title', dataset: { testid: 'caucus-panel' } });
  // The mediation record, written beside the videos and read by the parties as it is written (transcript.js).
  transcript = new TranscriptPanel({ sessionId, signaling, writer: true, tz: state.tz });
  // Callers' consent by keypress, witnessed with the mediator's own key (#25): shown once a caller answers.
  const phoneConsent = new PhoneConsentPanel({ signaling, caseId: state.session.case_id, user: state.user, session: state.session });
  identity = new IdentityPanel({ caseId: state.session.case_id, user: state.user, tz: state.tz, mode: 'live', classes: ['live-panel', 'host-panel'] });
  room = new RoomUI({
    signaling,
    media,
    host: true,
    selfName: state.user.display_name || state.user.username,
    personActions,
    peopleFilter: (p, v) => p.id === v.self.id || p.state === 'admitted' || p.state === 'reconnecting',
    sidePanels: [panels.room, panels.recording, panels.waiting, phoneConsent.el, identity.el, panels.caucus, transcript.el],
    banners: stoppedBanner,
    onLeave: leave,
  });
  const devices = openMedia();
  let started = false;
  signaling.on('participants', async (view) => {
    state.view = view;
    room.setView(view);
    phoneConsent.setView(view);
    renderPanels();
    if (!started) {
      started = true;
      await devices;
      media.start().catch((err) => console.warn('could not start media', err));
    }
  });
  signaling.on('quality', ({ participants }) => {
    state.quality = participants || {};
    room.setQuality(state.quality);
    renderPanels();
  });
  signaling.on('recording_stopped', (payload) => {
    state.recStopped = payload || {};
    state.recMissing = null;
    room.renderBanners();
    renderPanels();
  });
  signaling.on('chat', (msg) => room.addChat(msg));
  signaling.on('connect', () => room.setConnection('connected'));
  signaling.on('disconnect', ({ willReconnect }) => {
    if (willReconnect) room.setConnection('reconnecting');
  });
  signaling.on('refused', ({ code, reason }) => {
    state.refusal = code;
    state.refusalReason = reason || null;
    finish('refused');
  });
  signaling.on('ended', () => finish('ended'));
  signaling.on('replaced', () => finish('replaced'));
  // Logged out (here or in another tab), account disabled, session cancelled: the server ends this page (PROTOCOL.md).
  signaling.on('revoked', (/** @type {{reason?: string}} */ { reason } = {}) => {
    state.revoked = reason;
    finish('revoked');
  });
  signaling.connect();
}

// ------------------------------------------------------------------ page

// The page's frame: ui.js's skip link and staff header (drawn again on a change of language, as on
// the review page), and <main>, built once, which holds the head and the room (never taken out
// while the session runs: a <video> taken out of the document stops), then the end card. What is
// in the head and the end card is drawn with Preact.
const head = h('div', { class: 'live-head' });
/** @type {HTMLElement | null} */
let endCard = null;

function headerLine() {
  const s = state.session;
  return html`<p><a href=${s ? `/cases/${encodeURIComponent(s.case_id)}` : '/mediator'} class="back">${`‹ ${t('host.back')}`}</a></p>
    <div class="live-title">
      <h1 tabindex="-1">${t('host.title', { number: s ? s.case_number : '' })}</h1>
      ${s ? html`<p class="muted">${fmtDateTime(s.starts_at, state.tz)}–${fmtTime(s.ends_at, state.tz)}</p>` : null}
    </div>`;
}

function endView() {
  const key = state.phase;
  const strings = key === 'revoked' ? revokedStrings(state.revoked) : key;
  let text = t(`${strings}.text`);
  if (key === 'refused') {
    const code = state.refusal;
    text = ['not_authenticated', 'forbidden', 'gone', 'not_found', 'network_error'].includes(code) ? t(`refused.${code}`) : t('refused.other');
    const lead = state.session && state.session.mediator ? state.session.mediator.display_name : '';
    if (state.refusalReason === 'not_assigned') text = t('refused.not_assigned', { name: lead });
    if (state.refusalReason === 'another_organisation') text = t('refused.another_organisation');
  }
  const login = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  return html`<h2>${t(`${strings}.title`)}</h2>
    <p role="alert">${text}</p>
    ${key === 'left' || key === 'replaced'
      ? html`<button type="button" class="primary" onClick=${() => location.reload()}>${key === 'replaced' ? t('replaced.here') : t('live.rejoin')}</button>`
      : null}
    ${key === 'revoked' && state.revoked === 'logged_out' ? html`<a class="button primary" href=${login}>${t('revoked.login')}</a>` : null}`;
}

/** The strings that say why the server ended this page (`revoked.<reason>`), or a general one for a reason this page does not know. */
function revokedStrings(reason) {
  return ['link_revoked', 'link_reissued', 'logged_out', 'account_disabled', 'session_cancelled'].includes(reason) ? `revoked.${reason}` : 'revoked.other';
}

/** Draw what changes: the title, the head, and the room's panels or, once it ended, the end card in place of the room. */
function render() {
  document.title = `${t('host.title', { number: state.session ? state.session.case_number : '' })} · ${t('app.name')}`;
  draw(headerLine(), head);
  if (state.phase === 'room') {
    renderPanels();
    return;
  }
  if (!endCard) {
    const key = state.phase;
    endCard = h('section', { class: ['card', 'end-card', `end-${key}`], dataset: { testid: `live-${key}` } });
    if (room && room.el.isConnected) room.el.replaceWith(endCard);
    else head.after(endCard);
  }
  draw(endView(), /** @type {HTMLElement} */ (endCard));
}

async function main() {
  const me = await initStaffPage();
  state.user = me.user;
  state.tz = me.user.timezone || 'Asia/Shanghai';
  try {
    state.session = await api.getSession(sessionId);
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 403) {
      // Not one of the case's mediators (another organisation's, not assigned to it): say so, and
      // what to do, in the end card the socket's refusal would show, rather than "could not load".
      state.phase = 'refused';
      state.refusal = 'forbidden';
      state.refusalReason = (err.details && err.details.reason) || null;
      staffFrame(app, () => [skipLink(), staffHeader(state.user)], h('main', { id: 'main', class: 'container live-page' }, head), render);
      render();
      return;
    }
    replace(app, skipLink(), staffHeader(state.user), h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
    return;
  }
  state.caucusMemory = caucusId();
  connect();
  const page = h('main', { id: 'main', class: 'container live-page' }, head, /** @type {RoomUI} */ (room).el);
  staffFrame(app, () => [skipLink(), staffHeader(state.user)], page, render);
  render();
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
