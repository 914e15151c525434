from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse_lazy

from dangjian.accounts.constants import Role
from dangjian.members.models import Correction
from dangjian.web.forms import BootstrapMixin
from dangjian.web.widgets import Picker, member_picker, org_picker


class LoginForm(BootstrapMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。连续失败5次，账号将被锁定30分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"


class OTPForm(BootstrapMixin, forms.Form):
    token = forms.CharField(
        label="动态口令或备用码",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordChangeForm(BootstrapMixin, forms.Form):
    old_password = forms.CharField(
        label="原密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="新密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少8位，包含大写字母、小写字母、数字、符号中的至少三类，不能与最近5次相同。",
    )
    new_password2 = forms.CharField(
        label="再次输入新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class UserCreateForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=50)
    member_no = forms.CharField(
        label="对应党员（党员账号填写）",
        max_length=32,
        required=False,
        widget=member_picker(reverse_lazy("portal:account_members")),
        help_text="党员账号一般由支部在“党员账号”页批量开通，这里只为个别情况单独创建",
    )


class GrantForm(BootstrapMixin, forms.Form):
    username = forms.CharField(
        label="账号",
        max_length=150,
        widget=Picker(reverse_lazy("portal:grant_users"), placeholder="输入用户名或姓名查找"),
    )
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    org_code = forms.CharField(
        label="授权范围（管理员角色不选）",
        max_length=32,
        required=False,
        widget=org_picker(reverse_lazy("portal:grant_orgs"), "view"),
        help_text="被授权人可处理该组织及其下级的事务",
    )
    can_unmask = forms.BooleanField(label="可查看完整身份证号/手机号", required=False)


class ActivationForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    identifier = forms.CharField(
        label="党员编号或手机号",
        max_length=32,
        help_text="党员编号可向所在党支部询问；手机号为在支部登记的号码",
    )


class PasswordPairMixin(forms.Form):
    password = forms.CharField(
        label="设置密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少8位，包含大写字母、小写字母、数字、符号中的至少三类",
    )
    password2 = forms.CharField(
        label="再次输入密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class ActivationCodeForm(BootstrapMixin, PasswordPairMixin):
    code = forms.CharField(
        label="短信验证码",
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    field_order = ["code", "password", "password2"]


class SlipForm(BootstrapMixin, PasswordPairMixin):
    name = forms.CharField(label="姓名", max_length=50)
    code = forms.CharField(label="激活码", max_length=20, help_text="激活单上的12位激活码")
    code2 = forms.CharField(
        label="第二联激活码",
        max_length=20,
        required=False,
        help_text="工作人员账号：安全管理员打印的第二联上的激活码；党员不填",
    )
    field_order = ["name", "code", "code2", "password", "password2"]


class CorrectionForm(BootstrapMixin, forms.Form):
    field = forms.ChoiceField(
        label="要更正的项目", choices=[("", "请选择")] + list(Correction.FIELDS.items())
    )
    value = forms.CharField(
        label="正确的内容",
        max_length=100,
        help_text="日期写作 2026-01-31；学历、职业类别写中文名称，如“大学本科”",
    )
    reason = forms.CharField(
        label="更正理由", max_length=300, help_text="如：户口簿已变更、登记时录入错误"
    )
