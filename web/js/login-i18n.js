// @ts-check
// Strings of the staff's login page (pages/login.js).

import { dictionaries } from './i18n.js';

const zh = {
  'login.title': '工作人员登录',
  'login.subtitle': '调解员、法官和管理员请在此登录。',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.submitting': '正在登录…',
  'login.invalid': '用户名或密码不正确，请重新输入。',
  'login.too_many': '登录失败次数过多，请在 {wait}后再试。',
  'login.party_hint': '当事人无需登录：请直接打开调解员发给您的链接。',
  'login.already': '您已登录为 {name}。',
  'login.continue': '进入工作台',
};

const en = {
  'login.title': 'Staff sign in',
  'login.subtitle': 'For mediators, judges and administrators.',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.submitting': 'Signing in…',
  'login.invalid': 'The username or password is incorrect. Please try again.',
  'login.too_many': 'Too many failed attempts. Please try again in {wait}.',
  'login.party_hint': "Parties don't need to sign in: just open the link your mediator sent you.",
  'login.already': 'You are signed in as {name}.',
  'login.continue': 'Go to dashboard',
};

Object.assign(dictionaries.zh, zh);
Object.assign(dictionaries.en, en);
