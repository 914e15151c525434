from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy

from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput
from dangjian.web.widgets import org_picker

from .answer import MAX_QUESTION
from .extract import EXTENSIONS

PLACEHOLDER = "例如：我这个月党费交了吗？预备期多长？"
FILE_HELP = "、".join(EXTENSIONS) + "，不超过20MB；扫描件须为文字版"


class AskForm(BootstrapMixin, forms.Form):
    question = forms.CharField(
        label="您的问题",
        max_length=MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": PLACEHOLDER}),
        error_messages={"required": "请输入问题", "max_length": f"问题不能超过{MAX_QUESTION}个字"},
    )


class DocumentForm(BootstrapMixin, forms.Form):
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
