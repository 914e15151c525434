from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from dangjian.web.forms import BootstrapMixin, DateInput
from dangjian.web.widgets import member_picker


class OfflinePaymentForm(BootstrapMixin, forms.Form):
    months = forms.MultipleChoiceField(
        label="所缴月份", choices=[], widget=forms.CheckboxSelectMultiple
    )
    channel = forms.ChoiceField(
        label="交纳方式", choices=[("cash", "现金"), ("transfer", "银行转账")]
    )
    paid_on = forms.DateField(label="交纳日期", widget=DateInput())
    amount = forms.CharField(
        label="金额（元）",
        max_length=15,
        help_text="勾选月份后自动填入应交金额之和（加自愿多交部分），可核对后修改",
    )
    voluntary = forms.CharField(
        label="自愿多交（元）",
        max_length=15,
        required=False,
        help_text="单笔1000元以上全额上缴中央",
    )
    paid_by = forms.CharField(
        label="代缴人",
        max_length=32,
        required=False,
        widget=member_picker(reverse_lazy("members:lookup")),
        help_text="本人交纳的留空；代缴须经支部同意",
    )
    consent = forms.CharField(label="支部同意代缴的记录", max_length=200, required=False)


class RemittanceForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="期间",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[
            ("", "全年"),
            ("1", "第一季度"),
            ("2", "第二季度"),
            ("3", "第三季度"),
            ("4", "第四季度"),
        ],
    )
    remitted_on = forms.DateField(label="上缴日期", widget=DateInput())
    reference = forms.CharField(label="凭证号", max_length=60, required=False)


class PublicationForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label="公布年度", min_value=2000, max_value=2100)
    published_on = forms.DateField(label="公布日期", widget=DateInput())
    method = forms.CharField(
        label="公布方式", max_length=100, help_text="如：党员大会通报、支部公示栏张贴"
    )
    note = forms.CharField(label="使用情况说明", max_length=300, required=False)
