// @ts-check
// /apply: a party applies for mediation online, with no account (issue #21). A QR code at the
// window or on a poster opens /apply/<organisation>; /apply lists the organisations that take
// applications; /apply/s/<token> is the applicant's own status link. Large, plain Chinese first
// (English by the switch), for a phone in an elderly person's hand.
// Steps: the form → the code sent to their phone (the application counts only once it is typed)
// → the status link to keep. The page says a code is being sent only when the server queued one
// (it refuses, 409 no_sms_service, when no SMS service exists, and the form is not even offered).
// Drawn with Preact + htm from `store`; what is typed stays in the form's state through redraws
// and a change of language.

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import { t, tv, getLang, onLangChange, fmtDayLong, fmtShortDateTime } from '../i18n.js';
import '../apply-i18n.js';
import '../code-i18n.js';
import { fieldMessage } from '../ui.js';
import { FormField, FormStateMessage, LangSwitch, clearErrors, focusInvalid, formState, loadError, loading, showApiError } from '../ui-preact.js';

/** @typedef {import('../ui-preact.js').FormState} FormState */

const TZ = 'Asia/Shanghai';
const app = /** @type {HTMLElement} */ (document.getElementById('app'));
const path = location.pathname.replace(/\/+$/, '');
const statusToken = path.startsWith('/apply/s/') ? decodeURIComponent(path.slice('/apply/s/'.length)) : '';
const orgId = !statusToken && path.startsWith('/apply/') ? decodeURIComponent(path.slice('/apply/'.length)) : '';

const CENTRE = '__centre__';
const other = () => formState({ name: '', phone: '', address: '' });

const store = {
  step: /** @type {'loading' | 'list' | 'form' | 'code' | 'status' | 'error'} */ ('loading'),
  error: /** @type {any} */ (null),
  orgs: /** @type {any[]} */ ([]),
  phoneConfirmation: true,
  door: /** @type {any} */ (null),
  form: formState({ name: '', phone: '', sex: '', age: '', address: '', facts: '', requests: '', organisation_id: '', preferred_mediator_id: '' }),
  others: [other()], // the other side, one form each (their errors under their own fields)
  application: /** @type {any} */ (null),
  code: formState({ code: '' }),
  status: /** @type {any} */ (null),
  statusUrl: '',
  files: formState({}), // attaching a file by the status link: its message and whether one is on its way
};

function draw() {
  document.title = `${t(store.step === 'status' ? 'apply.status.title' : 'apply.title')}`;
  render(html`<${Page} />`, app);
}

/** @param {any} ev @param {FormState} form @param {() => Promise<void>} run */
async function send(ev, form, run) {
  ev.preventDefault();
  const button = ev.currentTarget.querySelector('button[type="submit"]');
  clearErrors(form);
  form.busy = true;
  draw();
  try {
    await run();
  } catch (err) {
    showApiError(form, err);
    const wait = err instanceof api.ApiError && err.status === 429 && err.retryAfter ? Number(err.retryAfter) : 0;
    if (wait) {
      const when = wait < 120 ? t('code.when.seconds', { n: wait }) : t('code.when.minutes', { n: Math.ceil(wait / 60) });
      const said = form.message;
      form.message = () => `${said ? said() : ''} ${t('apply.code.wait', { when })}`;
    }
  } finally {
    form.busy = false;
    draw();
  }
  focusInvalid(button);
}

// ------------------------------------------------------------------ the form

function chosenOrg() {
  const door = store.door;
  const v = store.form.values.organisation_id;
  if (!door) return null;
  if (v === CENTRE || !v) return door.centre && v === CENTRE ? null : door.choices[0];
  return door.choices.find((/** @type {any} */ c) => c.id === v) || door.choices[0];
}

function ApplicationForm() {
  const door = store.door;
  const form = store.form;
  const at = { form, idPrefix: 'apply' };
  const org = chosenOrg();
  const mediators = org ? org.mediators.map((/** @type {any} */ m) => ({ value: m.id, label: m.display_name })) : [];
  const orgOptions = [
    ...(door.centre ? [{ value: CENTRE, label: t('apply.org.centre') }] : []),
    ...door.choices.map((/** @type {any} */ c) => ({ value: c.id, label: c.name })),
  ];
  const onSubmit = (/** @type {any} */ ev) =>
    send(ev, form, async () => {
      const v = /** @type {Record<string, string>} */ (form.values);
      for (const o of store.others) clearErrors(o);
      const choice = v.organisation_id === CENTRE ? null : v.organisation_id || door.organisation.id;
      /** @type {Record<string, any>} */
      const applicant = { name: v.name.trim(), phone: v.phone.trim() };
      if (v.sex) applicant.sex = v.sex;
      if (String(v.age).trim()) applicant.age = Number(v.age);
      if (v.address.trim()) applicant.address = v.address.trim();
      const body = {
        applicant,
        respondents: store.others.map(({ values: o }) => ({
          name: String(o.name).trim(),
          ...(String(o.phone).trim() ? { phone: String(o.phone).trim() } : {}),
          ...(String(o.address).trim() ? { address: String(o.address).trim() } : {}),
        })),
        facts: v.facts.trim(),
        requests: v.requests.trim(),
        organisation_id: choice,
        preferred_mediator_id: v.preferred_mediator_id || null,
        language: getLang(), // the text telling them the answer adds English for an applicant reading English
      };
      try {
        store.application = await api.request('POST', `/apply/organisations/${encodeURIComponent(door.organisation.id)}/applications`, { body });
      } catch (err) {
        // "applicant.name" → the "name" control; "respondents.0.name" → that row's control.
        for (const f of (err && err.fields) || []) {
          const m = /^(?:body\.)?respondents\.(\d+)\.(\w+)$/.exec(String(f.field));
          const row = m && store.others[Number(m[1])];
          if (m && row) row.fields[m[2]] = () => fieldMessage(f);
        }
        throw err;
      }
      store.step = 'code';
    });
  const sexes = ['male', 'female'].map((s) => ({ value: s, label: t(`apply.sex.${s}`) }));
  return html`<form class="apply-card" novalidate onSubmit=${onSubmit} data-testid="apply-form" aria-labelledby="apply-step">
    <h2 id="apply-step">${t('apply.step.form')}</h2>
    <${FormStateMessage} form=${form} />
    <h3>${t('apply.you')}</h3>
    <${FormField} ...${at} label=${t('apply.name')} name="name" required attrs=${{ autocomplete: 'name', maxlength: 100 }} />
    <${FormField} ...${at} label=${t('apply.phone')} name="phone" type="tel" required hint=${t('apply.phone.hint')} attrs=${{ autocomplete: 'tel', inputmode: 'tel', maxlength: 32 }} />
    <${FormField} ...${at} label=${t('apply.sex')} name="sex" kind="select" optional placeholder=${t('common.select')} options=${sexes} />
    <${FormField} ...${at} label=${t('apply.age')} name="age" type="number" optional attrs=${{ min: 0, max: 130, inputmode: 'numeric' }} />
    <${FormField} ...${at} label=${t('apply.address')} name="address" optional attrs=${{ maxlength: 200 }} />
    <h3>${t('apply.other')}</h3>
    ${store.others.map((o, i) => html`<fieldset key=${i} class="apply-other" data-testid="apply-other">
      <legend>${t('apply.other.n', { n: i + 1 })}</legend>
      ${['name', 'phone', 'address'].map(
        (name) => html`<${FormField} form=${o} idPrefix=${`other-${i}`}
          label=${t(`apply.other.${name}`)} name=${name} type=${name === 'phone' ? 'tel' : 'text'} required=${name === 'name'}
          attrs=${{ maxlength: name === 'phone' ? 32 : name === 'name' ? 100 : 200 }} />`,
      )}
      ${store.others.length > 1
        ? html`<button type="button" class="secondary" onClick=${() => { store.others.splice(i, 1); draw(); }}>${t('apply.other.remove')}</button>`
        : null}
    </fieldset>`)}
    ${store.others.length < 10
      ? html`<p><button type="button" class="secondary" data-testid="apply-add-other" onClick=${() => { store.others.push(other()); draw(); }}>${t('apply.other.add')}</button></p>`
      : null}
    <${FormField} ...${at} label=${t('apply.facts')} name="facts" kind="textarea" required hint=${t('apply.facts.hint')} attrs=${{ maxlength: 4000, rows: 5 }} />
    <${FormField} ...${at} label=${t('apply.requests')} name="requests" kind="textarea" required hint=${t('apply.requests.hint')} attrs=${{ maxlength: 4000 }} />
    ${orgOptions.length > 1
      ? html`<${FormField} ...${at} label=${t('apply.org')} name="organisation_id" kind="select" options=${orgOptions}
          onChange=${() => { form.values.preferred_mediator_id = ''; draw(); }} />`
      : null}
    ${mediators.length
      ? html`<${FormField} ...${at} label=${t('apply.mediator')} name="preferred_mediator_id" kind="select" optional placeholder=${t('apply.mediator.any')} options=${mediators} />`
      : null}
    <p><button type="submit" class="primary big block" disabled=${form.busy} data-testid="apply-submit">${form.busy ? t('apply.sending') : t('apply.submit')}</button></p>
  </form>`;
}

// ------------------------------------------------------------------ the code

function CodeStep() {
  const form = store.code;
  const a = store.application;
  const onConfirm = (/** @type {any} */ ev) =>
    send(ev, form, async () => {
      const done = await api.request('POST', `/apply/applications/${encodeURIComponent(a.id)}/confirm`, { body: { code: String(form.values.code).trim() } });
      store.status = done;
      store.statusUrl = done.status_url;
      store.step = 'status';
      history.replaceState(null, '', new URL(done.status_url).pathname);
    });
  const resend = async () => {
    clearErrors(form);
    try {
      const sent = await api.request('POST', `/apply/applications/${encodeURIComponent(a.id)}/code`);
      store.application = { ...a, code: sent.code };
      form.kind = 'success';
      form.message = () => t('apply.code.resent');
    } catch (err) {
      showApiError(form, err);
    }
    draw();
  };
  return html`<form class="apply-card" novalidate onSubmit=${onConfirm} data-testid="apply-code" aria-labelledby="apply-code-step">
    <h2 id="apply-code-step">${t('apply.step.code')}</h2>
    <p role="status" data-testid="apply-code-sent">${t('apply.code.sending', { to: a.code.sent_to })}</p>
    <${FormStateMessage} form=${form} />
    <${FormField} form=${form} idPrefix="apply" label=${t('apply.code.label')} name="code" required
      attrs=${{ inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 }} />
    <p><button type="submit" class="primary big block" disabled=${form.busy} data-testid="apply-confirm">${t('apply.code.confirm')}</button></p>
    <p><button type="button" class="secondary block" onClick=${resend}>${t('apply.code.resend')}</button></p>
    <p class="muted">${t('apply.code.note')}</p>
  </form>`;
}

// ------------------------------------------------------------------ where it stands

function Status() {
  const s = store.status;
  const routes = /** @type {string[]} */ (s.decline_routes || []);
  return html`<section class="apply-card" data-testid="apply-status" data-status=${s.status} aria-labelledby="apply-status-title">
    <h2 id="apply-status-title">${t('apply.status.progress')}</h2>
    <p>${t('apply.status.to', { org: s.organisation.name })}</p>
    <p class="muted">${t('apply.status.applied', { name: s.applicant_name, time: fmtShortDateTime(s.applied_at, TZ) })}</p>
    ${s.status === 'waiting'
      ? html`<p class="notice" data-testid="apply-waiting">${t('apply.status.waiting', { org: s.organisation.name, date: fmtDayLong(s.answer_due_date) })}</p>`
      : null}
    ${s.status === 'waiting' && s.preferred_mediator ? html`<p>${t('apply.status.preferred', { name: s.preferred_mediator.display_name })}</p>` : null}
    ${s.status === 'waiting' || (s.files && s.files.length) ? html`<${Files} />` : null}
    ${s.status === 'accepted' && s.case
      ? html`<p class="notice ok" data-testid="apply-accepted">${t('apply.status.accepted', { number: s.case.case_number, mediator: s.case.mediator })}</p>
          <p>${t('apply.status.accepted.next')}</p>`
      : null}
    ${s.status === 'declined'
      ? html`<div data-testid="apply-declined"><p class="notice warn"><strong>${t('apply.status.declined')}</strong></p>
          <p>${t('apply.status.reason', { text: s.decline_reason || '' })}</p>
          <p>${t('apply.status.routes')}</p>
          <ul>${routes.map((r) => html`<li key=${r}>${tv('apply.route', r)}</li>`)}</ul></div>`
      : null}
  </section>
  ${store.statusUrl
    ? html`<section class="apply-card" aria-labelledby="apply-link-title" data-testid="apply-link">
        <h2 id="apply-link-title">${t('apply.link.title')}</h2>
        <p class="apply-link"><a href=${store.statusUrl} data-testid="apply-status-url">${store.statusUrl}</a></p>
        <p class="muted">${t('apply.link.note')}</p>
      </section>`
    : null}`;
}

/** The files attached (names), and while the application waits, a button to add a photo or a PDF. */
function Files() {
  const s = store.status;
  const form = store.files;
  const files = /** @type {any[]} */ (s.files || []);
  const token = new URL(store.statusUrl).pathname.split('/').pop() || '';
  const onPick = async (/** @type {any} */ ev) => {
    const input = /** @type {HTMLInputElement} */ (ev.currentTarget);
    const file = input.files && input.files[0];
    if (!file) return;
    clearErrors(form);
    form.busy = true;
    draw();
    try {
      const added = await api.uploadDocument(`/apply/status/${encodeURIComponent(token)}/files`, file, { name: file.name });
      s.files = [...files, added];
      form.kind = 'success';
      form.message = () => t('apply.files.added', { name: added.name });
    } catch (err) {
      showApiError(form, err);
    } finally {
      form.busy = false;
      input.value = '';
      draw();
    }
  };
  return html`<div class="apply-files" data-testid="apply-files">
    <h3>${t('apply.files.title')}</h3>
    ${files.length ? html`<ul>${files.map((f) => html`<li key=${f.id}>${f.name}</li>`)}</ul>` : html`<p class="muted">${t('apply.files.none')}</p>`}
    <${FormStateMessage} form=${form} />
    ${s.status === 'waiting' && files.length < 5
      ? html`<p><label class="button secondary block" for="apply-file">${form.busy ? t('apply.sending') : t('apply.files.add')}</label>
          <input id="apply-file" class="sr-only" type="file" accept="application/pdf,image/png,image/jpeg" disabled=${form.busy} onChange=${onPick} /></p>
          <p class="muted small">${t('apply.files.hint')}</p>`
      : null}
  </div>`;
}

// ------------------------------------------------------------------ the page

function Body() {
  switch (store.step) {
    case 'loading':
      return loading();
    case 'error':
      return statusToken ? html`<p class="notice warn" role="alert">${t('apply.status.notfound')}</p>` : loadError(store.error, start);
    case 'list':
      return html`<p>${t('apply.list.intro')}</p>
        ${store.orgs.length
          ? html`<ul class="apply-orgs apply-card" data-testid="apply-orgs">${store.orgs.map((o) => html`<li key=${o.id}><a href=${`/apply/${encodeURIComponent(o.id)}`}>${o.name}</a></li>`)}</ul>`
          : html`<p class="empty">${t('apply.list.empty')}</p>`}`;
    case 'form':
      return store.phoneConfirmation
        ? html`<${ApplicationForm} />`
        : html`<p class="notice warn" role="alert" data-testid="apply-no-sms">${t('apply.no_sms')}</p>`;
    case 'code':
      return html`<${CodeStep} />`;
    case 'status':
      return html`<${Status} />`;
  }
  return null;
}

function Page() {
  const heading = store.step === 'status' ? t('apply.status.title') : store.door ? store.door.organisation.name : t('apply.title');
  return html`<main id="main" role="main">
    <div class="apply-top"><${LangSwitch} /></div>
    <h1>${heading}</h1>
    ${store.door && store.step !== 'status' ? html`<p class="lead">${t('apply.title')}</p>` : null}
    <${Body} />
    <p class="muted small">${t('apply.free')}</p>
  </main>`;
}

async function start() {
  store.step = 'loading';
  draw();
  try {
    if (statusToken) {
      store.status = await api.request('GET', `/apply/status/${encodeURIComponent(statusToken)}`);
      store.statusUrl = location.href;
      store.step = 'status';
    } else if (orgId) {
      store.door = await api.request('GET', `/apply/organisations/${encodeURIComponent(orgId)}`);
      store.phoneConfirmation = store.door.phone_confirmation;
      store.form.values.organisation_id = store.door.centre ? CENTRE : store.door.organisation.id;
      store.step = 'form';
    } else {
      const found = await api.request('GET', '/apply/organisations');
      store.orgs = found.items;
      store.phoneConfirmation = found.phone_confirmation;
      store.step = 'list';
    }
  } catch (err) {
    store.error = err;
    store.step = 'error';
  }
  draw();
}

app.textContent = ''; // the page's "loading" line: Preact draws into an empty container
onLangChange(draw);
start();
