// @ts-check
// The window's registration form on /mediator (受理登记, #21): the case (number, dispute type, source
// and its reference, registration day, summary, amount, where the property is) and its applicants and
// respondents with the registration form's particulars, sent as one POST /cases. A collective dispute
// (群体性纠纷) takes its applicants as a pasted list, "name, phone" a line; the server names each line
// it cannot read, and those messages are said under the list. What is typed lives in a state object the
// page keeps, so a redraw or a change of language keeps it; errors are said when drawn.

import { html } from 'htm/preact';
import * as api from './api.js';
import { t, tv, getLang } from './i18n.js';
import { todayIn } from './time.js';
import './case-i18n.js';
import './mediator-i18n.js';
import './particulars-i18n.js';
import './registration-i18n.js';
import { fieldMessage, errorMessage, normaliseAmount, optionsFrom, toast } from './ui.js';
import { Field, FormMessage, Section, fieldError } from './ui-preact.js';

/** A person's fields, in the order the Ministry's application form lists them. */
const PERSON = ['name', 'phone', 'sex', 'ethnicity', 'birth_date', 'age', 'occupation', 'address', 'id_number'];
const CASE = ['case_number', 'dispute_type', 'source', 'source_reference', 'registered_on', 'summary', 'amount_in_dispute', 'property_region'];
const SOURCES = ['party_application', 'own_initiative', 'police_transfer', 'court_referral', 'hotline_order', 'grid_worker_report', 'government_assigned', 'other'];
// The dispute types when /meta cannot be read (server/domain/vocabulary.py DISPUTE_TYPES, in the Ministry's order).
export const DISPUTES = [
  'family', 'neighbours', 'homestead', 'damages', 'contract', 'land_contracting', 'land_acquisition', 'labour',
  'wages', 'village_affairs', 'environment', 'traffic', 'medical', 'property_management', 'consumer', 'other',
];

/** @typedef {{ key: number } & Record<string, any>} Person */
/** @typedef {'applicants' | 'respondents'} Side */
/** @typedef {{ message: string, fields: Record<string, any>, lines: string[] }} Said */

let keys = 0;
/** @returns {Person} */
const person = () => ({ key: ++keys, ...Object.fromEntries(PERSON.map((name) => [name, ''])) });

/** The form as it starts (a party's application is what most windows receive). */
export function registrationState() {
  return {
    values: /** @type {Record<string, string>} */ ({ ...Object.fromEntries(CASE.map((name) => [name, ''])), source: 'party_application', applicant_lines: '' }),
    collective: false,
    applicants: [person()],
    respondents: [person()],
    busy: false,
    /** @type {null | (() => Said)} */
    errors: null,
  };
}

/** @typedef {ReturnType<typeof registrationState>} Registration */

/**
 * A source in words, from /meta's case_sources (the server's CASE_SOURCES), else its code.
 * @param {any} meta @param {string} code
 */
export function sourceWords(meta, code) {
  const found = ((meta && meta.case_sources) || []).find((/** @type {any} */ s) => s.code === code);
  return found ? (getLang() === 'en' ? found.en : found.zh) : code;
}

/** @param {Person} p */
const filled = (p) => PERSON.some((name) => String(p[name]).trim() !== '');

/** What the API takes of a person: what was typed, trimmed; the age as a number. @param {Person} p */
function readPerson(p) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const name of PERSON) {
    const value = String(p[name]).trim();
    if (value) out[name] = name === 'age' ? Number(value) : value;
  }
  return out;
}

/** The non-empty lines of the pasted list. @param {string} text */
const lineCount = (text) => text.split(/\r?\n/).filter((line) => line.trim()).length;

/**
 * Register the case; on success go to its page, else say what is wrong where it is wrong.
 * @param {Registration} reg @param {() => void} redraw @param {HTMLFormElement} form
 */
async function submit(reg, redraw, form) {
  const v = reg.values;
  /** @type {Record<string, string>} */
  const wrong = {};
  /** @type {Record<string, any>} */
  const body = {};
  for (const name of CASE) if (v[name].trim()) body[name] = v[name].trim();
  for (const name of ['case_number', 'dispute_type', 'source', 'summary']) if (!body[name]) wrong[name] = 'error.field.required';
  try {
    const amount = normaliseAmount(v.amount_in_dispute);
    if (amount) body.amount_in_dispute = amount;
    else delete body.amount_in_dispute;
  } catch {
    wrong.amount_in_dispute = 'med.newcase.amount_invalid';
  }
  // Each side's rows as sent, so that the server's "applicants.2.phone" finds the row it names.
  /** @type {Record<Side, Person[]>} */
  const sent = { applicants: [], respondents: [] };
  for (const side of /** @type {Side[]} */ (['applicants', 'respondents'])) {
    if (side === 'applicants' && reg.collective) continue;
    for (const p of reg[side].filter(filled)) {
      sent[side].push(p);
      for (const name of ['name', 'phone']) if (!String(p[name]).trim()) wrong[`${side}.${p.key}.${name}`] = 'reg.row_incomplete';
    }
  }
  if (reg.collective) {
    body.collective = true;
    if (!lineCount(v.applicant_lines)) wrong.applicant_lines = 'reg.need_lines';
    else body.applicant_lines = v.applicant_lines;
  } else body.applicants = sent.applicants.map(readPerson);
  body.respondents = sent.respondents.map(readPerson);
  if (Object.keys(wrong).length) {
    reg.errors = () => ({ message: t('error.invalid_input'), fields: Object.fromEntries(Object.entries(wrong).map(([k, key]) => [k, t(key)])), lines: [] });
    redraw();
    return focusFirstInvalid(form);
  }
  reg.errors = null;
  reg.busy = true;
  redraw();
  try {
    const created = await api.createCase(body);
    toast(t('med.newcase.created', { number: created.case_number }));
    location.assign(`/cases/${encodeURIComponent(created.id)}`);
    return;
  } catch (err) {
    reg.errors = err.status === 409 ? conflict(body.case_number) : () => said(err, sent);
  }
  reg.busy = false;
  redraw();
  focusFirstInvalid(form);
}

/** @param {string} number */
const conflict = (number) => () => {
  const text = t('med.newcase.conflict', { number });
  return { message: text, fields: { case_number: text }, lines: [] };
};

/**
 * The server's refusal, each field's message under its control (a person's by their row), the
 * list's line by line, the rest at the top.
 * @param {any} err @param {Record<Side, Person[]>} sent @returns {Said}
 */
function said(err, sent) {
  /** @type {Record<string, any>} */
  const fields = {};
  const lines = [];
  const rest = [];
  for (const f of (err && err.fields) || []) {
    const path = String(f.field);
    const row = /^(applicants|respondents)\.(\d+)\.(\w+)$/.exec(path);
    const p = row && sent[/** @type {Side} */ (row[1])][Number(row[2])];
    if (path === 'applicant_lines') lines.push(fieldMessage(f));
    else if (row && p && PERSON.includes(row[3])) fields[`${row[1]}.${p.key}.${row[3]}`] = fieldMessage(f);
    else if (CASE.includes(path) || path === 'collective') fields[path] = fieldMessage(f);
    else rest.push(fieldMessage(f));
  }
  const text = (/** @type {any} */ m) => (Array.isArray(m) ? m.filter((x) => typeof x === 'string').join('') : m);
  return { message: [errorMessage(err), ...rest.map(text)].filter(Boolean).join(' '), fields, lines: lines.map(text) };
}

/** @param {HTMLFormElement} form */
function focusFirstInvalid(form) {
  /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))?.focus();
}

/**
 * One applicant or respondent: the application form's particulars.
 * @param {{ reg: Registration, side: Side, p: Person, n: number, errors: Said, redraw: () => void }} props
 */
function PersonRow({ reg, side, p, n, errors, redraw }) {
  const role = tv('partyrole', side === 'applicants' ? 'applicant' : 'respondent');
  const prefix = `nc-${side}-${n - 1}`;
  /** @param {string} name */
  const bound = (name) => ({ name, idPrefix: prefix, value: p[name], onInput: (/** @type {string} */ value) => (p[name] = value), error: errors.fields[`${side}.${p.key}.${name}`] });
  const sexes = [{ value: '', label: t('party.sex.none') }, { value: 'male', label: t('sex.male') }, { value: 'female', label: t('sex.female') }];
  const remove = () => {
    reg[side] = reg[side].filter((x) => x !== p);
    redraw();
  };
  return html`<fieldset class="person grid-form wide" data-testid=${`${side}-row`}>
    <legend>${t('reg.person', { role, n })}</legend>
    <${Field} label=${t('party.name')} required=${true} attrs=${{ maxlength: 100, autocomplete: 'off' }} ...${bound('name')} />
    <${Field} label=${t('party.phone')} type="tel" required=${true} attrs=${{ maxlength: 32, autocomplete: 'off', inputmode: 'tel' }} ...${bound('phone')} />
    <${Field} label=${t('party.sex')} kind="select" optional=${true} options=${sexes} ...${bound('sex')} />
    <${Field} label=${t('party.ethnicity')} optional=${true} attrs=${{ maxlength: 20 }} placeholder=${t('party.ethnicity.hint')} ...${bound('ethnicity')} />
    <${Field} label=${t('party.birth_date')} type="date" optional=${true} ...${bound('birth_date')} />
    <${Field} label=${t('party.age')} type="number" optional=${true} hint=${t('party.age.hint')} attrs=${{ min: 0, max: 130, inputmode: 'numeric' }} ...${bound('age')} />
    <${Field} label=${t('party.occupation')} optional=${true} attrs=${{ maxlength: 100 }} ...${bound('occupation')} />
    <${Field} label=${t('party.id_number')} optional=${true} attrs=${{ maxlength: 32, autocomplete: 'off' }} ...${bound('id_number')} />
    <${Field} label=${t('party.address')} optional=${true} className="wide" attrs=${{ maxlength: 200 }} ...${bound('address')} />
    ${reg[side].length > 1
      ? html`<div class="actions wide"><button type="button" class="secondary small-btn" onClick=${remove}>${t('reg.person.remove', { role, n })}</button></div>`
      : null}
  </fieldset>`;
}

/**
 * A side's rows and the button that adds one.
 * @param {{ reg: Registration, side: Side, errors: Said, redraw: () => void }} props
 */
function Rows({ reg, side, errors, redraw }) {
  const role = tv('partyrole', side === 'applicants' ? 'applicant' : 'respondent');
  const add = () => {
    reg[side] = [...reg[side], person()];
    redraw();
  };
  return html`${reg[side].map((p, i) => html`<${PersonRow} key=${p.key} reg=${reg} side=${side} p=${p} n=${i + 1} errors=${errors} redraw=${redraw} />`)}
    <div class="actions wide"><button type="button" class="secondary small-btn" data-testid=${`add-${side}`} onClick=${add}>${`+ ${t('reg.person.add', { role })}`}</button></div>`;
}

/**
 * A collective case's list: a textarea whose errors are the lines the server could not read.
 * @param {{ reg: Registration, errors: Said, redraw: () => void }} props
 */
function Lines({ reg, errors, redraw }) {
  const id = 'nc-applicant_lines';
  const own = errors.fields.applicant_lines;
  const bad = own || errors.lines.length;
  const wrong = fieldError(bad ? t('error.invalid_input') : null, `${id}-err`, `${id}-hint`); // its attributes: the errors are the list below
  const count = lineCount(reg.values.applicant_lines);
  return html`<div class="field wide">
    <label for=${id}>${t('reg.lines')}</label>
    <textarea id=${id} name="applicant_lines" rows="8" placeholder=${t('reg.lines.example')} value=${reg.values.applicant_lines} ...${wrong.attrs}
      onInput=${(/** @type {any} */ ev) => {
        reg.values.applicant_lines = ev.currentTarget.value;
        redraw(); // the count under it
      }}></textarea>
    <p class="hint" id=${`${id}-hint`}>${t('reg.lines.hint')} <span data-testid="lines-count">${t('reg.lines.count', { n: count })}</span></p>
    ${bad
      ? html`<div class="field-error" id=${`${id}-err`} data-testid="lines-errors">
          ${own ? html`<p>${own}</p>` : null}
          ${errors.lines.length ? html`<ul>${errors.lines.map((line) => html`<li>${line}</li>`)}</ul>` : null}
        </div>`
      : null}
  </div>`;
}

/**
 * The registration form, in its card.
 * @param {{ reg: Registration, meta: any, tz: string, redraw: () => void }} props
 */
export function RegistrationForm({ reg, meta, tz, redraw }) {
  const errors = reg.errors ? reg.errors() : { message: '', fields: {}, lines: [] };
  const v = reg.values;
  /** @param {string} name */
  const bound = (name) => ({ name, idPrefix: 'nc', value: v[name], onInput: (/** @type {string} */ value) => (v[name] = value), error: errors.fields[name] });
  const types = (meta && meta.dispute_types) || DISPUTES;
  const sources = ((meta && meta.case_sources) || SOURCES.map((code) => ({ code }))).map((/** @type {any} */ s) => ({ value: s.code, label: sourceWords(meta, s.code) }));
  const collective = (/** @type {any} */ ev) => {
    reg.collective = ev.currentTarget.checked;
    redraw();
  };
  const collectiveError = errors.fields.collective;
  const collectiveWrong = fieldError(collectiveError, 'nc-collective-err');
  return html`<${Section} id="new-case" title=${t('med.newcase.title')}>
    <form id="new-case-form" class="grid-form" novalidate aria-busy=${reg.busy ? 'true' : undefined}
      onSubmit=${(/** @type {any} */ ev) => {
        ev.preventDefault();
        submit(reg, redraw, ev.currentTarget);
      }}>
      <${FormMessage} text=${errors.message} />
      <p class="hint wide">${t('reg.intro')}</p>
      <${Field} label=${t('case.number')} required=${true} attrs=${{ maxlength: 64, autocomplete: 'off' }} ...${bound('case_number')} />
      <${Field} label=${t('case.type')} kind="select" required=${true} placeholder=${t('common.select')} options=${optionsFrom(types, 'dispute')} ...${bound('dispute_type')} />
      <${Field} label=${t('reg.source')} kind="select" required=${true} options=${sources} hint=${t('reg.source.hint')} ...${bound('source')} />
      <${Field} label=${t('reg.source_reference')} optional=${true} hint=${t('reg.source_reference.hint')} attrs=${{ maxlength: 64, autocomplete: 'off' }} ...${bound('source_reference')} />
      <${Field} label=${t('reg.registered_on')} type="date" optional=${true} hint=${t('reg.registered_on.hint')} attrs=${{ max: todayIn(tz) }} ...${bound('registered_on')} />
      <${Field} label=${t('case.amount')} optional=${true} hint=${t('med.newcase.amount_hint')} attrs=${{ inputmode: 'decimal', autocomplete: 'off' }} ...${bound('amount_in_dispute')} />
      <${Field} label=${t('case.summary')} kind="textarea" required=${true} className="wide" attrs=${{ maxlength: 5000 }} ...${bound('summary')} />
      <${Field} label=${t('reg.property_region')} optional=${true} className="wide" hint=${t('reg.property_region.hint')} attrs=${{ maxlength: 100 }} ...${bound('property_region')} />
      <fieldset class="parties wide" data-testid="applicants">
        <legend>${t('reg.applicants')}</legend>
        <p class="hint">${t('reg.person.hint')}</p>
        <div class="field check">
          <input type="checkbox" id="nc-collective" name="collective" checked=${reg.collective} onChange=${collective} ...${collectiveWrong.attrs} />
          <label for="nc-collective">${t('reg.collective')}</label>
          ${collectiveWrong.message}
        </div>
        ${reg.collective ? html`<${Lines} reg=${reg} errors=${errors} redraw=${redraw} />` : html`<${Rows} reg=${reg} side="applicants" errors=${errors} redraw=${redraw} />`}
      </fieldset>
      <fieldset class="parties wide" data-testid="respondents">
        <legend>${t('reg.respondents')}</legend>
        <${Rows} reg=${reg} side="respondents" errors=${errors} redraw=${redraw} />
      </fieldset>
      <div class="actions wide">
        <button type="submit" class="primary" disabled=${reg.busy}>${reg.busy ? t('common.submitting') : t('med.newcase.submit')}</button>
      </div>
    </form>
  </${Section}>`;
}
