// @ts-check
// Strings of signatures on paper (#25): a party who signs nothing with a key has the agreement read
// to them and signs it on paper (paper-signature.js), and co-signs the application for judicial
// confirmation on paper (confirmation-paper.js); the mediator attests each page.

import { dictionaries } from './i18n.js';

const zh = {
  'paper.title': '纸质签名（电话参加或没有智能手机的当事人）',
  'paper.intro':
    '当事人无法在手机或电脑上签名时（例如通过电话参加）：先向其完整宣读协议定稿并在此记录；再打印协议定稿，请其在纸上签名或按指印，拍照或扫描签名页后上传，并用您本人的签名密钥确认收到。原件请存档。',
  'paper.print': '打印协议定稿（PDF）',
  'paper.key': '确认时使用下方“调解员签名”一栏选中的签名密钥；还没有密钥时，请先在该栏创建。',
  'paper.party': '当事人',
  'paper.read.how': '宣读方式',
  'paper.read.read_by_phone': '通过电话宣读',
  'paper.read.read_in_session': '在视频调解中宣读',
  'paper.read.read_in_person': '当面宣读',
  'paper.read': '记录：已向{name}宣读协议',
  'paper.read.done': '已记录：您已向{name}宣读第 {n} 版协议。',
  'paper.scan': '签名页的照片或扫描件（JPG、PNG 或 PDF）',
  'paper.scan.missing': '请先选择{name}签名页的照片或扫描件。',
  'paper.attest': '上传并签名确认{name}已在纸上签名',
  'paper.attest.busy': '正在上传并签名…',
  'paper.attest.confirm.title': '确认纸质签名',
  'paper.attest.confirm.text': '您将用自己的签名密钥确认：{name}已在第 {n} 版协议的纸质文本上亲笔签名或按指印，签名页即所上传的文件。此确认记入证据日志，不能撤回。',
  'paper.attest.done': '已确认{name}的纸质签名。',
  'paper.none': '所有当事人都已签名。',
  'paper.uploaded.name': '协议签名页-{name}',
  // The application for judicial confirmation, co-signed on paper (confirmation-paper.js)
  'conf.paper.title': '纸质联署申请（电话参加或没有智能手机的当事人）',
  'conf.paper.intro':
    '还没有签名的当事人无法在手机或电脑上签名时（例如通过电话参加）：打印下方的司法确认申请书，请其在签名处签名或按指印；拍照或扫描签名页后上传，并用您本人的签名密钥确认收到。原件请存档。所有当事人都签名后，申请才会提交法院。',
  'conf.paper.print': '打印司法确认申请书（PDF）',
  'conf.paper.deadline': '请在申请截止前完成：{time}。',
  'conf.paper.key.none': '您还没有签名密钥。请先在本设备创建一把，再上传签名页并确认。',
  'conf.paper.key.elsewhere': '您登记的签名密钥不在本设备上。请在本设备创建一把，或改用登记密钥的设备。',
  'conf.paper.key.register': '在本设备创建签名密钥',
  'conf.paper.scan': '签名页的照片或扫描件（JPG、PNG 或 PDF）',
  'conf.paper.scan.missing': '请先选择{name}签名的申请书签名页的照片或扫描件。',
  'conf.paper.attest': '上传并签名确认{name}已在申请书上签名',
  'conf.paper.attest.busy': '正在上传并签名…',
  'conf.paper.attest.confirm.title': '确认纸质联署',
  'conf.paper.attest.confirm.text':
    '您将用自己的签名密钥确认：{name}已在向{court}申请司法确认的纸质申请书上亲笔签名或按指印，签名页即所上传的文件。此确认记入证据日志，不能撤回；所有当事人都签名后，申请即提交法院。',
  'conf.paper.attest.done': '已确认{name}在申请书上的纸质签名。',
  'conf.paper.uploaded.name': '司法确认申请书签名页-{name}',
};

const en = {
  'paper.title': 'Signatures on paper (parties by phone or without a smartphone)',
  'paper.intro':
    'When a party cannot sign on a phone or computer (for example, they joined by phone): first read the final text to them in full and record it here; then print the final text, have them sign or thumbprint it on paper, photograph or scan the signed page, upload it and confirm receipt with your own signing key. Keep the original on file.',
  'paper.print': 'Print the final text (PDF)',
  'paper.key': 'Confirming uses the signing key chosen under "Your signature as mediator" below; if you have none yet, create one there first.',
  'paper.party': 'Party',
  'paper.read.how': 'How it was read',
  'paper.read.read_by_phone': 'Read over the telephone',
  'paper.read.read_in_session': 'Read in the video session',
  'paper.read.read_in_person': 'Read in person',
  'paper.read': 'Record: I read the agreement to {name}',
  'paper.read.done': 'Recorded: you read version {n} of the agreement to {name}.',
  'paper.scan': 'Photo or scan of the signed page (JPG, PNG or PDF)',
  'paper.scan.missing': "Choose a photo or scan of {name}'s signed page first.",
  'paper.attest': 'Upload and sign to confirm {name} signed on paper',
  'paper.attest.busy': 'Uploading and signing…',
  'paper.attest.confirm.title': 'Confirm a signature on paper',
  'paper.attest.confirm.text':
    'With your own signing key you confirm that {name} signed or thumbprinted version {n} of the agreement on paper, and that the uploaded file is that page. This goes into the evidence log and cannot be withdrawn.',
  'paper.attest.done': "{name}'s signature on paper is confirmed.",
  'paper.none': 'Every party has signed.',
  'paper.uploaded.name': 'Signed page of the agreement-{name}',
  'conf.paper.title': 'Co-signing on paper (parties by phone or without a smartphone)',
  'conf.paper.intro':
    'When a party who has not signed cannot sign on a phone or computer (for example, they joined by phone): print the application below and have them sign or thumbprint it where marked; photograph or scan the signed page, upload it and confirm receipt with your own signing key. Keep the original on file. The application goes to the court only once every party has signed.',
  'conf.paper.print': 'Print the application for judicial confirmation (PDF)',
  'conf.paper.deadline': 'Finish before the time to apply ends: {time}.',
  'conf.paper.key.none': 'You have no signing key yet. Create one on this device first, then upload the signed page and confirm.',
  'conf.paper.key.elsewhere': 'Your registered signing keys are not on this device. Create one here, or use the device that holds yours.',
  'conf.paper.key.register': 'Create a signing key on this device',
  'conf.paper.scan': 'Photo or scan of the signed page (JPG, PNG or PDF)',
  'conf.paper.scan.missing': "Choose a photo or scan of the page {name} signed first.",
  'conf.paper.attest': 'Upload and sign to confirm {name} signed the application',
  'conf.paper.attest.busy': 'Uploading and signing…',
  'conf.paper.attest.confirm.title': 'Confirm a co-signature on paper',
  'conf.paper.attest.confirm.text':
    'With your own signing key you confirm that {name} signed or thumbprinted, on paper, the application to {court} for judicial confirmation, and that the uploaded file is that page. This goes into the evidence log and cannot be withdrawn; once every party has signed, the application goes to the court.',
  'conf.paper.attest.done': "{name}'s signature of the application on paper is confirmed.",
  'conf.paper.uploaded.name': 'Signed page of the application for confirmation-{name}',
};

Object.assign(dictionaries.zh, zh);
Object.assign(dictionaries.en, en);
