"""Text out of a loaded document (.docx, .pdf, .html, .txt, .md), or a clear Chinese refusal.

PDF and Word files pass the platform's upload checks first (scripts, embedded files, macros, a
DOCTYPE); a PDF's text comes from poppler's pdftotext (Debian's poppler-utils); HTML is stripped
to its text by nh3 (scripts and styles dropped with their content)."""

from __future__ import annotations

import html
import io
import re
import subprocess
import tempfile
from pathlib import Path

import nh3
from docx import Document as Docx

from dangjian.core import uploads
from dangjian.core.errors import DomainError

MAX_BYTES = 20 * 1024 * 1024
EXTENSIONS = (".docx", ".pdf", ".html", ".htm", ".txt", ".md")
_BLOCK_END = re.compile(r"(?i)(</(p|div|h[1-6]|li|tr|section|article|blockquote)>|<br\s*/?>)")
_MD = re.compile(r"(?m)^\s{0,3}([-*+]\s+|>\s?)|\*\*|__|`")  # headings stay: the splitter reads them
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


class _Named(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name
        self.size = len(data)


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise DomainError("bad_text", f"“{name}”不是可读的文本文件（请用 UTF-8 或 GBK 编码）")


def _html_text(markup: str) -> str:
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n", markup)
    return html.unescape(nh3.clean(marked, tags=set()))


def _pdf_text(data: bytes, name: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        try:
            run = subprocess.run(  # noqa: S603 - a fixed program on a file we wrote
                ["pdftotext", "-enc", "UTF-8", str(path), "-"],  # noqa: S607
                capture_output=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DomainError(
                "pdf", f"“{name}”无法读取（需要 poppler-utils 的 pdftotext）"
            ) from exc
    if run.returncode != 0:
        raise DomainError("pdf", f"“{name}”无法读取：文件已加密或已损坏")
    text = run.stdout.decode("utf-8", "replace")
    pages = max(1, text.count("\f"))
    if len(re.sub(r"\s", "", text)) < 20 * pages:
        raise DomainError("scanned", f"“{name}”没有可检索的文字（扫描件）：需要文字版 PDF")
    return text.replace("\f", "\n")


def _docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    lines += ["　".join(c.text for c in row.cells) for table in doc.tables for row in table.rows]
    return "\n".join(lines)


def extract(name: str, data: bytes) -> str:
    """The document's text; DomainError with the reason when it cannot be loaded."""
    ext = Path(name).suffix.lower()
    if ext not in EXTENSIONS:
        raise DomainError(
            "bad_type", f"“{name}”的类型不受支持：请用 .docx、.pdf、.html、.txt 或 .md"
        )
    if len(data) > MAX_BYTES:
        raise DomainError("too_large", f"“{name}”超过{MAX_BYTES // (1024 * 1024)}MB")
    if not data.strip():
        raise DomainError("empty", f"“{name}”是空文件")
    if ext in (".pdf", ".docx"):
        uploads.validate(_Named(data, name), field="file", max_bytes=MAX_BYTES)
        text = _pdf_text(data, name) if ext == ".pdf" else _docx_text(data)
    elif ext in (".html", ".htm"):
        text = _html_text(_decode(data, name))
    else:
        text = _decode(data, name)
        if "<" in text and ">" in text:
            text = _html_text(text)  # tags in a text file are dropped, never rendered
        if ext == ".md":
            text = _MD.sub("", _MD_LINK.sub(r"\1", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(re.sub(r"\s", "", text)) < 10:
        raise DomainError("empty", f"“{name}”没有可用的文字")
    return text
