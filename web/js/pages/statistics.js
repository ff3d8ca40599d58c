// @ts-check
// /statistics: the figures of a period (issue #23) for a committee's staff and a justice bureau's
// supervisor. Choose the period (this month, quarter or year, the ones before, or any from–to) and,
// as a supervisor, the organisation and whether those below it count. The totals come with what
// each figure counts beside it (the API's ``definitions``, definitions.py); every count opens the
// ledger on the cases behind it (/ledger?figure=…, with the group's filter for a group's count);
// the groups (type, source, organisation, mediator for per-case subsidies 以案定补, month) are tables;
// four charts (ECharts, charts.js) show the trend by month, the share by type, the organisations
// compared and the success rate by place, each followed by its table. The page's download is the
// very file `mediate stats` writes (GET /statistics/export).

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import { t, tv, fmtAmount, fmtShortDateTime, getLang } from '../i18n.js';
import '../stats-i18n.js';
import { h, replace, errorState, errorMessage, initStaffPage, saveBlob, staffHeader, skipLink, toast } from '../ui.js';
import { Part, empty, staffFrame } from '../ui-preact.js';
import { Chart, barOption, pieOption } from '../charts.js';
import { Downloads, PeriodPicker, ScopePicker, TZ, monthEnd, monthStart, queryString, readScope, scopeWords, writeParams } from '../stats.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app'));
let root = /** @type {HTMLElement | null} */ (null);

const store = {
  user: /** @type {any} */ (null),
  scope: readScope(),
  figures: new Part(() => api.request('GET', '/statistics', { query: apiQuery() }), draw),
  choices: /** @type {any[]} */ ([]),
  // The signed monthly snapshots of the organisation (and those below, as chosen): not of a period.
  snapshots: new Part(
    () => api.request('GET', '/statistics/snapshots', { query: { organisation_id: store.scope.organisation_id || '', subtree: store.scope.subtree ? 'true' : '' } }),
    draw,
  ),
  /** @type {string | null} the snapshot whose audit file is being made */
  exporting: null,
};

function apiQuery() {
  return { ...store.scope, subtree: store.scope.subtree ? 'true' : '' };
}

function draw() {
  const data = store.figures.data;
  if (data && data.choices) store.choices = data.choices;
  if (root) render(html`<${Statistics} />`, root);
}

function reload() {
  writeParams(apiQuery());
  // Both days, in order (PeriodPicker says what is wrong): until then the figures shown stay.
  if (!store.scope.from || !store.scope.to || store.scope.to < store.scope.from) return draw();
  store.figures.status = 'loading';
  draw();
  store.figures.load();
  store.snapshots.load();
}

/** Download a snapshot with the bundles of the cases it counts, for `mediate verify-stats`. @param {any} snap */
async function exportSnapshot(snap) {
  store.exporting = snap.id;
  draw();
  try {
    const file = await api.request('POST', `/statistics/snapshots/${encodeURIComponent(snap.id)}/export`, { blob: true });
    saveBlob(file.blob, file.filename || `statistics-${snap.month}.zip`);
    toast(t('stats.snapshots.exported', { name: snap.organisation.name, month: snap.month }));
  } catch (err) {
    toast(t('stats.snapshots.export.failed', { message: errorMessage(err) }), 'error', 7000);
  } finally {
    store.exporting = null;
    draw();
  }
}

/** Which snapshot this is: its version, and whether it was taken before its month ended or corrects another. @param {any} snap */
function snapshotKind(snap) {
  const parts = [t('stats.snapshots.version', { n: snap.version })];
  if (snap.interim) parts.push(t('stats.snapshots.interim'));
  if (snap.supersedes) parts.push(t('stats.snapshots.correction', { reason: snap.reason || '' }));
  return parts.join(' · ');
}

/** The signed monthly snapshots (statistics_snapshot records), each downloadable with its cases' bundles. */
function Snapshots() {
  return html`<section class="card st-wide" aria-labelledby="st-snapshots-title" data-testid="st-snapshots">
    <h2 id="st-snapshots-title">${t('stats.snapshots')}</h2>
    <p class="muted">${t('stats.snapshots.intro')}</p>
    ${store.snapshots.view((data) =>
      data.items.length
        ? html`<div class="st-table-wrap" tabindex="0" role="region" aria-labelledby="st-snapshots-caption">
            <table class="st-table st-snapshots">
              <caption id="st-snapshots-caption" class="sr-only">${t('stats.snapshots')}</caption>
              <thead><tr><th scope="col">${t('stats.group.organisation')}</th><th scope="col">${t('stats.snapshots.month')}</th>
                <th scope="col">${t('stats.snapshots.kind')}</th><th scope="col">${t('stats.snapshots.as_of')}</th>
                <th scope="col">${t('stats.series.mediated')}</th><th scope="col">${t('stats.snapshots.audit')}</th></tr></thead>
              <tbody>${data.items.map((snap) => html`<tr key=${snap.id} data-testid="st-snapshot" data-month=${snap.month}>
                <th scope="row">${snap.organisation.name}</th>
                <td>${snap.month}</td>
                <td>${snapshotKind(snap)}</td>
                <td>${fmtShortDateTime(snap.as_of, TZ)}</td>
                <td class="num">${snap.counts.mediated ?? 0}</td>
                <td><button type="button" class="secondary" disabled=${store.exporting !== null} onClick=${() => exportSnapshot(snap)}
                  data-testid="st-snapshot-export" aria-label=${t('stats.snapshots.export.label', { name: snap.organisation.name, month: snap.month })}>
                  ${store.exporting === snap.id ? t('stats.snapshots.exporting') : t('stats.snapshots.export')}</button></td>
              </tr>`)}</tbody>
            </table>
          </div>`
        : empty(t('stats.snapshots.none')),
    )}
  </section>`;
}

/** The counts (figures.COUNTS): they have their cases in the answer. @param {any} data @param {string} key */
const isCount = (data, key) => Object.prototype.hasOwnProperty.call(data.cases, key);

/** A figure's value as a person reads it. @param {string} key @param {any} row */
function shown(key, row) {
  if (key === 'days_to_agreement' || key === 'days_to_closing') {
    const mean = row[`${key}_mean`];
    return mean == null ? t('stats.none') : t('stats.days', { mean, median: row[`${key}_median`] });
  }
  const value = row[key];
  if (value == null) return t('stats.none');
  if (key.endsWith('_rate')) return t('stats.rate', { value: (value * 100).toFixed(1) });
  if (key.endsWith('_fen')) return fmtAmount(value / 100);
  return String(value);
}

/** The first and last days of a month ("2026-03"), inside the period. @param {string} month */
function monthPeriod(month) {
  const [y, m] = month.split('-').map(Number);
  const from = monthStart(y, m);
  const to = monthEnd(y, m);
  return { from: from < store.scope.from ? store.scope.from : from, to: to > store.scope.to ? store.scope.to : to };
}

/**
 * The ledger's address for the cases behind ``figure``, in a group when ``by`` and ``key`` are given.
 * @param {any} data @param {string} figure @param {string} [by] @param {string} [key]
 */
function ledgerHref(data, figure, by, key) {
  /** @type {Record<string, any>} */
  const q = { organisation_id: data.organisation.id, subtree: data.subtree ? 'true' : '', from: data.from, to: data.to, figure };
  if (by === 'dispute_type') q.dispute_type = key;
  else if (by === 'source') q.source = key;
  else if (by === 'mediator') q.mediator_id = key;
  else if (by === 'organisation') Object.assign(q, { organisation_id: key, subtree: '' });
  else if (by === 'month' && key) Object.assign(q, monthPeriod(key));
  return `/ledger?${queryString(q)}`;
}

/** A count, linked to its cases (a zero is not a link: there is nothing behind it). */
function countCell(data, figure, row, words, by, key) {
  const n = row[figure];
  if (!n) return html`<span data-value=${n}>0</span>`;
  return html`<a href=${ledgerHref(data, figure, by, key)} data-testid="st-figure-link" data-figure=${figure} data-value=${n}
    aria-label=${t('stats.open_cases', { n, figure: words })}>${n}</a>`;
}

/** A figure's name; money is shown in yuan, though counted in fen. @param {any} d */
const words = (d) => (getLang() === 'en' ? d.en.replace('(fen)', '(yuan)') : d.zh.replace('（分）', '（元）'));
/**
 * What a figure counts, the evidence records it names (agreement_sealed…) set as code: they are the
 * records' kinds, which a supervisor finds in a case's exported bundle.
 * @param {any} d
 */
const means = (d) => (getLang() === 'en' ? d.means_en : d.means_zh)
  .split(/\b([a-z]+(?:_[a-z]+)+)\b/)
  .map((part, i) => (i % 2 ? html`<code>${part}</code>` : part));

function Totals({ data }) {
  const defs = data.definitions;
  return html`<div class="st-table-wrap" tabindex="0" role="region" aria-labelledby="st-totals-caption">
    <table class="st-table st-totals" data-testid="st-totals">
      <caption id="st-totals-caption">${t('stats.totals')} · ${scopeWords(data)} · ${t('st.period.words', { from: data.from, to: data.to })}</caption>
      <thead><tr><th scope="col">${t('stats.figure')}</th><th scope="col">${t('stats.value')}</th><th scope="col">${t('stats.means')}</th></tr></thead>
      <tbody>${Object.entries(defs).map(([key, d]) => html`<tr key=${key} data-testid="st-total" data-figure=${key}>
        <th scope="row">${words(d)}<span class="st-means-inline" data-testid="st-means-inline">${means(d)}</span></th>
        <td class="num" data-testid="st-total-value">${isCount(data, key) ? countCell(data, key, data.totals, words(d)) : shown(key, data.totals)}</td>
        <td class="st-means">${means(d)}</td>
      </tr>`)}</tbody>
    </table>
  </div>`;
}

/** The columns of a group's table (the most-read figures; the download has them all). */
const GROUP_COLUMNS = ['mediated', 'successful', 'success_rate', 'failed', 'pending', 'performed', 'resolved', 'resolution_rate', 'confirmed', 'amount_fen'];

/** @param {string} by @param {any} g */
function groupName(by, g) {
  if (by === 'dispute_type') return tv('dispute', g.key);
  if (by === 'source') return tv('ledger.source', g.key);
  return g.name;
}

function GroupTable({ data, by, testid }) {
  const rows = data.groups[by];
  const title = t('stats.by', { group: t(`stats.group.${by}`) });
  return html`<div class="st-table-wrap" tabindex="0" role="region" aria-labelledby=${`st-${by}-caption`}>
    <table class="st-table" data-testid=${testid} data-group=${by}>
      <caption id=${`st-${by}-caption`}>${title}</caption>
      <thead><tr><th scope="col">${t(`stats.group.${by}`)}</th>
        ${GROUP_COLUMNS.map((c) => html`<th key=${c} scope="col">${words(data.definitions[c])}</th>`)}</tr></thead>
      <tbody>${rows.map((/** @type {any} */ g) => html`<tr key=${g.key} data-key=${g.key}>
        <th scope="row">${groupName(by, g)}</th>
        ${GROUP_COLUMNS.map((c) => html`<td key=${c} class="num" data-column=${c}>${isCount(data, c)
          ? countCell(data, c, g, `${words(data.definitions[c])}（${groupName(by, g)}）`, by, g.key)
          : shown(c, g)}</td>`)}
      </tr>`)}</tbody>
    </table>
  </div>`;
}

/** The four charts, each followed by its table. */
function Charts({ data }) {
  const months = data.groups.month;
  const orgs = data.groups.organisation;
  const types = data.groups.dispute_type;
  const m = t('stats.series.mediated');
  const s = t('stats.series.successful');
  return html`<div class="st-charts">
    <figure class="st-figure-box card">
      <figcaption><h3>${t('stats.chart.trend')}</h3></figcaption>
      <${Chart} testid="st-chart-trend" label=${t('stats.chart.trend')}
        option=${barOption(months.map((g) => g.key), [[m, months.map((g) => g.mediated), 'bar'], [s, months.map((g) => g.successful), 'line']])} />
      <${GroupTable} data=${data} by="month" testid="st-table-month" />
    </figure>
    <figure class="st-figure-box card">
      <figcaption><h3>${t('stats.chart.types')}</h3></figcaption>
      <${Chart} testid="st-chart-types" label=${t('stats.chart.types')} option=${pieOption(types.map((g) => [groupName('dispute_type', g), g.mediated]))} />
      <${GroupTable} data=${data} by="dispute_type" testid="st-table-dispute_type" />
    </figure>
    <figure class="st-figure-box card">
      <figcaption><h3>${t('stats.chart.organisations')}</h3></figcaption>
      <${Chart} testid="st-chart-organisations" label=${t('stats.chart.organisations')} tall=${orgs.length > 6}
        option=${barOption(orgs.map((g) => g.name), [[m, orgs.map((g) => g.mediated), 'bar'], [s, orgs.map((g) => g.successful), 'bar']], { horizontal: true })} />
      <${GroupTable} data=${data} by="organisation" testid="st-table-organisation" />
    </figure>
    <figure class="st-figure-box card">
      <figcaption><h3>${t('stats.chart.places')}</h3></figcaption>
      <${Chart} testid="st-chart-places" label=${t('stats.chart.places')} tall=${orgs.length > 6}
        option=${barOption(orgs.map((g) => g.name), [[t('stats.series.success_rate'), orgs.map((g) => (g.success_rate == null ? null : Math.round(g.success_rate * 1000) / 10)), 'bar']], { horizontal: true, percent: true })} />
      <div class="st-table-wrap" tabindex="0" role="region" aria-labelledby="st-places-caption">
        <table class="st-table" data-testid="st-table-places">
          <caption id="st-places-caption">${t('stats.chart.places')}</caption>
          <thead><tr><th scope="col">${t('stats.group.organisation')}</th><th scope="col">${words(data.definitions.success_rate)}</th>
            <th scope="col">${words(data.definitions.successful)}</th><th scope="col">${words(data.definitions.mediated)}</th></tr></thead>
          <tbody>${orgs.map((g) => html`<tr key=${g.key} data-key=${g.key}><th scope="row">${g.name}</th>
            <td class="num">${shown('success_rate', g)}</td>
            <td class="num">${countCell(data, 'successful', g, `${words(data.definitions.successful)}（${g.name}）`, 'organisation', g.key)}</td>
            <td class="num">${countCell(data, 'mediated', g, `${words(data.definitions.mediated)}（${g.name}）`, 'organisation', g.key)}</td></tr>`)}</tbody>
        </table>
      </div>
    </figure>
  </div>`;
}

function Figures({ data }) {
  if (!data.totals.mediated) return empty(t('stats.empty'));
  return html`<section class="card st-wide" aria-labelledby="st-totals-title">
      <h2 id="st-totals-title">${t('stats.totals')}</h2>
      <${Totals} data=${data} />
    </section>
    <${Charts} data=${data} />
    <section class="card st-wide" aria-labelledby="st-groups-title">
      <h2 id="st-groups-title">${t('stats.groups')}</h2>
      <${GroupTable} data=${data} by="source" testid="st-table-source" />
      <p class="muted small">${t('stats.mediator.note')}</p>
      <${GroupTable} data=${data} by="mediator" testid="st-table-mediator" />
    </section>`;
}

function Statistics() {
  document.title = `${t('stats.title')} · ${t('app.name')}`;
  if (!['mediator', 'supervisor'].includes(store.user.role)) return html`<h1>${t('stats.title')}</h1><div class="card"><p>${t('error.forbidden')}</p></div>`;
  const ledger = `/ledger?${queryString(apiQuery())}`;
  return html`<h1>${t('stats.title')}</h1>
    <p class="muted">${t('stats.intro')} <a href=${ledger} data-testid="st-to-ledger">${t('st.nav.ledger')}</a></p>
    <section class="card st-controls" aria-labelledby="st-controls-title">
      <h2 id="st-controls-title" class="sr-only">${t('st.period')}</h2>
      <div class="st-toolbar">
        <${ScopePicker} user=${store.user} choices=${store.choices} scope=${store.scope}
          onChange=${(/** @type {any} */ s) => { store.scope = { ...store.scope, ...s }; reload(); }} />
        <${PeriodPicker} from=${store.scope.from} to=${store.scope.to}
          onChange=${(/** @type {any} */ p) => { store.scope = { ...store.scope, ...p }; reload(); }} />
      </div>
      <${Downloads} path="/statistics/export" query=${apiQuery()} testid="st-download" />
    </section>
    <div aria-live="polite" aria-busy=${String(store.figures.status === 'loading')} data-testid="st-body">
      ${store.figures.view((data) => html`<${Figures} data=${data} />`)}
    </div>
    <${Snapshots} />`;
}

async function main() {
  const me = await initStaffPage();
  store.user = me.user;
  const main = h('main', { id: 'main', class: 'container st-page' });
  root = main;
  staffFrame(app, () => [skipLink(), staffHeader(store.user)], main, draw);
  draw();
  if (['mediator', 'supervisor'].includes(store.user.role)) await Promise.all([store.figures.load(), store.snapshots.load()]);
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
