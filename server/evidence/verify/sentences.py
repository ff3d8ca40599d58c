"""One plain sentence, in Chinese or English, for each finding: what a judge reads.

A finding's sentence is chosen by its code and, where the code has several causes, its `why`
(``key_unbound/no_pop``); the finding's file, record, key and parameters fill it in. A code
with no sentence here is said by its code and subject, so that nothing found goes unsaid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.evidence.verify.findings import SAVED, Finding

# fmt: off
TEXT: dict[str, tuple[str, str]] = {
    "checkpoint_valid": ("检查点 {file} 由日志密钥有效签名。", "Checkpoint {file} is validly signed by the log key."),
    "all_in_log": ("全部记录都在日志中（检查点大小 {size}）。", "All records are in the log (checkpoint size {size})."),
    "manifest_logged": ("manifest.json 的哈希登记在第 {seq} 条（导出）记录中。", "The hash of manifest.json is logged in export record {seq}."),
    "consistent_with_saved": ("您保存的检查点（大小 {from_size}）与本日志（大小 {size}）一致。", "The saved checkpoint (size {from_size}) is consistent with this log (size {size})."),
    "witness_cosigned": ("见证方 {name} 于 {time} 共同签名了检查点。", "Witness {name} cosigned the checkpoint at {time}."),
    "bundle_unreadable": ("无法读取证据包：{detail}", "The bundle cannot be read: {detail}"),
    "internal_error": ("核验过程中出现意外错误（{detail}），核验未能完成，结果不可采信。", "The check stopped on an unexpected error ({detail}); the bundle is not verified."),
    "file_modified": ("文件 {file} 已被改动：其哈希与 manifest.json 中登记的不一致。", "File {file} has been modified: its hash differs from the one in manifest.json."),
    "file_missing": ("manifest.json 列出的文件 {file} 不在证据包中。", "File {file} is listed in manifest.json but missing."),
    "file_unlisted": ("文件 {file} 没有列在 manifest.json 中，是导出后被加入的。", "File {file} is not listed in manifest.json: it was added after the export."),
    "file_malformed": ("文件 {file} 格式不正确，无法核验（{detail}）。", "File {file} is malformed and cannot be checked ({detail})."),
    "no_records": ("证据包中没有任何记录。", "The bundle holds no records."),
    "record_malformed": ("文件 {file} 不是有效的记录（{detail}）。", "File {file} is not a valid record ({detail})."),
    "record_missing": ("第 {seq} 条记录缺失：记录编号不连续，有记录被删除。", "Record {seq} is missing: the numbering has a gap."),
    "record_duplicated/copy": ("第 {seq} 条记录重复出现（又见于 {file}）。", "Record {seq} appears twice (again in {file})."),
    "record_duplicated/conflict": ("{file} 与另一文件都自称第 {seq} 条记录，但内容不同。", "{file} and another file both claim to be record {seq}, with different contents."),
    "record_reordered/file": ("文件 {file} 中存放的是第 {seq} 条记录，而不是第 {number} 条：记录被调换了位置或重新编号。", "File {file} holds record {seq}, not record {number}: records were swapped or renumbered."),
    "record_reordered/log": ("第 {seq} 条记录在日志中的序号（{index}）不在第 {before} 条（{prev_index}）之后：记录顺序与日志不符。",
                             "Record {seq} sits at log index {index}, not after record {before} ({prev_index}): the order differs from the log."),
    "record_replayed": ("第 {seq} 条记录重复使用了第 {first} 条记录的声明（同一随机数）：这是重放的记录。", "Record {seq} reuses the claim of record {first} (same nonce): it is a replayed record."),
    "chain_broken": ("第 {seq} 条记录没有链接到第 {prev} 条（prev 哈希不符）：其间的记录被删除、插入或改动过。",
                     "Record {seq} does not link to record {prev} (wrong prev hash): records between them were removed, inserted or altered."),
    "wrong_case": ("第 {seq} 条记录属于另一案件（{other}），不属于本案（{case}）。", "Record {seq} belongs to another case ({other}), not to this case ({case})."),
    "wrong_log": ("第 {seq} 条记录是为另一日志（{other}）签署的，不是本日志 {log}。", "Record {seq} was signed for another log ({other}), not {log}."),
    "body_mismatch": ("第 {seq} 条记录的详细内容（{file}）与记录中登记的哈希不符：内容被改动过。", "The details of record {seq} ({file}) do not match the hash in the record: they were altered."),
    "body_without_record": ("文件 {file} 是第 {seq} 条记录的详细内容，但证据包中没有这条记录。", "File {file} holds details of record {seq}, which the bundle does not contain."),
    "signature_invalid": ("第 {seq} 条记录上密钥 {key} 的签名无效（{detail}）。", "The signature by key {key} on record {seq} is invalid ({detail})."),
    "signature_misbound": ("第 {seq} 条记录由 {holder} 的密钥 {key} 签名，但记录的行为人是 {actor}：签名与行为人不符。",
                           "Record {seq} is signed with key {key} of {holder}, but its actor is {actor}: the signature is not the actor's."),
    "key_substituted/id_mismatch": ("keys.json 中的密钥 {key} 与其公钥不符：公钥被替换过。", "Key {key} in keys.json does not match its public key: the key was substituted."),
    "key_substituted/missing": ("第 {seq} 条记录由密钥 {key} 签名，但 keys.json 中没有这把密钥，而有另一把平台密钥 {other}：密钥被替换过。",
                                "Record {seq} is signed by key {key}, which keys.json lacks while holding another platform key {other}: the key was substituted."),
    "key_substituted/untrusted": ("keys.json 中的日志密钥 {key} 不是您指定的可信日志密钥：日志密钥被替换过。", "The log key {key} in keys.json is not the trusted log key you gave: the log key was substituted."),
    "key_substituted/differs": ("keys.json 对密钥 {key} 持有人的描述与第 {seq} 条绑定记录不同：密钥信息被替换过。",
                                "keys.json names a different holder for key {key} than binding record {seq}: the key was substituted."),
    "key_substituted/twice": ("keys.json 中密钥 {key} 出现两次且内容不同。", "Key {key} appears twice in keys.json with different contents."),
    "key_unknown": ("第 {seq} 条记录由密钥 {key} 签名，但证据包中找不到这把密钥。", "Record {seq} is signed by key {key}, which the bundle does not contain."),
    "key_unbound/not_bound": ("第 {seq} 条记录由个人密钥 {key} 签名，但本案此前没有有效的记录把这把密钥绑定给任何人：签名不能归属于任何人。",
                              "Record {seq} is signed by personal key {key}, which no earlier valid record of this case binds to anyone."),
    "key_unbound/no_pop": ("第 {seq} 条密钥绑定记录没有新密钥 {key} 本身的有效签名（缺少持有证明）。", "Key binding record {seq} lacks a valid signature by the new key {key} itself (no proof of possession)."),
    "key_unbound/no_platform": ("第 {seq} 条密钥绑定记录没有当时有效的平台密钥共同签名，密钥 {key} 未被绑定。",
                                "Key binding record {seq} is not co-signed by a platform key valid at the time; key {key} is not bound."),
    "key_unbound/bad_key": ("第 {seq} 条密钥绑定记录中的密钥无效（{detail}）。", "Key binding record {seq} carries an unusable key ({detail})."),
    "key_unbound/no_check": ("第 {seq} 条记录称密钥 {key} 是在调解员视频核验身份后绑定的，但它没有指向本案此前的身份核验记录：密钥未绑定。",
                             "Record {seq} says key {key} was bound after the mediator checked the party's identity on video, but it names no earlier identity check of this case: the key is not bound."),
    "key_unbound/check_other": ("第 {seq} 条记录依据的身份核验（第 {check} 条记录）不是对该当事人在视频中出示身份证的核验，或核验结果不是“一致”：密钥 {key} 未绑定。",
                                "The identity check that record {seq} relies on ({check}) is not a confirmed check of this party's ID card on video: key {key} is not bound."),
    "key_unbound/check_unsigned": ("第 {seq} 条记录依据的身份核验（第 {check} 条记录）不是由本案调解员用其绑定到本案的本人密钥签署的：密钥 {key} 未绑定。",
                                   "The identity check that record {seq} relies on ({check}) is not signed by a mediator of the case with their own key bound to it: key {key} is not bound."),
    "key_unbound/check_late": ("第 {seq} 条记录在其依据的身份核验（第 {check} 条记录）之后超过 15 分钟才绑定密钥 {key}：核验已失效，密钥未绑定。",
                               "Record {seq} binds key {key} more than 15 minutes after the identity check it relies on (record {check}): the key is not bound."),
    "key_unbound/check_reused": ("第 {seq} 条记录依据的身份核验（第 {check} 条记录）已被另一次密钥绑定使用过（每次核验只能用一次）：密钥 {key} 未绑定。",
                                 "The identity check that record {seq} relies on ({check}) was already used for another binding (each check serves once): key {key} is not bound."),
    "key_unbound/rebound": ("第 {seq} 条记录试图把已绑定给他人的密钥 {key} 再次绑定。", "Record {seq} tries to bind key {key}, already bound to someone else."),
    "key_not_valid": ("第 {seq} 条记录的时间（{time}）不在密钥 {key} 的有效期内。", "Record {seq} ({time}) is outside the validity period of key {key}."),
    "record_unsigned": ("第 {seq} 条记录没有任何有效签名。", "Record {seq} has no valid signature."),
    "platform_signature_missing": ("第 {seq} 条记录（{type}）必须有平台密钥签名，但没有有效的平台签名。", "Record {seq} ({type}) must be signed by a platform key but has no valid platform signature."),
    "not_in_log/no_proof": ("第 {seq} 条记录没有日志包含证明，无法证明它在日志中。", "Record {seq} has no inclusion proof: it is not shown to be in the log."),
    "not_in_log": ("第 {seq} 条记录不在日志中：它在日志序号 {index} 处的包含证明与检查点不符，记录可能被改动或伪造。",
                   "Record {seq} is not in the log: its inclusion proof at index {index} does not match the checkpoint; it was altered or forged."),
    "log_truncated": ("第 {seq} 条记录在日志中的序号是 {index}，但检查点只覆盖序号 0 至 {last}（共 {size} 条）：检查点过旧或日志被截断，这条记录未被证明在日志中。",
                      "Record {seq} is at log index {index}, but the checkpoint covers only indices 0 to {last} ({size} entries): the log was truncated or the checkpoint is stale."),
    "checkpoint_invalid/malformed": ("检查点 {file} 格式不正确（{detail}）。", "Checkpoint {file} is malformed ({detail})."),
    "checkpoint_invalid/no_key": ("找不到日志公钥，无法核验检查点 {file}；请用 --trusted-key 指定。", "There is no log key to check checkpoint {file} with; give one with --trusted-key."),
    "checkpoint_invalid/unsigned": ("检查点 {file} 不是由日志密钥签名的。", "Checkpoint {file} is not signed by the log key."),
    "checkpoint_invalid/bad_signature": ("检查点 {file} 上的日志签名无效（{detail}）。", "The log signature on checkpoint {file} is invalid ({detail})."),
    "checkpoint_other_log": ("检查点 {file} 属于另一日志（{other}），不是本证据包的日志 {log}。", "Checkpoint {file} is from another log ({other}), not this bundle's log {log}."),
    "proof_invalid/size": ("proofs.json 所述日志大小 {claimed} 与检查点的大小 {size} 不符。", "proofs.json gives log size {claimed}, but the checkpoint's size is {size}."),
    "proof_invalid/consistency": ("proofs.json 中从大小 {from_size} 起的一致性证明无效（{detail}）。", "The consistency proof from size {from_size} in proofs.json is invalid ({detail})."),
    "inconsistent_with_saved/fork": ("您保存的检查点（大小 {from_size}）与本证据包的日志不一致：日志在那之后被改写（分叉）。",
                                     "The saved checkpoint (size {from_size}) is inconsistent with this bundle's log: the log was rewritten (forked)."),
    "inconsistent_with_saved/root": ("您保存的检查点与本证据包的检查点大小相同（{size}）但根哈希不同：日志被改写。",
                                     "The saved checkpoint has the same size ({size}) as the bundle's but a different root: the log was rewritten."),
    "inconsistent_with_saved/larger": ("您保存的检查点（大小 {from_size}）比本证据包的检查点（大小 {size}）更新：证据包可能缺少之后的记录，请要求重新导出。",
                                       "The saved checkpoint (size {from_size}) is newer than the bundle's (size {size}): later records may be missing; ask for a new export."),
    "inconsistent_with_saved/no_checkpoint": ("本证据包的检查点无效，无法与您保存的检查点比较。", "The bundle's checkpoint is invalid, so the saved checkpoint cannot be compared."),
    "consistency_missing": ("证据包中没有从大小 {from_size} 起的一致性证明；请要求平台用 --consistency-from {from_size} 重新导出。",
                            "The bundle has no consistency proof from size {from_size}; ask for an export with --consistency-from {from_size}."),
    "manifest_not_logged": ("manifest.json 的哈希与第 {seq} 条（导出）记录中登记的不一致：文件清单在导出后被改动过。",
                            "The hash of manifest.json differs from the one logged in export record {seq}: the manifest was changed after the export."),
    "manifest_not_logged/no_export": ("证据包的记录中没有导出记录，manifest.json 未登记在日志中：无法确认文件清单齐全、未被改动。",
                                      "The bundle has no export record, so manifest.json is not in the log: the file list cannot be confirmed."),
    "witness_missing": ("见证方 {name} 没有为检查点共同签名。", "Witness {name} has not cosigned the checkpoint."),
    "witness_invalid": ("见证方 {name} 的共同签名无效（{detail}）。", "The cosignature of witness {name} is invalid ({detail})."),
    "segment_missing": ("录像 {recording} 的第 {index} 段（{file}）缺失：片段清单（第 {seq} 条记录）登记了它，但证据包中没有。",
                        "Segment {index} of recording {recording} ({file}) is missing: segment manifest record {seq} lists it."),
    "segment_altered": ("录像片段 {file}（第 {index} 段）已被改动：其哈希与片段清单（第 {seq} 条记录）登记的不一致。",
                        "Recording segment {file} (segment {index}) was altered: its hash differs from segment manifest record {seq}."),
    "segment_reordered": ("录像片段 {file} 中存放的是第 {other} 段，而不是第 {index} 段：片段被调换了位置。",
                          "Recording segment {file} holds segment {other}, not segment {index}: segments were swapped."),
    "segment_unlisted": ("录像片段 {file} 不在任何片段清单中：它是后来加入的。", "Recording segment {file} is in no segment manifest: it was added afterwards."),
    "segment_chain_broken": ("录像 {recording} 的片段链在第 {index} 段处断开（第 {seq} 条记录）：片段被删除、插入或改动过。",
                             "The segment chain of recording {recording} breaks at segment {index} (record {seq}): segments were removed, inserted or altered."),
    "segment_manifest_missing": ("录像 {recording} 的片段清单不连续：第 {seq} 条记录从第 {got} 段开始，应从第 {expected} 段开始。",
                                 "The segment manifests of recording {recording} have a gap: record {seq} starts at segment {got}, not {expected}."),
    "recording_deleted": ("录像 {recording} 已在保存期满后删除（第 {seq} 条记录）；其片段的哈希仍在片段清单中。",
                          "Recording {recording} was deleted after its retention period (record {seq}); its segments' hashes remain in the manifests."),
    "recording_resumed": ("录像 {recording} 接续同一场调解此前录像的片段链（第 {seq} 条记录）。",
                          "Recording {recording} continues the segment chain of the session's earlier recording (record {seq})."),
    "recording_chain_broken": ("录像 {recording} 的片段链不是从头开始，也不接续同一场调解此前的录像（第 {seq} 条记录）：有录像被删除或调换。",
                               "The segment chain of recording {recording} neither starts afresh nor continues the session's earlier recording (record {seq}): a recording was removed or swapped."),
    "reply_without_instruction": ("第 {seq} 条督办反馈记录回复的第 {instruction} 条记录不是本案此前的督办意见，或者那条意见已经回复过。",
                                  "Supervision reply {seq} answers record {instruction}, which is not an earlier supervision instruction of the case, or was answered already."),
    "answer_without_complaint": ("第 {seq} 条投诉答复记录答复的第 {complaint} 条记录不是本案此前的当事人投诉，或者那条投诉已经答复过。",
                                 "Complaint answer {seq} answers record {complaint}, which is not an earlier complaint of the case, or was answered already."),
    "deadline_extended": ("调解期限经全部 {parties} 位当事人各自以本人密钥签名同意，延长至 {to_date}（第 {seq} 条记录）。",
                          "Every party ({parties}) agreed with their own key to extend the mediation period to {to_date} (record {seq})."),
    "extension_unsigned/not_signed": ("第 {seq} 条延长调解期限记录所列的第 {signature} 条记录不是该当事人本人签名同意延长的记录，或其哈希不符：不能证明各方当事人同意延长。",
                                      "Extension record {seq} names record {signature}, which is not that party's own signed agreement to extend, or its hash differs: the parties' agreement is not shown."),
    "extension_unsigned/other_days": ("第 {seq} 条延长调解期限记录所列的第 {signature} 条签名同意的是另一次延长或另一个日期。",
                                      "Extension record {seq} names signature {signature}, which agreed to another extension or other days."),
    "extension_unsigned/no_signatures": ("第 {seq} 条延长调解期限记录没有列出任何当事人的签名。", "Extension record {seq} names no party's signature."),
    "transcript_signed": ("第 {seq} 条：当事人以本人密钥签署的是第 {version} 版调解记录（第 {version_seq} 条记录），文本哈希一致。",
                          "Record {seq}: the party signed version {version} of the mediation record (record {version_seq}) with their own key; the text's hash matches."),
    "transcript_unversioned": ("第 {seq} 条当事人签署调解记录的记录所签的第 {version} 版，在本案此前的记录中找不到哈希相同的版本：不能证明当事人签的是这份记录。",
                               "Record {seq} signs version {version} of a mediation record, but no earlier version of the case has that hash: what the party signed is not shown."),
    "transcript_text_mismatch": ("第 {seq} 条调解记录（第 {version} 版）所附全文的哈希与记录中的不符：全文被改动过。",
                                 "The full text kept with record {seq} (version {version} of the mediation record) does not match its hash: the text was changed."),
    "decision_without_request": ("第 {seq} 条更换调解员的决定针对的第 {request} 条记录不是本案此前当事人的更换申请，或者那项申请已经决定过。",
                                 "Decision {seq} on another mediator decides record {request}, which is not an earlier request of a party of the case, or was decided already."),
    "manifest_not_recorder": ("第 {seq} 条录像记录不是由平台的录像密钥签名的。", "Recording record {seq} is not signed by the platform's recorder key."),
    "recording_interrupted": ("录像 {recording} 因服务器停止而中断；已写入的第 1–{index} 段完整可核验。",
                              "Recording {recording} was interrupted when the server stopped; the segments written (up to {index}) are complete and verify."),
    "recording_unfinished": ("录像 {recording} 在导出时尚未结束（已登记至第 {index} 段）。", "Recording {recording} had not ended at export (segments up to {index} are logged)."),
    "document_missing": ("文件 {document} 缺失：第 {seq} 条记录登记了它，但证据包中没有。", "Document {document} is missing: record {seq} lists it."),
    "document_altered": ("文件 {file} 已被改动：其哈希与第 {seq} 条记录登记的不一致。", "Document {file} was altered: its hash differs from record {seq}."),
    "document_destroyed": ("文件 {document}（第 {added} 条记录入卷）已在卷宗保管期满后销毁（第 {seq} 条记录），证据包中不再有该文件；其哈希仍登记在日志中。",
                           "Document {document} (filed in record {added}) was destroyed after the case file's retention (record {seq}), so the bundle no longer holds it; its hash remains in the log."),
    "destroyed_unlogged": ("第 {seq} 条卷宗销毁记录列出的文件 {document} 在此前的记录中没有以相同哈希入卷：销毁记录与日志不符。",
                           "Destruction record {seq} lists document {document}, which no earlier record filed with that hash: the destruction does not match the log."),
    "document_unlisted": ("文件 {file} 没有任何记录登记：它是后来加入的。", "Document {file} is in no record: it was added afterwards."),
    "agreement_pdf_unlogged": ("第 {seq} 条记录定稿的协议 PDF 没有登记在日志中。", "The agreement PDF made final in record {seq} is not in the log."),
    "signature_not_final": ("第 {seq} 条签名针对的第 {version} 版协议不是定稿版本。", "Signature record {seq} signs version {version}, which was never made final."),
    "signature_other_text": ("第 {seq} 条签名所签的文本或 PDF 与定稿版本不一致。", "Signature record {seq} signs a text or PDF other than the final version."),
    "application_not_party": ("第 {seq} 条司法确认申请记录由工作人员签署，却没有载明是证明共同申请人中的哪一位当事人在纸质申请书上签名：不能算作当事人的申请。",
                              "Record {seq} of the application for confirmation is signed by a staff member without saying which joint applicant it attests signed the paper application: it is no party's application."),
    "application_signed_on_paper": ("第 {seq} 条记录：当事人在纸质司法确认申请书上签名，调解员收取并以本人密钥签名确认，签名页扫描件与日志登记一致。",
                                    "Record {seq}: a party signed the application for confirmation on paper, attested by the receiving mediator's own key; the scanned page matches the log."),
    "paper_scan_unlogged": ("第 {seq} 条纸质签名记录所指的签名页扫描件没有登记在日志中，或与登记的哈希不符。", "The scanned signed page that paper-signature record {seq} names is not in the log, or its hash differs."),
    "sealed_pdf_unlogged": ("第 {seq} 条盖章记录所指的 PDF 没有登记在日志中。", "The sealed PDF of record {seq} is not in the log."),
    "sealed_other_signatures": ("第 {seq} 条盖章记录所列的签名与日志中的签名不一致。", "Seal record {seq} lists other signatures than those logged."),
    "agreement_sealed": ("调解协议已由全部 {signatures} 位签署人签署，并加盖调解组织印章（第 {seq} 条记录）。", "The agreement was signed by all {signatures} signers and sealed by the organisation (record {seq})."),
    "case_file_intact": ("卷宗（第 {seq} 条制作卷宗记录）所列 {parts} 件文书的哈希均与证据日志一致，卷宗 PDF（共 {pages} 页）与登记的哈希一致。",
                         "The case file (record {seq}): the hashes of its {parts} documents all match the evidence log, and its PDF ({pages} pages) matches the logged hash."),
    "case_file_part_mismatch/record": ("第 {seq} 条制作卷宗记录所列第 {order} 件文书（{title}）据称来自第 {source} 条记录，但本案此前没有这条记录，或其内容哈希与卷宗所载不符：卷宗与日志不一致。",
                                       "Case file record {seq} lists document {order} ({title}) as record {source}, but the case has no such earlier record or its body hash differs: the case file does not match the log."),
    "case_file_part_mismatch/document": ("第 {seq} 条制作卷宗记录所列第 {order} 件文书（{title}）据称是文件 {source}，但该文件此前没有登记入卷，或其登记的哈希与卷宗所载不符：卷宗与日志不一致。",
                                         "Case file record {seq} lists document {order} ({title}) as file {source}, but that file was not logged before it or its logged hash differs: the case file does not match the log."),
    "case_file_part_mismatch/no_list": ("第 {seq} 条制作卷宗记录的详细内容缺失或无法读取，无法逐项核对卷宗的各部分。",
                                        "The details of case file record {seq} are missing or unreadable: its parts cannot be checked one by one."),
    "case_file_part_mismatch/count": ("第 {seq} 条制作卷宗记录称卷宗收入 {parts} 件文书，其详细内容却列出 {listed} 件。",
                                      "Case file record {seq} says the file holds {parts} documents, but its details list {listed}."),
    "case_file_pdf_mismatch/unlogged": ("第 {seq} 条制作卷宗记录所指的卷宗 PDF（文件 {document}）没有在此前以相同哈希登记入卷。",
                                        "The case file PDF (file {document}) that record {seq} names was not logged before it with the same hash."),
    "case_file_pdf_mismatch/missing": ("第 {seq} 条制作卷宗记录所指的卷宗 PDF（文件 {document}）不在证据包中。",
                                       "The case file PDF (file {document}) that record {seq} names is not in the bundle."),
    "case_file_pdf_mismatch/altered": ("卷宗 PDF {file} 与第 {seq} 条制作卷宗记录登记的哈希不一致：卷宗已被改动。",
                                       "The case file PDF {file} differs from the hash logged in case file record {seq}: the case file was altered."),
    "log_key_not_pinned": ("日志公钥 {vkey} 取自证据包本身；请与平台公布的日志公钥核对，或用 --trusted-key 指定可信的日志公钥。",
                           "The log key {vkey} was taken from the bundle itself; compare it with the platform's published key, or give it with --trusted-key."),
}

# fmt: on


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def fmt(template: str, **values: Any) -> str:
    return template.format_map(_Defaults(values))


def pick(table: Mapping[str, tuple[str, str]], key: str, lang: str, fallback: str | None = None) -> str:
    pair = table.get(key)
    return (pair[0] if lang == "zh" else pair[1]) if pair else (fallback if fallback is not None else key)


def sentence(finding: Finding, lang: str = "zh") -> str:
    """One plain sentence for a finding, naming its file, record or key."""
    why = finding.params.get("why")
    key = f"{finding.code}/{why}" if why and f"{finding.code}/{why}" in TEXT else finding.code
    file = finding.file
    if file == SAVED:
        file = "（您保存的检查点）" if lang == "zh" else "(your saved checkpoint)"
    text = pick(TEXT, key, lang, f"{finding.code}: {finding.subject}")
    return fmt(text, file=file, seq=finding.seq, key=finding.key, **finding.params)
