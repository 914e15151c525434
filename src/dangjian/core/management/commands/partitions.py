from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from dangjian.core.partitions import partitions, partitions_ahead


class Command(BaseCommand):
    help = (
        "列出按年分区的大表及其分区（PostgreSQL）；"
        "--ahead 补建今年和明年的分区（工作进程每晚也会执行）"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--ahead", action="store_true", help="补建缺少的今年和明年分区")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("当前数据库不是 PostgreSQL：不分区（单机 SQLite 部署无需分区）")
            return
        if options["ahead"]:
            out = partitions_ahead()
            for name in out["created"]:
                self.stdout.write(f"已建分区 {name}")
            for name in out["skipped"]:
                self.stdout.write(
                    f"未建分区 {name}：默认分区中已有该年的数据，需先由运维迁出（见 docs/scale.md）"
                )
            for name in out["failed"]:
                self.stdout.write(
                    f"未建分区 {name}：数据库拒绝（需由表的所有者角色执行，或等待锁超时后重试）"
                )
            if not any(out.values()):
                self.stdout.write("今年和明年的分区均已存在")
        found = partitions()
        if not found:
            self.stdout.write("没有按年分区的表")
            return
        for p in found:
            rows = f"约 {p.rows} 行" if p.rows >= 0 else "尚未统计行数"
            self.stdout.write(f"{p.table}\t{p.name}\t{p.bounds}\t{rows}")
