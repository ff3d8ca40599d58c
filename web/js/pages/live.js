// @ts-check
// /live/<session id>: the mediator hosts a live video session — the waiting room (admit, hold,
// remove, with each person's device check and connection quality), everyone's video, per-person
// mute and stop-video, private talk (caucus, 背对背调解), recording with everyone's consent
// (start, stop, who has consented, why a start was refused or a recording stopped), chat, lock and end,
// and each party's identity: who cannot receive codes, the check of their ID card on video (idcheck.js).

import * as api from '../api.js';
import { IdentityPanel } from '../idcheck.js';
import { t, tv, fmtDateTime, fmtTime } from '../i18n.js';
import '../live-i18n.js';
import { recordingActive, recordingIndicator } from '../recording.js';
import { RoomUI, consentBadge, patch, roleLabel, signalingErrorMessage } from '../room.js';
import { MediaSession, openDevices } from '../rtc.js';
import { Signaling } from '../signaling.js';
import { h, replace, toast, confirmDialog, initStaffPage, staffHeader, skipLink, errorState, rerenderOnLangChange } from '../ui.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML
const sessionId = decodeURIComponent((location.pathname.match(/^\/live\/([^/]+)/) || [])[1] || '');

/**
 * @type {{
 *   user: any, tz: string, session: any, view: any, phase: string, refusal: any, revoked: string | null | undefined,
 *   pick: Set<string>, busy: Set<string>, recMissing: {names?: any, message?: any} | null, recStopped: any,
 *   caucusMemory?: string | null, quality?: Record<string, any>,
 * }}
 */
const state = {
  user: null,
  tz: 'Asia/Shanghai',
  session: null,
  view: null,
  phase: 'room', // room | ended | replaced | refused | revoked | left
  refusal: null,
  revoked: null, // why the server ended the page: link_revoked, logged_out, account_disabled, session_cancelled …
  pick: new Set(), // participants chosen for a private talk
  busy: new Set(),
  recMissing: null, // record_start refused: {names} or {message}
  recStopped: null, // recording_stopped from the server: {reason, by, message}
};

let signaling = null;
let media = null;
let room = null;
let identity = null; // the parties' identity checks (idcheck.js)
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
  return h(
    'button',
    { type: 'button', class: [kind, 'small-btn'], disabled: disabled || state.busy.has(key), onclick: () => act(key, work, done), dataset: testid ? { testid } : undefined },
    label,
  );
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
  return [
    h('h2', { id: 'recording-panel-title' }, t('host.rec')),
    active ? recordingIndicator(v, { testid: 'host-recording-status' }) : h('p', { class: 'muted small', dataset: { testid: 'host-recording-status' } }, t('host.rec.off')),
    !active && missing
      ? h(
          'p',
          { class: 'error-box', role: 'alert', tabindex: '-1', dataset: { testid: 'record-refused' } },
          missing.names ? t('host.rec.missing', { names: missing.names }) : t('host.rec.missing.raw', { message: missing.message }),
        )
      : null,
    h(
      'div',
      { class: 'actions' },
      active
        ? h(
            'button',
            { type: 'button', class: 'danger', disabled: state.busy.has('record'), dataset: { testid: 'record-stop' }, onclick: stopRecording },
            h('span', { class: 'rec-stop-icon', 'aria-hidden': 'true' }),
            t('host.rec.stop'),
          )
        : h(
            'button',
            { type: 'button', class: 'primary', disabled: !v || state.busy.has('record'), dataset: { testid: 'record-start' }, onclick: startRecording },
            h('span', { class: 'rec-dot', 'aria-hidden': 'true' }),
            t('host.rec.start'),
          ),
    ),
    h('p', { class: 'muted small' }, t('host.rec.rule')),
    people.length
      ? h(
          'ul',
          { class: 'consent-list', dataset: { testid: 'consent-list' } },
          people.map((p) =>
            h(
              'li',
              { class: 'person-line', dataset: { participantId: p.id } },
              h('strong', null, p.name),
              h('span', { class: 'badge' }, roleLabel(p)),
              consentBadge(p),
              p.state !== 'admitted' ? h('span', { class: 'badge muted' }, room.personStatus(p)) : null,
            ),
          ),
        )
      : null,
  ];
}

/** The top of the room after a recording stopped without the mediator asking. */
function stoppedBanner() {
  const s = state.recStopped;
  if (!s) return [];
  let text;
  if (s.reason === 'consent_withdrawn') text = s.by ? t('host.rec.withdrawn', { name: s.by }) : t('host.rec.withdrawn.someone');
  else if (s.reason === 'disk_full' || s.reason === 'write_error') text = t(`host.rec.failed.${s.reason}`);
  else text = t('host.rec.failed.other');
  return [
    h(
      'div',
      { class: 'live-banner rec-stopped', role: 'alert', dataset: { testid: 'recording-stopped', reason: s.reason || '' } },
      h('span', { class: 'rec-stopped-text' }, text),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          dataset: { testid: 'recording-stopped-ok' },
          onclick: () => {
            state.recStopped = null;
            room.renderBanners();
          },
        },
        t('host.rec.stopped.ok'),
      ),
    ),
  ];
}

// ------------------------------------------------------------------ panels

function roomPanel() {
  const v = state.view;
  const locked = Boolean(v && v.locked);
  const auto = Boolean(v && v.admit_automatically);
  return [
    h('h2', { id: 'room-panel-title' }, t('host.room')),
    locked ? h('p', { class: 'notice', role: 'status' }, t('host.locked')) : null,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: ['secondary', 'small-btn'],
          'aria-pressed': String(locked),
          disabled: !v || state.busy.has('lock'),
          dataset: { testid: 'lock' },
          onclick: () => act('lock', () => signaling.call('lock', { on: !locked })),
        },
        locked ? t('host.unlock') : t('host.lock'),
      ),
      h('button', { type: 'button', class: 'danger small-btn', disabled: !v, dataset: { testid: 'end-session' }, onclick: endSession }, t('host.end')),
    ),
    h(
      'div',
      { class: 'field check' },
      h('input', {
        type: 'checkbox',
        id: 'admit-automatically',
        checked: auto,
        disabled: !v || state.busy.has('auto'),
        // data-on makes the switch part of the markup, so that a redraw notices it.
        dataset: { testid: 'admit-automatically', on: String(auto) },
        onchange: (e) => act('auto', () => signaling.call('admit_automatically', { on: e.target.checked })),
      }),
      h('label', { for: 'admit-automatically' }, t('host.auto')),
    ),
  ];
}

function waitingPanel() {
  const waiting = others().filter((p) => p.state === 'waiting' || p.state === 'held');
  return [
    h('h2', { id: 'waiting-panel-title' }, t('host.waiting'), waiting.length ? h('span', { class: 'count' }, ` (${waiting.length})`) : null),
    waiting.length
      ? h(
          'ul',
          { class: 'waiting-list', dataset: { testid: 'waiting-list' } },
          waiting.map((p) => {
            const q = state.quality && state.quality[p.id];
            return h(
              'li',
              { class: 'waiting-person', dataset: { participantId: p.id } },
              h(
                'p',
                { class: 'person-line' },
                h('strong', null, p.name),
                h('span', { class: 'badge' }, roleLabel(p)),
                h('span', { class: ['badge', p.online === false ? 'muted' : 'warn'] }, room.personStatus(p)),
                consentBadge(p),
              ),
              h('p', { class: 'muted small', dataset: { testid: 'device-line' } }, deviceLine(p)),
              h('p', { class: 'muted small', dataset: { testid: 'quality-line' } }, q ? t('live.quality.label', { level: tv('live.quality', q.level) }) : t('host.quality.none')),
              h(
                'div',
                { class: 'actions' },
                actionButton(t('host.admit'), `admit:${p.id}`, () => signaling.call('admit', { participant_id: p.id }), {
                  kind: 'primary',
                  testid: 'admit',
                  disabled: p.online === false,
                  done: t('host.admitted', { name: p.name }),
                }),
                h('button', { type: 'button', class: 'danger-outline small-btn', onclick: () => removePerson(p) }, t('host.remove')),
              ),
            );
          }),
        )
      : h('p', { class: 'muted' }, t('host.waiting.empty')),
  ];
}

function caucusPanel() {
  const v = state.view;
  if (!v) return [h('h2', { id: 'caucus-panel-title' }, t('host.caucus'))];
  if (v.self.in_caucus) {
    const inIt = others().filter((p) => p.in_caucus && p.state !== 'removed');
    const id = caucusId() || state.caucusMemory;
    return [
      h('h2', { id: 'caucus-panel-title' }, t('host.caucus')),
      h('p', { class: 'notice', role: 'status', dataset: { testid: 'caucus-active' } }, t('host.caucus.active', { names: inIt.map((p) => p.name).join('、') })),
      id
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary block',
              disabled: state.busy.has('caucus'),
              dataset: { testid: 'caucus-end', caucusId: id },
              onclick: () =>
                act('caucus', async () => {
                  await signaling.call('caucus_end', { caucus_id: id });
                  rememberCaucus(null);
                }),
            },
            t('host.caucus.end'),
          )
        : h('p', { class: 'error-box' }, t('host.caucus.lost')),
    ];
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
  return [
    h('h2', { id: 'caucus-panel-title' }, t('host.caucus')),
    h('p', { class: 'muted small' }, t('host.caucus.intro')),
    candidates.length
      ? h(
          'fieldset',
          { class: 'caucus-pick' },
          h('legend', { class: 'sr-only' }, t('host.caucus')),
          candidates.map((p) => {
            const picked = state.pick.has(p.id);
            // data-picked makes the choice part of the markup, so that a redraw notices it.
            const box = h('input', { type: 'checkbox', id: `pick-${p.id}`, checked: picked, dataset: { testid: 'caucus-pick', participantId: p.id, picked: String(picked) } });
            box.addEventListener('change', () => {
              if (box.checked) state.pick.add(p.id);
              else state.pick.delete(p.id);
              box.dataset.picked = String(box.checked);
            });
            return h('div', { class: 'field check' }, box, h('label', { for: box.id }, `${p.name} · ${roleLabel(p)}`));
          }),
        )
      : h('p', { class: 'muted' }, t('host.caucus.nobody')),
    h('button', { type: 'button', class: 'primary block', disabled: !candidates.length || state.busy.has('caucus'), dataset: { testid: 'caucus-start' }, onclick: start }, t('host.caucus.start')),
  ];
}

function renderPanels() {
  if (!room) return;
  patch(panels.recording, recordingPanel());
  patch(panels.room, roomPanel());
  patch(panels.waiting, waitingPanel());
  patch(panels.caucus, caucusPanel());
  if (identity) identity.setPresent(others().filter((p) => p.state === 'admitted' && p.role !== 'mediator').map((p) => p.id));
  room.renderPeople();
}

/** Buttons beside a person in the room (the list under the videos). */
function personActions(p) {
  if (p.state !== 'admitted' && p.state !== 'reconnecting') return null;
  const sending = p.sending || [];
  return h(
    'div',
    { class: 'actions person-actions' },
    actionButton(t('host.mute'), `mute:${p.id}:audio`, () => signaling.call('mute', { participant_id: p.id, kind: 'audio' }), {
      testid: 'mute-audio',
      disabled: !sending.includes('audio'),
    }),
    actionButton(t('host.stop_video'), `mute:${p.id}:video`, () => signaling.call('mute', { participant_id: p.id, kind: 'video' }), {
      testid: 'mute-video',
      disabled: !sending.includes('video'),
    }),
    actionButton(t('host.hold'), `hold:${p.id}`, () => signaling.call('hold', { participant_id: p.id }), { testid: 'hold', disabled: p.state !== 'admitted' }),
    h('button', { type: 'button', class: 'danger-outline small-btn', dataset: { testid: 'remove' }, onclick: () => removePerson(p) }, t('host.remove')),
  );
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
  identity = new IdentityPanel({ caseId: state.session.case_id, user: state.user, tz: state.tz, mode: 'live', classes: ['live-panel', 'host-panel'] });
  room = new RoomUI({
    signaling,
    media,
    host: true,
    selfName: state.user.display_name || state.user.username,
    personActions,
    peopleFilter: (p, v) => p.id === v.self.id || p.state === 'admitted' || p.state === 'reconnecting',
    sidePanels: [panels.room, panels.recording, panels.waiting, identity.el, panels.caucus],
    banners: stoppedBanner,
    onLeave: leave,
  });
  const devices = openMedia();
  let started = false;
  signaling.on('participants', async (view) => {
    state.view = view;
    room.setView(view);
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
  signaling.on('refused', ({ code }) => {
    state.refusal = code;
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

function headerLine() {
  const s = state.session;
  return [
    h('p', null, h('a', { href: s ? `/cases/${encodeURIComponent(s.case_id)}` : '/mediator', class: 'back' }, `‹ ${t('host.back')}`)),
    h(
      'div',
      { class: 'live-title' },
      h('h1', { tabindex: '-1' }, t('host.title', { number: s ? s.case_number : '' })),
      s ? h('p', { class: 'muted' }, fmtDateTime(s.starts_at, state.tz), '–', fmtTime(s.ends_at, state.tz)) : null,
    ),
  ];
}

function endView() {
  const key = state.phase;
  const strings = key === 'revoked' ? revokedStrings(state.revoked) : key;
  let text = t(`${strings}.text`);
  if (key === 'refused') {
    const code = state.refusal;
    text = ['not_authenticated', 'forbidden', 'gone', 'not_found', 'network_error'].includes(code) ? t(`refused.${code}`) : t('refused.other');
  }
  const login = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  return h(
    'section',
    { class: ['card', 'end-card', `end-${key}`], dataset: { testid: `live-${key}` } },
    h('h2', null, t(`${strings}.title`)),
    h('p', { role: 'alert' }, text),
    key === 'left' || key === 'replaced' ? h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, key === 'replaced' ? t('replaced.here') : t('live.rejoin')) : null,
    key === 'revoked' && state.revoked === 'logged_out' ? h('a', { class: 'button primary', href: login }, t('revoked.login')) : null,
  );
}

/** The strings that say why the server ended this page (`revoked.<reason>`), or a general one for a reason this page does not know. */
function revokedStrings(reason) {
  return ['link_revoked', 'link_reissued', 'logged_out', 'account_disabled', 'session_cancelled'].includes(reason) ? `revoked.${reason}` : 'revoked.other';
}

function render() {
  document.title = `${t('host.title', { number: state.session ? state.session.case_number : '' })} · ${t('app.name')}`;
  const main = app.querySelector('main.live-page');
  if (state.phase === 'room' && room && main && main.contains(room.el)) {
    // Keep the room's elements (videos must not restart): redraw the header and panels only.
    app.querySelector('.site-header')?.replaceWith(staffHeader(state.user));
    replace(/** @type {Element} */ (main.querySelector('.live-head')), headerLine());
    renderPanels();
    return;
  }
  replace(
    app,
    skipLink(),
    staffHeader(state.user),
    h(
      'main',
      { id: 'main', class: 'container live-page' },
      h('div', { class: 'live-head' }, headerLine()),
      state.phase === 'room' && room ? room.el : endView(),
    ),
  );
  if (state.phase === 'room') renderPanels();
}

async function main() {
  const me = await initStaffPage();
  state.user = me.user;
  state.tz = me.user.timezone || 'Asia/Shanghai';
  try {
    state.session = await api.getSession(sessionId);
  } catch (err) {
    replace(app, skipLink(), staffHeader(state.user), h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
    return;
  }
  state.caucusMemory = caucusId();
  connect();
  render();
  rerenderOnLangChange(app, render);
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
