"""dangjian audit verify | dangjian audit seal"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.audit.services import audit_seal, audit_verify


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链（发现篡改时退出码非0），seal 封存新记录"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["verify", "seal"])

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        if opts["action"] == "seal":
            self.stdout.write(f"已封存 {audit_seal()} 条记录")
            return
        result = audit_verify()
        if result.ok:
            self.stdout.write(
                f"审计哈希链完整：共 {result.checked} 条记录，与数据库外的 {result.external} 次"
                f"签名封存一致（封存公钥 Ed25519 {result.public_key}）"
            )
            return
        where = f"第一条异常记录 ID {result.broken_id}" if result.broken_id else "链尾"
        raise CommandError(
            f"审计哈希链断裂：{where}，{result.reason}（此前 {result.checked} 条完好）"
        )
