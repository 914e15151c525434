"""Junk posted to every route by someone not signed in never answers 5xx (security.md; issue 16).

Every pattern of the URLconf is filled with arguments of its converters' kinds (an id that does not
exist, a word), then sent a GET with a junk query, a junk form, an empty JSON object and bytes that
are not JSON. Public endpoints (sign-in, activation, the payment callback, the health check, the
API root) must answer 2xx–4xx; the rest answer the sign-in redirect or a refusal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

JUNK_FORM = {
    "username": "\x00admin' OR 1=1 --",
    "password": "x" * 5000,
    "name": "<script>alert(1)</script>",
    "member_no": "%s%s%n",
    "phone": "１３８",
    "code": "-1",
    "months": ["abc", "-1", "99999999999999999999"],
    "page": "0",
    "next": "//evil.example/",
}


def _routes(resolver: Any = None, prefix: str = "") -> list[str]:
    resolver = resolver or get_resolver()
    out: list[str] = []
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            out.extend(_routes(p, route))
        elif isinstance(p, URLPattern):
            out.append(route)
    return out


def _fill(route: str) -> str | None:
    """A concrete path: `path()` converters and the API router's `(?P<pk>…)` groups filled in;
    format-suffix variants skipped."""
    route = re.sub(r"\(\?P<\w+>\[\^/\.\]\+\)", "987654", route).replace("^", "").replace("$", "")
    if "djdt" in route or "(" in route or "\\" in route:
        return None
    out, rest = "", route
    while "<" in rest:
        head, tail = rest.split("<", 1)
        spec, rest = tail.split(">", 1)
        kind = spec.split(":")[0] if ":" in spec else "str"
        out += head + ("987654" if kind == "int" else "x1")
    return "/" + (out + rest).lstrip("/")


PATHS = sorted({p for r in _routes() if (p := _fill(r)) is not None})


def test_the_walk_covers_the_public_endpoints():
    public = {
        "/accounts/login/",
        "/accounts/activate/",
        "/accounts/activate/code/",
        "/healthz",
        "/fees/callback/x1/",
        "/api/v1/members/",
        "/api/v1/members/987654/",
    }
    assert public <= set(PATHS)
    assert len(PATHS) > 150


@pytest.mark.parametrize("path", PATHS)
def test_junk_never_answers_5xx(client, path):
    answers = [
        client.get(path + "?page=-1&q=%00&sort=;drop&month=2026-13"),
        client.post(path, JUNK_FORM),
        client.post(path, b"{}", content_type="application/json"),
        client.post(path, b"\xff\xfe\x00not json", content_type="application/json"),
    ]
    assert [r.status_code for r in answers if r.status_code >= 500] == [], path


def test_an_unconfigured_or_unused_providers_callback_is_not_there(client, settings):
    assert (
        client.post("/fees/callback/wechat/", b"{}", content_type="application/json").status_code
        == 404
    )
    settings.PAYMENT = {**settings.PAYMENT, "provider": "wechat"}  # chosen, not configured
    assert (
        client.post("/fees/callback/wechat/", b"{}", content_type="application/json").status_code
        == 404
    )
    # a deployment taking real payments has no simulated-payment endpoint
    assert (
        client.post("/fees/callback/sandbox/", b"{}", content_type="application/json").status_code
        == 404
    )
