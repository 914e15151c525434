"""PDF plumbing shared by every document: the Chinese font, embedded (design.md §2)."""

from __future__ import annotations

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "DangjianCN"


def cn_font() -> str:
    """The registered name of the TrueType Chinese font (settings.PDF_FONT), embedded as a
    subset in every PDF that uses it."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, settings.PDF_FONT, subfontIndex=0))
    return FONT
