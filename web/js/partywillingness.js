// @ts-check
// The party's page: "do you agree to mediation?" (server/domain/willingness.py). A respondent sees
// who applied and what about, and two large buttons (同意调解 / 不同意调解, a refusal with an
// optional reason and one confirming tap); once answered, what they chose and what happens next.
// An applicant sees whether the other side agreed, or, when mediation cannot go ahead, the routes
// still open to them (People's Mediation Law art. 26). Part of the first screen (a respondent asked
// before any session has only this), so it imports nothing beyond what pages/party.js already has.

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import * as api from './api.js';
import { t, fmtDayHeader, getLang } from './i18n.js';
import './party-i18n.js';
import './willingness-i18n.js';

/** @param {any[]} names */
const namesText = (names) => names.join(getLang() === 'en' ? ', ' : '、');

/** The routes still open after mediation cannot go ahead. */
function Routes() {
  return html`<div class="wil-routes" data-testid="wil-routes">
    <p>${t('wil.party.routes')}</p>
    <ul>
      <li>${t('wil.party.route.court')}</li>
      <li>${t('wil.party.route.arbitration')}</li>
      <li>${t('wil.party.route.authority')}</li>
    </ul>
  </div>`;
}

/** @param {{ w: any }} props */
function Contact({ w }) {
  const m = w.mediator;
  const who = (m && m.display_name) || w.organisation;
  if (!who) return null;
  return html`<p class="now-contact">${t('wil.party.contact', { name: who })}${m && m.phone
    ? [' · ', t('party.now.contact.phone'), ' ', html`<a href=${`tel:${m.phone}`}>${m.phone}</a>`]
    : null}</p>`;
}

/**
 * The respondent's question, or what became of it.
 * @param {{ w: any, onAnswered: (view: any) => void }} props
 */
function Question({ w, onAnswered }) {
  const [step, setStep] = useState(/** @type {'ask' | 'refuse'} */ ('ask'));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const mine = w.mine;
  const send = async (/** @type {'accepted' | 'refused'} */ answer) => {
    setBusy(true);
    setError('');
    try {
      const body = answer === 'refused' && reason.trim() ? { answer, reason: reason.trim() } : { answer };
      const done = await api.request('POST', '/party/willingness', { body });
      onAnswered(done.willingness);
    } catch (err) {
      const e = /** @type {any} */ (err);
      if (e && (e.status === 409 || e.status === 403)) {
        // Answered already (another tab, a double tap) or too late: what the server holds is the answer.
        const now = await api.request('GET', '/party/willingness').catch(() => null);
        if (now && now.willingness) {
          onAnswered(now.willingness);
          return;
        }
      }
      setError(t('wil.party.error'));
    } finally {
      setBusy(false);
    }
  };
  if (mine.answer === 'accepted') {
    return html`<div class="wil-result ok" data-testid="wil-result" data-answer="accepted">
      <p class="lead"><strong>${t('wil.party.you_accepted')}</strong></p>
      <p>${t('wil.party.you_accepted.next')}</p>
    </div>`;
  }
  if (mine.answer === 'refused') {
    return html`<div class="wil-result" data-testid="wil-result" data-answer="refused">
      <p class="lead"><strong>${t('wil.party.you_refused')}</strong></p>
      <p>${t('wil.party.you_refused.next')}</p>
    </div>`;
  }
  if (mine.answer === 'silent' || w.case_status !== 'open') {
    return html`<div class="wil-result" data-testid="wil-result" data-answer=${mine.answer || 'closed'}><p class="lead">${t('wil.party.too_late')}</p></div>`;
  }
  const question = html`<p class="wil-applied lead" data-testid="wil-applicants">${t('wil.party.applied', { names: namesText(w.applicants) })}</p>
    <dl class="info wil-facts">
      <div class="info-row"><dt>${t('wil.party.about')}</dt><dd data-testid="wil-summary">${w.summary}</dd></div>
      <div class="info-row"><dt>${t('wil.party.org')}</dt><dd>${w.organisation}</dd></div>
    </dl>
    <p>${t('wil.party.rule')}</p>
    <p class="wil-due"><strong>${t('wil.party.due', { day: fmtDayHeader(mine.due_date) })}</strong></p>`;
  if (step === 'refuse') {
    return html`${question}
      <label class="wil-reason-label" for="wil-reason">${t('wil.party.reason')}</label>
      <textarea id="wil-reason" class="wil-reason" rows="3" maxlength="500" value=${reason} data-testid="wil-reason"
        onInput=${(/** @type {any} */ e) => setReason(e.currentTarget.value)}></textarea>
      ${error ? html`<p class="error-text" role="alert">${error}</p>` : null}
      <button type="button" class="danger big block" disabled=${busy} onClick=${() => send('refused')} data-testid="wil-refuse-confirm">
        ${busy ? t('wil.party.sending') : t('wil.party.refuse.confirm')}</button>
      <button type="button" class="secondary big block" disabled=${busy} onClick=${() => setStep('ask')}>${t('wil.party.back')}</button>`;
  }
  return html`${question}
    ${error ? html`<p class="error-text" role="alert">${error}</p>` : null}
    <div class="wil-choice">
      <button type="button" class="primary big block" disabled=${busy} onClick=${() => send('accepted')} data-testid="wil-accept">
        ${busy ? t('wil.party.sending') : t('wil.party.accept')}</button>
      <button type="button" class="secondary big block" disabled=${busy} onClick=${() => setStep('refuse')} data-testid="wil-refuse">${t('wil.party.refuse')}</button>
    </div>`;
}

/** What an applicant (or anyone else of the case) sees: the other side's answers. @param {{ w: any, booked: boolean }} props */
function Answers({ w, booked }) {
  const waiting = (w.answers || []).filter((/** @type {any} */ a) => !a.answer);
  const names = namesText((w.answers || []).map((/** @type {any} */ a) => a.name));
  if (w.ended) {
    return html`<p class="lead" data-testid="wil-ended">${t('wil.party.ended', { reason: getLang() === 'en' ? w.ended.en : w.ended.zh })}</p><${Routes} />`;
  }
  if (w.state === 'accepted') return html`<p class="lead" data-testid="wil-status">${t('wil.party.accepted', { names })}</p>`;
  const day = waiting.length ? fmtDayHeader(waiting[0].due_date) : '';
  return html`<p class="lead" data-testid="wil-status">${t(booked ? 'wil.party.waiting_booked' : 'wil.party.waiting', { names, day })}</p>`;
}

/**
 * The card. `w`: GET /party/willingness's `willingness` (also inside /party/me); `booked`: the party has a session.
 * @param {{ w: any, booked: boolean, onAnswered: (view: any) => void }} props
 */
export function WillingnessCard({ w, booked, onAnswered }) {
  const asked = Boolean(w.mine);
  // A respondent who has not answered: the question is the thing to do now, at the top and large.
  const pending = asked && !w.mine.answer && w.case_status === 'open';
  return html`<section class=${`party-card wil-card${pending ? ' now-primary' : ''}`} aria-labelledby="wil-title" data-testid="wil-card" data-state=${w.state}>
    <h2 id="wil-title" class="now-title">${asked ? t('wil.party.title') : t('wil.section')}</h2>
    ${asked ? html`<${Question} w=${w} onAnswered=${onAnswered} />` : html`<${Answers} w=${w} booked=${booked} />`}
    <${Contact} w=${w} />
  </section>`;
}
