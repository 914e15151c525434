"""The 报到证 a unit prints for its in-service members: one card per page, for the member to take
to the community where they live (reportlab, the Chinese font embedded, the export watermark)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable
from typing import Any

from reportlab.lib.pagesizes import A5, landscape
from reportlab.pdfgen import canvas

from dangjian.core.pdf import cn_font, draw_watermark, watermark_text

BLANK = "＿＿＿＿＿＿＿＿"


def cards_pdf(unit: Any, members: Iterable[Any], *, year: int, who: str) -> bytes:
    """`members` carry reported_to, reported_on, confirmed_on, lives_in, lives_community, done and
    hours (selectors.card_members)."""
    font = cn_font()
    buf = io.BytesIO()
    width, height = landscape(A5)
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setTitle(f"{unit.name} {year}年在职党员到社区报到证")
    mark = watermark_text(who)
    for m in members:
        c.setFont(font, 18)
        c.drawCentredString(width / 2, height - 48, "在职党员到社区报到证")
        c.setFont(font, 9)
        c.drawRightString(width - 40, height - 66, f"编号 {year}-{unit.code}-{m.member_no}")
        community = m.reported_to or m.lives_community or BLANK
        c.setFont(font, 12)
        c.drawString(50, height - 96, f"{community}：")
        letter = (
            f"兹有我单位党员{m.name}同志（党员编号{m.member_no}），居住在{m.lives_in or BLANK}，"
            "按照在职党员到居住地社区报到、“工作在单位、服务在社区”的要求，"
            "前来报到并参加社区服务，请予接洽。"
        )
        y = height - 120
        for line in textwrap.wrap(letter, 38):
            c.drawString(74 if y == height - 120 else 50, y, line)
            y -= 20
        rows = [
            ("所在党组织", m.organization.name),
            (
                "报到社区",
                f"{m.reported_to}（{m.reported_on:%Y年%m月%d日}报到"
                + ("，社区已确认）" if m.confirmed_on else "，待社区确认）")
                if m.reported_to
                else "尚未报到",
            ),
            (f"{year}年服务", f"{m.done or 0}次，共{m.hours or 0}小时（经社区确认）"),
        ]
        y -= 6
        c.setFont(font, 11)
        for label, value in rows:
            c.drawString(50, y, f"{label}：")
            c.drawString(140, y, value[:48])
            y -= 22
        c.setFont(font, 11)
        c.drawString(50, 84, "派出党组织（盖章）")
        c.drawString(width / 2 + 40, 84, "接收社区党组织（盖章）")
        c.setFont(font, 9)
        c.drawString(50, 68, unit.name[:26])
        c.setFont(font, 11)
        c.drawString(50, 44, "　　　　年　　月　　日")
        c.drawString(width / 2 + 40, 44, "　　　　年　　月　　日")
        draw_watermark(c, mark)
        c.showPage()
    c.save()
    return buf.getvalue()
