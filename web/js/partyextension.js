// @ts-check
// Extending the mediation period on the party's page (server/domain/extensions.py): when the mediator
// proposes a later last day, a card says from when to when and why, that the period moves only if
// every party agrees (在线调解规则 art. 24), and offers "同意延长", signed as the agreement is
// (signing/party-flow.js: the texted code with the device key, or a passkey; when this device holds
// no key bound to the case, the key card binds one first and signing goes on), or "不同意" with an
// optional reason. Then who is still to answer, and what came of it. Agents and invited persons see
// the proposal and that the parties themselves decide.

import { html, render as draw } from 'htm/preact';
import * as api from './api.js';
import { ApiError } from './api.js';
import { t, onLangChange, fmtDayLong } from './i18n.js';
import './agreement-i18n.js';
import './extension-i18n.js';
import { h, toast } from './ui.js';
import { badge } from './ui-preact.js';
import { PartySigning } from './signing/party-flow.js';
import { monthDay } from './extensions.js';

const POLL_MS = 5000;
const IDLE_POLL_MS = 15_000; // no proposal waiting

/** The card; `el` stays the same element, drawn with Preact so polling keeps a code being typed. */
export class PartyExtension {
  /**
   * @param {{ party: { id: string, name?: string, role?: string }, keys: import('./keybind.js').KeyBinding | null, mediator?: string }} options
   */
  constructor({ party, keys, mediator = '' }) {
    this.party = party;
    this.keys = keys;
    this.mediator = mediator;
    /** @type {any} */
    this.data = null;
    this.declining = false;
    this.declineReason = '';
    this.declineBusy = false;
    this.signing = new PartySigning({
      partyId: party.id,
      prefix: 'ext',
      keys,
      boundNote: 'ext.party.key.bound',
      lateReason: 'extension_withdrawn',
      cancelFocus: () => 'ext-agree',
      render: () => this.render(),
      focus: (testid) => this.focus(testid),
      complete: (proof) => this.complete(proof),
      failed: (err) => this.failed(err),
      elsewhere: () => this.signing.bindKey('ext.party.key.elsewhere'),
    });
    this.pollTimer = /** @type {any} */ (null);
    this.el = h('div', { class: 'ext-host' });
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
    if (document.visibilityState === 'visible' && !this.signing.busy && !this.declineBusy) {
      try {
        this.data = await api.request('GET', '/party/extension');
      } catch (err) {
        if (err instanceof ApiError && [401, 403, 404, 410].includes(err.status) && !this.data) return; // the link ended
      }
      this.render();
    }
    const waiting = this.extension && this.extension.status === 'proposed';
    this.pollTimer = setTimeout(() => this.poll(), waiting ? POLL_MS : IDLE_POLL_MS);
  }

  async reload() {
    try {
      this.data = await api.request('GET', '/party/extension');
    } catch {
      /* keep what we have */
    }
  }

  get extension() {
    return (this.data && this.data.extension) || null;
  }

  /** @param {string} testid */
  focus(testid) {
    const el = /** @type {HTMLElement | null} */ (this.el.querySelector(`[data-testid="${testid}"]`));
    if (el) el.focus();
    return el;
  }

  render() {
    const e = this.extension;
    // (Preact's render takes null; its types say a VNode.)
    draw(/** @type {any} */ (e ? this.card(e) : null), this.el);
  }

  /** @param {any} e */
  card(e) {
    const me = (this.data && this.data.me) || {};
    const mine = (e.signers || []).find((/** @type {any} */ s) => s.party_id === this.party.id);
    const waiting = (e.signers || []).filter((/** @type {any} */ s) => !s.signed_at && s.party_id !== this.party.id).map((/** @type {any} */ s) => s.name);
    const ask = e.status === 'proposed' && me.signer && !me.signed;
    const mark = ask ? badge(t('ext.status.proposed'), 'warn') : badge(t(`ext.status.${e.status}`), e.status === 'extended' ? 'ok' : '');
    return html`<section class="party-card ext-card" aria-labelledby="ext-title" data-testid="extension-card" data-status=${e.status}>
      <h2 id="ext-title">${t('ext.party.title')} ${mark}</h2>
      ${e.status === 'proposed'
        ? html`<p class="notice" role="status" data-testid="ext-ask">${t('ext.party.ask', { mediator: e.proposed_by.display_name || this.mediator, from: fmtDayLong(e.from_date), to: fmtDayLong(e.to_date) })}</p>
            <p>${t('ext.reason', { reason: e.reason })}</p>`
        : null}
      ${e.status === 'extended' ? html`<p class="agr-done" data-testid="ext-extended">${`✓ ${t('ext.party.extended', { date: monthDay(e.to_date) })}`}</p>` : null}
      ${e.status === 'declined' && e.declined_by ? html`<p class="notice" data-testid="ext-declined">${t('ext.party.declined', { name: e.declined_by.name })}</p>` : null}
      ${e.status === 'withdrawn' ? html`<p class="notice" data-testid="ext-withdrawn">${t('ext.party.withdrawn')}</p>` : null}
      ${e.status === 'proposed' && !me.signer ? html`<p class="hint">${t('ext.party.not_signer')}</p>` : null}
      ${e.status === 'proposed' && me.signed
        ? html`<p class="agr-done" tabindex="-1" data-testid="ext-signed">${`✓ ${t('ext.party.signed')}`}</p>
            ${waiting.length ? html`<p data-testid="ext-waiting">${t('ext.party.waiting', { names: waiting.join('、') })}</p>` : null}`
        : null}
      ${ask ? html`<p class="hint">${t('ext.party.law')}</p>${this.signArea()}` : e.status !== 'proposed' || (mine && mine.signed_at) ? this.signing.messageLine() : null}
    </section>`;
  }

  signArea() {
    const s = this.signing;
    const busy = s.busy;
    if (s.stage === 'code' && s.prepared) {
      return s.codeForm({
        formClass: 'agr-code-form ext-code-form',
        meaning: t('ext.party.code.meaning'),
        hint: t('ext.party.code.hint'),
        confirm: t('ext.party.sign.confirm'),
      });
    }
    if (s.stage === 'no_key') {
      return html`<div class="ext-sign-area">${s.keyFirst({ first: t('ext.party.key.first'), go: t('ext.party.key.go') })}</div>`;
    }
    if (this.declining) {
      return html`<form class="ext-decline" novalidate onSubmit=${(/** @type {Event} */ ev) => (ev.preventDefault(), this.decline())}>
        ${s.messageLine()}
        <label for="ext-decline-reason">${t('ext.party.decline.reason')}</label>
        <textarea id="ext-decline-reason" maxlength="2000" data-testid="ext-decline-reason" value=${this.declineReason}
          onInput=${(/** @type {any} */ ev) => (this.declineReason = ev.currentTarget.value)}></textarea>
        <button type="submit" class="primary big block" disabled=${this.declineBusy} data-testid="ext-decline-confirm">${this.declineBusy ? t('common.submitting') : t('ext.party.decline.confirm')}</button>
        <button type="button" class="secondary block" disabled=${this.declineBusy} onClick=${() => ((this.declining = false), this.render(), this.focus('ext-decline'))}>${t('common.cancel')}</button>
      </form>`;
    }
    return html`<div class="ext-sign-area">
      ${s.messageLine()}
      <button type="button" class="primary big block" disabled=${busy} onClick=${() => this.agree()} data-testid="ext-agree">${busy ? t('agr.party.signing') : t('ext.party.agree')}</button>
      <p class="hint">${t(`ext.party.agree.hint${this.keys && this.keys.noChannel() ? '.nocode' : ''}`)}</p>
      <button type="button" class="secondary big block" disabled=${busy} onClick=${() => ((this.declining = true), this.render(), this.focus('ext-decline-reason'))} data-testid="ext-decline">${t('ext.party.decline')}</button>
    </div>`;
  }

  // ---------------------------------------------------------------- signing

  async bound() {
    if (this.signing.keyBound()) await this.agree();
  }

  async agree() {
    await this.signing.start(() => api.request('POST', '/party/extension/sign', { body: {} }));
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async complete(proof) {
    const s = this.signing;
    await api.request('POST', `/party/extension/sign/${encodeURIComponent(s.challenge)}`, { body: proof });
    s.reset();
    s.message = { kind: 'success', key: 'ext.party.signed.toast' };
    toast(t('ext.party.signed.toast'));
    await this.reload();
    this.render();
    this.focus(this.el.querySelector('[data-testid="ext-signed"]') ? 'ext-signed' : 'ext-message');
    this.poll();
  }

  /** @param {unknown} err */
  async failed(err) {
    await this.signing.showFailure(err, {
      known: (reason) =>
        err instanceof ApiError && err.status === 409 && reason && (reason.startsWith('extension_') || reason === 'no_extension' || reason === 'signed')
          ? { kind: 'error', key: reason === 'signed' ? 'err.signed' : 'ext.party.err.gone' }
          : null,
      reload: () => this.reload(),
    });
  }

  async decline() {
    if (this.declineBusy) return;
    this.declineBusy = true;
    this.render();
    try {
      await api.request('POST', '/party/extension/decline', { body: { reason: this.declineReason.trim() } });
      this.declining = false;
      this.signing.message = { kind: 'info', key: 'ext.party.decline.done' };
      toast(t('ext.party.decline.done'));
      await this.reload();
    } catch (err) {
      this.declining = false;
      await this.failed(err);
    } finally {
      this.declineBusy = false;
    }
    this.render();
    this.focus('ext-message');
  }
}
