// @ts-check
// The live room's pictures and sound (room.js draws the rest): the tiles on the stage, each with
// its <video>, name, role and marks (a caller by phone's with a telephone instead of a picture, and
// anyone's with "正在说话" while they speak), and one <audio> per person heard. Drawn with Preact + htm: a
// <video> or <audio> is a Player keyed by person and kind, kept across redraws, its stream set only
// when the track changes, so what plays is never recreated.

import { html } from 'htm/preact';
import { render } from 'preact'; // preact's own takes a list of nodes too
import { useLayoutEffect, useRef } from 'preact/hooks';
import { partyRole, t, tv } from './i18n.js';
import './live-i18n.js';

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
  phone: '<path d="M5 4h3.5l1.7 4.3-2.2 1.4a11 11 0 0 0 6.3 6.3l1.4-2.2L20 15.5V19a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2z"/>',
  speaking: '<path d="M4 10v4M8 7v10M12 4v16M16 7v10M20 10v4"/>',
};

/** An icon of ICONS, drawn by Preact (the SVG is this file's own markup, never user data). */
export function icon(name) {
  const svg = `<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${ICONS[name]}</svg>`;
  return html`<span class="icon" aria-hidden="true" dangerouslySetInnerHTML=${{ __html: svg }}></span>`;
}

/**
 * "调解员", "申请人" … for an entry of `participants`. Where several mediators host the session
 * (#21), the one it was booked for is "主持调解员" and the others "调解员".
 * @param {any} p @param {any} [view] the `participants` view it is from (its `hosts`)
 */
export function roleLabel(p, view = null) {
  if (p.host || p.role === 'mediator') return p.lead && view && (view.hosts || []).length > 1 ? t('role.mediator.lead') : t('role.mediator');
  if (p.role === 'judge') return t('role.judge');
  // A caller by telephone (#25): everyone sees how they take part ("被申请人 · 电话接入").
  return p.phone ? `${partyRole(p)} · ${t('live.phone')}` : partyRole(p);
}

/** A class attribute from its parts, the false ones left out. @param {...(string | false | null | undefined)} parts */
export const cls = (...parts) => parts.filter(Boolean).join(' ');

/**
 * For the mediator: the size of the picture a party sends, as the server receives, forwards and
 * records it. Below 640×480 an ID card held up to the camera may not be readable: marked so.
 */
export function resolutionMark(video) {
  const low = video.width * video.height < 640 * 480;
  return html`<span class=${cls('mark', 'resolution', low && 'low')} title=${low ? t('live.resolution.low') : t('live.resolution.title')}
    data-testid="tile-resolution" data-width=${String(video.width)} data-height=${String(video.height)}>${t('live.resolution', { w: video.width, h: video.height })}</span>`;
}

/** Whether a participant's connection dropped and they may come back (host and party views). */
export const isReconnecting = (p) => p.state === 'reconnecting' || p.reconnecting === true || (p.state === 'admitted' && p.online === false);

/** Whether a participant sends `kind` (audio, video, screen). */
export const sends = (p, kind) => Array.isArray(p.sending) && p.sending.includes(kind);

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
export function Player({ tag, track, players, onPlayFailed, attrs }) {
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

/** The tiles to show, in order: screens first (they need the room), then people, then me. */
function wantedTiles(room) {
  const v = room.view;
  const out = [];
  const others = presentOthers(v, room.host);
  if (!room.media.audioOnly) {
    for (const p of others) if (sends(p, 'screen') && !isReconnecting(p)) out.push({ key: `${p.id}:screen`, p, kind: 'screen' });
  }
  for (const p of others) out.push({ key: `${p.id}:video`, p, kind: 'video' });
  out.push({ key: 'self', p: null, kind: 'self' });
  return out;
}

/** Draw the stage's tiles, then the sound. @param {any} room the RoomUI */
export function drawTiles(room) {
  const wanted = wantedTiles(room);
  const others = wanted.filter((w) => w.kind !== 'self').length;
  room.stage.dataset.count = String(Math.min(others, 4));
  const v = room.view;
  // With nobody else to show, a line says why (not during a private talk: the banner does).
  const privateTalk = v && (room.host ? Boolean(v.caucus) && !v.self.in_caucus : v.private_talk);
  const empty = !others && v && !privateTalk ? (room.host ? t('live.stage.empty.host') : t('live.stage.empty')) : null;
  render(
    html`${empty && html`<p key="empty" class="stage-empty">${empty}</p>`}${wanted.map((want) => (want.kind === 'self' ? selfTile(room) : otherTile(room, want)))}`,
    room.stage,
  );
  drawSound(room);
}

/**
 * One tile: its <video> (a Player, kept across redraws), the avatar shown without picture (or, for a
 * caller by phone, the phone face), a line over the picture, the marks and the caption.
 * @param {any} room
 * @param {{ key: string, kind: string, track: MediaStreamTrack | null, classes: string, data: Record<string, any>,
 *   avatar: string, face?: any, caption: string, overlay: string, overlayTestid?: string, marks: any[] }} spec
 */
function tile(room, { key, kind, track, classes, data, avatar, face, caption, overlay, overlayTestid, marks }) {
  const testid = kind === 'self' ? 'self-video' : 'tile-video';
  return html`<figure key=${key} class=${classes} ...${data}>
    <${Player} tag="video" track=${track} players=${room.videos} attrs=${{ 'data-testid': testid }} />
    ${face || html`<div class="avatar" aria-hidden="true">${avatar}</div>`}
    <p class="tile-overlay" data-testid=${overlayTestid}>${overlay}</p>
    <div class="tile-marks">${marks}</div>
    <figcaption><p class="tile-caption">${caption}</p></figcaption>
  </figure>`;
}

/**
 * A caller by phone has no camera (#25): their tile shows a telephone, their name and "电话接入", large,
 * so that no one takes them for a browser participant whose camera is off. Hidden from screen readers,
 * as the avatar is: the tile's name and caption already say all of it.
 */
function phoneFace(p) {
  return html`<div class="phone-face" aria-hidden="true" data-testid="phone-face">
    <span class="phone-disc">${icon('phone')}</span>
    <strong class="phone-name">${p.name}</strong>
    <span class="phone-how">${t('live.phone')}</span>
  </div>`;
}

/** "正在说话": a ring round the tile (the stylesheet's) and this mark, in words as well as colour. */
function speakingMark() {
  return html`<span key="speaking" class="mark mark-speaking" data-testid="speaking-mark">${icon('speaking')}<span class="mark-text">${t('live.speaking')}</span></span>`;
}

function selfTile(room) {
  const track = room.media.localVideoTrack() || null;
  const name = room.selfName || (room.view && room.view.host && room.host ? room.view.host.name : '');
  return tile(room, {
    key: 'self',
    kind: 'self',
    track,
    classes: cls('tile', 'tile-self', !track && 'no-video', 'mirrored'),
    data: { 'data-testid': 'self-tile' },
    avatar: (name || t('live.me')).slice(0, 1),
    caption: name ? t('live.me.named', { name }) : t('live.me'),
    overlay: '',
    marks: [
      room.media.sending.audio ? null : html`<span key="muted" class="mark mark-muted" title=${t('live.mic.off')}>${icon('micOff')}</span>`,
      room.view && room.view.self.hand ? html`<span key="hand" class="mark mark-hand" title=${t('live.hand.raised')}>${icon('hand')}</span>` : null,
    ],
  });
}

function otherTile(room, want) {
  const p = want.p;
  const reconnecting = isReconnecting(p);
  const kind = want.kind;
  const sending = sends(p, kind);
  const track = (sending && !room.media.audioOnly && !reconnecting ? room.media.remoteTrack(p.id, kind) : null) || null;
  const caption = kind === 'screen' ? t('live.screen.of', { name: p.name }) : `${p.name} · ${roleLabel(p, room.view)}`;
  const q = room.host && !reconnecting && room.quality[p.id];
  const phone = kind === 'video' && Boolean(p.phone);
  // From the sound this browser receives (speaking.js); shown on the person's own tile, not their screen's.
  const speaking = kind === 'video' && !reconnecting && sends(p, 'audio') && room.speaking.has(p.id);
  let overlay = '';
  if (reconnecting) overlay = t('live.reconnecting.other');
  else if (phone) overlay = ''; // no camera to be off: the phone face says how they take part
  else if (kind === 'video' && room.media.audioOnly) overlay = t('live.tile.audio_only');
  else if (kind === 'video' && !sending) overlay = t('live.tile.camera_off');
  return tile(room, {
    key: want.key,
    kind,
    track,
    classes: cls('tile', `tile-${kind}`, !track && 'no-video', phone && 'tile-phone', speaking && 'speaking', reconnecting && 'reconnecting'),
    data: {
      'data-testid': 'tile',
      'data-participant-id': p.id,
      'data-kind': kind,
      'data-playing': track ? 'true' : 'false',
      'data-phone': phone ? 'true' : undefined,
      'data-speaking': kind === 'video' ? String(speaking) : undefined,
      'aria-label': caption,
    },
    avatar: (p.name || '?').slice(0, 1),
    face: phone ? phoneFace(p) : null,
    caption,
    overlay,
    overlayTestid: reconnecting ? 'tile-reconnecting' : undefined,
    marks: [
      speaking ? speakingMark() : null,
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

/** One <audio> per person I share the room with and who sends sound. @param {any} room the RoomUI */
export function drawSound(room) {
  const want = [];
  for (const p of presentOthers(room.view, room.host)) {
    if (isReconnecting(p) || !sends(p, 'audio')) continue;
    const track = room.media.remoteTrack(p.id, 'audio');
    if (track) want.push({ pid: p.id, track });
  }
  render(
    want.map(
      ({ pid, track }) =>
        html`<${Player} key=${pid} tag="audio" track=${track} players=${room.audios} onPlayFailed=${room.onSoundFailed} attrs=${{ 'data-participant-id': pid }} />`,
    ),
    room.sound,
  );
}
