"""Upload validation against a corpus of good and hostile files (security.md G1)."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dangjian.core import uploads
from dangjian.core.errors import DomainError


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buf, "JPEG")
    return buf.getvalue()


def png_with_text(text: bytes) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text.decode())
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def ooxml(
    part: str = "word/document.xml",
    extra: dict[str, bytes] | None = None,
    content_types: bytes | None = None,
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            content_types
            or b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr(part, b"<w:document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    buf = io.BytesIO()
    wb = Workbook()
    wb.active.append(["姓名", "金额"])
    wb.save(buf)
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf_object_stream(payload: bytes) -> bytes:
    """A PDF 1.5 whose catalog sits compressed in an object stream (/ObjStm, FlateDecode)."""
    body = zlib.compress(payload)
    head = b"1 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>stream\n" % len(body)
    return b"%PDF-1.5\n" + head + body + b"\nendstream\nendobj\ntrailer<</Root 2 0 R>>\n%%EOF\n"


def reportlab_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=1)
    c.drawString(72, 720, "Minutes of the branch meeting")
    c.showPage()
    c.save()
    return buf.getvalue()


GOOD = [
    ("通知.pdf", PDF, "pdf"),
    ("压缩流.pdf", pdf_object_stream(b"2 0 <</Type/Catalog/Pages 3 0 R>>"), "pdf"),
    ("会议记录.pdf", reportlab_pdf(), "pdf"),
    ("现场.png", png(), "png"),
    ("现场.JPG", jpeg(), "jpeg"),
    ("整改报告.docx", ooxml(), "docx"),
    ("台账.xlsx", xlsx(), "xlsx"),
    ("说明.txt", "已按要求整改完毕。".encode(), "txt"),
]


@pytest.mark.parametrize(("name", "data", "kind"), GOOD)
def test_good_files_pass(name: str, data: bytes, kind: str) -> None:
    clean, got, content = uploads.validate(SimpleUploadedFile(name, data))
    assert (clean, got, content) == (name, kind, data)


def bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))
    return buf.getvalue()


def traversal() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", b"<w:document/>")
        z.writestr("../../etc/cron.d/x", b"* * * * * root sh")
    return buf.getvalue()


BAD = [
    ("程序.pdf", b"MZ\x90\x00\x03" + b"\0" * 100, "executable"),
    ("脚本.txt", b"#!/bin/sh\nrm -rf /\n", "executable"),
    ("elf.docx", b"\x7fELF\x02\x01\x01" + b"\0" * 100, "executable"),
    ("伪装.pdf", png(), "type_mismatch"),
    ("伪装.docx", xlsx(), "type_mismatch"),
    ("网页.txt", b"<html><script>alert(1)</script></html>", "active_content"),
    (
        "图.svg.txt",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "active_content",
    ),
    ("宏.docx", ooxml(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}), "active_content"),
    (
        "宏.xlsx",
        ooxml(
            "xl/workbook.xml",
            content_types=(
                b'<Types><Override ContentType="application/vnd.ms-excel.sheet.'
                b'macroEnabled.main+xml"/></Types>'
            ),
        ),
        "active_content",
    ),
    (
        "外部实体.xlsx",
        ooxml(
            "xl/workbook.xml",
            content_types=b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Types/>',
        ),
        "active_content",
    ),
    ("炸弹.docx", bomb(), "zip_bomb"),
    ("穿越.docx", traversal(), "bad_file"),
    (
        "脚本.pdf",
        PDF.replace(
            b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"
        ),
        "active_content",
    ),
    ("多格式.jpg", jpeg() + ooxml(), "polyglot"),
    ("多格式.pdf", PDF + ooxml(), "polyglot"),
    ("坏图.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "bad_file"),
    ("空.txt", b"", "empty"),
    ("二进制.txt", b"\xff\xfe\x00\x01binary", "bad_type"),
    ("旧格式.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "bad_type"),
    ("压缩包.zip", ooxml("other/x.xml"), "bad_type"),
    # issue 16 (G1): accepted before, refused now
    *[
        (
            f"转义{i}.pdf",
            PDF.replace(b"/Type/Catalog", b"/Type/Catalog" + name + b"<</S/URI>>"),
            "active_content",
        )
        for i, name in enumerate([b"/J#61vaScript", b"/L#61unch", b"/Open#41ction"])
    ],
    (
        "对象流.pdf",
        pdf_object_stream(b"2 0 <</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>"),
        "active_content",
    ),
    ("网页.pdf", PDF + b"%<html><body><img src=x onerror=alert(1)></body></html>\n", "polyglot"),
    ("网页.png", png_with_text(b"<img src=x onerror=alert(1)>"), "polyglot"),
    ("长文本.txt", b"a" * 9000 + b"<script>alert(1)</script>", "active_content"),
    (
        "改名宏.docx",
        ooxml(
            extra={"word/settings2.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64},
            content_types=(
                b'<Types><Default Extension="bin" '
                b'ContentType="application/vnd.ms-office.vbaProject"/></Types>'
            ),
        ),
        "active_content",
    ),
    (
        "声明.docx",
        ooxml(
            extra={"word/styles.xml": b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "b">]><w/>'}
        ),
        "active_content",
    ),
]


@pytest.mark.parametrize(("name", "data", "code"), BAD, ids=[b[0] for b in BAD])
def test_hostile_files_are_refused_with_the_reason(name: str, data: bytes, code: str) -> None:
    with pytest.raises(DomainError) as exc:
        uploads.validate(SimpleUploadedFile(name, data))
    assert exc.value.code == code
    assert exc.value.field == "files"


def test_size_limit() -> None:
    with pytest.raises(DomainError) as exc:
        uploads.validate(SimpleUploadedFile("大.txt", b"a" * (uploads.MAX_BYTES + 1)))
    assert exc.value.code == "too_large"
    assert "10MB" in exc.value.message


def test_names_cannot_escape_and_files_land_outside_the_web_root(settings: Any) -> None:
    [f] = uploads.store([SimpleUploadedFile("../../../etc/passwd.txt", b"hello")])
    assert f.name == "passwd.txt"
    stored = Path(settings.MEDIA_ROOT) / f.path
    assert stored.read_bytes() == b"hello"
    assert stored.name != "passwd.txt"
    assert ".." not in f.path
    assert not str(stored).startswith(str(settings.STATIC_ROOT))
    with pytest.raises(DomainError):
        uploads.open_stored("../../etc/passwd")


def test_store_is_all_or_nothing(settings: Any) -> None:
    with pytest.raises(DomainError):
        uploads.store(
            [SimpleUploadedFile("好.txt", b"ok"), SimpleUploadedFile("坏.pdf", b"MZ\x90\x00")]
        )
    assert not (Path(settings.MEDIA_ROOT) / "attachments").exists() or not any(
        (Path(settings.MEDIA_ROOT) / "attachments").rglob("*.*")
    )
    with pytest.raises(DomainError) as exc:
        uploads.store([SimpleUploadedFile(f"{i}.txt", b"x") for i in range(uploads.MAX_FILES + 1)])
    assert exc.value.code == "too_many"


def _png(size: tuple[int, int], mode: str = "1") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")  # one colour: a huge canvas in a small file
    return buf.getvalue()


def test_a_small_file_declaring_a_huge_canvas_is_refused() -> None:
    big = _png((6400, 6400))  # 41 megapixels, a few kilobytes
    assert len(big) < 200_000
    with pytest.raises(DomainError, match="尺寸过大"):
        uploads.validate(SimpleUploadedFile("大图.png", big), field="photos")
    # a photo is held to less when it is a PNG (decoded whole before it is scaled down)
    with pytest.raises(DomainError, match="像素过多"):
        uploads.clean_photos([SimpleUploadedFile("照片.png", _png((4100, 4100)))])
    [ok] = uploads.clean_photos([SimpleUploadedFile("照片.png", _png((3000, 2000), "RGB"))])
    with Image.open(io.BytesIO(ok.read())) as img:
        assert img.format == "JPEG"
        assert max(img.size) <= 2560


def test_photos_are_turned_upright_and_lose_their_exif() -> None:
    img = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the phone was held upright
    exif[0x013B] = "张三"  # Artist
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    [clean] = uploads.clean_photos([SimpleUploadedFile("IMG_1.jpg", buf.getvalue())])
    data = clean.read()
    with Image.open(io.BytesIO(data)) as out:
        assert out.size == (30, 40)
        assert not out.getexif()
    assert clean.name == "照片1.jpg"
