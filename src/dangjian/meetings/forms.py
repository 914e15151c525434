from __future__ import annotations

from django import forms

from dangjian.web.forms import BootstrapMixin, DateInput

from .constants import HandlingDecision, MeetingKind


class PlanForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    planned_on = forms.DateField(label="计划日期", widget=DateInput())
    starts_at = forms.TimeField(
        label="开始时间",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="如 14:30；通知和党员手机上显示",
    )
    topic = forms.CharField(label="主题", max_length=200)
    place = forms.CharField(label="地点", max_length=100, required=False)
    speaker = forms.CharField(
        label="主讲人", max_length=50, required=False, help_text="党课、专题学习填写"
    )


class PlanEditForm(PlanForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class RecordForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    held_on = forms.DateField(label="召开日期", widget=DateInput())
    topic = forms.CharField(label="主题", max_length=200)
    place = forms.CharField(label="地点", max_length=100, required=False)
    chair = forms.CharField(label="主持人", max_length=50, required=False)
    recorder = forms.CharField(label="记录人", max_length=50, required=False)
    speaker = forms.CharField(label="主讲人", max_length=50, required=False)
    agenda = forms.CharField(
        label="会议议程",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一项",
    )
    minutes = forms.CharField(
        label="会议记录",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-richtext": "1"}),
    )
    decisions = forms.CharField(
        label="决定事项",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一项",
    )
    motion = forms.CharField(
        label="表决事项",
        max_length=200,
        required=False,
        help_text="有表决的填写；须有半数以上有表决权的党员到会，预备党员没有表决权",
    )
    votes_for = forms.IntegerField(label="赞成", min_value=0, required=False)
    votes_against = forms.IntegerField(label="反对", min_value=0, required=False)
    votes_abstain = forms.IntegerField(label="弃权", min_value=0, required=False)
    confirm_duplicate = forms.BooleanField(
        label="确认另行登记",
        required=False,
        help_text="同一天已登记过同类会议时，确是另一次会议的才勾选",
    )


class VoidForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label="作废原因",
        max_length=200,
        help_text="如：重复登记、会议未按记录召开。作废后记录保留，不再计入组织生活",
    )


class RectificationForm(BootstrapMixin, forms.Form):
    item = forms.CharField(label="问题及整改措施", max_length=300)
    owner = forms.CharField(label="责任人", max_length=50)
    due_on = forms.DateField(label="完成时限", widget=DateInput())


class LeaveForm(BootstrapMixin, forms.Form):
    starts_on = forms.DateField(label="开始日期", widget=DateInput())
    ends_on = forms.DateField(label="结束日期", widget=DateInput())
    reason = forms.CharField(
        label="原因", max_length=200, help_text="如：外出务工、长期病休，经支部批准"
    )


class DecisionForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(label="处置决定", choices=HandlingDecision.choices)
    note = forms.CharField(
        label="决定依据", max_length=300, help_text="支部大会日期、上级批复文号等"
    )
    decided_on = forms.DateField(label="决定日期", widget=DateInput())
