"""A person's recruitment record (全程纪实) as PDF: every step with its date, the people involved,
assessments, votes and documents on file."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dangjian.core.pdf import cn_font as _font
from dangjian.core.pdf import on_page, watermark_text

from .constants import STEPS


def timeline_pdf(c: Any, *, who: str) -> bytes:

    font = _font()
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    title = ParagraphStyle("t", parent=body, fontSize=16, leading=24, alignment=1)
    docs = list(c.documents.all())
    people = {5: [c.contact_1, c.contact_2], 9: [c.introducer_1, c.introducer_2]}
    rows = [[Paragraph("步骤", body), Paragraph("日期", body), Paragraph("情况", body)]]
    for s in STEPS:
        on = getattr(c, s.field)
        notes = [m.name for m in people.get(s.no, []) if m is not None]
        if s.no == 15 and c.votes.get("admission"):
            v = c.votes["admission"]
            notes.append(
                f"应到{v['voting_expected']}人，实到{v['voting_present']}人，赞成{v['votes_for']}"
            )
        if s.no == 23 and c.votes.get("conversion"):
            v = c.votes["conversion"]
            notes.append(
                f"应到{v['voting_expected']}人，实到{v['voting_present']}人，赞成{v['votes_for']}"
            )
        if s.no == 11 and (c.training_days or c.training_hours):
            notes.append(f"{c.training_days or 0}天，{c.training_hours or 0}学时")
        notes += [f"材料：{d.name}" for d in docs if d.step == s.no]
        rows.append(
            [
                Paragraph(escape(f"{s.no}. {s.label}"), body),
                Paragraph(f"{on:%Y-%m-%d}" if on else "—", body),
                Paragraph(escape("；".join(notes)), body),
            ]
        )
    table = Table(rows, colWidths=[60 * mm, 28 * mm, 82 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
            ]
        )
    )
    head = (
        f"{c.name}（{c.gender}，{c.birth_date:%Y年%m月%d日}出生，编号{c.person_no}） · "
        f"{c.organization.name} "
        "· "
        f"依据：{c.rule_version}"
    )
    story: list[Any] = [
        Paragraph("发展党员全程纪实", title),
        Paragraph(escape(head), body),
        Spacer(1, 4 * mm),
        table,
    ]
    if c.assessments.exists():
        story += [Spacer(1, 4 * mm), Paragraph("培养考察", body)]
        story += [
            Paragraph(escape(f"{a.on:%Y-%m-%d}：{a.opinion}"), body) for a in c.assessments.all()
        ]
    for e in c.exceptions.select_related("approved_by_org"):
        story.append(
            Paragraph(
                escape(
                    f"特殊情况（第{e.step}步）：{e.reason}（{e.approved_by_org.name}{e.approved_on:%Y-%m-%d}批准）"
                ),
                body,
            )
        )
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=f"{c.name} 发展党员全程纪实",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    ).build(story, onFirstPage=on_page(mark := watermark_text(who)), onLaterPages=on_page(mark))
    return buf.getvalue()
