"""dangjian transfers keygen|keys|trust|import-letter|accept|receipt|import-receipt — the signed
exchange of introduction letters from the server's command line (the same services as the pages)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import context
from dangjian.core.errors import DomainError
from dangjian.orgs.models import Organization
from dangjian.transfers import exchange, services
from dangjian.transfers.models import IncomingLetter, Transfer


class Command(BaseCommand):
    help = "跨系统组织关系转接：密钥、导入电子介绍信、接收、回执"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("keygen", help="生成本部署签名密钥").add_argument(
            "--deployment", required=True, help="本部署名称"
        )
        sub.add_parser("keys", help="输出本部署公布的公钥（JSON）")
        sub.add_parser("trust", help="登记对方部署公布的公钥文件").add_argument("file")
        p = sub.add_parser("import-letter", help="导入电子介绍信文件")
        p.add_argument("file")
        p.add_argument("--to", required=True, help="转入党支部的组织代码")
        sub.add_parser("accept", help="接收已导入的介绍信").add_argument("letter_no")
        p = sub.add_parser("receipt", help="输出已接收介绍信的电子回执")
        p.add_argument("letter_no")
        p.add_argument("--out", required=True)
        sub.add_parser("letter", help="输出本部署开具的电子介绍信").add_argument("letter_no")
        sub.add_parser("import-receipt", help="导入对方寄回的电子回执").add_argument("file")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        with context.use(context.RequestContext(source="cli")):
            try:
                self._run(opts)
            except DomainError as exc:
                raise CommandError(exc.message) from exc

    def _read(self, name: str) -> str:
        try:
            return Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"无法读取文件 {name}：{exc.strerror}") from exc

    def _run(self, opts):  # type: ignore[no-untyped-def]
        a = opts["action"]
        if a == "keygen":
            k = services.key_generate(actor=None, deployment=opts["deployment"])
            self.stdout.write(f"已生成签名密钥 {k.key_id}")
        elif a == "keys":
            self.stdout.write(json.dumps(exchange.published(), ensure_ascii=False))
        elif a == "trust":
            keys = services.key_trust(actor=None, published=self._read(opts["file"]))
            self.stdout.write(
                f"已登记 {keys[0].deployment} 的公钥 {', '.join(k.key_id for k in keys)}"
            )
        elif a == "import-letter":
            to = Organization.objects.filter(code=opts["to"]).first()
            if to is None:
                raise CommandError(f"组织代码“{opts['to']}”不存在")
            lt = services.incoming_import(actor=None, token=self._read(opts["file"]), to_org=to)
            self.stdout.write(f"已导入介绍信 {lt.letter_no}：{lt.name}，转入{to.name}")
        elif a == "accept":
            found = IncomingLetter.objects.filter(letter_no=opts["letter_no"]).first()
            if found is None:
                raise CommandError(f"没有介绍信 {opts['letter_no']}")
            done = services.incoming_accept(actor=None, letter=found)
            self.stdout.write(f"已接收 {done.name}（{done.member_no}）")
        elif a == "receipt":
            signed = (
                IncomingLetter.objects.filter(letter_no=opts["letter_no"])
                .exclude(receipt_token="")
                .first()
            )
            if signed is None:
                raise CommandError(
                    f"介绍信 {opts['letter_no']} 没有电子回执（未接收或不是电子介绍信）"
                )
            Path(opts["out"]).write_text(signed.receipt_token, encoding="utf-8")
            self.stdout.write(f"回执已写入 {opts['out']}")
        elif a == "letter":
            t = Transfer.objects.filter(letter_no=opts["letter_no"]).exclude(token="").first()
            if t is None:
                raise CommandError(f"介绍信 {opts['letter_no']} 没有电子签名")
            self.stdout.write(t.token)
        else:
            t = services.receipt_import(actor=None, token=self._read(opts["file"]))
            self.stdout.write(f"已登记回执：{t.member.name}的组织关系已转往{t.to_name}")
