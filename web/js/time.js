// @ts-check
// Time-zone arithmetic with nothing but Intl.
//
// Dates the user picks ("2026-12-01", "10:00") are wall times in a named IANA zone; the API
// wants an ISO 8601 instant with the offset that zone has at that moment. Plain `Date` only
// knows UTC and the browser's own zone, so we read wall times back through Intl and iterate.

/** @type {Map<string, Intl.DateTimeFormat>} */
const formatters = new Map();

/** @param {string} timeZone */
function wallFormatter(timeZone) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** @type {Record<string, number>} */
const WEEKDAYS = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/**
 * True when `timeZone` is a zone this browser knows.
 * @param {string | null | undefined} timeZone
 * @returns {boolean}
 */
export function isValidTimeZone(timeZone) {
  if (!timeZone) return false;
  try {
    wallFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The browser's own zone, for when nothing better is known. */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Shanghai';
  } catch {
    return 'Asia/Shanghai';
  }
}

/**
 * Wall-clock fields of `date` in `timeZone`; weekday is 0 for Monday … 6 for Sunday.
 * @param {Date | number} date
 * @param {string} timeZone
 */
export function wallParts(date, timeZone) {
  /** @type {Record<string, string>} */
  const parts = {};
  for (const p of wallFormatter(timeZone).formatToParts(date)) parts[p.type] = p.value;
  const hour = Number(parts.hour) % 24;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday],
  };
}

/**
 * Offset of `timeZone` from UTC at instant `date`, in milliseconds (east positive).
 * @param {Date} date
 * @param {string} timeZone
 */
export function offsetMs(date, timeZone) {
  const p = wallParts(date, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const instant = Math.floor(date.getTime() / 1000) * 1000;
  return asUtc - instant;
}

/**
 * @param {string} dateStr
 * @returns {[number, number, number]}
 */
function parseDate(dateStr) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateStr || '');
  if (!m) throw new RangeError(`Not a date: ${dateStr}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * @param {string} timeStr
 * @returns {[number, number, number]}
 */
function parseTime(timeStr) {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(timeStr || '');
  if (!m) throw new RangeError(`Not a time: ${timeStr}`);
  return [Number(m[1]), Number(m[2]), Number(m[3] || 0)];
}

/**
 * The UTC instant whose wall time in `timeZone` is `dateStr` `timeStr`.
 * For a wall time skipped by a daylight-saving jump, the instant just after the jump is used;
 * for a repeated wall time, the earlier one.
 * @param {string} dateStr
 * @param {string} timeStr
 * @param {string} timeZone
 */
export function zonedToUtc(dateStr, timeStr, timeZone) {
  const [y, mo, d] = parseDate(dateStr);
  const [h, mi, s] = parseTime(timeStr);
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const matches = (/** @type {number} */ t) => {
    const p = wallParts(new Date(t), timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) === wall;
  };
  // Offsets around the wanted wall time: try both sides of a possible transition.
  const offsets = new Set([
    offsetMs(new Date(wall - 36e5 * 24), timeZone),
    offsetMs(new Date(wall), timeZone),
    offsetMs(new Date(wall + 36e5 * 24), timeZone),
  ]);
  const candidates = [...offsets].map((o) => wall - o).sort((a, b) => a - b);
  const exact = candidates.find(matches);
  if (exact !== undefined) return new Date(exact);
  // In a gap: shift forward by the jump (wall - smaller offset gives the later instant).
  return new Date(candidates[candidates.length - 1]);
}

const pad = (/** @type {number} */ n, w = 2) => String(Math.abs(n)).padStart(w, '0');

/**
 * "+08:00" style offset of `timeZone` at `date`.
 * @param {Date} date
 * @param {string} timeZone
 */
export function offsetString(date, timeZone) {
  const minutes = Math.round(offsetMs(date, timeZone) / 60000);
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/**
 * ISO 8601 with the zone's offset, e.g. "2026-12-01T10:00:00+08:00", for a local wall time.
 * @param {string} dateStr
 * @param {string} timeStr
 * @param {string} timeZone
 */
export function localToIso(dateStr, timeStr, timeZone) {
  const instant = zonedToUtc(dateStr, timeStr, timeZone);
  const p = wallParts(instant, timeZone);
  return (
    `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    offsetString(instant, timeZone)
  );
}

/**
 * "YYYY-MM-DD" of `date` in `timeZone`.
 * @param {Date | number} date
 * @param {string} timeZone
 */
export function dateIn(date, timeZone) {
  const p = wallParts(date, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/**
 * "HH:MM" of `date` in `timeZone`.
 * @param {Date | number} date
 * @param {string} timeZone
 */
export function timeIn(date, timeZone) {
  const p = wallParts(date, timeZone);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/**
 * Today's date in `timeZone`.
 * @param {string} timeZone
 */
export function todayIn(timeZone) {
  return dateIn(new Date(), timeZone);
}

/**
 * Plain calendar arithmetic on "YYYY-MM-DD" strings.
 * @param {string} dateStr
 * @param {number} days
 */
export function addDays(dateStr, days) {
  const [y, m, d] = parseDate(dateStr);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/**
 * 0 for Monday … 6 for Sunday.
 * @param {string} dateStr
 */
export function weekdayOf(dateStr) {
  const [y, m, d] = parseDate(dateStr);
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

/**
 * The Monday on or before `dateStr`.
 * @param {string} dateStr
 */
export function startOfWeek(dateStr) {
  return addDays(dateStr, -weekdayOf(dateStr));
}

/**
 * A Date at noon UTC of a calendar date: safe to format with timeZone 'UTC'.
 * @param {string} dateStr
 */
export function calendarDate(dateStr) {
  const [y, m, d] = parseDate(dateStr);
  return new Date(Date.UTC(y, m - 1, d, 12));
}

/**
 * Minutes since midnight of `date` in `timeZone`.
 * @param {Date | number} date
 * @param {string} timeZone
 */
export function minutesOfDay(date, timeZone) {
  const p = wallParts(date, timeZone);
  return p.hour * 60 + p.minute;
}
