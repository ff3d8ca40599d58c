// @ts-check
// /review/<session id>: watching a session's recordings. Every participant's video plays side by
// side on one timeline: one master clock, each <video> placed at its participant's offset on it
// and put back when it drifts more than DRIFT; one seek bar with the session's events marked on
// it (click one to go there), play/pause and 1× / 1.5× / 2×. Keyboard: space plays or pauses,
// ←/→ go back or forward 5 s (1 s with Shift), Home/End to the start or the end.
// Each participant's file starts at their first packet; the API gives where that is on the
// recording's timeline (`offset`), so every browser places the videos the same way. Every
// viewing is logged by the server in the case history.
// "Export as one video" asks the server to compose everyone into one MP4 in the background; the
// page polls the job about once a second (progress bar, cancel) and offers the file when done.
// The page's main part is drawn with Preact + htm (from node_modules through the import map, no
// build step): a redraw changes only what differs, so the videos, focus and the seek bar's place
// survive the ten redraws a second of a playing recording and a change of language.

import { html, render } from 'htm/preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { t, tv, fmtDateTime, fmtTime, getLang } from '../i18n.js';
import '../review-i18n.js';
import { h, replace, initStaffPage, staffHeader, skipLink, errorState, errorMessage } from '../ui.js';
import { staffFrame } from '../ui-preact.js';

const DRIFT = 0.1; // seconds a video may be off the master clock before it is put back
const STEP = 5;
const FINE_STEP = 1;
const RATES = [1, 1.5, 2];
const TICK_MS = 100;
const STALL_GIVE_UP_MS = 4000;
const EXPORT_POLL_MS = 1000;

/**
 * What GET /sessions/{id}/recordings gives (server/http/recordings_api.py).
 * @typedef {{ start: number, end: number | null, reason: string }} Gap
 * @typedef {{ id: string, name: string, role: string, kind: string, offset: number, end: number, video_url: string, gaps?: Gap[] }} Participant
 * @typedef {{ kind: string, at: number, name?: string, detail?: Record<string, any> }} Marker
 * @typedef {{ id: string, status: string, started_at: string, duration: number, participants: Participant[], markers?: Marker[] }} Recording
 * @typedef {{ session: { case_id: string, case_number: string, starts_at: string }, items: Recording[] }} Recordings
 * @typedef {{ state: string, progress?: number, file?: { url: string, bytes: number }, error?: { message: Record<string, string> } }} ExportJob
 * @typedef {{ role: string, timezone?: string }} User
 * @typedef {{ p: Participant, video: HTMLVideoElement | null, ref: (v: HTMLVideoElement | null) => void,
 *   failed: boolean, buffering: boolean, startTimer: ReturnType<typeof setTimeout> | null, length: number }} Tile
 */

const app = /** @type {HTMLElement} */ (document.getElementById('app'));
const sessionId = decodeURIComponent((location.pathname.match(/^\/review\/([^/]+)/) || [])[1] || '');

// ------------------------------------------------------------------ helpers

/** @param {number} x @param {number} lo @param {number} hi */
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

/** "1:05" or "1:02:05" @param {number} seconds */
function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds + 1e-6));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** @param {Participant} p */
function roleOf(p) {
  return p.kind === 'staff' ? tv('role', p.role) : tv('partyrole', p.role);
}

/** @param {Marker} m */
function markerLabel(m) {
  const name = m.name || '';
  const d = m.detail || {};
  switch (m.kind) {
    case 'consent':
      return t(d.before_start ? 'review.marker.consent.before' : 'review.marker.consent', { name });
    case 'caucus_started':
      return t('review.marker.caucus_started', { members: (d.members || []).join('、') });
    case 'recording_stopped':
      return d.reason ? `${t('review.marker.recording_stopped')}（${tv('review.stop', d.reason)}）` : t('review.marker.recording_stopped');
    case 'not_recorded':
      return t('review.marker.not_recorded', { name, reason: tv('review.reason', d.reason) });
    default:
      return t(`review.marker.${m.kind}`, { name });
  }
}

/** A random id for this page's play session: the server logs one viewing per id. */
function newViewId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** @param {EventTarget | null} target */
function editable(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['range', 'checkbox', 'radio', 'button'].includes(target.type);
}

/** @param {number} bytes */
function megabytes(bytes) {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// ------------------------------------------------------------------ the synchronised player

/** The master clock and the videos that follow it; `changed` is called when the page should redraw. */
class SyncPlayer {
  /** @param {Recording} recording @param {() => void} changed */
  constructor(recording, changed) {
    this.rec = recording;
    this.changed = changed;
    this.viewId = newViewId();
    this.duration = Math.max(0.1, recording.duration);
    this.position = 0; // the master clock at the last anchor
    this.shown = 0; // the master clock at the last tick, as drawn
    this.anchorWall = performance.now();
    this.playing = false;
    this.stalled = false;
    this.stalledAt = 0;
    this.rate = 1;
    this.dragging = false;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
    /** @type {Tile[]} */
    this.tiles = recording.participants.map((p) => {
      /** @type {Tile} */
      const tile = { p, video: null, ref: () => {}, failed: false, buffering: false, startTimer: null, length: Math.max(0, p.end - p.offset) };
      tile.ref = (v) => {
        if (v) tile.video = v;
      };
      return tile;
    });
  }

  start() {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  destroy() {
    clearInterval(this.timer);
    for (const { video } of this.tiles) {
      if (!video) continue;
      video.pause();
      video.removeAttribute('src');
      video.load();
    }
  }

  /** The master clock: where on the recording's timeline everyone should be now. */
  now() {
    if (!this.playing || this.stalled) return this.position;
    return Math.min(this.duration, this.position + ((performance.now() - this.anchorWall) / 1000) * this.rate);
  }

  anchor() {
    this.position = this.now();
    this.anchorWall = performance.now();
  }

  /** @param {Tile} tile */
  loaded(tile) {
    const v = tile.video;
    if (!v) return;
    if (Number.isFinite(v.duration) && v.duration > 0) tile.length = v.duration;
    v.playbackRate = this.rate;
    this.follow(tile, this.now());
    this.changed();
  }

  /** @param {Tile} tile */
  failed(tile) {
    tile.failed = true;
    this.follow(tile, this.now());
    this.changed();
  }

  /** Put one video where the master clock says, playing or paused like the master. @param {Tile} tile @param {number} pos */
  follow(tile, pos) {
    const v = tile.video;
    const local = pos - tile.p.offset;
    if (!v || tile.failed || v.readyState === 0) return;
    const run = this.playing && !this.stalled;
    if (local < 0 || local >= tile.length) {
      if (!v.paused) v.pause();
      const edge = local < 0 ? 0 : tile.length;
      if (!v.seeking && Math.abs(v.currentTime - edge) > 0.25) v.currentTime = edge;
      // Due before the next tick: start it on time rather than late and then seek it.
      const wait = (-local / this.rate) * 1000;
      if (run && local < 0 && wait < TICK_MS && !tile.startTimer) {
        tile.startTimer = setTimeout(() => {
          tile.startTimer = null;
          this.tick();
        }, wait);
      }
      return;
    }
    if (!v.seeking && Math.abs(v.currentTime - local) > DRIFT) v.currentTime = local;
    if (run && v.paused) v.play().catch(() => {});
    else if (!run && !v.paused) v.pause();
  }

  tick() {
    let pos = this.now();
    if (this.playing && pos >= this.duration) {
      this.pause();
      pos = this.duration;
    }
    if (this.playing) {
      // The master waits for any video that is seeking or buffering, so that none falls behind.
      const waiting = this.tiles.some(({ p, video: v, failed, buffering, length }) => {
        const local = pos - p.offset;
        return !!v && !failed && local >= 0 && local < length && (v.seeking || buffering || v.readyState < 2);
      });
      if (waiting && !this.stalled) {
        this.anchor();
        this.stalled = true;
        this.stalledAt = performance.now();
      } else if (this.stalled && (!waiting || performance.now() - this.stalledAt > STALL_GIVE_UP_MS)) {
        this.stalled = false;
        for (const tile of this.tiles) tile.buffering = false;
        this.anchorWall = performance.now();
      }
    }
    for (const tile of this.tiles) this.follow(tile, pos);
    this.shown = pos;
    this.changed();
  }

  /** @param {number} pos */
  seek(pos) {
    this.position = clamp(pos, 0, this.duration);
    this.anchorWall = performance.now();
    for (const { p, video, failed, length } of this.tiles) {
      if (!video || failed || video.readyState === 0) continue;
      video.currentTime = clamp(this.position - p.offset, 0, length);
    }
    this.tick();
  }

  play() {
    if (this.position >= this.duration - 0.05) this.seek(0);
    this.playing = true;
    this.stalled = false;
    this.anchorWall = performance.now();
    this.tick();
  }

  pause() {
    this.anchor();
    this.shown = this.position; // drawn where it stopped, not where the last tick was
    this.playing = false;
    this.stalled = false;
    for (const { video } of this.tiles) video?.pause();
    this.changed();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  /** @param {number} rate */
  setRate(rate) {
    this.anchor();
    this.rate = rate;
    for (const { video } of this.tiles) if (video) video.playbackRate = rate;
    this.changed();
  }

  /** The page's keys (see the top of this file); none while typing in a field. @param {KeyboardEvent} e */
  key(e) {
    if (e.altKey || e.ctrlKey || e.metaKey || editable(e.target)) return;
    const onButton = e.target instanceof HTMLButtonElement;
    if (e.key === ' ' && !onButton) {
      e.preventDefault();
      this.toggle();
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      const step = e.shiftKey ? FINE_STEP : STEP;
      this.seek(this.now() + (e.key === 'ArrowLeft' ? -step : step));
    } else if ((e.key === 'Home' || e.key === 'End') && !onButton) {
      e.preventDefault();
      this.seek(e.key === 'Home' ? 0 : this.duration);
    }
  }
}

/** Where a participant is at `pos`: a note on their tile, or '' when their video is playing. @param {Tile} tile @param {number} pos */
function noteFor(tile, pos) {
  const local = pos - tile.p.offset;
  if (tile.failed) return t('review.note.failed');
  if (local < 0) return t('review.note.before');
  if (local >= tile.length) return t('review.note.after');
  const gap = (tile.p.gaps || []).find((g) => g.start <= pos && (g.end == null || pos < g.end));
  return gap ? t(`review.note.gap.${gap.reason}`) : '';
}

/** @param {{ rec: Recording }} props */
function Player({ rec }) {
  const [, redraw] = useState(0);
  const player = useMemo(() => new SyncPlayer(rec, () => redraw((n) => n + 1)), [rec]);
  useEffect(() => {
    /** @param {KeyboardEvent} e */
    const keys = (e) => player.key(e);
    document.addEventListener('keydown', keys);
    player.start();
    return () => {
      document.removeEventListener('keydown', keys);
      player.destroy();
    };
  }, [player]);
  const pos = player.shown;
  const markers = rec.markers || [];
  /** @param {Marker} m */
  const left = (m) => `${(clamp(m.at, 0, player.duration) / player.duration) * 100}%`;
  /** @param {Event} e */
  const seekTo = (e) => player.seek(Number(/** @type {HTMLInputElement} */ (e.currentTarget).value));
  const dragging = (/** @type {boolean} */ on) => () => {
    player.dragging = on;
  };
  /** @param {Tile} tile */
  const tileView = (tile) => {
    const { p } = tile;
    const note = noteFor(tile, pos);
    const off = tile.failed || pos < p.offset || pos - p.offset >= tile.length;
    const ready = () => {
      tile.buffering = false;
    };
    return html`<figure key=${p.id} class=${off ? 'review-tile review-off' : 'review-tile'} data-testid="review-tile" data-participant-id=${p.id}>
      <div class="review-frame">
        <video preload="auto" playsinline src=${`${p.video_url}?view=${player.viewId}`} ref=${tile.ref}
          aria-label=${t('review.video', { name: p.name })} data-testid="review-video" data-participant-id=${p.id} data-offset=${String(p.offset)}
          onLoadedMetadata=${() => player.loaded(tile)} onError=${() => player.failed(tile)}
          onWaiting=${() => (tile.buffering = true)} onCanPlay=${ready} onPlaying=${ready} onSeeked=${ready}></video>
        <p class="review-note" data-testid="review-note" hidden=${!note}>${note}</p>
      </div>
      <figcaption><strong>${p.name}</strong> <span class="muted">${roleOf(p)}</span></figcaption>
    </figure>`;
  };
  return html`<div class="review-player" data-testid="review-player" data-recording-id=${rec.id} data-position=${pos.toFixed(2)} data-playing=${String(player.playing)}>
    <div class="review-grid" data-count=${String(player.tiles.length)}>${player.tiles.map(tileView)}</div>
    <div class="review-controls">
      <button type="button" class="primary review-play" data-testid="review-play" aria-pressed=${String(player.playing)} onClick=${() => player.toggle()}>
        ${player.playing ? `❚❚ ${t('review.pause')}` : `▶ ${t('review.play')}`}
      </button>
      <span class="review-time" data-testid="review-time" aria-hidden="true">${`${clock(pos)} / ${clock(player.duration)}`}</span>
      <div class="review-timeline">
        <div class="review-marker-bar" aria-hidden="true">
          ${markers.map(
            (m) => html`<button type="button" tabindex="-1" class=${`review-marker marker-${m.kind}`} style=${{ left: left(m) }}
              title=${`${clock(m.at)} ${markerLabel(m)}`} onClick=${() => player.seek(m.at)}></button>`,
          )}
        </div>
        <input type="range" class="review-seek" min="0" max=${player.duration} step="0.1" value=${player.dragging ? undefined : pos}
          aria-label=${t('review.seek')} aria-valuetext=${t('review.position', { time: clock(pos), total: clock(player.duration) })}
          data-testid="review-seek" onInput=${seekTo} onPointerDown=${dragging(true)} onPointerUp=${dragging(false)} />
      </div>
      <div class="review-speed" role="group" aria-label=${t('review.speed')}>
        ${RATES.map(
          (r) => html`<button type="button" class="secondary small-btn" data-testid="review-speed" data-rate=${String(r)}
            aria-pressed=${String(r === player.rate)} onClick=${() => player.setRate(r)}>${r}×</button>`,
        )}
      </div>
    </div>
    <p class="muted small">${`${t('review.keys')} ${t('review.logged')}`}</p>
    <h3 id="review-events-title">${t('review.events')}</h3>
    <ol class="review-events" data-testid="review-events" aria-labelledby="review-events-title">
      ${markers.length
        ? markers.map(
            (m) => html`<li class=${`marker-${m.kind}`}>
              <button type="button" data-testid="review-marker" data-kind=${m.kind} data-at=${String(m.at)} onClick=${() => player.seek(m.at)}>
                <span class="review-event-time">${clock(m.at)}</span> ${markerLabel(m)}
              </button>
            </li>`,
          )
        : html`<li class="muted">${t('review.events.none')}</li>`}
    </ol>
  </div>`;
}

// ------------------------------------------------------------------ export as one video

/** @param {ExportJob | null} job */
const exporting = (job) => !!job && (job.state === 'queued' || job.state === 'running');

/** The export of one recording: start, progress, cancel, download; polls while a job runs. @param {{ recordingId: string }} props */
function ExportPanel({ recordingId }) {
  const [{ job, error, busy }, set] = useState(/** @type {{ job: ExportJob | null, error: any, busy: boolean }} */ ({ job: null, error: null, busy: true }));
  const call = useRef(/** @type {(method: string) => void} */ (() => {}));
  useEffect(() => {
    const path = `/recordings/${encodeURIComponent(recordingId)}/export`;
    /** @type {ExportJob | null} */
    let job = null;
    let busy = false;
    let gone = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @type {string | null} */
    let pending = null; // what was clicked while a request ran: sent as soon as it is answered
    call.current = async (method) => {
      if (busy) {
        // One request at a time; a click is never lost, even on the first load's heels.
        if (method !== 'GET') pending = method;
        return;
      }
      busy = true;
      set((s) => ({ ...s, busy: true }));
      let error = null; // an ApiError from this request, shown plainly
      try {
        job = await api.request(method, path);
      } catch (err) {
        if (method === 'GET' && /** @type {any} */ (err).status === 404) job = null; // never exported: offer to start
        else error = err;
      }
      busy = false;
      if (gone) return;
      set({ job, error, busy });
      clearTimeout(timer);
      if (pending) {
        const next = pending;
        pending = null;
        call.current(next);
      } else if (exporting(job)) timer = setTimeout(() => call.current('GET'), EXPORT_POLL_MS);
    };
    call.current('GET');
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [recordingId]);

  // Focus stays in the panel when the control that had it gives way to another (start → cancel → download).
  const panel = useRef(/** @type {HTMLElement | null} */ (null));
  const action = useRef(/** @type {HTMLElement | null} */ (null));
  const hadFocus = !!panel.current && panel.current.contains(document.activeElement);
  useLayoutEffect(() => {
    if (hadFocus && action.current && !panel.current?.contains(document.activeElement)) action.current.focus();
  });

  /** @type {Record<string, string>} */
  const said = { queued: 'review.export.queued', running: 'review.export.running', done: 'review.export.done', cancelled: 'review.export.cancelled' };
  const percent = `${Math.floor((job?.progress || 0) * 100)}%`;
  let parts;
  if (job && exporting(job)) {
    parts = html`<div class="review-export-progress">
        <progress max="1" value=${job.progress || 0} data-testid="review-export-progress" aria-label=${t('review.export.progress')} aria-valuetext=${percent}></progress>
        <span data-testid="review-export-percent">${job.state === 'queued' ? t('review.export.queued') : t('review.export.running', { percent })}</span>
      </div>
      <button type="button" class="secondary" data-testid="review-export-cancel" ref=${action} onClick=${() => call.current('DELETE')}>${t('review.export.cancel')}</button>`;
  } else if (job?.state === 'done' && job.file) {
    parts = html`<p role="status">${t('review.export.done')}</p>
      <a class="button primary" href=${job.file.url} download="" data-testid="review-export-download" ref=${action}>
        ${t('review.export.download', { size: megabytes(job.file.bytes) })}
      </a>
      <p class="muted small">${t('review.export.logged')}</p>`;
  } else {
    const failure = job?.state === 'failed' && job.error ? job.error.message[getLang()] || job.error.message.zh : null;
    parts = html`${failure != null
        ? html`<p class="error-box" role="alert" data-testid="review-export-error">${t('review.export.failed', { message: failure })}</p>`
        : job?.state === 'cancelled' && html`<p role="status">${t('review.export.cancelled')}</p>`}
      <p class="muted small">${t('review.export.hint')}</p>
      <button type="button" class="primary" data-testid="review-export-start" ref=${action} onClick=${() => call.current('POST')}>
        ${job ? t('review.export.again') : t('review.export.start')}
      </button>`;
  }
  return html`<section class="review-export" data-testid="review-export" data-state=${job ? job.state : 'none'} aria-labelledby="review-export-title"
    aria-busy=${busy ? 'true' : undefined} ref=${panel}>
    <div class="review-export-body">
      <h3 id="review-export-title">${t('review.export.title')}</h3>
      ${parts}
      ${error && html`<p class="error-box" role="alert" data-testid="review-export-error">${errorMessage(error)}</p>`}
    </div>
    <p class="sr-only" role="status">${job && said[job.state] ? t(said[job.state], { percent: '' }) : ''}</p>
  </section>`;
}

// ------------------------------------------------------------------ page

/** @param {Recording} r @param {number} n @param {string} tz */
function recordingLabel(r, n, tz) {
  const start = fmtTime(r.started_at, tz);
  return r.status === 'recording' ? t('review.item.running', { n, start }) : t('review.item', { n, start, length: clock(r.duration) });
}

/** The recording named in ?recording=, else the last one that can be played, else the last. @param {Recording[]} items */
function firstChoice(items) {
  const asked = new URL(location.href).searchParams.get('recording');
  const playable = items.filter((r) => r.status !== 'recording' && r.status !== 'deleted');
  return (items.find((r) => r.id === asked) || playable[playable.length - 1] || items[items.length - 1] || { id: null }).id;
}

/** Where a judge came from: the application named in ?application= (a UUID), else the court's inbox. */
function courtBack() {
  const id = new URL(location.href).searchParams.get('application') || '';
  return /^[0-9a-f-]{36}$/.test(id)
    ? html`<a href=${`/court/applications/${id}`} class="back" data-testid="review-back">‹ ${t('review.back.application')}</a>`
    : html`<a href="/court" class="back" data-testid="review-back">‹ ${t('review.back.court')}</a>`;
}

/** @param {{ rec: Recording | null, n: number, tz: string, judge: boolean }} props */
function Chosen({ rec, n, tz, judge }) {
  if (!rec) return html`<p class="empty" data-testid="review-none">${t('review.none')}</p>`;
  const head = html`<p class="review-meta">
    <strong>${recordingLabel(rec, n, tz)}</strong> <span class=${`badge ${rec.status === 'stopped' ? 'ok' : 'warn'}`}>${tv('review.status', rec.status)}</span>
  </p>`;
  if (rec.status === 'recording') return html`${head}<p class="notice" role="status">${t('review.running')}</p>`;
  if (rec.status === 'deleted') return html`${head}<p class="notice" role="status">${t('review.deleted')}</p>`;
  if (!rec.participants.length) return html`${head}<p class="empty">${t('review.empty')}</p>`;
  // Exporting is the case's mediators' (the server refuses a judge): a judge gets no button to be refused by.
  return html`${head}<${Player} key=${rec.id} rec=${rec} />${!judge && html`<${ExportPanel} key=${rec.id} recordingId=${rec.id} />`}`;
}

/** @param {{ user: User, data: Recordings, lang: string }} props */
function Review({ user, data }) {
  const [chosen, setChosen] = useState(() => firstChoice(data.items));
  const { session: s, items } = data;
  const tz = user.timezone || 'Asia/Shanghai';
  const judge = user.role === 'judge';
  const rec = items.find((r) => r.id === chosen) || null;
  /** @param {string} id */
  const choose = (id) => {
    const url = new URL(location.href);
    url.searchParams.set('recording', id);
    history.replaceState(null, '', url);
    setChosen(id);
  };
  document.title = `${t('review.heading', { number: s.case_number })} · ${t('app.name')}`;
  return html`
    <p>
      ${judge // A judge reads the case from the court's application page, not the committee's case page.
        ? courtBack()
        : html`<a href=${`/cases/${encodeURIComponent(s.case_id)}`} class="back" data-testid="review-back">‹ ${t('review.back')}</a>`}
    </p>
    <h1>${t('review.heading', { number: s.case_number })}</h1>
    <p class="muted">${t('review.session', { time: fmtDateTime(s.starts_at, tz) })}</p>
    ${items.length > 1 &&
    html`<div class="review-picker" role="group" aria-label=${t('review.pick')}>
      ${items.map(
        (r, i) => html`<button type="button" class=${`small-btn ${r.id === chosen ? 'primary' : 'secondary'}`} aria-pressed=${String(r.id === chosen)}
          data-testid="review-pick" data-recording-id=${r.id} onClick=${() => choose(r.id)}>${recordingLabel(r, i + 1, tz)}</button>`,
      )}
    </div>`}
    <section class="card review-card" data-testid="review">
      <${Chosen} rec=${rec} n=${rec ? items.indexOf(rec) + 1 : 0} tz=${tz} judge=${judge} />
    </section>`;
}

async function main() {
  const me = await initStaffPage();
  /** @type {User} */
  const user = me.user;
  /** @type {Recordings} */
  let data;
  try {
    data = await api.request('GET', `/sessions/${encodeURIComponent(sessionId)}/recordings`);
  } catch (err) {
    replace(app, skipLink(), staffHeader(user), h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
    return;
  }
  // The header is ui.js's (shared by the staff pages); Preact draws <main>, which is never taken out
  // of the page (a <video> taken out of the document stops playing).
  const main = h('main', { id: 'main', class: 'container review-page' });
  const draw = () => render(html`<${Review} user=${user} data=${data} lang=${getLang()} />`, main);
  staffFrame(app, () => [skipLink(), staffHeader(user)], main, draw);
  draw();
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
