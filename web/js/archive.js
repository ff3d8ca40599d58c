// @ts-check
// Archiving a closed case (归档) on the case page (server/domain/archive.py): the retention the
// organisation's rule gives, the button that archives it, and once archived the notice that the case
// reads only, until when its file is kept, and whether it was destroyed after that.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, fmtDate, fmtDayLong } from './i18n.js';
import './archive-i18n.js';
import { toast, errorMessage, confirmDialog } from './ui.js';
import { Section } from './ui-preact.js';

/** "30年" / "30 years", or "永久" / "for good". @param {number | null | undefined} years */
function retention(years) {
  return years ? t('archive.years', { years }) : t('archive.forever');
}

/**
 * The notice at the top of an archived case's page (from the case itself), or null.
 * @param {any} k the case @param {string} tz
 */
export function archivedNotice(k, tz) {
  if (!k.archived_at) return null;
  const a = k.archive || {};
  const date = fmtDate(k.archived_at, tz);
  return html`<p class="notice" role="status" data-testid="case-archived">
    ${a.retained_until ? t('archive.notice', { date, retention: retention(a.retention_years), until: fmtDayLong(a.retained_until) }) : t('archive.notice.forever', { date })}
    ${a.destroyed_at ? html` ${t('archive.destroyed', { date: fmtDate(a.destroyed_at, tz) })}` : null}
  </p>`;
}

export class CaseArchive {
  /** @param {{ caseId: string, canAct: () => boolean, render: () => void, onChanged: () => void }} options */
  constructor({ caseId, canAct, render, onChanged }) {
    this.caseId = caseId;
    this.canAct = canAct;
    this.rerender = render;
    this.onChanged = onChanged;
    /** @type {any | null} */
    this.data = null;
    this.busy = false;
    this.error = '';
  }

  get path() {
    return `/cases/${encodeURIComponent(this.caseId)}/archive`;
  }

  async load() {
    try {
      this.data = await api.request('GET', this.path);
    } catch {
      /* the page says why the case cannot be read */
    }
    this.rerender();
  }

  async archive() {
    if (this.busy) return;
    if (!(await confirmDialog({ title: t('archive.button'), message: t('archive.confirm'), confirmLabel: t('archive.button'), danger: true }))) return;
    this.busy = true;
    this.error = '';
    this.rerender();
    try {
      this.data = await api.request('POST', this.path, { body: {} });
      toast(t('archive.done'));
      this.onChanged();
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.busy = false;
      this.rerender();
    }
  }

  /** The section, offered once the case is closed and until it is archived (then the page's notice says it). */
  view() {
    const d = this.data;
    if (!d || d.archived || !d.can_archive || !this.canAct()) return null;
    return html`<${Section} id="archive" title=${t('archive.title')}>
      <p class="muted">${t('archive.intro', { retention: retention(d.retention_years) })}</p>
      ${this.error ? html`<p class="form-message error" role="alert" data-testid="archive-error">${this.error}</p>` : null}
      <div class="actions">
        <button type="button" class="primary" disabled=${this.busy} data-testid="archive-case" onClick=${() => this.archive()}>${t('archive.button')}</button>
      </div>
    </${Section}>`;
  }
}
