"""`{% url %}` with its result kept per process: a template builtin (settings.TEMPLATES) that
replaces Django's tag of the same name, so every template gets it without a `{% load %}`.

A page's links (the menu, the tab bar, the breadcrumbs) reverse the same names on every request:
`reverse` walks the resolver each time (about 25 µs, some twenty a page). The URL a name and its
arguments give depends only on the URL configuration, the script prefix and the current
namespace, so it is kept under those, for arguments that are plain strings and integers (an
object's `str()` may change; such calls go to `reverse` every time). The store is bounded: past
`LIMIT` entries it starts again. A name that does not reverse raises as before and is not kept."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

LIMIT = 20_000
_URLS: dict[tuple[Any, ...], str] = {}


def _plain(value: Any) -> bool:
    return type(value) is int or isinstance(value, str)


def reverse_kept(
    view_name: str, args: list[Any], kwargs: dict[str, Any], current_app: str | None
) -> str:
    """`reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)`, kept."""
    if not (all(_plain(a) for a in args) and all(_plain(v) for v in kwargs.values())):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    key = (
        get_script_prefix(),
        settings.ROOT_URLCONF,
        get_urlconf(),
        current_app,
        view_name,
        tuple(str(a) for a in args),
        tuple(sorted((k, str(v)) for k, v in kwargs.items())),
    )
    found = _URLS.get(key)
    if found is None:
        found = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        if len(_URLS) >= LIMIT:
            _URLS.clear()
        _URLS[key] = found
    return found


class KeptURLNode(URLNode):
    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        try:
            current_app = request.current_app  # type: ignore[union-attr]
        except AttributeError:
            try:
                current_app = request.resolver_match.namespace  # type: ignore[union-attr]
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_kept(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> KeptURLNode:
    node = django_url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)
