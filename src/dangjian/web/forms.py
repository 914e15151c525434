from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from dangjian.core.errors import DomainError, NotVisible


class BootstrapMixin:
    """Give every widget Bootstrap's classes so forms look like the rest of the product."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                css = "form-check-input"
            elif isinstance(widget, forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        names = [field] if field else []
        if isinstance(error, dict):
            names = list(error)
        for name in names:
            if name in self.fields:  # type: ignore[attr-defined]
                w = self.fields[name].widget  # type: ignore[attr-defined]
                if "is-invalid" not in w.attrs.get("class", ""):
                    w.attrs["class"] = w.attrs.get("class", "") + " is-invalid"
                w.attrs["aria-invalid"] = "true"


class _PhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to six photos from the phone's camera or album (checked and re-encoded by the service)."""

    def __init__(self, label: str = "照片（可选，最多6张）", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            _PhotoInput(attrs={"accept": "image/png,image/jpeg", "multiple": True}),
        )
        super().__init__(label=label, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:  # type: ignore[override]
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def split_numbers(text: str, limit: int = 2000) -> list[str]:
    """Numbers pasted one per line or separated by commas (either width) or spaces, in order,
    once."""
    return list(dict.fromkeys((text or "").replace(",", " ").replace("，", " ").split()))[:limit]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_domain_error(form: forms.Form, exc: Any, field_map: dict[str, str] | None = None) -> None:
    """Show a DomainError on the form field it names (inline), else at the top of the form."""
    field = (field_map or {}).get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def submit(
    request: Any,
    form: forms.Form,
    action: Any,
    *,
    done: Any,
    field_map: dict[str, str] | None = None,
) -> Any:
    """The POST half of every form page: validate, call the service, show a DomainError inline.

    `action(cleaned_data)` calls the service and returns its result; `done(result)` returns the
    response after success (usually a message and a redirect). None means: render the form.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except NotVisible:
        raise  # out of scope: the access layer answers 404 and logs the denial
    except DomainError as exc:
        add_domain_error(form, exc, field_map)
        return None
    return done(result)


def perform(
    request: Any,
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    to: str,
    args: tuple[Any, ...] = (),
    invalid: str = "",
) -> HttpResponse:
    """The POST half of every button: call the service, say what happened, go back to the page.

    A DomainError becomes the error message (the service wrote nothing); a value that does not
    parse (ValueError, when `invalid` is given) shows `invalid`, which names the field; otherwise
    `success` (or `success(result)`) is shown. `to` and `args` are given to `redirect`.
    """
    try:
        result = action()
    except NotVisible:
        raise  # out of scope: the access layer answers 404 and logs the denial
    except DomainError as exc:
        messages.error(request, exc.message)
    except ValueError:
        if not invalid:
            raise
        messages.error(request, invalid)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(to, *args)
