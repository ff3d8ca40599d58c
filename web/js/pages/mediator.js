// @ts-check
// /mediator: the mediator's dashboard — schedule (day/week), cases, the window's registration form, availability.
// The page's <main> is drawn with Preact + htm, as the court's pages are: every section is a
// component drawn from the page's store (`store`: what the API answered, and what the mediator has
// typed into each form), and `draw()` redraws them all when something arrives or changes, or the
// language does, keeping what was typed, the caret and the focus (the same elements stay).

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import {
  t,
  tv,
  fmtDayHeader,
  fmtDayLong,
  fmtTimeRange,
  fmtShortDateTime,
  fmtAmount,
  tzName,
  tzOptionLabel,
  weekdayName,
} from '../i18n.js';
import '../mediator-i18n.js';
import { IncomingReferrals, IncomingSection } from '../referrals.js';
import { extendedLine } from '../extensions.js';
import { IncomingApplications, ApplicationsSection } from '../applications.js';
import { MyEntry, MyEntrySection } from '../profile.js';
import '../case-i18n.js';
import { RegistrationForm, registrationState, sourceWords } from '../registration.js';
import { addDays, startOfWeek, todayIn, zonedToUtc, dateIn, minutesOfDay, isValidTimeZone, browserTimeZone } from '../time.js';
import { h, replace, errorMessage, errorState, toast, initStaffPage, staffHeader, skipLink } from '../ui.js';
import { Part, Section, Field, FormMessage, badge, empty, formErrors, loadError, loading, noErrors, staffFrame } from '../ui-preact.js';
import { StatsLinks } from '../stats.js';

/** @typedef {import('../ui-preact.js').FormErrors} Errors */

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML

/** The page's <main>, where Preact draws. */
let root = /** @type {HTMLElement | null} */ (null);

/** A window of the weekly hours being edited (`key`: which one it is while its times change). */
/** @typedef {{ key: number, weekday: number, start: string, end: string }} Window */

/** An exception's form as it starts, and again once one is added. */
const EXCEPTION = { date: '', available: 'false', allday: true, start: '09:00', end: '12:00', reason: '' };
const EXCEPTION_NAMES = ['date', 'available', 'allday', 'start', 'end', 'reason'];

let windowKeys = 0;

/**
 * What the API answered (its JSON as it came), how each part is loading, and what the mediator typed.
 * A form's `errors` is said when drawn (so a change of language says it again in the other).
 */
const store = {
  user: /** @type {any} */ (null),
  tz: 'Asia/Shanghai',
  meta: /** @type {any} */ (null),
  view: /** @type {'day' | 'week' | null} */ (null),
  anchor: '', // "YYYY-MM-DD" in the user's zone (today, set by main() before the first draw)
  sessions: { status: 'loading', items: /** @type {any[]} */ ([]), error: /** @type {any} */ (null), key: '' },
  cases: new Part(fetchCases, draw),
  avail: new Part(fetchAvailability, draw),
  // /mediator#availability (linked from a booking refused as outside the hours) opens it.
  availOpen: false,
  registration: registrationState(), // the window's registration form (registration.js)
  weekly: {
    timezone: '',
    windows: /** @type {Window[]} */ ([]),
    bad: /** @type {Set<number>} */ (new Set()), // the windows that end before they start
    busy: false,
    errors: /** @type {null | (() => Errors)} */ (null),
  },
  exception: { ...EXCEPTION, busy: false, errors: /** @type {null | (() => Errors)} */ (null) },
  deleting: /** @type {Set<string>} */ (new Set()), // the exceptions being deleted
  referrals: /** @type {IncomingReferrals | null} */ (null), // referrals awaiting my organisation's decision (#21)
  applications: /** @type {IncomingApplications | null} */ (null), // parties' online applications awaiting our answer (#21)
  entry: /** @type {MyEntry | null} */ (null), // my entry in the directory of mediators (#21)
};

/** Redraw the page from the store (synchronously: focus can be set right after). */
function draw() {
  if (!root) return;
  document.title = `${t(store.user.role === 'judge' ? 'med.judge.title' : 'med.title')} · ${t('app.name')}`;
  render(html`<${Dashboard} />`, root);
}

/** @param {...(string | false | null | undefined)} names */
const cls = (...names) => names.filter(Boolean).join(' ');

/** @param {null | (() => Errors)} errors */
const said = (errors) => (errors ? errors() : noErrors());

/** @param {HTMLFormElement} form */
function focusFirstInvalid(form) {
  /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))?.focus();
}

const narrow = () => window.matchMedia('(max-width: 719px)').matches;

// ------------------------------------------------------------------ schedule

function range() {
  if (store.view === 'week') return { start: startOfWeek(store.anchor), days: 7 };
  return { start: store.anchor, days: 1 };
}

async function loadSessions() {
  const { start, days } = range();
  const key = `${start}/${days}`;
  store.sessions = { ...store.sessions, status: 'loading', key };
  draw();
  const from = zonedToUtc(start, '00:00', store.tz).toISOString();
  const to = zonedToUtc(addDays(start, days), '00:00', store.tz).toISOString();
  try {
    const data = await api.listSessions(from, to);
    if (store.sessions.key !== key) return; // the user moved on meanwhile
    store.sessions = { status: 'ready', items: data.items || [], error: null, key };
  } catch (err) {
    if (store.sessions.key !== key) return;
    store.sessions = { status: 'error', items: [], error: err, key };
  }
  draw();
}

/** @param {'day' | 'week'} view */
function setView(view) {
  if (store.view === view) return;
  store.view = view;
  try {
    localStorage.setItem('mediator.view', view);
  } catch {
    /* ignore */
  }
  loadSessions();
}

/** @param {number} n days or weeks (as shown) forward, back if negative */
function step(n) {
  store.anchor = addDays(store.anchor, n * (store.view === 'week' ? 7 : 1));
  loadSessions();
}

function sessionsOn(dateStr) {
  return store.sessions.items
    .filter((s) => dateIn(new Date(s.starts_at), store.tz) === dateStr)
    .sort((a, b) => a.starts_at.localeCompare(b.starts_at));
}

function partyNames(s) {
  return (s.parties || []).map((p) => p.name).join('、');
}

/**
 * @param {any} s
 * @param {{compact?: boolean, style?: Record<string, string>}} [options]
 */
function sessionLink(s, { compact = false, style } = {}) {
  const cancelled = s.status === 'cancelled';
  const time = fmtTimeRange(s.starts_at, s.ends_at, store.tz);
  const names = partyNames(s);
  const minutes = (Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 60000;
  return html`<a
    class=${cls('session-item', cancelled && 'cancelled', compact && 'compact', compact && minutes < 90 && 'short', compact && minutes < 45 && 'tiny')}
    href=${`/cases/${encodeURIComponent(s.case_id)}`}
    style=${style}
    title=${[time, s.case_number, names].filter(Boolean).join(' · ')}
    data-testid="session-item"
  >
    <span class="session-time">${time}</span>
    <span class="session-case">${s.case_number}</span>
    ${names ? html`<span class="session-parties">${names}</span>` : null}
    ${cancelled ? badge(tv('status', 'cancelled'), 'muted') : null}
  </a>`;
}

const HOUR_PX = 64;

function weekView() {
  const start = startOfWeek(store.anchor);
  const today = todayIn(store.tz);
  const days = Array.from({ length: 7 }, (_, i) => addDays(start, i));
  // The hours shown: 08:00–18:00, widened to fit every session of the week.
  let first = 8 * 60;
  let last = 18 * 60;
  for (const s of store.sessions.items) {
    const a = minutesOfDay(new Date(s.starts_at), store.tz);
    const b = a + (new Date(s.ends_at).getTime() - new Date(s.starts_at).getTime()) / 60000;
    first = Math.min(first, Math.floor(a / 60) * 60);
    last = Math.max(last, Math.min(24 * 60, Math.ceil(b / 60) * 60));
  }
  const height = ((last - first) / 60) * HOUR_PX;
  const hours = [];
  for (let m = first; m < last; m += 60) hours.push(m);
  const slot = (s) => {
    const a = minutesOfDay(new Date(s.starts_at), store.tz);
    const dur = (new Date(s.ends_at).getTime() - new Date(s.starts_at).getTime()) / 60000;
    return sessionLink(s, { compact: true, style: { top: `${((a - first) / 60) * HOUR_PX}px`, height: `${Math.max(28, (dur / 60) * HOUR_PX - 2)}px` } });
  };
  return html`<div class="week" data-testid="week-view">
    <div class="week-hours" aria-hidden="true" style=${{ height: `${height}px` }}>
      ${hours.map((m) => html`<span style=${{ top: `${((m - first) / 60) * HOUR_PX}px` }}>${`${String(m / 60).padStart(2, '0')}:00`}</span>`)}
    </div>
    ${days.map((d) => {
      const items = sessionsOn(d);
      return html`<section key=${d} class=${cls('week-col', d === today && 'today')} aria-label=${fmtDayLong(d)}>
        <h3 class="week-day">${fmtDayHeader(d)}</h3>
        <div class="week-slots" style=${{ height: `${height}px`, backgroundSize: `100% ${HOUR_PX}px` }}>
          ${items.length ? items.map(slot) : html`<p class="none-day">${t('med.sessions.none_day')}</p>`}
        </div>
      </section>`;
    })}
  </div>`;
}

function dayView() {
  const items = sessionsOn(store.anchor);
  if (!items.length) return empty(t('med.sessions.empty_day'));
  return html`<ul class="day-list" data-testid="day-view">${items.map((s) => html`<li key=${s.id}>${sessionLink(s)}</li>`)}</ul>`;
}

function Schedule() {
  const isWeek = store.view === 'week';
  const { start, days } = range();
  const label = isWeek ? `${fmtDayHeader(start)} – ${fmtDayHeader(addDays(start, days - 1))}` : fmtDayLong(store.anchor);
  const s = store.sessions;
  const toggle = (/** @type {'day' | 'week'} */ view) =>
    html`<button type="button" class=${cls('toggle', store.view === view && 'on')} aria-pressed=${String(store.view === view)} data-testid=${`view-${view}`}
      onClick=${() => setView(view)}>${t(`med.view.${view}`)}</button>`;
  let body;
  if (s.status === 'loading' && !s.items.length) body = loading();
  else if (s.status === 'error') body = loadError(s.error, loadSessions);
  else if (isWeek) body = [s.items.length ? null : empty(t('med.sessions.empty_week')), weekView()];
  else body = dayView();
  return html`<${Section} id="schedule" title=${t('med.sessions.title')}>
    <div id="schedule-body">
      <div class="toolbar">
        <div class="segmented" role="group" aria-label=${t('med.view.label')}>${toggle('day')}${toggle('week')}</div>
        <div class="nav-buttons">
          <button type="button" class="secondary" onClick=${() => step(-1)} aria-label=${t(isWeek ? 'med.prev.week' : 'med.prev.day')}>‹</button>
          <button type="button" class="secondary" onClick=${() => {
            store.anchor = todayIn(store.tz);
            loadSessions();
          }}>${t('med.today')}</button>
          <button type="button" class="secondary" onClick=${() => step(1)} aria-label=${t(isWeek ? 'med.next.week' : 'med.next.day')}>›</button>
        </div>
        <p class="range-label" aria-live="polite">${label}</p>
      </div>
      <p class="hint">${t('med.sessions.tz', { tz: tzName(store.tz) })}</p>
      <div class=${cls('schedule', s.status === 'loading' && 'is-loading')} aria-busy=${String(s.status === 'loading')}>${body}</div>
    </div>
  </${Section}>`;
}

// ------------------------------------------------------------------ cases

/** My cases, with the next session of each (from my upcoming sessions) where the list leaves `next_session` empty. */
async function fetchCases() {
  const [data, upcoming] = await Promise.all([api.listCases(), loadUpcoming()]);
  return { items: /** @type {any[]} */ (data.items || []), upcoming };
}

/** @returns {Promise<Map<string, any>>} */
async function loadUpcoming() {
  const from = new Date();
  const to = new Date(from.getTime() + 180 * 864e5);
  try {
    const data = await api.listSessions(from.toISOString(), to.toISOString());
    const next = new Map();
    for (const s of data.items || []) {
      if (s.status !== 'scheduled' || Date.parse(s.ends_at) <= Date.now()) continue;
      const known = next.get(s.case_id);
      if (!known || s.starts_at < known.starts_at) next.set(s.case_id, s);
    }
    return next;
  } catch {
    return new Map();
  }
}

function Cases() {
  const body = store.cases.view(({ items, upcoming }) => {
    if (!items.length) return empty(t('med.cases.empty'));
    const sorted = [...items].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    const item = (k) => {
      const next = k.next_session || upcoming.get(k.id) || null;
      const meta = [tv('dispute', k.dispute_type), sourceWords(store.meta, k.source), k.amount_in_dispute ? fmtAmount(k.amount_in_dispute) : null, k.mediator && k.mediator.display_name];
      return html`<li key=${k.id} class="case-item">
        <div class="case-head">
          <a href=${`/cases/${encodeURIComponent(k.id)}`} class="case-number" data-testid="case-link">${k.case_number}</a>
          ${badge(tv('status', k.status), `status-${k.status}`)}
          ${k.collective ? html`<span class="badge collective" data-testid="case-collective">${t('case.collective.count', { n: k.applicant_count })}</span>` : null}
          ${k.supervision_awaiting ? html`<span class="badge warn" data-testid="case-supervision">${t('med.cases.supervision', { n: k.supervision_awaiting })}</span>` : null}
          ${k.overdue_obligations ? html`<span class="badge warn" data-testid="case-overdue-obligations">${t('med.cases.overdue_obligations', { n: k.overdue_obligations })}</span>` : null}
          ${k.follow_ups_due ? html`<span class="badge warn" data-testid="case-follow-ups-due">${t('med.cases.follow_ups_due', { n: k.follow_ups_due })}</span>` : null}
          ${k.case_closed_at ? html`<span class="badge" data-testid="case-closed">${t('med.cases.closed')}</span>` : null}
          ${k.mediation_clock && ['overdue', 'due_today'].includes(k.mediation_clock.state)
            ? html`<span class="badge warn" data-testid="case-clock" data-state=${k.mediation_clock.state}>${t(`med.cases.clock.${k.mediation_clock.state}`)}</span>`
            : null}
          ${extendedLine(k.mediation_clock) ? html`<span class="badge" data-testid="case-extended">${extendedLine(k.mediation_clock)}</span>` : null}
        </div>
        <p class="case-meta">${meta.filter(Boolean).join(' · ')}</p>
        ${k.summary ? html`<p class="case-summary">${k.summary}</p>` : null}
        <p class="case-next">${next ? t('med.cases.next', { when: fmtShortDateTime(next.starts_at, store.tz) }) : t('med.cases.no_next')}</p>
      </li>`;
    };
    return html`<ul class="case-list">${sorted.map(item)}</ul>`;
  });
  return html`<${Section} id="cases" title=${t('med.cases.title')}><div id="cases-body">${body}</div></${Section}>`;
}

// ------------------------------------------------------------------ availability

async function fetchAvailability() {
  const data = await api.getAvailability(store.user.id);
  takeWeekly(data);
  return data;
}

/** The weekly hours as the server has them, to edit. @param {any} data */
function takeWeekly(data) {
  const w = store.weekly;
  w.timezone = data.timezone;
  w.windows = sortWindows((data.weekly || []).map((x) => ({ key: ++windowKeys, weekday: x.weekday, start: x.start, end: x.end })));
  w.bad = new Set();
  w.errors = null;
}

/**
 * Day by day, each day's windows by their start. Only when windows come, go or are saved: never while
 * a time is being typed (a row that moved would lose focus).
 * @param {Window[]} windows
 */
function sortWindows(windows) {
  return [...windows].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
}

function timezoneOptions(selected) {
  const zones = [...((store.meta && store.meta.timezones) || [])];
  if (selected && !zones.includes(selected)) zones.unshift(selected);
  if (!zones.length) zones.push('Asia/Shanghai');
  return zones.map((z) => ({ value: z, label: tzOptionLabel(z) }));
}

/** @param {number} d a weekday */
function addWindow(d) {
  const w = store.weekly;
  const last = w.windows
    .filter((x) => x.weekday === d)
    .sort((a, b) => a.end.localeCompare(b.end))
    .pop();
  const start = last ? last.end : '09:00';
  const end = last ? (last.end < '18:00' ? '18:00' : '23:55') : '17:00';
  w.windows = sortWindows([...w.windows, { key: ++windowKeys, weekday: d, start, end }]);
  w.bad = new Set();
  w.errors = null;
  draw();
}

/** @param {Window} gone */
function removeWindow(gone) {
  const w = store.weekly;
  w.windows = sortWindows(w.windows.filter((x) => x !== gone));
  w.bad = new Set();
  w.errors = null;
  draw();
  /** @type {HTMLElement | null} */ (document.querySelector(`[data-add-weekday="${gone.weekday}"]`))?.focus();
}

/** @param {any} ev */
async function saveWeekly(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const w = store.weekly;
  w.bad = new Set(w.windows.filter((x) => !x.start || !x.end || x.end <= x.start).map((x) => x.key));
  if (w.bad.size) {
    w.errors = () => ({ message: t('avail.window_invalid'), fields: {} });
    draw();
    return focusFirstInvalid(form);
  }
  w.errors = null;
  w.busy = true;
  draw();
  try {
    const weekly = w.windows.map(({ weekday, start, end }) => ({ weekday, start, end }));
    const saved = await api.putAvailability(store.user.id, { timezone: w.timezone, weekly });
    store.avail.data = saved;
    takeWeekly(saved);
    toast(t('avail.saved'));
  } catch (err) {
    w.errors = () => formErrors(err, ['timezone']);
  }
  w.busy = false;
  draw();
  if (w.errors) focusFirstInvalid(form);
}

function weeklyForm() {
  const w = store.weekly;
  const errors = said(w.errors);
  let counter = 0; // the windows' ids: av-<weekday>-<n>, numbered down the week
  /** @param {Window} x */
  const windowRow = (x) => {
    const idBase = `av-${x.weekday}-${counter++}`;
    const bad = w.bad.has(x.key) ? 'true' : undefined;
    const time = (/** @type {'start' | 'end'} */ part) => html`
      <label class="sr-only" for=${`${idBase}-${part}`}>${`${weekdayName(x.weekday)} ${t(`avail.${part}`)}`}</label>
      <input type="time" id=${`${idBase}-${part}`} name=${`${idBase}-${part}`} value=${x[part]} required step="300" data-part=${part} aria-invalid=${bad}
        onInput=${(/** @type {any} */ ev) => (x[part] = ev.currentTarget.value)} />`;
    return html`<div key=${x.key} class="window" data-weekday=${String(x.weekday)}>
      ${time('start')}<span aria-hidden="true">–</span>${time('end')}
      <button type="button" class="icon-btn" aria-label=${`${t('avail.remove_window')} (${weekdayName(x.weekday)} ${x.start}–${x.end})`} title=${t('avail.remove_window')}
        onClick=${() => removeWindow(x)}>×</button>
    </div>`;
  };
  const day = (/** @type {number} */ d) => {
    const mine = w.windows.filter((x) => x.weekday === d);
    const dayId = `av-day-${d}`;
    return html`<div class="weekday-row" role="group" aria-labelledby=${dayId}>
      <div class="weekday-name" id=${dayId}>${weekdayName(d)}</div>
      <div class="windows">${mine.length ? mine.map(windowRow) : html`<span class="muted closed">${t('avail.closed')}</span>`}</div>
      <button type="button" class="secondary small-btn" data-add-weekday=${String(d)} aria-label=${`${t('avail.add_window')}: ${weekdayName(d)}`}
        onClick=${() => addWindow(d)}>${`+ ${t('avail.add_window')}`}</button>
    </div>`;
  };
  return html`<form id="weekly-form" class="stack" novalidate aria-busy=${w.busy ? 'true' : undefined} onSubmit=${saveWeekly}>
    <${FormMessage} text=${errors.message} />
    <${Field} label=${t('avail.timezone')} name="timezone" kind="select" idPrefix="av" options=${timezoneOptions(w.timezone)} value=${w.timezone}
      onInput=${(/** @type {string} */ v) => (w.timezone = v)} error=${errors.fields.timezone} />
    <div class="weekdays">${Array.from({ length: 7 }, (_, d) => day(d))}</div>
    <div class="actions"><button type="submit" class="primary" disabled=${w.busy}>${w.busy ? t('common.saving') : t('avail.save')}</button></div>
  </form>`;
}

/** @param {any} e an exception */
async function deleteException(e) {
  store.deleting.add(e.id);
  draw();
  try {
    await api.deleteAvailabilityException(store.user.id, e.id);
    const data = store.avail.data;
    store.avail.data = { ...data, exceptions: data.exceptions.filter((x) => x.id !== e.id) };
    toast(t('avail.exc.deleted'));
  } catch (err) {
    toast(errorMessage(err), 'error');
  }
  store.deleting.delete(e.id);
  draw();
}

/** @param {any} ev */
async function addException(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const x = store.exception;
  /** @param {string} name @param {string} key */
  const wrong = (name, key) => {
    x.errors = () => ({ message: '', fields: { [name]: t(key) } });
    draw();
    /** @type {HTMLElement | null} */ (form.elements.namedItem(name))?.focus();
  };
  if (!x.date) return wrong('date', 'error.field.required');
  /** @type {Record<string, any>} */
  const body = { date: x.date, available: x.available === 'true', reason: x.reason.trim() };
  if (!x.allday) {
    if (!x.start || !x.end || x.end <= x.start) return wrong('end', 'avail.window_invalid');
    body.start = x.start;
    body.end = x.end;
  }
  x.errors = null;
  x.busy = true;
  draw();
  try {
    const created = await api.addAvailabilityException(store.user.id, body);
    const data = store.avail.data;
    store.avail.data = { ...data, exceptions: [...(data.exceptions || []), created] };
    store.exception = { ...EXCEPTION, busy: false, errors: null }; // the form empties for the next one
    toast(t('avail.exc.added'));
  } catch (err) {
    x.errors = () => formErrors(err, EXCEPTION_NAMES);
  }
  x.busy = false;
  draw();
  if (x.errors) focusFirstInvalid(form);
}

/** @param {any} data the availability */
function exceptionsBlock(data) {
  const list = (data.exceptions || []).slice().sort((a, b) => a.date.localeCompare(b.date));
  const item = (e) => html`<li key=${e.id}>
    <span class="exc-date">${fmtDayLong(e.date)}</span>
    <span>${e.start && e.end ? `${e.start}–${e.end}` : t('avail.exc.allday')}</span>
    ${badge(e.available ? t('avail.exc.available') : t('avail.exc.unavailable'), e.available ? 'ok' : 'warn')}
    ${e.reason ? html`<span class="muted">${e.reason}</span>` : null}
    <button type="button" class="secondary small-btn" disabled=${store.deleting.has(e.id)} aria-label=${t('avail.exc.delete_label', { date: fmtDayLong(e.date) })}
      onClick=${() => deleteException(e)}>${t('common.delete')}</button>
  </li>`;
  const x = store.exception;
  const errors = said(x.errors);
  /** @param {'date' | 'available' | 'start' | 'end' | 'reason'} name */
  const bound = (name) => ({ name, idPrefix: 'exc', value: x[name], onInput: (/** @type {string} */ v) => (x[name] = v), error: errors.fields[name] });
  const kinds = [
    { value: 'false', label: t('avail.exc.unavailable') },
    { value: 'true', label: t('avail.exc.available') },
  ];
  const allday = (/** @type {any} */ ev) => {
    x.allday = ev.currentTarget.checked;
    draw();
  };
  return html`<div class="exceptions-block">
    <h3>${t('avail.exceptions')}</h3>
    ${list.length ? html`<ul class="exceptions">${list.map(item)}</ul>` : empty(t('avail.exc.empty'))}
    <form id="exception-form" class="grid-form" novalidate aria-busy=${x.busy ? 'true' : undefined} onSubmit=${addException}>
      <${FormMessage} text=${errors.message} />
      <${Field} label=${t('avail.exc.date')} type="date" required=${true} attrs=${{ min: todayIn(store.tz) }} ...${bound('date')} />
      <${Field} label=${t('avail.exc.kind')} kind="select" options=${kinds} ...${bound('available')} />
      <div class="field check">
        <input type="checkbox" id="exc-allday" name="allday" checked=${x.allday} onChange=${allday} />
        <label for="exc-allday">${t('avail.exc.allday')}</label>
      </div>
      <div class="times-pair" hidden=${x.allday}>
        <${Field} label=${t('avail.start')} type="time" attrs=${{ step: 300 }} ...${bound('start')} />
        <${Field} label=${t('avail.end')} type="time" attrs=${{ step: 300 }} ...${bound('end')} />
      </div>
      <${Field} label=${t('avail.exc.reason')} optional=${true} className="wide" attrs=${{ maxlength: 200 }} ...${bound('reason')} />
      <div class="actions wide"><button type="submit" class="primary" disabled=${x.busy}>${x.busy ? t('common.submitting') : t('avail.exc.add')}</button></div>
    </form>
  </div>`;
}

function Availability() {
  const body = store.avail.view(
    (data) => html`<p class="muted">${t('avail.intro')}</p>
      <h3>${t('avail.weekly')}</h3>
      ${weeklyForm()}
      ${exceptionsBlock(data)}`,
  );
  return html`<details id="availability-details" class="card" open=${store.availOpen} onToggle=${(/** @type {any} */ ev) => (store.availOpen = ev.currentTarget.open)}>
    <summary><h2>${t('avail.title')}</h2></summary>
    <div id="availability-body">${body}</div>
  </details>`;
}

// ------------------------------------------------------------------ page

function Dashboard() {
  if (store.user.role === 'judge') {
    // A judge's workspace is the court inbox (main() sends them there).
    return html`<h1>${t('med.judge.title')}</h1>
      <div class="card empty-card" data-testid="judge-empty"><p>${t('med.judge.empty')}</p></div>`;
  }
  return html`<h1 class="sr-only">${t('med.title')}</h1>
    ${store.referrals ? html`<${IncomingSection} inbox=${store.referrals} />` : null}
    ${store.applications ? html`<${ApplicationsSection} inbox=${store.applications} meta=${store.meta} />` : null}
    <${Schedule} />
    <div class="two-col"><${Cases} /><${RegistrationForm} reg=${store.registration} meta=${store.meta} tz=${store.tz} redraw=${draw} /></div>
    <${Availability} />
    <${StatsLinks} user=${store.user} />
    ${store.entry ? html`<${MyEntrySection} entry=${store.entry} />` : null}`;
}

async function main() {
  const me = await initStaffPage();
  store.user = me.user;
  store.tz = isValidTimeZone(me.user.timezone) ? me.user.timezone : browserTimeZone();
  store.anchor = todayIn(store.tz);
  let savedView = null;
  try {
    savedView = localStorage.getItem('mediator.view');
  } catch {
    /* ignore */
  }
  store.view = savedView === 'day' || savedView === 'week' ? savedView : narrow() ? 'day' : 'week';
  store.meta = await api.meta().catch(() => null); // lists fall back to defaults
  store.availOpen = location.hash === '#availability';
  // The header is ui.js's (shared by the staff pages), drawn again on a change of language; Preact draws <main>.
  const main = h('main', { id: 'main', class: 'container' });
  root = main;
  staffFrame(app, () => [skipLink(), staffHeader(store.user)], main, draw);
  draw();
  if (store.user.role === 'judge') {
    location.replace('/court');
    return;
  }
  showAvailabilityIfAsked();
  // The link to the hours can be followed from this page itself (a booking refused as outside
  // them): the address changes only after the '#', so the page is not loaded again.
  addEventListener('hashchange', () => {
    if (location.hash !== '#availability') return;
    store.availOpen = true;
    draw();
    showAvailabilityIfAsked();
  });
  loadSessions();
  store.cases.load();
  store.avail.load();
  store.referrals = new IncomingReferrals({
    user: store.user,
    tz: store.tz,
    changed: draw,
    onDecided: () => store.cases.load(), // a lead accepted is one of our cases now
  });
  store.referrals.load();
  store.applications = new IncomingApplications({
    user: store.user,
    tz: store.tz,
    changed: draw,
    onDecided: () => store.cases.load(), // an application accepted is one of our cases now
  });
  store.applications.load();
  // The mediator's own entry in the directory parties choose from (#21).
  store.entry = new MyEntry({ user: store.user, meta: store.meta, changed: draw });
  store.entry.part.load();
}

/** Brings the weekly hours into view when the address ends in #availability. */
function showAvailabilityIfAsked() {
  if (location.hash === '#availability') document.getElementById('availability-details')?.scrollIntoView({ block: 'start' });
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
