// @ts-check
// A party's way into the live session, from the /party page: device check, waiting room,
// the room itself, and what is shown when it ends (ended, removed, replaced, refused, left).
// Drawn with Preact + htm (room.js, devicecheck.js, the consent card in recording.js draw their own):
// a redraw or a change of language keeps the previews playing, the focus and what was typed.

import { html } from 'htm/preact';
import { render } from 'preact'; // preact's own takes a list of nodes too
import { t, onLangChange } from './i18n.js';
import './agreement-i18n.js';
import './live-i18n.js';
import { DeviceCheck } from './devicecheck.js';
import { ConsentCard, recordingBanners } from './recording.js';
import { forgetCheck, rememberCheck } from './rejoin.js';
import { RoomUI, cls } from './room.js';
import { Player } from './room-tiles.js';
import { MediaSession, mediaSupported, openDevices, reportStatus } from './rtc.js';
import { Signaling } from './signaling.js';
import { TranscriptPanel } from './transcript.js';
import { h, replace, toast, confirmDialog } from './ui.js';

const TERMINAL = new Set(['ended', 'removed', 'replaced', 'refused', 'revoked', 'left']);
/** Why the server may end the page because what let the party in was withdrawn (PROTOCOL.md, `revoked`). */
const REVOKED = ['link_revoked', 'link_reissued', 'logged_out', 'account_disabled', 'session_cancelled'];

export class PartyLive {
  /**
   * data: the /party/me answer (party, mediator, session).
   * keys: the party's KeyBinding (keybind.js), for signing consent.
   * agreement: the party's PartyAgreement (partyagreement.js): read and signed from the room.
   * onExit(): back to the party's page (after the session ended, or they left).
   */
  /**
   * @param {any} data
   * @param {{keys?: any, agreement?: any, onExit?: (() => void) | null}} [options]
   */
  constructor(data, { keys = null, agreement = null, onExit = null } = {}) {
    this.data = data;
    this.agreement = agreement;
    this.onExit = onExit;
    this.agreementDialog = null;
    this.offAgreement = agreement ? agreement.onPhase(() => this.room && this.room.renderBanners()) : () => {};
    this.el = h('div', { class: 'live-host', dataset: { testid: 'party-live' } });
    this.phase = 'check';
    this.view = null;
    this.room = null;
    this.checkDone = false;
    this.refusal = null;
    this.revoked = null;
    this.reconnecting = false;
    this.checkHost = h('div', { class: 'check-host' });
    // The waiting room's frame (its two cards, with the consent card between them), drawn by Preact.
    this.waitCard = h('section', { class: 'party-card waiting-card', 'aria-labelledby': 'wait-title' });
    this.waitMore = h('div', { class: 'party-card waiting-card' });
    /** The waiting room's preview <video> (room-tiles.js's Player keeps it). @type {Set<HTMLMediaElement>} */
    this.waitPlayers = new Set();
    this.ownView = false; // whether this.el holds a Preact tree (resuming, the end) rather than the frames
    // The session id also goes in the handshake's query: a load balancer routes a session's people together by it.
    this.signaling = new Signaling({ sessionId: (data.session && data.session.id) || null });
    this.consent = new ConsentCard({ signaling: this.signaling, keys, onChange: () => this.room && this.room.renderBanners() });
    // The mediation record as the mediator writes it, read-only (transcript.js); the server sends it once admitted.
    this.transcript = new TranscriptPanel({ sessionId: (data.session && data.session.id) || '', signaling: this.signaling, writer: false });
    this.waitBanners = h('div', { class: 'live-banners', 'aria-live': 'polite' });
    this.media = new MediaSession(this.signaling, {
      onRemote: () => this.room && this.room.renderTiles(),
      onReset: () => this.room && this.room.renderTiles(),
      onLocal: () => this.localChanged(),
      onError: (err) => console.warn('media negotiation failed', err),
    });
    this.check = new DeviceCheck(this.checkHost, { onDone: (found) => this.checked(found), connectingText: t('check.connecting') });
    this.listen();
    this.offLang = onLangChange(() => this.render());
  }

  /** The agreement, when it comes into being after the room opened (party.js loads it then). */
  setAgreement(agreement) {
    if (this.agreement || !agreement) return;
    this.agreement = agreement;
    this.offAgreement = agreement.onPhase(() => this.room && this.room.renderBanners());
    if (this.room) this.room.renderBanners();
  }

  /**
   * Connect and run the device check; with `resume` (rejoin.js: the check this party passed
   * before a reload), open the devices again without asking and go straight back in.
   */
  start({ resume = null } = {}) {
    this.signaling.connect();
    if (resume) {
      this.resume(resume);
      return this;
    }
    this.render();
    this.check.run();
    this.el.querySelector('h1[tabindex="-1"]')?.focus();
    return this;
  }

  async resume(saved) {
    this.phase = 'resuming';
    this.render();
    const found = mediaSupported() ? await openDevices({ audio: true, video: !saved.audioOnly }) : null;
    if (TERMINAL.has(this.phase)) return;
    if (!found || (found.microphone !== 'ok' && found.camera !== 'ok')) {
      // The devices did not open by themselves this time: the check explains why.
      if (found) for (const track of found.stream.getTracks()) track.stop();
      this.phase = 'check';
      this.render();
      this.check.run();
      return;
    }
    const camera = saved.audioOnly ? 'off' : found.camera;
    await this.checked({ stream: found.stream, camera, microphone: found.microphone, audioOnly: saved.audioOnly });
  }

  listen() {
    const s = this.signaling;
    s.on('connect', () => {
      this.reconnecting = false;
      this.check.setConnecting('');
      if (this.room) this.room.setConnection('connected');
      if (this.phase === 'waiting' || this.phase === 'held') this.render();
    });
    s.on('disconnect', ({ willReconnect }) => {
      if (!willReconnect || TERMINAL.has(this.phase)) return;
      this.reconnecting = true;
      if (this.room) this.room.setConnection('reconnecting');
      if (this.phase === 'waiting' || this.phase === 'held') this.render();
    });
    s.on('refused', ({ code }) => {
      if (TERMINAL.has(this.phase)) return;
      this.refusal = code;
      this.finish('refused');
    });
    s.on('participants', (view) => {
      this.view = view;
      this.consent.setView(view);
      if (this.room) this.room.setView(view);
      this.renderWaitBanners();
      // Who hosts can change while one waits (a co-mediator arrives after them): the card says it anew.
      // Without this the card kept the names of the first view, as the page stays in the same phase.
      if (this.phase === 'waiting' || this.phase === 'held') this.drawWaiting();
      if (this.checkDone) this.follow();
    });
    s.on('admitted', () => {
      if (this.checkDone) toast(t('live.admitted'));
    });
    s.on('held', () => {
      if (this.checkDone) this.go('held');
    });
    s.on('chat', (msg) => this.ensureRoom().addChat(msg));
    s.on('caucus_notice', ({ active }) => this.room && this.room.setCaucusNotice(active));
    s.on('muted', ({ kind }) => {
      this.media.mutedByHost(kind).catch(() => {});
      toast(t(`live.muted.${kind}`), 'info', 7000);
    });
    for (const event of ['ended', 'removed', 'replaced']) s.on(event, () => this.finish(event));
    s.on('revoked', (/** @type {{reason?: string}} */ { reason } = {}) => {
      if (TERMINAL.has(this.phase)) return;
      this.revoked = reason;
      this.finish('revoked');
    });
  }

  /** The device check is done: report it, start media, and go where our state says. */
  async checked({ stream, camera, microphone, audioOnly }) {
    this.media.useStream(stream, { micOn: microphone === 'ok', cameraOn: camera === 'ok' });
    this.checkDone = true;
    rememberCheck(this.data, { camera, microphone, audioOnly });
    this.audioOnlyWanted = audioOnly;
    this.checkResult = { camera, microphone };
    this.go('waiting');
    await this.whenSeated();
    if (TERMINAL.has(this.phase)) return;
    try {
      await this.signaling.call('device', { camera: reportStatus(camera), microphone: reportStatus(microphone) });
      if (audioOnly) await this.media.setAudioOnly(true);
      await this.media.start();
    } catch (err) {
      console.warn('could not start media', err);
    }
    this.follow();
  }

  /** Resolves once connected and told our state (the first `participants`). */
  whenSeated() {
    if (this.view && this.signaling.connected) return Promise.resolve();
    return new Promise((/** @type {(value?: unknown) => void} */ resolve) => {
      const off = this.signaling.on('participants', () => {
        off();
        resolve();
      });
      const offEnd = this.signaling.on('refused', () => {
        offEnd();
        resolve();
      });
    });
  }

  follow() {
    if (TERMINAL.has(this.phase) || !this.view) return;
    const state = this.view.self.state;
    if (state === 'admitted') this.go('room');
    else if (state === 'held') this.go('held');
    else if (state === 'waiting') this.go('waiting');
  }

  ensureRoom() {
    if (!this.room) {
      this.room = new RoomUI({
        signaling: this.signaling,
        media: this.media,
        host: false,
        selfName: this.data.party.name,
        sidePanels: [this.transcript.el],
        banners: () => [...this.consentPrompt(), ...this.agreementPrompt()],
        onLeave: () => this.leave(),
      });
      if (this.view) this.room.setView(this.view);
      if (this.reconnecting) this.room.setConnection('reconnecting');
    }
    return this.room;
  }

  go(phase) {
    if (this.phase === phase) return;
    this.phase = phase;
    if (phase === 'room') this.ensureRoom();
    this.render();
    this.el.querySelector('h1[tabindex="-1"]')?.focus();
  }

  finish(phase) {
    // Coming back by reloading makes sense only while they still have a place in the room.
    if (phase !== 'refused' || this.refusal !== 'network_error') forgetCheck(this.data);
    this.offAgreement();
    this.consent.destroy();
    this.check.release();
    this.media.close();
    this.signaling.close();
    if (this.room) this.room.destroy();
    this.go(phase);
  }

  async leave() {
    const res = await confirmDialog({
      title: t('live.leave.confirm.title'),
      message: t('live.leave.confirm.text'),
      confirmLabel: t('live.leave.confirm.ok'),
      cancelLabel: t('live.leave.confirm.stay'),
      danger: true,
    });
    if (res.ok) this.finish('left');
  }

  localChanged() {
    if (this.room) {
      this.room.renderControls();
      this.room.renderTiles();
      this.room.renderBanners();
    }
    if (this.phase === 'waiting' || this.phase === 'held') this.drawWaiting();
  }

  renderWaitBanners() {
    render(recordingBanners(this.view), this.waitBanners);
  }

  /** In the room, until the party has consented: a line at the top leading to the consent card. */
  consentPrompt() {
    const v = this.view;
    if (!v || v.self.state !== 'admitted' || this.consent.consented) return [];
    const recording = v.recording && v.recording.active && !v.self.in_caucus;
    const open = () => {
      this.consent.el.scrollIntoView({ block: 'start', behavior: 'smooth' });
      this.consent.el.querySelector('h2')?.focus({ preventScroll: true });
    };
    return [
      html`<p key="consent-prompt" class="live-banner consent-prompt" data-testid="consent-prompt">
        <span>${recording ? t('consent.prompt.recording') : t('consent.prompt')}</span>
        <button type="button" class="primary" data-testid="consent-open" onClick=${open}>${t('consent.prompt.open')}</button>
      </p>`,
    ];
  }

  /**
   * In the room: the agreement, once there is one, a button away. Mediators read and sign it at
   * the end of the session while everyone is still connected; the video keeps running behind it.
   */
  agreementPrompt() {
    const a = this.agreement;
    const p = a && a.phase();
    if (!p || this.phase !== 'room') return [];
    const line = { sign: 'live.agr.sign', draft: 'live.agr.draft', signed: 'live.agr.signed', view: 'live.agr.view', closed: 'live.agr.closed', sealed: 'live.agr.sealed' }[p];
    return [
      html`<p key="agreement-prompt" class=${cls('live-banner', 'agreement-prompt', p === 'sign' ? 'info' : 'quiet')} data-testid="live-agreement-prompt" data-phase=${p}>
        <span>${t(line)}</span>
        <button type="button" class=${p === 'sign' ? 'primary' : 'secondary'} data-testid="live-agreement-open" onClick=${() => a.show()}>
          ${p === 'sign' ? t('live.agr.open.sign') : t('live.agr.open')}
        </button>
      </p>`,
    ];
  }

  /** Show the agreement (partyagreement.js's own view) over the room, which keeps playing. */
  openAgreement() {
    if (!this.agreement) return;
    if (!this.agreementDialog) {
      const dialog = h('dialog', { class: 'live-agreement-dialog', 'aria-labelledby': 'live-agreement-title', dataset: { testid: 'live-agreement' } });
      dialog.addEventListener('cancel', (ev) => {
        ev.preventDefault();
        this.agreement.hide();
      });
      this.agreementDialog = dialog;
      document.body.append(dialog);
    }
    const dialog = this.agreementDialog;
    replace(dialog, h('h2', { id: 'live-agreement-title', class: 'sr-only' }, t('agr.title')), this.agreement.el);
    if (!dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
    }
  }

  closeAgreement() {
    const dialog = this.agreementDialog;
    if (!dialog || !dialog.open) return;
    if (typeof dialog.close === 'function') dialog.close();
    else dialog.removeAttribute('open');
    this.el.querySelector('[data-testid="live-agreement-open"]')?.focus();
  }

  /** The waiting room's two cards (the consent card, the page's own, goes between them). */
  drawWaiting() {
    const held = this.phase === 'held';
    // Every mediator hosting the session who is there (#21: several may), else the one it was booked for.
    const hosts = this.view && Array.isArray(this.view.hosts) ? this.view.hosts.map((/** @type {any} */ h) => h.name).join('、') : '';
    const mediator = hosts || (this.view && this.view.host && this.view.host.name) || (this.data.mediator && this.data.mediator.display_name) || '';
    const track = this.media.localVideoTrack() || null;
    this.waitCard.dataset.testid = held ? 'held-room' : 'waiting-room';
    render(
      html`${this.reconnecting ? html`<p class="live-banner warn" role="status">${t('live.reconnecting.self')}</p>` : null}
        <div class="wait-spinner" aria-hidden="true"></div>
        <h1 id="wait-title" tabindex="-1">${held ? t('held.title') : t('wait.title')}</h1>
        <p class="lead" role="status">${held ? t('held.text') : t('wait.text')}</p>
        ${mediator ? html`<p class="wait-mediator">${t('wait.mediator', { name: mediator })}</p>` : null}`,
      this.waitCard,
    );
    render(
      html`<figure class=${cls('wait-preview', !track && 'empty')}>
          <${Player} tag="video" track=${track} players=${this.waitPlayers} attrs=${{ class: 'preview mirrored', 'data-testid': 'wait-preview' }} />
          <figcaption>${t('wait.preview')}</figcaption>
        </figure>
        <p class="muted">${t('wait.tips')}</p>
        <button type="button" class="secondary big block" data-testid="wait-leave" onClick=${() => this.leave()}>${t('live.leave')}</button>`,
      this.waitMore,
    );
    this.renderWaitBanners();
  }

  resumingView() {
    return html`<section class="party-card waiting-card" aria-labelledby="resume-title" data-testid="live-resuming">
      <div class="wait-spinner" aria-hidden="true"></div>
      <h1 id="resume-title" tabindex="-1">${t('live.resume.title')}</h1>
      <p class="lead" role="status">${t('live.resume.text')}</p>
    </section>`;
  }

  endView() {
    const key = this.phase;
    const strings = key === 'revoked' ? (REVOKED.includes(this.revoked ?? '') ? `revoked.${this.revoked}` : 'revoked.other') : key;
    let text = t(`${strings}.text`);
    if (key === 'refused') {
      const code = this.refusal;
      text = ['not_authenticated', 'forbidden', 'gone', 'not_found', 'network_error'].includes(code) ? t(`refused.${code}`) : t('refused.other');
    }
    const again = key === 'left' || key === 'replaced' || (key === 'refused' && (this.refusal === 'network_error' || this.refusal === 'internal_error'));
    return html`<section class=${`party-card end-card end-${key}`} aria-labelledby="end-title" data-testid=${`live-${key}`}>
      <h1 id="end-title" tabindex="-1">${t(`${strings}.title`)}</h1>
      <p class="lead" role="alert">${text}</p>
      ${key === 'ended' ? html`<p>${t('live.end.what_next')}</p>` : null}
      ${again
        ? html`<button type="button" class="primary big block" data-testid="rejoin" onClick=${() => location.reload()}>
            ${key === 'replaced' ? t('replaced.here') : t('live.rejoin')}
          </button>`
        : null}
      ${this.onExit // "调解已结束" leads somewhere: back to the page, whose top says what comes next.
        ? html`<button type="button" class=${cls(again ? 'secondary' : 'primary', 'big', 'block')} data-testid="live-next" onClick=${() => this.onExit?.()}>
            ${key === 'ended' ? t('live.end.next') : t('live.end.back')}
          </button>`
        : null}
    </section>`;
  }

  /**
   * Show the phase. The device check, the waiting room's cards and the room are elements kept
   * across redraws (each draws itself with Preact); resuming and the end are a Preact tree of
   * this.el's own. An element already shown stays in place: taking it out, even for a moment,
   * would take focus from whatever in it had it.
   */
  render() {
    this.el.classList.toggle('in-room', this.phase === 'room');
    if (this.phase === 'resuming' || TERMINAL.has(this.phase)) {
      if (!this.ownView) this.el.replaceChildren();
      this.ownView = true;
      render(this.phase === 'resuming' ? this.resumingView() : this.endView(), this.el);
      return;
    }
    if (this.ownView) render(null, this.el);
    this.ownView = false;
    /** @type {Node[]} */
    let body;
    if (this.phase === 'check') body = [this.checkHost];
    else if (this.phase === 'waiting' || this.phase === 'held') {
      this.drawWaiting();
      // The consent card comes right under the status, before the preview, so that a phone shows it.
      body = [this.waitBanners, this.waitCard, this.consent.el, this.waitMore];
    } else body = [/** @type {RoomUI} */ (this.room).el];
    const shown = [...this.el.childNodes];
    if (shown.length !== body.length || body.some((node, i) => shown[i] !== node)) this.el.replaceChildren(...body);
    if (this.phase === 'check') this.check.render();
    if (this.phase === 'room') {
      const room = /** @type {RoomUI} */ (this.room);
      // The consent card moves between the waiting room and the room's side column.
      if (!room.side.contains(this.consent.el)) room.side.prepend(this.consent.el);
      room.resume();
    }
  }
}
