"""dangjian export bundle DIR [--org CODE]"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import context
from dangjian.interchange.exporter import export_bundle_dir
from dangjian.orgs.models import Organization


class Command(BaseCommand):
    help = "导出数据包（全部或某组织及其下级）"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("what", choices=["bundle"])
        parser.add_argument("directory")
        parser.add_argument("--org", help="只导出该组织代码及其下级")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        org = None
        if opts["org"]:
            org = Organization.objects.filter(code=opts["org"]).first()
            if org is None:
                raise CommandError(f"组织代码“{opts['org']}”不存在")
        started = time.perf_counter()
        with context.use(context.RequestContext(source="cli")):
            summary = export_bundle_dir(opts["directory"], org=org)
        rows = "，".join(f"{k} {v}行" for k, v in summary.items())
        self.stdout.write(
            f"已导出到 {opts['directory']}（用时 {time.perf_counter() - started:.1f} 秒）：{rows}"
        )
