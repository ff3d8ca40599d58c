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

import * as api from '../api.js';
import { dictionaries, t, tv, fmtDateTime, fmtTime, getLang } from '../i18n.js';
import { h, append, replace, initStaffPage, staffHeader, skipLink, errorState, rerenderOnLangChange, badge, errorMessage } from '../ui.js';

const DRIFT = 0.1; // seconds a video may be off the master clock before it is put back
const STEP = 5;
const FINE_STEP = 1;
const RATES = [1, 1.5, 2];
const TICK_MS = 100;
const STALL_GIVE_UP_MS = 4000;
const EXPORT_POLL_MS = 1000;

Object.assign(dictionaries.zh, {
  'review.title': '录像回放',
  'review.heading': '录像回放 · {number}',
  'review.back': '返回案件',
  'review.back.court': '返回法院收件箱',
  'review.back.application': '返回司法确认申请',
  'review.session': '调解时间：{time}',
  'review.none': '这次调解没有录像。',
  'review.pick': '选择录像',
  'review.item': '录像 {n}（{start} 起，时长 {length}）',
  'review.item.running': '录像 {n}（{start} 起，录制中）',
  'review.running': '这段录像还在录制中，停止录制后才能回放。',
  'review.deleted': '这段录像已按保存期限删除，只保留了校验值和记录。',
  'review.empty': '这段录像里没有任何人的画面或声音。',
  'review.status.stopped': '已结束',
  'review.status.interrupted': '因服务器停止而中断',
  'review.status.failed': '因写入错误而停止',
  'review.status.recording': '录制中',
  'review.status.deleted': '已删除',
  'review.play': '播放',
  'review.pause': '暂停',
  'review.speed': '播放速度',
  'review.seek': '播放位置',
  'review.position': '{time}，共 {total}',
  'review.events': '录制期间的事件',
  'review.events.none': '没有记录到事件。',
  'review.keys': '快捷键：空格 播放/暂停；← → 后退/前进 5 秒（按住 Shift 为 1 秒）；Home/End 回到开头/结尾。',
  'review.logged': '每次查看都会记入案件记录。',
  'review.note.before': '尚未进入录制',
  'review.note.after': '已不在录制中',
  'review.note.failed': '无法播放这段画面',
  'review.note.gap.caucus': '单独谈话中，不录制',
  'review.note.gap.held': '在等候区，不录制',
  'review.note.gap.left': '已离开',
  'review.note.gap.reconnecting': '正在重新连接',
  'review.note.gap.waiting': '在等候区',
  'review.note.gap.muted': '麦克风已关闭',
  'review.note.gap.camera_off': '摄像头已关闭',
  'review.note.gap.not_consented': '未同意录制，不录制',
  'review.video': '{name}的录像',
  'review.marker.recording_started': '开始录制',
  'review.marker.recording_stopped': '停止录制',
  'review.marker.consent': '{name} 同意录制',
  'review.marker.consent.before': '{name} 同意录制（录制前）',
  'review.marker.consent_withdrawn': '{name} 撤回同意',
  'review.marker.caucus_started': '单独谈话开始：{members}',
  'review.marker.caucus_ended': '单独谈话结束',
  'review.marker.participant_admitted': '{name} 进入调解',
  'review.marker.participant_joined': '{name} 进入调解',
  'review.marker.participant_left': '{name} 离开',
  'review.marker.participant_removed': '{name} 被请出调解',
  'review.marker.session_ended': '调解结束',
  'review.marker.not_recorded': '{name} 暂停录制：{reason}',
  'review.reason.held': '在等候区',
  'review.reason.left': '离开了',
  'review.reason.reconnecting': '网络断开，正在重连',
  'review.reason.waiting': '在等候区',
  'review.stop.stopped_by_mediator': '调解员停止',
  'review.stop.consent_withdrawn': '有人撤回同意',
  'review.stop.session_ended': '调解结束',
  'review.stop.disk_full': '存储空间已满',
  'review.stop.write_error': '写入出错',
  'review.stop.server_stopped': '服务器停止',
  'review.export.title': '导出为一个视频',
  'review.export.start': '导出为一个视频',
  'review.export.again': '重新导出',
  'review.export.hint': '在后台把所有人的画面合成一个 MP4 文件（同屏显示，声音混合），以低优先级运行，不影响正在进行的调解。',
  'review.export.queued': '排队中，稍后开始导出…',
  'review.export.running': '正在导出… {percent}',
  'review.export.progress': '导出进度',
  'review.export.cancel': '取消导出',
  'review.export.cancelled': '已取消导出。',
  'review.export.done': '视频已导出。',
  'review.export.download': '下载视频（MP4，{size}）',
  'review.export.logged': '每次下载都会记入案件记录。',
  'review.export.failed': '导出失败：{message}',
});

Object.assign(dictionaries.en, {
  'review.title': 'Recording',
  'review.heading': 'Recording · {number}',
  'review.back': 'Back to the case',
  'review.back.court': 'Back to the court inbox',
  'review.back.application': 'Back to the application for confirmation',
  'review.session': 'Session: {time}',
  'review.none': 'This session was not recorded.',
  'review.pick': 'Choose a recording',
  'review.item': 'Recording {n} (from {start}, {length} long)',
  'review.item.running': 'Recording {n} (from {start}, still recording)',
  'review.running': 'This recording is still running; it can be watched once it has stopped.',
  'review.deleted': 'This recording was deleted at the end of its retention period; only its hashes and records are kept.',
  'review.empty': 'Nobody’s picture or sound is in this recording.',
  'review.status.stopped': 'Finished',
  'review.status.interrupted': 'Interrupted (the server stopped)',
  'review.status.failed': 'Stopped by a write error',
  'review.status.recording': 'Recording',
  'review.status.deleted': 'Deleted',
  'review.play': 'Play',
  'review.pause': 'Pause',
  'review.speed': 'Speed',
  'review.seek': 'Position',
  'review.position': '{time} of {total}',
  'review.events': 'What happened while recording',
  'review.events.none': 'No events were recorded.',
  'review.keys': 'Keys: Space play/pause; ← → back/forward 5 s (1 s with Shift); Home/End to the start/end.',
  'review.logged': 'Every viewing is written to the case history.',
  'review.note.before': 'Not in the recording yet',
  'review.note.after': 'No longer in the recording',
  'review.note.failed': 'This video cannot be played',
  'review.note.gap.caucus': 'In a private talk: not recorded',
  'review.note.gap.held': 'In the waiting room: not recorded',
  'review.note.gap.left': 'Left',
  'review.note.gap.reconnecting': 'Reconnecting',
  'review.note.gap.waiting': 'In the waiting room',
  'review.note.gap.muted': 'Microphone off',
  'review.note.gap.camera_off': 'Camera off',
  'review.note.gap.not_consented': 'Had not consented: not recorded',
  'review.video': 'Recording of {name}',
  'review.marker.recording_started': 'Recording started',
  'review.marker.recording_stopped': 'Recording stopped',
  'review.marker.consent': '{name} consented to recording',
  'review.marker.consent.before': '{name} consented to recording (before it started)',
  'review.marker.consent_withdrawn': '{name} withdrew consent',
  'review.marker.caucus_started': 'Private talk began: {members}',
  'review.marker.caucus_ended': 'Private talk ended',
  'review.marker.participant_admitted': '{name} joined',
  'review.marker.participant_joined': '{name} joined',
  'review.marker.participant_left': '{name} left',
  'review.marker.participant_removed': '{name} was removed',
  'review.marker.session_ended': 'Session ended',
  'review.marker.not_recorded': '{name} not recorded: {reason}',
  'review.reason.held': 'in the waiting room',
  'review.reason.left': 'left',
  'review.reason.reconnecting': 'connection lost, reconnecting',
  'review.reason.waiting': 'in the waiting room',
  'review.stop.stopped_by_mediator': 'stopped by the mediator',
  'review.stop.consent_withdrawn': 'consent withdrawn',
  'review.stop.session_ended': 'session ended',
  'review.stop.disk_full': 'storage full',
  'review.stop.write_error': 'write error',
  'review.stop.server_stopped': 'server stopped',
  'review.export.title': 'Export as one video',
  'review.export.start': 'Export as one video',
  'review.export.again': 'Export again',
  'review.export.hint': 'Puts everyone’s picture into one MP4 file in the background (side by side, voices mixed), at low priority so that live sessions are not disturbed.',
  'review.export.queued': 'Queued; the export will start shortly…',
  'review.export.running': 'Exporting… {percent}',
  'review.export.progress': 'Export progress',
  'review.export.cancel': 'Cancel export',
  'review.export.cancelled': 'The export was cancelled.',
  'review.export.done': 'The video is ready.',
  'review.export.download': 'Download the video (MP4, {size})',
  'review.export.logged': 'Every download is written to the case history.',
  'review.export.failed': 'The export failed: {message}',
});

const app = document.getElementById('app');
const sessionId = decodeURIComponent((location.pathname.match(/^\/review\/([^/]+)/) || [])[1] || '');

const state = { user: null, tz: 'Asia/Shanghai', data: null, recordingId: null, player: null, exporter: null };

// ------------------------------------------------------------------ helpers

const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

/** "1:05" or "1:02:05" */
function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds + 1e-6));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

function roleOf(p) {
  return p.kind === 'staff' ? tv('role', p.role) : tv('partyrole', p.role);
}

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

function editable(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true;
  return target.tagName === 'INPUT' && !['range', 'checkbox', 'radio', 'button'].includes(target.type);
}

// ------------------------------------------------------------------ the synchronised player

class SyncPlayer {
  constructor(recording, viewId) {
    this.rec = recording;
    this.duration = Math.max(0.1, recording.duration);
    this.position = 0; // the master clock at the last anchor
    this.anchorWall = performance.now();
    this.playing = false;
    this.stalled = false;
    this.stalledAt = 0;
    this.rate = 1;
    this.dragging = false;
    this.tiles = recording.participants.map((p) => this.makeTile(p, viewId));
    this.el = h('div', { class: 'review-player', dataset: { testid: 'review-player', recordingId: recording.id } });
    this.build();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  destroy() {
    clearInterval(this.timer);
    for (const tile of this.tiles) {
      tile.video.pause();
      tile.video.removeAttribute('src');
      tile.video.load();
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

  makeTile(p, viewId) {
    const video = h('video', {
      preload: 'auto',
      playsinline: true,
      src: `${p.video_url}?view=${viewId}`,
      'aria-label': t('review.video', { name: p.name }),
      dataset: { testid: 'review-video', participantId: p.id, offset: String(p.offset) },
    });
    const note = h('p', { class: 'review-note', dataset: { testid: 'review-note' } });
    note.hidden = true;
    const caption = h('figcaption', null);
    const tile = { p, video, note, caption, failed: false, buffering: false, startTimer: null, length: Math.max(0, p.end - p.offset) };
    video.addEventListener('loadedmetadata', () => {
      if (Number.isFinite(video.duration) && video.duration > 0) tile.length = video.duration;
      video.playbackRate = this.rate;
      this.follow(tile, this.now());
    });
    video.addEventListener('waiting', () => {
      tile.buffering = true;
    });
    for (const ev of ['canplay', 'playing', 'seeked']) {
      video.addEventListener(ev, () => {
        tile.buffering = false;
      });
    }
    video.addEventListener('error', () => {
      tile.failed = true;
      this.follow(tile, this.now());
    });
    tile.el = h('figure', { class: 'review-tile', dataset: { testid: 'review-tile', participantId: p.id } }, h('div', { class: 'review-frame' }, video, note), caption);
    return tile;
  }

  build() {
    this.playButton = h('button', { type: 'button', class: 'primary review-play', dataset: { testid: 'review-play' }, onclick: () => this.toggle() });
    this.timeText = h('span', { class: 'review-time', dataset: { testid: 'review-time' }, 'aria-hidden': 'true' });
    this.speedGroup = h('div', { class: 'review-speed', role: 'group' });
    this.speedButtons = RATES.map((r) =>
      h('button', { type: 'button', class: 'secondary small-btn', dataset: { testid: 'review-speed', rate: String(r) }, onclick: () => this.setRate(r) }, `${r}×`),
    );
    this.seekBar = h('input', {
      type: 'range',
      class: 'review-seek',
      min: '0',
      max: String(this.duration),
      step: '0.1',
      value: '0',
      dataset: { testid: 'review-seek' },
    });
    this.seekBar.addEventListener('input', () => this.seek(Number(this.seekBar.value)));
    this.seekBar.addEventListener('pointerdown', () => {
      this.dragging = true;
    });
    this.seekBar.addEventListener('pointerup', () => {
      this.dragging = false;
    });
    this.markerBar = h('div', { class: 'review-marker-bar', 'aria-hidden': 'true' });
    this.eventsTitle = h('h3', { id: 'review-events-title' });
    this.eventList = h('ol', { class: 'review-events', dataset: { testid: 'review-events' }, 'aria-labelledby': 'review-events-title' });
    this.keysText = h('p', { class: 'muted small' });
    replace(
      this.el,
      h('div', { class: 'review-grid', dataset: { count: String(this.tiles.length) } }, this.tiles.map((tile) => tile.el)),
      h(
        'div',
        { class: 'review-controls' },
        this.playButton,
        this.timeText,
        h('div', { class: 'review-timeline' }, this.markerBar, this.seekBar),
        append(this.speedGroup, this.speedButtons),
      ),
      this.keysText,
      this.eventsTitle,
      this.eventList,
    );
    this.relabel();
  }

  /** Texts in the current language (the videos are kept playing). */
  relabel() {
    for (const tile of this.tiles) {
      replace(tile.caption, h('strong', null, tile.p.name), ' ', h('span', { class: 'muted' }, roleOf(tile.p)));
      tile.video.setAttribute('aria-label', t('review.video', { name: tile.p.name }));
    }
    this.speedGroup.setAttribute('aria-label', t('review.speed'));
    this.seekBar.setAttribute('aria-label', t('review.seek'));
    this.keysText.textContent = `${t('review.keys')} ${t('review.logged')}`;
    this.eventsTitle.textContent = t('review.events');
    const markers = this.rec.markers || [];
    const left = (m) => `${(clamp(m.at, 0, this.duration) / this.duration) * 100}%`;
    replace(
      this.markerBar,
      markers.map((m) =>
        h(
          'button',
          {
            type: 'button',
            tabindex: '-1',
            class: ['review-marker', `marker-${m.kind}`],
            style: { left: left(m) },
            title: `${clock(m.at)} ${markerLabel(m)}`,
            onclick: () => this.seek(m.at),
          },
        ),
      ),
    );
    replace(
      this.eventList,
      markers.length
        ? markers.map((m) =>
            h(
              'li',
              { class: `marker-${m.kind}` },
              h(
                'button',
                { type: 'button', dataset: { testid: 'review-marker', kind: m.kind, at: String(m.at) }, onclick: () => this.seek(m.at) },
                h('span', { class: 'review-event-time' }, clock(m.at)),
                ' ',
                markerLabel(m),
              ),
            ),
          )
        : h('li', { class: 'muted' }, t('review.events.none')),
    );
    this.drawControls();
    this.tick();
  }

  drawControls() {
    this.playButton.textContent = this.playing ? `❚❚ ${t('review.pause')}` : `▶ ${t('review.play')}`;
    this.playButton.setAttribute('aria-pressed', String(this.playing));
    this.el.dataset.playing = String(this.playing);
    for (const b of this.speedButtons) b.setAttribute('aria-pressed', String(Number(b.dataset.rate) === this.rate));
  }

  draw(pos) {
    if (!this.dragging) this.seekBar.value = String(pos);
    const text = t('review.position', { time: clock(pos), total: clock(this.duration) });
    this.seekBar.setAttribute('aria-valuetext', text);
    this.timeText.textContent = `${clock(pos)} / ${clock(this.duration)}`;
    this.el.dataset.position = pos.toFixed(2);
  }

  /** Where a participant is at `pos`, and whether a stretch of their recording is missing there. */
  gapAt(tile, pos) {
    return (tile.p.gaps || []).find((g) => g.start <= pos && (g.end == null || pos < g.end));
  }

  noteFor(tile, pos, inside) {
    let text = '';
    if (tile.failed) text = t('review.note.failed');
    else if (!inside) text = pos < tile.p.offset ? t('review.note.before') : t('review.note.after');
    else {
      const gap = this.gapAt(tile, pos);
      if (gap) text = t(`review.note.gap.${gap.reason}`);
    }
    if (tile.note.textContent !== text) tile.note.textContent = text;
    tile.note.hidden = !text;
    tile.el.classList.toggle('review-off', !inside || tile.failed);
  }

  /** Put one video where the master clock says, playing or paused like the master. */
  follow(tile, pos) {
    const v = tile.video;
    const local = pos - tile.p.offset;
    const inside = local >= 0 && local < tile.length;
    this.noteFor(tile, pos, inside);
    if (tile.failed || v.readyState === 0) return;
    const run = this.playing && !this.stalled;
    if (!inside) {
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
      const waiting = this.tiles.some((tile) => {
        const local = pos - tile.p.offset;
        const v = tile.video;
        return !tile.failed && local >= 0 && local < tile.length && (v.seeking || tile.buffering || v.readyState < 2);
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
    this.draw(pos);
  }

  seek(pos) {
    this.position = clamp(pos, 0, this.duration);
    this.anchorWall = performance.now();
    for (const tile of this.tiles) {
      if (tile.failed || tile.video.readyState === 0) continue;
      tile.video.currentTime = clamp(this.position - tile.p.offset, 0, tile.length);
    }
    this.tick();
  }

  play() {
    if (this.position >= this.duration - 0.05) this.seek(0);
    this.playing = true;
    this.stalled = false;
    this.anchorWall = performance.now();
    this.drawControls();
    this.tick();
  }

  pause() {
    this.anchor();
    this.playing = false;
    this.stalled = false;
    for (const tile of this.tiles) tile.video.pause();
    this.drawControls();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  setRate(rate) {
    this.anchor();
    this.rate = rate;
    for (const tile of this.tiles) tile.video.playbackRate = rate;
    this.drawControls();
  }
}

// ------------------------------------------------------------------ export as one video

function megabytes(bytes) {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The export panel of one recording: start, progress, cancel, download; polls while a job runs. */
class ExportPanel {
  constructor(recordingId) {
    this.path = `/recordings/${encodeURIComponent(recordingId)}/export`;
    this.job = null;
    this.error = null; // an ApiError from the last request, shown plainly
    this.busy = false;
    this.timer = null;
    this.gone = false;
    this.body = h('div', { class: 'review-export-body' });
    // Kept across redraws, so that a screen reader hears each change of state (not every percent).
    this.announcer = h('p', { class: 'sr-only', role: 'status' });
    this.el = h('section', { class: 'review-export', dataset: { testid: 'review-export' }, 'aria-labelledby': 'review-export-title' }, this.body, this.announcer);
    this.draw();
    this.refresh();
  }

  destroy() {
    this.gone = true;
    clearTimeout(this.timer);
  }

  get active() {
    return !!this.job && (this.job.state === 'queued' || this.job.state === 'running');
  }

  async call(method) {
    if (this.busy) return; // one request at a time (a click while polling waits for the next one)
    this.busy = true;
    this.el.setAttribute('aria-busy', 'true');
    try {
      this.job = await api.request(method, this.path);
      this.error = null;
    } catch (err) {
      if (method === 'GET' && err.status === 404) this.job = null; // never exported: offer to start
      else this.error = err;
    } finally {
      this.busy = false;
      this.el.removeAttribute('aria-busy');
    }
    if (this.gone) return;
    this.draw();
    this.schedule();
  }

  refresh() {
    return this.call('GET');
  }

  start() {
    return this.call('POST');
  }

  cancel() {
    return this.call('DELETE');
  }

  schedule() {
    clearTimeout(this.timer);
    if (this.active && !this.gone) this.timer = setTimeout(() => this.refresh(), EXPORT_POLL_MS);
  }

  /** Redraw; focus stays in the panel when the control that had it is replaced. */
  draw() {
    const hadFocus = this.el.contains(document.activeElement);
    const job = this.job;
    const parts = [h('h3', { id: 'review-export-title' }, t('review.export.title'))];
    const startButton = (label) =>
      h('button', { type: 'button', class: 'primary', dataset: { testid: 'review-export-start' }, onclick: () => this.start() }, label);
    let focus = null;
    if (this.active) {
      const percent = `${Math.floor((job.progress || 0) * 100)}%`;
      const bar = h('progress', { max: '1', value: String(job.progress || 0), dataset: { testid: 'review-export-progress' }, 'aria-label': t('review.export.progress') });
      bar.setAttribute('aria-valuetext', percent);
      const text = job.state === 'queued' ? t('review.export.queued') : t('review.export.running', { percent });
      focus = h('button', { type: 'button', class: 'secondary', dataset: { testid: 'review-export-cancel' }, onclick: () => this.cancel() }, t('review.export.cancel'));
      parts.push(h('div', { class: 'review-export-progress' }, bar, h('span', { dataset: { testid: 'review-export-percent' } }, text)), focus);
    } else if (job && job.state === 'done' && job.file) {
      focus = h(
        'a',
        { class: 'button primary', href: job.file.url, download: '', dataset: { testid: 'review-export-download' } },
        t('review.export.download', { size: megabytes(job.file.bytes) }),
      );
      parts.push(h('p', { role: 'status' }, t('review.export.done')), focus, h('p', { class: 'muted small' }, t('review.export.logged')));
    } else {
      if (job && job.state === 'failed' && job.error) {
        const message = job.error.message[getLang()] || job.error.message.zh;
        parts.push(h('p', { class: 'error-box', role: 'alert', dataset: { testid: 'review-export-error' } }, t('review.export.failed', { message })));
      } else if (job && job.state === 'cancelled') {
        parts.push(h('p', { role: 'status' }, t('review.export.cancelled')));
      }
      focus = startButton(job ? t('review.export.again') : t('review.export.start'));
      parts.push(h('p', { class: 'muted small' }, t('review.export.hint')), focus);
    }
    if (this.error) parts.push(h('p', { class: 'error-box', role: 'alert', dataset: { testid: 'review-export-error' } }, errorMessage(this.error)));
    const said = { queued: 'review.export.queued', running: 'review.export.running', done: 'review.export.done', cancelled: 'review.export.cancelled' };
    const announcement = job && said[job.state] ? t(said[job.state], { percent: '' }) : '';
    if (this.announcer.textContent !== announcement) this.announcer.textContent = announcement;
    this.el.dataset.state = job ? job.state : 'none';
    replace(this.body, ...parts);
    if (hadFocus && focus && !this.el.contains(document.activeElement)) focus.focus();
  }
}

// ------------------------------------------------------------------ keyboard

document.addEventListener('keydown', (e) => {
  const player = state.player;
  if (!player || e.altKey || e.ctrlKey || e.metaKey || editable(e.target)) return;
  const onButton = e.target instanceof Element && e.target.tagName === 'BUTTON';
  if (e.key === ' ' && !onButton) {
    e.preventDefault();
    player.toggle();
  } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
    e.preventDefault();
    const step = e.shiftKey ? FINE_STEP : STEP;
    player.seek(player.now() + (e.key === 'ArrowLeft' ? -step : step));
  } else if ((e.key === 'Home' || e.key === 'End') && !onButton) {
    e.preventDefault();
    player.seek(e.key === 'Home' ? 0 : player.duration);
  }
});

// ------------------------------------------------------------------ page

function recordingLabel(r, n) {
  const start = fmtTime(r.started_at, state.tz);
  return r.status === 'recording' ? t('review.item.running', { n, start }) : t('review.item', { n, start, length: clock(r.duration) });
}

function current() {
  const items = (state.data && state.data.items) || [];
  return items.find((r) => r.id === state.recordingId) || null;
}

function choose(recordingId) {
  if (recordingId === state.recordingId) return;
  state.recordingId = recordingId;
  const url = new URL(location.href);
  url.searchParams.set('recording', recordingId);
  history.replaceState(null, '', url);
  if (state.player) state.player.destroy();
  state.player = null;
  if (state.exporter) state.exporter.destroy();
  state.exporter = null;
  render();
}

function picker() {
  const items = state.data.items;
  if (items.length < 2) return null;
  return h(
    'div',
    { class: 'review-picker', role: 'group', 'aria-label': t('review.pick') },
    items.map((r, i) =>
      h(
        'button',
        {
          type: 'button',
          class: ['small-btn', r.id === state.recordingId ? 'primary' : 'secondary'],
          'aria-pressed': String(r.id === state.recordingId),
          dataset: { testid: 'review-pick', recordingId: r.id },
          onclick: () => choose(r.id),
        },
        recordingLabel(r, i + 1),
      ),
    ),
  );
}

function body() {
  const r = current();
  if (!r) return h('p', { class: 'empty', dataset: { testid: 'review-none' } }, t('review.none'));
  const n = state.data.items.indexOf(r) + 1;
  const head = h(
    'p',
    { class: 'review-meta' },
    h('strong', null, recordingLabel(r, n)),
    ' ',
    badge(tv('review.status', r.status), r.status === 'stopped' ? 'ok' : 'warn'),
  );
  if (r.status === 'recording') return [head, h('p', { class: 'notice', role: 'status' }, t('review.running'))];
  if (r.status === 'deleted') return [head, h('p', { class: 'notice', role: 'status' }, t('review.deleted'))];
  if (!r.participants.length) return [head, h('p', { class: 'empty' }, t('review.empty'))];
  if (!state.player) state.player = new SyncPlayer(r, newViewId());
  else state.player.relabel();
  // Exporting is the case's mediators' (the server refuses a judge): a judge gets no button to be refused by.
  if (isJudge()) return [head, state.player.el];
  if (!state.exporter) state.exporter = new ExportPanel(r.id);
  else state.exporter.draw();
  return [head, state.player.el, state.exporter.el];
}

function isJudge() {
  return Boolean(state.user && state.user.role === 'judge');
}

/** Where a judge came from: the application named in ?application= (a UUID), else the court's inbox. */
function courtBack() {
  const id = new URL(location.href).searchParams.get('application') || '';
  return /^[0-9a-f-]{36}$/.test(id)
    ? h('a', { href: `/court/applications/${id}`, class: 'back', dataset: { testid: 'review-back' } }, `‹ ${t('review.back.application')}`)
    : h('a', { href: '/court', class: 'back', dataset: { testid: 'review-back' } }, `‹ ${t('review.back.court')}`);
}

function render() {
  const s = state.data.session;
  document.title = `${t('review.heading', { number: s.case_number })} · ${t('app.name')}`;
  replace(
    app,
    skipLink(),
    staffHeader(state.user),
    h(
      'main',
      { id: 'main', class: 'container review-page' },
      h(
        'p',
        null,
        // A judge reads the case from the court's application page, not the committee's case page.
        isJudge()
          ? courtBack()
          : h('a', { href: `/cases/${encodeURIComponent(s.case_id)}`, class: 'back', dataset: { testid: 'review-back' } }, `‹ ${t('review.back')}`),
      ),
      h('h1', null, t('review.heading', { number: s.case_number })),
      h('p', { class: 'muted' }, t('review.session', { time: fmtDateTime(s.starts_at, state.tz) })),
      picker(),
      h('section', { class: 'card review-card', dataset: { testid: 'review' } }, body()),
    ),
  );
}

async function main() {
  const me = await initStaffPage();
  state.user = me.user;
  state.tz = me.user.timezone || 'Asia/Shanghai';
  try {
    state.data = await api.request('GET', `/sessions/${encodeURIComponent(sessionId)}/recordings`);
  } catch (err) {
    replace(app, skipLink(), staffHeader(state.user), h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
    return;
  }
  const asked = new URL(location.href).searchParams.get('recording');
  const items = state.data.items;
  const playable = items.filter((r) => r.status !== 'recording' && r.status !== 'deleted');
  state.recordingId = (items.find((r) => r.id === asked) || playable[playable.length - 1] || items[items.length - 1] || {}).id || null;
  render();
  rerenderOnLangChange(app, render);
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
