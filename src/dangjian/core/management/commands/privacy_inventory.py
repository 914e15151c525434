from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dangjian.core import privacy


class Command(BaseCommand):
    help = "打印个人信息清单（Markdown 表格，即 docs/privacy-inventory.md）"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(privacy.as_markdown(), ending="")
