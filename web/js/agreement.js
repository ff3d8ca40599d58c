// @ts-check
// The mediation agreement on the mediator's case page (server/http/AGREEMENT_API.md): create it
// from the template, edit its content (facts, terms, effect clause, copies, other) and save each
// change as a new version, compare any two versions, read the parties' comments and adopt their
// proposed wording, declare a version final with a signing deadline, follow who has signed, sign
// as the mediator with one's own key (bound to the case first), and, once sealed, the PDFs and the
// verification code. Also "mediation did not succeed" (调解不成) with a reason.
//
// The panel is drawn with Preact + htm, as the review page is (pages/review.js): the panel object
// holds the state (the agreement, the draft, what each form says) and draws it all again on every
// change, poll and language switch; Preact changes only what differs, so what is typed, the focus
// and open <details> stay. Every control's value is in the state, never only in the page.
//
// Helpers used by the party's view and the court too (partyagreement.js, pages/court.js):
// DiffView, SignerList, AgreementText, clauseName.

import { html, render } from 'htm/preact';
import * as api from './api.js';
import { t, tv, getLang, onLangChange, fmtDateTime, fmtShortDateTime, partyRole } from './i18n.js';
import './agreement-i18n.js';
import { KINDS, ObligationsPreview, newObligation, obligationForEditor, obligationForServer } from './obligations.js';
import { StaffSigner } from './signing/staff-key.js';
import { PaperSignatures } from './paper-signature.js';
import { MessageLine, reasonOf } from './signing/message.js';
import { addDays, todayIn, localToIso } from './time.js';
import { h, errorMessage, fieldMessage, toast, confirmDialog } from './ui.js';
import { CopyButton } from './ui-preact.js';

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

const badge = (text, kind = '') => html`<span class=${kind ? `badge ${kind}` : 'badge'}>${text}</span>`;
const shortTime = (iso, tz) => (iso ? fmtShortDateTime(iso, tz) : null);

/**
 * A diff answer as lines: added lines green with "+", removed ones struck through in red with
 * "−" (signs and hidden words too, so colour is not the only cue), unchanged lines plain.
 * @param {{ diff: any }} props
 */
export function DiffView({ diff }) {
  const lines = (diff && diff.lines) || [];
  const line = (l) => {
    const text = l.text === '' ? ' ' : l.text;
    return html`<li class=${`agr-diff-line ${l.op}`} data-op=${l.op}>
      <span class="agr-diff-sign" aria-hidden="true">${l.op === 'add' ? '+' : l.op === 'del' ? '−' : ' '}</span>
      ${l.op !== 'same' && html`<span class="sr-only">${l.op === 'add' ? t('agr.diff.added.sr') : t('agr.diff.removed.sr')}</span>`}
      ${l.op === 'add' ? html`<ins>${text}</ins>` : l.op === 'del' ? html`<del>${text}</del>` : html`<span>${text}</span>`}
    </li>`;
  };
  return html`<div class="agr-diff" role="region" tabindex="0" aria-label=${t('agr.diff.label', { from: diff.from, to: diff.to })} data-testid="agr-diff">
    <p class="agr-diff-head">
      <strong>${t('agr.diff.title', { from: diff.from, to: diff.to })}</strong> <span class="agr-diff-key add">+ ${t('agr.diff.added')}</span> <span class="agr-diff-key del">− ${t('agr.diff.removed')}</span>
    </p>
    ${!lines.some((l) => l.op !== 'same') && html`<p class="muted" data-testid="agr-diff-same">${t('agr.diff.same')}</p>`}
    <ol class="agr-diff-lines">${lines.map(line)}</ol>
  </div>`;
}

/**
 * Who must sign and who has: one line per signer with the time and the method.
 * `me`: the viewer, marked "(you)".
 * @param {{ view: any, tz: string, me?: { id: string, kind: string } }} props
 */
export function SignerList({ view, tz, me }) {
  const signer = (s) => {
    const signed = Boolean(s.signed_at);
    const role = s.role === 'mediator' ? tv('role', 'mediator') : tv('partyrole', s.role);
    const state = [
      t('agr.signer.signed', { time: fmtShortDateTime(s.signed_at, tz) }),
      s.method ? ` · ${tv('agr.method', s.method)}` : '',
      s.has_handwriting ? ` · ${t('agr.signer.handwriting')}` : '',
    ];
    return html`<li class=${`agr-signer ${signed ? 'signed' : 'unsigned'}`} data-testid="agr-signer" data-signer-id=${s.id} data-signed=${String(signed)}>
      <span class="agr-signer-mark" aria-hidden="true">${signed ? '✓' : '○'}</span>
      <span class="agr-signer-who"><strong>${s.name}</strong>${t('agr.signer.role', { role })}${me && me.id === s.id && me.kind === s.kind && html`<span class="muted">${` ${t('agr.signer.you')}`}</span>`}</span>
      <span class="agr-signer-state">${signed ? state.join('') : t('agr.signer.unsigned')}</span>
    </li>`;
  };
  return html`<ul class="agr-signers" data-testid="agr-signers">${((view && view.signers) || []).map(signer)}</ul>`;
}

/**
 * The full text as the server composed it (what is signed), in a readable box.
 * @param {{ view: any, testid?: string, label?: string }} props
 */
export function AgreementText({ view, testid = 'agr-text', label }) {
  return html`<div class="agr-text" tabindex="0" role="region" aria-label=${label || t('agr.text.label')} data-testid=${testid}>${view.text || ''}</div>`;
}

/** @returns {{ text: string, performance: string, due: string, obligation: import('./obligations.js').EditedObligation | null }} */
const emptyTerm = () => ({ text: '', performance: '', due: '', obligation: null });

/** @typedef {ReturnType<typeof cloneContent>} Content  the editor's copy of an agreement's content (`copies` as typed) */

function cloneContent(content) {
  const c = content || {};
  const terms = Array.isArray(c.terms) && c.terms.length ? c.terms : [emptyTerm()];
  return {
    facts: c.facts || '',
    terms: terms.map((x) => ({ text: x.text || '', performance: x.performance || '', due: x.due || '', obligation: obligationForEditor(x.obligation) })),
    effect: c.effect || '',
    copies: String(Number(c.copies) || 3),
    other: c.other || '',
  };
}

/**
 * What a form says: a message at its top, and an error per field (by the control's name).
 * @typedef {{ msg: { kind: string, text: string, testid?: string } | null, fields: Record<string, string> }} FormState
 */
/** @returns {FormState} */
const quiet = () => ({ msg: null, fields: {} });

/** The words of a field's error (ui.js's fieldMessage may add a link, for bookings only). */
const words = (m) => (Array.isArray(m) ? m.filter((x) => typeof x === 'string').join('').trim() : m);

/** @param {{ form: FormState }} props */
const FormMessage = ({ form }) =>
  html`<div class=${form.msg ? `form-message ${form.msg.kind}` : 'form-message'} role="alert" hidden=${!form.msg} data-testid=${form.msg?.testid}>${form.msg?.text}</div>`;

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
    this.saved = 0; // the version just saved here, said above the editor
    this.diff = null; // last compare answer
    /** @type {{ from: number, to: number, auto: boolean } | null} */
    this.compare = null;
    /** @type {Record<'create' | 'editor' | 'declare' | 'outcome' | 'filing', FormState>} */
    this.forms = { create: quiet(), editor: quiet(), declare: quiet(), outcome: quiet(), filing: quiet() };
    this.busy = { create: false, save: false, declare: false };
    /** @type {{ date: string, time: string } | null} the signing deadline being chosen */
    this.deadline = null;
    this.outcome = { reason: '', note: '', party_id: '' };
    /** The package for a court's online filing (在线调解规则 art. 21), and the file once made. */
    this.filing = { applicant_id: '', consent: '', cost_behaviour: '', court_notes: '' };
    /** @type {{ url: string, filename: string } | null} */
    this.filed = null;
    // The mediator's keys and signature (signing/staff-key.js); asked for once the agreement is final.
    this.signer = new StaffSigner({ userId: () => this.user.id, onChange: () => this.render() });
    this.keysAsked = false;
    // Parties who sign on paper (#25): read to, then attested with the same key.
    this.paper = new PaperSignatures({ caseId, signer: this.signer, onChange: () => this.render(), reload: () => this.load() });
    this.pollTimer = null;
    this.el = h('section', { id: 'agreement', class: 'card agr-panel', 'aria-labelledby': 'agreement-title', dataset: { testid: 'agreement-panel' } });
    onLangChange(() => this.render());
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
    if (document.visibilityState !== 'visible' || this.status !== 'ready' || this.signer.busy || this.paper.busyFor) {
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
      this.saved = 0;
      this.forms.editor = quiet();
    }
    // The compare choice follows the latest version until the mediator picks versions themselves.
    if (!this.compare || this.compare.to > view.latest_version || (this.compare.auto && this.compare.to !== view.latest_version)) {
      this.compare = { from: Math.max(1, view.latest_version - 1), to: view.latest_version, auto: true };
    }
    if (before && before.status !== view.status) this.onStatusChange(view.status);
  }

  // ---------------------------------------------------------------- drawing

  /** Draw the panel as the state now is (Preact changes only what differs). */
  render() {
    const v = this.view;
    const status = v && html` ${badge(tv('agr.status', v.status), v.status === 'effective' ? 'ok' : v.status === 'final' ? 'warn' : '')}`;
    render(
      html`<div class="agr-head"><h2 id="agreement-title">${t('agr.title')}${status}</h2></div>
        <div class="agr-body">${this.parts().map(([name, part]) => html`<div key=${name} class=${`agr-part agr-part-${name}`}>${part}</div>`)}</div>`,
      this.el,
    );
  }

  /** The parts of the panel now, each with its name. @returns {[string, any][]} */
  parts() {
    if (this.status === 'loading') return [['state', html`<p class="loading" role="status">${t('common.loading')}</p>`]];
    if (this.status === 'error') {
      return [
        [
          'state',
          html`<div class="error-box" role="alert">
            <p>${t('error.load', { message: errorMessage(this.error) })}</p>
            <button type="button" class="secondary" onClick=${() => this.load()}>${t('common.retry')}</button>
          </div>`,
        ],
      ];
    }
    const v = this.view;
    const kase = this.getCase();
    /** @type {[string, any][]} */
    const out = [];
    if (!v) {
      // A closed case (e.g. mediation did not succeed) gets no new agreement.
      if (!kase || kase.status === 'open') out.push(['create', this.createBox()]);
    } else {
      if (v.status === 'effective') out.push(['seal', this.sealBox()]);
      if (v.status === 'drafting') out.push(['editor', this.editor()]);
      else out.push(['final', this.finalBox()], ['signers', html`<div class="agr-signers-box"><h3>${t('agr.signers')}</h3><${SignerList} view=${v} tz=${this.tz} /></div>`]);
      if (v.status === 'final') out.push(['paper', this.paper.box(v)], ['sign', this.signBox()]);
      out.push(['versions', this.versionsBox()], ['comments', this.commentsBox()]);
      if (v.status === 'drafting') out.push(['declare', this.declareBox()]);
    }
    const reasons = (this.meta && this.meta.mediation_end_reasons) || [];
    const open = !kase || kase.status === 'open';
    if (!(v && v.status === 'effective') && ((open && reasons.length) || (kase && kase.status === 'failed'))) out.push(['outcome', this.outcomeBox()]);
    return out;
  }

  /**
   * Say `text` at the top of form `name` (an error unless `kind` says otherwise), with an error per
   * field; the first field in error takes focus.
   * @param {HTMLFormElement | null} form @param {'create' | 'editor' | 'declare' | 'outcome' | 'filing'} name
   * @param {string} text @param {Record<string, string>} [fields] @param {string} [kind] @param {string} [testid]
   */
  say(form, name, text, fields = {}, kind = 'error', testid = undefined) {
    this.forms[name] = { msg: text ? { kind, text, testid } : null, fields };
    this.render();
    /** @type {HTMLElement | null | undefined} */ (form?.querySelector('[aria-invalid="true"]'))?.focus();
  }

  /** Say an API error on a form: on its fields where they are in it (`rename`: the API's name to the form's). */
  sayError(form, name, err, rename = (/** @type {string} */ f) => f) {
    /** @type {Record<string, string>} */
    const fields = {};
    const unmatched = [];
    for (const f of err.fields || []) {
      const field = rename(String(f.field));
      if (form && form.elements.namedItem(field)) fields[field] = words(fieldMessage(f));
      else unmatched.push(words(fieldMessage(f)));
    }
    this.say(form, name, [errorMessage(err), ...unmatched].join(' '), fields);
  }

  /**
   * A labelled control of form `form` with its hint and its error, both in its aria-describedby
   * (`wrap`: a class for the wrapper, besides "field").
   * @param {'editor' | 'declare' | 'outcome' | 'filing'} form
   * @param {{ id: string, name?: string, label: any, tag?: string, hint?: string, wrap?: string, children?: any, [attr: string]: any }} spec
   */
  field(form, { id, name = id, label, tag = 'input', hint = '', wrap = '', children, ...attrs }) {
    const error = this.forms[form].fields[name];
    const describedBy = [hint && `${id}-hint`, error && `${id}-err`].filter(Boolean).join(' ') || undefined;
    return html`<div class=${wrap ? `field ${wrap}` : 'field'}>
      <label for=${id}>${label}</label>
      <${tag} id=${id} name=${name} aria-describedby=${describedBy} aria-invalid=${error ? 'true' : undefined} ...${attrs}>${children}<//>
      ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
      ${error && html`<p class="field-error" id=${`${id}-err`}>${error}</p>`}
    </div>`;
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

  async create() {
    this.busy.create = true;
    this.say(null, 'create', '');
    try {
      const sessionId = this.latestSessionId();
      const data = await api.createAgreement(this.caseId, sessionId ? { session_id: sessionId } : {});
      this.setView(data.agreement);
      toast(t('agr.created'));
    } catch (err) {
      this.busy.create = false;
      if (err.status === 409) await this.load();
      else this.say(null, 'create', errorMessage(err));
      return;
    }
    this.busy.create = false;
    this.render();
    this.schedulePoll();
    document.getElementById('agr-facts')?.focus();
  }

  createBox() {
    const busy = this.busy.create;
    return html`<div class="agr-create">
      <p>${t('agr.none')}</p>
      <${FormMessage} form=${this.forms.create} />
      <div class="actions">
        <button type="button" class="primary" data-testid="agr-create" disabled=${busy} onClick=${() => this.create()}>${busy ? t('agr.creating') : t('agr.create')}</button>
      </div>
    </div>`;
  }

  // ---------------------------------------------------------------- editing

  /** The draft being edited: the editor and its checks run only while there is one. */
  get editing() {
    return /** @type {Content} */ (this.draft);
  }

  /** Keep what was typed in the draft (`set`), and say that there are unsaved changes. */
  typed(set) {
    return (/** @type {Event} */ e) => {
      set(/** @type {HTMLInputElement} */ (e.currentTarget).value);
      this.dirty = true;
      this.render();
    };
  }

  /**
   * A labelled textarea or input of the draft, tall enough for what is there (about 40 characters
   * a line), within reason.
   * @param {{ id: string, label: string, value: string, set: (value: string) => void, kind?: string, rows?: number, max?: number, hint?: string, attrs?: Record<string, any> }} options
   */
  input({ id, label, value, set, kind = 'textarea', rows = 3, max = TERM_MAX, hint, attrs = {} }) {
    const size = kind === 'textarea' ? { rows: Math.min(12, Math.max(rows, Math.ceil(String(value || '').length / 40) + 1)) } : { type: 'text' };
    return this.field('editor', { id, label, hint, tag: kind, maxlength: max, value, onInput: this.typed(set), ...size, ...attrs });
  }

  /** After a change of the editor's shape (terms added, moved, removed; a proposal adopted). */
  reshape(focusId) {
    this.dirty = true;
    this.render();
    if (focusId) document.getElementById(focusId)?.focus();
  }

  termBox(term, i, count) {
    const n = i + 1;
    const terms = this.editing.terms;
    const move = (to, why) => {
      const [x] = terms.splice(i, 1);
      terms.splice(to, 0, x);
      this.reshape(`agr-term-${to}-${why}`);
    };
    const remove = () => {
      terms.splice(i, 1);
      this.reshape(`agr-term-${Math.min(i, terms.length - 1)}-text`);
    };
    const text = (part, label, more) => this.input({ id: `agr-term-${i}-${part}`, label, value: term[part], set: (x) => (term[part] = x), ...more, attrs: { name: `terms.${i}.${part}`, ...more.attrs } });
    return html`<fieldset class="agr-term" data-testid="agr-term" data-index=${String(i)}>
      <legend>${t('agr.term.n', { n })}</legend>
      ${text('text', t('agr.term.text'), { rows: 3, attrs: { required: true } })}
      <div class="agr-term-row">
        ${text('performance', t('agr.term.performance'), { kind: 'input' })}
        ${text('due', t('agr.term.due'), { kind: 'input', attrs: { placeholder: t('agr.term.due.placeholder') } })}
      </div>
      ${this.obligationBox(term, i)}
      <div class="actions agr-term-actions">
        <button type="button" id=${`agr-term-${i}-up`} class="secondary small-btn" disabled=${i === 0} aria-label=${t('agr.term.up.label', { n })} onClick=${() => move(i - 1, 'up')}>↑ ${t('agr.term.up')}</button>
        <button type="button" id=${`agr-term-${i}-down`} class="secondary small-btn" disabled=${i === count - 1} aria-label=${t('agr.term.down.label', { n })} onClick=${() => move(i + 1, 'down')}>↓ ${t('agr.term.down')}</button>
        <button type="button" id=${`agr-term-${i}-remove`} class="danger-outline small-btn" disabled=${count <= 1} aria-label=${t('agr.term.remove.label', { n })} onClick=${remove}>✕ ${t('agr.term.remove')}</button>
      </div>
    </fieldset>`;
  }

  /**
   * A term's structured obligation (obligations.js): who owes whom, what, the amount and the
   * instalments; its words are added to the agreement's text when the version is saved.
   * @param {any} term @param {number} i
   */
  obligationBox(term, i) {
    const parties = ((this.getCase() || {}).parties || []).filter((/** @type {any} */ p) => p.role === 'applicant' || p.role === 'respondent');
    const ob = term.obligation;
    if (!ob) {
      const add = () => ((term.obligation = newObligation(parties)), this.reshape(`agr-term-${i}-ob-debtor`));
      return html`<button type="button" class="secondary small-btn" data-testid="agr-obligation-add" onClick=${add}>+ ${t('perf.obligation.add')}</button>`;
    }
    const at = `terms.${i}.obligation`;
    const pick = (/** @type {string} */ part) => (/** @type {Event} */ e) => {
      ob[part] = /** @type {HTMLSelectElement} */ (e.currentTarget).value;
      this.dirty = true;
      this.render();
    };
    const who = (/** @type {string} */ part, /** @type {string} */ label) =>
      this.field('editor', {
        id: `agr-term-${i}-ob-${part}`, name: `${at}.${part}`, label, tag: 'select', value: ob[part], onChange: pick(part),
        children: parties.map((/** @type {any} */ p) => html`<option value=${p.id} selected=${ob[part] === p.id}>${partyRole(p)} ${p.name}</option>`),
      });
    const pay = ob.kind === 'pay';
    const inst = ob.instalments;
    return html`<fieldset class="agr-obligation" data-testid="agr-obligation">
      <legend>${t('perf.obligation.title')}</legend>
      <div class="agr-term-row">
        ${who('debtor', t('perf.obligation.debtor'))}
        ${who('creditor', t('perf.obligation.creditor'))}
      </div>
      <div class="agr-term-row">
        ${this.field('editor', {
          id: `agr-term-${i}-ob-kind`, name: `${at}.kind`, label: t('perf.obligation.kind'), tag: 'select', value: ob.kind, onChange: pick('kind'),
          children: KINDS.map((k) => html`<option value=${k} selected=${ob.kind === k}>${t(`perf.kind.${k}`)}</option>`),
        })}
        ${this.input({ id: `agr-term-${i}-ob-what`, label: t('perf.obligation.what'), value: ob.what, set: (x) => (ob.what = x), kind: 'input', max: 200, attrs: { name: `${at}.what` } })}
        ${pay ? this.input({ id: `agr-term-${i}-ob-amount`, label: t('perf.obligation.amount'), value: ob.amount, set: (x) => (ob.amount = x), kind: 'input', max: 20, attrs: { name: `${at}.amount_fen`, inputmode: 'decimal' } }) : null}
      </div>
      ${inst.map(
        (/** @type {any} */ x, /** @type {number} */ k) => html`<div class="agr-term-row agr-instalment" key=${k} data-testid="agr-instalment">
          ${this.field('editor', {
            id: `agr-term-${i}-ob-${k}-due`, name: `${at}.instalments.${k}.due`, label: `${t('perf.obligation.instalment', { n: k + 1 })} · ${t('perf.obligation.instalment.due')}`,
            type: 'date', value: x.due, onInput: this.typed((/** @type {string} */ v) => (x.due = v)),
          })}
          ${pay && inst.length > 1 ? this.input({ id: `agr-term-${i}-ob-${k}-amount`, label: t('perf.obligation.instalment.amount'), value: x.amount, set: (v) => (x.amount = v), kind: 'input', max: 20, attrs: { name: `${at}.instalments.${k}.amount_fen`, inputmode: 'decimal' } }) : null}
          ${inst.length > 1 ? html`<button type="button" class="danger-outline small-btn" onClick=${() => (inst.splice(k, 1), this.reshape(`agr-term-${i}-ob-0-due`))}>✕ ${t('perf.obligation.instalment.remove')}</button>` : null}
        </div>`,
      )}
      <div class="actions">
        <button type="button" class="secondary small-btn" disabled=${inst.length >= 36} data-testid="agr-instalment-add" onClick=${() => (inst.push({ due: '', amount: '' }), this.reshape(`agr-term-${i}-ob-${inst.length - 1}-due`))}>+ ${t('perf.obligation.instalment.add')}</button>
        <button type="button" class="danger-outline small-btn" onClick=${() => ((term.obligation = null), this.reshape(`agr-term-${i}-text`))}>✕ ${t('perf.obligation.remove')}</button>
      </div>
    </fieldset>`;
  }

  editor() {
    const d = this.editing;
    const v = this.view;
    const addTerm = () => {
      d.terms.push(emptyTerm());
      this.reshape(`agr-term-${d.terms.length - 1}-text`);
    };
    /** @param {Event} e */
    const submit = (e) => {
      e.preventDefault();
      this.save(/** @type {HTMLFormElement} */ (e.currentTarget));
    };
    return html`<form class="agr-editor" novalidate aria-labelledby="agr-editor-title" data-testid="agr-editor" onSubmit=${submit}>
      <h3 id="agr-editor-title">${t('agr.editor.title', { n: this.basedOn })}</h3>
      <p class="muted">${t('agr.editor.intro')}</p>
      <${FormMessage} form=${this.forms.editor} />
      ${this.saved > 0 && html`<p class="form-message success" role="status" tabindex="-1" data-testid="agr-saved">${t('agr.saved', { n: this.saved })}</p>`}
      ${this.input({ id: 'agr-facts', label: t('agr.facts'), value: d.facts, set: (x) => (d.facts = x), rows: 5, max: TEXT_MAX, attrs: { name: 'facts' } })}
      <fieldset class="agr-terms">
        <legend>${t('agr.terms')}</legend>
        <p class="hint">${t('agr.terms.hint', { max: MAX_TERMS })}</p>
        ${d.terms.map((term, i) => this.termBox(term, i, d.terms.length))}
        <button type="button" class="secondary" disabled=${d.terms.length >= MAX_TERMS} data-testid="agr-term-add" onClick=${addTerm}>+ ${t('agr.term.add')}</button>
      </fieldset>
      ${this.input({ id: 'agr-effect', label: t('agr.effect'), value: d.effect, set: (x) => (d.effect = x), rows: 3, max: TEXT_MAX, attrs: { name: 'effect' } })}
      ${this.field('editor', {
        id: 'agr-copies',
        name: 'copies',
        label: t('agr.copies'),
        hint: t('agr.copies.hint'),
        wrap: 'agr-copies',
        type: 'number',
        min: 1,
        max: 10,
        step: 1,
        inputmode: 'numeric',
        value: d.copies,
        onInput: this.typed((x) => (d.copies = x)),
      })}
      ${this.input({ id: 'agr-other', label: t('agr.other'), value: d.other, set: (x) => (d.other = x), rows: 3, max: TEXT_MAX, attrs: { name: 'other' }, hint: t('agr.other.hint') })}
      <p class="agr-unsaved" role="status" hidden=${!this.dirty} data-testid="agr-unsaved">${t('agr.unsaved')}</p>
      <div class="actions">
        <button type="submit" class="primary" disabled=${this.busy.save} data-testid="agr-save">${this.busy.save ? t('common.saving') : t('agr.save')}</button>
        <span class="muted">${t('agr.save.hint', { n: v.latest_version + 1 })}</span>
      </div>
      <details class="agr-preview">
        <summary>${t('agr.preview', { n: v.latest_version })}</summary>
        <${AgreementText} view=${v} testid="agr-preview-text" />
      </details>
    </form>`;
  }

  /** Check the draft against the contract's limits; marks the fields; true when it is fine. @param {HTMLFormElement} form */
  checkDraft(form) {
    const d = this.editing;
    /** @type {Record<string, string>} */
    const fields = {};
    if (!d.facts.trim()) fields.facts = t('error.field.required');
    d.terms.forEach((term, i) => {
      if (!term.text.trim()) fields[`terms.${i}.text`] = t('agr.term.text.required');
    });
    if (!d.effect.trim()) fields.effect = t('error.field.required');
    const copies = Number(d.copies);
    if (!d.copies.trim() || !Number.isInteger(copies) || copies < 1 || copies > 10) fields.copies = t('agr.copies.hint');
    const bad = Object.keys(fields).length > 0;
    this.say(form, 'editor', bad ? t('error.invalid_input') : '', fields);
    return !bad;
  }

  content() {
    const d = this.editing;
    return {
      facts: d.facts.trim(),
      terms: d.terms.map((x) => ({
        text: x.text.trim(),
        performance: x.performance.trim(),
        due: x.due.trim(),
        ...(x.obligation ? { obligation: obligationForServer(x.obligation) } : {}),
      })),
      effect: d.effect.trim(),
      copies: Number(d.copies),
      other: d.other.trim(),
    };
  }

  /** @param {HTMLFormElement} form */
  async save(form) {
    if (!this.checkDraft(form)) return;
    this.busy.save = true;
    this.render();
    try {
      const data = await api.saveAgreementVersion(this.caseId, this.content(), this.basedOn);
      this.busy.save = false;
      this.dirty = false;
      this.draft = null;
      this.setView(data.agreement);
      this.diff = null;
      this.saved = data.agreement.latest_version;
      this.render();
      this.el.querySelector('[data-testid="agr-saved"]')?.focus();
    } catch (err) {
      this.busy.save = false;
      const reason = reasonOf(err);
      if (err.status === 409 && reason === 'stale') {
        // Someone else saved meanwhile: show theirs (the unsaved changes are not kept).
        this.dirty = false;
        this.draft = null;
        await this.load();
        this.say(form, 'editor', t('agr.stale', { n: this.view.latest_version }), {}, 'error', 'agr-stale');
        return;
      }
      if (err.status === 409 && reason === 'final') {
        await this.load();
        toast(t('agr.already_final'), 'info', 7000);
        return;
      }
      this.sayError(form, 'editor', err, (f) => f.replace(/^(body\.)?content\./, ''));
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
    document.getElementById(target)?.scrollIntoView({ block: 'center' });
    toast(t('agr.adopted', { clause: clauseName(this.view, comment.clause) }), 'success', 6000);
  }

  // ---------------------------------------------------------------- versions and compare

  async compareVersions() {
    const compare = /** @type {{ from: number, to: number }} */ (this.compare);
    try {
      this.diff = await api.agreementDiff(this.caseId, compare.from, compare.to);
    } catch (err) {
      toast(errorMessage(err), 'error', 7000);
      return;
    }
    this.render();
    this.el.querySelector('[data-testid="agr-diff"]')?.focus();
  }

  versionsBox() {
    const v = this.view;
    const versions = [...(v.versions || [])].sort((a, b) => b.number - a.number);
    // Set whenever the view is (a first compare: the latest two versions); a pick is kept.
    const compare = /** @type {{ from: number, to: number, auto: boolean }} */ (this.compare);
    const select = (/** @type {'from' | 'to'} */ name, label) => {
      /** @param {Event} e */
      const pick = (e) => {
        this.compare = { ...compare, [name]: Number(/** @type {HTMLSelectElement} */ (e.currentTarget).value), auto: false };
        this.render();
      };
      return html`<div class="field">
        <label for=${`agr-cmp-${name}`}>${label}</label>
        <select id=${`agr-cmp-${name}`} name=${name} value=${String(compare[name])} onChange=${pick}>
          ${versions.map((x) => html`<option value=${String(x.number)}>${t('agr.version.n', { n: x.number })}</option>`)}
        </select>
      </div>`;
    };
    /** @param {Event} e */
    const submit = (e) => {
      e.preventDefault();
      this.compareVersions();
    };
    const version = (x) => html`<li data-testid="agr-version" data-number=${String(x.number)}>
      <strong>${t('agr.version.n', { n: x.number })}</strong> <span class="muted">${[x.author, shortTime(x.created_at, this.tz)].filter(Boolean).join(' · ')}</span>
      ${x.final && html` ${badge(t('agr.version.final'), 'warn')}`}${x.number === v.latest_version && !x.final && html` ${badge(t('agr.version.latest'), 'muted')}`}
    </li>`;
    return html`<div class="agr-versions">
      <h3>${t('agr.versions')}</h3>
      <ol class="agr-version-list" reversed data-testid="agr-versions">${versions.map(version)}</ol>
      ${versions.length >= 2
        ? html`<form class="agr-compare" novalidate aria-label=${t('agr.compare.title')} onSubmit=${submit}>
            ${select('from', t('agr.compare.from'))} ${select('to', t('agr.compare.to'))}
            <div class="actions"><button type="submit" class="secondary" data-testid="agr-compare">${t('agr.compare')}</button></div>
          </form>`
        : html`<p class="muted">${t('agr.compare.one')}</p>`}
      ${this.diff && html`<${DiffView} diff=${this.diff} />`}
    </div>`;
  }

  // ---------------------------------------------------------------- comments

  commentsBox() {
    const v = this.view;
    const comments = [...(v.comments || [])].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    const drafting = v.status === 'drafting';
    const comment = (c) => {
      const who = c.author ? (c.author.role ? t('paren', { a: c.author.name, b: tv('partyrole', c.author.role) }) : c.author.name) : '';
      const clause = clauseName(v, c.clause);
      const adopt = html`<button type="button" class="secondary small-btn" aria-label=${t('agr.adopt.label', { clause, name: c.author ? c.author.name : '' })}
        data-testid="agr-adopt" onClick=${() => this.adopt(c)}>${t('agr.adopt')}</button>`;
      return html`<li class="agr-comment" data-testid="agr-comment" data-clause=${c.clause}>
        <p class="agr-comment-head">
          <strong>${who}</strong> ${badge(clause, 'muted')} <span class="muted small">${[t('agr.version.n', { n: c.version }), shortTime(c.created_at, this.tz)].filter(Boolean).join(' · ')}</span>
        </p>
        ${c.text && html`<p class="agr-comment-text">${c.text}</p>`}
        ${c.proposal &&
        html`<div class="agr-proposal">
          <p class="agr-proposal-label">${t('agr.proposal')}</p>
          <p class="agr-proposal-text" data-testid="agr-proposal">${c.proposal}</p>
          ${drafting && adopt}
        </div>`}
      </li>`;
    };
    return html`<div class="agr-comments">
      <h3>${t('agr.comments')}</h3>
      ${comments.length
        ? html`<ul class="agr-comment-list" data-testid="agr-comments">${comments.map(comment)}</ul>`
        : html`<p class="empty">${t('agr.comments.none')}</p>`}
    </div>`;
  }

  // ---------------------------------------------------------------- final

  /** @param {HTMLFormElement} form */
  async declare(form) {
    if (this.dirty) {
      this.say(form, 'declare', t('agr.declare.unsaved'));
      return;
    }
    const { date, time } = /** @type {{ date: string, time: string }} */ (this.deadline);
    /** @type {Record<string, string>} */
    const fields = {};
    if (!date) fields.date = t('error.field.required');
    if (!time) fields.time = t('error.field.required');
    const deadline = date && time ? localToIso(date, time, this.tz) : null;
    if (deadline && Date.parse(deadline) <= Date.now()) fields.date = t('agr.deadline.past');
    if (Object.keys(fields).length) {
      this.say(form, 'declare', t('error.invalid_input'), fields);
      return;
    }
    this.say(form, 'declare', '');
    const n = this.view.latest_version;
    const ok = await confirmDialog({
      title: t('agr.declare.confirm.title', { n }),
      message: t('agr.declare.confirm.text', { time: fmtDateTime(/** @type {string} */ (deadline), this.tz) }),
      confirmLabel: t('agr.declare.confirm.ok'),
    });
    if (!ok.ok) return;
    this.busy.declare = true;
    this.render();
    try {
      const data = await api.declareAgreementFinal(this.caseId, n, deadline);
      this.busy.declare = false;
      this.setView(data.agreement);
      toast(t('agr.declared'));
      this.render();
      /** @type {HTMLElement | null} */ (this.el.querySelector('[data-testid="agr-final"] h3'))?.focus();
    } catch (err) {
      this.busy.declare = false;
      if (err.status === 409 && reasonOf(err) === 'stale') {
        await this.load();
        this.say(form, 'declare', t('agr.stale', { n: this.view.latest_version }));
        return;
      }
      this.sayError(form, 'declare', err, (f) => (f === 'deadline' ? 'date' : f));
    }
  }

  declareBox() {
    const v = this.view;
    if (!this.deadline) this.deadline = { date: addDays(todayIn(this.tz), 7), time: '18:00' };
    const deadline = this.deadline;
    const set = (/** @type {'date' | 'time'} */ part) => (/** @type {Event} */ e) => {
      deadline[part] = /** @type {HTMLInputElement} */ (e.currentTarget).value;
      this.render();
    };
    /** @param {Event} e */
    const submit = (e) => {
      e.preventDefault();
      this.declare(/** @type {HTMLFormElement} */ (e.currentTarget));
    };
    return html`<form class="agr-declare grid-form" novalidate aria-labelledby="agr-declare-title" data-testid="agr-declare-form" onSubmit=${submit}>
      <h3 id="agr-declare-title" class="wide">${t('agr.declare.title')}</h3>
      <p class="wide muted">${t('agr.declare.intro')}</p>
      <${FormMessage} form=${this.forms.declare} />
      <div class="wide"><${ObligationsPreview} content=${v.content} parties=${((this.getCase() || {}).parties) || []} /></div>
      ${this.field('declare', { id: 'agr-deadline-date', name: 'date', label: t('agr.deadline.date'), type: 'date', required: true, min: todayIn(this.tz), value: deadline.date, onInput: set('date') })}
      ${this.field('declare', { id: 'agr-deadline-time', name: 'time', label: t('agr.deadline.time'), type: 'time', required: true, step: 300, value: deadline.time, onInput: set('time') })}
      <div class="actions wide">
        <button type="submit" class="primary" disabled=${this.busy.declare} data-testid="agr-declare">${t('agr.declare', { n: v.latest_version })}</button>
      </div>
    </form>`;
  }

  deadlinePassed() {
    const v = this.view;
    return Boolean(v && v.deadline && Date.parse(v.deadline) <= Date.now());
  }

  finalBox() {
    const v = this.view;
    const pdf = v.pdf || {};
    const passed = this.deadlinePassed();
    const time = v.deadline ? fmtDateTime(v.deadline, this.tz) : '';
    return html`<div class="agr-final" data-testid="agr-final">
      <h3 tabindex="-1">${t('agr.final.title', { n: v.final_version })}</h3>
      ${v.deadline &&
      v.status === 'final' &&
      html`<p class=${passed ? 'agr-deadline passed' : 'agr-deadline'} data-testid="agr-deadline">${passed ? t('agr.deadline.passed', { time }) : t('agr.deadline.until', { time })}</p>`}
      <details class="agr-preview"><summary>${t('agr.final.text')}</summary><${AgreementText} view=${v} /></details>
      ${pdf.agreement &&
      v.status !== 'effective' &&
      html`<div class="actions"><a class="button secondary" href=${pdf.agreement} download="" data-testid="agr-pdf">${t('agr.pdf.agreement')}</a></div>`}
      ${v.pdf_sha256 && html`<p class="muted small agr-hash">${t('agr.pdf.sha')} <code>${v.pdf_sha256}</code></p>`}
    </div>`;
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
      if (!this.keysAsked) {
        this.keysAsked = true;
        g.load();
      }
      return html`<p class="loading" role="status">${t('common.loading')}</p>`;
    }
    const ready = this.partiesSigned() && !this.deadlinePassed();
    const none = html`<p data-testid="agr-no-key">${t('agr.key.none')}</p>`;
    return html`<div class="agr-sign" data-testid="agr-sign-box">
      <h3>${t('agr.sign.title')}</h3>
      <p class="muted">${ready ? t('agr.sign.ready') : this.deadlinePassed() ? t('agr.sign.closed') : t('agr.sign.wait')}</p>
      ${g.keyChoices({ name: 'agr-key', testid: 'agr-key', none, tz: this.tz })}
      <${MessageLine} m=${g.message} testid="agr-sign-message" />
      <div class="actions">
        <button type="button" class="primary" disabled=${!ready || !g.choice || g.busy} onClick=${() => this.sign()} data-testid="agr-sign">${g.busy ? t('agr.sign.busy') : t('agr.sign')}</button>
        <button type="button" class="secondary" disabled=${g.busy} onClick=${() => this.registerDeviceKey()} data-testid="agr-key-register">${t('agr.key.register')}</button>
      </div>
      <p class="hint">${t('agr.key.register.hint')}</p>
    </div>`;
  }

  /** Make a device key in this browser and register it on the account. */
  async registerDeviceKey() {
    await this.signer.register();
    /** @type {HTMLElement | null} */ (this.el.querySelector('[data-testid="agr-sign"]'))?.focus();
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
    /** @type {HTMLElement | null} */ (this.el.querySelector('[data-testid="agr-seal"] h3') || this.el.querySelector('[data-testid="agr-sign-message"]'))?.focus();
  }

  // ---------------------------------------------------------------- sealed

  sealBox() {
    const v = this.view;
    const pdf = v.pdf || {};
    const url = v.verify_url || (v.verify_code ? `${location.origin}/v/${encodeURIComponent(v.verify_code)}` : '');
    const code = () => this.el.querySelector('[data-testid="agr-verify-code"]');
    return html`<div class="agr-seal" data-testid="agr-seal">
      <h3 tabindex="-1">✓ ${t('agr.sealed')}</h3>
      ${v.sealed_at && html`<p>${t('agr.sealed.at', { time: fmtDateTime(v.sealed_at, this.tz) })}</p>`}
      ${v.verify_code &&
      html`<div class="agr-verify">
        <p class="agr-verify-label">${t('agr.verify.code')}</p>
        <p class="agr-verify-line">
          <code class="agr-verify-code" data-testid="agr-verify-code">${v.verify_code}</code> <${CopyButton} getText=${() => v.verify_code} source=${code} ariaLabel=${t('agr.verify.copy')} />
        </p>
        ${url && html`<p>${t('agr.verify.url')} <a href=${url} target="_blank" rel="noopener" data-testid="agr-verify-url">${url}</a></p>`}
      </div>`}
      <div class="actions">
        ${pdf.signed && html`<a class="button primary" href=${pdf.signed} download="" data-testid="agr-pdf-signed">${t('agr.pdf.signed')}</a>`}
        ${pdf.agreement && html`<a class="button secondary" href=${pdf.agreement} download="" data-testid="agr-pdf">${t('agr.pdf.agreement')}</a>`}
      </div>
    </div>`;
  }

  // ---------------------------------------------------------------- mediation did not succeed

  /** @param {HTMLFormElement} form */
  async endWithoutAgreement(form) {
    const { reason, note, party_id } = this.outcome;
    const ground = this.ground();
    /** @type {Record<string, string>} */
    const missing = {};
    if (!reason) missing.reason = t('error.field.required');
    if (ground && needsParty(ground) && !party_id) missing.party_id = t('error.field.required');
    if (ground && ground.needs.includes('note') && !note.trim()) missing.note = t('error.field.required');
    if (Object.keys(missing).length) {
      this.say(form, 'outcome', t('error.invalid_input'), missing);
      return;
    }
    this.say(form, 'outcome', '');
    const select = /** @type {HTMLSelectElement} */ (form.elements.namedItem('reason'));
    const ok = await confirmDialog({
      title: t('agr.failed.confirm.title'),
      message: t('agr.failed.confirm.text', { reason: select.options[select.selectedIndex].textContent }),
      confirmLabel: t('agr.failed.confirm.ok'),
      danger: true,
    });
    if (!ok.ok) return;
    try {
      await api.setCaseOutcome(this.caseId, { outcome: 'failed', reason, note: note.trim(), ...(ground && needsParty(ground) ? { party_id } : {}) });
      toast(t('agr.failed.done'));
      await this.onCaseChange();
      this.render();
    } catch (err) {
      this.sayError(form, 'outcome', err);
    }
  }

  /**
   * A failed case: the ground it ended on, and the package of its materials for a court's online filing
   * (在线调解规则 art. 21), made once the applicant chose online filing. It is downloaded, never sent.
   * @param {any} kase
   */
  failedBox(kase) {
    const lang = getLang();
    const o = kase.outcome || {};
    const ground = lang === 'en' ? o.ground_en : o.ground_zh;
    const source = lang === 'en' ? o.source_en : o.source_zh;
    const f = this.filing;
    const set = (/** @type {'applicant_id' | 'consent' | 'cost_behaviour' | 'court_notes'} */ part) => (/** @type {Event} */ e) => {
      f[part] = /** @type {HTMLInputElement} */ (e.currentTarget).value;
      this.fixed('filing', part);
      this.render();
    };
    /** @param {Event} e */
    const submit = (e) => {
      e.preventDefault();
      this.makePackage(/** @type {HTMLFormElement} */ (e.currentTarget));
    };
    const applicants = ((kase && kase.parties) || []).filter((/** @type {any} */ p) => p.role === 'applicant');
    const options = [html`<option value="">${t('common.select')}</option>`, ...applicants.map((/** @type {any} */ p) => html`<option value=${p.id}>${p.name}</option>`)];
    const optional = html`<span class="optional">${` ${t('common.optional')}`}</span>`;
    return html`<div class="agr-failed-box">
      <p class="notice agr-failed" role="status" data-testid="agr-failed">${t('agr.failed.recorded')}${ground ? ` ${t('agr.failed.ground', { ground, source: source || '' })}` : ''}</p>
      <details class="agr-filing" data-testid="agr-filing">
        <summary><h3>${t('agr.filing.title')}</h3></summary>
        <form class="agr-filing-form" novalidate onSubmit=${submit}>
          <${FormMessage} form=${this.forms.filing} />
          <p class="muted">${t('agr.filing.intro')}</p>
          ${this.field('filing', { id: 'agr-filing-applicant', name: 'applicant_id', label: t('agr.filing.applicant'), tag: 'select', required: true, value: f.applicant_id, onChange: set('applicant_id'), children: options })}
          ${this.field('filing', { id: 'agr-filing-consent', name: 'consent', label: t('agr.filing.consent'), tag: 'textarea', rows: 2, maxlength: 2000, required: true, value: f.consent, onInput: set('consent'), hint: t('agr.filing.consent.hint') })}
          ${this.field('filing', { id: 'agr-filing-cost', name: 'cost_behaviour', label: html`${t('agr.filing.cost')}${optional}`, tag: 'textarea', rows: 2, maxlength: 2000, value: f.cost_behaviour, onInput: set('cost_behaviour') })}
          ${this.field('filing', { id: 'agr-filing-notes', name: 'court_notes', label: html`${t('agr.filing.notes')}${optional}`, tag: 'textarea', rows: 2, maxlength: 2000, value: f.court_notes, onInput: set('court_notes') })}
          <div class="actions"><button type="submit" class="primary" data-testid="agr-filing-make">${t('agr.filing.submit')}</button></div>
          ${this.filed ? html`<p class="notice" role="status" data-testid="agr-filing-made">${t('agr.filing.made')} <a href=${this.filed.url} download=${this.filed.filename} data-testid="agr-filing-download">${t('agr.filing.download')}</a></p>` : null}
        </form>
      </details>
    </div>`;
  }

  /** @param {HTMLFormElement} form */
  async makePackage(form) {
    const f = this.filing;
    /** @type {Record<string, string>} */
    const missing = {};
    if (!f.applicant_id) missing.applicant_id = t('error.field.required');
    if (!f.consent.trim()) missing.consent = t('error.field.required');
    if (Object.keys(missing).length) {
      this.say(form, 'filing', t('error.invalid_input'), missing);
      return;
    }
    this.say(form, 'filing', '');
    try {
      const made = await api.makeFilingPackage(this.caseId, {
        applicant_id: f.applicant_id,
        consent: f.consent.trim(),
        cost_behaviour: f.cost_behaviour.trim(),
        court_notes: f.court_notes.trim(),
      });
      if (this.filed) URL.revokeObjectURL(this.filed.url);
      this.filed = { url: URL.createObjectURL(made.blob), filename: made.filename || 'filing.zip' };
      toast(t('agr.filing.made'));
      this.render();
    } catch (err) {
      this.sayError(form, 'filing', err);
    }
  }

  /**
   * A field the person changed is no longer said to be wrong; once none is, neither is the form.
   * @param {'outcome' | 'filing'} name @param {string} field
   */
  fixed(name, field) {
    const form = this.forms[name];
    if (!(field in form.fields)) return;
    const fields = { ...form.fields };
    delete fields[field];
    this.forms[name] = { msg: Object.keys(fields).length ? form.msg : null, fields };
  }

  /** The ground chosen on the ending form, from /meta (在线调解规则 art. 25). */
  ground() {
    const reasons = (this.meta && this.meta.mediation_end_reasons) || [];
    return reasons.find((/** @type {any} */ r) => r.code === this.outcome.reason) || null;
  }

  outcomeBox() {
    const kase = this.getCase();
    if (kase && kase.status === 'failed') return this.failedBox(kase);
    // The grounds the platform records itself (the other side refused or did not answer) are not the mediator's to choose.
    const reasons = ((this.meta && this.meta.mediation_end_reasons) || []).filter((/** @type {any} */ r) => !r.automatic);
    const lang = getLang();
    const o = this.outcome;
    const set = (/** @type {'reason' | 'note' | 'party_id'} */ part) => (/** @type {Event} */ e) => {
      o[part] = /** @type {HTMLInputElement} */ (e.currentTarget).value;
      this.fixed('outcome', part);
      this.render();
    };
    /** @param {Event} e */
    const submit = (e) => {
      e.preventDefault();
      this.endWithoutAgreement(/** @type {HTMLFormElement} */ (e.currentTarget));
    };
    const ground = this.ground();
    const words = (/** @type {any} */ r) => (lang === 'en' ? r.en || r.zh : r.zh);
    const options = [html`<option value="">${t('common.select')}</option>`, ...reasons.map((/** @type {any} */ r) => html`<option value=${r.code}>${`（${CN_ITEMS[r.item] || r.item}）${words(r)}`}</option>`)];
    const sides = ((kase && kase.parties) || []).filter((/** @type {any} */ p) => (ground && ground.needs.includes('applicant') ? p.role === 'applicant' : p.role === 'applicant' || p.role === 'respondent'));
    const partyOptions = [html`<option value="">${t('common.select')}</option>`, ...sides.map((/** @type {any} */ p) => html`<option value=${p.id}>${p.name}</option>`)];
    const noteNeeded = !!ground && ground.needs.includes('note');
    const noteLabel = html`${t('agr.failed.note')}${noteNeeded ? null : html`<span class="optional">${` ${t('common.optional')}`}</span>`}`;
    const needs = ground ? ground.needs.filter((/** @type {string} */ n) => n !== 'note' && n !== 'party' && n !== 'applicant') : [];
    return html`<details class="agr-outcome" data-testid="agr-outcome">
      <summary><h3>${t('agr.failed.title')}</h3></summary>
      <form class="agr-outcome-form" novalidate onSubmit=${submit}>
        <${FormMessage} form=${this.forms.outcome} />
        <p class="muted">${t('agr.failed.intro')}</p>
        ${this.field('outcome', { id: 'agr-fail-reason', name: 'reason', label: t('agr.failed.reason'), tag: 'select', required: true, value: o.reason, onChange: set('reason'), children: options, hint: ground ? (lang === 'en' ? ground.source_en : ground.source_zh) : t('agr.failed.reason.hint') })}
        ${ground && needsParty(ground)
          ? this.field('outcome', { id: 'agr-fail-party', name: 'party_id', label: t(ground.needs.includes('applicant') ? 'agr.failed.applicant' : 'agr.failed.party'), tag: 'select', required: true, value: o.party_id, onChange: set('party_id'), children: partyOptions })
          : null}
        ${needs.map((/** @type {string} */ n) => html`<p class="hint" data-testid="agr-fail-needs">${t(`agr.failed.needs.${n}`)}</p>`)}
        ${this.field('outcome', { id: 'agr-fail-note', name: 'note', label: noteLabel, tag: 'textarea', rows: 3, maxlength: 2000, value: o.note, onInput: set('note'), required: noteNeeded, hint: noteNeeded ? t('agr.failed.note.required') : '' })}
        <div class="actions"><button type="submit" class="danger-outline" data-testid="agr-fail">${t('agr.failed.submit')}</button></div>
      </form>
    </details>`;
  }
}

/** The item numbers of 在线调解规则 art. 25 as the article writes them. */
const CN_ITEMS = /** @type {Record<number, string>} */ ({ 1: '一', 2: '二', 3: '三', 4: '四', 5: '五', 6: '六', 7: '七', 8: '八' });

/** Whether a ground names the party it concerns. @param {{ needs: string[] }} ground */
function needsParty(ground) {
  return ground.needs.includes('party') || ground.needs.includes('applicant');
}
