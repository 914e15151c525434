"""督办 forms."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.orgs.models import Organization
from dangjian.web.forms import BootstrapMixin, DateInput


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
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    attachments = MultipleFileField(
        label="附件",
        help_text="可选，最多10个，每个不超过10MB：PDF、图片、Word、Excel、PowerPoint、文本",
    )
