// @ts-check
// The mediation record (调解笔录) on the live page (server/domain/transcripts.py, signaling/PROTOCOL.md
// "The mediation record"). The mediator writes it in a panel beside the videos: who is present
// (prefilled from the case's parties and mediators), what each side said, the facts both accept, the
// proposals, and an oral agreement if one is reached (人民调解法 arts. 28, 30). Each change is sent a
// moment after typing stops and is kept by the server before anyone sees it; what is typed while the
// connection is down is sent again as soon as it is back, and the page says whether it is saved.
// "完成记录" closes it into a version the parties sign on their own pages. The parties see the same
// panel, read-only, updated as it is written.

import { html, render as draw } from 'htm/preact';
import * as api from './api.js';
import { t, fmtTime } from './i18n.js';
import './transcript-i18n.js';
import { toast, errorMessage } from './ui.js';

const SAVE_AFTER_MS = 800;
const PARTS = /** @type {const} */ (['statements', 'facts', 'proposals', 'agreement']);

/** @typedef {{ recorder: string, present: { name: string, role: string }[], statements: string, facts: string, proposals: string, agreement: string }} Content */

/** @returns {Content} */
function emptyContent() {
  return { recorder: '', present: [], statements: '', facts: '', proposals: '', agreement: '' };
}

/** @param {string} role */
export function presentRole(role) {
  const key = `tr.role.${role}`;
  const word = t(key);
  return word === key ? role : word;
}

export class TranscriptPanel {
  /**
   * @param {{ sessionId: string, signaling: any, writer: boolean, tz?: string }} options
   */
  constructor({ sessionId, signaling, writer, tz = 'Asia/Shanghai' }) {
    this.sessionId = sessionId;
    this.signaling = signaling;
    this.writer = writer;
    this.tz = tz;
    /** @type {Content} */
    this.content = emptyContent();
    /** Everyone the record may name as present (the prefilled list), with whether each is ticked. */
    /** @type {{ name: string, role: string, here: boolean }[]} */
    this.people = [];
    this.loaded = false;
    this.dirty = false; // typed since the last save the server acknowledged
    this.saving = false;
    /** @type {string | null} */
    this.savedAt = null;
    /** @type {string | null} */
    this.saveError = null;
    this.closing = false;
    /** @type {any} */
    this.version = null; // the newest closed version
    /** @type {any} */
    this.recording = null; // who chose that the recording stands for the account of what was said
    /** @type {string | null} */
    this.by = null; // who wrote what a reader sees
    this.timer = /** @type {any} */ (null);
    this.el = document.createElement('section');
    this.el.className = 'live-panel transcript-panel';
    this.el.id = 'transcript';
    this.el.setAttribute('aria-labelledby', 'transcript-title');
    this.el.dataset.testid = 'transcript-panel';
    signaling.on('transcript', (/** @type {any} */ msg) => this.received(msg));
    signaling.on('connect', () => {
      if (this.writer && this.dirty) this.save();
    });
    // The writer reads the saved draft (or the prefilled one) at once; a party is sent it by the
    // server once admitted, never before (PROTOCOL.md: nobody waiting reads the record).
    if (writer) this.load();
    else this.render();
  }

  async load() {
    try {
      const r = await api.request('GET', `/sessions/${encodeURIComponent(this.sessionId)}/transcript`);
      if (!this.dirty) this.take(r.content);
      this.version = r.version;
      this.recording = r.recording;
      if (r.updated_at) this.savedAt = r.updated_at;
    } catch {
      /* the socket sends the draft on joining; the panel waits for it */
    }
    this.loaded = true;
    this.render();
  }

  /** @param {any} content */
  take(content) {
    const c = { ...emptyContent(), ...(content || {}) };
    this.content = c;
    const known = new Map(this.people.map((p) => [`${p.role}|${p.name}`, p]));
    for (const p of c.present) known.set(`${p.role}|${p.name}`, { ...p, here: true });
    const ticked = new Set(c.present.map((/** @type {any} */ p) => `${p.role}|${p.name}`));
    this.people = [...known.values()].map((p) => ({ ...p, here: ticked.has(`${p.role}|${p.name}`) }));
  }

  /** @param {{ content: any, updated_at: string | null, by: string | null }} msg */
  received(msg) {
    // The writer's own text wins over what the server sends back on reconnecting; it is sent again.
    if (this.writer && this.dirty) return;
    this.take(msg.content);
    if (msg.updated_at) this.savedAt = msg.updated_at;
    this.by = msg.by;
    this.loaded = true;
    this.render();
  }

  /** @returns {Content} */
  current() {
    return { ...this.content, present: this.people.filter((p) => p.here).map(({ name, role }) => ({ name, role })) };
  }

  /** @param {string} part @param {string} value */
  edit(part, value) {
    this.content = { ...this.content, [part]: value };
    this.changed();
  }

  changed() {
    this.dirty = true;
    this.saveError = null;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), SAVE_AFTER_MS);
    this.render();
  }

  async save() {
    clearTimeout(this.timer);
    if (this.saving) {
      this.timer = setTimeout(() => this.save(), SAVE_AFTER_MS);
      return;
    }
    this.saving = true;
    const sent = this.current();
    this.render();
    try {
      const ack = await this.signaling.call('transcript', { content: sent });
      this.savedAt = ack.updated_at;
      // Typed again while this save was on its way: that change is still to be sent.
      this.dirty = JSON.stringify(sent) !== JSON.stringify(this.current());
      if (this.dirty) this.timer = setTimeout(() => this.save(), SAVE_AFTER_MS);
    } catch (/** @type {any} */ err) {
      this.saveError = err && err.reason === 'rate_limited' ? t('tr.save.later') : errorMessage(err);
      if (err && err.code === 'network_error') this.saveError = t('tr.save.offline');
    } finally {
      this.saving = false;
      this.render();
    }
  }

  async close() {
    if (this.closing) return;
    if (this.dirty) await this.save();
    if (this.dirty) return;
    this.closing = true;
    this.render();
    try {
      const r = await api.request('POST', `/sessions/${encodeURIComponent(this.sessionId)}/transcript/close`, { body: {} });
      this.version = r.version;
      this.recording = r.recording;
      toast(t('tr.closed.toast', { version: r.version.number }));
    } catch (err) {
      toast(errorMessage(err), 'error', 8000);
    } finally {
      this.closing = false;
      this.render();
    }
  }

  status() {
    if (this.saveError) return html`<p class="tr-status error" role="alert" data-testid="transcript-status">${this.saveError}</p>`;
    if (this.saving || this.dirty) return html`<p class="tr-status muted" data-testid="transcript-status" data-state="saving">${t('tr.saving')}</p>`;
    if (this.savedAt) return html`<p class="tr-status muted" data-testid="transcript-status" data-state="saved">${t('tr.saved', { time: fmtTime(this.savedAt, this.tz) })}</p>`;
    return null;
  }

  versionLine() {
    const v = this.version;
    if (!v) return null;
    return html`<p class="tr-version" data-testid="transcript-version">${t('tr.closed', { version: v.number, hash: v.text_sha256.slice(0, 12) })}</p>`;
  }

  recordingLine() {
    const r = this.recording;
    if (!r) return null;
    if (r.agreed) return html`<p class="notice" data-testid="transcript-recording">${t('tr.recording.agreed')}</p>`;
    const names = (r.parties || []).filter((/** @type {any} */ p) => p.signed_at).map((/** @type {any} */ p) => p.name);
    return names.length ? html`<p class="hint" data-testid="transcript-recording">${t('tr.recording.some', { names: names.join('、') })}</p>` : null;
  }

  writerView() {
    const c = this.content;
    return html`<h2 id="transcript-title">${t('tr.title')}</h2>
      <p class="hint">${t('tr.hint.writer')}</p>
      ${this.recordingLine()}
      <label for="tr-recorder">${t('tr.recorder')}</label>
      <input id="tr-recorder" type="text" maxlength="100" value=${c.recorder} data-testid="transcript-recorder"
        onInput=${(/** @type {any} */ ev) => this.edit('recorder', ev.currentTarget.value)} />
      <fieldset class="tr-present">
        <legend>${t('tr.present')}</legend>
        ${this.people.map(
          (p, i) => html`<label key=${`${p.role}|${p.name}`} class="tr-person">
            <input type="checkbox" checked=${p.here} data-testid="transcript-present"
              onChange=${(/** @type {any} */ ev) => ((this.people[i] = { ...p, here: ev.currentTarget.checked }), this.changed())} />
            ${`${presentRole(p.role)} ${p.name}`}
          </label>`,
        )}
      </fieldset>
      ${PARTS.map(
        (part) => html`<label key=${`l-${part}`} for=${`tr-${part}`}>${t(`tr.part.${part}`)}</label>
          <p key=${`h-${part}`} class="hint" id=${`tr-${part}-hint`}>${t(`tr.part.${part}.hint`)}</p>
          <textarea key=${`t-${part}`} id=${`tr-${part}`} rows=${part === 'statements' ? 8 : 3} data-testid=${`transcript-${part}`}
            aria-describedby=${`tr-${part}-hint`} value=${c[part]}
            onInput=${(/** @type {any} */ ev) => this.edit(part, ev.currentTarget.value)}></textarea>`,
      )}
      ${this.status()}
      ${this.versionLine()}
      <button type="button" class="primary block" disabled=${this.closing || this.saving} onClick=${() => this.close()} data-testid="transcript-close">
        ${this.closing ? t('common.submitting') : t(this.version ? 'tr.close.again' : 'tr.close')}
      </button>
      <p class="hint">${t('tr.close.hint')}</p>`;
  }

  readerView() {
    const c = this.content;
    const written = PARTS.some((part) => c[part]);
    return html`<h2 id="transcript-title">${t('tr.title')}</h2>
      <p class="hint">${t('tr.hint.reader')}</p>
      ${!written
        ? html`<p class="muted" data-testid="transcript-empty">${t('tr.empty')}</p>`
        : html`<div class="tr-read" data-testid="transcript-read">
            ${c.present.length ? html`<p><strong>${t('tr.present')}：</strong>${c.present.map((p) => `${presentRole(p.role)} ${p.name}`).join('；')}</p>` : null}
            ${PARTS.filter((part) => c[part]).map(
              (part) => html`<section key=${part} class="tr-part"><h3>${t(`tr.part.${part}`)}</h3><p class="tr-text" data-testid=${`transcript-read-${part}`}>${c[part]}</p></section>`,
            )}
          </div>`}
      ${this.savedAt ? html`<p class="tr-status muted">${t('tr.updated', { time: fmtTime(this.savedAt, this.tz) })}</p>` : null}`;
  }

  render() {
    draw(this.writer ? this.writerView() : this.readerView(), this.el);
  }
}
