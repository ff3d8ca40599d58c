// @ts-check
// The mediation record on the party's page (server/domain/transcripts.py): once the mediator closes
// the record of a session, a card shows its text as it will be signed (the form's head, what was said,
// the facts both sides accept, the proposals, an oral agreement), with who has signed it. An applicant
// or respondent signs it with their own key (signing/party-flow.js: the texted code with the device
// key, or a passkey; with no key on this device the key card binds one first, then signing goes on),
// and may write what they disagree with: that note goes into their signed statement and is shown
// beside the record, never into it. A newer version closed meanwhile is shown in its place, to read
// and sign again. Agents and invited persons read it.

import { html, render as draw } from 'htm/preact';
import * as api from './api.js';
import { ApiError } from './api.js';
import { t, onLangChange, fmtDateTime } from './i18n.js';
import './agreement-i18n.js';
import './transcript-i18n.js';
import { h, toast } from './ui.js';
import { badge } from './ui-preact.js';
import { PartySigning } from './signing/party-flow.js';

const POLL_MS = 15_000;

export class PartyTranscript {
  /**
   * @param {{ party: { id: string, name?: string, role?: string }, keys: import('./keybind.js').KeyBinding | null, tz?: string }} options
   */
  constructor({ party, keys, tz = 'Asia/Shanghai' }) {
    this.party = party;
    this.keys = keys;
    this.tz = tz;
    /** @type {any} */
    this.data = null;
    /** @type {string | null} the session whose record is being signed */
    this.signingFor = null;
    /** @type {Record<string, string>} what the party typed as their disagreement, by session */
    this.notes = {};
    this.signing = new PartySigning({
      partyId: party.id,
      prefix: 'tr',
      keys,
      boundNote: 'tr.party.key.bound',
      lateReason: 'transcript_changed',
      cancelFocus: () => 'tr-sign',
      render: () => this.render(),
      focus: (testid) => this.focus(testid),
      complete: (proof) => this.complete(proof),
      failed: (err) => this.failed(err),
      elsewhere: () => this.signing.bindKey('tr.party.key.elsewhere'),
    });
    // The choice that the session's recording stands for the written account (在线调解规则 art. 22): its own flow.
    this.choosing = new PartySigning({
      partyId: party.id,
      prefix: 'trc',
      keys,
      boundNote: 'tr.party.key.bound',
      lateReason: 'signed',
      cancelFocus: () => 'trc-sign',
      render: () => this.render(),
      focus: (testid) => this.focus(testid),
      complete: (proof) => this.chosen(proof),
      failed: (err) => this.choiceFailed(err),
      elsewhere: () => this.choosing.bindKey('tr.party.key.elsewhere'),
    });
    this.pollTimer = /** @type {any} */ (null);
    this.el = h('div', { class: 'tr-host' });
    onLangChange(() => this.render());
    if (keys) keys.onBound(() => this.bound());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.poll();
    });
  }

  start() {
    this.poll();
  }

  async poll() {
    clearTimeout(this.pollTimer);
    if (document.visibilityState === 'visible' && !this.signing.busy && !this.choosing.busy) {
      await this.reload();
      this.render();
    }
    this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }

  async reload() {
    try {
      this.data = await api.request('GET', '/party/transcripts');
    } catch (err) {
      if (err instanceof ApiError && [401, 403, 404, 410].includes(err.status) && !this.data) return; // the link ended
    }
  }

  /** @param {string} testid */
  focus(testid) {
    const el = /** @type {HTMLElement | null} */ (this.el.querySelector(`[data-testid="${testid}"]`));
    if (el) el.focus();
    return el;
  }

  render() {
    const items = (this.data && this.data.items) || [];
    const choice = this.choiceCard(items);
    // (Preact's render takes null; its types say a VNode.)
    draw(/** @type {any} */ (items.length || choice ? html`${choice}${items.map((/** @type {any} */ r) => this.card(r))}` : null), this.el);
  }

  /**
   * The choice, for this link's session, that its recording stands for the written account of what
   * was said; shown to the parties who sign, until that session's record is closed.
   * @param {any[]} items
   */
  choiceCard(items) {
    const me = (this.data && this.data.me) || {};
    const rec = this.data && this.data.recording;
    if (!rec || !me.signer || items.some((/** @type {any} */ r) => r.session_id === rec.session_id)) return null;
    const mine = (rec.parties || []).find((/** @type {any} */ p) => p.party_id === this.party.id);
    const done = Boolean(mine && mine.signed_at);
    const waiting = (rec.parties || []).filter((/** @type {any} */ p) => !p.signed_at).map((/** @type {any} */ p) => p.name);
    const c = this.choosing;
    let area = null;
    if (done) {
      area = html`<p class="agr-done" tabindex="-1" data-testid="trc-signed">${`✓ ${t(rec.agreed ? 'tr.choice.agreed' : 'tr.choice.signed')}`}</p>
        ${!rec.agreed && waiting.length ? html`<p data-testid="trc-waiting">${t('tr.choice.waiting', { names: waiting.join('、') })}</p>` : null}
        ${c.messageLine()}`;
    } else if (c.stage === 'code' && c.prepared) {
      area = c.codeForm({ formClass: 'agr-code-form trc-code-form', meaning: t('tr.choice.code.meaning'), hint: t('tr.party.code.hint'), confirm: t('tr.choice.confirm') });
    } else if (c.stage === 'no_key') {
      area = c.keyFirst({ first: t('tr.party.key.first'), go: t('tr.party.key.go') });
    } else {
      area = html`${c.messageLine()}
        <button type="button" class="secondary big block" disabled=${c.busy} onClick=${() => this.choose()} data-testid="trc-sign">${c.busy ? t('agr.party.signing') : t('tr.choice.sign')}</button>`;
    }
    return html`<section key="choice" class="party-card tr-card trc-card" aria-labelledby="trc-title" data-testid="recording-choice-card">
      <h2 id="trc-title">${t('tr.choice.title')}</h2>
      <p>${t('tr.choice.text')}</p>
      ${area}
    </section>`;
  }

  /** @param {any} r */
  card(r) {
    const me = (this.data && this.data.me) || {};
    const v = r.version;
    const mine = (r.signers || []).find((/** @type {any} */ s) => s.party_id === this.party.id);
    const signed = Boolean(mine && mine.signed_at);
    const ask = me.signer && !signed;
    const mark = ask ? badge(t('tr.party.status.to_sign'), 'warn') : signed ? badge(t('tr.party.status.signed'), 'ok') : null;
    return html`<section key=${r.session_id} class="party-card tr-card" aria-labelledby=${`tr-title-${r.session_id}`} data-testid="transcript-card" data-version=${v.number}>
      <h2 id=${`tr-title-${r.session_id}`}>${t('tr.party.title')} ${mark}</h2>
      <p class="muted">${t('tr.party.session', { when: fmtDateTime(r.starts_at, this.tz), version: v.number })}</p>
      ${ask ? html`<p class="notice" role="status">${t('tr.party.ask')}</p>` : null}
      <pre class="tr-record" tabindex="0" data-testid="transcript-text" aria-label=${t('tr.party.text')}>${v.text}</pre>
      <p class="hint tr-hash">${t('tr.party.hash', { hash: v.text_sha256 })}</p>
      <h3>${t('tr.party.signers')}</h3>
      <ul class="tr-signers" data-testid="transcript-signers">
        ${(r.signers || []).map(
          (/** @type {any} */ s) => html`<li key=${s.party_id} data-testid="transcript-signer" data-signed=${s.signed_at ? 'yes' : 'no'}>
            ${s.signed_at ? `✓ ${t('tr.party.signer.signed', { name: s.name, when: fmtDateTime(s.signed_at, this.tz) })}` : t('tr.party.signer.waiting', { name: s.name })}
            ${s.disagreement ? html`<p class="tr-disagreement" data-testid="transcript-disagreement">${t('tr.party.disagreement.shown', { name: s.name, text: s.disagreement })}</p>` : null}
          </li>`,
        )}
      </ul>
      ${signed ? html`<p class="agr-done" tabindex="-1" data-testid="tr-signed">${`✓ ${t('tr.party.signed')}`}</p>` : null}
      ${!me.signer ? html`<p class="hint">${t('tr.party.not_signer')}</p>` : null}
      ${ask ? this.signArea(r) : this.signingFor === r.session_id ? this.signing.messageLine() : null}
    </section>`;
  }

  /** @param {any} r */
  signArea(r) {
    const s = this.signing;
    const here = this.signingFor === r.session_id;
    const busy = s.busy;
    if (here && s.stage === 'code' && s.prepared) {
      return s.codeForm({
        formClass: 'agr-code-form tr-code-form',
        meaning: t('tr.party.code.meaning'),
        hint: t('tr.party.code.hint'),
        confirm: t('tr.party.sign.confirm'),
      });
    }
    if (here && s.stage === 'no_key') {
      return html`<div class="tr-sign-area">${s.keyFirst({ first: t('tr.party.key.first'), go: t('tr.party.key.go') })}</div>`;
    }
    const id = `tr-note-${r.session_id}`;
    return html`<div class="tr-sign-area">
      ${here ? s.messageLine() : null}
      <label for=${id}>${t('tr.party.disagreement')}</label>
      <p class="hint" id=${`${id}-hint`}>${t('tr.party.disagreement.hint')}</p>
      <textarea id=${id} maxlength="2000" rows="3" data-testid="tr-disagreement" aria-describedby=${`${id}-hint`} value=${this.notes[r.session_id] || ''}
        onInput=${(/** @type {any} */ ev) => (this.notes[r.session_id] = ev.currentTarget.value)}></textarea>
      <button type="button" class="primary big block" disabled=${busy} onClick=${() => this.sign(r)} data-testid="tr-sign">${busy && here ? t('agr.party.signing') : t('tr.party.sign')}</button>
      <p class="hint">${t(`tr.party.sign.hint${this.keys && this.keys.noChannel() ? '.nocode' : ''}`)}</p>
    </div>`;
  }

  // ---------------------------------------------------------------- signing

  async bound() {
    if (this.choosing.keyBound()) {
      await this.choose();
      return;
    }
    if (!this.signingFor || !this.signing.keyBound()) return;
    const r = ((this.data && this.data.items) || []).find((/** @type {any} */ x) => x.session_id === this.signingFor);
    if (r) await this.sign(r);
  }

  /** @param {any} r */
  async sign(r) {
    if (this.signingFor !== r.session_id) this.signing.reset();
    this.signingFor = r.session_id;
    await this.signing.start(() =>
      api.request('POST', `/party/transcripts/${encodeURIComponent(r.session_id)}/sign`, {
        body: { version: r.version.number, text_sha256: r.version.text_sha256, disagreement: (this.notes[r.session_id] || '').trim() },
      }),
    );
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async complete(proof) {
    const s = this.signing;
    await api.request('POST', `/party/transcript/sign/${encodeURIComponent(s.challenge)}`, { body: proof });
    s.reset();
    s.message = { kind: 'success', key: 'tr.party.signed.toast' };
    toast(t('tr.party.signed.toast'));
    await this.reload();
    this.render();
    this.focus(this.el.querySelector('[data-testid="tr-signed"]') ? 'tr-signed' : 'tr-message');
  }

  async choose() {
    await this.choosing.start(() => api.request('POST', '/party/transcript/recording-choice', { body: {} }));
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async chosen(proof) {
    const c = this.choosing;
    await api.request('POST', `/party/transcript/recording-choice/${encodeURIComponent(c.challenge)}`, { body: proof });
    c.reset();
    toast(t('tr.choice.signed'));
    await this.reload();
    this.render();
    this.focus('trc-signed');
  }

  /** @param {unknown} err */
  async choiceFailed(err) {
    await this.choosing.showFailure(err, {
      known: (reason) => (err instanceof ApiError && err.status === 409 && reason === 'signed' ? { kind: 'error', key: 'err.signed' } : null),
      reload: () => this.reload(),
      reloadAlways: true,
    });
  }

  /** @param {unknown} err */
  async failed(err) {
    await this.signing.showFailure(err, {
      known: (reason) =>
        err instanceof ApiError && err.status === 409 && (reason === 'transcript_changed' || reason === 'signed')
          ? { kind: 'error', key: reason === 'signed' ? 'err.signed' : 'err.transcript_changed' }
          : null,
      reload: () => this.reload(),
    });
  }
}
