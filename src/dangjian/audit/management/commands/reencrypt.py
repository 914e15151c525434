"""dangjian reencrypt [--check] [--batch N]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangjian.audit.services import audit_record
from dangjian.core import crypto, reencrypt

NAMES = {"aes": "AES-256-GCM / HMAC-SHA256", "sm": "SM4-GCM / HMAC-SM3（国密）"}


class Command(BaseCommand):
    help = (
        "把所有加密字段（身份证号、手机号等）及其查找索引转换为 DANGJIAN_CRYPTO 指定的算法；"
        "分批提交，中断后再次运行即从中断处继续"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="只统计待转换的行数")
        parser.add_argument("--batch", type=int, default=1000, help="每个事务转换的行数")

    def handle(self, *args: Any, **opts: Any) -> None:
        scheme = crypto.scheme()
        todo = reencrypt.pending()
        total = sum(todo.values())
        self.stdout.write(f"当前算法：{NAMES[scheme]}；待转换 {total} 行")
        for key, n in todo.items():
            if n:
                self.stdout.write(f"  {key}: {n}")
        if opts["check"] or total == 0:
            return
        if opts["batch"] < 1:
            raise CommandError("--batch 必须是正整数")

        def report(key: str, n: int) -> None:
            self.stdout.write(f"  {key}: +{n}")

        progress = reencrypt.reencrypt(batch=opts["batch"], on_batch=report)
        done = sum(progress.converted.values())
        audit_record(
            actor=None,
            actor_name="系统",
            action="crypto.reencrypt",
            object_type="crypto",
            object_id=scheme,
            object_repr=NAMES[scheme],
            data={"converted": progress.converted, "remaining": progress.remaining},
        )
        left = sum(progress.remaining.values())
        self.stdout.write(f"已转换 {done} 行；剩余 {left} 行")
        if left:
            raise CommandError(f"仍有 {left} 行未转换（运行期间有旧算法写入？）：请再次运行")
