"""发展党员 forms."""

from __future__ import annotations

from django import forms

from dangjian.fees import bands
from dangjian.members.models import Member
from dangjian.web.forms import BootstrapMixin, DateInput


class ApplyForm(BootstrapMixin, forms.Form):
    person_no = forms.CharField(
        label="编号",
        max_length=32,
        required=False,
        help_text="本人的唯一编号，接收为预备党员后作为党员编号；留空则按编号规则自动生成",
    )
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=[("男", "男"), ("女", "女")])
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    id_number = forms.CharField(label="身份证号", max_length=18)
    applied_on = forms.DateField(label="递交申请日期", widget=DateInput())


class StepForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label="日期", widget=DateInput())
    members = forms.ModelMultipleChoiceField(
        label="人员",
        queryset=Member.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    opinion = forms.CharField(
        label="考察意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    training_days = forms.IntegerField(label="培训天数", min_value=0, required=False)
    training_hours = forms.IntegerField(label="培训学时", min_value=0, required=False)
    leaving_on = forms.DateField(
        label="预计离开本单位日期（如有）", widget=DateInput(), required=False
    )
    voting_expected = forms.IntegerField(label="应到有表决权正式党员", min_value=0, required=False)
    voting_present = forms.IntegerField(label="实到有表决权正式党员", min_value=0, required=False)
    votes_for = forms.IntegerField(label="赞成", min_value=0, required=False)
    votes_against = forms.IntegerField(label="反对", min_value=0, required=False)
    votes_abstain = forms.IntegerField(label="弃权", min_value=0, required=False)
    fee_category = forms.ChoiceField(
        label="党费类别", choices=[("", "—"), *bands.CATEGORIES.items()], required=False
    )
    fee_base = forms.DecimalField(
        label="党费计算基数（元）", min_value=0, decimal_places=2, required=False
    )


STEP_FIELDS = {
    5: ["members"],
    6: ["opinion"],
    9: ["members"],
    11: ["training_days", "training_hours"],
    13: ["leaving_on"],
    15: ["voting_expected", "voting_present", "votes_for", "votes_against", "votes_abstain"],
    17: ["fee_category", "fee_base"],
    23: ["voting_expected", "voting_present", "votes_for", "votes_against", "votes_abstain"],
}
