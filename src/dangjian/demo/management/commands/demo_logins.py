"""Create (or refresh) one demo login per role and print them with their backup codes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dangjian.core import context
from dangjian.demo.services import demo_activation_example, demo_logins_create


class Command(BaseCommand):
    help = "创建演示账号（每个角色一个）并打印登录信息"

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        with context.use(context.RequestContext(source="cli")):
            logins = demo_logins_create()
        self.stdout.write("")
        example = demo_activation_example()
        if example is not None:
            branch, name, number = example
            self.stdout.write(
                f"党员开通账号：{branch}的每名党员都已建好账号，由本人开通。打开登录页 "
                "→“开通账号”，"
                f"填写姓名和党员编号（例如 {name} {number}），获取验证码。"
            )
            self.stdout.write(
                "演示环境不发真实短信：验证码写入 var/sms-outbox.log（查看：tail -n 1 "
                "var/sms-outbox.log）；"
                "开通后用党员编号和新密码登录。"
            )
            self.stdout.write("")
        self.stdout.write(
            "演示账号（密码相同；工作人员和三员登录后须输入动态口令，可用下列一次性备用码）："
        )
        self.stdout.write(f"{'角色':<14}{'用户名':<12}{'密码':<16}{'备用码':<40}范围")
        for lg in logins:
            codes = " ".join(lg.backup_codes[:3]) if lg.backup_codes else "（党员无需动态口令）"
            self.stdout.write(
                f"{lg.role:<12}{lg.username:<12}{lg.password:<16}{codes:<40}{lg.scope}"
            )
        self.stdout.write("")
