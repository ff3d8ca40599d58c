// @ts-check
// The live session's media: the only module that knows RTCPeerConnection (and getUserMedia).
//
// One peer connection per participant, to the server. The server always offers; we answer
// (signaling/PROTOCOL.md, "Media"): revision 1 is a fresh connection whose three publish m-lines
// (audio, video, screen) we send on; later revisions add one m-line per track we may receive,
// named in the offer's `tracks` (mid → participant and kind). Switching the camera or a screen
// share on and off is `replaceTrack` on the publish m-line plus a `publish` event: no
// renegotiation. aiortc has no ICE restart, so a failed transport is mended by `media_start`
// again, which brings a new revision-1 offer.

const ICE_GATHER_MS = 2000;
const RESTART_GAP_MS = 3000;

/**
 * At least 640×480, 720p where the camera has it: enough to read an ID card held up to it, for
 * the mediator now and in the recording (the server forwards and records the frames as sent).
 */
export const CAMERA = {
  width: { min: 640, ideal: 1280 },
  height: { min: 480, ideal: 720 },
  frameRate: { ideal: 24, max: 30 },
  facingMode: 'user',
};
/** A camera that cannot give 640×480 at all (an old phone): whatever it has, rather than none. */
export const CAMERA_FALLBACK = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 }, facingMode: 'user' };
/** The smallest picture we send on a weak network (height): 640×480's. */
const MIN_HEIGHT = 480;
/** Below this estimate of the uplink (bit/s) a 720p camera is sent at 480 lines; above the second, in full again. */
const SCALE_DOWN_BPS = 700_000;
const SCALE_UP_BPS = 1_300_000;
const ADAPT_MS = 4000;
export const MICROPHONE = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** What a getUserMedia error means for a device: 'denied', 'missing' or 'busy'. */
export function deviceProblem(err) {
  const name = (err && err.name) || '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'denied';
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return 'busy';
  return 'missing'; // NotFoundError, OverconstrainedError, no mediaDevices at all
}

export const mediaSupported = () =>
  Boolean(window.RTCPeerConnection && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
/** The camera and microphone can be opened (the device check needs no more than this). */
export const captureSupported = () => Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
export const screenShareSupported = () => Boolean(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);

/**
 * Ask for the microphone and camera. Resolves {stream, microphone, camera} where each status
 * is 'ok', 'off' (not asked for), 'denied', 'missing' or 'busy'. Asks for both at once (one
 * permission prompt), then one by one to tell which of the two failed.
 */
/** getUserMedia with the camera at CAMERA, or at CAMERA_FALLBACK if this camera cannot meet its minimum. */
async function getMedia(audio, video) {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: audio && MICROPHONE, video: video && CAMERA });
  } catch (err) {
    if (!video || !err || (err.name !== 'OverconstrainedError' && err.name !== 'ConstraintNotSatisfiedError')) throw err;
    return navigator.mediaDevices.getUserMedia({ audio: audio && MICROPHONE, video: CAMERA_FALLBACK });
  }
}

export async function openDevices({ audio = true, video = true } = {}) {
  const result = { stream: new MediaStream(), microphone: audio ? 'missing' : 'off', camera: video ? 'missing' : 'off' };
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return result;
  if (!audio && !video) return result;
  try {
    const stream = await getMedia(audio, video);
    result.stream = stream;
    if (audio) result.microphone = stream.getAudioTracks().length ? 'ok' : 'missing';
    if (video) result.camera = stream.getVideoTracks().length ? 'ok' : 'missing';
    return result;
  } catch (err) {
    if (!(audio && video)) {
      const problem = deviceProblem(err);
      if (audio) result.microphone = problem;
      if (video) result.camera = problem;
      return result;
    }
  }
  // One of the two failed (refused, missing or busy): find out which. A refusal is remembered
  // by the browser for the page, so this asks no second time for what was just refused.
  for (const kind of ['audio', 'video']) {
    const key = kind === 'audio' ? 'microphone' : 'camera';
    try {
      const s = await getMedia(kind === 'audio', kind === 'video');
      for (const track of s.getTracks()) result.stream.addTrack(track);
      result[key] = 'ok';
    } catch (err) {
      result[key] = deviceProblem(err);
    }
  }
  return result;
}

/** A camera track that keeps its resolution under pressure (fewer frames, not fewer lines). */
function withDetail(track) {
  if (track && 'contentHint' in track) track.contentHint = 'detail';
  return track;
}

/** The server's word for a device status ('busy' is a device we cannot use: 'missing'). */
export const reportStatus = (status) => (status === 'busy' ? 'missing' : status);

function waitForIce(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((/** @type {(value?: unknown) => void} */ resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, ICE_GATHER_MS);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * A participant's media in the live session.
 *
 * Callbacks: onRemote({participantId, kind, track}) when a remote track arrives or changes,
 * onReset() when the peer connection is replaced (every remote track is gone), onState(state)
 * with the connection state ('new', 'connecting', 'connected', 'failed', 'closed'…), onLocal()
 * when the local tracks or switches changed, onError(err) for a failed negotiation.
 */
export class MediaSession {
  /**
   * @param {any} signaling
   * @param {{
   *   onRemote?: (entry: {participantId: string, kind: string, track: MediaStreamTrack}) => void, onReset?: () => void,
   *   onState?: (state: string) => void, onLocal?: () => void, onError?: (err: any) => void,
   * }} [callbacks]
   */
  constructor(signaling, { onRemote = () => {}, onReset = () => {}, onState = () => {}, onLocal = () => {}, onError = () => {} } = {}) {
    this.signaling = signaling;
    this.cb = { onRemote, onReset, onState, onLocal, onError };
    this.pc = null;
    this.mic = null;
    this.camera = null;
    this.screen = null;
    this.micOn = true;
    this.cameraOn = true;
    this.audioOnly = false;
    this.started = false;
    this.publishMids = {};
    this.mids = new Map(); // mid → {participantId, kind}
    this.remote = new Map(); // mid → {participantId, kind, track}
    this.queue = Promise.resolve();
    this.lastRestart = 0;
    this.adaptTimer = null;
    this.offs = [
      signaling.on('media_offer', (offer) => this.enqueue(() => this.answer(offer))),
      signaling.on('media_failed', () => this.restart()),
      signaling.on('disconnect', () => this.dropPeer()),
      signaling.on('reconnect', () => {
        if (this.started) this.start().catch((err) => this.cb.onError(err));
      }),
    ];
  }

  /** Take the device check's stream (the tracks become the session's microphone and camera). */
  useStream(stream, { micOn = true, cameraOn = true } = {}) {
    this.mic = stream.getAudioTracks()[0] || null;
    this.camera = withDetail(stream.getVideoTracks()[0] || null);
    this.micOn = Boolean(this.mic) && micOn;
    this.cameraOn = Boolean(this.camera) && cameraOn;
    if (this.mic) this.mic.enabled = this.micOn;
    if (this.camera && !this.cameraOn) {
      this.camera.stop();
      this.camera = null;
    }
    this.watchEnd(this.camera, () => this.setCamera(false));
    this.cb.onLocal();
  }

  watchEnd(track, fn) {
    if (track) track.addEventListener('ended', () => fn().catch(() => {}), { once: true });
  }

  get sending() {
    return { audio: Boolean(this.mic) && this.micOn, video: Boolean(this.camera) && this.cameraOn, screen: Boolean(this.screen) };
  }

  /** The camera/screen preview of oneself. */
  localVideoTrack() {
    return this.camera && this.cameraOn ? this.camera : null;
  }

  /** Open (or reopen) the peer connection with the server: a revision-1 offer follows. */
  async start() {
    this.started = true;
    const s = this.sending;
    try {
      await this.signaling.call('media_start', { audio: s.audio, video: s.video });
    } catch (err) {
      // The server takes at most one media_start a second per participant (PROTOCOL.md).
      if (err.code !== 'too_many_attempts') throw err;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await this.signaling.call('media_start', { audio: s.audio, video: s.video });
    }
    // A screen share survives a restart only if we say so again (media_start resets it).
    if (this.screen) await this.publish('screen', true).catch(() => {});
  }

  /** Transport failed on either side: a fresh peer connection, at most every few seconds. */
  restart() {
    if (!this.started || !this.signaling.connected) return;
    const now = Date.now();
    if (now - this.lastRestart < RESTART_GAP_MS) {
      setTimeout(() => this.restart(), RESTART_GAP_MS);
      return;
    }
    this.lastRestart = now;
    this.start().catch((err) => this.cb.onError(err));
  }

  enqueue(work) {
    this.queue = this.queue.then(work).catch((err) => this.cb.onError(err));
    return this.queue;
  }

  newPeer(offer) {
    this.dropPeer();
    const pc = new RTCPeerConnection({ iceServers: offer.ice_servers || [], bundlePolicy: 'max-bundle' });
    pc.addEventListener('track', (ev) => {
      const mid = ev.transceiver && ev.transceiver.mid;
      const info = mid != null && this.mids.get(mid);
      if (!info) return; // one of our own publish m-lines
      const entry = { ...info, track: ev.track };
      this.remote.set(mid, entry);
      this.cb.onRemote(entry);
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc !== this.pc) return;
      this.cb.onState(pc.connectionState);
      if (pc.connectionState === 'failed') this.restart();
    });
    this.pc = pc;
    this.cb.onState(pc.connectionState);
    clearInterval(this.adaptTimer);
    this.adaptTimer = setInterval(() => this.adapt().catch(() => {}), ADAPT_MS);
    return pc;
  }

  /**
   * 720p while the uplink carries it, 640×480 when it does not (never less: the camera track's
   * 'detail' hint makes the encoder drop frames rather than lines). The browser's own estimate of
   * the uplink (the nominated candidate pair's availableOutgoingBitrate) decides.
   */
  async adapt() {
    const sender = this.sender('video');
    const track = this.camera;
    if (!this.pc || !sender || !track || sender.track !== track) return;
    const height = (track.getSettings && track.getSettings().height) || 0;
    if (height <= MIN_HEIGHT) return;
    let available = null;
    (await this.pc.getStats()).forEach((r) => {
      if (r.type === 'candidate-pair' && r.nominated && typeof r.availableOutgoingBitrate === 'number') available = r.availableOutgoingBitrate;
    });
    if (available == null) return;
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) return;
    const current = params.encodings[0].scaleResolutionDownBy || 1;
    let want = current;
    if (available < SCALE_DOWN_BPS) want = height / MIN_HEIGHT;
    else if (available > SCALE_UP_BPS) want = 1;
    if (Math.abs(want - current) < 0.01) return;
    params.encodings[0].scaleResolutionDownBy = want;
    await sender.setParameters(params);
  }

  /** Close our side of the peer connection (the server closed its side, or we leave). */
  dropPeer() {
    clearInterval(this.adaptTimer);
    this.adaptTimer = null;
    if (!this.pc) return;
    const pc = this.pc;
    this.pc = null;
    this.mids.clear();
    this.remote.clear();
    pc.close();
    this.cb.onReset();
    this.cb.onState('closed');
  }

  async answer(offer) {
    if (offer.revision === 1 || !this.pc) this.newPeer(offer);
    const pc = /** @type {RTCPeerConnection} */ (this.pc);
    for (const t of offer.tracks || []) this.mids.set(t.mid, { participantId: t.participant_id, kind: t.kind });
    this.publishMids = offer.publish || {};
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    if (pc !== this.pc) return; // replaced meanwhile
    const own = { [this.publishMids.audio]: 'audio', [this.publishMids.video]: 'video', [this.publishMids.screen]: 'screen' };
    for (const transceiver of pc.getTransceivers()) {
      const kind = own[transceiver.mid];
      if (!kind) continue;
      transceiver.direction = 'sendonly';
      const track = this.trackFor(kind);
      if (transceiver.sender.track !== track) await transceiver.sender.replaceTrack(track);
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await waitForIce(pc);
    if (pc !== this.pc) return;
    const sdp = /** @type {RTCSessionDescription} */ (pc.localDescription).sdp;
    // The connection echoed: the server's next connection counts its offers from 1 again.
    await this.signaling.call('media_answer', { revision: offer.revision, connection: offer.connection, sdp });
  }

  trackFor(kind) {
    if (kind === 'audio') return this.mic;
    if (kind === 'video') return this.cameraOn ? this.camera : null;
    return this.screen;
  }

  sender(kind) {
    const mid = this.publishMids[kind];
    if (!this.pc || mid == null) return null;
    const transceiver = this.pc.getTransceivers().find((t) => t.mid === mid);
    return transceiver ? transceiver.sender : null;
  }

  async swap(kind) {
    const sender = this.sender(kind);
    if (sender) await sender.replaceTrack(this.trackFor(kind));
  }

  async publish(kind, on) {
    if (!this.started || !this.signaling.connected) return null;
    return this.signaling.call('publish', { kind, on });
  }

  /** Microphone on/off: the track keeps running (no new permission prompt), muted when off. */
  async setMic(on) {
    if (!this.mic) {
      if (!on) return;
      const got = await openDevices({ audio: true, video: false });
      if (got.microphone !== 'ok') throw Object.assign(new Error('microphone'), { status: got.microphone });
      this.mic = got.stream.getAudioTracks()[0];
      await this.swap('audio');
    }
    this.micOn = on;
    this.mic.enabled = on;
    this.cb.onLocal();
    await this.publish('audio', on);
  }

  /** Camera on/off: off stops the camera (its light goes out); on asks for it again. */
  async setCamera(on) {
    if (on && !this.camera) {
      const got = await openDevices({ audio: false, video: true });
      if (got.camera !== 'ok') throw Object.assign(new Error('camera'), { status: got.camera });
      this.camera = withDetail(got.stream.getVideoTracks()[0]);
      this.watchEnd(this.camera, () => this.setCamera(false));
    }
    this.cameraOn = on;
    if (!on && this.camera) {
      this.camera.stop();
      this.camera = null;
    }
    await this.swap('video');
    this.cb.onLocal();
    await this.publish('video', on);
  }

  /** Share the screen (or a window): the browser asks which. */
  async startScreen() {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 10, max: 15 } }, audio: false });
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    if ('contentHint' in track) track.contentHint = 'detail';
    this.stopScreenTrack();
    this.screen = track;
    // The browser's own "Stop sharing" ends the track.
    this.watchEnd(track, () => (this.screen === track ? this.stopScreen() : Promise.resolve()));
    await this.swap('screen');
    this.cb.onLocal();
    try {
      await this.publish('screen', true);
    } catch (err) {
      await this.stopScreen().catch(() => {});
      throw err;
    }
  }

  stopScreenTrack() {
    if (this.screen) {
      this.screen.stop();
      this.screen = null;
    }
  }

  async stopScreen() {
    this.stopScreenTrack();
    await this.swap('screen');
    this.cb.onLocal();
    await this.publish('screen', false);
  }

  /** Receive audio only (no video or screen from others): saves data on a weak connection. */
  async setAudioOnly(on) {
    await this.signaling.call('audio_only', { on });
    this.audioOnly = on;
    this.cb.onLocal();
  }

  /** The host switched one of our kinds off: follow on our side too. */
  async mutedByHost(kind) {
    if (kind === 'audio' && this.mic) {
      this.micOn = false;
      this.mic.enabled = false;
    } else if (kind === 'video') {
      this.cameraOn = false;
      if (this.camera) {
        this.camera.stop();
        this.camera = null;
      }
      await this.swap('video');
    } else if (kind === 'screen') {
      this.stopScreenTrack();
      await this.swap('screen');
    }
    this.cb.onLocal();
  }

  /** The remote track of a participant's kind, if one has arrived. */
  remoteTrack(participantId, kind) {
    for (const entry of this.remote.values()) {
      if (entry.participantId === participantId && entry.kind === kind) return entry.track;
    }
    return null;
  }

  /**
   * How much sound each person's received audio has carried so far, by participant: the browser's
   * own measure of the decoded audio (W3C webrtc-stats, RTCInboundRtpStreamStats.totalAudioEnergy
   * and totalSamplesDuration), read locally, so the server does nothing for it. The speaking
   * indicator (speaking.js) reads how much it grows between two looks.
   * @returns {Promise<Map<string, {energy: number, duration: number}>>}
   */
  async audioEnergy() {
    /** @type {Map<string, {energy: number, duration: number}>} */
    const out = new Map();
    const pc = this.pc;
    /** @type {Map<string, string>} a received audio track's id (the stats' trackIdentifier) → its participant */
    const byTrack = new Map();
    for (const entry of this.remote.values()) if (entry.kind === 'audio') byTrack.set(entry.track.id, entry.participantId);
    if (!pc || !byTrack.size) return out;
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'audio') return;
      const pid = byTrack.get(r.trackIdentifier) || (r.mid != null && this.mids.get(r.mid)?.participantId);
      if (pid && typeof r.totalAudioEnergy === 'number' && typeof r.totalSamplesDuration === 'number') {
        out.set(pid, { energy: r.totalAudioEnergy, duration: r.totalSamplesDuration });
      }
    });
    return out;
  }

  /** Leave: close the connection and stop every device. */
  close() {
    this.started = false;
    for (const off of this.offs) off();
    this.dropPeer();
    for (const track of [this.mic, this.camera, this.screen]) if (track) track.stop();
    this.mic = this.camera = this.screen = null;
  }
}
