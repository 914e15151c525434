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
# (environment, current namespace, name, arguments) -> (the URL, the URL escaped for HTML)
_URLS: dict[tuple[Any, ...], tuple[str, str]] = {}
_MISSING = object()


def _plain(value: Any) -> bool:
    return type(value) is int or isinstance(value, str)


def _environment(request: Any) -> tuple[Any, ...]:
    """What a URL depends on besides its name and arguments: the script prefix and the URL
    configuration (the request's, or the settings'). Read once per request (two thread-local
    reads and a setting); a render without a request reads it each time."""
    env = getattr(request, "_kept_url_env", None)
    if env is None:
        env = (get_script_prefix(), settings.ROOT_URLCONF, get_urlconf())
        if request is not None:
            request._kept_url_env = env
    return env


def reverse_kept(
    view_name: str,
    args: list[Any],
    kwargs: dict[str, Any],
    current_app: str | None,
    request: Any = None,
) -> tuple[str, str]:
    """`reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)`, kept, with the
    URL escaped for HTML beside it."""
    if (args and not all(_plain(a) for a in args)) or (
        kwargs and not all(_plain(v) for v in kwargs.values())
    ):
        url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        return url, conditional_escape(url)
    key = (
        _environment(request),
        current_app,
        view_name,
        tuple(str(a) for a in args) if args else (),
        tuple(sorted((k, str(v)) for k, v in kwargs.items())) if kwargs else (),
    )
    found = _URLS.get(key)
    if found is None:
        url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        found = (url, conditional_escape(url))
        if len(_URLS) >= LIMIT:
            _URLS.clear()
        _URLS[key] = found
    return found


class KeptURLNode(URLNode):
    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args] if self.args else []
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()} if self.kwargs else {}
        view_name = self.view_name.resolve(context)
        # as Django's tag: the request's current_app, else the namespace it resolved to
        request = getattr(context, "request", None)
        current_app: Any = getattr(request, "current_app", _MISSING)
        if current_app is _MISSING:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        url = escaped = ""
        try:
            url, escaped = reverse_kept(view_name, args, kwargs, current_app, request)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return escaped if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> KeptURLNode:
    node = django_url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)
