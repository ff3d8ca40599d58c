// @ts-check
// /admin: organisations and staff accounts.
// The page's <main> is drawn with Preact + htm, as the court's page is: `draw()` draws it from `store`
// when a list or the public address arrives, a form is sent, or the language changes; the header is
// ui.js's. What the administrator has typed (each form's fields live in the store, a password only in
// its own field) and the focus stay through every redraw.

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import { t, tv, tzOptionLabel, fmtDateTime } from '../i18n.js';
import '../admin-i18n.js';
import { h, replace, optionsFrom, toast, initStaffPage, staffHeader, skipLink, errorState } from '../ui.js';
import { CopyButton, Field, FormMessage, Part, Section, badge, empty, fieldError, formErrors, staffFrame } from '../ui-preact.js';
import { MediatorRatings } from '../satisfaction.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML

/**
 * A form being filled in: its fields' values, what is wrong (made when drawn, so a change of language
 * re-words it), and whether it is being sent.
 * @template {Record<string, string>} V
 * @typedef {{ values: V, problem: (() => import('../ui-preact.js').FormErrors) | null, busy: boolean }} Form
 */

/** The page's <main>, where Preact draws. */
let root = /** @type {HTMLElement | null} */ (null);

let meta = /** @type {any} */ (null); // GET /meta: the kinds, roles and time zones offered

const store = {
  user: /** @type {any} */ (null),
  orgs: new Part(() => api.listOrganisations(), orgsArrived),
  users: new Part(() => api.listUsers(), draw),
  // Each mediator's ratings by the parties (在线调解规则 art. 27; web/js/satisfaction.js, #22).
  ratings: new Part(() => api.request('GET', '/supervision/mediators'), draw),
  address: /** @type {any} */ (null), // GET /server/address
  org: /** @type {Form<ReturnType<typeof newOrg>>} */ ({ values: newOrg(), problem: null, busy: false }),
  usr: /** @type {Form<ReturnType<typeof newUser>>} */ ({ values: newUser(), problem: null, busy: false }),
  codes: /** @type {Map<string, Form<{ court_code: string }>>} */ (new Map()), // a court's code being changed in its row, by its id
  parents: /** @type {Map<string, Form<{ parent_id: string }>>} */ (new Map()), // a parent being changed in its row, by its id
  // A hotline's keys for work orders: the organisation chosen, its keys, the form, and a key just issued (shown once).
  hotline: {
    org: '',
    keys: new Part(() => (store.hotline.org ? api.listHotlineKeys(store.hotline.org) : Promise.resolve({ keys: [] })), draw),
    form: /** @type {Form<{ label: string, receiver_id: string }>} */ ({ values: { label: '', receiver_id: '' }, problem: null, busy: false }),
    issued: /** @type {null | { label: string, key: string }} */ (null),
    revoking: /** @type {Set<string>} */ (new Set()),
  },
};

/** Redraw <main> from the store (synchronously: focus can be set right after). */
function draw() {
  if (root) render(html`<${Admin} />`, root);
}

const orgItems = () => /** @type {any[]} */ ((store.orgs.data && store.orgs.data.items) || []);

function metaList(name, fallback) {
  return (meta && meta[name]) || fallback;
}

function timezoneOptions() {
  const zones = metaList('timezones', ['Asia/Shanghai']);
  return zones.map((z) => ({ value: z, label: tzOptionLabel(z) }));
}

function defaultZone() {
  return (meta && meta.default_timezone) || 'Asia/Shanghai';
}

function newOrg() {
  return { name: '', kind: metaList('organisation_kinds', ['committee', 'centre', 'court'])[0], timezone: defaultZone(), region: '', court_code: '', parent_id: '' };
}

/** @param {any[]} [orgs] the organisations: the only one is the new account's */
function newUser(orgs = []) {
  return { display_name: '', username: '', role: 'mediator', organisation_id: orgs.length === 1 ? orgs[0].id : '', timezone: defaultZone(), email: '', phone: '' };
}

/** The organisations arrived: the only one is the new account's organisation, unless one is chosen. */
function orgsArrived() {
  const orgs = orgItems();
  const v = store.usr.values;
  if (!orgs.some((o) => o.id === v.organisation_id)) v.organisation_id = orgs.length === 1 ? orgs[0].id : '';
  draw();
}

/** @param {HTMLFormElement} form */
function focusFirstWrong(form) {
  /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))?.focus();
}

/** Where parties' links lead (GET /server/address): said before the first invitation goes out. */
function addressCard() {
  const a = store.address;
  if (!a) return null;
  return html`<section class=${a.loopback ? 'card address-card warn' : 'card address-card'} aria-labelledby="address-title" data-testid="server-address">
    <h2 id="address-title">${t('admin.address.title')}</h2>
    <p>${t('admin.address.links')} <code data-testid="public-url">${a.public_url}</code></p>
    ${a.loopback
      ? html`<p class="notice warn" role="alert" data-testid="address-warning">${t('admin.address.loopback')} <code>MEDIATE_PUBLIC_URL=https://tiaojie.example.cn</code></p>`
      : null}
    <p class="muted">${t('admin.address.log')} <code>${a.log_origin}</code>${a.log_origin_provisional ? ` ${t('admin.address.provisional')}` : ''}</p>
  </section>`;
}

/**
 * A table that turns into labelled cards on phones (each cell carries data-label); a row per item, by its id.
 * @param {{ label: string, value: (r: any) => any }[]} columns @param {any[]} rows @param {string} testid
 */
function table(columns, rows, testid) {
  return html`<div class="table-wrap">
    <table class="data-table" data-testid=${testid}>
      <thead><tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr key=${r.id}>${columns.map((c) => html`<td data-label=${c.label}>${c.value(r)}</td>`)}</tr>`)}</tbody>
    </table>
  </div>`;
}

function orgsBody() {
  return store.orgs.view((data) => {
    const items = (data && data.items) || [];
    if (!items.length) return empty(t('org.empty'));
    return table(
      [
        { label: t('org.name'), value: (r) => r.name },
        { label: t('org.kind'), value: (r) => tv('orgkind', r.kind) },
        { label: t('org.timezone'), value: (r) => r.timezone || '' },
        { label: t('org.region'), value: (r) => r.region || '' },
        { label: t('org.parent'), value: (r) => parentForm(r) },
        { label: t('org.court_code'), value: (r) => (r.kind === 'court' ? courtCodeForm(r) : '') },
      ],
      items,
      'org-table',
    );
  });
}

function usersBody() {
  const orgName = (id) => (orgItems().find((x) => x.id === id) || {}).name || '';
  return store.users.view((data) => {
    const items = (data && data.items) || [];
    if (!items.length) return empty(t('users.empty'));
    return table(
      [
        { label: t('user.display_name'), value: (r) => r.display_name },
        { label: t('user.username'), value: (r) => r.username },
        { label: t('user.role'), value: (r) => badge(tv('role', r.role), `role-${r.role}`) },
        { label: t('user.organisation'), value: (r) => (r.organisation && (r.organisation.name || orgName(r.organisation.id))) || '' },
        { label: t('user.timezone'), value: (r) => r.timezone || '' },
        { label: t('user.phone'), value: (r) => [r.phone, r.email].filter(Boolean).join(' · ') },
      ],
      items,
      'user-table',
    );
  });
}

/**
 * One field of an organisation, changed in place from its row: what is typed is kept in `forms`
 * (by organisation) across redraws, the field's error is shown under it, and once saved the row
 * shows the saved value. The court code and the parent are drawn with it.
 * @param {any} org @param {Map<string, any>} forms @param {string} name the field
 * @param {string} saved the value the row shows @param {(v: string) => any} body what is sent
 * @param {string} savedKey the toast's text key
 */
function orgFieldForm(org, forms, name, saved, body, savedKey) {
  const kept = forms.get(org.id);
  const value = kept ? kept.values[name] : saved;
  const busy = Boolean(kept && kept.busy);
  const errors = kept && kept.problem ? kept.problem() : null;
  const wrong = fieldError(errors && errors.fields[name], `org-${org.id}-${name}-err`);
  const edit = () => {
    let form = forms.get(org.id);
    if (!form) forms.set(org.id, (form = { values: { [name]: value }, problem: null, busy: false }));
    return form;
  };
  const save = async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const f = edit();
    f.problem = null;
    f.busy = true;
    draw();
    try {
      await api.updateOrganisation(org.id, body(f.values[name]));
      toast(t(savedKey, { name: org.name }));
      forms.delete(org.id); // the row shows the saved value
      await store.orgs.load();
    } catch (err) {
      f.problem = () => formErrors(err, [name]);
      f.busy = false;
      draw();
      focusFirstWrong(form);
    }
  };
  /** @param {any} ev */
  const typed = (ev) => (edit().values[name] = ev.currentTarget.value);
  return { value, busy, errors, wrong, save, typed };
}

/** A court's code (法院代字), set or changed in place: its case numbers are made from it. */
function courtCodeForm(org) {
  const f = orgFieldForm(org, store.codes, 'court_code', org.court_code || '', (v) => ({ court_code: v.trim() || null }), 'org.court_code.saved');
  return html`<form class="inline-form" novalidate onSubmit=${f.save}>
    <${FormMessage} text=${f.errors ? f.errors.message : ''} />
    <input name="court_code" value=${f.value} maxlength="16" placeholder=${t('org.court_code.example')} aria-label=${t('org.court_code.for', { name: org.name })}
      data-testid="org-court-code" ...${f.wrong.attrs} onInput=${f.typed} />
    <button type="submit" class="secondary small-btn" disabled=${f.busy}>${f.busy ? t('common.submitting') : t('org.court_code.save')}</button>
    ${org.court_code ? null : html`<p class="hint">${t('org.court_code.missing')}</p>`}
    ${f.wrong.message}
  </form>`;
}

/** The organisations an organisation may sit below, by name (the server refuses one below it: a loop). @param {string} [except] */
function parentOptions(except) {
  return orgItems()
    .filter((o) => o.id !== except)
    .map((o) => ({ value: o.id, label: o.name }));
}

/** An organisation's parent (the town above a village committee), changed in place. */
function parentForm(org) {
  const f = orgFieldForm(org, store.parents, 'parent_id', org.parent_id || '', (v) => ({ parent_id: v || null }), 'org.parent.saved');
  return html`<form class="inline-form" novalidate onSubmit=${f.save}>
    <${FormMessage} text=${f.errors ? f.errors.message : ''} />
    <select name="parent_id" value=${f.value} aria-label=${t('org.parent.for', { name: org.name })} data-testid="org-parent"
      ...${f.wrong.attrs} onChange=${f.typed}>
      <option value="">${t('org.parent.none')}</option>
      ${parentOptions(org.id).map((o) => html`<option key=${o.value} value=${o.value}>${o.label}</option>`)}
    </select>
    <button type="submit" class="secondary small-btn" disabled=${f.busy} data-testid="org-parent-save">${f.busy ? t('common.submitting') : t('org.parent.save')}</button>
    ${f.wrong.message}
  </form>`;
}

async function createOrg(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const o = store.org;
  const v = o.values;
  /** @type {Record<string, string>} */
  const body = { name: v.name.trim(), kind: v.kind, timezone: v.timezone };
  if (v.region.trim()) body.region = v.region.trim();
  if (v.court_code.trim()) body.court_code = v.court_code.trim();
  if (v.parent_id) body.parent_id = v.parent_id;
  if (!body.name) {
    o.problem = () => ({ message: '', fields: { name: t('error.field.required') } });
    draw();
    return focusFirstWrong(form);
  }
  o.problem = null;
  o.busy = true;
  draw();
  try {
    const org = await api.createOrganisation(body);
    o.values = newOrg();
    toast(t('org.created', { name: org.name }));
    await store.orgs.load();
  } catch (err) {
    o.problem = () => formErrors(err, Object.keys(v));
  }
  o.busy = false;
  draw();
  if (o.problem) focusFirstWrong(form);
}

function orgForm() {
  const o = store.org;
  const v = o.values;
  const errors = o.problem ? o.problem() : { message: '', fields: {} };
  /** The field `name` of the form, with its value and error. @param {Parameters<typeof Field>[0] & { name: keyof typeof v }} props */
  const field = (props) => html`<${Field} idPrefix="org" value=${v[props.name]} error=${errors.fields[props.name]} onInput=${(x) => (v[props.name] = x)} ...${props} />`;
  return html`<form id="org-form" class="grid-form" novalidate aria-busy=${o.busy ? 'true' : undefined} onSubmit=${createOrg}>
    <${FormMessage} text=${errors.message} />
    ${field({ label: t('org.name'), name: 'name', required: true, className: 'wide', attrs: { maxlength: 200, autocomplete: 'off' } })}
    ${field({ label: t('org.kind'), name: 'kind', kind: 'select', required: true, options: optionsFrom(metaList('organisation_kinds', ['committee', 'centre', 'court']), 'orgkind') })}
    ${field({ label: t('org.timezone'), name: 'timezone', kind: 'select', options: timezoneOptions() })}
    ${field({ label: t('org.region'), name: 'region', hint: t('org.region.hint'), attrs: { maxlength: 100, placeholder: t('org.region.example') } })}
    ${field({ label: t('org.parent'), name: 'parent_id', kind: 'select', optional: true, hint: t('org.parent.hint'), placeholder: t('org.parent.none'), options: parentOptions() })}
    ${field({ label: t('org.court_code'), name: 'court_code', optional: true, hint: t('org.court_code.hint'), attrs: { maxlength: 16, placeholder: t('org.court_code.example') } })}
    <div class="actions wide"><button type="submit" class="primary" disabled=${o.busy}>${o.busy ? t('common.submitting') : t('org.create.submit')}</button></div>
  </form>`;
}

const REQUIRED = ['display_name', 'username', 'password', 'role', 'organisation_id'];

async function createUser(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const u = store.usr;
  const v = u.values;
  const password = form.elements.password.value; // only in its field, never in the store
  /** @type {Record<string, string>} */
  const body = { username: v.username.trim(), display_name: v.display_name.trim(), password, role: v.role, organisation_id: v.organisation_id, timezone: v.timezone };
  const missing = REQUIRED.filter((k) => !body[k]);
  if (missing.length) {
    u.problem = () => ({ message: t('error.invalid_input'), fields: Object.fromEntries(missing.map((k) => [k, t('error.field.required')])) });
    draw();
    return focusFirstWrong(form);
  }
  if (v.email.trim()) body.email = v.email.trim();
  if (v.phone.trim()) body.phone = v.phone.trim();
  u.problem = null;
  u.busy = true;
  draw();
  try {
    const made = await api.createUser(body);
    u.values = newUser(orgItems());
    form.elements.password.value = '';
    toast(t('user.created', { name: made.display_name || made.username }));
    await store.users.load();
  } catch (err) {
    u.problem = () => formErrors(err, [...Object.keys(v), 'password']);
  }
  u.busy = false;
  draw();
  if (u.problem) focusFirstWrong(form);
}

function userForm() {
  const u = store.usr;
  const v = u.values;
  const errors = u.problem ? u.problem() : { message: '', fields: {} };
  const orgs = orgItems();
  /** The field `name` of the form, with its value and error. @param {Parameters<typeof Field>[0] & { name: keyof typeof v }} props */
  const field = (props) => html`<${Field} idPrefix="usr" value=${v[props.name]} error=${errors.fields[props.name]} onInput=${(x) => (v[props.name] = x)} ...${props} />`;
  return html`<form id="user-form" class="grid-form" novalidate aria-busy=${u.busy ? 'true' : undefined} onSubmit=${createUser}>
    <${FormMessage} text=${errors.message} />
    <p id="usr-need-org" class="notice info wide" hidden=${store.orgs.status !== 'ready' || orgs.length > 0}>${t('user.create.need_org')}</p>
    ${field({ label: t('user.display_name'), name: 'display_name', required: true, attrs: { maxlength: 100, autocomplete: 'off' } })}
    ${field({ label: t('user.username'), name: 'username', required: true, attrs: { maxlength: 64, autocomplete: 'off', autocapitalize: 'none', spellcheck: false, pattern: '[A-Za-z0-9_.\\-]{3,64}' } })}
    <${Field} label=${t('user.password')} name="password" type="password" required idPrefix="usr" hint=${t('user.password.hint')} error=${errors.fields.password}
      attrs=${{ autocomplete: 'new-password', maxlength: 256 }} />
    ${field({ label: t('user.role'), name: 'role', kind: 'select', required: true, options: optionsFrom(metaList('staff_roles', ['mediator', 'judge', 'supervisor', 'admin']), 'role'), hint: t('user.role.hint') })}
    ${field({ label: t('user.organisation'), name: 'organisation_id', kind: 'select', required: true, placeholder: t('common.select'), options: orgs.map((o) => ({ value: o.id, label: o.name })) })}
    ${field({ label: t('user.timezone'), name: 'timezone', kind: 'select', options: timezoneOptions() })}
    ${field({ label: t('user.email'), name: 'email', type: 'email', optional: true, attrs: { maxlength: 254, autocomplete: 'off' } })}
    ${field({ label: t('user.phone'), name: 'phone', type: 'tel', optional: true, attrs: { maxlength: 32, autocomplete: 'off' } })}
    <div class="actions wide"><button type="submit" class="primary" disabled=${u.busy}>${u.busy ? t('common.submitting') : t('user.create.submit')}</button></div>
  </form>`;
}

/** The mediators of an organisation, who may receive its hotline's orders. @param {string} orgId */
function mediatorsOf(orgId) {
  const users = /** @type {any[]} */ ((store.users.data && store.users.data.items) || []);
  return users.filter((u) => u.role === 'mediator' && u.active !== false && u.organisation && u.organisation.id === orgId);
}

/** @param {string} orgId */
function chooseHotlineOrg(orgId) {
  const hl = store.hotline;
  hl.org = orgId;
  hl.issued = null;
  hl.form.problem = null;
  hl.form.values.receiver_id = '';
  hl.keys.status = 'loading';
  draw();
  hl.keys.load();
}

/** @param {SubmitEvent} ev */
async function issueHotlineKey(ev) {
  ev.preventDefault();
  const form = /** @type {HTMLFormElement} */ (ev.currentTarget);
  const hl = store.hotline;
  const f = hl.form;
  if (f.busy) return;
  f.busy = true;
  f.problem = null;
  draw();
  try {
    const made = await api.issueHotlineKey(hl.org, { label: f.values.label.trim(), receiver_id: f.values.receiver_id });
    hl.issued = { label: made.label, key: made.key };
    f.values.label = '';
    await hl.keys.load();
  } catch (err) {
    f.problem = () => formErrors(err, Object.keys(f.values));
  }
  f.busy = false;
  draw();
  if (f.problem) focusFirstWrong(form);
}

/** @param {any} key */
async function revokeHotlineKey(key) {
  const hl = store.hotline;
  hl.revoking.add(key.id);
  draw();
  try {
    await api.revokeHotlineKey(key.id);
    toast(t('hotline.revoked.done', { label: key.label }));
    await hl.keys.load();
  } catch (err) {
    toast(/** @type {any} */ (err).message || String(err), 'error');
  }
  hl.revoking.delete(key.id);
  draw();
}

function hotlineSection() {
  const hl = store.hotline;
  const f = hl.form;
  const errors = f.problem ? f.problem() : { message: '', fields: {} };
  const orgs = orgItems().filter((o) => o.kind !== 'court');
  const mediators = hl.org ? mediatorsOf(hl.org) : [];
  // An organisation's only mediator receives its orders unless another is chosen (the staff list may arrive after the choice).
  if (!f.values.receiver_id && mediators.length === 1) f.values.receiver_id = mediators[0].id;
  const endpoint = `${location.origin}/api/v1/work-orders`;
  /** @param {Parameters<typeof Field>[0] & { name: keyof typeof f.values }} props */
  const field = (props) => html`<${Field} idPrefix="hl" value=${f.values[props.name]} error=${errors.fields[props.name]} onInput=${(x) => (f.values[props.name] = x)} ...${props} />`;
  return html`<p>${t('hotline.intro')} <code data-testid="hotline-endpoint">POST ${endpoint}</code></p>
    <${Field} idPrefix="hl" name="org" kind="select" label=${t('hotline.org')} placeholder=${t('common.select')} value=${hl.org}
      options=${orgs.map((o) => ({ value: o.id, label: o.name }))} onInput=${chooseHotlineOrg} />
    ${hl.org
      ? html`${hl.issued
          ? html`<div class="notice success" role="status" data-testid="hotline-issued">
              <p>${t('hotline.issued', { label: hl.issued.label })}</p>
              <p><code id="hotline-key" data-testid="hotline-key">${hl.issued.key}</code></p>
              <${CopyButton} label=${t('hotline.copy')} getText=${() => hl.issued?.key || ''} testid="hotline-copy" />
            </div>`
          : null}
        <form id="hotline-form" class="grid-form" novalidate aria-busy=${f.busy ? 'true' : undefined} onSubmit=${issueHotlineKey}>
          <${FormMessage} text=${errors.message} />
          ${field({ label: t('hotline.label'), name: 'label', required: true, placeholder: t('hotline.label.example'), attrs: { maxlength: 100, autocomplete: 'off' } })}
          ${mediators.length
            ? field({ label: t('hotline.receiver'), name: 'receiver_id', kind: 'select', required: true, placeholder: t('common.select'), hint: t('hotline.receiver.hint'), options: mediators.map((u) => ({ value: u.id, label: u.display_name })) })
            : html`<p class="notice info wide" data-testid="hotline-no-mediator">${t('hotline.receiver.none')}</p>`}
          <div class="actions wide"><button type="submit" class="primary" disabled=${f.busy || !mediators.length}>${f.busy ? t('common.submitting') : t('hotline.issue')}</button></div>
        </form>
        <h3>${t('hotline.keys')}</h3>
        ${hl.keys.view((data) => {
          const keys = /** @type {any[]} */ ((data && data.keys) || []);
          if (!keys.length) return empty(t('hotline.keys.empty'));
          return table(
            [
              { label: t('hotline.label'), value: (k) => k.label },
              { label: t('hotline.prefix'), value: (k) => html`<code>${k.prefix}</code>` },
              { label: t('hotline.receiver'), value: (k) => k.receiver.display_name },
              { label: t('hotline.last_used'), value: (k) => (k.last_used_at ? fmtDateTime(k.last_used_at) : t('hotline.never_used')) },
              {
                label: '',
                value: (k) =>
                  k.revoked_at
                    ? badge(t('hotline.revoked'), 'muted')
                    : html`<button type="button" class="secondary" disabled=${hl.revoking.has(k.id)} aria-label=${t('hotline.revoke.for', { label: k.label, prefix: k.prefix })}
                        onClick=${() => revokeHotlineKey(k)}>${t('hotline.revoke')}</button>`,
              },
            ],
            keys,
            'hotline-keys',
          );
        })}`
      : null}`;
}

function Admin() {
  document.title = `${t('admin.title')} · ${t('app.name')}`;
  if (store.user.role !== 'admin') return html`<h1>${t('admin.title')}</h1><div class="card"><p>${t('error.forbidden')}</p></div>`;
  return html`<h1>${t('admin.title')}</h1>
    ${addressCard()}
    <div class="two-col">
      <${Section} id="orgs" title=${t('org.title')}><div id="orgs-body">${orgsBody()}</div></${Section}>
      <${Section} id="org-create" title=${t('org.create.title')}>${orgForm()}</${Section}>
    </div>
    <${Section} id="users" title=${t('users.title')}><div id="users-body">${usersBody()}</div></${Section}>
    <${Section} id="user-create" title=${t('user.create.title')}>${userForm()}</${Section}>
    <${Section} id="hotline" title=${t('hotline.title')}>${hotlineSection()}</${Section}>
    <${Section} id="ratings" title=${t('sup.ratings.title')}>
      <p class="muted">${t('sup.ratings.intro')}</p>
      ${store.ratings.view((d) => html`<${MediatorRatings} items=${(d && d.items) || []} tz=${store.user.timezone || 'Asia/Shanghai'} />`)}
    </${Section}>`;
}

async function main() {
  const me = await initStaffPage();
  store.user = me.user;
  meta = await api.meta().catch(() => null); // else the defaults
  store.org.values = newOrg();
  store.usr.values = newUser();
  const main = h('main', { id: 'main', class: 'container' });
  root = main;
  staffFrame(app, () => [skipLink(), staffHeader(store.user)], main, draw);
  draw();
  if (store.user.role !== 'admin') return;
  store.orgs.load();
  store.users.load();
  store.ratings.load();
  api
    .serverAddress()
    .then((a) => {
      store.address = a;
      draw();
    })
    .catch(() => {});
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
