// @ts-check
// The party's device check before the waiting room: camera preview, microphone level,
// a test tone for the speaker, plain help when permission is refused or a device is missing,
// and the voice-only choice. Resolves with what it found; the stream goes on into the session.

import { t } from './i18n.js';
import './live-i18n.js';
import { openDevices, captureSupported } from './rtc.js';
import { h, replace } from './ui.js';

const STATUS_KIND = { ok: 'ok', off: 'muted', pending: 'muted' };

/** A level meter on a microphone track (Web Audio AnalyserNode). Returns {el, stop}. */
export function levelMeter(track) {
  const bar = h('span', { class: 'meter-bar' });
  const el = h('div', { class: 'meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'aria-label': t('check.mic.level'), dataset: { testid: 'mic-meter' } }, bar);
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx || !track) return { el, stop: () => {} };
  const ctx = new Ctx();
  const source = ctx.createMediaStreamSource(new MediaStream([track]));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  let frame = 0;
  let last = 0;
  let stopped = false;
  const tick = (now) => {
    if (stopped) return;
    analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const x of data) sum += x * x;
    const rms = Math.sqrt(sum / data.length);
    // Speech sits around -30…-10 dBFS: map -60…0 dB onto the bar.
    const level = Math.max(0, Math.min(100, Math.round(((20 * Math.log10(rms + 1e-9) + 60) / 60) * 100)));
    bar.style.width = `${level}%`;
    if (now - last > 250) {
      el.setAttribute('aria-valuenow', String(level));
      el.dataset.level = String(level);
      last = now;
    }
    frame = requestAnimationFrame(tick);
  };
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  frame = requestAnimationFrame(tick);
  return {
    el,
    stop: () => {
      stopped = true;
      cancelAnimationFrame(frame);
      source.disconnect();
      ctx.close().catch(() => {});
    },
  };
}

/** A short beep through the speakers. */
export async function playTone(seconds = 0.8) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  const ctx = new Ctx();
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = 660;
  gain.gain.setValueAtTime(0.0001, ctx.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + 0.05);
  gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + seconds);
  osc.connect(gain).connect(ctx.destination);
  await ctx.resume().catch(() => {});
  osc.start();
  osc.stop(ctx.currentTime + seconds);
  await new Promise((resolve) => {
    osc.onended = resolve;
  });
  await ctx.close().catch(() => {});
}

const inWeChat = () => /MicroMessenger/i.test(navigator.userAgent);

function helpFor(device, status) {
  if (status === 'denied') return [t(`live.help.denied.${device}`), inWeChat() ? t('live.help.denied.wechat') : null];
  if (status === 'missing' || status === 'busy') return [t(`live.help.${status}.${device}`)];
  return [];
}

/**
 * Run the device check inside `host`. `onDone({stream, camera, microphone, audioOnly})` is called
 * when the person goes on; camera/microphone are 'ok', 'off', 'denied', 'missing' or 'busy'.
 */
export class DeviceCheck {
  /**
   * @param {HTMLElement} host
   * @param {{
   *   onDone: (found: {stream: MediaStream, camera: string, microphone: string, audioOnly: boolean}) => void,
   *   connectingText?: string | null,
   * }} options
   */
  constructor(host, { onDone, connectingText = null }) {
    this.host = host;
    this.onDone = onDone;
    this.result = null;
    this.audioOnly = false;
    this.meter = null;
    this.playing = false;
    this.connecting = connectingText;
    this.video = h('video', { autoplay: true, playsinline: true, muted: true, class: 'preview mirrored', dataset: { testid: 'check-preview' } });
    this.video.muted = true;
  }

  async run() {
    this.release();
    this.result = null;
    this.render();
    // Only the camera and microphone are checked here; a browser without WebRTC is told so
    // after the check (pages/party.js, helpAfterDeviceCheck).
    if (!captureSupported()) {
      this.result = { stream: new MediaStream(), camera: 'missing', microphone: 'missing', unsupported: true };
      this.render();
      return;
    }
    this.result = await openDevices({ audio: true, video: true });
    this.render();
  }

  stop() {
    if (this.meter) this.meter.stop();
    this.meter = null;
  }

  /** Stop the devices too (leaving before going in). */
  release() {
    this.stop();
    if (this.result) for (const track of this.result.stream.getTracks()) track.stop();
  }

  setConnecting(text) {
    this.connecting = text;
    const el = this.host.querySelector('[data-testid="check-connecting"]');
    if (el) el.textContent = text || '';
  }

  statusLine(label, status, testid) {
    const shown = status || 'pending';
    return h(
      'p',
      { class: 'check-status' },
      h('strong', null, label),
      h('span', { class: ['badge', STATUS_KIND[shown] || 'warn'], dataset: { testid, status: shown } }, t(`check.status.${shown}`)),
    );
  }

  render() {
    const r = this.result;
    const camera = r ? (this.audioOnly && r.camera === 'ok' ? 'off' : r.camera) : null;
    const mic = r ? r.microphone : null;
    const videoTrack = r && !this.audioOnly ? r.stream.getVideoTracks()[0] : null;
    this.video.srcObject = videoTrack ? new MediaStream([videoTrack]) : null;
    if (!this.meter && r && mic === 'ok') this.meter = levelMeter(r.stream.getAudioTracks()[0]);

    const help = r ? [...helpFor('camera', r.camera), ...helpFor('microphone', r.microphone)].filter(Boolean) : [];
    if (r && r.unsupported) help.unshift(t('live.help.unsupported'));
    const usable = r && (mic === 'ok' || (camera === 'ok' && !this.audioOnly));

    const speaker = h(
      'button',
      { type: 'button', class: 'secondary big block', disabled: this.playing, dataset: { testid: 'speaker-test' } },
      this.playing ? t('check.speaker.playing') : t('check.speaker.play'),
    );
    speaker.addEventListener('click', async () => {
      this.playing = true;
      this.render();
      try {
        await playTone();
      } finally {
        this.playing = false;
        this.render();
        /** @type {HTMLElement | null} */ (this.host.querySelector('[data-testid="speaker-test"]'))?.focus();
      }
    });

    const audioOnly = h('input', { type: 'checkbox', id: 'check-audio-only', checked: this.audioOnly, dataset: { testid: 'audio-only-choice' } });
    audioOnly.addEventListener('change', () => {
      this.audioOnly = audioOnly.checked;
      this.render();
      /** @type {HTMLElement | null} */ (this.host.querySelector('#check-audio-only'))?.focus();
    });

    const retry = h('button', { type: 'button', class: 'secondary big block', onclick: () => this.run(), dataset: { testid: 'device-retry' } }, t('check.retry'));
    const go = h(
      'button',
      { type: 'button', class: 'primary big block', disabled: !r, dataset: { testid: 'device-continue' } },
      usable || !r ? t('check.continue') : t('check.continue.noav'),
    );
    go.addEventListener('click', () => {
      this.stop();
      const res = /** @type {any} */ (this.result); // the button is enabled only with a result
      const cameraStatus = this.audioOnly && res.camera === 'ok' ? 'off' : res.camera;
      if (this.audioOnly) for (const track of res.stream.getVideoTracks()) track.stop();
      this.onDone({ stream: res.stream, camera: cameraStatus, microphone: res.microphone, audioOnly: this.audioOnly });
    });

    replace(
      this.host,
      h(
        'section',
        { class: 'party-card device-check', 'aria-labelledby': 'check-title', dataset: { testid: 'device-check' } },
        h('h1', { id: 'check-title', tabindex: '-1' }, t('check.title')),
        h('p', null, t('check.intro')),
        !r ? h('p', { class: 'notice', role: 'status' }, t('check.opening')) : null,
        h(
          'div',
          { class: 'check-grid' },
          h(
            'div',
            { class: 'check-item' },
            this.statusLine(t('check.camera'), camera, 'camera-status'),
            h(
              'div',
              { class: ['preview-box', !videoTrack && 'empty'] },
              this.video,
              !videoTrack && r ? h('p', { class: 'preview-empty' }, t(camera === 'off' ? 'check.no_picture.off' : 'check.no_picture')) : null,
            ),
            camera === 'ok' ? h('p', { class: 'hint' }, t('check.camera.ok')) : null,
          ),
          h(
            'div',
            { class: 'check-item' },
            this.statusLine(t('check.microphone'), mic, 'mic-status'),
            mic === 'ok' && this.meter ? [this.meter.el, h('p', { class: 'hint' }, t('check.mic.ok'))] : null,
            h('p', { class: 'check-status' }, h('strong', null, t('check.speaker'))),
            speaker,
            h('p', { class: 'hint' }, t('check.speaker.hint')),
          ),
        ),
        help.length ? h('div', { class: 'check-help', role: 'alert', dataset: { testid: 'device-help' } }, help.map((text) => h('p', null, text))) : null,
        h('div', { class: 'field check big-check' }, audioOnly, h('label', { for: 'check-audio-only' }, t('check.audio_only'))),
        h('div', { class: 'check-actions' }, r && (r.camera !== 'ok' || r.microphone !== 'ok') ? retry : null, go),
        h('p', { class: 'muted', role: 'status', dataset: { testid: 'check-connecting' } }, this.connecting || ''),
      ),
    );
    if (videoTrack) this.video.play().catch(() => {});
  }
}
