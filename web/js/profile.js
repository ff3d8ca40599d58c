// @ts-check
// A mediator's own entry in the directory parties choose from (issue #21, 在线调解规则 art. 5): a few
// words about them, the languages they mediate in, the kinds of dispute they know, and a photo
// (checked and re-encoded by the server). On the mediator's dashboard, folded until opened.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, tv } from './i18n.js';
import './mediators-i18n.js';
import { errorMessage, toast } from './ui.js';
import { Part, Section, FormMessage } from './ui-preact.js';

const LANGUAGES = ['zh', 'yue', 'mn', 'bo', 'ug', 'kk', 'ko', 'za', 'en'];

export class MyEntry {
  /** @param {{ user: any, meta: any, changed: () => void }} options */
  constructor({ user, meta, changed }) {
    this.user = user;
    this.disputes = /** @type {string[]} */ ((meta && meta.dispute_types) || []);
    this.changed = changed;
    this.part = new Part(
      () => api.request('GET', '/mediator-directory').then((d) => ((d && d.items) || []).find((/** @type {any} */ e) => e.id === user.id) || null),
      () => this.loaded(),
    );
    this.values = { profile: '', languages: /** @type {string[]} */ ([]), specialities: /** @type {string[]} */ ([]) };
    this.message = '';
    this.kind = 'error';
    this.busy = false;
  }

  loaded() {
    const e = this.part.data;
    if (e) this.values = { profile: e.profile, languages: [...e.languages], specialities: [...e.specialities] };
    this.changed();
  }

  /** @param {'languages' | 'specialities'} list @param {string} code @param {boolean} on */
  toggle(list, code, on) {
    const now = new Set(this.values[list]);
    if (on) now.add(code);
    else now.delete(code);
    this.values[list] = [...now];
  }

  /** @param {() => Promise<any>} run @param {string} done */
  async save(run, done) {
    this.busy = true;
    this.message = '';
    this.changed();
    try {
      this.part.set(await run());
      this.kind = 'success';
      this.message = t(done);
      toast(this.message);
    } catch (err) {
      this.kind = 'error';
      this.message = errorMessage(err);
    }
    this.busy = false;
    this.changed();
  }
}

/** @param {{ entry: MyEntry }} props */
export function MyEntrySection({ entry }) {
  const v = entry.values;
  const path = `/mediators/${encodeURIComponent(entry.user.id)}`;
  const submit = (/** @type {any} */ ev) => {
    ev.preventDefault();
    entry.save(() => api.request('PUT', `${path}/profile`, { body: { profile: v.profile.trim(), languages: v.languages, specialities: v.specialities } }), 'mdr.entry.saved');
  };
  const photo = (/** @type {any} */ ev) => {
    const file = ev.currentTarget.files && ev.currentTarget.files[0];
    if (file) entry.save(() => api.putFile(`${path}/photo`, file), 'mdr.entry.photo_saved');
    ev.currentTarget.value = '';
  };
  const boxes = (/** @type {'languages' | 'specialities'} */ list, /** @type {string[]} */ codes, /** @type {string} */ prefix) =>
    codes.map(
      (c) => html`<label class="choice-inline"><input type="checkbox" checked=${v[list].includes(c)} onChange=${(/** @type {any} */ e) => entry.toggle(list, c, e.currentTarget.checked)} /> ${tv(prefix, c)}</label>`,
    );
  const e = entry.part.data;
  return html`<${Section} id="my-entry" title=${t('mdr.entry.title')}>
    <details data-testid="my-entry">
      <summary>${t('mdr.entry.summary')}</summary>
      <p class="hint">${t('mdr.entry.hint')}</p>
      <${FormMessage} text=${entry.message} kind=${entry.kind} testid="my-entry-message" />
      ${e && e.photo_url ? html`<img class="directory-photo" src=${e.photo_url} alt=${t('mdr.photo.alt', { name: entry.user.display_name })} width="72" height="72" />` : null}
      <div class="field">
        <label for="my-photo">${t('mdr.entry.photo')}</label>
        <input id="my-photo" type="file" accept="image/jpeg,image/png" disabled=${entry.busy} onChange=${photo} data-testid="my-photo" />
        <p class="hint">${t('mdr.entry.photo.hint')}</p>
      </div>
      <form class="grid-form" novalidate onSubmit=${submit}>
        <div class="field wide">
          <label for="my-profile">${t('mdr.entry.profile')}</label>
          <textarea id="my-profile" rows="3" maxlength="1000" value=${v.profile} onInput=${(/** @type {any} */ ev) => (v.profile = ev.currentTarget.value)}></textarea>
        </div>
        <fieldset class="wide"><legend>${t('mdr.entry.languages')}</legend>${boxes('languages', LANGUAGES, 'mdr.lang')}</fieldset>
        <fieldset class="wide"><legend>${t('mdr.entry.specialities')}</legend>${boxes('specialities', entry.disputes, 'dispute')}</fieldset>
        <div class="actions wide"><button type="submit" class="primary" disabled=${entry.busy} data-testid="my-entry-save">${entry.busy ? t('common.submitting') : t('mdr.entry.save')}</button></div>
      </form>
    </details>
  </${Section}>`;
}
