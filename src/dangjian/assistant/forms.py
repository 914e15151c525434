from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy

from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput
from dangjian.web.widgets import org_picker

from .answer import MAX_QUESTION
from .extract import EXTENSIONS
from .models import OpinionTopic

PLACEHOLDER = "例如：我这个月党费交了吗？预备期多长？"
FILE_HELP = "、".join(EXTENSIONS) + "，不超过20MB；扫描件须为文字版"


class AskForm(BootstrapMixin, forms.Form):
    question = forms.CharField(
        label="您的问题",
        max_length=MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": PLACEHOLDER}),
        error_messages={"required": "请输入问题", "max_length": f"问题不能超过{MAX_QUESTION}个字"},
    )


class ScopeForm(BootstrapMixin, forms.Form):
    """What a document or an FAQ applies to: a committee the user manages, or (the city only)
    everyone. `orgs` is the committees the user may choose."""

    organization = forms.ModelChoiceField(
        label="适用范围",
        queryset=Organization.objects.none(),
        to_field_name="code",
        required=False,
        widget=org_picker(reverse_lazy("orgs:lookup"), "change", kinds="committee"),
        help_text="不选：全平台适用（仅市级）",
        error_messages={"invalid_choice": "请从列表中选择您管理的党委"},
    )

    def __init__(self, *args: Any, orgs: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if orgs is not None:
            self.fields["organization"].queryset = orgs  # type: ignore[attr-defined]


class DocumentForm(ScopeForm):
    file = forms.FileField(label="文件", help_text=FILE_HELP)
    title = forms.CharField(
        label="标题", max_length=200, required=False, help_text="不填则取文件第一行"
    )
    issuer = forms.CharField(label="发文机关", max_length=100, required=False)
    issued_on = forms.DateField(label="发布日期", required=False, widget=DateInput())
    version = forms.CharField(
        label="版本",
        max_length=40,
        required=False,
        help_text="同一标题的新版本替代现行版本，旧版本保留",
    )
    field_order = ["file", "title", "issuer", "issued_on", "version", "organization"]


class FaqForm(ScopeForm):
    question = forms.CharField(label="问题", max_length=200, help_text="党员常问的说法")
    answer = forms.CharField(
        label="答案", max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    source = forms.CharField(
        label="依据", max_length=100, required=False, help_text="如：党费规定第二条"
    )
    field_order = ["question", "answer", "source", "organization"]


class OpinionForm(BootstrapMixin, forms.Form):
    topic = forms.ChoiceField(label="类别", choices=[("", "请选择"), *OpinionTopic.choices])
    text = forms.CharField(
        label="意见建议",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="写清楚事情和您的建议；党组织答复后会通知您",
    )
    photos = forms.FileField(
        label="照片（可选）",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    anonymous = forms.BooleanField(
        label="对党组织匿名", required=False, help_text="党组织看不到您的姓名（平台审计仍有记录）"
    )
    about_branch = forms.BooleanField(
        label="反映的是本支部的问题", required=False, help_text="勾选后直接送上级党组织办理"
    )


class ReplyForm(BootstrapMixin, forms.Form):
    reply = forms.CharField(label="答复", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class RateForm(BootstrapMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label="满意度",
        coerce=int,
        choices=[
            (5, "5星 非常满意"),
            (4, "4星 满意"),
            (3, "3星 一般"),
            (2, "2星 不满意"),
            (1, "1星 很不满意"),
        ],
    )
    comment = forms.CharField(label="评价（可选）", max_length=200, required=False)
