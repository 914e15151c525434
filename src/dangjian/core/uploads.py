"""Validated uploads (security.md "File upload"): the type is read from the content, never trusted
from the name or the browser; executables, scripts, macros, polyglots, zip bombs and path tricks
are refused; files are stored outside the web root under random names and served as downloads.

Accepted: PDF, PNG, JPEG, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), plain text.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from PIL import Image, ImageOps

from .errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
MAX_UNZIPPED = 50 * 1024 * 1024
LABEL = "PDF、图片（PNG/JPG）、Word（.docx）、Excel（.xlsx）、PowerPoint（.pptx）、文本（.txt）"

TYPES = {
    "pdf": ("application/pdf", {".pdf"}),
    "png": ("image/png", {".png"}),
    "jpeg": ("image/jpeg", {".jpg", ".jpeg"}),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {".docx"}),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {".xlsx"}),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        {".pptx"},
    ),
    "txt": ("text/plain; charset=utf-8", {".txt"}),
}
EXECUTABLE_HEADS = (
    b"MZ",
    b"\x7fELF",
    b"#!",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"\xfe\xed\xfa",
)
ACTIVE_MARKERS = (b"<script", b"<html", b"<?php", b"<svg", b"<!doctype html", b"javascript:")
PDF_ACTIVE = (
    b"/JavaScript",
    b"/JS",
    b"/Launch",
    b"/EmbeddedFile",
    b"/OpenAction",
    b"/AA",
    b"/RichMedia",
)
OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# PDF names that run or launch something, compared after decoding #xx escapes (/J#61vaScript)
PDF_ACTIVE_NAMES = {
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"OpenAction",
    b"AA",
    b"RichMedia",
    b"SubmitForm",
    b"ImportData",
    b"XFA",
}
PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
# markup a browser would render if the file were ever served as HTML (in images and PDFs)
# (long tag names and an element with an event handler: short patterns would match by chance in
# the compressed streams of ordinary PDFs and images)
HTML_IN_BINARY = re.compile(
    rb"<(?:html|head|body|script|iframe|svg|object|embed|form|meta)[\s>/]"
    rb"|<[a-z]{1,10}(?:\s[^<>]{0,200})?\son(?:error|load|click|mouse\w{2,5}|focus)\s*="
    rb"|javascript:",
    re.IGNORECASE,
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
PDF_INFLATE_MAX = 50 * 1024 * 1024  # all the file's streams inflated, at most (a bomb stops here)


def _pdf_object_streams(data: bytes) -> bytes:
    """The file's Flate-compressed streams inflated: PDF 1.5 object streams (/ObjStm) hide
    dictionaries — an /OpenAction or /JavaScript among them — from a scan of the raw bytes."""
    out: list[bytes] = []
    budget = PDF_INFLATE_MAX
    for m in PDF_STREAM.finditer(data):
        d = zlib.decompressobj()
        try:
            chunk = d.decompress(m.group(1), budget)
        except zlib.error:
            continue  # not Flate (an image, a font in another filter): nothing to scan
        budget -= len(chunk)
        out.append(chunk)
        if budget <= 0:
            break
    return b"\n".join(out)


def _pdf_names(data: bytes) -> set[bytes]:
    def decode(name: bytes) -> bytes:
        return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name)

    return {decode(m.group(1)) for m in PDF_NAME.finditer(data)}


def pdf_is_active(data: bytes) -> bool:
    """Whether a PDF names anything that runs or launches, in its raw bytes or inside its
    compressed streams (hex-escaped names decoded)."""
    if any(m in data for m in PDF_ACTIVE) or _pdf_names(data) & PDF_ACTIVE_NAMES:
        return True
    inflated = _pdf_object_streams(data)
    return bool(_pdf_names(inflated) & PDF_ACTIVE_NAMES)


@dataclass(frozen=True)
class StoredFile:
    name: str  # the original name, cleaned
    path: str  # relative to MEDIA_ROOT
    content_type: str
    size: int
    sha256: str


def _clean_name(raw: str, field: str) -> str:
    name = os.path.basename((raw or "").replace("\\", "/")).strip()
    if not name or name in {".", ".."} or "\x00" in name or any(ord(c) < 32 for c in name):
        raise DomainError("bad_name", "文件名无效", field=field)
    if len(name) > 100:
        stem, ext = os.path.splitext(name)
        name = stem[: 100 - len(ext)] + ext
    return name


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _check_zip(data: bytes, field: str) -> str:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DomainError("bad_file", "文件已损坏，无法读取", field=field) from exc
    total = 0
    names = set()
    for info in infos:
        n = info.filename
        if n.startswith(("/", "\\")) or ".." in n.replace("\\", "/").split("/") or ":" in n:
            raise DomainError("bad_file", "文件内含非法路径，已拒绝", field=field)
        if n.lower().endswith(
            ("vbaproject.bin", ".exe", ".dll", ".js", ".vbs", ".bat", ".cmd", ".ps1", ".jar")
        ):
            raise DomainError(
                "active_content",
                "文件含有宏或可执行内容，已拒绝；请另存为不含宏的文档后上传",
                field=field,
            )
        total += info.file_size
        if total > MAX_UNZIPPED or (
            info.compress_size and info.file_size / info.compress_size > 200
        ):
            raise DomainError("zip_bomb", "文件解压后过大（疑似压缩炸弹），已拒绝", field=field)
        names.add(n)
    if "[Content_Types].xml" not in names:
        raise DomainError("bad_type", f"不支持的文件类型，请上传{LABEL}", field=field)
    for kind, prefix in OOXML_PART.items():
        if any(n.startswith(prefix) for n in names):
            _check_ooxml_parts(zf, field)
            return kind
    raise DomainError("bad_type", f"不支持的文件类型，请上传{LABEL}", field=field)


def xml_declares_dtd(data: bytes) -> bool:
    """An XML part with a DTD or an entity declaration (XML bombs, external entities): refused
    wherever an office file is read (uploads here, imports in interchange.reader)."""
    upper = data[:65536].upper()
    return b"<!DOCTYPE" in upper or b"<!ENTITY" in upper


def _check_ooxml_parts(zf: zipfile.ZipFile, field: str) -> None:
    """No macros under any name (a macro content type, a relationship to one, an OLE binary
    part) and no DTD or entity declaration in any XML part."""
    refuse = DomainError("active_content", "文件含有宏或外部实体，已拒绝", field=field)
    for info in zf.infolist():
        if info.is_dir():
            continue
        try:
            data = zf.read(info)
        except (RuntimeError, NotImplementedError, zlib.error, zipfile.BadZipFile, EOFError) as exc:
            # encrypted members, unsupported compression, a bad CRC: refused, never a 500
            raise DomainError("bad_file", "文件已损坏或加密，无法读取", field=field) from exc
        # an OLE part outside embeddings/ (where Word keeps embedded Excel or Visio objects)
        if data.startswith(OLE_MAGIC) and "/embeddings/" not in f"/{info.filename}":
            raise refuse
        if info.filename.endswith((".xml", ".rels")):
            if xml_declares_dtd(data):
                raise refuse
            upper = data[:65536].upper()
            if b"MACROENABLED" in upper or b"VBAPROJECT" in upper or b"VBADATA" in upper:
                raise refuse


MAX_PIXELS = 40_000_000


def _check_image(data: bytes, field: str, name: str) -> None:

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            # Pillow only refuses above twice its limit; a small file can declare a huge canvas
            if img.width * img.height > MAX_PIXELS:
                raise ValueError("too many pixels")
            img.verify()
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for a bad image
        raise DomainError(
            "bad_file", f"“{name}”不是有效的图片（已损坏或尺寸过大）", field=field
        ) from exc


def validate(
    upload: Any, *, field: str = "files", max_bytes: int = MAX_BYTES
) -> tuple[str, str, bytes]:
    """Read and check one uploaded file: returns (clean name, kind, content). Raises DomainError."""
    name = _clean_name(getattr(upload, "name", ""), field)
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise DomainError(
            "too_large", f"“{name}”超过{max_bytes // (1024 * 1024)}MB，请压缩后上传", field=field
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            "too_large", f"“{name}”超过{max_bytes // (1024 * 1024)}MB，请压缩后上传", field=field
        )
    if not data:
        raise DomainError("empty", f"“{name}”是空文件", field=field)
    head = data[:16]
    if head.startswith(EXECUTABLE_HEADS):
        raise DomainError("executable", f"“{name}”是可执行文件，已拒绝", field=field)
    kind = _sniff(head)
    lowered = data.lower()
    if kind == "zip":
        kind = _check_zip(data, field)
    elif kind in ("png", "jpeg"):
        _check_image(data, field, name)
        if b"PK\x03\x04" in data or HTML_IN_BINARY.search(data):
            raise DomainError(
                "polyglot", f"“{name}”内含其他格式的数据（疑似伪装文件），已拒绝", field=field
            )
    elif kind == "pdf":
        if pdf_is_active(data):
            raise DomainError("active_content", f"“{name}”含有脚本或嵌入文件，已拒绝", field=field)
        if b"PK\x03\x04" in data or b"MZ\x90\x00" in data or HTML_IN_BINARY.search(data):
            raise DomainError(
                "polyglot", f"“{name}”内含其他格式的数据（疑似伪装文件），已拒绝", field=field
            )
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DomainError(
                "bad_type", f"“{name}”的类型不受支持，请上传{LABEL}", field=field
            ) from exc
        if "\x00" in text or any(m in lowered for m in ACTIVE_MARKERS):
            raise DomainError("active_content", f"“{name}”含有网页或脚本内容，已拒绝", field=field)
        kind = "txt"
    ext = os.path.splitext(name)[1].lower()
    if ext not in TYPES[kind][1]:
        raise DomainError(
            "type_mismatch",
            f"“{name}”的扩展名与实际内容（{kind.upper()}）不符，已拒绝",
            field=field,
        )
    return name, kind, data


def store(
    uploads: list[Any], *, field: str = "files", folder: str = "attachments"
) -> list[StoredFile]:
    """Validate every file first (all or nothing), then write them under MEDIA_ROOT with random
    names."""
    if len(uploads) > MAX_FILES:
        raise DomainError("too_many", f"一次最多上传{MAX_FILES}个文件", field=field)
    checked = [validate(u, field=field) for u in uploads]
    out = []
    today = timezone.localdate()
    rel_dir = Path(folder) / f"{today:%Y}" / f"{today:%m}"
    abs_dir = Path(settings.MEDIA_ROOT) / rel_dir
    abs_dir.mkdir(parents=True, exist_ok=True)
    for name, kind, data in checked:
        rel = rel_dir / f"{uuid.uuid4().hex}{sorted(TYPES[kind][1])[0]}"
        (Path(settings.MEDIA_ROOT) / rel).write_bytes(data)
        out.append(
            StoredFile(
                name=name,
                path=str(rel),
                content_type=TYPES[kind][0],
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    return out


@contextmanager
def photos_stored(photos: Any, *, folder: str, field: str = "photos") -> Iterator[list[StoredFile]]:
    """The photos checked and re-encoded without their metadata (all or none), stored before the
    rows are written and removed again if the writing fails."""
    photos = list(photos or [])
    stored = store(clean_photos(photos, field=field), field=field, folder=folder) if photos else []
    try:
        yield stored
    except BaseException:
        discard(stored)
        raise


def discard(files: list[StoredFile]) -> None:
    """Remove stored files whose database rows were not written (the transaction rolled back)."""
    for f in files:
        (Path(settings.MEDIA_ROOT) / f.path).unlink(missing_ok=True)


def open_stored(path: str) -> Any:
    full = (Path(settings.MEDIA_ROOT) / path).resolve()
    if not str(full).startswith(str(Path(settings.MEDIA_ROOT).resolve()) + os.sep):
        raise DomainError("bad_path", "文件路径无效")
    return full.open("rb")


def records(model: Any, stored: list[StoredFile], actor: Any, **owner: Any) -> list[Any]:
    """The attachment rows of stored files (any model with name, path, content_type, size, sha256
    and
    uploaded_by), written in one statement inside the caller's transaction."""
    by = actor if getattr(actor, "pk", None) else None
    return model.objects.bulk_create(
        [
            model(
                name=f.name,
                path=f.path,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
                uploaded_by=by,
                **owner,
            )
            for f in stored
        ]
    )


def download(f: Any, *, inline_photo: bool = False) -> Any:
    """A stored attachment as a download, never rendered inline — except a photo the platform
    re-encoded itself (clean_photos: a plain JPEG), which the browser may show."""

    inline = inline_photo and f.content_type == "image/jpeg"
    resp = FileResponse(
        open_stored(f.path), as_attachment=not inline, filename=f.name, content_type=f.content_type
    )
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


def document(data: bytes, content_type: str, filename: str) -> Any:
    """A document the platform generated (PDF, Word) as a download with a UTF-8 file name."""

    resp = HttpResponse(data, content_type=content_type)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


MEDIA_MAX_BYTES = 500 * 1024 * 1024
MEDIA_TYPES = {  # kind: (content type, extensions)
    "mp4": ("video/mp4", {".mp4", ".m4v"}),
    "webm": ("video/webm", {".webm"}),
    "m4a": ("audio/mp4", {".m4a"}),
    "mp3": ("audio/mpeg", {".mp3"}),
    "ogg": ("audio/ogg", {".ogg", ".oga"}),
    "wav": ("audio/wav", {".wav"}),
}


def _sniff_media(head: bytes) -> str | None:
    if head[4:8] == b"ftyp":
        return "m4a" if head[8:11] == b"M4A" else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    return None


def store_media(upload: Any, *, field: str = "file", folder: str = "media") -> StoredFile:
    """A video or audio file (checked by its content, up to 500 MB), written in chunks."""
    name = _clean_name(getattr(upload, "name", ""), field)
    if (getattr(upload, "size", 0) or 0) > MEDIA_MAX_BYTES:
        raise DomainError(
            "too_large", f"“{name}”超过{MEDIA_MAX_BYTES // (1024 * 1024)}MB", field=field
        )
    chunks = upload.chunks() if hasattr(upload, "chunks") else iter([upload.read()])
    first = next(chunks, b"")
    kind = _sniff_media(first[:16])
    if kind is None:
        raise DomainError(
            "bad_type",
            f"“{name}”不是支持的音视频格式（MP4、WebM、MP3、M4A、OGG、WAV）",
            field=field,
        )
    if os.path.splitext(name)[1].lower() not in MEDIA_TYPES[kind][1]:
        raise DomainError(
            "type_mismatch",
            f"“{name}”的扩展名与实际内容（{kind.upper()}）不符，已拒绝",
            field=field,
        )
    today = timezone.localdate()
    rel = (
        Path(folder)
        / f"{today:%Y}"
        / f"{today:%m}"
        / f"{uuid.uuid4().hex}{sorted(MEDIA_TYPES[kind][1])[0]}"
    )
    full = Path(settings.MEDIA_ROOT) / rel
    full.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with full.open("wb") as out:
        for chunk in (first, *chunks):
            size += len(chunk)
            if size > MEDIA_MAX_BYTES:
                out.close()
                full.unlink(missing_ok=True)
                raise DomainError(
                    "too_large", f"“{name}”超过{MEDIA_MAX_BYTES // (1024 * 1024)}MB", field=field
                )
            digest.update(chunk)
            out.write(chunk)
    return StoredFile(
        name=name,
        path=str(rel),
        content_type=MEDIA_TYPES[kind][0],
        size=size,
        sha256=digest.hexdigest(),
    )


def ranged(request: Any, path: str, content_type: str, size: int) -> Any:
    """Serve a stored file inline with HTTP range requests (206), so players can seek and resume."""

    match = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("Range", "").strip())
    if not match or (not match.group(1) and not match.group(2)):
        resp: Any = FileResponse(open_stored(path), content_type=content_type)
        resp["Accept-Ranges"] = "bytes"
        return resp
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
    else:  # the last n bytes
        start, end = max(size - int(match.group(2)), 0), size - 1
    if start >= size or start > end:
        resp = HttpResponse(status=416)
        resp["Content-Range"] = f"bytes */{size}"
        return resp
    handle = open_stored(path)
    handle.seek(start)
    length = end - start + 1

    def body() -> Any:
        left = length
        try:
            while left > 0:
                chunk = handle.read(min(65536, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            handle.close()

    resp = StreamingHttpResponse(body(), status=206, content_type=content_type)
    resp["Content-Range"] = f"bytes {start}-{end}/{size}"
    resp["Content-Length"] = str(length)
    resp["Accept-Ranges"] = "bytes"
    return resp


MAX_PHOTOS = 6
# a JPEG is decoded already scaled down (draft), so a 50-megapixel-mode phone photo is cheap; a
# PNG is decoded whole before scaling, so it is held to less (16-bit RGBA: 8 bytes a pixel)
PHOTO_PIXELS = {"jpeg": MAX_PIXELS, "png": 16_000_000}


def clean_photos(photos: list[Any], *, field: str = "photos") -> list[Any]:
    """Photos only (PNG/JPEG, checked like every upload), re-encoded as JPEG without their
    metadata (EXIF: the phone, its owner, where it was taken) and renamed 照片N.jpg: nothing in a
    file tells who took it or where they live. Pass the result to `store`."""
    if len(photos) > MAX_PHOTOS:
        raise DomainError("too_many", f"最多附{MAX_PHOTOS}张照片", field=field)
    out = []
    for n, upload in enumerate(photos, 1):
        _name, kind, data = validate(upload, field=field)
        if kind not in ("png", "jpeg"):
            raise DomainError("not_photo", "只能附照片（PNG 或 JPG）", field=field)
        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > PHOTO_PIXELS[kind]:
                    raise DomainError(
                        "too_large", f"第{n}张照片像素过多，请用手机相机的普通尺寸", field=field
                    )
                img.draft("RGB", (2560, 2560))  # a JPEG decodes already scaled down
                img.thumbnail((2560, 2560))  # before any copy: memory stays bounded
                clean = ImageOps.exif_transpose(img).convert("RGB")  # upright, as taken
        except (OSError, ValueError) as exc:
            raise DomainError("bad_file", f"第{n}张照片无法读取", field=field) from exc
        buf = io.BytesIO()
        clean.save(buf, "JPEG", quality=85)  # a fresh file: no EXIF, no comments
        out.append(SimpleUploadedFile(f"照片{n}.jpg", buf.getvalue(), "image/jpeg"))
    return out
