// @ts-check
// Judicial confirmation of the agreement (server/http/CONFIRMATION_API.md) on the mediator's case
// page: a small section with the 30 days to apply (from the day the agreement took effect), where
// the parties' application stands, who has signed it, and the court's ruling to download once
// decided. Submitted applications lock the case (no more changes to parties, sessions, agreement).
//
// Helpers used by the party's card (partyconfirmation.js) and the court's page (pages/court.js) too:
// the status steps, the applicants, the decision, the grounds' names.

import * as api from './api.js';
import { t, tv, getLang, onLangChange, fmtDateTime, fmtShortDateTime } from './i18n.js';
import './agreement-i18n.js';
import './confirmation-i18n.js';
import { h, replace, badge, loadingState, errorState } from './ui.js';
import { ConfirmationPaper } from './confirmation-paper.js';

const POLL_MS = 10_000;

/** The steps an application goes through once both parties have signed. */
export const STEPS = ['received', 'accepted', 'under_review', 'hearing_scheduled', 'decided'];
export const DECIDED = new Set(['confirmed', 'rejected']);

/** How far along `status` is: -1 before submission, 0 … 4 (decided). */
export function stepIndex(status) {
  if (DECIDED.has(status)) return 4;
  return STEPS.indexOf(status);
}

/** A code from /meta's lists ({code, zh, en}) in the viewer's language; else our own word for it. */
function fromMeta(list, code, prefix) {
  const found = (list || []).find((x) => x.code === code);
  if (found) return getLang() === 'en' ? found.en || found.zh : found.zh;
  return tv(prefix, code);
}

/** Why a court may hear the case: 调解组织所在地, 当事人住所地, 标的物所在地, 委派调解的法院. */
export const groundName = (code, meta) => fromMeta(meta && meta.confirmation_grounds, code, 'conf.ground');

/** A statutory ground for refusing to confirm. */
export const rejectionGroundName = (code, meta) => fromMeta(meta && meta.rejection_grounds, code, 'conf.reject');

/** The status in words, with a badge colour. */
export function statusBadge(status) {
  const kind = status === 'confirmed' ? 'ok' : status === 'rejected' ? 'bad' : status === 'awaiting_cosign' ? 'warn' : '';
  return badge(tv('conf.status', status), kind);
}

/** Days left to apply, in words ("还剩 12 天" / "今天是最后一天"). */
export function daysLeftText(daysLeft) {
  if (daysLeft == null) return '';
  if (daysLeft <= 0) return t('conf.days.today');
  return daysLeft === 1 ? t('conf.days.one') : t('conf.days.n', { n: daysLeft });
}

/** The ruling's address for this caller: the view's own, else `fallback`. */
export function rulingUrl(application, fallback) {
  return (application && application.decision && application.decision.pdf) || fallback || null;
}

/**
 * The application's progress as a list of steps (已提交 → 法院已受理 → 审查中 → 已安排听证 →
 * 已确认/不予确认): each done (✓), the current one marked (aria-current), the rest to come (○);
 * a hearing that was never needed shows as such. Words as well as colours.
 */
export function statusSteps(application, tz, { fmt = fmtShortDateTime } = {}) {
  const a = application;
  const at = stepIndex(a.status);
  const items = STEPS.map((step, i) => {
    let state = i < at ? 'done' : i === at ? 'current' : 'todo';
    let label = t(`conf.step.${step}`);
    let when = null;
    if (step === 'received' && a.submitted_at) when = fmt(a.submitted_at, tz);
    if (step === 'hearing_scheduled') {
      if (a.hearing && a.hearing.starts_at) when = fmt(a.hearing.starts_at, tz);
      else if (at >= 4) {
        state = 'skipped';
        label = t('conf.step.hearing_none');
      }
    }
    if (step === 'decided') {
      if (at === 4) {
        label = tv('conf.status', a.status);
        state = a.status === 'confirmed' ? 'confirmed' : 'rejected';
        if (a.decision && a.decision.decided_at) when = fmt(a.decision.decided_at, tz);
      } else label = t('conf.step.decided');
    }
    const mark = { done: '✓', current: String(i + 1), todo: String(i + 1), skipped: '–', confirmed: '✓', rejected: '✕' }[state];
    const sr = { done: t('conf.step.sr.done'), current: t('conf.step.sr.current'), todo: t('conf.step.sr.todo'), skipped: '', confirmed: t('conf.step.sr.done'), rejected: t('conf.step.sr.done') }[state];
    return h(
      'li',
      { class: ['conf-step', state], 'aria-current': state === 'current' || (i === at && at === 4) ? 'step' : null, dataset: { testid: 'conf-step', step, state } },
      h('span', { class: 'conf-step-mark', 'aria-hidden': 'true' }, mark),
      h('span', { class: 'conf-step-label' }, sr ? h('span', { class: 'sr-only' }, `${sr}：`) : null, label),
      when ? h('span', { class: 'conf-step-when' }, when) : null,
    );
  });
  return h('ol', { class: 'conf-steps', 'aria-label': t('conf.steps.label'), dataset: { testid: 'conf-steps' } }, items);
}

/**
 * Who applied: each party, whether and when they signed, and how (on paper: who received the page).
 * @param {any} application
 * @param {string} tz
 * @param {{ meId?: string | null, fmt?: typeof fmtShortDateTime }} [options]
 */
export function applicantList(application, tz, { meId = null, fmt = fmtShortDateTime } = {}) {
  const signers = (application && application.signers) || [];
  return h(
    'ul',
    { class: 'agr-signers conf-signers', dataset: { testid: 'conf-signers' } },
    signers.map((s) => {
      const signed = Boolean(s.signed_at);
      return h(
        'li',
        { class: ['agr-signer', signed ? 'signed' : 'unsigned'], dataset: { testid: 'conf-signer', partyId: s.party_id, signed: String(signed) } },
        h('span', { class: 'agr-signer-mark', 'aria-hidden': 'true' }, signed ? '✓' : '○'),
        h(
          'span',
          { class: 'agr-signer-who' },
          h('strong', null, s.name),
          s.role ? t('agr.signer.role', { role: tv('partyrole', s.role) }) : null,
          meId && s.party_id === meId ? h('span', { class: 'muted' }, ` ${t('agr.signer.you')}`) : null,
        ),
        h(
          'span',
          { class: 'agr-signer-state' },
          signed
            ? [
                t('agr.signer.signed', { time: fmt(s.signed_at, tz) }),
                s.method ? ` · ${tv('agr.method', s.method)}` : '',
                // On paper (#25): the mediator who received the signed page and confirmed it.
                s.received_by ? ` · ${t('agr.method.received_by', { name: s.received_by })}` : '',
              ].join('')
            : t('agr.signer.unsigned'),
        ),
      );
    }),
  );
}

/**
 * The court's decision: confirmed (the agreement can be enforced) or not confirmed with the statutory
 * grounds and the written reasons, what that means for the parties, and the ruling to download.
 * @param {any} application
 * @param {{
 *   tz?: string, meta?: any, url?: string | null, big?: boolean, fmt?: (value: any, timeZone: any) => string,
 *   heading?: string, routes?: boolean, hash?: boolean,
 * }} [options]
 */
export function decisionBox(application, { tz, meta, url, big = false, fmt = fmtDateTime, heading = 'h3', routes = true, hash = true } = {}) {
  const d = application.decision || {};
  const confirmed = application.status === 'confirmed';
  const grounds = (d.grounds || []).map((g) => rejectionGroundName(g, meta));
  return h(
    'div',
    { class: ['conf-decision', confirmed ? 'confirmed' : 'rejected'], dataset: { testid: 'conf-decision', decision: application.status } },
    h(heading, { tabindex: '-1' }, confirmed ? `✓ ${t('conf.decision.confirmed')}` : `✕ ${t('conf.decision.rejected')}`),
    d.decided_at ? h('p', null, t('conf.decision.at', { time: fmt(d.decided_at, tz), court: (application.court && application.court.name) || '' })) : null,
    confirmed
      ? h('p', null, t('conf.decision.confirmed.text'))
      : [
          grounds.length ? h('div', null, h('p', { class: 'conf-label' }, t('conf.decision.grounds')), h('ul', { class: 'conf-grounds', dataset: { testid: 'conf-decision-grounds' } }, grounds.map((g) => h('li', null, g)))) : null,
          d.reasons ? h('div', null, h('p', { class: 'conf-label' }, t('conf.decision.reasons')), h('p', { class: 'conf-reasons' }, d.reasons)) : null,
          routes ? h('p', null, t('conf.decision.rejected.routes')) : null,
        ],
    url
      ? h(
          'p',
          { class: 'conf-ruling' },
          h('a', { href: url, download: '', class: ['button', 'primary', big && 'big', big && 'block'], dataset: { testid: 'conf-ruling' } }, t('conf.ruling.download')),
        )
      : null,
    hash && d.sha256 ? h('p', { class: 'muted small agr-hash' }, t('conf.ruling.sha'), ' ', h('code', null, d.sha256)) : null,
  );
}

/**
 * The section on the case page. `el` is hidden until the agreement is in effect (before that,
 * there is nothing to apply for); it polls while an application is pending. While the application
 * waits for co-signatures, a party who signs nothing with a key co-signs on paper, the mediator
 * attesting it (confirmation-paper.js, #25): that box keeps its own element (a chosen file stays
 * chosen while the rest is drawn again).
 */
export class ConfirmationPanel {
  /**
   * caseId; userId: the mediator's (their signing keys); tz: the mediator's zone; meta: /meta (for
   * the grounds' names); onSubmitted: the case page looks again once an attestation submitted the
   * application (the case is then before the court).
   */
  constructor({ caseId, userId, tz, meta, onSubmitted = () => {} }) {
    this.caseId = caseId;
    this.tz = tz;
    this.meta = meta;
    this.onSubmitted = onSubmitted;
    this.status = 'loading'; // loading | ready | error | none (no such route on this server)
    this.error = null;
    this.data = null;
    this.pollTimer = null;
    this.el = h('section', { id: 'confirmation', class: 'card conf-panel', hidden: true, 'aria-labelledby': 'confirmation-title', dataset: { testid: 'confirmation-panel' } });
    this.main = h('div');
    this.paper = new ConfirmationPaper({
      caseId,
      userId,
      tz,
      reload: async () => {
        const before = this.data && this.data.application && this.data.application.status;
        await this.load();
        const after = this.data && this.data.application && this.data.application.status;
        if (before === 'awaiting_cosign' && after && after !== before) this.onSubmitted();
      },
    });
    this.el.append(this.main, this.paper.el);
    onLangChange(() => this.render());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.status === 'ready') this.load();
    });
  }

  async load() {
    clearTimeout(this.pollTimer);
    if (this.paper.busy) {
      // An attestation is under way: look once it is done (it loads again itself).
      this.pollTimer = setTimeout(() => this.load(), POLL_MS);
      return;
    }
    try {
      this.data = await api.caseConfirmation(this.caseId);
      this.status = 'ready';
      this.error = null;
    } catch (err) {
      if (err.status === 404 && !this.data) this.status = 'none';
      else if (this.status !== 'ready') {
        this.status = 'error';
        this.error = err;
      }
    }
    this.render();
    // Look again while something may still change: an application pending, or days left to make one.
    const d = this.data;
    const a = d && d.application;
    const passed = d && d.deadline && Date.parse(d.deadline) <= Date.now();
    const pending = d && d.effective_at && (a ? !DECIDED.has(a.status) : !passed);
    if (this.status === 'ready' && pending) this.pollTimer = setTimeout(() => this.load(), POLL_MS);
  }

  render() {
    const d = this.data;
    const show = this.status === 'error' || (this.status === 'ready' && d && d.effective_at);
    this.el.hidden = !show;
    this.paper.draw(show && this.status === 'ready' && d ? d.application : null, d && d.deadline);
    if (!show) return replace(this.main);
    const a = d && d.application;
    const title = h('h2', { id: 'confirmation-title' }, t('conf.title'), ' ', a ? statusBadge(a.status) : null);
    if (this.status === 'error') return replace(this.main, title, errorState(this.error, () => this.load()));
    if (this.status === 'loading') return replace(this.main, title, loadingState());
    const deadlinePassed = d.deadline && Date.parse(d.deadline) <= Date.now();
    const deadline = d.deadline
      ? h(
          'p',
          { class: ['agr-deadline', 'conf-deadline', deadlinePassed && 'passed'], dataset: { testid: 'conf-deadline' } },
          deadlinePassed ? t('conf.med.deadline.passed', { time: fmtDateTime(d.deadline, this.tz) }) : t('conf.med.deadline', { time: fmtDateTime(d.deadline, this.tz), left: daysLeftText(d.days_left) }),
        )
      : null;
    let body;
    if (!a) {
      body = [deadline, h('p', { class: 'muted', dataset: { testid: 'conf-none' } }, deadlinePassed ? t('conf.med.none.passed') : t('conf.med.none'))];
    } else {
      const submitted = a.status !== 'awaiting_cosign';
      body = [
        h(
          'dl',
          { class: 'details conf-facts' },
          h('dt', null, t('conf.court')),
          h('dd', { dataset: { testid: 'conf-court' } }, (a.court && a.court.name) || ''),
          h('dt', null, t('conf.ground')),
          h('dd', null, groundName(a.ground, this.meta)),
          a.submitted_at ? [h('dt', null, t('conf.submitted')), h('dd', null, fmtDateTime(a.submitted_at, this.tz))] : null,
          a.judge ? [h('dt', null, t('conf.judge')), h('dd', null, a.judge.name)] : null,
          a.hearing ? [h('dt', null, t('conf.hearing')), h('dd', null, fmtDateTime(a.hearing.starts_at, this.tz))] : null,
        ),
        submitted ? null : deadline,
        submitted ? statusSteps(a, this.tz) : h('p', { class: 'notice', dataset: { testid: 'conf-awaiting' } }, t('conf.med.awaiting')),
        h('h3', null, t('conf.applicants')),
        applicantList(a, this.tz),
        submitted && !DECIDED.has(a.status) ? h('p', { class: 'muted small conf-locked', dataset: { testid: 'conf-locked' } }, t('conf.med.locked')) : null,
        DECIDED.has(a.status) ? decisionBox(a, { tz: this.tz, meta: this.meta, url: rulingUrl(a, api.caseRulingUrl(this.caseId)), routes: false }) : null,
      ];
    }
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const focusedTestId = active && this.main.contains(active) ? active.dataset.testid : null;
    replace(this.main, title, h('p', { class: 'muted' }, t('conf.med.intro')), body);
    if (focusedTestId) this.main.querySelector(`[data-testid="${focusedTestId}"]`)?.focus();
    return null;
  }
}
