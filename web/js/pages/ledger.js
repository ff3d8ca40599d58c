// @ts-check
// /ledger: the mediation ledger (人民调解台账, issue #23). One row per case of the organisation (a
// supervisor: any of their subtree, with or without the organisations below), in the columns the API
// names (definitions.LEDGER_COLUMNS); filters (period, dispute type, stage, source, a party's name or
// the case number), an order, pages by the API's keyset cursor ("下一页"), the total, a link from each
// row to its case, and the download of what is shown. A figure's link from the statistics page opens
// it on exactly the cases behind that figure (?figure=…). Everything chosen is kept in the address.
// The table is wide: on a phone it scrolls sideways inside its own box, the page does not.

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import { t, tv, fmtAmount, getLang } from '../i18n.js';
import '../stats-i18n.js';
import { h, replace, errorState, initStaffPage, staffHeader, skipLink } from '../ui.js';
import { Part, empty, staffFrame } from '../ui-preact.js';
import { DISPUTES, Downloads, PeriodPicker, ScopePicker, params, readScope, scopeWords, writeParams } from '../stats.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app'));
let root = /** @type {HTMLElement | null} */ (null);

const SORTS = ['registered_on.desc', 'registered_on.asc', 'case_number.asc', 'amount.desc'];
const STAGES = ['open', 'settled', 'failed', 'closed'];
const SOURCES = ['party_application', 'own_initiative', 'police_transfer', 'court_referral', 'hotline_order', 'grid_worker_report', 'government_assigned', 'other'];
/** The filters kept in the address besides the scope and period (named as the API names them). */
const FILTERS = ['dispute_type', 'stage', 'source', 'mediator_id', 'q', 'figure'];

const store = {
  user: /** @type {any} */ (null),
  scope: readScope({ defaultPeriod: false }),
  filters: /** @type {Record<string, string>} */ (Object.fromEntries(FILTERS.map((k) => [k, params().get(k) || '']))),
  sort: params().get('sort') && params().get('order') ? `${params().get('sort')}.${params().get('order')}` : 'registered_on.desc',
  /** The cursors of the pages before this one (the first page's is ''), for "回到第一页". */
  cursors: /** @type {string[]} */ ([]),
  cursor: '',
  /** Where this page starts (1-based), for "第 11–20 件". */
  start: 1,
  typed: params().get('q') || '',
  /** Rows per page (kept in the address). */
  limit: Math.min(200, Math.max(1, Number(params().get('limit')) || 50)),
  page: new Part(() => api.request('GET', '/ledger', { query: { ...query(), limit: store.limit, cursor: store.cursor } }), draw),
  choices: /** @type {any[]} */ ([]),
};

/** The API query of what is shown (no paging). */
function query() {
  const [sort, order] = store.sort.split('.');
  return { ...store.scope, subtree: store.scope.subtree ? 'true' : '', ...store.filters, sort, order };
}

function draw() {
  const data = store.page.data;
  if (data && data.choices) store.choices = data.choices;
  if (root) render(html`<${Ledger} />`, root);
}

/** Show the first page of what is now chosen, and keep the choice in the address. */
function reload() {
  store.cursor = '';
  store.cursors = [];
  store.start = 1;
  const [sort, order] = store.sort.split('.');
  writeParams({ ...store.scope, ...store.filters, sort, order, limit: store.limit === 50 ? '' : String(store.limit) });
  store.page.status = 'loading';
  draw();
  store.page.load();
}

/** @param {string} key @param {string} value */
function setFilter(key, value) {
  store.filters[key] = value;
  reload();
}

/** @param {any} row */
function parties(row) {
  return html`<span>${row.applicants.join('、') || t('ledger.none')}</span>`;
}

/** @param {any} row */
function outcome(row) {
  if (!row.outcome) return t('ledger.none');
  const words = row.outcome_reason_words ? (getLang() === 'en' ? row.outcome_reason_words.en : row.outcome_reason_words.zh) : '';
  return html`${tv('ledger.outcome', row.outcome)}${words ? html`<br /><span class="muted small">${words}</span>` : null}`;
}

/** Each column's cell (definitions.LEDGER_COLUMNS), in its order. @type {Record<string, (row: any) => any>} */
const CELLS = {
  case_number: (r) => html`<a href=${`/cases/${encodeURIComponent(r.id)}`} data-testid="ledger-case-link"
    aria-label=${t('ledger.open_case', { number: r.case_number })}>${r.case_number}</a>`,
  registered_on: (r) => r.registered_on,
  source: (r) => tv('ledger.source', r.source),
  dispute_type: (r) => tv('dispute', r.dispute_type),
  applicants: parties,
  respondents: (r) => r.respondents.join('、') || t('ledger.none'),
  amount_fen: (r) => (r.amount_fen ? fmtAmount(r.amount_fen / 100) : t('ledger.none')),
  mediators: (r) => r.mediators.map((/** @type {any} */ m) => m.display_name).join('、'),
  stage: (r) => tv('ledger.stage', r.stage),
  outcome,
  agreement: (r) => (r.agreement
    ? html`${tv('ledger.agreement', r.agreement.status)}${r.agreement.sealed_on ? html`<br /><span class="muted small">${t('ledger.sealed_on', { date: r.agreement.sealed_on })}</span>` : null}`
    : t('ledger.none')),
  performance: (r) => (r.performance ? tv('ledger.performance', r.performance) : t('ledger.none')),
  confirmation: (r) => (r.confirmation ? tv('ledger.confirmation', r.confirmation) : t('ledger.none')),
  closed_on: (r) => r.closed_on || t('ledger.none'),
};

/** The table of one page, its caption naming the organisation; it scrolls sideways in its own box. @param {{ data: any }} props */
function Table({ data }) {
  const lang = getLang() === 'en' ? 'en' : 'zh';
  const columns = Object.entries(data.columns || {});
  const org = scopeWords(data);
  return html`<p class="muted small st-scroll-hint">${t('ledger.scroll')}</p>
    <div class="st-table-wrap" tabindex="0" role="region" aria-labelledby="ledger-caption" data-testid="ledger-scroll">
      <table class="st-table ledger-table" data-testid="ledger-table">
        <caption id="ledger-caption">${t('ledger.caption', { org })}</caption>
        <thead><tr>${columns.map(([key, words]) => html`<th key=${key} scope="col" data-column=${key}>${/** @type {any} */ (words)[lang]}</th>`)}</tr></thead>
        <tbody>${data.items.map((/** @type {any} */ row) => html`<tr key=${row.id} data-testid="ledger-row" data-case-id=${row.id}>
          ${columns.map(([key]) => (key === 'case_number'
            ? html`<th key=${key} scope="row" data-column=${key}>${CELLS[key](row)}</th>`
            : html`<td key=${key} data-column=${key}>${CELLS[key] ? CELLS[key](row) : String(row[key] ?? '')}</td>`))}
        </tr>`)}</tbody>
      </table>
    </div>`;
}

function Pager({ data }) {
  const end = store.start + data.items.length - 1;
  const next = () => {
    store.cursors.push(store.cursor);
    store.cursor = data.next;
    store.start = end + 1;
    store.page.status = 'loading';
    draw();
    store.page.load().then(() => document.getElementById('ledger-count')?.focus());
  };
  return html`<div class="st-pager">
    <p id="ledger-count" tabindex="-1" role="status" data-testid="ledger-count">
      <strong>${t('ledger.total', { n: data.total })}</strong>
      ${data.items.length ? html`<span class="muted">${' · '}${t('ledger.shown', { from: store.start, to: end })}</span>` : null}
    </p>
    <div class="actions">
      ${store.cursors.length ? html`<button type="button" class="secondary" data-testid="ledger-first" onClick=${reload}>${t('ledger.first')}</button>` : null}
      ${data.next ? html`<button type="button" class="primary" data-testid="ledger-next" onClick=${next}>${t('ledger.next')}</button>` : null}
    </div>
  </div>`;
}

function Filters() {
  const select = (/** @type {string} */ key, /** @type {string} */ label, /** @type {string[]} */ values, /** @type {string} */ prefix) => html`<div class="field">
      <label for=${`ledger-${key}`}>${label}</label>
      <select id=${`ledger-${key}`} data-testid=${`ledger-${key}`} value=${store.filters[key]}
        onChange=${(/** @type {any} */ ev) => setFilter(key, ev.currentTarget.value)}>
        <option value="">${t('st.all')}</option>
        ${values.map((v) => html`<option key=${v} value=${v}>${tv(prefix, v)}</option>`)}
      </select>
    </div>`;
  const search = (/** @type {any} */ ev) => {
    ev.preventDefault();
    setFilter('q', store.typed.trim());
  };
  return html`<form class="st-toolbar" onSubmit=${search} data-testid="ledger-filters">
    <${ScopePicker} user=${store.user} choices=${store.choices} scope=${store.scope}
      onChange=${(/** @type {any} */ s) => { store.scope = { ...store.scope, ...s }; reload(); }} />
    <${PeriodPicker} from=${store.scope.from} to=${store.scope.to} optional=${true}
      onChange=${(/** @type {any} */ p) => { store.scope = { ...store.scope, ...p }; if (!(p.from && p.to && p.to < p.from)) reload(); else draw(); }} />
    ${select('dispute_type', t('ledger.type'), DISPUTES, 'dispute')}
    ${select('stage', t('ledger.stage'), STAGES, 'ledger.stage')}
    ${select('source', t('ledger.source'), SOURCES, 'ledger.source')}
    <div class="field">
      <label for="ledger-sort">${t('ledger.sort')}</label>
      <select id="ledger-sort" data-testid="ledger-sort" value=${store.sort}
        onChange=${(/** @type {any} */ ev) => { store.sort = ev.currentTarget.value; reload(); }}>
        ${SORTS.map((s) => html`<option key=${s} value=${s}>${t(`ledger.sort.${s}`)}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="ledger-limit">${t('ledger.limit')}</label>
      <select id="ledger-limit" data-testid="ledger-limit" value=${String(store.limit)}
        onChange=${(/** @type {any} */ ev) => { store.limit = Number(ev.currentTarget.value); reload(); }}>
        ${[...new Set([20, 50, 100, 200, store.limit])].sort((a, b) => a - b).map((n) => html`<option key=${n} value=${String(n)}>${n}</option>`)}
      </select>
    </div>
    <div class="field st-search">
      <label for="ledger-q">${t('ledger.q')}</label>
      <input type="search" id="ledger-q" data-testid="ledger-q" value=${store.typed} placeholder=${t('ledger.q.placeholder')}
        onInput=${(/** @type {any} */ ev) => { store.typed = ev.currentTarget.value; }} />
    </div>
    <button type="submit" class="primary" data-testid="ledger-search">${t('st.apply')}</button>
  </form>`;
}

function Ledger() {
  document.title = `${t('ledger.title')} · ${t('app.name')}`;
  if (!['mediator', 'supervisor'].includes(store.user.role)) return html`<h1>${t('ledger.title')}</h1><div class="card"><p>${t('error.forbidden')}</p></div>`;
  const figure = store.filters.figure;
  const data = store.page.data;
  const named = data && data.figure && data.figure.key === figure ? (getLang() === 'en' ? data.figure.en : data.figure.zh) : figure;
  const lead = store.filters.mediator_id && data && data.items.length ? data.items[0].mediators[0] : null;
  return html`<h1>${t('ledger.title')}</h1>
    <p class="muted">${t('ledger.intro')} <a href=${`/statistics?${new URLSearchParams({ ...store.scope, subtree: store.scope.subtree ? 'true' : '' }).toString()}`}
      data-testid="ledger-to-statistics">${t('st.nav.statistics')}</a></p>
    <section class="card" aria-labelledby="ledger-filters-title">
      <h2 id="ledger-filters-title" class="sr-only">${t('ledger.title')}</h2>
      <${Filters} />
      ${figure ? html`<p class="st-figure" role="status" data-testid="ledger-figure">
        ${t('ledger.figure', { figure: named })}${lead ? t('ledger.group', { group: t('ledger.mediator', { name: lead.display_name }) }) : null}
        <button type="button" class="secondary small-btn" data-testid="ledger-figure-clear"
          onClick=${() => { store.filters.mediator_id = ''; setFilter('figure', ''); }}>${t('ledger.figure.clear')}</button>
      </p>` : null}
      <${Downloads} path="/ledger/export" query=${query()} testid="ledger-download" />
    </section>
    <section class="card st-wide" aria-live="polite" aria-busy=${String(store.page.status === 'loading')} data-testid="ledger-body">
      ${store.page.view((data) => html`<${Pager} data=${data} />${data.items.length ? html`<${Table} data=${data} />` : empty(t('ledger.empty'))}`)}
    </section>`;
}

async function main() {
  const me = await initStaffPage();
  store.user = me.user;
  const main = h('main', { id: 'main', class: 'container' });
  root = main;
  staffFrame(app, () => [skipLink(), staffHeader(store.user)], main, draw);
  draw();
  if (['mediator', 'supervisor'].includes(store.user.role)) await store.page.load();
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
