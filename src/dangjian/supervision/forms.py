"""督办 forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy

from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput
from dangjian.web.widgets import org_picker


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is validated by core.uploads in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(d, initial) for d in items]


ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.pptx,.txt"


class TaskForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label="督办事项", max_length=100)
    body = forms.CharField(label="具体要求", widget=forms.Textarea(attrs={"rows": 4}))
    deadline = forms.DateField(label="办结期限", widget=DateInput())
    organizations = forms.ModelMultipleChoiceField(
        label="督办对象",
        queryset=Organization.objects.none(),
        to_field_name="code",
        widget=org_picker(reverse_lazy("orgs:lookup"), "supervise", multiple=True, as_list=True),
        help_text="本组织以下三级以内的党组织，可选多个",
        error_messages={
            "invalid_choice": "“%(value)s”不在可督办的范围内（本组织以下三级以内）",
            "required": "请选择督办对象",
        },
    )
    attachments = MultipleFileField(
        label="附件",
        help_text="可选，最多10个，每个不超过10MB：PDF、图片、Word、Excel、PowerPoint、文本",
    )
