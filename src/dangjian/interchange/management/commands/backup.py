"""dangjian backup [DIR]: the database, the uploaded files and the external audit seals, with a
manifest of every table's rows and digest (interchange.backup)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.interchange.backup import backup


class Command(BaseCommand):
    help = "备份：数据库、上传的文件和审计封存记录（含逐表行数和摘要的清单）"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "directory", nargs="?", help="备份目录（默认 var/backups/<时间>；须为空目录）"
        )

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        directory = opts["directory"] or str(Path(settings.VAR_DIR) / "backups" / stamp)
        try:
            manifest = backup(directory)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"已备份到 {directory}：{len(manifest['tables'])} 张表，{rows} 行；"
            f"文件 {', '.join(manifest['files'])}。请同时妥善保管字段密钥（DANGJIAN_FIELD_KEY）。"
        )
