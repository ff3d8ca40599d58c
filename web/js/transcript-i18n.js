// @ts-check
// Strings of the mediation record (调解笔录, server/domain/transcripts.py): the panel where the
// mediator writes it live (transcript.js on the live page), what the parties see as it is written,
// the closed record each party reads and signs on their page (partytranscript.js), and the
// words the case page's history and evidence log use for it.

import { dictionaries } from './i18n.js';

const zh = {
  'evidence.type.transcript_version': '调解记录（笔录）版本',
  'evidence.type.transcript_signed': '当事人签署调解记录',
  'history.transcript_version': '调解记录（笔录）已完成一版',
  'history.transcript_signed': '当事人签署调解记录',
  'err.mediator_writes': '调解记录由调解员填写；您可以在调解结束后阅读并签名。',
  'err.no_transcript': '调解员还没有完成本次调解的记录。请先填写记录内容，完成后再签名。',
  'err.transcript_empty': '记录里还没有内容。请先写下当事人陈述、无争议事实或调解意见，再完成记录。',
  'err.transcript_unchanged': '记录自上次完成后没有改动，不需要再完成一版。',
  'err.transcript_changed': '调解员在您打开后修改了记录。请重新阅读最新一版，再签名。',
};

const en = {
  'evidence.type.transcript_version': 'Mediation record version',
  'evidence.type.transcript_signed': 'Mediation record signed by a party',
  'history.transcript_version': 'A version of the mediation record was closed',
  'history.transcript_signed': 'A party signed the mediation record',
  'err.mediator_writes': 'The mediator writes the record; you can read it and sign it after the session.',
  'err.no_transcript': 'The mediator has not closed the record of this session yet. Write it first, then close it for signing.',
  'err.transcript_empty': 'The record is empty. Write what the parties said, the facts both accept or the proposals, then close it.',
  'err.transcript_unchanged': 'The record has not changed since it was last closed; there is no new version to make.',
  'err.transcript_changed': 'The mediator changed the record after you opened it. Read the newest version, then sign.',
};

Object.assign(dictionaries.zh, zh);
Object.assign(dictionaries.en, en);
