// @ts-check
// Strings of archiving a closed case (归档) and of its file's retention and destruction (archive.js,
// server/domain/archive.py), and the evidence log's and history's words for them.

import { dictionaries } from './i18n.js';

const zh = {
  'archive.title': '归档',
  'archive.intro': '结案后，由调解员将案件归档（《人民调解法》第二十七条：立卷归档）。归档后案件只能查阅，不能再作任何更改。卷宗按本调解组织的规定保管（{retention}），期满后卷宗中的文件将被销毁，销毁情况记入证据记录。',
  'archive.button': '归档',
  'archive.confirm': '归档后，本案的当事人、调解安排、协议、履行、回访和案件材料都不能再更改，只能查阅。确定归档吗？',
  'archive.done': '案件已归档。',
  'archive.notice': '此案件已于{date}归档，只能查阅，不能再更改。卷宗保管期限：{retention}，至{until}。',
  'archive.notice.forever': '此案件已于{date}归档，只能查阅，不能再更改。卷宗永久保管。',
  'archive.destroyed': '卷宗保管期满，案件材料已于{date}销毁；其哈希仍保存在证据记录中。',
  'archive.badge': '已归档',
  'archive.years': '{years}年',
  'archive.forever': '永久',
  'files.destroyed': '已销毁',
  'evidence.type.case_archived': '归档',
  'evidence.type.case_file_destroyed': '卷宗保管期满销毁',
  'history.case_archived': '案件归档',
  'history.case_file_destroyed': '卷宗保管期满，案件材料已销毁',
};

const en = {
  'archive.title': 'Archive',
  'archive.intro': 'Once the case is closed, its mediator archives it (People’s Mediation Law art. 27). An archived case can be read but no longer changed. Its file is kept as your organisation’s rule says ({retention}); after that, the documents in it are destroyed and the evidence records say so.',
  'archive.button': 'Archive',
  'archive.confirm': 'Once archived, nothing of this case (parties, sessions, agreement, performance, visits, files) can be changed any more, only read. Archive it?',
  'archive.done': 'The case is archived.',
  'archive.notice': 'This case was archived on {date}: it can be read but no longer changed. Its file is kept for {retention}, until {until}.',
  'archive.notice.forever': 'This case was archived on {date}: it can be read but no longer changed. Its file is kept for good.',
  'archive.destroyed': 'The case file’s retention ended: its documents were destroyed on {date}; their hashes remain in the evidence records.',
  'archive.badge': 'Archived',
  'archive.years': '{years} years',
  'archive.forever': 'for good',
  'files.destroyed': 'destroyed',
  'evidence.type.case_archived': 'Case archived',
  'evidence.type.case_file_destroyed': 'Case file destroyed after its retention',
  'history.case_archived': 'Case archived',
  'history.case_file_destroyed': 'The case file’s retention ended: its documents were destroyed',
};

Object.assign(dictionaries.zh, zh);
Object.assign(dictionaries.en, en);
