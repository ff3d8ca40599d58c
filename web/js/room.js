// @ts-check
// The live room as people see it, shared by the party page and the mediator's live page:
// video tiles with names and roles, one's own preview, the controls (microphone, camera,
// hand, screen, audio only, chat, leave), the participant list and the chat.
// What a page adds (the party's waiting room, the mediator's admit/caucus panels) stays in
// the page. Protocol code lives in signaling.js, peer connections in rtc.js.

import { t, tv, getLang, onLangChange, dictionaries } from './i18n.js';
import './errors-i18n.js';
import './live-i18n.js';
import { recordingBanners } from './recording.js';
import { screenShareSupported } from './rtc.js';
import { h, append, replace, toast } from './ui.js';

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

export function icon(name) {
  const span = document.createElement('span');
  span.className = 'icon';
  span.setAttribute('aria-hidden', 'true');
  span.innerHTML = `<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${ICONS[name]}</svg>`;
  return span;
}

/** "调解员", "申请人" … for an entry of `participants`. */
export function roleLabel(p) {
  if (p.host || p.role === 'mediator') return t('role.mediator');
  if (p.role === 'judge') return t('role.judge');
  return tv('partyrole', p.role);
}

/**
 * Run `redraw` (which replaces elements inside `container`) and put keyboard focus back on the
 * control that had it, found again by its test id (and participant, for per-person buttons).
 */
export function keepFocus(container, redraw) {
  const el = /** @type {HTMLElement | null} */ (document.activeElement);
  const inside = el && el !== document.body && container.contains(el);
  const key = inside && (el.dataset.testid || el.id);
  const pid = inside && /** @type {HTMLElement | null} */ (el.closest('[data-participant-id]'))?.dataset.participantId;
  redraw();
  if (!key || document.activeElement !== document.body) return;
  const byId = `#${CSS.escape(key)}`;
  const byTestid = `[data-testid="${CSS.escape(key)}"]`;
  const byPerson = pid ? `[data-participant-id="${CSS.escape(pid)}"]` : '';
  const again = pid
    ? container.querySelector(`${byTestid}${byPerson}`) || container.querySelector(`${byPerson} ${byTestid}`) || container.querySelector(byId)
    : container.querySelector(byTestid) || container.querySelector(byId);
  if (again) again.focus();
}

const rendered = new WeakMap();

/**
 * Replace the children of `container` only if what they show changed. Panels are redrawn on
 * every room event (a quality report comes every 3 s); replacing a button between the press
 * and the release of a click would swallow that click.
 */
export function patch(container, ...children) {
  const holder = document.createElement('div');
  append(holder, children);
  const html = holder.innerHTML;
  if (rendered.get(container) === html) return false;
  rendered.set(container, html);
  keepFocus(container, () => container.replaceChildren(...holder.childNodes));
  return true;
}

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
  return h(
    'span',
    {
      class: ['mark', 'resolution', low && 'low'],
      title: low ? t('live.resolution.low') : t('live.resolution.title'),
      dataset: { testid: 'tile-resolution', width: String(video.width), height: String(video.height) },
    },
    t('live.resolution', { w: video.width, h: video.height }),
  );
}

/** For the mediator: whether a participant has consented to be recorded (✓ 已同意 / 未同意). */
export function consentBadge(p) {
  return p.consented
    ? h('span', { class: 'badge ok consent-badge', dataset: { testid: 'consent-state', consented: 'true' } }, t('rec.consented'))
    : h('span', { class: 'badge warn consent-badge', dataset: { testid: 'consent-state', consented: 'false' } }, t('rec.not_consented'));
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

export class RoomUI {
  /**
   * host: the mediator's page (sees states, quality and per-person actions).
   * personActions(p): extra buttons for a participant in the list (host page).
   * peopleFilter(p, view): who the list shows (default: everyone in the view).
   * sidePanels: elements shown above the participant list (host page).
   * banners(): extra lines for the top of the room, under the recording indicator (e.g. a
   *   recording that stopped, for the mediator; the way to the consent card, for a party).
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
    this.quality = {};
    this.connection = 'connected';
    this.messages = [];
    this.unread = 0;
    this.audioBlocked = false;
    this.busy = new Set();
    this.tiles = new Map();
    this.audios = new Map();
    this.build();
    this.offLang = onLangChange(() => this.renderAll());
  }

  build() {
    this.banner = h('div', { class: 'live-banners', 'aria-live': 'polite' });
    this.stage = h('div', { class: 'stage', dataset: { testid: 'stage' } });
    this.controls = h('div', { class: 'controls', role: 'group', 'aria-label': t('live.controls') });
    this.sound = h('div', { class: 'sound', hidden: true });
    this.peopleBody = h('div', { class: 'people-body' });
    this.peopleTitle = h('h2', { id: 'people-title' });
    this.chatList = h('ol', { class: 'chat-list', dataset: { testid: 'chat-list' }, 'aria-live': 'polite' });
    this.chatTitle = h('h2', { id: 'chat-title' });
    this.chatInput = h('input', { id: 'chat-input', type: 'text', maxlength: 2000, autocomplete: 'off', dataset: { testid: 'chat-input' } });
    this.chatLabel = h('label', { for: 'chat-input', class: 'sr-only' });
    this.chatSend = h('button', { type: 'submit', class: 'primary', dataset: { testid: 'chat-send' } });
    this.chatForm = h('form', { class: 'chat-form' }, this.chatLabel, this.chatInput, this.chatSend);
    this.chatForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.sendChat();
    });
    this.chatSection = h('section', { class: 'live-panel chat-panel', id: 'chat', 'aria-labelledby': 'chat-title' }, this.chatTitle, this.chatList, this.chatForm);
    const people = h('section', { class: 'live-panel people-panel', 'aria-labelledby': 'people-title' }, this.peopleTitle, this.peopleBody);
    // The mediator's side column holds the waiting room and caucus panels; their people list
    // (with its per-person buttons) and the chat go under the videos instead.
    const main = this.host
      ? h('div', { class: 'live-main' }, this.stage, this.controls, h('div', { class: 'live-below' }, people, this.chatSection))
      : h('div', { class: 'live-main' }, this.stage, this.controls);
    const side = this.host ? h('aside', { class: 'live-side' }, ...this.sidePanels) : h('aside', { class: 'live-side' }, ...this.sidePanels, people, this.chatSection);
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
    for (const tile of this.tiles.values()) if (tile.track) tile.video.play().catch(() => {});
    for (const audio of this.audios.values()) audio.play().catch(() => {});
  }

  destroy() {
    this.offLang();
    for (const a of this.audios.values()) a.srcObject = null;
    for (const tile of this.tiles.values()) tile.video.srcObject = null;
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
    this.chatList.querySelector('.chat-empty')?.remove();
    this.chatList.append(this.chatItem(this.messages[this.messages.length - 1]));
    this.chatList.scrollTop = this.chatList.scrollHeight;
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
    this.peopleTitle.textContent = t('live.people');
    this.chatTitle.textContent = t('live.chat');
    this.chatLabel.textContent = t('live.chat.label');
    this.chatInput.placeholder = this.chatPlaceholder();
    this.chatSend.textContent = t('live.chat.send');
    replace(this.chatList, this.messages.length ? this.messages.map((m) => this.chatItem(m)) : h('li', { class: 'chat-empty muted' }, t('live.chat.empty')));
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
      items.push(h('p', { class: 'live-banner warn', role: 'status', dataset: { testid: 'self-reconnecting' } }, t('live.reconnecting.self')));
    }
    if (v && !this.host && (v.private_talk || this.caucusNotice)) {
      items.push(h('p', { class: 'live-banner private', role: 'status', dataset: { testid: 'private-talk' } }, t('live.private_talk')));
    }
    if (v && this.host && v.self.in_caucus) {
      items.push(h('p', { class: 'live-banner private', role: 'status', dataset: { testid: 'in-caucus' } }, t('live.host.in_caucus')));
    }
    if (v && !this.host && v.self.in_caucus) {
      items.push(h('p', { class: 'live-banner private', role: 'status', dataset: { testid: 'in-caucus' } }, t('live.party.in_caucus')));
    }
    if (this.media.screen) items.push(h('p', { class: 'live-banner info', role: 'status' }, t('live.sharing')));
    if (this.media.audioOnly) items.push(h('p', { class: 'live-banner info', role: 'status' }, t('live.audio_only.on')));
    if (this.audioBlocked) {
      items.push(
        h(
          'p',
          { class: 'live-banner warn' },
          t('live.sound.blocked'),
          ' ',
          h('button', { type: 'button', class: 'primary', onclick: () => this.unblockSound(), dataset: { testid: 'enable-sound' } }, t('live.sound.enable')),
        ),
      );
    }
    patch(this.banner, items);
  }

  setCaucusNotice(active) {
    this.caucusNotice = active;
    this.renderBanners();
    this.chatInput.placeholder = this.chatPlaceholder();
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

  tileFor(want) {
    let tile = this.tiles.get(want.key);
    if (tile) return tile;
    const video = h('video', { autoplay: true, playsinline: true, muted: true, dataset: { testid: want.kind === 'self' ? 'self-video' : 'tile-video' } });
    video.muted = true; // sound plays through the audio elements, not here
    const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' });
    const caption = h('p', { class: 'tile-caption' });
    const marks = h('div', { class: 'tile-marks' });
    const overlay = h('p', { class: 'tile-overlay' });
    const el = h(
      'figure',
      {
        class: ['tile', `tile-${want.kind}`],
        dataset: want.kind === 'self' ? { testid: 'self-tile' } : { testid: 'tile', participantId: want.p.id, kind: want.kind },
      },
      video,
      avatar,
      overlay,
      marks,
      h('figcaption', null, caption),
    );
    tile = { el, video, avatar, caption, marks, overlay, track: null };
    this.tiles.set(want.key, tile);
    return tile;
  }

  attach(tile, track) {
    if (tile.track === track) return;
    tile.track = track;
    tile.video.srcObject = track ? new MediaStream([track]) : null;
    if (track) tile.video.play().catch(() => {});
  }

  renderTiles() {
    const wanted = this.wantedTiles();
    const keep = new Set(wanted.map((w) => w.key));
    for (const [key, tile] of this.tiles) {
      if (!keep.has(key)) {
        tile.video.srcObject = null;
        tile.el.remove();
        this.tiles.delete(key);
      }
    }
    const others = wanted.filter((w) => w.kind !== 'self').length;
    this.stage.dataset.count = String(Math.min(others, 4));
    const v = this.view;
    // With nobody else to show, a line says why (not during a private talk: the banner does).
    const privateTalk = v && !this.host && v.private_talk;
    let empty = this.stage.querySelector('.stage-empty');
    if (!others && v && !privateTalk) {
      if (!empty) {
        empty = h('p', { class: 'stage-empty' });
        this.stage.prepend(empty);
      }
      empty.textContent = this.host ? t('live.stage.empty.host') : t('live.stage.empty');
    } else if (empty) {
      empty.remove();
      empty = null;
    }
    const offset = empty ? 1 : 0;
    wanted.forEach((want, i) => {
      const tile = this.tileFor(want);
      if (want.kind === 'self') this.fillSelf(tile);
      else this.fillOther(tile, want);
      const at = this.stage.children[i + offset] || null;
      if (at !== tile.el) this.stage.insertBefore(tile.el, at);
    });
    this.renderSound();
  }

  fillSelf(tile) {
    const track = this.media.localVideoTrack();
    this.attach(tile, track);
    tile.el.classList.toggle('no-video', !track);
    tile.el.classList.add('mirrored');
    const name = this.selfName || (this.view && this.view.host && this.host ? this.view.host.name : '');
    tile.avatar.textContent = (name || t('live.me')).slice(0, 1);
    tile.caption.textContent = name ? t('live.me.named', { name }) : t('live.me');
    replace(tile.marks, this.media.sending.audio ? null : h('span', { class: 'mark mark-muted', title: t('live.mic.off') }, icon('micOff')), this.view && this.view.self.hand ? h('span', { class: 'mark mark-hand', title: t('live.hand.raised') }, icon('hand')) : null);
    tile.overlay.textContent = '';
  }

  fillOther(tile, want) {
    const p = want.p;
    const reconnecting = isReconnecting(p);
    const kind = want.kind;
    const sending = sends(p, kind);
    const track = sending && !this.media.audioOnly && !reconnecting ? this.media.remoteTrack(p.id, kind) : null;
    this.attach(tile, track);
    tile.el.classList.toggle('no-video', !track);
    tile.el.classList.toggle('reconnecting', reconnecting);
    tile.el.dataset.playing = track ? 'true' : 'false';
    tile.avatar.textContent = (p.name || '?').slice(0, 1);
    const role = roleLabel(p);
    tile.caption.textContent = kind === 'screen' ? t('live.screen.of', { name: p.name }) : `${p.name} · ${role}`;
    tile.el.setAttribute('aria-label', tile.caption.textContent);
    const q = this.host && !reconnecting && this.quality[p.id];
    replace(
      tile.marks,
      kind === 'video' && p.hand ? h('span', { class: 'mark mark-hand', title: t('live.hand.raised'), dataset: { testid: 'hand-mark' } }, icon('hand'), h('span', { class: 'sr-only' }, t('live.hand.raised'))) : null,
      kind === 'video' && !sends(p, 'audio') ? h('span', { class: 'mark mark-muted', title: t('live.mic.off') }, icon('micOff'), h('span', { class: 'sr-only' }, t('live.mic.off'))) : null,
      kind === 'video' && q && q.level !== 'unknown'
        ? h('span', { class: ['mark', 'quality', `q-${q.level}`] }, t('live.quality.label', { level: tv('live.quality', q.level) }))
        : null,
      kind === 'video' && q && q.video && sending ? resolutionMark(q.video) : null,
    );
    let overlay = '';
    if (reconnecting) overlay = t('live.reconnecting.other');
    else if (kind === 'video' && this.media.audioOnly) overlay = t('live.tile.audio_only');
    else if (kind === 'video' && !sending) overlay = t('live.tile.camera_off');
    tile.overlay.textContent = overlay;
    tile.overlay.dataset.testid = reconnecting ? 'tile-reconnecting' : '';
  }

  /** One <audio> per person I share the room with and who sends sound. */
  renderSound() {
    const want = new Map();
    for (const p of presentOthers(this.view, this.host)) {
      if (isReconnecting(p) || !sends(p, 'audio')) continue;
      const track = this.media.remoteTrack(p.id, 'audio');
      if (track) want.set(p.id, track);
    }
    for (const [pid, audio] of this.audios) {
      if (!want.has(pid)) {
        audio.srcObject = null;
        audio.remove();
        this.audios.delete(pid);
      }
    }
    for (const [pid, track] of want) {
      let audio = this.audios.get(pid);
      if (!audio) {
        audio = h('audio', { autoplay: true, dataset: { participantId: pid } });
        this.sound.append(audio);
        this.audios.set(pid, audio);
      }
      const current = audio.srcObject && audio.srcObject.getAudioTracks()[0];
      if (current !== track) {
        audio.srcObject = new MediaStream([track]);
        audio.play().catch((err) => {
          if (err && err.name === 'NotAllowedError' && !this.audioBlocked) {
            this.audioBlocked = true;
            this.renderBanners();
          }
        });
      }
    }
  }

  unblockSound() {
    this.audioBlocked = false;
    for (const audio of this.audios.values()) audio.play().catch(() => {});
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
    const b = h(
      'button',
      {
        type: 'button',
        class: ['ctl', danger && 'ctl-danger', pressed === true && 'ctl-on', pressed === false && 'ctl-off'],
        'aria-pressed': pressed == null ? null : String(pressed),
        disabled: disabled || this.busy.has(name),
        dataset: { testid: `ctl-${name}` },
      },
      icon(iconName),
      h('span', { class: 'ctl-label' }, label),
      badgeText ? h('span', { class: 'ctl-badge' }, badgeText) : null,
    );
    b.addEventListener('click', async () => {
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
        this.controls.querySelector(`[data-testid="ctl-${name}"]`)?.focus();
      }
    });
    return b;
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
          this.chatInput.focus({ preventScroll: true });
        },
      }),
      this.control({ name: 'leave', iconName: 'leave', label: this.host ? t('live.leave.host') : t('live.leave'), danger: true, onClick: () => this.onLeave() }),
    ];
    patch(this.controls, items);
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
    const v = this.view;
    if (!v) {
      patch(this.peopleBody);
      return;
    }
    const filter = this.peopleFilter;
    const shown = filter ? v.participants.filter((p) => filter(p, v)) : v.participants;
    const list = [...shown].sort((a, b) => (a.id === v.self.id ? -1 : b.id === v.self.id ? 1 : 0));
    patch(
      this.peopleBody,
      h(
        'ul',
        { class: 'people', dataset: { testid: 'people' } },
        list.map((p) => {
          const me = p.id === v.self.id;
          const q = this.host && !me && p.state === 'admitted' && p.online !== false && this.quality[p.id];
          return h(
            'li',
            { class: ['person', `state-${p.state || 'admitted'}`], dataset: { participantId: p.id } },
            h(
              'div',
              { class: 'person-line' },
              h('strong', null, me ? t('live.me.named', { name: p.name }) : p.name),
              h('span', { class: 'badge' }, roleLabel(p)),
              p.hand ? h('span', { class: 'badge warn' }, icon('hand'), t('live.hand.raised')) : null,
              sends(p, 'audio') ? null : h('span', { class: 'badge muted' }, t('live.mic.off')),
              sends(p, 'screen') ? h('span', { class: 'badge' }, t('live.screen.sharing')) : null,
              !me && this.personStatus(p) ? h('span', { class: 'badge muted', dataset: { testid: 'person-state' } }, this.personStatus(p)) : null,
              q && q.level !== 'unknown' ? h('span', { class: ['badge', 'quality', `q-${q.level}`] }, t('live.quality.label', { level: tv('live.quality', q.level) })) : null,
              this.host && !me ? consentBadge(p) : null,
            ),
            !me && this.personActions ? this.personActions(p) : null,
          );
        }),
      ),
    );
  }

  // ---------------------------------------------------------------- chat

  /** Who can read a message, for the label under its sender (signaling/PROTOCOL.md, "Chat during a caucus"). */
  chatScopeLabel(m) {
    if (m.scope === 'caucus') return t(this.host ? 'live.chat.scope.caucus.host' : 'live.chat.scope.caucus');
    if (m.scope !== 'to_host') return null;
    if (m.mine) return t('live.chat.scope.to_host.mine');
    return t(this.host ? 'live.chat.scope.to_host.host' : 'live.chat.scope.to_host.other');
  }

  chatItem(m) {
    const scope = this.chatScopeLabel(m);
    return h(
      'li',
      { class: ['chat-msg', m.mine && 'mine', m.scope === 'caucus' && 'chat-private', m.scope === 'to_host' && 'chat-to-host'], dataset: { testid: 'chat-msg', scope: m.scope || 'room' } },
      h('p', { class: 'chat-meta' }, h('strong', null, m.mine ? t('live.me') : m.sender_name), ' ', h('time', { datetime: m.sent_at }, fmtClock(m.sent_at))),
      scope ? h('p', { class: 'chat-scope', dataset: { testid: 'chat-scope' } }, scope) : null,
      h('p', { class: 'chat-text' }, m.text),
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
    const text = this.chatInput.value.trim();
    if (!text) return;
    this.chatSend.disabled = true;
    try {
      const ack = await this.signaling.call('chat', { text });
      this.addChat({ id: ack.id, sender_id: this.view && this.view.self.id, sender_name: this.selfName, text, sent_at: ack.sent_at, scope: ack.scope }, true);
      this.chatInput.value = '';
    } catch (err) {
      // Too fast (PROTOCOL.md, "Rate limits"): say so and keep the text, so that it can be sent again in a moment.
      if (err && err.reason === 'rate_limited') toast(signalingErrorMessage(err), 'error', 6000);
      else toast(err && err.code === 'forbidden' ? t('live.chat.not_admitted') : t('live.chat.failed'), 'error');
    } finally {
      this.chatSend.disabled = false;
      this.chatInput.focus();
    }
  }
}
