// @ts-check
// Parties by phone (#25), on the host's live page. Parties not in the room whose number is on file
// can be called ("call me": answered, they are in the room at once). For each party in the
// room by phone: a button that has the recording notice played to them, then what they pressed (1
// agrees, 2 refuses) and, for a 1, the host's witness signed with their own key (bound to the case
// first), which is what makes it consent (signaling/phone_consent_events.py).
// While a caller is on the line (waiting or in the room), a notice says what the issue says of them:
// a caller is only as trusted as their PIN and the mediator's judgement (#25), and what to do about it.

import { html, render as draw } from 'htm/preact';
import { t } from './i18n.js';
import './live-i18n.js';
import { signalingErrorMessage } from './room.js';
import { bindToCase, chooseKey, registerDeviceKey, signErrorText, signPrepared } from './signing/staff-key.js';
import { h, toast } from './ui.js';

/** @typedef {{ participant_id: string, name: string, number: string, pressed: string }} Pressed */

export class PhoneConsentPanel {
  /** @param {{ signaling: any, caseId: string, user: { id: string }, session?: any }} options */
  constructor({ signaling, caseId, user, session = null }) {
    this.signaling = signaling;
    this.caseId = caseId;
    this.user = user;
    /** The session's parties this server can call on the number on file ("call me"); none when it cannot. */
    this.callable = session && session.phone && session.phone.call_out ? (session.parties || []).filter((/** @type {any} */ p) => p.has_phone) : [];
    /** @type {Set<string>} who is online in the room now (not called again) */
    this.online = new Set();
    /** @type {Record<string, string>} how each call out went: calling, rejected, no_answer */
    this.dialled = {};
    /** @type {any[]} the callers in the room, from the host's `participants` view */
    this.callers = [];
    /** Whether a caller is on the line now: waiting, held or in the room (the trust notice is shown). */
    this.onLine = false;
    /** @type {Record<string, Pressed>} what each caller pressed after the notice */
    this.pressed = {};
    /** @type {Set<string>} callers the notice is being played to */
    this.asked = new Set();
    this.busy = false;
    /** @type {{ kind: string, text: string } | null} */
    this.message = null;
    this.el = h('section', {
      class: 'live-panel host-panel phone-consent-panel',
      'aria-labelledby': 'phone-consent-title',
      dataset: { testid: 'phone-consent-panel' },
    });
    signaling.on('phone_dial', (/** @type {{ participant_id: string, status: string }} */ d) => {
      this.dialled = { ...this.dialled, [d.participant_id]: d.status };
      this.render();
    });
    signaling.on('phone_consent', (/** @type {Pressed} */ p) => {
      this.pressed = { ...this.pressed, [p.participant_id]: p };
      this.asked.delete(p.participant_id);
      this.render();
    });
    this.render();
  }

  /** The host's `participants` view: who is in the room by phone, and who has consented. */
  setView(/** @type {any} */ view) {
    const people = (view && view.participants) || [];
    this.callers = people.filter((/** @type {any} */ p) => p.phone && p.state === 'admitted');
    this.onLine = people.some((/** @type {any} */ p) => p.phone && p.online !== false && ['waiting', 'held', 'admitted'].includes(p.state));
    this.online = new Set(people.filter((/** @type {any} */ p) => p.online).map((/** @type {any} */ p) => p.id));
    this.render();
  }

  /** Call a party on the number on file; answered, they are in the room at once. */
  async dial(/** @type {any} */ party) {
    this.message = null;
    this.dialled = { ...this.dialled, [party.party_id]: 'calling' };
    this.render();
    try {
      await this.signaling.call('phone_dial', { participant_id: party.party_id });
    } catch (err) {
      const { [party.party_id]: _, ...others } = this.dialled;
      this.dialled = others;
      this.message = { kind: 'error', text: signalingErrorMessage(err) };
    }
    this.render();
  }

  /** A party not in the room whom the mediator may call. */
  dialLine(/** @type {any} */ p) {
    const status = this.dialled[p.party_id];
    return html`<li data-testid="phone-dial-item" data-participant-id=${p.party_id}>
      <strong>${p.name}</strong>
      ${status ? html`<span data-testid="phone-dial-status">${t(`live.phone.dial.${status}`, { name: p.name })}</span>` : null}
      ${status !== 'calling'
        ? html`<button type="button" onClick=${() => this.dial(p)} data-testid="phone-dial">${t('live.phone.dial', { name: p.name })}</button>`
        : null}
    </li>`;
  }

  async ask(/** @type {any} */ caller) {
    this.message = null;
    try {
      await this.signaling.call('phone_consent_ask', { participant_id: caller.id });
      this.asked.add(caller.id);
      const { [caller.id]: _, ...others } = this.pressed;
      this.pressed = others;
    } catch (err) {
      this.message = { kind: 'error', text: signalingErrorMessage(err) };
    }
    this.render();
  }

  /** Sign the witness of a caller's 1 with my key: a device key here (registered if need be) or a passkey. */
  async witness(/** @type {any} */ caller) {
    if (this.busy) return;
    this.busy = true;
    this.message = null;
    this.render();
    try {
      let { key } = await chooseKey(this.user.id);
      if (!key) {
        await registerDeviceKey(this.user.id);
        key = (await chooseKey(this.user.id)).key;
      }
      if (!key) throw new Error('elsewhere');
      await bindToCase(this.caseId, key, this.user.id);
      const prepared = await this.signaling.call('phone_consent_prepare', { participant_id: caller.id, key: key.key_id });
      const signed = await signPrepared(prepared, key, this.user.id);
      await this.signaling.call('phone_consent_witness', { challenge: prepared.challenge, ...signed });
      this.message = { kind: 'success', text: t('live.phone.witnessed', { name: caller.name }) };
      toast(this.message.text, 'success', 6000);
    } catch (err) {
      this.message = { kind: 'error', text: signErrorText(err, signalingErrorMessage) };
    }
    this.busy = false;
    this.render();
  }

  /** One caller's line: consented, or what they pressed, or the button that asks them. */
  line(/** @type {any} */ c) {
    const pressed = this.pressed[c.id];
    let state;
    if (c.consented) state = html`<span class="badge ok">${t('live.phone.witnessed.badge')}</span>`;
    else if (pressed && pressed.pressed === '1')
      state = html`<span>${t('live.phone.pressed1', { name: c.name, number: pressed.number })}</span>
        <button type="button" class="primary" disabled=${this.busy} onClick=${() => this.witness(c)}
          data-testid="phone-consent-witness">${t('live.phone.witness')}</button>`;
    else if (pressed) state = html`<span>${t('live.phone.pressed2', { name: c.name, number: pressed.number })}</span>`;
    else if (this.asked.has(c.id)) state = html`<span>${t('live.phone.asked', { name: c.name })}</span>`;
    else state = null;
    const again = !c.consented && !this.asked.has(c.id);
    return html`<li data-testid="phone-consent-item" data-participant-id=${c.id}>
      <strong>${c.name}</strong> ${state}
      ${again
        ? html`<button type="button" onClick=${() => this.ask(c)} data-testid="phone-consent-ask">${t('live.phone.ask')}</button>`
        : null}
    </li>`;
  }

  render() {
    const away = this.callable.filter((/** @type {any} */ p) => !this.online.has(p.party_id));
    this.el.hidden = this.callers.length === 0 && away.length === 0 && !this.onLine;
    draw(
      this.el.hidden
        ? html``
        : html`<h2 id="phone-consent-title">${t('live.phone.title')}</h2>
            ${this.onLine ? html`<p class="notice warn phone-trust" data-testid="phone-trust">${t('live.phone.trust')}</p>` : null}
            ${away.length
              ? html`<p class="hint">${t('live.phone.dial.hint')}</p>
                  <ul>${away.map((/** @type {any} */ p) => this.dialLine(p))}</ul>`
              : null}
            ${this.callers.length
              ? html`<h3>${t('live.phone.consent.title')}</h3>
                  <p class="hint">${t('live.phone.consent.hint')}</p>
                  <ul>${this.callers.map((c) => this.line(c))}</ul>`
              : null}
            ${this.message
              ? html`<p class=${`message ${this.message.kind}`} role=${this.message.kind === 'error' ? 'alert' : 'status'}
                  data-testid="phone-consent-message">${this.message.text}</p>`
              : null}`,
      this.el,
    );
  }
}
