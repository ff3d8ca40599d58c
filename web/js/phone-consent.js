// @ts-check
// Callers' consent to recording by keypress (#25), on the host's live page. For each party in the
// room by phone: a button that has the recording notice played to them, then what they pressed (1
// agrees, 2 refuses) and, for a 1, the host's witness signed with their own key (bound to the case
// first), which is what makes it consent (signaling/phone_consent_events.py).

import { html, render as draw } from 'htm/preact';
import { t } from './i18n.js';
import './live-i18n.js';
import { signalingErrorMessage } from './room.js';
import { bindToCase, chooseKey, registerDeviceKey, signErrorText, signPrepared } from './signing/staff-key.js';
import { h, toast } from './ui.js';

/** @typedef {{ participant_id: string, name: string, number: string, pressed: string }} Pressed */

export class PhoneConsentPanel {
  /** @param {{ signaling: any, caseId: string, user: { id: string } }} options */
  constructor({ signaling, caseId, user }) {
    this.signaling = signaling;
    this.caseId = caseId;
    this.user = user;
    /** @type {any[]} the callers in the room, from the host's `participants` view */
    this.callers = [];
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
    signaling.on('phone_consent', (/** @type {Pressed} */ p) => {
      this.pressed = { ...this.pressed, [p.participant_id]: p };
      this.asked.delete(p.participant_id);
      this.render();
    });
    this.render();
  }

  /** The host's `participants` view: who is in the room by phone, and who has consented. */
  setView(/** @type {any} */ view) {
    this.callers = ((view && view.participants) || []).filter((/** @type {any} */ p) => p.phone && p.state === 'admitted');
    this.render();
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
    this.el.hidden = this.callers.length === 0;
    draw(
      !this.callers.length
        ? html``
        : html`<h2 id="phone-consent-title">${t('live.phone.consent.title')}</h2>
            <p class="hint">${t('live.phone.consent.hint')}</p>
            <ul>${this.callers.map((c) => this.line(c))}</ul>
            ${this.message
              ? html`<p class=${`message ${this.message.kind}`} role=${this.message.kind === 'error' ? 'alert' : 'status'}
                  data-testid="phone-consent-message">${this.message.text}</p>`
              : null}`,
      this.el,
    );
  }
}
