// @ts-check
// /supervision: a supervisor's board (a justice bureau's or a centre's officer). Every case of their
// organisation and of the organisations below it: where it is handled, by which mediator, its stage
// (open, settled, failed; the next session), how many days since it was registered, and its
// supervision: instructions awaiting a reply (overdue ones marked), and the replies. A case's
// instructions and the form to issue one open under it. Filtered by organisation (kept in the
// address, ?org=<id>).
// The page's <main> is drawn with Preact + htm, as the court's page is: `draw()` draws it from
// `store` when the board arrives, an instruction is issued, or the language changes; the header is
// ui.js's. What the supervisor types stays in each form's own state through every redraw.

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import { t, tv, fmtDateTime, fmtDayLong, getLang, partyRole } from '../i18n.js';
import '../supervision-i18n.js';
import { isValidTimeZone, browserTimeZone } from '../time.js';
import { h, replace, errorState, initStaffPage, staffHeader, skipLink } from '../ui.js';
import { CLOCK_BADGES, Part, badge, empty, staffFrame } from '../ui-preact.js';
import { Instructions, IssueForm } from '../supervision.js';
import { extendedLine } from '../extensions.js';
import { Complaints, MediatorRatings } from '../satisfaction.js';
import { StatsLinks } from '../stats.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML

/** The page's <main>, where Preact draws. */
let root = /** @type {HTMLElement | null} */ (null);

const store = {
  user: /** @type {any} */ (null),
  tz: 'Asia/Shanghai',
  org: '', // the organisation shown ('' = all of the subtree)
  board: new Part(() => api.request('GET', '/supervision', { query: store.org ? { organisation_id: store.org } : undefined }), draw),
  /** The organisations of the subtree, kept from the first answer (a filtered answer lists them all too). */
  organisations: /** @type {any[]} */ ([]),
  open: /** @type {Set<string>} */ (new Set()), // cases whose supervision is unfolded
  // Parties' complaints addressed to the subtree, and each mediator's ratings (#22).
  complaints: new Part(() => api.request('GET', '/supervision/complaints'), draw),
  ratings: new Part(() => api.request('GET', '/supervision/mediators'), draw),
};

/** Redraw <main> from the store (synchronously: focus can be set right after). */
function draw() {
  const data = store.board.data;
  if (data && data.organisations) store.organisations = data.organisations;
  if (root) render(html`<${Board} />`, root);
}

function orgParam() {
  return new URLSearchParams(location.search).get('org') || '';
}

/** Where the case stands: open (with its next session), settled or failed. */
function stage(c) {
  const tone = c.status === 'settled' ? 'ok' : c.status === 'failed' ? 'warn' : '';
  const next = c.status === 'open'
    ? html`<span class="muted small">${c.next_session ? t('sup.next', { time: fmtDateTime(c.next_session.starts_at, store.tz) }) : t('sup.next.none')}</span>`
    : null;
  return html`${badge(tv('status', c.status), tone)} ${next}`;
}

/** Supervision at a glance: how many instructions await a reply (overdue marked), or all answered. */
function supervision(c) {
  const items = c.instructions || [];
  if (!items.length) return html`<span class="muted">${t('sup.none')}</span>`;
  if (!c.awaiting_reply) return badge(t('sup.answered'), 'ok');
  const overdue = items.some((i) => i.overdue);
  return html`${badge(t('sup.awaiting', { n: c.awaiting_reply }), 'warn')}${overdue ? html` ${badge(t('sup.overdue'), 'warn')}` : null}`;
}

/** The 30-day mediation period: its last day and where it stands (overdue marked). @param {any} clock */
function mediationClock(clock) {
  if (!clock) return html`<span class="muted">—</span>`;
  const state = clock.state === 'met' && clock.met_late ? 'met_late' : clock.state;
  const extended = extendedLine(clock);
  return html`<span data-state=${clock.state}>${badge(t(`sup.clock.${state}`), CLOCK_BADGES[clock.state] || '')} ${t('sup.clock.due', { date: fmtDayLong(clock.due_date) })}${extended ? html` · <span data-testid="sup-clock-extended">${extended}</span>` : null}</span>`;
}

/** What the case's parties owe and have not performed past the last day, and the follow-up visits due (人民调解法 art. 31). */
function AfterAgreement({ c }) {
  const overdue = /** @type {any[]} */ (c.overdue_obligations || []);
  const visits = /** @type {any[]} */ (c.follow_ups_due || []);
  if (!overdue.length && !visits.length) return null;
  const lang = getLang();
  return html`<div class="sup-after" data-testid="sup-after">
    ${overdue.length ? html`<p><strong>${t('sup.overdue_obligations', { n: overdue.length })}</strong></p>
      <ul data-testid="sup-overdue-obligations">${overdue.map((o) => html`<li key=${o.id} data-testid="sup-overdue-obligation">
        ${t('sup.owes', { debtor: `${partyRole(o.debtor)}${o.debtor.name}`, creditor: `${partyRole(o.creditor)}${o.creditor.name}`, label: lang === 'en' ? o.label.en : o.label.zh, what: o.what })}
        <span class="badge warn">${t('sup.overdue_since', { date: fmtDayLong(o.overdue_since) })}</span></li>`)}</ul>` : null}
    ${visits.length ? html`<p data-testid="sup-follow-ups-due">${badge(t('sup.follow_ups_due', { n: visits.length }), 'warn')}
      <span class="muted small">${t('sup.follow_ups_since', { date: fmtDayLong(visits[0].planned_on) })}</span></p>` : null}
  </div>`;
}

function CaseCard({ c }) {
  const unfolded = store.open.has(c.id);
  const toggle = (/** @type {any} */ ev) => {
    if (ev.currentTarget.open) store.open.add(c.id);
    else store.open.delete(c.id);
  };
  return html`<li class=${c.awaiting_reply ? 'sup-case awaiting' : 'sup-case'} data-testid="sup-case" data-case-id=${c.id}>
    <div class="sup-case-head">
      <h3><a href=${`/cases/${encodeURIComponent(c.id)}`} aria-label=${t('sup.open_case', { number: c.case_number })} data-testid="sup-case-link">${c.case_number}</a></h3>
      <span class="muted">${tv('dispute', c.dispute_type)}</span>
    </div>
    <dl class="sup-facts">
      <div><dt>${t('sup.col.org')}</dt><dd data-testid="sup-org">${c.organisation.name}</dd></div>
      <div><dt>${t('sup.col.mediator')}</dt><dd data-testid="sup-mediator">${c.mediator.display_name}</dd></div>
      <div><dt>${t('sup.col.stage')}</dt><dd data-testid="sup-stage">${stage(c)}</dd></div>
      <div><dt>${t('sup.col.age')}</dt><dd data-testid="sup-age">${t('sup.days', { n: c.days_since_registration })}</dd></div>
      <div><dt>${t('sup.col.clock')}</dt><dd data-testid="sup-clock">${mediationClock(c.mediation_clock)}</dd></div>
      <div><dt>${t('sup.col.supervision')}</dt><dd data-testid="sup-state">${supervision(c)}</dd></div>
    </dl>
    <${AfterAgreement} c=${c} />
    <details open=${unfolded} onToggle=${toggle}>
      <summary data-testid="sup-unfold">${t('sup.section')}</summary>
      <${Instructions} items=${c.instructions || []} tz=${store.tz} />
      <h4>${t('sup.issue.title')}</h4>
      <${IssueForm} key=${c.id} caseId=${c.id} number=${c.case_number} onDone=${() => store.board.load()} />
    </details>
  </li>`;
}

function boardBody() {
  return store.board.view((data) => {
    const items = /** @type {any[]} */ ((data && data.items) || []);
    if (!items.length) return empty(t('sup.empty'));
    const awaiting = items.filter((c) => c.awaiting_reply).length;
    return html`<p class="muted" role="status" data-testid="sup-count">${awaiting ? t('sup.count.awaiting', { n: items.length, m: awaiting }) : t('sup.count', { n: items.length })}</p>
      <ul class="sup-cases" data-testid="sup-cases">${items.map((c) => html`<${CaseCard} key=${c.id} c=${c} />`)}</ul>`;
  });
}

function Board() {
  document.title = `${t('sup.title')} · ${t('app.name')}`;
  if (store.user.role !== 'supervisor') return html`<h1>${t('sup.title')}</h1><div class="card"><p>${t('error.forbidden')}</p></div>`;
  const filter = (/** @type {any} */ ev) => {
    store.org = ev.currentTarget.value;
    const url = new URL(location.href);
    if (store.org) url.searchParams.set('org', store.org);
    else url.searchParams.delete('org');
    history.replaceState(null, '', url);
    store.board.load();
  };
  return html`<h1>${t('sup.title')}</h1>
    <p class="muted">${t('sup.intro', { org: (store.user.organisation && store.user.organisation.name) || '' })}</p>
    <section class="card" aria-labelledby="board-title">
      <h2 id="board-title" class="sr-only">${t('sup.title')}</h2>
      <div class="sup-toolbar">
        <div class="field">
          <label for="sup-filter">${t('sup.filter')}</label>
          <select id="sup-filter" name="organisation_id" data-testid="sup-filter" value=${store.org} onChange=${filter}>
            <option value="">${t('sup.filter.all')}</option>
            ${store.organisations.map((o) => html`<option key=${o.id} value=${o.id}>${o.name}</option>`)}
          </select>
        </div>
        <button type="button" class="secondary" data-testid="sup-refresh" onClick=${() => store.board.load()}>${t('sup.refresh')}</button>
      </div>
      <div id="board-body" aria-live="polite">${boardBody()}</div>
    </section>
    <${StatsLinks} user=${store.user} />
    <section class="card" aria-labelledby="complaints-title" data-testid="sup-complaints-section">
      <h2 id="complaints-title">${t('sup.complaints.title')}</h2>
      ${store.complaints.view((d) => html`<${Complaints} items=${(d && d.items) || []} tz=${store.tz} onDone=${() => store.complaints.load()} />`)}
    </section>
    <section class="card" aria-labelledby="ratings-title" data-testid="sup-ratings-section">
      <h2 id="ratings-title">${t('sup.ratings.title')}</h2>
      <p class="muted">${t('sup.ratings.intro')}</p>
      ${store.ratings.view((d) => html`<${MediatorRatings} items=${(d && d.items) || []} tz=${store.tz} />`)}
    </section>`;
}

/** ui.js's skip link and staff header, drawn again on a change of language. */
const frame = () => [skipLink(), staffHeader(store.user)];

async function main() {
  const me = await initStaffPage();
  store.user = me.user;
  store.tz = isValidTimeZone(me.user.timezone) ? me.user.timezone : browserTimeZone();
  store.org = orgParam();
  const main = h('main', { id: 'main', class: 'container' });
  root = main;
  staffFrame(app, frame, main, draw);
  draw();
  if (store.user.role === 'supervisor') await Promise.all([store.board.load(), store.complaints.load(), store.ratings.load()]);
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
