// @ts-check
// Who is speaking now, for the tiles' speaking indicator (#25: "the browsers show a phone tile with
// the caller's name and a speaking indicator"; the same for everyone else one hears). Worked out in
// each browser from the sound it receives: a few times a second the meter asks the media session how
// much sound each person's audio has carried (rtc.js audioEnergy), and a person whose level over the
// last look is above SPEAKING_LEVEL is speaking. The server does no work for it, per frame or other.
//
// It must not flicker: speech has short pauses between words, and an indicator that went off in each
// would blink. A person stays "speaking" until HOLD_MS have passed without sound above the level.

/** How often the meter looks (ms). */
export const POLL_MS = 250;
/** How long a person stays shown as speaking after their last sound above the level (ms). */
export const HOLD_MS = 800;
/**
 * The level (root mean square of the browser's audio level, 0 to 1, 1 being full scale) above which a
 * person is speaking: about -34 dBFS. Speech into a phone or a headset is well above it; a room's
 * hum after the sender's noise suppression, and a phone line's silence, are below it.
 */
export const SPEAKING_LEVEL = 0.02;

/** @typedef {{ energy: number, duration: number }} Energy */

/**
 * The level of the sound between two looks at a track's energy: null when there is nothing to compare
 * (the first look, or counts that started again with a new connection).
 * @param {Energy | undefined} before @param {Energy} now
 */
export function levelBetween(before, now) {
  if (!before || now.duration <= before.duration || now.energy < before.energy) return null;
  return Math.sqrt((now.energy - before.energy) / (now.duration - before.duration));
}

export class SpeakingMeter {
  /**
   * @param {{ audioEnergy: () => Promise<Map<string, Energy>> }} source the media session (rtc.js)
   * @param {() => void} onChange called when who is speaking changed (then read `speaking`)
   */
  constructor(source, onChange) {
    this.source = source;
    this.onChange = onChange;
    /** Who is speaking now, by participant id. @type {Set<string>} */
    this.speaking = new Set();
    /** @type {Map<string, Energy>} each track's energy at the last look */
    this.last = new Map();
    /** @type {Map<string, number>} when each person was last heard above the level (performance.now()) */
    this.heard = new Map();
    this.looking = false;
    this.warned = false;
    this.timer = setInterval(() => this.look(), POLL_MS);
  }

  /** Whether `participantId` is speaking now. @param {string} participantId */
  has(participantId) {
    return this.speaking.has(participantId);
  }

  async look() {
    if (this.looking) return; // a slow getStats: the next look waits for this one
    this.looking = true;
    try {
      const energy = await this.source.audioEnergy();
      const now = performance.now();
      for (const [pid, e] of energy) {
        const level = levelBetween(this.last.get(pid), e);
        if (level != null && level >= SPEAKING_LEVEL) this.heard.set(pid, now);
      }
      this.last = energy;
      // Someone whose sound is no longer received (left, muted, the connection replaced) is not speaking.
      for (const pid of [...this.heard.keys()]) if (!energy.has(pid) || now - (this.heard.get(pid) ?? 0) >= HOLD_MS) this.heard.delete(pid);
      const speaking = new Set(this.heard.keys());
      if (speaking.size !== this.speaking.size || [...speaking].some((pid) => !this.speaking.has(pid))) {
        this.speaking = speaking;
        this.onChange();
      }
    } catch (err) {
      if (!this.warned) console.warn('could not read the received sound levels', err);
      this.warned = true;
    } finally {
      this.looking = false;
    }
  }

  stop() {
    clearInterval(this.timer);
    if (this.speaking.size) {
      this.speaking = new Set();
      this.onChange();
    }
  }
}
