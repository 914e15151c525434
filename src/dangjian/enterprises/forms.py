"""非公党建 forms. Organizations, members, instructors and enterprises are picked, never typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy

from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.supervision.forms import MultipleFileField
from dangjian.web.forms import BootstrapMixin, DateInput, PhotosField, split_numbers
from dangjian.web.widgets import Picker, member_picker, org_picker

from .models import (
    CentreKind,
    EnterpriseKind,
    HonourLevel,
    Instructor,
    InstructorKind,
    JointKind,
    Park,
    PositionKind,
    RelationFinding,
    Station,
    TeamKind,
    VisitTopic,
)

ORG_LOOKUP = reverse_lazy("orgs:lookup")
MEMBER_LOOKUP = reverse_lazy("members:lookup")
INSTRUCTOR_LOOKUP = reverse_lazy("enterprises:instructor_lookup")


def _org_field(
    label: str, required: bool = True, help_text: str = "", action: str = "view", kinds: str = ""
) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Organization.objects.filter(is_active=True),
        to_field_name="code",
        required=required,
        widget=org_picker(ORG_LOOKUP, action, kinds=kinds),
        help_text=help_text,
        error_messages={"invalid_choice": f"请从列表中选择{label}"},
    )


class EnterpriseForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="单位名称", max_length=100)
    credit_code = forms.CharField(
        label="统一社会信用代码", max_length=18, min_length=18, help_text="18位，末位为校验码"
    )
    kind = forms.ChoiceField(label="类型", choices=EnterpriseKind.choices)
    committee = _org_field("主管党组织", action="change", help_text="负责该单位党建工作的党组织")
    park = forms.ModelChoiceField(
        label="所在园区", queryset=Park.objects.all(), required=False, empty_label="不在园区"
    )
    industry = forms.CharField(label="行业", max_length=50, required=False)
    employees = forms.IntegerField(label="从业人员数", min_value=0, max_value=10_000_000)
    above_size = forms.BooleanField(label="规模以上企业", required=False)
    own_organization = _org_field(
        "单位党组织", required=False, help_text="单位单独建立的党组织；没有的留空"
    )
    joint_branch = _org_field(
        "所在联合党支部",
        required=False,
        kinds="branch",
        help_text="没有单独建立党组织、纳入联合党支部的，选择该联合党支部",
    )
    legal_rep = forms.CharField(label="法定代表人", max_length=50, required=False)
    legal_rep_phone = forms.CharField(label="法定代表人电话", max_length=20, required=False)
    contact = forms.CharField(label="党组织联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="党组织联系人电话", max_length=20, required=False)


class EmployeesForm(BootstrapMixin, forms.Form):
    members = forms.CharField(
        label="在该单位工作的党员",
        widget=member_picker(MEMBER_LOOKUP, multiple=True),
        help_text="可选多人；登记后计入两个覆盖和应建未建的统计",
    )
    people: Any = Member.objects.none()

    def clean_members(self) -> list[Member]:
        nos = split_numbers(self.cleaned_data["members"])
        found = list(self.people.filter(member_no__in=nos))
        missing = set(nos) - {m.member_no for m in found}
        if missing or not found:
            raise forms.ValidationError("请从列表中选择党员")
        return found


class AssignForm(BootstrapMixin, forms.Form):
    instructor = forms.CharField(
        label="党建指导员",
        max_length=32,
        widget=Picker(INSTRUCTOR_LOOKUP, placeholder="输入指导员姓名或编号查找"),
    )
    since = forms.DateField(label="联系开始日期", widget=DateInput())
    instructors: Any = Instructor.objects.none()

    def clean_instructor(self) -> Instructor:
        ref = self.cleaned_data["instructor"].strip()
        ins = self.instructors.filter(ref=ref).first()
        if ins is None:
            raise forms.ValidationError("请从列表中选择指导员")
        return ins


class InstructorForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    kind = forms.ChoiceField(label="类别", choices=InstructorKind.choices)
    unit = forms.CharField(label="原单位", max_length=100, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    started_on = forms.DateField(label="任职日期", widget=DateInput(), required=False)
    station = forms.ModelChoiceField(
        label="指导站", queryset=Station.objects.all(), required=False, empty_label="未分配"
    )
    member = forms.CharField(
        label="对应党员（手机登录）",
        max_length=32,
        required=False,
        widget=member_picker(MEMBER_LOOKUP),
        help_text="指导员是党员的，选择后可用本人账号在手机上登记走访",
    )
    people: Any = Member.objects.none()

    def clean_member(self) -> Member | None:
        no = (self.cleaned_data.get("member") or "").strip()
        if not no:
            return None
        m = self.people.filter(member_no=no).first()
        if m is None:
            raise forms.ValidationError("请从列表中选择党员")
        return m


class StationForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="指导站名称", max_length=50)
    area = forms.CharField(
        label="负责片区", max_length=100, help_text="一站管一片：街道、园区或区域"
    )
    address = forms.CharField(label="地址", max_length=100, required=False)


class ParkForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="园区名称", max_length=50)
    organization = _org_field("园区联合党委", action="manage", kinds="committee")


class VisitForm(BootstrapMixin, forms.Form):
    enterprise = forms.ChoiceField(label="走访企业")
    visited_on = forms.DateField(label="走访日期", widget=DateInput())
    met = forms.CharField(
        label="见面人员", max_length=100, help_text="如：企业负责人张某、党支部书记李某"
    )
    topics = forms.MultipleChoiceField(
        label="指导内容", choices=VisitTopic.choices, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(
        label="工作情况", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    problems = forms.CharField(
        label="发现问题", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    followup = forms.CharField(label="跟进事项", max_length=200, required=False)
    followup_due = forms.DateField(label="办理期限", widget=DateInput(), required=False)
    case_name = forms.CharField(
        label="排查发现的党员姓名",
        max_length=50,
        required=False,
        help_text="组织关系排查：在企业工作、组织关系在外地或失去联系的党员",
    )
    case_finding = forms.ChoiceField(
        label="情况", choices=[("", "—"), *RelationFinding.choices], required=False
    )
    case_note = forms.CharField(label="说明", max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if d.get("followup") and not d.get("followup_due"):
            self.add_error("followup_due", "请填写跟进事项的办理期限")
        if d.get("followup_due") and not d.get("followup"):
            self.add_error("followup", "请填写跟进事项")
        if d.get("case_name") and not d.get("case_finding"):
            self.add_error("case_finding", "请选择排查发现的情况")
        return d


class FollowUpDoneForm(BootstrapMixin, forms.Form):
    result = forms.CharField(label="办理结果", max_length=200)


class CaseCloseForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label="办理结果",
        max_length=200,
        help_text="如：已开具介绍信转入本支部；已联系上，恢复组织生活",
    )


class AssignmentEndForm(BootstrapMixin, forms.Form):
    until = forms.DateField(label="结束日期", widget=DateInput())


class PositionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=PositionKind.choices)
    title = forms.CharField(label="岗位", max_length=50, help_text="如：首席架构师、研发部经理")
    member = forms.CharField(
        label="担任人（党员）",
        max_length=32,
        required=False,
        widget=member_picker(MEMBER_LOOKUP),
        help_text="担任人是党员的，从在该单位工作的党员中选择",
    )
    holder = forms.CharField(
        label="担任人（非党员）", max_length=50, required=False, help_text="不是党员的，填写姓名"
    )
    people: Any = Member.objects.none()

    def clean_member(self) -> Member | None:
        no = (self.cleaned_data.get("member") or "").strip()
        if not no:
            return None
        m = self.people.filter(member_no=no).first()
        if m is None:
            raise forms.ValidationError("请从列表中选择党员")
        return m


class CultivationForm(BootstrapMixin, forms.Form):
    member = forms.CharField(label="党员", max_length=32, widget=member_picker(MEMBER_LOOKUP))
    target = forms.CharField(label="培养目标", max_length=100, help_text="如：培养为研发部负责人")
    due_on = forms.DateField(label="计划完成日期", widget=DateInput())
    people: Any = Member.objects.none()

    def clean_member(self) -> Member:
        m = self.people.filter(member_no=self.cleaned_data["member"].strip()).first()
        if m is None:
            raise forms.ValidationError("请从列表中选择党员")
        return m


class TeamForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=TeamKind.choices)
    name = forms.CharField(label="名称", max_length=50, help_text="如：芯片攻关党员突击队")
    project = forms.CharField(label="攻坚项目", max_length=100)
    starts_on = forms.DateField(label="开始日期", widget=DateInput())
    ends_on = forms.DateField(label="计划结束日期", widget=DateInput())
    members = forms.CharField(
        label="队员", widget=member_picker(MEMBER_LOOKUP, multiple=True), help_text="可选多人"
    )
    people: Any = Member.objects.none()

    def clean_members(self) -> list[Member]:
        nos = split_numbers(self.cleaned_data["members"])
        found = list(self.people.filter(member_no__in=nos).select_related("organization"))
        if not found or len(found) != len(set(nos)):
            raise forms.ValidationError("请从列表中选择队员")
        return found


class MilestoneForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label="日期", widget=DateInput())
    text = forms.CharField(label="进展和成果", widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField()


class TeamCloseForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label="结束日期", widget=DateInput())
    outcome = forms.CharField(label="成效", widget=forms.Textarea(attrs={"rows": 3}))


class JointEventForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=JointKind.choices)
    title = forms.CharField(label="主题", max_length=100)
    held_on = forms.DateField(label="日期", widget=DateInput())
    place = forms.CharField(label="地点", max_length=100, required=False)
    participants = forms.ModelMultipleChoiceField(
        label="参加组织",
        queryset=Organization.objects.filter(is_active=True),
        to_field_name="code",
        widget=org_picker(ORG_LOOKUP, "view", multiple=True, as_list=True),
        help_text="联合开展的其他党组织，可选多个",
        error_messages={"invalid_choice": "请从列表中选择参加组织", "required": "请选择参加组织"},
    )
    counts_as = forms.ChoiceField(
        label="计入支部组织生活",
        required=False,
        choices=[("", "不计入"), ("theme_day", "主题党日"), ("party_lecture", "党课")],
        help_text="联合开展的主题党日或党课，计入每个参加党支部的组织生活",
    )
    summary = forms.CharField(
        label="内容和成果", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class BrandForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="品牌名称", max_length=50)
    since = forms.IntegerField(label="创建年份", min_value=1921, max_value=2100)
    description = forms.CharField(
        label="品牌内涵", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    logo = PhotosField(label="品牌标识（可选，图片）")


class HonourForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="荣誉称号", max_length=100)
    awarded_by = forms.CharField(label="授予机关", max_length=100)
    level = forms.ChoiceField(label="级别", choices=HonourLevel.choices)
    year = forms.IntegerField(label="年度", min_value=1921, max_value=2100)
    evidence = MultipleFileField(label="证明材料", help_text="可选：证书照片或文件（PDF、图片）")


class CaseForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="案例名称", max_length=100)
    award = forms.CharField(label="获奖情况", max_length=100, required=False)
    year = forms.IntegerField(label="年度", min_value=1921, max_value=2100)


class CentreForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=CentreKind.choices)
    name = forms.CharField(label="名称", max_length=100)
    address = forms.CharField(label="地址", max_length=200)
    hours = forms.CharField(label="开放时间", max_length=100, required=False)
    facilities = forms.CharField(label="功能设施", max_length=200, required=False)
