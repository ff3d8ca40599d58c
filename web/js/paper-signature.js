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
import { PaperAttest } from './signing/paper-attest.js';
import { errorMessage } from './ui.js';

/** @typedef {import('./signing/staff-key.js').StaffSigner} StaffSigner */

const READ_METHODS = ['read_by_phone', 'read_in_session', 'read_in_person'];

export class PaperSignatures {
  /**
   * @param {{ caseId: string, signer: StaffSigner, onChange: () => void, reload: () => Promise<void> }} options
   */
  constructor({ caseId, signer, onChange, reload }) {
    this.caseId = caseId;
    this.signer = signer;
    this.onChange = onChange;
    /** @type {Record<string, string>} how the text was read to each party */
    this.how = {};
    /** @type {string | null} the party whose reading is being recorded */
    this.readingFor = null;
    /** @type {Record<string, import('./signing/message.js').Message | null>} the last word on each party's reading */
    this.readMessages = {};
    /** @type {number} the final version shown, which the attestation names */
    this.version = 0;
    // The signed page and its attestation: the interaction the application's co-signature on paper shares.
    this.pages = new PaperAttest({
      caseId,
      signer,
      onChange,
      reload,
      testid: 'paper',
      words: (p) => ({
        scan: t('paper.scan'),
        attest: t('paper.attest', { name: p.name }),
        busy: t('paper.attest.busy'),
        missing: t('paper.scan.missing', { name: p.name }),
        confirmTitle: t('paper.attest.confirm.title'),
        confirmText: t('paper.attest.confirm.text', { name: p.name, n: this.version }),
        done: t('paper.attest.done', { name: p.name }),
        fileName: t('paper.uploaded.name', { name: p.name }),
      }),
      prepare: (partyId, documentId, keyId) => api.preparePaperSignature(caseId, { party_id: partyId, document_id: documentId, key_id: keyId }),
      apiText: (err) => (reasonOf(err) === 'deadline' ? t('agr.sign.closed') : errorMessage(err)),
    });
  }

  /** Whether a reading or an attestation is under way (the panel then waits before it looks again). */
  get busyFor() {
    return this.readingFor || this.pages.busyFor;
  }

  /**
   * The box for the unsigned parties of a final agreement (none once they have all signed).
   * @param {any} view the agreement view
   */
  box(view) {
    const unsigned = (view.signers || []).filter((/** @type {any} */ s) => s.kind === 'party' && !s.signed_at);
    if (!unsigned.length) return null;
    this.version = view.final_version;
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
    const busy = this.readingFor === s.id || this.pages.busyFor === s.id || this.signer.busy;
    const how = this.how[s.id] || READ_METHODS[0];
    const readId = `paper-read-${s.id}`;
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
      <${MessageLine} m=${this.readMessages[s.id] || null} testid="paper-message" />
      ${this.pages.fields({ id: s.id, name: s.name }, { busy })}
    </li>`;
  }

  /** Record that the mediator read the final text to this party. @param {any} s @param {any} view */
  async read(s, view) {
    this.readingFor = s.id;
    this.readMessages[s.id] = null;
    this.onChange();
    try {
      await api.recordAgreementReadAloud(this.caseId, { party_id: s.id, method: this.how[s.id] || READ_METHODS[0] });
      this.readMessages[s.id] = { kind: 'ok', text: t('paper.read.done', { name: s.name, n: view.final_version }) };
    } catch (err) {
      this.readMessages[s.id] = { kind: 'error', text: errorMessage(err) };
    }
    this.readingFor = null;
    this.onChange();
  }
}
