// @ts-check
// Recording in the live session, as people see it (signaling/PROTOCOL.md, "Recording"):
// the red "recording" indicator every page shows while the joint room is recorded, the note
// that a private talk is not recorded, and the party's consent card: the notice exactly as
// the server gives it, signed with the party's own key (keys.js), withdrawn with one button.
// Protocol calls go through signaling.js; binding a key first goes through keybind.js.

import { html } from 'htm/preact';
import { render as draw } from 'preact'; // preact's own takes a list of nodes too
import { t, getLang, onLangChange } from './i18n.js';
import './live-i18n.js';
import { deviceKeyName } from './keybind.js';
import { getOrCreateDeviceKey, signWithDeviceKey, signWithPasskey, b64Decode } from './keys.js';
import { MessageLine } from './signing/message.js';
import { h, toast, confirmDialog } from './ui.js';
import { Mount, keepingFocus } from './mount.js';

/** Whether the joint room is being recorded, as the `participants` view says. */
export const recordingActive = (view) => Boolean(view && view.recording && view.recording.active);

function fmtSince(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'zh-CN', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

/** The red dot and "正在录音录像", with the time it started (a Preact node: the pages draw it with htm). */
export function recordingIndicator(view, { testid = 'recording-indicator' } = {}) {
  const since = fmtSince(view.recording.since);
  return html`<p key=${testid} class="rec-indicator" role="status" data-testid=${testid}>
    <span class="rec-dot" aria-hidden="true"></span><span class="rec-label">${t('rec.on')}</span>${since
      ? html`<span class="rec-since">${t('rec.since', { time: since })}</span>`
      : null}
  </p>`;
}

/**
 * The recording lines for the top of a room or waiting room: the indicator while the joint room
 * is recorded, and, for someone in a private talk, that the private talk is not recorded
 * (a party in one sees only that: what they say there is not recorded). Preact nodes, keyed.
 */
export function recordingBanners(view, { host = false } = {}) {
  if (!view) return [];
  const inCaucus = Boolean(view.self && view.self.in_caucus);
  const out = [];
  if (recordingActive(view) && (host || !inCaucus)) out.push(recordingIndicator(view));
  if (inCaucus) {
    out.push(
      html`<p key="caucus-not-recorded" class="rec-indicator rec-off" role="status" data-testid="caucus-not-recorded">
        <span class="rec-dot" aria-hidden="true"></span><span class="rec-label">${host ? t('rec.caucus.host') : t('rec.caucus')}</span>
      </p>`,
    );
  }
  return out;
}

/** A refusal of consent_prepare because no key is bound to this party yet. */
const isNoKey = (err) => Boolean(err) && err.reason === 'no_key';

/**
 * The party's consent card. Before consent: the notice (Chinese, then English, exactly as
 * `consent_prepare` returns it, since the signed statement carries its hash) and the big
 * "I agree" button; with no key bound yet, the key binding comes first. After consent: that it
 * was given, and the button to withdraw it.
 */
export class ConsentCard {
  /**
   * signaling: the page's Signaling; keys: the party's KeyBinding (keybind.js);
   * onChange(): the card was redrawn (e.g. consent given: the page may update its banners).
   */
  constructor({ signaling, keys, onChange = () => {} }) {
    this.signaling = signaling;
    this.onChange = onChange;
    this.keys = keys;
    this.view = null;
    this.status = 'idle'; // idle | loading | no_key | ready | signing | withdrawing | error
    this.notice = null; // {zh, en, hash}: what is shown, as the server gave it
    this.message = null; // {kind, key, vars}
    this.given = false; // consent_give answered ok and no newer view yet
    this.el = h('section', { class: 'party-card consent-card', 'aria-labelledby': 'consent-title', dataset: { testid: 'consent-card' } });
    this.offLang = onLangChange(() => this.render());
    this.offBound = keys ? keys.onBound(() => this.bound()) : () => {};
  }

  destroy() {
    this.offLang();
    this.offBound();
  }

  get consented() {
    return this.given || Boolean(this.view && this.view.self && this.view.self.consented);
  }

  setView(view) {
    this.view = view;
    this.given = false;
    if (!this.consented && this.status === 'idle' && this.signaling.connected) this.load();
    this.render();
  }

  /** Fetch the notice to show (a statement is prepared too; the one signed is prepared on the click). */
  async load() {
    this.status = 'loading';
    this.render();
    try {
      const r = await this.signaling.call('consent_prepare', {});
      this.notice = { zh: r.text.zh, en: r.text.en, hash: r.text_hash };
      this.status = 'ready';
    } catch (err) {
      this.failed(err, 'consent.load_failed');
    }
    this.render();
  }

  failed(err, messageKey = 'consent.failed') {
    if (isNoKey(err)) {
      this.status = 'no_key';
      // This browser remembered a binding the server does not have: bind again.
      if (this.keys && this.keys.stage === 'done') this.keys.reset();
      return;
    }
    this.status = this.notice ? 'ready' : 'error';
    this.message = { kind: 'error', key: err && err.code === 'disconnected' ? 'live.reconnecting.self' : messageKey };
  }

  /** A key was just bound: show the notice to agree to, and take the reader there. */
  async bound() {
    if (this.consented) return;
    this.message = { kind: 'info', key: 'consent.key.bound' };
    await this.load();
    const target = this.el.querySelector('[data-testid="consent-text"]') || this.el.querySelector('h2');
    if (target && this.el.isConnected) target.focus();
  }

  async agree() {
    if (this.status === 'signing') return;
    this.status = 'signing';
    this.message = null;
    this.render();
    let next = 'consent-agree';
    try {
      const r = await this.signaling.call('consent_prepare', {});
      if (this.notice && r.text_hash !== this.notice.hash) {
        // The notice changed since it was shown: show the new one and ask again.
        this.notice = { zh: r.text.zh, en: r.text.en, hash: r.text_hash };
        this.status = 'ready';
        this.message = { kind: 'info', key: 'consent.text_changed' };
        return;
      }
      let payload;
      if (r.key.alg === 'webauthn') {
        payload = { challenge: r.challenge, credential: await signWithPasskey(r.options) };
      } else {
        const name = deviceKeyName(this.keys ? this.keys.partyId : this.view.self.id);
        const own = await getOrCreateDeviceKey(name);
        if (own.keyId !== r.key.id) {
          // The key bound in this case is on another phone or browser: bind this one.
          this.status = 'no_key';
          if (this.keys) this.keys.reset({ kind: 'info', key: 'consent.key.elsewhere' });
          next = 'key-send';
          return;
        }
        payload = { challenge: r.challenge, signature: await signWithDeviceKey(name, b64Decode(r.statement)) };
      }
      await this.signaling.call('consent_give', payload);
      this.given = true;
      this.status = 'idle';
      next = 'consent-given';
      toast(t('consent.given.toast'));
    } catch (err) {
      if (err && err.name === 'NotAllowedError') {
        this.status = 'ready';
        this.message = { kind: 'error', key: 'key.passkey.failed' };
      } else {
        this.failed(err);
        if (this.status === 'no_key') next = 'key-send';
      }
    } finally {
      if (this.status === 'signing') this.status = 'ready';
      this.render();
      this.el.querySelector(`[data-testid="${next}"]`)?.focus();
    }
  }

  async withdraw() {
    if (this.status === 'withdrawing') return;
    const res = await confirmDialog({
      title: t('consent.withdraw.title'),
      message: t('consent.withdraw.text'),
      confirmLabel: t('consent.withdraw.ok'),
      cancelLabel: t('consent.withdraw.keep'),
      danger: true,
    });
    if (!res.ok) return;
    this.status = 'withdrawing';
    this.message = null;
    this.render();
    let next = 'consent-withdraw';
    try {
      const ack = await this.signaling.call('consent_withdraw', {});
      this.given = false;
      if (this.view && this.view.self) this.view = { ...this.view, self: { ...this.view.self, consented: false } };
      this.status = this.notice ? 'ready' : 'idle';
      next = 'consent-agree';
      toast(ack.recording_stopped ? t('consent.withdrawn.toast') : t('consent.withdrawn.toast.idle'), 'info', 6000);
    } catch (err) {
      this.status = 'idle';
      this.message = { kind: 'error', key: err && err.code === 'disconnected' ? 'live.reconnecting.self' : 'consent.withdraw.failed' };
    }
    this.render();
    if (this.status === 'idle' && !this.consented && this.signaling.connected && !this.notice) this.load();
    this.el.querySelector(`[data-testid="${next}"]`)?.focus();
  }

  /** The card's heading (focus goes to it). @param {string} text @param {{ done?: boolean }} [options] */
  title(text, { done = false } = {}) {
    return html`<h2 id="consent-title" class=${done ? 'consent-done' : undefined} tabindex="-1" data-testid=${done ? 'consent-given' : undefined}>${text}</h2>`;
  }

  givenBody() {
    const withdrawing = this.status === 'withdrawing';
    return html`${this.title(t('consent.given'), { done: true })}
      <p>${t('consent.given.text')}</p>
      <${MessageLine} m=${this.message} testid="consent-message" />
      <button type="button" class="secondary big block" disabled=${withdrawing} data-testid="consent-withdraw" onClick=${() => this.withdraw()}>
        ${withdrawing ? t('consent.withdrawing') : t('consent.withdraw')}
      </button>`;
  }

  askBody() {
    const head = html`${this.title(t('consent.title'))}<p class="lead">${t('consent.intro')}</p>`;
    const keys = this.keys;
    if (this.status === 'no_key') {
      return html`${head}<p class="consent-step">${t('consent.key.first')}</p>
        <${MessageLine} m=${this.message} testid="consent-message" />
        ${keys ? html`<${Mount} class="consent-key" make=${() => keepingFocus(keys.el, () => keys.render())} />` : null}`;
    }
    if (this.status === 'error' || !this.notice) {
      return html`${head}${this.status === 'error'
        ? html`<${MessageLine} m=${this.message} testid="consent-message" />
            <button type="button" class="secondary big block" data-testid="consent-retry" onClick=${() => this.load()}>${t('common.retry')}</button>`
        : html`<p class="muted" role="status">${t('common.loading')}</p>`}`;
    }
    const signing = this.status === 'signing';
    return html`${head}
      <div class="consent-text" tabindex="0" role="region" aria-label=${t('consent.text.label')} data-testid="consent-text">
        <p class="consent-zh" lang="zh-CN">${this.notice.zh}</p>
        <p class="consent-en" lang="en">${this.notice.en}</p>
      </div>
      <${MessageLine} m=${this.message} testid="consent-message" />
      <button type="button" class="primary big block consent-agree" disabled=${signing} data-testid="consent-agree" onClick=${() => this.agree()}>
        ${signing ? t('consent.signing') : t('consent.agree')}
      </button>
      <p class="hint">${t('consent.agree.hint')}</p>`;
  }

  /**
   * Draw the card again (Preact changes only what differs: the code typed in the key binding, the
   * notice's scroll and the focus stay across the frequent participants updates).
   */
  render() {
    this.el.classList.toggle('consent-card-given', this.consented);
    draw(this.consented ? this.givenBody() : this.askBody(), this.el);
    this.onChange();
  }
}
