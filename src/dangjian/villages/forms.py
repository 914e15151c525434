"""组团帮扶 forms. People and organizations are picked, never typed; money is typed in yuan and
checked by the services (two decimals, not negative, under the ceiling)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput, PhotosField, split_numbers
from dangjian.web.widgets import member_picker, org_picker

from .models import ActivityKind, ProjectStatus, ResidentRole, Village

ORG_LOOKUP = reverse_lazy("orgs:lookup")
MEMBER_LOOKUP = reverse_lazy("members:lookup")
YUAN_HELP = "单位：元，最多两位小数"


def _unit_field(label: str, required: bool = True, help_text: str = "") -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Organization.objects.filter(is_active=True),
        to_field_name="code",
        required=required,
        widget=org_picker(ORG_LOOKUP, "view"),
        help_text=help_text,
        error_messages={"invalid_choice": f"请从列表中选择{label}"},
    )


class IncomeForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    collective = forms.CharField(label="村集体收入（元）", max_length=20, help_text=YUAN_HELP)
    operating = forms.CharField(
        label="其中经营性收入（元）", max_length=20, required=False, help_text=YUAN_HELP
    )


class TownIncomeForm(BootstrapMixin, forms.Form):
    town = forms.ChoiceField(label="镇（街道）")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    disposable = forms.CharField(
        label="农村居民人均可支配收入（元）", max_length=12, help_text=YUAN_HELP
    )


class VillageForm(BootstrapMixin, forms.Form):
    population = forms.IntegerField(label="户籍人口", min_value=0, max_value=10_000_000)
    households = forms.IntegerField(label="户数", min_value=0, max_value=10_000_000)
    key = forms.BooleanField(label="重点村（“1+1”结对帮扶）", required=False)


class ResidentForm(BootstrapMixin, forms.Form):
    member = forms.CharField(
        label="党员",
        max_length=32,
        widget=member_picker(MEMBER_LOOKUP),
        help_text="派驻的党员（第一书记、队长或队员）",
    )
    role = forms.ChoiceField(label="职务", choices=ResidentRole.choices)
    unit = _unit_field("派出单位")
    arrived_on = forms.DateField(label="到村日期", widget=DateInput())
    left_on = forms.DateField(label="离村日期", widget=DateInput(), required=False)
    people: Any = Member.objects.none()

    def clean_member(self) -> Member:
        no = self.cleaned_data["member"].strip()
        m = self.people.filter(member_no=no).select_related("organization").first()
        if m is None:
            raise forms.ValidationError("请从列表中选择党员")
        return m


class PresenceForm(BootstrapMixin, forms.Form):
    day = forms.DateField(label="日期", widget=DateInput())
    on_site = forms.TypedChoiceField(
        label="在村情况",
        choices=[("1", "在村"), ("0", "不在村")],
        coerce=lambda v: v == "1",
        initial="1",
    )
    reason = forms.CharField(
        label="不在村原因",
        max_length=100,
        required=False,
        help_text="如：回派出单位述职、培训、请假",
    )


class VisitForm(BootstrapMixin, forms.Form):
    household = forms.CharField(label="走访农户", max_length=50, help_text="户主姓名或门牌")
    visited_on = forms.DateField(label="走访日期", widget=DateInput())
    learned = forms.CharField(
        label="了解情况", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    asked = forms.CharField(
        label="群众诉求", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MatterForm(BootstrapMixin, forms.Form):
    what = forms.CharField(label="办理事项", max_length=100, help_text="如：帮助申请危房改造")
    for_whom = forms.CharField(label="服务对象", max_length=50)
    done_on = forms.DateField(label="办理日期", widget=DateInput())
    result = forms.CharField(
        label="办理结果", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProjectForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="项目名称", max_length=80, help_text="如：鹧鸪养殖品牌")
    industry = forms.CharField(label="产业", max_length=50, help_text="如：养殖、花卉、电商直播")
    investment = forms.CharField(
        label="投资（元）", max_length=20, required=False, help_text=YUAN_HELP
    )
    partners = forms.CharField(label="合作方", max_length=200, required=False)
    status = forms.ChoiceField(label="状态", choices=ProjectStatus.choices)
    started_on = forms.DateField(label="启动日期", widget=DateInput(), required=False)


class ProjectIncomeForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    income = forms.CharField(label="带动村集体增收（元）", max_length=20, help_text=YUAN_HELP)


class RoundForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="轮次名称", max_length=50, help_text="如：2022—2024年组团帮扶")
    starts_on = forms.DateField(label="开始日期", widget=DateInput())
    ends_on = forms.DateField(label="结束日期", widget=DateInput())


class _VillagesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.town} {obj.name}{'（重点村）' if obj.key else ''}"


class AreaForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="片区名称", max_length=50, help_text="如：同安区莲花片区")
    villages = _VillagesField(
        label="片区的村",
        queryset=Village.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="按住Ctrl或Shift可多选；一个村一轮只属一个片区",
    )
    team_name = forms.CharField(label="帮扶团队", max_length=80)
    leader = forms.CharField(label="团长", max_length=30)
    leader_unit = _unit_field("团长单位", required=False)
    contact = forms.CharField(label="联系人", max_length=30, required=False)
    phone = forms.CharField(label="联系电话", max_length=12, required=False)


class AreaMemberForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="团队成员姓名", max_length=30)
    unit = _unit_field("所在单位")
    duty = forms.CharField(label="分工", max_length=50, required=False)


class _VillageField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.town} {obj.name}"


class PairingForm(BootstrapMixin, forms.Form):
    village = _VillageField(label="重点村", queryset=Village.objects.none())
    unit = _unit_field("结对单位", help_text="机关、事业单位或国有企业的党组织")


class JointForm(BootstrapMixin, forms.Form):
    villages = _VillagesField(
        label="联建的村",
        queryset=Village.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="至少两个村；按住Ctrl或Shift可多选",
    )


class PlotForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label="地块代码", max_length=32)
    area_mu = forms.CharField(label="面积（亩）", max_length=10, help_text="大于0，最多1位小数")
    crop = forms.CharField(label="作物", max_length=30, help_text="如：水稻、地瓜、茶叶")


class AdoptForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(
        label="认领单位",
        queryset=Organization.objects.none(),
        to_field_name="code",
        widget=org_picker(ORG_LOOKUP, "change"),
        help_text="本单位党组织",
        error_messages={"invalid_choice": "请从列表中选择本单位党组织"},
    )
    season = forms.CharField(
        label="认领季节", max_length=10, help_text="年份，或年份加春夏秋冬，如2024春"
    )
    agreement = forms.CharField(label="认领协议", max_length=200, required=False)
    fee = forms.CharField(
        label="认领费用（元）", max_length=20, required=False, help_text="没有费用的留空"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["season"].initial = str(timezone.localdate().year)


class PlotActivityForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="活动", choices=ActivityKind.choices)
    done_on = forms.DateField(label="日期", widget=DateInput())
    member_nos = forms.CharField(
        label="参加党员",
        widget=member_picker(MEMBER_LOOKUP, multiple=True),
        help_text="本单位的党员，逐个查找添加",
    )
    note = forms.CharField(label="内容", max_length=200, required=False)
    yield_kg = forms.CharField(
        label="收获（公斤）", max_length=12, required=False, help_text="收获时填写，最多1位小数"
    )
    destination = forms.CharField(
        label="去向", max_length=100, required=False, help_text="如：捐赠给机关食堂"
    )
    photos = PhotosField()
    scope: Any = Member.objects.none()

    def clean_member_nos(self) -> list[Member]:
        nos = split_numbers(self.cleaned_data.get("member_nos") or "")
        found = {m.member_no: m for m in self.scope.filter(member_no__in=nos)}
        missing = [n for n in nos if n not in found]
        if missing:
            raise forms.ValidationError(f"以下编号不是本单位党员：{'、'.join(missing[:20])}")
        if not found:
            raise forms.ValidationError("请选择参加的党员")
        return [found[n] for n in nos]
