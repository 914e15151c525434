"""PDF plumbing shared by every document: the Chinese font, embedded (design.md §2), and the
export watermark every generated document carries in its footer (issue 16, F3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "DangjianCN"


def cn_font() -> str:
    """The registered name of the TrueType Chinese font (settings.PDF_FONT), embedded as a
    subset in every PDF that uses it."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, settings.PDF_FONT, subfontIndex=0))
    return FONT


def watermark_text(who: str, at: datetime | None = None) -> str:
    """Who generated the document and when: printed in every page's footer (and an xlsx's page
    header), so a copy that leaks says whose download it was."""
    moment = timezone.localtime(at or timezone.now())
    return f"{who or '系统'} 于 {moment:%Y-%m-%d %H:%M} 导出　仅供工作使用，请勿外传"


def draw_watermark(c: Any, text: str) -> None:
    """The footer line, small and grey, at the bottom of the current page."""
    width = c._pagesize[0]
    c.saveState()
    c.setFont(cn_font(), 7)
    c.setFillGray(0.45)
    c.drawCentredString(width / 2, 12, text)
    c.restoreState()


def on_page(text: str) -> Callable[[Any, Any], None]:
    """A platypus onPage callback drawing the footer on every page."""

    def draw(c: Any, _doc: Any) -> None:
        draw_watermark(c, text)

    return draw
