// @ts-check
// /v/<code>: anyone can check a sealed mediation agreement (no login). What GET /verify/<code>
// says, in plain words, and a file check: the SHA-256 of a chosen PDF, computed here in the
// browser (the file is not uploaded), compared with the sealed agreement's.
// Drawn with Preact + htm (as the court's page is): `draw()` draws the page from `state` when the
// answer or a file's check arrives or the language changes; the chosen file, a typed code and the
// focus stay.

import { html, render } from 'htm/preact';
import * as api from '../api.js';
import { t, tv, fmtDateTime, tzName, onLangChange } from '../i18n.js';
import '../agreement-i18n.js';
import { browserTimeZone, isValidTimeZone } from '../time.js';
import { errorMessage } from '../ui.js';
import { LangSwitch } from '../ui-preact.js';

const app = /** @type {HTMLElement} */ (document.getElementById('app')); // in the page's HTML
const tz = isValidTimeZone(browserTimeZone()) ? browserTimeZone() : 'Asia/Shanghai';

function codeFromLocation() {
  const m = /^\/v\/([^/]+)\/?$/.exec(location.pathname);
  if (m) {
    try {
      return decodeURIComponent(m[1]).trim();
    } catch {
      return m[1];
    }
  }
  return (new URLSearchParams(location.search).get('code') || '').trim();
}

/**
 * @type {{
 *   code: string, typed: string, status: string, data: any, error: any, over: boolean,
 *   file: {name: string, bytes: number, sha256: string | null, busy: boolean, error: any} | null,
 * }}
 */
const state = {
  code: codeFromLocation(),
  typed: codeFromLocation(), // what is in the code field (asked for when there is no code, or an unknown one)
  status: 'loading', // loading | ready | not_found | error | no_code
  data: null,
  error: null,
  over: false, // a file is dragged over the drop zone
  file: null, // {name, bytes, sha256, busy, error}
};

function draw() {
  render(html`<${Page} />`, app);
}

/** Hex SHA-256 of a File, computed by the browser. */
async function sha256Hex(file) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function check(file) {
  if (!file) return;
  state.file = { name: file.name, bytes: file.size, sha256: null, busy: true, error: null };
  draw();
  try {
    state.file.sha256 = await sha256Hex(file);
  } catch (err) {
    state.file.error = (err && err.message) || String(err);
  }
  state.file.busy = false;
  draw();
  /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="verify-result"]'))?.focus();
}

function when(iso) {
  return iso ? `${fmtDateTime(iso, tz)}${t('verify.tz', { tz: tzName(tz, new Date(iso)) })}` : '';
}

function header() {
  return html`<header class="party-header">
    <p class="brand"><span class="brand-mark" aria-hidden="true">调</span>${t('verify.brand')}</p>
    <${LangSwitch} className="lang-switch big" />
  </header>`;
}

function row(label, value, testid) {
  if (value == null || value === '') return null;
  return html`<div class="info-row"><dt>${label}</dt><dd data-testid=${testid}>${value}</dd></div>`;
}

function signerRole(role) {
  return role === 'mediator' ? tv('role', 'mediator') : tv('partyrole', role);
}

function signer(s) {
  const said = [s.signed_at ? t('verify.signed_at', { time: when(s.signed_at) }) : t('agr.signer.unsigned'), s.log_index != null ? t('verify.log_index', { n: s.log_index }) : null];
  return html`<li class=${`agr-signer ${s.signed_at ? 'signed' : 'unsigned'}`} data-testid="verify-signer">
    <span class="agr-signer-mark" aria-hidden="true">${s.signed_at ? '✓' : '○'}</span>
    <span class="agr-signer-who"><strong>${s.name}</strong>${t('agr.signer.role', { role: signerRole(s.role) })}</span>
    <span class="agr-signer-state">${said.filter(Boolean).join(' · ')}</span>
  </li>`;
}

function summary() {
  const d = state.data;
  const sealed = Boolean(d.sealed_at) || d.status === 'effective';
  return html`<section class=${`party-card verify-card ${sealed ? 'verify-ok' : 'verify-warn'}`} aria-labelledby="verify-status" data-testid="verify-summary">
      <h2 id="verify-status" class="verify-status" data-testid="verify-status">${sealed ? `✓ ${t('verify.sealed')}` : t('verify.not_sealed', { status: tv('agr.status', d.status) })}</h2>
      <p>${sealed ? t('verify.sealed.text') : t('verify.not_sealed.text')}</p>
      <dl class="info">
        ${row(t('verify.code'), state.code, 'verify-code')}
        ${row(t('verify.title'), d.title, 'verify-title')}
        ${row(t('verify.organisation'), d.organisation, 'verify-organisation')}
        ${row(t('verify.case_number'), d.case_number, 'verify-case-number')}
        ${row(t('verify.version'), d.version != null ? t('agr.version.n', { n: d.version }) : null)}
        ${row(t('verify.sealed_at'), when(d.sealed_at), 'verify-sealed-at')}
      </dl>
    </section>
    <section class="party-card" aria-labelledby="verify-signers-title">
      <h2 id="verify-signers-title">${t('verify.signers')}</h2>
      <ul class="agr-signers" data-testid="verify-signers">${(d.signers || []).map(signer)}</ul>
      <p class="hint">${t('verify.names')}</p>
    </section>`;
}

function fileForm() {
  const drop = (ev) => {
    ev.preventDefault();
    state.over = false;
    draw();
    check(ev.dataTransfer && ev.dataTransfer.files && ev.dataTransfer.files[0]);
  };
  const over = (/** @type {boolean} */ on) => (ev) => {
    if (on) ev.preventDefault();
    if (state.over !== on) {
      state.over = on;
      draw();
    }
  };
  // The label wraps the input (no id); the file input is never given a value: the chosen file stays in it.
  return html`<section class="party-card" aria-labelledby="verify-file-title">
    <h2 id="verify-file-title">${t('verify.file.title')}</h2>
    <p>${t('verify.file.intro')}</p>
    <div class=${state.over ? 'verify-drop over' : 'verify-drop'} data-testid="verify-drop" onDragOver=${over(true)} onDragLeave=${over(false)} onDrop=${drop}>
      <label class="verify-drop-label">
        <span class="verify-drop-icon" aria-hidden="true">PDF</span>${t('verify.file.choose')}
        <input type="file" accept=".pdf,application/pdf" class="verify-file-input" aria-describedby="verify-file-hint" data-testid="verify-file"
          onChange=${(ev) => check(ev.currentTarget.files && ev.currentTarget.files[0])} />
      </label>
      <p class="hint" id="verify-file-hint">${t('verify.file.hint')}</p>
    </div>
    <div id="verify-file-result">${fileResult()}</div>
  </section>`;
}

function fileResult() {
  const f = state.file;
  if (!f) return null;
  if (f.busy) return html`<p class="muted" role="status">${t('verify.file.busy', { name: f.name })}</p>`;
  if (f.error) return html`<p class="verify-result bad" role="alert" tabindex="-1" data-testid="verify-result" data-match="error">${t('verify.file.error')}</p>`;
  const d = state.data;
  const signed = d.signed_pdf_sha256 && f.sha256 === d.signed_pdf_sha256.toLowerCase();
  const unsigned = !signed && d.pdf_sha256 && f.sha256 === d.pdf_sha256.toLowerCase();
  const kind = signed ? 'signed' : unsigned ? 'unsigned' : 'none';
  const text = { signed: `✓ ${t('verify.match.signed')}`, unsigned: t('verify.match.unsigned'), none: `✗ ${t('verify.match.none')}` }[kind];
  return html`<div class=${`verify-result ${signed ? 'good' : unsigned ? 'partial' : 'bad'}`} role="status" tabindex="-1" data-testid="verify-result" data-match=${kind}>
    <p class="verify-result-title">${text}</p>
    <p class="small">${t('verify.file.name', { name: f.name })}</p>
    <p class="small">${t('verify.file.sha')} <code class="hash">${f.sha256}</code></p>
    ${kind === 'none' ? html`<p>${t('verify.match.none.text')}</p>` : null}
  </div>`;
}

function hashes() {
  const d = state.data;
  const line = (label, value) => (value ? html`<p class="small">${label} <code class="hash">${value}</code></p>` : null);
  return html`<details class="party-card verify-tech">
    <summary>${t('verify.tech')}</summary>
    <p class="small muted">${t('verify.tech.text')}</p>
    ${line(t('verify.sha.signed'), d.signed_pdf_sha256)}
    ${line(t('verify.sha.pdf'), d.pdf_sha256)}
    ${line(t('verify.sha.text'), d.text_sha256)}
  </details>`;
}

function codeForm() {
  const submit = (ev) => {
    ev.preventDefault();
    const code = state.typed.trim();
    if (code) location.assign(`/v/${encodeURIComponent(code)}`);
  };
  return html`<form class="party-card" novalidate onSubmit=${submit}>
    <div class="field">
      <label for="verify-code-input">${t('verify.code.enter')}</label>
      <input id="verify-code-input" name="code" type="text" autocomplete="off" spellcheck=${false} class="verify-code-input" value=${state.typed}
        onInput=${(ev) => (state.typed = ev.currentTarget.value)} />
    </div>
    <button type="submit" class="primary big block">${t('verify.code.submit')}</button>
  </form>`;
}

function body() {
  if (state.status === 'loading') return html`<p class="loading" role="status">${t('common.loading')}</p>`;
  if (state.status === 'no_code') return codeForm();
  if (state.status === 'not_found') {
    return html`<div class="party-card verify-card verify-bad" role="alert" data-testid="verify-not-found">
        <h2>${t('verify.not_found')}</h2>
        <p>${t('verify.not_found.text', { code: state.code })}</p>
      </div>
      ${codeForm()}`;
  }
  if (state.status === 'error') {
    return html`<div class="party-card error-card" role="alert">
      <p>${t('error.load', { message: errorMessage(state.error) })}</p>
      <button type="button" class="primary big" onClick=${load}>${t('common.retry')}</button>
    </div>`;
  }
  return html`${summary()}${fileForm()}${hashes()}`;
}

function Page() {
  document.title = t('verify.page.title');
  return html`${header()}
    <main id="main" class="party-main verify-main">
      <h1>${t('verify.page.title')}</h1>
      ${body()}
    </main>`;
}

async function load() {
  if (!state.code) {
    state.status = 'no_code';
    draw();
    return;
  }
  state.status = 'loading';
  draw();
  try {
    state.data = await api.verifyAgreement(state.code);
    state.status = 'ready';
  } catch (err) {
    state.error = err;
    state.status = err.status === 404 ? 'not_found' : 'error';
  }
  draw();
}

app.replaceChildren();
onLangChange(draw);
load();
