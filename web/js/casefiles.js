// @ts-check
// A case's files (server/http/AGREEMENT_API.md, "Case files"), for the mediator's case page and
// the party's page: the list (with who may see each file), and an upload of a PDF, PNG or JPEG
// with its size limit, progress and plain messages when the server refuses it (413, 415).
// The mediator chooses which parties may see a file (default: everyone); a party chooses whether
// the other party may (the mediator always can).

import * as api from './api.js';
import { t, tv, fmtShortDateTime, onLangChange } from './i18n.js';
import './agreement-i18n.js';
import './evidence-i18n.js';
import { h, replace, badge, emptyState, loadingState, errorState, errorMessage, toast, snapshotInputs, restoreInputs } from './ui.js';

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
    this.items = [];
    this.error = null;
    this.uploading = null; // {name, loaded, total}
    this.message = null; // {kind, text}
    this.prefix = mode === 'staff' ? 'cf' : 'pf';
    this.el = h('div', { class: ['case-files', big && 'case-files-big'], dataset: { testid: 'case-files' } });
    this.listHost = h('div', { class: 'case-files-list', 'aria-live': 'polite' });
    this.formHost = h('div', { class: 'case-files-upload' });
    this.el.append(this.listHost, this.formHost);
    onLangChange(() => this.render(true));
    this.render(true);
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
    this.renderList();
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

  renderList() {
    if (this.status === 'loading') return replace(this.listHost, loadingState());
    if (this.status === 'error') return replace(this.listHost, errorState(this.error, () => this.load()));
    if (!this.items.length) return replace(this.listHost, emptyState(t('files.none')));
    const items = [...this.items].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    replace(
      this.listHost,
      h(
        'ul',
        { class: 'file-list', dataset: { testid: 'file-list' } },
        items.map((f) =>
          h(
            'li',
            { class: 'file-item', dataset: { testid: 'file-item', kind: f.kind || 'upload' } },
            h(
              'p',
              { class: 'file-line' },
              h('span', { class: 'file-type', 'aria-hidden': 'true' }, TYPE_LABELS[f.content_type] || 'FILE'),
              f.url
                ? h('a', { href: f.url, target: '_blank', rel: 'noopener', class: 'file-name', dataset: { testid: 'file-link' } }, f.name)
                : h('span', { class: 'file-name' }, f.name),
              f.kind && f.kind !== 'upload' ? [' ', badge(tv('files.kind', f.kind), 'ok')] : null,
            ),
            h(
              'p',
              { class: 'muted small file-meta' },
              [
                fmtBytes(f.bytes),
                f.uploaded_by ? t('files.by', { name: f.uploaded_by.name || tv('actor', f.uploaded_by.kind) }) : null,
                f.created_at ? fmtShortDateTime(f.created_at, this.tz) : null,
                this.visibility(f),
              ]
                .filter(Boolean)
                .join(' · '),
            ),
          ),
        ),
      ),
    );
  }

  visibilityControls() {
    const p = this.prefix;
    if (this.mode === 'party') {
      return h(
        'div',
        { class: 'field check' },
        h('input', { id: `${p}-share`, name: 'share', type: 'checkbox', checked: true, dataset: { testid: 'file-share' } }),
        h('label', { for: `${p}-share` }, t('files.share.other')),
      );
    }
    const parties = this.getParties() || [];
    return h(
      'fieldset',
      { class: 'file-visibility' },
      h('legend', null, t('files.visible.choose')),
      parties.length
        ? parties.map((party) =>
            h(
              'div',
              { class: 'field check' },
              h('input', { id: `${p}-vis-${party.id}`, name: 'visible', type: 'checkbox', value: party.id, checked: true, dataset: { testid: 'file-visible' } }),
              h('label', { for: `${p}-vis-${party.id}` }, t('paren', { a: party.name, b: tv('partyrole', party.role) })),
            ),
          )
        : h('p', { class: 'muted' }, t('files.no_parties')),
      h('p', { class: 'hint' }, t('files.visible.hint')),
    );
  }

  renderForm() {
    if (this.isLocked()) return null;
    const p = this.prefix;
    const limit = fmtBytes(this.maxBytes);
    const up = this.uploading;
    const form = h(
      'form',
      { class: 'file-form', novalidate: true, 'aria-labelledby': `${p}-upload-title` },
      h('h3', { id: `${p}-upload-title` }, t('files.upload.title')),
      // The label wraps the file input, which has no id: pages that keep typed values across a
      // redraw (ui.snapshotInputs) must not try to set a file input's value.
      h(
        'div',
        { class: 'field' },
        h(
          'label',
          { class: 'file-choose' },
          t('files.choose'),
          h('input', { name: 'file', type: 'file', accept: '.pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg', 'aria-describedby': `${p}-file-hint`, dataset: { testid: 'file-input' } }),
        ),
        h('p', { class: 'hint', id: `${p}-file-hint` }, t('files.limit', { size: limit })),
      ),
      this.visibilityControls(),
      up
        ? h(
            'div',
            { class: 'file-progress', role: 'status' },
            h('label', { for: `${p}-progress` }, t('files.uploading', { name: up.name })),
            h('progress', { id: `${p}-progress`, max: up.total || 1, value: up.loaded, dataset: { testid: 'file-progress' } }),
            h('span', { class: 'muted small' }, `${Math.round((100 * up.loaded) / (up.total || 1))}%`),
          )
        : null,
      this.message
        ? h('p', { class: ['key-message', `key-message-${this.message.kind}`], role: this.message.kind === 'error' ? 'alert' : 'status', tabindex: '-1', dataset: { testid: 'file-message' } }, this.message.text)
        : null,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: ['primary', this.big && 'big block'], disabled: Boolean(up), dataset: { testid: 'file-upload' } }, up ? t('files.uploading.short') : t('files.upload'))),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.upload(form);
    });
    return form;
  }

  say(kind, text) {
    this.message = { kind, text };
  }

  async upload(form) {
    const file = form.elements.file.files && form.elements.file.files[0];
    if (!file) {
      this.say('error', t('files.choose.first'));
      return this.renderFormKeeping('file-input');
    }
    const type = typeOf(file);
    if (!TYPES.includes(type)) {
      this.say('error', t('files.type'));
      return this.renderFormKeeping('file-input');
    }
    if (file.size > this.maxBytes) {
      this.say('error', t('files.too_big', { size: fmtBytes(this.maxBytes) }));
      return this.renderFormKeeping('file-input');
    }
    /** @type {string[] | null} */
    let visibleTo = null;
    if (this.mode === 'party') {
      if (!form.elements.share.checked && this.self) visibleTo = [this.self.id];
    } else {
      const boxes = [...form.querySelectorAll('input[name="visible"]')];
      const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
      if (chosen.length < boxes.length) visibleTo = chosen;
    }
    const body = /** @type {File} */ (type === file.type ? file : new Blob([file], { type })); // named below
    this.uploading = { name: file.name, loaded: 0, total: file.size };
    this.message = null;
    this.renderForm$();
    try {
      const item = await api.uploadDocument(this.mode === 'staff' ? `/cases/${encodeURIComponent(/** @type {string} */ (this.caseId))}/documents` : '/party/documents', body, {
        name: file.name,
        visibleTo,
        onProgress: (loaded, total) => {
          this.uploading = { name: file.name, loaded, total };
          const bar = this.formHost.querySelector('progress');
          if (bar) {
            bar.max = total || 1;
            bar.value = loaded;
          }
        },
      });
      this.uploading = null;
      this.say('success', t('files.uploaded', { name: (item && item.name) || file.name }));
      toast(t('files.uploaded', { name: (item && item.name) || file.name }));
      replace(this.formHost, this.renderForm()); // a fresh form: no file, everyone ticked again
      await this.load();
    } catch (err) {
      this.uploading = null;
      if (err.status === 413) this.say('error', t('files.too_big', { size: fmtBytes(this.maxBytes) }));
      else if (err.status === 415) this.say('error', t('files.type'));
      else this.say('error', errorMessage(err));
      this.renderForm$();
    }
    this.formHost.querySelector('[data-testid="file-message"]')?.focus();
  }

  /** Redraw the form, keeping the chosen file and ticks. */
  renderForm$() {
    const file = this.formHost.querySelector('input[type="file"]');
    const snap = snapshotInputs(this.formHost);
    replace(this.formHost, this.renderForm());
    restoreInputs(this.formHost, snap);
    const again = this.formHost.querySelector('input[type="file"]');
    if (file && again && file.files && file.files.length) {
      try {
        again.files = file.files;
      } catch {
        /* some browsers do not allow it: the file is chosen again */
      }
    }
  }

  renderFormKeeping(testid) {
    this.renderForm$();
    this.formHost.querySelector(`[data-testid="${testid}"]`)?.focus();
  }

  render(force = false) {
    this.renderList();
    if (force) this.renderForm$();
  }
}
