// @ts-check
// The mediation agreement on the mediator's case page (server/http/AGREEMENT_API.md): create it
// from the template, edit its content (facts, terms, effect clause, copies, other) and save each
// change as a new version, compare any two versions, read the parties' comments and adopt their
// proposed wording, declare a version final with a signing deadline, follow who has signed, sign
// as the mediator with one's own key (bound to the case first), and, once sealed, the PDFs and the
// verification code. Also "mediation did not succeed" (调解不成) with a reason.
//
// Helpers used by the party's view too (partyagreement.js): diffView, signerList, clauseName.

import * as api from './api.js';
import { t, tv, getLang, onLangChange, fmtDateTime, fmtShortDateTime } from './i18n.js';
import './agreement-i18n.js';
import { StaffSigner } from './signing/staff-key.js';
import { reasonOf } from './signing/message.js';
import { addDays, todayIn, localToIso } from './time.js';
import {
  h,
  replace,
  badge,
  emptyState,
  loadingState,
  errorState,
  errorMessage,
  fieldMessage,
  toast,
  confirmDialog,
  copyButton,
  clearFormErrors,
  setFieldError,
  formMessage,
  snapshotInputs,
  restoreInputs,
} from './ui.js';

const POLL_MS = 5000;
const MAX_TERMS = 30;
const TEXT_MAX = 5000;
const TERM_MAX = 1000;


/** A clause's label in the viewer's language, from the view's `clauses` (else from its id). */
export function clauseName(view, clauseId) {
  const c = ((view && view.clauses) || []).find((x) => x.id === clauseId);
  if (c) return getLang() === 'en' ? c.label_en || c.label : c.label;
  const m = /^term-(\d+)$/.exec(clauseId || '');
  if (m) return t('agr.term.n', { n: m[1] });
  return tv('agr.clause', clauseId);
}

/**
 * A diff answer as lines: added lines green with "+", removed ones struck through in red with
 * "−" (signs and hidden words too, so colour is not the only cue), unchanged lines plain.
 */
export function diffView(diff) {
  const lines = (diff && diff.lines) || [];
  const changed = lines.some((l) => l.op !== 'same');
  return h(
    'div',
    {
      class: 'agr-diff',
      role: 'region',
      tabindex: '0',
      'aria-label': t('agr.diff.label', { from: diff.from, to: diff.to }),
      dataset: { testid: 'agr-diff' },
    },
    h(
      'p',
      { class: 'agr-diff-head' },
      h('strong', null, t('agr.diff.title', { from: diff.from, to: diff.to })),
      ' ',
      h('span', { class: 'agr-diff-key add' }, `+ ${t('agr.diff.added')}`),
      ' ',
      h('span', { class: 'agr-diff-key del' }, `− ${t('agr.diff.removed')}`),
    ),
    changed ? null : h('p', { class: 'muted', dataset: { testid: 'agr-diff-same' } }, t('agr.diff.same')),
    h(
      'ol',
      { class: 'agr-diff-lines' },
      lines.map((l) => {
        const sign = l.op === 'add' ? '+' : l.op === 'del' ? '−' : ' ';
        const text = l.text === '' ? ' ' : l.text;
        const body = l.op === 'add' ? h('ins', null, text) : l.op === 'del' ? h('del', null, text) : h('span', null, text);
        return h(
          'li',
          { class: ['agr-diff-line', l.op], dataset: { op: l.op } },
          h('span', { class: 'agr-diff-sign', 'aria-hidden': 'true' }, sign),
          l.op !== 'same' ? h('span', { class: 'sr-only' }, l.op === 'add' ? t('agr.diff.added.sr') : t('agr.diff.removed.sr')) : null,
          body,
        );
      }),
    ),
  );
}

/**
 * Who must sign and who has: one line per signer with the time and the method.
 * @param {any} view the agreement view
 * @param {string} tz
 * @param {{ me?: { id: string, kind: string } }} [options] `me`: the viewer, marked "(you)"
 * @returns {HTMLElement}
 */
export function signerList(view, tz, { me } = {}) {
  const signers = (view && view.signers) || [];
  return h(
    'ul',
    { class: 'agr-signers', dataset: { testid: 'agr-signers' } },
    signers.map((s) => {
      const signed = Boolean(s.signed_at);
      const role = s.role === 'mediator' ? tv('role', 'mediator') : tv('partyrole', s.role);
      const you = me && me.id === s.id && me.kind === s.kind;
      return h(
        'li',
        { class: ['agr-signer', signed ? 'signed' : 'unsigned'], dataset: { testid: 'agr-signer', signerId: s.id, signed: String(signed) } },
        h('span', { class: 'agr-signer-mark', 'aria-hidden': 'true' }, signed ? '✓' : '○'),
        h(
          'span',
          { class: 'agr-signer-who' },
          h('strong', null, s.name),
          t('agr.signer.role', { role }),
          you ? h('span', { class: 'muted' }, ` ${t('agr.signer.you')}`) : null,
        ),
        h(
          'span',
          { class: 'agr-signer-state' },
          signed
            ? [
                t('agr.signer.signed', { time: fmtShortDateTime(s.signed_at, tz) }),
                s.method ? ` · ${tv('agr.method', s.method)}` : '',
                s.has_handwriting ? ` · ${t('agr.signer.handwriting')}` : '',
              ].join('')
            : t('agr.signer.unsigned'),
        ),
      );
    }),
  );
}

/**
 * The full text as the server composed it (what is signed), in a readable box.
 * @param {any} view the agreement view
 * @param {{ testid?: string, label?: string }} [options]
 * @returns {HTMLElement}
 */
export function agreementText(view, { testid = 'agr-text', label } = {}) {
  return h(
    'div',
    { class: 'agr-text', tabindex: '0', role: 'region', 'aria-label': label || t('agr.text.label'), dataset: { testid } },
    view.text || '',
  );
}

const emptyTerm = () => ({ text: '', performance: '', due: '' });

/** @typedef {ReturnType<typeof cloneContent>} Content  the editor's copy of an agreement's content */

function cloneContent(content) {
  const c = content || {};
  const terms = Array.isArray(c.terms) && c.terms.length ? c.terms : [emptyTerm()];
  return {
    facts: c.facts || '',
    terms: terms.map((x) => ({ text: x.text || '', performance: x.performance || '', due: x.due || '' })),
    effect: c.effect || '',
    copies: Number(c.copies) || 3,
    other: c.other || '',
  };
}

/** The id of the control a clause id (or an API error field) belongs to. */
function controlIdFor(clauseOrField) {
  const f = String(clauseOrField || '').replace(/^(body\.)?content\./, '');
  let m = /^term-(\d+)$/.exec(f);
  if (m) return `agr-term-${Number(m[1]) - 1}-text`;
  m = /^terms\.(\d+)\.(text|performance|due)$/.exec(f);
  if (m) return `agr-term-${m[1]}-${m[2]}`;
  if (['facts', 'effect', 'copies', 'other'].includes(f)) return `agr-${f}`;
  return null;
}

/**
 * The agreement panel of one case. `el` is the section to put on the page; it redraws itself
 * (poll, language change) without losing what is being typed.
 */
export class AgreementPanel {
  /**
   * caseId; user: the staff user; tz: their time zone; meta: /meta (for mediation_end_reasons);
   * getCase(): the case view (parties, sessions, status); onCaseChange(): the case changed (outcome);
   * onStatusChange(status): the agreement became final or effective (new PDFs in the case files).
   * @param {{ caseId: string, user: { id: string }, tz: string, meta: any, getCase?: () => any, onCaseChange?: () => any, onStatusChange?: (status: string) => void }} options
   */
  constructor({ caseId, user, tz, meta, getCase = () => null, onCaseChange = () => {}, onStatusChange = () => {} }) {
    this.caseId = caseId;
    this.user = user;
    this.tz = tz;
    this.meta = meta;
    this.getCase = getCase;
    this.onCaseChange = onCaseChange;
    this.onStatusChange = onStatusChange;
    this.status = 'loading'; // loading | ready | error
    this.error = null;
    this.view = null; // the agreement view, or null when there is none yet
    /** @type {Content | null} the editor's content */
    this.draft = null;
    this.basedOn = null; // the version the draft was loaded from
    this.dirty = false;
    this.editorRev = 0;
    this.saveMessage = null; // {kind, text}
    this.diff = null; // last compare answer
    /** @type {{ from: number, to: number, auto: boolean } | null} */
    this.compare = null;
    // The mediator's keys and signature (signing/staff-key.js).
    this.signer = new StaffSigner({ userId: () => this.user.id, onChange: () => this.render() });
    this.pollTimer = null;
    this.el = h('section', { id: 'agreement', class: 'card agr-panel', 'aria-labelledby': 'agreement-title', dataset: { testid: 'agreement-panel' } });
    this.head = h('div', { class: 'agr-head' });
    this.body = h('div', { class: 'agr-body' });
    this.el.append(this.head, this.body);
    this.hosts = {};
    onLangChange(() => this.render(true));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.poll();
    });
    this.render();
  }

  // ---------------------------------------------------------------- loading

  async load() {
    try {
      const data = await api.getAgreement(this.caseId);
      this.setView(data ? data.agreement : null);
      this.status = 'ready';
      this.error = null;
    } catch (err) {
      if (this.status !== 'ready') {
        this.status = 'error';
        this.error = err;
      }
    }
    this.render();
    this.schedulePoll();
  }

  schedulePoll() {
    clearTimeout(this.pollTimer);
    if (!this.view || this.view.status === 'effective') return;
    this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }

  /** Look again while the page is visible (parties comment and sign meanwhile). */
  async poll() {
    clearTimeout(this.pollTimer);
    if (document.visibilityState !== 'visible' || this.status !== 'ready' || this.signer.busy) {
      this.schedulePoll();
      return;
    }
    try {
      const data = await api.getAgreement(this.caseId);
      this.setView(data ? data.agreement : null);
      this.render();
    } catch {
      /* try again later */
    }
    this.schedulePoll();
  }

  /** Take a new view; the editor follows the latest version unless it holds unsaved changes. */
  setView(view) {
    const before = this.view;
    this.view = view;
    if (!view) return;
    if (!this.draft || !before || before.id !== view.id || (!this.dirty && view.latest_version !== this.basedOn)) {
      this.draft = cloneContent(view.content);
      this.basedOn = view.latest_version;
      this.dirty = false;
      this.editorRev += 1;
      this.saveMessage = null;
    }
    // The compare choice follows the latest version until the mediator picks versions themselves.
    if (!this.compare || this.compare.to > view.latest_version || (this.compare.auto && this.compare.to !== view.latest_version)) {
      this.compare = { from: Math.max(1, view.latest_version - 1), to: view.latest_version, auto: true };
    }
    if (before && before.status !== view.status) this.onStatusChange(view.status);
  }

  // ---------------------------------------------------------------- drawing

  /** Redraw a part of the panel only when what it shows changed (`key`), or when forced. */
  part(name, key, build) {
    let host = this.hosts[name];
    if (!host) {
      host = h('div', { class: `agr-part agr-part-${name}` });
      this.hosts[name] = host;
    }
    const drawn = JSON.stringify([key, getLang()]);
    if (host.dataset.drawn !== drawn || this.forcing) {
      host.dataset.drawn = drawn;
      replace(host, build());
    }
    return host;
  }

  render(force = false) {
    const snap = force ? snapshotInputs(this.el) : null;
    const focusedId = force && document.activeElement && this.el.contains(document.activeElement) ? document.activeElement.id : null;
    this.forcing = force;
    try {
      this.renderHead();
      const parts = this.parts();
      // Keep the hosts (and what is typed in them) when the same parts stay on the page.
      const same = parts.length === this.body.children.length && parts.every((p, i) => this.body.children[i] === p);
      if (!same) replace(this.body, parts);
    } finally {
      this.forcing = false;
    }
    if (snap) restoreInputs(this.el, snap);
    if (focusedId) document.getElementById(focusedId)?.focus();
  }

  renderHead() {
    const v = this.view;
    replace(
      this.head,
      h(
        'h2',
        { id: 'agreement-title' },
        t('agr.title'),
        ' ',
        v ? badge(tv('agr.status', v.status), v.status === 'effective' ? 'ok' : v.status === 'final' ? 'warn' : '') : null,
      ),
    );
  }

  parts() {
    if (this.status === 'loading') return [this.part('state', 'loading', () => loadingState())];
    if (this.status === 'error') return [this.part('state', ['error', errorMessage(this.error)], () => errorState(this.error, () => this.load()))];
    const v = this.view;
    const kase = this.getCase();
    const out = [];
    if (!v) {
      // A closed case (e.g. mediation did not succeed) gets no new agreement.
      if (!kase || kase.status === 'open') out.push(this.part('create', 'create', () => this.createBox()));
    } else {
      if (v.status === 'effective') out.push(this.part('seal', [v.verify_code, v.sealed_at, v.pdf], () => this.sealBox()));
      if (v.status === 'drafting') out.push(this.part('editor', [v.id, this.editorRev], () => this.editor()));
      else out.push(this.part('final', [v.final_version, v.text_sha256, v.deadline, v.pdf], () => this.finalBox()));
      if (v.status !== 'drafting') {
        const signers = v.signers || [];
        out.push(this.part('signers', signers, () => this.signersBox()));
      }
      if (v.status === 'final') {
        const g = this.signer;
        out.push(this.part('sign', [g.keys, g.choice, g.busy, g.message, this.partiesSigned(), Boolean(this.mySigner()?.signed_at)], () => this.signBox()));
      }
      out.push(this.part('versions', [v.versions, this.compare, this.diff], () => this.versionsBox()));
      out.push(this.part('comments', [v.comments, v.status, v.clauses], () => this.commentsBox()));
      if (v.status === 'drafting') out.push(this.part('declare', [v.latest_version], () => this.declareBox()));
    }
    const reasons = (this.meta && this.meta.mediation_end_reasons) || [];
    const open = !kase || kase.status === 'open';
    if (!(v && v.status === 'effective') && ((open && reasons.length) || (kase && kase.status === 'failed'))) {
      out.push(this.part('outcome', [kase && kase.status, reasons], () => this.outcomeBox()));
    }
    return out;
  }

  // ---------------------------------------------------------------- creating

  latestSessionId() {
    const kase = this.getCase();
    const sessions = ((kase && kase.sessions) || []).filter((s) => s.status !== 'cancelled');
    const now = new Date().toISOString();
    const started = sessions.filter((s) => s.starts_at <= now).sort((a, b) => b.starts_at.localeCompare(a.starts_at));
    const pick = started[0] || sessions.sort((a, b) => a.starts_at.localeCompare(b.starts_at))[0];
    return pick ? pick.id : null;
  }

  createBox() {
    const button = h('button', { type: 'button', class: 'primary', dataset: { testid: 'agr-create' } }, t('agr.create'));
    const msg = h('div', { class: 'form-message', role: 'alert', hidden: true });
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = t('agr.creating');
      try {
        const sessionId = this.latestSessionId();
        const data = await api.createAgreement(this.caseId, sessionId ? { session_id: sessionId } : {});
        this.setView(data.agreement);
        toast(t('agr.created'));
      } catch (err) {
        if (err.status === 409) {
          await this.load();
          return;
        }
        msg.hidden = false;
        msg.className = 'form-message error';
        msg.textContent = errorMessage(err);
        button.disabled = false;
        button.textContent = t('agr.create');
        return;
      }
      this.render();
      this.schedulePoll();
      document.getElementById('agr-facts')?.focus();
    });
    return h('div', { class: 'agr-create' }, h('p', null, t('agr.none')), msg, h('div', { class: 'actions' }, button));
  }

  // ---------------------------------------------------------------- editing

  markDirty() {
    if (this.dirty) return;
    this.dirty = true;
    const note = this.el.querySelector('[data-testid="agr-unsaved"]');
    if (note) note.hidden = false;
  }

  /**
   * A labelled textarea or input bound to `get`/`set` of the draft.
   * @param {{ id: string, label: string, value: string, set: (value: string) => void, kind?: string, rows?: number, max?: number, hint?: string, attrs?: Record<string, any> }} options
   */
  input({ id, label, value, set, kind = 'textarea', rows = 3, max = TERM_MAX, hint, attrs = {} }) {
    const hintId = hint ? `${id}-hint` : null;
    // Tall enough for what is there already (about 40 characters a line), within reason.
    const lines = Math.min(12, Math.max(rows, Math.ceil(String(value || '').length / 40) + 1));
    const control =
      kind === 'textarea'
        ? h('textarea', { id, name: attrs.name || id, rows: lines, maxlength: max, 'aria-describedby': hintId, ...attrs })
        : h('input', { id, name: attrs.name || id, type: 'text', maxlength: max, 'aria-describedby': hintId, ...attrs });
    control.value = value;
    control.addEventListener('input', () => {
      set(control.value);
      this.markDirty();
    });
    return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
  }

  /** Redraw the editor after a change of its shape (terms added, moved, removed; a proposal adopted). */
  reshape(focusId) {
    this.editorRev += 1;
    this.markDirty();
    this.render();
    if (focusId) document.getElementById(focusId)?.focus();
  }

  /** The draft being edited: the editor and its checks run only while there is one. */
  get editing() {
    return /** @type {Content} */ (this.draft);
  }

  termBox(term, i, count) {
    const n = i + 1;
    const move = (to, why) => {
      const [x] = this.editing.terms.splice(i, 1);
      this.editing.terms.splice(to, 0, x);
      this.reshape(`agr-term-${to}-${why}`);
    };
    return h(
      'fieldset',
      { class: 'agr-term', dataset: { testid: 'agr-term', index: String(i) } },
      h('legend', null, t('agr.term.n', { n })),
      this.input({ id: `agr-term-${i}-text`, label: t('agr.term.text'), value: term.text, set: (v) => (term.text = v), rows: 3, attrs: { name: `terms.${i}.text`, required: true } }),
      h(
        'div',
        { class: 'agr-term-row' },
        this.input({ id: `agr-term-${i}-performance`, label: t('agr.term.performance'), value: term.performance, set: (v) => (term.performance = v), kind: 'input', attrs: { name: `terms.${i}.performance` } }),
        this.input({ id: `agr-term-${i}-due`, label: t('agr.term.due'), value: term.due, set: (v) => (term.due = v), kind: 'input', attrs: { name: `terms.${i}.due`, placeholder: t('agr.term.due.placeholder') } }),
      ),
      h(
        'div',
        { class: 'actions agr-term-actions' },
        h('button', { type: 'button', id: `agr-term-${i}-up`, class: 'secondary small-btn', disabled: i === 0, 'aria-label': t('agr.term.up.label', { n }), onclick: () => move(i - 1, 'up') }, `↑ ${t('agr.term.up')}`),
        h('button', { type: 'button', id: `agr-term-${i}-down`, class: 'secondary small-btn', disabled: i === count - 1, 'aria-label': t('agr.term.down.label', { n }), onclick: () => move(i + 1, 'down') }, `↓ ${t('agr.term.down')}`),
        h(
          'button',
          {
            type: 'button',
            id: `agr-term-${i}-remove`,
            class: 'danger-outline small-btn',
            disabled: count <= 1,
            'aria-label': t('agr.term.remove.label', { n }),
            onclick: () => {
              this.editing.terms.splice(i, 1);
              const next = Math.min(i, this.editing.terms.length - 1);
              this.reshape(`agr-term-${next}-text`);
            },
          },
          `✕ ${t('agr.term.remove')}`,
        ),
      ),
    );
  }

  editor() {
    const d = this.editing;
    const v = this.view;
    const form = h(
      'form',
      { class: 'agr-editor', novalidate: true, 'aria-labelledby': 'agr-editor-title', dataset: { testid: 'agr-editor' } },
      h('h3', { id: 'agr-editor-title' }, t('agr.editor.title', { n: this.basedOn })),
      h('p', { class: 'muted' }, t('agr.editor.intro')),
      h('div', { class: 'form-message', role: 'alert', hidden: true }),
      this.saveMessage ? h('p', { class: 'form-message success', role: 'status', tabindex: '-1', dataset: { testid: 'agr-saved' } }, this.saveMessage) : null,
      this.input({ id: 'agr-facts', label: t('agr.facts'), value: d.facts, set: (x) => (d.facts = x), rows: 5, max: TEXT_MAX, attrs: { name: 'facts' } }),
      h(
        'fieldset',
        { class: 'agr-terms' },
        h('legend', null, t('agr.terms')),
        h('p', { class: 'hint' }, t('agr.terms.hint', { max: MAX_TERMS })),
        d.terms.map((term, i) => this.termBox(term, i, d.terms.length)),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            disabled: d.terms.length >= MAX_TERMS,
            dataset: { testid: 'agr-term-add' },
            onclick: () => {
              d.terms.push(emptyTerm());
              this.reshape(`agr-term-${d.terms.length - 1}-text`);
            },
          },
          `+ ${t('agr.term.add')}`,
        ),
      ),
      this.input({ id: 'agr-effect', label: t('agr.effect'), value: d.effect, set: (x) => (d.effect = x), rows: 3, max: TEXT_MAX, attrs: { name: 'effect' } }),
      h(
        'div',
        { class: 'field agr-copies' },
        h('label', { for: 'agr-copies' }, t('agr.copies')),
        (() => {
          const c = h('input', { id: 'agr-copies', name: 'copies', type: 'number', min: 1, max: 10, step: 1, inputmode: 'numeric', 'aria-describedby': 'agr-copies-hint' });
          c.value = String(d.copies);
          c.addEventListener('input', () => {
            d.copies = Number(c.value);
            this.markDirty();
          });
          return c;
        })(),
        h('p', { class: 'hint', id: 'agr-copies-hint' }, t('agr.copies.hint')),
      ),
      this.input({ id: 'agr-other', label: t('agr.other'), value: d.other, set: (x) => (d.other = x), rows: 3, max: TEXT_MAX, attrs: { name: 'other' }, hint: t('agr.other.hint') }),
      h('p', { class: 'agr-unsaved', role: 'status', hidden: !this.dirty, dataset: { testid: 'agr-unsaved' } }, t('agr.unsaved')),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'primary', dataset: { testid: 'agr-save' } }, t('agr.save')),
        h('span', { class: 'muted' }, t('agr.save.hint', { n: v.latest_version + 1 })),
      ),
      h('details', { class: 'agr-preview' }, h('summary', null, t('agr.preview', { n: v.latest_version })), agreementText(v, { testid: 'agr-preview-text' })),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.save(form);
    });
    return form;
  }

  /** Check the draft against the contract's limits; marks the fields; true when it is fine. */
  checkDraft(form) {
    const d = this.editing;
    let bad = false;
    if (!d.facts.trim()) bad = setFieldError(form, 'facts', t('error.field.required')) || bad;
    d.terms.forEach((term, i) => {
      if (!term.text.trim()) bad = setFieldError(form, `terms.${i}.text`, t('agr.term.text.required')) || bad;
    });
    if (!d.effect.trim()) bad = setFieldError(form, 'effect', t('error.field.required')) || bad;
    if (!Number.isInteger(d.copies) || d.copies < 1 || d.copies > 10) bad = setFieldError(form, 'copies', t('agr.copies.hint')) || bad;
    if (bad) {
      formMessage(form, t('error.invalid_input'));
      form.querySelector('[aria-invalid="true"]')?.focus();
    }
    return !bad;
  }

  content() {
    const d = this.editing;
    return {
      facts: d.facts.trim(),
      terms: d.terms.map((x) => ({ text: x.text.trim(), performance: x.performance.trim(), due: x.due.trim() })),
      effect: d.effect.trim(),
      copies: d.copies,
      other: d.other.trim(),
    };
  }

  async save(form) {
    clearFormErrors(form);
    if (!this.checkDraft(form)) return;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    button.textContent = t('common.saving');
    try {
      const data = await api.saveAgreementVersion(this.caseId, this.content(), this.basedOn);
      this.dirty = false;
      this.draft = null;
      this.setView(data.agreement);
      this.diff = null;
      this.saveMessage = t('agr.saved', { n: data.agreement.latest_version });
      this.render();
      this.el.querySelector('[data-testid="agr-saved"]')?.focus();
    } catch (err) {
      button.disabled = false;
      button.textContent = t('agr.save');
      const reason = reasonOf(err);
      if (err.status === 409 && reason === 'stale') {
        // Someone else saved meanwhile: show theirs (the unsaved changes are not kept).
        this.dirty = false;
        this.draft = null;
        await this.load();
        const f = this.el.querySelector('[data-testid="agr-editor"]');
        if (f) {
          formMessage(f, t('agr.stale', { n: this.view.latest_version }), 'error');
          f.querySelector('.form-message').dataset.testid = 'agr-stale';
          f.querySelector('.form-message').focus?.();
        }
        return;
      }
      if (err.status === 409 && reason === 'final') {
        await this.load();
        toast(t('agr.already_final'), 'info', 7000);
        return;
      }
      const fields = (err.fields || []).map((f) => ({ ...f, field: String(f.field).replace(/^(body\.)?content\./, '') }));
      clearFormErrors(form);
      const unmatched = [];
      for (const f of fields) if (!setFieldError(form, f.field, fieldMessage(f))) unmatched.push(fieldMessage(f));
      formMessage(form, [errorMessage(err), ...unmatched].join(' '), 'error');
      form.querySelector('[aria-invalid="true"]')?.focus();
    }
  }

  /** Copy a party's proposed wording into the editor field of its clause. */
  adopt(comment) {
    const d = this.editing;
    const m = /^term-(\d+)$/.exec(comment.clause);
    let target = null;
    if (m && d.terms[Number(m[1]) - 1]) {
      d.terms[Number(m[1]) - 1].text = comment.proposal;
      target = `agr-term-${Number(m[1]) - 1}-text`;
    } else if (['facts', 'effect', 'other'].includes(comment.clause)) {
      d[comment.clause] = comment.proposal;
      target = `agr-${comment.clause}`;
    }
    if (!target) {
      toast(t('agr.adopt.none'), 'info', 6000);
      return;
    }
    this.reshape(target);
    const el = document.getElementById(target);
    if (el) el.scrollIntoView({ block: 'center' });
    toast(t('agr.adopted', { clause: clauseName(this.view, comment.clause) }), 'success', 6000);
  }

  // ---------------------------------------------------------------- versions and compare

  versionsBox() {
    const v = this.view;
    const versions = [...(v.versions || [])].sort((a, b) => b.number - a.number);
    // Set whenever the view is (a first compare: the latest two versions).
    const compare = /** @type {{ from: number, to: number }} */ (this.compare);
    const options = versions.map((x) => ({ value: String(x.number), label: t('agr.version.n', { n: x.number }) }));
    const select = (name, value, label) => {
      const id = `agr-cmp-${name}`;
      const s = h('select', { id, name }, options.map((o) => h('option', { value: o.value }, o.label)));
      s.value = String(value);
      return h('div', { class: 'field' }, h('label', { for: id }, label), s);
    };
    const form = h(
      'form',
      { class: 'agr-compare', novalidate: true, 'aria-label': t('agr.compare.title') },
      select('from', compare.from, t('agr.compare.from')),
      select('to', compare.to, t('agr.compare.to')),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary', disabled: versions.length < 2, dataset: { testid: 'agr-compare' } }, t('agr.compare'))),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const from = Number(form.elements.from.value);
      const to = Number(form.elements.to.value);
      this.compare = { from, to, auto: false };
      try {
        this.diff = await api.agreementDiff(this.caseId, from, to);
      } catch (err) {
        toast(errorMessage(err), 'error', 7000);
        return;
      }
      this.render();
      this.el.querySelector('[data-testid="agr-diff"]')?.focus();
    });
    return h(
      'div',
      { class: 'agr-versions' },
      h('h3', null, t('agr.versions')),
      h(
        'ol',
        { class: 'agr-version-list', reversed: true, dataset: { testid: 'agr-versions' } },
        versions.map((x) =>
          h(
            'li',
            { dataset: { testid: 'agr-version', number: String(x.number) } },
            h('strong', null, t('agr.version.n', { n: x.number })),
            ' ',
            h('span', { class: 'muted' }, [x.author, x.created_at ? fmtShortDateTime(x.created_at, this.tz) : null].filter(Boolean).join(' · ')),
            x.final ? [' ', badge(t('agr.version.final'), 'warn')] : null,
            x.number === v.latest_version && !x.final ? [' ', badge(t('agr.version.latest'), 'muted')] : null,
          ),
        ),
      ),
      versions.length >= 2 ? form : h('p', { class: 'muted' }, t('agr.compare.one')),
      this.diff ? diffView(this.diff) : null,
    );
  }

  // ---------------------------------------------------------------- comments

  commentsBox() {
    const v = this.view;
    const comments = [...(v.comments || [])].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    const drafting = v.status === 'drafting';
    return h(
      'div',
      { class: 'agr-comments' },
      h('h3', null, t('agr.comments')),
      comments.length
        ? h(
            'ul',
            { class: 'agr-comment-list', dataset: { testid: 'agr-comments' } },
            comments.map((c) => {
              const who = c.author ? (c.author.role ? t('paren', { a: c.author.name, b: tv('partyrole', c.author.role) }) : c.author.name) : '';
              const clause = clauseName(v, c.clause);
              return h(
                'li',
                { class: 'agr-comment', dataset: { testid: 'agr-comment', clause: c.clause } },
                h(
                  'p',
                  { class: 'agr-comment-head' },
                  h('strong', null, who),
                  ' ',
                  badge(clause, 'muted'),
                  ' ',
                  h('span', { class: 'muted small' }, [t('agr.version.n', { n: c.version }), c.created_at ? fmtShortDateTime(c.created_at, this.tz) : null].filter(Boolean).join(' · ')),
                ),
                c.text ? h('p', { class: 'agr-comment-text' }, c.text) : null,
                c.proposal
                  ? h(
                      'div',
                      { class: 'agr-proposal' },
                      h('p', { class: 'agr-proposal-label' }, t('agr.proposal')),
                      h('p', { class: 'agr-proposal-text', dataset: { testid: 'agr-proposal' } }, c.proposal),
                      drafting
                        ? h(
                            'button',
                            {
                              type: 'button',
                              class: 'secondary small-btn',
                              'aria-label': t('agr.adopt.label', { clause, name: c.author ? c.author.name : '' }),
                              dataset: { testid: 'agr-adopt' },
                              onclick: () => this.adopt(c),
                            },
                            t('agr.adopt'),
                          )
                        : null,
                    )
                  : null,
              );
            }),
          )
        : emptyState(t('agr.comments.none')),
    );
  }

  // ---------------------------------------------------------------- final

  declareBox() {
    const v = this.view;
    const date = addDays(todayIn(this.tz), 7);
    const form = h(
      'form',
      { class: 'agr-declare grid-form', novalidate: true, 'aria-labelledby': 'agr-declare-title', dataset: { testid: 'agr-declare-form' } },
      h('h3', { id: 'agr-declare-title', class: 'wide' }, t('agr.declare.title')),
      h('p', { class: 'wide muted' }, t('agr.declare.intro')),
      h('div', { class: 'form-message', role: 'alert', hidden: true }),
      h('div', { class: 'field' }, h('label', { for: 'agr-deadline-date' }, t('agr.deadline.date')), h('input', { id: 'agr-deadline-date', name: 'date', type: 'date', required: true, min: todayIn(this.tz), value: date })),
      h('div', { class: 'field' }, h('label', { for: 'agr-deadline-time' }, t('agr.deadline.time')), h('input', { id: 'agr-deadline-time', name: 'time', type: 'time', required: true, step: 300, value: '18:00' })),
      h(
        'div',
        { class: 'actions wide' },
        h('button', { type: 'submit', class: 'primary', dataset: { testid: 'agr-declare' } }, t('agr.declare', { n: v.latest_version })),
      ),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearFormErrors(form);
      const f = form.elements;
      if (this.dirty) {
        formMessage(form, t('agr.declare.unsaved'));
        return;
      }
      let bad = false;
      if (!f.date.value) bad = setFieldError(form, 'date', t('error.field.required')) || bad;
      if (!f.time.value) bad = setFieldError(form, 'time', t('error.field.required')) || bad;
      const deadline = bad ? null : localToIso(f.date.value, f.time.value, this.tz);
      if (deadline && Date.parse(deadline) <= Date.now()) bad = setFieldError(form, 'date', t('agr.deadline.past')) || bad;
      if (bad) {
        formMessage(form, t('error.invalid_input'));
        form.querySelector('[aria-invalid="true"]')?.focus();
        return;
      }
      const n = this.view.latest_version;
      const ok = await confirmDialog({
        title: t('agr.declare.confirm.title', { n }),
        message: t('agr.declare.confirm.text', { time: fmtDateTime(/** @type {string} */ (deadline), this.tz) }),
        confirmLabel: t('agr.declare.confirm.ok'),
      });
      if (!ok.ok) return;
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const data = await api.declareAgreementFinal(this.caseId, n, deadline);
        this.setView(data.agreement);
        toast(t('agr.declared'));
        this.render();
        this.signer.load();
        this.el.querySelector('[data-testid="agr-final"] h3')?.focus();
      } catch (err) {
        button.disabled = false;
        if (err.status === 409 && reasonOf(err) === 'stale') {
          await this.load();
          formMessage(form, t('agr.stale', { n: this.view.latest_version }));
          return;
        }
        const fields = (err.fields || []).map((x) => ({ ...x, field: x.field === 'deadline' ? 'date' : x.field }));
        clearFormErrors(form);
        for (const x of fields) setFieldError(form, x.field, x.reason);
        formMessage(form, errorMessage(err));
      }
    });
    return form;
  }

  deadlinePassed() {
    const v = this.view;
    return Boolean(v && v.deadline && Date.parse(v.deadline) <= Date.now());
  }

  finalBox() {
    const v = this.view;
    const pdf = v.pdf || {};
    return h(
      'div',
      { class: 'agr-final', dataset: { testid: 'agr-final' } },
      h('h3', { tabindex: '-1' }, t('agr.final.title', { n: v.final_version })),
      v.deadline && v.status === 'final'
        ? h(
            'p',
            { class: ['agr-deadline', this.deadlinePassed() && 'passed'], dataset: { testid: 'agr-deadline' } },
            this.deadlinePassed() ? t('agr.deadline.passed', { time: fmtDateTime(v.deadline, this.tz) }) : t('agr.deadline.until', { time: fmtDateTime(v.deadline, this.tz) }),
          )
        : null,
      h('details', { class: 'agr-preview' }, h('summary', null, t('agr.final.text')), agreementText(v)),
      pdf.agreement && v.status !== 'effective'
        ? h('div', { class: 'actions' }, h('a', { class: 'button secondary', href: pdf.agreement, download: '', dataset: { testid: 'agr-pdf' } }, t('agr.pdf.agreement')))
        : null,
      v.pdf_sha256 ? h('p', { class: 'muted small agr-hash' }, t('agr.pdf.sha'), ' ', h('code', null, v.pdf_sha256)) : null,
    );
  }

  signersBox() {
    return h('div', { class: 'agr-signers-box' }, h('h3', null, t('agr.signers')), signerList(this.view, this.tz));
  }

  partiesSigned() {
    return ((this.view && this.view.signers) || []).filter((s) => s.kind === 'party').every((s) => s.signed_at);
  }

  mySigner() {
    return ((this.view && this.view.signers) || []).find((s) => s.kind === 'staff');
  }

  // ---------------------------------------------------------------- the mediator's signature

  signBox() {
    const mine = this.mySigner();
    if (mine && mine.signed_at) return null;
    const g = this.signer;
    if (g.keys === null) {
      g.load();
      return loadingState();
    }
    const ready = this.partiesSigned() && !this.deadlinePassed();
    return h(
      'div',
      { class: 'agr-sign', dataset: { testid: 'agr-sign-box' } },
      h('h3', null, t('agr.sign.title')),
      h('p', { class: 'muted' }, ready ? t('agr.sign.ready') : this.deadlinePassed() ? t('agr.sign.closed') : t('agr.sign.wait')),
      g.choices({ name: 'agr-key', testid: 'agr-key', none: h('p', { dataset: { testid: 'agr-no-key' } }, t('agr.key.none')), tz: this.tz }),
      g.messageLine({ testid: 'agr-sign-message' }),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { type: 'button', class: 'primary', disabled: !ready || !g.choice || g.busy, onclick: () => this.sign(), dataset: { testid: 'agr-sign' } },
          g.busy ? t('agr.sign.busy') : t('agr.sign'),
        ),
        h('button', { type: 'button', class: 'secondary', disabled: g.busy, onclick: () => this.registerDeviceKey(), dataset: { testid: 'agr-key-register' } }, t('agr.key.register')),
      ),
      h('p', { class: 'hint' }, t('agr.key.register.hint')),
    );
  }

  /** Make a device key in this browser and register it on the account. */
  async registerDeviceKey() {
    await this.signer.register();
    this.el.querySelector('[data-testid="agr-sign"]')?.focus();
  }

  async sign() {
    const g = this.signer;
    const key = g.chosen();
    if (!key || g.busy) return;
    const ok = await confirmDialog({ title: t('agr.sign.confirm.title'), message: t('agr.sign.confirm.text', { n: this.view.final_version }), confirmLabel: t('agr.sign') });
    if (!ok.ok) return;
    const done = await g.sign({
      caseId: this.caseId,
      key,
      prepare: () => api.prepareAgreementSignature(this.caseId, key.key_id),
      apiText: (err) => (reasonOf(err) === 'deadline' ? t('agr.sign.closed') : errorMessage(err)),
    });
    if (done) toast(t('agr.sign.done'));
    await this.load();
    (this.el.querySelector('[data-testid="agr-seal"] h3') || this.el.querySelector('[data-testid="agr-sign-message"]'))?.focus();
  }
  // ---------------------------------------------------------------- sealed

  sealBox() {
    const v = this.view;
    const pdf = v.pdf || {};
    const code = h('code', { class: 'agr-verify-code', dataset: { testid: 'agr-verify-code' } }, v.verify_code || '');
    const url = v.verify_url || (v.verify_code ? `${location.origin}/v/${encodeURIComponent(v.verify_code)}` : '');
    return h(
      'div',
      { class: 'agr-seal', dataset: { testid: 'agr-seal' } },
      h('h3', { tabindex: '-1' }, `✓ ${t('agr.sealed')}`),
      v.sealed_at ? h('p', null, t('agr.sealed.at', { time: fmtDateTime(v.sealed_at, this.tz) })) : null,
      v.verify_code
        ? h(
            'div',
            { class: 'agr-verify' },
            h('p', { class: 'agr-verify-label' }, t('agr.verify.code')),
            h('p', { class: 'agr-verify-line' }, code, ' ', copyButton({ sourceEl: code, getText: () => v.verify_code, ariaLabel: t('agr.verify.copy') })),
            url ? h('p', null, t('agr.verify.url'), ' ', h('a', { href: url, target: '_blank', rel: 'noopener', dataset: { testid: 'agr-verify-url' } }, url)) : null,
          )
        : null,
      h(
        'div',
        { class: 'actions' },
        pdf.signed ? h('a', { class: 'button primary', href: pdf.signed, download: '', dataset: { testid: 'agr-pdf-signed' } }, t('agr.pdf.signed')) : null,
        pdf.agreement ? h('a', { class: 'button secondary', href: pdf.agreement, download: '', dataset: { testid: 'agr-pdf' } }, t('agr.pdf.agreement')) : null,
      ),
    );
  }

  // ---------------------------------------------------------------- mediation did not succeed

  outcomeBox() {
    const kase = this.getCase();
    if (kase && kase.status === 'failed') {
      return h('p', { class: 'notice agr-failed', role: 'status', dataset: { testid: 'agr-failed' } }, t('agr.failed.recorded'));
    }
    const reasons = (this.meta && this.meta.mediation_end_reasons) || [];
    const lang = getLang();
    const form = h(
      'form',
      { class: 'agr-outcome-form', novalidate: true },
      h('div', { class: 'form-message', role: 'alert', hidden: true }),
      h('p', { class: 'muted' }, t('agr.failed.intro')),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'agr-fail-reason' }, t('agr.failed.reason')),
        h(
          'select',
          { id: 'agr-fail-reason', name: 'reason', required: true },
          h('option', { value: '' }, t('common.select')),
          reasons.map((r) => h('option', { value: r.code }, lang === 'en' ? r.en || r.zh : r.zh)),
        ),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'agr-fail-note' }, t('agr.failed.note'), h('span', { class: 'optional' }, ` ${t('common.optional')}`)),
        h('textarea', { id: 'agr-fail-note', name: 'note', rows: 3, maxlength: 2000 }),
      ),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger-outline', dataset: { testid: 'agr-fail' } }, t('agr.failed.submit'))),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearFormErrors(form);
      const f = form.elements;
      if (!f.reason.value) {
        setFieldError(form, 'reason', t('error.field.required'));
        formMessage(form, t('error.invalid_input'));
        f.reason.focus();
        return;
      }
      const label = f.reason.options[f.reason.selectedIndex].textContent;
      const ok = await confirmDialog({
        title: t('agr.failed.confirm.title'),
        message: t('agr.failed.confirm.text', { reason: label }),
        confirmLabel: t('agr.failed.confirm.ok'),
        danger: true,
      });
      if (!ok.ok) return;
      try {
        await api.setCaseOutcome(this.caseId, { outcome: 'failed', reason: f.reason.value, note: f.note.value.trim() });
        toast(t('agr.failed.done'));
        await this.onCaseChange();
        this.render();
      } catch (err) {
        showErrors(form, err);
      }
    });
    return h(
      'details',
      { class: 'agr-outcome', dataset: { testid: 'agr-outcome' } },
      h('summary', null, h('h3', null, t('agr.failed.title'))),
      form,
    );
  }
}

function showErrors(form, err) {
  clearFormErrors(form);
  for (const f of err.fields || []) setFieldError(form, f.field, fieldMessage(f));
  formMessage(form, errorMessage(err));
}
