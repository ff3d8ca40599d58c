// @ts-check
// What became of a notification, said plainly (#18), wherever staff see one: the case page's list of
// messages, the text telling an online applicant staff's answer (applications.js), and each party's
// text about a proposal to extend the mediation period (extensions.js). Recorded only (pass it on
// yourself), handed to the SMS provider / forwarder / mail server, delivered, or failed with the
// reason. Never "sending" for a message no sender will hand on (`undelivered`, from the server's own
// configuration: no SMS service, no approved template, no mail server), never "sent" for a message
// that only sits in the outbox.

import { html } from 'htm/preact';
import { t, tv } from './i18n.js';
import './case-i18n.js';
import { badge } from './ui-preact.js';

/**
 * One message's state as a badge (and why, where it will not be or was not sent).
 * @param {any} m a message as the API gives it (server/http/views.py `outbox`)
 */
export function outboxState(m) {
  let text;
  let tone = 'muted';
  let why = '';
  if (m.status === 'recorded') {
    text = t('outbox.state.recorded');
    tone = 'warn';
    why = m.failure_reason || '';
  } else if (m.status === 'delivered') {
    text = t('outbox.state.delivered');
    tone = 'ok';
  } else if (m.status === 'failed') {
    text = m.failure_reason ? t('outbox.state.failed', { reason: m.failure_reason }) : t('outbox.state.failed.unknown');
    tone = 'warn';
  } else if (m.status === 'sent') {
    text = t(m.provider === 'smtp' ? 'outbox.state.sent.email' : m.provider === 'spool' ? 'outbox.state.sent.spool' : 'outbox.state.sent.sms');
  } else if (m.undelivered) {
    text = t('outbox.state.undelivered');
    tone = 'warn';
    why = tv('outbox.undelivered', m.undelivered);
  } else {
    text = m.attempts > 0 && m.failure_reason ? t('outbox.state.retrying', { reason: m.failure_reason }) : t('outbox.state.pending');
  }
  const detail = [m.error_code, m.provider_message_id && t('outbox.provider_id', { id: m.provider_message_id })].filter(Boolean).join(' · ');
  const el = html`<span class=${`badge ${tone}`} data-testid="outbox-state" data-status=${m.status} data-undelivered=${m.undelivered || undefined}
    title=${detail || undefined}>${text}</span>`;
  return why ? html`${el}<span class="muted small">${why}</span>` : el;
}

/**
 * A person's notice (server/http/views.py `notice`): each message's channel, recipient and state, or
 * why none was sent (no phone or e-mail; no page of theirs to link to yet).
 * @param {{ notice: any }} props
 */
export function NoticeState({ notice }) {
  const messages = /** @type {any[]} */ ((notice && notice.messages) || []);
  if (!messages.length) {
    const missing = notice && notice.missing;
    return html`<span class="notice-state" data-testid="notice-state" data-missing=${missing || 'none'}>
      ${badge(missing ? tv('notice.missing', missing) : t('notice.none'), 'warn')}</span>`;
  }
  return html`<span class="notice-state" data-testid="notice-state">
    ${messages.map((m) => html`<span key=${m.id} class="notice-message">${badge(tv('channel', m.channel), 'muted')} ${m.recipient} ${outboxState(m)}</span>`)}
  </span>`;
}
