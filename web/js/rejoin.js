// @ts-check
// A party who reloads the page (or reopens their link) during the session goes straight back to
// the room: their device check is remembered on this device for that session, and forgotten when
// they leave, are removed, or the session ends. Kept apart from partylive.js so that the party
// page can decide before it loads the live room's code.

/** How long after the booked end a remembered check still counts (sessions run late). */
const AFTER_END_MS = 3 * 60 * 60 * 1000;

/** @param {{session: {id: string}, party: {id: string}}} data */
const keyOf = (data) => `mediate.live.${data.session.id}.${data.party.id}`;

/**
 * Remember that this party passed the device check for this session.
 * @param {{session: {id: string, ends_at: string}, party: {id: string}}} data the /party/me answer
 * @param {{audioOnly: boolean, camera: string, microphone: string}} found what the check found
 */
export function rememberCheck(data, found) {
  const until = Date.parse(data.session.ends_at) + AFTER_END_MS;
  try {
    localStorage.setItem(keyOf(data), JSON.stringify({ audioOnly: Boolean(found.audioOnly), camera: found.camera, microphone: found.microphone, until }));
  } catch {
    /* storage may be blocked (private mode): the check is simply asked again */
  }
}

/**
 * The remembered check for this session, or null.
 * @param {{session: {id: string}, party: {id: string}}} data
 * @returns {{audioOnly: boolean, camera: string, microphone: string, until: number} | null}
 */
export function rememberedCheck(data) {
  try {
    const raw = localStorage.getItem(keyOf(data));
    if (!raw) return null;
    const saved = JSON.parse(raw);
    if (!saved || typeof saved.until !== 'number' || saved.until < Date.now()) {
      localStorage.removeItem(keyOf(data));
      return null;
    }
    return saved;
  } catch {
    return null;
  }
}

/** @param {{session: {id: string}, party: {id: string}}} data */
export function forgetCheck(data) {
  try {
    localStorage.removeItem(keyOf(data));
  } catch {
    /* nothing to forget */
  }
}
