// @ts-check
// The mediation agreement as a party sees it on their page (server/http/AGREEMENT_API.md, "Party"):
// the current draft in large type, refreshed live; comparing versions; a comment or proposed
// wording on a clause; once final, the whole text to read to the end, an optional handwritten
// signature, and "确认身份并签名" with their own key (binding one first through keybind.js when
// there is none: a device key with the texted code, or a passkey); after sealing, the signed PDF.

import * as api from './api.js';
import { ApiError } from './api.js';
import { t, getLang, onLangChange, fmtPartyDateTime, fmtShortDateTime } from './i18n.js';
import './agreement-i18n.js';
import { diffView, signerList, clauseName, agreementText } from './agreement.js';
import { h, replace, toast, errorMessage, snapshotInputs, restoreInputs } from './ui.js';
import { PartySigning } from './signing/party-flow.js';
import { messageLine, reasonOf } from './signing/message.js';

const POLL_MS = 3000;
const READ_SLACK_PX = 12;

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
    this.loaded = false;
    this.seenVersion = null;
    this.updated = null; // {key, vars}: what changed while the page was open
    this.compare = null;
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
    this.commentMessage = null;
    this.pollTimer = null;
    this.hosts = {};
    this.pad = new SignaturePad({ onChange: () => this.padChanged() });
    this.checkRead = () => {};
    this.entryEl = h('div', { class: 'agr-entry-host' });
    this.el = h('div', { class: 'party-agreement', dataset: { testid: 'party-agreement' } });
    this.offLang = onLangChange(() => this.render(true));
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
    this.loaded = true;
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
    const phase = this.phase();
    if (phase !== this.lastPhase) {
      this.lastPhase = phase;
      for (const fn of this.phaseListeners) fn(phase);
    }
    const snap = force ? snapshotInputs(this.el) : null;
    this.forcing = force;
    try {
      this.renderEntry();
      const parts = this.view ? this.parts() : [];
      const same = parts.length === this.el.children.length && parts.every((p, i) => this.el.children[i] === p);
      if (!same) replace(this.el, parts);
    } finally {
      this.forcing = false;
    }
    if (snap) restoreInputs(this.el, snap);
  }

  msg(m, testid) {
    return messageLine(m, { testid, focusable: true });
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

  renderEntry() {
    const v = this.view;
    if (!v) {
      replace(this.entryEl);
      return;
    }
    const p = this.phase();
    const key = [v.status, v.latest_version, p, this.updated];
    const drawn = JSON.stringify([key, getLang()]);
    if (this.entryEl.dataset.drawn === drawn && !this.forcing) return;
    this.entryEl.dataset.drawn = drawn;
    replace(
      this.entryEl,
      h(
        'section',
        { class: ['party-card', 'agr-entry', `agr-entry-${p}`], 'aria-labelledby': 'agr-entry-title', dataset: { testid: 'agreement-card' } },
        h('h2', { id: 'agr-entry-title' }, t('agr.title')),
        this.updated ? h('p', { class: 'notice agr-updated', role: 'status', dataset: { testid: 'agreement-card-updated' } }, t(this.updated.key, this.updated.vars)) : null,
        h('p', { class: 'lead', dataset: { testid: 'agreement-card-status' } }, this.statusLine()),
        h(
          'button',
          { type: 'button', class: ['big', 'block', p === 'sign' || p === 'sealed' ? 'primary' : 'secondary'], onclick: () => this.show(), dataset: { testid: 'agreement-open' } },
          p === 'sign' ? t('agr.party.open.sign') : p === 'sealed' ? t('agr.party.open.sealed') : t('agr.party.open'),
        ),
      ),
    );
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

  parts() {
    const v = this.view;
    const p = this.phase();
    const out = [this.part('top', [p, v.status, v.latest_version, v.deadline, this.updated], () => this.top())];
    if (p === 'draft') {
      out.push(this.part('draft', [v.latest_version, v.text_sha256], () => this.draftBox()));
      out.push(this.part('compare', [(v.versions || []).length, this.compare, this.diff], () => this.compareBox()));
      out.push(this.part('comment', [v.latest_version, v.clauses, this.commentMessage], () => this.commentBox()));
      out.push(this.part('mine', [v.comments], () => this.myComments()));
    } else if (p === 'sign') {
      out.push(this.part('signtext', [v.final_version, v.text_sha256], () => this.signText()));
      out.push(this.part('pad', ['pad'], () => this.padBox()));
      const s = this.signing;
      out.push(this.part('signaction', [this.read, s.stage, s.message, s.prepared && s.prepared.challenge, this.keys && this.keys.stage], () => this.signAction()));
    } else if (p === 'sealed') {
      out.push(this.part('sealed', [v.verify_code, v.pdf, v.sealed_at], () => this.sealedBox()));
    } else {
      out.push(this.part('final', [p, v.final_version, v.text_sha256, v.pdf, this.signing.message], () => this.finalBox(p)));
    }
    if (p !== 'draft') out.push(this.part('signers', [v.signers], () => this.signersBox()));
    return out;
  }

  top() {
    const v = this.view;
    return h(
      'div',
      { class: 'agr-top' },
      h('button', { type: 'button', class: 'secondary agr-back', onclick: () => this.hide(), dataset: { testid: 'agreement-back' } }, `‹ ${t('agr.party.back')}`),
      h('h1', { tabindex: '-1' }, t('agr.title')),
      this.updated ? h('p', { class: 'notice agr-updated', role: 'status', dataset: { testid: 'agr-updated' } }, t(this.updated.key, this.updated.vars)) : null,
      h('p', { class: ['lead', 'agr-status-line', this.phase() === 'closed' && 'closed'], dataset: { testid: 'agr-status' } }, this.statusLine()),
      v.deadline && v.status === 'final'
        ? h(
            'p',
            { class: ['agr-deadline', this.deadlinePassed() && 'passed'], dataset: { testid: 'agr-deadline' } },
            this.deadlinePassed()
              ? t('agr.deadline.passed', { time: fmtPartyDateTime(v.deadline, this.tz) })
              : t('agr.deadline.until', { time: fmtPartyDateTime(v.deadline, this.tz) }),
          )
        : null,
    );
  }

  // ---------------------------------------------------------------- drafting

  draftBox() {
    const v = this.view;
    return h(
      'section',
      { class: 'party-card', 'aria-labelledby': 'agr-draft-title' },
      h('h2', { id: 'agr-draft-title' }, t('agr.party.draft', { n: v.latest_version })),
      h('p', { class: 'muted' }, t('agr.party.draft.intro')),
      agreementText(v, { testid: 'agr-draft-text' }),
    );
  }

  compareBox() {
    const v = this.view;
    const versions = [...(v.versions || [])].sort((a, b) => b.number - a.number);
    // Set whenever the view is (a first compare: the latest two versions).
    const compare = /** @type {{ from: number, to: number }} */ (this.compare);
    if (versions.length < 2) return null;
    const select = (name, value, label) => {
      const id = `pa-cmp-${name}`;
      const s = h('select', { id, name }, versions.map((x) => h('option', { value: String(x.number) }, t('agr.version.n', { n: x.number }))));
      s.value = String(value);
      return h('div', { class: 'field' }, h('label', { for: id }, label), s);
    };
    const form = h(
      'form',
      { class: 'agr-compare', novalidate: true },
      select('from', compare.from, t('agr.compare.from')),
      select('to', compare.to, t('agr.compare.to')),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary big', dataset: { testid: 'agr-compare' } }, t('agr.compare'))),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const from = Number(form.elements.from.value);
      const to = Number(form.elements.to.value);
      this.compare = { from, to, auto: false };
      try {
        this.diff = await api.partyAgreementDiff(from, to);
      } catch (err) {
        toast(errorMessage(err), 'error', 7000);
        return;
      }
      this.render();
      this.el.querySelector('[data-testid="agr-diff"]')?.focus();
    });
    return h(
      'section',
      { class: 'party-card', 'aria-labelledby': 'pa-compare-title' },
      h('h2', { id: 'pa-compare-title' }, t('agr.compare.title')),
      form,
      this.diff ? diffView(this.diff) : null,
    );
  }

  commentBox() {
    const v = this.view;
    const lang = getLang();
    const clauses = v.clauses || [];
    const form = h(
      'form',
      { class: 'agr-comment-form', novalidate: true, 'aria-labelledby': 'pa-comment-title', dataset: { testid: 'agr-comment-form' } },
      h('h2', { id: 'pa-comment-title' }, t('agr.party.comment.title')),
      h('p', { class: 'muted' }, t('agr.party.comment.intro')),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'pa-clause' }, t('agr.party.comment.clause')),
        h('select', { id: 'pa-clause', name: 'clause', dataset: { testid: 'agr-clause' } }, clauses.map((c) => h('option', { value: c.id }, lang === 'en' ? c.label_en || c.label : c.label))),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'pa-comment' }, t('agr.party.comment.text')),
        h('textarea', { id: 'pa-comment', name: 'text', rows: 3, maxlength: 2000, dataset: { testid: 'agr-comment-text' } }),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'pa-proposal' }, t('agr.party.comment.proposal'), h('span', { class: 'optional' }, ` ${t('common.optional')}`)),
        h('textarea', { id: 'pa-proposal', name: 'proposal', rows: 3, maxlength: 1000, 'aria-describedby': 'pa-proposal-hint', dataset: { testid: 'agr-proposal-text' } }),
        h('p', { class: 'hint', id: 'pa-proposal-hint' }, t('agr.party.comment.proposal.hint')),
      ),
      this.msg(this.commentMessage, 'agr-comment-message'),
      h('button', { type: 'submit', class: 'primary big block', dataset: { testid: 'agr-comment-send' } }, t('agr.party.comment.send')),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = form.elements;
      const text = f.text.value.trim();
      const proposal = f.proposal.value.trim();
      if (!text && !proposal) {
        this.commentMessage = { kind: 'error', key: 'agr.party.comment.empty' };
        this.render();
        form.querySelector('#pa-comment')?.focus();
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      button.textContent = t('common.submitting');
      const body = { version: this.view.latest_version, clause: f.clause.value, text: text || proposal };
      if (proposal) body.proposal = proposal;
      try {
        await api.commentOnAgreement(body);
        this.commentMessage = { kind: 'info', key: 'agr.party.comment.sent', vars: { clause: clauseName(this.view, body.clause) } };
        f.text.value = '';
        f.proposal.value = '';
        const data = await api.partyAgreement().catch(() => null);
        if (data) this.setView(data.agreement);
      } catch (err) {
        this.commentMessage = { kind: 'error', text: reasonOf(err) === 'final' ? t('agr.already_final') : errorMessage(err) };
      }
      const clause = f.clause.value;
      this.hosts.comment.dataset.drawn = '';
      this.render();
      const again = this.el.querySelector('#pa-clause');
      if (again) again.value = clause;
      this.el.querySelector('[data-testid="agr-comment-message"]')?.focus();
    });
    return h('section', { class: 'party-card' }, form);
  }

  myComments() {
    const v = this.view;
    const comments = [...(v.comments || [])].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    if (!comments.length) return null;
    return h(
      'section',
      { class: 'party-card', 'aria-labelledby': 'pa-mine-title' },
      h('h2', { id: 'pa-mine-title' }, t('agr.party.mine')),
      h(
        'ul',
        { class: 'agr-comment-list', dataset: { testid: 'agr-my-comments' } },
        comments.map((c) =>
          h(
            'li',
            { class: 'agr-comment', dataset: { testid: 'agr-comment' } },
            h('p', { class: 'agr-comment-head' }, h('strong', null, clauseName(v, c.clause)), ' ', h('span', { class: 'muted small' }, [t('agr.version.n', { n: c.version }), c.created_at ? fmtShortDateTime(c.created_at, this.tz) : null].filter(Boolean).join(' · '))),
            c.text && c.text !== c.proposal ? h('p', null, c.text) : null,
            c.proposal ? h('div', { class: 'agr-proposal' }, h('p', { class: 'agr-proposal-label' }, t('agr.proposal')), h('p', { class: 'agr-proposal-text' }, c.proposal)) : null,
          ),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- signing

  signText() {
    const v = this.view;
    const box = h(
      'div',
      { class: 'agr-text agr-read', tabindex: '0', role: 'region', 'aria-label': t('agr.party.read.label'), 'aria-describedby': 'pa-read-note', dataset: { testid: 'agr-sign-text' } },
      v.text || '',
      h('p', { class: 'agr-read-end', 'aria-hidden': 'true' }, t('agr.party.read.end')),
    );
    const check = () => {
      if (this.read || !box.isConnected || !box.clientHeight) return;
      if (box.scrollTop + box.clientHeight >= box.scrollHeight - READ_SLACK_PX) {
        this.read = true;
        this.render();
      }
    };
    box.addEventListener('scroll', check, { passive: true });
    this.checkRead = check;
    // A text short enough to fit needs no scrolling.
    requestAnimationFrame(() => requestAnimationFrame(check));
    const pdf = (v.pdf && v.pdf.agreement) || null;
    return h(
      'section',
      { class: 'party-card agr-sign-card', 'aria-labelledby': 'pa-sign-title' },
      h('h2', { id: 'pa-sign-title' }, t('agr.party.sign.title', { n: v.final_version })),
      h('p', null, t('agr.party.sign.intro')),
      box,
      pdf ? h('p', null, h('a', { href: pdf, download: '', class: 'button secondary block', dataset: { testid: 'agr-pdf' } }, t('agr.pdf.agreement'))) : null,
    );
  }

  /** The pad's own element is kept (redrawing would end a stroke): only its hint and button follow. */
  padBox() {
    this.pad.canvas.setAttribute('aria-label', t('agr.pad.label'));
    this.padHint = h('p', { class: 'hint', role: 'status', dataset: { testid: 'sig-state' } });
    this.padClear = h('button', { type: 'button', class: 'secondary', onclick: () => this.pad.clear(), dataset: { testid: 'sig-clear' } }, t('agr.pad.clear'));
    this.padChanged();
    return h(
      'section',
      { class: 'party-card agr-pad-card', 'aria-labelledby': 'pa-pad-title' },
      h('h2', { id: 'pa-pad-title' }, t('agr.pad.title'), h('span', { class: 'optional' }, ` ${t('common.optional')}`)),
      h('p', { id: 'pa-pad-note' }, t('agr.pad.note')),
      h('div', { class: 'sig-pad-wrap' }, this.pad.canvas),
      this.padHint,
      this.padClear,
    );
  }

  padChanged() {
    if (!this.padHint) return;
    this.padHint.textContent = this.pad.empty ? t('agr.pad.hint') : t('agr.pad.drawn');
    this.padClear.disabled = this.pad.empty;
  }

  signAction() {
    const s = this.signing;
    const busy = s.busy;
    const parts = [];
    if (s.stage === 'no_key' && this.keys) {
      this.keys.render();
      parts.push(h('p', { class: 'consent-step', dataset: { testid: 'agr-key-first' } }, t('agr.party.key.first')), h('div', { class: 'agr-key-bind' }, this.keys.el));
    } else if (s.stage === 'code' && s.prepared) {
      const form = s.codeForm({
        formClass: 'agr-code-form',
        meaning: t('agr.party.code.meaning'),
        hint: t('agr.party.code.hint'),
        confirm: t('agr.party.sign.confirm'),
      });
      // The text above stays described by the read note (aria-describedby="pa-read-note").
      parts.push(this.readNote(), form);
      return h('section', { class: 'party-card agr-sign-action', 'aria-label': t('agr.party.sign') }, parts);
    }
    parts.push(
      s.stage === 'no_key' ? null : s.messageLine(),
      this.readNote(),
      s.stage === 'no_key'
        ? null
        : h(
            'button',
            { type: 'button', class: 'primary big block', disabled: !this.read || busy, 'aria-describedby': 'pa-read-note', onclick: () => this.startSign(), dataset: { testid: 'agr-sign' } },
            busy ? t('agr.party.signing') : t('agr.party.sign'),
          ),
      h('p', { class: 'hint' }, t(this.keys && this.keys.noChannel() ? 'agr.party.sign.hint.nocode' : 'agr.party.sign.hint')),
    );
    return h('section', { class: 'party-card agr-sign-action', 'aria-label': t('agr.party.sign') }, parts);
  }

  /** "Read to the end first" / "✓ read": what the text and the sign button are described by. */
  readNote() {
    return h(
      'p',
      { class: ['agr-read-note', this.read && 'done'], id: 'pa-read-note', role: 'status', dataset: { testid: 'agr-read-note' } },
      this.read ? `✓ ${t('agr.party.read.done')}` : t('agr.party.read.first'),
    );
  }

  /** @param {string} testid */
  focus(testid) {
    /** @type {HTMLElement | null} */ (this.el.querySelector(`[data-testid="${testid}"]`))?.focus();
  }

  /** A key was just bound: go on with the signature. */
  bound() {
    if (this.signing.stage !== 'no_key' || !this.open) return;
    this.signing.message = { kind: 'info', key: 'agr.party.key.bound' };
    this.startSign();
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
    if (!s.begin()) return;
    const v = this.view;
    let r;
    try {
      r = await api.preparePartyAgreementSignature(v.final_version, v.text_sha256);
    } catch (err) {
      await this.failed(err);
      return;
    }
    if (r.text_sha256 && v.text_sha256 && r.text_sha256 !== v.text_sha256) {
      // What would be signed is not what was shown: show the new text and ask again.
      s.stage = 'idle';
      this.read = false;
      s.message = { kind: 'error', key: 'agr.party.err.superseded' };
      await this.reload();
      this.render();
      return;
    }
    await s.withPrepared(r);
  }

  /** @param {import('./signing/party-flow.js').Proof} proof */
  async complete(proof) {
    const s = this.signing;
    /** @type {Record<string, unknown>} */
    const body = { ...proof };
    const drawn = this.pad.dataUrl();
    if (drawn) body.handwriting = drawn;
    await api.completePartyAgreementSignature(/** @type {import('./signing/party-flow.js').Prepared} */ (s.prepared).challenge, body);
    s.reset();
    s.message = { kind: 'info', key: 'agr.party.signed.toast' };
    toast(t('agr.party.signed.toast'));
    await this.reload();
    this.render();
    this.focus('agr-signed');
  }

  // ---------------------------------------------------------------- after signing

  finalBox(p) {
    const v = this.view;
    const pdf = (v.pdf && v.pdf.agreement) || null;
    let head;
    if (p === 'signed') head = h('p', { class: 'agr-done', tabindex: '-1', dataset: { testid: 'agr-signed' } }, `✓ ${t('agr.party.signed')}`);
    else if (p === 'closed') head = h('p', { class: 'notice agr-closed', role: 'alert', dataset: { testid: 'agr-closed' } }, t('agr.party.closed'));
    else head = null;
    return h(
      'section',
      { class: ['party-card', p === 'signed' && 'agr-card-done'], 'aria-labelledby': 'pa-final-title' },
      h('h2', { id: 'pa-final-title' }, t('agr.final.title', { n: v.final_version })),
      head,
      p === 'signed' ? h('p', null, t('agr.party.signed.wait')) : null,
      h('details', { class: 'agr-preview' }, h('summary', null, t('agr.final.text')), agreementText(v)),
      pdf ? h('p', null, h('a', { href: pdf, download: '', class: 'button secondary block', dataset: { testid: 'agr-pdf' } }, t('agr.pdf.agreement'))) : null,
    );
  }

  sealedBox() {
    const v = this.view;
    const pdf = v.pdf || {};
    const url = v.verify_url || (v.verify_code ? `${location.origin}/v/${encodeURIComponent(v.verify_code)}` : '');
    return h(
      'section',
      { class: 'party-card agr-card-done', 'aria-labelledby': 'pa-sealed-title', dataset: { testid: 'agr-sealed' } },
      h('h2', { id: 'pa-sealed-title' }, `✓ ${t('agr.sealed')}`),
      v.sealed_at ? h('p', null, t('agr.sealed.at', { time: fmtPartyDateTime(v.sealed_at, this.tz) })) : null,
      pdf.signed
        ? [
            h('a', { href: pdf.signed, download: '', class: 'button primary big block', dataset: { testid: 'agr-download-signed' } }, t('agr.party.download')),
            h('p', { class: 'hint' }, t('agr.party.download.hint')),
          ]
        : null,
      v.verify_code
        ? h(
            'p',
            { class: 'agr-verify-party' },
            t('agr.verify.code'),
            ' ',
            h('code', { class: 'agr-verify-code', dataset: { testid: 'agr-verify-code' } }, v.verify_code),
            url ? [h('br'), h('a', { href: url, target: '_blank', rel: 'noopener' }, t('agr.verify.open'))] : null,
          )
        : null,
      h('details', { class: 'agr-preview' }, h('summary', null, t('agr.final.text')), agreementText(v)),
    );
  }

  signersBox() {
    return h(
      'section',
      { class: 'party-card', 'aria-labelledby': 'pa-signers-title' },
      h('h2', { id: 'pa-signers-title' }, t('agr.signers')),
      signerList(this.view, this.tz, { me: this.view.me }),
    );
  }
}
