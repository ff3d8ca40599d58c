// @ts-check
// The mediation records of a case's sessions (server/domain/transcripts.py), as staff see them on the
// case page: each session's record with its newest closed version (the text as signed, its hash),
// each party's signature and any disagreement they noted beside it, whether the parties chose the
// recording instead of the written statements (在线调解规则 art. 22), and, for the case's mediators,
// "完成记录" when the draft was written on after the last close: after the session the live page
// is closed, so this is where a record is closed for the parties to sign. A supervisor reads it.

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import * as api from './api.js';
import { t, fmtDateTime } from './i18n.js';
import './transcript-i18n.js';
import { toast, errorMessage } from './ui.js';
import { badge, empty } from './ui-preact.js';

/** A case's records (GET /cases/<id>/transcripts): {items}. @param {string} caseId */
export const transcriptsOf = (caseId) => api.request('GET', `/cases/${encodeURIComponent(caseId)}/transcripts`);

/**
 * One session's record.
 * @param {{ r: any, tz: string, canClose: boolean, onChanged: () => void }} props
 */
function Record({ r, tz, canClose, onChanged }) {
  const [busy, setBusy] = useState(false);
  const v = r.version;
  const signed = (r.signers || []).filter((/** @type {any} */ s) => s.signed_at).length;
  const close = async () => {
    setBusy(true);
    try {
      const done = await api.request('POST', `/sessions/${encodeURIComponent(r.session_id)}/transcript/close`, { body: {} });
      toast(t('tr.closed.toast', { version: done.version.number }));
      onChanged();
    } catch (err) {
      toast(errorMessage(err), 'error', 8000);
    } finally {
      setBusy(false);
    }
  };
  return html`<article class="tr-item" data-testid="case-transcript" data-session-id=${r.session_id}>
    <h3>${t('tr.case.session', { when: fmtDateTime(r.starts_at, tz) })}
      ${' '}${v ? badge(t('tr.case.version', { version: v.number, signed, total: (r.signers || []).length }), signed === (r.signers || []).length ? 'ok' : 'warn') : badge(t('tr.case.draft'), 'warn')}</h3>
    ${r.recording && r.recording.agreed ? html`<p class="notice">${t('tr.recording.agreed')}</p>` : null}
    ${v
      ? html`<details>
          <summary>${t('tr.case.text', { version: v.number, by: v.closed_by, when: fmtDateTime(v.closed_at, tz) })}</summary>
          <pre class="tr-record" tabindex="0" aria-label=${t('tr.party.text')} data-testid="case-transcript-text">${v.text}</pre>
          <p class="hint tr-hash">${t('tr.party.hash', { hash: v.text_sha256 })}</p>
        </details>
        <ul class="tr-signers">
          ${(r.signers || []).map(
            (/** @type {any} */ s) => html`<li key=${s.party_id} data-signed=${s.signed_at ? 'yes' : 'no'}>
              ${s.signed_at ? `✓ ${t('tr.party.signer.signed', { name: s.name, when: fmtDateTime(s.signed_at, tz) })}` : t('tr.party.signer.waiting', { name: s.name })}
              ${s.disagreement ? html`<p class="tr-disagreement" data-testid="case-transcript-disagreement">${t('tr.party.disagreement.shown', { name: s.name, text: s.disagreement })}</p>` : null}
            </li>`,
          )}
        </ul>`
      : html`<p class="muted">${t('tr.case.not_closed')}</p>`}
    ${r.unclosed && canClose
      ? html`<p class="hint">${t(v ? 'tr.case.changed' : 'tr.case.unclosed')}</p>
          <button type="button" class="primary" disabled=${busy} onClick=${close} data-testid="case-transcript-close">${busy ? t('common.submitting') : t(v ? 'tr.close.again' : 'tr.close')}</button>`
      : null}
  </article>`;
}

/**
 * The case page's section body.
 * @param {{ data: any, tz: string, canClose: boolean, onChanged: () => void }} props
 */
export function TranscriptsBody({ data, tz, canClose, onChanged }) {
  const items = (data && data.items) || [];
  if (!items.length) return empty(t('tr.case.empty'));
  return html`${items.map((/** @type {any} */ r) => html`<${Record} key=${r.session_id} r=${r} tz=${tz} canClose=${canClose} onChanged=${onChanged} />`)}`;
}
