"""What a caller hears from the server itself: short Mandarin prompts.

Each prompt is a WAV file named after it (``pin.wav``, ``waiting.wav``…). At start the server looks
for it first in ``MEDIATE_PROMPTS_DIR`` (recorded files an organisation made, which replace ours),
then in ``<data dir>/prompts``, where it speaks the missing ones once with Debian's espeak-ng
Mandarin voice (``cmn``). Any WAV that PyAV reads will do (any rate, mono or stereo): prompts are
played at 8 kHz, G.711's rate (ITU-T G.711), so they are resampled once, at start.

Each prompt says what to do next, as every message on our pages does (SPC online mediation
rules, art. 16: another way in for those without equipment must be one they can follow).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av

log = logging.getLogger(__name__)

#: G.711's sampling rate: everything the phone network carries.
RATE = 8000
#: The prompts, by name. English beside each for the people who maintain them; callers hear Mandarin.
TEXTS: dict[str, tuple[str, str]] = {
    "pin": (
        "您好，这里是在线调解。请输入邀请短信中的六位会议密码。",
        "Hello, this is online mediation. Please type the six-digit PIN from your invitation text message.",
    ),
    "no_input": (
        "没有收到密码。请用电话按键输入六位会议密码。",
        "No PIN was typed. Please type the six-digit PIN on your keypad.",
    ),
    "replaced": (
        "您已在其他设备上加入本次调解，这通电话将挂断。再见。",
        "You joined this session from another device; this call will end. Goodbye.",
    ),
    "pin_wrong": ("密码不对，请重新输入六位会议密码。", "That PIN is not right. Please type the six-digit PIN again."),
    "pin_blocked": (
        "密码输错次数太多。请核对邀请短信，或联系调解员后再拨。再见。",
        "Too many wrong PINs. Please check your invitation or call your mediator, then call again. Goodbye.",
    ),
    "session_over": (
        "这次调解已经结束或已取消。请联系调解员。再见。",
        "This mediation session has ended or was cancelled. Please contact your mediator. Goodbye.",
    ),
    "room_closed": (
        "调解员暂时不让新的人进入。请联系调解员后再拨。再见。",
        "The mediator is not letting anyone in right now. Please call your mediator, then call again. Goodbye.",
    ),
    "cannot_join": (
        "暂时无法进入本次调解。请联系调解员，或稍后再拨。再见。",
        "You cannot join this session right now. Please contact your mediator or call again later. Goodbye.",
    ),
    "waiting": (
        "已为您接通。请稍候，调解员会请您进入调解室。",
        "You are connected. Please wait: the mediator will let you into the mediation room.",
    ),
    "admitted": ("您已进入调解室，现在可以说话了。", "You are in the mediation room. You can speak now."),
    "consent_notice": (
        "录音录像告知：本次调解将在所有参加人同意后录音录像，录像仅作为调解过程的证据，可能提交人民法院用于司法确认，"
        "加密保存。背对背谈话不录制。调解中为达成协议作出的让步，不得在其后的诉讼中作为对您不利的证据。"
        "任何人不得自行录音录像或传播调解内容。您可以随时撤回同意。同意录音录像请按1，不同意请按2。",
        "Recording notice: this mediation is recorded once every participant agrees; the recording is evidence of the "
        "mediation only, may go to a people's court for judicial confirmation and is stored encrypted. Private talks are "
        "not recorded. Concessions made to reach an agreement cannot be used against you later. Nobody may record or spread "
        "the session themselves. You may withdraw at any time. Press 1 to agree to recording, 2 to refuse.",
    ),
    "consent_pressed": (
        "您按了1，同意录音录像。调解员确认后才会开始录制。",
        "You pressed 1 and agree to recording. Recording starts only once the mediator has confirmed it.",
    ),
    "consent_refused": (
        "您按了2，不同意录音录像。调解员会告诉您接下来怎么办。",
        "You pressed 2 and do not agree to recording. The mediator will tell you how to go on.",
    ),
    "consent_witnessed": ("调解员已确认您同意录音录像。", "The mediator has confirmed your consent to recording."),
    "removed": ("调解员已请您离开本次调解。再见。", "The mediator has asked you to leave this session. Goodbye."),
    "ended": ("调解员已结束本次调解。再见。", "The mediator has ended this session. Goodbye."),
    "restarting": (
        "系统正在维护，请一分钟后再拨。再见。",
        "The system is being restarted. Please call again in a minute. Goodbye.",
    ),
}


class PromptsMissing(RuntimeError):
    """A prompt has no recorded file and cannot be spoken (espeak-ng is not installed)."""


@dataclass(frozen=True)
class Prompts:
    """Every prompt as 8 kHz signed 16-bit mono PCM, ready to be cut into 20 ms frames."""

    pcm: dict[str, bytes]

    def __getitem__(self, name: str) -> bytes:
        return self.pcm[name]


def load(data_dir: Path, recorded: Path | None = None) -> Prompts:
    """Each prompt from ``recorded`` if it is there, else from ``data_dir/prompts``, speaking what is missing."""
    spoken = data_dir / "prompts"
    pcm: dict[str, bytes] = {}
    for name, (zh, _) in TEXTS.items():
        path = recorded / f"{name}.wav" if recorded is not None else None
        if path is None or not path.is_file():
            path = spoken / f"{name}.wav"
            if not path.is_file():
                speak(zh, path)
        pcm[name] = read_pcm(path)
    return Prompts(pcm)


def speak(text: str, target: Path) -> None:
    """Write ``text`` as Mandarin speech to ``target`` with espeak-ng (Debian's ``espeak-ng``)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise PromptsMissing(
            f"the phone prompt {target.name} is missing and espeak-ng is not installed: "
            "run `bash scripts/serve` (it installs espeak-ng) or put recorded files in MEDIATE_PROMPTS_DIR"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of this process's own: processes sharing a data directory may speak the same prompt at once.
    partial = target.with_suffix(f".{os.getpid()}.part.wav")
    subprocess.run([espeak, "-v", "cmn", "-s", "190", "-w", str(partial), text], check=True, capture_output=True, timeout=60)
    partial.replace(target)
    log.info("phone prompt %s spoken with espeak-ng", target.name)


def read_pcm(path: Path) -> bytes:
    """The file's audio as 8 kHz signed 16-bit mono PCM."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    out = bytearray()
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for converted in resampler.resample(frame):
                out += bytes(converted.planes[0])[: converted.samples * 2]
    for converted in resampler.resample(None):
        out += bytes(converted.planes[0])[: converted.samples * 2]
    return bytes(out)
