"""Sample agreement data shared by the document tests."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw

from server.documents.agreement_pdf import AgreementDoc

TITLE = "人民调解协议书"
CASE_NUMBER = "（2026）朝调字第12号"
ORGANISATION = "朝阳区人民调解委员会"

AGREEMENT_TEXT = "\n".join(
    [
        TITLE,
        "",
        "申请人：张三，男，1980年5月1日出生，住北京市朝阳区望京街道。",
        "被申请人：李四，女，1985年8月9日出生，住北京市朝阳区酒仙桥街道。",
        "",
        "纠纷简要情况：双方因房屋租赁押金退还发生纠纷，经本委员会主持调解，自愿达成如下协议：",
        "",
        "一、被申请人于2027年1月15日前向申请人退还押金人民币伍仟元整（¥5,000）。",
        "二、申请人于收到押金之日起三日内交还房屋钥匙两把。",
        "三、双方就本纠纷再无其他争议。",
        "",
        "本协议自各方签署之日起生效，一式三份，双方各执一份，调解委员会留存一份。",
    ]
)


def make_doc(text: str = AGREEMENT_TEXT, version: int = 2) -> AgreementDoc:
    return AgreementDoc(
        organisation=ORGANISATION,
        case_number=CASE_NUMBER,
        title=TITLE,
        version=version,
        text=text,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        generated_at="2026-12-03 16:05 (北京时间)",
    )


def handwriting_png(width: int = 400, height: int = 150) -> bytes:
    """A drawn signature as the browser sends it: strokes on a transparent background."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 100), (100, 20), (200, 120), (390, 30)], fill=(0, 0, 80, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
