"""Backup and restore of a whole deployment (security.md I1), for both databases.

A backup is a directory:

    database.sqlite3 | database.dump   the database (SQLite's online backup API while the platform
                                       runs; pg_dump's custom format for PostgreSQL)
    media.tar.gz                       the uploaded files (attachments, library media, exports)
    audit-seals.log                    the signed audit seals kept outside the database
    manifest.json                      when, which database, every table's row count and a digest
                                       of its rows, and the SHA-256 of each file above

Restore goes into an empty database only (it never overwrites), checks each file against the
manifest first, then recomputes every table's digest and compares; the audit chain is verified
after it (with the same field key: keep a copy of DANGJIAN_FIELD_KEY apart from the backups,
without it neither the personal data nor the audit chain can be read).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

FORMAT = 1
CHUNK = 5000


def _models() -> list[Any]:
    return sorted(
        (m for m in apps.get_models() if m._meta.managed and not m._meta.proxy),
        key=lambda m: m._meta.db_table,
    )


def table_digests() -> dict[str, dict[str, Any]]:
    """Each table's row count and the SHA-256 of its rows in primary-key order."""
    out: dict[str, dict[str, Any]] = {}
    for model in _models():
        columns = [f.attname for f in model._meta.concrete_fields]
        h = hashlib.sha256()
        n = 0
        rows = model._base_manager.order_by("pk").values_list(*columns)
        for row in rows.iterator(chunk_size=CHUNK):
            h.update(json.dumps(row, default=str, sort_keys=True, ensure_ascii=False).encode())
            h.update(b"\n")
            n += 1
        out[model._meta.db_table] = {"rows": n, "sha256": h.hexdigest()}
    return out


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ValueError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian：postgresql-client）")
    return path


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    args += ["-U", str(db.get("USER") or "postgres"), "-d", str(db["NAME"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def backup(directory: str | Path) -> dict[str, Any]:
    """Write a backup into `directory` (created; must be empty). Returns the manifest."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    out.chmod(0o700)  # personal data inside: readable by the platform's account only
    if any(out.iterdir()):
        raise ValueError(f"备份目录不是空的：{out}")
    files: dict[str, str] = {}
    if connection.vendor == "sqlite":
        target = out / "database.sqlite3"
        connection.ensure_connection()
        src = connection.connection
        with sqlite3.connect(target) as dst:
            src.backup(dst)
        dst.close()
    elif connection.vendor == "postgresql":
        target = out / "database.dump"
        args, env = _pg_env()
        subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-f", str(target), *args],
            env=env,
            check=True,
            capture_output=True,
        )
    else:
        raise ValueError(f"不支持的数据库：{connection.vendor}")
    files[target.name] = _file_sha(target)
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(out / "media.tar.gz", "w:gz") as tar:
        if media.exists():
            tar.add(media, arcname="media")
    files["media.tar.gz"] = _file_sha(out / "media.tar.gz")
    seals = Path(getattr(settings, "AUDIT_SEAL_FILE", "") or "/nonexistent")
    if seals.exists():
        shutil.copy2(seals, out / "audit-seals.log")
        files["audit-seals.log"] = _file_sha(out / "audit-seals.log")
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": connection.vendor,
        "files": files,
        "tables": table_digests(),
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    for f in out.iterdir():
        f.chmod(0o600)
    return manifest


@dataclass
class RestoreReport:
    ok: bool
    tables: int = 0
    rows: int = 0
    mismatched: list[str] = field(default_factory=list)


def _inside_media(name: str) -> bool:
    """Only the media folder comes back from a backup: no other path (keys, database, seals)."""
    parts = Path(name).parts
    return (
        bool(parts) and parts[0] == "media" and ".." not in parts and not Path(name).is_absolute()
    )


def _database_is_empty() -> bool:
    with connection.cursor() as cur:
        return not connection.introspection.table_names(cur)


def restore(directory: str | Path) -> RestoreReport:
    """Restore a backup into the configured (empty) database and media folder; then compare
    every table with the manifest. Raises ValueError before writing anything when the backup is
    incomplete or altered, or the database is not empty."""
    src = Path(directory)
    manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError("备份格式不受支持")
    for name, digest in manifest["files"].items():
        if not (src / name).exists() or _file_sha(src / name) != digest:
            raise ValueError(f"备份文件缺失或已被改动：{name}")
    if manifest["database"] != connection.vendor:
        raise ValueError(f"备份来自 {manifest['database']}，当前数据库是 {connection.vendor}")
    if not _database_is_empty():
        raise ValueError("目标数据库不是空的：恢复只写入空数据库，以免覆盖现有数据")
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        connections.close_all()
        with sqlite3.connect(src / "database.sqlite3") as backup_db, sqlite3.connect(name) as dst:
            backup_db.backup(dst)
        dst.close()
        backup_db.close()
    else:
        args, env = _pg_env()
        subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                *args,
                str(src / "database.dump"),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    connections.close_all()
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(src / "media.tar.gz", "r:gz") as tar:
        members = [m for m in tar.getmembers() if _inside_media(m.name)]
        tar.extractall(media_root.parent, members=members, filter="data")  # noqa: S202
    seals = Path(getattr(settings, "AUDIT_SEAL_FILE", "") or "/nonexistent")
    if (src / "audit-seals.log").exists() and not seals.exists():
        seals.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / "audit-seals.log", seals)
    now = table_digests()
    expected = manifest["tables"]
    bad = sorted(t for t in expected.keys() | now.keys() if expected.get(t) != now.get(t))
    return RestoreReport(
        ok=not bad,
        tables=len(now),
        rows=sum(t["rows"] for t in now.values()),
        mismatched=bad,
    )
