// @ts-check
// /v/<code>: anyone can check a sealed mediation agreement (no login). What GET /verify/<code>
// says, in plain words, and a file check: the SHA-256 of a chosen PDF, computed here in the
// browser (the file is not uploaded), compared with the sealed agreement's.

import * as api from '../api.js';
import { t, tv, langSwitchButton, fmtDateTime, tzName } from '../i18n.js';
import '../agreement-i18n.js';
import { browserTimeZone, isValidTimeZone } from '../time.js';
import { h, replace, rerenderOnLangChange, errorMessage } from '../ui.js';

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
 *   code: string, status: string, data: any, error: any,
 *   file: {name: string, bytes: number, sha256: string | null, busy: boolean, error: any} | null,
 * }}
 */
const state = {
  code: codeFromLocation(),
  status: 'loading', // loading | ready | not_found | error | no_code
  data: null,
  error: null,
  file: null, // {name, bytes, sha256, busy, error}
};

/** Hex SHA-256 of a File, computed by the browser. */
async function sha256Hex(file) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function check(file) {
  if (!file) return;
  state.file = { name: file.name, bytes: file.size, sha256: null, busy: true, error: null };
  renderFile();
  try {
    state.file.sha256 = await sha256Hex(file);
  } catch (err) {
    state.file.error = (err && err.message) || String(err);
  }
  state.file.busy = false;
  renderFile();
  /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="verify-result"]'))?.focus();
}

function when(iso) {
  return iso ? `${fmtDateTime(iso, tz)}${t('verify.tz', { tz: tzName(tz, new Date(iso)) })}` : '';
}

function header() {
  return h(
    'header',
    { class: 'party-header' },
    h('p', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '调'), t('verify.brand')),
    langSwitchButton({ className: 'lang-switch big' }),
  );
}

function row(label, value, testid) {
  if (value == null || value === '') return null;
  return h('div', { class: 'info-row' }, h('dt', null, label), h('dd', { dataset: testid ? { testid } : undefined }, value));
}

function signerRole(role) {
  return role === 'mediator' ? tv('role', 'mediator') : tv('partyrole', role);
}

function summary() {
  const d = state.data;
  const sealed = Boolean(d.sealed_at) || d.status === 'effective';
  return [
    h(
      'section',
      { class: ['party-card', 'verify-card', sealed ? 'verify-ok' : 'verify-warn'], 'aria-labelledby': 'verify-status', dataset: { testid: 'verify-summary' } },
      h('h2', { id: 'verify-status', class: 'verify-status', dataset: { testid: 'verify-status' } }, sealed ? `✓ ${t('verify.sealed')}` : t('verify.not_sealed', { status: tv('agr.status', d.status) })),
      h('p', null, sealed ? t('verify.sealed.text') : t('verify.not_sealed.text')),
      h(
        'dl',
        { class: 'info' },
        row(t('verify.code'), state.code, 'verify-code'),
        row(t('verify.title'), d.title, 'verify-title'),
        row(t('verify.organisation'), d.organisation, 'verify-organisation'),
        row(t('verify.case_number'), d.case_number, 'verify-case-number'),
        row(t('verify.version'), d.version != null ? t('agr.version.n', { n: d.version }) : null),
        row(t('verify.sealed_at'), when(d.sealed_at), 'verify-sealed-at'),
      ),
    ),
    h(
      'section',
      { class: 'party-card', 'aria-labelledby': 'verify-signers-title' },
      h('h2', { id: 'verify-signers-title' }, t('verify.signers')),
      h(
        'ul',
        { class: 'agr-signers', dataset: { testid: 'verify-signers' } },
        (d.signers || []).map((s) =>
          h(
            'li',
            { class: ['agr-signer', s.signed_at ? 'signed' : 'unsigned'], dataset: { testid: 'verify-signer' } },
            h('span', { class: 'agr-signer-mark', 'aria-hidden': 'true' }, s.signed_at ? '✓' : '○'),
            h('span', { class: 'agr-signer-who' }, h('strong', null, s.name), t('agr.signer.role', { role: signerRole(s.role) })),
            h(
              'span',
              { class: 'agr-signer-state' },
              [s.signed_at ? t('verify.signed_at', { time: when(s.signed_at) }) : t('agr.signer.unsigned'), s.log_index != null ? t('verify.log_index', { n: s.log_index }) : null]
                .filter(Boolean)
                .join(' · '),
            ),
          ),
        ),
      ),
      h('p', { class: 'hint' }, t('verify.names')),
    ),
  ];
}

function fileForm() {
  const input = h('input', { type: 'file', accept: '.pdf,application/pdf', class: 'verify-file-input', 'aria-describedby': 'verify-file-hint', dataset: { testid: 'verify-file' } });
  input.addEventListener('change', () => check(input.files && input.files[0]));
  const zone = h(
    'div',
    { class: 'verify-drop', dataset: { testid: 'verify-drop' } },
    // The label wraps the input (no id: a redraw must not try to set a file input's value).
    h('label', { class: 'verify-drop-label' }, h('span', { class: 'verify-drop-icon', 'aria-hidden': 'true' }, 'PDF'), t('verify.file.choose'), input),
    h('p', { class: 'hint', id: 'verify-file-hint' }, t('verify.file.hint')),
  );
  zone.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    check(ev.dataTransfer && ev.dataTransfer.files && ev.dataTransfer.files[0]);
  });
  return h(
    'section',
    { class: 'party-card', 'aria-labelledby': 'verify-file-title' },
    h('h2', { id: 'verify-file-title' }, t('verify.file.title')),
    h('p', null, t('verify.file.intro')),
    zone,
    h('div', { id: 'verify-file-result' }),
  );
}

function renderFile() {
  const host = document.getElementById('verify-file-result');
  if (!host) return;
  const f = state.file;
  if (!f) return replace(host);
  if (f.busy) return replace(host, h('p', { class: 'muted', role: 'status' }, t('verify.file.busy', { name: f.name })));
  if (f.error) return replace(host, h('p', { class: 'verify-result bad', role: 'alert', tabindex: '-1', dataset: { testid: 'verify-result', match: 'error' } }, t('verify.file.error')));
  const d = state.data;
  const signed = d.signed_pdf_sha256 && f.sha256 === d.signed_pdf_sha256.toLowerCase();
  const unsigned = !signed && d.pdf_sha256 && f.sha256 === d.pdf_sha256.toLowerCase();
  const kind = signed ? 'signed' : unsigned ? 'unsigned' : 'none';
  const text = { signed: `✓ ${t('verify.match.signed')}`, unsigned: t('verify.match.unsigned'), none: `✗ ${t('verify.match.none')}` }[kind];
  replace(
    host,
    h(
      'div',
      { class: ['verify-result', signed ? 'good' : unsigned ? 'partial' : 'bad'], role: 'status', tabindex: '-1', dataset: { testid: 'verify-result', match: kind } },
      h('p', { class: 'verify-result-title' }, text),
      h('p', { class: 'small' }, t('verify.file.name', { name: f.name })),
      h('p', { class: 'small' }, t('verify.file.sha'), ' ', h('code', { class: 'hash' }, f.sha256)),
      kind === 'none' ? h('p', null, t('verify.match.none.text')) : null,
    ),
  );
}

function hashes() {
  const d = state.data;
  const line = (label, value) => (value ? h('p', { class: 'small' }, label, ' ', h('code', { class: 'hash' }, value)) : null);
  return h(
    'details',
    { class: 'party-card verify-tech' },
    h('summary', null, t('verify.tech')),
    h('p', { class: 'small muted' }, t('verify.tech.text')),
    line(t('verify.sha.signed'), d.signed_pdf_sha256),
    line(t('verify.sha.pdf'), d.pdf_sha256),
    line(t('verify.sha.text'), d.text_sha256),
  );
}

function codeForm() {
  const input = h('input', { id: 'verify-code-input', name: 'code', type: 'text', autocomplete: 'off', spellcheck: 'false', value: state.code, class: 'verify-code-input' });
  const form = h(
    'form',
    { class: 'party-card', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'verify-code-input' }, t('verify.code.enter')), input),
    h('button', { type: 'submit', class: 'primary big block' }, t('verify.code.submit')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const code = input.value.trim();
    if (code) location.assign(`/v/${encodeURIComponent(code)}`);
  });
  return form;
}

function body() {
  if (state.status === 'loading') return h('p', { class: 'loading', role: 'status' }, t('common.loading'));
  if (state.status === 'no_code') return codeForm();
  if (state.status === 'not_found') {
    return [
      h('div', { class: 'party-card verify-card verify-bad', role: 'alert', dataset: { testid: 'verify-not-found' } }, h('h2', null, t('verify.not_found')), h('p', null, t('verify.not_found.text', { code: state.code }))),
      codeForm(),
    ];
  }
  if (state.status === 'error') {
    return h(
      'div',
      { class: 'party-card error-card', role: 'alert' },
      h('p', null, t('error.load', { message: errorMessage(state.error) })),
      h('button', { type: 'button', class: 'primary big', onclick: load }, t('common.retry')),
    );
  }
  return [summary(), fileForm(), hashes()];
}

function render() {
  document.title = t('verify.page.title');
  replace(app, header(), h('main', { id: 'main', class: 'party-main verify-main' }, h('h1', null, t('verify.page.title')), body()));
  renderFile();
}

async function load() {
  if (!state.code) {
    state.status = 'no_code';
    render();
    return;
  }
  state.status = 'loading';
  render();
  try {
    state.data = await api.verifyAgreement(state.code);
    state.status = 'ready';
  } catch (err) {
    state.error = err;
    state.status = err.status === 404 ? 'not_found' : 'error';
  }
  render();
}

rerenderOnLangChange(app, render);
load();
