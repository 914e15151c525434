"""The completion certificate (结业证书) as PDF: one landscape A4 page a certificate — number,
name, class, dates, hours, the organizer's seal line and a QR code that opens the public
verification page. A print batch puts every valid certificate of a class in one PDF."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from dangjian.core.pdf import cn_font, draw_watermark


def _hours(h: Any) -> str:
    return f"{h:.1f}".rstrip("0").rstrip(".")


def _page(c: Any, cert: Any, verify_url: str, footer: str) -> None:
    font = cn_font()
    e = cert.enrolment
    k = e.klass
    w, h = landscape(A4)
    c.setLineWidth(2)
    c.setStrokeColorRGB(0.7, 0.1, 0.1)
    c.rect(12 * mm, 12 * mm, w - 24 * mm, h - 24 * mm)
    c.setLineWidth(0.6)
    c.rect(15 * mm, 15 * mm, w - 30 * mm, h - 30 * mm)
    c.setFillColorRGB(0.7, 0.1, 0.1)
    c.setFont(font, 34)
    c.drawCentredString(w / 2, h - 48 * mm, "结 业 证 书")
    c.setFillColorRGB(0, 0, 0)
    c.setFont(font, 11)
    c.drawRightString(w - 28 * mm, h - 30 * mm, f"证书编号：{cert.number}")
    c.setFont(font, 17)
    y = h - 78 * mm
    lines = [
        f"{e.name}同志：",
        f"　　于{k.starts_on:%Y年%-m月%-d日}至{k.ends_on:%Y年%-m月%-d日}参加{k.organizer.name}",
        f"举办的“{k.title}”（{k.kind.name}），",
        f"完成规定学习内容{_hours(k.hours)}学时，经考核合格，准予结业。",
        "特发此证。",
    ]
    for line in lines:
        c.drawString(36 * mm, y, line)
        y -= 12 * mm
    c.setFont(font, 15)
    c.drawRightString(w - 40 * mm, 52 * mm, f"{k.organizer.name}（盖章）")
    c.drawRightString(w - 40 * mm, 40 * mm, f"{cert.issued_on:%Y年%-m月%-d日}")
    qr = QrCodeWidget(verify_url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    size = 34 * mm
    d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    d.add(qr)
    renderPDF.draw(d, c, 30 * mm, 24 * mm)
    c.setFont(font, 8)
    c.drawString(30 * mm, 21 * mm, "扫码核验证书真伪")
    if cert.revoked_at:
        c.saveState()
        c.setFillColorRGB(0.8, 0, 0)
        c.setFont(font, 40)
        c.translate(w / 2, h / 2)
        c.rotate(20)
        c.drawCentredString(0, 0, "已 撤 销")
        c.restoreState()
    draw_watermark(c, footer)
    c.showPage()


def certificates_pdf(certs: Iterable[Any], *, verify_url: Any, footer: str) -> bytes:
    """`verify_url(cert) -> absolute URL` of the public verification page."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=landscape(A4))
    c.setTitle("结业证书")
    n = 0
    for cert in certs:
        _page(c, cert, verify_url(cert), footer)
        n += 1
    if n == 0:
        c.setFont(cn_font(), 14)
        c.drawString(30 * mm, 150 * mm, "没有可打印的结业证书。")
        c.showPage()
    c.save()
    return buf.getvalue()
