"""dangjian villages summary --year Y [--org CODE] [--json]: the villages' figures the way the
city reports them — villages, total collective income, growth over the year before, average per
village, the weak villages — from the stored yearly rows, per district and town."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core.errors import DomainError
from dangjian.orgs.models import Organization
from dangjian.villages import selectors
from dangjian.villages.money import amount, parse_yuan, wan


class Command(BaseCommand):
    help = "组团帮扶：村集体收入汇总（summary）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        s = sub.add_parser("summary", help="某年度村集体收入汇总")
        s.add_argument("--year", type=int, required=True)
        s.add_argument("--org", default="", help="只汇总该党组织下的村（组织代码）")
        s.add_argument("--weak", default="100000", help="薄弱村标准：年收入低于此数（元）")
        s.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = ""
        if opts["org"]:
            org = Organization.objects.filter(code=opts["org"]).first()
            if org is None:
                raise CommandError(f"没有代码为“{opts['org']}”的党组织")
            path = org.path
        try:
            weak_fen = parse_yuan(opts["weak"], field="weak", label="薄弱村标准")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        villages = selectors.villages_in(path)
        s = selectors.summarize(villages, opts["year"], weak_fen)
        if opts["json"]:
            out = s.as_json()
            out["districts"] = [_plain(r) for r in selectors.by_area(villages, s.year, "district")]
            out["towns"] = [_plain(r) for r in selectors.by_area(villages, s.year, "town")]
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        self.stdout.write(
            f"{s.year}年：{s.villages}个村（{s.reported}个填报），村集体收入{s.headline}；"
            f"低于{wan(weak_fen)}万元的薄弱村{len(s.weak)}个"
            + (f"（{'、'.join(s.weak[:20])}{'…' if len(s.weak) > 20 else ''}）" if s.weak else "")
        )
        for r in selectors.by_area(villages, s.year, "district"):
            growth = f"，同比{r['growth_pct']}%" if r["growth_pct"] is not None else ""
            self.stdout.write(
                f"  {r['district']}：{r['villages']}个村，{amount(r['total_fen'])}{growth}"
            )


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}
