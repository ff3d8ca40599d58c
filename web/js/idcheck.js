// @ts-check
// The mediator's view of each party's identity and signing key (#18), on the live page and the
// case page: who cannot receive codes and what to do, who is checked, who has a key.
//
// On the live page the mediator checks a party in the room: the party's name and the ID number on
// file (GET /parties/{id}/identity, logged), the card held to the camera, then an `identity_checked`
// record signed with the mediator's own key (bound to the case first if it is not). A confirmed
// check lets the party bind their key on their own page for 15 minutes with no code
// (server/domain/witnessed.py). The panel follows the server while it is shown.

import { html } from 'htm/preact';
import { render as draw } from 'preact'; // preact's own takes a list of nodes too
import * as api from './api.js';
import { ApiError } from './api.js';
import { t, tv, fmtTime, onLangChange } from './i18n.js';
import './identity-i18n.js';
import './evidence-i18n.js';
import { bindToCase, chooseKey, registerDeviceKey, signPrepared } from './signing/staff-key.js';
import { h, toast, errorMessage } from './ui.js';

const POLL_MS = 4000;

export class IdentityPanel {
  /**
   * caseId; user: the staff user; tz: zone for times; mode: 'live' (checks can be made: parties in
   * the room) or 'case' (the state and what to do); classes: extra classes for the section;
   * level: the heading's tag (h2 on its own, h3 inside another section).
   */
  /** @param {{caseId: string, user: any, tz: string, mode?: 'case' | 'live', classes?: string[], level?: string}} options */
  constructor({ caseId, user, tz, mode = 'case', classes = [], level = 'h2' }) {
    this.level = level;
    this.caseId = caseId;
    this.user = user;
    this.tz = tz;
    this.mode = mode;
    this.items = null; // identity-status items, once loaded
    this.loadError = null;
    this.present = new Set(); // live: party ids admitted in the room
    this.open = null; // the party being checked
    this.idNumbers = {}; // party id -> {status: 'loading'|'ok'|'error', value}
    this.note = '';
    this.busy = false;
    this.message = null; // {kind, text}
    this.key = undefined; // undefined: not looked up; null: none here; else {key_id, alg}
    /** @type {string | undefined} the parties' ids when the case page last listed them (pages/case.js) */
    this.partyIds = undefined;
    this.keyElsewhere = false;
    this.timer = null;
    this.el = h('section', { class: ['identity-panel', ...classes], 'aria-labelledby': `identity-title-${mode}`, dataset: { testid: 'identity-panel' } });
    this.offLang = onLangChange(() => this.render());
    this.load();
  }

  destroy() {
    this.destroyed = true;
    this.offLang();
    clearTimeout(this.timer);
  }

  /** Live page: the parties now admitted in the room (only they can be checked on video). */
  setPresent(ids) {
    this.present = new Set(ids);
    this.render();
  }

  async load() {
    clearTimeout(this.timer);
    if (this.destroyed) return;
    if (this.items && !this.el.isConnected) {
      // Not on screen (yet): look again later rather than ask the server for nobody.
      this.timer = setTimeout(() => this.load(), POLL_MS);
      return;
    }
    try {
      const data = await api.caseIdentityStatus(this.caseId);
      this.items = (data && data.items) || [];
      this.loadError = null;
    } catch (err) {
      if (!this.items) this.loadError = err;
    }
    this.render();
    // Follow the parties while the panel is on screen: on the live page always (a party may bind at
    // any moment), on the case page while a check waits for a party.
    const waiting = (this.items || []).some((i) => i.video_check);
    if (this.mode === 'live' || waiting) this.timer = setTimeout(() => this.load(), POLL_MS);
  }

  async openCheck(item) {
    this.open = item.party_id;
    this.note = '';
    this.message = null;
    this.render();
    this.el.querySelector('[data-testid="idcheck-form"] h3')?.focus();
    if (this.key === undefined) this.lookUpKey();
    if (!this.idNumbers[item.party_id] && item.has_id_number) {
      this.idNumbers[item.party_id] = { status: 'loading' };
      this.render();
      try {
        const shown = await api.revealIdNumber(item.party_id);
        this.idNumbers[item.party_id] = { status: 'ok', value: shown.id_number };
      } catch (err) {
        this.idNumbers[item.party_id] = { status: 'error', value: errorMessage(err) };
      }
      this.render();
    }
  }

  closeCheck() {
    const id = this.open;
    this.open = null;
    this.message = null;
    this.render();
    this.el.querySelector(`[data-party-id="${CSS.escape(id || '')}"] [data-testid="idcheck-open"]`)?.focus();
  }

  async lookUpKey() {
    try {
      const found = await chooseKey(this.user.id);
      this.key = found.key;
      this.keyElsewhere = found.elsewhere;
    } catch (err) {
      this.key = null;
      this.message = { kind: 'error', text: errorMessage(err) };
    }
    this.render();
  }

  async registerKey() {
    this.busy = true;
    this.message = null;
    this.render();
    try {
      await registerDeviceKey(this.user.id);
      await this.lookUpKey();
      this.message = { kind: 'info', text: t('idv.form.key.registered') };
    } catch (err) {
      this.message = { kind: 'error', text: err instanceof ApiError ? errorMessage(err) : t('idv.unsupported') };
    }
    this.busy = false;
    this.render();
    this.el.querySelector('[data-testid="idcheck-confirm"]')?.focus();
  }

  /** Sign the check (`confirmed` or `not_confirmed`) with my key, bound to the case first. */
  async sign(result) {
    const item = (this.items || []).find((i) => i.party_id === this.open);
    if (!item || !this.key || this.busy) return;
    this.busy = true;
    this.message = null;
    this.render();
    try {
      await bindToCase(this.caseId, this.key, this.user.id);
      const body = { key_id: this.key.key_id, party_id: item.party_id, method: 'id_card_on_video', result };
      if (this.note.trim()) body.note = this.note.trim();
      const prepared = await api.prepareSignedIdentityCheck(this.caseId, body);
      await api.completeStaffSignature(prepared.challenge, await signPrepared(prepared, this.key, this.user.id));
      const text = t(result === 'confirmed' ? 'idv.done.confirmed' : 'idv.done.not_confirmed', { name: item.name });
      toast(text, 'success', 6000);
      this.open = null;
      this.note = '';
      this.message = { kind: 'success', text, party: item.party_id };
    } catch (err) {
      let text;
      if (err instanceof ApiError) text = errorMessage(err);
      else if (err && err.message === 'elsewhere') text = t('idv.form.key.elsewhere');
      else if (err && err.name === 'NotAllowedError') text = t('key.passkey.failed');
      else text = t('idv.unsupported');
      this.message = { kind: 'error', text: t('idv.failed', { message: text }) };
    }
    this.busy = false;
    await this.load();
    this.el.querySelector('[data-testid="identity-message"]')?.focus();
  }

  // ---------------------------------------------------------------- drawing

  statusBadges(item) {
    const channels = item.code_channels || [];
    const channel = channels.length
      ? html`<span class="badge" data-testid="identity-channel" data-channels=${channels.join(' ')}>${channels.map((c) => t(`idv.channel.${c}`)).join('、')}</span>`
      : html`<span class="badge warn" data-testid="identity-channel" data-channels="">${t('idv.channel.none')}</span>`;
    const check = item.check;
    let checked = null;
    if (check && check.result === 'confirmed') {
      checked = html`<span class="badge ok" data-testid="identity-checked" data-result="confirmed">${`✓ ${t('idv.checked', { method: tv('idmethod', check.method) })}`}</span>`;
    } else if (check) {
      checked = html`<span class="badge warn" data-testid="identity-checked" data-result=${check.result}>${t('idv.not_confirmed')}</span>`;
    }
    const key = item.key;
    const keyBadge = key
      ? html`<span class="badge ok" data-testid="identity-key" data-method=${key.method || ''}>${`✓ ${t(key.method === 'video_witnessed' ? 'idv.key.video_witnessed' : 'idv.key.bound')}`}</span>`
      : html`<span class="badge muted" data-testid="identity-key" data-method="">${t('idv.key.none')}</span>`;
    return [channel, checked, keyBadge];
  }

  itemEl(item) {
    const present = this.present.has(item.party_id);
    const noChannel = !(item.code_channels || []).length;
    const todo = noChannel && !item.key && !item.video_check;
    const msg = this.message && this.message.party === item.party_id ? this.message : null;
    const opened = this.open === item.party_id;
    return html`<li key=${item.party_id} class="identity-item" data-testid="identity-item" data-party-id=${item.party_id}>
      <p class="person-line"><strong>${item.name}</strong><span class="badge">${tv('partyrole', item.role)}</span>${this.statusBadges(item)}</p>
      ${todo ? html`<p class="notice" data-testid="identity-todo">${t(this.mode === 'live' ? 'idv.todo.live' : 'idv.todo.case', { name: item.name })}</p>` : null}
      ${item.video_check
        ? html`<p class="muted small" role="status" data-testid="identity-waiting">${t('idv.waiting', { name: item.name, time: fmtTime(item.video_check.expires_at, this.tz) })}</p>`
        : null}
      ${msg ? html`<p class="key-message key-message-info" role="status" tabindex="-1" data-testid="identity-message">${msg.text}</p>` : null}
      ${this.mode === 'live' && !opened
        ? html`<div class="actions">
            <button type="button" class=${`${todo ? 'primary' : 'secondary'} small-btn`} disabled=${!present || this.busy} data-testid="idcheck-open"
              onClick=${() => this.openCheck(item)}>${item.check && item.check.result === 'confirmed' ? t('idv.check.again') : t('idv.check')}</button>
            ${present ? null : html`<span class="muted small">${t('idv.absent')}</span>`}
          </div>`
        : null}
      ${opened ? this.formEl(item) : null}
    </li>`;
  }

  formEl(item) {
    const shown = this.idNumbers[item.party_id];
    let idLine;
    if (!item.has_id_number) idLine = html`<p class="notice" data-testid="idcheck-id-none">${t('idv.form.id.none')}</p>`;
    else if (!shown || shown.status === 'loading') idLine = html`<p class="muted">${t('idv.form.id.loading')}</p>`;
    else if (shown.status === 'error') idLine = html`<p class="error-box" role="alert">${shown.value}</p>`;
    else
      idLine = html`<dl class="info">
          <dt>${t('idv.form.id')}</dt>
          <dd><strong class="id-number" data-testid="idcheck-id-number">${shown.value}</strong></dd>
        </dl>
        <p class="muted small">${t('idv.form.id.logged')}</p>`;
    let keyLine;
    if (this.key === undefined) keyLine = html`<p class="muted small">${t('idv.form.id.loading')}</p>`;
    else if (this.key === null)
      keyLine = html`<div class="idcheck-key" data-testid="idcheck-key-none">
        <p>${this.keyElsewhere ? t('idv.form.key.elsewhere') : t('idv.form.key.none')}</p>
        <button type="button" class="secondary small-btn" disabled=${this.busy} data-testid="idcheck-key-register" onClick=${() => this.registerKey()}>
          ${t('idv.form.key.register')}
        </button>
      </div>`;
    else
      keyLine = html`<p class="muted small" data-testid="idcheck-key-ready">
        ${t('idv.form.key.ready', { kind: t(this.key.alg === 'webauthn' ? 'idv.form.key.passkey' : 'idv.form.key.device') })}
      </p>`;
    const noteId = `idcheck-note-${item.party_id}`;
    /** @param {Event} ev */
    const typed = (ev) => {
      this.note = /** @type {HTMLInputElement} */ (ev.currentTarget).value;
    };
    const error = this.message && this.message.kind === 'error' ? this.message : null;
    const info = this.message && this.message.kind === 'info' ? this.message : null;
    const busy = this.busy;
    return html`<div class="idcheck-form" data-testid="idcheck-form" data-party-id=${item.party_id}>
      <h3 tabindex="-1">${t('idv.form.title', { name: item.name, role: tv('partyrole', item.role) })}</h3>
      ${idLine}
      <p>${t('idv.form.how', { name: item.name })}</p>
      ${keyLine}
      <div class="field">
        <label for=${noteId}>${t('idv.form.note')}</label>
        <input id=${noteId} type="text" maxlength="500" autocomplete="off" value=${this.note} data-testid="idcheck-note" onInput=${typed} />
      </div>
      ${error ? html`<p class="error-box" role="alert" tabindex="-1" data-testid="identity-message">${error.text}</p>` : null}
      ${info ? html`<p class="key-message key-message-info" role="status" data-testid="idcheck-info">${info.text}</p>` : null}
      <div class="actions">
        <button type="button" class="primary" disabled=${!this.key || busy} data-testid="idcheck-confirm" onClick=${() => this.sign('confirmed')}>
          ${busy ? t('idv.form.busy') : t('idv.form.confirm')}
        </button>
        <button type="button" class="danger-outline" disabled=${!this.key || busy} data-testid="idcheck-mismatch" onClick=${() => this.sign('not_confirmed')}>
          ${t('idv.form.mismatch')}
        </button>
        <button type="button" class="secondary" disabled=${busy} data-testid="idcheck-cancel" onClick=${() => this.closeCheck()}>${t('idv.form.cancel')}</button>
      </div>
    </div>`;
  }

  /**
   * Draw the panel again: Preact changes only what differs, so the note being typed, and the focus,
   * stay across the polls and a change of language.
   */
  render() {
    const Title = this.level;
    let body;
    if (this.loadError && !this.items) body = html`<p class="error-box" role="alert">${t('idv.load_failed')}</p>`;
    else if (!this.items) body = html`<p class="muted">${t('key.checking')}</p>`;
    else
      body = html`<p class="muted small">${t(this.mode === 'live' ? 'idv.intro.live' : 'idv.intro.case')}</p>
        <ul class="identity-list" data-testid="identity-list">${this.items.map((item) => this.itemEl(item))}</ul>`;
    draw(html`<${Title} id=${`identity-title-${this.mode}`}>${t('idv.title')}</${Title}>${body}`, this.el);
  }
}
