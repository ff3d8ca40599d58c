// @ts-check
// Strings in Simplified Chinese (first) and English, the language switch, and formatting of
// dates, times, amounts and countdowns in the viewer's language and a given time zone.

import { calendarDate, wallParts } from './time.js';

const zh = {
  'app.name': '在线视频调解',
  'app.skip': '跳到主要内容',
  'lang.switch': 'English',
  'lang.switch.label': 'Switch to English',
  'common.loading': '正在加载…',
  'common.save': '保存',
  'common.saving': '正在保存…',
  'common.cancel': '取消',
  'common.close': '关闭',
  'common.delete': '删除',
  'common.copy': '复制',
  'common.copied': '已复制',
  'common.copy_failed': '无法自动复制。文字已选中，请按 Ctrl+C（手机上长按）复制。',
  'common.optional': '（选填）',
  'common.none': '无',
  'common.logout': '退出登录',
  'common.submitting': '正在提交…',
  'common.confirm': '确定',
  'common.retry': '重试',
  'common.select': '请选择',
  'common.yes': '是',
  'common.no': '否',
  'error.network': '网络连接失败，请检查网络后重试。',
  'error.forbidden': '您没有权限执行此操作。如有疑问，请联系管理员或调解员。',
  'error.not_found': '没有找到相关内容，可能已被删除。请刷新页面。',
  'error.conflict': '与已有的内容冲突。请刷新页面查看最新情况后再试。',
  'error.invalid_input': '请检查填写的内容。',
  'error.invalid_state': '当前状态下不能执行此操作。请刷新页面查看最新情况。',
  'error.gone': '该内容已失效。请刷新页面，或联系调解员。',
  'error.server': '服务器出错了，请稍后再试。',
  'error.generic': '操作没有成功：{message}',
  'error.field.required': '此项必填',
  'error.load': '加载失败：{message}',

  'duration.minutes': '{n} 分钟',
  'duration.seconds': '{n} 秒',
  'duration.hours': '{n} 小时',
  'tz.beijing': '北京时间',
  'tz.option.shanghai': 'Asia/Shanghai（北京时间）',

  'role.mediator': '调解员',
  'role.judge': '法官',
  'role.mediator.lead': '主持调解员',
  'role.supervisor': '督导员',
  'role.admin': '管理员',
  // The Ministry of Justice's categories (server/domain/vocabulary.py DISPUTE_TYPES), in its order.
  'dispute.family': '婚姻家庭纠纷',
  'dispute.neighbours': '邻里纠纷',
  'dispute.homestead': '房屋宅基地纠纷',
  'dispute.damages': '损害赔偿纠纷',
  'dispute.contract': '合同纠纷',
  'dispute.land_contracting': '山林土地承包经营纠纷（含草原）',
  'dispute.land_acquisition': '征地拆迁纠纷',
  'dispute.labour': '劳动争议纠纷',
  'dispute.wages': '拖欠工资纠纷',
  'dispute.village_affairs': '村务管理纠纷',
  'dispute.environment': '环境保护纠纷',
  'dispute.traffic': '交通事故纠纷',
  'dispute.medical': '医患纠纷',
  'dispute.property_management': '物业纠纷',
  'dispute.consumer': '消费纠纷',
  'dispute.other': '其他纠纷',
  // No longer offered; old records keep it (RETIRED_DISPUTE_TYPES).
  'dispute.loans': '民间借贷纠纷（原类别，现归入合同纠纷）',
  'partyrole.applicant': '申请人',
  'partyrole.respondent': '被申请人',
  'partyrole.agent': '代理人',
  'partyrole.interpreter': '翻译人员',
  'partyrole.invited': '受邀参与人员',
  'partyrole.invited_as': '受邀参与 · {as}',
  'invitedas.deputy': '人大代表',
  'invitedas.lawyer': '律师',
  'invitedas.expert': '专业人员',
  'invitedas.relative': '当事人亲属',
  'invitedas.neighbour': '邻里',
  'invitedas.village_cadre': '村（社区）干部',
  'invitedas.guiding_judge': '指导法官',
  'invitedas.other': '其他人员',
  'status.open': '进行中',
  'status.new': '新案件',
  'status.active': '进行中',
  'status.in_progress': '进行中',
  'status.scheduled': '已安排',
  'status.cancelled': '已取消',
  'status.canceled': '已取消',
  'status.closed': '已结案',
  'status.resolved': '调解成功',
  'status.settled': '调解成功',
  'status.failed': '调解不成',
  'status.unresolved': '调解不成',
  'status.withdrawn': '已撤回',
  'status.completed': '已完成',
  'status.pending': '待发送',
  'status.queued': '待发送',
  'status.sent': '已发送',
  'status.recorded': '已记录（待人工转发）',
  'status.held': '已记录（待人工转发）',
  'paren': '{a}（{b}）',

  'staff.header.org': '{org}',
  'countdown.d': '{n}天',
  'countdown.h': '{n}小时',
  'countdown.m': '{n}分',
  'countdown.s': '{n}秒',
  'countdown.d1': '1天',
  'countdown.h1': '1小时',
  'countdown.m1': '1分',
  'countdown.s1': '1秒',
  'countdown.sep': ' ',
  // The party's case (#18)
  'status.ended': '已结束',
};

const en = {
  'app.name': 'Online Mediation',
  'app.skip': 'Skip to main content',
  'lang.switch': '中文',
  'lang.switch.label': '切换到中文',
  'common.loading': 'Loading…',
  'common.save': 'Save',
  'common.saving': 'Saving…',
  'common.cancel': 'Cancel',
  'common.close': 'Close',
  'common.delete': 'Delete',
  'common.copy': 'Copy',
  'common.copied': 'Copied',
  'common.copy_failed':
    'Could not copy automatically. The text is selected: press Ctrl+C (or long-press on a phone).',
  'common.optional': '(optional)',
  'common.none': 'None',
  'common.logout': 'Log out',
  'common.submitting': 'Submitting…',
  'common.confirm': 'OK',
  'common.retry': 'Try again',
  'common.select': 'Choose…',
  'common.yes': 'Yes',
  'common.no': 'No',
  'error.network': 'Network error. Check your connection and try again.',
  'error.forbidden': 'You do not have permission to do this. Ask your administrator or mediator if in doubt.',
  'error.not_found': 'Not found; it may have been deleted. Reload the page.',
  'error.conflict': 'This clashes with something saved meanwhile. Reload the page and try again.',
  'error.invalid_input': 'Please check the highlighted fields.',
  'error.invalid_state': 'This cannot be done at this stage. Reload the page to see where things stand.',
  'error.gone': 'This is no longer available. Reload the page, or contact your mediator.',
  'error.server': 'Server error. Please try again later.',
  'error.generic': 'That did not work: {message}',
  'error.field.required': 'Required',
  'error.load': 'Could not load: {message}',

  'duration.minutes': '{n} minutes',
  'duration.seconds': '{n} seconds',
  'duration.hours': '{n} hours',
  'tz.beijing': 'Beijing time',
  'tz.option.shanghai': 'Asia/Shanghai (Beijing time)',

  'role.mediator': 'Mediator',
  'role.judge': 'Judge',
  'role.mediator.lead': 'Lead mediator',
  'role.supervisor': 'Supervisor',
  'role.admin': 'Administrator',
  'dispute.family': 'Marriage and family',
  'dispute.neighbours': 'Neighbours',
  'dispute.homestead': 'Houses and homestead land',
  'dispute.damages': 'Compensation for damage',
  'dispute.contract': 'Contract',
  'dispute.land_contracting': 'Forest, farmland and grassland contracting',
  'dispute.land_acquisition': 'Land requisition and demolition',
  'dispute.labour': 'Labour dispute',
  'dispute.wages': 'Unpaid wages',
  'dispute.village_affairs': 'Village affairs',
  'dispute.environment': 'Environmental protection',
  'dispute.traffic': 'Traffic accident',
  'dispute.medical': 'Doctor and patient',
  'dispute.property_management': 'Property management',
  'dispute.consumer': 'Consumer',
  'dispute.other': 'Other',
  'dispute.loans': 'Private loans (a former type, now under Contract)',
  'partyrole.applicant': 'Applicant',
  'partyrole.respondent': 'Respondent',
  'partyrole.agent': 'Agent',
  'partyrole.interpreter': 'Interpreter',
  'partyrole.invited': 'Invited person',
  'partyrole.invited_as': 'Invited · {as}',
  'invitedas.deputy': "People's deputy",
  'invitedas.lawyer': 'Lawyer',
  'invitedas.expert': 'Expert',
  'invitedas.relative': "A party's relative",
  'invitedas.neighbour': 'Neighbour',
  'invitedas.village_cadre': 'Village or community cadre',
  'invitedas.guiding_judge': 'Guiding judge',
  'invitedas.other': 'Other',
  'status.open': 'Open',
  'status.new': 'New',
  'status.active': 'Open',
  'status.in_progress': 'In progress',
  'status.scheduled': 'Scheduled',
  'status.cancelled': 'Cancelled',
  'status.canceled': 'Cancelled',
  'status.closed': 'Closed',
  'status.resolved': 'Settled',
  'status.settled': 'Settled',
  'status.failed': 'Not settled',
  'status.unresolved': 'Not settled',
  'status.withdrawn': 'Withdrawn',
  'status.completed': 'Completed',
  'status.pending': 'Pending',
  'status.queued': 'Pending',
  'status.sent': 'Sent',
  'status.recorded': 'Recorded (pass on by hand)',
  'status.held': 'Recorded (pass on by hand)',
  'paren': '{a} ({b})',

  'staff.header.org': '{org}',
  'countdown.d': '{n}\u00a0days',
  'countdown.d1': '1\u00a0day',
  'countdown.h': '{n}\u00a0hours',
  'countdown.h1': '1\u00a0hour',
  'countdown.m': '{n}\u00a0minutes',
  'countdown.m1': '1\u00a0minute',
  'countdown.s': '{n}\u00a0seconds',
  'countdown.s1': '1\u00a0second',
  'countdown.sep': ' ',
  // The party's case (#18)
  'status.ended': 'Ended',
};

/**
 * Every string, by key, in each language: these and those the features' modules (`*-i18n.js`) add.
 * @type {{zh: Record<string, string>, en: Record<string, string>}}
 */
export const dictionaries = { zh, en };
export const LANGS = ['zh', 'en'];

function detectLang() {
  try {
    const stored = localStorage.getItem('lang');
    if (stored && LANGS.includes(stored)) return stored;
  } catch {
    /* storage may be blocked */
  }
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || '';
  return /^en\b/i.test(nav) ? 'en' : 'zh';
}

let current = detectLang();
/** @type {Set<(lang: string) => void>} */
const listeners = new Set();

/** 'zh' or 'en'. */
export function getLang() {
  return current;
}

/**
 * BCP 47 tag used for Intl and <html lang>.
 * @param {string} [lang]
 */
export function locale(lang = current) {
  return lang === 'en' ? 'en-GB' : 'zh-CN';
}

/** @param {string} lang */
export function setLang(lang) {
  if (!LANGS.includes(lang) || lang === current) return;
  current = lang;
  try {
    localStorage.setItem('lang', lang);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = locale(lang);
  for (const fn of listeners) fn(lang);
}

/**
 * Call `fn` whenever the language changes; returns an unsubscribe function.
 * @param {(lang: string) => void} fn
 */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Translate `key`, filling `{name}` placeholders from `vars`. Unknown keys come back as-is.
 * @param {string} key
 * @param {Record<string, unknown>} [vars]
 * @returns {string}
 */
export function t(key, vars = {}) {
  const dict = dictionaries[/** @type {'zh' | 'en'} */ (current)];
  let s = dict[key] ?? zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/**
 * Translate a value from a list (dispute type, role, status…), falling back to the raw value.
 * @param {string} prefix
 * @param {unknown} value
 * @returns {string}
 */
export function tv(prefix, value) {
  if (value == null || value === '') return '';
  const key = `${prefix}.${value}`;
  const dict = dictionaries[/** @type {'zh' | 'en'} */ (current)];
  return dict[key] ?? zh[key] ?? String(value).replace(/_/g, ' ');
}

/**
 * What a person is in the case, as everyone sees it: their role, and for a person the mediator
 * invited (People's Mediation Law art. 20), in what capacity ("受邀参与 · 人大代表").
 * @param {{ role?: string, invited_as?: string | null }} p
 */
export function partyRole(p) {
  if (p.role === 'invited' && p.invited_as) return t('partyrole.invited_as', { as: tv('invitedas', p.invited_as) });
  return tv('partyrole', p.role);
}

/**
 * A button that switches between Chinese and English.
 * @param {{className?: string}} [options]
 */
export function langSwitchButton({ className = 'lang-switch' } = {}) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.dataset.testid = 'lang-switch';
  const update = () => {
    b.textContent = t('lang.switch');
    b.setAttribute('aria-label', t('lang.switch.label'));
    b.lang = current === 'zh' ? 'en' : 'zh-CN';
  };
  update();
  b.addEventListener('click', () => {
    setLang(current === 'zh' ? 'en' : 'zh');
    update();
  });
  return b;
}

document.documentElement.lang = locale(current);

// ---------------------------------------------------------------- formatting

/** @type {Map<string, Intl.DateTimeFormat>} */
const fmtCache = new Map();
/** @param {Intl.DateTimeFormatOptions} options */
function fmt(options) {
  const key = current + JSON.stringify(options);
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), options);
    fmtCache.set(key, f);
  }
  return f;
}

/**
 * An instant as the API gives it (ISO 8601 text), as milliseconds, or a Date.
 * @typedef {string | number | Date} Instant
 */

/** @param {Instant} value */
function asDate(value) {
  return value instanceof Date ? value : new Date(value);
}

/** "2026年12月1日" / "1 December 2026"
 * @param {Instant} value
 * @param {string} [timeZone] the IANA zone to show it in (the viewer's own when absent)
 */
export function fmtDate(value, timeZone) {
  return fmt({ timeZone, year: 'numeric', month: 'long', day: 'numeric' }).format(asDate(value));
}

/**
 * "星期二" / "Tuesday"
 * @param {Instant} value
 * @param {string} [timeZone] the IANA zone to show it in (the viewer's own when absent)
 * @param {'long' | 'short' | 'narrow'} [style]
 */
export function fmtWeekday(value, timeZone, style = 'long') {
  return fmt({ timeZone, weekday: style }).format(asDate(value));
}

/** 24-hour "10:00".
 * @param {Instant} value
 * @param {string} [timeZone] the IANA zone to show it in (the viewer's own when absent)
 */
export function fmtTime(value, timeZone) {
  return fmt({ timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(asDate(value));
}

/** "上午10:00" / "10:00 am" for people who do not read 24-hour clocks.
 * @param {Instant} value
 * @param {string} [timeZone] the IANA zone to show it in (the viewer's own when absent)
 */
export function fmtTime12(value, timeZone) {
  return fmt({ timeZone, hour: 'numeric', minute: '2-digit', hour12: true }).format(asDate(value));
}

/** "2026年12月1日 星期二 10:00" / "Tuesday 1 December 2026, 10:00"
 * @param {Instant} value
 * @param {string} [timeZone] the IANA zone to show it in (the viewer's own when absent)
 */
export function fmtDateTime(value, timeZone) {
  const d = asDate(value);
  if (current === 'en') return `${fmtWeekday(d, timeZone)} ${fmtDate(d, timeZone)}, ${fmtTime(d, timeZone)}`;
  return `${fmtDate(d, timeZone)} ${fmtWeekday(d, timeZone)} ${fmtTime(d, timeZone)}`;
}

/** Short "12月1日 10:00" / "1 Dec, 10:00".
 * @param {Instant} value
 * @param {string} [timeZone] the IANA zone to show it in (the viewer's own when absent)
 */
export function fmtShortDateTime(value, timeZone) {
  const d = asDate(value);
  const date = fmt({ timeZone, month: 'short', day: 'numeric' }).format(d);
  return current === 'en' ? `${date}, ${fmtTime(d, timeZone)}` : `${date} ${fmtTime(d, timeZone)}`;
}

/**
 * "10:00–11:00"
 * @param {Instant} start
 * @param {Instant} end
 * @param {string} [timeZone]
 */
export function fmtTimeRange(start, end, timeZone) {
  return `${fmtTime(start, timeZone)}–${fmtTime(end, timeZone)}`;
}

/**
 * A calendar date ("YYYY-MM-DD") as "12月1日 周二" / "Tue 1 Dec".
 * @param {string} dateStr
 */
export function fmtDayHeader(dateStr) {
  const d = calendarDate(dateStr);
  const wd = fmt({ timeZone: 'UTC', weekday: 'short' }).format(d);
  const md = fmt({ timeZone: 'UTC', month: 'short', day: 'numeric' }).format(d);
  return current === 'en' ? `${wd} ${md}` : `${md} ${wd}`;
}

/**
 * A calendar date ("YYYY-MM-DD") as a full date with weekday.
 * @param {string} dateStr
 */
export function fmtDayLong(dateStr) {
  const d = calendarDate(dateStr);
  if (current === 'en') return `${fmtWeekday(d, 'UTC')} ${fmtDate(d, 'UTC')}`;
  return `${fmtDate(d, 'UTC')} ${fmtWeekday(d, 'UTC')}`;
}

/**
 * Weekday name for 0 (Monday) … 6 (Sunday).
 * @param {number} index
 * @param {'long' | 'short' | 'narrow'} [style]
 */
export function weekdayName(index, style = 'long') {
  // 2024-01-01 was a Monday.
  return fmt({ timeZone: 'UTC', weekday: style }).format(new Date(Date.UTC(2024, 0, 1 + index, 12)));
}

/**
 * A human name for an IANA zone: "北京时间" / "China Standard Time" for Asia/Shanghai.
 * @param {string | null | undefined} timeZone
 * @param {Instant} [at]
 */
export function tzName(timeZone, at = new Date()) {
  if (!timeZone) return '';
  if (['Asia/Shanghai', 'Asia/Chongqing', 'Asia/Harbin', 'PRC'].includes(timeZone)) {
    return t('tz.beijing');
  }
  try {
    const parts = fmt({ timeZone, timeZoneName: 'long' }).formatToParts(asDate(at));
    const name = parts.find((p) => p.type === 'timeZoneName');
    if (name && !/^GMT[+-]/.test(name.value)) return name.value;
    return `${timeZone.replace(/_/g, ' ')}${name ? ` (${name.value})` : ''}`;
  } catch {
    return timeZone;
  }
}

/**
 * Label for a time-zone <option>.
 * @param {string} timeZone
 */
export function tzOptionLabel(timeZone) {
  if (timeZone === 'Asia/Shanghai') return t('tz.option.shanghai');
  return timeZone;
}

/** The party-facing date line: "2026年12月1日 星期二 上午10:00（北京时间）".
 * @param {Instant} value
 * @param {string} [timeZone] the IANA zone to show it in (the viewer's own when absent)
 */
export function fmtPartyDateTime(value, timeZone) {
  const d = asDate(value);
  const tz = tzName(timeZone, d);
  if (current === 'en') {
    return `${fmtWeekday(d, timeZone)} ${fmtDate(d, timeZone)}, ${fmtTime12(d, timeZone)} (${tz})`;
  }
  return `${fmtDate(d, timeZone)} ${fmtWeekday(d, timeZone)} ${fmtTime12(d, timeZone)}（${tz}）`;
}

/**
 * "¥12,000.00"
 * @param {number | string | null | undefined} amount
 */
export function fmtAmount(amount) {
  if (amount == null || amount === '') return '';
  const n = Number(amount);
  if (!Number.isFinite(n)) return String(amount);
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'CNY' }).format(n);
}

/**
 * A wait in seconds as "3 分钟" / "3 minutes" (or seconds when under a minute).
 * @param {number | string | null | undefined} seconds
 */
export function fmtWait(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (s < 60) return t('duration.seconds', { n: s });
  const m = Math.ceil(s / 60);
  return t('duration.minutes', { n: m });
}

/**
 * @param {string} key
 * @param {number | string} n
 */
function unit(key, n) {
  if (current === 'en' && n === 1) return t(`${key}1`);
  return t(key, { n });
}

/**
 * "2天 3小时 15分 08秒" / "2 days 3 hours 15 minutes 8 seconds" for `ms` milliseconds.
 * @param {number} ms
 */
export function fmtCountdown(ms) {
  let total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  total -= d * 86400;
  const h = Math.floor(total / 3600);
  total -= h * 3600;
  const m = Math.floor(total / 60);
  const s = total - m * 60;
  const out = [];
  if (d) out.push(unit('countdown.d', d));
  if (d || h) out.push(unit('countdown.h', h));
  if (d || h || m) out.push(unit('countdown.m', current === 'zh' && (d || h) ? String(m).padStart(2, '0') : m));
  out.push(unit('countdown.s', current === 'zh' ? String(s).padStart(2, '0') : s));
  return out.join(t('countdown.sep'));
}

export { wallParts };
