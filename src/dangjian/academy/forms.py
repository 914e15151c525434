"""城市党建学院 forms. Organizations and people are picked, never typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy

from dangjian.enterprises.models import CentreKind, ServiceCentre
from dangjian.learning.models import Paper
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput
from dangjian.web.widgets import member_picker, org_picker

from .models import ClassKind, Nominee, Outline, Presence, Teacher

ORG_LOOKUP = reverse_lazy("orgs:lookup")
MEMBER_LOOKUP = reverse_lazy("members:lookup")


def _time(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class ClassForm(BootstrapMixin, forms.Form):
    kind = forms.ModelChoiceField(label="班次类型", queryset=ClassKind.objects.all())
    organizer = forms.ModelChoiceField(
        label="举办单位",
        queryset=Organization.objects.filter(is_active=True),
        to_field_name="code",
        widget=org_picker(ORG_LOOKUP, "change", kinds="committee,general_branch,branch"),
        error_messages={"invalid_choice": "请从列表中选择举办单位"},
        help_text="城市党建学院所在的市委组织部，或举办培训的区、党委党校",
    )
    title = forms.CharField(label="班次名称", max_length=100)
    starts_on = forms.DateField(label="开班日期", widget=DateInput())
    ends_on = forms.DateField(label="结业日期", widget=DateInput())
    capacity = forms.IntegerField(label="名额", min_value=1, max_value=2000, initial=50)
    base = forms.ModelChoiceField(
        label="培训基地",
        queryset=ServiceCentre.objects.filter(kind=CentreKind.TRAINING),
        required=False,
        help_text="非公党建登记的培训基地；不在其中的填写培训地点",
    )
    place = forms.CharField(label="培训地点", max_length=200, required=False)
    eligible = forms.MultipleChoiceField(
        label="推荐对象",
        choices=Nominee.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不选则不限",
    )
    min_attendance = forms.IntegerField(
        label="最低出勤率（%）",
        min_value=0,
        max_value=100,
        required=False,
        initial=80,
        help_text="留空：结业不看出勤",
    )
    pass_score = forms.IntegerField(
        label="考试及格分",
        min_value=0,
        max_value=100,
        required=False,
        initial=60,
        help_text="留空：不设结业考试",
    )
    paper = forms.ModelChoiceField(
        label="结业考试试卷",
        queryset=Paper.objects.all(),
        required=False,
        help_text="学习教育题库中的试卷，党员学员在手机上作答；非党员学员由班主任登记成绩",
    )
    sign_margin = forms.IntegerField(
        label="签到提前/延后（分钟）", min_value=0, max_value=240, initial=30
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        s, e = data.get("starts_on"), data.get("ends_on")
        if s and e and e < s:
            self.add_error("ends_on", "结业日期不能早于开班日期")
        return data


class SessionForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label="日期", widget=DateInput())
    starts_at = _time("开始时间")
    ends_at = _time("结束时间")
    outline = forms.ModelChoiceField(
        label="课程",
        queryset=Outline.objects.none(),
        required=False,
        help_text="选了课程，内容、学时和教师可留空",
    )
    topic = forms.CharField(label="内容", max_length=100, required=False)
    teacher = forms.ModelChoiceField(
        label="授课教师", queryset=Teacher.objects.none(), required=False
    )
    place = forms.CharField(label="地点", max_length=100, required=False)
    hours = forms.DecimalField(
        label="学时", max_digits=4, decimal_places=1, required=False, help_text="留空按时长计算"
    )


class TeacherForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    unit = forms.CharField(label="单位", max_length=100, required=False)
    title = forms.CharField(label="职务职称", max_length=50, required=False)
    topics = forms.CharField(label="授课专题", max_length=200, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)


class OutlineForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="课程名称", max_length=100)
    topic = forms.CharField(label="专题", max_length=50, required=False)
    summary = forms.CharField(
        label="课程大纲", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    hours = forms.DecimalField(label="学时", max_digits=4, decimal_places=1, initial=3)
    teacher = forms.ModelChoiceField(label="主讲", queryset=Teacher.objects.none(), required=False)


class NominateForm(BootstrapMixin, forms.Form):
    """The nominating organization's people: those the class takes, as checkboxes, and anyone else
    of its scope by the member picker."""

    members = forms.ModelMultipleChoiceField(
        label="推荐的党员",
        queryset=Member.objects.none(),
        to_field_name="member_no",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = forms.ModelMultipleChoiceField(
        label="其他党员",
        queryset=Member.objects.none(),
        to_field_name="member_no",
        required=False,
        widget=member_picker(MEMBER_LOOKUP, multiple=True, as_list=True),
        error_messages={"invalid_choice": "请从列表中选择党员"},
    )
    candidates = forms.MultipleChoiceField(
        label="推荐的发展党员对象", required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label="推荐理由", max_length=200, required=False)


class AttendanceForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label="出勤", choices=Presence.choices)
    minutes = forms.IntegerField(
        label="迟到/早退（分钟）", min_value=0, max_value=999, required=False
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class ScoreForm(BootstrapMixin, forms.Form):
    score = forms.IntegerField(label="考试成绩", min_value=0, max_value=100)


class RatingForm(BootstrapMixin, forms.Form):
    score = forms.TypedChoiceField(
        label="评分",
        choices=[(i, f"{i}分") for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label="意见建议（匿名）", max_length=300, required=False)
