"""近邻党建 forms."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput, PhotosField
from dangjian.web.widgets import Picker, org_picker

from .models import GridKind, NeedKind, Place


class PlaceForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label="小区代码", max_length=32, help_text="本市统一的小区编码，导入导出用"
    )
    name = forms.CharField(label="小区名称", max_length=100)
    address = forms.CharField(label="地址", max_length=200, required=False)
    households = forms.IntegerField(label="户数", min_value=0, initial=0)
    buildings = forms.IntegerField(label="楼栋数", min_value=0, initial=0)
    property_company = forms.CharField(label="物业服务企业", max_length=100, required=False)
    owners_committee = forms.BooleanField(label="已成立业主委员会", required=False)
    property_party = forms.BooleanField(label="物业企业已建党组织（红色物业）", required=False)
    covered_by = forms.ModelChoiceField(
        label="覆盖的党组织",
        queryset=Organization.objects.none(),
        to_field_name="code",
        required=False,
        widget=org_picker(reverse_lazy("orgs:lookup"), "change"),
        help_text="小区党支部、网格（楼栋）党小组，或社区党委本身",
        error_messages={"invalid_choice": "请从列表中选择本社区或其下级党组织"},
    )


class UnitRegisterForm(BootstrapMixin, forms.Form):
    community = forms.ModelChoiceField(
        label="报到社区",
        queryset=Organization.objects.none(),
        to_field_name="code",
        widget=Picker(reverse_lazy("community:community_lookup"), placeholder="输入社区名称查找"),
        error_messages={"invalid_choice": "请从列表中选择社区党组织"},
    )
    contact_name = forms.CharField(label="联系人", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=11, required=False)
    agreement = forms.CharField(
        label="共建协议要点", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    resources = forms.CharField(
        label="可提供的资源",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如：法律咨询、义诊、场地、志愿者",
    )


class GridForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=GridKind.choices)
    name = forms.CharField(label="名称", max_length=50, help_text="如：第三网格、8号楼")
    head_name = forms.CharField(label="邻长姓名", max_length=50, required=False)
    head_phone = forms.CharField(label="邻长手机号", max_length=11, required=False)


class ResidenceForm(BootstrapMixin, forms.Form):
    place = forms.ModelChoiceField(
        label="居住小区",
        queryset=Place.objects.all(),
        to_field_name="code",
        widget=Picker(reverse_lazy("community:place_lookup"), placeholder="输入小区名称查找"),
        error_messages={"invalid_choice": "请从列表中选择小区"},
    )


class NeedForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=NeedKind.choices)
    title = forms.CharField(label="内容", max_length=100, help_text="如：为独居老人代购药品")
    detail = forms.CharField(
        label="说明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="微心愿只写需求，不写困难居民的身份信息",
    )
    unit = forms.ModelChoiceField(
        label="承接单位（项目清单）",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="（无，由党员认领）",
        help_text="与报到单位的资源对接的，选择承接单位，即列入项目清单",
    )


class ServiceForm(BootstrapMixin, forms.Form):
    what = forms.CharField(label="服务内容", max_length=100, required=False)
    done_on = forms.DateField(label="服务日期", widget=DateInput())
    hours = forms.DecimalField(
        label="时长（小时）", min_value=0.5, max_value=24, decimal_places=1, initial=2
    )
    photos = PhotosField()


class IssueForm(BootstrapMixin, forms.Form):
    title = forms.CharField(
        label="事项", max_length=100, help_text="一句话说清楚，如：美食街装卸货车位被占"
    )
    text = forms.CharField(label="情况", widget=forms.Textarea(attrs={"rows": 3}))
    where = forms.CharField(label="地点", max_length=100, required=False)
    raiser_name = forms.CharField(
        label="反映人", max_length=50, required=False, help_text="代邻长或居民登记时填写其姓名"
    )
    photos = PhotosField()


class MeetingForm(BootstrapMixin, forms.Form):
    held_on = forms.DateField(label="会议日期", widget=DateInput())
    parties = forms.CharField(
        label="参会单位和人员",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="共建单位、商户、业委会、物业等",
    )
    decision = forms.CharField(label="议定事项", widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(BootstrapMixin, forms.Form):
    result = forms.CharField(label="办理结果", widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField("办结照片（可选，最多6张）")


class ConfirmForm(BootstrapMixin, forms.Form):
    solved = forms.TypedChoiceField(
        label="是否解决",
        choices=[("1", "已解决"), ("0", "没有解决")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TeamForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="队名", max_length=50, help_text="如：巡查劝导先锋队")
    purpose = forms.CharField(label="宗旨/任务", max_length=200, required=False)
    formed_on = forms.DateField(label="组建日期", widget=DateInput())
    leader = forms.ModelChoiceField(label="队长", queryset=Member.objects.none(), required=False)
    members = forms.ModelMultipleChoiceField(
        label="党员队员",
        queryset=Member.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="本组织党员，以及住在本社区或向本社区报到的党员；按住Ctrl可多选",
    )
    residents = forms.CharField(
        label="群众队员",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="商户、居民等，每行一个姓名",
    )


class AllianceForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="协议名称", max_length=100, help_text="如：美食街共建共管共享协议")
    parties = forms.CharField(
        label="共建单位",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="驻区单位、商户、物业、业委会等，每行一个",
    )
    commitments = forms.CharField(label="共建内容和承诺", widget=forms.Textarea(attrs={"rows": 3}))
    started_on = forms.DateField(label="开始日期", widget=DateInput())
    ends_on = forms.DateField(label="到期日期", widget=DateInput(), help_text="一期最长5年")


class AllianceActivityForm(BootstrapMixin, forms.Form):
    held_on = forms.DateField(label="日期", widget=DateInput())
    what = forms.CharField(label="活动内容", max_length=100)
    parties = forms.CharField(label="参加单位", max_length=200, required=False)
    result = forms.CharField(label="成效", widget=forms.Textarea(attrs={"rows": 3}))


class RenewForm(BootstrapMixin, forms.Form):
    ends_on = forms.DateField(label="续签至", widget=DateInput())
    note = forms.CharField(label="说明", max_length=200, required=False)


class ActivityForm(BootstrapMixin, forms.Form):
    held_on = forms.DateField(label="日期", widget=DateInput())
    place = forms.CharField(label="地点", max_length=100)
    hours = forms.DecimalField(
        label="每人时长（小时）", min_value=0.5, max_value=24, decimal_places=1, initial=2
    )
    participants = forms.ModelMultipleChoiceField(
        label="参加党员",
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    residents = forms.IntegerField(label="参加群众人数", min_value=0, max_value=1000, initial=0)
    result = forms.CharField(label="成效", widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField()
