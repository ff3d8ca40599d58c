// @ts-check
// The application for judicial confirmation co-signed on paper, on the mediator's confirmation
// panel (#25). A party started the application and signed it with their key; a party who signs
// nothing with a key (a caller by phone, someone with no smartphone) signs or thumbprints the
// printed 申请书 instead, and the mediator uploads a photo or scan of the signed page and confirms
// it with their own key (a `confirmation_applied` record, method `paper`:
// server/domain/confirmation/paper.py). Once every party has signed, the application goes to the
// court, as after a party's own signature. The page and the key are signing/paper-attest.js's, as
// for the agreement's signatures on paper; the keys are the mediator's own (signing/staff-key.js).
// Drawn by Preact into an element of its own, which the panel keeps while it redraws the rest.

import { html, render } from 'htm/preact';
import * as api from './api.js';
import { t, tv, fmtDateTime } from './i18n.js';
import './agreement-i18n.js';
import './confirmation-i18n.js';
import './paper-i18n.js';
import { MessageLine, reasonOf } from './signing/message.js';
import { PaperAttest } from './signing/paper-attest.js';
import { StaffSigner } from './signing/staff-key.js';
import { errorMessage, h } from './ui.js';

export class ConfirmationPaper {
  /**
   * @param {{ caseId: string, userId: () => string, tz: string, reload: () => Promise<void> }} options
   * `reload`: the panel loads the application again (after an attestation, which may submit it)
   */
  constructor({ caseId, userId, tz, reload }) {
    this.caseId = caseId;
    this.tz = tz;
    /** @type {any} the application drawn last (null: nothing to co-sign) */
    this.application = null;
    /** @type {string | null} the deadline to apply, as the panel has it */
    this.deadline = null;
    this.keysAsked = false;
    /** @type {import('./signing/message.js').Message | null} what making a key here came to */
    this.keyMessage = null;
    this.el = h('div', { class: 'conf-paper-box' });
    this.signer = new StaffSigner({ userId, onChange: () => this.draw() });
    this.pages = new PaperAttest({
      caseId,
      signer: this.signer,
      onChange: () => this.draw(),
      reload,
      testid: 'conf-paper',
      words: (p) => ({
        scan: t('conf.paper.scan'),
        attest: t('conf.paper.attest', { name: p.name }),
        busy: t('conf.paper.attest.busy'),
        missing: t('conf.paper.scan.missing', { name: p.name }),
        confirmTitle: t('conf.paper.attest.confirm.title'),
        confirmText: t('conf.paper.attest.confirm.text', { name: p.name, court: (this.application?.court && this.application.court.name) || '' }),
        done: t('conf.paper.attest.done', { name: p.name }),
        fileName: t('conf.paper.uploaded.name', { name: p.name }),
      }),
      prepare: (partyId, documentId, keyId) => api.prepareApplicationPaperSignature(caseId, { party_id: partyId, document_id: documentId, key_id: keyId }),
      apiText: (err) => (reasonOf(err) === 'out_of_time' ? t('conf.med.deadline.passed', { time: this.deadline ? fmtDateTime(this.deadline, this.tz) : '' }) : errorMessage(err)),
    });
  }

  /** Whether an attestation is under way (the panel then waits before it looks again). */
  get busy() {
    return this.pages.busy;
  }

  /**
   * Draw the box for the application as the panel now has it: the parties still to sign while it
   * waits for co-signatures, nothing otherwise.
   * @param {any} [application] @param {string | null} [deadline]
   */
  draw(application = this.application, deadline = this.deadline) {
    this.application = application;
    this.deadline = deadline;
    const unsigned = application && application.status === 'awaiting_cosign' ? (application.signers || []).filter((/** @type {any} */ s) => !s.signed_at) : [];
    if (unsigned.length && this.signer.keys === null && !this.keysAsked) {
      this.keysAsked = true;
      this.signer.load();
    }
    render(/** @type {any} */ (unsigned.length ? this.box(unsigned) : null), this.el);
  }

  /** @param {any[]} unsigned the parties who have not signed */
  box(unsigned) {
    const passed = this.deadline && Date.parse(this.deadline) <= Date.now();
    return html`<div class="agr-paper conf-paper" data-testid="conf-paper">
      <h3>${t('conf.paper.title')}</h3>
      <p class="hint">${t('conf.paper.intro')}</p>
      ${this.deadline && !passed && html`<p class="hint">${t('conf.paper.deadline', { time: fmtDateTime(this.deadline, this.tz) })}</p>`}
      <div class="actions"><a class="button secondary" href=${api.casePaperFormUrl(this.caseId)} download="" data-testid="conf-paper-print">${t('conf.paper.print')}</a></div>
      ${this.keyBox()}
      <ul class="agr-paper-list">
        ${unsigned.map(
          (/** @type {any} */ s) => html`<li class="agr-paper-party" data-testid="conf-paper-party" data-party-id=${s.party_id}>
            <p><strong>${s.name}</strong>${t('agr.signer.role', { role: tv('partyrole', s.role) })}</p>
            ${this.pages.fields({ id: s.party_id, name: s.name })}
          </li>`,
        )}
      </ul>
    </div>`;
  }

  /** The key to confirm with, or how to get one. */
  keyBox() {
    const g = this.signer;
    if (g.keys === null) return html`<p class="loading" role="status">${t('common.loading')}</p>`;
    const none = html`<p data-testid="conf-paper-no-key">${t('conf.paper.key.none')}</p>`;
    const elsewhere = g.keys.length > 0 && !g.canSignHere();
    return html`<div class="conf-paper-key">
      ${g.keyChoices({ name: 'conf-paper-key', testid: 'conf-paper-key', none, tz: this.tz })}
      ${elsewhere && html`<p class="hint">${t('conf.paper.key.elsewhere')}</p>`}
      <${MessageLine} m=${this.keyMessage} testid="conf-paper-key-message" />
      ${(!g.keys.length || elsewhere) &&
      html`<div class="actions">
        <button type="button" class="secondary" disabled=${g.busy} onClick=${() => this.register()} data-testid="conf-paper-key-register">${t('conf.paper.key.register')}</button>
      </div>`}
    </div>`;
  }

  /** Make a device key in this browser, register it on the account and choose it. */
  async register() {
    this.keyMessage = null;
    await this.signer.register();
    // What it came to is said here, by the key; an attestation's own line says what signing came to.
    this.keyMessage = this.signer.message;
    this.signer.message = null;
    this.draw();
  }
}
