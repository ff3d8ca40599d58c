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

import * as api from './api.js';
import { ApiError } from './api.js';
import { t, getLang, onLangChange, fmtPartyDateTime } from './i18n.js';
import './agreement-i18n.js';
import './confirmation-i18n.js';
import { DECIDED, groundName, statusSteps, applicantList, decisionBox, daysLeftText, rulingUrl, statusBadge } from './confirmation.js';
import { h, replace, badge, toast } from './ui.js';
import { PartySigning } from './signing/party-flow.js';

const POLL_MS = 5000;
const IDLE_POLL_MS = 15_000; // before the agreement is in effect

/**
 * The card. `el` stays the same element (the page puts it in its main view); it redraws itself
 * only when what it shows changes, so a code being typed survives polling.
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
      inputId: 'conf-sign-code',
      messageTestid: 'conf-message',
      boundNote: 'conf.party.key.bound',
      lateReason: 'out_of_time',
      againFocus: 'conf-message',
      cancelFocus: () => (this.phase() === 'apply' ? 'conf-apply' : 'conf-cosign'),
      render: () => this.render(),
      focus: (testid) => this.focus(testid),
      complete: (proof) => this.complete(proof),
      failed: (err) => this.failed(err),
      elsewhere: () => this.needKey('conf.party.key.elsewhere'),
    });
    this.pollTimer = null;
    this.drawnPhase = null;
    this.el = h('div', { class: 'conf-host' });
    /** Called with the new phase whenever it changes (the page's "what to do now"). */
    this.phaseListeners = new Set();
    onLangChange(() => this.render(true));
    if (keys) keys.onBound(() => this.bound());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !this.stopped) this.poll();
    });
  }

  start() {
    if (!this.meta) api.meta().then((m) => {
      this.meta = m;
      this.render(true);
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

  render(force = false) {
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
    if (!p) {
      if (this.el.firstChild) replace(this.el);
      this.el.dataset.drawn = '';
      return;
    }
    // (The chosen court is not part of it: the radio button holds it until the next redraw.)
    const drawn = JSON.stringify([this.data, s.stage, s.message, s.prepared && s.prepared.challenge, this.meta && this.meta.confirmation_grounds, getLang()]);
    if (this.el.dataset.drawn === drawn && !force) return;
    this.el.dataset.drawn = drawn;
    const active = document.activeElement instanceof HTMLElement && this.el.contains(document.activeElement) ? document.activeElement : null;
    replace(this.el, this.card(p));
    if (active) ((active.id && document.getElementById(active.id)) || (active.dataset.testid && this.el.querySelector(`[data-testid="${active.dataset.testid}"]`)))?.focus();
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

  card(p) {
    const a = this.application;
    const done = p === 'decided' && a.status === 'confirmed';
    return h(
      'section',
      { class: ['party-card', 'conf-card', `conf-card-${p}`, done && 'conf-card-done'], 'aria-labelledby': 'conf-title', dataset: { testid: 'confirmation-card', phase: p } },
      h('h2', { id: 'conf-title' }, t('conf.title'), a ? [' ', p === 'cosign' || p === 'resume' ? badge(t('conf.party.badge.you'), 'warn') : statusBadge(a.status)] : null),
      this.body(p),
    );
  }

  body(p) {
    const d = this.data;
    const a = this.application;
    if (p === 'closed') return this.closedBox();
    if (p === 'lapsed') {
      return [
        h('p', { class: 'notice conf-closed', role: 'status', dataset: { testid: 'conf-lapsed' } }, t('conf.party.lapsed', { time: fmtPartyDateTime(d.deadline, this.tz) })),
        h('p', null, t('conf.closed.still')),
        h('p', null, t('conf.closed.routes')),
        applicantList(a, this.tz, { meId: this.party.id }),
      ];
    }
    if (p === 'apply') {
      return [this.deadlineBox(), this.explain(false), this.courtChoice(), this.signArea(p)];
    }
    if (p === 'cosign' || p === 'resume') {
      const starter = ((a.signers || []).find((s) => s.signed_at && s.party_id !== this.party.id) || {}).name || '';
      return [
        this.deadlineBox(),
        h(
          'p',
          { class: 'notice conf-ask', role: 'status', dataset: { testid: 'conf-ask' } },
          p === 'cosign' ? t('conf.party.cosign.ask', { name: starter, court: (a.court && a.court.name) || '' }) : t('conf.party.resume', { court: (a.court && a.court.name) || '' }),
        ),
        this.courtLine(a),
        this.explain(true),
        this.signArea(p),
        h('h3', null, t('conf.applicants')),
        applicantList(a, this.tz, { meId: this.party.id }),
      ];
    }
    if (p === 'waiting') {
      return [
        h('p', { class: 'agr-done', tabindex: '-1', dataset: { testid: 'conf-signed' } }, `✓ ${t('conf.party.signed')}`),
        h('p', null, t('conf.party.waiting', { time: fmtPartyDateTime(d.deadline, this.tz), left: daysLeftText(d.days_left) })),
        this.signing.message && this.signing.message.kind === 'error' ? this.msg() : null,
        this.courtLine(a),
        h('h3', null, t('conf.applicants')),
        applicantList(a, this.tz, { meId: this.party.id }),
      ];
    }
    // submitted or decided
    return [
      p === 'submitted' ? h('p', { class: 'lead', dataset: { testid: 'conf-status' } }, t(`conf.party.now.${a.status}`, { court: (a.court && a.court.name) || '' })) : null,
      this.msg(),
      p === 'decided' ? decisionBox(a, { tz: this.tz, meta: this.meta, url: rulingUrl(a, api.partyRulingUrl()), big: true, fmt: fmtPartyDateTime, hash: false }) : null,
      statusSteps(a, this.tz, { fmt: fmtPartyDateTime }),
      a.hearing
        ? h(
            'div',
            { class: 'conf-hearing', dataset: { testid: 'conf-hearing' } },
            h('p', { class: 'conf-label' }, t('conf.hearing')),
            h('p', { class: 'when' }, fmtPartyDateTime(a.hearing.starts_at, this.tz)),
            h('p', { class: 'hint' }, t('conf.party.hearing.hint')),
          )
        : null,
      this.courtLine(a),
      h('h3', null, t('conf.applicants')),
      applicantList(a, this.tz, { meId: this.party.id }),
    ];
  }

  deadlineBox() {
    const d = this.data;
    if (!d.deadline) return null;
    return h(
      'div',
      { class: ['conf-countdown', d.days_left != null && d.days_left <= 5 && 'soon'], role: 'status', dataset: { testid: 'conf-countdown' } },
      h('span', { class: 'conf-countdown-label' }, t('conf.party.left')),
      ' ',
      h('span', { class: 'conf-countdown-value', dataset: { testid: 'conf-days-left' } }, daysLeftText(d.days_left)),
      ' ',
      h('span', { class: 'conf-countdown-date', dataset: { testid: 'conf-deadline' } }, t('conf.party.until', { time: fmtPartyDateTime(d.deadline, this.tz) })),
    );
  }

  /** What judicial confirmation is, that both apply together, the 30 days, art. 33. */
  explain(collapsed) {
    const items = [
      h('p', null, t('conf.explain.what')),
      h(
        'ul',
        { class: 'conf-points' },
        h('li', null, t('conf.explain.together')),
        h('li', null, t('conf.explain.deadline')),
        h('li', null, t('conf.explain.court')),
      ),
      h('p', { class: 'conf-law' }, t('conf.explain.law')),
    ];
    if (collapsed) return h('details', { class: 'agr-preview conf-explain', dataset: { testid: 'conf-explain' } }, h('summary', null, t('conf.explain.title')), items);
    return h('div', { class: 'conf-explain', dataset: { testid: 'conf-explain' } }, items);
  }

  courtLine(a) {
    if (!a || !a.court) return null;
    return h(
      'dl',
      { class: 'info conf-info' },
      h('div', { class: 'info-row' }, h('dt', null, t('conf.court')), h('dd', { dataset: { testid: 'conf-court' } }, a.court.name)),
      h('div', { class: 'info-row' }, h('dt', null, t('conf.ground')), h('dd', null, groundName(a.ground, this.meta))),
    );
  }

  /** The courts that may hear the case, each with why; one is chosen. */
  courtChoice() {
    const courts = this.courts();
    if (!courts.length) return h('p', { class: 'notice', dataset: { testid: 'conf-no-court' } }, t('conf.party.no_court'));
    if (!courts.some((c) => c.id === this.choice)) this.choice = courts.length === 1 ? courts[0].id : null;
    return h(
      'fieldset',
      { class: 'conf-courts', 'aria-describedby': 'conf-courts-hint', dataset: { testid: 'conf-courts' } },
      h('legend', null, t('conf.party.court.choose')),
      h('p', { class: 'hint', id: 'conf-courts-hint' }, t('conf.party.court.hint')),
      courts.map((c) => {
        const id = `conf-court-${c.id}`;
        const why = (c.grounds || []).map((g) => groundName(g, this.meta)).join('、');
        return h(
          'label',
          { class: 'conf-court', for: id, dataset: { testid: 'conf-court-option', courtId: c.id } },
          h('input', {
            id,
            type: 'radio',
            name: 'conf-court',
            value: c.id,
            checked: c.id === this.choice,
            disabled: this.signing.stage !== 'idle' && this.signing.stage !== 'no_key',
            onchange: () => {
              this.choice = c.id;
              if (this.signing.message && this.signing.message.key === 'conf.party.court.required') {
                this.signing.message = null;
                this.render();
                this.focus('conf-apply');
              }
            },
          }),
          h(
            'span',
            { class: 'conf-court-text' },
            h('strong', { class: 'conf-court-name' }, c.name),
            c.region ? h('span', { class: 'conf-court-region' }, c.region) : null,
            why ? h('span', { class: 'conf-court-why' }, t('conf.party.court.why', { why })) : null,
          ),
        );
      }),
    );
  }

  /** The button (apply or co-sign), or the code form once the signature is prepared. */
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
      return h(
        'div',
        { class: 'conf-sign-area' },
        this.msg(),
        h('p', { class: 'notice conf-key-first', role: 'status', dataset: { testid: 'conf-key-first' } }, t('conf.party.key.first')),
        h('button', { type: 'button', class: 'secondary big block', onclick: () => this.toKeyCard(), dataset: { testid: 'conf-to-key' } }, t('conf.party.key.go')),
      );
    }
    const label = p === 'apply' ? t('conf.party.apply') : p === 'cosign' ? t('conf.party.cosign') : t('conf.party.resume.button');
    return h(
      'div',
      { class: 'conf-sign-area' },
      this.msg(),
      h(
        'button',
        { type: 'button', class: 'primary big block', disabled: busy || (p === 'apply' && !this.courts().length), onclick: () => (p === 'apply' ? this.apply() : this.cosign()), dataset: { testid: p === 'apply' ? 'conf-apply' : 'conf-cosign' } },
        busy ? t('agr.party.signing') : label,
      ),
      h('p', { class: 'hint' }, t(`conf.party.${p === 'apply' ? 'apply' : 'cosign'}.hint${this.keys && this.keys.noChannel() ? '.nocode' : ''}`)),
    );
  }


  closedBox() {
    const d = this.data;
    return h(
      'div',
      { class: 'conf-closed-box', dataset: { testid: 'conf-closed' } },
      h('p', { class: 'notice conf-closed', role: 'status' }, t('conf.closed.text', { time: d.deadline ? fmtPartyDateTime(d.deadline, this.tz) : '' })),
      h('p', null, t('conf.closed.still')),
      h('h3', null, t('conf.closed.routes.title')),
      h('ul', { class: 'conf-points', dataset: { testid: 'conf-routes' } }, h('li', null, t('conf.closed.routes')), h('li', null, t('conf.closed.again'))),
    );
  }

  // ---------------------------------------------------------------- signing

  /** This device has no key bound to the case: the page's key card binds one. */
  /** @param {string | null} [messageKey] */
  needKey(messageKey = null) {
    const s = this.signing;
    s.stage = 'no_key';
    s.prepared = null;
    s.code = '';
    s.message = null;
    if (this.keys) this.keys.reset(messageKey ? { kind: 'info', key: messageKey } : null);
    this.render();
    this.toKeyCard();
  }

  toKeyCard() {
    const card = document.getElementById('key-card');
    if (!card) return;
    card.scrollIntoView({ block: 'start', behavior: 'smooth' });
    /** @type {HTMLElement | null} */ (card.querySelector('[data-testid="key-send"]'))?.focus({ preventScroll: true });
  }

  /** A key was just bound through the key card: go on with the signature. */
  async bound() {
    const s = this.signing;
    if (s.stage !== 'no_key') return;
    s.message = { kind: 'info', key: 'conf.party.key.bound' };
    s.stage = 'idle';
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
    s.begin();
    let r;
    try {
      const res = await api.applyForConfirmation(court.id, (court.grounds || [])[0]);
      if (this.data && res.application) this.data = { ...this.data, application: res.application };
      r = res.sign;
    } catch (err) {
      await this.failed(err);
      return;
    }
    await s.withPrepared(r);
  }

  async cosign() {
    if (!this.signing.begin()) return;
    let r;
    try {
      r = await api.preparePartyConfirmationSignature();
    } catch (err) {
      await this.failed(err);
      return;
    }
    await this.signing.withPrepared(r);
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async complete(proof) {
    const s = this.signing;
    const res = await api.completePartyConfirmationSignature(/** @type {import('./signing/party-flow.js').Prepared} */ (s.prepared).challenge, proof);
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
    const s = this.signing;
    const { noKey, reason } = s.failure(err);
    if (noKey) {
      this.needKey();
      return;
    }
    /** @type {Record<string, string>} */
    const known = { exists: 'exists', signed: 'signed', not_started: 'not_started', not_effective: 'not_effective', out_of_time: 'out_of_time', key_changed: 'again', expired: 'again' };
    if (err instanceof ApiError && [409, 410].includes(err.status) && known[reason || err.code]) {
      const k = known[reason || err.code];
      s.message = { kind: k === 'signed' ? 'info' : 'error', key: `conf.party.err.${k}` };
      await this.reload();
    } else if (err instanceof ApiError && err.status === 422) {
      s.message = { kind: 'error', key: 'conf.party.err.court' };
      await this.reload();
    } else {
      s.message = PartySigning.otherError(err);
    }
    this.render();
    this.focus('conf-message');
  }
}
