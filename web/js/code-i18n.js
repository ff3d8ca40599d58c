// @ts-check
// Strings of the one-time code (signing/code-input.js): its message, its status and the waits
// before another one can be sent (ui.js's codeRefusal).

import { dictionaries } from './i18n.js';

const zh = {
  // == #18 codes and messages reach people: the code's message (signing/code-input.js), limits ==
  'code.status.sending.sms': '正在发送验证码短信到 {to}……',
  'code.status.sending.email': '正在发送验证码邮件到 {to}……',
  'code.status.sent.sms': '验证码短信已发出，发往 {to}，请查看短信。',
  'code.status.sent.email': '验证码邮件已发出，发往 {to}，请查看邮箱（也看一下垃圾邮件）。',
  'code.status.delivered': '验证码短信已送达 {to}，请查看短信。',
  'code.status.failed': '验证码发送失败：{reason}请联系调解员。',
  'code.status.not_sent': '验证码没有发出：本平台未开通短信。请联系调解员。',
  'code.reason.wrong_address': '号码或邮箱地址有误。',
  'code.reason.blocked': '这个号码拒收短信。',
  'code.reason.not_delivered': '运营商没能送达（手机可能停机、关机或欠费）。',
  'code.reason.service': '短信服务出了问题。',
  'code.wait.code_interval': '验证码刚刚发出，请 {when}后再获取。',
  'code.wait.codes_per_hour': '一小时内获取验证码的次数已达上限，请 {when}后再试。',
  'code.wait.codes_per_day': '今天获取验证码的次数已达上限，请 {when}后再试，或联系调解员。',
  'code.when.seconds': '{n} 秒',
  'code.when.minutes': '{n} 分钟',
  'code.no_channel': '无法向您发送验证码：本平台未开通短信，也没有您的电子邮箱。请联系调解员，在视频中核验您的身份。',
};

const en = {
  // == #18 codes and messages reach people: the code's message (signing/code-input.js), limits ==
  'code.status.sending.sms': 'Sending a text message with your code to {to}…',
  'code.status.sending.email': 'Sending an e-mail with your code to {to}…',
  'code.status.sent.sms': 'The text message with your code has gone out to {to}. Please check your messages.',
  'code.status.sent.email': 'The e-mail with your code has gone out to {to}. Please check your inbox (and the spam folder).',
  'code.status.delivered': 'The text message with your code reached {to}. Please check your messages.',
  'code.status.failed': 'Your code could not be sent: {reason} Please contact your mediator.',
  'code.status.not_sent': 'Your code was not sent: this platform has no text-message service. Please contact your mediator.',
  'code.reason.wrong_address': 'the number or address is wrong.',
  'code.reason.blocked': 'this number refuses text messages.',
  'code.reason.not_delivered': 'the phone company could not deliver it (the phone may be off or out of service).',
  'code.reason.service': 'the text-message service has a problem.',
  'code.wait.code_interval': 'A code was sent just now. Please ask again in {when}.',
  'code.wait.codes_per_hour': 'Too many codes were asked for this hour. Please try again in {when}.',
  'code.wait.codes_per_day': 'Too many codes were asked for today. Please try again in {when}, or contact your mediator.',
  'code.when.seconds': '{n} seconds',
  'code.when.minutes': '{n} minutes',
  'code.no_channel': 'No code can be sent to you: this platform has no text-message service and has no e-mail address for you. Please ask your mediator to check your identity on video.',
};

Object.assign(dictionaries.zh, zh);
Object.assign(dictionaries.en, en);
