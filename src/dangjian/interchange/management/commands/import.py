"""dangjian import bundle DIR"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import context
from dangjian.interchange.importer import import_bundle_dir
from dangjian.interchange.reader import BundleError


class Command(BaseCommand):
    help = "导入数据包（全部成功或全部不导入）"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("what", choices=["bundle"])
        parser.add_argument("directory")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        with context.use(context.RequestContext(source="cli")):
            try:
                result = import_bundle_dir(opts["directory"])
            except BundleError as exc:
                self.stderr.write(
                    f"数据包未导入，发现 {len(exc.issues)} 处问题（未写入任何数据）："
                )
                for issue in exc.issues[:200]:
                    self.stderr.write(f"  {issue}")
                raise CommandError("导入失败") from exc
        self.stdout.write(
            f"导入完成（用时 {time.perf_counter() - started:.1f} 秒）：{result.summary()}"
        )
