"""dangjian restore DIR: into an empty database only; every table compared with the manifest,
then the audit chain verified."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.audit.services import audit_verify
from dangjian.interchange.backup import restore


class Command(BaseCommand):
    help = "从备份恢复到空数据库，逐表核对行数和摘要，并校验审计哈希链"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("directory")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        try:
            report = restore(opts["directory"])
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if not report.ok:
            raise CommandError(f"恢复后与备份清单不一致的表：{', '.join(report.mismatched)}")
        self.stdout.write(f"已恢复：{report.tables} 张表，{report.rows} 行，与备份清单逐表一致。")
        verify = audit_verify()
        if not verify.ok:
            raise CommandError(f"审计哈希链校验未通过：{verify.reason}")
        self.stdout.write(f"审计哈希链完整：{verify.checked} 条记录。")
