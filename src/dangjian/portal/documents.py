"""Activation slips as PDF: four per A4 page, to cut apart and hand to members without a phone on
record (or who prefer paper). Each slip: name, number, branch, the code (only here: the platform
keeps its hash), the QR code that opens the activation page with the code filled in, the expiry."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from dangjian.core.pdf import cn_font, draw_watermark, watermark_text

from .services import Slip


def slips_pdf(slips: list[Slip], activate_url: str, *, who: str) -> bytes:
    """`activate_url`: the absolute address of the slip activation page."""
    font = cn_font()
    buf = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle("账号激活单")
    slot_h = height / 4
    mark = watermark_text(who)
    for i, s in enumerate(slips):
        if i and i % 4 == 0:
            draw_watermark(c, mark)
            c.showPage()
        top = height - (i % 4) * slot_h
        _slip(c, font, s, activate_url, top, slot_h, width)
    if not slips:
        c.setFont(font, 14)
        c.drawString(25 * mm, height - 40 * mm, "没有需要打印激活单的党员（账号均已开通）。")
    draw_watermark(c, mark)
    c.save()
    return buf.getvalue()


def _slip(c: Any, font: str, s: Slip, url: str, top: float, h: float, width: float) -> None:
    left = 18 * mm
    c.setDash(3, 3)
    c.line(10 * mm, top - h + 2, width - 10 * mm, top - h + 2)
    c.setDash()
    c.setFont(font, 15)
    title = (
        "党员账号激活单"
        if s.member
        else f"工作账号激活单 第{'一' if s.part == 1 else '二'}联（密封交本人）"
    )
    c.drawString(left, top - 16 * mm, title)
    c.setFont(font, 11)
    m = s.member
    who = (
        [
            f"姓名：{m.name}    党员编号（登录用户名）：{m.member_no}",
            f"所在党组织：{m.organization.name}",
        ]
        if m is not None
        else [
            f"姓名：{s.user.display_name if s.user else ''}",
            f"登录用户名：{s.user.username if s.user else ''}    首次登录后须绑定动态口令",
        ]
    )
    lines = [
        *who,
        f"{'第二联激活码' if s.part == 2 else '激活码'}：{s.code}",
        f"有效期至：{s.expires_on:%Y年%m月%d日}（只能使用一次）",
        "开通方法：手机扫描右侧二维码，或打开下方网址，",
        "填写姓名和激活码，设置自己的密码后即可登录。"
        if s.member
        else "填写姓名和两联的激活码（第一联系统管理员、第二联安全管理员），设置密码。",
        url,
    ]
    y = top - 26 * mm
    for text in lines:
        c.setFont(font, 13 if text.startswith("激活码") else 10.5)
        c.drawString(left, y, text)
        y -= 6.6 * mm
    link = f"{url}?{'c2' if s.part == 2 else 'c'}={quote(s.code)}"
    qr = QrCodeWidget(link, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    size = 42 * mm
    d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    d.add(qr)
    renderPDF.draw(d, c, width - 18 * mm - size, top - 14 * mm - size)
    c.setFont(font, 8)
    c.drawRightString(
        width - 18 * mm, top - h + 8 * mm, "请妥善保管，勿交给他人。如有疑问请联系所在党支部。"
    )
