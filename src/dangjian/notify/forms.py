from __future__ import annotations

from django import forms

from dangjian.web.forms import BootstrapMixin


class ContactForm(BootstrapMixin, forms.Form):
    email = forms.CharField(label="电子邮箱", max_length=254, required=False)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    email_on = forms.BooleanField(label="邮件提醒", required=False)
    sms_on = forms.BooleanField(label="短信提醒", required=False)
    wechat_on = forms.BooleanField(label="微信提醒", required=False)
