// @ts-check
// Rating the mediation and complaining, on the party's page (server/domain/satisfaction.py, #22):
// once a session has ended, five big buttons (非常满意 … 非常不满意) and an optional comment rate it,
// once; and at any time the party may complain about the mediator or the mediation to the
// organisation that supervises the case's, which answers here. Both are signed with the party's own
// key as the agreement is (signing/party-flow.js). The card says what happened: that the rating was
// recorded, that the complaint was received by that organisation (named), and its answer once given.

import { html, render as draw } from 'htm/preact';
import * as api from './api.js';
import { ApiError } from './api.js';
import { t, onLangChange, fmtDateTime } from './i18n.js';
import './agreement-i18n.js';
import './satisfaction-i18n.js';
import { h, toast } from './ui.js';
import { PartySigning } from './signing/party-flow.js';

const POLL_MS = 20_000;
/** The stars, best first, as the buttons show them. */
const STARS = [5, 4, 3, 2, 1];
const MAX_COMMENT = 500;
const MAX_COMPLAINT = 2000;

export class PartySatisfaction {
  /**
   * @param {{ party: { id: string }, keys: import('./keybind.js').KeyBinding | null, tz?: string }} options
   */
  constructor({ party, keys, tz = 'Asia/Shanghai' }) {
    this.party = party;
    this.keys = keys;
    this.tz = tz;
    /** @type {any} */
    this.data = null;
    this.stars = 0;
    this.comment = '';
    this.complaining = false;
    this.about = 'mediator';
    this.complaint = '';
    /** @type {'rate' | 'complain' | null} what is being signed */
    this.doing = null;
    this.signing = new PartySigning({
      partyId: party.id,
      prefix: 'sat',
      keys,
      boundNote: 'sat.key.bound',
      lateReason: 'already_rated',
      cancelFocus: () => (this.doing === 'complain' ? 'cmp-submit' : 'sat-submit'),
      render: () => this.render(),
      focus: (testid) => this.focus(testid),
      complete: (proof) => this.complete(proof),
      failed: (err) => this.failed(err),
      elsewhere: () => this.signing.bindKey('sat.key.elsewhere'),
    });
    this.pollTimer = /** @type {any} */ (null);
    this.el = h('div', { class: 'sat-host' });
    onLangChange(() => this.render());
    if (keys) keys.onBound(() => this.bound());
  }

  start() {
    this.poll();
  }

  async poll() {
    clearTimeout(this.pollTimer);
    if (document.visibilityState === 'visible' && !this.signing.busy) {
      await this.reload();
      this.render();
    }
    this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }

  async reload() {
    try {
      this.data = await api.request('GET', '/party/satisfaction');
    } catch (err) {
      if (err instanceof ApiError && [401, 403, 404, 410].includes(err.status)) this.data = null; // the link ended
    }
  }

  /** @param {string} testid */
  focus(testid) {
    const el = /** @type {HTMLElement | null} */ (this.el.querySelector(`[data-testid="${testid}"]`));
    if (el) el.focus();
    return el;
  }

  /** The newest session that has ended and that this party has not rated. */
  get toRate() {
    const occasions = (this.data && this.data.occasions) || [];
    return [...occasions].reverse().find((/** @type {any} */ o) => o.ended && !o.rating) || null;
  }

  render() {
    const d = this.data;
    draw(/** @type {any} */ (d && d.may_rate ? this.card(d) : null), this.el);
  }

  /** @param {any} d */
  card(d) {
    const rated = (d.occasions || []).filter((/** @type {any} */ o) => o.rating);
    const next = this.toRate;
    const anyEnded = (d.occasions || []).some((/** @type {any} */ o) => o.ended);
    return html`<section class="party-card sat-card" aria-labelledby="sat-title" data-testid="satisfaction-card">
      <h2 id="sat-title">${t('sat.title')}</h2>
      ${rated.map(
        (/** @type {any} */ o) => html`<p class="agr-done" data-testid="sat-rated">${`✓ ${t('sat.rated', { words: t(`sat.star.${o.rating.stars}`), time: fmtDateTime(o.rating.rated_at, this.tz) })}`}</p>
          ${o.rating.comment ? html`<p class="sat-comment-shown">${t('sat.rated.comment', { comment: o.rating.comment })}</p>` : null}`,
      )}
      ${next ? this.rateArea(next) : !anyEnded ? html`<p class="hint" data-testid="sat-later">${t('sat.later')}</p>` : null}
      ${this.doing !== 'complain' ? this.signing.messageLine() : null}
      ${this.complaintArea(d)}
    </section>`;
  }

  /** @param {any} occasion */
  rateArea(occasion) {
    const s = this.signing;
    if (this.doing === 'rate' && s.stage === 'code' && s.prepared) {
      return s.codeForm({ formClass: 'agr-code-form sat-code-form', meaning: t('sat.code.meaning'), hint: t('sat.code.hint'), confirm: t('sat.sign.confirm') });
    }
    if (this.doing === 'rate' && s.stage === 'no_key') return this.keyFirst();
    const busy = s.busy;
    return html`<form class="sat-rate" novalidate onSubmit=${(/** @type {Event} */ ev) => (ev.preventDefault(), this.rate(occasion))}>
      <p id="sat-ask">${t(occasion.occasion === 'closing' ? 'sat.ask.closing' : 'sat.ask', { time: fmtDateTime(occasion.starts_at, this.tz) })}</p>
      <div class="sat-stars" role="radiogroup" aria-labelledby="sat-ask">
        ${STARS.map(
          (n) => html`<button type="button" role="radio" aria-checked=${this.stars === n ? 'true' : 'false'}
            class=${`secondary big block sat-star${this.stars === n ? ' chosen' : ''}`} data-testid=${`sat-star-${n}`} disabled=${busy}
            onClick=${() => ((this.stars = n), this.render())}>
            <span class="sat-glyphs" aria-hidden="true">${'★'.repeat(n)}${'☆'.repeat(5 - n)}</span> ${t(`sat.star.${n}`)}
          </button>`,
        )}
      </div>
      <label for="sat-comment">${t('sat.comment')}</label>
      <textarea id="sat-comment" maxlength=${MAX_COMMENT} data-testid="sat-comment" value=${this.comment}
        onInput=${(/** @type {any} */ ev) => (this.comment = ev.currentTarget.value)}></textarea>
      <p class="hint">${t('sat.comment.hint', { max: MAX_COMMENT })}</p>
      <button type="submit" class="primary big block" disabled=${busy} data-testid="sat-submit">${busy && this.doing === 'rate' ? t('agr.party.signing') : t('sat.submit')}</button>
      <p class="hint">${t('sat.once')}</p>
    </form>`;
  }

  /** The key card binds a key first; the message line is the card's (drawn apart). */
  keyFirst() {
    return html`<div class="sat-key-first">${this.signing.keyFirst({ first: t('sat.key.first'), go: t('sat.key.go'), message: false })}</div>`;
  }

  /** @param {any} d */
  complaintArea(d) {
    const s = this.signing;
    const list = (d.complaints || []).map(
      (/** @type {any} */ c) => html`<li class="sat-complaint" data-testid="cmp-item">
        <p data-testid="cmp-received">${t('cmp.received', { org: c.organisation, time: fmtDateTime(c.filed_at, this.tz) })}</p>
        <p class="sat-comment-shown">${t('cmp.yours', { text: c.text })}</p>
        ${c.answer
          ? html`<p class="notice" data-testid="cmp-answer">${t('cmp.answer', { org: c.organisation, time: fmtDateTime(c.answered_at, this.tz), text: c.answer })}</p>`
          : html`<p class="hint" data-testid="cmp-unanswered">${t('cmp.unanswered', { org: c.organisation })}</p>`}
      </li>`,
    );
    let form = null;
    if (this.doing === 'complain' && s.stage === 'code' && s.prepared) {
      form = s.codeForm({ formClass: 'agr-code-form cmp-code-form', meaning: t('cmp.code.meaning'), hint: t('sat.code.hint'), confirm: t('cmp.sign.confirm') });
    } else if (this.doing === 'complain' && s.stage === 'no_key') {
      form = this.keyFirst();
    } else if (this.complaining) {
      const busy = s.busy;
      form = html`<form class="cmp-form" novalidate onSubmit=${(/** @type {Event} */ ev) => (ev.preventDefault(), this.complain())}>
        <fieldset>
          <legend>${t('cmp.about')}</legend>
          ${['mediator', 'mediation'].map(
            (a) => html`<label class="big-choice"><input type="radio" name="cmp-about" value=${a} checked=${this.about === a} data-testid=${`cmp-about-${a}`}
              onChange=${() => ((this.about = a), this.render())} /> ${t(`cmp.about.${a}`)}</label>`,
          )}
        </fieldset>
        <label for="cmp-text">${t('cmp.text')}</label>
        <textarea id="cmp-text" maxlength=${MAX_COMPLAINT} data-testid="cmp-text" value=${this.complaint}
          onInput=${(/** @type {any} */ ev) => (this.complaint = ev.currentTarget.value)}></textarea>
        <p class="hint">${t('cmp.to', { org: d.receiving_organisation })}</p>
        <button type="submit" class="primary big block" disabled=${busy} data-testid="cmp-submit">${busy ? t('agr.party.signing') : t('cmp.submit')}</button>
        <button type="button" class="secondary block" disabled=${busy} onClick=${() => ((this.complaining = false), this.render(), this.focus('cmp-open'))}>${t('common.cancel')}</button>
      </form>`;
    }
    return html`<div class="sat-complaints">
      <h3>${t('cmp.title')}</h3>
      <p class="hint">${t('cmp.law', { org: d.receiving_organisation })}</p>
      ${list.length ? html`<ul class="sat-complaint-list">${list}</ul>` : null}
      ${this.doing === 'complain' ? this.signing.messageLine() : null}
      ${form ||
      html`<button type="button" class="secondary big block" data-testid="cmp-open" onClick=${() => ((this.complaining = true), this.render(), this.focus('cmp-text'))}>${t('cmp.open')}</button>`}
    </div>`;
  }

  // ---------------------------------------------------------------- signing

  async bound() {
    if (!this.signing.keyBound()) return;
    if (this.doing === 'complain') await this.complain();
    else if (this.doing === 'rate' && this.toRate) await this.rate(this.toRate);
  }

  /** @param {any} occasion */
  async rate(occasion) {
    if (!this.stars) {
      this.signing.message = { kind: 'error', key: 'sat.choose' };
      this.doing = 'rate';
      this.render();
      this.focus('sat-star-5');
      return;
    }
    this.doing = 'rate';
    await this.signing.start(() =>
      api.request('POST', '/party/satisfaction/sign', {
        body: { occasion: occasion.occasion, session_id: occasion.session_id, stars: this.stars, comment: this.comment.trim() },
      }),
    );
  }

  async complain() {
    if (!this.complaint.trim()) {
      this.doing = 'complain';
      this.signing.message = { kind: 'error', key: 'cmp.empty' };
      this.render();
      this.focus('cmp-text');
      return;
    }
    this.doing = 'complain';
    await this.signing.start(() => api.request('POST', '/party/complaints/sign', { body: { about: this.about, text: this.complaint.trim() } }));
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async complete(proof) {
    const s = this.signing;
    const path = this.doing === 'complain' ? '/party/complaints/sign/' : '/party/satisfaction/sign/';
    this.data = await api.request('POST', `${path}${encodeURIComponent(s.challenge)}`, { body: proof });
    s.reset();
    const done = this.doing === 'complain' ? 'cmp.done' : 'sat.done';
    s.message = { kind: 'success', key: done };
    toast(t(done));
    if (this.doing === 'complain') {
      this.complaining = false;
      this.complaint = '';
    } else {
      this.stars = 0;
      this.comment = '';
    }
    this.render();
    this.focus('sat-message');
    this.doing = null;
  }

  /** @param {unknown} err */
  async failed(err) {
    await this.signing.showFailure(err, { reload: () => this.reload(), reloadAlways: true });
  }
}
