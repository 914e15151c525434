"""dangjian ask "问题" [--as USERNAME] [--json]"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import User
from dangjian.assistant.answer import ask
from dangjian.core.errors import DomainError


class Command(BaseCommand):
    help = "向党建助手提问：回答附出处；--as 以某个账号的身份（回答本人记录的问题，范围与页面相同）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("question")
        parser.add_argument("--as", dest="username", default="")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = None
        if opts["username"]:
            user = User.objects.filter(username=opts["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"账号“{opts['username']}”不存在或已停用")
        try:
            result = ask(user, opts["question"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(result.answer or "（没有找到答案）")
        for c in result.citations:
            where = f"《{c.document}》" + (f"{c.article}" if c.article else "")
            self.stdout.write(f"  出处：{where}" + (f"（{c.note}）" if c.note else ""))
