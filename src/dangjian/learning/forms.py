"""学习教育 forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.urls import reverse_lazy

from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput, split_numbers
from dangjian.web.widgets import member_picker, org_picker

from .models import Kind, QuestionKind, SessionKind, Unit


class CourseForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="课程名称", max_length=100)
    topic = forms.CharField(
        label="专题", max_length=50, required=False, help_text="如：党章党规、党史、理论学习"
    )
    summary = forms.CharField(
        label="简介", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    units = forms.CharField(
        label="单元",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个单元名称；留空为一个单元",
    )


class ResourceForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(label="单元", queryset=Unit.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label="类型", choices=Kind.choices)
    title = forms.CharField(label="标题", max_length=100)
    body = forms.CharField(
        label="正文（图文）", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    file = forms.FileField(label="文件（视频、音频或PDF）", required=False)
    transcript = forms.CharField(
        label="文字稿（视频、音频）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="讲解的逐字稿：显示在播放器下方，课程发布后党建助手据此回答并注明出处",
    )
    minutes = forms.IntegerField(
        label="计入学时上限（分钟）",
        min_value=1,
        max_value=600,
        initial=30,
        help_text="学完最多计入的时长；视频、音频一般为其时长",
    )


class TranscriptForm(BootstrapMixin, forms.Form):
    transcript = forms.CharField(
        label="文字稿",
        required=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="按段落分行。课程发布后党建助手据此回答并注明出处；清空则不再引用",
    )


class AssignForm(BootstrapMixin, forms.Form):
    organization = forms.ModelChoiceField(
        label="布置给",
        queryset=Organization.objects.none(),
        to_field_name="code",
        widget=org_picker(
            reverse_lazy("orgs:lookup"), "change", kinds="committee,general_branch,branch"
        ),
        error_messages={"invalid_choice": "请从列表中选择您管理的党组织（党小组除外）"},
    )
    due_on = forms.DateField(label="完成期限", widget=DateInput())


class SessionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="形式", choices=SessionKind.choices)
    title = forms.CharField(label="主题", max_length=100)
    held_on = forms.DateField(label="日期", widget=DateInput())
    length = forms.ChoiceField(
        label="学时计算",
        choices=[
            ("full_day", "全天脱产（8学时）"),
            ("half_day", "半天（4学时）"),
            ("hours", "按实际小时"),
        ],
    )
    hours = forms.DecimalField(
        label="实际小时",
        min_value=Decimal("0.5"),
        max_value=Decimal(8),
        decimal_places=1,
        required=False,
    )
    members = forms.ModelMultipleChoiceField(
        label="参加党员",
        queryset=Member.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="按住Ctrl或Shift可多选",
    )
    member_nos = forms.CharField(
        label="其他参加党员",
        required=False,
        widget=member_picker(reverse_lazy("members:lookup"), multiple=True),
        help_text="逐个查找添加；也可粘贴一批党员编号（用逗号、空格或换行分隔）",
    )
    scope: Any = Member.objects.none()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        picked = list(data.get("members") or [])
        nos = split_numbers(data.get("member_nos") or "")
        if nos:
            found = {
                m.member_no: m
                for m in self.scope.filter(member_no__in=nos).select_related("organization")
            }
            missing = [n for n in nos if n not in found]
            if missing:
                self.add_error(
                    "member_nos", f"以下编号不是本组织在册党员：{'、'.join(missing[:20])}"
                )
            picked += [found[n] for n in nos if n in found and found[n] not in picked]
        data["members"] = picked
        return data


class QuestionForm(BootstrapMixin, forms.Form):
    topic = forms.CharField(label="专题", max_length=50)
    kind = forms.ChoiceField(label="题型", choices=QuestionKind.choices)
    text = forms.CharField(label="题目", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    choices = forms.CharField(
        label="选项",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个选项（判断题不填）",
    )
    answer = forms.CharField(
        label="正确答案",
        max_length=20,
        help_text="选项序号，从1起；多选用逗号分隔，如 1,3；判断题 1=正确 2=错误",
    )
    explanation = forms.CharField(label="解析", max_length=500, required=False)


class PaperForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="试卷名称", max_length=100)
    topic = forms.CharField(label="专题", max_length=50)
    count = forms.IntegerField(label="题目数量", min_value=1, max_value=100, initial=10)
    pass_score = forms.IntegerField(label="及格分", min_value=0, max_value=100, initial=60)
