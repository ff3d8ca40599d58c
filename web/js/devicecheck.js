// @ts-check
// The party's device check before the waiting room: camera preview, microphone level,
// a test tone for the speaker, plain help when permission is refused or a device is missing,
// and the voice-only choice. Resolves with what it found; the stream goes on into the session.
// Drawn with Preact + htm into the host the page gives: a redraw keeps the preview playing and the focus.

import { html } from 'htm/preact';
import { render as draw } from 'preact'; // preact's own takes a list of nodes too
import { useLayoutEffect, useRef } from 'preact/hooks';
import { t } from './i18n.js';
import './live-i18n.js';
import { Player } from './room-tiles.js';
import { openDevices, captureSupported } from './rtc.js';

const STATUS_KIND = { ok: 'ok', off: 'muted', pending: 'muted' };

/**
 * A level meter on a microphone track (Web Audio AnalyserNode). Returns {show, stop}: `show(draw)`
 * has each level (0…100) drawn, `announce` true about four times a second.
 * @param {MediaStreamTrack | undefined} track
 * @returns {{ show: (draw: (level: number, announce: boolean) => void) => void, stop: () => void }}
 */
export function levelMeter(track) {
  /** @type {(level: number, announce: boolean) => void} */
  let draw = () => {};
  const show = (/** @type {(level: number, announce: boolean) => void} */ fn) => {
    draw = fn;
  };
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx || !track) return { show, stop: () => {} };
  const ctx = new Ctx();
  const source = ctx.createMediaStreamSource(new MediaStream([track]));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  let frame = 0;
  let last = 0;
  let stopped = false;
  const tick = (/** @type {number} */ now) => {
    if (stopped) return;
    analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const x of data) sum += x * x;
    const rms = Math.sqrt(sum / data.length);
    // Speech sits around -30…-10 dBFS: map -60…0 dB onto the bar.
    const level = Math.max(0, Math.min(100, Math.round(((20 * Math.log10(rms + 1e-9) + 60) / 60) * 100)));
    const announce = now - last > 250;
    if (announce) last = now;
    draw(level, announce);
    frame = requestAnimationFrame(tick);
  };
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  frame = requestAnimationFrame(tick);
  return {
    show,
    stop: () => {
      stopped = true;
      cancelAnimationFrame(frame);
      source.disconnect();
      ctx.close().catch(() => {});
    },
  };
}

/**
 * The meter's bar. Each frame's level is written straight to the elements (not a redraw per frame);
 * Preact leaves those attributes alone, since what it drew of them does not change.
 * @param {{ meter: ReturnType<typeof levelMeter> }} props
 */
function Meter({ meter }) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  const bar = useRef(/** @type {HTMLSpanElement | null} */ (null));
  useLayoutEffect(() => {
    meter.show((level, announce) => {
      if (bar.current) bar.current.style.width = `${level}%`;
      if (announce && box.current) {
        box.current.setAttribute('aria-valuenow', String(level));
        box.current.dataset.level = String(level);
      }
    });
    return () => meter.show(() => {});
  }, [meter]);
  return html`<div class="meter" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0" aria-label=${t('check.mic.level')} data-testid="mic-meter"
    ref=${box}><span class="meter-bar" ref=${bar}></span></div>`;
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
    this.done = false; // gone on: the stream is the session's now
    /** The preview's <video> (room-tiles.js's Player keeps it across redraws). @type {Set<HTMLMediaElement>} */
    this.players = new Set();
  }

  async run() {
    this.release();
    this.done = false;
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
    if (!this.done && this.host.isConnected) this.render();
  }

  statusLine(label, status, testid) {
    const shown = status || 'pending';
    return html`<p class="check-status">
      <strong>${label}</strong><span class=${`badge ${STATUS_KIND[shown] || 'warn'}`} data-testid=${testid} data-status=${shown}>${t(`check.status.${shown}`)}</span>
    </p>`;
  }

  async testSpeaker() {
    this.playing = true;
    this.render();
    try {
      await playTone();
    } finally {
      this.playing = false;
      this.render();
      /** @type {HTMLElement | null} */ (this.host.querySelector('[data-testid="speaker-test"]'))?.focus();
    }
  }

  /** Go on with what was found (the button is enabled only with a result). */
  goOn() {
    this.stop();
    this.done = true;
    const res = /** @type {any} */ (this.result);
    const cameraStatus = this.audioOnly && res.camera === 'ok' ? 'off' : res.camera;
    if (this.audioOnly) for (const track of res.stream.getVideoTracks()) track.stop();
    this.onDone({ stream: res.stream, camera: cameraStatus, microphone: res.microphone, audioOnly: this.audioOnly });
  }

  /** Draw the check into its host (Preact: the preview keeps playing, focus stays where it is). */
  render() {
    const r = this.result;
    const camera = r ? (this.audioOnly && r.camera === 'ok' ? 'off' : r.camera) : null;
    const mic = r ? r.microphone : null;
    const videoTrack = (r && !this.audioOnly ? r.stream.getVideoTracks()[0] : null) || null;
    if (!this.meter && r && mic === 'ok' && !this.done) this.meter = levelMeter(r.stream.getAudioTracks()[0]);

    const help = r ? [...helpFor('camera', r.camera), ...helpFor('microphone', r.microphone)].filter(Boolean) : [];
    if (r && r.unsupported) help.unshift(t('live.help.unsupported'));
    const usable = r && (mic === 'ok' || (camera === 'ok' && !this.audioOnly));
    /** @param {Event} ev */
    const audioOnly = (ev) => {
      this.audioOnly = /** @type {HTMLInputElement} */ (ev.currentTarget).checked;
      this.render();
    };

    draw(
      html`<section class="party-card device-check" aria-labelledby="check-title" data-testid="device-check">
        <h1 id="check-title" tabindex="-1">${t('check.title')}</h1>
        <p>${t('check.intro')}</p>
        ${!r ? html`<p class="notice" role="status">${t('check.opening')}</p>` : null}
        <div class="check-grid">
          <div class="check-item">
            ${this.statusLine(t('check.camera'), camera, 'camera-status')}
            <div class=${videoTrack ? 'preview-box' : 'preview-box empty'}>
              <${Player} tag="video" track=${videoTrack} players=${this.players} attrs=${{ class: 'preview mirrored', 'data-testid': 'check-preview' }} />
              ${!videoTrack && r ? html`<p class="preview-empty">${t(camera === 'off' ? 'check.no_picture.off' : 'check.no_picture')}</p>` : null}
            </div>
            ${camera === 'ok' ? html`<p class="hint">${t('check.camera.ok')}</p>` : null}
          </div>
          <div class="check-item">
            ${this.statusLine(t('check.microphone'), mic, 'mic-status')}
            ${mic === 'ok' && this.meter ? html`<${Meter} meter=${this.meter} /><p class="hint">${t('check.mic.ok')}</p>` : null}
            <p class="check-status"><strong>${t('check.speaker')}</strong></p>
            <button type="button" class="secondary big block" disabled=${this.playing} data-testid="speaker-test" onClick=${() => this.testSpeaker()}>
              ${this.playing ? t('check.speaker.playing') : t('check.speaker.play')}
            </button>
            <p class="hint">${t('check.speaker.hint')}</p>
          </div>
        </div>
        ${help.length ? html`<div class="check-help" role="alert" data-testid="device-help">${help.map((text) => html`<p>${text}</p>`)}</div>` : null}
        <div class="field check big-check">
          <input type="checkbox" id="check-audio-only" checked=${this.audioOnly} data-testid="audio-only-choice" onChange=${audioOnly} />
          <label for="check-audio-only">${t('check.audio_only')}</label>
        </div>
        <div class="check-actions">
          ${r && (r.camera !== 'ok' || r.microphone !== 'ok')
            ? html`<button type="button" class="secondary big block" data-testid="device-retry" onClick=${() => this.run()}>${t('check.retry')}</button>`
            : null}
          <button type="button" class="primary big block" disabled=${!r} data-testid="device-continue" onClick=${() => this.goOn()}>
            ${usable || !r ? t('check.continue') : t('check.continue.noav')}
          </button>
        </div>
        <p class="muted" role="status" data-testid="check-connecting">${this.connecting || ''}</p>
      </section>`,
      this.host,
    );
  }
}
