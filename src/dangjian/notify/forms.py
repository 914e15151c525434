from __future__ import annotations

from django import forms

from dangjian.web.forms import BootstrapMixin


class ContactForm(BootstrapMixin, forms.Form):
    email = forms.CharField(label="电子邮箱", max_length=254, required=False)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    wechat_openid = forms.CharField(
        label="微信OpenID",
        max_length=64,
        required=False,
        help_text="关注本单位公众号后由管理员提供",
    )
    email_on = forms.BooleanField(label="邮件提醒", required=False)
    sms_on = forms.BooleanField(label="短信提醒", required=False)
    wechat_on = forms.BooleanField(label="微信提醒", required=False)
