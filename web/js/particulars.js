// @ts-check
// A party's particulars (当事人的基本情况, People's Mediation Law art. 29) on the case page: the
// fields of the add-party form, each party's line, what is still missing, and the form to complete
// or correct them (PATCH /cases/{id}/parties/{party_id}). The agreement's next version and the
// court's ruling take them from the case.

import * as api from './api.js';
import { html } from 'htm/preact';
import { t, tv } from './i18n.js';
import './particulars-i18n.js';
import { toast } from './ui.js';
import { FormField, FormStateMessage, clearErrors, focusInvalid, formState, showApiError } from './ui-preact.js';

/** @typedef {import('./ui-preact.js').FormState} FormState */

/** The particulars the API takes, in the order the forms show them. */
export const PARTICULARS = ['sex', 'birth_date', 'age', 'ethnicity', 'occupation', 'address', 'authority'];

/**
 * The fields for a form (ids `${idPrefix}-sex` …), their values in `form` (filled from `p` when editing).
 * @param {FormState} form
 * @param {string} idPrefix
 * @param {Record<string, any>} [p]
 */
export function particularsFields(form, idPrefix, p = {}) {
  const agent = p.role === 'agent' || p.role === undefined;
  const at = { form, optional: true, idPrefix };
  return html`
    <${FormField} ...${at} label=${t('party.sex')} name="sex" kind="select"
      options=${[{ value: '', label: t('party.sex.none') }, { value: 'male', label: t('sex.male') }, { value: 'female', label: t('sex.female') }]} />
    <${FormField} ...${at} label=${t('party.birth_date')} name="birth_date" type="date" />
    <${FormField} ...${at} label=${t('party.age')} name="age" type="number" hint=${t('party.age.hint')} attrs=${{ min: 0, max: 130, inputmode: 'numeric' }} />
    <${FormField} ...${at} label=${t('party.ethnicity')} name="ethnicity" hint=${t('party.ethnicity.hint')} attrs=${{ maxlength: 20 }} />
    <${FormField} ...${at} label=${t('party.occupation')} name="occupation" attrs=${{ maxlength: 100 }} />
    <${FormField} ...${at} label=${t('party.address')} name="address" className="wide" hint=${t('party.address.hint')} attrs=${{ maxlength: 200 }} />
    ${agent ? html`<${FormField} ...${at} label=${t('party.authority')} name="authority" className="wide" hint=${t('party.authority.hint')} attrs=${{ maxlength: 200 }} />` : null}`;
}

/** A form's values for the particulars, from `p` (a party) or empty. @param {Record<string, any>} [p] */
export function particularsValues(p = {}) {
  return Object.fromEntries(PARTICULARS.map((name) => [name, p[name] == null ? '' : String(p[name])]));
}

/**
 * What the form holds: every particular given (for a new party), or only those changed (for `p`).
 * @param {Record<string, any>} values
 * @param {Record<string, any>} [p]
 */
export function readParticulars(values, p) {
  /** @type {Record<string, string | null>} */
  const body = {};
  for (const name of PARTICULARS) {
    if (p && name === 'authority' && p.role !== 'agent') continue; // not on the form
    const value = String(values[name] || '').trim();
    if (p ? value !== (p[name] == null ? '' : String(p[name])) : value) body[name] = value || null;
  }
  return body;
}

/** "男 · 1990-03-07 · 汉族 · 个体工商户 · 住北京市朝阳区……" for a party's line. */
export function particularsLine(p) {
  const age = p.age != null && !p.birth_date ? t('party.age.value', { n: p.age }) : null;
  return [p.sex ? t(`sex.${p.sex}`) : null, p.birth_date, age, p.ethnicity, p.occupation, p.address, p.authority ? `${t('party.authority')}：${p.authority}` : null]
    .filter(Boolean)
    .join(' · ');
}

/** What the agreement and a ruling still need of an applicant or respondent, said plainly. */
export function missingNotice(p) {
  const missing = p.missing_particulars || [];
  if (!['applicant', 'respondent'].includes(p.role)) return null;
  if (!missing.length) return html`<p class="muted small" data-testid="party-particulars-complete">${`✓ ${t('party.particulars.complete')}`}</p>`;
  const fields = missing.map((name) => t(`party.${name}`)).join(t('party.particulars.sep'));
  return html`<p class="notice warn small" data-testid="party-particulars-missing">${t('party.particulars.missing', { fields })}</p>`;
}

/**
 * A folded form to complete or correct a party's particulars; what is typed stays in `form`.
 * @param {{ caseId: string, p: Record<string, any>, form: FormState, onSaved: () => Promise<void>, redraw: () => void }} props
 */
export function ParticularsEditor({ caseId, p, form, onSaved, redraw }) {
  const submit = async (/** @type {any} */ ev) => {
    ev.preventDefault();
    const el = ev.currentTarget;
    clearErrors(form);
    const body = readParticulars(form.values, p);
    if (!Object.keys(body).length) {
      redraw();
      return onSaved();
    }
    form.busy = true;
    redraw();
    try {
      await api.updateParty(caseId, p.id, body);
      toast(t('party.particulars.saved', { name: p.name }));
      form.busy = false;
      await onSaved();
    } catch (err) {
      form.busy = false;
      showParticularsErrors(form, err);
      redraw();
      focusInvalid(el.querySelector('button'));
    }
  };
  return html`<details class="party-particulars" data-testid="party-particulars">
    <summary aria-label=${`${t('party.particulars.edit')}：${p.name}（${tv('partyrole', p.role)}）`}>${t('party.particulars.edit')}</summary>
    <form class="grid-form" novalidate data-testid="party-particulars-form" aria-busy=${form.busy ? 'true' : undefined} onSubmit=${submit}>
      <${FormStateMessage} form=${form} />
      <p class="hint wide">${t('party.particulars.hint')} ${t('party.particulars.later')}</p>
      ${particularsFields(form, `pp-${p.id}`, p)}
      <div class="actions wide"><button type="submit" class="primary" disabled=${form.busy}>${form.busy ? t('common.submitting') : t('party.particulars.save')}</button></div>
    </form>
  </details>`;
}

/** A form for `p`'s particulars, filled from what the case says. @param {Record<string, any>} p */
export const particularsForm = (p) => formState(particularsValues(p));

/**
 * The server's only refusals of well-formed particulars: a sex or date of birth the ID number contradicts.
 * @param {FormState} form @param {any} err
 */
export function showParticularsErrors(form, err) {
  const fields = (err && err.fields) || [];
  const known = fields.filter((/** @type {{field: string}} */ f) => f.field === 'sex' || f.field === 'birth_date');
  if (err && err.status === 422 && known.length === fields.length && known.length) {
    showApiError(form, { ...err, fields: [] }, { summary: () => t('error.invalid_input') });
    for (const f of known) form.fields[f.field] = () => t(`party.particulars.id_mismatch.${f.field}`);
    return;
  }
  showApiError(form, err);
}
