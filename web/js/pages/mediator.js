// @ts-check
// /mediator: the mediator's dashboard — schedule (day/week), cases, new case, availability.

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
import '../case-i18n.js';
import { addDays, startOfWeek, todayIn, zonedToUtc, dateIn, minutesOfDay, isValidTimeZone, browserTimeZone } from '../time.js';
import {
  h,
  replace,
  field,
  optionsFrom,
  errorMessage,
  showFormErrors,
  clearFormErrors,
  setFieldError,
  formMessage,
  whileSubmitting,
  toast,
  rerenderOnLangChange,
  initStaffPage,
  staffHeader,
  skipLink,
  section,
  badge,
  emptyState,
  loadingState,
  errorState,
  normaliseAmount,
} from '../ui.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML

/**
 * What the API answered (its JSON as it came), how each part is loading, and what the page shows.
 * @type {{
 *   user: any, tz: string, meta: any, view: 'day' | 'week' | null, anchor: string,
 *   sessions: {status: string, items: any[], error: any, key: string},
 *   cases: {status: string, items: any[], error: any, upcoming?: Map<string, any> | null},
 *   avail: {status: string, data: any, error: any},
 * }}
 */
const state = {
  user: null,
  tz: 'Asia/Shanghai',
  meta: null,
  view: null, // 'day' | 'week'
  anchor: '', // "YYYY-MM-DD" in the user's zone (today, set by main() before the first render)
  sessions: { status: 'loading', items: [], error: null, key: '' },
  cases: { status: 'loading', items: [], error: null },
  avail: { status: 'loading', data: null, error: null },
};

const narrow = () => window.matchMedia('(max-width: 719px)').matches;

// ------------------------------------------------------------------ schedule

function range() {
  if (state.view === 'week') {
    const start = startOfWeek(state.anchor);
    return { start, days: 7 };
  }
  return { start: state.anchor, days: 1 };
}

async function loadSessions() {
  const { start, days } = range();
  const key = `${start}/${days}`;
  state.sessions = { ...state.sessions, status: 'loading', key };
  renderSchedule();
  const from = zonedToUtc(start, '00:00', state.tz).toISOString();
  const to = zonedToUtc(addDays(start, days), '00:00', state.tz).toISOString();
  try {
    const data = await api.listSessions(from, to);
    if (state.sessions.key !== key) return; // the user moved on meanwhile
    state.sessions = { status: 'ready', items: data.items || [], error: null, key };
  } catch (err) {
    if (state.sessions.key !== key) return;
    state.sessions = { status: 'error', items: [], error: err, key };
  }
  renderSchedule();
}

function sessionsOn(dateStr) {
  return state.sessions.items
    .filter((s) => dateIn(new Date(s.starts_at), state.tz) === dateStr)
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
  const time = fmtTimeRange(s.starts_at, s.ends_at, state.tz);
  const names = partyNames(s);
  const minutes = (Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 60000;
  return h(
    'a',
    {
      class: ['session-item', cancelled && 'cancelled', compact && 'compact', compact && minutes < 90 && 'short', compact && minutes < 45 && 'tiny'],
      href: `/cases/${encodeURIComponent(s.case_id)}`,
      style,
      title: [time, s.case_number, names].filter(Boolean).join(' · '),
      dataset: { testid: 'session-item' },
    },
    h('span', { class: 'session-time' }, time),
    h('span', { class: 'session-case' }, s.case_number),
    names ? h('span', { class: 'session-parties' }, names) : null,
    cancelled ? badge(tv('status', 'cancelled'), 'muted') : null,
  );
}

const HOUR_PX = 64;

function weekView() {
  const start = startOfWeek(state.anchor);
  const today = todayIn(state.tz);
  const days = Array.from({ length: 7 }, (_, i) => addDays(start, i));
  // The hours shown: 08:00–18:00, widened to fit every session of the week.
  let first = 8 * 60;
  let last = 18 * 60;
  for (const s of state.sessions.items) {
    const a = minutesOfDay(new Date(s.starts_at), state.tz);
    const b = a + (new Date(s.ends_at).getTime() - new Date(s.starts_at).getTime()) / 60000;
    first = Math.min(first, Math.floor(a / 60) * 60);
    last = Math.max(last, Math.min(24 * 60, Math.ceil(b / 60) * 60));
  }
  const height = ((last - first) / 60) * HOUR_PX;
  const hours = [];
  for (let m = first; m < last; m += 60) hours.push(m);

  return h(
    'div',
    { class: 'week', dataset: { testid: 'week-view' } },
    h(
      'div',
      { class: 'week-hours', 'aria-hidden': 'true', style: { height: `${height}px` } },
      hours.map((m) => h('span', { style: { top: `${((m - first) / 60) * HOUR_PX}px` } }, `${String(m / 60).padStart(2, '0')}:00`)),
    ),
    days.map((d) => {
      const items = sessionsOn(d);
      return h(
        'section',
        { class: ['week-col', d === today && 'today'], 'aria-label': fmtDayLong(d) },
        h('h3', { class: 'week-day' }, fmtDayHeader(d)),
        h(
          'div',
          { class: 'week-slots', style: { height: `${height}px`, backgroundSize: `100% ${HOUR_PX}px` } },
          items.length
            ? items.map((s) => {
                const a = minutesOfDay(new Date(s.starts_at), state.tz);
                const dur = (new Date(s.ends_at).getTime() - new Date(s.starts_at).getTime()) / 60000;
                return sessionLink(s, {
                  compact: true,
                  style: {
                    top: `${((a - first) / 60) * HOUR_PX}px`,
                    height: `${Math.max(28, (dur / 60) * HOUR_PX - 2)}px`,
                  },
                });
              })
            : h('p', { class: 'none-day' }, t('med.sessions.none_day')),
        ),
      );
    }),
  );
}

function dayView() {
  const items = sessionsOn(state.anchor);
  if (!items.length) return emptyState(t('med.sessions.empty_day'));
  return h('ul', { class: 'day-list', dataset: { testid: 'day-view' } }, items.map((s) => h('li', null, sessionLink(s))));
}

function renderSchedule() {
  const host = document.getElementById('schedule-body');
  if (!host) return;
  const isWeek = state.view === 'week';
  const { start, days } = range();
  const label = isWeek ? `${fmtDayHeader(start)} – ${fmtDayHeader(addDays(start, days - 1))}` : fmtDayLong(state.anchor);

  const step = (n) => () => {
    state.anchor = addDays(state.anchor, n * (isWeek ? 7 : 1));
    loadSessions();
  };
  const toggle = (view) =>
    h(
      'button',
      {
        type: 'button',
        class: ['toggle', state.view === view && 'on'],
        'aria-pressed': String(state.view === view),
        dataset: { testid: `view-${view}` },
        onclick: () => {
          if (state.view === view) return;
          state.view = view;
          try {
            localStorage.setItem('mediator.view', view);
          } catch {
            /* ignore */
          }
          loadSessions();
        },
      },
      t(`med.view.${view}`),
    );

  let body;
  if (state.sessions.status === 'loading' && !state.sessions.items.length) body = loadingState();
  else if (state.sessions.status === 'error') body = errorState(state.sessions.error, loadSessions);
  else if (isWeek) {
    body = [
      state.sessions.items.length ? null : emptyState(t('med.sessions.empty_week')),
      weekView(),
    ];
  } else body = dayView();

  replace(
    host,
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'segmented', role: 'group', 'aria-label': t('med.view.label') }, toggle('day'), toggle('week')),
      h(
        'div',
        { class: 'nav-buttons' },
        h('button', { type: 'button', class: 'secondary', onclick: step(-1), 'aria-label': t(isWeek ? 'med.prev.week' : 'med.prev.day') }, '‹'),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => {
              state.anchor = todayIn(state.tz);
              loadSessions();
            },
          },
          t('med.today'),
        ),
        h('button', { type: 'button', class: 'secondary', onclick: step(1), 'aria-label': t(isWeek ? 'med.next.week' : 'med.next.day') }, '›'),
      ),
      h('p', { class: 'range-label', 'aria-live': 'polite' }, label),
    ),
    h('p', { class: 'hint' }, t('med.sessions.tz', { tz: tzName(state.tz) })),
    h('div', { class: ['schedule', state.sessions.status === 'loading' && 'is-loading'], 'aria-busy': String(state.sessions.status === 'loading') }, body),
  );
}

// ------------------------------------------------------------------ cases

async function loadCases() {
  try {
    const [data, upcoming] = await Promise.all([api.listCases(), loadUpcoming()]);
    state.cases = { status: 'ready', items: data.items || [], error: null, upcoming };
  } catch (err) {
    state.cases = { status: 'error', items: [], error: err };
  }
  renderCases();
}

/**
 * The next session of each case, from my upcoming sessions: used when the case list
 * leaves `next_session` empty.
 */
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

function nextSessionOf(k) {
  return k.next_session || (state.cases.upcoming && state.cases.upcoming.get(k.id)) || null;
}

function renderCases() {
  const host = document.getElementById('cases-body');
  if (!host) return;
  const c = state.cases;
  if (c.status === 'loading') return replace(host, loadingState());
  if (c.status === 'error') return replace(host, errorState(c.error, loadCases));
  if (!c.items.length) return replace(host, emptyState(t('med.cases.empty')));
  const items = [...c.items].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  replace(
    host,
    h(
      'ul',
      { class: 'case-list' },
      items.map((k) =>
        h(
          'li',
          { class: 'case-item' },
          h(
            'div',
            { class: 'case-head' },
            h('a', { href: `/cases/${encodeURIComponent(k.id)}`, class: 'case-number', dataset: { testid: 'case-link' } }, k.case_number),
            badge(tv('status', k.status), `status-${k.status}`),
          ),
          h(
            'p',
            { class: 'case-meta' },
            [tv('dispute', k.dispute_type), k.amount_in_dispute ? fmtAmount(k.amount_in_dispute) : null, k.mediator && k.mediator.display_name]
              .filter(Boolean)
              .join(' · '),
          ),
          k.summary ? h('p', { class: 'case-summary' }, k.summary) : null,
          h(
            'p',
            { class: 'case-next' },
            nextSessionOf(k)
              ? t('med.cases.next', { when: fmtShortDateTime(nextSessionOf(k).starts_at, state.tz) })
              : t('med.cases.no_next'),
          ),
        ),
      ),
    ),
  );
}

function newCaseForm() {
  const types = (state.meta && state.meta.dispute_types) || ['wages', 'neighbours', 'loans', 'property_management', 'traffic', 'family', 'other'];
  const form = h(
    'form',
    { id: 'new-case-form', class: 'grid-form', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    field({ label: t('case.number'), name: 'case_number', required: true, idPrefix: 'nc', attrs: { maxlength: 64, autocomplete: 'off' } }),
    field({
      label: t('case.type'),
      name: 'dispute_type',
      kind: 'select',
      required: true,
      idPrefix: 'nc',
      placeholder: t('common.select'),
      options: optionsFrom(types, 'dispute'),
    }),
    field({ label: t('case.summary'), name: 'summary', kind: 'textarea', required: true, idPrefix: 'nc', className: 'wide', attrs: { maxlength: 5000 } }),
    field({
      label: t('case.amount'),
      name: 'amount_in_dispute',
      optional: true,
      idPrefix: 'nc',
      hint: t('med.newcase.amount_hint'),
      attrs: { inputmode: 'decimal', autocomplete: 'off' },
    }),
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'primary' }, t('med.newcase.submit'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const f = form.elements;
    const body = {
      case_number: f.case_number.value.trim(),
      dispute_type: f.dispute_type.value,
      summary: f.summary.value.trim(),
    };
    let bad = false;
    for (const k of ['case_number', 'dispute_type', 'summary']) {
      if (!body[k]) bad = setFieldError(form, k, t('error.field.required')) || bad;
    }
    try {
      const amount = normaliseAmount(f.amount_in_dispute.value);
      if (amount) body.amount_in_dispute = amount;
    } catch {
      bad = setFieldError(form, 'amount_in_dispute', t('med.newcase.amount_invalid')) || bad;
    }
    if (bad) {
      formMessage(form, t('error.invalid_input'));
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    await whileSubmitting(form, async () => {
      try {
        const created = await api.createCase(body);
        toast(t('med.newcase.created', { number: created.case_number }));
        location.assign(`/cases/${encodeURIComponent(created.id)}`);
      } catch (err) {
        if (err.status === 409) {
          showFormErrors(form, { fields: [{ field: 'case_number', reason: t('med.newcase.conflict', { number: body.case_number }) }] }, t('med.newcase.conflict', { number: body.case_number }));
        } else showFormErrors(form, err);
      }
    });
  });
  return form;
}

// ------------------------------------------------------------------ availability

async function loadAvailability() {
  try {
    const data = await api.getAvailability(state.user.id);
    state.avail = { status: 'ready', data, error: null };
  } catch (err) {
    state.avail = { status: 'error', data: null, error: err };
  }
  renderAvailability();
}

function timezoneOptions(selected) {
  const zones = [...((state.meta && state.meta.timezones) || [])];
  if (selected && !zones.includes(selected)) zones.unshift(selected);
  if (!zones.length) zones.push('Asia/Shanghai');
  return zones.map((z) => ({ value: z, label: tzOptionLabel(z) }));
}

/** Read the weekly windows currently in the editor. */
function readWeekly(form) {
  const weekly = [];
  form.querySelectorAll('.window').forEach((row) => {
    weekly.push({
      weekday: Number(row.dataset.weekday),
      start: row.querySelector('input[data-part="start"]').value,
      end: row.querySelector('input[data-part="end"]').value,
    });
  });
  return weekly;
}

function windowRow(w, index) {
  const idBase = `av-${w.weekday}-${index}`;
  const row = h(
    'div',
    { class: 'window', dataset: { weekday: String(w.weekday) } },
    h('label', { class: 'sr-only', for: `${idBase}-start` }, `${weekdayName(w.weekday)} ${t('avail.start')}`),
    h('input', { type: 'time', id: `${idBase}-start`, name: `${idBase}-start`, value: w.start, required: true, step: 300, dataset: { part: 'start' } }),
    h('span', { 'aria-hidden': 'true' }, '–'),
    h('label', { class: 'sr-only', for: `${idBase}-end` }, `${weekdayName(w.weekday)} ${t('avail.end')}`),
    h('input', { type: 'time', id: `${idBase}-end`, name: `${idBase}-end`, value: w.end, required: true, step: 300, dataset: { part: 'end' } }),
  );
  row.append(
    h(
      'button',
      {
        type: 'button',
        class: 'icon-btn',
        'aria-label': `${t('avail.remove_window')} (${weekdayName(w.weekday)} ${w.start}–${w.end})`,
        title: t('avail.remove_window'),
        onclick: (ev) => {
          const form = ev.currentTarget.closest('form');
          const weekly = readWeekly(form).filter((_, i) => i !== indexOf(form, row));
          state.avail.data = { ...state.avail.data, weekly, timezone: form.elements.timezone.value };
          renderAvailability();
          const add = /** @type {HTMLElement | null} */ (document.querySelector(`[data-add-weekday="${w.weekday}"]`));
          if (add) add.focus();
        },
      },
      '×',
    ),
  );
  return row;
}

function indexOf(form, row) {
  return [...form.querySelectorAll('.window')].indexOf(row);
}

function weeklyForm(data) {
  const form = h('form', { id: 'weekly-form', class: 'stack', novalidate: true });
  const weekly = (data.weekly || []).map((w, i) => ({ ...w, i }));
  const days = Array.from({ length: 7 }, (_, d) => d);
  let counter = 0;
  append(form, [
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    field({
      label: t('avail.timezone'),
      name: 'timezone',
      kind: 'select',
      idPrefix: 'av',
      options: timezoneOptions(data.timezone),
      value: data.timezone,
    }),
    h(
      'div',
      { class: 'weekdays' },
      days.map((d) => {
        const mine = weekly.filter((w) => w.weekday === d).sort((a, b) => a.start.localeCompare(b.start));
        const dayId = `av-day-${d}`;
        return h(
          'div',
          { class: 'weekday-row', role: 'group', 'aria-labelledby': dayId },
          h('div', { class: 'weekday-name', id: dayId }, weekdayName(d)),
          h(
            'div',
            { class: 'windows' },
            mine.length ? mine.map((w) => windowRow(w, counter++)) : h('span', { class: 'muted closed' }, t('avail.closed')),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary small-btn',
              dataset: { addWeekday: String(d) },
              'aria-label': `${t('avail.add_window')}: ${weekdayName(d)}`,
              onclick: () => {
                const current = readWeekly(form);
                const last = current.filter((w) => w.weekday === d).sort((a, b) => a.end.localeCompare(b.end)).pop();
                const start = last ? last.end : '09:00';
                const end = last ? (last.end < '18:00' ? '18:00' : '23:55') : '17:00';
                current.push({ weekday: d, start, end });
                state.avail.data = { ...state.avail.data, weekly: current, timezone: form.elements.timezone.value };
                renderAvailability();
              },
            },
            `+ ${t('avail.add_window')}`,
          ),
        );
      }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('avail.save'))),
  ]);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const weekly = readWeekly(form);
    let bad = false;
    form.querySelectorAll('.window').forEach((row) => {
      const s = row.querySelector('[data-part="start"]');
      const e = row.querySelector('[data-part="end"]');
      if (!s.value || !e.value || e.value <= s.value) {
        e.setAttribute('aria-invalid', 'true');
        s.setAttribute('aria-invalid', 'true');
        bad = true;
      }
    });
    if (bad) {
      formMessage(form, t('avail.window_invalid'));
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    await whileSubmitting(form, async () => {
      try {
        const saved = await api.putAvailability(state.user.id, { timezone: form.elements.timezone.value, weekly });
        state.avail.data = saved;
        renderAvailability();
        toast(t('avail.saved'));
      } catch (err) {
        showFormErrors(form, err);
      }
    }, t('common.saving'));
  });
  return form;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) if (c) el.append(c);
  return el;
}

function exceptionsBlock(data) {
  const list = (data.exceptions || []).slice().sort((a, b) => a.date.localeCompare(b.date));
  const items = list.length
    ? h(
        'ul',
        { class: 'exceptions' },
        list.map((e) =>
          h(
            'li',
            null,
            h('span', { class: 'exc-date' }, fmtDayLong(e.date)),
            h('span', null, e.start && e.end ? `${e.start}–${e.end}` : t('avail.exc.allday')),
            badge(e.available ? t('avail.exc.available') : t('avail.exc.unavailable'), e.available ? 'ok' : 'warn'),
            e.reason ? h('span', { class: 'muted' }, e.reason) : null,
            h(
              'button',
              {
                type: 'button',
                class: 'secondary small-btn',
                'aria-label': t('avail.exc.delete_label', { date: fmtDayLong(e.date) }),
                onclick: async (ev) => {
                  const b = ev.currentTarget;
                  b.disabled = true;
                  try {
                    await api.deleteAvailabilityException(state.user.id, e.id);
                    state.avail.data = { ...state.avail.data, exceptions: state.avail.data.exceptions.filter((x) => x.id !== e.id) };
                    renderAvailability();
                    toast(t('avail.exc.deleted'));
                  } catch (err) {
                    b.disabled = false;
                    toast(errorMessage(err), 'error');
                  }
                },
              },
              t('common.delete'),
            ),
          ),
        ),
      )
    : emptyState(t('avail.exc.empty'));

  const form = h(
    'form',
    { id: 'exception-form', class: 'grid-form', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    field({ label: t('avail.exc.date'), name: 'date', type: 'date', required: true, idPrefix: 'exc', attrs: { min: todayIn(state.tz) } }),
    field({
      label: t('avail.exc.kind'),
      name: 'available',
      kind: 'select',
      idPrefix: 'exc',
      options: [
        { value: 'false', label: t('avail.exc.unavailable') },
        { value: 'true', label: t('avail.exc.available') },
      ],
    }),
    h(
      'div',
      { class: 'field check' },
      h('input', { type: 'checkbox', id: 'exc-allday', name: 'allday', checked: true, onchange: (ev) => toggleTimes(ev.currentTarget.form) }),
      h('label', { for: 'exc-allday' }, t('avail.exc.allday')),
    ),
    h(
      'div',
      { class: 'times-pair', hidden: true },
      field({ label: t('avail.start'), name: 'start', type: 'time', idPrefix: 'exc', value: '09:00', attrs: { step: 300 } }),
      field({ label: t('avail.end'), name: 'end', type: 'time', idPrefix: 'exc', value: '12:00', attrs: { step: 300 } }),
    ),
    field({ label: t('avail.exc.reason'), name: 'reason', optional: true, idPrefix: 'exc', className: 'wide', attrs: { maxlength: 200 } }),
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'primary' }, t('avail.exc.add'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const f = form.elements;
    if (!f.date.value) {
      setFieldError(form, 'date', t('error.field.required'));
      f.date.focus();
      return;
    }
    const body = { date: f.date.value, available: f.available.value === 'true', reason: f.reason.value.trim() };
    if (!f.allday.checked) {
      if (!f.start.value || !f.end.value || f.end.value <= f.start.value) {
        setFieldError(form, 'end', t('avail.window_invalid'));
        f.end.focus();
        return;
      }
      body.start = f.start.value;
      body.end = f.end.value;
    }
    await whileSubmitting(form, async () => {
      try {
        const created = await api.addAvailabilityException(state.user.id, body);
        state.avail.data = { ...state.avail.data, exceptions: [...(state.avail.data.exceptions || []), created] };
        renderAvailability();
        toast(t('avail.exc.added'));
      } catch (err) {
        showFormErrors(form, err);
      }
    });
  });
  return h('div', { class: 'exceptions-block' }, h('h3', null, t('avail.exceptions')), items, form);
}

function toggleTimes(form) {
  const pair = form.querySelector('.times-pair');
  pair.hidden = form.elements.allday.checked;
}

function renderAvailability() {
  const host = document.getElementById('availability-body');
  if (!host) return;
  const a = state.avail;
  if (a.status === 'loading') return replace(host, loadingState());
  if (a.status === 'error') return replace(host, errorState(a.error, loadAvailability));
  replace(
    host,
    h('p', { class: 'muted' }, t('avail.intro')),
    h('h3', null, t('avail.weekly')),
    weeklyForm(a.data),
    exceptionsBlock(a.data),
  );
}

// ------------------------------------------------------------------ page

let scrolledToAvailability = false; // once, on arriving at /mediator#availability

function render() {
  document.title = `${t(state.user.role === 'judge' ? 'med.judge.title' : 'med.title')} · ${t('app.name')}`;
  if (state.user.role === 'judge') {
    // A judge's workspace is the court inbox.
    location.replace('/court');
    replace(
      app,
      skipLink(),
      staffHeader(state.user),
      h(
        'main',
        { id: 'main', class: 'container' },
        h('h1', null, t('med.judge.title')),
        h('div', { class: 'card empty-card', dataset: { testid: 'judge-empty' } }, h('p', null, t('med.judge.empty'))),
      ),
    );
    return;
  }
  // /mediator#availability (linked from a booking refused as outside the hours) opens it.
  const availOpen = /** @type {HTMLDetailsElement | null} */ (document.getElementById('availability-details'))?.open ?? location.hash === '#availability';
  replace(
    app,
    skipLink(),
    staffHeader(state.user),
    h(
      'main',
      { id: 'main', class: 'container' },
      h('h1', { class: 'sr-only' }, t('med.title')),
      section('schedule', t('med.sessions.title'), h('div', { id: 'schedule-body' })),
      h(
        'div',
        { class: 'two-col' },
        section('cases', t('med.cases.title'), h('div', { id: 'cases-body' })),
        section('new-case', t('med.newcase.title'), newCaseForm()),
      ),
      h(
        'details',
        { id: 'availability-details', class: 'card', open: availOpen },
        h('summary', null, h('h2', null, t('avail.title'))),
        h('div', { id: 'availability-body' }),
      ),
    ),
  );
  renderSchedule();
  renderCases();
  renderAvailability();
  if (location.hash === '#availability' && !scrolledToAvailability) {
    scrolledToAvailability = true;
    document.getElementById('availability-details')?.scrollIntoView({ block: 'start' });
  }
}

async function main() {
  const me = await initStaffPage();
  state.user = me.user;
  state.tz = isValidTimeZone(me.user.timezone) ? me.user.timezone : browserTimeZone();
  state.anchor = todayIn(state.tz);
  let savedView = null;
  try {
    savedView = localStorage.getItem('mediator.view');
  } catch {
    /* ignore */
  }
  state.view = savedView === 'day' || savedView === 'week' ? savedView : narrow() ? 'day' : 'week';
  try {
    state.meta = await api.meta();
  } catch {
    /* lists fall back to defaults */
  }
  render();
  rerenderOnLangChange(app, render);
  if (state.user.role === 'judge') return;
  loadSessions();
  loadCases();
  loadAvailability();
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
