"""组织关系转接 forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy

from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput
from dangjian.web.widgets import member_picker, org_picker

from . import selectors
from .models import MobileDirection
from .services import DEFAULT_VALID_DAYS, MAX_VALID_DAYS


class BranchField(forms.CharField):
    """A receiving branch anywhere in the deployment, chosen with the picker (a city has thousands:
    no drop-down) or typed by its full name or code. Several branches with the same name ask for
    the code; no match suggests names that contain what was typed."""

    def __init__(self, **kw: Any) -> None:
        kw.setdefault(
            "widget", org_picker(reverse_lazy("transfers:branches"), "view", kinds="branch")
        )
        super().__init__(**kw)

    def clean(self, value: Any) -> Any:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        found, near = selectors.branch_find(text)
        if len(found) == 1:
            return found[0]
        if found:
            raise forms.ValidationError(
                "有多个同名党支部，请填写组织代码："
                + "、".join(f"{o.name}（{o.code}）" for o in found[:5])
            )
        hint = (
            "。您是否要找：" + "、".join(f"{n}（{c}）" for n, c in near)
            if near
            else "；转往本系统以外的，请填写下一项"
        )
        raise forms.ValidationError(f"本系统中没有名为“{text}”的党支部{hint}")


class StartForm(BootstrapMixin, forms.Form):
    to_org = BranchField(
        label="转入党支部（本系统内）",
        max_length=100,
        required=False,
        help_text="输入名称或拼音首字母查找，或按组织树选择；转往本系统以外的，请留空并填写下一项",
    )
    to_name = forms.CharField(label="本系统以外的接收党组织", max_length=100, required=False)
    reason = forms.CharField(
        label="转接原因", max_length=200, help_text="如：工作调动、升学、毕业、迁居"
    )


class BatchForm(BootstrapMixin, forms.Form):
    member_nos = forms.CharField(
        label="党员",
        widget=member_picker(reverse_lazy("members:lookup"), multiple=True),
        help_text="逐个查找添加；也可粘贴一批党员编号（用逗号、空格或换行分隔）",
    )
    to_org = BranchField(
        label="转入党支部（本系统内）",
        max_length=100,
        required=False,
        help_text="输入名称或拼音首字母查找，或按组织树选择",
    )
    to_name = forms.CharField(label="本系统以外的接收党组织", max_length=100, required=False)
    reason = forms.CharField(
        label="转接原因", max_length=200, help_text="如：2026届毕业生、机构调整"
    )
    valid_days = forms.IntegerField(
        label="介绍信有效期（天）",
        min_value=1,
        max_value=MAX_VALID_DAYS,
        initial=DEFAULT_VALID_DAYS,
    )


class IncomingForm(BootstrapMixin, forms.Form):
    letter_no = forms.CharField(label="介绍信编号", max_length=40)
    from_name = forms.CharField(label="转出党组织", max_length=100)
    to_org = forms.ModelChoiceField(label="转入党支部", queryset=Organization.objects.none())
    member_no = forms.CharField(
        label="党员编号", max_length=32, help_text="原党组织的编号；没有的，按本系统规则编号"
    )
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=[("男", "男"), ("女", "女")])
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    id_number = forms.CharField(label="身份证号", max_length=18)
    member_status = forms.ChoiceField(
        label="党员类别", choices=[("full", "正式党员"), ("probationary", "预备党员")]
    )
    joined_on = forms.DateField(label="入党日期", widget=DateInput())
    full_on = forms.DateField(label="转正日期", widget=DateInput(), required=False)
    issued_on = forms.DateField(label="介绍信开具日期", widget=DateInput())
    valid_days = forms.IntegerField(label="有效期（天）", min_value=1, max_value=MAX_VALID_DAYS)
    fee_paid_through = forms.CharField(
        label="党费交至（年-月）",
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-10"}),
    )


class MemberNoField(forms.CharField):
    """A member of the form's organization subtree (in the user's scope), by member number."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.scope: Any = Member.objects.none()
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> Any:
        no = (super().clean(value) or "").strip()
        if not no:
            return None
        m = self.scope.filter(member_no=no).select_related("organization").first()
        if m is None:
            raise forms.ValidationError(f"本组织没有党员编号为“{no}”的在册党员")
        return m


class MobileForm(BootstrapMixin, forms.Form):
    direction = forms.ChoiceField(label="类型", choices=MobileDirection.choices)
    member = MemberNoField(label="外出党员的党员编号（本组织）", max_length=32, required=False)
    name = forms.CharField(label="外来党员姓名", max_length=50, required=False)
    home_org = forms.CharField(label="外来党员组织关系所在党组织", max_length=100, required=False)
    organization = forms.ModelChoiceField(
        label="管理的党支部（外来党员）", queryset=Organization.objects.none(), required=False
    )
    place = forms.CharField(label="流向（外来党员现居）地点", max_length=100)
    reason = forms.CharField(label="原因", max_length=100, help_text="务工、经商、求学、随迁等")
    fixed_place = forms.BooleanField(
        label="在相对固定处所（满6个月应转接组织关系）", required=False
    )
    since = forms.DateField(label="外出（流入）日期", widget=DateInput())
    contact = forms.CharField(label="联系方式", max_length=50, required=False)
    card_no = forms.CharField(label="流动党员活动证编号", max_length=30, required=False)


class LostForm(BootstrapMixin, forms.Form):
    member = MemberNoField(label="党员编号", max_length=32)
    since = forms.DateField(label="失去联系日期", widget=DateInput())
    efforts = forms.CharField(
        label="查找情况",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="电话、走访、联系家属和单位等",
    )
