"""dangjian scan --as-of YYYY-MM-DD [--org CODE] [--json]"""

from __future__ import annotations

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from dangjian.compliance.engine import REGISTRY, SEVERITY_LABELS
from dangjian.compliance.services import open_findings, scan_run
from dangjian.core import context
from dangjian.orgs.models import Organization


class Command(BaseCommand):
    help = "运行监测规则：更新预警并输出未消除的预警"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--as-of", required=True, help="检查日期 YYYY-MM-DD")
        parser.add_argument("--org", help="只检查该组织代码及其下级")
        parser.add_argument("--json", action="store_true", help="每行输出一条预警（JSON）")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        try:
            as_of = date.fromisoformat(opts["as_of"])
        except ValueError as exc:
            raise CommandError(
                f"--as-of “{opts['as_of']}”不是真实的日期（应为 YYYY-MM-DD）"
            ) from exc
        scope = None
        if opts["org"]:
            scope = Organization.objects.filter(code=opts["org"]).first()
            if scope is None:
                raise CommandError(f"组织代码“{opts['org']}”不存在")
        tty = not opts["json"] and sys.stdout.isatty()

        def progress(i: int, n: int, rule_id: str) -> None:
            if tty:
                bar = "#" * int(30 * i / n)
                self.stdout.write(f"\r[{bar:<30}] {i}/{n} {rule_id}  ", ending="")
                self.stdout.flush()

        with context.use(context.RequestContext(source="cli")):
            result = scan_run(as_of=as_of, scope=scope, progress=progress)
        if tty:
            self.stdout.write("")
        findings = open_findings(scope=scope)
        if opts["json"]:
            for f in findings.iterator(chunk_size=5000):  # a province's findings, a chunk at a time
                self.stdout.write(
                    json.dumps(
                        {
                            "rule": f.rule_id,
                            "org": f.organization.code,
                            "member": f.member.member_no if f.member else (f.person or None),
                            "period": f.period or None,
                            "severity": f.severity,
                            "message": f.message,
                        },
                        ensure_ascii=False,
                    )
                )
            return
        counts = dict(
            findings.order_by()
            .values_list("rule_id")
            .annotate(n=Count("id"))
            .values_list("rule_id", "n")
        )
        self.stdout.write(
            f"检查日期 {as_of}，范围：{scope.name if scope else '全部'}；"
            f"新增{result.opened}，更新{result.updated}，消除{result.closed}，未变{result.unchanged}"
        )
        self.stdout.write(f"{'规则':<10}{'等级':<8}{'未消除':>8}  名称")
        for rid, rule in sorted(REGISTRY.items()):
            self.stdout.write(
                f"{rid:<10}{SEVERITY_LABELS[rule.severity]:<6}{counts.get(rid, 0):>8}  {rule.title}"
            )
