"""Minutes as Word (.docx, python-docx) and PDF (reportlab, Chinese font embedded) in the usual
layout:
the meeting header, attendance, agenda, minutes, decisions and vote, signature lines."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dangjian.core.pdf import cn_font as _font
from dangjian.core.pdf import on_page, watermark_text
from dangjian.core.richtext import blocks

from .constants import AttendanceStatus
from .services import motion_passed


def _facts(m: Any) -> dict[str, Any]:
    rows = list(m.attendance.select_related("member").order_by("member__member_no"))
    absent = [a for a in rows if a.status in (AttendanceStatus.ABSENT, AttendanceStatus.LEAVE)]
    excluded = [a for a in rows if a.status == AttendanceStatus.EXCLUDED]
    present = [a for a in rows if a.status == AttendanceStatus.PRESENT]
    header = [
        ("会议名称", f"{m.organization.name}{m.get_kind_display()}"),
        ("会议主题", m.topic),
        ("时间", f"{m.held_on:%Y年%m月%d日}" if m.held_on else "（未召开）"),
        ("地点", m.place or "—"),
        ("主持人", m.chair or "—"),
        ("记录人", m.recorder or "—"),
    ]
    if m.speaker:
        header.append(("主讲人", m.speaker))
    header.append(
        (
            "应到人数",
            f"{m.expected}人，实到{m.attended}人"
            + (f"（不计入应到{len(excluded)}人）" if excluded else ""),
        )
    )
    if m.voting_expected is not None:
        header.append(("有表决权党员", f"应到{m.voting_expected}人，实到{m.voting_present}人"))
    vote = ""
    if m.motion:
        passed = motion_passed(m)
        vote = (
            f"表决事项：{m.motion}。赞成{m.votes_for}票，反对{m.votes_against}票，弃权{m.votes_abstain}票；"
            f"以超过应到会有表决权党员半数同意为通过，结果：{'通过' if passed else '未通过'}。"
        )
    return {
        "header": header,
        "present": "、".join(a.member.name for a in present) or "—",
        "absent": "；".join(
            f"{a.member.name}（{a.get_status_display()}{'：' + a.reason if a.reason else ''}）"
            for a in absent
        )
        or "无",
        "excluded": "；".join(f"{a.member.name}（{a.get_exclusion_display()}）" for a in excluded),
        "agenda": [line.strip() for line in m.agenda.splitlines() if line.strip()],
        "minutes": blocks(m.minutes),
        "decisions": [line.strip() for line in m.decisions.splitlines() if line.strip()],
        "vote": vote,
    }


def minutes_docx(m: Any, *, who: str) -> bytes:

    f = _facts(m)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{m.get_kind_display()}会议记录")
    run.bold, run.font.size = True, Pt(18)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in f["header"]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    for heading, body in (("出席人员", f["present"]), ("缺席人员及原因", f["absent"])):
        doc.add_heading(heading, level=2)
        doc.add_paragraph(body)
    if f["excluded"]:
        doc.add_heading("不计入应到会人数", level=2)
        doc.add_paragraph(f["excluded"])
    doc.add_heading("会议议程", level=2)
    for i, line in enumerate(f["agenda"] or ["—"], start=1):
        doc.add_paragraph(f"{i}. {line}" if f["agenda"] else line)
    doc.add_heading("会议记录", level=2)
    for kind, text in f["minutes"] or [("p", "—")]:
        if kind == "h":
            doc.add_paragraph().add_run(text).bold = True
        elif kind == "li":
            doc.add_paragraph(text, style="List Bullet")
        else:
            doc.add_paragraph(text)
    doc.add_heading("决定事项及表决情况", level=2)
    for line in f["decisions"] or ["—"]:
        doc.add_paragraph(line)
    if f["vote"]:
        doc.add_paragraph(f["vote"])
    doc.add_paragraph()
    doc.add_paragraph("主持人（签字）：____________        记录人（签字）：____________")
    doc.add_paragraph("                                              年    月    日")
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(watermark_text(who)).font.size = Pt(7)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def minutes_pdf(m: Any, *, who: str) -> bytes:

    font = _font()
    f = _facts(m)
    body = ParagraphStyle("b", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    head = ParagraphStyle("h", parent=body, fontSize=13, leading=20, spaceBefore=8)
    title = ParagraphStyle("t", parent=body, fontSize=18, leading=26, alignment=1)
    story: list[Any] = [
        Paragraph(escape(f"{m.get_kind_display()}会议记录"), title),
        Spacer(1, 4 * mm),
    ]
    table = Table(
        [[Paragraph(escape(a), body), Paragraph(escape(b), body)] for a, b in f["header"]],
        colWidths=[35 * mm, 130 * mm],
    )
    table.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.5, "#555555"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    story.append(table)

    def section(name: str, lines: list[str]) -> None:
        story.append(Paragraph(escape(name), head))
        story.extend(Paragraph(escape(line), body) for line in (lines or ["—"]))

    section("出席人员", [f["present"]])
    section("缺席人员及原因", [f["absent"]])
    if f["excluded"]:
        section("不计入应到会人数", [f["excluded"]])
    section("会议议程", [f"{i}. {x}" for i, x in enumerate(f["agenda"], start=1)])
    section("会议记录", [("· " if k == "li" else "") + t for k, t in f["minutes"]])
    section("决定事项及表决情况", f["decisions"] + ([f["vote"]] if f["vote"] else []))
    story += [
        Spacer(1, 12 * mm),
        Paragraph("主持人（签字）：____________　　　　记录人（签字）：____________", body),
        Spacer(1, 4 * mm),
        Paragraph("　" * 28 + "年　　月　　日", body),
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf, pagesize=A4, title=f"{m.topic} 会议记录", leftMargin=20 * mm, rightMargin=20 * mm
    ).build(story, onFirstPage=on_page(mark := watermark_text(who)), onLaterPages=on_page(mark))
    return buf.getvalue()
