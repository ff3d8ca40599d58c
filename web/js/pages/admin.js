// @ts-check
// /admin: organisations and staff accounts.

import * as api from '../api.js';
import { t, tv, tzOptionLabel } from '../i18n.js';
import '../admin-i18n.js';
import {
  h,
  replace,
  field,
  optionsFrom,
  showFormErrors,
  clearFormErrors,
  setFieldError,
  formMessage,
  whileSubmitting,
  toast,
  rerenderOnLangChange,
  initStaffPage,
  staffHeader,
  skipLink,
  section,
  badge,
  emptyState,
  loadingState,
  errorState,
} from '../ui.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML

/**
 * What the API answered (its JSON as it came) and how each list is loading.
 * @typedef {{status: string, items: any[], error: any}} Loaded
 * @type {{user: any, meta: any, orgs: Loaded, users: Loaded, address: any}}
 */
const state = {
  user: null,
  meta: null,
  orgs: { status: 'loading', items: [], error: null },
  users: { status: 'loading', items: [], error: null },
  address: null,
};

/** Where parties' links lead (GET /server/address): said before the first invitation goes out. */
function addressCard() {
  const a = state.address;
  if (!a) return null;
  return h(
    'section',
    { class: ['card', 'address-card', a.loopback && 'warn'], 'aria-labelledby': 'address-title', dataset: { testid: 'server-address' } },
    h('h2', { id: 'address-title' }, t('admin.address.title')),
    h('p', null, t('admin.address.links'), ' ', h('code', { dataset: { testid: 'public-url' } }, a.public_url)),
    a.loopback
      ? h(
          'p',
          { class: 'notice warn', role: 'alert', dataset: { testid: 'address-warning' } },
          t('admin.address.loopback'),
          ' ',
          h('code', null, 'MEDIATE_PUBLIC_URL=https://tiaojie.example.cn'),
        )
      : null,
    h(
      'p',
      { class: 'muted' },
      t('admin.address.log'),
      ' ',
      h('code', null, a.log_origin),
      a.log_origin_provisional ? ` ${t('admin.address.provisional')}` : '',
    ),
  );
}

function metaList(name, fallback) {
  return (state.meta && state.meta[name]) || fallback;
}

function timezoneOptions() {
  const zones = metaList('timezones', ['Asia/Shanghai']);
  return zones.map((z) => ({ value: z, label: tzOptionLabel(z) }));
}

function defaultZone() {
  return (state.meta && state.meta.default_timezone) || 'Asia/Shanghai';
}

async function loadOrgs() {
  try {
    const data = await api.listOrganisations();
    state.orgs = { status: 'ready', items: data.items || [], error: null };
  } catch (err) {
    state.orgs = { status: 'error', items: [], error: err };
  }
  renderOrgs();
  refreshOrgSelect();
  renderUsers();
}

async function loadUsers() {
  try {
    const data = await api.listUsers();
    state.users = { status: 'ready', items: data.items || [], error: null };
  } catch (err) {
    state.users = { status: 'error', items: [], error: err };
  }
  renderUsers();
}

function orgName(id) {
  const o = state.orgs.items.find((x) => x.id === id);
  return o ? o.name : '';
}

/** A table that turns into labelled cards on phones (each cell carries data-label). */
function table(columns, rows, testid) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data-table', dataset: { testid } },
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', null, columns.map((c) => h('td', { dataset: { label: c.label } }, c.value(r)))))),
    ),
  );
}

function renderOrgs() {
  const host = document.getElementById('orgs-body');
  if (!host) return;
  const o = state.orgs;
  if (o.status === 'loading') return replace(host, loadingState());
  if (o.status === 'error') return replace(host, errorState(o.error, loadOrgs));
  if (!o.items.length) return replace(host, emptyState(t('org.empty')));
  replace(
    host,
    table(
      [
        { label: t('org.name'), value: (r) => r.name },
        { label: t('org.kind'), value: (r) => tv('orgkind', r.kind) },
        { label: t('org.timezone'), value: (r) => r.timezone || '' },
        { label: t('org.region'), value: (r) => r.region || '' },
        { label: t('org.court_code'), value: (r) => (r.kind === 'court' ? courtCodeForm(r) : '') },
      ],
      o.items,
      'org-table',
    ),
  );
}

function renderUsers() {
  const host = document.getElementById('users-body');
  if (!host) return;
  const u = state.users;
  if (u.status === 'loading') return replace(host, loadingState());
  if (u.status === 'error') return replace(host, errorState(u.error, loadUsers));
  if (!u.items.length) return replace(host, emptyState(t('users.empty')));
  replace(
    host,
    table(
      [
        { label: t('user.display_name'), value: (r) => r.display_name },
        { label: t('user.username'), value: (r) => r.username },
        { label: t('user.role'), value: (r) => badge(tv('role', r.role), `role-${r.role}`) },
        { label: t('user.organisation'), value: (r) => (r.organisation && (r.organisation.name || orgName(r.organisation.id))) || '' },
        { label: t('user.timezone'), value: (r) => r.timezone || '' },
        { label: t('user.phone'), value: (r) => [r.phone, r.email].filter(Boolean).join(' · ') },
      ],
      u.items,
      'user-table',
    ),
  );
}

/** A court's code (法院代字), set or changed in place: its case numbers are made from it. */
function courtCodeForm(org) {
  const input = h('input', {
    name: 'court_code',
    value: org.court_code || '',
    maxlength: 16,
    placeholder: t('org.court_code.example'),
    'aria-label': t('org.court_code.for', { name: org.name }),
    dataset: { testid: 'org-court-code' },
  });
  const form = h(
    'form',
    { class: 'inline-form', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    input,
    h('button', { type: 'submit', class: 'secondary small-btn' }, t('org.court_code.save')),
    org.court_code ? null : h('p', { class: 'hint' }, t('org.court_code.missing')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    await whileSubmitting(form, async () => {
      try {
        await api.updateOrganisation(org.id, { court_code: input.value.trim() || null });
        toast(t('org.court_code.saved', { name: org.name }));
        await loadOrgs();
      } catch (err) {
        showFormErrors(form, err);
      }
    });
  });
  return form;
}

function orgForm() {
  const form = h(
    'form',
    { id: 'org-form', class: 'grid-form', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    field({ label: t('org.name'), name: 'name', required: true, idPrefix: 'org', className: 'wide', attrs: { maxlength: 200, autocomplete: 'off' } }),
    field({ label: t('org.kind'), name: 'kind', kind: 'select', required: true, idPrefix: 'org', options: optionsFrom(metaList('organisation_kinds', ['committee', 'centre', 'court']), 'orgkind') }),
    field({ label: t('org.timezone'), name: 'timezone', kind: 'select', idPrefix: 'org', options: timezoneOptions(), value: defaultZone() }),
    field({ label: t('org.region'), name: 'region', idPrefix: 'org', hint: t('org.region.hint'), attrs: { maxlength: 100, placeholder: t('org.region.example') } }),
    field({ label: t('org.court_code'), name: 'court_code', optional: true, idPrefix: 'org', hint: t('org.court_code.hint'), attrs: { maxlength: 16, placeholder: t('org.court_code.example') } }),
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'primary' }, t('org.create.submit'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const f = form.elements;
    const body = { name: f.name.value.trim(), kind: f.kind.value, timezone: f.timezone.value };
    if (f.region.value.trim()) body.region = f.region.value.trim();
    if (f.court_code.value.trim()) body.court_code = f.court_code.value.trim();
    if (!body.name) {
      setFieldError(form, 'name', t('error.field.required'));
      f.name.focus();
      return;
    }
    await whileSubmitting(form, async () => {
      try {
        const org = await api.createOrganisation(body);
        form.reset();
        f.timezone.value = defaultZone();
        toast(t('org.created', { name: org.name }));
        await loadOrgs();
      } catch (err) {
        showFormErrors(form, err);
      }
    });
  });
  return form;
}

function refreshOrgSelect() {
  const sel = /** @type {HTMLSelectElement | null} */ (document.getElementById('usr-organisation_id'));
  if (!sel) return;
  const keep = sel.value;
  replace(sel, h('option', { value: '' }, t('common.select')), state.orgs.items.map((o) => h('option', { value: o.id }, o.name)));
  if (keep) sel.value = keep;
  else if (state.orgs.items.length === 1) sel.value = state.orgs.items[0].id;
  const note = document.getElementById('usr-need-org');
  if (note) note.hidden = state.orgs.status !== 'ready' || state.orgs.items.length > 0;
}

function userForm() {
  const form = h(
    'form',
    { id: 'user-form', class: 'grid-form', novalidate: true },
    h('div', { class: 'form-message', role: 'alert', hidden: true }),
    h('p', { id: 'usr-need-org', class: 'notice info wide', hidden: true }, t('user.create.need_org')),
    field({ label: t('user.display_name'), name: 'display_name', required: true, idPrefix: 'usr', attrs: { maxlength: 100, autocomplete: 'off' } }),
    field({ label: t('user.username'), name: 'username', required: true, idPrefix: 'usr', attrs: { maxlength: 64, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', pattern: '[A-Za-z0-9_.\\-]{3,64}' } }),
    field({ label: t('user.password'), name: 'password', type: 'password', required: true, idPrefix: 'usr', hint: t('user.password.hint'), attrs: { autocomplete: 'new-password', maxlength: 256 } }),
    field({ label: t('user.role'), name: 'role', kind: 'select', required: true, idPrefix: 'usr', options: optionsFrom(metaList('staff_roles', ['mediator', 'judge', 'admin']), 'role'), value: 'mediator' }),
    field({ label: t('user.organisation'), name: 'organisation_id', kind: 'select', required: true, idPrefix: 'usr', placeholder: t('common.select'), options: state.orgs.items.map((o) => ({ value: o.id, label: o.name })) }),
    field({ label: t('user.timezone'), name: 'timezone', kind: 'select', idPrefix: 'usr', options: timezoneOptions(), value: defaultZone() }),
    field({ label: t('user.email'), name: 'email', type: 'email', optional: true, idPrefix: 'usr', attrs: { maxlength: 254, autocomplete: 'off' } }),
    field({ label: t('user.phone'), name: 'phone', type: 'tel', optional: true, idPrefix: 'usr', attrs: { maxlength: 32, autocomplete: 'off' } }),
    h('div', { class: 'actions wide' }, h('button', { type: 'submit', class: 'primary' }, t('user.create.submit'))),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const f = form.elements;
    const body = {
      username: f.username.value.trim(),
      display_name: f.display_name.value.trim(),
      password: f.password.value,
      role: f.role.value,
      organisation_id: f.organisation_id.value,
      timezone: f.timezone.value,
    };
    let bad = false;
    for (const k of ['display_name', 'username', 'password', 'role', 'organisation_id']) {
      if (!body[k]) bad = setFieldError(form, k, t('error.field.required')) || bad;
    }
    if (bad) {
      formMessage(form, t('error.invalid_input'));
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    if (f.email.value.trim()) body.email = f.email.value.trim();
    if (f.phone.value.trim()) body.phone = f.phone.value.trim();
    await whileSubmitting(form, async () => {
      try {
        const u = await api.createUser(body);
        form.reset();
        f.timezone.value = defaultZone();
        f.role.value = 'mediator';
        refreshOrgSelect();
        toast(t('user.created', { name: u.display_name || u.username }));
        await loadUsers();
      } catch (err) {
        showFormErrors(form, err);
      }
    });
  });
  return form;
}

function render() {
  document.title = `${t('admin.title')} · ${t('app.name')}`;
  if (state.user.role !== 'admin') {
    replace(
      app,
      skipLink(),
      staffHeader(state.user),
      h('main', { id: 'main', class: 'container' }, h('h1', null, t('admin.title')), h('div', { class: 'card' }, h('p', null, t('error.forbidden')))),
    );
    return;
  }
  replace(
    app,
    skipLink(),
    staffHeader(state.user),
    h(
      'main',
      { id: 'main', class: 'container' },
      h('h1', null, t('admin.title')),
      addressCard(),
      h(
        'div',
        { class: 'two-col' },
        section('orgs', t('org.title'), h('div', { id: 'orgs-body' })),
        section('org-create', t('org.create.title'), orgForm()),
      ),
      section('users', t('users.title'), h('div', { id: 'users-body' })),
      section('user-create', t('user.create.title'), userForm()),
    ),
  );
  renderOrgs();
  renderUsers();
  refreshOrgSelect();
}

async function main() {
  const me = await initStaffPage();
  state.user = me.user;
  try {
    state.meta = await api.meta();
  } catch {
    /* defaults */
  }
  render();
  rerenderOnLangChange(app, render);
  if (state.user.role !== 'admin') return;
  loadOrgs();
  loadUsers();
  api
    .serverAddress()
    .then((a) => {
      state.address = a;
      render();
    })
    .catch(() => {});
}

main().catch((err) => {
  replace(app, h('main', { id: 'main', class: 'container' }, errorState(err, () => location.reload())));
});
