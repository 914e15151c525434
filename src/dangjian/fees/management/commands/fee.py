"""dangjian fee quote --category C --base B: the monthly amount and the band used.
dangjian fee ledger --month YYYY-MM: open that month's ledger for every member on the roll."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core.errors import DomainError
from dangjian.fees import bands
from dangjian.fees.interchange import parse_month
from dangjian.fees.services import ledger_generate


class Command(BaseCommand):
    help = "党费：测算月交纳额（quote）、生成月度台账（ledger）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        q = sub.add_parser("quote", help="按类别和计算基数测算每月应交党费")
        q.add_argument(
            "--category", required=True, help="employed/retired/farmer/student/unemployed/other"
        )
        q.add_argument("--base", required=True, help="计算基数（元），如 5400 或 5400.00")
        led = sub.add_parser("ledger", help="生成某月党费台账")
        led.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["action"] == "quote":
                base = bands.parse_yuan(opts["base"], "base", "计算基数")
                q = bands.quote(opts["category"], base)
                if q.minimum_fen is not None:
                    self.stdout.write(
                        f"每月 {bands.yuan(q.minimum_fen)}–{bands.yuan(q.maximum_fen)} 元（默认 "
                        f"{bands.yuan(q.monthly_fen)} 元）；标准：{q.band}"
                    )
                else:
                    rate = f"，费率 {q.rate * 100:.1f}%" if q.rate is not None else ""
                    self.stdout.write(
                        f"每月 {bands.yuan(q.monthly_fen)} 元；标准：{q.band}{rate}（基数 "
                        f"{bands.yuan(base)} 元）"
                    )
            else:
                month = parse_month(opts["month"])
                if month is None:
                    raise CommandError(f"月份“{opts['month']}”应为YYYY-MM")
                created = ledger_generate(month=month)
                self.stdout.write(f"{opts['month']} 台账：新增 {created} 条")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
