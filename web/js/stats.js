// @ts-check
// What the ledger (pages/ledger.js) and the statistics (pages/statistics.js) share: the choice of
// organisation (and, for a supervisor, "含下级组织") and of the period, kept in the address so that a
// link (a figure's, a bookmark, the back button) opens the same view; the period's presets (this
// month, quarter or year, and the ones before), on the Beijing calendar the figures count by
// (server/domain/statistics/definitions.py: the registration day); and the download links.

import { html } from 'htm/preact';
import { t } from './i18n.js';
import './stats-i18n.js';
import { todayIn } from './time.js';

// The dispute types in the Ministry's order (server/domain/vocabulary.py DISPUTE_TYPES; registration.js has the same).
export const DISPUTES = [
  'family', 'neighbours', 'homestead', 'damages', 'contract', 'land_contracting', 'land_acquisition', 'labour',
  'wages', 'village_affairs', 'environment', 'traffic', 'medical', 'property_management', 'consumer', 'other',
];

/** The organisation an answer is about, "含下级组织" when it is. @param {{ organisation: { name: string }, subtree: boolean }} data */
export function scopeWords(data) {
  return data.subtree ? t('st.scope.subtree', { org: data.organisation.name }) : data.organisation.name;
}

/** The calendar the figures are counted on (definitions.py): registration days in Beijing. */
export const TZ = 'Asia/Shanghai';

/** The address's parameters, named as the API names them (a figure's link is an API query). */
export function params() {
  return new URLSearchParams(location.search);
}

/** @param {number} y @param {number} m (1-12) */
export const monthStart = (y, m) => `${y}-${String(m).padStart(2, '0')}-01`;
/** @param {number} y @param {number} m (1-12) */
export function monthEnd(y, m) {
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${y}-${String(m).padStart(2, '0')}-${String(last).padStart(2, '0')}`;
}

/**
 * A preset's first and last days, from today in Beijing.
 * @param {string} preset month | last_month | quarter | last_quarter | year | last_year
 * @param {string} [today]
 * @returns {{ from: string, to: string }}
 */
export function presetPeriod(preset, today = todayIn(TZ)) {
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(5, 7));
  if (preset === 'month' || preset === 'last_month') {
    const [yy, mm] = preset === 'month' ? [y, m] : m === 1 ? [y - 1, 12] : [y, m - 1];
    return { from: monthStart(yy, mm), to: monthEnd(yy, mm) };
  }
  if (preset === 'quarter' || preset === 'last_quarter') {
    let q = Math.floor((m - 1) / 3);
    let yy = y;
    if (preset === 'last_quarter') [yy, q] = q === 0 ? [y - 1, 3] : [y, q - 1];
    return { from: monthStart(yy, q * 3 + 1), to: monthEnd(yy, q * 3 + 3) };
  }
  const yy = preset === 'last_year' ? y - 1 : y;
  return { from: `${yy}-01-01`, to: `${yy}-12-31` };
}

export const PRESETS = ['month', 'last_month', 'quarter', 'last_quarter', 'year', 'last_year'];

/** Which preset a period is, or 'custom'. @param {string} from @param {string} to */
export function presetOf(from, to) {
  return PRESETS.find((p) => {
    const period = presetPeriod(p);
    return period.from === from && period.to === to;
  }) || 'custom';
}

/**
 * The scope and period as the address has them, with defaults (one's own organisation, this year).
 * @param {{ defaultPeriod?: boolean }} [options]
 */
export function readScope({ defaultPeriod = true } = {}) {
  const p = params();
  const year = presetPeriod('year');
  return {
    organisation_id: p.get('organisation_id') || '',
    subtree: p.get('subtree') === 'true',
    from: p.get('from') || (defaultPeriod ? year.from : ''),
    to: p.get('to') || (defaultPeriod ? year.to : ''),
  };
}

/**
 * Write ``values`` into the address (empty ones removed), without a new history entry.
 * @param {Record<string, string | boolean | null | undefined>} values
 */
export function writeParams(values) {
  const url = new URL(location.href);
  for (const [key, value] of Object.entries(values)) {
    if (value === '' || value == null || value === false) url.searchParams.delete(key);
    else url.searchParams.set(key, String(value));
  }
  history.replaceState(null, '', url);
}

/**
 * A query string of the non-empty values.
 * @param {Record<string, string | boolean | number | null | undefined>} values
 */
export function queryString(values) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === '' || value == null || value === false) continue;
    q.set(key, String(value));
  }
  return q.toString();
}

/**
 * The organisation picker: one's own organisation and, for a supervisor, those below it, with
 * "含下级组织" beside it. The organisations come from the API's ``choices``.
 * @param {{ user: any, choices: any[], scope: { organisation_id: string, subtree: boolean }, onChange: (s: { organisation_id: string, subtree: boolean }) => void }} props
 */
export function ScopePicker({ user, choices, scope, onChange }) {
  if (user.role !== 'supervisor') return null;
  const own = (user.organisation && user.organisation.id) || '';
  const chosen = scope.organisation_id || own;
  // Indent each organisation under its parent, so the tree reads as one.
  const depth = (/** @type {any} */ o) => {
    let n = 0;
    let parent = o.parent_id;
    while (parent && n < 8) {
      const up = choices.find((c) => c.id === parent);
      if (!up) break;
      n += 1;
      parent = up.parent_id;
    }
    return n;
  };
  return html`<div class="field">
      <label for="st-org">${t('st.scope')}</label>
      <select id="st-org" data-testid="st-org" value=${chosen}
        onChange=${(/** @type {any} */ ev) => onChange({ organisation_id: ev.currentTarget.value, subtree: scope.subtree })}>
        ${(choices.length ? choices : [{ id: chosen, name: (user.organisation && user.organisation.name) || '' }]).map(
          (o) => html`<option key=${o.id} value=${o.id}>${'\u3000'.repeat(depth(o))}${o.name}</option>`,
        )}
      </select>
    </div>
    <div class="field check">
      <input type="checkbox" id="st-subtree" data-testid="st-subtree" checked=${scope.subtree}
        onChange=${(/** @type {any} */ ev) => onChange({ organisation_id: scope.organisation_id, subtree: ev.currentTarget.checked })} />
      <label for="st-subtree">${t('st.subtree')}</label>
    </div>`;
}

/**
 * The period: presets and custom dates. ``onChange`` gets the new period (both days, or empty ones
 * when ``optional`` and cleared).
 * @param {{ from: string, to: string, optional?: boolean, onChange: (p: { from: string, to: string }) => void }} props
 */
export function PeriodPicker({ from, to, optional = false, onChange }) {
  const preset = from && to ? presetOf(from, to) : optional && !from && !to ? '' : 'custom';
  const choose = (/** @type {any} */ ev) => {
    const value = ev.currentTarget.value;
    if (value === '') onChange({ from: '', to: '' });
    else if (value !== 'custom') onChange(presetPeriod(value));
  };
  const bad = Boolean(from && to && to < from);
  return html`<fieldset class="st-period">
      <legend>${t('st.period')}</legend>
      <div class="field">
        <label for="st-preset" class="sr-only">${t('st.period')}</label>
        <select id="st-preset" data-testid="st-preset" value=${preset} onChange=${choose}>
          ${optional ? html`<option value="">${t('st.all')}</option>` : null}
          ${PRESETS.map((p) => html`<option key=${p} value=${p}>${t(`st.preset.${p}`)}</option>`)}
          <option value="custom">${t('st.preset.custom')}</option>
        </select>
      </div>
      <div class="field">
        <label for="st-from">${t('st.from')}</label>
        <input type="date" id="st-from" data-testid="st-from" value=${from}
          onChange=${(/** @type {any} */ ev) => onChange({ from: ev.currentTarget.value, to })} />
      </div>
      <div class="field">
        <label for="st-to">${t('st.to')}</label>
        <input type="date" id="st-to" data-testid="st-to" value=${to}
          onChange=${(/** @type {any} */ ev) => onChange({ from, to: ev.currentTarget.value })} />
      </div>
      ${bad ? html`<p class="field-error" role="alert" data-testid="st-bad-period">${t('st.bad_period')}</p>` : null}
    </fieldset>`;
}

/**
 * "下载 Excel" and "下载 CSV": plain links to the API's file (the session cookie goes with them).
 * @param {{ path: string, query: Record<string, any>, testid: string }} props
 */
export function Downloads({ path, query, testid }) {
  const href = (/** @type {string} */ format) => `/api/v1${path}?${queryString({ ...query, format })}`;
  return html`<div class="st-downloads">
    <a class="button secondary" href=${href('xlsx')} download data-testid=${`${testid}-xlsx`}>${t('st.download.xlsx')}</a>
    <a class="button secondary" href=${href('csv')} download data-testid=${`${testid}-csv`}>${t('st.download.csv')}</a>
    <span class="muted small">${t('st.download.hint')}</span>
  </div>`;
}

/**
 * The way to the ledger and the statistics from a staff member's own page (the mediator's dashboard,
 * the supervisor's board).
 * @param {{ user: any }} props
 */
export function StatsLinks({ user }) {
  const supervisor = user && user.role === 'supervisor';
  const scope = supervisor ? '?subtree=true' : '';
  return html`<nav class="card st-links" aria-labelledby="st-links-title" data-testid="st-links">
    <h2 id="st-links-title">${t('st.nav.title')}</h2>
    <p class="muted">${t(supervisor ? 'st.nav.intro.supervisor' : 'st.nav.intro')}</p>
    <p class="actions">
      <a class="button secondary" href=${`/ledger${scope}`} data-testid="nav-ledger">${t('st.nav.ledger')}</a>
      <a class="button secondary" href=${`/statistics${scope}`} data-testid="nav-statistics">${t('st.nav.statistics')}</a>
    </p>
  </nav>`;
}
