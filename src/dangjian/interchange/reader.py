"""Reading CSV and Excel files into rows, refusing what is malformed with a precise reason."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
import zlib
from datetime import date, datetime
from typing import Any

import openpyxl
from django.conf import settings

from dangjian.core.bundle import BundleError, FileSpec, Issue, Table
from dangjian.core.uploads import xml_declares_dtd

__all__ = ["BundleError", "Issue", "Table", "read_csv", "read_upload", "read_xlsx"]

XLSX_MAX_UNCOMPRESSED = 100 * 1024 * 1024
XLSX_MAX_RATIO = 100
MAX_ROWS = 2_000_000


def _check_header(spec: FileSpec, header: list[str], file_label: str) -> None:
    header = [h.strip() for h in header]
    issues = []
    missing = [c for c in spec.columns if c not in header and c not in spec.optional]
    extra = [h for h in header if h not in spec.columns]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if missing:
        issues.append(Issue(file_label, 1, None, f"缺少列：{', '.join(missing)}"))
    if extra:
        issues.append(
            Issue(file_label, 1, None, f"多余的列：{', '.join(h or '（空列名）' for h in extra)}")
        )
    if dupes:
        issues.append(Issue(file_label, 1, None, f"重复的列：{', '.join(dupes)}"))
    if issues:
        raise BundleError(issues)


def _check_lengths(
    spec: FileSpec, file_label: str, row: dict[str, str], line: int, issues: list[Issue]
) -> None:
    for col, limit in spec.max_lengths.items():
        value = row.get(col, "")
        if len(value) > limit:
            issues.append(
                Issue(file_label, line, col, f"内容过长（{len(value)}个字符，最多{limit}个）")
            )


def read_csv(data: bytes, spec: FileSpec, file_label: str | None = None) -> Table:

    file_label = file_label or spec.name
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BundleError(
            [
                Issue(
                    file_label,
                    line,
                    None,
                    "文件不是 UTF-8 编码（可能是 GBK/GB2312）。请在 Excel 中选择“另存为 → CSV "
                    "UTF-8（逗号分隔）”后重新导入",
                )
            ]
        ) from exc
    if "\x00" in text:
        raise BundleError([Issue(file_label, None, None, "文件含有空字符，不是有效的文本文件")])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise BundleError([Issue(file_label, None, None, "文件为空，缺少表头")]) from exc
    except csv.Error as exc:
        raise BundleError([Issue(file_label, 1, None, f"CSV 格式错误：{exc}")]) from exc
    _check_header(spec, header, file_label)
    header = [h.strip() for h in header]
    table = Table(spec=spec, sha256=hashlib.sha256(data).hexdigest(), label=file_label)
    issues: list[Issue] = []
    try:
        for values in reader:
            line = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                issues.append(
                    Issue(
                        file_label,
                        line,
                        None,
                        f"列数为{len(values)}，与表头的{len(header)}列不一致",
                    )
                )
                continue
            row = {h: v.strip() for h, v in zip(header, values, strict=True)}
            for c in spec.optional:
                row.setdefault(c, "")
            _check_lengths(spec, file_label, row, line, issues)
            table.rows.append(row)
            table.line_numbers.append(line)
            if len(table.rows) > MAX_ROWS:
                raise BundleError([Issue(file_label, line, None, f"行数超过上限{MAX_ROWS}")])
            if len(issues) > 200:
                break
    except csv.Error as exc:
        issues.append(Issue(file_label, reader.line_num, None, f"CSV 格式错误：{exc}"))
    if issues:
        raise BundleError(issues)
    return table


def read_xlsx(data: bytes, spec: FileSpec, file_label: str) -> Table:
    """Read the first sheet of an .xlsx roster; refuse formulas, zip bombs and non-xlsx files."""

    if len(data) > getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024):
        raise BundleError([Issue(file_label, None, None, "文件过大")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = 0
            for info in zf.infolist():
                total += info.file_size
                if (
                    info.compress_size
                    and info.file_size / max(info.compress_size, 1) > XLSX_MAX_RATIO
                    and info.file_size > 1024 * 1024
                ):
                    raise BundleError(
                        [Issue(file_label, None, None, "文件压缩比异常（疑似压缩炸弹），已拒绝")]
                    )
            if total > XLSX_MAX_UNCOMPRESSED:
                raise BundleError(
                    [Issue(file_label, None, None, "文件解压后过大（疑似压缩炸弹），已拒绝")]
                )
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                raise BundleError([Issue(file_label, None, None, "不是有效的 Excel（.xlsx）文件")])
            if any(n.startswith("xl/macrosheets/") or n.endswith("vbaProject.bin") for n in names):
                raise BundleError([Issue(file_label, None, None, "文件含有宏，已拒绝")])
            for n in names:
                if n.endswith((".xml", ".rels")):
                    with zf.open(n) as part:
                        head = part.read(65536)
                    if xml_declares_dtd(head):
                        raise BundleError([Issue(file_label, None, None, DTD_REFUSED)])
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError) as exc:
        # damaged, encrypted or oddly compressed: refused clearly, never a 500
        raise BundleError([Issue(file_label, None, None, "不是有效的 Excel（.xlsx）文件")]) from exc
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise BundleError(
            [Issue(file_label, None, None, f"无法读取 Excel 文件：{type(exc).__name__}")]
        ) from exc
    try:
        return _sheet_table(spec, wb, data, file_label)
    except BundleError:
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet that breaks the parser is refused, not a 500
        raise BundleError(
            [Issue(file_label, None, None, f"无法读取 Excel 文件：{type(exc).__name__}")]
        ) from exc
    finally:
        wb.close()


DTD_REFUSED = "文件含有 DTD 或实体声明（可能是 XML 炸弹或外部实体攻击），已拒绝；请另存为普通 .xlsx"


def _sheet_table(spec: FileSpec, wb: Any, data: bytes, file_label: str) -> Table:
    ws = wb.worksheets[0]
    rows_iter = ws.iter_rows()
    try:
        header_cells = next(rows_iter)
    except StopIteration as exc:
        raise BundleError([Issue(file_label, None, None, "工作表为空，缺少表头")]) from exc
    header = [str(c.value).strip() if c.value is not None else "" for c in header_cells]
    while header and header[-1] == "":
        header.pop()
    _check_header(spec, header, file_label)
    table = Table(spec=spec, sha256=hashlib.sha256(data).hexdigest(), label=file_label)
    issues: list[Issue] = []
    for line, cells in enumerate(rows_iter, start=2):
        values: list[str] = []
        for idx, cell in enumerate(cells[: len(header)]):
            if cell.data_type == "f" or (
                isinstance(cell.value, str) and cell.value.startswith("=")
            ):
                issues.append(
                    Issue(file_label, line, header[idx], "单元格含有公式，请粘贴为数值后再导入")
                )
                values.append("")
                continue
            values.append(_cell_text(cell.value))
        values += [""] * (len(header) - len(values))
        if all(v == "" for v in values):
            continue
        row = dict(zip(header, values, strict=True))
        for c in spec.optional:
            row.setdefault(c, "")
        _check_lengths(spec, file_label, row, line, issues)
        table.rows.append(row)
        table.line_numbers.append(line)
        if len(issues) > 200 or len(table.rows) > MAX_ROWS:
            break
    if issues:
        raise BundleError(issues)
    return table


def _cell_text(value: object) -> str:

    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.2f}"
    return str(value).strip()


UPLOAD_MAX = 20 * 1024 * 1024


def read_upload(upload: object, spec: FileSpec) -> Table:
    """A web upload (.xlsx or UTF-8 .csv, at most 20 MB) read as one file of the bundle format."""
    name = getattr(upload, "name", "") or "upload"
    data = upload.read(UPLOAD_MAX + 1)  # type: ignore[attr-defined]
    if len(data) > UPLOAD_MAX:
        raise BundleError([Issue(name, None, None, "文件超过20MB")])
    if name.lower().endswith(".xlsx"):
        return read_xlsx(data, spec, name)
    if name.lower().endswith(".csv"):
        return read_csv(data, spec, name)
    raise BundleError([Issue(name, None, None, "只支持 .xlsx 或 .csv 文件")])
