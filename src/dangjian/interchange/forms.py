from __future__ import annotations

from typing import Any

from django import forms

from dangjian.web.forms import BootstrapMixin


class UploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label="文件（.xlsx 或 .csv，UTF-8）")

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["file"].label = label
