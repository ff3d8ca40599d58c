// @ts-check
// The mediation agreement as a party sees it on their page (server/http/AGREEMENT_API.md, "Party"):
// the current draft in large type, refreshed live; comparing versions; a comment or proposed
// wording on a clause; once final, the whole text to read to the end, an optional handwritten
// signature, and "确认身份并签名" with their own key (binding one first through keybind.js when
// there is none: a device key with the texted code, or a passkey); after sealing, the signed PDF.
// Drawn with Preact + htm, as pages/review.js: the PartyAgreement object is the store and
// `render()` draws it again; a redraw (a poll every few seconds, a step of the signature, a change
// of language) changes only what differs, so what the party typed and where their focus is stay.

import { html, render } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import * as api from './api.js';
import { ApiError } from './api.js';
import { t, getLang, onLangChange, fmtPartyDateTime, fmtShortDateTime } from './i18n.js';
import { Mount, keepingFocus } from './mount.js';
import './agreement-i18n.js';
import { AgreementText, DiffView, SignerList, clauseName } from './agreement.js';
import { h, toast, errorMessage } from './ui.js';
import { PartySigning } from './signing/party-flow.js';
import { MessageLine, reasonOf } from './signing/message.js';

const POLL_MS = 3000;
const READ_SLACK_PX = 12;

/** @param {...(string | false | null | undefined)} names */
const cls = (...names) => names.filter(Boolean).join(' ');

/**
 * A canvas to draw one's signature with a finger, a pen or a mouse (pointer events). Exported as
 * a PNG data URL; `null` while nothing is drawn. Its element is kept across redraws.
 */
export class SignaturePad {
  /** @param {{ width?: number, height?: number, onChange?: (pad: SignaturePad) => void }} [options] */
  constructor({ width = 600, height = 220, onChange = () => {} } = {}) {
    this.onChange = onChange;
    this.empty = true;
    this.drawing = null; // the pointer id while drawing
    this.canvas = h('canvas', {
      class: 'sig-canvas',
      width,
      height,
      role: 'img',
      'aria-label': t('agr.pad.label'),
      dataset: { testid: 'sig-pad' },
    });
    this.ctx = this.canvas.getContext('2d');
    this.canvas.addEventListener('pointerdown', (ev) => this.down(ev));
    this.canvas.addEventListener('pointermove', (ev) => this.move(ev));
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) this.canvas.addEventListener(type, (ev) => this.up(ev));
  }

  point(ev) {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((ev.clientX - r.left) / r.width) * this.canvas.width, y: ((ev.clientY - r.top) / r.height) * this.canvas.height };
  }

  style() {
    const c = this.ctx;
    c.lineWidth = 4;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.strokeStyle = '#102a43';
    c.fillStyle = '#102a43';
  }

  down(ev) {
    if (this.drawing !== null) return;
    ev.preventDefault();
    this.drawing = ev.pointerId;
    try {
      this.canvas.setPointerCapture(ev.pointerId);
    } catch {
      /* synthetic events have no capture */
    }
    const p = this.point(ev);
    this.style();
    this.ctx.beginPath();
    this.ctx.arc(p.x, p.y, 2, 0, Math.PI * 2);
    this.ctx.fill();
    this.ctx.beginPath();
    this.ctx.moveTo(p.x, p.y);
    this.last = p;
    this.mark();
  }

  move(ev) {
    if (this.drawing !== ev.pointerId) return;
    ev.preventDefault();
    const events = typeof ev.getCoalescedEvents === 'function' ? ev.getCoalescedEvents() : [];
    for (const e of events.length ? events : [ev]) {
      const p = this.point(e);
      this.ctx.lineTo(p.x, p.y);
      this.last = p;
    }
    this.ctx.stroke();
  }

  up(ev) {
    if (this.drawing !== ev.pointerId) return;
    this.drawing = null;
  }

  mark() {
    if (!this.empty) return;
    this.empty = false;
    this.onChange(this);
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.empty = true;
    this.onChange(this);
  }

  /** "data:image/png;base64,…", or null when nothing was drawn. */
  dataUrl() {
    return this.empty ? null : this.canvas.toDataURL('image/png');
  }
}

/**
 * The key binding's own element (keybind.js), drawn again in the page's language; the control in
 * it that had focus keeps it.
 * @param {import('./keybind.js').KeyBinding} keys
 */
const keyBindingEl = (keys) => keepingFocus(keys.el, () => keys.render());

/** @param {string} href */
const pdfLink = (href) => html`<p><a href=${href} download="" class="button secondary block" data-testid="agr-pdf">${t('agr.pdf.agreement')}</a></p>`;

/**
 * The final text, to read to the end before the sign button works. A new text is a new box (its
 * scroll at the top again).
 * @param {{ a: PartyAgreement }} props
 */
function SignText({ a }) {
  const v = a.view;
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  const check = () => {
    const el = box.current;
    if (a.read || !el || !el.isConnected || !el.clientHeight) return;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - READ_SLACK_PX) {
      a.read = true;
      a.render();
    }
  };
  a.checkRead = check;
  // A text short enough to fit needs no scrolling.
  useEffect(() => {
    requestAnimationFrame(() => requestAnimationFrame(check));
  }, [v.text_sha256]);
  const pdf = (v.pdf && v.pdf.agreement) || null;
  return html`<section class="party-card agr-sign-card" aria-labelledby="pa-sign-title">
    <h2 id="pa-sign-title">${t('agr.party.sign.title', { n: v.final_version })}</h2>
    <p>${t('agr.party.sign.intro')}</p>
    <div key=${v.text_sha256} ref=${box} class="agr-text agr-read" tabindex="0" role="region" aria-label=${t('agr.party.read.label')}
      aria-describedby="pa-read-note" data-testid="agr-sign-text" onScroll=${check}>${v.text || ''}<p class="agr-read-end" aria-hidden="true">${t('agr.party.read.end')}</p></div>
    ${pdf ? pdfLink(pdf) : null}
  </section>`;
}

/**
 * The party's agreement: `entryEl` is the card with the button on the party page, `el` the whole
 * view (shown by the page in place of its main content: `onOpen`/`onClose`).
 */
export class PartyAgreement {
  /**
   * party: {id, name, role}; tz: the session's zone; keys: the party's KeyBinding (keybind.js).
   * @param {{ party: { id: string, name?: string, role?: string }, tz: string, keys: import('./keybind.js').KeyBinding | null, onOpen?: () => void, onClose?: () => void }} options
   */
  constructor({ party, tz, keys, onOpen = () => {}, onClose = () => {} }) {
    this.party = party;
    this.tz = tz;
    this.keys = keys;
    this.onOpen = onOpen;
    this.onClose = onClose;
    this.view = null;
    this.updated = null; // {key, vars}: what changed while the page was open
    this.compare = null; // {from, to, auto}: the versions chosen to compare (auto: the latest two)
    this.diff = null;
    this.read = false; // scrolled to the end of the final text
    // The signature's steps (signing/party-flow.js); its message is the one under the sign button.
    this.signing = new PartySigning({
      partyId: party.id,
      prefix: 'agr',
      inputId: 'pa-sign-code',
      messageTestid: 'agr-sign-message',
      boundNote: 'agr.party.key.bound',
      passkeyClears: true,
      lateReason: 'deadline',
      againFocus: 'agr-sign',
      cancelFocus: () => 'agr-sign',
      render: () => this.render(),
      focus: (testid) => this.focus(testid),
      complete: (proof) => this.complete(proof),
      failed: (err) => this.failed(err),
      elsewhere: () => this.elsewhere(),
    });
    // The comment being written: kept here, so that a new draft arriving does not lose it.
    this.comment = { clause: '', text: '', proposal: '', busy: false };
    this.commentMessage = null;
    this.pollTimer = null;
    this.pad = new SignaturePad({ onChange: () => this.render() });
    this.checkRead = () => {};
    this.entryEl = h('div', { class: 'agr-entry-host' });
    this.el = h('div', { class: 'party-agreement', dataset: { testid: 'party-agreement' } });
    this.offLang = onLangChange(() => this.render());
    this.offBound = keys ? keys.onBound(() => this.bound()) : () => {};
    /** Called with the new phase whenever it changes (the page's "what to do now", the live room's button). */
    this.phaseListeners = new Set();
    this.lastPhase = undefined;
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.poll();
    });
  }

  start() {
    this.poll();
  }

  /**
   * Call `fn(phase)` when the agreement's phase (see `phase()`) changes; returns an unsubscribe function.
   * @param {(phase: string | null) => void} fn
   */
  onPhase(fn) {
    this.phaseListeners.add(fn);
    return () => this.phaseListeners.delete(fn);
  }

  get open() {
    return this.el.isConnected;
  }

  // ---------------------------------------------------------------- loading

  async poll() {
    clearTimeout(this.pollTimer);
    if (document.visibilityState === 'visible') {
      try {
        const data = await api.partyAgreement();
        this.setView(data ? data.agreement : null);
      } catch (err) {
        // No agreement routes yet, or the link ended: show nothing new; a 401/403/404 stops the polling.
        if (err instanceof ApiError && [401, 403, 404, 410].includes(err.status) && !this.view) return;
      }
      this.render();
    }
    // Once sealed nothing changes any more.
    if (!this.view || this.view.status !== 'effective') this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }

  setView(view) {
    const before = this.view;
    this.view = view;
    if (!view) return;
    if (before && before.id === view.id) {
      if (view.latest_version !== before.latest_version) this.updated = { key: 'agr.updated', vars: { n: view.latest_version } };
      if (view.status === 'final' && before.status === 'drafting') this.updated = { key: 'agr.updated.final', vars: { n: view.final_version } };
      if (view.status === 'effective' && before.status !== 'effective') this.updated = { key: 'agr.updated.sealed', vars: {} };
      if (view.text_sha256 !== before.text_sha256) this.read = false;
    }
    if (!this.compare || this.compare.to > view.latest_version || (this.compare.auto && this.compare.to !== view.latest_version)) {
      this.compare = { from: Math.max(1, view.latest_version - 1), to: view.latest_version, auto: true };
    }
  }

  deadlinePassed() {
    const v = this.view;
    return Boolean(v && v.deadline && Date.parse(v.deadline) <= Date.now());
  }

  /** What the party should do now: 'draft' | 'sign' | 'signed' | 'closed' | 'view' | 'sealed'. */
  phase() {
    const v = this.view;
    if (!v) return null;
    if (v.status === 'effective') return 'sealed';
    if (v.status === 'drafting') return 'draft';
    const me = v.me || {};
    if (me.signed) return 'signed';
    if (!me.must_sign) return 'view';
    return this.deadlinePassed() ? 'closed' : 'sign';
  }

  // ---------------------------------------------------------------- drawing

  render() {
    const phase = this.phase();
    if (phase !== this.lastPhase) {
      this.lastPhase = phase;
      for (const fn of this.phaseListeners) fn(phase);
    }
    // (Preact's render takes any child, null and lists included; its types say a VNode.)
    render(/** @type {any} */ (this.view ? this.entry() : null), this.entryEl);
    render(/** @type {any} */ (this.view ? this.parts() : null), this.el);
  }

  /** One line saying where things stand. */
  statusLine() {
    const v = this.view;
    const p = this.phase();
    const deadline = v.deadline ? fmtPartyDateTime(v.deadline, this.tz) : '';
    if (p === 'draft') return t('agr.party.status.draft', { n: v.latest_version });
    if (p === 'sign') return t('agr.party.status.sign', { time: deadline });
    if (p === 'signed') return t('agr.party.status.signed');
    if (p === 'closed') return t('agr.party.status.closed', { time: deadline });
    if (p === 'sealed') return t('agr.party.status.sealed');
    return t('agr.party.status.view');
  }

  /** The card on the party page. */
  entry() {
    const p = this.phase();
    const open = p === 'sign' ? 'agr.party.open.sign' : p === 'sealed' ? 'agr.party.open.sealed' : 'agr.party.open';
    return html`<section class=${`party-card agr-entry agr-entry-${p}`} aria-labelledby="agr-entry-title" data-testid="agreement-card">
      <h2 id="agr-entry-title">${t('agr.title')}</h2>
      ${this.updated ? html`<p class="notice agr-updated" role="status" data-testid="agreement-card-updated">${t(this.updated.key, this.updated.vars)}</p>` : null}
      <p class="lead" data-testid="agreement-card-status">${this.statusLine()}</p>
      <button type="button" class=${cls('big', 'block', p === 'sign' || p === 'sealed' ? 'primary' : 'secondary')} data-testid="agreement-open"
        onClick=${() => this.show()}>${t(open)}</button>
    </section>`;
  }

  /** Open the view (the page swaps it in) and take the reader to its heading. */
  show() {
    this.onOpen();
    this.render();
    window.scrollTo(0, 0);
    this.el.querySelector('h1')?.focus();
    requestAnimationFrame(() => this.checkRead());
  }

  hide() {
    this.onClose();
    /** @type {HTMLElement | null} */ (document.querySelector('[data-testid="agreement-open"]'))?.focus();
  }

  /** The view: what the party can do in this phase, one part under another. */
  parts() {
    const v = this.view;
    const p = this.phase();
    /** @type {[string, unknown][]} */
    const out = [['top', this.top()]];
    if (p === 'draft') out.push(['draft', this.draftBox()], ['compare', this.compareBox()], ['comment', this.commentBox()], ['mine', this.myComments()]);
    else if (p === 'sign') out.push(['signtext', html`<${SignText} a=${this} />`], ['pad', this.padBox()], ['signaction', this.signAction()]);
    else if (p === 'sealed') out.push(['sealed', this.sealedBox()]);
    else out.push(['final', this.finalBox(p)]);
    if (p !== 'draft') {
      out.push([
        'signers',
        html`<section class="party-card" aria-labelledby="pa-signers-title">
          <h2 id="pa-signers-title">${t('agr.signers')}</h2>
          <${SignerList} view=${v} tz=${this.tz} me=${v.me} />
        </section>`,
      ]);
    }
    return out.map(([name, body]) => html`<div key=${name} class=${`agr-part agr-part-${name}`}>${body}</div>`);
  }

  top() {
    const v = this.view;
    const passed = this.deadlinePassed();
    const time = v.deadline ? fmtPartyDateTime(v.deadline, this.tz) : '';
    return html`<div class="agr-top">
      <button type="button" class="secondary agr-back" data-testid="agreement-back" onClick=${() => this.hide()}>${`‹ ${t('agr.party.back')}`}</button>
      <h1 tabindex="-1">${t('agr.title')}</h1>
      ${this.updated ? html`<p class="notice agr-updated" role="status" data-testid="agr-updated">${t(this.updated.key, this.updated.vars)}</p>` : null}
      <p class=${cls('lead', 'agr-status-line', this.phase() === 'closed' && 'closed')} data-testid="agr-status">${this.statusLine()}</p>
      ${v.deadline && v.status === 'final'
        ? html`<p class=${cls('agr-deadline', passed && 'passed')} data-testid="agr-deadline">${t(passed ? 'agr.deadline.passed' : 'agr.deadline.until', { time })}</p>`
        : null}
    </div>`;
  }

  /** @param {string} testid */
  focus(testid) {
    /** @type {HTMLElement | null} */ (this.el.querySelector(`[data-testid="${testid}"]`))?.focus();
  }

  // ---------------------------------------------------------------- drafting

  draftBox() {
    const v = this.view;
    return html`<section class="party-card" aria-labelledby="agr-draft-title">
      <h2 id="agr-draft-title">${t('agr.party.draft', { n: v.latest_version })}</h2>
      <p class="muted">${t('agr.party.draft.intro')}</p>
      <${AgreementText} view=${v} testid="agr-draft-text" />
    </section>`;
  }

  compareBox() {
    const v = this.view;
    const versions = [...(v.versions || [])].sort((a, b) => b.number - a.number);
    if (versions.length < 2) return null;
    /** @param {'from' | 'to'} name @param {string} label */
    const select = (name, label) => html`<div class="field">
      <label for=${`pa-cmp-${name}`}>${label}</label>
      <select id=${`pa-cmp-${name}`} name=${name} value=${String(this.compare[name])}
        onChange=${(/** @type {Event} */ ev) => (this.compare = { ...this.compare, [name]: Number(/** @type {HTMLSelectElement} */ (ev.currentTarget).value), auto: false })}>
        ${versions.map((x) => html`<option value=${String(x.number)}>${t('agr.version.n', { n: x.number })}</option>`)}
      </select>
    </div>`;
    return html`<section class="party-card" aria-labelledby="pa-compare-title">
      <h2 id="pa-compare-title">${t('agr.compare.title')}</h2>
      <form class="agr-compare" novalidate onSubmit=${(/** @type {Event} */ ev) => this.compareVersions(ev)}>
        ${select('from', t('agr.compare.from'))}
        ${select('to', t('agr.compare.to'))}
        <div class="actions"><button type="submit" class="secondary big" data-testid="agr-compare">${t('agr.compare')}</button></div>
      </form>
      ${this.diff ? html`<${DiffView} diff=${this.diff} />` : null}
    </section>`;
  }

  /** @param {Event} ev */
  async compareVersions(ev) {
    ev.preventDefault();
    const { from, to } = this.compare;
    this.compare = { from, to, auto: false };
    try {
      this.diff = await api.partyAgreementDiff(from, to);
    } catch (err) {
      toast(errorMessage(err), 'error', 7000);
      return;
    }
    this.render();
    this.focus('agr-diff');
  }

  /** The clause the comment is on: the one chosen, else the first. */
  commentClause() {
    const clauses = this.view.clauses || [];
    return clauses.some((/** @type {any} */ c) => c.id === this.comment.clause) ? this.comment.clause : clauses.length ? clauses[0].id : '';
  }

  commentBox() {
    const v = this.view;
    const lang = getLang();
    const c = this.comment;
    /** @param {'clause' | 'text' | 'proposal'} name */
    const keep = (name) => (/** @type {Event} */ ev) => {
      c[name] = /** @type {HTMLInputElement} */ (ev.currentTarget).value;
    };
    return html`<section class="party-card">
      <form class="agr-comment-form" novalidate aria-labelledby="pa-comment-title" data-testid="agr-comment-form" onSubmit=${(/** @type {Event} */ ev) => this.sendComment(ev)}>
        <h2 id="pa-comment-title">${t('agr.party.comment.title')}</h2>
        <p class="muted">${t('agr.party.comment.intro')}</p>
        <div class="field">
          <label for="pa-clause">${t('agr.party.comment.clause')}</label>
          <select id="pa-clause" name="clause" data-testid="agr-clause" value=${this.commentClause()} onChange=${keep('clause')}>
            ${(v.clauses || []).map((/** @type {any} */ x) => html`<option value=${x.id}>${lang === 'en' ? x.label_en || x.label : x.label}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="pa-comment">${t('agr.party.comment.text')}</label>
          <textarea id="pa-comment" name="text" rows="3" maxlength="2000" data-testid="agr-comment-text" value=${c.text} onInput=${keep('text')}></textarea>
        </div>
        <div class="field">
          <label for="pa-proposal">${t('agr.party.comment.proposal')}<span class="optional">${` ${t('common.optional')}`}</span></label>
          <textarea id="pa-proposal" name="proposal" rows="3" maxlength="1000" aria-describedby="pa-proposal-hint" data-testid="agr-proposal-text"
            value=${c.proposal} onInput=${keep('proposal')}></textarea>
          <p class="hint" id="pa-proposal-hint">${t('agr.party.comment.proposal.hint')}</p>
        </div>
        <${MessageLine} m=${this.commentMessage} testid="agr-comment-message" focusable />
        <button type="submit" class="primary big block" disabled=${c.busy} data-testid="agr-comment-send">
          ${c.busy ? t('common.submitting') : t('agr.party.comment.send')}
        </button>
      </form>
    </section>`;
  }

  /** @param {Event} ev */
  async sendComment(ev) {
    ev.preventDefault();
    const c = this.comment;
    if (c.busy) return;
    const text = c.text.trim();
    const proposal = c.proposal.trim();
    if (!text && !proposal) {
      this.commentMessage = { kind: 'error', key: 'agr.party.comment.empty' };
      this.render();
      /** @type {HTMLElement | null} */ (this.el.querySelector('#pa-comment'))?.focus();
      return;
    }
    c.clause = this.commentClause();
    c.busy = true;
    this.render();
    /** @type {Record<string, unknown>} */
    const body = { version: this.view.latest_version, clause: c.clause, text: text || proposal };
    if (proposal) body.proposal = proposal;
    try {
      await api.commentOnAgreement(body);
      this.commentMessage = { kind: 'info', key: 'agr.party.comment.sent', vars: { clause: clauseName(this.view, c.clause) } };
      c.text = '';
      c.proposal = '';
      await this.reload();
    } catch (err) {
      this.commentMessage = { kind: 'error', text: reasonOf(err) === 'final' ? t('agr.already_final') : errorMessage(err) };
    }
    c.busy = false;
    this.render();
    this.focus('agr-comment-message');
  }

  myComments() {
    const v = this.view;
    const comments = [...(v.comments || [])].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    if (!comments.length) return null;
    /** @param {any} c */
    const when = (c) => [t('agr.version.n', { n: c.version }), c.created_at ? fmtShortDateTime(c.created_at, this.tz) : null].filter(Boolean).join(' · ');
    return html`<section class="party-card" aria-labelledby="pa-mine-title">
      <h2 id="pa-mine-title">${t('agr.party.mine')}</h2>
      <ul class="agr-comment-list" data-testid="agr-my-comments">
        ${comments.map(
          (c) => html`<li class="agr-comment" data-testid="agr-comment">
            <p class="agr-comment-head"><strong>${clauseName(v, c.clause)}</strong> <span class="muted small">${when(c)}</span></p>
            ${c.text && c.text !== c.proposal ? html`<p>${c.text}</p>` : null}
            ${c.proposal
              ? html`<div class="agr-proposal"><p class="agr-proposal-label">${t('agr.proposal')}</p><p class="agr-proposal-text">${c.proposal}</p></div>`
              : null}
          </li>`,
        )}
      </ul>
    </section>`;
  }

  // ---------------------------------------------------------------- signing

  /** The pad's own canvas is kept (drawing it again would end a stroke): only its hint and button follow. */
  padBox() {
    const pad = this.pad;
    pad.canvas.setAttribute('aria-label', t('agr.pad.label'));
    return html`<section class="party-card agr-pad-card" aria-labelledby="pa-pad-title">
      <h2 id="pa-pad-title">${t('agr.pad.title')}<span class="optional">${` ${t('common.optional')}`}</span></h2>
      <p id="pa-pad-note">${t('agr.pad.note')}</p>
      <${Mount} class="sig-pad-wrap" make=${() => pad.canvas} />
      <p class="hint" role="status" data-testid="sig-state">${pad.empty ? t('agr.pad.hint') : t('agr.pad.drawn')}</p>
      <button type="button" class="secondary" disabled=${pad.empty} data-testid="sig-clear" onClick=${() => pad.clear()}>${t('agr.pad.clear')}</button>
    </section>`;
  }

  signAction() {
    const s = this.signing;
    const busy = s.busy;
    const keys = this.keys;
    let body;
    if (s.stage === 'no_key' && keys) {
      body = html`<p class="consent-step" data-testid="agr-key-first">${t('agr.party.key.first')}</p>
        <${Mount} class="agr-key-bind" make=${() => keyBindingEl(keys)} />
        ${this.readNote()}`;
    } else if (s.stage === 'code' && s.prepared) {
      // The text above stays described by the read note (aria-describedby="pa-read-note").
      return html`<section class="party-card agr-sign-action" aria-label=${t('agr.party.sign')}>${this.readNote()}${this.codeForm()}</section>`;
    } else {
      body = html`${s.stage === 'no_key' ? null : html`<${MessageLine} m=${s.message} testid="agr-sign-message" focusable />`}
        ${this.readNote()}
        ${s.stage === 'no_key'
          ? null
          : html`<button type="button" class="primary big block" disabled=${!this.read || busy} aria-describedby="pa-read-note" data-testid="agr-sign"
              onClick=${() => this.startSign()}>${busy ? t('agr.party.signing') : t('agr.party.sign')}</button>`}`;
    }
    const hint = keys && keys.noChannel() ? 'agr.party.sign.hint.nocode' : 'agr.party.sign.hint';
    return html`<section class="party-card agr-sign-action" aria-label=${t('agr.party.sign')}>${body}<p class="hint">${t(hint)}</p></section>`;
  }

  /** The form to type the texted code in (the signature's `code` step). */
  codeForm() {
    return this.signing.codeForm({
      formClass: 'agr-code-form',
      meaning: t('agr.party.code.meaning'),
      hint: t('agr.party.code.hint'),
      confirm: t('agr.party.sign.confirm'),
    });
  }

  /** "Read to the end first" / "✓ read": what the text and the sign button are described by. */
  readNote() {
    return html`<p class=${cls('agr-read-note', this.read && 'done')} id="pa-read-note" role="status" data-testid="agr-read-note">
      ${this.read ? `✓ ${t('agr.party.read.done')}` : t('agr.party.read.first')}
    </p>`;
  }

  /** A key was just bound: go on with the signature. */
  bound() {
    if (this.open && this.signing.keyBound()) this.startSign();
  }

  async reload() {
    const data = await api.partyAgreement().catch(() => null);
    if (data) this.setView(data.agreement);
  }

  /** The key bound in this case is on another phone or browser: bind this one. */
  elsewhere() {
    this.signing.stage = 'no_key';
    this.signing.prepared = null;
    if (this.keys) this.keys.reset({ kind: 'info', key: 'agr.party.key.elsewhere' });
    this.render();
    this.focus('key-send');
  }

  /**
   * An error of the signing calls, in words; reloads when the agreement changed.
   * @param {unknown} err
   */
  async failed(err) {
    const s = this.signing;
    const { noKey, reason } = s.failure(err);
    if (noKey) {
      s.stage = 'no_key';
      if (this.keys && this.keys.stage === 'done') this.keys.reset();
      s.message = null;
      this.render();
      this.focus('key-send');
      return;
    }
    /** @type {Record<string, string>} */
    const known = { deadline: 'deadline', signed: 'signed', superseded: 'superseded', text_mismatch: 'superseded', not_final: 'not_final', key_changed: 'again', expired: 'again' };
    if (err instanceof ApiError && (err.status === 410 || err.status === 409) && reason && known[reason]) {
      s.message = { kind: reason === 'signed' ? 'info' : 'error', key: `agr.party.err.${known[reason]}` };
      if (known[reason] === 'superseded') this.read = false;
      await this.reload();
    } else {
      s.message = PartySigning.otherError(err);
    }
    this.render();
    this.focus(this.el.querySelector('[data-testid="agr-sign-message"]') ? 'agr-sign-message' : 'agr-sign');
  }

  async startSign() {
    const s = this.signing;
    const v = this.view;
    await s.start(async () => {
      const r = await api.preparePartyAgreementSignature(v.final_version, v.text_sha256);
      if (r.text_sha256 && v.text_sha256 && r.text_sha256 !== v.text_sha256) {
        // What would be signed is not what was shown: show the new text and ask again.
        s.stage = 'idle';
        this.read = false;
        s.message = { kind: 'error', key: 'agr.party.err.superseded' };
        await this.reload();
        this.render();
        return null;
      }
      return r;
    });
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async complete(proof) {
    const s = this.signing;
    /** @type {Record<string, unknown>} */
    const body = { ...proof };
    const drawn = this.pad.dataUrl();
    if (drawn) body.handwriting = drawn;
    await api.completePartyAgreementSignature(s.challenge, body);
    s.reset();
    s.message = { kind: 'info', key: 'agr.party.signed.toast' };
    toast(t('agr.party.signed.toast'));
    await this.reload();
    this.render();
    this.focus('agr-signed');
  }

  // ---------------------------------------------------------------- after signing

  /** @param {any} v */
  finalText(v) {
    return html`<details class="agr-preview"><summary>${t('agr.final.text')}</summary><${AgreementText} view=${v} /></details>`;
  }

  /** @param {string | null} p */
  finalBox(p) {
    const v = this.view;
    const pdf = (v.pdf && v.pdf.agreement) || null;
    return html`<section class=${cls('party-card', p === 'signed' && 'agr-card-done')} aria-labelledby="pa-final-title">
      <h2 id="pa-final-title">${t('agr.final.title', { n: v.final_version })}</h2>
      ${p === 'signed' ? html`<p class="agr-done" tabindex="-1" data-testid="agr-signed">${`✓ ${t('agr.party.signed')}`}</p>` : null}
      ${p === 'closed' ? html`<p class="notice agr-closed" role="alert" data-testid="agr-closed">${t('agr.party.closed')}</p>` : null}
      ${p === 'signed' ? html`<p>${t('agr.party.signed.wait')}</p>` : null}
      ${this.finalText(v)}
      ${pdf ? pdfLink(pdf) : null}
    </section>`;
  }

  sealedBox() {
    const v = this.view;
    const pdf = v.pdf || {};
    const url = v.verify_url || (v.verify_code ? `${location.origin}/v/${encodeURIComponent(v.verify_code)}` : '');
    return html`<section class="party-card agr-card-done" aria-labelledby="pa-sealed-title" data-testid="agr-sealed">
      <h2 id="pa-sealed-title">${`✓ ${t('agr.sealed')}`}</h2>
      ${v.sealed_at ? html`<p>${t('agr.sealed.at', { time: fmtPartyDateTime(v.sealed_at, this.tz) })}</p>` : null}
      ${pdf.signed
        ? html`<a href=${pdf.signed} download="" class="button primary big block" data-testid="agr-download-signed">${t('agr.party.download')}</a>
            <p class="hint">${t('agr.party.download.hint')}</p>`
        : null}
      ${v.verify_code
        ? html`<p class="agr-verify-party">
            ${t('agr.verify.code')} <code class="agr-verify-code" data-testid="agr-verify-code">${v.verify_code}</code>
            ${url ? html`<br /><a href=${url} target="_blank" rel="noopener">${t('agr.verify.open')}</a>` : null}
          </p>`
        : null}
      ${this.finalText(v)}
    </section>`;
  }
}
