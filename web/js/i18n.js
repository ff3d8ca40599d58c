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
  'error.forbidden': '您没有权限执行此操作。',
  'error.not_found': '没有找到相关内容。',
  'error.conflict': '与已有数据冲突。',
  'error.invalid_input': '请检查填写的内容。',
  'error.invalid_state': '当前状态下不能执行此操作。',
  'error.gone': '该内容已失效。',
  'error.server': '服务器出错了，请稍后再试。',
  'error.generic': '操作没有成功：{message}',
  'error.field.required': '此项必填',
  'error.load': '加载失败：{message}',

  'duration.minutes': '{n} 分钟',
  'duration.seconds': '{n} 秒',
  'duration.hours': '{n} 小时',

  'role.mediator': '调解员',
  'role.judge': '法官',
  'role.admin': '管理员',
  'orgkind.committee': '人民调解委员会',
  'orgkind.centre': '调解中心',
  'orgkind.court': '人民法院',
  'dispute.wages': '劳动报酬纠纷',
  'dispute.neighbours': '邻里纠纷',
  'dispute.loans': '民间借贷纠纷',
  'dispute.property_management': '物业纠纷',
  'dispute.traffic': '交通事故纠纷',
  'dispute.family': '婚姻家庭纠纷',
  'dispute.other': '其他纠纷',
  'partyrole.applicant': '申请人',
  'partyrole.respondent': '被申请人',
  'partyrole.agent': '代理人',
  'partyrole.interpreter': '翻译人员',
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
  'outboxstatus.pending': '待发送',
  'outboxstatus.sent': '已发送',
  'outboxstatus.recorded': '已记录，请人工转发',
  'outboxstatus.failed': '发送失败',
  'paren': '{a}（{b}）',
  'linkstatus.active': '链接有效',
  'linkstatus.revoked': '链接已撤销',
  'linkstatus.expired': '链接已过期',
  'linkstatus.none': '未发放链接',
  'channel.sms': '短信',
  'channel.email': '电子邮件',
  'channel.wechat': '微信',
  'channel.manual': '人工转发',
  'channel.record': '人工转发',
  'actor.staff': '工作人员',
  'actor.party': '当事人',
  'actor.system': '系统',
  'history.case_opened': '立案',
  'history.case_created': '立案',
  'history.party_added': '添加当事人',
  'history.session_booked': '预约调解',
  'history.session_rescheduled': '调解改期',
  'history.session_cancelled': '取消调解',
  'history.link_issued': '发放链接',
  'history.link_revoked': '撤销链接',
  'history.link_opened': '当事人打开链接',
  'history.identity_viewed': '查看身份证号',
  'history.participant_admitted': '准许进入调解室',
  'history.caucus_started': '开始背对背调解',
  'history.caucus_ended': '结束背对背调解',
  'history.participant_removed': '请出调解室',
  'history.session_ended': '调解结束',
  'history.consent': '同意录音录像',
  'history.consent_withdrawn': '撤回录音录像同意',
  'history.recording_export_started': '开始导出录像',
  'history.recording_export_finished': '录像已导出',
  'history.recording_export_failed': '录像导出失败',
  'history.recording_export_cancelled': '已取消导出录像',
  'history.recording_export_downloaded': '下载导出的录像',

  'staff.header.org': '{org}',
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

  'med.title': '调解员工作台',
  'med.sessions.title': '调解日程',
  'med.view.label': '显示方式',
  'med.view.day': '按日',
  'med.view.week': '按周',
  'med.prev.day': '前一天',
  'med.next.day': '后一天',
  'med.prev.week': '上一周',
  'med.next.week': '下一周',
  'med.today': '今天',
  'med.sessions.empty_day': '这一天没有调解安排。',
  'med.sessions.empty_week': '这一周没有调解安排。',
  'med.sessions.none_day': '无安排',
  'med.sessions.tz': '时间均为{tz}',
  'med.cases.title': '我的案件',
  'med.cases.empty': '还没有案件。请使用“新建案件”表单登记第一个案件。',
  'med.cases.next': '下次调解：{when}',
  'med.cases.no_next': '尚未预约调解',
  'med.newcase.title': '新建案件',
  'med.newcase.submit': '创建案件',
  'med.newcase.created': '已创建案件 {number}',
  'med.newcase.conflict': '案号“{number}”已经存在，请换一个案号。',
  'med.newcase.amount_invalid': '请填写数字金额，例如 12000 或 12000.50',
  'med.newcase.amount_hint': '单位：元，没有可不填',
  'med.judge.title': '法官工作台',
  'med.judge.empty': '法官工作台正在建设中，目前没有需要您处理的事项。',
  'med.session.parties': '当事人：{names}',

  'avail.title': '可预约时间',
  'avail.intro': '当事人只能在这些时间内被预约调解。',
  'avail.weekly': '每周固定时间',
  'avail.timezone': '时区',
  'avail.add_window': '添加时段',
  'avail.remove_window': '删除此时段',
  'avail.closed': '不可预约',
  'avail.start': '开始',
  'avail.end': '结束',
  'avail.save': '保存每周时间',
  'avail.saved': '已保存可预约时间',
  'avail.window_invalid': '结束时间必须晚于开始时间',
  'avail.exceptions': '例外日期（请假、加班）',
  'avail.exc.date': '日期',
  'avail.exc.kind': '类型',
  'avail.exc.unavailable': '不可预约（请假、休息）',
  'avail.exc.available': '额外可预约（加班）',
  'avail.exc.allday': '全天',
  'avail.exc.reason': '原因',
  'avail.exc.add': '添加例外日期',
  'avail.exc.added': '已添加例外日期',
  'avail.exc.deleted': '已删除例外日期',
  'avail.exc.empty': '没有例外日期。',
  'avail.exc.delete_label': '删除 {date} 的例外',

  'case.back': '返回工作台',
  'case.before_court': '本案已提交法院申请司法确认：当事人、调解安排和案件材料不能再修改，只能查看。',
  'case.title': '案件 {number}',
  'case.details': '案件信息',
  'case.number': '案号',
  'case.type': '纠纷类型',
  'case.summary': '案情摘要',
  'case.amount': '争议金额（元）',
  'case.status': '状态',
  'case.mediator': '调解员',
  'case.organisation': '调解组织',
  'case.created': '立案时间',
  'case.not_found': '没有找到这个案件，或者您无权查看。',

  'parties.title': '当事人',
  'parties.empty': '还没有当事人。请在下方添加申请人和被申请人。',
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

  'sessions.title': '调解安排',
  'sessions.empty': '还没有预约调解。',
  'book.title': '预约调解',
  'book.date': '日期',
  'book.time': '开始时间',
  'book.duration': '时长',
  'book.timezone': '时区',
  'book.mediator': '调解员',
  'book.submit': '预约调解',
  'book.no_parties': '提示：请先添加当事人，预约后系统会为每位当事人生成专属链接。',
  'book.success': '已预约调解。请把下面的专属链接分别发给每位当事人（短信或微信）。',
  'book.conflict': '时间冲突：调解员在这段时间已有案件 {case} 的调解（{start} – {end}），请另选时间。',
  'book.conflict_generic': '时间冲突：调解员在这段时间已有其他安排，请另选时间。',
  'book.links.title': '当事人专属链接',
  'book.links.none': '本次没有生成新的链接。',
  'book.dismiss': '我已发送，关闭',
  'session.when': '时间',
  'session.local_note': '当事人所在时区：{time}（{tz}）',
  'session.mediator': '调解员：{name}',
  'session.reschedule': '改期',
  'session.reschedule.title': '修改调解时间',
  'session.reschedule.reason': '改期原因',
  'session.reschedule.submit': '确认改期',
  'session.rescheduled': '已改期。原来的链接继续有效，日历文件已更新。',
  'session.cancel': '取消调解',
  'session.cancel.title': '取消这次调解？',
  'session.cancel.message': '取消后当事人的链接将显示“调解已取消”。',
  'session.cancel.reason': '取消原因',
  'session.cancel.submit': '确认取消',
  'session.cancel.keep': '不取消',
  'session.cancelled': '已取消这次调解',
  'link.expires': '有效期至 {time}',
  'link.reissue': '重新发放链接',
  'link.revoke': '撤销链接',
  'link.revoke.title': '撤销 {name} 的链接？',
  'link.revoke.message': '撤销后，{name} 将无法再用原来的链接进入调解。',
  'link.revoked': '已撤销 {name} 的链接',
  'link.issued': '已为 {name} 发放新链接，原链接已失效。',
  'link.ics': '下载日历文件',
  'link.ics.label': '下载 {name} 的日历文件 (.ics)',
  'link.label': '{name}（{role}）',
  'link.copy_label': '复制 {name} 的链接',
  'link.warning': '这是当事人的专属链接，请勿在本浏览器中打开。',
  'outbox.title': '通知消息',
  'outbox.intro': '系统生成的通知。如未自动发出，可复制后通过电话、短信或微信转发给当事人。',
  'outbox.empty': '还没有通知消息。',
  'outbox.to': '收件人：{to}',
  'outbox.copy': '复制消息',
  'outbox.created': '生成于 {time}',
  'outbox.sent': '发送于 {time}',
  'history.title': '案件记录',
  'history.empty': '还没有记录。',

  'admin.title': '系统管理',
  'org.title': '调解组织',
  'org.empty': '还没有调解组织。',
  'org.name': '名称',
  'org.kind': '类型',
  'org.timezone': '时区',
  'org.region': '所在地区（行政区划）',
  'org.region.hint': '例如“北京市朝阳区”。法院填写其管辖的地区：当事人申请司法确认时，据此列出可以受理的法院。',
  'org.create.title': '新建调解组织',
  'org.create.submit': '创建组织',
  'org.created': '已创建组织 {name}',
  'users.title': '工作人员账号',
  'users.empty': '还没有工作人员账号。',
  'user.username': '用户名',
  'user.display_name': '姓名',
  'user.password': '初始密码',
  'user.password.hint': '请把初始密码当面或电话告知本人',
  'user.role': '角色',
  'user.organisation': '所属组织',
  'user.timezone': '时区',
  'user.email': '电子邮箱',
  'user.phone': '手机号码',
  'user.create.title': '新建工作人员账号',
  'user.create.submit': '创建账号',
  'user.created': '已创建账号 {name}',
  'user.create.need_org': '请先创建调解组织。',

  'party.page.title': '在线视频调解',
  'party.greeting': '{name}，您好',
  'party.intro': '您被邀请参加下面这次在线视频调解。',
  'party.org': '调解组织',
  'party.case': '案号',
  'party.type': '纠纷类型',
  'party.mediator': '调解员',
  'party.your_role': '您的身份',
  'party.when': '调解时间',
  'party.duration': '预计时长 {n} 分钟',
  'party.countdown.before': '距离调解开始还有',
  'party.countdown.started': '调解已开始',
  'party.countdown.ended': '调解已结束',
  'party.countdown.cancelled': '本次调解已取消',
  'party.cancelled.notice': '本次调解已取消。如有疑问，请联系调解员。',
  'party.join_hint': '到时间后，请再次打开调解员发给您的这个链接，进入视频调解。',
  'party.calendar': '添加到日历',
  'party.calendar.hint': '下载后用手机打开，即可在日历中提醒您。',
  'party.prepare.title': '请提前准备',
  'party.prepare.id': '本人身份证（原件）',
  'party.prepare.evidence': '与纠纷有关的证据材料（合同、欠条、收据、照片、聊天记录等）',
  'party.prepare.quiet': '一个安静、不受打扰的地方',
  'party.prepare.battery': '手机充满电，或接上充电器',
  'party.prepare.network': '良好的网络，最好连接 Wi-Fi',
  'party.prepare.earphones': '耳机（可以减少回声，听得更清楚）',
  'party.error.title': '无法打开调解信息',
  'party.error.link': '链接已失效、已过期，或者本次调解已取消。请联系调解员了解情况或获取新的链接。',
  'party.error.network': '网络连接失败。请检查网络后点“重试”。',
  'party.help': '如有疑问，请联系您的调解员。',
  'countdown.d': '{n}天',
  'countdown.h': '{n}小时',
  'countdown.m': '{n}分',
  'countdown.s': '{n}秒',
  'countdown.sep': ' ',
  // Evidence (case page)
  'evidence.title': '证据',
  'evidence.intro': '本案的证据记录：每一条都登记在不可篡改的证据日志中。',
  'evidence.bundle.why': '证据包包含本案全部证据记录和日志证明，法院可离线核验（使用 mediate verify）。',
  'evidence.empty': '还没有证据记录。',
  'evidence.refresh': '刷新',
  'evidence.logged': '已登记到日志 #{index}',
  'evidence.pending': '登记中…',
  'evidence.seq': '第 {seq} 条',
  'evidence.actor.you': '{name}（本人）',
  'evidence.type.case_opened': '立案',
  'evidence.type.key_bound': '当事人确认签名密钥',
  'evidence.type.identity_checked': '核验身份',
  'evidence.type.export': '导出证据包',
  'evidence.type.consent_signed': '当事人签署同意书',
  'evidence.type.agreement_signed': '签署调解协议',
  'evidence.type.session_recorded': '调解录像',
  'evidence.actor.platform': '平台',
  'evidence.actor.witness': '见证方',
  'idcheck.title': '核验身份',
  'idcheck.party': '当事人',
  'idcheck.method': '核验方式',
  'idcheck.result': '核验结果',
  'idcheck.note': '备注',
  'idcheck.submit': '记录核验结果',
  'idcheck.done': '已记录对 {name} 的身份核验。',
  'idcheck.no_parties': '请先添加当事人。',
  'idmethod.id_card_on_video': '视频中出示身份证',
  'idmethod.face_to_face': '当面核验',
  'idmethod.document_upload': '上传证件',
  'idmethod.phone_callback': '电话回拨核实',
  'idresult.confirmed': '身份属实',
  'idresult.not_confirmed': '未能确认',
  'export.button': '导出证据包',
  'export.busy': '正在导出…',
  'export.done': '证据包已下载：{file}',
  'export.hash': '清单哈希（SHA-256）：',
  'export.failed': '导出失败：{message}',

  // Signing key (party page)
  'key.title': '确认本人签名密钥',
  'key.why': '以后您要用这部手机签署调解同意书和调解协议。请先确认这部手机是您本人的。',
  'key.private': '签名用的密钥只保存在这部手机里，不会发送出去，别人拿不到。',
  'key.how': '点下面的按钮，我们会给您登记的手机号发一条短信验证码。',
  'key.send': '发送验证码',
  'key.sending': '正在发送…',
  'key.passkey': '使用指纹/面容',
  'key.passkey.hint': '也可以用手机的指纹或面容解锁来确认。',
  'key.sent': '验证码已发送到 {phone}，请查看短信。',
  'key.code': '6 位验证码',
  'key.code.hint': '请输入短信里的 6 位数字。',
  'key.confirm': '确认',
  'key.confirming': '正在确认…',
  'key.resend': '重新发送验证码',
  'key.done': '已确认 ✓',
  'key.done.text': '这部手机已登记为您的签名设备。以后签名时请使用这部手机。',
  'key.code.invalid': '请输入 6 位数字。',
  'key.wrong_code': '验证码不对，请再看一下短信。还可以试 {n} 次。',
  'key.wrong_code.generic': '验证码不对，请再看一下短信。',
  'key.too_many': '输错次数太多了。请点“重新发送验证码”，用新的验证码。',
  'key.expired': '验证码已过期。请点“重新发送验证码”，用新的验证码。',
  'key.start_again': '请重新发送验证码。',
  'key.unsupported': '这个浏览器不能保存签名密钥。请用手机自带的浏览器（如 Safari、Chrome）打开链接。',
  'key.passkey.failed': '指纹/面容确认没有完成。您可以再试一次，或改用短信验证码。',
  'key.rate_limited': '操作太频繁，请稍后再试。',
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
  'error.forbidden': 'You do not have permission to do this.',
  'error.not_found': 'Not found.',
  'error.conflict': 'This clashes with existing data.',
  'error.invalid_input': 'Please check the highlighted fields.',
  'error.invalid_state': 'This cannot be done in the current state.',
  'error.gone': 'This is no longer available.',
  'error.server': 'Server error. Please try again later.',
  'error.generic': 'That did not work: {message}',
  'error.field.required': 'Required',
  'error.load': 'Could not load: {message}',

  'duration.minutes': '{n} minutes',
  'duration.seconds': '{n} seconds',
  'duration.hours': '{n} hours',

  'role.mediator': 'Mediator',
  'role.judge': 'Judge',
  'role.admin': 'Administrator',
  'orgkind.committee': "People's mediation committee",
  'orgkind.centre': 'Mediation centre',
  'orgkind.court': 'Court',
  'dispute.wages': 'Unpaid wages',
  'dispute.neighbours': 'Neighbours',
  'dispute.loans': 'Private loans',
  'dispute.property_management': 'Property management',
  'dispute.traffic': 'Traffic accident',
  'dispute.family': 'Marriage and family',
  'dispute.other': 'Other',
  'partyrole.applicant': 'Applicant',
  'partyrole.respondent': 'Respondent',
  'partyrole.agent': 'Agent',
  'partyrole.interpreter': 'Interpreter',
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
  'outboxstatus.pending': 'Pending',
  'outboxstatus.sent': 'Sent',
  'outboxstatus.recorded': 'Recorded: pass it on by hand',
  'outboxstatus.failed': 'Failed',
  'paren': '{a} ({b})',
  'linkstatus.active': 'Link active',
  'linkstatus.revoked': 'Link revoked',
  'linkstatus.expired': 'Link expired',
  'linkstatus.none': 'No link issued',
  'channel.sms': 'SMS',
  'channel.email': 'Email',
  'channel.wechat': 'WeChat',
  'channel.manual': 'By hand',
  'channel.record': 'By hand',
  'actor.staff': 'Staff',
  'actor.party': 'Party',
  'actor.system': 'System',
  'history.case_opened': 'Case opened',
  'history.case_created': 'Case opened',
  'history.party_added': 'Party added',
  'history.session_booked': 'Session booked',
  'history.session_rescheduled': 'Session rescheduled',
  'history.session_cancelled': 'Session cancelled',
  'history.link_issued': 'Link issued',
  'history.link_revoked': 'Link revoked',
  'history.link_opened': 'Party opened link',
  'history.identity_viewed': 'ID number viewed',
  'history.participant_admitted': 'Admitted to the room',
  'history.caucus_started': 'Private talk started',
  'history.caucus_ended': 'Private talk ended',
  'history.participant_removed': 'Removed from the room',
  'history.session_ended': 'Session ended',
  'history.consent': 'Consented to recording',
  'history.consent_withdrawn': 'Withdrew consent to recording',
  'history.recording_export_started': 'Recording export started',
  'history.recording_export_finished': 'Recording exported',
  'history.recording_export_failed': 'Recording export failed',
  'history.recording_export_cancelled': 'Recording export cancelled',
  'history.recording_export_downloaded': 'Exported recording downloaded',

  'staff.header.org': '{org}',
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

  'med.title': 'Mediator dashboard',
  'med.sessions.title': 'Schedule',
  'med.view.label': 'View',
  'med.view.day': 'Day',
  'med.view.week': 'Week',
  'med.prev.day': 'Previous day',
  'med.next.day': 'Next day',
  'med.prev.week': 'Previous week',
  'med.next.week': 'Next week',
  'med.today': 'Today',
  'med.sessions.empty_day': 'No sessions on this day.',
  'med.sessions.empty_week': 'No sessions this week.',
  'med.sessions.none_day': 'Nothing scheduled',
  'med.sessions.tz': 'Times in {tz}',
  'med.cases.title': 'My cases',
  'med.cases.empty': 'No cases yet. Use the “New case” form to register the first one.',
  'med.cases.next': 'Next session: {when}',
  'med.cases.no_next': 'No session booked',
  'med.newcase.title': 'New case',
  'med.newcase.submit': 'Create case',
  'med.newcase.created': 'Case {number} created',
  'med.newcase.conflict': 'Case number “{number}” already exists. Please use another one.',
  'med.newcase.amount_invalid': 'Enter an amount such as 12000 or 12000.50',
  'med.newcase.amount_hint': 'In yuan; leave empty if none',
  'med.judge.title': 'Judge workspace',
  'med.judge.empty': 'The judge workspace is being built. There is nothing for you to do here yet.',
  'med.session.parties': 'Parties: {names}',

  'avail.title': 'Availability',
  'avail.intro': 'Sessions can only be booked inside these hours.',
  'avail.weekly': 'Weekly hours',
  'avail.timezone': 'Time zone',
  'avail.add_window': 'Add hours',
  'avail.remove_window': 'Remove these hours',
  'avail.closed': 'Unavailable',
  'avail.start': 'From',
  'avail.end': 'To',
  'avail.save': 'Save weekly hours',
  'avail.saved': 'Availability saved',
  'avail.window_invalid': 'The end must be later than the start',
  'avail.exceptions': 'Exceptions (leave, extra hours)',
  'avail.exc.date': 'Date',
  'avail.exc.kind': 'Kind',
  'avail.exc.unavailable': 'Unavailable (leave, day off)',
  'avail.exc.available': 'Extra availability',
  'avail.exc.allday': 'All day',
  'avail.exc.reason': 'Reason',
  'avail.exc.add': 'Add exception',
  'avail.exc.added': 'Exception added',
  'avail.exc.deleted': 'Exception deleted',
  'avail.exc.empty': 'No exceptions.',
  'avail.exc.delete_label': 'Delete the exception on {date}',

  'case.back': 'Back to dashboard',
  'case.before_court': 'This case is before the court for judicial confirmation: its parties, sessions and files can no longer be changed, only read.',
  'case.title': 'Case {number}',
  'case.details': 'Case details',
  'case.number': 'Case number',
  'case.type': 'Dispute type',
  'case.summary': 'Summary',
  'case.amount': 'Amount in dispute (CNY)',
  'case.status': 'Status',
  'case.mediator': 'Mediator',
  'case.organisation': 'Organisation',
  'case.created': 'Opened',
  'case.not_found': 'This case does not exist, or you may not see it.',

  'parties.title': 'Parties',
  'parties.empty': 'No parties yet. Add the applicant and the respondent below.',
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

  'sessions.title': 'Sessions',
  'sessions.empty': 'No sessions booked yet.',
  'book.title': 'Book a session',
  'book.date': 'Date',
  'book.time': 'Start time',
  'book.duration': 'Duration',
  'book.timezone': 'Time zone',
  'book.mediator': 'Mediator',
  'book.submit': 'Book session',
  'book.no_parties': 'Tip: add the parties first; booking creates a personal link for each party.',
  'book.success': 'Session booked. Send each party their personal link below (SMS or WeChat).',
  'book.conflict':
    'Time clash: the mediator already has a session for case {case} ({start} – {end}). Please choose another time.',
  'book.conflict_generic': 'Time clash: the mediator is busy then. Please choose another time.',
  'book.links.title': 'Personal links for the parties',
  'book.links.none': 'No new links were issued.',
  'book.dismiss': 'Done, close',
  'session.when': 'When',
  'session.local_note': 'In the parties’ time zone: {time} ({tz})',
  'session.mediator': 'Mediator: {name}',
  'session.reschedule': 'Reschedule',
  'session.reschedule.title': 'Change the time',
  'session.reschedule.reason': 'Reason',
  'session.reschedule.submit': 'Save new time',
  'session.rescheduled': 'Rescheduled. The existing links still work; calendar files are updated.',
  'session.cancel': 'Cancel session',
  'session.cancel.title': 'Cancel this session?',
  'session.cancel.message': 'The parties’ links will then say the session is cancelled.',
  'session.cancel.reason': 'Reason',
  'session.cancel.submit': 'Cancel session',
  'session.cancel.keep': 'Keep session',
  'session.cancelled': 'Session cancelled',
  'link.expires': 'Valid until {time}',
  'link.reissue': 'Re-issue link',
  'link.revoke': 'Revoke link',
  'link.revoke.title': 'Revoke the link of {name}?',
  'link.revoke.message': '{name} will no longer be able to use the old link.',
  'link.revoked': 'Link of {name} revoked',
  'link.issued': 'New link issued for {name}; the old one no longer works.',
  'link.ics': 'Calendar file',
  'link.ics.label': 'Download the calendar file (.ics) of {name}',
  'link.label': '{name} ({role})',
  'link.copy_label': 'Copy the link of {name}',
  'link.warning': 'Personal link for the party: do not open it in this browser.',
  'outbox.title': 'Notifications',
  'outbox.intro':
    'Messages the system prepared. If not sent automatically, copy one and pass it on by phone, SMS or WeChat.',
  'outbox.empty': 'No notifications yet.',
  'outbox.to': 'To: {to}',
  'outbox.copy': 'Copy message',
  'outbox.created': 'Created {time}',
  'outbox.sent': 'Sent {time}',
  'history.title': 'History',
  'history.empty': 'Nothing recorded yet.',

  'admin.title': 'Administration',
  'org.title': 'Organisations',
  'org.empty': 'No organisations yet.',
  'org.name': 'Name',
  'org.kind': 'Kind',
  'org.timezone': 'Time zone',
  'org.region': 'Region (administrative area)',
  'org.region.hint': 'For example "北京市朝阳区". For a court, the area it serves: parties applying for judicial confirmation are offered the courts whose area fits.',
  'org.create.title': 'New organisation',
  'org.create.submit': 'Create organisation',
  'org.created': 'Organisation {name} created',
  'users.title': 'Staff accounts',
  'users.empty': 'No staff accounts yet.',
  'user.username': 'Username',
  'user.display_name': 'Full name',
  'user.password': 'Initial password',
  'user.password.hint': 'Tell the person their initial password in person or by phone',
  'user.role': 'Role',
  'user.organisation': 'Organisation',
  'user.timezone': 'Time zone',
  'user.email': 'Email',
  'user.phone': 'Mobile phone',
  'user.create.title': 'New staff account',
  'user.create.submit': 'Create account',
  'user.created': 'Account {name} created',
  'user.create.need_org': 'Create an organisation first.',

  'party.page.title': 'Video mediation',
  'party.greeting': 'Hello, {name}',
  'party.intro': 'You are invited to the online video mediation below.',
  'party.org': 'Mediation organisation',
  'party.case': 'Case number',
  'party.type': 'Type of dispute',
  'party.mediator': 'Mediator',
  'party.your_role': 'You are the',
  'party.when': 'Date and time',
  'party.duration': 'About {n} minutes',
  'party.countdown.before': 'The mediation starts in',
  'party.countdown.started': 'The mediation has started',
  'party.countdown.ended': 'The mediation has ended',
  'party.countdown.cancelled': 'This mediation has been cancelled',
  'party.cancelled.notice':
    'This mediation session has been cancelled. Please contact your mediator if you have questions.',
  'party.join_hint': 'When it is time, open this link from your mediator again to join the video mediation.',
  'party.calendar': 'Add to calendar',
  'party.calendar.hint': 'Open the downloaded file on your phone to get a calendar reminder.',
  'party.prepare.title': 'What to prepare',
  'party.prepare.id': 'Your ID card (the original)',
  'party.prepare.evidence': 'Evidence about the dispute (contracts, IOUs, receipts, photos, chat records…)',
  'party.prepare.quiet': 'A quiet place where nobody will disturb you',
  'party.prepare.battery': 'A fully charged phone, or keep it plugged in',
  'party.prepare.network': 'A good network connection, Wi-Fi if possible',
  'party.prepare.earphones': 'Earphones (less echo, easier to hear)',
  'party.error.title': 'The mediation details could not be opened',
  'party.error.link': 'The link has been withdrawn or has expired, or the session was cancelled. Please contact your mediator for details or a new link.',
  'party.error.network': 'Network error. Check your connection and press “Try again”.',
  'party.help': 'If you have questions, please contact your mediator.',
  'countdown.d': '{n}\u00a0days',
  'countdown.d1': '1\u00a0day',
  'countdown.h': '{n}\u00a0hours',
  'countdown.h1': '1\u00a0hour',
  'countdown.m': '{n}\u00a0minutes',
  'countdown.m1': '1\u00a0minute',
  'countdown.s': '{n}\u00a0seconds',
  'countdown.s1': '1\u00a0second',
  'countdown.sep': ' ',
  // Evidence (case page)
  'evidence.title': 'Evidence',
  'evidence.intro': "The case's evidence records: each one is entered in a tamper-evident evidence log.",
  'evidence.bundle.why': 'The evidence bundle holds all of the case’s records and the log’s proofs, so a court can check it offline (with mediate verify).',
  'evidence.empty': 'No evidence records yet.',
  'evidence.refresh': 'Refresh',
  'evidence.logged': 'In the log as #{index}',
  'evidence.pending': 'Being logged…',
  'evidence.seq': 'No. {seq}',
  'evidence.actor.you': '{name} (you)',
  'evidence.type.case_opened': 'Case opened',
  'evidence.type.key_bound': 'Party confirmed a signing key',
  'evidence.type.identity_checked': 'Identity checked',
  'evidence.type.export': 'Evidence bundle exported',
  'evidence.type.consent_signed': 'Party signed consent',
  'evidence.type.agreement_signed': 'Agreement signed',
  'evidence.type.session_recorded': 'Session recorded',
  'evidence.actor.platform': 'Platform',
  'evidence.actor.witness': 'Witness',
  'idcheck.title': 'Record identity check',
  'idcheck.party': 'Party',
  'idcheck.method': 'Method',
  'idcheck.result': 'Result',
  'idcheck.note': 'Note',
  'idcheck.submit': 'Record identity check',
  'idcheck.done': 'Identity check of {name} recorded.',
  'idcheck.no_parties': 'Add the parties first.',
  'idmethod.id_card_on_video': 'ID card shown on video',
  'idmethod.face_to_face': 'Face to face',
  'idmethod.document_upload': 'Document uploaded',
  'idmethod.phone_callback': 'Phone call-back',
  'idresult.confirmed': 'Confirmed',
  'idresult.not_confirmed': 'Not confirmed',
  'export.button': 'Export evidence bundle',
  'export.busy': 'Exporting…',
  'export.done': 'Evidence bundle downloaded: {file}',
  'export.hash': 'Manifest hash (SHA-256): ',
  'export.failed': 'Export failed: {message}',

  // Signing key (party page)
  'key.title': 'Confirm your signing key',
  'key.why': 'Later you will sign your consent and the mediation agreement with this phone. First, please confirm that this phone is yours.',
  'key.private': 'The signing key stays on this phone. It is never sent anywhere and nobody else can get it.',
  'key.how': 'Tap the button below and we will text a code to your registered mobile number.',
  'key.send': 'Send code',
  'key.sending': 'Sending…',
  'key.passkey': 'Use fingerprint/face',
  'key.passkey.hint': 'You can also confirm with your phone’s fingerprint or face unlock.',
  'key.sent': 'We sent a code to {phone}. Please check your text messages.',
  'key.code': '6-digit code',
  'key.code.hint': 'Type the 6 digits from the text message.',
  'key.confirm': 'Confirm',
  'key.confirming': 'Confirming…',
  'key.resend': 'Send a new code',
  'key.done': 'Confirmed ✓',
  'key.done.text': 'This phone is registered as your signing device. Please use this phone when you sign.',
  'key.code.invalid': 'Please type 6 digits.',
  'key.wrong_code': 'That code is not right. Please check the text message. {n} tries left.',
  'key.wrong_code.generic': 'That code is not right. Please check the text message.',
  'key.too_many': 'Too many wrong codes. Please tap “Send a new code” and use the new one.',
  'key.expired': 'The code has expired. Please tap “Send a new code” and use the new one.',
  'key.start_again': 'Please send a new code.',
  'key.unsupported': 'This browser cannot keep a signing key. Please open the link in your phone’s own browser (such as Safari or Chrome).',
  'key.passkey.failed': 'The fingerprint/face check did not finish. You can try again, or use a text code instead.',
  'key.rate_limited': 'Too many attempts. Please wait a moment and try again.',
};

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
const listeners = new Set();

/** 'zh' or 'en'. */
export function getLang() {
  return current;
}

/** BCP 47 tag used for Intl and <html lang>. */
export function locale(lang = current) {
  return lang === 'en' ? 'en-GB' : 'zh-CN';
}

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

/** Call `fn` whenever the language changes; returns an unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Translate `key`, filling `{name}` placeholders from `vars`. Unknown keys come back as-is. */
export function t(key, vars = {}) {
  const dict = dictionaries[current];
  let s = dict[key] ?? zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Translate a value from a list (dispute type, role, status…), falling back to the raw value. */
export function tv(prefix, value) {
  if (value == null || value === '') return '';
  const key = `${prefix}.${value}`;
  const dict = dictionaries[current];
  return dict[key] ?? zh[key] ?? String(value).replace(/_/g, ' ');
}

/** A button that switches between Chinese and English. */
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

const fmtCache = new Map();
function fmt(options) {
  const key = current + JSON.stringify(options);
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), options);
    fmtCache.set(key, f);
  }
  return f;
}

function asDate(value) {
  return value instanceof Date ? value : new Date(value);
}

/** "2026年12月1日" / "1 December 2026" */
export function fmtDate(value, timeZone) {
  return fmt({ timeZone, year: 'numeric', month: 'long', day: 'numeric' }).format(asDate(value));
}

/** "星期二" / "Tuesday" */
export function fmtWeekday(value, timeZone, style = 'long') {
  return fmt({ timeZone, weekday: style }).format(asDate(value));
}

/** 24-hour "10:00". */
export function fmtTime(value, timeZone) {
  return fmt({ timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(asDate(value));
}

/** "上午10:00" / "10:00 am" for people who do not read 24-hour clocks. */
export function fmtTime12(value, timeZone) {
  return fmt({ timeZone, hour: 'numeric', minute: '2-digit', hour12: true }).format(asDate(value));
}

/** "2026年12月1日 星期二 10:00" / "Tuesday 1 December 2026, 10:00" */
export function fmtDateTime(value, timeZone) {
  const d = asDate(value);
  if (current === 'en') return `${fmtWeekday(d, timeZone)} ${fmtDate(d, timeZone)}, ${fmtTime(d, timeZone)}`;
  return `${fmtDate(d, timeZone)} ${fmtWeekday(d, timeZone)} ${fmtTime(d, timeZone)}`;
}

/** Short "12月1日 10:00" / "1 Dec, 10:00". */
export function fmtShortDateTime(value, timeZone) {
  const d = asDate(value);
  const date = fmt({ timeZone, month: 'short', day: 'numeric' }).format(d);
  return current === 'en' ? `${date}, ${fmtTime(d, timeZone)}` : `${date} ${fmtTime(d, timeZone)}`;
}

/** "10:00–11:00" */
export function fmtTimeRange(start, end, timeZone) {
  return `${fmtTime(start, timeZone)}–${fmtTime(end, timeZone)}`;
}

/** A calendar date ("YYYY-MM-DD") as "12月1日 周二" / "Tue 1 Dec". */
export function fmtDayHeader(dateStr) {
  const d = calendarDate(dateStr);
  const wd = fmt({ timeZone: 'UTC', weekday: 'short' }).format(d);
  const md = fmt({ timeZone: 'UTC', month: 'short', day: 'numeric' }).format(d);
  return current === 'en' ? `${wd} ${md}` : `${md} ${wd}`;
}

/** A calendar date ("YYYY-MM-DD") as a full date with weekday. */
export function fmtDayLong(dateStr) {
  const d = calendarDate(dateStr);
  if (current === 'en') return `${fmtWeekday(d, 'UTC')} ${fmtDate(d, 'UTC')}`;
  return `${fmtDate(d, 'UTC')} ${fmtWeekday(d, 'UTC')}`;
}

/** Weekday name for 0 (Monday) … 6 (Sunday). */
export function weekdayName(index, style = 'long') {
  // 2024-01-01 was a Monday.
  return fmt({ timeZone: 'UTC', weekday: style }).format(new Date(Date.UTC(2024, 0, 1 + index, 12)));
}

/** A human name for an IANA zone: "北京时间" / "China Standard Time" for Asia/Shanghai. */
export function tzName(timeZone, at = new Date()) {
  if (!timeZone) return '';
  if (['Asia/Shanghai', 'Asia/Chongqing', 'Asia/Harbin', 'PRC'].includes(timeZone)) {
    return current === 'en' ? 'Beijing time' : '北京时间';
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

/** Label for a time-zone <option>. */
export function tzOptionLabel(timeZone) {
  if (timeZone === 'Asia/Shanghai') return current === 'en' ? 'Asia/Shanghai (Beijing time)' : 'Asia/Shanghai（北京时间）';
  return timeZone;
}

/** The party-facing date line: "2026年12月1日 星期二 上午10:00（北京时间）". */
export function fmtPartyDateTime(value, timeZone) {
  const d = asDate(value);
  const tz = tzName(timeZone, d);
  if (current === 'en') {
    return `${fmtWeekday(d, timeZone)} ${fmtDate(d, timeZone)}, ${fmtTime12(d, timeZone)} (${tz})`;
  }
  return `${fmtDate(d, timeZone)} ${fmtWeekday(d, timeZone)} ${fmtTime12(d, timeZone)}（${tz}）`;
}

/** "¥12,000.00" */
export function fmtAmount(amount) {
  if (amount == null || amount === '') return '';
  const n = Number(amount);
  if (!Number.isFinite(n)) return String(amount);
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'CNY' }).format(n);
}

/** A wait in seconds as "3 分钟" / "3 minutes" (or seconds when under a minute). */
export function fmtWait(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (s < 60) return t('duration.seconds', { n: s });
  const m = Math.ceil(s / 60);
  return t('duration.minutes', { n: m });
}

function unit(key, n) {
  if (current === 'en' && n === 1) return t(`${key}1`);
  return t(key, { n });
}

/** "2天 3小时 15分 08秒" / "2 days 3 hours 15 minutes 8 seconds" for `ms` milliseconds. */
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
