"""dangjian seed --scale tiny|district|city|province --seed N [--if-empty] [--today YYYY-MM-DD]"""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.core import context
from dangjian.demo.generator import CHUNKED_SCALES, SCALES
from dangjian.demo.services import seed_city
from dangjian.interchange.reader import BundleError
from dangjian.orgs.models import Organization


class Command(BaseCommand):
    help = "生成合成城市演示数据（组织树、党员、届次、职务）"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--scale", choices=list(SCALES), default="district")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", help="以该日期为“今天”生成（默认今天）")
        parser.add_argument("--if-empty", action="store_true", help="已有组织数据时跳过")
        parser.add_argument(
            "--plant-rate", type=float, default=0.03, help="埋设违规情形的比例（默认0.03）"
        )
        parser.add_argument(
            "--truth", help="把埋设的违规情形（规则、组织代码）写入该文件（JSON lines）"
        )
        parser.add_argument(
            "--resume",
            action="store_true",
            help="继续一次在写入分块时中断的分块生成（省级）：已写入的分块不再写入",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="分块生成（省级）时同时写入的分块数，每块一个进程（仅 PostgreSQL；默认1，"
            "2核机器上宜用2）",
        )

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        if opts["if_empty"] and Organization.objects.exists():
            self.stdout.write("已有数据，跳过生成。")
            return
        if opts["resume"]:
            if opts["scale"] not in CHUNKED_SCALES:
                raise CommandError(f"--resume 只用于分块生成的规模（{'、'.join(CHUNKED_SCALES)}）")
            if AuditEvent.objects.filter(action="demo.seed").exists():
                raise CommandError("合成数据已生成完毕，无需继续")
        elif Organization.objects.exists():
            raise CommandError(
                "数据库中已有组织数据；合成城市只能生成到空库（或加 --if-empty 跳过）"
            )
        if opts["workers"] < 1:
            raise CommandError("--workers 应为不小于1的整数")
        try:
            today = date.fromisoformat(opts["today"]) if opts["today"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("--today 应为 YYYY-MM-DD 格式的真实日期") from exc
        started = time.perf_counter()
        with context.use(context.RequestContext(source="cli")):
            try:
                result = seed_city(
                    scale=opts["scale"],
                    seed=opts["seed"],
                    today=today,
                    plant_rate=opts["plant_rate"],
                    truth_path=opts["truth"],
                    progress=lambda line: self.stderr.write(line),
                    resume=opts["resume"],
                    workers=opts["workers"],
                )
            except BundleError as exc:
                for issue in exc.issues[:20]:
                    self.stderr.write(str(issue))
                raise CommandError("生成的数据未通过校验") from exc
        self.stdout.write(
            f"已生成（{opts['scale']}，种子 {opts['seed']}，用时 "
            f"{time.perf_counter() - started:.1f} 秒）："
            f"{result.summary()}"
        )
