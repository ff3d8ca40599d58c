// @ts-check
// Strings of the window's registration form (registration.js, on /mediator): the case's source,
// its registration day, its applicants and respondents, and a collective case's list (#21).

import { dictionaries } from './i18n.js';

const zh = {
  'reg.intro': '按司法部《人民调解受理登记表》登记：案件来源、纠纷类型、双方当事人的基本情况。当事人也可以以后在案件页补充。',
  'reg.source': '案件来源',
  'reg.source.hint': '12345 派单、法院委派/委托、公安移交的案件，请填写对方的编号。',
  'reg.source_reference': '来源编号',
  'reg.source_reference.hint': '例如 12345 工单号、法院的委派编号',
  'reg.registered_on': '登记日期',
  'reg.registered_on.hint': '不填即为今天；纸质申请补录时填写受理的日期。',
  'reg.property_region': '争议财产所在地',
  'reg.property_region.hint': '例如“内蒙古自治区呼和浩特市赛罕区”，没有可不填',
  'reg.applicants': '申请人',
  'reg.respondents': '被申请人',
  'reg.person': '{role} {n}',
  'reg.person.add': '添加{role}',
  'reg.person.remove': '删去{role} {n}',
  'reg.person.hint': '姓名和手机号码必填；其他按当事人所说填写，不知道的留空。',
  'reg.contact': '联系电话',
  'reg.collective': '群体性纠纷（多名申请人，例如多名务工人员追讨工资）',
  'reg.lines': '申请人名单',
  'reg.lines.hint': '每行一人：姓名, 手机号码（可再加“, 身份证号”）。可以从表格中复制粘贴。',
  'reg.lines.count': '已填写 {n} 行',
  'reg.lines.example': '张三, 13800000001',
  'reg.row_incomplete': '这一行已填写了内容：请填写姓名和手机号码，或把这一行删去。',
  'reg.need_lines': '请填写申请人名单，每行一人。',
};

const en = {
  'reg.intro': "Registered with the Ministry of Justice's registration form: the case's source, the dispute type and both sides' particulars. Parties can also be added later on the case page.",
  'reg.source': 'Source',
  'reg.source.hint': "For a 12345 order, a court's referral or a police transfer, give their reference.",
  'reg.source_reference': 'Source reference',
  'reg.source_reference.hint': "e.g. the 12345 work order number, the court's referral number",
  'reg.registered_on': 'Registered on',
  'reg.registered_on.hint': 'Today if left empty; for a paper application entered later, the day it was received.',
  'reg.property_region': 'Where the property in dispute is',
  'reg.property_region.hint': 'e.g. 内蒙古自治区呼和浩特市赛罕区; leave empty if none',
  'reg.applicants': 'Applicants',
  'reg.respondents': 'Respondents',
  'reg.person': '{role} {n}',
  'reg.person.add': 'Add {role}',
  'reg.person.remove': 'Remove {role} {n}',
  'reg.person.hint': 'Name and mobile number are required; fill in the rest as the party tells it, leave empty what is not known.',
  'reg.contact': 'Phone',
  'reg.collective': 'Collective dispute (many applicants, e.g. workers claiming unpaid wages)',
  'reg.lines': 'List of applicants',
  'reg.lines.hint': 'One person a line: name, mobile number (optionally ", ID number"). You can paste from a spreadsheet.',
  'reg.lines.count': '{n} lines entered',
  'reg.lines.example': 'Zhang San, 13800000001',
  'reg.row_incomplete': 'This row has something in it: give the name and the mobile number, or remove the row.',
  'reg.need_lines': 'Enter the list of applicants, one a line.',
};

Object.assign(dictionaries.zh, zh);
Object.assign(dictionaries.en, en);
