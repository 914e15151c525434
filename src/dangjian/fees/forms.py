from __future__ import annotations

from django import forms

from dangjian.web.forms import BootstrapMixin, DateInput


class OfflinePaymentForm(BootstrapMixin, forms.Form):
    months = forms.MultipleChoiceField(label="所缴月份", choices=[], widget=forms.CheckboxSelectMultiple)
    channel = forms.ChoiceField(label="交纳方式", choices=[("cash", "现金"), ("transfer", "银行转账")])
    paid_on = forms.DateField(label="交纳日期", widget=DateInput())
    amount = forms.CharField(label="金额（元）", max_length=15, help_text="应与所缴月份应交金额之和（加自愿多交部分）一致")
    voluntary = forms.CharField(label="自愿多交（元）", max_length=15, required=False, help_text="单笔1000元以上全额上缴中央")
    paid_by = forms.CharField(label="代缴人党员编号", max_length=32, required=False, help_text="本人交纳的留空")
    consent = forms.CharField(label="支部同意代缴的记录", max_length=200, required=False)
