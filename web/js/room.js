// @ts-check
// The live room as people see it, shared by the party page and the mediator's live page:
// video tiles with names and roles, one's own preview, the controls (microphone, camera,
// hand, screen, audio only, chat, leave), the participant list and the chat.
// What a page adds (the party's waiting room, the mediator's admit/caucus panels) stays in
// the page. Protocol code lives in signaling.js, peer connections in rtc.js.
// The room's frame (its columns and sections) is built once with ui.js's h(); what changes in
// it (banners, tiles, controls, people, chat, sound; the tiles and sound in room-tiles.js) is
// drawn with Preact + htm, as the review page is: a redraw changes only what differs, so buttons,
// focus, typed chat and the <video> and <audio> elements (keyed by person and kind, their streams
// set only when the track changes) stay as they are across the room's many redraws and a change of
// language.

import { html } from 'htm/preact';
import { render } from 'preact'; // preact's own takes a list of nodes too
import { t, tv, getLang, onLangChange, dictionaries } from './i18n.js';
import './errors-i18n.js';
import './live-i18n.js';
import { recordingBanners } from './recording.js';
import { cls, drawSound, drawTiles, icon, isReconnecting, roleLabel, sends } from './room-tiles.js';
import { screenShareSupported } from './rtc.js';
import { SpeakingMeter } from './speaking.js';
import { h, toast } from './ui.js';

export { cls, icon, isReconnecting, presentOthers, resolutionMark, roleLabel } from './room-tiles.js';

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

/** For the mediator: whether a participant has consented to be recorded (✓ 已同意 / 未同意). */
export function consentBadge(p) {
  return p.consented
    ? html`<span class="badge ok consent-badge" data-testid="consent-state" data-consented="true">${t('rec.consented')}</span>`
    : html`<span class="badge warn consent-badge" data-testid="consent-state" data-consented="false">${t('rec.not_consented')}</span>`;
}

function fmtClock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'zh-CN', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
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
    /** Who is speaking, from the sound this browser receives (speaking.js): shown on their tiles. */
    this.speaking = new SpeakingMeter(media, () => this.renderTiles());
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
    this.speaking.stop();
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
    if (v && this.host && v.caucus && !v.self.in_caucus) {
      // Another host's private talk (#21): this host stays in the joint room with those not in it.
      items.push(html`<p key="private-talk" class="live-banner private" role="status" data-testid="private-talk">${t('live.host.caucus_elsewhere')}</p>`);
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

  // ---------------------------------------------------------------- tiles and sound (room-tiles.js)

  renderTiles() {
    drawTiles(this);
  }

  renderSound() {
    drawSound(this);
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
            <span class="badge" data-testid="person-role">${roleLabel(p, v)}</span>
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
          <input id="chat-input" type="text" maxlength="2000" autocomplete="off" data-testid="chat-input" placeholder=${this.chatPlaceholder()} ref=${this.chatInput}
            disabled=${!this.view} />
          <button type="submit" class="primary" data-testid="chat-send" disabled=${this.sendingChat || !this.view}>${t('live.chat.send')}</button>
        </form>`,
      this.chatSection,
    );
  }

  /** The input's hint: during a caucus, where a message from here goes. */
  chatPlaceholder() {
    const v = this.view;
    // Until the room has answered (the first list of who is here), a line could not be sent: say so.
    if (!v) return t('live.chat.placeholder.connecting');
    if (v && !this.host && v.self && v.self.in_caucus) return t('live.chat.placeholder.caucus');
    if (v && !this.host && v.private_talk) return t('live.chat.placeholder.to_host');
    return t('live.chat.placeholder');
  }

  async sendChat() {
    const input = this.chatInput.current;
    const text = input ? input.value.trim() : '';
    if (!input || !text || this.sendingChat || !this.view) return;
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

