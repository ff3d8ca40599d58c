// @ts-check
// A party's particulars (当事人的基本情况, People's Mediation Law art. 29) on the case page: the
// fields of the add-party form, each party's line, what is still missing, and the form to complete
// or correct them (PATCH /cases/{id}/parties/{party_id}). The agreement's next version and the
// court's ruling take them from the case.

import * as api from './api.js';
import { t, tv } from './i18n.js';
import './particulars-i18n.js';
import { h, field, clearFormErrors, showFormErrors, setFieldError, whileSubmitting, toast } from './ui.js';

/** The particulars the API takes, in the order the forms show them. */
export const PARTICULARS = ['sex', 'birth_date', 'ethnicity', 'occupation', 'address', 'authority'];

/**
 * The fields for a form (ids `${idPrefix}-sex` …), filled from `p` when editing.
 * @param {string} idPrefix
 * @param {Record<string, any>} [p]
 */
export function particularsFields(idPrefix, p = {}) {
  const agent = p.role === 'agent' || p.role === undefined;
  return [
    field({
      label: t('party.sex'),
      name: 'sex',
      kind: 'select',
      optional: true,
      idPrefix,
      options: [{ value: '', label: t('party.sex.none') }, { value: 'male', label: t('sex.male') }, { value: 'female', label: t('sex.female') }],
      value: p.sex || '',
    }),
    field({ label: t('party.birth_date'), name: 'birth_date', type: 'date', optional: true, idPrefix, value: p.birth_date || '' }),
    field({ label: t('party.ethnicity'), name: 'ethnicity', optional: true, idPrefix, hint: t('party.ethnicity.hint'), value: p.ethnicity || '', attrs: { maxlength: 20 } }),
    field({ label: t('party.occupation'), name: 'occupation', optional: true, idPrefix, value: p.occupation || '', attrs: { maxlength: 100 } }),
    field({ label: t('party.address'), name: 'address', optional: true, idPrefix, className: 'wide', hint: t('party.address.hint'), value: p.address || '', attrs: { maxlength: 200 } }),
    agent
      ? field({ label: t('party.authority'), name: 'authority', optional: true, idPrefix, className: 'wide', hint: t('party.authority.hint'), value: p.authority || '', attrs: { maxlength: 200 } })
      : null,
  ];
}

/**
 * What the form holds: every particular given (for a new party), or only those changed (for `p`).
 * @param {HTMLFormElement} form
 * @param {Record<string, any>} [p]
 */
export function readParticulars(form, p) {
  /** @type {Record<string, string | null>} */
  const body = {};
  for (const name of PARTICULARS) {
    const el = /** @type {HTMLInputElement | null} */ (form.elements.namedItem(name));
    if (!el) continue;
    const value = el.value.trim();
    if (p ? value !== (p[name] || '') : value) body[name] = value || null;
  }
  return body;
}

/** "男 · 1990-03-07 · 汉族 · 个体工商户 · 住北京市朝阳区……" for a party's line. */
export function particularsLine(p) {
  return [p.sex ? t(`sex.${p.sex}`) : null, p.birth_date, p.ethnicity, p.occupation, p.address, p.authority ? `${t('party.authority')}：${p.authority}` : null]
    .filter(Boolean)
    .join(' · ');
}

/** What the agreement and a ruling still need of an applicant or respondent, said plainly. */
export function missingNotice(p) {
  const missing = p.missing_particulars || [];
  if (!['applicant', 'respondent'].includes(p.role)) return null;
  if (!missing.length) return h('p', { class: 'muted small', dataset: { testid: 'party-particulars-complete' } }, `✓ ${t('party.particulars.complete')}`);
  const fields = missing.map((name) => t(`party.${name}`)).join(t('party.particulars.sep'));
  return h('p', { class: 'notice warn small', dataset: { testid: 'party-particulars-missing' } }, t('party.particulars.missing', { fields }));
}

/**
 * A folded form to complete or correct a party's particulars.
 * @param {string} caseId
 * @param {Record<string, any>} p
 * @param {() => Promise<void>} onSaved
 */
export function particularsEditor(caseId, p, onSaved) {
  const prefix = `pp-${p.id}`;
  const form = h(
    'form',
    { class: 'grid-form', novalidate: true, dataset: { testid: 'party-particulars-form' } },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    h('p', { class: 'hint wide' }, t('party.particulars.hint'), ' ', t('party.particulars.later')),
    ...particularsFields(prefix, p),
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'primary' }, t('party.particulars.save'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const body = readParticulars(/** @type {HTMLFormElement} */ (form), p);
    if (!Object.keys(body).length) return onSaved();
    await whileSubmitting(/** @type {HTMLFormElement} */ (form), async () => {
      try {
        await api.updateParty(caseId, p.id, body);
        toast(t('party.particulars.saved', { name: p.name }));
        await onSaved();
      } catch (err) {
        showParticularsErrors(/** @type {HTMLFormElement} */ (form), err);
      }
    });
  });
  return h(
    'details',
    { class: 'party-particulars', dataset: { testid: 'party-particulars' } },
    h('summary', { 'aria-label': `${t('party.particulars.edit')}：${p.name}（${tv('partyrole', p.role)}）` }, t('party.particulars.edit')),
    form,
  );
}

/** The server's only refusals of well-formed particulars: a sex or date of birth the ID number contradicts. */
export function showParticularsErrors(form, err) {
  const fields = (err && err.fields) || [];
  const known = fields.filter((/** @type {{field: string}} */ f) => f.field === 'sex' || f.field === 'birth_date');
  if (err && err.status === 422 && known.length === fields.length && known.length) {
    showFormErrors(form, { ...err, fields: [] }, t('error.invalid_input'));
    for (const f of known) setFieldError(form, f.field, t(`party.particulars.id_mismatch.${f.field}`));
    /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))?.focus();
    return;
  }
  showFormErrors(form, err);
}
