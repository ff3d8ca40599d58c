// @ts-check
// Strings of a party's particulars (particulars.js; People's Mediation Law art. 29) and of the
// case page's form that adds a party.

import { dictionaries } from './i18n.js';

const zh = {
  'party.role': '身份',
  'party.name': '姓名',
  'party.phone': '手机号码',
  'party.email': '电子邮箱',
  'party.id_number': '身份证号',
  'party.id_number.hint': '保存后只显示部分号码',
  'party.represents': '代表的当事人',
  'party.represents.none': '不代表其他当事人',
  'party.represents.value': '代表 {name}',
  'party.add.title': '添加当事人',
  'party.add.submit': '添加当事人',
  'party.added': '已添加当事人 {name}',

  // == #18 docs: a party's particulars (People's Mediation Law art. 29) ==
  'party.sex': '性别',
  'sex.male': '男',
  'sex.female': '女',
  'party.sex.none': '未登记',
  'party.birth_date': '出生日期',
  'party.age': '年龄',
  'party.age.hint': '不知道出生日期时填写',
  'party.age.value': '{n}岁',
  'party.ethnicity': '民族',
  'party.ethnicity.hint': '例如“汉族”',
  'party.occupation': '职业或工作单位',
  'party.address': '住址',
  'party.address.hint': '法院按这个地址送达文书，请写到门牌号',
  'party.authority': '代理权限',
  'party.authority.hint': '只对代理人填写，例如“特别授权：代为签署调解协议、申请司法确认”',
  'party.particulars.title': '基本情况',
  'party.particulars.hint': '调解协议书写明当事人的基本情况（人民调解法第二十九条），法院的裁定书据此列明申请人。性别、出生日期与身份证号不符时不能保存。',
  'party.particulars.edit': '填写或修改基本情况',
  'party.particulars.save': '保存基本情况',
  'party.particulars.saved': '已保存 {name} 的基本情况',
  'party.particulars.missing': '还缺：{fields}。没有填写的，协议书里不写，法院的裁定书写明“未登记”。',
  'party.particulars.complete': '基本情况已齐全',
  'party.particulars.later': '修改后的基本情况写入调解协议的下一个版本；已定稿的版本不变。',
  'party.particulars.id_mismatch.sex': '与身份证号不符：身份证号第17位是单数的为男，双数的为女。',
  'party.particulars.id_mismatch.birth_date': '与身份证号中的出生日期（第7至14位）不符。',
  'party.particulars.sep': '、',
};

const en = {
  'party.role': 'Role',
  'party.name': 'Name',
  'party.phone': 'Mobile phone',
  'party.email': 'Email',
  'party.id_number': 'ID card number',
  'party.id_number.hint': 'Only part of the number is shown after saving',
  'party.represents': 'Represents',
  'party.represents.none': 'Nobody else',
  'party.represents.value': 'Represents {name}',
  'party.add.title': 'Add a party',
  'party.add.submit': 'Add party',
  'party.added': 'Party {name} added',

  // == #18 docs: a party's particulars (People's Mediation Law art. 29) ==
  'party.sex': 'Sex',
  'sex.male': 'Male',
  'sex.female': 'Female',
  'party.sex.none': 'Not recorded',
  'party.birth_date': 'Date of birth',
  'party.age': 'Age',
  'party.age.hint': 'When the date of birth is not known',
  'party.age.value': 'aged {n}',
  'party.ethnicity': 'Ethnicity',
  'party.ethnicity.hint': 'For example “汉族” (Han)',
  'party.occupation': 'Occupation or employer',
  'party.address': 'Address',
  'party.address.hint': 'The court serves documents at this address: give it down to the house number',
  'party.authority': 'Agent’s authority',
  'party.authority.hint': 'For agents only, e.g. “special authority: to sign the agreement and apply for confirmation”',
  'party.particulars.title': 'Particulars',
  'party.particulars.hint': 'The mediation agreement states the parties’ particulars (People’s Mediation Law art. 29), and the court’s ruling names the applicants by them. A sex or date of birth that contradicts the ID number cannot be saved.',
  'party.particulars.edit': 'Enter or correct particulars',
  'party.particulars.save': 'Save particulars',
  'party.particulars.saved': 'Particulars of {name} saved',
  'party.particulars.missing': 'Missing: {fields}. The agreement leaves out what is not entered; the court’s ruling says “not recorded”.',
  'party.particulars.complete': 'Particulars complete',
  'party.particulars.later': 'Changed particulars go into the agreement’s next version; a final version keeps its words.',
  'party.particulars.id_mismatch.sex': 'Does not match the ID number: its 17th digit is odd for men, even for women.',
  'party.particulars.id_mismatch.birth_date': 'Does not match the date of birth in the ID number (digits 7 to 14).',
  'party.particulars.sep': ', ',
};

Object.assign(dictionaries.zh, zh);
Object.assign(dictionaries.en, en);
