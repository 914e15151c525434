"""The payment receipt as PDF (reportlab, with the Chinese font embedded: design.md §2)."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A5, landscape
from reportlab.pdfgen import canvas

from dangjian.core.pdf import cn_font, draw_watermark, watermark_text

from .bands import CATEGORIES, yuan

_font = cn_font


def receipt_pdf(payment: Any, *, who: str) -> bytes:
    font = _font()
    buf = io.BytesIO()
    width, height = landscape(A5)
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setTitle(f"党费收据 {payment.receipt_no}")
    c.setFont(font, 20)
    c.drawCentredString(width / 2, height - 50, "党 费 收 据")
    c.setFont(font, 10)
    c.drawRightString(width - 40, height - 72, f"No. {payment.receipt_no}")
    m = payment.member
    rows = [
        ("交纳人", f"{m.name}（党员编号 {m.member_no}）"),
        ("所在党组织", payment.organization.name),
        ("所缴月份", "、".join(payment.months)),
        (
            "金额",
            f"人民币 {yuan(payment.amount_fen)} 元"
            + (
                f"（其中自愿多交 {yuan(payment.voluntary_fen)} 元"
                f"{'，全额上缴中央' if payment.central else ''}）"
                if payment.voluntary_fen
                else ""
            ),
        ),
        (
            "交纳方式",
            payment.get_channel_display()
            + (f"（订单 {payment.order.out_trade_no}）" if payment.order_id else ""),
        ),
        ("交纳日期", payment.paid_on.strftime("%Y年%m月%d日")),
        ("交纳标准", f"{CATEGORIES.get(m.fee_category, m.fee_category)}党员"),
    ]
    if payment.paid_by_id:
        rows.append(("代缴人", f"{payment.paid_by.name}（{payment.consent}）"))
    y = height - 110
    c.setFont(font, 12)
    for label, value in rows:
        c.drawString(60, y, f"{label}：")
        c.drawString(150, y, value[:60])
        y -= 26
    c.setFont(font, 10)
    c.drawString(60, 50, f"收款单位：{payment.organization.name}")
    c.drawRightString(width - 40, 50, "本收据由党建平台生成，可凭收据号查验。")
    draw_watermark(c, watermark_text(who))
    c.showPage()
    c.save()
    return buf.getvalue()
