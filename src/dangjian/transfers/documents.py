"""The introduction letter as PDF: the standard three-part form (存根, 介绍信, 回执;
组通字〔2006〕45号)
on one A4 page with cut lines, the letter number on every part, the validity, the month fees are
paid up to and, for a signed letter leaving the deployment, the QR code another dangjian deployment
imports."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Frame, Paragraph

from dangjian.core.pdf import cn_font as _font
from dangjian.core.pdf import draw_watermark, watermark_text


def _age(born: Any, on: Any) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _paid(text: str) -> str:
    return (
        f"党费已交到{text[:4]}年{int(text[5:7])}月。"
        if len(text) == 7
        else "党费：转出党组织无交纳记录。"
    )


def letter_pdf(t: Any, *, who: str) -> bytes:

    font = _font()
    m = t.member
    issued = t.issued_on
    end = issued + timedelta(days=t.valid_days)
    status = "正式党员" if m.status == "full" else "预备党员"
    to = t.to_org.name if t.to_org else t.to_name
    frm = t.from_org.name
    paid = _paid(t.fee_paid_through)
    day = f"{issued:%Y年%m月%d日}"
    body = ParagraphStyle("b", fontName=font, fontSize=10.5, leading=17, wordWrap="CJK")
    title = ParagraphStyle("t", parent=body, fontSize=15, leading=22, alignment=1)
    right = ParagraphStyle("r", parent=body, alignment=2)

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"党员组织关系介绍信 {t.letter_no}")
    w, h = A4
    left, width = 18 * mm, w - 36 * mm

    def part(top: float, height: float, story: list[Any], narrow: float = 0) -> None:
        Frame(
            left,
            top - height,
            width - narrow,
            height,
            showBoundary=0,
            leftPadding=0,
            rightPadding=0,
        ).addFromList(story, c)

    def cut(y: float, label: str) -> None:
        c.setDash(3, 3)
        c.setStrokeColorRGB(0.4, 0.4, 0.4)
        c.line(left, y, left + width, y)
        c.setDash()
        c.setFont(font, 8)
        c.drawCentredString(w / 2, y + 1.5 * mm, label)

    P = Paragraph  # noqa: N806
    part(
        h - 14 * mm,
        62 * mm,
        [
            P("党员组织关系介绍信（存根）", title),
            P(f"第 {t.letter_no} 号", right),
            P(f"{m.name}同志系中共{status}，组织关系由{frm}转到{to}。", body),
            P(f"{paid}有效期{t.valid_days}天（至{end:%Y年%m月%d日}）。", body),
            P(f"转接原因：{t.reason or '—'}", body),
            P(day, right),
        ],
    )
    cut(h - 80 * mm, "（此处剪开）")
    letter = [
        P("中国共产党党员组织关系介绍信", title),
        P(f"第 {t.letter_no} 号", right),
        P(f"{to}：", body),
        P(
            f"兹介绍{m.name}同志（{m.gender}，{_age(m.birth_date, issued)}岁，{m.ethnicity}，"
            "身份证号码"
            f"{m.id_number()}）"
            f"系中共{status}，组织关系由{frm}转去你处，请接洽。",
            body,
        ),
        P(f"该同志{paid}" if paid.startswith("党费已") else paid, body),
        P(f"（有效期{t.valid_days}天，至{end:%Y年%m月%d日}）", body),
        P("（盖章）", right),
        P(day, right),
    ]
    if t.token:
        letter.insert(
            -2,
            P(
                "本介绍信附电子签名二维码：接收方若使用党建平台，可扫码或上传电子介绍信文件导入，系统自动核验签名。",
                body,
            ),
        )
    part(h - 86 * mm, 92 * mm, letter, narrow=50 * mm if t.token else 0)
    if t.token:
        qr = QrCodeWidget(t.token, barLevel="L")
        x0, y0, x1, y1 = qr.getBounds()
        size = 44 * mm
        d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        d.add(qr)
        renderPDF.draw(d, c, left + width - size, h - 176 * mm)
    cut(h - 184 * mm, "（此处剪开，回执由接收党组织填写后寄回）")
    part(
        h - 190 * mm,
        80 * mm,
        [
            P("党员组织关系介绍信（回执）", title),
            P(f"第 {t.letter_no} 号", right),
            P(f"{frm}：", body),
            P(f"{m.name}同志的党员组织关系已转达我处，特此回复。", body),
            P("接收党组织（盖章）　　　　　　", right),
            P("年　　月　　日", right),
        ],
    )
    draw_watermark(c, watermark_text(who))
    c.showPage()
    c.save()
    return buf.getvalue()
