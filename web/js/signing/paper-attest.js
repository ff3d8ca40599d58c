// @ts-check
// A page a party signed on paper, attested by the mediator (#25): the one interaction behind the
// agreement's signatures on paper (paper-signature.js) and the application for judicial
// confirmation co-signed on paper (confirmation-paper.js). For each party: choose a photo or scan
// of the signed page, upload it to the case file, and confirm with the mediator's own key (a
// StaffSigner's choice) that this is the page the party signed. What is signed, and its words, are
// the caller's: `prepare` asks the server for the statement, `words` says it in the reader's language.

import { html } from 'htm/preact';
import * as api from '../api.js';
import { MessageLine } from './message.js';
import { confirmDialog, errorMessage, toast } from '../ui.js';

/** @typedef {import('./staff-key.js').StaffSigner} StaffSigner */
/** @typedef {{ id: string, name: string }} PaperParty */
/**
 * What the caller says, for one party.
 * @typedef {{
 *   scan: string, attest: string, busy: string, missing: string,
 *   confirmTitle: string, confirmText: string, done: string, fileName: string,
 * }} PaperWords
 */

/** What a scan of a signed page may be (the server checks the bytes). */
export const SCAN_TYPES = 'image/jpeg,image/png,application/pdf';

export class PaperAttest {
  /**
   * @param {{
   *   caseId: string, signer: StaffSigner, onChange: () => void, reload: () => Promise<void>,
   *   testid: string, words: (p: PaperParty) => PaperWords,
   *   prepare: (partyId: string, documentId: string, keyId: string) => Promise<{ challenge: string }>,
   *   apiText?: (err: any) => string,
   * }} options `testid`: the prefix of the fields' test ids (`${testid}-scan`, `-attest`, `-message`)
   */
  constructor({ caseId, signer, onChange, reload, testid, words, prepare, apiText = errorMessage }) {
    this.caseId = caseId;
    this.signer = signer;
    this.onChange = onChange;
    this.reload = reload;
    this.testid = testid;
    this.words = words;
    this.prepare = prepare;
    this.apiText = apiText;
    /** @type {Record<string, File | null>} the scanned page chosen for each party */
    this.scans = {};
    /** @type {string | null} the party being attested */
    this.busyFor = null;
    /** @type {Record<string, import('./message.js').Message | null>} the last word for each party */
    this.messages = {};
  }

  /** Whether something is under way (the page then waits before it looks again). */
  get busy() {
    return Boolean(this.busyFor) || this.signer.busy;
  }

  /**
   * The page's file, the button that confirms it and the line that says what happened, for one party.
   * `busy`: another step of the caller's for this party is under way.
   * @param {PaperParty} p @param {{ busy?: boolean }} [options]
   */
  fields(p, { busy = false } = {}) {
    const w = this.words(p);
    const off = busy || this.busyFor === p.id || this.signer.busy;
    const scanId = `${this.testid}-scan-${p.id}`;
    return html`<div class="field">
        <label for=${scanId}>${w.scan}</label>
        <input id=${scanId} type="file" accept=${SCAN_TYPES} disabled=${off} data-testid=${`${this.testid}-scan`}
          onChange=${(/** @type {any} */ e) => this.chose(p.id, (e.currentTarget.files && e.currentTarget.files[0]) || null)} />
      </div>
      <div class="actions">
        <button type="button" class="primary" disabled=${off || !this.signer.choice} onClick=${() => this.attest(p)} data-testid=${`${this.testid}-attest`}>
          ${this.busyFor === p.id ? w.busy : w.attest}
        </button>
      </div>
      <${MessageLine} m=${this.messages[p.id] || null} testid=${`${this.testid}-message`} />`;
  }

  /** A page chosen: what was said of a missing one no longer stands. @param {string} id @param {File | null} file */
  chose(id, file) {
    this.scans[id] = file;
    this.messages[id] = null;
    this.onChange();
  }

  /** Upload the signed page, then confirm it with the mediator's own key. @param {PaperParty} p */
  async attest(p) {
    const w = this.words(p);
    const scan = this.scans[p.id];
    const key = this.signer.chosen();
    if (!scan) {
      this.messages[p.id] = { kind: 'error', text: w.missing };
      this.onChange();
      return;
    }
    if (!key) return;
    const ok = await confirmDialog({ title: w.confirmTitle, message: w.confirmText, confirmLabel: w.attest });
    if (!ok.ok) return;
    this.busyFor = p.id;
    this.messages[p.id] = null;
    this.onChange();
    let page = null;
    try {
      const ext = (scan.name.match(/\.[A-Za-z0-9]{1,5}$/) || [''])[0];
      page = await api.uploadDocument(`/cases/${encodeURIComponent(this.caseId)}/documents`, scan, { name: `${w.fileName}${ext}`, visibleTo: [] });
    } catch (err) {
      this.messages[p.id] = { kind: 'error', text: errorMessage(err) };
    }
    if (page) {
      const done = await this.signer.sign({
        caseId: this.caseId,
        key,
        prepare: () => this.prepare(p.id, page.id, key.key_id),
        apiText: this.apiText,
      });
      this.messages[p.id] = done ? { kind: 'ok', text: w.done } : this.signer.message;
      if (done) {
        this.scans[p.id] = null;
        toast(w.done);
      }
    }
    this.busyFor = null;
    await this.reload();
  }
}
