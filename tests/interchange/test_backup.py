"""Backup and restore (issue 16, I1), on the database the suite runs on: a seeded deployment is
backed up, its database dropped, and the backup restored into an empty one with identical table
digests, the uploaded files back and `audit verify` passing. A restore never writes into a database
that has data, and refuses a backup whose files were altered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "dangjian.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if ok:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def _databases(tmp_path: Path) -> tuple[str, str, object]:
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path}/a.sqlite3", f"sqlite:///{tmp_path}/b.sqlite3", None
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    names = [f"dj_bk_{uuid.uuid4().hex[:8]}_{s}" for s in ("a", "b")]
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    for n in names:
        admin.execute(f'CREATE DATABASE "{n}"')
    return f"{base}/{names[0]}", f"{base}/{names[1]}", (admin, names)


def _drop(url: str, pg: object) -> None:
    if pg is None:
        Path(url.removeprefix("sqlite:///")).unlink()
        return
    admin, _names = pg  # type: ignore[misc]
    admin.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def test_backup_drop_restore_gives_identical_digests(tmp_path):
    src, dst, pg = _databases(tmp_path)
    var = tmp_path / "var"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DANGJIAN_VAR_DIR": str(var),
        "DATABASE_URL": src,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        _run(env, "migrate", "--noinput", "-v0")
        _run(env, "seed", "--scale", "tiny", "--seed", "1")
        media = var / "media" / "attachments"
        media.mkdir(parents=True)
        (media / "纪要.txt").write_text("会议纪要", encoding="utf-8")
        _run(env, "audit", "seal")
        out = _run(env, "backup", str(tmp_path / "bk"))
        assert "已备份到" in out.stdout
        manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["tables"]["members_member"]["rows"] > 0
        assert manifest["tables"]["audit_auditevent"]["rows"] > 0

        _drop(src, pg)
        (media / "纪要.txt").unlink()

        # into a database with data: refused
        refused = _run({**env, "DATABASE_URL": dst}, "migrate", "--noinput", "-v0")
        assert refused.returncode == 0
        again = _run({**env, "DATABASE_URL": dst}, "restore", str(tmp_path / "bk"), ok=False)
        assert again.returncode != 0
        assert "不是空的" in again.stderr
        _drop(dst, pg)
        if pg is not None:
            pg[0].execute(f'CREATE DATABASE "{dst.rsplit("/", 1)[1]}"')  # type: ignore[index]

        restored = _run({**env, "DATABASE_URL": dst}, "restore", str(tmp_path / "bk"))
        assert "与备份清单逐表一致" in restored.stdout
        assert "审计哈希链完整" in restored.stdout
        assert (media / "纪要.txt").read_text(encoding="utf-8") == "会议纪要"
        _run({**env, "DATABASE_URL": dst}, "audit", "verify")
    finally:
        if pg is not None:
            admin, names = pg  # type: ignore[misc]
            for n in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
            admin.close()


def test_an_altered_backup_is_refused_before_anything_is_written(tmp_path):
    import hashlib

    from dangjian.interchange.backup import FORMAT, restore

    bk = tmp_path / "bk"
    bk.mkdir()
    dump = bk / "database.sqlite3"
    dump.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    manifest = {
        "format": FORMAT,
        "database": connection.vendor,
        "files": {dump.name: hashlib.sha256(dump.read_bytes()).hexdigest()},
        "tables": {},
    }
    (bk / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with dump.open("ab") as f:
        f.write(b"tampered")
    with pytest.raises(ValueError, match="已被改动"):
        restore(bk)
