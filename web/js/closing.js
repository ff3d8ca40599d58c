// @ts-check
// Follow-up visits (回访) and closing the case (结案) on the case page (server/domain/closing.py): the
// visits due by rule or planned, recording one (how, the performance found, satisfaction, risk,
// action), planning another, and closing the case with its reason; once closed, who closed it,
// why, the case-closing report (人民调解结案报告表) in the case files, and the case file (人民调解卷宗)
// to download (server/domain/case_file/), or a button to make it for a case closed before files were made.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, fmtDayLong, fmtDateTime } from './i18n.js';
import './closing-i18n.js';
import { toast, errorMessage, confirmDialog } from './ui.js';
import { badge } from './ui-preact.js';

const METHODS = ['phone', 'video', 'in_person'];
const SATISFACTION = ['satisfied', 'partly', 'dissatisfied'];
const REASONS = ['performed', 'waived', 'litigation', 'other'];

/** Why a visit is due; after a last day, whose (第一条第1期). @param {any} p */
function ruleWords(p) {
  const o = p.obligation;
  if (p.rule !== 'due' || !o) return t(`close.rule.${p.rule}`);
  return t(o.instalments > 1 ? 'close.rule.due.instalment' : 'close.rule.due.term', { term: o.term, instalment: o.instalment });
}

/** @param {any} ev */
const valueOf = (ev) => ev.currentTarget.value;

export class CaseClosing {
  /** @param {{ caseId: string, tz: string, canAct: () => boolean, render: () => void, onChanged?: () => void }} options */
  constructor({ caseId, tz, canAct, render, onChanged }) {
    this.caseId = caseId;
    this.tz = tz;
    this.canAct = canAct;
    this.rerender = render;
    this.onChanged = onChanged || (() => {});
    /** @type {any | null} */
    this.data = null;
    this.busy = false;
    this.message = /** @type {{ kind: string, text: string } | null} */ (null);
    this.visit = { plan: '', method: 'phone', performance: '', satisfaction: 'satisfied', risk: '', actions: '' };
    this.close = { reason: '', note: '' };
    this.planDay = '';
  }

  get base() {
    return `/cases/${encodeURIComponent(this.caseId)}`;
  }

  async load() {
    try {
      this.data = await api.request('GET', `${this.base}/closing`);
    } catch {
      /* keep what we have; the page says why the case cannot be read */
    }
    this.rerender();
  }

  /** @param {string} path @param {any} body @param {string} done */
  async send(path, body, done) {
    if (this.busy) return false;
    this.busy = true;
    this.message = null;
    this.rerender();
    try {
      this.data = await api.request('POST', `${this.base}/${path}`, { body });
      this.message = { kind: 'success', text: done };
      toast(done);
      this.onChanged();
      return true;
    } catch (err) {
      this.message = { kind: 'error', text: errorMessage(err) };
      return false;
    } finally {
      this.busy = false;
      this.rerender();
    }
  }

  view() {
    const d = this.data;
    if (!d || (!d.follow_ups.length && !d.can_close && !d.closed)) return null;
    const m = this.message;
    // Once closed, only the visits made remain of interest.
    const shown = d.closed ? d.follow_ups.filter((/** @type {any} */ p) => p.recorded) : d.follow_ups;
    return html`<section class="card close-case" aria-labelledby="close-title" data-testid="case-closing">
      <h2 id="close-title">${t('close.title')} ${d.closed ? badge(t('close.badge'), 'ok') : null}</h2>
      <p class="muted small">${t('close.intro')}</p>
      ${m ? html`<p class=${`key-message key-message-${m.kind}`} role=${m.kind === 'error' ? 'alert' : 'status'} data-testid="closing-message">${m.text}</p>` : null}
      <h3>${t('close.visits')}</h3>
      ${shown.length
        ? html`<ul class="close-visits" data-testid="follow-ups">${shown.map((/** @type {any} */ p) => this.plan(p))}</ul>`
        : html`<p class="muted">${t('close.visits.none')}</p>`}
      ${this.canAct() && !d.closed ? this.visitForm(d) : null}
      ${this.canAct() && !d.closed ? this.planForm() : null}
      <h3>${t('close.closing')}</h3>
      ${d.closed ? this.closed(d) : this.canAct() ? this.closeForm(d) : html`<p class="muted">${t('close.not_ended')}</p>`}
    </section>`;
  }

  /** @param {any} p */
  plan(p) {
    const r = p.record;
    const state = r ? null : p.due ? badge(t('close.visit.due'), 'warn') : badge(t('close.visit.later'), 'muted');
    return html`<li key=${p.plan} data-testid="follow-up" data-due=${p.due ? 'true' : 'false'} data-recorded=${r ? 'true' : 'false'}>
      <strong>${ruleWords(p)}</strong> · ${t('close.visit.on', { date: fmtDayLong(p.planned_on) })} ${state}
      ${r
        ? html`<p>${t('close.visit.done', { date: fmtDateTime(r.recorded_at, this.tz), method: t(`close.method.${r.method}`), performance: r.performance, satisfaction: t(`close.satisfaction.${r.satisfaction}`) })}</p>
          ${r.risk ? html`<p>${t('close.visit.risk', { risk: r.risk })}</p>` : null}
          ${r.actions ? html`<p>${t('close.visit.actions', { actions: r.actions })}</p>` : null}`
        : null}
    </li>`;
  }

  /** @param {any} d */
  visitForm(d) {
    const v = this.visit;
    const open = d.follow_ups.filter((/** @type {any} */ p) => !p.recorded);
    const set = (/** @type {string} */ name) => (/** @type {any} */ ev) => ((/** @type {any} */ (v))[name] = valueOf(ev));
    const submit = async (/** @type {Event} */ ev) => {
      ev.preventDefault();
      const body = { plan: v.plan || null, method: v.method, performance: v.performance.trim(), satisfaction: v.satisfaction, risk: v.risk.trim(), actions: v.actions.trim() };
      if (await this.send('follow-ups', body, t('close.record.done'))) this.visit = { plan: '', method: 'phone', performance: '', satisfaction: 'satisfied', risk: '', actions: '' };
    };
    const radios = (/** @type {string} */ name, /** @type {string[]} */ options, /** @type {string} */ prefix) => html`<div class="choices" role="radiogroup">
      ${options.map((o) => html`<label key=${o}><input type="radio" name=${name} value=${o} checked=${(/** @type {any} */ (v))[name] === o} onChange=${set(name)} data-testid=${`visit-${name}-${o}`} /> ${t(`${prefix}.${o}`)}</label>`)}
    </div>`;
    return html`<details class="close-form"><summary data-testid="visit-open">${t('close.record')}</summary>
      <form novalidate onSubmit=${submit} data-testid="visit-form">
        <div class="field"><label for="visit-plan">${t('close.record.plan')}</label>
          <select id="visit-plan" value=${v.plan} onChange=${set('plan')} data-testid="visit-plan">
            <option value="">${t('close.record.plan.none')}</option>
            ${open.map((/** @type {any} */ p) => html`<option key=${p.plan} value=${p.plan}>${ruleWords(p)}（${fmtDayLong(p.planned_on)}）</option>`)}
          </select></div>
        <fieldset><legend>${t('close.record.method')}</legend>${radios('method', METHODS, 'close.method')}</fieldset>
        <div class="field"><label for="visit-performance">${t('close.record.performance')}</label>
          <textarea id="visit-performance" required maxlength="2000" value=${v.performance} onInput=${set('performance')} data-testid="visit-performance" placeholder=${t('close.record.performance.hint')}></textarea></div>
        <fieldset><legend>${t('close.record.satisfaction')}</legend>${radios('satisfaction', SATISFACTION, 'close.satisfaction')}</fieldset>
        <div class="field"><label for="visit-risk">${t('close.record.risk')}</label>
          <textarea id="visit-risk" maxlength="2000" value=${v.risk} onInput=${set('risk')} data-testid="visit-risk"></textarea></div>
        <div class="field"><label for="visit-actions">${t('close.record.actions')}</label>
          <textarea id="visit-actions" maxlength="2000" value=${v.actions} onInput=${set('actions')} data-testid="visit-actions"></textarea></div>
        <div class="actions"><button type="submit" class="primary" disabled=${this.busy} data-testid="visit-send">${t('close.record.submit')}</button></div>
      </form></details>`;
  }

  planForm() {
    const submit = async (/** @type {Event} */ ev) => {
      ev.preventDefault();
      if (await this.send('follow-ups/planned', { planned_on: this.planDay }, t('close.plan.done', { date: fmtDayLong(this.planDay) }))) this.planDay = '';
    };
    return html`<details class="close-form"><summary>${t('close.plan')}</summary>
      <form novalidate onSubmit=${submit} class="inline-form">
        <div class="field"><label for="visit-day">${t('close.plan.day')}</label>
          <input id="visit-day" type="date" required value=${this.planDay} onInput=${(/** @type {any} */ ev) => (this.planDay = valueOf(ev))} data-testid="visit-day" /></div>
        <button type="submit" class="secondary" disabled=${this.busy || !this.planDay}>${t('close.plan.submit')}</button>
      </form></details>`;
  }

  /** @param {any} d */
  closeForm(d) {
    if (!d.can_close) return html`<p class="muted" data-testid="closing-not-ended">${t('close.not_ended')}</p>`;
    const c = this.close;
    const submit = async (/** @type {Event} */ ev) => {
      ev.preventDefault();
      if (!(await confirmDialog({ title: t('close.submit'), message: t('close.confirm'), confirmLabel: t('close.submit'), danger: true }))) return;
      await this.send('close', { reason: c.reason || null, note: c.note.trim() }, t('close.done'));
    };
    return html`<form novalidate onSubmit=${submit} data-testid="close-form">
      <p class=${d.outstanding ? 'notice' : 'muted'} data-testid="closing-outstanding">${d.outstanding ? t('close.outstanding', { n: d.outstanding }) : t('close.all_performed')}</p>
      <div class="field"><label for="close-reason">${t('close.reason')}</label>
        <select id="close-reason" value=${c.reason} onChange=${(/** @type {any} */ ev) => ((c.reason = valueOf(ev)), this.rerender())} data-testid="close-reason">
          <option value="">—</option>
          ${REASONS.map((r) => html`<option key=${r} value=${r} disabled=${r === 'performed' && d.outstanding > 0}>${t(`close.reason.${r}`)}</option>`)}
        </select></div>
      <div class="field"><label for="close-note">${t('close.note')}</label>
        <textarea id="close-note" maxlength="2000" value=${c.note} onInput=${(/** @type {any} */ ev) => (c.note = valueOf(ev))} data-testid="close-note"></textarea></div>
      <div class="actions"><button type="submit" class="primary" disabled=${this.busy} data-testid="close-send">${t('close.submit')}</button></div>
    </form>`;
  }

  /** @param {any} d */
  closed(d) {
    const reason = `${t(`close.reason.${d.reason}`)}${d.note ? `：${d.note}` : ''}`;
    return html`<p data-testid="closing-closed">${t('close.closed', { name: d.closed_by || '', time: fmtDateTime(d.closed_at, this.tz), reason })}</p>
      ${d.report ? html`<p><a href=${`/api/v1/documents/${encodeURIComponent(d.report.id)}`} target="_blank" rel="noopener" data-testid="closing-report">${t('close.report')}</a></p>` : null}
      ${this.caseFile(d)}`;
  }

  /** The case file (卷宗), made at closing; one closed before files were made gets a button to make it. @param {any} d */
  caseFile(d) {
    const f = d.case_file;
    if (f) {
      return html`<p data-testid="case-file"><a href=${`/api/v1${this.base}/case-file`} download=${f.name} data-testid="case-file-link">${t('close.case_file')}</a>${t('close.case_file.size', { kb: Math.max(1, Math.round(f.bytes / 1024)) })}</p>
        <p class="muted small">${t('close.case_file.about')}</p>`;
    }
    return html`<p class="muted" data-testid="case-file-none">${t('close.case_file.none')}</p>
      ${this.canAct() ? html`<div class="actions"><button type="button" class="secondary" disabled=${this.busy} onClick=${() => this.makeCaseFile()} data-testid="case-file-make">${t('close.case_file.make')}</button></div>` : null}`;
  }

  async makeCaseFile() {
    if (this.busy) return;
    this.busy = true;
    this.message = null;
    this.rerender();
    try {
      await api.request('POST', `${this.base}/case-file`, { body: {} });
      this.data = await api.request('GET', `${this.base}/closing`);
      this.message = { kind: 'success', text: t('close.case_file.made') };
      toast(t('close.case_file.made'));
    } catch (err) {
      this.message = { kind: 'error', text: errorMessage(err) };
    } finally {
      this.busy = false;
      this.rerender();
    }
  }
}
