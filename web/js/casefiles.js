// @ts-check
// A case's files (server/http/AGREEMENT_API.md, "Case files"), for the mediator's case page and
// the party's page: the list (with who may see each file), and an upload of a PDF, PNG or JPEG
// with its size limit, progress and plain messages when the server refuses it (413, 415).
// The mediator chooses which parties may see a file (default: everyone); a party chooses whether
// the other party may (the mediator always can).
// Drawn with Preact + htm into the card's own element (`el`, which the pages place): what is chosen
// in the upload form (the file, who may see it) stays across a redraw and a change of language.

import { html, render } from 'htm/preact';
import * as api from './api.js';
import { t, tv, fmtShortDateTime, onLangChange } from './i18n.js';
import './agreement-i18n.js';
import './evidence-i18n.js';
import './archive-i18n.js';
import { h, errorMessage, toast } from './ui.js';
import { badge, empty, loading, loadError } from './ui-preact.js';

const TYPES = ['application/pdf', 'image/png', 'image/jpeg'];
const EXTENSIONS = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const TYPE_LABELS = { 'application/pdf': 'PDF', 'image/png': 'PNG', 'image/jpeg': 'JPG' };

/** "1.2 MB", "350 KB". */
export function fmtBytes(n) {
  const b = Number(n) || 0;
  if (b >= 1024 * 1024) return `${(b / (1024 * 1024)).toFixed(b >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  if (b >= 1024) return `${Math.max(1, Math.round(b / 1024))} KB`;
  return `${b} B`;
}

/** The file's type: as the browser says, else from its extension. */
function typeOf(file) {
  if (TYPES.includes(file.type)) return file.type;
  const ext = (/\.([a-z0-9]+)$/i.exec(file.name || '') || [])[1];
  return (ext && EXTENSIONS[ext.toLowerCase()]) || file.type || '';
}

/**
 * The case files card. mode: 'staff' (caseId, getParties()) or 'party' (self: {id}, the party).
 * `maxBytes`: the server's limit if known (else 10 MB).
 */
export class CaseFiles {
  /**
   * @param {{
   *   mode: 'staff' | 'party', caseId?: string | null, getParties?: () => any[] | null | undefined, self?: any,
   *   tz?: string, maxBytes?: number, big?: boolean, isLocked?: () => boolean,
   * }} options
   */
  constructor({ mode, caseId = null, getParties = () => [], self = null, tz, maxBytes = DEFAULT_MAX_BYTES, big = false, isLocked = () => false }) {
    this.mode = mode;
    this.isLocked = isLocked; // the case is before the court: files can be read, not added
    this.caseId = caseId;
    this.getParties = getParties;
    this.self = self;
    this.tz = tz;
    this.maxBytes = maxBytes || DEFAULT_MAX_BYTES;
    this.big = big;
    this.status = 'loading';
    /** @type {any[]} */
    this.items = [];
    this.error = null;
    /** @type {{ name: string, loaded: number, total: number } | null} */
    this.uploading = null;
    /** @type {{ kind: string, text: string } | null} */
    this.message = null;
    this.prefix = mode === 'staff' ? 'cf' : 'pf';
    // What the upload form holds besides the file (which stays in its own input): who may see it.
    this.share = true; // party: the other party may see it
    /** @type {Set<string>} */
    this.hiddenFrom = new Set(); // staff: the parties not ticked
    this.fresh = 0; // a new number: a fresh form (no file, everyone ticked again)
    this.el = h('div', { class: ['case-files', big && 'case-files-big'], dataset: { testid: 'case-files' } });
    onLangChange(() => this.render());
    this.render();
  }

  async load() {
    try {
      // The server's own limit, so that the page says the same as the 413 would.
      const limits = await api.meta().catch(() => null);
      if (limits && limits.max_upload_bytes) this.maxBytes = limits.max_upload_bytes;
      const data = this.mode === 'staff' ? await api.caseDocuments(this.caseId) : await api.partyDocuments();
      this.items = (data && data.items) || [];
      this.status = 'ready';
      this.error = null;
    } catch (err) {
      if (this.status !== 'ready') {
        this.status = 'error';
        this.error = err;
      }
    }
    this.render();
  }

  partyName(id) {
    const p = (this.getParties() || []).find((x) => x.id === id);
    return p ? p.name : '';
  }

  /** Who may see a file, in words. */
  visibility(item) {
    if (!item.visible_to) return t('files.visible.all');
    if (this.mode === 'party') {
      return item.visible_to.length === 1 && this.self && item.visible_to[0] === this.self.id ? t('files.visible.me_mediator') : t('files.visible.some');
    }
    if (!item.visible_to.length) return t('files.visible.mediator');
    const names = item.visible_to.map((id) => this.partyName(id)).filter(Boolean);
    return t('files.visible.these', { names: names.join('、') || item.visible_to.length });
  }

  list() {
    if (this.status === 'loading') return loading();
    if (this.status === 'error') return loadError(this.error, () => this.load());
    if (!this.items.length) return empty(t('files.none'));
    const items = [...this.items].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    return html`<ul class="file-list" data-testid="file-list">
      ${items.map(
        (f) => html`<li key=${f.id} class="file-item" data-testid="file-item" data-kind=${f.kind || 'upload'}>
          <p class="file-line">
            <span class="file-type" aria-hidden="true">${TYPE_LABELS[f.content_type] || 'FILE'}</span>
            ${f.url ? html`<a href=${f.url} target="_blank" rel="noopener" class="file-name" data-testid="file-link">${f.name}</a>` : html`<span class="file-name">${f.name}</span>`}
            ${f.kind && f.kind !== 'upload' ? html` ${badge(tv('files.kind', f.kind), 'ok')}` : null}
            ${f.destroyed_at ? html` ${badge(t('files.destroyed'), 'muted')}` : null}
          </p>
          <p class="muted small file-meta">
            ${[
              fmtBytes(f.bytes),
              f.uploaded_by ? t('files.by', { name: f.uploaded_by.name || tv('actor', f.uploaded_by.kind) }) : null,
              f.created_at ? fmtShortDateTime(f.created_at, this.tz) : null,
              this.visibility(f),
            ]
              .filter(Boolean)
              .join(' · ')}
          </p>
        </li>`,
      )}
    </ul>`;
  }

  visibilityControls() {
    const p = this.prefix;
    if (this.mode === 'party') {
      return html`<div class="field check">
        <input id=${`${p}-share`} name="share" type="checkbox" checked=${this.share} data-testid="file-share" onChange=${(ev) => (this.share = ev.currentTarget.checked)} />
        <label for=${`${p}-share`}>${t('files.share.other')}</label>
      </div>`;
    }
    const parties = this.getParties() || [];
    const tick = (id) => (ev) => {
      if (ev.currentTarget.checked) this.hiddenFrom.delete(id);
      else this.hiddenFrom.add(id);
    };
    return html`<fieldset class="file-visibility">
      <legend>${t('files.visible.choose')}</legend>
      ${parties.length
        ? parties.map(
            (party) => html`<div class="field check" key=${party.id}>
              <input id=${`${p}-vis-${party.id}`} name="visible" type="checkbox" value=${party.id} checked=${!this.hiddenFrom.has(party.id)} data-testid="file-visible"
                onChange=${tick(party.id)} />
              <label for=${`${p}-vis-${party.id}`}>${t('paren', { a: party.name, b: tv('partyrole', party.role) })}</label>
            </div>`,
          )
        : html`<p class="muted">${t('files.no_parties')}</p>`}
      <p class="hint">${t('files.visible.hint')}</p>
    </fieldset>`;
  }

  form() {
    if (this.isLocked()) return null;
    const p = this.prefix;
    const up = this.uploading;
    const m = this.message;
    const submit = (ev) => {
      ev.preventDefault();
      this.upload(ev.currentTarget);
    };
    // The label wraps the file input, which has no id. Preact keeps the input (and the file chosen
    // in it) across a redraw; a new `fresh` number makes a new, empty form.
    return html`<form key=${this.fresh} class="file-form" novalidate aria-labelledby=${`${p}-upload-title`} onSubmit=${submit}>
      <h3 id=${`${p}-upload-title`}>${t('files.upload.title')}</h3>
      <div class="field">
        <label class="file-choose">
          ${t('files.choose')}
          <input name="file" type="file" accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg" aria-describedby=${`${p}-file-hint`} data-testid="file-input" />
        </label>
        <p class="hint" id=${`${p}-file-hint`}>${t('files.limit', { size: fmtBytes(this.maxBytes) })}</p>
      </div>
      ${this.visibilityControls()}
      ${up
        ? html`<div class="file-progress" role="status">
            <label for=${`${p}-progress`}>${t('files.uploading', { name: up.name })}</label>
            <progress id=${`${p}-progress`} max=${up.total || 1} value=${up.loaded} data-testid="file-progress"></progress>
            <span class="muted small">${`${Math.round((100 * up.loaded) / (up.total || 1))}%`}</span>
          </div>`
        : null}
      ${m
        ? html`<p class=${`key-message key-message-${m.kind}`} role=${m.kind === 'error' ? 'alert' : 'status'} tabindex="-1" data-testid="file-message">${m.text}</p>`
        : null}
      <div class="actions">
        <button type="submit" class=${this.big ? 'primary big block' : 'primary'} disabled=${Boolean(up)} data-testid="file-upload">${up ? t('files.uploading.short') : t('files.upload')}</button>
      </div>
    </form>`;
  }

  /** @param {string} kind @param {string} text */
  say(kind, text) {
    this.message = { kind, text };
  }

  /** @param {HTMLFormElement} form */
  async upload(form) {
    const input = /** @type {HTMLInputElement} */ (form.elements.namedItem('file'));
    const file = input.files && input.files[0];
    let refused = '';
    if (!file) refused = t('files.choose.first');
    else if (!TYPES.includes(typeOf(file))) refused = t('files.type');
    else if (file.size > this.maxBytes) refused = t('files.too_big', { size: fmtBytes(this.maxBytes) });
    if (!file || refused) {
      this.say('error', refused);
      this.render();
      return input.focus();
    }
    const type = typeOf(file);
    /** @type {string[] | null} */
    let visibleTo = null;
    if (this.mode === 'party') {
      if (!this.share && this.self) visibleTo = [this.self.id];
    } else {
      const ids = (this.getParties() || []).map((x) => x.id);
      const chosen = ids.filter((id) => !this.hiddenFrom.has(id));
      if (chosen.length < ids.length) visibleTo = chosen;
    }
    const body = /** @type {File} */ (type === file.type ? file : new Blob([file], { type })); // named below
    this.uploading = { name: file.name, loaded: 0, total: file.size };
    this.message = null;
    this.render();
    try {
      const item = await api.uploadDocument(this.mode === 'staff' ? `/cases/${encodeURIComponent(/** @type {string} */ (this.caseId))}/documents` : '/party/documents', body, {
        name: file.name,
        visibleTo,
        onProgress: (loaded, total) => {
          this.uploading = { name: file.name, loaded, total };
          this.render();
        },
      });
      this.uploading = null;
      this.say('success', t('files.uploaded', { name: (item && item.name) || file.name }));
      toast(t('files.uploaded', { name: (item && item.name) || file.name }));
      // A fresh form: no file, everyone ticked again.
      this.fresh += 1;
      this.share = true;
      this.hiddenFrom = new Set();
      this.render();
      await this.load();
    } catch (err) {
      this.uploading = null;
      if (err.status === 413) this.say('error', t('files.too_big', { size: fmtBytes(this.maxBytes) }));
      else if (err.status === 415) this.say('error', t('files.type'));
      else this.say('error', errorMessage(err));
      this.render();
    }
    /** @type {HTMLElement | null} */ (this.el.querySelector('[data-testid="file-message"]'))?.focus();
  }

  /** Draw the card from what it holds (what is chosen in the form stays). */
  render() {
    render(
      html`<div class="case-files-list" aria-live="polite">${this.list()}</div>
        <div class="case-files-upload">${this.form()}</div>`,
      this.el,
    );
  }
}
