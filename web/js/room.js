// @ts-check
// The live room as people see it, shared by the party page and the mediator's live page:
// video tiles with names and roles, one's own preview, the controls (microphone, camera,
// hand, screen, audio only, chat, leave), the participant list and the chat.
// What a page adds (the party's waiting room, the mediator's admit/caucus panels) stays in
// the page. Protocol code lives in signaling.js, peer connections in rtc.js.
// The room's frame (its columns and sections) is built once with ui.js's h(); what changes in
// it (banners, tiles, controls, people, chat, sound) is drawn with Preact + htm, as the review
// page is: a redraw changes only what differs, so buttons, focus, typed chat and the <video> and
// <audio> elements (keyed by person and kind, their streams set only when the track changes)
// stay as they are across the room's many redraws and a change of language.

import { html } from 'htm/preact';
import { render } from 'preact'; // preact's own takes a list of nodes too
import { useLayoutEffect, useRef } from 'preact/hooks';
import { t, tv, getLang, onLangChange, dictionaries } from './i18n.js';
import './errors-i18n.js';
import './live-i18n.js';
import { recordingBanners } from './recording.js';
import { screenShareSupported } from './rtc.js';
import { h, toast } from './ui.js';

const ICONS = {
  mic: '<path d="M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>',
  micOff: '<path d="M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3M3 3l18 18"/>',
  cam: '<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3z"/>',
  camOff: '<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3zM3 3l18 18"/>',
  hand: '<path d="M8 13V6a1.5 1.5 0 0 1 3 0v5M11 11V4.5a1.5 1.5 0 0 1 3 0V11M14 11V6a1.5 1.5 0 0 1 3 0v7c0 4.5-2.5 8-7 8-3 0-4.5-1.6-6-4l-2-3.4a1.5 1.5 0 0 1 2.6-1.5L8 15"/>',
  screen: '<rect x="3" y="4" width="18" height="12" rx="2"/><path d="M8 20h8M12 16v4"/>',
  audioOnly: '<path d="M4 15v-3a8 8 0 0 1 16 0v3"/><rect x="3" y="14" width="4" height="6" rx="1.5"/><rect x="17" y="14" width="4" height="6" rx="1.5"/>',
  chat: '<path d="M4 5h16v11H9l-5 4z"/>',
  leave: '<path d="M10 4H5v16h5M14 8l4 4-4 4M18 12H9"/>',
};

/** An icon of ICONS, drawn by Preact (the SVG is this file's own markup, never user data). */
export function icon(name) {
  const svg = `<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${ICONS[name]}</svg>`;
  return html`<span class="icon" aria-hidden="true" dangerouslySetInnerHTML=${{ __html: svg }}></span>`;
}

/** "调解员", "申请人" … for an entry of `participants`. */
export function roleLabel(p) {
  if (p.host || p.role === 'mediator') return t('role.mediator');
  if (p.role === 'judge') return t('role.judge');
  return tv('partyrole', p.role);
}

/** A class attribute from its parts, the false ones left out. @param {...(string | false | null | undefined)} parts */
export const cls = (...parts) => parts.filter(Boolean).join(' ');

/**
 * A refused live-room event in words (signaling/PROTOCOL.md, "Errors"): by its reason when the
 * server gives one the pages know (errors-i18n.js), else by its code; never the server's English
 * in a Chinese page.
 */
export function signalingErrorMessage(err) {
  const reason = err && err.reason;
  if (reason && `err.${reason}` in dictionaries[getLang()]) return t(`err.${reason}`);
  const code = (err && err.code) || 'internal_error';
  if (`live.err.${code}` in dictionaries[getLang()]) return t(`live.err.${code}`);
  return getLang() === 'en' ? t('live.error', { message: (err && err.message) || String(err) }) : t('live.err.internal_error');
}

/**
 * For the mediator: the size of the picture a party sends, as the server receives, forwards and
 * records it. Below 640×480 an ID card held up to the camera may not be readable: marked so.
 */
export function resolutionMark(video) {
  const low = video.width * video.height < 640 * 480;
  return html`<span class=${cls('mark', 'resolution', low && 'low')} title=${low ? t('live.resolution.low') : t('live.resolution.title')}
    data-testid="tile-resolution" data-width=${String(video.width)} data-height=${String(video.height)}>${t('live.resolution', { w: video.width, h: video.height })}</span>`;
}

/** For the mediator: whether a participant has consented to be recorded (✓ 已同意 / 未同意). */
export function consentBadge(p) {
  return p.consented
    ? html`<span class="badge ok consent-badge" data-testid="consent-state" data-consented="true">${t('rec.consented')}</span>`
    : html`<span class="badge warn consent-badge" data-testid="consent-state" data-consented="false">${t('rec.not_consented')}</span>`;
}

/** Whether a participant's connection dropped and they may come back (host and party views). */
export const isReconnecting = (p) => p.state === 'reconnecting' || p.reconnecting === true || (p.state === 'admitted' && p.online === false);

const sends = (p, kind) => Array.isArray(p.sending) && p.sending.includes(kind);

function fmtClock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'zh-CN', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

/** Who shares the room with me now (tiles and sound): the view's entries, minus myself. */
export function presentOthers(view, isHost) {
  if (!view) return [];
  const me = view.self;
  return view.participants.filter((p) => {
    if (p.id === me.id) return false;
    if (!isHost) return true; // a party's view lists exactly the admitted people of their room
    const inRoom = p.state === 'admitted' || p.state === 'reconnecting';
    return inRoom && Boolean(p.in_caucus) === Boolean(me.in_caucus);
  });
}

/**
 * A <video> or <audio> element that plays `track`. Preact keeps the element (its parent is keyed by
 * person and kind); its stream is set only when the track changes, and let go when it goes.
 * @param {{ tag: string, track: MediaStreamTrack | null, players: Set<HTMLMediaElement>, onPlayFailed?: (err: any) => void, attrs: Record<string, any> }} props
 */
function Player({ tag, track, players, onPlayFailed, attrs }) {
  const ref = useRef(/** @type {HTMLMediaElement | null} */ (null));
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    if (tag === 'video') {
      el.muted = true; // sound plays through the audio elements, not here
      el.defaultMuted = true;
    }
    players.add(el);
    return () => {
      players.delete(el);
      el.srcObject = null;
    };
  }, []);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const stream = /** @type {MediaStream | null} */ (el.srcObject);
    const current = stream ? stream.getTracks()[0] || null : null;
    if (current === (track || null)) return;
    el.srcObject = track ? new MediaStream([track]) : null;
    if (track) el.play().catch((err) => onPlayFailed?.(err));
  }, [track]);
  return tag === 'video' ? html`<video autoplay playsinline ref=${ref} ...${attrs}></video>` : html`<audio autoplay ref=${ref} ...${attrs}></audio>`;
}

export class RoomUI {
  /**
   * host: the mediator's page (sees states, quality and per-person actions).
   * personActions(p): extra buttons for a participant in the list (host page), as Preact nodes.
   * peopleFilter(p, view): who the list shows (default: everyone in the view).
   * sidePanels: elements shown above the participant list (host page).
   * banners(): extra lines for the top of the room, under the recording indicator (e.g. a
   *   recording that stopped, for the mediator; the way to the consent card, for a party), as
   *   keyed Preact nodes.
   * onLeave(): the leave button was pressed (after confirmation by the page if it wants).
   * @param {{
   *   signaling: any, media: any, host?: boolean, selfName?: string, personActions?: ((p: any) => any) | null,
   *   peopleFilter?: ((p: any, view: any) => boolean) | null, sidePanels?: any[], banners?: (() => any[]) | null,
   *   onLeave?: () => void,
   * }} options
   */
  constructor({ signaling, media, host = false, selfName = '', personActions = null, peopleFilter = null, sidePanels = [], banners = null, onLeave = () => {} }) {
    this.extraBanners = banners;
    this.peopleFilter = peopleFilter;
    this.signaling = signaling;
    this.media = media;
    this.host = host;
    this.selfName = selfName;
    this.personActions = personActions;
    this.sidePanels = sidePanels;
    this.onLeave = onLeave;
    this.view = null;
    this.caucusNotice = false;
    this.quality = {};
    this.connection = 'connected';
    /** @type {any[]} */
    this.messages = [];
    this.unread = 0;
    this.audioBlocked = false;
    this.sendingChat = false;
    this.busy = new Set();
    /** The <video> elements of the tiles and the <audio> elements, as they are on the page. @type {Set<HTMLMediaElement>} */
    this.videos = new Set();
    /** @type {Set<HTMLMediaElement>} */
    this.audios = new Set();
    this.chatInput = /** @type {{ current: HTMLInputElement | null }} */ ({ current: null });
    this.chatList = /** @type {{ current: HTMLElement | null }} */ ({ current: null });
    /** @param {Event} ev */
    this.onChatSubmit = (ev) => {
      ev.preventDefault();
      this.sendChat();
    };
    /** @param {any} err */
    this.onSoundFailed = (err) => {
      if (err && err.name === 'NotAllowedError' && !this.audioBlocked) {
        this.audioBlocked = true;
        this.renderBanners();
      }
    };
    this.build();
    this.offLang = onLangChange(() => this.renderAll());
  }

  build() {
    this.banner = h('div', { class: 'live-banners', 'aria-live': 'polite' });
    this.stage = h('div', { class: 'stage', dataset: { testid: 'stage' } });
    this.controls = h('div', { class: 'controls', role: 'group', 'aria-label': t('live.controls') });
    this.sound = h('div', { class: 'sound', hidden: true });
    this.people = h('section', { class: 'live-panel people-panel', 'aria-labelledby': 'people-title' });
    this.chatSection = h('section', { class: 'live-panel chat-panel', id: 'chat', 'aria-labelledby': 'chat-title' });
    // The mediator's side column holds the waiting room and caucus panels; their people list
    // (with its per-person buttons) and the chat go under the videos instead.
    const main = this.host
      ? h('div', { class: 'live-main' }, this.stage, this.controls, h('div', { class: 'live-below' }, this.people, this.chatSection))
      : h('div', { class: 'live-main' }, this.stage, this.controls);
    const side = this.host ? h('aside', { class: 'live-side' }, ...this.sidePanels) : h('aside', { class: 'live-side' }, ...this.sidePanels, this.people, this.chatSection);
    /** The side column (pages may put their own cards in it). */
    this.side = side;
    this.el = h(
      'div',
      { class: ['live-room', this.host && 'live-room-host'], dataset: { testid: 'live-room' } },
      this.banner,
      h('div', { class: 'live-body' }, main, side),
      this.sound,
    );
    this.renderAll();
  }

  /** Play again what was paused while the room was off the page (e.g. a spell on hold). */
  resume() {
    for (const video of this.videos) if (video.srcObject) video.play().catch(() => {});
    for (const audio of this.audios) audio.play().catch(() => {});
  }

  destroy() {
    this.offLang();
    for (const a of this.audios) a.srcObject = null;
    for (const v of this.videos) v.srcObject = null;
  }

  // ---------------------------------------------------------------- inputs

  setView(view) {
    this.view = view;
    this.caucusNotice = Boolean(view && view.private_talk);
    this.renderAll();
  }

  setQuality(participants) {
    this.quality = participants || {};
    this.renderTiles();
    this.renderPeople();
  }

  /** 'connected' or 'reconnecting' (our own socket). */
  setConnection(status) {
    this.connection = status;
    this.renderBanners();
  }

  addChat(msg, mine = false) {
    this.messages.push({ ...msg, mine });
    this.renderChat();
    const list = this.chatList.current;
    if (list) list.scrollTop = list.scrollHeight;
    if (!mine && !this.chatVisible()) {
      this.unread += 1;
      this.renderControls();
    }
  }

  chatVisible() {
    const r = this.chatSection.getBoundingClientRect();
    return r.top < window.innerHeight && r.bottom > 0 && document.visibilityState === 'visible';
  }

  renderAll() {
    this.controls.setAttribute('aria-label', t('live.controls'));
    this.renderChat();
    this.renderBanners();
    this.renderTiles();
    this.renderControls();
    this.renderPeople();
  }

  // ---------------------------------------------------------------- banners

  renderBanners() {
    const v = this.view;
    const items = [...recordingBanners(v, { host: this.host })];
    if (this.extraBanners) items.push(...this.extraBanners());
    if (this.connection === 'reconnecting') {
      items.push(html`<p key="self-reconnecting" class="live-banner warn" role="status" data-testid="self-reconnecting">${t('live.reconnecting.self')}</p>`);
    }
    if (v && !this.host && (v.private_talk || this.caucusNotice)) {
      items.push(html`<p key="private-talk" class="live-banner private" role="status" data-testid="private-talk">${t('live.private_talk')}</p>`);
    }
    if (v && v.self.in_caucus) {
      items.push(
        html`<p key="in-caucus" class="live-banner private" role="status" data-testid="in-caucus">${this.host ? t('live.host.in_caucus') : t('live.party.in_caucus')}</p>`,
      );
    }
    if (this.media.screen) items.push(html`<p key="sharing" class="live-banner info" role="status">${t('live.sharing')}</p>`);
    if (this.media.audioOnly) items.push(html`<p key="audio-only" class="live-banner info" role="status">${t('live.audio_only.on')}</p>`);
    if (this.audioBlocked) {
      items.push(
        html`<p key="sound-blocked" class="live-banner warn">
          ${t('live.sound.blocked')}${' '}<button type="button" class="primary" data-testid="enable-sound" onClick=${() => this.unblockSound()}>${t('live.sound.enable')}</button>
        </p>`,
      );
    }
    render(items, this.banner);
  }

  setCaucusNotice(active) {
    this.caucusNotice = active;
    this.renderBanners();
    this.renderChat();
  }

  // ---------------------------------------------------------------- tiles

  /** The tiles to show, in order: screens first (they need the room), then people, then me. */
  wantedTiles() {
    const v = this.view;
    const out = [];
    const others = presentOthers(v, this.host);
    if (!this.media.audioOnly) {
      for (const p of others) if (sends(p, 'screen') && !isReconnecting(p)) out.push({ key: `${p.id}:screen`, p, kind: 'screen' });
    }
    for (const p of others) out.push({ key: `${p.id}:video`, p, kind: 'video' });
    out.push({ key: 'self', p: null, kind: 'self' });
    return out;
  }

  renderTiles() {
    const wanted = this.wantedTiles();
    const others = wanted.filter((w) => w.kind !== 'self').length;
    this.stage.dataset.count = String(Math.min(others, 4));
    const v = this.view;
    // With nobody else to show, a line says why (not during a private talk: the banner does).
    const privateTalk = v && !this.host && v.private_talk;
    const empty = !others && v && !privateTalk ? (this.host ? t('live.stage.empty.host') : t('live.stage.empty')) : null;
    render(
      html`${empty && html`<p key="empty" class="stage-empty">${empty}</p>`}${wanted.map((want) => (want.kind === 'self' ? this.selfTile() : this.otherTile(want)))}`,
      this.stage,
    );
    this.renderSound();
  }

  /**
   * One tile: its <video> (a Player, kept across redraws), the avatar shown without picture, a
   * line over the picture, the marks and the caption.
   * @param {{ key: string, kind: string, track: MediaStreamTrack | null, classes: string, data: Record<string, any>,
   *   avatar: string, caption: string, overlay: string, overlayTestid?: string, marks: any[] }} tile
   */
  tile({ key, kind, track, classes, data, avatar, caption, overlay, overlayTestid, marks }) {
    const testid = kind === 'self' ? 'self-video' : 'tile-video';
    return html`<figure key=${key} class=${classes} ...${data}>
      <${Player} tag="video" track=${track} players=${this.videos} attrs=${{ 'data-testid': testid }} />
      <div class="avatar" aria-hidden="true">${avatar}</div>
      <p class="tile-overlay" data-testid=${overlayTestid}>${overlay}</p>
      <div class="tile-marks">${marks}</div>
      <figcaption><p class="tile-caption">${caption}</p></figcaption>
    </figure>`;
  }

  selfTile() {
    const track = this.media.localVideoTrack() || null;
    const name = this.selfName || (this.view && this.view.host && this.host ? this.view.host.name : '');
    return this.tile({
      key: 'self',
      kind: 'self',
      track,
      classes: cls('tile', 'tile-self', !track && 'no-video', 'mirrored'),
      data: { 'data-testid': 'self-tile' },
      avatar: (name || t('live.me')).slice(0, 1),
      caption: name ? t('live.me.named', { name }) : t('live.me'),
      overlay: '',
      marks: [
        this.media.sending.audio ? null : html`<span key="muted" class="mark mark-muted" title=${t('live.mic.off')}>${icon('micOff')}</span>`,
        this.view && this.view.self.hand ? html`<span key="hand" class="mark mark-hand" title=${t('live.hand.raised')}>${icon('hand')}</span>` : null,
      ],
    });
  }

  otherTile(want) {
    const p = want.p;
    const reconnecting = isReconnecting(p);
    const kind = want.kind;
    const sending = sends(p, kind);
    const track = (sending && !this.media.audioOnly && !reconnecting ? this.media.remoteTrack(p.id, kind) : null) || null;
    const caption = kind === 'screen' ? t('live.screen.of', { name: p.name }) : `${p.name} · ${roleLabel(p)}`;
    const q = this.host && !reconnecting && this.quality[p.id];
    let overlay = '';
    if (reconnecting) overlay = t('live.reconnecting.other');
    else if (kind === 'video' && this.media.audioOnly) overlay = t('live.tile.audio_only');
    else if (kind === 'video' && !sending) overlay = t('live.tile.camera_off');
    return this.tile({
      key: want.key,
      kind,
      track,
      classes: cls('tile', `tile-${kind}`, !track && 'no-video', reconnecting && 'reconnecting'),
      data: { 'data-testid': 'tile', 'data-participant-id': p.id, 'data-kind': kind, 'data-playing': track ? 'true' : 'false', 'aria-label': caption },
      avatar: (p.name || '?').slice(0, 1),
      caption,
      overlay,
      overlayTestid: reconnecting ? 'tile-reconnecting' : undefined,
      marks: [
        kind === 'video' && p.hand
          ? html`<span key="hand" class="mark mark-hand" title=${t('live.hand.raised')} data-testid="hand-mark">${icon('hand')}<span class="sr-only">${t('live.hand.raised')}</span></span>`
          : null,
        kind === 'video' && !sends(p, 'audio')
          ? html`<span key="muted" class="mark mark-muted" title=${t('live.mic.off')}>${icon('micOff')}<span class="sr-only">${t('live.mic.off')}</span></span>`
          : null,
        kind === 'video' && q && q.level !== 'unknown'
          ? html`<span key="quality" class=${cls('mark', 'quality', `q-${q.level}`)}>${t('live.quality.label', { level: tv('live.quality', q.level) })}</span>`
          : null,
        kind === 'video' && q && q.video && sending ? resolutionMark(q.video) : null,
      ],
    });
  }

  /** One <audio> per person I share the room with and who sends sound. */
  renderSound() {
    const want = [];
    for (const p of presentOthers(this.view, this.host)) {
      if (isReconnecting(p) || !sends(p, 'audio')) continue;
      const track = this.media.remoteTrack(p.id, 'audio');
      if (track) want.push({ pid: p.id, track });
    }
    render(
      want.map(
        ({ pid, track }) =>
          html`<${Player} key=${pid} tag="audio" track=${track} players=${this.audios} onPlayFailed=${this.onSoundFailed} attrs=${{ 'data-participant-id': pid }} />`,
      ),
      this.sound,
    );
  }

  unblockSound() {
    this.audioBlocked = false;
    for (const audio of this.audios) audio.play().catch(() => {});
    this.renderBanners();
  }

  // ---------------------------------------------------------------- controls

  /**
   * @param {{
   *   name: string, iconName: string, label: string, pressed?: boolean | null, onClick: () => any,
   *   danger?: boolean, disabled?: boolean, badgeText?: string | null,
   * }} spec
   */
  control({ name, iconName, label, pressed = null, onClick, danger = false, disabled = false, badgeText = null }) {
    return html`<button key=${name} type="button" class=${cls('ctl', danger && 'ctl-danger', pressed === true && 'ctl-on', pressed === false && 'ctl-off')}
      aria-pressed=${pressed == null ? undefined : String(pressed)} disabled=${disabled || this.busy.has(name)} data-testid=${`ctl-${name}`}
      onClick=${() => this.press(name, onClick)}>
      ${icon(iconName)}<span class="ctl-label">${label}</span>${badgeText ? html`<span class="ctl-badge">${badgeText}</span>` : null}
    </button>`;
  }

  /** A control was pressed: it is busy (disabled) until its work is done, then has focus again. @param {string} name @param {() => any} onClick */
  async press(name, onClick) {
    if (this.busy.has(name)) return;
    this.busy.add(name);
    this.renderControls();
    try {
      await onClick();
    } catch (err) {
      this.showError(err);
    } finally {
      this.busy.delete(name);
      this.renderControls();
      this.renderTiles();
      this.renderBanners();
      /** @type {HTMLElement | null} */ (this.controls.querySelector(`[data-testid="ctl-${name}"]`))?.focus();
    }
  }

  showError(err) {
    const status = err && err.status;
    if (status === 'denied') toast(t('live.help.denied.short'), 'error', 8000);
    else if (status === 'missing' || status === 'busy') toast(t(`live.help.${status}.short`), 'error', 8000);
    else if (err && err.name === 'NotAllowedError') toast(t('live.screen.cancelled'), 'info');
    else if (err && err.code === 'disconnected') toast(t('live.reconnecting.self'), 'error');
    else toast(signalingErrorMessage(err), 'error', 6000);
  }

  renderControls() {
    const m = this.media;
    const s = m.sending;
    const me = this.view && this.view.self;
    const admitted = me && me.state === 'admitted';
    const items = [
      this.control({
        name: 'mic',
        iconName: s.audio ? 'mic' : 'micOff',
        label: s.audio ? t('live.mic.mute') : t('live.mic.unmute'),
        pressed: !s.audio,
        onClick: () => m.setMic(!s.audio),
      }),
      this.control({
        name: 'camera',
        iconName: s.video ? 'cam' : 'camOff',
        label: s.video ? t('live.cam.stop') : t('live.cam.start'),
        pressed: !s.video,
        onClick: () => m.setCamera(!s.video),
      }),
      this.host
        ? null
        : this.control({
            name: 'hand',
            iconName: 'hand',
            label: me && me.hand ? t('live.hand.lower') : t('live.hand.raise'),
            pressed: Boolean(me && me.hand),
            disabled: !admitted,
            onClick: () => this.signaling.call('hand', { up: !(me && me.hand) }),
          }),
      screenShareSupported()
        ? this.control({
            name: 'screen',
            iconName: 'screen',
            label: s.screen ? t('live.screen.stop') : t('live.screen.start'),
            pressed: s.screen,
            disabled: !admitted,
            onClick: () => (s.screen ? m.stopScreen() : m.startScreen()),
          })
        : null,
      this.control({
        name: 'audio-only',
        iconName: 'audioOnly',
        label: m.audioOnly ? t('live.audio_only.stop') : t('live.audio_only.start'),
        pressed: m.audioOnly,
        onClick: () => m.setAudioOnly(!m.audioOnly),
      }),
      this.control({
        name: 'chat',
        iconName: 'chat',
        label: t('live.chat'),
        badgeText: this.unread ? String(this.unread) : null,
        onClick: async () => {
          this.unread = 0;
          this.chatSection.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
          this.chatInput.current?.focus({ preventScroll: true });
        },
      }),
      this.control({ name: 'leave', iconName: 'leave', label: this.host ? t('live.leave.host') : t('live.leave'), danger: true, onClick: () => this.onLeave() }),
    ];
    render(items, this.controls);
  }

  // ---------------------------------------------------------------- people

  personStatus(p) {
    if (isReconnecting(p)) return t('live.state.reconnecting');
    if (!this.host) return null;
    if (p.state === 'waiting') return p.online === false ? t('live.state.waiting_offline') : t('live.state.waiting');
    if (p.state === 'held') return p.online === false ? t('live.state.held_offline') : t('live.state.held');
    if (p.in_caucus) return t('live.state.in_caucus');
    return t('live.state.admitted');
  }

  renderPeople() {
    render(html`<h2 id="people-title">${t('live.people')}</h2><div class="people-body">${this.peopleList()}</div>`, this.people);
  }

  peopleList() {
    const v = this.view;
    if (!v) return null;
    const filter = this.peopleFilter;
    const shown = filter ? v.participants.filter((p) => filter(p, v)) : v.participants;
    const list = [...shown].sort((a, b) => (a.id === v.self.id ? -1 : b.id === v.self.id ? 1 : 0));
    return html`<ul class="people" data-testid="people">
      ${list.map((p) => {
        const me = p.id === v.self.id;
        const q = this.host && !me && p.state === 'admitted' && p.online !== false && this.quality[p.id];
        const status = me ? null : this.personStatus(p);
        return html`<li key=${p.id} class=${cls('person', `state-${p.state || 'admitted'}`)} data-participant-id=${p.id}>
          <div class="person-line">
            <strong>${me ? t('live.me.named', { name: p.name }) : p.name}</strong>
            <span class="badge">${roleLabel(p)}</span>
            ${p.hand ? html`<span class="badge warn">${icon('hand')}${t('live.hand.raised')}</span>` : null}
            ${sends(p, 'audio') ? null : html`<span class="badge muted">${t('live.mic.off')}</span>`}
            ${sends(p, 'screen') ? html`<span class="badge">${t('live.screen.sharing')}</span>` : null}
            ${status ? html`<span class="badge muted" data-testid="person-state">${status}</span>` : null}
            ${q && q.level !== 'unknown' ? html`<span class=${cls('badge', 'quality', `q-${q.level}`)}>${t('live.quality.label', { level: tv('live.quality', q.level) })}</span>` : null}
            ${this.host && !me ? consentBadge(p) : null}
          </div>
          ${!me && this.personActions ? this.personActions(p) : null}
        </li>`;
      })}
    </ul>`;
  }

  // ---------------------------------------------------------------- chat

  /** Who can read a message, for the label under its sender (signaling/PROTOCOL.md, "Chat during a caucus"). */
  chatScopeLabel(m) {
    if (m.scope === 'caucus') return t(this.host ? 'live.chat.scope.caucus.host' : 'live.chat.scope.caucus');
    if (m.scope !== 'to_host') return null;
    if (m.mine) return t('live.chat.scope.to_host.mine');
    return t(this.host ? 'live.chat.scope.to_host.host' : 'live.chat.scope.to_host.other');
  }

  /** @param {any} m @param {number} i */
  chatItem(m, i) {
    const scope = this.chatScopeLabel(m);
    return html`<li key=${m.id || `n${i}`} class=${cls('chat-msg', m.mine && 'mine', m.scope === 'caucus' && 'chat-private', m.scope === 'to_host' && 'chat-to-host')}
      data-testid="chat-msg" data-scope=${m.scope || 'room'}>
      <p class="chat-meta"><strong>${m.mine ? t('live.me') : m.sender_name}</strong>${' '}<time datetime=${m.sent_at}>${fmtClock(m.sent_at)}</time></p>
      ${scope ? html`<p class="chat-scope" data-testid="chat-scope">${scope}</p>` : null}
      <p class="chat-text">${m.text}</p>
    </li>`;
  }

  /** The chat: its title, the messages and the form (whose input keeps what is typed in it across redraws). */
  renderChat() {
    const items = this.messages.length ? this.messages.map((m, i) => this.chatItem(m, i)) : html`<li key="empty" class="chat-empty muted">${t('live.chat.empty')}</li>`;
    render(
      html`<h2 id="chat-title">${t('live.chat')}</h2>
        <ol class="chat-list" data-testid="chat-list" aria-live="polite" ref=${this.chatList}>${items}</ol>
        <form class="chat-form" onSubmit=${this.onChatSubmit}>
          <label for="chat-input" class="sr-only">${t('live.chat.label')}</label>
          <input id="chat-input" type="text" maxlength="2000" autocomplete="off" data-testid="chat-input" placeholder=${this.chatPlaceholder()} ref=${this.chatInput} />
          <button type="submit" class="primary" data-testid="chat-send" disabled=${this.sendingChat}>${t('live.chat.send')}</button>
        </form>`,
      this.chatSection,
    );
  }

  /** The input's hint: during a caucus, where a message from here goes. */
  chatPlaceholder() {
    const v = this.view;
    if (v && !this.host && v.self && v.self.in_caucus) return t('live.chat.placeholder.caucus');
    if (v && !this.host && v.private_talk) return t('live.chat.placeholder.to_host');
    return t('live.chat.placeholder');
  }

  async sendChat() {
    const input = this.chatInput.current;
    const text = input ? input.value.trim() : '';
    if (!input || !text || this.sendingChat) return;
    this.sendingChat = true;
    this.renderChat();
    try {
      const ack = await this.signaling.call('chat', { text });
      input.value = '';
      this.addChat({ id: ack.id, sender_id: this.view && this.view.self.id, sender_name: this.selfName, text, sent_at: ack.sent_at, scope: ack.scope }, true);
    } catch (err) {
      // Too fast (PROTOCOL.md, "Rate limits"): say so and keep the text, so that it can be sent again in a moment.
      if (err && err.reason === 'rate_limited') toast(signalingErrorMessage(err), 'error', 6000);
      else toast(err && err.code === 'forbidden' ? t('live.chat.not_admitted') : t('live.chat.failed'), 'error');
    } finally {
      this.sendingChat = false;
      this.renderChat();
      input.focus();
    }
  }
}

