// @ts-check
// The mediator's view of each party's identity and signing key (#18), on the live page and the
// case page: who cannot receive codes and what to do, who is checked, who has a key.
//
// On the live page the mediator checks a party in the room: the party's name and the ID number on
// file (GET /parties/{id}/identity, logged), the card held to the camera, then an `identity_checked`
// record signed with the mediator's own key (bound to the case first if it is not). A confirmed
// check lets the party bind their key on their own page for 15 minutes with no code
// (server/domain/witnessed.py). The panel follows the server while it is shown.

import * as api from './api.js';
import { ApiError } from './api.js';
import { t, tv, fmtTime, onLangChange, getLang } from './i18n.js';
import './identity-i18n.js';
import './evidence-i18n.js';
import { bindToCase, chooseKey, registerDeviceKey, signPrepared } from './signing/staff-key.js';
import { h, replace, toast, errorMessage } from './ui.js';

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
    this.drawn = null;
    this.timer = null;
    this.el = h('section', { class: ['identity-panel', ...classes], 'aria-labelledby': `identity-title-${mode}`, dataset: { testid: 'identity-panel' } });
    this.offLang = onLangChange(() => this.render(true));
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
    const out = [];
    const channels = item.code_channels || [];
    out.push(
      channels.length
        ? h('span', { class: 'badge', dataset: { testid: 'identity-channel', channels: channels.join(' ') } }, channels.map((c) => t(`idv.channel.${c}`)).join('、'))
        : h('span', { class: 'badge warn', dataset: { testid: 'identity-channel', channels: '' } }, t('idv.channel.none')),
    );
    const check = item.check;
    if (check && check.result === 'confirmed') {
      out.push(h('span', { class: 'badge ok', dataset: { testid: 'identity-checked', result: 'confirmed' } }, `✓ ${t('idv.checked', { method: tv('idmethod', check.method) })}`));
    } else if (check) {
      out.push(h('span', { class: 'badge warn', dataset: { testid: 'identity-checked', result: check.result } }, t('idv.not_confirmed')));
    }
    const key = item.key;
    out.push(
      key
        ? h('span', { class: 'badge ok', dataset: { testid: 'identity-key', method: key.method || '' } }, `✓ ${t(key.method === 'video_witnessed' ? 'idv.key.video_witnessed' : 'idv.key.bound')}`)
        : h('span', { class: 'badge muted', dataset: { testid: 'identity-key', method: '' } }, t('idv.key.none')),
    );
    return out;
  }

  itemEl(item) {
    const present = this.present.has(item.party_id);
    const noChannel = !(item.code_channels || []).length;
    const todo = noChannel && !item.key && !item.video_check;
    const msg = this.message && this.message.party === item.party_id ? this.message : null;
    return h(
      'li',
      { class: 'identity-item', dataset: { testid: 'identity-item', partyId: item.party_id } },
      h('p', { class: 'person-line' }, h('strong', null, item.name), h('span', { class: 'badge' }, tv('partyrole', item.role)), this.statusBadges(item)),
      todo ? h('p', { class: 'notice', dataset: { testid: 'identity-todo' } }, t(this.mode === 'live' ? 'idv.todo.live' : 'idv.todo.case', { name: item.name })) : null,
      item.video_check
        ? h('p', { class: 'muted small', role: 'status', dataset: { testid: 'identity-waiting' } }, t('idv.waiting', { name: item.name, time: fmtTime(item.video_check.expires_at, this.tz) }))
        : null,
      msg ? h('p', { class: 'key-message key-message-info', role: 'status', tabindex: '-1', dataset: { testid: 'identity-message' } }, msg.text) : null,
      this.mode === 'live' && this.open !== item.party_id
        ? h(
            'div',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                class: [todo ? 'primary' : 'secondary', 'small-btn'],
                disabled: !present || this.busy,
                dataset: { testid: 'idcheck-open' },
                onclick: () => this.openCheck(item),
              },
              item.check && item.check.result === 'confirmed' ? t('idv.check.again') : t('idv.check'),
            ),
            present ? null : h('span', { class: 'muted small' }, t('idv.absent')),
          )
        : null,
      this.open === item.party_id ? this.formEl(item) : null,
    );
  }

  formEl(item) {
    const shown = this.idNumbers[item.party_id];
    let idLine;
    if (!item.has_id_number) idLine = h('p', { class: 'notice', dataset: { testid: 'idcheck-id-none' } }, t('idv.form.id.none'));
    else if (!shown || shown.status === 'loading') idLine = h('p', { class: 'muted' }, t('idv.form.id.loading'));
    else if (shown.status === 'error') idLine = h('p', { class: 'error-box', role: 'alert' }, shown.value);
    else
      idLine = [
        h('dl', { class: 'info' }, h('dt', null, t('idv.form.id')), h('dd', null, h('strong', { class: 'id-number', dataset: { testid: 'idcheck-id-number' } }, shown.value))),
        h('p', { class: 'muted small' }, t('idv.form.id.logged')),
      ];
    let keyLine;
    if (this.key === undefined) keyLine = h('p', { class: 'muted small' }, t('idv.form.id.loading'));
    else if (this.key === null)
      keyLine = h(
        'div',
        { class: 'idcheck-key', dataset: { testid: 'idcheck-key-none' } },
        h('p', null, this.keyElsewhere ? t('idv.form.key.elsewhere') : t('idv.form.key.none')),
        h('button', { type: 'button', class: 'secondary small-btn', disabled: this.busy, onclick: () => this.registerKey(), dataset: { testid: 'idcheck-key-register' } }, t('idv.form.key.register')),
      );
    else
      keyLine = h(
        'p',
        { class: 'muted small', dataset: { testid: 'idcheck-key-ready' } },
        t('idv.form.key.ready', { kind: t(this.key.alg === 'webauthn' ? 'idv.form.key.passkey' : 'idv.form.key.device') }),
      );
    const noteId = `idcheck-note-${item.party_id}`;
    const note = h('input', { id: noteId, type: 'text', maxlength: 500, autocomplete: 'off', value: this.note, dataset: { testid: 'idcheck-note' } });
    note.addEventListener('input', () => {
      this.note = note.value;
    });
    const error = this.message && this.message.kind === 'error' ? this.message : null;
    const info = this.message && this.message.kind === 'info' ? this.message : null;
    return h(
      'div',
      { class: 'idcheck-form', dataset: { testid: 'idcheck-form', partyId: item.party_id } },
      h('h3', { tabindex: '-1' }, t('idv.form.title', { name: item.name, role: tv('partyrole', item.role) })),
      idLine,
      h('p', null, t('idv.form.how', { name: item.name })),
      keyLine,
      h('div', { class: 'field' }, h('label', { for: noteId }, t('idv.form.note')), note),
      error ? h('p', { class: 'error-box', role: 'alert', tabindex: '-1', dataset: { testid: 'identity-message' } }, error.text) : null,
      info ? h('p', { class: 'key-message key-message-info', role: 'status', dataset: { testid: 'idcheck-info' } }, info.text) : null,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'primary', disabled: !this.key || this.busy, onclick: () => this.sign('confirmed'), dataset: { testid: 'idcheck-confirm' } }, this.busy ? t('idv.form.busy') : t('idv.form.confirm')),
        h('button', { type: 'button', class: 'danger-outline', disabled: !this.key || this.busy, onclick: () => this.sign('not_confirmed'), dataset: { testid: 'idcheck-mismatch' } }, t('idv.form.mismatch')),
        h('button', { type: 'button', class: 'secondary', disabled: this.busy, onclick: () => this.closeCheck(), dataset: { testid: 'idcheck-cancel' } }, t('idv.form.cancel')),
      ),
    );
  }

  /** Redraw when something shown changed (so a redraw never takes the focus from a typing mediator). */
  render(force = false) {
    const drawn = JSON.stringify([
      this.items,
      this.loadError && String(this.loadError.message),
      [...this.present].sort(),
      this.open,
      this.idNumbers,
      this.busy,
      this.message,
      this.key === undefined ? 'unknown' : this.key, // (JSON has no undefined: it would read as null)
      this.keyElsewhere,
      getLang(),
    ]);
    if (!force && drawn === this.drawn) return;
    this.drawn = drawn;
    const title = h(this.level, { id: `identity-title-${this.mode}` }, t('idv.title'));
    let body;
    if (this.loadError && !this.items) body = h('p', { class: 'error-box', role: 'alert' }, t('idv.load_failed'));
    else if (!this.items) body = h('p', { class: 'muted' }, t('key.checking'));
    else
      body = [
        h('p', { class: 'muted small' }, t(this.mode === 'live' ? 'idv.intro.live' : 'idv.intro.case')),
        h('ul', { class: 'identity-list', dataset: { testid: 'identity-list' } }, this.items.map((item) => this.itemEl(item))),
      ];
    replace(this.el, title, body);
  }
}
