// @ts-check
// The agreement's signatures on paper, on the mediator's agreement panel (#25). A party who signs
// nothing with a key (a caller by phone, someone with no smartphone) has the final text read to
// them, which the mediator records (`agreement_read_aloud`), and signs a printout; the mediator
// uploads a photo or scan of the signed page and confirms it with their own key (a `signature`
// record, method `paper`: server/domain/agreements/paper.py). The mediator's key choice is the
// panel's own (agreement.js's StaffSigner), so the same key signs their attestations and their
// signature.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, tv } from './i18n.js';
import './agreement-i18n.js';
import './paper-i18n.js';
import { MessageLine, reasonOf } from './signing/message.js';
import { confirmDialog, errorMessage, toast } from './ui.js';

/** @typedef {import('./signing/staff-key.js').StaffSigner} StaffSigner */

const READ_METHODS = ['read_by_phone', 'read_in_session', 'read_in_person'];
const SCAN_TYPES = 'image/jpeg,image/png,application/pdf';

export class PaperSignatures {
  /**
   * @param {{ caseId: string, signer: StaffSigner, onChange: () => void, reload: () => Promise<void> }} options
   */
  constructor({ caseId, signer, onChange, reload }) {
    this.caseId = caseId;
    this.signer = signer;
    this.onChange = onChange;
    this.reload = reload;
    /** @type {Record<string, string>} how the text was read to each party */
    this.how = {};
    /** @type {Record<string, File | null>} the scanned page chosen for each party */
    this.scans = {};
    /** @type {string | null} the party being recorded or attested */
    this.busyFor = null;
    /** @type {Record<string, import('./signing/message.js').Message | null>} the last word for each party */
    this.messages = {};
  }

  /**
   * The box for the unsigned parties of a final agreement (none once they have all signed).
   * @param {any} view the agreement view
   */
  box(view) {
    const unsigned = (view.signers || []).filter((/** @type {any} */ s) => s.kind === 'party' && !s.signed_at);
    if (!unsigned.length) return null;
    const pdf = (view.pdf || {}).agreement;
    return html`<div class="agr-paper" data-testid="paper-signatures">
      <h3>${t('paper.title')}</h3>
      <p class="hint">${t('paper.intro')}</p>
      ${pdf && html`<div class="actions"><a class="button secondary" href=${pdf} download="" data-testid="paper-print">${t('paper.print')}</a></div>`}
      <p class="hint">${t('paper.key')}</p>
      <ul class="agr-paper-list">${unsigned.map((/** @type {any} */ s) => this.party(s, view))}</ul>
    </div>`;
  }

  /** @param {any} s a signer line @param {any} view */
  party(s, view) {
    const busy = this.busyFor === s.id || this.signer.busy;
    const how = this.how[s.id] || READ_METHODS[0];
    const readId = `paper-read-${s.id}`;
    const scanId = `paper-scan-${s.id}`;
    const role = tv('partyrole', s.role);
    return html`<li class="agr-paper-party" data-testid="paper-party" data-party-id=${s.id}>
      <p><strong>${s.name}</strong>${t('agr.signer.role', { role })}</p>
      <div class="field">
        <label for=${readId}>${t('paper.read.how')}</label>
        <select id=${readId} value=${how} disabled=${busy} data-testid="paper-read-how"
          onChange=${(/** @type {any} */ e) => { this.how[s.id] = e.currentTarget.value; }}>
          ${READ_METHODS.map((m) => html`<option value=${m}>${t(`paper.read.${m}`)}</option>`)}
        </select>
      </div>
      <div class="actions">
        <button type="button" class="secondary" disabled=${busy} onClick=${() => this.read(s, view)} data-testid="paper-read">${t('paper.read', { name: s.name })}</button>
      </div>
      <div class="field">
        <label for=${scanId}>${t('paper.scan')}</label>
        <input id=${scanId} type="file" accept=${SCAN_TYPES} disabled=${busy} data-testid="paper-scan"
          onChange=${(/** @type {any} */ e) => this.chose(s.id, (e.currentTarget.files && e.currentTarget.files[0]) || null)} />
      </div>
      <div class="actions">
        <button type="button" class="primary" disabled=${busy || !this.signer.choice} onClick=${() => this.attest(s, view)} data-testid="paper-attest">
          ${this.busyFor === s.id ? t('paper.attest.busy') : t('paper.attest', { name: s.name })}
        </button>
      </div>
      <${MessageLine} m=${this.messages[s.id] || null} testid="paper-message" />
    </li>`;
  }

  /** A page chosen: what was said of a missing one no longer stands. @param {string} id @param {File | null} file */
  chose(id, file) {
    this.scans[id] = file;
    this.messages[id] = null;
    this.onChange();
  }

  /** Record that the mediator read the final text to this party. @param {any} s @param {any} view */
  async read(s, view) {
    this.busyFor = s.id;
    this.messages[s.id] = null;
    this.onChange();
    try {
      await api.recordAgreementReadAloud(this.caseId, { party_id: s.id, method: this.how[s.id] || READ_METHODS[0] });
      this.messages[s.id] = { kind: 'ok', text: t('paper.read.done', { name: s.name, n: view.final_version }) };
    } catch (err) {
      this.messages[s.id] = { kind: 'error', text: errorMessage(err) };
    }
    this.busyFor = null;
    this.onChange();
  }

  /** Upload the signed page, then confirm it with the mediator's own key. @param {any} s @param {any} view */
  async attest(s, view) {
    const scan = this.scans[s.id];
    const key = this.signer.chosen();
    if (!scan) {
      this.messages[s.id] = { kind: 'error', text: t('paper.scan.missing', { name: s.name }) };
      this.onChange();
      return;
    }
    if (!key) return;
    const ok = await confirmDialog({
      title: t('paper.attest.confirm.title'),
      message: t('paper.attest.confirm.text', { name: s.name, n: view.final_version }),
      confirmLabel: t('paper.attest', { name: s.name }),
    });
    if (!ok.ok) return;
    this.busyFor = s.id;
    this.messages[s.id] = null;
    this.onChange();
    let page = null;
    try {
      const ext = (scan.name.match(/\.[A-Za-z0-9]{1,5}$/) || [''])[0];
      const name = `${t('paper.uploaded.name', { name: s.name })}${ext}`;
      page = await api.uploadDocument(`/cases/${encodeURIComponent(this.caseId)}/documents`, scan, { name, visibleTo: [] });
    } catch (err) {
      this.messages[s.id] = { kind: 'error', text: errorMessage(err) };
    }
    if (page) {
      const done = await this.signer.sign({
        caseId: this.caseId,
        key,
        prepare: () => api.preparePaperSignature(this.caseId, { party_id: s.id, document_id: page.id, key_id: key.key_id }),
        apiText: (err) => (reasonOf(err) === 'deadline' ? t('agr.sign.closed') : errorMessage(err)),
      });
      this.messages[s.id] = done ? { kind: 'ok', text: t('paper.attest.done', { name: s.name }) } : this.signer.message;
      if (done) toast(t('paper.attest.done', { name: s.name }));
    }
    this.busyFor = null;
    await this.reload();
  }
}
