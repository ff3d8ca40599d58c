// @ts-check
// Judicial confirmation on the party's page (server/http/CONFIRMATION_API.md, "Parties"): once the
// agreement is in effect, a card with the 30 days to apply counting down, what judicial
// confirmation is in plain words (People's Mediation Law art. 33), the courts that may hear it and
// why, "申请司法确认" for the first party and "共同申请（联署）" for the other, each signed as the
// agreement was (partyagreement.js): the texted code with the device key, or a passkey; when this
// device holds no key bound to the case, the key card of the page binds one first and signing goes
// on by itself. Then where the application stands, step by step, the hearing if any, and the
// court's ruling to download. After day 30 with no application: that it is too late, and what else
// can be done (a lawsuit).

import { html, render as draw } from 'htm/preact';
import * as api from './api.js';
import { ApiError } from './api.js';
import { t, onLangChange, fmtPartyDateTime } from './i18n.js';
import './agreement-i18n.js';
import './confirmation-i18n.js';
import { DECIDED, groundName, statusSteps, applicantList, decisionBox, daysLeftText, rulingUrl, statusBadge } from './confirmation.js';
import { h, toast } from './ui.js';
import { badge, fromDom } from './ui-preact.js';
import { PartySigning } from './signing/party-flow.js';

const POLL_MS = 5000;
const IDLE_POLL_MS = 15_000; // before the agreement is in effect

/** @param {...(string | false | null | undefined)} names */
const cls = (...names) => names.filter(Boolean).join(' ');

/**
 * The card. `el` stays the same element (the page puts it in its main view); inside it the card is
 * drawn with Preact + htm (issue #20), so polling and a change of language keep a code being typed.
 */
export class PartyConfirmation {
  /**
   * party: {id, name, role}; tz: the session's zone; keys: the party's KeyBinding (keybind.js); meta: /meta or null.
   * @param {{ party: { id: string, name?: string, role?: string }, tz: string, keys: import('./keybind.js').KeyBinding | null, meta?: any }} options
   */
  constructor({ party, tz, keys, meta = null }) {
    this.party = party;
    this.tz = tz;
    this.keys = keys;
    this.meta = meta;
    this.data = null;
    this.stopped = false;
    this.choice = null; // the chosen court's id
    // The signature's steps (signing/party-flow.js); its message is the card's.
    this.signing = new PartySigning({
      partyId: party.id,
      prefix: 'conf',
      keys,
      boundNote: 'conf.party.key.bound',
      lateReason: 'out_of_time',
      cancelFocus: () => (this.phase() === 'apply' ? 'conf-apply' : 'conf-cosign'),
      render: () => this.render(),
      focus: (testid) => this.focus(testid),
      complete: (proof) => this.complete(proof),
      failed: (err) => this.failed(err),
      elsewhere: () => this.signing.bindKey('conf.party.key.elsewhere'),
    });
    this.pollTimer = null;
    this.drawnPhase = null;
    this.el = h('div', { class: 'conf-host' });
    /** Called with the new phase whenever it changes (the page's "what to do now"). */
    this.phaseListeners = new Set();
    onLangChange(() => this.render());
    if (keys) keys.onBound(() => this.bound());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !this.stopped) this.poll();
    });
  }

  start() {
    if (!this.meta) api.meta().then((m) => {
      this.meta = m;
      this.render();
    }, () => {});
    this.poll();
  }

  // ---------------------------------------------------------------- loading

  async poll() {
    clearTimeout(this.pollTimer);
    if (document.visibilityState === 'visible' && !this.signing.busy) {
      try {
        this.data = await api.partyConfirmation();
      } catch (err) {
        // No such route on this server, or the link ended: nothing to show, nothing to ask again.
        if (err instanceof ApiError && [401, 403, 404, 410].includes(err.status) && !this.data) {
          this.stopped = true;
          return;
        }
      }
      this.render();
    }
    const p = this.phase();
    if (p === 'decided' || p === 'closed' || p === 'lapsed') return;
    this.pollTimer = setTimeout(() => this.poll(), p ? POLL_MS : IDLE_POLL_MS);
  }

  async reload() {
    try {
      this.data = await api.partyConfirmation();
    } catch {
      /* keep what we have */
    }
  }

  get application() {
    return (this.data && this.data.application) || null;
  }

  courts() {
    return (this.data && this.data.courts) || [];
  }

  /** Someone else signed already: this party joins (联署) rather than starts. */
  othersSigned() {
    return ((this.application && this.application.signers) || []).some((s) => s.signed_at && s.party_id !== this.party.id);
  }

  /**
   * Where things stand for this party: null (nothing yet: the agreement is not in effect) |
   * 'apply' | 'closed' (too late, never applied) | 'cosign' | 'resume' (started, not signed) |
   * 'waiting' (signed, the other has not) | 'lapsed' (too late for the other) | 'submitted' | 'decided'.
   */
  phase() {
    const d = this.data;
    if (!d || !d.effective_at) return null;
    const a = d.application;
    if (!a) return d.open ? 'apply' : d.reason === 'out_of_time' ? 'closed' : null;
    if (DECIDED.has(a.status)) return 'decided';
    if (a.status !== 'awaiting_cosign') return 'submitted';
    if (d.open === false && d.reason === 'out_of_time') return 'lapsed';
    const me = d.me || {};
    if (me.signed) return 'waiting';
    return this.othersSigned() ? 'cosign' : 'resume';
  }

  // ---------------------------------------------------------------- drawing

  /**
   * Call `fn(phase)` when the phase (see `phase()`) changes; returns an unsubscribe function.
   * @param {(phase: string | null) => void} fn
   */
  onPhase(fn) {
    this.phaseListeners.add(fn);
    return () => this.phaseListeners.delete(fn);
  }

  /** Draw the card again; Preact changes only what differs, so a code being typed and the focus stay. */
  render() {
    const p = this.phase();
    const a = this.application;
    const stage = JSON.stringify([p, a && a.status, a && a.hearing && a.hearing.starts_at]);
    if (stage !== this.notifiedStage) {
      this.notifiedStage = stage;
      for (const fn of this.phaseListeners) fn(p);
    }
    // A note about the last step ("您已签名…") is old news once things moved on; errors stay until acted on.
    const s = this.signing;
    if (p !== this.drawnPhase && s.message && s.message.kind !== 'error' && s.stage === 'idle') s.message = null;
    this.drawnPhase = p;
    // (Preact's render takes null; its types say a VNode.)
    draw(/** @type {any} */ (p ? this.card(p) : null), this.el);
  }

  focus(testid) {
    const el = this.el.querySelector(`[data-testid="${testid}"]`);
    if (el) el.focus();
    return el;
  }

  /** The card's message line (what the last step came to). */
  msg() {
    return this.signing.messageLine();
  }

  /** @param {string} p */
  card(p) {
    const a = this.application;
    const done = p === 'decided' && a.status === 'confirmed';
    const mark = a ? (p === 'cosign' || p === 'resume' ? badge(t('conf.party.badge.you'), 'warn') : fromDom(statusBadge(a.status))) : null;
    return html`<section class=${cls('party-card', 'conf-card', `conf-card-${p}`, done && 'conf-card-done')} aria-labelledby="conf-title"
      data-testid="confirmation-card" data-phase=${p}>
      <h2 id="conf-title">${t('conf.title')}${mark ? [' ', mark] : null}</h2>
      ${this.body(p)}
    </section>`;
  }

  /** @param {any} a */
  applicants(a) {
    return fromDom(applicantList(a, this.tz, { meId: this.party.id }));
  }

  /** @param {string} p */
  body(p) {
    const d = this.data;
    const a = this.application;
    const court = (a && a.court && a.court.name) || '';
    if (p === 'closed') return this.closedBox();
    if (p === 'lapsed') {
      return html`<p class="notice conf-closed" role="status" data-testid="conf-lapsed">${t('conf.party.lapsed', { time: fmtPartyDateTime(d.deadline, this.tz) })}</p>
        <p>${t('conf.closed.still')}</p>
        <p>${t('conf.closed.routes')}</p>
        ${this.applicants(a)}`;
    }
    if (p === 'apply') return html`${this.deadlineBox()}${this.explain(false)}${this.courtChoice()}${this.signArea(p)}`;
    if (p === 'cosign' || p === 'resume') {
      const starter = ((a.signers || []).find((s) => s.signed_at && s.party_id !== this.party.id) || {}).name || '';
      return html`${this.deadlineBox()}
        <p class="notice conf-ask" role="status" data-testid="conf-ask">
          ${p === 'cosign' ? t('conf.party.cosign.ask', { name: starter, court }) : t('conf.party.resume', { court })}
        </p>
        ${this.courtLine(a)}${this.explain(true)}${this.signArea(p)}
        <h3>${t('conf.applicants')}</h3>
        ${this.applicants(a)}`;
    }
    if (p === 'waiting') {
      return html`<p class="agr-done" tabindex="-1" data-testid="conf-signed">${`✓ ${t('conf.party.signed')}`}</p>
        <p>${t('conf.party.waiting', { time: fmtPartyDateTime(d.deadline, this.tz), left: daysLeftText(d.days_left) })}</p>
        ${this.signing.message && this.signing.message.kind === 'error' ? this.msg() : null}
        ${this.courtLine(a)}
        <h3>${t('conf.applicants')}</h3>
        ${this.applicants(a)}`;
    }
    // submitted or decided
    return html`${p === 'submitted' ? html`<p class="lead" data-testid="conf-status">${t(`conf.party.now.${a.status}`, { court })}</p>` : null}
      ${this.msg()}
      ${p === 'decided'
        ? fromDom(decisionBox(a, { tz: this.tz, meta: this.meta, url: rulingUrl(a, api.partyRulingUrl()), big: true, fmt: fmtPartyDateTime, hash: false }))
        : null}
      ${fromDom(statusSteps(a, this.tz, { fmt: fmtPartyDateTime }))}
      ${a.hearing
        ? html`<div class="conf-hearing" data-testid="conf-hearing">
            <p class="conf-label">${t('conf.hearing')}</p>
            <p class="when">${fmtPartyDateTime(a.hearing.starts_at, this.tz)}</p>
            <p class="hint">${t('conf.party.hearing.hint')}</p>
          </div>`
        : null}
      ${this.courtLine(a)}
      <h3>${t('conf.applicants')}</h3>
      ${this.applicants(a)}`;
  }

  deadlineBox() {
    const d = this.data;
    if (!d.deadline) return null;
    const until = t('conf.party.until', { time: fmtPartyDateTime(d.deadline, this.tz) });
    return html`<div class=${cls('conf-countdown', d.days_left != null && d.days_left <= 5 && 'soon')} role="status" data-testid="conf-countdown">
      <span class="conf-countdown-label">${t('conf.party.left')}</span>${' '}<span class="conf-countdown-value" data-testid="conf-days-left">${daysLeftText(d.days_left)}</span>${' '}<span class="conf-countdown-date" data-testid="conf-deadline">${until}</span>
    </div>`;
  }

  /**
   * What judicial confirmation is, that both apply together, the 30 days, art. 33.
   * @param {boolean} collapsed
   */
  explain(collapsed) {
    const items = html`<p>${t('conf.explain.what')}</p>
      <ul class="conf-points">
        <li>${t('conf.explain.together')}</li>
        <li>${t('conf.explain.deadline')}</li>
        <li>${t('conf.explain.court')}</li>
      </ul>
      <p class="conf-law">${t('conf.explain.law')}</p>`;
    if (collapsed) return html`<details class="agr-preview conf-explain" data-testid="conf-explain"><summary>${t('conf.explain.title')}</summary>${items}</details>`;
    return html`<div class="conf-explain" data-testid="conf-explain">${items}</div>`;
  }

  /** @param {any} a */
  courtLine(a) {
    if (!a || !a.court) return null;
    return html`<dl class="info conf-info">
      <div class="info-row"><dt>${t('conf.court')}</dt><dd data-testid="conf-court">${a.court.name}</dd></div>
      <div class="info-row"><dt>${t('conf.ground')}</dt><dd>${groundName(a.ground, this.meta)}</dd></div>
    </dl>`;
  }

  /** The courts that may hear the case, each with why; one is chosen. */
  courtChoice() {
    const courts = this.courts();
    if (!courts.length) return html`<p class="notice" data-testid="conf-no-court">${t('conf.party.no_court')}</p>`;
    if (!courts.some((c) => c.id === this.choice)) this.choice = courts.length === 1 ? courts[0].id : null;
    const locked = this.signing.stage !== 'idle' && this.signing.stage !== 'no_key';
    /** @param {any} c */
    const chosen = (c) => {
      this.choice = c.id;
      if (this.signing.message && this.signing.message.key === 'conf.party.court.required') {
        this.signing.message = null;
        this.render();
        this.focus('conf-apply');
      }
    };
    return html`<fieldset class="conf-courts" aria-describedby="conf-courts-hint" data-testid="conf-courts">
      <legend>${t('conf.party.court.choose')}</legend>
      <p class="hint" id="conf-courts-hint">${t('conf.party.court.hint')}</p>
      ${courts.map((c) => {
        const id = `conf-court-${c.id}`;
        const why = (c.grounds || []).map((g) => groundName(g, this.meta)).join('、');
        return html`<label key=${c.id} class="conf-court" for=${id} data-testid="conf-court-option" data-court-id=${c.id}>
          <input id=${id} type="radio" name="conf-court" value=${c.id} checked=${c.id === this.choice} disabled=${locked} onChange=${() => chosen(c)} />
          <span class="conf-court-text">
            <strong class="conf-court-name">${c.name}</strong>
            ${c.region ? html`<span class="conf-court-region">${c.region}</span>` : null}
            ${why ? html`<span class="conf-court-why">${t('conf.party.court.why', { why })}</span>` : null}
          </span>
        </label>`;
      })}
    </fieldset>`;
  }

  /**
   * The button (apply or co-sign), or the code form once the signature is prepared.
   * @param {string} p
   */
  signArea(p) {
    const s = this.signing;
    const busy = s.busy;
    if (s.stage === 'code' && s.prepared) {
      return s.codeForm({
        formClass: 'agr-code-form conf-code-form',
        meaning: t('conf.party.code.meaning'),
        hint: t('conf.party.code.hint'),
        confirm: t('conf.party.sign.confirm'),
      });
    }
    if (s.stage === 'no_key') {
      return html`<div class="conf-sign-area">${s.keyFirst({ first: t('conf.party.key.first'), go: t('conf.party.key.go') })}</div>`;
    }
    const label = p === 'apply' ? t('conf.party.apply') : p === 'cosign' ? t('conf.party.cosign') : t('conf.party.resume.button');
    return html`<div class="conf-sign-area">
      ${this.msg()}
      <button type="button" class="primary big block" disabled=${busy || (p === 'apply' && !this.courts().length)}
        onClick=${() => (p === 'apply' ? this.apply() : this.cosign())} data-testid=${p === 'apply' ? 'conf-apply' : 'conf-cosign'}>${busy ? t('agr.party.signing') : label}</button>
      <p class="hint">${t(`conf.party.${p === 'apply' ? 'apply' : 'cosign'}.hint${this.keys && this.keys.noChannel() ? '.nocode' : ''}`)}</p>
    </div>`;
  }

  closedBox() {
    const d = this.data;
    return html`<div class="conf-closed-box" data-testid="conf-closed">
      <p class="notice conf-closed" role="status">${t('conf.closed.text', { time: d.deadline ? fmtPartyDateTime(d.deadline, this.tz) : '' })}</p>
      <p>${t('conf.closed.still')}</p>
      <h3>${t('conf.closed.routes.title')}</h3>
      <ul class="conf-points" data-testid="conf-routes"><li>${t('conf.closed.routes')}</li><li>${t('conf.closed.again')}</li></ul>
    </div>`;
  }

  // ---------------------------------------------------------------- signing

  /** A key was just bound through the key card: go on with the signature. */
  async bound() {
    if (!this.signing.keyBound()) return;
    await this.reload();
    if (this.application) await this.cosign();
    else await this.apply();
  }

  async apply() {
    const s = this.signing;
    if (s.busy) return;
    const court = this.courts().find((c) => c.id === this.choice);
    if (!court) {
      s.message = { kind: 'error', key: 'conf.party.court.required' };
      this.render();
      /** @type {HTMLElement | null} */ (this.el.querySelector('input[name="conf-court"]'))?.focus();
      return;
    }
    await s.start(async () => {
      const res = await api.applyForConfirmation(court.id, (court.grounds || [])[0]);
      if (this.data && res.application) this.data = { ...this.data, application: res.application };
      return res.sign;
    });
  }

  async cosign() {
    await this.signing.start(() => api.preparePartyConfirmationSignature());
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async complete(proof) {
    const s = this.signing;
    const res = await api.completePartyConfirmationSignature(s.challenge, proof);
    if (this.data && res && res.application) this.data = { ...this.data, application: res.application, me: { ...(this.data.me || {}), signed: true } };
    s.reset();
    const submitted = res && res.application && res.application.status !== 'awaiting_cosign';
    const key = submitted ? 'conf.party.submitted.toast' : 'conf.party.signed.toast';
    s.message = { kind: 'success', key };
    toast(t(key));
    await this.reload();
    this.drawnPhase = this.phase(); // the note is about this very step: keep it
    this.render();
    this.focus(this.el.querySelector('[data-testid="conf-signed"]') ? 'conf-signed' : 'conf-message');
    this.poll();
  }

  /** An error of the signing calls, in words; reloads when the application changed meanwhile. */
  async failed(err) {
    /** @type {Record<string, string>} */
    const known = { exists: 'exists', signed: 'signed', not_started: 'not_started', not_effective: 'not_effective', out_of_time: 'out_of_time', key_changed: 'again', expired: 'again' };
    await this.signing.showFailure(err, {
      known: (reason) => {
        if (err instanceof ApiError && [409, 410].includes(err.status) && known[reason || err.code]) {
          const k = known[reason || err.code];
          return { kind: k === 'signed' ? 'info' : 'error', key: `conf.party.err.${k}` };
        }
        return err instanceof ApiError && err.status === 422 ? { kind: 'error', key: 'conf.party.err.court' } : null;
      },
      reload: () => this.reload(),
    });
  }
}
